/**
 * One-line verdicts: what each analysis panel's statistics say, in words, with the numbers, and
 * hedged exactly as far as the statistics allow. Pure functions of an EpochSnapshot's parts; the
 * UI only renders the text.
 *
 * - Flip test: the paired Wilcoxon test of R-top against random, Holm-corrected across k, is the
 *   only claim of significance. It is one-sided (ranking > random), so a reversed effect is
 *   reported as a direction of means, never as "significantly lower". Controls are compared with
 *   R-top by their mean dL per k (descriptive: no test between two rankings is computed).
 * - Alignment: the paper's cosine-std statistic against its null 1/sqrt(N) and its controls.
 *   There is no significance test for it, so the verdict compares magnitudes and says so.
 * - Spectrum: lambda_1 classified by where its spread across probes lies relative to 0.
 */
import type { AlignmentSummary, FlipSummary } from './snapshot';
import type { SeedSummaryEpoch } from './seedSummary';
import { RANKING_SHORT, type StepUnit } from './sensitivity/rankingNames';
import { finiteMean } from './stats/descriptive';
import { randomMeans, rankingMeans, rankingOrder } from './transforms/flip';
import { spectrumStats } from './transforms/spectrum';

/**
 * How a verdict reads for the claim the panel tests:
 * - supported: the statistic beats its null and no control matches it;
 * - qualified: it beats the null, but a control does as well or better (the effect is not specific);
 * - null: no difference from the null that the statistics can vouch for;
 * - reversed: the direction is opposite to the claim;
 * - stable / marginal / chaotic: the spectrum's regime (no claim tested);
 * - unavailable: the statistics are missing.
 */
export type VerdictKind = 'supported' | 'qualified' | 'null' | 'reversed' | 'stable' | 'marginal' | 'chaotic' | 'unavailable';

export interface Verdict {
  /**
   * One plain sentence a student can read without the paper, computed from the same numbers as
   * `text` (shown before it).
   */
  plain: string;
  /** One sentence with the numbers it rests on. */
  text: string;
  kind: VerdictKind;
}

/** `digits` significant digits (default 2), plain ASCII minus, no exponent for the magnitudes shown here. */
export function verdictNumber(v: number, digits = 2): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'n/a' : v > 0 ? 'inf' : '-inf';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e5) return v.toExponential(1);
  return String(Number(v.toPrecision(digits)));
}

/** A p-value as printed in verdicts: "<1e-4" below 1e-4, else two significant digits. */
export function verdictP(p: number): string {
  if (!Number.isFinite(p)) return 'n/a';
  return p < 1e-4 ? '<1e-4' : String(Number(p.toPrecision(2)));
}

/** The flip chart's per-k means, re-exported: the verdicts read the very numbers the curves draw. */
export { rankingMeans, randomMeans } from './transforms/flip';

/** One ranking compared with random over every k: the row of the flip panel's comparison table. */
export interface RankingVsRandom {
  name: string;
  /** k values (of K) where the Holm-corrected Wilcoxon p < alpha and the mean paired difference is positive. */
  significantK: number[];
  /** Number of k with a finite p-value. */
  testedK: number;
  /** Smallest Holm-corrected p and the k where it occurs (NaN / -1 when none). */
  minPHolm: number;
  minPHolmK: number;
  /** k values where the ranking's mean dL is below random's (the opposite direction). */
  belowRandomK: number[];
  /** Largest standardised effect (mean paired difference / sd) over k, and its k. */
  maxEffect: number;
  maxEffectK: number;
}

/**
 * Every ranking of the summary (RANKING_ORDER first) against random: significant k after Holm,
 * smallest Holm p, k where it is below random, largest effect. alpha: significance level.
 */
export function compareRankingsWithRandom(flip: FlipSummary, alpha = 0.05): RankingVsRandom[] {
  const rand = randomMeans(flip);
  return rankingOrder(flip).map((name) => {
    const w = flip.wilcoxon[name];
    const means = rankingMeans(flip, name);
    const significantK: number[] = [];
    const belowRandomK: number[] = [];
    let testedK = 0;
    let minPHolm = NaN;
    let minPHolmK = -1;
    let maxEffect = NaN;
    let maxEffectK = -1;
    flip.kList.forEach((k, i) => {
      const p = w?.pHolm[i] ?? NaN;
      const diff = w?.meanDiff[i] ?? means[i] - rand[i];
      if (Number.isFinite(p)) {
        testedK++;
        if (!(p >= minPHolm)) {
          minPHolm = p;
          minPHolmK = k;
        }
        if (p < alpha && diff > 0) significantK.push(k);
      }
      if (means[i] < rand[i]) belowRandomK.push(k);
      const e = flip.effect[name]?.[i] ?? NaN;
      if (Number.isFinite(e) && !(e <= maxEffect)) {
        maxEffect = e;
        maxEffectK = k;
      }
    });
    return { name, significantK, testedK, minPHolm, minPHolmK, belowRandomK, maxEffect, maxEffectK };
  });
}

/** A control ranking against R-top: at how many k its mean dL exceeds R-top's. */
export interface ControlVsTop {
  name: string;
  /** k values where mean dL of the control > mean dL of R-top. */
  beatsTopK: number[];
  /** Number of k where both means are finite. */
  comparedK: number;
  /** Mean over k of (control mean dL - R-top mean dL), nats. */
  meanLead: number;
}

/**
 * The strongest control: the ranking other than R-top (R-bottom excluded: it is the claim's mirror,
 * not a competitor) whose mean dL exceeds R-top's at the most k, ties broken by the larger mean
 * lead. Null when the summary has no R-top or no control.
 */
export function strongestControl(flip: FlipSummary): ControlVsTop | null {
  const top = rankingMeans(flip, 'top');
  if (!flip.dL.top) return null;
  let best: ControlVsTop | null = null;
  for (const name of Object.keys(flip.dL)) {
    if (name === 'top' || name === 'bottom') continue;
    const m = rankingMeans(flip, name);
    const beatsTopK: number[] = [];
    const leads: number[] = [];
    flip.kList.forEach((k, i) => {
      if (!Number.isFinite(m[i]) || !Number.isFinite(top[i])) return;
      leads.push(m[i] - top[i]);
      if (m[i] > top[i]) beatsTopK.push(k);
    });
    const c = { name, beatsTopK, comparedK: leads.length, meanLead: finiteMean(leads) };
    if (!best || c.beatsTopK.length > best.beatsTopK.length || (c.beatsTopK.length === best.beatsTopK.length && c.meanLead > best.meanLead))
      best = c;
  }
  return best;
}

/** Rankings whose short name is plural ("the last pixels beat ..."). */
const PLURAL_RANKINGS = new Set(['last', 'matched', 'matched_time']);

function kList(ks: number[]): string {
  return ks.length <= 4 ? ks.join(', ') : `${ks.slice(0, 3).join(', ')}, … ${ks[ks.length - 1]}`;
}

/**
 * Flip-test verdict from the snapshot's FlipSummary. Significant means the Holm-corrected paired
 * Wilcoxon p of R-top vs random is below alpha at some k (with a positive mean difference). A
 * control that beats R-top's mean dL at more than half of the k qualifies the verdict (the claim is
 * that R finds the pixels that matter; a cheaper ranking finding them better says it is not R's
 * doing). unit: what a step feeds, "pixel" or "row", for the words.
 */
export function flipVerdict(flip: FlipSummary | null, options: { alpha?: number; unit?: StepUnit } = {}): Verdict {
  const alpha = options.alpha ?? 0.05;
  const units = options.unit === 'row' ? 'rows' : 'pixels';
  if (!flip || !flip.dL.top || flip.kList.length === 0)
    return {
      plain: 'The flip test has not been run for this epoch.',
      text: 'Flip test: no statistics for this epoch.',
      kind: 'unavailable',
    };
  const ranked = `Flipping the ${units} the paper ranks highest`;
  const top = compareRankingsWithRandom(flip, alpha).find((r) => r.name === 'top')!;
  const K = flip.kList.length;
  const control = strongestControl(flip);
  const controlMajority = control !== null && control.comparedK > 0 && control.beatsTopK.length > control.comparedK / 2;
  const controlName = control ? (RANKING_SHORT[control.name] ?? control.name).replace('pixels', units) : '';
  const controlText =
    control && control.beatsTopK.length > 0
      ? `${(RANKING_SHORT[control.name] ?? control.name).replace('pixels', units)} ${PLURAL_RANKINGS.has(control.name) ? 'beat' : 'beats'} R-top's mean dL at ${control.beatsTopK.length} of ${control.comparedK} k`
      : null;
  if (top.testedK === 0)
    return {
      plain: `${ranked} and flipping random ones changed the loss identically, so the test has nothing to compare.`,
      text: `R-top vs random: no test possible at any k (degenerate differences); ${K} k values flipped.`,
      kind: 'unavailable',
    };

  if (top.significantK.length > 0) {
    const head = `R-top flips ${units} that change the loss more than random at ${top.significantK.length} of ${top.testedK} k after Holm (k = ${kList(top.significantK)}; smallest p ${verdictP(top.minPHolm)} at k=${top.minPHolmK}, largest effect ${verdictNumber(top.maxEffect)} sd)`;
    if (controlMajority)
      return {
        plain: `${ranked} hurts more than flipping random ones here, but a simpler ranking (${controlName}) hurts even more, so it is not the paper's ranking that finds them.`,
        text: `${head}; but ${controlText}: the effect is not specific to R.`,
        kind: 'qualified',
      };
    return {
      plain: `${ranked} hurts more than flipping random ones here, and no simpler ranking does better at most numbers of flips.`,
      text: `${head}${controlText ? `; ${controlText}` : '; no control beats it at any k'}.`,
      kind: 'supported',
    };
  }
  const notSig = `R-top vs random: no k significant after Holm (smallest p ${verdictP(top.minPHolm)} at k=${top.minPHolmK})`;
  if (top.belowRandomK.length > top.testedK / 2) {
    return {
      plain: `${ranked} hurts less than flipping random ones here.`,
      text: `${notSig}; R-top's mean dL is below random at ${top.belowRandomK.length} of ${K} k (a direction, not a test: the test is one-sided)${controlText ? `; ${controlText}` : ''}.`,
      kind: 'reversed',
    };
  }
  return {
    plain: `${ranked} hurts no more than flipping random ones, as far as the test can tell.`,
    text: `${notSig}${controlText ? `; ${controlText}` : ''}.`,
    kind: 'null',
  };
}

/** The paper statistic and its controls of one epoch, each averaged over the analysed steps. */
export interface AlignmentNumbers {
  paper: number;
  nullValue: number;
  /** Each control's statistic; verb agrees with the label ("vectors give", "Q of another probe gives"). */
  controls: { name: string; label: string; verb: string; value: number }[];
  /**
   * The statistic with covariant Lyapunov vectors in place of Q (method.md §9; NaN without CLVs).
   * Not among the controls: CLVs are built from the same Q and R (span(v_1..v_m) = span(q_1..q_m),
   * v_1 = q_1 on a probe), so a CLV statistic as large as Q's says the alignment survives a change
   * of basis, not that it is unspecific to Q; the verdict quotes it beside the statistic.
   */
  clv: number;
}

/** Averages the alignment summary's per-step statistics over steps (NaN steps skipped). */
export function alignmentNumbers(a: AlignmentSummary): AlignmentNumbers {
  const controls = [
    { name: 'randomQ', label: 'random Q indices', verb: 'give', value: finiteMean(a.paperStdRandomQ) },
    ...(a.paperStdLastQ ? [{ name: 'lastQ', label: 'the last 10 Q vectors', verb: 'give', value: finiteMean(a.paperStdLastQ) }] : []),
    { name: 'mismatched', label: 'Q of another probe', verb: 'gives', value: finiteMean(a.paperStdMismatched) },
    { name: 'whh', label: "W_hh's own singular vectors", verb: 'give', value: finiteMean(a.paperStdWhh) },
  ].filter((c) => Number.isFinite(c.value));
  return {
    paper: finiteMean(a.paperStd),
    nullValue: a.nullCosStd,
    controls,
    clv: a.paperStdClv ? finiteMean(a.paperStdClv) : NaN,
  };
}

/**
 * Alignment verdict from one epoch's AlignmentSummary. The paper statistic counts as above the
 * null when it exceeds 1/sqrt(N) by more than `margin` (relative, default 10%: with no test, a
 * smaller excess is not read as alignment); a control within that margin of the statistic (or
 * above it) means the alignment is not specific to the Q vectors of this probe.
 */
export function alignmentVerdict(a: AlignmentSummary | null, options: { margin?: number } = {}): Verdict {
  if (!a)
    return {
      plain: 'The alignment has not been measured for this epoch.',
      text: 'Alignment: no analysis for this epoch.',
      kind: 'unavailable',
    };
  const margin = options.margin ?? 0.1;
  const { paper, nullValue, controls, clv } = alignmentNumbers(a);
  if (!Number.isFinite(paper))
    return {
      plain: 'The gradient is zero, so there is nothing for the expanding directions to line up with.',
      text: 'Alignment: the gradient is zero at every analysed step (nothing to align with).',
      kind: 'unavailable',
    };
  // The null 1/sqrt(N) is exact: three digits so 1/8 reads 0.125.
  const head = `${verdictNumber(paper)} vs null ${verdictNumber(nullValue, 3)}`;
  const strongest = controls.reduce<(typeof controls)[number] | null>((b, c) => (!b || c.value > b.value ? c : b), null);
  const clvNote = Number.isFinite(clv) ? `; covariant Lyapunov vectors in place of Q: ${verdictNumber(clv)}` : '';
  const note = `(descriptive: cosine spread, no significance test${clvNote})`;
  const dirs = "The directions in which the network's state expands most";
  if (paper < nullValue * (1 - margin)) {
    return {
      plain: `${dirs} line up with the gradient less than random directions would.`,
      text: `${head}: the Q vectors align with the gradient less than random directions do ${note}.`,
      kind: 'reversed',
    };
  }
  if (paper <= nullValue * (1 + margin)) {
    return {
      plain: `${dirs} line up with the gradient no better than random directions would.`,
      text: `${head}: no alignment beyond random directions ${note}.`,
      kind: 'null',
    };
  }
  if (strongest && strongest.value >= paper * (1 - margin)) {
    return {
      plain: `${dirs} line up with the gradient better than random directions, but ${strongest.label} ${strongest.verb === 'gives' ? 'does' : 'do'} about as well, so it is not special to them.`,
      text: `${head} — but ${strongest.label} ${strongest.verb} ${verdictNumber(strongest.value)}: alignment is not specific to Q ${note}.`,
      kind: 'qualified',
    };
  }
  return {
    plain: `${dirs} line up with the gradient better than random directions and better than every comparison.`,
    text: `${head}, above every control${strongest ? ` (largest: ${strongest.label}, ${verdictNumber(strongest.value)})` : ''} ${note}.`,
    kind: 'supported',
  };
}

/**
 * Spectrum verdict from lambda_1 over probes (spectrum [B][k], ln per step): stable when every
 * probe's lambda_1 is below -tol, chaotic when every one is above +tol, marginal otherwise (the
 * spread straddles 0, or all lie within tol of it). tol defaults to 0.01 ln per step (over T = 28
 * steps a factor e^0.28 = 1.3: growth too slow to call either way). probe: the selected probe,
 * whose own lambda_1 is quoted. log2: quote numbers in bits per step.
 */
export function spectrumVerdict(spectrum: number[][] | null, options: { tol?: number; probe?: number; log2?: boolean } = {}): Verdict {
  // lambda_1's mean and range over probes: the numbers the spectrum chart draws at i = 1.
  const stats = spectrumStats(spectrum ?? []);
  const m = stats.mean[0] ?? NaN;
  if (!Number.isFinite(m))
    return {
      plain: 'No exponents have been computed for this epoch.',
      text: 'Spectrum: no exponents for this epoch.',
      kind: 'unavailable',
    };
  const tol = options.tol ?? 0.01;
  const f = options.log2 ? 1 / Math.LN2 : 1;
  const unit = options.log2 ? 'bits/step' : 'ln/step';
  const lo = stats.min[0];
  const hi = stats.max[0];
  const probeL1 = options.probe !== undefined ? spectrum?.[options.probe]?.[0] : undefined;
  const nums = `λ1 = ${verdictNumber(m * f)} ${unit} (probes ${verdictNumber(lo * f)} … ${verdictNumber(hi * f)}${probeL1 !== undefined && Number.isFinite(probeL1) ? `; this probe ${verdictNumber(probeL1 * f)}` : ''})`;
  if (hi < -tol)
    return {
      plain: 'The network forgets: a small nudge to its state dies out as the digit is read.',
      text: `Stable: ${nums}, below 0 for every probe — perturbations shrink and gradients through time vanish.`,
      kind: 'stable',
    };
  if (lo > tol)
    return {
      plain: 'The network is chaotic: a small nudge to its state grows as the digit is read.',
      text: `Chaotic: ${nums}, above 0 for every probe — perturbations grow.`,
      kind: 'chaotic',
    };
  const why = lo >= -tol && hi <= tol ? `within ±${verdictNumber(tol * f)} of 0` : 'the probes straddle 0';
  return {
    plain: 'The network sits near the edge of chaos: a small nudge to its state neither clearly grows nor dies out.',
    text: `Marginal: ${nums}, ${why} — neither clearly stable nor chaotic.`,
    kind: 'marginal',
  };
}

/**
 * The verdict across seeds at one epoch (a summarizeSeeds row of `seeds` runs): how many seeds
 * show R-top > random after Holm, and the alignment gap (statistic minus its strongest control)
 * as mean and 95% t interval. supported: every seed's flip test rejects and the gap's interval
 * lies above 0; null: no seed rejects and the interval (or, for one seed, the mean) is not above
 * 0; qualified: anything in between; unavailable: neither claim was measured.
 */
export function seedsVerdict(row: SeedSummaryEpoch | null, seeds: number): Verdict {
  if (!row) return { plain: 'No epoch has been analysed yet.', text: 'No epoch analysed yet.', kind: 'unavailable' };
  const { count, of } = row.flipTopBeatsRandom;
  const g = row.alignmentGap;
  if (of === 0 && g.n === 0)
    return {
      plain: 'Neither claim was measured in these runs.',
      text: `Epoch ${row.epoch}: neither claim was measured.`,
      kind: 'unavailable',
    };
  const waiting = Math.max(of, g.n) < seeds ? ` (${Math.max(of, g.n)} of ${seeds} seeds analysed so far)` : '';
  const flipText = of ? `R-top beats random after Holm in ${count} of ${of} seeds` : 'no flip test';
  const interval = Number.isFinite(g.lo) ? ` (95% CI ${verdictNumber(g.lo)} to ${verdictNumber(g.hi)})` : '';
  const alignText = g.n ? `alignment − strongest control ${verdictNumber(g.mean)}${interval} over ${g.n} seeds` : 'no alignment';
  const above = Number.isFinite(g.lo) ? g.lo > 0 : false;
  const notAbove = Number.isFinite(g.lo) ? g.hi <= 0 : !(g.mean > 0);
  const kind: VerdictKind =
    (of === 0 || count === of) && (g.n === 0 || above)
      ? 'supported'
      : (of === 0 || count === 0) && (g.n === 0 || notAbove)
        ? 'null'
        : 'qualified';
  const flipPlain = !of
    ? null
    : count === of
      ? `flipping what the paper ranks highest hurts more than random flips in every seed (${of})`
      : count === 0
        ? `flipping what the paper ranks highest hurts more than random flips in none of the ${of} seeds`
        : `flipping what the paper ranks highest hurts more than random flips in ${count} of ${of} seeds`;
  const alignPlain = !g.n
    ? null
    : above
      ? 'the alignment beats its strongest comparison reliably'
      : notAbove
        ? 'the alignment does not beat its strongest comparison'
        : 'whether the alignment beats its strongest comparison is unclear';
  const plainParts = [flipPlain, alignPlain].filter((x): x is string => x !== null);
  const plain = `Across seeds, ${plainParts.join(', and ')}.`;
  return { plain, text: `Epoch ${row.epoch}: ${flipText}; ${alignText}${waiting}.`, kind };
}
