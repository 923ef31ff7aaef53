/**
 * Engine switches in a real browser: 10 switches through the engine registry (the same one the
 * training worker uses) over every engine available in this Chromium, each new trainer given the
 * old one's weights and one training step. tfjs's live tensor count and the GPU memory tfjs and the
 * trainers report must be the same at every visit of an engine: a switch that forgot to dispose
 * (or a model that leaves tensors behind, as RnnModel once did) makes them grow.
 */
import { describe, expect, it } from 'vitest';
import { baseURL, benchResult, openSession } from './browser';

interface SwitchRow {
  switch: number;
  engine: string;
  numTensors: number;
  tfjsGpuBytes: number;
  gpuBytes: number | null;
}

describe('engine registry in the browser', () => {
  it('10 engine switches leave tfjs tensors and GPU memory flat', async () => {
    const s = await openSession();
    try {
      await s.page.goto(`${baseURL()}bench.html?switches=10`);
      await s.page.waitForFunction(() => (window as unknown as { __switchResult?: unknown }).__switchResult, null, {
        timeout: 200_000,
        polling: 500,
      });
      const r = await s.page.evaluate(
        () => (window as unknown as { __switchResult: { engines: string[]; rows: SwitchRow[]; error?: string } }).__switchResult,
      );
      console.log(
        `[e2e] engine switches over ${r.engines.join(', ')}: ${r.rows.map((x) => `${x.engine} ${x.numTensors}t/${x.tfjsGpuBytes}B/${x.gpuBytes ?? '-'}`).join('; ')}`,
      );
      expect(r.error).toBeUndefined();
      // Headless Chromium here has both engines of the hand-written BPTT and tfjs on webgl and wasm.
      expect(r.engines).toEqual(expect.arrayContaining(['fast-wasm', 'tfjs-webgl', 'tfjs-wasm']));
      expect(r.rows.length).toBe(10);
      for (const engine of new Set(r.rows.map((x) => x.engine))) {
        const visits = r.rows.filter((x) => x.engine === engine);
        for (const v of visits) {
          expect([v.numTensors, v.tfjsGpuBytes, v.gpuBytes], `${engine} at switch ${v.switch}`).toEqual([
            visits[0].numTensors,
            visits[0].tfjsGpuBytes,
            visits[0].gpuBytes,
          ]);
        }
      }
      expect(s.errors, s.errors.join('\n')).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it("bench epoch mode: one quick-preset epoch per engine, the fused engine at the hand-written engine's loss", async () => {
    const s = await openSession();
    try {
      const r = await benchResult<{
        errors: string[];
        epochs: { backend: string; batches: number; samples: number; loss: number; epoch_ms: number }[];
      }>(s.page, 'configs=28:32&engines=fast-wasm,fused-webgl&epoch=quick');
      console.log(`[e2e] bench epochs: ${JSON.stringify(r.epochs)}`);
      expect(r.errors).toEqual([]);
      expect(r.epochs.map((e) => e.backend)).toEqual(['fast-wasm', 'fused-webgl']);
      for (const e of r.epochs) {
        // The bundled training split: 8,000 digits in batches of 64.
        expect([e.samples, e.batches]).toEqual([8000, 125]);
        expect(e.epoch_ms).toBeGreaterThan(0);
      }
      // Same seed, init, order and Adam: float32 rounding only separates the two engines' epoch loss.
      const [a, b] = r.epochs.map((e) => e.loss);
      expect(Number.isFinite(a)).toBe(true);
      expect(Math.abs(a - b) / a).toBeLessThan(1e-3);
    } finally {
      await s.close();
    }
  });

  it('bench tuning rows: fused-webgpu variants each get a row with their knobs, and the forward pass costs less than a training step', async () => {
    const s = await openSession(undefined, undefined, ['--enable-unsafe-webgpu']);
    try {
      const r = await benchResult<{ errors: string[]; results: { tuning?: string; median_ms: number; forward_ms?: number }[] }>(
        s.page,
        'configs=28:32&engines=fused-webgpu&webgpu_tuning=batchPerWorkgroup=1|stepKernels=1',
      );
      console.log(`[e2e] tuning rows: ${JSON.stringify(r.results.map((x) => [x.tuning, x.median_ms, x.forward_ms]))}`);
      expect(r.errors).toEqual([]);
      expect(r.results.map((x) => x.tuning)).toEqual([undefined, 'batchPerWorkgroup=1', 'stepKernels=1']);
      for (const x of r.results) {
        expect(x.forward_ms).toBeGreaterThan(0);
        expect(x.forward_ms!).toBeLessThan(x.median_ms);
      }
    } finally {
      await s.close();
    }
  });
});
