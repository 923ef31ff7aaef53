/**
 * Messages of the edge-of-chaos worker (chaos.worker.ts). Each request carries an id; the reply
 * echoes it so the client can drop answers to requests it has replaced.
 */
import type { ChaosSpectrum, ChaosSweep } from '../core/dynamics/edgeOfChaos';

/** Drive of the networks: null (autonomous) or digit rows [rows][D]. */
export type ChaosDrive = { D: number; inputs: Float64Array } | null;

export type ChaosCommand =
  | { type: 'spectrum'; id: number; g: number; hidden: number; k: number; drive: ChaosDrive }
  | { type: 'curve'; id: number; hidden: number; drive: ChaosDrive };

export type ChaosEvent =
  /**
   * engine: where the spectrum ran ('gpu': the WebGPU analysis engine on a hardware adapter,
   * float32 ln r; 'cpu': the float64 kernels); fallback: why a GPU attempt went to the CPU.
   */
  | { type: 'spectrum'; id: number; result: ChaosSpectrum; ms: number; engine: 'gpu' | 'cpu'; fallback?: string }
  | { type: 'curve'; id: number; result: ChaosSweep; ms: number }
  | { type: 'error'; id: number; message: string };
