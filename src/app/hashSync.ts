/**
 * Keeps the URL hash in step with the store (config + view), so the address bar is always a link
 * that reproduces what is on screen. replaceState: selections do not flood the history.
 */
import { useRunStore } from '../store/runStore';
import { hashFor, VIEW_KEYS } from '../store/viewHash';

export function installHashSync(): void {
  let timer: ReturnType<typeof setTimeout> | null = null;
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
