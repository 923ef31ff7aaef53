/**
 * The input-sensitivity flip test (method.md §5) with the paper's z test and our controls.
 *
 * For every probe b and every k in kList, flip k time steps chosen by a ranking and measure
 * dL = CE(flipped) - CE(original) at the last step. Rankings (per probe, ties to the lower t):
 *   top      - highest s_t(n) (the paper's R-top set)
 *   bottom   - lowest s_t(n) (ascending; a control)
 *   saliency - highest |dL/dx_t| (sum over the D components of a step)
 *   taylor   - highest first-order predicted change sum_d g_{t,d} (flip(x_{t,d}) - x_{t,d})
 *   last     - the last k steps (a last-step readout is most sensitive to late inputs)
 *   matched  - random steps matched per probe on the top set's number of 0->1 and 1->0 flips
 *   matched_time - as matched, and also on time position (same quarter of the sequence)
 * and the paper's random baseline: R uniformly random k-sets, each shared by all probes.
 * Statistics: the paper's z test (top vs random, values pooled as independent), and a paired
 * Wilcoxon signed-rank test per ranking on dL_ranking(b) - mean_r dL_rand(r, b) (one-sided,
 * ranking > random), Holm-corrected across k; bootstrap bands and paired effect sizes.
 */
import { ANALYSIS_DEFAULTS } from '../analysis/analysisDefaults';
import { createRng, deriveSeed, type Rng } from '../rng';
import { bootstrapMeanBand, holm, mean, pairedEffectSize, wilcoxonSignedRank, zTestPaper } from '../stats';
import { evaluatorFromBatch, type EvalLosses, type FlipEvaluator, type FlipJob } from './evaluator';
import { flipValue, FLIP_THRESHOLD, ordersDescending, rankAscending, stepScores, tieMargins } from './scores';

/** The paper's k values; values above T are dropped (ANALYSIS_DEFAULTS.kList). */
export const DEFAULT_K_LIST: number[] = [...ANALYSIS_DEFAULTS.kList];
/** The paper's number of random draws (ANALYSIS_DEFAULTS.draws). */
export const DEFAULT_R = ANALYSIS_DEFAULTS.draws;
/** Matched random draws per probe and k (ANALYSIS_DEFAULTS.matchedDraws). */
export const DEFAULT_MATCHED_DRAWS = ANALYSIS_DEFAULTS.matchedDraws;
/** Rankings compared with the random baseline (FlipSummary names, plus matched_time). */
export const RANKING_NAMES = ['top', 'bottom', 'saliency', 'taylor', 'last', 'matched', 'matched_time'] as const;
export type RankingName = (typeof RANKING_NAMES)[number];
/** Number of equal time windows the time-matched baseline stratifies by. */
export const MATCHED_TIME_BINS = 4;

/** Inputs of flipTest. Flat arrays are row-major; time index 0 is step t = 1. */
export interface FlipTestArgs {
  /** Probe inputs [B][T][D]. */
  inputs: ArrayLike<number>;
  /** Class labels [B]. */
  labels: ArrayLike<number>;
  B: number;
  T: number;
  D: number;
  /** Per-step scores s_t(n) [B][T]; or give rvals + k (+ n) to compute them. */
  scores?: ArrayLike<number>;
  /** diag(R_t) [B][T][k] (all > 0). */
  rvals?: ArrayLike<number>;
  /** Number of Q vectors in rvals. */
  k?: number;
  /** Score uses the first n log R values (default 1). */
  n?: number;
  /** dL/dx_t [B][T][D] of the last-step loss; without it saliency and taylor are skipped. */
  inputGradients?: ArrayLike<number>;
  /** k values (default DEFAULT_K_LIST); values > T are dropped, duplicates removed. */
  kList?: number[];
  /** Random draws per k (default 50; ignored when randSets is given). */
  R?: number;
  /** Seed of the random sets, matched draws and bootstrap (default 0). */
  seed?: number;
  /** Externally given random sets [K][R][k] of 0-based steps (e.g. a fixture's rand_sets). */
  randSets?: number[][][];
  /** Matched random draws per probe and k (default 10: they enter only as a per-probe mean). */
  matchedDraws?: number;
  /** Bootstrap resamples for the bands (default 1000). */
  bootstrapResamples?: number;
  /** Either a batched evaluator of full sequences (e.g. tfjs on the GPU)... */
  evalLosses?: EvalLosses;
  /** ...or a flip evaluator (e.g. the cached float64 one); one of the two is required. */
  evaluator?: FlipEvaluator;
}

/** Paired Wilcoxon results per k for one ranking vs the mean random dL. */
export interface WilcoxonBlock {
  median_diff: number[];
  mean_diff: number[];
  p: number[];
  p_holm: number[];
}

/** Output of flipTest: the reference fixture's `flip` keys plus our controls. */
export interface FlipTestResult {
  n: number;
  score: string;
  rule: string;
  /** s_t(n) [B][T]. */
  scores: number[][];
  /** Steps by descending score, ties to the lower t [B][T]. */
  order: number[][];
  /** Gap between the k-th and (k+1)-th score [K][B] (Infinity when k = T). */
  tie_margin: number[][];
  k_list: number[];
  R: number;
  /** Random k-sets [K][R][k] (0-based steps, shared by all probes). */
  rand_sets: number[][][];
  base_loss: number[];
  dL_top: number[][];
  dL_bottom: number[][];
  /** [K][R][B]. */
  dL_rand: number[][][];
  z_test: { d: number[]; sigma: number[]; p: number[]; p_holm: number[] };
  /** Top vs mean random (the fixture's `wilcoxon`). */
  wilcoxon: WilcoxonBlock;
  /** |dL/dx_t| summed over the D components [B][T] (only with inputGradients). */
  abs_dLdx?: number[][];
  dL_saliency?: number[][];
  /** First-order predicted dL of flipping step t alone [B][T] (only with inputGradients). */
  taylor_gain?: number[][];
  dL_taylor?: number[][];
  dL_last: number[][];
  /** Matched random draws [K][Rm][B] and their per-probe mean [K][B]. */
  dL_matched: number[][][];
  dL_matched_mean: number[][];
  dL_matched_time: number[][][];
  dL_matched_time_mean: number[][];
  /** Number of 0->1 steps in each probe's top-k set [K][B] (the matched draws copy it). */
  top_up_flips: number[][];
  /** dL per ranking [K][B] (matched: mean over draws); the rankings that were computed. */
  dL: Partial<Record<RankingName, number[][]>>;
  /** Paired Wilcoxon per ranking vs mean random, Holm across k. */
  wilcoxon_rankings: Partial<Record<RankingName, WilcoxonBlock>>;
  /** Paired Wilcoxon of top vs its matched baselines (is the effect more than flip direction / position?). */
  wilcoxon_top_vs_matched: WilcoxonBlock;
  wilcoxon_top_vs_matched_time: WilcoxonBlock;
  /** Bootstrap 95% band of the mean dL over probes [K][2], per ranking and "random" (per-probe mean over draws). */
  band: Record<string, number[][]>;
  /** Effect size mean/sd of the paired differences ranking - mean random, per ranking, per k. */
  effect: Partial<Record<RankingName, number[]>>;
}

const SCORE_TEXT = 's_t(n) = mean_{i<=n} ln r_i(t); order = descending, ties -> lower t first';
const RULE_TEXT = `selected time steps: every input component < ${FLIP_THRESHOLD} -> 1.0, else -> 0.0`;

/** Draws k distinct integers from 0..n-1 uniformly (partial Fisher–Yates on a scratch array). */
function drawDistinct(pool: ArrayLike<number>, k: number, rng: Rng, scratch: Int32Array): number[] {
  const n = pool.length;
  for (let i = 0; i < n; i++) scratch[i] = pool[i];
  const out: number[] = [];
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(n - i);
    const tmp = scratch[i];
    scratch[i] = scratch[j];
    scratch[j] = tmp;
    out.push(scratch[i]);
  }
  return out;
}

/**
 * R random k-sets per k, uniformly without replacement from 0..T-1, each shared by all probes.
 * Returns [K][R][k]. Seeded: stream "flip-random" of `seed`.
 */
export function drawRandomSets(T: number, kList: number[], R: number, seed: number): number[][][] {
  const rng = createRng(deriveSeed(seed, 'flip-random'));
  const all = Int32Array.from({ length: T }, (_, t) => t);
  const scratch = new Int32Array(T);
  return kList.map((k) => Array.from({ length: R }, () => drawDistinct(all, k, rng, scratch)));
}

/** kList capped by T: values > T dropped, duplicates removed, ascending. */
export function capKList(kList: number[], T: number): number[] {
  return [...new Set(kList.filter((k) => Number.isInteger(k) && k >= 1 && k <= T))].sort((a, b) => a - b);
}

/**
 * A step counts as "up" (0 -> 1) when most of its components are < 0.001, i.e. the flip mostly
 * switches it on; otherwise "down". For D = 1 this is exactly the flip direction. Returns [B][T].
 */
export function stepDirections(inputs: ArrayLike<number>, B: number, T: number, D: number): Uint8Array {
  const up = new Uint8Array(B * T);
  for (let bt = 0; bt < B * T; bt++) {
    let c = 0;
    for (let d = 0; d < D; d++) if (inputs[bt * D + d] < FLIP_THRESHOLD) c++;
    up[bt] = 2 * c > D ? 1 : 0;
  }
  return up;
}

/** Strata of one probe's steps for matched draws: stratumOf [T] and the steps of each stratum. */
export interface MatchedStrata {
  stratumOf: Int32Array;
  strata: Int32Array[];
}

/**
 * Splits the T steps of one probe into strata (flip direction, time window): stratum
 * = up[t] * timeBins + floor(t * timeBins / T), with up[t] = 1 for a 0->1 step (stepDirections row).
 */
export function matchedStrata(up: ArrayLike<number>, T: number, timeBins: number): MatchedStrata {
  const stratumOf = new Int32Array(T);
  const members: number[][] = Array.from({ length: 2 * timeBins }, () => []);
  for (let t = 0; t < T; t++) {
    const s = (up[t] ? 1 : 0) * timeBins + Math.min(timeBins - 1, Math.floor((t * timeBins) / T));
    stratumOf[t] = s;
    members[s].push(t);
  }
  return { stratumOf, strata: members.map((m) => Int32Array.from(m)) };
}

/**
 * One matched random draw for one probe: for each stratum, as many distinct steps, uniformly from
 * that stratum, as the reference set (e.g. the top-k set) has in it. With timeBins = 1 the draw is
 * matched on the number of 0->1 and 1->0 steps only; with 4 also on the quarter of the sequence.
 * The reference set lies in the strata, so every stratum has enough steps.
 */
export function drawMatched(refSet: ArrayLike<number>, s: MatchedStrata, rng: Rng, scratch = new Int32Array(s.stratumOf.length)): number[] {
  const counts = new Int32Array(s.strata.length);
  for (let j = 0; j < refSet.length; j++) counts[s.stratumOf[refSet[j]]]++;
  const out: number[] = [];
  for (let k = 0; k < s.strata.length; k++) if (counts[k] > 0) out.push(...drawDistinct(s.strata[k], counts[k], rng, scratch));
  return out;
}

/** Paired Wilcoxon (greater) of a [K][B] dL table against a [K][B] reference, Holm across k. */
function pairedBlock(dL: number[][], ref: number[][]): WilcoxonBlock {
  const res = dL.map((row, ki) =>
    wilcoxonSignedRank(
      row.map((v, b) => v - ref[ki][b]),
      'greater',
    ),
  );
  const p = res.map((r) => r.p);
  return { median_diff: res.map((r) => r.medianDiff), mean_diff: res.map((r) => r.meanDiff), p, p_holm: holm(p) };
}

const to2d = (a: ArrayLike<number>, rows: number, cols: number): number[][] =>
  Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => a[r * cols + c]));

/**
 * Runs the full flip test. Evaluations: B * K * (R + 5 + 2 * matchedDraws) flipped sequences
 * (B = 16, T = 196, N = 64, K = 10, R = 50: 12,000 jobs, ~2.0 M recurrent steps with the cached
 * evaluator, i.e. about 10,000 full forward passes' worth).
 * See FlipTestArgs and FlipTestResult for shapes.
 */
export function flipTest(args: FlipTestArgs): FlipTestResult {
  const { inputs, labels, B, T, D } = args;
  const n = args.n ?? 1;
  if (inputs.length !== B * T * D) throw new RangeError(`inputs has ${inputs.length} values, expected B*T*D = ${B * T * D}`);
  let scores: ArrayLike<number>;
  if (args.scores) scores = args.scores;
  else if (args.rvals && args.k) scores = stepScores(args.rvals, B, T, args.k, n);
  else throw new Error('flipTest needs scores or rvals with k');
  if (scores.length !== B * T) throw new RangeError(`scores has ${scores.length} values, expected B*T = ${B * T}`);

  const seed = args.seed ?? 0;
  let kList: number[];
  let randSets: number[][][];
  if (args.randSets) {
    kList = args.kList ?? args.randSets.map((sets) => sets[0]?.length ?? 0);
    randSets = args.randSets;
    if (randSets.length !== kList.length) throw new RangeError(`randSets has ${randSets.length} k values, kList ${kList.length}`);
    randSets.forEach((sets, ki) =>
      sets.forEach((s, r) => {
        if (s.length !== kList[ki] || s.some((t) => !(t >= 0 && t < T)) || new Set(s).size !== s.length)
          throw new RangeError(`randSets[${ki}][${r}] is not ${kList[ki]} distinct steps in 0..${T - 1}`);
      }),
    );
  } else {
    kList = capKList(args.kList ?? DEFAULT_K_LIST, T);
    randSets = drawRandomSets(T, kList, args.R ?? DEFAULT_R, seed);
  }
  const K = kList.length;
  const R = randSets[0]?.length ?? 0;
  const Rm = args.matchedDraws ?? DEFAULT_MATCHED_DRAWS;
  const bootstrapResamples = args.bootstrapResamples ?? 1000;

  const evaluator: FlipEvaluator =
    args.evaluator ??
    (args.evalLosses
      ? evaluatorFromBatch(args.evalLosses, inputs, labels, B, T, D)
      : (() => {
          throw new Error('flipTest needs evalLosses or evaluator');
        })());
  const base = evaluator.baseLoss;
  const dLOf = (jobs: FlipJob[]): number[][] => {
    // jobs are laid out [K][B]
    const l = evaluator.losses(jobs);
    return Array.from({ length: K }, (_, ki) => Array.from({ length: B }, (_, b) => l[ki * B + b] - base[b]));
  };
  const rankingJobs = (orderOf: (b: number) => Int32Array): FlipJob[] => {
    const jobs: FlipJob[] = [];
    for (const k of kList) for (let b = 0; b < B; b++) jobs.push({ probe: b, steps: orderOf(b).subarray(0, k) });
    return jobs;
  };

  const orders = ordersDescending(scores, B, T);
  const bottomOrders = Array.from({ length: B }, (_, b) => rankAscending(scores, T, b * T));
  const dL: Partial<Record<RankingName, number[][]>> = {};
  dL.top = dLOf(rankingJobs((b) => orders[b]));
  dL.bottom = dLOf(rankingJobs((b) => bottomOrders[b]));
  dL.last = dLOf(
    kList.flatMap((k) => Array.from({ length: B }, (_, b) => ({ probe: b, steps: Array.from({ length: k }, (_, i) => T - k + i) }))),
  );

  let absG: Float64Array | undefined;
  let taylor: Float64Array | undefined;
  if (args.inputGradients) {
    const g = args.inputGradients;
    if (g.length !== B * T * D) throw new RangeError(`inputGradients has ${g.length} values, expected B*T*D = ${B * T * D}`);
    absG = new Float64Array(B * T);
    taylor = new Float64Array(B * T);
    for (let bt = 0; bt < B * T; bt++) {
      let a = 0;
      let s = 0;
      for (let d = 0; d < D; d++) {
        const i = bt * D + d;
        a += Math.abs(g[i]);
        s += g[i] * (flipValue(inputs[i]) - inputs[i]);
      }
      absG[bt] = a;
      taylor[bt] = s;
    }
    const salOrders = ordersDescending(absG, B, T);
    const taylorOrders = ordersDescending(taylor, B, T);
    dL.saliency = dLOf(rankingJobs((b) => salOrders[b]));
    dL.taylor = dLOf(rankingJobs((b) => taylorOrders[b]));
  }

  // Random baseline, shared sets: [K][R][B].
  const randJobs: FlipJob[] = [];
  randSets.forEach((sets) =>
    sets.forEach((s) => {
      for (let b = 0; b < B; b++) randJobs.push({ probe: b, steps: s });
    }),
  );
  const randLoss = evaluator.losses(randJobs);
  const dLRand = randSets.map((sets, ki) =>
    sets.map((_, r) => Array.from({ length: B }, (_, b) => randLoss[(ki * R + r) * B + b] - base[b])),
  );
  const randMean = dLRand.map((rows) => Array.from({ length: B }, (_, b) => mean(rows.map((row) => row[b]))));

  // Matched baselines: per probe, strata by flip direction (and time quarter).
  const up = stepDirections(inputs, B, T, D);
  const topUp = kList.map((k) =>
    orders.map((o, b) => {
      let c = 0;
      for (let j = 0; j < k; j++) c += up[b * T + o[j]];
      return c;
    }),
  );
  const scratch = new Int32Array(T);
  const matched = (timeBins: number, stream: string): number[][][] => {
    const rng = createRng(deriveSeed(seed, stream));
    const jobs: FlipJob[] = [];
    const perProbe = Array.from({ length: B }, (_, b) => matchedStrata(up.subarray(b * T, (b + 1) * T), T, timeBins));
    kList.forEach((k) => {
      for (let r = 0; r < Rm; r++)
        for (let b = 0; b < B; b++) jobs.push({ probe: b, steps: drawMatched(orders[b].subarray(0, k), perProbe[b], rng, scratch) });
    });
    const l = evaluator.losses(jobs);
    return kList.map((_, ki) =>
      Array.from({ length: Rm }, (_, r) => Array.from({ length: B }, (_, b) => l[(ki * Rm + r) * B + b] - base[b])),
    );
  };
  const dLMatched = matched(1, 'flip-matched');
  const dLMatchedTime = matched(MATCHED_TIME_BINS, 'flip-matched-time');
  const meanOverDraws = (t: number[][][]) => t.map((rows) => Array.from({ length: B }, (_, b) => mean(rows.map((row) => row[b]))));
  dL.matched = meanOverDraws(dLMatched);
  dL.matched_time = meanOverDraws(dLMatchedTime);

  // Paper z test (top vs pooled random values).
  const z = dL.top.map((top, ki) => zTestPaper(top, dLRand[ki].flat()));
  const zp = z.map((r) => r.p);

  const wilcoxonRankings: Partial<Record<RankingName, WilcoxonBlock>> = {};
  const effect: Partial<Record<RankingName, number[]>> = {};
  const band: Record<string, number[][]> = {};
  const bandRng = createRng(deriveSeed(seed, 'flip-bootstrap'));
  for (const name of RANKING_NAMES) {
    const table = dL[name];
    if (!table) continue;
    wilcoxonRankings[name] = pairedBlock(table, randMean);
    effect[name] = table.map((row, ki) => pairedEffectSize(row.map((v, b) => v - randMean[ki][b])));
    band[name] = table.map((row) => bootstrapMeanBand(row, { resamples: bootstrapResamples, rng: bandRng }));
  }
  band.random = randMean.map((row) => bootstrapMeanBand(row, { resamples: bootstrapResamples, rng: bandRng }));

  return {
    n,
    score: SCORE_TEXT,
    rule: RULE_TEXT,
    scores: to2d(scores, B, T),
    order: orders.map((o) => Array.from(o)),
    tie_margin: tieMargins(scores, orders, T, kList),
    k_list: kList,
    R,
    rand_sets: randSets,
    base_loss: Array.from(base),
    dL_top: dL.top,
    dL_bottom: dL.bottom,
    dL_rand: dLRand,
    z_test: { d: z.map((r) => r.d), sigma: z.map((r) => r.sigma), p: zp, p_holm: holm(zp) },
    wilcoxon: wilcoxonRankings.top!,
    ...(absG ? { abs_dLdx: to2d(absG, B, T), dL_saliency: dL.saliency } : {}),
    ...(taylor ? { taylor_gain: to2d(taylor, B, T), dL_taylor: dL.taylor } : {}),
    dL_last: dL.last,
    dL_matched: dLMatched,
    dL_matched_mean: dL.matched,
    dL_matched_time: dLMatchedTime,
    dL_matched_time_mean: dL.matched_time,
    top_up_flips: topUp,
    dL,
    wilcoxon_rankings: wilcoxonRankings,
    wilcoxon_top_vs_matched: pairedBlock(dL.top, dL.matched),
    wilcoxon_top_vs_matched_time: pairedBlock(dL.top, dL.matched_time),
    band,
    effect,
  };
}

/**
 * Single-step flip map: dL[b][t] = CE(probe b with step t alone flipped) - CE(probe b), [B][T].
 * B*T evaluations; the cached evaluator reuses prefixes (cost ~ T^2/2 steps per probe).
 */
export function singlePixelFlipMap(evaluator: FlipEvaluator): number[][] {
  const { B, T } = evaluator;
  const jobs: FlipJob[] = [];
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) jobs.push({ probe: b, steps: [t] });
  const l = evaluator.losses(jobs);
  return Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => l[b * T + t] - evaluator.baseLoss[b]));
}

/** Row-wise softmax of logits [M][C] flat -> number[M][C]. */
export function softmaxRows(logits: ArrayLike<number>, M: number, C: number): number[][] {
  return Array.from({ length: M }, (_, m) => {
    let mx = -Infinity;
    for (let c = 0; c < C; c++) mx = Math.max(mx, logits[m * C + c]);
    const e = Array.from({ length: C }, (_, c) => Math.exp(logits[m * C + c] - mx));
    const s = e.reduce((a, v) => a + v, 0);
    return e.map((v) => v / s);
  });
}

/** The paper's Fig 4 at one k: class probabilities of original, top-k-flipped and random-flipped inputs [B][C]. */
export interface Fig4Softmax {
  kFig: number;
  softmaxOrig: number[][];
  softmaxTop: number[][];
  softmaxRand: number[][];
}

/**
 * Fig 4 helper: softmax of each probe's original input, of its top-kFig flipped input (by
 * `orders`, e.g. FlipTestResult.order) and of the input flipped at `randSet` (kFig 0-based steps,
 * e.g. rand_sets[K index][0]). Needs an evaluator that gives logits.
 */
export function fig4Softmax(evaluator: FlipEvaluator, orders: number[][], kFig: number, randSet: number[]): Fig4Softmax {
  if (!evaluator.logits) throw new Error('fig4Softmax needs an evaluator with logits()');
  const { B } = evaluator;
  const jobs: FlipJob[] = [];
  for (let b = 0; b < B; b++) jobs.push({ probe: b, steps: [] });
  for (let b = 0; b < B; b++) jobs.push({ probe: b, steps: orders[b].slice(0, kFig) });
  for (let b = 0; b < B; b++) jobs.push({ probe: b, steps: randSet });
  const { logits, C } = evaluator.logits(jobs);
  const sm = softmaxRows(logits, 3 * B, C);
  return { kFig, softmaxOrig: sm.slice(0, B), softmaxTop: sm.slice(B, 2 * B), softmaxRand: sm.slice(2 * B) };
}
