/**
 * src/app/seeds.ts with a stand-in seeds worker: it starts when the run trains (not before), asks
 * for seed_1..seed_{S-1}, routes snapshots into the store's seedRuns, ends when every seed has,
 * and a new run stops it and starts its seeds afresh.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { SeedsCommand, SeedsEvent } from '../../src/worker/seedsProtocol';
import { PRESET_CONFIGS } from '../../src/core/formats/config';
import { createRng } from '../../src/core/rng';
import { makeSnapshot } from './bundleFixture';

interface FakeWorker {
  posted: SeedsCommand[];
  emit: (ev: SeedsEvent) => void;
  terminated: boolean;
}
const workers: FakeWorker[] = [];

vi.mock('../../src/worker/client', () => ({
  spawnSeedsWorker: () => {
    let handler: (ev: SeedsEvent) => void = () => {};
    const w: FakeWorker = { posted: [], emit: (ev) => handler(ev), terminated: false };
    workers.push(w);
    return {
      post: (cmd: SeedsCommand) => w.posted.push(cmd),
      onEvent: (h: (ev: SeedsEvent) => void) => {
        handler = h;
      },
      onCrash: () => {},
      terminate: () => {
        w.terminated = true;
      },
    };
  },
}));
vi.mock('../../src/app/controller', () => ({
  runEvents: { onRunStart: [], onImport: [], onConfigChange: [] },
  dataUrl: () => 'http://app/data/mnist-10k.bin',
  runDataset: () => null,
}));

const { installSeeds, seedEvents } = await import('../../src/app/seeds');
const { runEvents } = await import('../../src/app/controller');
const { useRunStore } = await import('../../src/store/runStore');

const config = { ...PRESET_CONFIGS.quick, hidden: 8, k: 4, probes: 3, seed: 20, seeds: 3, epochs: 1 };
const rng = createRng(5);

/** What the controller does when a run starts: store first, then the run-start listeners. */
function startRun(runId: string, restored = false) {
  useRunStore.getState().set({ runId, config, mode: 'train', status: 'loading' });
  for (const f of runEvents.onRunStart) f(runId, config, restored);
}

beforeAll(() => installSeeds());

describe('background seeds orchestration', () => {
  it('starts on training, routes snapshots, ends when every seed is done', () => {
    const saved: [string, number, number][] = [];
    seedEvents.onSeedSnapshot.push((runId, seed, s) => saved.push([runId, seed, s.epoch]));
    startRun('run-a');
    expect(useRunStore.getState().seedRuns.map((r) => [r.seed, r.status])).toEqual([
      [21, 'queued'],
      [22, 'queued'],
    ]);
    useRunStore.getState().set({ status: 'ready' });
    expect(workers).toHaveLength(0);
    useRunStore.getState().set({ status: 'training' });
    expect(workers).toHaveLength(1);
    const w = workers[0];
    expect(w.posted).toHaveLength(1);
    expect(w.posted[0]).toMatchObject({ type: 'run', runId: 'run-a', seeds: [21, 22], dataUrl: 'http://app/data/mnist-10k.bin' });
    // Another store change while it runs starts nothing more.
    useRunStore.getState().set({ status: 'training', trainedEpoch: 1 });
    expect(workers).toHaveLength(1);

    w.emit({ type: 'seedStart', runId: 'run-a', seed: 21, engine: 'fast-wasm' });
    expect(useRunStore.getState().seedRuns[0].status).toBe('running');
    for (const e of [0, 1]) w.emit({ type: 'snapshot', runId: 'run-a', seed: 21, snapshot: makeSnapshot(rng, config, 3, e) });
    // An event of another run is ignored.
    w.emit({ type: 'snapshot', runId: 'old', seed: 22, snapshot: makeSnapshot(rng, config, 3, 0) });
    w.emit({ type: 'seedEnd', runId: 'run-a', seed: 21, outcome: 'done' });
    let runs = useRunStore.getState().seedRuns;
    expect(runs.map((r) => [r.seed, r.status, r.epochs.map((s) => s.epoch)])).toEqual([
      [21, 'done', [0, 1]],
      [22, 'queued', []],
    ]);
    expect(saved).toEqual([
      ['run-a', 21, 0],
      ['run-a', 21, 1],
    ]);
    expect(w.terminated).toBe(false);
    w.emit({ type: 'seedEnd', runId: 'run-a', seed: 22, outcome: 'diverged', message: 'NaN' });
    runs = useRunStore.getState().seedRuns;
    expect(runs[1]).toMatchObject({ status: 'failed', message: 'NaN' });
    expect(w.terminated).toBe(true);
    // Nothing is queued any more: training on starts no worker.
    useRunStore.getState().set({ status: 'done' });
    expect(workers).toHaveLength(1);
  });

  it('restarted workers of the same run keep the seeds; a new run stops them and starts afresh', () => {
    startRun('run-b');
    useRunStore.getState().set({ status: 'training' });
    const w = workers[workers.length - 1];
    expect(w.posted[0]).toMatchObject({ type: 'run', seeds: [21, 22] });
    w.emit({ type: 'snapshot', runId: 'run-b', seed: 21, snapshot: makeSnapshot(rng, config, 3, 0) });
    startRun('run-b', true);
    expect(w.terminated).toBe(false);
    expect(useRunStore.getState().seedRuns[0].epochs).toHaveLength(1);
    startRun('run-c');
    expect(w.terminated).toBe(true);
    expect(useRunStore.getState().seedRuns.every((r) => r.epochs.length === 0 && r.status === 'queued')).toBe(true);
  });

  it('the seeds pause with the main run and go on with it', () => {
    startRun('run-d');
    useRunStore.getState().set({ status: 'training' });
    const w = workers[workers.length - 1];
    const kinds = () => w.posted.map((c) => c.type);
    expect(kinds()).toEqual(['run']);
    useRunStore.getState().set({ status: 'pausing' });
    useRunStore.getState().set({ status: 'paused' });
    expect(kinds()).toEqual(['run', 'pause']);
    useRunStore.getState().set({ status: 'training' });
    expect(kinds()).toEqual(['run', 'pause', 'resume']);
    // A run that finishes lets them go on too; another change sends nothing.
    useRunStore.getState().set({ status: 'paused' });
    useRunStore.getState().set({ status: 'done' });
    useRunStore.getState().set({ status: 'done', trainedEpoch: 1 });
    expect(kinds()).toEqual(['run', 'pause', 'resume', 'pause', 'resume']);
  });
});
