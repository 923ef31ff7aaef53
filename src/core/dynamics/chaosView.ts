/**
 * What the app's edge-of-chaos view shows (method.md §8), computed here so the renderers only draw:
 * the spectrum of one network at the slider's gain, and lambda_1 against g for several seeds beside
 * the mean-field curve and its band, all converted to the view's unit (core/units.ts). The chaos
 * worker (src/worker/chaos.worker.ts) calls these; `ftle-lab chaos` calls chaosSweep, the same code.
 */
import { type LogBase, perStepScale, unitLabel } from '../units';
import { type ChaosSettings, type ChaosSweep, type ChaosSpectrum, chaosSweep, randomNetworkSpectrum } from './edgeOfChaos';
import { meanFieldLambda1 } from './meanField';

/** The view's settings: link keys gain (0.2..3), chaosHidden (2..512), chaosInput (zero | probe). */
export const CHAOS_VIEW = {
  minGain: 0.2,
  maxGain: 3,
  gainStep: 0.05,
  maxHidden: 512,
  /** Exponents computed on the CPU: all of them up to 128 units (k = N), else the leading 128 (CPU time); the GPU computes all N. */
  cpuMaxK: 128,
  /** Steps averaged and discarded per network (shorter than the CLI's 500 + 200 so N = 64 updates in < 1 s). */
  steps: 300,
  transient: 100,
  /** Seed of the network whose spectrum is shown; the lambda_1(g) curve uses CURVE_SEEDS. */
  seed: 0,
  curveSeeds: [0, 1, 2],
  /** Gains of the lambda_1(g) curve (0.2..3 by 0.2). */
  curveGains: Array.from({ length: 15 }, (_, i) => Number((0.2 + 0.2 * i).toFixed(1))),
  /** Mean-field curve resolution. */
  meanfieldPoints: 141,
} as const;

/** Settings of the view for N and an optional drive ([rows][D] digit rows of the probe set). */
export function chaosViewSettings(hidden: number, k: number, drive: ChaosSettings['drive']): ChaosSettings {
  return { hidden, k, steps: CHAOS_VIEW.steps, transient: CHAOS_VIEW.transient, drive };
}

/** The spectrum at the slider's gain (all k = N exponents unless asked fewer). */
export function chaosViewSpectrum(g: number, s: ChaosSettings): ChaosSpectrum {
  return randomNetworkSpectrum(g, CHAOS_VIEW.seed, s);
}

/** lambda_1 over CHAOS_VIEW.curveGains for CHAOS_VIEW.curveSeeds (k = 1: only lambda_1 is drawn). */
export function chaosViewCurve(s: ChaosSettings): ChaosSweep {
  return chaosSweep([...CHAOS_VIEW.curveGains], [...CHAOS_VIEW.curveSeeds], { ...s, k: 1 });
}

/** Everything the view draws, in the view's unit. */
export interface ChaosFigure {
  unit: string;
  g: number;
  hidden: number;
  driven: boolean;
  /** Spectrum at g [k] (index i = lambda_{i+1}), in unit. */
  spectrum: number[];
  /** Its time standard errors [k], in unit. */
  spectrumSe: number[];
  kaplanYorke: number;
  /** lambda_1 of each seed's network at each curve gain: {g, seed, value} (unit). */
  seedPoints: { g: number; seed: number; value: number }[];
  /** Seed mean and -+ 2 std band of lambda_1 at the curve gains (unit). */
  seedMean: { g: number; value: number; lo: number; hi: number }[];
  /**
   * The finite-size band at the curve gains (unit; method.md §8): mean-field plus the known finite-N
   * correction -+ 2 finite-size errors, and whether the seeds' mean lies inside it.
   */
  finiteBand: { g: number; lo: number; hi: number; inside: boolean }[];
  /** Mean-field lambda_1 on a fine grid over the slider's range (unit). */
  meanfield: { g: number; value: number }[];
  /** Mean-field lambda_1 at g (unit). */
  meanfieldAtG: number;
  /** lambda_1 of the shown network at g (unit). */
  lambda1: number;
  /** A sentence for the reader, computed from the numbers above. */
  summary: string;
}

/** Builds the figure from the computed spectrum and curve (curve may be null while computing). */
export function chaosFigure(spec: ChaosSpectrum, hidden: number, driven: boolean, curve: ChaosSweep | null, base: LogBase): ChaosFigure {
  const f = perStepScale(base);
  const unit = unitLabel(base);
  const seedPoints: ChaosFigure['seedPoints'] = [];
  const seedMean: ChaosFigure['seedMean'] = [];
  const finiteBand: ChaosFigure['finiteBand'] = [];
  if (curve) {
    curve.gains.forEach((g, i) => {
      curve.seeds.forEach((seed, j) => seedPoints.push({ g, seed, value: curve.lambda1[i][j] * f }));
      const m = curve.lambda1Mean[i] * f;
      const e = 2 * curve.lambda1Spread[i] * f;
      seedMean.push({ g, value: m, lo: m - e, hi: m + e });
      const [lo, hi] = curve.meanfieldBand[i];
      finiteBand.push({ g, lo: lo * f, hi: hi * f, inside: curve.insideBand[i] });
    });
  }
  const n = CHAOS_VIEW.meanfieldPoints;
  const meanfield = Array.from({ length: n }, (_, i) => {
    const g = CHAOS_VIEW.minGain + ((CHAOS_VIEW.maxGain - CHAOS_VIEW.minGain) * i) / (n - 1);
    return { g, value: meanFieldLambda1(g) * f };
  });
  const lambda1 = spec.spectrum[0] * f;
  const mf = meanFieldLambda1(spec.g) * f;
  const regime = lambda1 > 0 ? 'chaotic (λ1 > 0: nearby states separate)' : 'stable (λ1 < 0: nearby states converge)';
  const summary =
    `g = ${spec.g.toFixed(2)}, N = ${hidden}${driven ? ', driven by the probe digits' : ', no input'}: λ1 = ${lambda1.toFixed(3)} ${unit}, ` +
    `${regime}; mean-field theory (N → ∞, no input) ${mf.toFixed(3)}; Kaplan–Yorke dimension ${spec.kaplanYorke.toFixed(1)}` +
    `${spec.kaplanYorke >= spec.spectrum.length && spec.spectrum.length < hidden ? ' (a lower bound: more exponents needed)' : ''}.` +
    (finiteBand.length && !driven
      ? ` The seeds' mean λ1 lies inside the finite-size band (mean field plus the known finite-N correction) at ${finiteBand.filter((b) => b.inside).length} of ${finiteBand.length} gains.`
      : '');
  return {
    unit,
    g: spec.g,
    hidden,
    driven,
    spectrum: Array.from(spec.spectrum, (v) => v * f),
    spectrumSe: Array.from(spec.timeSe, (v) => v * f),
    kaplanYorke: spec.kaplanYorke,
    seedPoints,
    seedMean,
    finiteBand,
    meanfield,
    meanfieldAtG: mf,
    lambda1,
    summary,
  };
}

/**
 * The drive of the view's "probe digits" input: every probe's sequence as fed ([B*T][D] row-major,
 * x_t[d] = digit pixel stepToCells[t][d], pixels in [0, 1]), probes one after another; the
 * network cycles through them.
 */
export function driveFromDigits(digits: number[][], stepToCells: [number, number][][], side: number): { D: number; inputs: Float64Array } {
  const T = stepToCells.length;
  const D = stepToCells[0]?.length ?? 0;
  if (digits.length === 0 || T === 0 || D === 0) throw new Error('no probe digits to drive the network');
  const inputs = new Float64Array(digits.length * T * D);
  digits.forEach((img, b) => {
    for (let t = 0; t < T; t++)
      for (let d = 0; d < D; d++) inputs[(b * T + t) * D + d] = img[stepToCells[t][d][0] * side + stepToCells[t][d][1]];
  });
  return { D, inputs };
}

/**
 * Whether a shipped sweep (the gallery's, core/formats/chaos.ts) is what the view would compute for
 * N = `hidden` and this input: same N, autonomous, the view's steps and transient, every exponent
 * (k = N) and the view's spectrum seed among its seeds. Only then does the view replay it.
 */
export function sweepFitsView(sweep: ChaosSweep, hidden: number, driven: boolean): boolean {
  return (
    sweep.hidden === hidden &&
    !driven &&
    !sweep.driven &&
    sweep.steps === CHAOS_VIEW.steps &&
    sweep.transient === CHAOS_VIEW.transient &&
    sweep.k === Math.min(hidden, CHAOS_VIEW.cpuMaxK) &&
    sweep.seeds.includes(CHAOS_VIEW.seed)
  );
}

/**
 * The view's spectrum at g read from a sweep (seed CHAOS_VIEW.seed), or null when g is not one of
 * its gains (within 1e-9). The file holds no time standard errors: timeSe is NaN.
 */
export function sweepSpectrumAt(sweep: ChaosSweep, g: number): ChaosSpectrum | null {
  const i = sweep.gains.findIndex((x) => Math.abs(x - g) < 1e-9);
  const j = sweep.seeds.indexOf(CHAOS_VIEW.seed);
  if (i < 0 || j < 0) return null;
  const spectrum = Float64Array.from(sweep.spectrum[i][j]);
  return {
    g: sweep.gains[i],
    seed: CHAOS_VIEW.seed,
    spectrum,
    timeSe: new Float64Array(spectrum.length).fill(NaN),
    kaplanYorke: sweep.kaplanYorke[i][j],
  };
}
