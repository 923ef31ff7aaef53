import { describe, expect, it } from 'vitest';
import { createCell, forwardLosses } from '../../src/core/dynamics/cells';
import { expectClose, FIXTURE_CASES, loadFixture } from './dynamics.fixtures';
import { createRng } from '../../src/core/rng';

describe('cells: forward pass against the float64 fixtures', () => {
  it.each(FIXTURE_CASES)('%s: last-step logits and CE loss', (name) => {
    const { weights, probe, expected } = loadFixture(name);
    const cell = createCell(weights);
    const r = forwardLosses(cell, probe.inputs, probe.labels, probe.T, probe.D, probe.h0, probe.c0);
    expectClose(r.logits, expected.logits, 1e-9, 1e-12, 'logits');
    expectClose(r.loss, expected.loss, 1e-9, 1e-12, 'loss');
    // Reusing the output buffers gives the same numbers (no state leaks between calls).
    const again = forwardLosses(cell, probe.inputs, probe.labels, probe.T, probe.D, probe.h0, probe.c0, r);
    expectClose(again.loss, expected.loss, 1e-9, 1e-12, 'loss (reused buffers)');
  });
});

describe('cells: analytic Jacobians', () => {
  it.each(FIXTURE_CASES)('%s: J_1 and J_T match the reference and central differences', (name) => {
    const { weights, probe, expected } = loadFixture(name);
    const cell = createCell(weights);
    const S = cell.stateSize;
    const N = cell.hiddenSize;
    const { T, D } = probe;
    for (let b = 0; b < probe.B; b++) {
      // Trajectory of probe b.
      const states = new Float64Array((T + 1) * S);
      if (probe.h0) states.set(probe.h0.subarray(b * N, (b + 1) * N), 0);
      if (probe.c0) states.set(probe.c0.subarray(b * N, (b + 1) * N), N);
      for (let t = 0; t < T; t++) cell.step(probe.inputs, (b * T + t) * D, states, t * S, states, (t + 1) * S);
      const J = new Float64Array(S * S);
      cell.jacobian(probe.inputs, b * T * D, states, 0, J);
      expectClose(J, expected.jacobian_first[b], 1e-8, 1e-10, `jacobian_first[${b}]`);
      cell.jacobian(probe.inputs, (b * T + T - 1) * D, states, (T - 1) * S, J);
      expectClose(J, expected.jacobian_last[b], 1e-8, 1e-10, `jacobian_last[${b}]`);
      // Central differences at a middle step: J[i][j] ~ (F(s + e_j h)_i - F(s - e_j h)_i) / 2h.
      const t = Math.floor(T / 2);
      const xOff = (b * T + t) * D;
      cell.jacobian(probe.inputs, xOff, states, t * S, J);
      const s = states.slice(t * S, (t + 1) * S);
      const plus = new Float64Array(S);
      const minus = new Float64Array(S);
      const h = 1e-6;
      for (let j = 0; j < S; j++) {
        const keep = s[j];
        s[j] = keep + h;
        cell.step(probe.inputs, xOff, s, 0, plus, 0);
        s[j] = keep - h;
        cell.step(probe.inputs, xOff, s, 0, minus, 0);
        s[j] = keep;
        for (let i = 0; i < S; i++) expect(Math.abs((plus[i] - minus[i]) / (2 * h) - J[i * S + j])).toBeLessThan(1e-8);
      }
    }
  });

  it.each(FIXTURE_CASES)('%s: applyJacobian equals J times each vector; backward equals J^T', (name) => {
    const { weights, probe } = loadFixture(name);
    const cell = createCell(weights);
    const S = cell.stateSize;
    const rng = createRng(7);
    const sIn = Float64Array.from({ length: S }, () => 0.5 * rng.normal());
    const sOut = new Float64Array(S);
    const cache = new Float64Array(cell.cacheSize);
    cell.step(probe.inputs, 0, sIn, 0, sOut, 0, cache, 0);
    const J = new Float64Array(S * S);
    cell.jacobian(probe.inputs, 0, sIn, 0, J);
    const k = 6;
    const v = Float64Array.from({ length: k * S }, () => rng.normal());
    const out = new Float64Array(k * S);
    cell.applyJacobian(probe.inputs, 0, sIn, 0, sOut, 0, v, k, out);
    for (let a = 0; a < k; a++) {
      for (let i = 0; i < S; i++) {
        let ref = 0;
        for (let j = 0; j < S; j++) ref += J[i * S + j] * v[a * S + j];
        expect(Math.abs(out[a * S + i] - ref)).toBeLessThan(1e-12);
      }
    }
    const dIn = new Float64Array(S);
    cell.backward(probe.inputs, 0, sIn, 0, sOut, 0, cache, 0, v, 0, dIn, 0, null, null, 0);
    for (let j = 0; j < S; j++) {
      let ref = 0;
      for (let i = 0; i < S; i++) ref += J[i * S + j] * v[i];
      expect(Math.abs(dIn[j] - ref)).toBeLessThan(1e-12);
    }
  });
});
