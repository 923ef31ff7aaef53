/**
 * Persists the current run as it goes: run meta at start, every snapshot as it arrives, the
 * latest weights after every epoch (IndexedDB via persistence.ts). A failed write (quota, private
 * mode) is shown once and the in-memory run carries on untouched.
 * On boot, a stored run with the same config as the link is restored: its snapshots come back,
 * epochs trained but never analysed are analysed again, and the run waits, paused, at its last
 * weights. Imported bundles and models are stored runs too ('replay' / 'model') and come back as such.
 */
import { RunConfigSchema, type RunConfig } from '../core/formats/config';
import { seedEvents } from './seeds';
import { runEvents, startRun, type UnanalysedEpoch } from './controller';
import { PersistenceError, openRunStore, type RunStore, type RunMeta } from './persistence';
import { useRunStore } from '../store/runStore';
import type { NamedTensors } from '../worker/protocol';
import { modelJson } from '../model/export';
import { specForConfig } from '../data/encodings';
import { analyzeModelFile, replayBundle } from './files';
import { parseModelObject } from '../core/formats/model';
import { plural } from '../run/lifecycle';

let storePromise: Promise<RunStore> | null = null;
/** The stored meta of a run being restored: it keeps its name, creation time and probe set. */
let restoringMeta: RunMeta | null = null;
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

/** Equal configs, with the defaults of keys added later (cell, seeds) filled into older stored ones. */
function sameConfig(a: RunConfig, b: RunConfig): boolean {
  const canonical = (c: RunConfig) => {
    const r = RunConfigSchema.safeParse(c);
    return JSON.stringify(r.success ? r.data : c);
  };
  return canonical(a) === canonical(b);
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
    st.set({
      saved: {
        runId,
        epoch: committed === undefined ? cur.epoch : Math.max(cur.epoch, committed),
        writing: Math.max(0, cur.writing + delta),
      },
    });
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
    if (meta?.id === runId) {
      // Restarted workers on the same run: only the config may have moved (epoch target).
      if (!sameConfig(meta.config, config)) {
        meta = { ...meta, config };
        const m = meta;
        void tracked(runId, (d) => d.saveRunMeta(m));
      }
      return;
    }
    const s = useRunStore.getState();
    const lastEpoch = restored && s.epochs.length ? s.epochs[s.epochs.length - 1].epoch : -1;
    meta =
      restored && restoringMeta?.id === runId
        ? { ...restoringMeta, config, lastEpoch: Math.max(restoringMeta.lastEpoch, lastEpoch) }
        : { id: runId, name: runId, created: new Date().toISOString(), config, status: 'training', lastEpoch };
    restoringMeta = null;
    const m = meta;
    void tracked(runId, (d) => d.saveRunMeta(m));
  });
  runEvents.onImport.push((runId, kind, restored) => {
    const s = useRunStore.getState();
    if (restored) {
      meta = null;
      const last = s.epochs.length ? s.epochs[s.epochs.length - 1].epoch : -1;
      s.set({ saved: { runId, epoch: last, writing: 0 } });
      return;
    }
    meta = {
      id: runId,
      name: runId,
      created: new Date().toISOString(),
      config: s.config,
      status: kind,
      lastEpoch: -1,
      ...(s.probe ? { probe: { indices: s.probe.indices, labels: s.probe.labels } } : {}),
      dataSource: s.dataSource,
    };
    const m = meta;
    const snapshots = kind === 'replay' ? s.epochs : [];
    const last = snapshots.length ? snapshots[snapshots.length - 1].epoch : undefined;
    const model = (s.importedModel as Parameters<RunStore['saveWholeRun']>[2]) ?? null;
    const seedRuns = kind === 'replay' ? s.seedRuns.map((r) => ({ seed: r.seed, epochs: r.epochs })) : [];
    void tracked(runId, (d) => d.saveWholeRun(m, snapshots, model, last ?? 0, seedRuns), last).then(refreshUsage);
  });
  runEvents.onConfigChange.push((runId, config) => {
    if (!meta || meta.id !== runId) return;
    meta = { ...meta, config };
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
  seedEvents.onSeedSnapshot.push((runId, seed, snapshot) => {
    if (!meta || meta.id !== runId) return;
    void tracked(runId, (d) => d.saveSeedSnapshot(runId, seed, snapshot)).then(refreshUsage);
  });
  runEvents.onWeights.push((runId, epoch, weights, metrics) => {
    const config = useRunStore.getState().config;
    const model = modelJson(weights, specForConfig(config.encoding, config.permute, config.seed));
    void tracked(runId, (d) => d.saveWeights(runId, epoch, model, metrics));
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
 * Restores stored run `id`. A training run: its snapshots go back into the store, epochs trained
 * but never analysed are analysed again, and a trainer starts from its latest weights, paused. A
 * replayed bundle or an imported model comes back as it was. False when nothing could be restored.
 */
export async function restoreRun(id: string): Promise<boolean> {
  try {
    const loaded = await (await db()).loadRun(id);
    if (!loaded) return false;
    const { meta, snapshots } = loaded;
    const store = useRunStore.getState();
    if (meta.status === 'replay') {
      if (snapshots.length === 0 || !meta.probe) return false;
      await replayBundle(
        {
          created: meta.created,
          config: meta.config,
          probe: meta.probe,
          dataSource: meta.dataSource ?? 'bundled-mnist-10k',
          epochs: snapshots,
          weights: loaded.weights?.model,
          seedRuns: loaded.seedRuns,
        },
        { runId: meta.id },
      );
      store.addBanner(
        'info',
        `Restored the replayed run bundle ${meta.name}: ${plural(snapshots.length, 'epoch snapshot')}. Press Reset to train again.`,
      );
      return true;
    }
    if (meta.status === 'model') {
      if (!loaded.weights) return false;
      const raw = loaded.weights.model as unknown as Record<string, unknown>;
      await analyzeModelFile(parseModelObject(raw), raw, meta.config, { runId: meta.id, snapshot: snapshots[0] });
      store.addBanner(
        'info',
        `Restored the imported model ${meta.name}${snapshots.length ? '' : '; its analysis was interrupted and runs again'}.`,
      );
      return true;
    }
    if (snapshots.length === 0 && loaded.unanalysed.length === 0) return false;
    const resume = loaded.weights
      ? { epoch: loaded.weights.epoch, weights: namedFromModelObject(loaded.weights.model as Record<string, unknown>) }
      : undefined;
    const unanalysed: UnanalysedEpoch[] = loaded.unanalysed.map((u) => ({
      epoch: u.epoch,
      metrics: u.metrics,
      weights: namedFromModelObject(u.model as unknown as Record<string, unknown>),
    }));
    const savedEpoch = snapshots.length ? snapshots[snapshots.length - 1].epoch : -1;
    store.set({
      saved: { runId: meta.id, epoch: savedEpoch, writing: 0 },
      runId: meta.id,
      epochs: snapshots,
      pending: {},
      batchLosses: [],
      selectedEpoch: null,
      config: meta.config,
      // The background seeds' snapshots: src/app/seeds.ts keeps them and queues the unfinished seeds.
      seedRuns: loaded.seedRuns.map((r) => ({ seed: r.seed, epochs: r.epochs, status: 'queued' as const, progress: null })),
    });
    restoringMeta = meta;
    startRun(meta.config, resume, true, undefined, unanalysed);
    const again = unanalysed.length
      ? `; analysing ${plural(unanalysed.length, 'epoch')} again whose analysis was interrupted (${unanalysed.map((u) => u.epoch).join(', ')})`
      : '';
    const where = !resume
      ? '; no weights were saved, so training starts again from epoch 0 when you press Start'
      : resume.epoch >= meta.config.epochs
        ? `; finished (${resume.epoch} of ${plural(meta.config.epochs, 'epoch')}): "Train N more epochs" continues it`
        : `; paused after epoch ${resume.epoch} of ${meta.config.epochs}: press Start to continue`;
    store.addBanner('info', `Restored run ${meta.name}: ${plural(snapshots.length, 'epoch snapshot')}${again}${where}.`);
    return true;
  } catch (e) {
    report(e);
    return false;
  }
}

/** On boot: if the newest stored run has this link's config, restore it instead of starting over. */
export async function restoreMatchingRun(config: RunConfig): Promise<boolean> {
  const runs = await listStoredRuns();
  const match = runs.find((r) => sameConfig(r.config, config));
  if (!match) return false;
  return restoreRun(match.id);
}
