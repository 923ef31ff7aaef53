/**
 * The controller: owns the two workers of the current run and turns their events into store
 * updates. Training (trainer worker) and analysis (analyzer worker) are decoupled: the trainer
 * never waits for an epoch's analysis, and the UI thread only routes messages.
 */
import { configFromHash, configToHash, type RunConfig } from '../core/formats/config';
import type { EpochMetrics } from '../core/snapshot';
import { spawnAnalyzer, spawnTrainer, type TypedWorker } from '../worker/client';
import type {
  AnalyzerCommand,
  AnalyzerEvent,
  NamedTensors,
  TrainerCommand,
  TrainerEvent,
} from '../worker/protocol';
import { useRunStore } from './runStore';

interface Workers {
  trainer: TypedWorker<TrainerCommand, TrainerEvent>;
  analyzer: TypedWorker<AnalyzerCommand, AnalyzerEvent>;
}

let workers: Workers | null = null;
/** Probe inputs as fed to the model (sent by the trainer with epoch 0). */
let probeInputs: Float32Array | null = null;
/** Latest weights, kept on the UI side so a crashed worker can be restarted without loss. */
let lastWeights: { epoch: number; weights: NamedTensors } | null = null;
let modelExportResolver: ((json: string) => void) | null = null;

/** Listeners the persistence layer hooks into (kept out of this module to keep it testable). */
export const runEvents = {
  onSnapshot: [] as ((runId: string, epoch: number) => void)[],
  onWeights: [] as ((runId: string, epoch: number, weights: NamedTensors) => void)[],
  onRunStart: [] as ((runId: string, config: RunConfig) => void)[],
};

function newRunId(config: RunConfig): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return `${config.preset}-s${config.seed}-${stamp}`;
}

function dataUrl(): string {
  return new URL('data/mnist-10k.bin', document.baseURI).href;
}

function stopWorkers(): void {
  workers?.trainer.terminate();
  workers?.analyzer.terminate();
  workers = null;
}

/** Reads the URL hash, reports invalid keys, and starts a run with the resulting config. */
export function bootFromHash(): void {
  const { config, issues } = configFromHash(window.location.hash);
  const store = useRunStore.getState();
  store.set({ config, configIssues: issues });
  for (const issue of issues) store.addBanner('error', `URL parameter refused: ${issue.message}`);
  startRun(config);
}

/** Writes a config to the URL hash (without adding history entries) and starts a fresh run. */
export function applyConfig(config: RunConfig): void {
  const hash = configToHash(config);
  if (window.location.hash !== hash) history.replaceState(null, '', hash);
  useRunStore.getState().set({ configIssues: [] });
  startRun(config);
}

/** Starts (or restarts) a run: fresh workers, fresh store state; `resume` continues from weights. */
export function startRun(config: RunConfig, resume?: { epoch: number; weights: NamedTensors }, keepSnapshots = false): void {
  stopWorkers();
  probeInputs = null;
  const store = useRunStore.getState();
  const runId = keepSnapshots && store.runId ? store.runId : newRunId(config);
  store.set({
    runId,
    config,
    status: 'loading',
    progress: { what: 'starting workers', fraction: 0 },
    mode: 'train',
    ...(keepSnapshots ? {} : { epochs: [], pending: {}, batchLosses: [], selectedEpoch: null, trainedEpoch: 0, probe: null }),
  });
  if (!keepSnapshots) lastWeights = null;
  for (const f of runEvents.onRunStart) f(runId, config);
  const trainer = spawnTrainer();
  const analyzer = spawnAnalyzer();
  workers = { trainer, analyzer };
  const mine = workers;
  trainer.onEvent((ev) => {
    if (workers === mine) onTrainerEvent(ev, config);
  });
  analyzer.onEvent((ev) => {
    if (workers === mine) onAnalyzerEvent(ev);
  });
  trainer.onCrash((message) => {
    if (workers !== mine) return;
    useRunStore.getState().set({ status: 'paused' });
    useRunStore.getState().addBanner('error', `The training worker stopped: ${message}. Use "Restart worker" to continue from the last epoch.`);
  });
  analyzer.onCrash((message) => {
    if (workers !== mine) return;
    useRunStore.getState().addBanner('error', `The analysis worker stopped: ${message}. Use "Restart worker" to continue.`);
  });
  trainer.post({ type: 'init', config, dataUrl: dataUrl(), resume });
}

/** Restarts crashed or stuck workers, resuming from the last weights and keeping every snapshot. */
export function restartWorkers(): void {
  const s = useRunStore.getState();
  startRun(s.config, lastWeights ?? undefined, true);
}

function onTrainerEvent(ev: TrainerEvent, config: RunConfig): void {
  const store = useRunStore.getState();
  switch (ev.type) {
    case 'progress':
      store.set({ progress: { what: ev.what, fraction: ev.fraction } });
      break;
    case 'ready':
      store.set({
        backend: ev.backend,
        probe: ev.probe,
        dataSource: ev.dataSource,
        progress: null,
        status: 'ready',
      });
      if (ev.backend.fallbackReason) store.addBanner('info', `Using ${ev.backend.backend}: ${ev.backend.fallbackReason}`);
      break;
    case 'state':
      store.set({ status: ev.done ? 'done' : ev.running ? 'training' : 'paused', trainedEpoch: ev.epoch });
      break;
    case 'batch':
      store.addBatchLoss({ x: ev.epoch - 1 + (ev.step + 1) / ev.stepsPerEpoch, loss: ev.loss });
      break;
    case 'epoch': {
      if (ev.probeInputs) probeInputs = ev.probeInputs;
      lastWeights = { epoch: ev.epoch, weights: ev.weights };
      for (const f of runEvents.onWeights) f(store.runId, ev.epoch, ev.weights);
      store.set({ pending: { ...store.pending, [ev.epoch]: ev.metrics }, trainedEpoch: ev.epoch });
      requestAnalysis(ev.epoch, config, ev.weights);
      break;
    }
    case 'diverged':
      store.set({ status: 'paused' });
      store.addBanner('error', ev.message);
      break;
    case 'contextLost':
      store.set({ backend: ev.backend });
      store.addBanner('warning', ev.message);
      break;
    case 'model':
      modelExportResolver?.(ev.json);
      modelExportResolver = null;
      break;
    case 'error':
      if (ev.fatal) store.set({ status: 'paused', progress: null });
      store.addBanner('error', ev.message);
      break;
  }
}

function requestAnalysis(epoch: number, config: RunConfig, weights: NamedTensors): void {
  const s = useRunStore.getState();
  if (!workers || !probeInputs || !s.probe) return;
  workers.analyzer.post({
    type: 'analyze',
    runId: s.runId,
    epoch,
    config,
    arch: 'rnn',
    weights,
    probe: { inputs: probeInputs, labels: s.probe.labels, T: s.probe.T, D: s.probe.D },
  });
}

function onAnalyzerEvent(ev: AnalyzerEvent): void {
  const store = useRunStore.getState();
  if (ev.runId !== store.runId) return;
  if (ev.type === 'error') {
    store.addBanner('error', `Analysis of epoch ${ev.epoch} failed: ${ev.message}`);
    return;
  }
  const metrics: EpochMetrics | undefined = store.pending[ev.epoch];
  if (!metrics) return;
  store.addSnapshot({ epoch: ev.epoch, metrics: { ...metrics, analysisMs: ev.analysisMs }, ...ev.analysis });
  for (const f of runEvents.onSnapshot) f(store.runId, ev.epoch);
}

export function toggleTraining(): void {
  const s = useRunStore.getState();
  if (!workers) return;
  if (s.status === 'training') workers.trainer.post({ type: 'pause' });
  else workers.trainer.post({ type: 'start' });
}

export function stepEpoch(): void {
  workers?.trainer.post({ type: 'step' });
}

export function resetRun(): void {
  startRun(useRunStore.getState().config);
}

export function loadIdxFiles(files: { name: string; buffer: ArrayBuffer }[]): void {
  workers?.trainer.post({ type: 'loadIdx', files }, files.map((f) => f.buffer));
}

/** Test hook (and a way to rehearse a GPU reset): loses the trainer's WebGL context. */
export function simulateContextLoss(): void {
  workers?.trainer.post({ type: 'loseContext' });
}

/** Asks the trainer for the current model as ftle-lab.model/v1 JSON. */
export function exportModelJson(): Promise<string> {
  return new Promise((resolve, reject) => {
    if (!workers) return reject(new Error('no model is loaded'));
    modelExportResolver = resolve;
    workers.trainer.post({ type: 'exportModel' });
  });
}
