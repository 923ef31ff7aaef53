/**
 * Persistence of runs in IndexedDB (via `idb`), so a reload or a crash loses nothing that was
 * already analysed. Database "ftle-lab", version 3, five object stores:
 *   runs      key id                -> RunMeta (config, created, name, status, lastEpoch, probe, data source)
 *   snapshots key [runId, epoch]    -> { runId, epoch, snapshot: EpochSnapshot }  (saved as each arrives)
 *   weights   key runId             -> { runId, epoch, model: ftle-lab.model/v1 object } (latest only,
 *                                      no optimizer state: enough to analyse or export, not to resume Adam)
 *   unanalysed key [runId, epoch]  -> { runId, epoch, metrics, model } for every trained epoch whose
 *                                      snapshot is not stored yet (version 2): a reload during an
 *                                      analysis analyses it again instead of losing it. Deleted in the
 *                                      transaction that stores the epoch's snapshot.
 *   seedSnapshots key [runId, seed, epoch] -> { runId, seed, epoch, snapshot } (version 3): the
 *                                      background seeds of a several-seed run (config.seeds > 1),
 *                                      saved as each arrives. A version-2 database gains the empty
 *                                      store on upgrade; its runs read back with no seed runs.
 * Every failure rejects with PersistenceError {kind: 'quota' | 'unavailable' | 'other'} so the UI
 * can show one banner while the in-memory run carries on; nothing here throws anything else.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { RunConfig } from '../core/formats/config';
import type { BundleProbe, ModelJsonObject, SeedRunSnapshots } from '../core/formats/bundle';
import type { EpochMetrics, EpochSnapshot } from '../core/snapshot';

export const DB_NAME = 'ftle-lab';
export const DB_VERSION = 3;

/** What a stored run is doing (or was doing when the page closed). */
export type StoredRunStatus = 'training' | 'paused' | 'done' | 'error' | 'replay' | 'model';

/** One row of the runs store: everything needed to list a run and rebuild its bundle. */
export interface RunMeta {
  id: string;
  name: string;
  /** ISO 8601 creation time; listRuns sorts newest first by it. */
  created: string;
  config: RunConfig;
  status: StoredRunStatus;
  /** Highest epoch whose snapshot is stored, -1 before the first. saveSnapshot keeps it current. */
  lastEpoch: number;
  /** Probe digits (test-split indices and labels, [B]) and data source, for bundle export. */
  probe?: BundleProbe;
  dataSource?: string;
}

/** Latest weights of a run, `ftle-lab.model/v1`, after `epoch` epochs of training. */
export interface StoredWeights {
  runId: string;
  epoch: number;
  model: ModelJsonObject;
}

/** A trained epoch whose snapshot is not stored: its metrics and weights, to analyse it again. */
export interface UnanalysedEpochRecord {
  runId: string;
  epoch: number;
  metrics: EpochMetrics;
  model: ModelJsonObject;
}

/**
 * A run read back: meta, snapshots in increasing epoch order, its latest weights if any, and the
 * trained epochs without a stored snapshot (increasing epoch order).
 */
export interface LoadedRun {
  meta: RunMeta;
  snapshots: EpochSnapshot[];
  weights: StoredWeights | null;
  unanalysed: UnanalysedEpochRecord[];
  /** Background seeds' snapshots (several-seed runs), by seed in increasing order; [] for one seed. */
  seedRuns: SeedRunSnapshots[];
}

/** Storage in use, bytes; quota null when the browser does not say. */
export interface StorageUsage {
  usage: number;
  quota: number | null;
  /** 'estimate': navigator.storage.estimate() (whole origin); 'serialized': JSON size of our records. */
  source: 'estimate' | 'serialized';
}

interface StoredSnapshot {
  runId: string;
  epoch: number;
  snapshot: EpochSnapshot;
}

interface StoredSeedSnapshot {
  runId: string;
  seed: number;
  epoch: number;
  snapshot: EpochSnapshot;
}

interface FtleLabDB extends DBSchema {
  seedSnapshots: { key: [string, number, number]; value: StoredSeedSnapshot };
  runs: { key: string; value: RunMeta };
  snapshots: { key: [string, number]; value: StoredSnapshot };
  weights: { key: string; value: StoredWeights };
  unanalysed: { key: [string, number]; value: UnanalysedEpochRecord };
}

/** Why a storage operation failed: the quota is full, storage is missing/blocked, or anything else. */
export type PersistenceErrorKind = 'quota' | 'unavailable' | 'other';

/** The only error persistence functions reject with. `cause` keeps the original error. */
export class PersistenceError extends Error {
  readonly kind: PersistenceErrorKind;

  constructor(kind: PersistenceErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PersistenceError';
    this.kind = kind;
  }
}

/** Error names browsers use for a full quota (Firefox has its own). */
const QUOTA_NAMES = new Set(['QuotaExceededError', 'NS_ERROR_DOM_QUOTA_REACHED']);
/** Error names meaning "storage cannot be used here" (private mode, closed or blocked database). */
const UNAVAILABLE_NAMES = new Set(['InvalidStateError', 'SecurityError', 'NotSupportedError', 'VersionError', 'UnknownError']);

/** Maps any error to a PersistenceError, saying what was being done. */
export function toPersistenceError(e: unknown, doing: string): PersistenceError {
  if (e instanceof PersistenceError) return e;
  const name = (e as { name?: unknown } | null)?.name;
  const code = (e as { code?: unknown } | null)?.code;
  const detail = e instanceof Error ? e.message : String(e);
  if ((typeof name === 'string' && QUOTA_NAMES.has(name)) || code === 22) {
    return new PersistenceError('quota', `Browser storage is full while ${doing}; the run continues in memory (export it to keep it).`, {
      cause: e,
    });
  }
  if (typeof name === 'string' && UNAVAILABLE_NAMES.has(name)) {
    return new PersistenceError('unavailable', `Browser storage is unavailable while ${doing} (${detail}); the run continues in memory.`, {
      cause: e,
    });
  }
  return new PersistenceError('other', `Could not save while ${doing}: ${detail}`, { cause: e });
}

/** Runs `op`, converting every failure into a PersistenceError. */
async function guard<T>(doing: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    throw toPersistenceError(e, doing);
  }
}

/** Key range of all snapshots of one run ([runId, epoch] sorts by runId, then numerically by epoch). */
function runRange(runId: string): IDBKeyRange {
  return IDBKeyRange.bound([runId, -Infinity], [runId, Infinity]);
}

/** Key range of all background-seed snapshots of one run ([runId, seed, epoch]). */
function seedRange(runId: string): IDBKeyRange {
  return IDBKeyRange.bound([runId, -Infinity, -Infinity], [runId, Infinity, Infinity]);
}

/** Groups stored seed snapshots by seed (increasing), each seed's epochs increasing. */
function groupSeedRows(rows: StoredSeedSnapshot[]): SeedRunSnapshots[] {
  const bySeed = new Map<number, EpochSnapshot[]>();
  for (const r of [...rows].sort((a, b) => a.seed - b.seed || a.epoch - b.epoch)) {
    const list = bySeed.get(r.seed) ?? [];
    list.push(r.snapshot);
    bySeed.set(r.seed, list);
  }
  return [...bySeed].map(([seed, epochs]) => ({ seed, epochs }));
}

/** Handle on the opened database. All methods reject only with PersistenceError. */
export class RunStore {
  constructor(private readonly db: IDBPDatabase<FtleLabDB>) {}

  /** Creates or replaces a run's meta row. */
  saveRunMeta(meta: RunMeta): Promise<void> {
    return guard(`saving run "${meta.name}"`, async () => {
      const tx = this.db.transaction('runs', 'readwrite');
      await settleWithTransaction(async () => {
        await tx.store.put(meta);
      }, tx);
    });
  }

  /**
   * Stores one epoch snapshot as it arrives (replacing an earlier one of the same epoch) and, in
   * the same transaction, raises the run's lastEpoch. Rejects ('other') for an unknown run.
   */
  saveSnapshot(runId: string, snapshot: EpochSnapshot): Promise<void> {
    return guard(`saving epoch ${snapshot.epoch}`, async () => {
      const tx = this.db.transaction(['runs', 'snapshots', 'unanalysed'], 'readwrite');
      await settleWithTransaction(async () => {
        const meta = await tx.objectStore('runs').get(runId);
        if (!meta) throw new PersistenceError('other', `Could not save epoch ${snapshot.epoch}: unknown run "${runId}"`);
        await tx.objectStore('snapshots').put({ runId, epoch: snapshot.epoch, snapshot });
        // The epoch is analysed and stored: it no longer needs its own weights to be analysed again.
        await tx.objectStore('unanalysed').delete([runId, snapshot.epoch]);
        if (snapshot.epoch > meta.lastEpoch) await tx.objectStore('runs').put({ ...meta, lastEpoch: snapshot.epoch });
      }, tx);
    });
  }

  /** Stores one snapshot of background seed `seed` of run `runId` (replacing one of the same epoch). */
  saveSeedSnapshot(runId: string, seed: number, snapshot: EpochSnapshot): Promise<void> {
    return guard(`saving epoch ${snapshot.epoch} of seed ${seed}`, async () => {
      const tx = this.db.transaction('seedSnapshots', 'readwrite');
      await settleWithTransaction(async () => {
        await tx.store.put({ runId, seed, epoch: snapshot.epoch, snapshot });
      }, tx);
    });
  }

  /**
   * Replaces the run's stored weights with the model after `epoch` epochs. With `metrics` (a
   * freshly trained epoch, not analysed yet) the same transaction also records the epoch as
   * unanalysed, so it can be analysed again if its snapshot never arrives.
   */
  saveWeights(runId: string, epoch: number, model: ModelJsonObject, metrics?: EpochMetrics): Promise<void> {
    return guard(`saving the weights of epoch ${epoch}`, async () => {
      const tx = this.db.transaction(['weights', 'unanalysed'], 'readwrite');
      await settleWithTransaction(async () => {
        await tx.objectStore('weights').put({ runId, epoch, model });
        if (metrics) await tx.objectStore('unanalysed').put({ runId, epoch, metrics, model });
      }, tx);
    });
  }

  /**
   * Stores a whole run at once (an imported bundle or model): meta, every snapshot and the
   * weights, in one transaction, so a reload finds all of it or nothing.
   */
  saveWholeRun(
    meta: RunMeta,
    snapshots: EpochSnapshot[],
    model: ModelJsonObject | null,
    weightsEpoch: number,
    seedRuns: SeedRunSnapshots[] = [],
  ): Promise<void> {
    return guard(`saving run "${meta.name}"`, async () => {
      const tx = this.db.transaction(['runs', 'snapshots', 'weights', 'seedSnapshots'], 'readwrite');
      await settleWithTransaction(async () => {
        const last = snapshots.reduce((m, sn) => Math.max(m, sn.epoch), -1);
        await tx.objectStore('runs').put({ ...meta, lastEpoch: Math.max(meta.lastEpoch, last) });
        for (const snapshot of snapshots) await tx.objectStore('snapshots').put({ runId: meta.id, epoch: snapshot.epoch, snapshot });
        if (model) await tx.objectStore('weights').put({ runId: meta.id, epoch: weightsEpoch, model });
        for (const r of seedRuns)
          for (const snapshot of r.epochs)
            await tx.objectStore('seedSnapshots').put({ runId: meta.id, seed: r.seed, epoch: snapshot.epoch, snapshot });
      }, tx);
    });
  }

  /** All runs' meta rows, newest first (ties by id). */
  listRuns(): Promise<RunMeta[]> {
    return guard('listing runs', async () => {
      const all = await this.db.getAll('runs');
      return all.sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    });
  }

  /** One run with its snapshots in increasing epoch order and its weights; null if unknown. */
  loadRun(id: string): Promise<LoadedRun | null> {
    return guard(`loading run ${id}`, async () => {
      const tx = this.db.transaction(['runs', 'snapshots', 'weights', 'unanalysed', 'seedSnapshots'], 'readonly');
      const [meta, rows, weights, unanalysed, seedRows] = await Promise.all([
        tx.objectStore('runs').get(id),
        tx.objectStore('snapshots').getAll(runRange(id)),
        tx.objectStore('weights').get(id),
        tx.objectStore('unanalysed').getAll(runRange(id)),
        tx.objectStore('seedSnapshots').getAll(seedRange(id)),
        tx.done,
      ]);
      if (!meta) return null;
      rows.sort((a, b) => a.epoch - b.epoch);
      const stored = new Set(rows.map((r) => r.epoch));
      return {
        meta,
        snapshots: rows.map((r) => r.snapshot),
        weights: weights ?? null,
        unanalysed: unanalysed.filter((u) => !stored.has(u.epoch)).sort((a, b) => a.epoch - b.epoch),
        seedRuns: groupSeedRows(seedRows),
      };
    });
  }

  /** Deletes a run, its snapshots and its weights in one transaction (no-op for an unknown id). */
  deleteRun(id: string): Promise<void> {
    return guard(`deleting run ${id}`, async () => {
      const tx = this.db.transaction(['runs', 'snapshots', 'weights', 'unanalysed', 'seedSnapshots'], 'readwrite');
      await settleWithTransaction(async () => {
        await Promise.all([
          tx.objectStore('seedSnapshots').delete(seedRange(id)),
          tx.objectStore('runs').delete(id),
          tx.objectStore('snapshots').delete(runRange(id)),
          tx.objectStore('weights').delete(id),
          tx.objectStore('unanalysed').delete(runRange(id)),
        ]);
      }, tx);
    });
  }

  /**
   * Storage used: navigator.storage.estimate() where the browser has it (whole origin, bytes),
   * otherwise the summed JSON length of every stored record (characters, ~bytes).
   */
  estimateUsage(): Promise<StorageUsage> {
    return guard('estimating storage use', async () => {
      const storage = (globalThis as { navigator?: { storage?: { estimate?: () => Promise<{ usage?: number; quota?: number }> } } })
        .navigator?.storage;
      if (typeof storage?.estimate === 'function') {
        const e = await storage.estimate();
        if (typeof e.usage === 'number') return { usage: e.usage, quota: typeof e.quota === 'number' ? e.quota : null, source: 'estimate' };
      }
      let usage = 0;
      for (const name of ['runs', 'snapshots', 'weights', 'unanalysed', 'seedSnapshots'] as const) {
        let cursor = await this.db.transaction(name, 'readonly').store.openCursor();
        while (cursor) {
          usage += JSON.stringify(cursor.value).length;
          cursor = await cursor.continue();
        }
      }
      return { usage, quota: null, source: 'serialized' };
    });
  }

  /** Closes the connection (pending transactions finish first). */
  close(): void {
    this.db.close();
  }
}

/**
 * Runs `work` inside the transaction and waits for it to commit. If `work` fails (synchronously
 * or not) the transaction is aborted, so a half-done write never commits, and tx.done's own
 * rejection is consumed rather than left unhandled; the first error is the one reported.
 */
async function settleWithTransaction(work: () => Promise<void>, tx: { done: Promise<void>; abort(): void }): Promise<void> {
  const done = tx.done.then(
    () => undefined,
    (e: unknown) => e ?? new Error('transaction aborted'),
  );
  try {
    await work();
  } catch (e) {
    try {
      tx.abort();
    } catch {
      // Already finished or aborted: nothing left to undo.
    }
    await done;
    throw e;
  }
  const failure = await done;
  if (failure !== undefined) throw failure;
}

/**
 * Opens (creating or upgrading) the "ftle-lab" database. Rejects with PersistenceError
 * 'unavailable' where IndexedDB is missing or refused (e.g. some private modes).
 * `name` exists for tests, which each use a fresh database.
 */
export async function openRunStore(name: string = DB_NAME): Promise<RunStore> {
  if (typeof indexedDB === 'undefined') {
    throw new PersistenceError('unavailable', 'Browser storage (IndexedDB) is not available; runs are kept in memory only.');
  }
  try {
    const db = await openDB<FtleLabDB>(name, DB_VERSION, {
      upgrade(database, oldVersion) {
        if (oldVersion < 1) {
          database.createObjectStore('runs', { keyPath: 'id' });
          database.createObjectStore('snapshots', { keyPath: ['runId', 'epoch'] });
          database.createObjectStore('weights', { keyPath: 'runId' });
        }
        if (oldVersion < 2) database.createObjectStore('unanalysed', { keyPath: ['runId', 'epoch'] });
        if (oldVersion < 3) database.createObjectStore('seedSnapshots', { keyPath: ['runId', 'seed', 'epoch'] });
      },
      // Another tab wants a newer schema: step aside rather than block it forever.
      blocking() {
        db.close();
      },
    });
    return new RunStore(db);
  } catch (e) {
    const err = toPersistenceError(e, 'opening browser storage');
    // Failing to open at all means storage is unusable here, whatever the browser called it.
    throw err.kind === 'other' ? new PersistenceError('unavailable', err.message, { cause: e }) : err;
  }
}
