/**
 * Surviving a lost tfjs WebGL context (GPU reset, driver crash, or WEBGL_lose_context in tests).
 * tfjs has no recovery of its own: everything on the dead context is gone, so the caller keeps a
 * CPU copy of the weights; here we detect the loss, can provoke one, and drop the dead backend so
 * that a fresh context can be made. The fused engines own their contexts and report loss through
 * their trainers' isLost(); engines.ts handles both. Browser-only, like backend.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MathBackendWebGL } from '@tensorflow/tfjs-backend-webgl';

/** Thrown between batches when the context is gone, so no op is issued on a dead context. */
export class ContextLostError extends Error {
  constructor() {
    super('the GPU context was lost');
    this.name = 'ContextLostError';
  }
}

function webglContext(): WebGL2RenderingContext | null {
  if (tf.getBackend() !== 'webgl') return null;
  try {
    return (tf.backend() as MathBackendWebGL).gpgpu.gl as WebGL2RenderingContext;
  } catch {
    return null;
  }
}

/** True when the current backend is webgl and its context is lost. */
export function isContextLost(): boolean {
  const gl = webglContext();
  return gl !== null && gl.isContextLost();
}

/** Loses the current WebGL context on purpose (tests, rehearsals). False when there is none. */
export function loseContext(): boolean {
  const gl = webglContext();
  const ext = gl?.getExtension('WEBGL_lose_context');
  if (!ext) return false;
  ext.loseContext();
  return true;
}

/**
 * Drops the dead webgl backend and registers a fresh factory: the next setBackend('webgl') makes a
 * new WebGL context (tfjs creates one when its cached context reports lost). Tensors of the old
 * backend are unusable: the caller rebuilds its trainer afterwards.
 */
export async function resetWebglBackend(): Promise<void> {
  try {
    tf.removeBackend('webgl');
  } catch {
    /* disposing a backend on a dead context may fail; it is being replaced anyway */
  }
  tf.registerBackend('webgl', () => new MathBackendWebGL(), 2);
}
