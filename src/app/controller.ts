/**
 * The controller: owns the two workers of the current run and turns their events into store
 * updates. Training (trainer worker) and analysis (analyzer worker) are decoupled: the trainer
 * never waits for an epoch's analysis, and the UI thread only routes messages.
 */
import { configFromHash, configToHash, type ConfigIssue, type RunConfig } from '../core/formats/config';
import type { EpochMetrics } from '../core/snapshot';
import { spawnAnalyzer, spawnTrainer, type TypedWorker } from '../worker/client';
import type { AnalyzerCommand, AnalyzerEvent, NamedTensors, TrainerCommand, TrainerEvent } from '../worker/protocol';
import { useRunStore } from '../store/runStore';
import { viewFromHash, type ViewState } from '../store/viewHash';
import type { ModelWeights } from '../core/formats/model';
import type { ProbeInfo } from '../data/probeInfo';
import { datasetFromNamedIdxFiles } from '../data/idx';
import type { MnistDataset } from '../data/mnistAsset';
import type { EpochSnapshot } from '../core/snapshot';
import { controlsFor, plural, transition } from '../worker/lifecycle';

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
/**
 * Epochs trained (weights in hand) whose snapshot has not arrived: re-sent to a restarted analysis
 * worker, so an epoch is never lost between training and analysis. Cleared as snapshots arrive.
 */
let awaitingAnalysis = new Map<number, AnalyzeCommand>();
type AnalyzeCommand = Extract<AnalyzerCommand, { type: 'analyze' }>;
/** A Pause was clicked and the worker has not yet answered it: keep showing 'pausing'. */
let pauseRequested = false;
/** `autostart=1`: press Start once, as soon as the run can train. */
let autostartPending = false;
let modelExportResolver: ((json: string) => void) | null = null;
/** The user's IDX digits of the current run (kept so a restarted worker trains on the same data). */
let ownDataset: MnistDataset | null = null;

/** Listeners the persistence layer hooks into (kept out of this module to keep it testable). */
export const runEvents = {
  onSnapshot: [] as ((runId: string, epoch: number) => void)[],
  onWeights: [] as ((runId: string, epoch: number, weights: NamedTensors, metrics: EpochMetrics) => void)[],
  /** `restored`: the run continues a stored one (same id, snapshots kept). */
  onRunStart: [] as ((runId: string, config: RunConfig, restored: boolean) => void)[],
  /** An imported bundle ('replay') or model ('model') became the current run; `restored` from storage. */
  onImport: [] as ((runId: string, kind: 'replay' | 'model', restored: boolean) => void)[],
  /** The run's epoch target changed without a restart (Train N more epochs). */
  onConfigChange: [] as ((runId: string, config: RunConfig) => void)[],
};

/** An epoch trained but not yet analysed (restored from storage): analysed again on start. */
export interface UnanalysedEpoch {
  epoch: number;
  metrics: EpochMetrics;
  weights: NamedTensors;
}

function newRunId(config: RunConfig): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return `${config.preset}-s${config.seed}-${stamp}`;
}

/** URL of the bundled digits; the app's kernels/ folder sits next to its data/ folder. */
export function dataUrl(): string {
  return new URL('data/mnist-10k.bin', document.baseURI).href;
}

function stopWorkers(): void {
  workers?.trainer?.terminate();
  workers?.analyzer.terminate();
  workers = null;
  awaitingAnalysis = new Map<number, AnalyzeCommand>();
  pauseRequested = false;
  useRunStore.getState().set({ analysing: null, worker: null });
}

/** The user's own IDX digits the current run trains on, or null for the bundled digits. */
export function runDataset(): MnistDataset | null {
  return ownDataset;
}

/** Reads the URL hash into the store (config and view), reports invalid keys, returns the config. */
export function bootFromHash(): RunConfig {
  const { config, configIssues, view, refused } = readHash(window.location.hash);
  // 'loading' until a trainer is started (after the stored-run lookup): Start must not be clickable
  // before there is a worker to receive it. The config goes in before any banner: the store's
  // subscribers (persistence, seeds) expect a config once anything changes.
  useRunStore.getState().set({ config, configIssues, status: 'loading', progress: { what: 'opening saved runs', fraction: 0 }, ...view });
  refused();
  autostartPending = view.autostart;
  return config;
}

/** The config and view a hash asks for, and `refused()`, which puts up an error banner per refused key. */
function readHash(hash: string): { config: RunConfig; configIssues: ConfigIssue[]; view: ViewState; refused: () => void } {
  const { config, issues } = configFromHash(hash);
  const { view, issues: viewIssues } = viewFromHash(hash, config);
  const refused = () => {
    const store = useRunStore.getState();
    for (const issue of [...issues, ...viewIssues]) store.addBanner('error', `URL parameter refused: ${issue.message}`);
  };
  return { config, configIssues: issues, view, refused };
}

/**
 * A hash that changed under the running app (typed into the address bar, or a link to another hash
 * of this page), applied as loading it afresh would, without a reload: a different config starts
 * that run (applyConfig, as the Configuration panel does: the current run stays saved), the view
 * follows the hash, `autostart=1` starts training, and invalid keys get the same banners.
 */
export function applyHashInPlace(): void {
  const { config, view, refused } = readHash(window.location.hash);
  const store = useRunStore.getState();
  if (!store.config || configToHash(config) !== configToHash(store.config)) {
    autostartPending = view.autostart;
    applyConfig(config);
  }
  useRunStore.getState().set(view);
  refused();
}

/** Stops both workers (e.g. before replaying a bundle). Snapshots stay in the store. */
export function stopRun(): void {
  stopWorkers();
  probeInputs = null;
}

/** How many analysis-worker crashes in a row (no snapshot in between) are retried before giving up. */
const MAX_ANALYZER_RESTARTS = 3;
let analyzerCrashes = 0;

/**
 * Starts an analysis worker for `w` and routes its events to `onEvent` while `w` is current. If
 * it dies, a new one takes over and every epoch still awaiting its snapshot is sent again.
 */
function attachAnalyzer(w: Workers, onEvent: (ev: AnalyzerEvent) => void): void {
  const analyzer = spawnAnalyzer();
  w.analyzer = analyzer;
  analyzer.onEvent((ev) => {
    if (workers === w && w.analyzer === analyzer) onEvent(ev);
  });
  analyzer.onCrash((message) => {
    if (workers !== w || w.analyzer !== analyzer) return;
    analyzer.terminate();
    const store = useRunStore.getState();
    store.set({ analysing: null });
    const epochs = [...awaitingAnalysis.keys()].sort((x, y) => x - y);
    if (++analyzerCrashes > MAX_ANALYZER_RESTARTS) {
      store.addBanner(
        'error',
        w.trainer
          ? `The analysis worker stopped ${analyzerCrashes} times in a row (${message}). Use "Restart worker" to try again; trained epochs are kept.`
          : `The analysis worker stopped ${analyzerCrashes} times in a row (${message}). Import the model again to retry.`,
      );
      return;
    }
    store.addBanner(
      'warning',
      `The analysis worker stopped (${message}); a new one ${epochs.length ? `analyses ${plural(epochs.length, 'epoch')} again (${epochs.join(', ')})` : 'took over'}. No epoch is lost.`,
    );
    attachAnalyzer(w, onEvent);
    for (const e of epochs) w.analyzer.post(awaitingAnalysis.get(e)!);
  });
}

/** Accuracy of an imported model on `count` digits of the bundled test split (its encoding fits). */
export interface ModelEvaluation {
  inputs: Float64Array;
  labels: number[];
}

/**
 * Analyses an imported model (any arch) on the given probe inputs [B*T*D] without training:
 * one analysis pass whose snapshot is "epoch 0" of a model-only run. `evaluation` (the bundled
 * test split, encoded as the model expects, [M*T*D]) gives the model's test accuracy; without it
 * the badge reports the accuracy on the probe digits and says so. `restore` brings back a stored
 * model run (its id, and its snapshot when one was saved: then nothing is analysed again).
 */
export function analyzeImportedModel(
  weights: ModelWeights,
  raw: Record<string, unknown>,
  probe: ProbeInfo,
  inputs: Float64Array,
  config: RunConfig,
  evaluation?: ModelEvaluation,
  restore?: { runId: string; snapshot?: EpochSnapshot },
): void {
  stopWorkers();
  const store = useRunStore.getState();
  const runId = restore?.runId ?? `model-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const blank: EpochMetrics = {
    trainLoss: NaN,
    trainAcc: NaN,
    testLoss: NaN,
    testAcc: NaN,
    msPerStep: NaN,
    epochMs: 0,
    analysisMs: NaN,
    numTensors: 0,
  };
  const done = restore?.snapshot !== undefined;
  store.set({
    runId,
    config,
    mode: 'model',
    status: done ? 'done' : 'loading',
    progress: done ? null : { what: 'analysing the imported model', fraction: 0 },
    probe,
    dataSource: 'bundled-mnist-10k',
    epochs: done ? [restore!.snapshot!] : [],
    pending: done ? {} : { 0: blank },
    batchLosses: [],
    trainedEpoch: 0,
    selectedEpoch: null,
    importedModel: raw,
    importedWeights: weights,
    backend: null,
    accuracyOn: evaluation ? { split: 'test', count: evaluation.labels.length } : { split: 'probes', count: probe.labels.length },
  });
  lastWeights = null;
  for (const f of runEvents.onImport) f(runId, 'model', restore !== undefined);
  if (done) return;
  workers = { trainer: null, analyzer: null as unknown as TypedWorker<AnalyzerCommand, AnalyzerEvent> };
  const mine = workers;
  analyzerCrashes = 0;
  attachAnalyzer(mine, (ev) => {
    if (ev.type === 'analysis') {
      const s = useRunStore.getState();
      const flip = ev.analysis.flip;
      if (ev.evaluation) {
        s.set({ pending: { 0: { ...s.pending[0], testLoss: ev.evaluation.loss, testAcc: ev.evaluation.acc } } });
      } else if (flip) {
        // No test split fits this model: its loss and accuracy are those of the probe digits (the badge says so).
        const acc = flip.softmaxOrig.filter((p, b) => p.indexOf(Math.max(...p)) === probe.labels[b]).length / flip.softmaxOrig.length;
        const loss = flip.baseLoss.reduce((x, y) => x + y, 0) / flip.baseLoss.length;
        s.set({ pending: { 0: { ...s.pending[0], testLoss: loss, testAcc: acc } } });
      }
      useRunStore.getState().set({ progress: null, status: 'done' });
    }
    if (ev.type === 'error') useRunStore.getState().set({ progress: null, status: 'failed' });
    onAnalyzerEvent(ev);
  });
  const tensors: Record<string, { shape: number[]; data: Float64Array }> = {};
  for (const [name, data] of Object.entries(weights.tensors)) {
    const t = (raw.tensors as Record<string, { shape: number[] }>)[name];
    tensors[name] = { shape: t.shape, data };
  }
  const cmd: AnalyzeCommand = {
    type: 'analyze',
    runId,
    epoch: 0,
    config,
    arch: weights.arch,
    weights: tensors,
    probe: { inputs, labels: probe.labels, T: probe.T, D: probe.D },
    ...(evaluation ? { evaluate: { inputs: evaluation.inputs, labels: evaluation.labels } } : {}),
  };
  awaitingAnalysis.set(0, cmd);
  mine.analyzer.post(cmd);
}

/** True when `a` and `b` differ in nothing but the epoch target. */
function onlyEpochsDiffer(a: RunConfig, b: RunConfig): boolean {
  return JSON.stringify({ ...a, epochs: 0 }) === JSON.stringify({ ...b, epochs: 0 });
}

/**
 * Writes a config to the URL hash (without adding history entries) and starts a fresh run, except
 * when only the epoch target changed on a training run and it is not below what is trained: then
 * the run goes on (a finished run continues) instead of starting over.
 */
export function applyConfig(config: RunConfig): void {
  const s = useRunStore.getState();
  if (
    s.mode === 'train' &&
    workers?.trainer &&
    s.config &&
    onlyEpochsDiffer(s.config, config) &&
    s.status !== 'failed' &&
    s.status !== 'loading'
  ) {
    const inEpoch = s.worker && s.worker.batch > 0 ? 1 : 0;
    if (config.epochs >= s.trainedEpoch + inEpoch) {
      setEpochTarget(config.epochs);
      return;
    }
  }
  const hash = configToHash(config);
  if (window.location.hash !== hash) history.replaceState(null, '', hash);
  useRunStore.getState().set({ configIssues: [] });
  startRun(config);
}

/** Moves the epoch target of the current training run (URL, store, worker and storage follow). */
function setEpochTarget(epochs: number): void {
  const s = useRunStore.getState();
  const config = { ...s.config, epochs };
  const hash = configToHash(config);
  if (window.location.hash !== hash) history.replaceState(null, '', hash);
  s.set({ config, configIssues: [] });
  currentConfig = config;
  workers?.trainer?.post({ type: 'extend', epochs });
  for (const f of runEvents.onConfigChange) f(s.runId, config);
}

/** "Train N more epochs": raises a finished (or paused) run's target by `more` and trains on. */
export function trainMoreEpochs(more: number): void {
  const s = useRunStore.getState();
  if (s.mode !== 'train' || !workers?.trainer || !Number.isInteger(more) || more < 1) return;
  setEpochTarget(Math.min(1000, s.trainedEpoch + more));
  workers.trainer.post({ type: 'start' });
}

/** The config the current trainer runs with (the epoch target moves with "Train N more epochs"). */
let currentConfig: RunConfig | null = null;

/**
 * Starts (or restarts) a run: fresh workers, fresh store state; `resume` continues from weights.
 * `unanalysed`: epochs restored from storage whose snapshot was never saved; they are analysed
 * again as soon as the new trainer has the probe digits.
 */
export function startRun(
  config: RunConfig,
  resume?: { epoch: number; weights: NamedTensors },
  keepSnapshots = false,
  dataset?: MnistDataset,
  unanalysed: UnanalysedEpoch[] = [],
): void {
  stopWorkers();
  probeInputs = null;
  currentConfig = config;
  const store = useRunStore.getState();
  const runId = keepSnapshots && store.runId ? store.runId : newRunId(config);
  const pendingMetrics: Record<number, EpochMetrics> = {};
  for (const u of unanalysed) pendingMetrics[u.epoch] = u.metrics;
  store.set({
    runId,
    config,
    status: 'loading',
    progress: { what: 'starting workers', fraction: 0 },
    mode: 'train',
    accuracyOn: null,
    ...(keepSnapshots
      ? { pending: pendingMetrics }
      : { epochs: [], pending: {}, batchLosses: [], selectedEpoch: null, trainedEpoch: 0, probe: null }),
  });
  if (!keepSnapshots) lastWeights = null;
  if (resume) lastWeights = resume;
  for (const f of runEvents.onRunStart) f(runId, config, keepSnapshots);
  const trainer = spawnTrainer();
  workers = { trainer, analyzer: null as unknown as TypedWorker<AnalyzerCommand, AnalyzerEvent> };
  store.set({ importedModel: null, importedWeights: null });
  const mine = workers;
  analyzerCrashes = 0;
  attachAnalyzer(mine, onAnalyzerEvent);
  // Restored epochs wait for the probe digits (sent with the trainer's 'ready').
  for (const u of unanalysed) awaitingAnalysis.set(u.epoch, analysisCommand(runId, u.epoch, config, u.weights));
  trainer.onEvent((ev) => {
    if (workers === mine) onTrainerEvent(ev);
  });
  trainer.onCrash((message) => {
    if (workers !== mine) return;
    useRunStore.getState().set({ status: 'failed', worker: null, progress: null });
    useRunStore
      .getState()
      .addBanner('error', `The training worker stopped: ${message}. Use "Restart worker" to continue from the last epoch.`);
  });
  if (dataset) ownDataset = dataset;
  else if (!keepSnapshots) ownDataset = null;
  const data = ownDataset ?? undefined;
  trainer.post({ type: 'init', config, dataUrl: dataUrl(), resume, dataset: data });
  const pace = useRunStore.getState().paceMs;
  if (pace > 0) trainer.post({ type: 'pace', msPerBatch: pace });
}

/** Restarts crashed or stuck workers, resuming from the last weights and keeping every snapshot. */
export function restartWorkers(): void {
  const s = useRunStore.getState();
  if (s.mode !== 'train') {
    s.addBanner('info', 'There is nothing to restart for an imported run; press Reset to train a new one.');
    return;
  }
  // Epochs trained but not analysed go to the new analysis worker.
  const unanalysed: UnanalysedEpoch[] = [];
  for (const [epoch, cmd] of awaitingAnalysis) {
    const metrics = s.pending[epoch];
    if (metrics) unanalysed.push({ epoch, metrics, weights: cmd.weights as NamedTensors });
  }
  startRun(s.config, lastWeights ?? undefined, true, undefined, unanalysed);
}

/** The analysis request of a trained epoch (probe inputs filled in when sent). */
function analysisCommand(runId: string, epoch: number, config: RunConfig, weights: NamedTensors): AnalyzeCommand {
  return { type: 'analyze', runId, epoch, config, arch: 'rnn', weights, probe: { inputs: new Float32Array(0), labels: [], T: 0, D: 0 } };
}

function onTrainerEvent(ev: TrainerEvent): void {
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
      });
      if (ev.backend.fallbackReason) store.addBanner('info', `Using ${ev.backend.engine}: ${ev.backend.fallbackReason}`);
      for (const epoch of [...awaitingAnalysis.keys()].sort((x, y) => x - y)) sendAnalysis(epoch);
      break;
    case 'state': {
      const worker = { state: ev.state, epoch: ev.epoch, batch: ev.batch, batches: ev.batches, epochs: ev.epochs };
      // A Pause not yet seen by the worker: its 'training' echoes must not hide the 'pausing' shown.
      if (pauseRequested && ev.state === 'training') {
        store.set({ worker, trainedEpoch: ev.epoch });
        break;
      }
      pauseRequested = false;
      store.set({ status: ev.state, trainedEpoch: ev.epoch, worker, ...(ev.state === 'loading' ? {} : { progress: null }) });
      if (autostartPending && (ev.state === 'ready' || ev.state === 'paused')) {
        autostartPending = false;
        workers?.trainer?.post({ type: 'start' });
      } else if (autostartPending && ev.state === 'done') autostartPending = false;
      break;
    }
    case 'batch':
      store.addBatchLoss({ x: ev.epoch - 1 + (ev.step + 1) / ev.stepsPerEpoch, loss: ev.loss });
      break;
    case 'epoch': {
      lastWeights = { epoch: ev.epoch, weights: ev.weights };
      for (const f of runEvents.onWeights) f(store.runId, ev.epoch, ev.weights, ev.metrics);
      // A posted epoch is itself the worker's word that `ev.epoch` epochs are complete.
      store.set({
        pending: { ...store.pending, [ev.epoch]: ev.metrics },
        trainedEpoch: ev.epoch,
        ...(store.worker ? { worker: { ...store.worker, epoch: ev.epoch, batch: 0 } } : {}),
      });
      awaitingAnalysis.set(ev.epoch, analysisCommand(store.runId, ev.epoch, currentConfig ?? store.config, ev.weights));
      sendAnalysis(ev.epoch);
      break;
    }
    case 'diverged':
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
      if (ev.fatal) store.set({ status: 'failed', progress: null });
      store.addBanner('error', ev.message);
      break;
  }
}

/** Sends the analysis of a trained epoch once the probe digits are known. */
function sendAnalysis(epoch: number): void {
  const s = useRunStore.getState();
  const cmd = awaitingAnalysis.get(epoch);
  if (!workers || !cmd || !probeInputs || !s.probe) return;
  const full: AnalyzeCommand = { ...cmd, probe: { inputs: probeInputs, labels: s.probe.labels, T: s.probe.T, D: s.probe.D } };
  awaitingAnalysis.set(epoch, full);
  workers.analyzer.post(full);
}

function onAnalyzerEvent(ev: AnalyzerEvent): void {
  const store = useRunStore.getState();
  if (ev.runId !== store.runId) return;
  if (ev.type === 'progress') {
    store.set({ analysing: { epoch: ev.epoch, phase: ev.phase, fraction: ev.fraction } });
    return;
  }
  if (ev.type === 'gpuFallback') {
    // The pool re-runs the epoch on the CPU; its snapshot follows.
    store.addBanner('warning', ev.message);
    return;
  }
  if (store.analysing?.epoch === ev.epoch) store.set({ analysing: null });
  if (ev.type === 'error') {
    store.addBanner('error', `Analysis of epoch ${ev.epoch} failed: ${ev.message}`);
    return;
  }
  const metrics: EpochMetrics | undefined = store.pending[ev.epoch];
  if (!metrics) return;
  awaitingAnalysis.delete(ev.epoch);
  analyzerCrashes = 0;
  store.addSnapshot({ epoch: ev.epoch, metrics: { ...metrics, analysisMs: ev.analysisMs }, ...ev.analysis });
  for (const f of runEvents.onSnapshot) f(store.runId, ev.epoch);
}

/**
 * Start / Pause / Resume, as the lifecycle allows in the state shown. Pause shows 'pausing' at
 * once and the worker confirms 'paused' at its next batch boundary.
 */
export function toggleTraining(): void {
  const s = useRunStore.getState();
  const controls = controlsFor(s.status, s.mode, (s.worker?.batch ?? 0) > 0);
  if (!workers?.trainer || !controls.toggle) return;
  if (s.status === 'training') {
    const next = transition(s.status, { type: 'pause' });
    if (next) s.set({ status: next });
    pauseRequested = true;
    workers.trainer.post({ type: 'pause' });
  } else {
    workers.trainer.post({ type: 'start' });
  }
}

/** Trains to the end of the current epoch (from where a pause stopped), then pauses. */
export function stepEpoch(): void {
  const s = useRunStore.getState();
  if (!controlsFor(s.status, s.mode).step) return;
  workers?.trainer?.post({ type: 'step' });
}

/** Trains one batch, then pauses (the loss chart and the worker's batch counter move by one). */
export function stepBatch(): void {
  const s = useRunStore.getState();
  if (!controlsFor(s.status, s.mode).stepBatch) return;
  workers?.trainer?.post({ type: 'stepBatch' });
}

/** Slow motion: `msPerBatch` of wait before each batch (0 = full speed); kept for the next worker too. */
export function setPace(msPerBatch: number): void {
  useRunStore.getState().set({ paceMs: msPerBatch });
  workers?.trainer?.post({ type: 'pace', msPerBatch });
}

export function resetRun(): void {
  const s = useRunStore.getState();
  startRun(s.config);
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

/** Rehearsal of an analysis-worker fault: it throws an uncaught exception (a new one takes over). */
export function simulateAnalyzerCrash(): void {
  workers?.analyzer.post({ type: 'crash' });
}

/** Asks the trainer for the current model as ftle-lab.model/v1 JSON. */
export function exportModelJson(): Promise<string> {
  return new Promise((resolve, reject) => {
    if (!workers?.trainer) return reject(new Error('no model is being trained'));
    modelExportResolver = resolve;
    workers.trainer.post({ type: 'exportModel' });
  });
}
