/**
 * The controller: owns the two workers of the current run and turns their events into store
 * updates. Training (trainer worker) and analysis (analyzer worker) are decoupled: the trainer
 * never waits for an epoch's analysis, and the UI thread only routes messages.
 */
import { configFromHash, configToHash, type ConfigIssue, type RunConfig } from '../core/formats/config';
import type { EpochMetrics } from '../core/snapshot';
import { spawnTrainer, type TypedWorker } from '../worker/client';
import type { AnalyzerCommand, AnalyzerEvent, NamedTensors } from '../worker/protocol';
import { useRunStore } from '../store/runStore';
import { viewFromHash, type ViewState } from '../store/viewHash';
import type { ModelWeights } from '../core/formats/model';
import type { ProbeInfo } from '../data/probeInfo';
import { datasetFromNamedIdxFiles } from '../data/idx';
import type { MnistDataset } from '../data/mnistAsset';
import type { EpochSnapshot } from '../core/snapshot';
import { controlsFor, transition } from '../run/lifecycle';
import { analysisCommand, attachAnalyzer, onAnalyzerEvent } from './analysisRouting';
import { createSession, runEvents, stopWorkers, type AnalyzeCommand, type RunSession, type UnanalysedEpoch } from './session';
import { onTrainerEvent } from './trainerEvents';

/** The page's one run session: every piece of state the controller keeps (session.ts). */
const session: RunSession = createSession();

export { runEvents, type UnanalysedEpoch } from './session';

function newRunId(config: RunConfig): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return `${config.preset}-s${config.seed}-${stamp}`;
}

/** URL of the bundled digits; the app's kernels/ folder sits next to its data/ folder. */
export function dataUrl(): string {
  return new URL('data/mnist-10k.bin', document.baseURI).href;
}

/** The user's own IDX digits the current run trains on, or null for the bundled digits. */
export function runDataset(): MnistDataset | null {
  return session.ownDataset;
}

/** Reads the URL hash into the store (config and view), reports invalid keys, returns the config. */
export function bootFromHash(): RunConfig {
  const { config, configIssues, view, refused } = readHash(window.location.hash);
  // 'loading' until a trainer is started (after the stored-run lookup): Start must not be clickable
  // before there is a worker to receive it. The config goes in before any banner: the store's
  // subscribers (persistence, seeds) expect a config once anything changes.
  useRunStore.getState().set({ config, configIssues, status: 'loading', progress: { what: 'opening saved runs', fraction: 0 }, ...view });
  refused();
  session.autostartPending = view.autostart;
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
    session.autostartPending = view.autostart;
    applyConfig(config);
  }
  useRunStore.getState().set(view);
  refused();
}

/** Stops both session.workers (e.g. before replaying a bundle). Snapshots stay in the store. */
export function stopRun(): void {
  stopWorkers(session);
  session.probeInputs = null;
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
  stopWorkers(session);
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
    engineInfo: null,
    accuracyOn: evaluation ? { split: 'test', count: evaluation.labels.length } : { split: 'probes', count: probe.labels.length },
  });
  session.lastWeights = null;
  for (const f of runEvents.onImport) f(runId, 'model', restore !== undefined);
  if (done) return;
  session.workers = { trainer: null, analyzer: null as unknown as TypedWorker<AnalyzerCommand, AnalyzerEvent> };
  const mine = session.workers;
  session.analyzerCrashes = 0;
  attachAnalyzer(session, mine, (ev) => {
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
    onAnalyzerEvent(session, ev);
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
    analysisEngine: config.analysis,
    ...(evaluation ? { evaluate: { inputs: evaluation.inputs, labels: evaluation.labels } } : {}),
  };
  session.awaitingAnalysis.set(0, cmd);
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
    session.workers?.trainer &&
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
  session.currentConfig = config;
  session.workers?.trainer?.post({ type: 'extend', epochs });
  for (const f of runEvents.onConfigChange) f(s.runId, config);
}

/** "Train N more epochs": raises a finished (or paused) run's target by `more` and trains on. */
export function trainMoreEpochs(more: number): void {
  const s = useRunStore.getState();
  if (s.mode !== 'train' || !session.workers?.trainer || !Number.isInteger(more) || more < 1) return;
  setEpochTarget(Math.min(1000, s.trainedEpoch + more));
  session.workers.trainer.post({ type: 'start' });
}

/**
 * Starts (or restarts) a run: fresh session.workers, fresh store state; `resume` continues from weights.
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
  stopWorkers(session);
  session.probeInputs = null;
  session.currentConfig = config;
  const store = useRunStore.getState();
  const runId = keepSnapshots && store.runId ? store.runId : newRunId(config);
  const pendingMetrics: Record<number, EpochMetrics> = {};
  for (const u of unanalysed) pendingMetrics[u.epoch] = u.metrics;
  store.set({
    runId,
    config,
    status: 'loading',
    progress: { what: 'starting session.workers', fraction: 0 },
    mode: 'train',
    accuracyOn: null,
    ...(keepSnapshots
      ? { pending: pendingMetrics }
      : { epochs: [], pending: {}, batchLosses: [], selectedEpoch: null, trainedEpoch: 0, probe: null }),
  });
  if (!keepSnapshots) session.lastWeights = null;
  if (resume) session.lastWeights = resume;
  for (const f of runEvents.onRunStart) f(runId, config, keepSnapshots);
  const trainer = spawnTrainer();
  session.workers = { trainer, analyzer: null as unknown as TypedWorker<AnalyzerCommand, AnalyzerEvent> };
  store.set({ importedModel: null, importedWeights: null });
  const mine = session.workers;
  session.analyzerCrashes = 0;
  attachAnalyzer(session, mine, (ev) => onAnalyzerEvent(session, ev));
  // Restored epochs wait for the probe digits (sent with the trainer's 'ready').
  for (const u of unanalysed) session.awaitingAnalysis.set(u.epoch, analysisCommand(runId, u.epoch, config, u.weights));
  trainer.onEvent((ev) => {
    if (session.workers === mine) onTrainerEvent(session, ev);
  });
  trainer.onCrash((message) => {
    if (session.workers !== mine) return;
    useRunStore.getState().set({ status: 'failed', worker: null, progress: null });
    useRunStore
      .getState()
      .addBanner('error', `The training worker stopped: ${message}. Use "Restart worker" to continue from the last epoch.`);
  });
  if (dataset) session.ownDataset = dataset;
  else if (!keepSnapshots) session.ownDataset = null;
  const data = session.ownDataset ?? undefined;
  trainer.post({ type: 'init', config, dataUrl: dataUrl(), resume, dataset: data });
  const pace = useRunStore.getState().paceMs;
  if (pace > 0) trainer.post({ type: 'pace', msPerBatch: pace });
}

/** Restarts crashed or stuck session.workers, resuming from the last weights and keeping every snapshot. */
export function restartWorkers(): void {
  const s = useRunStore.getState();
  if (s.mode !== 'train') {
    s.addBanner('info', 'There is nothing to restart for an imported run; press Reset to train a new one.');
    return;
  }
  // Epochs trained but not analysed go to the new analysis worker.
  const unanalysed: UnanalysedEpoch[] = [];
  for (const [epoch, cmd] of session.awaitingAnalysis) {
    const metrics = s.pending[epoch];
    if (metrics) unanalysed.push({ epoch, metrics, weights: cmd.weights as NamedTensors });
  }
  startRun(s.config, session.lastWeights ?? undefined, true, undefined, unanalysed);
}

/**
 * Start / Pause / Resume, as the lifecycle allows in the state shown. Pause shows 'pausing' at
 * once and the worker confirms 'paused' at its next batch boundary.
 */
export function toggleTraining(): void {
  const s = useRunStore.getState();
  const controls = controlsFor(s.status, s.mode, (s.worker?.batch ?? 0) > 0);
  if (!session.workers?.trainer || !controls.toggle) return;
  if (s.status === 'training') {
    const next = transition(s.status, { type: 'pause' });
    if (next) s.set({ status: next });
    session.pauseRequested = true;
    session.workers.trainer.post({ type: 'pause' });
  } else {
    session.workers.trainer.post({ type: 'start' });
  }
}

/** Trains to the end of the current epoch (from where a pause stopped), then pauses. */
export function stepEpoch(): void {
  const s = useRunStore.getState();
  if (!controlsFor(s.status, s.mode).step) return;
  session.workers?.trainer?.post({ type: 'step' });
}

/** Trains one batch, then pauses (the loss chart and the worker's batch counter move by one). */
export function stepBatch(): void {
  const s = useRunStore.getState();
  if (!controlsFor(s.status, s.mode).stepBatch) return;
  session.workers?.trainer?.post({ type: 'stepBatch' });
}

/** Slow motion: `msPerBatch` of wait before each batch (0 = full speed); kept for the next worker too. */
export function setPace(msPerBatch: number): void {
  useRunStore.getState().set({ paceMs: msPerBatch });
  session.workers?.trainer?.post({ type: 'pace', msPerBatch });
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
  session.workers?.trainer?.post({ type: 'loseContext' });
}

/** Rehearsal of a diverging run: a NaN goes into W_hh, so the next batch's loss is NaN. */
export function simulateDivergence(): void {
  session.workers?.trainer?.post({ type: 'poison' });
}

/** Rehearsal of a worker fault: the training worker throws an uncaught exception. */
export function simulateWorkerCrash(): void {
  session.workers?.trainer?.post({ type: 'crash' });
}

/** Rehearsal of an analysis-worker fault: it throws an uncaught exception (a new one takes over). */
export function simulateAnalyzerCrash(): void {
  session.workers?.analyzer.post({ type: 'crash' });
}

/** Asks the trainer for the current model as ftle-lab.model/v1 JSON. */
export function exportModelJson(): Promise<string> {
  return new Promise((resolve, reject) => {
    if (!session.workers?.trainer) return reject(new Error('no model is being trained'));
    session.modelExportResolver = resolve;
    session.workers.trainer.post({ type: 'exportModel' });
  });
}
