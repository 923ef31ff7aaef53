/**
 * Files in and out of the app: run bundles (ftle-lab.run/v1), model files (ftle-lab.model/v1) and
 * probe files (ftle-lab.probe/v1). Every import is size-limited and validated with the schemas in
 * core/formats before anything changes: a bad file gets one message naming the problem, and the
 * current run is left exactly as it was.
 */
import { FormatError, parseJsonText } from '../core/formats/errors';
import { RUN_BUNDLE_FORMAT, parseRunBundle, serializeRunBundle, type RunBundle } from '../core/formats/bundle';
import { MODEL_FORMAT, parseModelObject, type ModelWeights } from '../core/formats/model';
import { PROBE_FORMAT, parseProbeObject, checkProbeForModel } from '../core/formats/probe';
import type { Encoding } from '../core/formats/config';
import { decodeSequence, encodeImages, sequenceSpec, specForConfig } from '../data/encodings';
import { fetchMnistAsset, type MnistDataset } from '../data/mnistAsset';
import { fixedProbeSet, probeInfoFromDataset, type ProbeInfo } from '../data/probeInfo';
import { analyzeImportedModel, exportModelJson, runEvents, stopRun } from './controller';
import type { RunConfig } from '../core/formats/config';
import type { EpochSnapshot } from '../core/snapshot';
import { plural } from '../run/lifecycle';
import { useRunStore } from '../store/runStore';

/** Largest file we read (bytes): a 50-epoch pixel28 run bundle is ~30 MB. */
export const MAX_IMPORT_BYTES = 200 * 1024 * 1024;

export const APP_VERSION = '0.1.0';

let datasetPromise: Promise<MnistDataset> | null = null;

/** The bundled digits on the UI side (for replayed runs and imported models), fetched once. */
export function bundledDataset(): Promise<MnistDataset> {
  datasetPromise ??= fetchMnistAsset(new URL('data/mnist-10k.bin', document.baseURI).href).catch((e) => {
    datasetPromise = null;
    throw e;
  });
  return datasetPromise;
}

/** Builds the run bundle of the current run (config, probe set, every snapshot, latest weights). */
export async function currentRunBundle(): Promise<RunBundle> {
  const s = useRunStore.getState();
  if (!s.probe || s.epochs.length === 0) throw new Error('there is no analysed epoch to export yet');
  let weights: RunBundle['weights'];
  if (s.mode === 'train') {
    try {
      const json = JSON.parse(await exportModelJson());
      delete json.trained_with;
      weights = json;
    } catch {
      weights = undefined;
    }
  } else if (s.importedModel) {
    weights = s.importedModel;
  }
  return {
    format: RUN_BUNDLE_FORMAT,
    created: new Date().toISOString(),
    appVersion: APP_VERSION,
    config: s.config,
    probe: { indices: s.probe.indices, labels: s.probe.labels },
    dataSource: s.dataSource.startsWith('idx:') ? s.dataSource : 'bundled-mnist-10k',
    epochs: s.epochs,
    weights,
    // The other seeds of a several-seed run, each with what it has analysed so far.
    ...(s.seedRuns.some((r) => r.epochs.length > 0)
      ? { seedRuns: s.seedRuns.filter((r) => r.epochs.length > 0).map((r) => ({ seed: r.seed, epochs: r.epochs })) }
      : {}),
  };
}

/**
 * Hands the current run bundle to `save(filename, json)` (the UI's download); a failure becomes
 * an error banner.
 */
export async function exportRun(save: (filename: string, json: string) => void): Promise<void> {
  const s = useRunStore.getState();
  try {
    const bundle = await currentRunBundle();
    save(`ftle-lab-run-${s.runId || 'import'}.json`, serializeRunBundle(bundle));
  } catch (e) {
    s.addBanner('error', `Export failed: ${(e as Error).message}`);
  }
}

/** Hands the current model file to `save(filename, json)` (the UI's download); a failure becomes an error banner. */
export async function exportModel(save: (filename: string, json: string) => void): Promise<void> {
  const s = useRunStore.getState();
  try {
    const json = s.mode === 'train' ? await exportModelJson() : JSON.stringify(s.importedModel);
    if (!json || json === 'null') throw new Error('no model is loaded');
    save(`ftle-lab-model-${s.runId || 'import'}.json`, json);
  } catch (e) {
    s.addBanner('error', `Model export failed: ${(e as Error).message}`);
  }
}

/** Encoding of an imported model's inputs: its `input` block, else a guess from input_size. */
function encodingForModel(w: ModelWeights): { encoding: Encoding; permutation: number[] | null; guessed: boolean } {
  if (w.input) return { encoding: w.input.encoding, permutation: w.input.permutation, guessed: false };
  if (w.inputSize === 28) return { encoding: 'row', permutation: null, guessed: true };
  if (w.inputSize === 1) return { encoding: 'pixel28', permutation: null, guessed: true };
  throw new FormatError(
    'input_size',
    `${w.inputSize} inputs per step fit no MNIST encoding (28 = row-wise, 1 = pixel-wise); add an "input" block or analyse it with the CLI`,
  );
}

/** Reads a File the user picked and acts on its format. Never changes the app on failure. */
export async function importFile(file: File): Promise<void> {
  const store = useRunStore.getState();
  try {
    if (file.size > MAX_IMPORT_BYTES)
      throw new FormatError('(file)', `${file.name} is ${(file.size / 1e6).toFixed(0)} MB; the limit is ${MAX_IMPORT_BYTES / 1e6} MB`);
    const text = await file.text();
    const head = parseJsonText(text, file.name);
    const format = head !== null && typeof head === 'object' && !Array.isArray(head) ? (head as Record<string, unknown>).format : undefined;
    if (format === RUN_BUNDLE_FORMAT) await replayBundle(parseRunBundle(text));
    else if (format === MODEL_FORMAT) await analyzeModelFile(parseModelObject(head), head as Record<string, unknown>, store.config);
    else if (format === PROBE_FORMAT) await analyzeProbeFile(head);
    else
      throw new FormatError(
        'format',
        `"${String(format)}" is not a file FTLE Lab reads (expected ${RUN_BUNDLE_FORMAT}, ${MODEL_FORMAT} or ${PROBE_FORMAT})`,
      );
  } catch (e) {
    const msg = e instanceof FormatError ? e.message : (e as Error).message;
    store.addBanner('error', `Could not import ${file.name}: ${msg}. Nothing was changed.`);
  }
}

/**
 * Shows a run bundle as a replay (nothing to train). `restore`: a replay stored earlier comes back
 * under its own id; otherwise it becomes a new stored run, so it survives a reload.
 */
export async function replayBundle(
  bundle: Pick<RunBundle, 'created' | 'config' | 'probe' | 'dataSource' | 'epochs' | 'weights' | 'seedRuns'>,
  restore?: { runId: string },
): Promise<void> {
  const spec = specForConfig(bundle.config.encoding, bundle.config.permute, bundle.config.seed);
  let probe: ProbeInfo;
  if (!bundle.dataSource.startsWith('idx:')) {
    probe = { ...probeInfoFromDataset(await bundledDataset(), spec, bundle.probe.indices), labels: bundle.probe.labels };
  } else {
    // The user's IDX digits are not in the bundle: panels draw, digit thumbnails stay blank.
    probe = {
      indices: bundle.probe.indices,
      labels: bundle.probe.labels,
      side: spec.side,
      digits: bundle.probe.indices.map(() => new Array(spec.side * spec.side).fill(0)),
      stepToCells: spec.stepToCells.map((c) => c.map(([r, cc]) => [r, cc] as [number, number])),
      T: spec.T,
      D: spec.D,
    };
  }
  stopRun();
  const last = bundle.epochs[bundle.epochs.length - 1];
  const runId = restore?.runId ?? `replay-${bundle.created.replace(/[:.]/g, '-')}-${Date.now().toString(36)}`;
  useRunStore.getState().set({
    runId,
    config: bundle.config,
    mode: 'replay',
    status: 'done',
    progress: null,
    probe,
    dataSource: bundle.dataSource,
    epochs: bundle.epochs,
    pending: {},
    batchLosses: [],
    trainedEpoch: last.epoch,
    selectedEpoch: null,
    importedModel: bundle.weights ?? null,
    importedWeights: null,
    engineInfo: null,
    accuracyOn: null,
    seedRuns: (bundle.seedRuns ?? []).map((r) => ({ seed: r.seed, epochs: r.epochs, status: 'done' as const, progress: null })),
  });
  for (const f of runEvents.onImport) f(runId, 'replay', restore !== undefined);
  if (!restore) {
    useRunStore
      .getState()
      .addBanner(
        'info',
        `Replaying ${plural(bundle.epochs.length, 'epoch')}${bundle.seedRuns?.length ? ` and ${plural(bundle.seedRuns.length, 'more seed')}` : ''} from a run bundle (${bundle.created}); it is kept in browser storage. Press Reset to train again.`,
      );
  }
}

/**
 * Analyses an imported model on probe digits chosen from `base` (seed, probe count). When the file
 * says how its inputs are encoded (its "input" block), it is also evaluated on the bundled test
 * split; a guessed encoding reports accuracy on the probe digits only, and the badge says so.
 * `restore`: a stored model run comes back under its id (with its snapshot when one was saved).
 */
export async function analyzeModelFile(
  weights: ModelWeights,
  raw: Record<string, unknown>,
  base: RunConfig,
  restore?: { runId: string; snapshot?: EpochSnapshot },
): Promise<void> {
  const store = useRunStore.getState();
  const { encoding, permutation, guessed } = encodingForModel(weights);
  const spec = sequenceSpec(encoding, permutation);
  if (spec.D !== weights.inputSize)
    throw new FormatError('input.encoding', `${encoding} feeds ${spec.D} inputs per step but input_size is ${weights.inputSize}`);
  const dataset = await bundledDataset();
  const config = { ...base, encoding, hidden: weights.hiddenSize };
  const norm = weights.input?.normalize;
  const normalized = (x32: Float32Array): Float64Array => {
    const x = Float64Array.from(x32);
    if (norm) for (let i = 0; i < x.length; i++) x[i] = (x[i] - norm.mean) / norm.std;
    return x;
  };
  const probeSet = fixedProbeSet(dataset, spec, config.probes, config.seed);
  const inputs = normalized(probeSet.inputs);
  const all = Int32Array.from({ length: dataset.test.labels.length }, (_, i) => i);
  const evaluation = guessed
    ? undefined
    : { inputs: normalized(encodeImages(dataset.test.images, all, spec)), labels: Array.from(dataset.test.labels) };
  analyzeImportedModel(weights, raw, probeSet.info, inputs, { ...config, probes: probeSet.indices.length }, evaluation, restore);
  if (guessed && !restore)
    store.addBanner(
      'info',
      `The model file has no "input" block: feeding digits ${encoding === 'row' ? 'row by row (input_size 28)' : 'pixel by pixel, 28x28 (input_size 1)'}; its accuracy is measured on the probe digits only.`,
    );
}

async function analyzeProbeFile(raw: unknown): Promise<void> {
  const s = useRunStore.getState();
  if (s.mode !== 'model' || !s.importedWeights) {
    throw new FormatError(
      '(file)',
      'a probe file is analysed against an imported model: import a model file first (or use `npx ftle-lab analyze`)',
    );
  }
  const probeSet = parseProbeObject(raw);
  checkProbeForModel(probeSet, s.importedWeights);
  const side = s.probe?.side ?? 28;
  const spec = specForConfig(s.config.encoding, 0, s.config.seed);
  const fits = probeSet.T === spec.T && probeSet.D === spec.D;
  const probe: ProbeInfo = {
    indices: Array.from({ length: probeSet.B }, (_, i) => i),
    labels: Array.from(probeSet.labels),
    side,
    digits: Array.from({ length: probeSet.B }, (_, b) =>
      fits
        ? Array.from(decodeSequence(probeSet.inputs.subarray(b * spec.T * spec.D, (b + 1) * spec.T * spec.D), spec))
        : new Array(side * side).fill(0),
    ),
    stepToCells: fits
      ? spec.stepToCells.map((c) => c.map(([r, cc]) => [r, cc] as [number, number]))
      : Array.from({ length: probeSet.T }, () => []),
    T: probeSet.T,
    D: probeSet.D,
  };
  analyzeImportedModel(s.importedWeights, s.importedModel as Record<string, unknown>, probe, probeSet.inputs, {
    ...s.config,
    probes: probeSet.B,
  });
}
