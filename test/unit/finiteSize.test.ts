import { describe, expect, it } from 'vitest';
import { chaosFigure } from '../../src/core/dynamics/chaosView';
import { chaosSweep, randomNetworkSpectrum, randomNetworkWeights } from '../../src/core/dynamics/edgeOfChaos';
import {
  chaoticBiasCoefficient,
  GINIBRE_LN_RADIUS,
  finiteSizeBand,
  finiteSizeLambda1,
  ginibreLnRadius,
} from '../../src/core/dynamics/finiteSize';
import { meanFieldLambda1 } from '../../src/core/dynamics/meanField';

describe('finite-size band of the mean-field lambda_1 (method.md §8)', () => {
  it('vanishes as N -> infinity and is continuous at g = 1, where both regimes give lambda_1 = 0', () => {
    for (const g of [0.5, 0.9, 1.5, 3]) {
      const p = finiteSizeLambda1(g, 1e8);
      expect(Math.abs(p.bias)).toBeLessThan(1e-3);
      expect(p.meanfield).toBe(meanFieldLambda1(g));
    }
    expect(finiteSizeLambda1(1, 256).center).toBe(0);
    expect(Math.abs(finiteSizeLambda1(1 + 1e-9, 256).center)).toBeLessThan(1e-12);
    // Below g = 1 the prediction is ln g + E[ln rho_N] (never above 0); above, meanfield - c/N (never below 0).
    const r = ginibreLnRadius(256);
    expect(finiteSizeLambda1(0.5, 256).center).toBeCloseTo(Math.log(0.5) + r.mean, 14);
    expect(finiteSizeLambda1(0.99, 16).center).toBe(0);
    expect(finiteSizeLambda1(3, 256).bias).toBeCloseTo(-chaoticBiasCoefficient(256).c / 256, 14);
    expect(finiteSizeLambda1(1.05, 16).center).toBe(0);
  });

  it('ln rho(W) interpolates the measured table exactly at its N and falls like N^-1/2 beyond it', () => {
    for (const row of GINIBRE_LN_RADIUS) {
      const r = ginibreLnRadius(row.N);
      expect(r.mean).toBeCloseTo(row.mean, 12);
      expect(r.sd).toBeCloseTo(row.sd, 12);
    }
    const last = GINIBRE_LN_RADIUS[GINIBRE_LN_RADIUS.length - 1];
    expect(ginibreLnRadius(4 * last.N).mean).toBeCloseTo(last.mean / 2, 12);
    // Between table points it stays between them (the excess shrinks with N).
    const m = ginibreLnRadius(90).mean;
    expect(m).toBeLessThan(ginibreLnRadius(64).mean);
    expect(m).toBeGreaterThan(ginibreLnRadius(128).mean);
  });

  it('c(N) is the table at its N, linear in 1/N between rows, and constant beyond the table', () => {
    expect(chaoticBiasCoefficient(128).c).toBe(2.305);
    expect(chaoticBiasCoefficient(1e6).c).toBe(2.259);
    expect(chaoticBiasCoefficient(16).c).toBe(3.039);
    // 1/N halfway between 1/64 and 1/128 is N = 256/3.
    expect(chaoticBiasCoefficient(256 / 3).c).toBeCloseTo((3.039 + 2.305) / 2, 12);
  });

  it('the band is center -+ 2 sqrt(spread^2 + sd of the correction^2)', () => {
    const b = finiteSizeBand(2, 128, 0.01);
    const { c, sd } = chaoticBiasCoefficient(128);
    expect(b.err).toBeCloseTo(Math.hypot(0.01, sd / 128), 15);
    expect(b.lo).toBeCloseTo(meanFieldLambda1(2) - c / 128 - 2 * b.err, 14);
    expect(b.hi - b.lo).toBeCloseTo(4 * b.err, 14);
  });

  it('the table matches a float64 reference: ln of the spectral radius of W from 64 x 64 matrices', () => {
    // ln rho(W) = lim (1/t) ln |W^t x|: 300 steps of the linear map from the same W the chaos sweep
    // draws (seeds 0..11); their mean is within 3 standard errors of the table's E[ln rho_64].
    const N = 64;
    const vals: number[] = [];
    for (let seed = 0; seed < 12; seed++) {
      const W = randomNetworkWeights(N, 1, seed).tensors.weight_hh_l0;
      let x = new Float64Array(N).fill(1 / Math.sqrt(N));
      let sum = 0;
      const T = 600;
      for (let t = 0; t < T; t++) {
        const y = new Float64Array(N);
        for (let i = 0; i < N; i++) {
          let s = 0;
          for (let j = 0; j < N; j++) s += W[i * N + j] * x[j];
          y[i] = s;
        }
        const n = Math.hypot(...y);
        if (t >= 200) sum += Math.log(n);
        x = y.map((v) => v / n);
      }
      vals.push(sum / (T - 200));
    }
    const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
    const r = ginibreLnRadius(N);
    expect(Math.abs(mean - r.mean)).toBeLessThan((3 * r.sd) / Math.sqrt(vals.length) + 0.01);
  });

  it('a small autonomous sweep (N = 64, 4 seeds) falls inside its band below and above the transition', () => {
    const s = chaosSweep([0.6, 2.5], [10, 11, 12, 13], { hidden: 64, k: 1, steps: 400, transient: 200, drive: null });
    expect(s.insideBand).toEqual([true, true]);
    expect(s.finiteSizeBias[0]).toBeCloseTo(ginibreLnRadius(64).mean, 14);
    expect(s.finiteSizeBias[1]).toBeCloseTo(-chaoticBiasCoefficient(64).c / 64, 14);
    // Driven nets get the plain spread band (no finite-N theory with input).
    const d = chaosSweep([2.5], [10, 11], {
      hidden: 32,
      k: 1,
      steps: 100,
      transient: 50,
      drive: { D: 1, inputs: Float64Array.of(0.5, -0.5) },
    });
    expect(d.finiteSizeBias).toEqual([0]);
    expect(d.lambda1Err[0]).toBe(d.lambda1Spread[0]);
  });

  it("the chaos view draws the sweep's band in its unit and the seed band from the spread alone", () => {
    const settings = { hidden: 16, k: 1, steps: 60, transient: 20, drive: null };
    const curve = chaosSweep([0.5, 2], [0, 1, 2], settings);
    const fig = chaosFigure(randomNetworkSpectrum(2, 0, settings), 16, false, curve, '2');
    fig.finiteBand.forEach((b, i) => {
      expect(b.lo).toBeCloseTo(curve.meanfieldBand[i][0] / Math.LN2, 14);
      expect(b.hi).toBeCloseTo(curve.meanfieldBand[i][1] / Math.LN2, 14);
      expect(b.inside).toBe(curve.insideBand[i]);
      expect(fig.seedMean[i].hi - fig.seedMean[i].value).toBeCloseTo((2 * curve.lambda1Spread[i]) / Math.LN2, 14);
    });
    expect(fig.summary).toContain(`at ${curve.insideBand.filter(Boolean).length} of 2 gains`);
  });
});
