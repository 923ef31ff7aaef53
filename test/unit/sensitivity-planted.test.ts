/**
 * Planted effect and null calibration of the flip test.
 *  - Planted: a contracting RNN (W_hh = 0.5 I) whose readout rises monotonically with h, fed
 *    inputs that are all "off" (< 0.001). Every flip (0 -> 1) raises the loss, and a flip at step
 *    t reaches h_T damped by ~0.5^(T-1-t): the last steps dominate. Gradient saliency must pick
 *    them and beat random flips on every probe (Wilcoxon p = 2^-B exactly), the paper's z test
 *    must agree, and the first-order Taylor and last-k rankings must win too.
 *  - Null: scores independent of a model whose loss change is a sum of per-step effects drawn
 *    symmetric about 0; then "top" is just another random set and its p-values must be ~uniform.
 */
import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/rng';
import {
  createRecurrentFlipEvaluator,
  drawMatched,
  flipTest,
  matchedStrata,
  rnnInputGradients,
  stepDirections,
  type FlipEvaluator,
  type RecurrentWeights,
} from '../../src/core/sensitivity';

describe('planted effect: late steps of a contracting RNN', () => {
  const N = 4;
  const T = 40;
  const B = 12;
  const D = 1;
  const rng = createRng(2024);
  const eye = new Float64Array(N * N);
  for (let i = 0; i < N; i++) eye[i * N + i] = 0.5;
  const weights: RecurrentWeights = {
    arch: 'rnn',
    inputSize: 1,
    hiddenSize: N,
    numClasses: 2,
    tensors: {
      weight_ih_l0: Float64Array.from({ length: N }, () => 0.5 + rng.next()),
      weight_hh_l0: eye,
      bias_ih_l0: new Float64Array(N),
      bias_hh_l0: new Float64Array(N),
      'fc.weight': Float64Array.from([0, 0, 0, 0, 1, 1, 1, 1]),
      'fc.bias': Float64Array.from([2, 0]),
    },
  };
  const inputs = Float64Array.from({ length: B * T }, () => 0.0009 * rng.next());
  const labels = new Int32Array(B); // class 0: loss = softplus(sum h_T - 2) rises with every h_i
  const h0 = Float64Array.from({ length: B * N }, () => 0.3 * rng.next());
  const ev = createRecurrentFlipEvaluator(weights, inputs, labels, B, T, D, h0);
  const grads = rnnInputGradients(weights, ev, labels);
  const kList = [1, 2, 5, 10];
  const res = flipTest({
    inputs,
    labels,
    B,
    T,
    D,
    scores: Float64Array.from({ length: B * T }, () => rng.normal()), // an uninformative "top"
    inputGradients: grads,
    kList,
    R: 30,
    seed: 5,
    evaluator: ev,
    bootstrapResamples: 300,
  });

  it('the gradient is largest at the last step for every probe', () => {
    for (let b = 0; b < B; b++) {
      const row = res.abs_dLdx![b];
      expect(row.indexOf(Math.max(...row))).toBe(T - 1);
    }
  });

  it('every flip raises the loss', () => {
    for (const table of [res.dL_top, res.dL_saliency!, res.dL_last]) table.flat().forEach((v) => expect(v).toBeGreaterThan(0));
    res.dL_rand.flat(2).forEach((v) => expect(v).toBeGreaterThan(0));
  });

  it('saliency, taylor and last-k beat random on every probe: Wilcoxon p = 2^-12, Holm <= 4 * 2^-12', () => {
    for (const name of ['saliency', 'taylor', 'last'] as const) {
      const w = res.wilcoxon_rankings[name]!;
      w.p.forEach((p) => expect(p).toBe(2 ** -B));
      w.p_holm.forEach((p) => expect(p).toBeLessThanOrEqual(4 * 2 ** -B));
      res.effect[name]!.forEach((e) => expect(e).toBeGreaterThan(1));
      // The bootstrap band of the saliency mean lies above that of the random mean.
      res.band[name].forEach((band, ki) => expect(band[0]).toBeGreaterThan(res.band.random[ki][1]));
    }
  });

  it("the paper's z test also detects saliency flips when they replace the R-top set", () => {
    const sal = flipTest({
      inputs,
      labels,
      B,
      T,
      D,
      scores: res.abs_dLdx!.flat(), // rank by saliency in the "top" slot
      kList,
      R: 30,
      seed: 5,
      evaluator: ev,
      bootstrapResamples: 50,
    });
    sal.z_test.p.forEach((p) => expect(p).toBeLessThan(1e-3));
    expect(sal.dL_top).toEqual(res.dL_saliency);
  });
});

describe('matched random draws', () => {
  it("copy the reference set's counts per flip direction and time quarter", () => {
    const rng = createRng(9);
    const T = 50;
    const inputs = Float64Array.from({ length: T }, () => (rng.next() < 0.6 ? 0 : 0.2 + rng.next()));
    const up = stepDirections(inputs, 1, T, 1);
    for (const bins of [1, 4]) {
      const s = matchedStrata(up, T, bins);
      for (let rep = 0; rep < 50; rep++) {
        const ref = Array.from(new Set(Array.from({ length: 12 }, () => rng.int(T))));
        const draw = drawMatched(ref, s, rng);
        expect(new Set(draw).size).toBe(ref.length);
        const count = (set: number[]) => {
          const c = new Array(2 * bins).fill(0);
          set.forEach((t) => c[(inputs[t] < 0.001 ? bins : 0) + Math.floor((t * bins) / T)]++);
          return c;
        };
        expect(count(draw)).toEqual(count(ref));
      }
    }
  });
});

/** Kolmogorov–Smirnov distance of a sample from Uniform(0, 1). */
function ksUniform(p: number[]): number {
  const s = [...p].sort((a, b) => a - b);
  let d = 0;
  s.forEach((v, i) => (d = Math.max(d, (i + 1) / s.length - v, v - i / s.length)));
  return d;
}

describe('null calibration: an uninformative ranking', () => {
  it('Wilcoxon and z-test p-values over 200 seeded repetitions are roughly uniform', () => {
    const B = 12;
    const T = 30;
    const kList = [1, 3, 5];
    const wil: number[][] = kList.map(() => []);
    const zp: number[][] = kList.map(() => []);
    for (let rep = 0; rep < 200; rep++) {
      const rng = createRng(1000 + rep);
      // Loss change of a flip set = sum of per-(probe, step) effects, symmetric about 0.
      const effect = Float64Array.from({ length: B * T }, () => rng.normal());
      const evaluator: FlipEvaluator = {
        B,
        T,
        D: 1,
        baseLoss: new Float64Array(B),
        losses: (jobs) =>
          Float64Array.from(jobs, (job) => {
            let s = 0;
            for (let j = 0; j < job.steps.length; j++) s += effect[job.probe * T + job.steps[j]];
            return s;
          }),
      };
      const res = flipTest({
        inputs: new Float64Array(B * T),
        labels: new Int32Array(B),
        B,
        T,
        D: 1,
        scores: Float64Array.from({ length: B * T }, () => rng.normal()),
        kList,
        R: 20,
        seed: rep,
        matchedDraws: 2,
        bootstrapResamples: 10,
        evaluator,
      });
      kList.forEach((_, ki) => {
        wil[ki].push(res.wilcoxon.p[ki]);
        zp[ki].push(res.z_test.p[ki]);
      });
    }
    for (let ki = 0; ki < kList.length; ki++) {
      // KS 1% critical value for n = 200 is 0.115; loose bound.
      expect(ksUniform(wil[ki])).toBeLessThan(0.13);
      expect(ksUniform(zp[ki])).toBeLessThan(0.13);
      const rate = wil[ki].filter((p) => p < 0.05).length / 200;
      expect(rate).toBeGreaterThan(0.01);
      expect(rate).toBeLessThan(0.1);
    }
  });
});
