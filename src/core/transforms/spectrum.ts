/**
 * The FTLE spectrum's numbers as the spectrum chart, the probe series and the spectrum verdict
 * show them, computed once: per exponent i the mean, min and max of lambda_i over probes, the
 * faded earlier epochs' means, and one probe's ln r_1(t) with its running FTLE_1(t). All in ln per
 * step; a chart's bits-per-step switch is a change of scale (ui/renderers/spectrum.ts).
 */
import { runningFtle } from '../dynamics/lyapunov';

/** Mean, min and max over probes of each exponent, [k] each (ln per step); NaN where no probe is finite. */
export interface SpectrumStats {
  mean: number[];
  min: number[];
  max: number[];
}

/** Mean, min and max over probes of a spectrum [B][k] -> three arrays [k] (finite entries only). */
export function spectrumStats(spectrum: number[][]): SpectrumStats {
  const k = spectrum[0]?.length ?? 0;
  const mean: number[] = [];
  const min: number[] = [];
  const max: number[] = [];
  for (let i = 0; i < k; i++) {
    let s = 0;
    let n = 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (const row of spectrum) {
      const v = row[i];
      if (!Number.isFinite(v)) continue;
      s += v;
      n++;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    mean.push(n ? s / n : NaN);
    min.push(n ? lo : NaN);
    max.push(n ? hi : NaN);
  }
  return { mean, min, max };
}

/** Spectrum of one epoch. */
export interface SpectrumEpoch {
  epoch: number;
  /** lambda_i(T) per probe [B][k], ln per step. */
  spectrum: number[][];
}

/** What the spectrum chart draws: the selected epoch's statistics and up to maxEarlier earlier epochs' means. */
export interface SpectrumChartData {
  epoch: number;
  /** Statistics over probes of the selected epoch, [k] each, ln per step. */
  stats: SpectrumStats;
  /** The last `maxEarlier` earlier epochs (oldest first) with their mean spectrum [k], ln per step. */
  earlier: { epoch: number; mean: number[] }[];
}

/** The spectrum chart's data: spectrumStats of `selected` and the means of the last maxEarlier (default 4) of `earlier`. */
export function spectrumChartData(selected: SpectrumEpoch, earlier: SpectrumEpoch[], maxEarlier = 4): SpectrumChartData {
  return {
    epoch: selected.epoch,
    stats: spectrumStats(selected.spectrum),
    earlier: (maxEarlier > 0 ? earlier.slice(-maxEarlier) : []).map((e) => ({ epoch: e.epoch, mean: spectrumStats(e.spectrum).mean })),
  };
}

/** One probe's leading exponent over time, [T] each, ln per step. */
export interface ProbeSeries {
  /** ln r_1(t), t = 1..T. */
  lnR1: number[];
  /** Running FTLE_1(t) = mean of ln r_1(1..t) (runningFtle). */
  ftle1: number[];
}

/** ln r_1(t) and the running FTLE_1(t) of one probe from its lnR flat [T][k]. */
export function probeSeries(lnR: ArrayLike<number>, T: number, k: number): ProbeSeries {
  return { lnR1: Array.from({ length: T }, (_, t) => lnR[t * k]), ftle1: Array.from(runningFtle(lnR, T, k, 0)) };
}
