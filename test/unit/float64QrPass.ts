/**
 * Test helper: the float64 QR pass of every probe in the form the GPU path hands to stage 1
 * (epochAnalysis.ts GivenLyapunov): plan.kA vectors, ln r [B][T][kA], Q_t at the alignment steps.
 */
import type { GivenLyapunov } from '../../src/core/analysis/epochAnalysis';
import type { EpochPlan } from '../../src/core/analysis/epochParts';
import { createCell } from '../../src/core/dynamics/cells';
import { qrIteration } from '../../src/core/dynamics/lyapunov';
import { probeTrajectory } from '../../src/core/dynamics/trajectory';
import type { ModelWeights } from '../../src/core/formats/model';

/** The pass of inputs [B][T][D] under `plan`; `round` maps every value (Math.fround: float32 storage). */
export function float64QrPass(
  w: ModelWeights,
  inputs: Float64Array,
  plan: EpochPlan,
  round: (v: number) => number = (v) => v,
): GivenLyapunov {
  const cell = createCell(w);
  const { B, T, D, kA } = plan;
  const lnR = new Float64Array(B * T * kA);
  const qAt: Map<number, Float64Array>[] = [];
  for (let b = 0; b < B; b++) {
    const traj = probeTrajectory(cell, { T, inputs }, b);
    const run = qrIteration(cell, inputs, b * T * D, traj, { k: kA, keepQAt: plan.alignSteps });
    lnR.set(run.lnR.map(round), b * T * kA);
    qAt.push(new Map([...run.qAt!].map(([t, q]) => [t, q.map(round)])));
  }
  return { kA, lnR, qAt };
}
