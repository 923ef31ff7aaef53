/**
 * The GPU analysis engine (WebGPU compute, float32; docs/gpu-engines.md "GPU analysis engine"):
 * createGpuProbeSet puts one epoch's rnn weights and probes on the device and evaluates packed flip
 * jobs and the QR iteration there; analyzeEpochOnGpu runs a whole epoch with the paper's full plan
 * and its float64 check.
 */
export {
  createGpuProbeSet,
  crossEntropy,
  GpuDeviceLostError,
  gpuArchSupported,
  isSoftwareAdapter,
  probeGpuAdapter,
  requestAnalysisDevice,
  type GpuAdapterInfo,
  type GpuAnalysisDevice,
  type GpuAnalysisTuning,
  type GpuProbeSet,
  type GpuQrResult,
} from './engine';
export {
  analyzeEpochOnGpu,
  checkedProbe,
  fullPlan,
  gpuFlipPart,
  gpuFlipStage,
  gpuLyapunov,
  type GpuEpochResult,
  type GpuEpochStages,
} from './epoch';
export { chaosGpuProblem, gpuRandomNetworkSpectrum } from './chaos';
