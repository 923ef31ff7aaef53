/**
 * The float64 analysis kernels (src/core/kernels): the WASM SIMD module against the pure-JS
 * default (J Q and Gram-Schmidt bit for bit, the tanh lanes to rounding), and the whole analysis
 * with the WASM kernels injected against the float64 reference fixtures (same keys and
 * tolerances as dynamics.analyze.test.ts).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeModel } from '../../src/core/analysis/analyze';
import { analyzeEpoch } from '../../src/core/analysis/epochSnapshot';
import type { ModelWeights } from '../../src/core/formats/model';
import { getAnalysisKernels, jsAnalysisKernels, setAnalysisKernels, type AnalysisKernels } from '../../src/core/kernels';
import { createWasmAnalysisKernels, wasmSimdAvailable } from '../../src/core/kernels/wasm';
import { createRng } from '../../src/core/rng';
import { createCell } from '../../src/core/dynamics/cells';
import { bpttSample } from '../../src/core/dynamics/gradients';
import { probeTrajectory } from '../../src/core/dynamics/trajectory';
import { prefixPreactGrads, probeStepAlignments } from '../../src/core/dynamics/alignment';
import { svd } from '../../src/core/linalg/svd';
import { expectClose, FIXTURE_CASES, flat, loadFixture, compareTree } from './dynamics.fixtures';

const wasmBytes = readFileSync(new URL('../../public/kernels/analysis.wasm', import.meta.url));
let wasm: AnalysisKernels;

beforeAll(async () => {
  expect(wasmSimdAvailable()).toBe(true);
  wasm = await createWasmAnalysisKernels(wasmBytes);
});
afterAll(() => {
  setAnalysisKernels(null);
});

const randn = (n: number, seed: number, scale = 1) => {
  const rng = createRng(seed);
  return Float64Array.from({ length: n }, () => rng.normal() * scale);
};

describe('WASM kernels equal the JS kernels', () => {
  it.each([
    [8, 8, 4, true],
    [7, 5, 3, true],
    [33, 17, 9, false],
    [128, 128, 16, true],
    [64, 64, 64, true],
    [2, 3, 1, false],
  ])('matrix times vectors, rows %i cols %i k %i scaled %s: bit-identical', (rows, cols, k, scaled) => {
    const M = randn(rows * cols, 1 + rows);
    const v = randn(k * cols, 2 + cols);
    const s = scaled ? randn(rows, 3) : null;
    const a = new Float64Array(k * rows);
    const b = new Float64Array(k * rows);
    jsAnalysisKernels.matrix(M, rows, cols).timesVectors(v, k, a, s);
    const pm = wasm.matrix(M, rows, cols);
    pm.timesVectors(v, k, b, s);
    expect(b).toEqual(a);
    // A naive sum agrees to rounding (guards against both kernels sharing a wrong layout).
    for (let q = 0; q < k; q++) {
      for (let i = 0; i < rows; i++) {
        let acc = 0;
        for (let j = 0; j < cols; j++) acc += M[i * cols + j] * v[q * cols + j];
        if (s) acc *= s[i];
        expect(Math.abs(b[q * rows + i] - acc)).toBeLessThan(1e-12 * (1 + Math.abs(acc)));
      }
    }
    // A second matrix displaces the first; the first handle uploads again and stays correct.
    wasm.matrix(randn(rows * cols, 99), rows, cols).timesVectors(v, k, b, s);
    pm.timesVectors(v, k, b, s);
    expect(b).toEqual(a);
  });

  it.each([
    [16, 16],
    [17, 5],
    [128, 128],
    [9, 9],
  ])('mgsQr S %i k %i: bit-identical Q and R, Q orthonormal, QR = V', (S, k) => {
    const V0 = randn(S * k, 7 + S);
    const qa = V0.slice();
    const qb = V0.slice();
    const ra = new Float64Array(k * k);
    const rb = new Float64Array(k * k);
    jsAnalysisKernels.mgsQr(qa, S, k, ra);
    wasm.mgsQr(qb, S, k, rb);
    expect(qb).toEqual(qa);
    expect(rb).toEqual(ra);
    for (let a = 0; a < k; a++) {
      expect(rb[a * k + a]).toBeGreaterThan(0);
      for (let b = 0; b < k; b++) {
        let d = 0;
        for (let i = 0; i < S; i++) d += qb[a * S + i] * qb[b * S + i];
        expect(Math.abs(d - (a === b ? 1 : 0))).toBeLessThan(1e-13);
      }
    }
    for (let b = 0; b < k; b++) {
      for (let i = 0; i < S; i++) {
        let x = 0;
        for (let a = 0; a <= b; a++) x += qb[a * S + i] * rb[a * k + b];
        expect(Math.abs(x - V0[b * S + i])).toBeLessThan(1e-12);
      }
    }
  });

  it.each([
    [128, 16],
    [33, 9],
    [64, 64],
  ])('fused J Q + Gram-Schmidt, S %i k %i: equals the two calls, bit-identical across kernels', (S, k) => {
    const M = randn(S * S, 41, 1 / Math.sqrt(S));
    const v = randn(S * k, 42);
    const s = randn(S, 43);
    const ref = new Float64Array(S * k);
    const rRef = new Float64Array(k * k);
    jsAnalysisKernels.matrix(M, S, S).timesVectors(v, k, ref, s);
    jsAnalysisKernels.mgsQr(ref, S, k, rRef);
    for (const K of [jsAnalysisKernels, wasm]) {
      const q = new Float64Array(S * k);
      const r = new Float64Array(k * k);
      K.matrix(M, S, S).timesVectorsQr(v, k, q, s, r);
      expect(q, K.kind).toEqual(ref);
      expect(r, K.kind).toEqual(rRef);
    }
  });

  it('mgsQr on rank-deficient input: zero R_aa and the same orthonormal completion', () => {
    const S = 6;
    const k = 4;
    const V = new Float64Array(S * k);
    for (let i = 0; i < S; i++) {
      V[i] = i + 1;
      V[S + i] = 2 * (i + 1); // dependent on vector 0
      V[2 * S + i] = i % 2;
      V[3 * S + i] = 0; // zero vector
    }
    const qa = V.slice();
    const qb = V.slice();
    const ra = new Float64Array(k * k);
    const rb = new Float64Array(k * k);
    jsAnalysisKernels.mgsQr(qa, S, k, ra);
    wasm.mgsQr(qb, S, k, rb);
    expect(rb[1 * k + 1]).toBeLessThan(1e-12);
    expect(rb[3 * k + 3]).toBe(0);
    expect(qb).toEqual(qa);
    expect(rb).toEqual(ra);
  });

  it.each([
    [16, 12],
    [7, 30],
  ])('eight tanh lanes, N %i T %i: JS and WASM agree to 1e-14 and match a plain loop', (N, T) => {
    const B = 2;
    const W = randn(N * N, 11, 1.5 / Math.sqrt(N));
    const drive = randn(B * T * N, 12, 0.5);
    const flipped = randn(B * T * N, 13, 0.5);
    const mask = new Uint8Array(8 * T);
    const rng = createRng(14);
    for (let i = 0; i < mask.length; i++) mask[i] = rng.next() < 0.3 ? 1 : 0;
    const H0 = randn(8 * N, 15, 0.3);
    const b = 1;
    const tStart = 3;
    const ha = H0.slice();
    const hb = H0.slice();
    jsAnalysisKernels.rnnLanes(W, N, drive, flipped, B, T).run(b, tStart, mask, ha);
    wasm.rnnLanes(W, N, drive, flipped, B, T).run(b, tStart, mask, hb);
    for (let l = 0; l < 8; l++) {
      let h = Array.from({ length: N }, (_, j) => H0[j * 8 + l]);
      for (let t = tStart; t < T; t++) {
        const u = mask[l * T + t] ? flipped : drive;
        h = h.map((_, i) => Math.tanh(h.reduce((acc, hj, j) => acc + W[i * N + j] * hj, u[(b * T + t) * N + i])));
      }
      for (let j = 0; j < N; j++) {
        expect(Math.abs(ha[j * 8 + l] - h[j])).toBeLessThan(1e-14);
        expect(Math.abs(hb[j * 8 + l] - h[j])).toBeLessThan(1e-14);
      }
    }
  });
});

describe("the module's vectorised tanh", () => {
  it('is within 4 ulp of Math.tanh from 1e-20 to 30 in magnitude, odd, and keeps NaN, +-0, +-Infinity', async () => {
    const { instance } = await WebAssembly.instantiate(wasmBytes, { env: { abort: () => undefined } });
    const ex = instance.exports as unknown as { memory: WebAssembly.Memory; heapBase(): number; tanhInPlace(x: number, n: number): void };
    const n = 40000;
    ex.memory.grow(8);
    const base = ex.heapBase() >> 3;
    const f = new Float64Array(ex.memory.buffer);
    const rng = createRng(31);
    // First half: a grid on [-30, 30) and random magnitudes 1e-20..30; second half: their negatives.
    const half = Float64Array.from({ length: n / 2 }, (_, i) =>
      i % 2 ? -30 + (60 * i) / (n / 2) : (rng.next() < 0.5 ? -1 : 1) * 10 ** (-20 + 21.5 * rng.next()),
    );
    const xs = new Float64Array(n);
    xs.set(half);
    xs.set(
      half.map((x) => -x),
      n / 2,
    );
    f.set(xs, base);
    ex.tanhInPlace(base, n);
    let worst = 0;
    for (let i = 0; i < n; i++) {
      const ref = Math.tanh(xs[i]);
      worst = Math.max(worst, Math.abs(f[base + i] - ref) / Math.abs(ref || 1));
      if (i < n / 2) expect(f[base + n / 2 + i]).toBe(-f[base + i]);
    }
    expect(worst).toBeLessThan(4 * Number.EPSILON);
    f.set([NaN, -0, Infinity, -Infinity], base);
    ex.tanhInPlace(base, 4);
    expect(Number.isNaN(f[base])).toBe(true);
    expect(Object.is(f[base + 1], -0)).toBe(true);
    expect([f[base + 2], f[base + 3]]).toEqual([1, -1]);
  });
});

describe('analysis with the WASM kernels injected reproduces the float64 references', () => {
  it.each(FIXTURE_CASES)('%s', (name) => {
    const { weights, probe, expected } = loadFixture(name);
    const flipSpec = { n: expected.flip.n, kList: expected.flip.k_list, randSets: expected.flip.rand_sets };
    setAnalysisKernels(wasm);
    try {
      expect(getAnalysisKernels().kind).toBe('wasm-simd');
      const ours = analyzeModel(weights, probe, { k: expected.k, flip: flipSpec, alignSteps: expected.alignment?.steps });
      let compared = 0;
      for (const key of Object.keys(expected)) {
        if (key === 'format' || key === 'compute_seconds' || key === 'name') continue;
        if (key === 'checks') {
          for (const k of Object.keys(expected.checks)) expect((ours.checks as Record<string, number>)[k], k).toBeLessThan(1e-10);
          continue;
        }
        // The Python reference aligns the rnn only (alignment: null for gated cells); the gated-cell
        // alignment is checked in dynamics.alignment.gated.test.ts and cli-chaos.test.ts.
        if (key === 'alignment' && expected.alignment === null && weights.arch !== 'rnn') continue;
        compared += compareTree(ours[key], expected[key], key);
      }
      expect(compared).toBeGreaterThan(500);
    } finally {
      setAnalysisKernels(null);
    }
  });

  it('analyzeEpoch: WASM and JS snapshots agree (N = 24, T = 40, pixel-like inputs)', () => {
    const N = 24;
    const T = 40;
    const D = 1;
    const B = 4;
    const w: ModelWeights = {
      arch: 'rnn',
      inputSize: D,
      hiddenSize: N,
      numClasses: 10,
      tensors: {
        weight_ih_l0: randn(N * D, 21),
        weight_hh_l0: randn(N * N, 22, 1.3 / Math.sqrt(N)),
        bias_ih_l0: randn(N, 23, 0.1),
        bias_hh_l0: randn(N, 24, 0.1),
        'fc.weight': randn(10 * N, 25, 1 / Math.sqrt(N)),
        'fc.bias': randn(10, 26, 0.1),
      },
    };
    const rng = createRng(27);
    const inputs = Float64Array.from({ length: B * T * D }, () => (rng.next() < 0.3 ? rng.next() : 0));
    const labels = [1, 4, 7, 9];
    const opts = { k: 8, n: 2, draws: 6, seed: 5 };
    setAnalysisKernels(null);
    const js = analyzeEpoch(w, inputs, labels, T, D, opts);
    setAnalysisKernels(wasm);
    let ws: ReturnType<typeof analyzeEpoch>;
    try {
      ws = analyzeEpoch(w, inputs, labels, T, D, opts);
    } finally {
      setAnalysisKernels(null);
    }
    // lnR and spectrum come from bit-identical J Q / Gram-Schmidt on identical trajectories.
    expect(ws.lnR).toEqual(js.lnR);
    expect(ws.spectrum).toEqual(js.spectrum);
    expect(ws.qrGradRelErr).toBeLessThan(1e-10);
    expectClose(flat(ws.alignment), flat(js.alignment), 1e-9, 1e-12, 'alignment');
    // Flip losses pass through tanh (V8 vs the module's musl port: last-bit differences).
    expectClose(flat(ws.flip), flat(js.flip), 1e-9, 1e-12, 'flip');
  });
});

describe('prefix-loss gradients of the alignment (batched on the kernels) equal BPTT bit for bit', () => {
  it.each(['js', 'wasm'] as const)('%s kernels: da_s of every prefix loss, and dL_t/dW_hh for t >= N', (which) => {
    setAnalysisKernels(which === 'js' ? null : wasm);
    try {
      // Random tanh RNN, N = 12, T = 30: steps on both sides of N (the t < N and t >= N paths).
      const N = 12;
      const T = 30;
      const w = randn(N * N, 71, 1.3 / Math.sqrt(N));
      const weights: ModelWeights = {
        arch: 'rnn',
        inputSize: 1,
        hiddenSize: N,
        numClasses: 10,
        tensors: {
          weight_ih_l0: randn(N, 72),
          weight_hh_l0: w,
          bias_ih_l0: randn(N, 73, 0.1),
          bias_hh_l0: randn(N, 74, 0.1),
          'fc.weight': randn(10 * N, 75, 0.3),
          'fc.bias': randn(10, 76, 0.1),
        },
      };
      const cell = createCell(weights);
      const inputs = randn(T, 77);
      const traj = probeTrajectory(cell, { T, inputs }, 0);
      const steps = [5, 11, 12, 20, 30];
      const got = prefixPreactGrads(cell, traj, 3, steps);
      for (const t of steps) {
        const g = bpttSample(cell, inputs, 0, traj, 3, { tLoss: t, wantDeltas: true });
        const A = got.get(t)!;
        for (let s = 1; s <= t; s++) {
          for (let i = 0; i < N; i++) {
            const h = traj.states[s * N + i];
            expect(A[(t - s) * N + i]).toBe(g.deltas![s * N + i] * (1 - h * h));
          }
        }
        if (t >= N) {
          const per = probeStepAlignments(cell, traj, 3, [t], new Map([[t, new Float64Array(N * N)]]), N);
          // The SVD of the kernel-summed G reproduces the SVD of BPTT's dL_t/dW_hh exactly.
          expect(Array.from(per[0].svd.s)).toEqual(Array.from(svd(g.cell.weight_hh, N, N).s));
        }
      }
    } finally {
      setAnalysisKernels(null);
    }
  });
});
