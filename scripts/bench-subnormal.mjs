#!/usr/bin/env node
/**
 * The subnormal check of issue 23 (docs/method.md "Subnormal flush"): two FastRnn models of the
 * same seed, one with the flush (2^-100, the default) and one with IEEE arithmetic (flushBelow 0),
 * trained side by side on the bench batch, one step of each in turn; per step: ms, and the float32
 * subnormals the backward left in the deltas and gradients (FastRnn.subnormalCounts). On a CPU that
 * runs subnormals in microcode the IEEE model's steps slow down from step 2 on; on one that does
 * not (Zen 4), both step alike. Progress on stderr; ONE JSON line last on stdout:
 *   {"cpu", "T", "N", "cell", "kernels", "steps": [{step, ieee_ms, flushed_ms, ieee_subnormal_deltas,
 *    flushed_subnormal_deltas}], "median_ms": {ieee, flushed}, "weights_identical"}
 * Options (env): T (784), N (64), CELL (rnn|gru|lstm), KERNELS (wasm|js), STEPS (10).
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { register } from 'tsx/esm/api';

register();
const { FastRnn } = await import('../src/model/fast/engine.ts');
const { createWasmTrainingKernels } = await import('../src/model/fast/wasmKernels.ts');
const { createJsTrainingKernels } = await import('../src/model/fast/kernels.ts');
const { syntheticBatch } = await import('../src/bench/benchCommon.ts');

const T = Number(process.env.T ?? 784);
const N = Number(process.env.N ?? 64);
const cell = process.env.CELL ?? 'rnn';
const kernels = process.env.KERNELS ?? 'wasm';
const steps = Number(process.env.STEPS ?? 10);
const B = 64;
const D = T === 28 ? 28 : 1;
const wasm = readFileSync(new URL('../public/kernels/fast_rnn.wasm', import.meta.url));
const make = async (flushBelow) =>
  new FastRnn(
    { inputSize: D, hiddenSize: N, seed: 1, optimizer: 'adam', lr: 1e-3, cell, flushBelow },
    kernels === 'js' ? createJsTrainingKernels() : await createWasmTrainingKernels(wasm),
  );
const ieee = await make(0);
const flushed = await make(undefined);
const { x, y } = syntheticBatch({ T, D, N, B });
const rows = [];
for (let s = 0; s < steps; s++) {
  const row = { step: s + 1 };
  // Alternate which model goes first, so neither always follows the other.
  for (const [name, m] of s % 2
    ? [
        ['flushed', flushed],
        ['ieee', ieee],
      ]
    : [
        ['ieee', ieee],
        ['flushed', flushed],
      ]) {
    const t0 = performance.now();
    m.trainStep(x, y, B);
    row[`${name}_ms`] = Math.round((performance.now() - t0) * 100) / 100;
    row[`${name}_subnormal_deltas`] = m.subnormalCounts(B, T).deltas;
  }
  console.error(
    `[bench-subnormal] step ${row.step}: ieee ${row.ieee_ms} ms (${row.ieee_subnormal_deltas} subnormal deltas), flushed ${row.flushed_ms} ms (${row.flushed_subnormal_deltas})`,
  );
  rows.push(row);
}
const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const later = rows.slice(1); // step 1 compiles and grows the heap
const a = ieee.getWeights();
const b = flushed.getWeights();
const weightsIdentical = Object.keys(a).every((n) => a[n].data.every((v, i) => Object.is(v, b[n].data[i])));
console.log(
  JSON.stringify({
    cpu: cpus()[0]?.model ?? 'unknown',
    T,
    N,
    cell,
    kernels,
    steps: rows,
    median_ms: { ieee: median(later.map((r) => r.ieee_ms)), flushed: median(later.map((r) => r.flushed_ms)) },
    weights_identical: weightsIdentical,
  }),
);
