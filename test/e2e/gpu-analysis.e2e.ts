/**
 * The GPU analysis engine (src/model/gpuAnalysis) in Chromium's WebGPU on SwiftShader against the
 * float64 CPU analysis (src/core, itself checked against the float64 fixtures): on fixture models
 * and probes (including a trained one) the GPU's flip-test losses, single-pixel map, ln r, FTLE and
 * Q vectors equal the float64 values within the tolerances of docs/method.md ("GPU analysis
 * precision"), every verdict and Holm decision is the same, and the GPU plan is the paper's full
 * plan; stage 1 fed by the GPU QR pass (the panels' ln r, FTLE, Q_t) agrees with float64 too; the
 * app with analysis=gpu shows the badge "GPU" and the Training panel's float64 check; random jobs with three hidden units per thread agree too; a device lost mid-analysis in
 * the app's worker pool re-runs that epoch on the CPU with nothing lost; a destroyed device makes
 * every call fail with GpuDeviceLostError.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { baseURL, openSession, type Session } from './browser';

/**
 * Tolerances (docs/method.md, "GPU analysis precision"): float32 rounding (~6e-8 relative per
 * operation) accumulated over T steps; in a chaotic network (largest FTLE > 0) each rounding grows
 * like e^(lambda t), so the chaotic fixture gets its own, wider bound. Measured maxima on SwiftShader
 * are 10-20x below these (regular: flip losses 1.7e-6, ln r 1.9e-6, Q 1.3e-6; chaotic g = 2, T = 40:
 * flip losses 1.3e-4, ln r 1.0e-4, Q 1.0e-4).
 */
const REGULAR = { loss: 2e-5, lnR: 3e-5, ftle: 3e-6, q: 3e-5 };
const CHAOTIC = { loss: 2e-3, lnR: 2e-3, ftle: 6e-5, q: 2e-3 };
const TOL = REGULAR;

const fixture = (name: string) => ({
  model: JSON.parse(readFileSync(`test/fixtures/${name}.model.json`, 'utf8')),
  probe: JSON.parse(readFileSync(`test/fixtures/${name}.probe.json`, 'utf8')),
});

describe('GPU analysis engine equals the float64 analysis (WebGPU on SwiftShader)', () => {
  let s: Session;
  beforeAll(async () => {
    s = await openSession(undefined, undefined, ['--enable-unsafe-webgpu']);
    await s.page.goto(`${baseURL()}gpu-analysis-check.html`);
    await s.page.waitForFunction(() => window.__gpuAnalysisCheck !== undefined, null, { timeout: 60_000 });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('WebGPU gives an adapter here, and it is a software one (SwiftShader)', async () => {
    const a = await s.page.evaluate(() => window.__gpuAnalysisCheck!.available());
    expect(a, 'an adapter').not.toBeNull();
    expect(a!.software, `adapter "${a!.adapter}" is software`).toBe(true);
  });

  it.each([
    ['rnn_n16_t28_d28_trained', REGULAR],
    ['rnn_chaotic_g2_n16_t40_d1', CHAOTIC],
  ] as const)(
    '%s: full plan, losses, single-pixel map, ln r, FTLE, Q and every verdict',
    async (name, TOL) => {
      const { model, probe } = fixture(name);
      const r = await s.page.evaluate(([m, p]) => window.__gpuAnalysisCheck!.compareEpoch(m, p as never, 7), [model, probe] as const);
      console.log(name, JSON.stringify({ ...r, gpuCheck: r.gpuCheck }));
      expect(r.plan.R, 'R = 50').toBe(50);
      expect(r.plan.Rm, 'Rm = 10').toBe(10);
      expect(r.plan.withSingle, 'single-pixel map').toBe(true);
      expect(r.plan.kList, 'every paper k up to T').toEqual([1, 2, 3, 5, 10, 20, 30, 50, 75, 100, 200, 300].filter((k) => k <= r.plan.T));
      expect(r.devBase).toBeLessThanOrEqual(TOL.loss * Math.max(1, r.scaleFlip));
      expect(r.devFlip).toBeLessThanOrEqual(TOL.loss * Math.max(1, r.scaleFlip));
      expect(r.devSingle).toBeLessThanOrEqual(TOL.loss * Math.max(1, r.scaleFlip));
      expect(r.devLogits).toBeLessThanOrEqual(TOL.loss * 10);
      expect(r.devLnR).toBeLessThanOrEqual(TOL.lnR);
      expect(r.devFtle).toBeLessThanOrEqual(TOL.ftle);
      expect(r.devQ).toBeLessThanOrEqual(TOL.q);
      expect(r.verdictCount).toBeGreaterThan(0);
      expect(r.verdictsDiffer).toEqual([]);
      expect(r.analysisEngine?.kind).toBe('gpu');
      expect(r.gpuCheck!.decisionsDiffer).toEqual([]);
      expect(r.gpuCheck!.maxDevFlipDL).toBeLessThanOrEqual(2 * TOL.loss * Math.max(1, r.scaleFlip));
      expect(r.gpuCheck!.maxDevLnR).toBeLessThanOrEqual(TOL.lnR);
      // Stage 1 from the GPU QR pass (what the panels show): ln r, FTLE and Q_t at the alignment steps.
      expect(r.stage1.lnR).toBeLessThanOrEqual(TOL.lnR);
      expect(r.stage1.ftle).toBeLessThanOrEqual(TOL.ftle);
      expect(r.stage1.q).toBeLessThanOrEqual(TOL.q);
      // A cosine <q, w> with |w| = 1 moves by at most |dq|_2 <= sqrt(N) max|dq| (N = 16 here).
      expect(r.gpuCheck!.maxDevQ).toBeLessThanOrEqual(TOL.q);
      expect(r.gpuCheck!.maxDevCosine).toBeLessThanOrEqual(4 * TOL.q);
    },
    60_000,
  );

  it('random jobs at N = 70 on 32 threads (3 units per thread), 4 lanes, a partial last workgroup', async () => {
    const r = await s.page.evaluate(() =>
      window.__gpuAnalysisCheck!.compareJobs({ N: 70, T: 10, D: 2, B: 2, M: 21, k: 3, gain: 1.5, seed: 5, threads: 32, lanes: 4 }),
    );
    console.log('N=70', JSON.stringify(r));
    expect(r.devLoss).toBeLessThanOrEqual(TOL.loss * 10);
    expect(r.devBase).toBeLessThanOrEqual(TOL.loss * 10);
    expect(r.devLnR).toBeLessThanOrEqual(TOL.lnR * 10);
    expect(r.devQ).toBeLessThanOrEqual(TOL.q);
    expect(r.devQmid).toBeLessThanOrEqual(TOL.q);
  }, 60_000);

  it.each([
    // Contracting (g = 0.8) over the view's T = 100 + 300; chaotic (g = 2) over T = 10 + 30, where
    // float32 rounding grows like e^(lambda t) as on the chaotic fixture (method §10).
    ['contracting g = 0.8, N = 40, k = 40', { N: 40, k: 40, g: 0.8, seed: 1, steps: 300, transient: 100 }, REGULAR.lnR],
    [
      'chaotic g = 2, N = 48, k = 12, 3 units per thread',
      { N: 48, k: 12, g: 2, seed: 2, steps: 30, transient: 10, threads: 16 },
      CHAOTIC.lnR,
    ],
    // The view's largest N (the default 8 lanes would overflow the 32 KiB workgroup storage).
    ['contracting g = 0.9, N = 512, k = 4', { N: 512, k: 4, g: 0.9, seed: 1, steps: 10, transient: 0 }, REGULAR.lnR],
  ] as const)(
    'edge-of-chaos spectrum on the GPU equals float64: %s',
    async (_, c, tol) => {
      const r = await s.page.evaluate((cc) => window.__gpuAnalysisCheck!.compareChaos(cc), c);
      console.log('chaos', JSON.stringify(r));
      expect(r.devSpectrum).toBeLessThanOrEqual(tol);
      expect(r.devTimeSe).toBeLessThanOrEqual(tol);
    },
    60_000,
  );

  it('the app path: a device lost mid-analysis re-runs that epoch on the CPU pool (banner event first, nothing lost); the next epoch runs on a fresh device', async () => {
    const { model, probe } = fixture('rnn_n8_t12_d1');
    const r = await s.page.evaluate(([m, p]) => window.__gpuAnalysisCheck!.poolFallback(m, p as never, 3), [model, probe] as const);
    console.log('fallback', JSON.stringify(r));
    // Each epoch's dynamics partial comes before its flip stage: epoch 1's from the GPU-fed stage 1, again from its CPU re-run.
    expect(r.kinds).toEqual(['partial:1', 'gpuFallback:1', 'partial:1', 'analysis:1', 'partial:2', 'analysis:2']);
    expect(r.fallbackMessage).toMatch(/GPU was lost while analysing epoch 1 .* analysed again on the CPU\. Nothing is lost\./);
    expect(r.engines[0]).toEqual({ kind: 'cpu', fallback: r.fallbackMessage });
    expect(r.engines[1]?.kind).toBe('gpu');
    // The worker's WASM float64 kernels against this page's JS ones: summation order only.
    expect(r.epoch1VsCpu!.lnR).toBeLessThanOrEqual(1e-12);
    expect(r.epoch1VsCpu!.dRand).toBeLessThanOrEqual(1e-12);
    expect(r.epoch1VsCpu!.R).toBe(r.epoch1VsCpu!.cpuR);
    expect(r.epoch2R).toBe(50);
  }, 60_000);

  it('the app path: analysis=gpu analyses epoch 0 on the GPU; the badge says GPU and the Training panel shows the float64 check', async () => {
    const page = await s.context.newPage();
    try {
      await page.goto(`${baseURL()}#preset=quick&epochs=1&hidden=16&probes=4&analysis=gpu`);
      const check = page.getByTestId('gpu-check');
      await check.waitFor({ timeout: 60_000 });
      const text = (await check.textContent()) ?? '';
      console.log('gpu-check', text, await page.getByTestId('analysis-engine').textContent());
      expect(text).toMatch(/^ln r \S+ · FTLE \S+ · Q \S+ · flip dL \S+ · single-pixel \S+ · cosines \S+; /);
      expect(text).toContain('every verdict and Holm decision the same');
      expect(await check.getAttribute('data-differ')).toBe('0');
      expect(await page.getByTestId('analysis-engine').textContent()).toMatch(/^analysis: GPU float32 \(WebGPU\) · \S/);
    } finally {
      await page.close();
    }
  }, 90_000);

  it('a destroyed device: every call fails with GpuDeviceLostError', async () => {
    const r = await s.page.evaluate(() => window.__gpuAnalysisCheck!.lostDevice());
    expect(r.name, r.message).toBe('GpuDeviceLostError');
    expect(r.isLost).toBe(true);
  });
});
