/**
 * Keeps the URL hash in step with the store (config + view), so the address bar is always a link
 * that reproduces what is on screen. replaceState: selections do not flood the history. A hash
 * changed from outside (typed, or a same-page link) is applied in place (applyHashInPlace).
 */
import { useRunStore } from '../store/runStore';
import { hashFor, VIEW_KEYS } from '../store/viewHash';
import { applyHashInPlace } from './controller';

export function installHashSync(): void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  // The other direction: a hash typed into the address bar applies at once (our own writes use
  // replaceState, which fires no hashchange; a hash equal to the state's is ours or a no-op).
  window.addEventListener('hashchange', () => {
    const s = useRunStore.getState();
    if (!s.config || window.location.hash === hashFor(s)) return;
    if (timer) clearTimeout(timer);
    timer = null;
    applyHashInPlace();
  });
  useRunStore.subscribe((s, prev) => {
    if (!s.config) return;
    if (s.config === prev.config && VIEW_KEYS.every((k) => s[k] === prev[k])) return;
    if (timer) clearTimeout(timer);
    const write = () => {
      timer = null;
      const hash = hashFor(useRunStore.getState());
      if (window.location.hash !== hash) history.replaceState(null, '', hash);
    };
    // A new run config is written at once: a reload right after it must find this run, not the last.
    if (s.config !== prev.config) write();
    else timer = setTimeout(write, 150);
  });
}
