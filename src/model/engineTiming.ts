/**
 * How `auto` times the engines: STEADY-STATE milliseconds per training step, never a first step.
 *
 * A first step pays shader compilation, texture/buffer creation and JIT warm-up: tfjs-webgl's
 * first step at T = 196 took 2,134 ms where its steady state is 63.5 ms (issue "GPU engine"). So:
 * 1. Probe: each candidate runs a short prefix of the batch (T0 = 16 steps) once untimed (this is
 *    where shaders compile: their shapes do not depend on T), then twice timed at T0/2 and at T0.
 *    The faster of each pair gives a line, fixed cost + cost per time step, extrapolated to T. A
 *    plain T/T0 scaling over-estimated the fused GPU engines, whose cost per call is mostly fixed
 *    (dispatches and one read-back): fused-webgpu's 16-step probe scaled to 34.3 ms at T = 196
 *    where its steady state is about 4 ms, and auto dropped the fastest engine (H100, issue 12).
 *    Cheap for every engine, even a hopeless one at T = 784.
 * 2. Time, in order of estimate: one untimed full-T step (first use of T-sized buffers), then
 *    timed steps until `minSteps` and while under `budgetMs` (at most `maxSteps`); the median
 *    counts. A candidate whose estimate (or whose first timed step) is above `hopelessFactor` x the
 *    best median so far is dropped without (further) full steps.
 * Pure logic over Trainer objects and an injectable clock: test/unit/engines.test.ts drives it
 * with fake trainers.
 */
import type { EngineId } from '../core/engines';
import { median } from '../core/stats/descriptive';
import type { Trainer } from './trainer';

/**
 * One candidate: `create` builds a throw-away trainer to time (disposed afterwards). `id` is an
 * engine id, or any label (`auto`'s thread counts, engines.ts chooseThreads, time one engine on W threads).
 */
export interface TimingCandidate<K extends string = EngineId> {
  id: K;
  create: () => Promise<Trainer>;
}

/** A representative batch: x [B*T*D] batch-major, labels [B]. */
export interface TimingBatch {
  x: Float32Array;
  labels: Int32Array;
  B: number;
  T: number;
  D: number;
}

export interface TimingOptions<K extends string = EngineId> {
  /** Clock in ms (tests inject a fake one); performance.now by default. */
  now?: () => number;
  /** Steps of the short probe (T0 = min(T, probeSteps)); no probe when T <= probeSteps. */
  probeSteps?: number;
  minSteps?: number;
  maxSteps?: number;
  /** Wall time per candidate after which no further timed step is started, ms. */
  budgetMs?: number;
  /** Drop a candidate whose estimate or first timed step exceeds this many times the best median. */
  hopelessFactor?: number;
  /** Steady-state ms per step already known (the re-check passes the current engine's epoch median). */
  known?: Partial<Record<K, number>>;
}

/** What happened to one candidate. */
export interface EngineTiming<K extends string = EngineId> {
  id: K;
  /** Median ms per full training step after warm-up (absent when dropped). */
  msPerStep?: number;
  /** Full-step estimate from the short probe, ms (absent without a probe). */
  estimateMs?: number;
  /** How many timed full steps the median is over (0 for known). */
  steps?: number;
  /** Why it was not timed to the end. */
  dropped?: string;
}

export interface TimingResult<K extends string = EngineId> {
  best: K;
  timings: EngineTiming<K>[];
}

export const TIMING_DEFAULTS = { probeSteps: 16, minSteps: 3, maxSteps: 7, budgetMs: 3000, hopelessFactor: 3 } as const;

/** The first T0 of T steps of every sequence of a batch-major x [B*T*D]: [B*T0*D]. */
export function prefixSteps(x: Float32Array, B: number, T: number, D: number, T0: number): Float32Array {
  const out = new Float32Array(B * T0 * D);
  for (let b = 0; b < B; b++) out.set(x.subarray(b * T * D, b * T * D + T0 * D), b * T0 * D);
  return out;
}

/**
 * `work`, or a rejection once the trainer reports its context/device lost: a read pending on a
 * lost context may never settle, and timing must not hang on it.
 */
function untilLost<T>(t: Trainer, work: Promise<T>): Promise<T> {
  if (!t.isLost) return work;
  let timer: ReturnType<typeof setInterval> | undefined;
  const lost = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      if (t.isLost!()) reject(new Error('its GPU context was lost'));
    }, 250);
  });
  return Promise.race([work, lost]).finally(() => clearInterval(timer));
}

const safeDispose = (t: Trainer) => {
  try {
    t.dispose();
  } catch {
    /* a trainer on a lost context may refuse; it is dropped anyway */
  }
};

/**
 * Times every candidate's steady-state ms per step on `batch` (see the module comment) and returns
 * the fastest; ties go to the earlier candidate. Candidates that fail to build or to step are
 * dropped with their error. Throws only when no candidate could be timed.
 */
export async function timeEngines<K extends string = EngineId>(
  candidates: TimingCandidate<K>[],
  batch: TimingBatch,
  options: TimingOptions<K> = {},
): Promise<TimingResult<K>> {
  const o = { ...TIMING_DEFAULTS, ...options };
  const now = options.now ?? (() => performance.now());
  const { x, labels, B, T, D } = batch;
  const T0 = Math.min(T, o.probeSteps);
  const short = T0 < T ? prefixSteps(x, B, T, D, T0) : null;
  const Th = Math.max(1, T0 >> 1);
  const half = short && Th < T0 ? prefixSteps(x, B, T, D, Th) : null;
  const timings = new Map<K, EngineTiming<K>>();
  const live = new Map<K, Trainer>();
  const step = async (t: Trainer, input: Float32Array, steps: number) => {
    const t0 = now();
    await untilLost(t, t.trainBatch(input, labels, B, steps, D));
    return now() - t0;
  };
  try {
    // 1. Build and probe every candidate.
    for (const c of candidates) {
      const known = o.known?.[c.id];
      if (known !== undefined) {
        timings.set(c.id, { id: c.id, msPerStep: known, steps: 0 });
        continue;
      }
      const timing: EngineTiming<K> = { id: c.id };
      timings.set(c.id, timing);
      try {
        const t = await c.create();
        live.set(c.id, t);
        if (short && half) {
          await step(t, short, T0);
          const tHalf = Math.min(await step(t, half, Th), await step(t, half, Th));
          const tFull = Math.min(await step(t, short, T0), await step(t, short, T0));
          // Never below the T0 probe itself; a noisy negative slope counts as flat.
          const perStep = Math.max(0, (tFull - tHalf) / (T0 - Th));
          timing.estimateMs = tFull + perStep * (T - T0);
        }
      } catch (e) {
        timing.dropped = `failed: ${(e as Error).message}`;
        const t = live.get(c.id);
        if (t) safeDispose(t);
        live.delete(c.id);
      }
    }
    // 2. Time the survivors at full T, most promising first.
    const order = [...live.keys()].sort((a, b) => (timings.get(a)!.estimateMs ?? 0) - (timings.get(b)!.estimateMs ?? 0));
    const bestSoFar = () => Math.min(...[...timings.values()].map((t) => t.msPerStep ?? Infinity));
    for (const id of order) {
      const t = live.get(id)!;
      const timing = timings.get(id)!;
      try {
        const bar = o.hopelessFactor * bestSoFar();
        if (timing.estimateMs !== undefined && timing.estimateMs > bar) {
          timing.dropped = `estimated ${timing.estimateMs.toFixed(1)} ms/step from a ${T0}-step probe, over ${o.hopelessFactor}x the best`;
          continue;
        }
        await step(t, x, T); // warm-up: first use at this T
        const times: number[] = [];
        const start = now();
        while (times.length < o.maxSteps && (times.length < o.minSteps || now() - start < o.budgetMs)) {
          times.push(await step(t, x, T));
          if (times.length === 1 && times[0] > bar) break;
        }
        if (times.length === 1 && times[0] > bar) {
          timing.dropped = `first timed step ${times[0].toFixed(1)} ms, over ${o.hopelessFactor}x the best`;
          continue;
        }
        timing.msPerStep = median(times);
        timing.steps = times.length;
      } catch (e) {
        timing.dropped = `failed: ${(e as Error).message}`;
      } finally {
        safeDispose(t);
        live.delete(id);
      }
    }
  } finally {
    for (const t of live.values()) safeDispose(t);
  }
  const all = candidates.map((c) => timings.get(c.id)!);
  const timed = all.filter((t) => t.msPerStep !== undefined);
  if (!timed.length) throw new Error(`no engine could be timed: ${all.map((t) => `${t.id} ${t.dropped}`).join('; ')}`);
  const best = timed.reduce((a, b) => (b.msPerStep! < a.msPerStep! ? b : a));
  return { best: best.id, timings: all };
}

/** One line for the badge's tooltip: "fast-wasm 4.1 ms/step (median of 5), tfjs-webgl dropped: …". */
export function describeTimings<K extends string>(timings: EngineTiming<K>[]): string {
  return timings
    .map((t) =>
      t.msPerStep !== undefined
        ? `${t.id} ${t.msPerStep.toFixed(1)} ms/step${t.steps ? ` (median of ${t.steps} after warm-up)` : ' (this epoch)'}`
        : `${t.id} ${t.dropped ?? 'not timed'}`,
    )
    .join(', ');
}
