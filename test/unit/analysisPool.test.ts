/**
 * The analysis pool behind the analyzer interface: in-process fake workers (the real message
 * handlers of analysis.worker.ts, answered asynchronously through a structured clone) stand in
 * for Web Workers. Whatever the size, and when resized mid-epoch, the pool's analysis equals one
 * worker's bit for bit, requests come back in order, and progress is one non-decreasing stream.
 */
import { describe, expect, it } from 'vitest';
import { analysisPoolSize, createAnalysisPool, type PoolWorker } from '../../src/worker/analysisPool';
import { runPart, runWhole } from '../../src/worker/analysisPart';
import type { AnalysisPartEvent, AnalyzeRequest, AnalyzerEvent } from '../../src/worker/protocol';
import { PRESET_CONFIGS } from '../../src/core/formats/config';
import { createRng } from '../../src/core/rng';

/** A fake worker: handles each command on a later macrotask, events cloned as postMessage would. */
function fakeWorker(stats: { spawned: number; live: number; crashOnTask?: number }): PoolWorker {
  let handler: (ev: AnalyzerEvent | AnalysisPartEvent) => void = () => {};
  let crash: (message: string) => void = () => {};
  let dead = false;
  stats.spawned++;
  stats.live++;
  const send = (ev: AnalyzerEvent | AnalysisPartEvent) => {
    if (!dead) handler(structuredClone(ev));
  };
  return {
    post: (cmd) => {
      const c = structuredClone(cmd);
      setTimeout(() => {
        if (dead) return;
        if (c.type === 'crash') return crash('rehearsed');
        if (c.type === 'loseGpu') return;
        if (c.type !== 'analyze' && c.task === stats.crashOnTask) return crash('boom');
        if (c.type === 'analyze') runWhole(c, send);
        else runPart(c, send);
      }, 0);
    },
    onMessage: (h) => (handler = h),
    onCrash: (h) => (crash = h),
    terminate: () => {
      if (!dead) stats.live--;
      dead = true;
    },
  };
}

const randn = (n: number, seed: number, scale: number) => {
  const r = createRng(seed);
  return Float32Array.from({ length: n }, () => r.normal() * scale);
};

/** An 'analyze' request with the quick preset's shape (N = 32, T = 28, D = 28) on 6 probes. */
function request(epoch: number): AnalyzeRequest {
  const N = 32;
  const D = 28;
  const T = 28;
  const B = 6;
  const rng = createRng(10 + epoch);
  return {
    type: 'analyze',
    runId: 'r',
    epoch,
    arch: 'rnn',
    config: { ...PRESET_CONFIGS.quick, draws: 12 },
    weights: {
      weight_ih_l0: { shape: [N, D], data: randn(N * D, epoch * 10 + 1, 0.2) },
      weight_hh_l0: { shape: [N, N], data: randn(N * N, epoch * 10 + 2, 1.2 / Math.sqrt(N)) },
      bias_ih_l0: { shape: [N], data: randn(N, epoch * 10 + 3, 0.1) },
      bias_hh_l0: { shape: [N], data: randn(N, epoch * 10 + 4, 0.1) },
      'fc.weight': { shape: [10, N], data: randn(10 * N, epoch * 10 + 5, 0.2) },
      'fc.bias': { shape: [10], data: randn(10, epoch * 10 + 6, 0.1) },
    },
    probe: {
      inputs: Float32Array.from({ length: B * T * D }, () => (rng.next() < 0.4 ? rng.next() : 0)),
      labels: [0, 3, 5, 7, 8, 9],
      T,
      D,
    },
  };
}

/** Posts the requests to a pool of `size` and collects its events until every epoch is answered. */
async function runPool(size: number, reqs: AnalyzeRequest[], resizeTo?: number) {
  const stats = { spawned: 0, live: 0 };
  const pool = createAnalysisPool(() => fakeWorker(stats), size);
  const events: AnalyzerEvent[] = [];
  await new Promise<void>((resolve) => {
    let answered = 0;
    let resized = false;
    pool.onEvent((ev) => {
      events.push(ev);
      if (ev.type === 'progress' && resizeTo !== undefined && !resized && ev.fraction > 0.3) {
        resized = true;
        pool.resize(resizeTo);
      }
      if (ev.type !== 'progress' && ev.type !== 'partial' && ++answered === reqs.length) resolve();
    });
    for (const r of reqs) pool.post(r);
  });
  const maxLive = stats.spawned;
  pool.terminate();
  return { events, spawned: maxLive, liveAfter: stats.live };
}

/** An event without its wall times (analysisMs, and stagesMs of a pooled run), which vary run to run. */
const strip = (ev: AnalyzerEvent) => {
  if (ev.type !== 'analysis') return ev;
  const { stagesMs: _stages, ...rest } = ev;
  return { ...rest, analysisMs: 0 };
};

describe('analysis pool', () => {
  it('analysisPoolSize leaves a core to the UI and one to each training thread, at least one', () => {
    expect(analysisPoolSize(16, 0)).toBe(15);
    expect(analysisPoolSize(16, 1)).toBe(14);
    // threads=8 on 16 cores: 8 for training, 1 for the page, 7 for analysis.
    expect(analysisPoolSize(16, 8)).toBe(7);
    expect(analysisPoolSize(2, 0)).toBe(1);
    expect(analysisPoolSize(2, 1)).toBe(1);
    expect(analysisPoolSize(4, 8)).toBe(1);
    expect(analysisPoolSize(1, 1)).toBe(1);
  });

  it('sizes 1, 3 and 8 (more workers than probes), and a resize mid-epoch, give the same analyses in order', async () => {
    const reqs = [request(1), request(2)];
    const one = await runPool(1, reqs);
    const done = (r: Awaited<ReturnType<typeof runPool>>) =>
      r.events.filter((e) => e.type !== 'progress' && e.type !== 'partial').map(strip);
    expect(done(one).map((e) => [e.type, e.epoch])).toEqual([
      ['analysis', 1],
      ['analysis', 2],
    ]);
    expect(one.spawned).toBe(1);
    const three = await runPool(3, reqs);
    expect(done(three)).toStrictEqual(done(one));
    expect(three.spawned).toBe(3);
    // A pooled analysis says how long each stage took; the whole-request path has no stages.
    for (const e of three.events) {
      if (e.type !== 'analysis') continue;
      expect(Object.keys(e.stagesMs ?? {})).toEqual(['dynamics', 'plan', 'flip', 'merge']);
      expect(Object.values(e.stagesMs!).every((ms) => ms >= 0)).toBe(true);
    }
    expect(one.events.some((e) => e.type === 'analysis' && e.stagesMs)).toBe(false);
    const eight = await runPool(8, reqs);
    expect(done(eight)).toStrictEqual(done(one));
    // Never more workers than probes (6).
    expect(eight.spawned).toBeLessThanOrEqual(6);
    const shrunk = await runPool(4, reqs, 2);
    expect(done(shrunk)).toStrictEqual(done(one));
    const grown = await runPool(2, reqs, 5);
    expect(done(grown)).toStrictEqual(done(one));
    for (const r of [one, three, eight, shrunk, grown]) expect(r.liveAfter).toBe(0);
    // Every size posts one partial per epoch (dynamics done, flip pending) before its analysis,
    // holding exactly that analysis's dynamics and plan.
    for (const r of [one, three, eight]) {
      const seq = r.events.filter((e) => e.type === 'partial' || e.type === 'analysis').map((e) => [e.type, e.epoch]);
      expect(seq).toEqual([
        ['partial', 1],
        ['analysis', 1],
        ['partial', 2],
        ['analysis', 2],
      ]);
      for (const e of r.events) {
        if (e.type !== 'partial') continue;
        const full = r.events.find((a) => a.type === 'analysis' && a.epoch === e.epoch);
        if (full?.type !== 'analysis') throw new Error('no analysis for a partial');
        const { flip: _f, partial, ...dyn } = e.analysis;
        const { flip, ...fullDyn } = full.analysis;
        expect(partial).toBe('dynamics');
        expect(flip).not.toBeNull();
        expect(dyn).toStrictEqual(fullDyn);
      }
    }
  }, 120_000);

  it('merges the parts into one non-decreasing progress stream per epoch, reaching 1', async () => {
    const { events } = await runPool(3, [request(1)]);
    const prog = events.filter((e) => e.type === 'progress');
    expect(prog.length).toBeGreaterThan(3);
    for (let i = 1; i < prog.length; i++) expect(prog[i].fraction).toBeGreaterThanOrEqual(prog[i - 1].fraction);
    expect(prog[prog.length - 1].fraction).toBe(1);
    expect(new Set(prog.map((p) => p.phase))).toEqual(new Set(['Lyapunov vectors', 'alignment', 'flip test', 'single-pixel map']));
  }, 60_000);

  it('a bad request gets an error event and the next request still runs', async () => {
    const bad = request(1);
    bad.probe.labels = [0, 3, 5]; // 3 labels for 6 probes' inputs
    const { events } = await runPool(3, [bad, request(2)]);
    const done = events.filter((e) => e.type !== 'progress' && e.type !== 'partial');
    expect(done.map((e) => [e.type, e.epoch])).toEqual([
      ['error', 1],
      ['analysis', 2],
    ]);
  }, 60_000);

  it('a worker crash fails its epoch with an error event, reports the crash, and the next epoch runs on a fresh worker', async () => {
    const stats = { spawned: 0, live: 0, crashOnTask: 2 };
    const pool = createAnalysisPool(() => fakeWorker(stats), 3);
    const crashes: string[] = [];
    pool.onCrash((m) => crashes.push(m));
    const done: AnalyzerEvent[] = [];
    await new Promise<void>((resolve) => {
      pool.onEvent((ev) => {
        if (ev.type === 'progress' || ev.type === 'partial') return;
        done.push(ev);
        if (done.length === 2) resolve();
      });
      pool.post(request(1));
      pool.post(request(2));
    });
    pool.terminate();
    expect(crashes).toEqual(['boom']);
    expect(done.map((e) => [e.type, e.epoch])).toEqual([
      ['error', 1],
      ['analysis', 2],
    ]);
    expect(stats.spawned).toBeGreaterThanOrEqual(4);
  }, 60_000);
});
