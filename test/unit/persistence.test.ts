import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PersistenceError, openRunStore, toPersistenceError, type RunMeta, type RunStore } from '../../src/app/persistence';
import { createRng } from '../../src/core/rng';
import { makeBundle, makeWeights } from './bundleFixture';

let dbSeq = 0;
const opened: RunStore[] = [];
/** A fresh database per test, so tests cannot see each other's runs. */
async function freshStore(): Promise<RunStore> {
  const s = await openRunStore(`ftle-lab-test-${process.pid}-${dbSeq++}`);
  opened.push(s);
  return s;
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
  while (opened.length) opened.pop()!.close();
});

function metaOf(id: string, created: string, seed = 1): { meta: RunMeta; bundle: ReturnType<typeof makeBundle> } {
  const bundle = makeBundle(seed, { epochs: 3 });
  const meta: RunMeta = {
    id,
    name: `run ${id}`,
    created,
    config: bundle.config,
    status: 'training',
    lastEpoch: -1,
    probe: bundle.probe,
    dataSource: bundle.dataSource,
  };
  return { meta, bundle };
}

describe('IndexedDB persistence (fake-indexeddb)', () => {
  it('round-trips a realistic run: meta, every snapshot (NaN included) in epoch order, weights', async () => {
    const store = await freshStore();
    const { meta, bundle } = metaOf('a', '2025-06-01T10:00:00.000Z');
    await store.saveRunMeta(meta);
    // Snapshots arrive one by one, here out of order (the analysis worker may finish 2 before 1).
    const order = [0, 2, 1, 3];
    for (const e of order) await store.saveSnapshot('a', bundle.epochs[e]);
    await store.saveWeights('a', 1, bundle.weights!);
    await store.saveWeights('a', 3, bundle.weights!);

    const run = await store.loadRun('a');
    expect(run).not.toBeNull();
    expect(run!.meta).toEqual({ ...meta, lastEpoch: 3 });
    expect(run!.snapshots.map((s) => s.epoch)).toEqual([0, 1, 2, 3]);
    expect(run!.snapshots).toEqual(bundle.epochs);
    expect(run!.snapshots[0].metrics.trainLoss).toBeNaN();
    expect(run!.weights).toEqual({ runId: 'a', epoch: 3, model: bundle.weights });

    // Re-saving an epoch replaces it and never lowers lastEpoch.
    const again = { ...bundle.epochs[1], saturation: 0.5 };
    await store.saveSnapshot('a', again);
    const run2 = await store.loadRun('a');
    expect(run2!.snapshots).toHaveLength(4);
    expect(run2!.snapshots[1].saturation).toBe(0.5);
    expect(run2!.meta.lastEpoch).toBe(3);
    expect(await store.loadRun('missing')).toBeNull();
  });

  it('an epoch whose weights are saved but whose snapshot is not comes back as unanalysed, until its snapshot commits', async () => {
    const store = await freshStore();
    const { meta, bundle } = metaOf('u', '2025-06-01T10:00:00.000Z');
    await store.saveRunMeta(meta);
    await store.saveWeights('u', 0, bundle.weights!, bundle.epochs[0].metrics);
    await store.saveSnapshot('u', bundle.epochs[0]);
    // Epochs 1 and 2 trained (weights with metrics), only epoch 1 analysed: a reload here.
    await store.saveWeights('u', 1, bundle.weights!, bundle.epochs[1].metrics);
    await store.saveWeights('u', 2, bundle.weights!, bundle.epochs[2].metrics);
    await store.saveSnapshot('u', bundle.epochs[1]);
    const run = await store.loadRun('u');
    expect(run!.snapshots.map((s) => s.epoch)).toEqual([0, 1]);
    expect(run!.unanalysed.map((u) => u.epoch)).toEqual([2]);
    expect(run!.unanalysed[0].metrics).toEqual(bundle.epochs[2].metrics);
    expect(run!.unanalysed[0].model).toEqual(bundle.weights);
    expect(run!.weights!.epoch).toBe(2);
    // Its snapshot arrives: the record goes in the same transaction.
    await store.saveSnapshot('u', bundle.epochs[2]);
    const after = await store.loadRun('u');
    expect(after!.unanalysed).toEqual([]);
    expect(after!.snapshots.map((s) => s.epoch)).toEqual([0, 1, 2]);
    await store.deleteRun('u');
    expect(await store.loadRun('u')).toBeNull();
  });

  it('saveWholeRun stores an imported bundle at once: meta with its last epoch, every snapshot, the weights', async () => {
    const store = await freshStore();
    const { meta, bundle } = metaOf('r', '2025-06-01T10:00:00.000Z');
    await store.saveWholeRun({ ...meta, status: 'replay' }, bundle.epochs, bundle.weights!, 3);
    const run = await store.loadRun('r');
    expect(run!.meta).toEqual({ ...meta, status: 'replay', lastEpoch: 3 });
    expect(run!.snapshots).toEqual(bundle.epochs);
    expect(run!.weights).toEqual({ runId: 'r', epoch: 3, model: bundle.weights });
    expect(run!.unanalysed).toEqual([]);
  });

  it('lists runs newest first and deletes a run with all its snapshots and weights', async () => {
    const store = await freshStore();
    const runs = [
      metaOf('old', '2025-01-01T00:00:00.000Z', 1),
      metaOf('new', '2025-03-01T00:00:00.000Z', 2),
      metaOf('mid', '2025-02-01T00:00:00.000Z', 3),
    ];
    for (const { meta, bundle } of runs) {
      await store.saveRunMeta(meta);
      for (const s of bundle.epochs) await store.saveSnapshot(meta.id, s);
      await store.saveWeights(meta.id, 3, makeWeights(createRng(9), meta.config));
    }
    expect((await store.listRuns()).map((r) => r.id)).toEqual(['new', 'mid', 'old']);

    await store.deleteRun('mid');
    expect((await store.listRuns()).map((r) => r.id)).toEqual(['new', 'old']);
    expect(await store.loadRun('mid')).toBeNull();
    // Neighbours keep all their data (the [runId, epoch] range deleted only 'mid').
    const old = await store.loadRun('old');
    expect(old!.snapshots).toHaveLength(4);
    expect(old!.weights?.epoch).toBe(3);
    // Deleting an unknown id is a no-op, not an error.
    await store.deleteRun('never-existed');
    expect((await store.listRuns()).map((r) => r.id)).toEqual(['new', 'old']);
  });

  it('estimateUsage: navigator.storage.estimate when present, else the serialised size of the records', async () => {
    const store = await freshStore();
    const empty = await store.estimateUsage();
    expect(empty).toEqual({ usage: 0, quota: null, source: 'serialized' });
    const { meta, bundle } = metaOf('a', '2025-06-01T10:00:00.000Z');
    await store.saveRunMeta(meta);
    for (const s of bundle.epochs) await store.saveSnapshot('a', s);
    const used = await store.estimateUsage();
    // Every snapshot's JSON is counted, plus the meta row and record envelopes.
    const snapshotChars = bundle.epochs.reduce((n, s) => n + JSON.stringify(s).length, 0);
    expect(used.source).toBe('serialized');
    expect(used.usage).toBeGreaterThan(snapshotChars);
    expect(used.usage).toBeLessThan(snapshotChars + 4 * 200 + JSON.stringify({ ...meta, lastEpoch: 3 }).length + 1);

    vi.stubGlobal('navigator', { storage: { estimate: async () => ({ usage: 1234, quota: 99999 }) } });
    expect(await store.estimateUsage()).toEqual({ usage: 1234, quota: 99999, source: 'estimate' });
  });

  it('a QuotaExceededError from put surfaces as PersistenceError kind "quota" and writes nothing', async () => {
    const store = await freshStore();
    const { meta, bundle } = metaOf('a', '2025-06-01T10:00:00.000Z');
    await store.saveRunMeta(meta);
    await store.saveSnapshot('a', bundle.epochs[0]);

    const put = vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(() => {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    });
    const err = await store.saveSnapshot('a', bundle.epochs[1]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PersistenceError);
    expect((err as PersistenceError).kind).toBe('quota');
    expect((err as PersistenceError).message).toMatch(/full/);
    expect(((err as PersistenceError).cause as DOMException).name).toBe('QuotaExceededError');
    await expect(store.saveWeights('a', 1, bundle.weights!)).rejects.toMatchObject({ kind: 'quota' });
    await expect(store.saveRunMeta({ ...meta, status: 'done' })).rejects.toMatchObject({ kind: 'quota' });
    expect(put).toHaveBeenCalled();
    put.mockRestore();

    // The failed transactions committed nothing, and the store still works afterwards.
    const run = await store.loadRun('a');
    expect(run!.snapshots.map((s) => s.epoch)).toEqual([0]);
    expect(run!.meta.status).toBe('training');
    expect(run!.meta.lastEpoch).toBe(0);
    expect(run!.weights).toBeNull();
    await store.saveSnapshot('a', bundle.epochs[1]);
    expect((await store.loadRun('a'))!.meta.lastEpoch).toBe(1);
  });

  it('other failures are typed too: unknown run, closed database, missing IndexedDB', async () => {
    const store = await freshStore();
    const { bundle } = metaOf('a', '2025-06-01T10:00:00.000Z');
    await expect(store.saveSnapshot('nope', bundle.epochs[0])).rejects.toMatchObject({ name: 'PersistenceError', kind: 'other' });
    expect(await store.loadRun('nope')).toBeNull();

    store.close();
    await expect(store.listRuns()).rejects.toMatchObject({ kind: 'unavailable' });
    await expect(store.saveRunMeta(metaOf('b', '2025-01-01T00:00:00.000Z').meta)).rejects.toBeInstanceOf(PersistenceError);

    vi.stubGlobal('indexedDB', undefined);
    await expect(openRunStore('x')).rejects.toMatchObject({ kind: 'unavailable' });
  });

  it('classifies browser error names', () => {
    expect(toPersistenceError(new DOMException('x', 'QuotaExceededError'), 'saving').kind).toBe('quota');
    expect(toPersistenceError({ name: 'NS_ERROR_DOM_QUOTA_REACHED' }, 'saving').kind).toBe('quota');
    expect(toPersistenceError(new DOMException('x', 'InvalidStateError'), 'saving').kind).toBe('unavailable');
    expect(toPersistenceError(new DOMException('x', 'DataCloneError'), 'saving').kind).toBe('other');
    expect(toPersistenceError('weird', 'saving').kind).toBe('other');
    expect(toPersistenceError(null, 'saving').kind).toBe('other');
  });
});
