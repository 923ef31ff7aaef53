/**
 * RunConfig: the whole, validated, shareable configuration of a run. It lives in the URL hash
 * (see docs/automation.md in shared/: `#preset=quick&epochs=1&seed=3`), in run bundles and in
 * the worker's start command. One zod schema is the single source of truth for all three.
 */
import { z } from 'zod';
import { ANALYSIS_DEFAULTS } from '../analysis/analysisDefaults';
import { ENGINE_CHOICES, normalizeEngineChoice } from '../engines';
import { ARCHS } from './arch';
import { MAX_SEEDS } from '../seeds';

export const ENCODINGS = ['row', 'pixel14', 'pixel28'] as const;
export const OPTIMIZERS = ['sgd', 'adam', 'rmsprop'] as const;
export const PRESETS = ['quick', 'pixel', 'paper-align', 'paper-sensitivity', 'quick-gru', 'quick-lstm'] as const;
export const INITS = ['xavier', 'orthogonal'] as const;

export type Encoding = (typeof ENCODINGS)[number];

/**
 * THE shape table of the input encodings (method.md §1): steps T, inputs per step D and the side
 * of the image grid the steps live in. row: 28 rows of 28 pixels; pixel14: the 2x2-pooled 14x14
 * image pixel by pixel; pixel28: the 28x28 image pixel by pixel.
 */
export const ENCODING_SHAPES: Readonly<Record<Encoding, { readonly T: number; readonly D: number; readonly side: number }>> = {
  row: { T: 28, D: 28, side: 28 },
  pixel14: { T: 196, D: 1, side: 14 },
  pixel28: { T: 784, D: 1, side: 28 },
};
export type Preset = (typeof PRESETS)[number];

const int = (min: number, max: number) => z.number().int().min(min).max(max);

/** Most threads a run may ask the hand-written engine for (`threads=`). */
export const MAX_TRAINING_THREADS = 16;
/** What `threads=` may say: `auto` or a count 1..MAX_TRAINING_THREADS. */
export type ThreadsChoice = 'auto' | number;

/** Where an epoch's analysis runs (`analysis=`): auto picks the GPU where a hardware adapter exists. */
export const ANALYSIS_ENGINE_CHOICES = ['auto', 'gpu', 'cpu'] as const;
export type AnalysisEngineChoice = (typeof ANALYSIS_ENGINE_CHOICES)[number];

/**
 * The analysis options a config's `draws` gives: `auto` asks for the paper's draws and lets the
 * CPU budget cut them; a number is honoured as asked (epochSnapshot.ts EpochAnalysisOptions).
 */
export function drawsOptions(draws: RunConfig['draws']): { draws: number; exactDraws: boolean } {
  return draws === 'auto' ? { draws: ANALYSIS_DEFAULTS.draws, exactDraws: false } : { draws, exactDraws: true };
}

/** A `threads=` value from a link ("2") as a number; anything else passes through for validation. */
function threadsFromText(value: unknown): unknown {
  return typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
}
const pos = (min: number, max: number) => z.number().finite().min(min).max(max);

export const RunConfigSchema = z.object({
  preset: z.enum(PRESETS),
  epochs: int(1, 1000),
  seed: int(0, 2 ** 31 - 1),
  /** Training engine (core/engines.ts); old links' webgl | wasm | cpu are mapped on the way in. */
  backend: z.preprocess(normalizeEngineChoice, z.enum(ENGINE_CHOICES)),
  /**
   * Threads the hand-written engine (fast-wasm / fast-js) trains on: `auto` (timed, like `auto`'s
   * engine choice) or 1..MAX_TRAINING_THREADS. Other engines train on one thread and ignore it.
   * Configs written before the key existed trained on one thread; they read as `auto`. A run's
   * numbers are reproducible bit for bit for a given thread count, which each epoch records.
   */
  threads: z.preprocess(threadsFromText, z.union([z.literal('auto'), int(1, MAX_TRAINING_THREADS)])).default('auto'),
  encoding: z.enum(ENCODINGS),
  /**
   * Recurrent cell: PyTorch nn.RNN(tanh), nn.GRU or nn.LSTM. Configs written before the key existed
   * (bundles, links) trained the vanilla RNN, hence the default.
   */
  cell: z.enum(ARCHS).default('rnn'),
  /** 1: feed the sequence in a seeded random order (permuted MNIST). */
  permute: int(0, 1),
  hidden: int(2, 1024),
  /**
   * Vanilla RNN only: W_hh Xavier-normal with `gain`, or orthogonal scaled by `gain`; W_ih and fc
   * Xavier-normal(gain). GRU and LSTM always take PyTorch's init (model/init.ts initGatedWeights).
   */
  init: z.enum(INITS),
  gain: pos(1e-6, 100),
  optimizer: z.enum(OPTIMIZERS),
  lr: pos(1e-8, 10),
  batch: int(1, 4096),
  /** Global-norm gradient clipping; 0 = off. */
  clip: pos(0, 1e6),
  /** 1: biases trained; 0: the paper's bias-free model (biases fixed at 0). */
  bias: int(0, 1),
  /** 'mean' or the paper-align 'sum' of per-sample cross-entropies. */
  reduction: z.enum(['mean', 'sum']),
  /** Number of fixed test digits analysed after each epoch. */
  probes: int(1, 256),
  /** Q vectors tracked (capped at hidden). */
  k: int(1, 1024),
  /** Score s_t(n) averages ln r_1..n. */
  n: int(1, 1024),
  /**
   * Random flip sets per k: `auto` (the paper's 50, which the CPU path may cut to its work budget,
   * saying so in every panel concerned) or an explicit count, honoured as asked on every engine
   * (the panels estimate its time). Configs written before `auto` existed hold a number.
   */
  draws: z.preprocess(threadsFromText, z.union([z.literal('auto'), int(1, 1000)])).default('auto'),
  /**
   * Where each epoch's analysis runs: `auto` (the GPU where a hardware adapter exists, else the
   * float64 CPU pool), `gpu`, or `cpu` (the float64 worker pool). Absent in older configs: auto.
   */
  analysis: z.enum(ANALYSIS_ENGINE_CHOICES).default('auto'),
  /** Fraction of the training set used per epoch (1 = all 8,000 digits). */
  subset: pos(0.01, 1),
  /**
   * How many seeds train this configuration: seed_i = seedForIndex(seed, i) for i < seeds
   * (core/seeds.ts). 1 (the default, and every config written before the key) is one run.
   */
  seeds: int(1, MAX_SEEDS).default(1),
});
export type RunConfig = z.infer<typeof RunConfigSchema>;

const BASE: RunConfig = {
  preset: 'quick',
  epochs: 3,
  seed: 1,
  backend: 'auto',
  threads: 'auto',
  encoding: 'row',
  cell: 'rnn',
  permute: 0,
  hidden: 32,
  init: 'xavier',
  gain: 1,
  optimizer: 'adam',
  lr: 0.005,
  batch: 64,
  clip: 5,
  bias: 1,
  reduction: 'mean',
  probes: 16,
  k: 16,
  n: ANALYSIS_DEFAULTS.n,
  draws: 'auto',
  analysis: 'auto',
  subset: 1,
  seeds: 1,
};

/** Presets: method.md §1. The paper's settings are given as published (N = 512 is slow in a browser). */
export const PRESET_CONFIGS: Record<Preset, RunConfig> = {
  quick: { ...BASE },
  // The quick demo with gated cells (PyTorch init; same optimiser, lr and clipping).
  'quick-gru': { ...BASE, preset: 'quick-gru', cell: 'gru' },
  'quick-lstm': { ...BASE, preset: 'quick-lstm', cell: 'lstm' },
  // Pixel-wise sequences (T = 196) stall at chance with Xavier W_hh and lr 2e-3 for several epochs;
  // orthogonal W_hh, lr 1e-3 and clipping at 1 reach ~45-50% after one epoch, ~60% after five.
  pixel: { ...BASE, preset: 'pixel', encoding: 'pixel14', hidden: 64, init: 'orthogonal', lr: 0.001, clip: 1, epochs: 10 },
  'paper-align': {
    ...BASE,
    preset: 'paper-align',
    encoding: 'row',
    hidden: 128,
    bias: 0,
    optimizer: 'sgd',
    lr: 1e-3,
    reduction: 'sum',
    batch: 128,
    gain: 0.005,
    probes: 25,
    epochs: 5,
    clip: 0,
  },
  'paper-sensitivity': {
    ...BASE,
    preset: 'paper-sensitivity',
    encoding: 'pixel28',
    permute: 1,
    seed: 1234,
    hidden: 512,
    optimizer: 'rmsprop',
    lr: 2e-4,
    batch: 100,
    probes: 15,
    epochs: 50,
    clip: 0,
  },
};

export const PRESET_LABELS: Record<Preset, string> = {
  quick: 'Quick demo (row-wise, N=32)',
  'quick-gru': 'Quick demo, GRU (row-wise, N=32)',
  'quick-lstm': 'Quick demo, LSTM (row-wise, N=32)',
  pixel: 'Pixel heatmap (14x14 pixel-wise, N=64, Adam)',
  'paper-align': 'Paper: alignment (row-wise, N=128, SGD, gain 0.005)',
  'paper-sensitivity': 'Paper: sensitivity (permuted pixel MNIST, N=512, RMSprop)',
};

/** Problem with one key of a config, e.g. from the URL hash. */
export interface ConfigIssue {
  key: string;
  message: string;
}

const NUMERIC_KEYS = new Set(
  Object.entries(RunConfigSchema.shape)
    // A key with a default (cell, seeds) is wrapped: look at what it wraps.
    .filter(([, s]) => (s instanceof z.ZodDefault ? s.unwrap() : s) instanceof z.ZodNumber)
    .map(([k]) => k),
);

/**
 * Parses a URL hash ("#preset=quick&epochs=1") into a config: preset defaults first, then each
 * known key. Unknown keys are ignored; an invalid value is reported (naming the key) and the
 * preset's value is kept, so a bad link can never crash the app.
 */
export function configFromHash(hash: string): { config: RunConfig; issues: ConfigIssue[] } {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const issues: ConfigIssue[] = [];
  let preset: Preset = 'quick';
  const p = params.get('preset');
  if (p !== null) {
    if ((PRESETS as readonly string[]).includes(p)) preset = p as Preset;
    else issues.push({ key: 'preset', message: `unknown preset "${p}" (expected ${PRESETS.join(' | ')})` });
  }
  const config: RunConfig = { ...PRESET_CONFIGS[preset] };
  const shape = RunConfigSchema.shape as Record<string, z.ZodType>;
  for (const key of Object.keys(shape)) {
    if (key === 'preset') continue;
    const all = params.getAll(key);
    if (all.length === 0) continue;
    const raw = all[0];
    // A value is echoed back to the user: keep a hostile 100 kB value from becoming a 100 kB banner.
    const shown = raw.length > 40 ? `${raw.slice(0, 40)}…` : raw;
    if (all.length > 1) {
      issues.push({ key, message: `${key} is given ${all.length} times; give it once` });
      continue;
    }
    const value = NUMERIC_KEYS.has(key) ? (raw.trim() === '' ? NaN : Number(raw)) : raw;
    const r = shape[key].safeParse(value);
    if (r.success) (config as Record<string, unknown>)[key] = r.data;
    else issues.push({ key, message: `invalid ${key}="${shown}": ${r.error.issues[0]?.message ?? 'invalid'}` });
  }
  return { config, issues };
}

/** Serialises a config to a hash, writing only keys that differ from the preset (short links). */
export function configToHash(config: RunConfig, extra: Record<string, string | number> = {}): string {
  const base = PRESET_CONFIGS[config.preset];
  const params = new URLSearchParams();
  params.set('preset', config.preset);
  for (const [k, v] of Object.entries(config)) {
    if (k === 'preset') continue;
    if ((base as Record<string, unknown>)[k] !== v) params.set(k, String(v));
  }
  for (const [k, v] of Object.entries(extra)) params.set(k, String(v));
  return '#' + params.toString();
}

/** Validates a whole config object (e.g. from an imported bundle); issues name the keys. */
export function validateConfig(value: unknown): { config?: RunConfig; issues: ConfigIssue[] } {
  const r = RunConfigSchema.safeParse(value);
  if (r.success) return { config: r.data, issues: [] };
  return { issues: r.error.issues.map((i) => ({ key: i.path.join('.') || '(root)', message: i.message })) };
}
