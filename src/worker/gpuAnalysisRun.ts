/**
 * The worker side of a GPU-analysed epoch (analysis.worker.ts): the worker owns one WebGPU device
 * for the GPU analysis engine (src/model/gpuAnalysis), requested at its first GPU epoch and again
 * after a loss. An epoch runs analyzeEpochOnGpu (the paper's full plan, a float64 check of one
 * probe) and posts its 'analysis'; any failure (a lost device above all) posts 'gpuFallback'
 * instead, and the pool (analysisPool.ts) re-runs that epoch on the CPU: nothing is lost.
 */
import { analyzeEpochOnGpu, GpuDeviceLostError, requestAnalysisDevice, type GpuAnalysisDevice } from '../model/gpuAnalysis';
import type { AnalysisPhase } from '../core/epochSnapshot';
import type { AnalyzeRequest, AnalyzerEvent } from './protocol';
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
    const lost = err instanceof GpuDeviceLostError || device?.isLost() === true;
    const why = (err as Error).message ?? String(err);
    post({
      type: 'gpuFallback',
      runId: cmd.runId,
      epoch: cmd.epoch,
      message: lost
        ? `The GPU was lost while analysing epoch ${cmd.epoch} (${why}); that epoch is analysed again on the CPU. Nothing is lost.`
        : `The GPU analysis of epoch ${cmd.epoch} failed (${why}); that epoch is analysed again on the CPU. Nothing is lost.`,
    });
  }
}
