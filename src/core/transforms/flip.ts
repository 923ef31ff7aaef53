/**
 * The flip test's numbers as the flip chart, its tables and the flip verdict show them, computed
 * once from a FlipSummary: per-k means over probes of each ranking, the random baseline (mean and
 * 5-95% band over draws), and the per-k table of one ranking against random. The chart
 * (ui/renderers/flip.ts) draws these arrays; core/verdicts.ts reads the same ones, so a verdict
 * and the curve under it cannot disagree.
 */
import type { FlipSummary } from '../snapshot';
import { RANKING_ORDER } from '../sensitivity/rankingNames';
import { finiteMean, quantile } from '../stats/descriptive';

/** The summary's rankings in display order: RANKING_ORDER first, then any others in key order. */
export function rankingOrder(flip: FlipSummary): string[] {
  const keys = Object.keys(flip.dL);
  return [...RANKING_ORDER.filter((n) => keys.includes(n)), ...keys.filter((n) => !(RANKING_ORDER as readonly string[]).includes(n))];
}

/** Mean dL over probes per k of one ranking: dL[name] [K][B] -> [K] (nats); NaN where absent or no finite value. */
export function rankingMeans(flip: FlipSummary, name: string): number[] {
  const table = flip.dL[name];
  return flip.kList.map((_, i) => (table?.[i] ? finiteMean(table[i]) : NaN));
}

/** The random baseline per k (nats): mean over draws and probes, and the 5% / 95% quantiles of the per-draw means. */
export interface RandomBaseline {
  /** [K] mean over the R per-draw means (each a mean over probes). */
  mean: number[];
  /** [K] 5% quantile of the R per-draw means. */
  q05: number[];
  /** [K] 95% quantile of the R per-draw means. */
  q95: number[];
}

/**
 * Random baseline from dLRand [K][R][B]: for each k, the mean over draws of each draw's mean over
 * probes, and the 5% / 95% quantiles (numpy linear) of those R per-draw means. NaN for a k without
 * draws.
 */
export function randomBaseline(flip: FlipSummary): RandomBaseline {
  const mean: number[] = [];
  const q05: number[] = [];
  const q95: number[] = [];
  flip.kList.forEach((_, i) => {
    const perDraw = (flip.dLRand[i] ?? []).map((perProbe) => finiteMean(perProbe));
    mean.push(finiteMean(perDraw));
    q05.push(quantile(perDraw, 0.05));
    q95.push(quantile(perDraw, 0.95));
  });
  return { mean, q05, q95 };
}

/** Mean dL over random draws and probes per k, [K] (nats): randomBaseline(flip).mean. */
export function randomMeans(flip: FlipSummary): number[] {
  return randomBaseline(flip).mean;
}

/** One ranking's curve: mean dL over probes per k and its bootstrap band. */
export interface FlipCurve {
  name: string;
  /** Mean dL over probes [K] (nats): rankingMeans. */
  mean: number[];
  /** Bootstrap 95% band [K][2] (lo, hi), nats, or null when the summary has none. */
  band: number[][] | null;
}

/** The curves of `names` (default: every ranking, rankingOrder) that the summary has. */
export function flipCurves(flip: FlipSummary, names?: string[]): FlipCurve[] {
  return (names ?? rankingOrder(flip))
    .filter((name) => flip.dL[name])
    .map((name) => ({ name, mean: rankingMeans(flip, name), band: flip.band[name] ?? null }));
}

/** Everything the flip chart draws, ready: k values, curves, the random baseline and R-top's Holm p per k. */
export interface FlipChartData {
  /** The k values [K] (steps flipped). */
  kList: number[];
  /** Every ranking's curve (or those asked for), in display order. */
  curves: FlipCurve[];
  random: RandomBaseline;
  /** Holm-corrected Wilcoxon p of R-top > random [K] (empty without R-top's test). */
  topPHolm: number[];
}

/** The flip chart's data from a FlipSummary (rankings: which curves, default all). */
export function flipChartData(flip: FlipSummary, rankings?: string[]): FlipChartData {
  return {
    kList: flip.kList.slice(),
    curves: flipCurves(flip, rankings),
    random: randomBaseline(flip),
    topPHolm: flip.wilcoxon.top?.pHolm.slice() ?? [],
  };
}

/** One row of the per-k statistics table of one ranking against random. */
export interface FlipTableRow {
  k: number;
  /** Mean dL over probes of the ranking, nats. */
  meanRanking: number;
  /** Mean dL over random draws and probes, nats. */
  meanRandom: number;
  wilcoxonP: number;
  wilcoxonPHolm: number;
  /** Standardised paired effect: mean over probes of (dL_ranking - mean dL_random) / its sd. */
  effect: number;
  /** The paper's z test (R-top only; NaN for other rankings). */
  zP: number;
  zPHolm: number;
}

/** Per-k statistics of one ranking (default R-top) against random, for the table under the flip chart. */
export function flipTable(flip: FlipSummary, ranking = 'top'): FlipTableRow[] {
  const mine = rankingMeans(flip, ranking);
  const rand = randomBaseline(flip).mean;
  const w = flip.wilcoxon[ranking];
  const isTop = ranking === 'top';
  return flip.kList.map((k, i) => ({
    k,
    meanRanking: mine[i],
    meanRandom: rand[i],
    wilcoxonP: w?.p[i] ?? NaN,
    wilcoxonPHolm: w?.pHolm[i] ?? NaN,
    effect: flip.effect[ranking]?.[i] ?? NaN,
    zP: isTop ? (flip.zTest.p[i] ?? NaN) : NaN,
    zPHolm: isTop ? (flip.zTest.pHolm[i] ?? NaN) : NaN,
  }));
}
