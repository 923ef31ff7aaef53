/**
 * The run's save state (store.saved): a snapshot counts as saved only once IndexedDB has committed
 * it, writes in flight are counted, and a failing write (full quota) leaves the count at zero and a
 * banner, never a stuck "saving…".
 */
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { installPersistence } from '../../src/app/persistRun';
import { runEvents } from '../../src/app/controller';
import { openRunStore } from '../../src/app/persistence';
import { useRunStore } from '../../src/store/runStore';
import { makeBundle } from './bundleFixture';

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('save state of the current run', () => {
  installPersistence();

  it('counts writes in flight and raises saved.epoch only after the snapshot is committed', async () => {
    const bundle = makeBundle(4, { epochs: 2 });
    const runId = 'run-save-state';
    const store = useRunStore.getState();
    store.set({ runId, config: bundle.config, epochs: [], saved: { runId: '', epoch: -1, writing: 0 } });
    for (const f of runEvents.onRunStart) f(runId, bundle.config, false);
    expect(useRunStore.getState().saved).toEqual({ runId, epoch: -1, writing: 1 });
    for (const snap of bundle.epochs) {
      useRunStore.getState().set({ epochs: [...useRunStore.getState().epochs, snap] });
      for (const f of runEvents.onSnapshot) f(runId, snap.epoch);
    }
    // Nothing is committed synchronously: the UI must not claim epoch 2 yet.
    expect(useRunStore.getState().saved.epoch).toBe(-1);
    expect(useRunStore.getState().saved.writing).toBeGreaterThan(0);
    await until(() => useRunStore.getState().saved.writing === 0);
    expect(useRunStore.getState().saved).toEqual({ runId, epoch: 2, writing: 0 });
    // And what it claims is really there.
    const db = await openRunStore();
    const loaded = await db.loadRun(runId);
    db.close();
    expect(loaded?.snapshots.map((s) => s.epoch)).toEqual([0, 1, 2]);
  });

  it('a failing write is reported and does not leave the state "saving…"', async () => {
    const bundle = makeBundle(5, { epochs: 1 });
    const runId = 'run-quota';
    useRunStore.getState().set({ runId, config: bundle.config, epochs: [bundle.epochs[0]], banners: [] });
    const put = vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(() => {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    });
    for (const f of runEvents.onRunStart) f(runId, bundle.config, false);
    for (const f of runEvents.onSnapshot) f(runId, 0);
    await until(() => useRunStore.getState().saved.writing === 0);
    put.mockRestore();
    expect(useRunStore.getState().saved).toEqual({ runId, epoch: -1, writing: 0 });
    expect(
      useRunStore
        .getState()
        .banners.map((b) => b.message)
        .join('\n'),
    ).toMatch(/quota is full/);
  });
});

describe('save state across runs', () => {
  it("an older run's late write does not overwrite the current run's state", async () => {
    const a = makeBundle(6, { epochs: 1 });
    useRunStore.getState().set({ runId: 'old-run', config: a.config, epochs: [a.epochs[0]], banners: [] });
    for (const f of runEvents.onRunStart) f('old-run', a.config, false);
    for (const f of runEvents.onSnapshot) f('old-run', 0);
    // A new run starts before the old run's writes have committed.
    useRunStore.getState().set({ runId: 'new-run', epochs: [] });
    for (const f of runEvents.onRunStart) f('new-run', a.config, false);
    expect(useRunStore.getState().saved.runId).toBe('new-run');
    await until(() => useRunStore.getState().saved.writing === 0);
    expect(useRunStore.getState().saved).toEqual({ runId: 'new-run', epoch: -1, writing: 0 });
  });
});
