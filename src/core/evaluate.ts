/**
 * Scoring a model on labelled digits in float64 (an imported model's accuracy on the bundled test
 * split, in the analysis worker). The forward pass is the dynamics' own (cells.ts forwardLosses).
 */
import { createCell, forwardLosses } from './dynamics/cells';
import type { ModelWeights } from './formats/model';

/** Mean cross-entropy (nats per sample), accuracy in [0, 1] and the number of digits scored. */
export interface ModelScore {
  loss: number;
  acc: number;
  count: number;
}

/**
 * Scores `weights` on M sequences: inputs [M*T*D] (batch-major, as fed to the model), labels [M].
 * The class is the argmax of the last-step logits (first index on ties). Runs in chunks of 250
 * sequences so the float64 copy of the inputs stays small.
 */
export function scoreModel(weights: ModelWeights, inputs: ArrayLike<number>, labels: ArrayLike<number>, T: number, D: number): ModelScore {
  const cell = createCell(weights);
  const M = labels.length;
  const C = weights.numClasses;
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < M; start += 250) {
    const m = Math.min(250, M - start);
    const x = new Float64Array(m * T * D);
    for (let i = 0; i < x.length; i++) x[i] = inputs[start * T * D + i];
    const y = Array.from({ length: m }, (_, i) => labels[start + i]);
    const r = forwardLosses(cell, x, y, T, D);
    for (let i = 0; i < m; i++) {
      lossSum += r.loss[i];
      let best = 0;
      for (let c = 1; c < C; c++) if (r.logits[i * C + c] > r.logits[i * C + best]) best = c;
      if (best === y[i]) correct++;
    }
  }
  return { loss: M ? lossSum / M : NaN, acc: M ? correct / M : NaN, count: M };
}
