/**
 * The fused-webgpu training engine (WGSL compute; design in docs/gpu-engines.md, "fused-webgpu"):
 * createFusedWebgpuTrainer gives a Trainer whose weights, optimiser state and batch history stay on
 * the GPU; webgpuAvailable says whether this browser has a WebGPU adapter.
 */
export {
  createFusedWebgpuTrainer,
  fusedWebgpuLiveBytes,
  webgpuAvailable,
  type FusedWebgpuOptions,
  type FusedWebgpuTrainer,
  type FusedWebgpuTuning,
} from './engine';
