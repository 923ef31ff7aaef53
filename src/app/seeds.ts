/**
 * Orchestration of a several-seed run (config `seeds` > 1): the main run (seed_0) trains in the
 * training worker as always; once it trains (or is done), the seeds worker trains and analyses
 * the other seeds one after another and their snapshots go into the store's `seedRuns`. A new run
 * or an import stops it; a moved epoch target queues the seeds again (they retrain from epoch 0,
 * which reproduces the snapshots they had: training is seeded). Pausing the main run pauses them
 * before their next batch; training on (or the run finishing) lets them go on.
 */
import type { EpochSnapshot } from '../core/snapshot';
import { useRunStore, type RunState } from '../store/runStore';
import { spawnSeedsWorker, type TypedWorker } from '../worker/client';
import type { SeedsCommand, SeedsEvent } from '../worker/seedsProtocol';
import { dataUrl, runDataset, runEvents } from './controller';
import { seedRunsFor, seedsToTrain } from './seedPlan';

/** Listeners of the background seeds (persistence saves each snapshot as it arrives). */
export const seedEvents = {
  onSeedSnapshot: [] as ((runId: string, seed: number, snapshot: EpochSnapshot) => void)[],
};

let worker: TypedWorker<SeedsCommand, SeedsEvent> | null = null;
/** Whether the seeds worker was told to pause (the main run is paused). */
let paused = false;
/** The run the seeds worker trains for. */
let workerRun: string | null = null;
/** Seeds of the worker's command not yet ended. */
let remaining: number[] = [];

function stopSeeds(): void {
  worker?.terminate();
  worker = null;
  paused = false;
  workerRun = null;
  remaining = [];
}

/**
 * The seeds pause with the main run: paused (or pausing) holds the seeds worker before its next
 * batch, training or done lets it go on. A teacher who pauses gets the machine back.
 */
function followPause(s: RunState): void {
  if (!worker) return;
  const hold = s.status === 'paused' || s.status === 'pausing';
  if (hold === paused) return;
  paused = hold;
  worker.post({ type: hold ? 'pause' : 'resume' });
}

/** Starts the seeds worker when the run trains (or is done) and some seed is queued. */
function maybeStart(s: RunState): void {
  if (worker || s.mode !== 'train' || s.config.seeds < 2) return;
  if (s.status !== 'training' && s.status !== 'done') return;
  const seeds = seedsToTrain(s.seedRuns);
  if (seeds.length === 0) return;
  const runId = s.runId;
  const w = spawnSeedsWorker();
  worker = w;
  workerRun = runId;
  remaining = seeds.slice();
  const finish = (seed: number) => {
    remaining = remaining.filter((x) => x !== seed);
    if (remaining.length === 0 && worker === w) stopSeeds();
  };
  w.onEvent((ev) => {
    const store = useRunStore.getState();
    if (worker !== w || ev.runId !== store.runId) return;
    switch (ev.type) {
      case 'seedStart':
        store.patchSeedRun(ev.seed, { status: 'running', progress: { what: 'starting', fraction: 0 } });
        break;
      case 'progress':
        store.patchSeedRun(ev.seed, { progress: { what: ev.what, fraction: ev.fraction } });
        break;
      case 'snapshot':
        store.addSeedSnapshot(ev.seed, ev.snapshot);
        for (const f of seedEvents.onSeedSnapshot) f(ev.runId, ev.seed, ev.snapshot);
        break;
      case 'seedEnd':
        store.patchSeedRun(ev.seed, {
          status: ev.outcome === 'done' ? 'done' : ev.outcome === 'diverged' ? 'failed' : 'stopped',
          progress: null,
          ...(ev.message ? { message: ev.message } : {}),
        });
        if (ev.outcome === 'diverged') store.addBanner('warning', `Background seed ${ev.seed}: ${ev.message ?? 'training diverged'}`);
        finish(ev.seed);
        break;
      case 'error':
        if (ev.seed === null) {
          for (const seed of remaining) store.patchSeedRun(seed, { status: 'failed', progress: null, message: ev.message });
          store.addBanner('error', `The background seeds could not start: ${ev.message}`);
          stopSeeds();
        } else {
          store.patchSeedRun(ev.seed, { status: 'failed', progress: null, message: ev.message });
          store.addBanner('error', `Background seed ${ev.seed} failed: ${ev.message}`);
          finish(ev.seed);
        }
        break;
    }
  });
  w.onCrash((message) => {
    if (worker !== w) return;
    const store = useRunStore.getState();
    // Unfinished seeds go back in the queue; the worker starts again when the run next trains.
    for (const seed of remaining) store.patchSeedRun(seed, { status: 'queued', progress: null });
    stopSeeds();
    store.addBanner(
      'warning',
      `The background seeds worker stopped (${message}); it resumes with the unfinished seeds when training runs again.`,
    );
  });
  w.post({ type: 'run', runId, config: s.config, seeds, dataUrl: dataUrl(), ...(runDataset() ? { dataset: runDataset()! } : {}) });
}

/** Hooks the background seeds into the controller's run events and the store. Call once at start-up. */
export function installSeeds(): void {
  runEvents.onRunStart.push((runId, config, restored) => {
    // Restarted workers of the same run: the seeds go on where they are.
    if (workerRun === runId) return;
    stopSeeds();
    const s = useRunStore.getState();
    // A restored run brings its seeds' snapshots into the store before it starts (persistRun.ts).
    s.set({ seedRuns: seedRunsFor(config, restored ? s.seedRuns : []) });
  });
  runEvents.onImport.push((_runId, kind) => {
    stopSeeds();
    // A replayed bundle brings its own seeds (files.ts); an imported model is one network.
    if (kind === 'model') useRunStore.getState().set({ seedRuns: [] });
  });
  runEvents.onConfigChange.push((_runId, config) => {
    stopSeeds();
    const s = useRunStore.getState();
    s.set({ seedRuns: seedRunsFor(config, s.seedRuns) });
  });
  useRunStore.subscribe((s) => {
    maybeStart(s);
    followPause(s);
  });
}
