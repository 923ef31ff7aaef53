/**
 * Packs a flip-test result into the FlipSummary of an EpochSnapshot (src/core/snapshot.ts):
 * camelCase keys, plain number[] arrays, rankings named "top", "bottom", "saliency", "taylor",
 * "last", "matched" (and "matched_time").
 */
import type { FlipSummary } from '../snapshot';
import type { Fig4Softmax, FlipTestResult } from './flipTest';

/**
 * Builds the snapshot's FlipSummary from a flipTest result, the single-step flip map [B][T]
 * (singlePixelFlipMap) and the Fig 4 softmaxes (fig4Softmax). Rankings that were not computed
 * (saliency and taylor need input gradients) are absent from the records; absDLdx is then []
 * (empty), as is singleFlip when no map is given.
 */
export function flipSummaryForSnapshot(result: FlipTestResult, singleFlip: number[][] | null, fig4: Fig4Softmax): FlipSummary {
  const wilcoxon: FlipSummary['wilcoxon'] = {};
  for (const [name, w] of Object.entries(result.wilcoxon_rankings)) {
    if (w) wilcoxon[name] = { medianDiff: w.median_diff, meanDiff: w.mean_diff, p: w.p, pHolm: w.p_holm };
  }
  const dL: Record<string, number[][]> = {};
  for (const [name, table] of Object.entries(result.dL)) if (table) dL[name] = table;
  const effect: Record<string, number[]> = {};
  for (const [name, e] of Object.entries(result.effect)) if (e) effect[name] = e;
  return {
    n: result.n,
    kList: result.k_list,
    R: result.R,
    matchedDraws: result.dL_matched[0]?.length ?? 0,
    baseLoss: result.base_loss,
    dL,
    dLRand: result.dL_rand,
    zTest: { d: result.z_test.d, sigma: result.z_test.sigma, p: result.z_test.p, pHolm: result.z_test.p_holm },
    wilcoxon,
    band: result.band,
    effect,
    singleFlip: singleFlip ?? [],
    scores: result.scores,
    absDLdx: result.abs_dLdx ?? [],
    kFig: fig4.kFig,
    softmaxOrig: fig4.softmaxOrig,
    softmaxTop: fig4.softmaxTop,
    softmaxRand: fig4.softmaxRand,
  };
}
