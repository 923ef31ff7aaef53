import { describe, expect, it } from 'vitest';
import { createCell } from '../../src/core/dynamics/cells';
import {
  chaosSweep,
  parseGains,
  randomInitialState,
  randomNetworkSpectrum,
  randomNetworkWeights,
} from '../../src/core/dynamics/edgeOfChaos';
import { meanFieldLambda1 } from '../../src/core/dynamics/meanField';

describe('random-network Lyapunov spectrum', () => {
  it('matches a plain float64 reference (explicit Jacobian, Householder-free Gram-Schmidt in loops)', () => {
    const N = 12;
    const k = 4;
    const g = 2;
    const settings = { hidden: N, k, steps: 60, transient: 20, drive: null };
    const ours = randomNetworkSpectrum(g, 7, settings);
    // Reference: iterate h, J = diag(1 - h_t^2) g W, classical Gram-Schmidt twice, by hand.
    const W = randomNetworkWeights(N, g, 7).tensors.weight_hh_l0;
    let h = randomInitialState(N, 7);
    let Q: Float64Array[] = Array.from({ length: k }, (_, a) => Float64Array.from({ length: N }, (_, i) => (i === a ? 1 : 0)));
    const sums = new Float64Array(k);
    for (let t = 1; t <= 80; t++) {
      const hn = new Float64Array(N);
      for (let i = 0; i < N; i++) {
        let s = 0;
        for (let j = 0; j < N; j++) s += W[i * N + j] * h[j];
        hn[i] = Math.tanh(s);
      }
      const V = Q.map((q) => {
        const v = new Float64Array(N);
        for (let i = 0; i < N; i++) {
          let s = 0;
          for (let j = 0; j < N; j++) s += W[i * N + j] * q[j];
          v[i] = (1 - hn[i] ** 2) * s;
        }
        return v;
      });
      const Qn: Float64Array[] = [];
      for (let a = 0; a < k; a++) {
        const v = V[a].slice();
        let rNorm = 0;
        for (let pass = 0; pass < 2; pass++)
          for (const q of Qn) {
            let d = 0;
            for (let i = 0; i < N; i++) d += q[i] * v[i];
            for (let i = 0; i < N; i++) v[i] -= d * q[i];
          }
        rNorm = Math.hypot(...v);
        for (let i = 0; i < N; i++) v[i] /= rNorm;
        Qn.push(v);
        if (t > 20) sums[a] += Math.log(rNorm) / 60;
      }
      Q = Qn;
      h = hn;
    }
    for (let a = 0; a < k; a++) expect(Math.abs(ours.spectrum[a] - sums[a])).toBeLessThan(1e-10);
    expect(createCell(randomNetworkWeights(N, g, 7)).stateSize).toBe(N);
  });

  it('W_ij has variance g^2/N and the same seed is the same network at every gain', () => {
    const N = 200;
    const a = randomNetworkWeights(N, 1, 3).tensors.weight_hh_l0;
    const b = randomNetworkWeights(N, 2.5, 3).tensors.weight_hh_l0;
    let v = 0;
    let worst = 0;
    for (let i = 0; i < N * N; i++) {
      v += a[i] * a[i];
      worst = Math.max(worst, Math.abs(b[i] - 2.5 * a[i]));
    }
    expect(worst).toBeLessThan(1e-15);
    // Var of the sample variance of N^2 = 40000 normals: 2/40000 relative -> 5 sigma = 0.035.
    expect(Math.abs((v / (N * N)) * N - 1)).toBeLessThan(0.035);
  });

  it('follows mean-field theory at N = 128: lambda_1 - ln g is a small positive finite-size excess below g = 1, and close above', () => {
    const N = 128;
    const sweep = chaosSweep([0.5, 2, 3], [1, 2, 3], { hidden: N, k: 2, steps: 400, transient: 200, drive: null });
    expect(sweep.meanfield[0]).toBeCloseTo(Math.log(0.5), 14);
    // Below the transition h -> 0 and lambda_1 = ln(g rho(W)): a finite Ginibre matrix's spectral radius exceeds 1 by O(N^-1/2).
    expect(sweep.lambda1Mean[0] - Math.log(0.5)).toBeGreaterThan(0);
    expect(sweep.lambda1Mean[0] - Math.log(0.5)).toBeLessThan(1 / Math.sqrt(N));
    for (const i of [1, 2]) {
      // Above it the finite-N bias is O(1/N) (measured ~ -2.5/N at g = 2 for N = 64 and 256): allow 3/N beside 3 seed std.
      expect(Math.abs(sweep.lambda1Mean[i] - meanFieldLambda1(sweep.gains[i]))).toBeLessThan(3 * sweep.lambda1Err[i] + 3 / N);
      expect(sweep.kaplanYorke[i].every((d) => d > 0)).toBe(true);
    }
    expect(sweep.spectrum[2][0]).toHaveLength(2);
  });

  it('input suppresses chaos: a driven net at g = 2 has a smaller lambda_1 than the autonomous one', () => {
    const D = 4;
    const inputs = new Float64Array(40 * D);
    for (let i = 0; i < inputs.length; i++) inputs[i] = 2 * Math.sin(0.7 * i);
    const free = randomNetworkSpectrum(2, 1, { hidden: 48, k: 1, steps: 300, transient: 100, drive: null });
    const driven = randomNetworkSpectrum(2, 1, { hidden: 48, k: 1, steps: 300, transient: 100, drive: { D, inputs } });
    expect(driven.spectrum[0]).toBeLessThan(free.spectrum[0]);
  });
});

describe('parseGains', () => {
  it('reads ranges and lists and refuses nonsense', () => {
    expect(parseGains('0.5:3:0.1')).toHaveLength(26);
    expect(parseGains('0.5:3:0.1')[2]).toBe(0.7);
    expect(parseGains('0.5:3:0.1').at(-1)).toBe(3);
    expect(parseGains('0.5,1.5,2.5')).toEqual([0.5, 1.5, 2.5]);
    expect(() => parseGains('1:a:0.1')).toThrow(/start:stop:step/);
    expect(() => parseGains('1,,2')).toThrow(/commas/);
    expect(() => parseGains('3:1:0.1')).toThrow(/stop >= start/);
  });
});

describe('driveFromDigits', () => {
  it('lays out each probe as fed: x_t[d] = the pixel stepToCells[t][d], probes one after another', async () => {
    const { driveFromDigits } = await import('../../src/core/dynamics/chaosView');
    // Two 2x2 digits fed row by row (T = 2, D = 2).
    const rows: [number, number][][] = [
      [
        [0, 0],
        [0, 1],
      ],
      [
        [1, 0],
        [1, 1],
      ],
    ];
    const d = driveFromDigits(
      [
        [1, 2, 3, 4],
        [5, 6, 7, 8],
      ],
      rows,
      2,
    );
    expect(d.D).toBe(2);
    expect(Array.from(d.inputs)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(() => driveFromDigits([], rows, 2)).toThrow(/no probe digits/);
  });
});
