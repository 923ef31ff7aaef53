/**
 * The worker side of a GPU-analysed epoch (analysis.worker.ts): the worker owns one WebGPU device
 * for the GPU analysis engine (src/model/gpuAnalysis), requested at its first GPU epoch and again
 * after a loss. In the app's pool this worker runs a GPU epoch's QR pass ('part-qr-gpu':
 * runGpuQrPart), the rest of stages 1-2 run on the CPU workers from its ln r and Q_t, and this
 * worker runs stages 3-4 ('part-flip-gpu': runGpuFlipPart); a whole request ('analyze' with
 * analysisEngine 'gpu', runGpuWhole) runs analyzeEpochOnGpu. Any failure (a lost device above
 * all) is answered with the banner's sentence ('part-error' / 'gpuFallback') and the pool
 * (analysisPool.ts) re-runs that epoch on the CPU: nothing is lost.
 */
import {
  analyzeEpochOnGpu,
  fullPlan,
  GpuDeviceLostError,
  gpuFlipStage,
  gpuLyapunov,
  requestAnalysisDevice,
  type GpuAnalysisDevice,
} from '../model/gpuAnalysis';
import type { AnalysisPhase } from '../core/analysis/epochSnapshot';
import type { AnalysisPartCommand, AnalysisPartEvent, AnalyzeRequest, AnalyzerEvent } from './protocol';
import { requestOptions, requestWeights } from './analysisInput';

let device: GpuAnalysisDevice | null = null;
let loseAtFlip = false;

/** Rehearsal of a GPU reset: the device is destroyed at the start of the next GPU flip stage. */
export function loseGpuAtNextFlip(): void {
  loseAtFlip = true;
}

/** Progress phase and fraction reported at the start of each GPU stage (the stages' rough shares of the work). */
const STAGE_PROGRESS: Record<string, [AnalysisPhase, number]> = {
  dynamics: ['Lyapunov vectors', 0],
  plan: ['alignment', 0.3],
  flip: ['flip test', 0.35],
  merge: ['single-pixel map', 0.85],
  check: ['single-pixel map', 0.9],
};

/** Analyses one request on the GPU; posts 'progress' and 'analysis', or 'gpuFallback' on any failure. */
export async function runGpuWhole(cmd: AnalyzeRequest, post: (ev: AnalyzerEvent) => void): Promise<void> {
  const t0 = performance.now();
  try {
    if (!device || device.isLost()) device = await requestAnalysisDevice();
    const dev = device;
    const weights = requestWeights(cmd);
    const inputs = Float64Array.from(cmd.probe.inputs);
    const r = await analyzeEpochOnGpu(dev, weights, inputs, cmd.probe.labels, cmd.probe.T, cmd.probe.D, requestOptions(cmd), (stage) => {
      if (stage === 'flip' && loseAtFlip) {
        loseAtFlip = false;
        dev.destroy();
      }
      const [phase, fraction] = STAGE_PROGRESS[stage];
      post({ type: 'progress', runId: cmd.runId, epoch: cmd.epoch, phase, fraction });
    });
    post({
      type: 'analysis',
      runId: cmd.runId,
      epoch: cmd.epoch,
      analysisMs: performance.now() - t0,
      stagesMs: r.stagesMs,
      analysis: r.analysis,
    });
  } catch (err) {
    post({ type: 'gpuFallback', runId: cmd.runId, epoch: cmd.epoch, message: fallbackMessage(err, cmd.epoch) });
  }
}

/** The banner's sentence for a failed GPU epoch. */
function fallbackMessage(err: unknown, epoch: number): string {
  const lost = err instanceof GpuDeviceLostError || device?.isLost() === true;
  const why = (err as Error).message ?? String(err);
  return lost
    ? `The GPU was lost while analysing epoch ${epoch} (${why}); that epoch is analysed again on the CPU. Nothing is lost.`
    : `The GPU analysis of epoch ${epoch} failed (${why}); that epoch is analysed again on the CPU. Nothing is lost.`;
}

/**
 * A pooled GPU epoch's stages 3-4 ('part-flip-gpu'): the plan's flip jobs on this worker's device,
 * the merge and the float64 check; posts 'part-result' (GpuFlipResult) or 'part-error' with the
 * banner's sentence (the pool then re-runs the epoch on the CPU).
 */
export async function runGpuFlipPart(
  cmd: Extract<AnalysisPartCommand, { type: 'part-flip-gpu' }>,
  postPart: (ev: AnalysisPartEvent) => void,
): Promise<void> {
  try {
    if (!device || device.isLost()) device = await requestAnalysisDevice();
    const dev = device;
    const { req } = cmd;
    const r = await gpuFlipStage(dev, requestWeights(req), Float64Array.from(req.probe.inputs), req.probe.labels, cmd.plan, (stage) => {
      if (stage === 'flip' && loseAtFlip) {
        loseAtFlip = false;
        dev.destroy();
      }
      if (stage === 'merge') postPart({ type: 'part-progress', task: cmd.task, phase: 'flip test', done: 1 });
      if (stage === 'check') postPart({ type: 'part-progress', task: cmd.task, phase: 'single-pixel map', done: 1 });
    });
    postPart({ type: 'part-result', task: cmd.task, result: r });
  } catch (err) {
    postPart({ type: 'part-error', task: cmd.task, message: fallbackMessage(err, cmd.req.epoch) });
  }
}

/**
 * A pooled GPU epoch's QR pass ('part-qr-gpu'): every probe's ln r and Q_t at the alignment steps
 * on this worker's device (gpuLyapunov, the GPU plan's kA); posts 'part-result' (GivenLyapunov)
 * or 'part-error' with the banner's sentence (the pool then re-runs the epoch on the CPU).
 */
export async function runGpuQrPart(
  cmd: Extract<AnalysisPartCommand, { type: 'part-qr-gpu' }>,
  postPart: (ev: AnalysisPartEvent) => void,
): Promise<void> {
  try {
    if (!device || device.isLost()) device = await requestAnalysisDevice();
    const { req } = cmd;
    const weights = requestWeights(req);
    const inputs = Float64Array.from(req.probe.inputs);
    const plan = fullPlan(weights, req.probe.labels.length, req.probe.T, req.probe.D, requestOptions(req));
    const result = await gpuLyapunov(device, weights, inputs, req.probe.labels, plan);
    postPart({ type: 'part-result', task: cmd.task, result });
  } catch (err) {
    postPart({ type: 'part-error', task: cmd.task, message: fallbackMessage(err, cmd.req.epoch) });
  }
}
