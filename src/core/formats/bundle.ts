/**
 * Run bundle `ftle-lab.run/v1`: one JSON file holding a whole run (config, probe set, data source,
 * every epoch snapshot and optionally the latest weights), so a run can be exported, shared and
 * replayed in the app without retraining.
 *
 * Wire form:
 * ```json
 * {"format": "ftle-lab.run/v1", "created": "2025-01-01T00:00:00.000Z", "appVersion": "0.1.0",
 *  "config": RunConfig, "probe": {"indices": [..B], "labels": [..B]},
 *  "dataSource": "bundled-mnist-10k" | "idx:<file names>",
 *  "epochs": [EpochSnapshot, ...], "weights": ftle-lab.model/v1 object (optional),
 *  "seedRuns": [{"seed": 2, "epochs": [EpochSnapshot, ...]}, ...] (optional)}
 * ```
 *
 * seedRuns (optional, added within v1: a bundle without it reads as before) holds the other seeds
 * of a several-seed run (config.seeds > 1): each entry one seed of seedList(config.seed,
 * config.seeds) other than config.seed itself (core/seeds.ts), with its snapshots under the same
 * rules as `epochs`. The main run (`epochs`, `weights`) is always seed_0.
 *
 * NaN encoding: JSON has no NaN, so a NaN is written as `null` and `null` is read back as NaN,
 * but ONLY in the fields where a snapshot may legitimately hold NaN (NAN_FIELDS below); everywhere
 * else numbers must be finite. ±Infinity is never valid (serialisation refuses it rather than let
 * JSON.stringify silently turn it into null).
 *
 * Precision: every number is written exactly (float64 round trip) except lnR, the bulk of a bundle
 * (B*T*k per epoch), which a bundle holds at float32 precision (9 significant digits on the wire,
 * Math.fround on reading): a 50-epoch pixel28 run stays well under MAX_RUN_BUNDLE_CHARS.
 *
 * Every failure throws FormatError whose `field` is the path of the offending value, e.g.
 * `epochs[3].spectrum[0][2]: expected a finite number`. Keys "__proto__", "constructor" and
 * "prototype" are dropped while parsing (parseJsonText), and nothing is ever evaluated.
 */
import { z } from 'zod';
import { ENCODING_SHAPES, MAX_TRAINING_THREADS, RunConfigSchema, type RunConfig } from './config';
import { FormatError, fieldPath, parseJsonText } from './errors';
import { parseModelObject, type modelToJson } from './model';
import { ENGINE_IDS, normalizeEngineId } from '../engines';
import { MAX_SEEDS, seedList } from '../seeds';
import type { AlignmentSummary, AnalysisPlan, EpochMetrics, EpochSnapshot, FlipSummary } from '../snapshot';

export const RUN_BUNDLE_FORMAT = 'ftle-lab.run/v1';

/** Largest bundle text we read or write (characters): a 50-epoch pixel28 run is ~30 MB. */
export const MAX_RUN_BUNDLE_CHARS = 200 * 1024 * 1024;

/** Classes of MNIST: softmax rows in a flip summary have this length. */
export const NUM_CLASSES = 10;

/**
 * Fields that may hold NaN (written as null). Anything not listed must be a finite number.
 * - metrics.trainLoss, trainAcc, msPerStep: undefined before training (epoch 0).
 * - qrGradRelErr: the Q/R-vs-BPTT check is skipped (NaN) when storing every Q_t would be too big.
 * - flip.zTest.p/pHolm: 0/0 when top and random dL are all equal (sigma = 0).
 * - flip.wilcoxon[*].p/pHolm, flip.effect[*]: the statistic is undefined for degenerate
 *   differences (Cohen's d_z with zero spread, Holm leaves NaN p-values NaN).
 * - alignment per-step statistics: at a step where the prefix-loss gradient dL_t/dW_hh is exactly
 *   zero (e.g. t = 1 with h_0 = 0) its singular vectors, and everything built on them, are undefined.
 */
export const NAN_FIELDS = [
  'metrics.trainLoss',
  'metrics.trainAcc',
  'metrics.msPerStep',
  'qrGradRelErr',
  'flip.zTest.p',
  'flip.zTest.pHolm',
  'flip.wilcoxon.*.p',
  'flip.wilcoxon.*.pHolm',
  'flip.effect.*',
  'alignment.paperStd*',
  'alignment.overlap* (except overlapNull)',
  'alignment.cosMatrix',
  'alignment.cosMatrices',
  'alignment.effectiveRank',
] as const;

/** A `ftle-lab.model/v1` object as written by modelToJson (validated with parseModelObject). */
export type ModelJsonObject = ReturnType<typeof modelToJson>;

/** Which digits the probe set is: indices into the test split and their labels, both [B]. */
export interface BundleProbe {
  indices: number[];
  labels: number[];
}

/** A whole run, in memory (NaN as NaN). */
export interface RunBundle {
  format: typeof RUN_BUNDLE_FORMAT;
  /** ISO 8601 creation time. */
  created: string;
  appVersion: string;
  config: RunConfig;
  probe: BundleProbe;
  /** "bundled-mnist-10k" or "idx:<names of the IDX files>". */
  dataSource: string;
  /** Snapshots in strictly increasing epoch order. */
  epochs: EpochSnapshot[];
  /** Latest weights, `ftle-lab.model/v1`. */
  weights?: ModelJsonObject;
  /** The other seeds of a several-seed run (see the module comment); absent for one seed. */
  seedRuns?: SeedRunSnapshots[];
}

/** One background seed of a several-seed run: its seed and its snapshots in increasing epoch order. */
export interface SeedRunSnapshots {
  seed: number;
  epochs: EpochSnapshot[];
}

// ---------------------------------------------------------------------------------------------
// Leaf validators. Big flat arrays (lnR is B*T*k, up to ~200k numbers per epoch) are checked with
// a plain loop rather than one zod schema per element: ~10x faster, same per-index error path.

const FINITE = 'expected a finite number';
const FINITE_OR_NULL = 'expected a finite number or null (NaN)';

type NumCheck = (v: number) => string | null;
const unit: NumCheck = (v) => (v >= 0 && v <= 1 ? null : `expected a value in [0, 1], got ${v}`);
const nonNeg: NumCheck = (v) => (v >= 0 ? null : `expected a value >= 0, got ${v}`);

/** A finite number (optionally range-checked). */
function finite(check?: NumCheck) {
  return z
    .custom<number>(() => true)
    .superRefine((v, ctx) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) ctx.addIssue({ code: 'custom', message: `${FINITE}, got ${describe(v)}` });
      else if (check) {
        const m = check(v);
        if (m) ctx.addIssue({ code: 'custom', message: m });
      }
    });
}

/** An integer in [min, max]. */
const int = (min: number, max: number) =>
  z
    .number({ error: (iss) => `expected an integer, got ${describe(iss.input)}` })
    .int()
    .min(min)
    .max(max);

/** A finite number, or NaN (in memory) / null (on the wire), read back as NaN. */
function nanable(check?: NumCheck) {
  return z
    .custom<number>(() => true)
    .superRefine((v, ctx) => {
      if (v === null || (typeof v === 'number' && Number.isNaN(v))) return;
      if (typeof v !== 'number' || !Number.isFinite(v)) ctx.addIssue({ code: 'custom', message: `${FINITE_OR_NULL}, got ${describe(v)}` });
      else if (check) {
        const m = check(v);
        if (m) ctx.addIssue({ code: 'custom', message: m });
      }
    })
    .transform((v) => (v === null ? NaN : v));
}

/** number[] of finite values; the issue path names the first bad index. Returns the same array. */
function finiteArray(check?: NumCheck) {
  return z
    .custom<number[]>(() => true)
    .superRefine((v, ctx) => {
      if (!Array.isArray(v)) {
        ctx.addIssue({ code: 'custom', message: `expected an array of finite numbers, got ${describe(v)}` });
        return;
      }
      for (let i = 0; i < v.length; i++) {
        const x = v[i];
        if (typeof x !== 'number' || !Number.isFinite(x)) {
          ctx.addIssue({ code: 'custom', message: `${FINITE}, got ${describe(x)}`, path: [i] });
          return;
        }
        if (check) {
          const m = check(x);
          if (m) {
            ctx.addIssue({ code: 'custom', message: m, path: [i] });
            return;
          }
        }
      }
    });
}

/** number[] whose entries are finite or NaN/null (null -> NaN in the output copy). */
function nanableArray(check?: NumCheck) {
  return z
    .custom<number[]>(() => true)
    .superRefine((v, ctx) => {
      if (!Array.isArray(v)) {
        ctx.addIssue({ code: 'custom', message: `expected an array of numbers, got ${describe(v)}` });
        return;
      }
      for (let i = 0; i < v.length; i++) {
        const x = v[i];
        if (x === null || (typeof x === 'number' && Number.isNaN(x))) continue;
        if (typeof x !== 'number' || !Number.isFinite(x)) {
          ctx.addIssue({ code: 'custom', message: `${FINITE_OR_NULL}, got ${describe(x)}`, path: [i] });
          return;
        }
        const m = check?.(x);
        if (m) {
          ctx.addIssue({ code: 'custom', message: m, path: [i] });
          return;
        }
      }
    })
    .transform((v) => v.map((x) => (x === null ? NaN : x)));
}

/**
 * An array whose elements match `elem`, stopping at the first bad element. (z.array reports every
 * bad element: a 200 MB file of a million wrong entries would build a million issues.)
 */
function list<T extends z.ZodType>(elem: T, opts: { min?: number; max?: number } = {}) {
  return z
    .custom<unknown[]>(() => true)
    .transform((v, ctx): z.output<T>[] => {
      if (!Array.isArray(v)) {
        ctx.addIssue({ code: 'custom', message: `expected an array, got ${describe(v)}` });
        return z.NEVER;
      }
      if (opts.min !== undefined && v.length < opts.min) {
        ctx.addIssue({ code: 'custom', message: `expected at least ${opts.min} entries, got ${v.length}` });
        return z.NEVER;
      }
      if (opts.max !== undefined && v.length > opts.max) {
        ctx.addIssue({ code: 'custom', message: `expected at most ${opts.max} entries, got ${v.length}` });
        return z.NEVER;
      }
      const out: z.output<T>[] = new Array(v.length);
      for (let i = 0; i < v.length; i++) if (!parseInto(elem, v[i], out, i, ctx)) return z.NEVER;
      return out;
    });
}

/**
 * Parses `value` with `schema` into out[at] (at: the element's index or key); on failure reports
 * the first issue under that index or key, as the path of the whole value, and returns false.
 */
function parseInto<T extends z.ZodType>(
  schema: T,
  value: unknown,
  out: z.output<T>[] | Record<string, z.output<T>>,
  at: string | number,
  ctx: z.RefinementCtx,
): boolean {
  const r = schema.safeParse(value);
  if (r.success) {
    (out as Record<string | number, z.output<T>>)[at] = r.data;
    return true;
  }
  const issue = r.error.issues[0];
  ctx.addIssue({ code: 'custom', message: issue?.message ?? 'invalid', path: [at, ...(issue?.path ?? [])] });
  return false;
}

const intArray = (min: number, max: number, opts: { min?: number; max?: number } = {}) => list(int(min, max), opts);
const matrix = <T extends z.ZodType>(row: T) => list(row);

/** Names of rankings ("top", "random", ...): short identifiers, never prototype keys. */
const RANKING_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
/** Most rankings a flip summary may name ("top", "bottom", ..., "random"): a handful in practice. */
const MAX_RANKINGS = 64;

/** A record keyed by ranking names, stopping at the first bad key or value (see list()). */
function rankingRecord<T extends z.ZodType>(value: T) {
  return z
    .custom<unknown>(() => true)
    .transform((v, ctx): Record<string, z.output<T>> => {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) {
        ctx.addIssue({ code: 'custom', message: `expected an object keyed by ranking name, got ${describe(v)}` });
        return z.NEVER;
      }
      const keys = Object.keys(v);
      if (keys.length > MAX_RANKINGS) {
        ctx.addIssue({ code: 'custom', message: `expected at most ${MAX_RANKINGS} rankings, got ${keys.length}` });
        return z.NEVER;
      }
      const out: Record<string, z.output<T>> = {};
      for (const key of keys) {
        if (!RANKING_NAME.test(key)) {
          ctx.addIssue({ code: 'custom', message: 'expected a ranking name (letters, digits, _ or -)', path: [key] });
          return z.NEVER;
        }
        if (!parseInto(value, (v as Record<string, unknown>)[key], out, key, ctx)) return z.NEVER;
      }
      return out;
    });
}

/** Short printable description of an offending value for error messages (never the whole value). */
function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (typeof v === 'number') return String(v);
  return typeof v;
}

/** Largest finite float32. */
const F32_MAX = 3.4028234663852886e38;

/** Shortest-enough decimal for a float32: 9 significant digits identify every float32 uniquely. */
function float32Decimal(x: number): number {
  return Number(Math.fround(x).toPrecision(9));
}

/** lnR: finite numbers held at float32 precision ("Float32 precision is plenty for drawing"). */
const float32Array = () =>
  finiteArray((v) => (Math.abs(v) <= F32_MAX ? null : `outside the float32 range, got ${v}`)).transform((v) =>
    v.map((x) => Math.fround(x)),
  );

// ---------------------------------------------------------------------------------------------
// Snapshot schema (shapes are checked afterwards, when B, T, k, N are known).

const MetricsSchema = z.object({
  trainLoss: nanable(nonNeg),
  trainAcc: nanable(unit),
  testLoss: finite(nonNeg),
  testAcc: finite(unit),
  msPerStep: nanable(nonNeg),
  epochMs: finite(nonNeg),
  analysisMs: finite(nonNeg),
  numTensors: int(0, Number.MAX_SAFE_INTEGER),
  // Old files' spellings of an engine are mapped to today's id (core/engines.ts LEGACY_ENGINE_IDS).
  engine: z.preprocess(normalizeEngineId, z.enum(ENGINE_IDS)).optional(),
  // Absent in files written before threaded training: those epochs trained on one thread (epochThreads).
  threads: int(1, MAX_TRAINING_THREADS).optional(),
}) satisfies z.ZodType<EpochMetrics, unknown>;

const AlignmentSchema = z.object({
  steps: intArray(1, 1_000_000),
  paperStd: nanableArray(nonNeg),
  paperStdRandomQ: nanableArray(nonNeg),
  randomQPool: int(1, 1_000_000).optional(),
  paperStdLastQ: nanableArray(nonNeg).optional(),
  paperStdMismatched: nanableArray(nonNeg),
  paperStdWhh: nanableArray(nonNeg),
  nullCosStd: finite(nonNeg),
  m: intArray(1, 1_000_000),
  overlapLeft: matrix(nanableArray(unit)),
  overlapRight: matrix(nanableArray(unit)),
  overlapLeftStd: matrix(nanableArray(nonNeg)),
  overlapRightStd: matrix(nanableArray(nonNeg)),
  overlapLeftMismatched: matrix(nanableArray(unit)),
  overlapLeftWhh: matrix(nanableArray(unit)),
  overlapNull: finiteArray(unit),
  cosMatrix: matrix(nanableArray(unit)),
  cosMatrices: list(matrix(nanableArray(unit))).optional(),
  effectiveRank: nanableArray(nonNeg),
  paperStdClv: nanableArray(nonNeg).optional(),
  clvFirstTwoAngle: matrix(nanableArray(nonNeg)).optional(),
  clvQAngle: matrix(nanableArray(nonNeg)).optional(),
}) satisfies z.ZodType<AlignmentSummary, unknown>;

const FlipSchema = z.object({
  n: int(1, 1_000_000),
  kList: intArray(1, 1_000_000),
  R: int(1, 1_000_000),
  matchedDraws: int(0, 1_000_000).optional(),
  baseLoss: finiteArray(nonNeg),
  dL: rankingRecord(matrix(finiteArray())),
  dLRand: matrix(matrix(finiteArray())),
  zTest: z.object({ d: finiteArray(), sigma: finiteArray(nonNeg), p: nanableArray(unit), pHolm: nanableArray(unit) }),
  wilcoxon: rankingRecord(
    z.object({ medianDiff: finiteArray(), meanDiff: finiteArray(), p: nanableArray(unit), pHolm: nanableArray(unit) }),
  ),
  band: rankingRecord(matrix(finiteArray())),
  effect: rankingRecord(nanableArray()),
  singleFlip: matrix(finiteArray()),
  scores: matrix(finiteArray()),
  absDLdx: matrix(finiteArray(nonNeg)),
  kFig: int(1, 1_000_000),
  softmaxOrig: matrix(finiteArray(unit)),
  softmaxTop: matrix(finiteArray(unit)),
  softmaxRand: matrix(finiteArray(unit)),
}) satisfies z.ZodType<FlipSummary, unknown>;

/** An epoch's analysis plan (snapshot.ts AnalysisPlan): what ran, the paper's plan, the cut. */
const PlanSchema = z.object({
  R: int(1, 1000),
  Rm: int(0, 1000),
  single: z.boolean(),
  kList: intArray(1, 1_000_000, { max: 64 }),
  paper: z.object({ R: int(1, 1000), Rm: int(0, 1000), single: z.boolean(), kList: intArray(1, 1_000_000, { max: 64 }) }),
  drawsFrom: z.enum(['paper', 'draws=', 'CPU budget']),
  cut: z.literal('CPU budget').nullable(),
  budgetMacs: finite(nonNeg).nullable(),
  macs: z.object({ lyapunov: finite(nonNeg), alignment: finite(nonNeg), flip: finite(nonNeg), single: finite(nonNeg) }),
}) satisfies z.ZodType<AnalysisPlan, unknown>;

const SnapshotSchema = z.object({
  epoch: int(0, 1_000_000),
  metrics: MetricsSchema,
  T: int(1, 1_000_000),
  N: int(1, 1_000_000),
  k: int(1, 1_000_000),
  lnR: float32Array(),
  spectrum: matrix(finiteArray()),
  saturation: finite(unit),
  qrGradRelErr: nanable(nonNeg),
  alignment: AlignmentSchema.nullable(),
  flip: FlipSchema.nullable(),
  plan: PlanSchema.optional(),
  analysisEngine: z
    .object({ kind: z.enum(['gpu', 'cpu']), adapter: z.string().max(1000).optional(), fallback: z.string().max(2000).optional() })
    .optional(),
  gpuCheck: z
    .object({
      probe: int(0, 1_000_000),
      maxDevLnR: finite(nonNeg),
      maxDevFtle: finite(nonNeg),
      maxDevQ: finite(nonNeg),
      maxDevFlipDL: finite(nonNeg),
      maxDevSingle: finite(nonNeg),
      maxDevCosine: finite(nonNeg),
      decisionsDiffer: z.array(z.string().max(200)).max(100),
    })
    .optional(),
}) satisfies z.ZodType<EpochSnapshot, unknown>;

const ProbeSchema = z.object({
  indices: intArray(0, 1_000_000_000, { min: 1, max: 4096 }),
  labels: intArray(0, NUM_CLASSES - 1),
});

// biome-ignore lint/suspicious/noControlCharactersInRegex: the rule IS to refuse control characters in a data-source name
const DATA_SOURCE = /^(bundled-mnist-10k|idx:[^\u0000-\u001f]{1,1000})$/;

const BundleSchema = z.object({
  format: z.literal(RUN_BUNDLE_FORMAT, { error: (iss) => `expected "${RUN_BUNDLE_FORMAT}", got ${describe(iss.input)}` }),
  created: z.string().refine((s) => s.length <= 64 && !Number.isNaN(Date.parse(s)) && /^\d{4}-\d\d-\d\dT/.test(s), {
    error: 'expected an ISO 8601 date-time',
  }),
  appVersion: z.string().min(1).max(64),
  config: RunConfigSchema,
  probe: ProbeSchema,
  dataSource: z.string().regex(DATA_SOURCE, { error: 'expected "bundled-mnist-10k" or "idx:<file names>"' }),
  epochs: list(SnapshotSchema, { max: 100_000 }),
  weights: z.record(z.string(), z.unknown()).optional(),
  seedRuns: list(
    z.object({
      seed: z
        .number()
        .int()
        .min(0)
        .max(2 ** 31 - 1),
      epochs: list(SnapshotSchema, { max: 100_000 }),
    }),
    {
      max: MAX_SEEDS - 1,
    },
  ).optional(),
});

// ---------------------------------------------------------------------------------------------
// Cross-field consistency: every array's length follows from B (probes), T, k, N, K, R, S, M.

type Path = (string | number)[];

class ShapeCheck {
  constructor(private readonly fail: (path: Path, message: string) => void) {}

  /** Checks that `value` is a nested array with exactly `dims` lengths (outermost first). */
  dims(value: unknown, dims: number[], path: Path): boolean {
    if (!Array.isArray(value)) {
      this.fail(path, `expected an array of length ${dims[0]}`);
      return false;
    }
    if (value.length !== dims[0]) {
      this.fail(path, `expected length ${dims[0]}, got ${value.length}`);
      return false;
    }
    if (dims.length === 1) return true;
    for (let i = 0; i < value.length; i++) if (!this.dims(value[i], dims.slice(1), [...path, i])) return false;
    return true;
  }

  /** Checks an integer list entrywise against [lo, hi]. */
  range(values: number[], lo: number, hi: number, path: Path, what: string): boolean {
    for (let i = 0; i < values.length; i++) {
      if (values[i] < lo || values[i] > hi) {
        this.fail([...path, i], `${what} must lie in [${lo}, ${hi}], got ${values[i]}`);
        return false;
      }
    }
    return true;
  }
}

type ParsedBundle = z.output<typeof BundleSchema>;

/** Returns the first inconsistency between the bundle's parts as [path, message], or null. */
function checkConsistency(b: ParsedBundle): [Path, string] | null {
  let first: [Path, string] | null = null;
  const check = new ShapeCheck((path, message) => {
    first ??= [path, message];
  });
  const B = b.probe.indices.length;
  if (!check.dims(b.probe.labels, [B], ['probe', 'labels'])) return first;
  const bad = checkEpochList(b, b.epochs, ['epochs'], check, () => first);
  if (bad) return bad;
  if (b.seedRuns) {
    const allowed = seedList(b.config.seed, b.config.seeds).slice(1);
    const seen = new Set<number>();
    for (let r = 0; r < b.seedRuns.length; r++) {
      const seed = b.seedRuns[r].seed;
      if (!allowed.includes(seed))
        return [
          ['seedRuns', r, 'seed'],
          `expected one of the other seeds of config.seed ${b.config.seed} with config.seeds ${b.config.seeds} (${allowed.join(', ') || 'none'}), got ${seed}`,
        ];
      if (seen.has(seed)) return [['seedRuns', r, 'seed'], `seed ${seed} appears twice`];
      seen.add(seed);
      const badSeed = checkEpochList(b, b.seedRuns[r].epochs, ['seedRuns', r, 'epochs'], check, () => first);
      if (badSeed) return badSeed;
    }
  }
  return first;
}

/** Checks one list of snapshots of the bundle `b` (its epochs or a seed run's) found at `where`. */
function checkEpochList(
  b: ParsedBundle,
  epochs: ParsedBundle['epochs'],
  where: Path,
  check: ShapeCheck,
  first: () => [Path, string] | null,
): [Path, string] | null {
  const B = b.probe.indices.length;
  const T = ENCODING_SHAPES[b.config.encoding].T;
  const N = b.config.hidden;

  for (let e = 0; e < epochs.length; e++) {
    const s = epochs[e];
    const at = (...p: Path): Path => [...where, e, ...p];
    if (e > 0 && s.epoch <= epochs[e - 1].epoch)
      return [at('epoch'), `epochs must be strictly increasing (${epochs[e - 1].epoch} then ${s.epoch})`];
    if (s.T !== T) return [at('T'), `expected ${T} steps for encoding ${b.config.encoding}, got ${s.T}`];
    if (s.N !== N) return [at('N'), `expected ${N} hidden units (config.hidden), got ${s.N}`];
    if (s.k > N) return [at('k'), `expected at most N = ${N} tracked vectors, got ${s.k}`];
    if (s.lnR.length !== B * T * s.k) return [at('lnR'), `expected length B*T*k = ${B}*${T}*${s.k} = ${B * T * s.k}, got ${s.lnR.length}`];
    if (!check.dims(s.spectrum, [B, s.k], at('spectrum'))) return first();

    const a = s.alignment;
    if (a) {
      const S = a.steps.length;
      const M = a.m.length;
      if (!check.range(a.steps, 1, T, at('alignment', 'steps'), 'a step')) return first();
      if (!check.range(a.m, 1, N, at('alignment', 'm'), 'a subspace size')) return first();
      for (const key of ['paperStd', 'paperStdRandomQ', 'paperStdMismatched', 'paperStdWhh', 'effectiveRank'] as const) {
        if (!check.dims(a[key], [S], at('alignment', key))) return first();
      }
      if (a.paperStdLastQ && !check.dims(a.paperStdLastQ, [S], at('alignment', 'paperStdLastQ'))) return first();
      if (a.randomQPool !== undefined && a.randomQPool > N)
        return [at('alignment', 'randomQPool'), `expected at most N = ${N} Q vectors, got ${a.randomQPool}`];
      for (const key of [
        'overlapLeft',
        'overlapRight',
        'overlapLeftStd',
        'overlapRightStd',
        'overlapLeftMismatched',
        'overlapLeftWhh',
      ] as const) {
        if (!check.dims(a[key], [S, M], at('alignment', key))) return first();
      }
      if (!check.dims(a.overlapNull, [M], at('alignment', 'overlapNull'))) return first();
      // Rows are the paper's first Q vectors, tracked for alignment even beyond the k reported in lnR.
      const nq = a.cosMatrix.length;
      if (nq > N) return [at('alignment', 'cosMatrix'), `expected at most N = ${N} rows (Q vectors), got ${nq}`];
      if (nq > 0) {
        const nsv = a.cosMatrix[0].length;
        if (nsv > N) return [at('alignment', 'cosMatrix', 0), `expected at most N = ${N} columns (singular vectors), got ${nsv}`];
        if (!check.dims(a.cosMatrix, [nq, nsv], at('alignment', 'cosMatrix'))) return first();
        if (a.cosMatrices && !check.dims(a.cosMatrices, [B, nq, nsv], at('alignment', 'cosMatrices'))) return first();
      }
    }

    // The plan must be the one the flip summary ran (its R, matched draws, k values, single-pixel map).
    const pl = s.plan;
    if (pl && s.flip) {
      if (pl.R !== s.flip.R) return [at('plan', 'R'), `expected the flip summary's R = ${s.flip.R}, got ${pl.R}`];
      if (s.flip.matchedDraws !== undefined && pl.Rm !== s.flip.matchedDraws)
        return [at('plan', 'Rm'), `expected the flip summary's ${s.flip.matchedDraws} matched draws, got ${pl.Rm}`];
      if (pl.kList.join() !== s.flip.kList.join())
        return [at('plan', 'kList'), `expected the flip summary's k values ${s.flip.kList.join(', ')}`];
      if (!pl.single && s.flip.singleFlip.length > 0)
        return [at('plan', 'single'), 'the plan skips the single-pixel map, yet the flip summary has one'];
    }

    const f = s.flip;
    if (f) {
      const K = f.kList.length;
      const R = f.R;
      if (f.n > s.k) return [at('flip', 'n'), `s_t(n) averages ln r_1..n, so n must be at most k = ${s.k}, got ${f.n}`];
      if (!check.range(f.kList, 1, T, at('flip', 'kList'), 'a flip count')) return first();
      if (f.kFig > T) return [at('flip', 'kFig'), `expected at most T = ${T}, got ${f.kFig}`];
      if (!check.dims(f.baseLoss, [B], at('flip', 'baseLoss'))) return first();
      for (const [name, v] of Object.entries(f.dL)) if (!check.dims(v, [K, B], at('flip', 'dL', name))) return first();
      if (!check.dims(f.dLRand, [K, R, B], at('flip', 'dLRand'))) return first();
      for (const key of ['d', 'sigma', 'p', 'pHolm'] as const) if (!check.dims(f.zTest[key], [K], at('flip', 'zTest', key))) return first();
      for (const [name, w] of Object.entries(f.wilcoxon)) {
        for (const key of ['medianDiff', 'meanDiff', 'p', 'pHolm'] as const) {
          if (!check.dims(w[key], [K], at('flip', 'wilcoxon', name, key))) return first();
        }
      }
      for (const [name, v] of Object.entries(f.band)) {
        if (!check.dims(v, [K, 2], at('flip', 'band', name))) return first();
        for (let i = 0; i < K; i++)
          if (v[i][0] > v[i][1]) return [at('flip', 'band', name, i), `band must be [low, high], got [${v[i][0]}, ${v[i][1]}]`];
      }
      for (const [name, v] of Object.entries(f.effect)) if (!check.dims(v, [K], at('flip', 'effect', name))) return first();
      if (!check.dims(f.scores, [B, T], at('flip', 'scores'))) return first();
      // The single-step map (over the work budget) and |dL/dx| (no input gradients) may be skipped: [].
      for (const key of ['singleFlip', 'absDLdx'] as const) {
        if (f[key].length > 0 && !check.dims(f[key], [B, T], at('flip', key))) return first();
      }
      for (const key of ['softmaxOrig', 'softmaxTop', 'softmaxRand'] as const) {
        if (!check.dims(f[key], [B, NUM_CLASSES], at('flip', key))) return first();
      }
    }
  }
  return first();
}

/** Validates the optional weights: a valid ftle-lab.model/v1 model of the config's cell and size. */
function checkWeights(b: ParsedBundle): void {
  if (!b.weights) return;
  let w: ReturnType<typeof parseModelObject>;
  try {
    w = parseModelObject(b.weights);
  } catch (e) {
    if (e instanceof FormatError) throw new FormatError(`weights.${e.field}`, e.message.slice(e.field.length + 2));
    throw e;
  }
  if (w.arch !== b.config.cell) throw new FormatError('weights.arch', `expected "${b.config.cell}" (config.cell), got "${w.arch}"`);
  if (w.hiddenSize !== b.config.hidden) {
    throw new FormatError('weights.hidden_size', `expected ${b.config.hidden} (config.hidden), got ${w.hiddenSize}`);
  }
}

/** Schema, then cross-field checks; throws FormatError naming the first failing field. */
function validate(value: unknown): RunBundle {
  const r = BundleSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new FormatError(fieldPath(issue?.path ?? []), issue?.message ?? 'invalid');
  }
  const bad = checkConsistency(r.data);
  if (bad) throw new FormatError(fieldPath(bad[0]), bad[1]);
  checkWeights(r.data);
  return r.data as RunBundle;
}

/**
 * Validates an in-memory bundle (NaN as NaN) with exactly the rules parseRunBundle applies, and
 * returns a copy without unknown keys. Throws FormatError naming the first failing field.
 */
export function validateRunBundle(bundle: unknown): RunBundle {
  return validate(bundle);
}

/**
 * Serialises a run bundle to JSON text (NaN -> null, no indentation). Validates first, so it never
 * writes a file parseRunBundle would refuse; throws FormatError naming the field otherwise (also
 * for a result longer than MAX_RUN_BUNDLE_CHARS).
 */
export function serializeRunBundle(bundle: RunBundle): string {
  const valid = validate(bundle);
  // lnR (the bulk of a bundle) is written at float32 precision, 9 significant digits, which is
  // enough to recover every float32 exactly; parsing rounds it back with Math.fround.
  const wire = (epochs: EpochSnapshot[]) => epochs.map((s) => ({ ...s, lnR: s.lnR.map(float32Decimal) }));
  const wireForm = {
    ...valid,
    epochs: wire(valid.epochs),
    ...(valid.seedRuns ? { seedRuns: valid.seedRuns.map((r) => ({ seed: r.seed, epochs: wire(r.epochs) })) } : {}),
  };
  // JSON.stringify writes NaN as null, which is our encoding; ±Infinity cannot reach it (validate
  // refused it), so no value is silently changed.
  const text = JSON.stringify(wireForm);
  if (text.length > MAX_RUN_BUNDLE_CHARS) {
    throw new FormatError('(root)', `run bundle is too large (${text.length} characters > ${MAX_RUN_BUNDLE_CHARS})`);
  }
  return text;
}

/**
 * Parses `ftle-lab.run/v1` JSON text (at most MAX_RUN_BUNDLE_CHARS characters) into a RunBundle,
 * null -> NaN in the NaN-able fields. Unknown keys are ignored; prototype keys are dropped.
 * Throws FormatError naming the first failing field, e.g. `epochs[3].spectrum[0][2]: expected a
 * finite number, got "x"`.
 */
export function parseRunBundle(text: string): RunBundle {
  if (typeof text !== 'string') throw new FormatError('(root)', 'run bundle: expected JSON text');
  if (text.length > MAX_RUN_BUNDLE_CHARS) {
    throw new FormatError('(root)', `run bundle is too large (${text.length} characters > ${MAX_RUN_BUNDLE_CHARS})`);
  }
  return validate(parseJsonText(text, 'run bundle'));
}
