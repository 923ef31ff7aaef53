/**
 * The fused-webgl training engine (src/model/fused/webgl) in headless Chromium on SwiftShader,
 * against the hand-written engine FastRnn (pure-JS kernels) trained side by side from the same init
 * on the same seeded batches, through the check page engine-check.html (src/bench/engineCheck.ts).
 *
 * Tolerances, and why. Both engines compute in float32, but FastRnn accumulates every dot product
 * in float64 and evaluates tanh/exp in float64 before rounding, while the shaders accumulate in
 * float32 in another order: each value differs by a few float32 ulps (~1e-7 relative) per step.
 * - Loss of every step: relative 2e-5 (measured differences are ~1e-6).
 * - Gradients of the last step: max |diff| < 1e-4 x max |gradient| of that tensor (rounding of a
 *   sum over T*B terms of either sign, amplified through T steps of BPTT).
 * - Weights after the steps: SGD moves a weight by lr*g, so its differences are those of the
 *   gradients times lr: < 1e-5 absolute. Adam and RMSprop divide each gradient by its own running
 *   norm: a coordinate whose gradient is nearly 0 turns rounding noise into an update of up to ~lr,
 *   so (as test/unit/fast.test.ts does for FastRnn vs tfjs) they get lr * 0.05 absolute, still far
 *   below the weights' movement over the run (which the test checks is much larger).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { baseURL, openSession, type Session } from './browser';
import type { CheckConfig, CheckResult, EngineCheckApi } from '../../src/bench/engineCheck';
import { RNN_TENSOR_NAMES } from '../../src/model/init';

type Api = EngineCheckApi;
declare const window: { __engineCheck: Api };

describe('fused-webgl engine matches FastRnn in Chromium (SwiftShader)', () => {
  let s: Session;
  beforeAll(async () => {
    s = await openSession();
    await s.page.goto(`${baseURL()}engine-check.html`);
    await s.page.waitForFunction(() => (window as unknown as { __engineCheck?: unknown }).__engineCheck !== undefined, null, {
      timeout: 60_000,
    });
    const available = await s.page.evaluate(() => window.__engineCheck.available());
    console.log(`[fused-webgl] ${available}`);
    expect(available).toMatch(/^ok: /);
  });
  afterAll(async () => {
    await s?.close();
  });

  const run = (c: CheckConfig) => s.page.evaluate((cfg) => window.__engineCheck.compare(cfg), c);

  function expectAgreement(r: CheckResult, c: Pick<CheckConfig, 'optimizer' | 'lr' | 'bias'>, label: string): void {
    console.log(
      `[fused-webgl] ${label}: loss ${r.lossFast.map((v, i) => `${v.toFixed(6)}/${r.lossFused[i].toFixed(6)}`).join(' ')}; gradDiff ${JSON.stringify(r.gradDiff)}; weightDiff ${JSON.stringify(r.weightDiff)}; draws ${r.drawsPerStep}; bytes ${r.gpuBytes}`,
    );
    for (const n of RNN_TENSOR_NAMES) expect(r.initDiff[n], `init ${n}`).toBe(0);
    r.lossFast.forEach((v, i) => expect(Math.abs(r.lossFused[i] - v), `loss of step ${i}`).toBeLessThan(2e-5 * Math.max(1, Math.abs(v))));
    // Counts agree unless a logit tie is broken by rounding (one sample at most in these batches).
    r.correctFast.forEach((v, i) => expect(Math.abs(r.correctFused[i] - v), `correct of step ${i}`).toBeLessThanOrEqual(1));
    for (const n of RNN_TENSOR_NAMES) {
      expect(r.gradDiff[n], `gradient ${n}`).toBeLessThanOrEqual(1e-4 * r.gradScale[n]);
      const tol = c.optimizer === 'sgd' ? 1e-5 : c.lr * 0.05;
      expect(r.weightDiff[n], `weight ${n}`).toBeLessThan(tol);
      const trained = c.bias || (n !== 'bias_ih_l0' && n !== 'bias_hh_l0');
      // The comparison is not vacuous: every trained tensor moved much more than the tolerance.
      if (trained) expect(r.weightMove[n], `movement of ${n}`).toBeGreaterThan(10 * tol);
      else expect(r.weightMove[n]).toBe(0);
    }
    expect(Math.abs(r.evalFused.loss - r.evalFast.loss)).toBeLessThan(1e-4);
    expect(Math.abs(r.evalFused.acc - r.evalFast.acc)).toBeLessThanOrEqual(1 / 32);
  }

  const CASES: [CheckConfig['optimizer'], boolean, number, CheckConfig['reduction'], number, number, number][] = [
    // optimizer, bias, clip, reduction, D, T, N
    ['adam', true, 0, 'mean', 28, 12, 24],
    ['adam', false, 0.05, 'sum', 3, 17, 13],
    ['sgd', false, 0, 'sum', 28, 12, 24],
    ['sgd', true, 0.1, 'mean', 1, 30, 16],
    ['rmsprop', true, 0.5, 'mean', 1, 25, 24],
    ['rmsprop', false, 0, 'sum', 2, 9, 10],
  ];
  it.each(CASES)(
    '%s, bias %s, clip %s, %s, D=%i T=%i N=%i: same losses, gradients and weights over 4 steps',
    async (optimizer, bias, clip, reduction, D, T, N) => {
      const c: CheckConfig = {
        optimizer,
        bias,
        clip,
        reduction,
        D,
        T,
        N,
        B: 11,
        lr: optimizer === 'sgd' ? 0.05 : 0.01,
        steps: 4,
        seed: 5,
        init: N % 2 ? 'orthogonal' : 'xavier',
        gain: 1.1,
      };
      expectAgreement(await run(c), c, `${optimizer} bias=${bias} clip=${clip} ${reduction} D${D} T${T} N${N}`);
    },
  );

  it('chunked BPTT with a dA ring, multi-row tile grids and a short last batch (B=32 then 21, T=150, textures capped at 128 texels)', async () => {
    // 75 state tiles of 6 x 32 texels in rows of 21, 150 input tiles in rows of 128, 10 time slices
    // of 16 steps (one gradient draw each), a dA ring of 10 tiles per parity reused 7 times over.
    const c: CheckConfig = {
      optimizer: 'adam',
      bias: true,
      clip: 1,
      reduction: 'mean',
      D: 1,
      T: 150,
      N: 24,
      B: 32,
      lastB: 21,
      lr: 0.01,
      steps: 3,
      seed: 8,
      textureLimit: 128,
    };
    expectAgreement(await run(c), c, 'grid/slices');
  });

  it('pixel-wise size (T=196, D=1, N=64, B=64): agrees, <= 2T + 32 draws per step, GPU memory within 2x of weights + Adam state + history', async () => {
    const c: CheckConfig = {
      optimizer: 'adam',
      bias: true,
      clip: 1,
      reduction: 'mean',
      D: 1,
      T: 196,
      N: 64,
      B: 64,
      lr: 0.002,
      steps: 2,
      seed: 4,
    };
    const r = await run(c);
    expectAgreement(r, c, 'T196 N64 B64');
    expect(r.drawsPerStep).toBeLessThanOrEqual(2 * c.T + 32);
    const { N, D, T, B } = c,
      C = 10;
    const weights = N * D + N * N + 2 * N + C * N + C;
    const budget = 2 * 4 * (weights + 2 * weights + B * T * N);
    console.log(
      `[fused-webgl] T196 N64 B64: ${r.drawsPerStep} draws, ${r.gpuBytes} bytes = ${(r.gpuBytes / (budget / 2)).toFixed(2)} x (weights + state + history)`,
    );
    expect(r.gpuBytes).toBeLessThanOrEqual(budget);
  });

  it('fixture rnn_n8_t12_d1: its weights, one Adam step on its sequences: same gradients and updated weights', async () => {
    const model = JSON.parse(readFileSync('test/fixtures/rnn_n8_t12_d1.model.json', 'utf8'));
    const probe = JSON.parse(readFileSync('test/fixtures/rnn_n8_t12_d1.probe.json', 'utf8'));
    for (const [optimizer, reduction] of [
      ['adam', 'sum'],
      ['sgd', 'mean'],
    ] as const) {
      const c = { optimizer, reduction, lr: 0.01, clip: 0 };
      const r = await s.page.evaluate(([m, p, cfg]) => window.__engineCheck.fixture(m, p, cfg), [model, probe, c] as const);
      expectAgreement(r, { ...c, bias: true }, `fixture ${optimizer} ${reduction}`);
    }
  });

  it('trains in a dedicated worker on its own OffscreenCanvas context, with the same losses as FastRnn', async () => {
    const c: CheckConfig = {
      optimizer: 'rmsprop',
      bias: true,
      clip: 0,
      reduction: 'mean',
      D: 4,
      T: 20,
      N: 16,
      B: 9,
      lr: 0.01,
      steps: 3,
      seed: 6,
    };
    const r = await s.page.evaluate((cfg) => window.__engineCheck.inWorker(cfg), c);
    expect(r.renderer).not.toBe('');
    expect(r.lossWorker).toHaveLength(3);
    r.lossFast.forEach((v, i) => expect(Math.abs(r.lossWorker[i] - v), `loss of step ${i}`).toBeLessThan(2e-5 * Math.max(1, v)));
  });

  it('a lost context is reported and refused; a context without float32 render targets is refused clearly', async () => {
    const r = await s.page.evaluate(() => window.__engineCheck.contextChecks());
    expect(r.lostBefore).toBe(false);
    expect(r.lostAfter).toBe(true);
    expect(r.trainError).toMatch(/^ContextLostError: .*lost/);
    expect(r.refusal).toMatch(/EXT_color_buffer_float/);
  });

  it('10 create / train / dispose cycles: the same GPU bytes each time, 0 after each dispose', async () => {
    const c: CheckConfig = {
      optimizer: 'adam',
      bias: true,
      clip: 1,
      reduction: 'mean',
      D: 1,
      T: 40,
      N: 32,
      B: 16,
      lr: 0.01,
      steps: 1,
      seed: 3,
    };
    const r = await s.page.evaluate((cfg) => window.__engineCheck.cycles(10, cfg), c);
    console.log(`[fused-webgl] cycles: ${JSON.stringify(r)}`);
    expect(new Set(r.alive).size).toBe(1);
    expect(r.alive[0]).toBeGreaterThan(0);
    expect(r.afterDispose.every((v) => v === 0)).toBe(true);
    expect(r.liveAfter.every((v) => v === 0)).toBe(true);
  });

  it('left no console errors', () => {
    expect(s.errors).toEqual([]);
  });
});
