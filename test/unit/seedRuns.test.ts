import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { openRunStore, type RunMeta } from '../../src/app/persistence';
import { seedRunComplete, seedRunsFor, seedsToTrain } from '../../src/app/seedPlan';
import { PRESET_CONFIGS } from '../../src/core/formats/config';
import { createRng } from '../../src/core/rng';
import { useRunStore, type SeedRun } from '../../src/store/runStore';
import { makeBundle, makeSnapshot } from './bundleFixture';

const config = { ...PRESET_CONFIGS.quick, hidden: 8, k: 4, probes: 3, seed: 10, seeds: 4, epochs: 2 };
const rng = createRng(3);
const snap = (epoch: number) => makeSnapshot(rng, config, 3, epoch);

describe('background seed plan', () => {
  it('lists seed_1..seed_{S-1} queued, and none for one seed', () => {
    const runs = seedRunsFor(config);
    expect(runs.map((r) => r.seed)).toEqual([11, 12, 13]);
    expect(runs.every((r) => r.status === 'queued' && r.epochs.length === 0)).toBe(true);
    expect(seedsToTrain(runs)).toEqual([11, 12, 13]);
    expect(seedRunsFor({ ...config, seeds: 1 })).toEqual([]);
  });

  it('keeps held snapshots: a seed with the last epoch is done, a diverged one stays failed, others train again', () => {
    const held: SeedRun[] = [
      { seed: 11, epochs: [snap(0), snap(1), snap(2)], status: 'done', progress: null },
      { seed: 12, epochs: [snap(0)], status: 'failed', progress: null, message: 'diverged' },
      { seed: 13, epochs: [snap(0), snap(1)], status: 'running', progress: { what: 'x', fraction: 0.5 } },
      { seed: 99, epochs: [snap(0)], status: 'done', progress: null },
    ];
    const runs = seedRunsFor(config, held);
    expect(runs.map((r) => [r.seed, r.status, r.epochs.length])).toEqual([
      [11, 'done', 3],
      [12, 'failed', 1],
      [13, 'queued', 2],
    ]);
    expect(runs[1].message).toBe('diverged');
    expect(seedsToTrain(runs)).toEqual([13]);
    // "Train N more epochs": a seed done at 2 epochs is queued for 3.
    expect(seedsToTrain(seedRunsFor({ ...config, epochs: 3 }, held))).toEqual([11, 13]);
    expect(seedRunComplete(runs[0], { epochs: 3 })).toBe(false);
  });
});

describe('store: seed runs', () => {
  it('adds snapshots per seed in epoch order, replacing the same epoch, ignoring unknown seeds', () => {
    const s = useRunStore.getState();
    s.set({ seedRuns: seedRunsFor(config) });
    const [a, b, a2] = [snap(1), snap(0), snap(1)];
    s.addSeedSnapshot(12, a);
    s.addSeedSnapshot(12, b);
    s.addSeedSnapshot(12, a2);
    s.addSeedSnapshot(77, a);
    s.patchSeedRun(12, { status: 'running' });
    const runs = useRunStore.getState().seedRuns;
    expect(runs.find((r) => r.seed === 12)!.epochs).toEqual([b, a2]);
    expect(runs.find((r) => r.seed === 12)!.status).toBe('running');
    expect(runs.filter((r) => r.seed !== 12).every((r) => r.epochs.length === 0 && r.status === 'queued')).toBe(true);
    expect(runs.some((r) => r.seed === 77)).toBe(false);
  });
});

describe('IndexedDB: seed snapshots', () => {
  const meta = (id: string): RunMeta => ({ id, name: id, created: '2025-06-01T10:00:00.000Z', config, status: 'training', lastEpoch: -1 });

  it('saves each seed snapshot, loads them grouped by seed, and deletes them with the run', async () => {
    const store = await openRunStore(`seeds-${process.pid}-a`);
    await store.saveRunMeta(meta('r'));
    await store.saveRunMeta(meta('r2'));
    const s = [snap(0), snap(1), snap(0)];
    await store.saveSeedSnapshot('r', 12, s[1]);
    await store.saveSeedSnapshot('r', 11, s[2]);
    await store.saveSeedSnapshot('r', 12, s[0]);
    await store.saveSeedSnapshot('r2', 11, s[0]);
    const loaded = await store.loadRun('r');
    expect(loaded!.seedRuns).toEqual([
      { seed: 11, epochs: [s[2]] },
      { seed: 12, epochs: [s[0], s[1]] },
    ]);
    await store.deleteRun('r');
    const again = await openRunStore(`seeds-${process.pid}-a`);
    expect(await again.loadRun('r')).toBeNull();
    expect((await again.loadRun('r2'))!.seedRuns).toEqual([{ seed: 11, epochs: [s[0]] }]);
    store.close();
    again.close();
  });

  it('stores a replayed several-seed bundle whole, seeds included', async () => {
    const store = await openRunStore(`seeds-${process.pid}-b`);
    const b = makeBundle(4, { config: { seed: 10, seeds: 2 } });
    await store.saveWholeRun({ ...meta('rep'), status: 'replay' }, b.epochs, null, 0, [{ seed: 11, epochs: [b.epochs[0]] }]);
    expect((await store.loadRun('rep'))!.seedRuns).toEqual([{ seed: 11, epochs: [b.epochs[0]] }]);
    store.close();
  });

  it('upgrades a version-2 database: its runs load with no seed runs', async () => {
    const name = `seeds-${process.pid}-v2`;
    const v2 = await openDB(name, 2, {
      upgrade(db) {
        db.createObjectStore('runs', { keyPath: 'id' });
        db.createObjectStore('snapshots', { keyPath: ['runId', 'epoch'] });
        db.createObjectStore('weights', { keyPath: 'runId' });
        db.createObjectStore('unanalysed', { keyPath: ['runId', 'epoch'] });
      },
    });
    const { seeds: _, ...oldConfig } = config;
    await v2.put('runs', { ...meta('old'), config: oldConfig });
    await v2.put('snapshots', { runId: 'old', epoch: 0, snapshot: snap(0) });
    v2.close();
    const store = await openRunStore(name);
    const loaded = await store.loadRun('old');
    expect(loaded!.snapshots.map((x) => x.epoch)).toEqual([0]);
    expect(loaded!.seedRuns).toEqual([]);
    store.close();
  });
});
