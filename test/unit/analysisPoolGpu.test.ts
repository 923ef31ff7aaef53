/**
 * The pool's choice of analysis engine (analysisPool.ts chooseEngine) and its GPU fallback, with
 * in-process fake workers running the real float64 handlers (analysisPart.ts). A GPU epoch's QR
 * pass is answered with the float64 pass (the stage-1 parts must take it), or lost. Its flip
 * stage here is answered 'part-error', as a worker whose device was lost answers (gpuAnalysisRun.ts): the pool
 * must say so, re-run that epoch on the CPU and deliver the same analysis the CPU gives, recording
 * where it ran. Adapters are described by the `gpuAdapter` argument (Node has no WebGPU).
 */
import { describe, expect, it } from 'vitest';
import { createAnalysisPool, type PoolWorker } from '../../src/worker/analysisPool';
import { runPart, runWhole } from '../../src/worker/analysisPart';
import type { AnalysisPartEvent, AnalyzeRequest, AnalyzerEvent } from '../../src/worker/protocol';
import { PRESET_CONFIGS } from '../../src/core/formats/config';
import { createRng } from '../../src/core/rng';
import type { GpuAdapterInfo } from '../../src/model/gpuAnalysis';
import { requestOptions, requestWeights } from '../../src/worker/analysisInput';
import { planEpoch } from '../../src/core/analysis/epochParts';
import { float64QrPass } from './float64QrPass';

/** What the fake workers saw of a GPU epoch's stage 1: QR passes asked for, dynamics parts given one. */
interface Stage1Seen {
  qr: number;
  fed: number;
  /** Answer 'part-qr-gpu' with a lost device instead of the pass. */
  loseAtQr?: boolean;
}

/**
 * Fake worker: float64 handlers; a GPU epoch's QR pass ('part-qr-gpu') is answered with the float64
 * pass (a stand-in for the GPU's float32 one, or 'part-error' with loseAtQr), its flip stage with
 * 'part-error' (device lost).
 */
function fakeWorker(gpuRequests: AnalyzeRequest[], plans: { R: number; Rm: number; single: boolean }[], seen: Stage1Seen): PoolWorker {
  let handler: (ev: AnalyzerEvent | AnalysisPartEvent) => void = () => {};
  const send = (ev: AnalyzerEvent | AnalysisPartEvent) => handler(structuredClone(ev));
  return {
    post: (cmd) => {
      const c = structuredClone(cmd);
      setTimeout(() => {
        if (c.type === 'crash' || c.type === 'loseGpu') return;
        if (c.type === 'part-qr-gpu') {
          seen.qr++;
          if (seen.loseAtQr) {
            send({ type: 'part-error', task: c.task, message: 'The GPU was lost at the QR pass (rehearsal).' });
            return;
          }
          const w = requestWeights(c.req);
          const plan = planEpoch(w, c.req.probe.labels.length, c.req.probe.T, c.req.probe.D, requestOptions(c.req));
          send({ type: 'part-result', task: c.task, result: float64QrPass(w, Float64Array.from(c.req.probe.inputs), plan) });
          return;
        }
        if (c.type === 'part-dynamics' && c.lyapunov) seen.fed++;
        if (c.type === 'part-flip-gpu') {
          // The plan it is given must be the paper's full one.
          gpuRequests.push(c.req);
          plans.push({ R: c.plan.plan.R, Rm: c.plan.plan.Rm, single: c.plan.plan.withSingle });
          send({ type: 'part-error', task: c.task, message: 'The GPU was lost (rehearsal).' });
        } else if (c.type === 'analyze') runWhole(c, send);
        else runPart(c, send);
      }, 0);
    },
    onMessage: (h) => (handler = h),
    onCrash: () => {},
    terminate: () => {},
  };
}

function request(arch: 'rnn' | 'gru', analysisEngine?: AnalyzeRequest['analysisEngine']): AnalyzeRequest {
  const N = 6;
  const D = 2;
  const T = 8;
  const G = arch === 'rnn' ? 1 : 3;
  const rng = createRng(4);
  const randn = (n: number, s: number) => Float32Array.from({ length: n }, () => rng.normal() * s);
  return {
    type: 'analyze',
    runId: 'r',
    epoch: 1,
    arch,
    config: { ...PRESET_CONFIGS.quick, draws: 6 },
    weights: {
      weight_ih_l0: { shape: [G * N, D], data: randn(G * N * D, 0.5) },
      weight_hh_l0: { shape: [G * N, N], data: randn(G * N * N, 1 / Math.sqrt(N)) },
      bias_ih_l0: { shape: [G * N], data: randn(G * N, 0.1) },
      bias_hh_l0: { shape: [G * N], data: randn(G * N, 0.1) },
      'fc.weight': { shape: [10, N], data: randn(10 * N, 0.3) },
      'fc.bias': { shape: [10], data: randn(10, 0.1) },
    },
    probe: { inputs: Float32Array.from({ length: 3 * T * D }, () => (rng.next() < 0.5 ? rng.next() : 0)), labels: [1, 4, 7], T, D },
    ...(analysisEngine ? { analysisEngine } : {}),
  };
}

async function run(req: AnalyzeRequest, adapter: GpuAdapterInfo | null, size = 2, loseAtQr = false) {
  const gpuRequests: AnalyzeRequest[] = [];
  const plans: { R: number; Rm: number; single: boolean }[] = [];
  const seen: Stage1Seen = { qr: 0, fed: 0, loseAtQr };
  const pool = createAnalysisPool(
    () => fakeWorker(gpuRequests, plans, seen),
    size,
    undefined,
    async () => adapter,
  );
  const events: AnalyzerEvent[] = [];
  await new Promise<void>((resolve) => {
    pool.onEvent((ev) => {
      events.push(ev);
      if (ev.type === 'analysis' || ev.type === 'error') resolve();
    });
    pool.post(req);
  });
  pool.terminate();
  const analysis = events.find((e) => e.type === 'analysis') as Extract<AnalyzerEvent, { type: 'analysis' }>;
  return { events, analysis, gpuRequests, plans, seen };
}

const hardware: GpuAdapterInfo = { adapter: 'Some GPU', software: false };
const swiftshader: GpuAdapterInfo = { adapter: 'google swiftshader', software: true };

describe('analysis pool: engine choice and GPU fallback', () => {
  it('no analysisEngine: the CPU, no record (as before the GPU engine)', async () => {
    const r = await run(request('rnn'), hardware);
    expect(r.gpuRequests).toHaveLength(0);
    expect(r.analysis.analysis.analysisEngine).toBeUndefined();
  });

  it('auto on a software adapter, and auto without one: the CPU', async () => {
    for (const a of [swiftshader, null]) {
      const r = await run(request('rnn', 'auto'), a);
      expect(r.gpuRequests).toHaveLength(0);
      expect(r.analysis.analysis.analysisEngine).toEqual({ kind: 'cpu' });
    }
  });

  it('gpu (SwiftShader too) and auto on hardware go to the GPU with the full plan; a lost device re-runs the epoch on the CPU pool with a banner event first', async () => {
    const cpu = await run(request('rnn', 'cpu'), hardware);
    for (const [engine, a] of [
      ['gpu', swiftshader],
      ['auto', hardware],
    ] as const) {
      const r = await run(request('rnn', engine), a);
      expect(r.gpuRequests).toHaveLength(1);
      // Stage 1 took its QR pass from the GPU worker: one pass, every dynamics part of the GPU epoch fed from it.
      expect(r.seen.qr).toBe(1);
      expect(r.seen.fed).toBeGreaterThan(0);
      // draws = 6 in this config: the GPU plan takes all of them, 10 matched draws and the single-pixel map.
      expect(r.plans).toEqual([{ R: 6, Rm: 10, single: true }]);
      const kinds = r.events.filter((e) => e.type !== 'progress').map((e) => e.type);
      // The dynamics stage's partial comes before the GPU flip stage, and again from the CPU re-run.
      expect(kinds).toEqual(['partial', 'gpuFallback', 'partial', 'analysis']);
      const { analysisEngine, ...rest } = r.analysis.analysis;
      expect(analysisEngine).toEqual({ kind: 'cpu', fallback: 'The GPU was lost (rehearsal).' });
      const { analysisEngine: _c, ...cpuRest } = cpu.analysis.analysis;
      // Nothing lost: the same analysis the CPU path gives.
      expect(rest).toEqual(cpuRest);
    }
  });

  it('a device lost at the QR pass: the epoch re-runs on the CPU pool, banner first, nothing lost', async () => {
    const cpu = await run(request('rnn', 'cpu'), hardware);
    const r = await run(request('rnn', 'gpu'), hardware, 2, true);
    expect(r.seen.qr).toBe(1);
    expect(r.seen.fed).toBe(0);
    expect(r.gpuRequests).toHaveLength(0);
    expect(r.events.filter((e) => e.type !== 'progress').map((e) => e.type)).toEqual(['gpuFallback', 'partial', 'analysis']);
    const { analysisEngine, ...rest } = r.analysis.analysis;
    expect(analysisEngine).toEqual({ kind: 'cpu', fallback: 'The GPU was lost at the QR pass (rehearsal).' });
    const { analysisEngine: _c, ...cpuRest } = cpu.analysis.analysis;
    expect(rest).toEqual(cpuRest);
  });

  it('gated cells stay on the CPU and say why; size 1 records it too', async () => {
    const r = await run(request('gru', 'gpu'), hardware, 1);
    expect(r.gpuRequests).toHaveLength(0);
    expect(r.analysis.analysis.analysisEngine?.kind).toBe('cpu');
    expect(r.analysis.analysis.analysisEngine?.fallback).toMatch(/vanilla RNN only; GRU cells are analysed on the CPU/);
  });
});
