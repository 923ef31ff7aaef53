/**
 * A pool of analysis workers behind the single analyzer's interface (TypedWorker<AnalyzerCommand,
 * AnalyzerEvent>): the controller posts 'analyze' and hears 'progress' / 'analysis' / 'error'
 * exactly as from one worker, and a 'partial' once each epoch's dynamics stage is done. Inside, each epoch runs the stages of core/analysis/epochParts.ts: per-probe
 * dynamics parts, one flip-plan task, per-probe flip parts, one merge, spread over the workers
 * (each loads its own WASM kernels). Results are bit-identical to one worker for any pool size
 * (epochParts.ts says why; test/unit/epochParts.test.ts checks it), so the size may change at any
 * time: resize() takes effect at the next task, and queued work is never lost.
 *
 * Requests are handled one epoch at a time, in order, like the single worker. With a size of one
 * the whole request goes to one worker as before (the single-worker path, no staging overhead).
 */
import type { TypedWorker } from './protocol';
import type { AnalysisPartCommand, AnalysisPartEvent, AnalyzeRequest, AnalyzerCommand, AnalyzerEvent, GpuFlipResult } from './protocol';
import {
  dynamicsAnalysis,
  planEpoch,
  probeRanges,
  progressMerger,
  splitFlipPlan,
  costRanges,
  flipStepsPerProbe,
  type DynamicsPart,
  type FlipPart,
  type FlipPlan,
  type PartProgress,
} from '../core/analysis/epochParts';
import type { AnalysisPhase } from '../core/analysis/epochSnapshot';
import { requestOptions, requestWeights } from './analysisInput';
import type { AnalysisEngineInfo } from '../core/snapshot';
import { sliceLyapunov, type GivenLyapunov } from '../core/analysis/epochAnalysis';
import { gpuArchSupported, probeGpuAdapter, type GpuAdapterInfo } from '../model/gpuAnalysis';

/**
 * Tasks per worker in each split stage (at most one per probe): workers run at different speeds
 * (V8's code and GC differ per worker; measured 110-180 ms for the same pixel-preset task), so
 * small tasks let the faster take more; per-task set-up and messages cost ~5 ms. With 2 workers
 * 8 instead of 4 took the warm pixel epoch from 1.80 to 1.67 s (docs/performance.md).
 */
export const TASKS_PER_WORKER = 8;

/** A GPU stage's failure: the epoch is re-run on the CPU (message: the banner's sentence). */
class GpuFallback extends Error {}

/** One worker of the pool: a DOM Worker in the app, a worker_threads Worker in Node. */
export interface PoolWorker {
  post(cmd: AnalyzerCommand | AnalysisPartCommand): void;
  onMessage(handler: (ev: AnalyzerEvent | AnalysisPartEvent) => void): void;
  /** Uncaught exceptions inside the worker. */
  onCrash(handler: (message: string) => void): void;
  terminate(): void;
}

/**
 * Pool size for a machine with `hardwareConcurrency` logical cores: one core is left to the UI
 * and, while training runs, one to each of its `trainingThreads` threads (the training worker, and
 * the hand-written engine's helpers on `threads=W`: without them a 16-core machine ran 8 training
 * threads beside 14 analysis workers); at least one. `trainingThreads` is 0 when nothing trains.
 */
export function analysisPoolSize(hardwareConcurrency: number, trainingThreads: number): number {
  return Math.max(1, Math.floor(hardwareConcurrency) - 1 - Math.max(0, Math.floor(trainingThreads)));
}

export interface AnalysisPool extends TypedWorker<AnalyzerCommand, AnalyzerEvent> {
  /** Sets the number of workers (>= 1); running tasks finish, queued ones wait for a free worker. */
  resize(size: number): void;
  /** Current target size. */
  readonly size: number;
}

interface Slot {
  worker: PoolWorker;
  /** Task running on it (null = idle). */
  task: number | null;
}

interface Task {
  id: number;
  cmd: AnalysisPartCommand;
  /** Part key for progress merging ('' = no progress). */
  key: string;
  /** A GPU task: runs on the pool's GPU worker only (it owns the device). */
  gpu?: boolean;
  resolve(result: unknown): void;
  reject(message: string): void;
}

/**
 * Creates a pool of `size` workers made by `spawn` (spawned lazily, at most one per task in
 * flight, so a 4-probe epoch never starts 15 workers). Progress events are throttled to ~10 per
 * second, and sent at each phase change.
 */
export function createAnalysisPool(
  spawn: () => PoolWorker,
  size: number,
  now: () => number = () => performance.now(),
  gpuAdapter: () => Promise<GpuAdapterInfo | null> = probeGpuAdapter,
): AnalysisPool {
  let target = Math.max(1, Math.floor(size));
  const slots: Slot[] = [];
  const queue: Task[] = [];
  const running = new Map<number, Task>();
  const requests: AnalyzeRequest[] = [];
  let busy = false;
  let nextTask = 1;
  let nextReq = 1;
  let onEvent: (ev: AnalyzerEvent) => void = () => {};
  let onCrash: (message: string) => void = () => {};
  let closed = false;
  /** While a whole request runs on one worker (size 1, or a GPU epoch): that slot, its request, and where it ran (CPU). */
  let whole: { slot: Slot; req: AnalyzeRequest; engine?: AnalysisEngineInfo } | null = null;
  /** The adapter, asked once when a request first wants the GPU. */
  let adapter: Promise<GpuAdapterInfo | null> | null = null;
  /** Requests to run on the CPU after a GPU failure, and the note their snapshot carries. */
  const cpuNotes = new Map<AnalyzeRequest, AnalysisEngineInfo>();
  /** A 'loseGpu' rehearsal waiting for the next GPU epoch's worker. */
  let loseGpu = false;
  /** The worker that owns the GPU device (its GPU tasks go there only). */
  let gpuSlot: Slot | null = null;

  const emit = (ev: AnalyzerEvent) => {
    if (!closed) onEvent(ev);
  };

  function addSlot(): Slot {
    const slot: Slot = { worker: spawn(), task: null };
    slot.worker.onMessage((ev) => onWorkerEvent(slot, ev));
    slot.worker.onCrash((message) => {
      if (closed) return;
      onCrash(message);
      // The crashed worker leaves the pool; what it was running fails as an error of its epoch
      // (the next request still runs, on a fresh worker).
      const i = slots.indexOf(slot);
      if (i >= 0) slots.splice(i, 1);
      slot.worker.terminate();
      if (slot.task !== null) {
        const task = running.get(slot.task);
        running.delete(slot.task);
        task?.reject(`an analysis worker stopped: ${message}`);
      }
      if (whole?.slot === slot) {
        const { req } = whole;
        whole = null;
        busy = false;
        emit({ type: 'error', runId: req.runId, epoch: req.epoch, message: `the analysis worker stopped: ${message}` });
        next();
      }
      dispatch();
    });
    slots.push(slot);
    return slot;
  }

  /** Drops idle workers beyond the target size (busy ones go when their task ends). */
  function trim(): void {
    for (let i = slots.length - 1; i >= 0 && slots.length > target; i--) {
      if (slots[i].task === null && whole?.slot !== slots[i]) {
        slots[i].worker.terminate();
        slots.splice(i, 1);
      }
    }
  }

  function dispatch(): void {
    trim();
    for (let i = 0; i < queue.length; ) {
      const task = queue[i];
      let slot: Slot | undefined;
      if (task.gpu && gpuSlot && slots.includes(gpuSlot)) {
        // The device lives in that worker: wait for it rather than start a second device elsewhere.
        if (gpuSlot.task !== null) {
          i++;
          continue;
        }
        slot = gpuSlot;
      } else {
        slot = slots.find((s) => s.task === null && whole?.slot !== s);
        if (!slot && slots.length < target) slot = addSlot();
        if (!slot) return;
        if (task.gpu) gpuSlot = slot;
      }
      queue.splice(i, 1);
      slot.task = task.id;
      running.set(task.id, task);
      slot.worker.post(task.cmd);
    }
  }

  let progress: ((part: string) => PartProgress) | null = null;
  const partReporters = new Map<string, PartProgress>();

  function onWorkerEvent(slot: Slot, ev: AnalyzerEvent | AnalysisPartEvent): void {
    if (closed) return;
    if (ev.type === 'part-progress') {
      const task = running.get(ev.task);
      if (task?.key && progress) {
        let r = partReporters.get(task.key);
        if (!r) {
          r = progress(task.key);
          partReporters.set(task.key, r);
        }
        r(ev.phase, ev.done);
      }
      return;
    }
    if (ev.type === 'part-result' || ev.type === 'part-error') {
      const task = running.get(ev.task);
      running.delete(ev.task);
      slot.task = null;
      if (task) {
        if (ev.type === 'part-result') task.resolve(ev.result);
        else task.reject(ev.message);
      }
      dispatch();
      return;
    }
    if (ev.type === 'gpuFallback' && whole?.slot === slot) {
      // The GPU failed on this epoch: say so, and run it again on the CPU pool, first in line.
      emit(ev);
      const req: AnalyzeRequest = { ...whole.req, analysisEngine: 'cpu' };
      cpuNotes.set(req, { kind: 'cpu', fallback: ev.message });
      requests.unshift(req);
      whole = null;
      busy = false;
      next();
      return;
    }
    // A whole request on one worker: relay its events as they are (a CPU one with where it ran).
    if (ev.type === 'analysis' && whole?.slot === slot && whole.engine)
      emit({ ...ev, analysis: { ...ev.analysis, analysisEngine: whole.engine } });
    else emit(ev);
    if ((ev.type === 'analysis' || ev.type === 'error') && whole?.slot === slot) {
      whole = null;
      busy = false;
      next();
    }
  }

  /** Runs one part command as a task; resolves with its result. */
  function run<R>(cmd: AnalysisPartCommand, key: string, gpu = false): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      queue.push({ id: cmd.task, cmd, key, gpu, resolve: resolve as (r: unknown) => void, reject: (m) => reject(new Error(m)) });
      dispatch();
    });
  }

  async function staged(req: AnalyzeRequest, engine?: AnalysisEngineInfo, gpu = false): Promise<void> {
    const t0 = now();
    const reqId = nextReq++;
    const weights = requestWeights(req);
    const B = req.probe.labels.length;
    const plan = planEpoch(weights, B, req.probe.T, req.probe.D, requestOptions(req));
    let lastPost = -Infinity;
    let lastPhase: AnalysisPhase | '' = '';
    progress = progressMerger(plan, ({ phase, fraction }) => {
      const t = now();
      if (phase === lastPhase && t - lastPost < 100 && fraction < 1) return;
      lastPost = t;
      lastPhase = phase;
      emit({ type: 'progress', runId: req.runId, epoch: req.epoch, phase, fraction });
    });
    partReporters.clear();
    // TASKS_PER_WORKER tasks per worker; the split never changes the numbers.
    const ranges = probeRanges(B, Math.min(B, TASKS_PER_WORKER * target));
    const t1 = now();
    // A GPU epoch's QR pass (ln r, FTLE, Q_t) runs on the GPU worker; the CPU parts take it from there.
    let lyapunov: GivenLyapunov | undefined;
    if (gpu) {
      try {
        lyapunov = await run<GivenLyapunov>({ type: 'part-qr-gpu', task: nextTask++, reqId, req }, 'q', true);
      } catch (err) {
        throw new GpuFallback((err as Error).message);
      }
    }
    const tq = now();
    const dyn = await Promise.all(
      ranges.map(([b0, b1]) =>
        run<DynamicsPart>(
          {
            type: 'part-dynamics',
            task: nextTask++,
            reqId,
            req,
            b0,
            b1,
            ...(lyapunov ? { lyapunov: sliceLyapunov(lyapunov, req.probe.T, b0, b1) } : {}),
          },
          `d${b0}`,
        ),
      ),
    );
    const t2 = now();
    const fp = await run<FlipPlan>({ type: 'part-plan', task: nextTask++, reqId, req, parts: dyn }, '');
    const t3 = now();
    // The panels show the dynamics while the flip parts run.
    // It names where the epoch runs (the badge reads it while the flip stage runs), where that is recorded.
    const where: AnalysisEngineInfo | undefined = gpu ? { kind: 'gpu', adapter: (await adapter)?.adapter } : engine;
    emit({
      type: 'partial',
      runId: req.runId,
      epoch: req.epoch,
      elapsedMs: t3 - t0,
      analysis: where ? { ...dynamicsAnalysis(fp), analysisEngine: where } : dynamicsAnalysis(fp),
    });
    if (gpu) {
      // Stages 3-4 on the GPU worker; its failure is a fallback, not an error of the epoch.
      let r: GpuFlipResult;
      try {
        if (loseGpu) (gpuSlot ?? slots[0])?.worker.post({ type: 'loseGpu' });
        loseGpu = false;
        r = await run<GpuFlipResult>({ type: 'part-flip-gpu', task: nextTask++, reqId, req, plan: fp }, 'g', true);
      } catch (err) {
        throw new GpuFallback((err as Error).message);
      }
      emit({
        type: 'analysis',
        runId: req.runId,
        epoch: req.epoch,
        analysisMs: now() - t0,
        stagesMs: { qr: tq - t1, dynamics: t2 - tq, plan: t3 - t2, ...r.stagesMs },
        analysis: r.analysis,
      });
      return;
    }
    // The flip jobs' cost differs by probe (each job replays from its first flipped step), so the
    // flip stage gets its own ranges of equal estimated cost, costliest first (longest-processing-
    // time order: the last tasks to start are short ones, so no worker idles long at the end).
    // flipPart builds its own evaluator per range, and the numbers never depend on the split.
    const probeCost = flipStepsPerProbe(fp);
    const flipRanges = costRanges(probeCost, Math.min(B, TASKS_PER_WORKER * target));
    const plans = splitFlipPlan(fp, flipRanges);
    const rangeCost = flipRanges.map(([b0, b1]) => probeCost.subarray(b0, b1).reduce((a, c) => a + c, 0));
    const order = flipRanges.map((_, i) => i).sort((x, y) => rangeCost[y] - rangeCost[x] || x - y);
    const flips = await Promise.all(
      order.map((i) => {
        const [b0, b1] = flipRanges[i];
        return run<FlipPart>({ type: 'part-flip', task: nextTask++, reqId, req, plan: plans[i], b0, b1 }, `f${b0}`);
      }),
    );
    const t4 = now();
    const analysis = await run<Extract<AnalyzerEvent, { type: 'analysis' }>['analysis']>(
      { type: 'part-merge', task: nextTask++, reqId, req, plan: fp, parts: flips },
      '',
    );
    const t5 = now();
    emit({
      type: 'analysis',
      runId: req.runId,
      epoch: req.epoch,
      analysisMs: t5 - t0,
      stagesMs: { dynamics: t2 - t1, plan: t3 - t2, flip: t4 - t3, merge: t5 - t4 },
      analysis: engine ? { ...analysis, analysisEngine: engine } : analysis,
    });
  }

  /**
   * Where `req` runs: the GPU (then null), or the CPU with what its snapshot records. 'cpu' and
   * absent stay on the CPU (absent: no record, as before the GPU engine); 'gpu' takes any adapter,
   * 'auto' a hardware one; gated cells and evaluations run on the CPU.
   */
  async function chooseEngine(req: AnalyzeRequest): Promise<AnalysisEngineInfo | null | undefined> {
    const asked = req.analysisEngine;
    if (!asked) return undefined;
    const note = cpuNotes.get(req);
    if (note) {
      cpuNotes.delete(req);
      return note;
    }
    if (asked === 'cpu') return { kind: 'cpu' };
    if (!gpuArchSupported(req.arch))
      return {
        kind: 'cpu',
        fallback: `the GPU analysis engine runs the vanilla RNN only; ${req.arch.toUpperCase()} cells are analysed on the CPU`,
      };
    if (req.evaluate) return { kind: 'cpu' };
    adapter ??= gpuAdapter().catch(() => null);
    const a = await adapter;
    if (!a) return asked === 'gpu' ? { kind: 'cpu', fallback: 'no WebGPU adapter in this browser' } : { kind: 'cpu' };
    if (a.software && asked === 'auto') return { kind: 'cpu' };
    return null;
  }

  function next(): void {
    if (busy || closed) return;
    const req = requests.shift();
    if (!req) return;
    busy = true;
    chooseEngine(req).then((engine) => {
      if (closed) return;
      if (engine === null) {
        // The GPU path: stages 1-2 on the CPU pool (full plan), stages 3-4 on the worker that owns the device.
        runStaged({ ...req, analysisEngine: 'gpu' }, undefined, true);
        return;
      }
      runCpu(req, engine);
    });
  }

  /** The CPU path of a request; `engine` is recorded in its snapshot when set. */
  function runCpu(req: AnalyzeRequest, engine: AnalysisEngineInfo | undefined): void {
    const cpuReq: AnalyzeRequest = req.analysisEngine ? { ...req, analysisEngine: 'cpu' } : req;
    if (target === 1 || req.evaluate) {
      // The single-worker path: one worker runs analyzeEpoch whole (also for a request that asks
      // for an evaluation on extra digits, an imported model's one-off).
      trim();
      const slot = slots.find((s) => s.task === null) ?? addSlot();
      whole = { slot, req: cpuReq, engine };
      slot.worker.post(cpuReq);
      return;
    }
    runStaged(cpuReq, engine, false);
  }

  /** Runs a request's stages over the pool (GPU flip stage when `gpu`); then the next request. */
  function runStaged(req: AnalyzeRequest, engine: AnalysisEngineInfo | undefined, gpu: boolean): void {
    staged(req, engine, gpu)
      .catch((err: Error) => {
        // Tasks of this request still queued are dropped; those running finish and are ignored.
        queue.length = 0;
        if (err instanceof GpuFallback) {
          // The GPU failed on this epoch: say so, and run it again on the CPU pool, first in line.
          emit({ type: 'gpuFallback', runId: req.runId, epoch: req.epoch, message: err.message });
          const again: AnalyzeRequest = { ...req, analysisEngine: 'cpu' };
          cpuNotes.set(again, { kind: 'cpu', fallback: err.message });
          requests.unshift(again);
          return;
        }
        emit({ type: 'error', runId: req.runId, epoch: req.epoch, message: err.message });
      })
      .finally(() => {
        progress = null;
        busy = false;
        next();
      });
  }

  return {
    post(cmd) {
      if (closed) return;
      if (cmd.type === 'crash') {
        // Rehearsal of a fault: one worker of the pool throws, as a real crash would.
        (slots[0] ?? addSlot()).worker.post(cmd);
        return;
      }
      if (cmd.type === 'loseGpu') {
        loseGpu = true;
        return;
      }
      if (cmd.type !== 'analyze') return;
      requests.push(cmd);
      next();
    },
    onEvent(handler) {
      onEvent = handler;
    },
    onCrash(handler) {
      onCrash = handler;
    },
    terminate() {
      closed = true;
      for (const s of slots) s.worker.terminate();
      slots.length = 0;
      queue.length = 0;
      running.clear();
    },
    resize(n) {
      target = Math.max(1, Math.floor(n));
      dispatch();
    },
    get size() {
      return target;
    },
  };
}
