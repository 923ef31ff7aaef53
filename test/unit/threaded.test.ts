/**
 * The threaded hand-written engine (src/model/fast/threaded.ts): one thread is FastRnn exactly;
 * two threads (worker_threads helpers here, Web Workers in the app) reproduce bit for bit from
 * the same seed and match FastRnn to float32 rounding (only the order of the batch sums differs).
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { FastRnn } from '../../src/model/fast/engine';
import { createJsTrainingKernels, type TrainingKernels } from '../../src/model/fast/kernels';
import { createWasmTrainingKernels } from '../../src/model/fast/wasmKernels';
import { createThreadedFastTrainer, reduceGradients, threadRows, type ThreadedTrainer } from '../../src/model/fast/threaded';
import { nodeHelperSpawner } from '../../src/model/fast/threadedNode';
import type { RnnModelOptions } from '../../src/model/rnn';
import { createRng } from '../../src/core/rng';

const wasmBytes = readFileSync(new URL('../../public/kernels/fast_rnn.wasm', import.meta.url));
const wasm = () => wasmBytes.buffer.slice(wasmBytes.byteOffset, wasmBytes.byteOffset + wasmBytes.byteLength) as ArrayBuffer;

const D = 28,
  T = 28,
  N = 32,
  B = 16,
  STEPS = 4;
const options: RnnModelOptions = { inputSize: D, hiddenSize: N, seed: 5, optimizer: 'adam', lr: 0.01, clip: 1, reduction: 'mean' };

/** STEPS seeded batches of x [B][T][D] and labels [B]. */
const batches = (() => {
  const rng = createRng(11);
  return Array.from({ length: STEPS }, () => ({
    x: Float32Array.from({ length: B * T * D }, () => (rng.next() < 0.3 ? rng.next() : 0)),
    y: Int32Array.from({ length: B }, () => rng.int(10)),
  }));
})();

async function trainThreaded(tr: ThreadedTrainer) {
  const losses: number[] = [];
  for (const { x, y } of batches) losses.push((await tr.trainBatch(x, y, B, T, D)).loss);
  const w = await tr.getWeights();
  return { losses, whh: w.weight_hh_l0.data as Float32Array, fc: w['fc.weight'].data as Float32Array };
}

function trainFast(kernels: TrainingKernels) {
  const m = new FastRnn(options, kernels);
  const losses = batches.map(({ x, y }) => m.trainStep(x, y, B).loss);
  const w = m.getWeights();
  return { losses, whh: w.weight_hh_l0.data as Float32Array, fc: w['fc.weight'].data as Float32Array };
}

const open: ThreadedTrainer[] = [];
afterAll(() => {
  for (const t of open) t.dispose();
});

describe('threaded FastRnn', () => {
  it('threadRows splits a batch into contiguous ranges; reduceGradients sums in the given order', () => {
    expect([0, 1, 2].map((w) => threadRows(10, 3, w))).toEqual([
      [0, 3],
      [3, 6],
      [6, 10],
    ]);
    // float32: (1 + 2^-24) + 2^-24 rounds twice to 1; 1 + (2^-24 + 2^-24) would be 1 + 2^-23.
    const into = Float32Array.of(1);
    reduceGradients(into, [Float32Array.of(2 ** -24), Float32Array.of(2 ** -24)]);
    expect(into[0]).toBe(1);
  });

  it('W = 1 equals FastRnn exactly (JS and WASM SIMD kernels)', async () => {
    for (const useWasm of [false, true]) {
      const tr = await createThreadedFastTrainer(options, 1, { wasm: useWasm ? wasm() : null });
      open.push(tr);
      expect(tr.threads).toBe(1);
      const got = await trainThreaded(tr);
      const ref = trainFast(useWasm ? await createWasmTrainingKernels(wasm()) : createJsTrainingKernels());
      expect(got.losses).toEqual(ref.losses);
      expect(got.whh).toEqual(ref.whh);
      expect(got.fc).toEqual(ref.fc);
    }
  });

  it('W = 2 (worker_threads): same seed reproduces bit for bit, and matches FastRnn within float32 rounding', async () => {
    const runs = [];
    for (let r = 0; r < 2; r++) {
      const tr = await createThreadedFastTrainer(options, 2, { wasm: wasm(), spawn: nodeHelperSpawner });
      open.push(tr);
      expect(tr.note ?? '').toBe('');
      expect(tr.threads).toBe(2);
      expect(tr.note).toBeUndefined();
      runs.push(await trainThreaded(tr));
      tr.dispose();
    }
    expect(runs[1].losses).toEqual(runs[0].losses);
    expect(runs[1].whh).toEqual(runs[0].whh);
    expect(runs[1].fc).toEqual(runs[0].fc);
    const ref = trainFast(await createWasmTrainingKernels(wasm()));
    for (let s = 0; s < STEPS; s++) expect(Math.abs(runs[0].losses[s] - ref.losses[s])).toBeLessThan(1e-5 * Math.abs(ref.losses[s]) + 1e-6);
    let maxDiff = 0;
    for (let i = 0; i < ref.whh.length; i++) maxDiff = Math.max(maxDiff, Math.abs(runs[0].whh[i] - ref.whh[i]));
    // Four Adam steps of lr 0.01: float32 reassociation moves a weight by ~1e-6, never by a step.
    expect(maxDiff).toBeLessThan(1e-4);
  }, 60_000);
});
