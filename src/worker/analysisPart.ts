/**
 * The worker side of a pooled analysis (analysisPool.ts): one 'part-*' command in, its
 * 'part-progress' events and one 'part-result' / 'part-error' out; and runWhole, the single
 * worker's whole-request path. Shared by the browser's
 * analysis.worker.ts and Node's worker_threads host (src/cli/analysisThread.ts), so both run
 * exactly the same stages.
 */
import { dynamicsPart, flipPart, mergeEpoch, planEpoch, planFlip, type PartProgress } from '../core/analysis/epochParts';
import type { ModelWeights } from '../core/formats/model';
import { analyzeEpoch } from '../core/analysis/epochSnapshot';
import type { AnalysisPartCommand, AnalysisPartEvent, AnalyzeRequest, AnalyzerEvent } from './protocol';
import { requestOptions, requestWeights } from './analysisInput';
import { scoreModel } from '../core/evaluate';

/** Memo of the last request's float64 weights and inputs: a pooled epoch sends the same request to several stages. */
let memo: { reqId: number; weights: ModelWeights; inputs: Float64Array } | null = null;
function converted(req: AnalyzeRequest, reqId: number | null): { weights: ModelWeights; inputs: Float64Array } {
  if (reqId !== null && memo?.reqId === reqId) return memo;
  const c = { weights: requestWeights(req), inputs: Float64Array.from(req.probe.inputs) };
  if (reqId !== null) memo = { reqId, ...c };
  return c;
}

/**
 * Runs one pooled stage (epochParts.ts) on the probe range the pool gave and posts its result
 * (or error); progress at most every 100 ms. Synchronous: the caller's kernels must be set.
 */
export function runPart(cmd: AnalysisPartCommand, postPart: (ev: AnalysisPartEvent) => void): void {
  try {
    const { req } = cmd;
    const { weights, inputs } = converted(req, cmd.reqId);
    const labels = req.probe.labels;
    const { T, D } = req.probe;
    let lastPost = -Infinity;
    let lastPhase = '';
    // The last report held back by the throttle goes out before the result (the pool's sum reaches 1).
    let held: AnalysisPartEvent | null = null;
    const progress: PartProgress = (phase, done) => {
      const now = performance.now();
      const ev: AnalysisPartEvent = { type: 'part-progress', task: cmd.task, phase, done };
      if (phase === lastPhase && now - lastPost < 100) {
        held = ev;
        return;
      }
      // A new phase: the old phase's last held report goes first.
      if (held && phase !== lastPhase) postPart(held);
      held = null;
      lastPost = now;
      lastPhase = phase;
      postPart(ev);
    };
    const plan = () => planEpoch(weights, labels.length, T, D, requestOptions(req));
    let result: Extract<AnalysisPartEvent, { type: 'part-result' }>['result'];
    if (cmd.type === 'part-dynamics')
      result = dynamicsPart(weights, inputs, labels, plan(), cmd.b0, cmd.b1, progress, undefined, cmd.lyapunov);
    else if (cmd.type === 'part-plan') result = planFlip(weights, inputs, labels, plan(), cmd.parts);
    else if (cmd.type === 'part-flip') result = flipPart(weights, inputs, labels, cmd.plan, cmd.b0, cmd.b1, progress);
    else if (cmd.type === 'part-merge') result = mergeEpoch(weights, inputs, labels, cmd.plan, cmd.parts);
    else throw new Error(`${cmd.type} runs on the GPU worker (gpuAnalysisRun.ts), not here`);
    if (held) postPart(held);
    postPart({ type: 'part-result', task: cmd.task, result });
  } catch (err) {
    postPart({ type: 'part-error', task: cmd.task, message: (err as Error).message ?? String(err) });
  }
}

/**
 * Runs one whole 'analyze' request (analyzeEpoch, the single-worker path) and posts its
 * progress (at most every 100 ms, and at each new phase), a 'partial' once the dynamics stage is
 * done, and its analysis or error.
 */
export function runWhole(cmd: AnalyzeRequest, post: (ev: AnalyzerEvent) => void): void {
  const t0 = performance.now();
  try {
    const weights = requestWeights(cmd);
    const inputs = Float64Array.from(cmd.probe.inputs);
    let lastPost = -Infinity;
    let lastPhase = '';
    const analysis = analyzeEpoch(weights, inputs, cmd.probe.labels, cmd.probe.T, cmd.probe.D, {
      ...requestOptions(cmd),
      onProgress: ({ phase, fraction }) => {
        const now = performance.now();
        if (phase === lastPhase && now - lastPost < 100) return;
        lastPost = now;
        lastPhase = phase;
        post({ type: 'progress', runId: cmd.runId, epoch: cmd.epoch, phase, fraction });
      },
      onDynamics: (partial) =>
        post({ type: 'partial', runId: cmd.runId, epoch: cmd.epoch, elapsedMs: performance.now() - t0, analysis: partial }),
    });
    // An imported model's accuracy on the bundled test split, when asked (float64, core/evaluate.ts).
    const evaluation = cmd.evaluate ? scoreModel(weights, cmd.evaluate.inputs, cmd.evaluate.labels, cmd.probe.T, cmd.probe.D) : undefined;
    post({
      type: 'analysis',
      runId: cmd.runId,
      epoch: cmd.epoch,
      analysisMs: performance.now() - t0,
      analysis,
      ...(evaluation ? { evaluation } : {}),
    });
  } catch (err) {
    post({ type: 'error', runId: cmd.runId, epoch: cmd.epoch, message: (err as Error).message ?? String(err) });
  }
}
