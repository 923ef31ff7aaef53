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
import { viewFromHash } from './viewHash';
import type { ModelWeights } from '../core/formats/model';
import type { ProbeInfo } from '../data/probeInfo';
import { datasetFromNamedIdxFiles } from '../data/idx';
import type { MnistDataset } from '../data/mnistAsset';

interface Workers {
  /** null when an imported model is analysed (nothing to train). */
  trainer: TypedWorker<TrainerCommand, TrainerEvent> | null;
  analyzer: TypedWorker<AnalyzerCommand, AnalyzerEvent>;
}

let workers: Workers | null = null;
/** Probe inputs as fed to the model (sent by the trainer when it is ready). */
let probeInputs: Float32Array | null = null;
/** Latest weights, kept on the UI side so a crashed worker can be restarted without loss. */
let lastWeights: { epoch: number; weights: NamedTensors } | null = null;
let modelExportResolver: ((json: string) => void) | null = null;
/** The user's IDX digits of the current run (kept so a restarted worker trains on the same data). */
let ownDataset: MnistDataset | null = null;

/** Listeners the persistence layer hooks into (kept out of this module to keep it testable). */
export const runEvents = {
  onSnapshot: [] as ((runId: string, epoch: number) => void)[],
  onWeights: [] as ((runId: string, epoch: number, weights: NamedTensors) => void)[],
  /** `restored`: the run continues a stored one (same id, snapshots kept). */
  onRunStart: [] as ((runId: string, config: RunConfig, restored: boolean) => void)[],
};

function newRunId(config: RunConfig): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return `${config.preset}-s${config.seed}-${stamp}`;
}

function dataUrl(): string {
  return new URL('data/mnist-10k.bin', document.baseURI).href;
}

function stopWorkers(): void {
  workers?.trainer?.terminate();
  workers?.analyzer.terminate();
  workers = null;
  useRunStore.getState().set({ analysing: null });
}

/** Reads the URL hash into the store (config and view), reports invalid keys, returns the config. */
export function bootFromHash(): RunConfig {
  const { config, issues } = configFromHash(window.location.hash);
  const store = useRunStore.getState();
  // 'loading' until a trainer is started (after the stored-run lookup): Start must not be clickable
  // before there is a worker to receive it.
  store.set({ config, configIssues: issues, status: 'loading', progress: { what: 'opening saved runs', fraction: 0 } });
  for (const issue of issues) store.addBanner('error', `URL parameter refused: ${issue.message}`);
  const { view, issues: viewIssues } = viewFromHash(window.location.hash, config);
  for (const issue of viewIssues) store.addBanner('error', `URL parameter refused: ${issue.message}`);
  store.set(view);
  return config;
}

/** Stops both workers (e.g. before replaying a bundle). Snapshots stay in the store. */
export function stopRun(): void {
  stopWorkers();
  probeInputs = null;
}

/**
 * Analyses an imported model (any arch) on the given probe inputs [B*T*D] without training:
 * one analysis pass whose snapshot is "epoch 0" of a model-only run.
 */
export function analyzeImportedModel(
  weights: ModelWeights,
  raw: Record<string, unknown>,
  probe: ProbeInfo,
  inputs: Float64Array,
  config: RunConfig,
): void {
  stopWorkers();
  const store = useRunStore.getState();
  const runId = `model-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  store.set({
    runId,
    config,
    mode: 'model',
    status: 'done',
    progress: { what: 'analysing the imported model', fraction: 0 },
    probe,
    dataSource: 'bundled-mnist-10k',
    epochs: [],
    pending: { 0: { trainLoss: NaN, trainAcc: NaN, testLoss: NaN, testAcc: NaN, msPerStep: NaN, epochMs: 0, analysisMs: NaN, numTensors: 0 } },
    batchLosses: [],
    trainedEpoch: 0,
    selectedEpoch: null,
    importedModel: raw,
    importedWeights: weights,
    backend: null,
  });
  const analyzer = spawnAnalyzer();
  workers = { trainer: null, analyzer };
  const mine = workers;
  analyzer.onEvent((ev) => {
    if (workers !== mine) return;
    if (ev.type === 'analysis') {
      // No test split was run: the imported model's loss and accuracy are those of the probe set.
      const flip = ev.analysis.flip;
      const s = useRunStore.getState();
      if (flip) {
        const acc = flip.softmaxOrig.filter((p, b) => p.indexOf(Math.max(...p)) === probe.labels[b]).length / flip.softmaxOrig.length;
        const loss = flip.baseLoss.reduce((a, b) => a + b, 0) / flip.baseLoss.length;
        s.set({ pending: { 0: { ...s.pending[0], testLoss: loss, testAcc: acc } } });
      }
      useRunStore.getState().set({ progress: null });
    }
    onAnalyzerEvent(ev);
  });
  analyzer.onCrash((message) => useRunStore.getState().addBanner('error', `The analysis worker stopped: ${message}.`));
  const tensors: Record<string, { shape: number[]; data: Float64Array }> = {};
  for (const [name, data] of Object.entries(weights.tensors)) {
    const t = (raw.tensors as Record<string, { shape: number[] }>)[name];
    tensors[name] = { shape: t.shape, data };
  }
  analyzer.post({
    type: 'analyze',
    runId,
    epoch: 0,
    config,
    arch: weights.arch,
    weights: tensors,
    probe: { inputs, labels: probe.labels, T: probe.T, D: probe.D },
  });
}

/** Writes a config to the URL hash (without adding history entries) and starts a fresh run. */
export function applyConfig(config: RunConfig): void {
  const hash = configToHash(config);
  if (window.location.hash !== hash) history.replaceState(null, '', hash);
  useRunStore.getState().set({ configIssues: [] });
  startRun(config);
}

/** Starts (or restarts) a run: fresh workers, fresh store state; `resume` continues from weights. */
export function startRun(config: RunConfig, resume?: { epoch: number; weights: NamedTensors }, keepSnapshots = false, dataset?: MnistDataset): void {
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
  for (const f of runEvents.onRunStart) f(runId, config, keepSnapshots);
  const trainer = spawnTrainer();
  const analyzer = spawnAnalyzer();
  workers = { trainer, analyzer };
  store.set({ importedModel: null, importedWeights: null });
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
  if (dataset) ownDataset = dataset;
  else if (!keepSnapshots) ownDataset = null;
  const data = ownDataset ?? undefined;
  trainer.post({ type: 'init', config, dataUrl: dataUrl(), resume, dataset: data });
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
      probeInputs = ev.probeInputs;
      store.set({
        backend: ev.backend,
        probe: ev.probe,
        dataSource: ev.dataSource,
        progress: null,
        status: 'ready',
      });
      if (ev.backend.fallbackReason) store.addBanner('info', `Using ${ev.backend.engine}: ${ev.backend.fallbackReason}`);
      break;
    case 'state':
      store.set({ status: ev.done ? 'done' : ev.running ? 'training' : 'paused', trainedEpoch: ev.epoch });
      break;
    case 'batch':
      store.addBatchLoss({ x: ev.epoch - 1 + (ev.step + 1) / ev.stepsPerEpoch, loss: ev.loss });
      break;
    case 'epoch': {
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
    case 'engineChanged':
      store.set({ backend: ev.backend });
      store.addBanner('info', ev.message);
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
    arch: config.cell,
    weights,
    probe: { inputs: probeInputs, labels: s.probe.labels, T: s.probe.T, D: s.probe.D },
  });
}

function onAnalyzerEvent(ev: AnalyzerEvent): void {
  const store = useRunStore.getState();
  if (ev.runId !== store.runId) return;
  if (ev.type === 'progress') {
    store.set({ analysing: { epoch: ev.epoch, phase: ev.phase, fraction: ev.fraction } });
    return;
  }
  if (store.analysing?.epoch === ev.epoch) store.set({ analysing: null });
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
  if (s.status === 'training') workers.trainer?.post({ type: 'pause' });
  else workers.trainer?.post({ type: 'start' });
}

export function stepEpoch(): void {
  workers?.trainer?.post({ type: 'step' });
}

export function resetRun(): void {
  startRun(useRunStore.getState().config);
}

/**
 * Trains on the user's own IDX files. They are parsed and validated here first: a bad file gets a
 * message naming the problem and the current run is left untouched; good files start a new run.
 */
export async function loadIdxFiles(files: { name: string; buffer: ArrayBuffer }[]): Promise<void> {
  const store = useRunStore.getState();
  let dataset: MnistDataset;
  try {
    dataset = await datasetFromNamedIdxFiles(files);
  } catch (e) {
    store.addBanner('error', `Could not load the IDX files: ${(e as Error).message}. Nothing was changed.`);
    return;
  }
  startRun(store.config, undefined, false, dataset);
}

/** Test hook (and a way to rehearse a GPU reset): loses the trainer's WebGL context. */
export function simulateContextLoss(): void {
  workers?.trainer?.post({ type: 'loseContext' });
}

/** Rehearsal of a diverging run: a NaN goes into W_hh, so the next batch's loss is NaN. */
export function simulateDivergence(): void {
  workers?.trainer?.post({ type: 'poison' });
}

/** Rehearsal of a worker fault: the training worker throws an uncaught exception. */
export function simulateWorkerCrash(): void {
  workers?.trainer?.post({ type: 'crash' });
}

/** Asks the trainer for the current model as ftle-lab.model/v1 JSON. */
export function exportModelJson(): Promise<string> {
  return new Promise((resolve, reject) => {
    if (!workers?.trainer) return reject(new Error('no model is being trained'));
    modelExportResolver = resolve;
    workers.trainer.post({ type: 'exportModel' });
  });
}
