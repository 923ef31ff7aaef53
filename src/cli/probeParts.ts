/**
 * The dynamics loop of the CLI's analysis threads (parallelFlip.ts, flipThread.ts): every thread,
 * the main one included, takes the next probe from one shared counter until all are taken, so a
 * thread that runs slower (or started later) takes fewer probes and none idles while others work.
 * analyzeModel's parts merge the same for any split (analyze.ts), so the file does not depend on
 * which thread took which probe.
 */
import { analyzeModelPart, type AnalysisPart, type AnalyzeOptions } from '../core/analysis/analyze';
import type { ModelWeights } from '../core/formats/model';
import type { Probe } from '../core/formats/probe';

/**
 * Takes probes from `counter` (Int32Array [1] over a SharedArrayBuffer, starting at 0) until all
 * probe.B are taken; returns analyzeModel's part of each probe taken (one probe each, b0 = b).
 */
export function takeProbeParts(
  weights: ModelWeights,
  probe: Probe,
  counter: Int32Array,
  opts: Pick<AnalyzeOptions, 'k' | 'logBase' | 'alignSteps' | 'seed' | 'maxCheckFloats'>,
): AnalysisPart[] {
  const parts: AnalysisPart[] = [];
  for (let b = Atomics.add(counter, 0, 1); b < probe.B; b = Atomics.add(counter, 0, 1))
    parts.push(analyzeModelPart(weights, probe, b, b + 1, opts));
  return parts;
}
