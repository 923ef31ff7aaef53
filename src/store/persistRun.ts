/**
 * Persists the current run as it goes: run meta at start, every snapshot as it arrives, the
 * latest weights after every epoch (IndexedDB via persistence.ts). A failed write (quota, private
 * mode) is shown once and the in-memory run carries on untouched.
 * On boot, a stored run with the same config as the link is restored: its snapshots come back and
 * training resumes from its last weights.
 */
import type { RunConfig } from '../core/formats/config';
import { runEvents, startRun } from './controller';
import { PersistenceError, openRunStore, type RunStore, type RunMeta } from './persistence';
import { useRunStore } from './runStore';
import type { NamedTensors } from '../worker/protocol';
import { modelJson } from '../model/export';
import { specForConfig } from '../data/encodings';

let storePromise: Promise<RunStore> | null = null;
let warned = false;

function db(): Promise<RunStore> {
  storePromise ??= openRunStore();
  return storePromise;
}

function report(e: unknown): void {
  if (warned) return;
  warned = true;
  const s = useRunStore.getState();
  const kind = e instanceof PersistenceError ? e.kind : 'other';
  const why = kind === 'quota' ? 'the browser storage quota is full (delete old runs below)' : (e as Error).message;
  s.addBanner('warning', `Could not save to browser storage: ${why}. The run continues in memory; export it to keep it.`);
}

function sameConfig(a: RunConfig, b: RunConfig): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function namedFromModelObject(model: Record<string, unknown>): NamedTensors {
  const out: NamedTensors = {};
  for (const [name, t] of Object.entries(model.tensors as Record<string, { shape: number[]; data: number[] }>)) {
    out[name] = { shape: t.shape, data: Float32Array.from(t.data) };
  }
  return out;
}

/**
 * Runs one write for run `runId`, counting it in the store's `saved.writing` while it is in flight;
 * `epoch` (a snapshot write) raises `saved.epoch` once committed. A failed write is reported; either
 * way it leaves the count. The first write of a new run resets `saved`; late results of an older
 * run's writes leave it alone.
 */
function tracked(runId: string, write: (d: RunStore) => Promise<unknown>, epoch?: number): Promise<void> {
  const bump = (delta: number, committed?: number) => {
    const st = useRunStore.getState();
    if (st.saved.runId !== runId && delta < 0) return;
    const cur = st.saved.runId === runId ? st.saved : { runId, epoch: -1, writing: 0 };
    st.set({ saved: { runId, epoch: committed === undefined ? cur.epoch : Math.max(cur.epoch, committed), writing: Math.max(0, cur.writing + delta) } });
  };
  bump(1);
  return db()
    .then(write)
    .then(
      () => bump(-1, epoch),
      (e) => {
        bump(-1);
        report(e);
      },
    );
}

/** Hooks persistence into the controller's run events. Call once at start-up. */
export function installPersistence(): void {
  let meta: RunMeta | null = null;
  runEvents.onRunStart.push((runId, config, restored) => {
    if (meta?.id === runId) return;
    const s = useRunStore.getState();
    const lastEpoch = restored && s.epochs.length ? s.epochs[s.epochs.length - 1].epoch : -1;
    meta = { id: runId, name: runId, created: new Date().toISOString(), config, status: 'training', lastEpoch };
    const m = meta;
    void tracked(runId, (d) => d.saveRunMeta(m));
  });
  runEvents.onSnapshot.push((runId, epoch) => {
    const s = useRunStore.getState();
    const snap = s.epochs.find((e) => e.epoch === epoch);
    if (!snap) return;
    if (meta && meta.id === runId && s.probe && !meta.probe) {
      meta = { ...meta, probe: { indices: s.probe.indices, labels: s.probe.labels }, dataSource: s.dataSource };
      const m = meta;
      void tracked(runId, (d) => d.saveRunMeta(m));
    }
    void tracked(runId, (d) => d.saveSnapshot(runId, snap), epoch).then(refreshUsage);
  });
  runEvents.onWeights.push((runId, epoch, weights) => {
    const config = useRunStore.getState().config;
    void tracked(runId, (d) => d.saveWeights(runId, epoch, modelJson(weights, specForConfig(config.encoding, config.permute, config.seed))));
  });
}

/** Storage use in the store, for the runs panel. */
export async function refreshUsage(): Promise<void> {
  try {
    const u = await (await db()).estimateUsage();
    const mb = (u.usage / 1e6).toFixed(1);
    useRunStore.getState().set({ storageNote: u.quota ? `${mb} MB of ${(u.quota / 1e6).toFixed(0)} MB used` : `${mb} MB used` });
  } catch {
    /* usage is informational only */
  }
}

export async function listStoredRuns(): Promise<RunMeta[]> {
  try {
    return await (await db()).listRuns();
  } catch (e) {
    report(e);
    return [];
  }
}

export async function deleteStoredRun(id: string): Promise<void> {
  try {
    await (await db()).deleteRun(id);
    await refreshUsage();
  } catch (e) {
    report(e);
  }
}

/**
 * Restores stored run `id`: its snapshots go back into the store and a trainer is started from
 * its latest weights (paused, ready to continue). Returns false when nothing could be restored.
 */
export async function restoreRun(id: string): Promise<boolean> {
  try {
    const loaded = await (await db()).loadRun(id);
    if (!loaded || loaded.snapshots.length === 0) return false;
    const store = useRunStore.getState();
    const resume = loaded.weights ? { epoch: loaded.weights.epoch, weights: namedFromModelObject(loaded.weights.model as Record<string, unknown>) } : undefined;
    const savedEpoch = loaded.snapshots[loaded.snapshots.length - 1].epoch;
    store.set({ saved: { runId: loaded.meta.id, epoch: savedEpoch, writing: 0 }, runId: loaded.meta.id, epochs: loaded.snapshots, pending: {}, batchLosses: [], selectedEpoch: null, config: loaded.meta.config });
    startRun(loaded.meta.config, resume, true);
    store.addBanner('info', `Restored run ${loaded.meta.name}: ${loaded.snapshots.length} epoch snapshots${resume ? `; training resumes from epoch ${resume.epoch}` : ''}.`);
    return true;
  } catch (e) {
    report(e);
    return false;
  }
}

/** On boot: if the newest stored run has this link's config, restore it instead of starting over. */
export async function restoreMatchingRun(config: RunConfig): Promise<boolean> {
  const runs = await listStoredRuns();
  const match = runs.find((r) => sameConfig(r.config, config) && r.lastEpoch >= 0);
  if (!match) return false;
  return restoreRun(match.id);
}
