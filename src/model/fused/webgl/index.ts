/**
 * The fused-webgl training engine (WebGL2 fragment shaders, float32): what the app needs from it.
 * Design and memory: docs/gpu-engines.md.
 */
export { createFusedWebglTrainer, fusedWebglSupport, FusedWebglRnn, type FusedWebglTrainer, type FusedWebglOptions } from './engine';
export { liveGlBytes } from './gl';
