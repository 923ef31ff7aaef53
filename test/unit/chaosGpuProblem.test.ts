import { describe, expect, it } from 'vitest';
import { createCell } from '../../src/core/dynamics/cells';
import { randomNetworkSpectrum, spectrumFromLnR } from '../../src/core/dynamics/edgeOfChaos';
import { qrIteration } from '../../src/core/dynamics/lyapunov';
import { runTrajectory } from '../../src/core/dynamics/trajectory';
import { chaosGpuProblem } from '../../src/model/gpuAnalysis/chaos';

describe('the GPU chaos problem (h_0 folded into an extra input column)', () => {
  it.each([
    ['autonomous', null],
    ['driven', { D: 3, inputs: Float64Array.from({ length: 21 }, (_, i) => Math.sin(0.9 * i)) }],
  ] as const)('%s: started at h_0 = 0 as the GPU engine does, float64 gives the CPU spectrum', (_, drive) => {
    const s = { hidden: 20, k: 5, steps: 40, transient: 10, drive };
    const p = chaosGpuProblem(2, 3, s);
    const cell = createCell(p.weights);
    const traj = runTrajectory(cell, p.inputs, 0, p.T, new Float64Array(20));
    const folded = spectrumFromLnR(qrIteration(cell, p.inputs, 0, traj, { k: 5 }).lnR, 5, 40, 10);
    const cpu = randomNetworkSpectrum(2, 3, s);
    for (let a = 0; a < 5; a++) expect(Math.abs(folded.spectrum[a] - cpu.spectrum[a])).toBeLessThan(1e-9);
    expect(p.D).toBe((drive?.D ?? 1) + 1);
  });
});
