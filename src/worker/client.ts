/**
 * Spawns the training worker and the analysis worker pool with typed post/receive. Vite bundles
 * each worker from the `new URL(..., import.meta.url)` pattern.
 */
import type {
  AnalysisPartCommand,
  AnalysisPartEvent,
  AnalyzerCommand,
  AnalyzerEvent,
  TrainerCommand,
  TrainerEvent,
  TypedWorker,
} from './protocol';
import type { SeedsCommand, SeedsEvent } from './seedsProtocol';
import { analysisPoolSize, createAnalysisPool, type AnalysisPool, type PoolWorker } from './analysisPool';

export type { TypedWorker } from './protocol';

function wrap<Cmd, Ev>(worker: Worker): TypedWorker<Cmd, Ev> {
  return {
    post: (cmd, transfer) => worker.postMessage(cmd, transfer ?? []),
    onEvent: (handler) => {
      worker.onmessage = (e: MessageEvent<Ev>) => handler(e.data);
    },
    onCrash: (handler) => {
      worker.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        handler(e.message || 'the worker stopped with an unknown error');
      };
      worker.onmessageerror = () => handler('a message from the worker could not be decoded');
    },
    terminate: () => worker.terminate(),
  };
}

/**
 * Threads the training worker trains on now (0 unless its last 'state' said running; W for the
 * hand-written engine on `threads=W`, from its 'ready' / engine events): the analysis pool leaves
 * them their cores. Listeners are told on every change.
 */
let trainingNow = false;
let trainerThreads = 1;
const trainingListeners = new Set<() => void>();
const trainingThreads = () => (trainingNow ? trainerThreads : 0);
function setTraining(running: boolean, threads = trainerThreads): void {
  if (running === trainingNow && threads === trainerThreads) return;
  trainingNow = running;
  trainerThreads = threads;
  for (const f of trainingListeners) f();
}

export function spawnTrainer(): TypedWorker<TrainerCommand, TrainerEvent> {
  const w = wrap<TrainerCommand, TrainerEvent>(
    new Worker(new URL('./training.worker.ts', import.meta.url), { type: 'module', name: 'ftle-trainer' }),
  );
  return {
    ...w,
    onEvent: (handler) =>
      w.onEvent((ev) => {
        if (ev.type === 'state') setTraining(ev.state === 'training' || ev.state === 'pausing');
        if (ev.type === 'ready' || ev.type === 'engineChanged' || ev.type === 'contextLost')
          setTraining(trainingNow, Math.max(1, ev.engineInfo.threads ?? 1));
        handler(ev);
      }),
    terminate: () => {
      setTraining(false);
      w.terminate();
    },
  };
}

/** Logical cores the browser reports (2 when it does not say). */
const cores = (): number => (typeof navigator !== 'undefined' && navigator.hardwareConcurrency) || 2;

/** Starts the app's analysis workers (analysis.worker.ts) one at a time, as a pool wants them; the bench page's pool too. */
export function analysisWorkerSpawner(): () => PoolWorker {
  let n = 0;
  return () => {
    const w = new Worker(new URL('./analysis.worker.ts', import.meta.url), { type: 'module', name: `ftle-analyzer-${n++}` });
    const t = wrap<AnalyzerCommand | AnalysisPartCommand, AnalyzerEvent | AnalysisPartEvent>(w);
    return { post: (cmd) => t.post(cmd), onMessage: t.onEvent, onCrash: t.onCrash, terminate: t.terminate };
  };
}

/**
 * The analyzer: a pool of analysis workers (analysisPool.ts) of analysisPoolSize(cores,
 * training threads) workers, resized whenever training starts or stops or changes threads. Same interface and events as
 * one analysis worker; the numbers do not depend on the size.
 */
export function spawnAnalyzer(): AnalysisPool {
  const pool = createAnalysisPool(analysisWorkerSpawner(), analysisPoolSize(cores(), trainingThreads()));
  const resize = () => pool.resize(analysisPoolSize(cores(), trainingThreads()));
  trainingListeners.add(resize);
  return {
    ...pool,
    get size() {
      return pool.size;
    },
    terminate: () => {
      trainingListeners.delete(resize);
      pool.terminate();
    },
  };
}

/** The seeds worker (seeds.worker.ts): a several-seed run's background seeds, one after another. */
export function spawnSeedsWorker(): TypedWorker<SeedsCommand, SeedsEvent> {
  return wrap<SeedsCommand, SeedsEvent>(new Worker(new URL('./seeds.worker.ts', import.meta.url), { type: 'module', name: 'ftle-seeds' }));
}
