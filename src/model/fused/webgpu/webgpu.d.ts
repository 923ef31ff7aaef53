/// <reference types="@webgpu/types" />
// WebGPU's DOM types come from @webgpu/types (installed with @tensorflow/tfjs-core, which depends on it).
// Version 0.1.38 predates GPUAdapter.info (Chromium 114+), which replaced requestAdapterInfo().
interface GPUAdapter {
  readonly info?: GPUAdapterInfo;
}
