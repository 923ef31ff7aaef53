/**
 * The edge-of-chaos spectrum (src/core/dynamics/edgeOfChaos.ts, method.md §8) on the GPU analysis
 * engine: the random network's trajectory and QR iteration run in float32 on the device
 * (createGpuProbeSet, qr), the time averages in float64 on the CPU (spectrumFromLnR, the CPU
 * path's own summary).
 *
 * The engine starts every probe at h_0 = 0, but a chaos network starts at h_0 ~ N(0, 1) (an
 * autonomous net would stay at 0). One extra input column carries it in: U' = [U | W h_0] with
 * x'_0 = [x_0, 1] and x'_t = [x_t, 0] after, so h_1 = tanh(W 0 + U x_0 + W h_0), exactly the CPU's
 * first step; every Jacobian diag(1 - h_t^2) W is the CPU's (it does not see the input).
 */
import {
  chaosInputs,
  type ChaosSettings,
  type ChaosSpectrum,
  randomInitialState,
  randomNetworkWeights,
  spectrumFromLnR,
} from '../../core/dynamics/edgeOfChaos';
import type { ModelWeights } from '../../core/formats/model';
import { createGpuProbeSet, type GpuAnalysisDevice, type GpuAnalysisTuning } from './engine';

/**
 * The weights and inputs [T][D + 1] the GPU engine runs for network (g, seed): the CPU's network
 * with h_0 folded into an extra input column (see the file comment).
 */
export function chaosGpuProblem(
  g: number,
  seed: number,
  s: ChaosSettings,
): { weights: ModelWeights; inputs: Float64Array; T: number; D: number } {
  const { T, D, inputs } = chaosInputs(s);
  const N = s.hidden;
  const base = randomNetworkWeights(N, g, seed, D);
  const W = base.tensors.weight_hh_l0;
  const U = base.tensors.weight_ih_l0;
  const h0 = randomInitialState(N, seed);
  const D1 = D + 1;
  const U1 = new Float64Array(N * D1);
  for (let i = 0; i < N; i++) {
    for (let d = 0; d < D; d++) U1[i * D1 + d] = U[i * D + d];
    let a = 0;
    for (let j = 0; j < N; j++) a += W[i * N + j] * h0[j];
    U1[i * D1 + D] = a;
  }
  const x1 = new Float64Array(T * D1);
  for (let t = 0; t < T; t++) for (let d = 0; d < D; d++) x1[t * D1 + d] = inputs[t * D + d];
  x1[D] = 1;
  return { weights: { ...base, inputSize: D1, tensors: { ...base.tensors, weight_ih_l0: U1 } }, inputs: x1, T, D: D1 };
}

/**
 * Lyapunov spectrum of the random network (g, seed) on the GPU: same settings, same network and
 * same summary as randomNetworkSpectrum, ln r in float32 (method.md §10). Throws
 * GpuDeviceLostError when the device is lost (the caller falls back to the CPU).
 */
export async function gpuRandomNetworkSpectrum(
  dev: GpuAnalysisDevice,
  g: number,
  seed: number,
  s: ChaosSettings,
  tuning: GpuAnalysisTuning = {},
): Promise<ChaosSpectrum> {
  const p = chaosGpuProblem(g, seed, s);
  // One probe, no flip jobs: one lane (the default 8 lanes' workgroup copies of h overflow the
  // 32 KiB workgroup storage at N = 512).
  const set = await createGpuProbeSet(dev, p.weights, p.inputs, [0], 1, p.T, p.D, { lanes: 1, ...tuning });
  try {
    const qr = await set.qr(s.k);
    return { g, seed, ...spectrumFromLnR(qr.lnR, s.k, s.steps, s.transient) };
  } finally {
    set.dispose();
  }
}
