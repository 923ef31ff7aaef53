/**
 * Claims across seeds: the two headline claims of one run, per epoch, and their summary over
 * several runs of the same configuration (different seeds).
 *
 * Per run and epoch (epochClaims):
 * - flip: does the R-top ranking beat random flips? The snapshot's paired Wilcoxon test of R-top
 *   vs the mean random draw, Holm-corrected over the k values (wilcoxon.top.pHolm, the app's
 *   filled markers). The run "shows R-top > random" when at least one k rejects at `alpha`: Holm
 *   controls the family-wise error over the k values, so this is a level-alpha test of "R-top is
 *   no better than random at any k".
 * - alignment: the paper statistic (std of cos(q_a, v_j), paperStd) averaged over the analysed
 *   steps, minus the strongest of its controls averaged the same way (10 random Q indices, the last
 *   10 Q vectors when tracked, Q of another probe, W_hh's singular vectors). A positive gap means the
 *   alignment exceeds everything a control produces; the null 1/sqrt(N) is weaker than every control.
 *
 * Across runs (summarizeSeeds): for each epoch, the mean of the alignment gap with a t-based 95%
 * interval, and how many runs show R-top > random.
 */
import type { AlignmentSummary, EpochSnapshot } from './snapshot';
import { finiteMean } from './stats/descriptive';
import { studentTQuantile } from './stats/studentT';

/** Significance level of the flip verdict (Holm-corrected p below it). */
export const CLAIM_ALPHA = 0.05;

/** The alignment controls, by the AlignmentSummary field each comes from. */
export const ALIGNMENT_CONTROLS = {
  randomQ: 'paperStdRandomQ',
  lastQ: 'paperStdLastQ',
  mismatched: 'paperStdMismatched',
  whh: 'paperStdWhh',
} as const satisfies Record<string, keyof AlignmentSummary>;
export type AlignmentControl = keyof typeof ALIGNMENT_CONTROLS;

/** What epochClaims reads from a snapshot. */
export type ClaimInput = Pick<EpochSnapshot, 'epoch' | 'flip' | 'alignment'>;

export interface FlipClaim {
  kList: number[];
  /** Holm-corrected Wilcoxon p of R-top > random, per k (NaN where undefined). */
  pHolm: number[];
  /** The k values whose Holm p is below alpha. */
  significantK: number[];
  /** At least one k significant: the run shows R-top > random after Holm. */
  topBeatsRandom: boolean;
  /** Smallest finite Holm p over k (NaN if none). */
  minPHolm: number;
}

export interface AlignmentClaim {
  /** Mean over analysed steps of the paper statistic (finite steps only). */
  statistic: number;
  /** Each control averaged the same way (a control the snapshot lacks is absent). */
  controls: Partial<Record<AlignmentControl, number>>;
  /** The control with the largest value. */
  strongest: AlignmentControl;
  /** statistic - controls[strongest]; > 0: the statistic beats every control. */
  gap: number;
}

export interface EpochClaims {
  epoch: number;
  /** Null when the snapshot has no flip test (or no Wilcoxon for R-top). */
  flip: FlipClaim | null;
  /** Null when the snapshot has no alignment, or no finite statistic or control. */
  alignment: AlignmentClaim | null;
}

/** The two claims of one snapshot (see the module comment). */
export function epochClaims(snapshot: ClaimInput, alpha = CLAIM_ALPHA): EpochClaims {
  let flip: FlipClaim | null = null;
  const top = snapshot.flip?.wilcoxon.top;
  if (snapshot.flip && top) {
    const kList = snapshot.flip.kList;
    const pHolm = top.pHolm.slice();
    const significantK = kList.filter((_, i) => pHolm[i] < alpha);
    const finiteP = pHolm.filter(Number.isFinite);
    flip = {
      kList: kList.slice(),
      pHolm,
      significantK,
      topBeatsRandom: significantK.length > 0,
      minPHolm: finiteP.length ? Math.min(...finiteP) : NaN,
    };
  }
  let alignment: AlignmentClaim | null = null;
  const a = snapshot.alignment;
  if (a) {
    const statistic = finiteMean(a.paperStd);
    const controls: Partial<Record<AlignmentControl, number>> = {};
    let strongest: AlignmentControl | null = null;
    for (const [name, field] of Object.entries(ALIGNMENT_CONTROLS) as [AlignmentControl, keyof AlignmentSummary][]) {
      const series = a[field] as number[] | undefined;
      if (!series) continue;
      const v = finiteMean(series);
      if (!Number.isFinite(v)) continue;
      controls[name] = v;
      if (strongest === null || v > controls[strongest]!) strongest = name;
    }
    if (strongest !== null && Number.isFinite(statistic))
      alignment = { statistic, controls, strongest, gap: statistic - controls[strongest]! };
  }
  return { epoch: snapshot.epoch, flip, alignment };
}

/** A mean with its two-sided confidence interval over n values. */
export interface MeanInterval {
  n: number;
  mean: number;
  /** Interval bounds; NaN when n < 2 (no spread to estimate). */
  lo: number;
  hi: number;
}

/**
 * Mean of the finite `values` with the t-based interval mean ± t_{(1+level)/2, n-1} · sd / sqrt(n)
 * (sd with n - 1): the interval for a mean over a few seeds, assuming roughly normal values.
 */
export function meanInterval(values: readonly number[], level = 0.95): MeanInterval {
  const x = values.filter(Number.isFinite);
  const n = x.length;
  if (n === 0) return { n, mean: NaN, lo: NaN, hi: NaN };
  const mean = x.reduce((s, v) => s + v, 0) / n;
  if (n < 2) return { n, mean, lo: NaN, hi: NaN };
  const sd = Math.sqrt(x.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
  const half = studentTQuantile((1 + level) / 2, n - 1) * (sd / Math.sqrt(n));
  return { n, mean, lo: mean - half, hi: mean + half };
}

export interface SeedSummaryEpoch {
  epoch: number;
  /** Per run (in the order given): its claims at this epoch, null when the run lacks the epoch. */
  runs: (EpochClaims | null)[];
  /** Alignment gap (statistic - strongest control) over the runs that have one. */
  alignmentGap: MeanInterval;
  /** Alignment statistic itself over the runs that have one. */
  alignmentStatistic: MeanInterval;
  /** Runs showing R-top > random after Holm, out of the runs with a flip test at this epoch. */
  flipTopBeatsRandom: { count: number; of: number };
}

/**
 * The across-seed claim table: one row per epoch present in any run (ascending), each run's
 * claims, the mean alignment gap with its 95% interval, and how many runs show R-top > random.
 * `runs[r]` are run r's snapshots (any order).
 */
export function summarizeSeeds(runs: readonly (readonly ClaimInput[])[], alpha = CLAIM_ALPHA, level = 0.95): SeedSummaryEpoch[] {
  const epochs = [...new Set(runs.flatMap((r) => r.map((s) => s.epoch)))].sort((a, b) => a - b);
  return epochs.map((epoch) => {
    const claims = runs.map((r) => {
      const s = r.find((x) => x.epoch === epoch);
      return s ? epochClaims(s, alpha) : null;
    });
    const flips = claims.filter((c) => c?.flip).map((c) => c!.flip!);
    const aligned = claims.filter((c) => c?.alignment).map((c) => c!.alignment!);
    return {
      epoch,
      runs: claims,
      alignmentGap: meanInterval(
        aligned.map((a) => a.gap),
        level,
      ),
      alignmentStatistic: meanInterval(
        aligned.map((a) => a.statistic),
        level,
      ),
      flipTopBeatsRandom: { count: flips.filter((f) => f.topBeatsRandom).length, of: flips.length },
    };
  });
}

/** The flip claim's effect size at one k: mean over probes of dL(R-top) - mean random dL. */
export interface FlipGap {
  /** The k it is read at: the snapshot's chosen k (flip.kFig), or the nearest k of kList. */
  k: number;
  /** wilcoxon.top.meanDiff at k (loss units, per probe); NaN when undefined. */
  value: number;
}

/**
 * R-top minus random at the snapshot's chosen k (flip.kFig, the k of its Fig. 4 softmaxes; the
 * nearest k of kList when kFig is not among them): the paired mean difference the Wilcoxon test of
 * epochClaims tests. Null without a flip test (or without its R-top Wilcoxon).
 */
export function flipGapAtChosenK(snapshot: Pick<EpochSnapshot, 'flip'>): FlipGap | null {
  const f = snapshot.flip;
  const top = f?.wilcoxon.top;
  if (!f || !top || f.kList.length === 0) return null;
  let i = f.kList.indexOf(f.kFig);
  if (i < 0) i = f.kList.reduce((best, k, j) => (Math.abs(k - f.kFig) < Math.abs(f.kList[best] - f.kFig) ? j : best), 0);
  return { k: f.kList[i], value: top.meanDiff[i] };
}
