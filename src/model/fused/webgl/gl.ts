/**
 * WebGL2 plumbing for GPU compute with fragment shaders: a context of our own (OffscreenCanvas in a
 * worker or a page), float32 textures with byte accounting, framebuffers (with multiple render
 * targets), programs compiled in parallel where KHR_parallel_shader_compile exists, and reading
 * pixels back asynchronously (PIXEL_PACK_BUFFER + fenceSync + polling: the CPU never blocks on the GPU).
 * Nothing here knows about RNNs.
 */

/** Bytes held by every live GlResources of this JS realm (tests check it returns to 0). */
let liveBytesAllInstances = 0;

/** Bytes of textures and buffers held right now by all GlResources in this realm (0 when all are disposed). */
export function liveGlBytes(): number {
  return liveBytesAllInstances;
}

/** Context attributes for compute: no default framebuffer worth having, no antialiasing or depth. */
const CONTEXT_ATTRIBUTES: WebGLContextAttributes = {
  alpha: false,
  antialias: false,
  depth: false,
  stencil: false,
  premultipliedAlpha: false,
  preserveDrawingBuffer: false,
  powerPreference: 'high-performance',
  failIfMajorPerformanceCaveat: false,
};

/**
 * A WebGL2 context of our own: on an OffscreenCanvas where one exists (dedicated workers and pages),
 * else on a detached <canvas>. Throws an Error saying what is missing.
 */
export function createOwnContext(): WebGL2RenderingContext {
  let gl: WebGL2RenderingContext | null = null;
  if (typeof OffscreenCanvas !== 'undefined') {
    gl = new OffscreenCanvas(1, 1).getContext('webgl2', CONTEXT_ATTRIBUTES) as WebGL2RenderingContext | null;
  } else if (typeof document !== 'undefined') {
    gl = document.createElement('canvas').getContext('webgl2', CONTEXT_ATTRIBUTES);
  }
  if (!gl) throw new Error('fused-webgl: this browser gives no WebGL2 context here');
  return gl;
}

/** The renderer string (unmasked where the browser allows it), e.g. "ANGLE (..., SwiftShader ...)". */
export function rendererOf(gl: WebGL2RenderingContext): string {
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  return String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
}

/** Throws unless the context can render to float32 textures (EXT_color_buffer_float). */
export function requireFloatRendering(gl: WebGL2RenderingContext): void {
  if (!gl.getExtension('EXT_color_buffer_float')) {
    throw new Error('fused-webgl needs EXT_color_buffer_float (rendering into float32 textures); this WebGL2 context does not offer it');
  }
}

export type TexFormat = 'rgba32f' | 'r32f';

/** A compiled program with cached uniform locations. */
export interface GlProgram {
  readonly program: WebGLProgram;
  /** Location of a uniform (cached; null when the compiler removed it as unused). */
  loc(name: string): WebGLUniformLocation | null;
}

/**
 * Owner of every GL object one engine creates: each allocation is recorded with its size so that
 * `bytes` is what the engine holds on the GPU, and dispose() frees everything.
 */
export class GlResources {
  private readonly textures = new Map<WebGLTexture, number>();
  private readonly buffers = new Map<WebGLBuffer, number>();
  private readonly framebuffers = new Set<WebGLFramebuffer>();
  private readonly programs = new Set<WebGLProgram>();
  private readonly shaders = new Set<WebGLShader>();
  private held = 0;

  constructor(readonly gl: WebGL2RenderingContext) {}

  /** Bytes of the textures and buffers held now. */
  get bytes(): number {
    return this.held;
  }

  private account(delta: number): void {
    this.held += delta;
    liveBytesAllInstances += delta;
  }

  /** Records `obj` (a texture or buffer) as holding `bytes` in `map` and in the accounts; returns it. */
  private hold<T>(map: Map<T, number>, obj: T, bytes: number): T {
    map.set(obj, bytes);
    this.account(bytes);
    return obj;
  }

  /** Deletes `obj` with `del` and takes its bytes off the accounts (nothing when `map` does not hold it). */
  private release<T>(map: Map<T, number>, obj: T, del: (obj: T) => void): void {
    const bytes = map.get(obj);
    if (bytes === undefined) return;
    del(obj);
    map.delete(obj);
    this.account(-bytes);
  }

  /** An immutable-storage float texture w x h (zero-filled, as WebGL guarantees), NEAREST, clamped. */
  texture(w: number, h: number, format: TexFormat): WebGLTexture {
    const gl = this.gl;
    const max = gl.getParameter(gl.MAX_TEXTURE_SIZE) as number;
    if (w < 1 || h < 1 || w > max || h > max) throw new RangeError(`fused-webgl: a ${w} x ${h} texture exceeds this GPU's limit of ${max}`);
    const t = gl.createTexture();
    if (!t) throw new Error('fused-webgl: createTexture failed (context lost?)');
    gl.bindTexture(gl.TEXTURE_2D, t);
    gl.texStorage2D(gl.TEXTURE_2D, 1, format === 'rgba32f' ? gl.RGBA32F : gl.R32F, w, h);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
    gl.bindTexture(gl.TEXTURE_2D, null);
    return this.hold(this.textures, t, w * h * (format === 'rgba32f' ? 16 : 4));
  }

  /** Frees one texture made by texture(). */
  deleteTexture(t: WebGLTexture): void {
    this.release(this.textures, t, (x) => this.gl.deleteTexture(x));
  }

  /** A framebuffer rendering into `targets` (COLOR_ATTACHMENT0..n-1, all drawn). Throws when incomplete. */
  framebuffer(targets: WebGLTexture[]): WebGLFramebuffer {
    const gl = this.gl;
    const fb = gl.createFramebuffer();
    if (!fb) throw new Error('fused-webgl: createFramebuffer failed (context lost?)');
    gl.bindFramebuffer(gl.FRAMEBUFFER, fb);
    targets.forEach((t, i) => gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0 + i, gl.TEXTURE_2D, t, 0));
    gl.drawBuffers(targets.map((_, i) => gl.COLOR_ATTACHMENT0 + i));
    const status = gl.checkFramebufferStatus(gl.FRAMEBUFFER);
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
    this.framebuffers.add(fb);
    if (status !== gl.FRAMEBUFFER_COMPLETE)
      throw new Error(`fused-webgl: float32 framebuffer incomplete (status 0x${status.toString(16)})`);
    return fb;
  }

  deleteFramebuffer(fb: WebGLFramebuffer): void {
    if (!this.framebuffers.delete(fb)) return;
    this.gl.deleteFramebuffer(fb);
  }

  /** A PIXEL_PACK_BUFFER of `bytes` for asynchronous read-backs. */
  packBuffer(bytes: number): WebGLBuffer {
    const gl = this.gl;
    const b = gl.createBuffer();
    if (!b) throw new Error('fused-webgl: createBuffer failed (context lost?)');
    gl.bindBuffer(gl.PIXEL_PACK_BUFFER, b);
    gl.bufferData(gl.PIXEL_PACK_BUFFER, bytes, gl.STREAM_READ);
    gl.bindBuffer(gl.PIXEL_PACK_BUFFER, null);
    return this.hold(this.buffers, b, bytes);
  }

  deleteBuffer(b: WebGLBuffer): void {
    this.release(this.buffers, b, (x) => this.gl.deleteBuffer(x));
  }

  /**
   * Compiles and links full-screen-triangle programs for the fragment shaders `sources`, all
   * started before any status is queried (KHR_parallel_shader_compile then compiles them in the
   * background while we poll). Throws with the compiler's log on failure.
   */
  async compilePrograms(sources: string[]): Promise<GlProgram[]> {
    const gl = this.gl;
    const parallel = gl.getExtension('KHR_parallel_shader_compile') as { COMPLETION_STATUS_KHR: number } | null;
    const vs = this.shader(gl.VERTEX_SHADER, VERTEX_SHADER);
    const made = sources.map((src) => {
      const fs = this.shader(gl.FRAGMENT_SHADER, src);
      const p = gl.createProgram();
      if (!p) throw new Error('fused-webgl: createProgram failed (context lost?)');
      gl.attachShader(p, vs);
      gl.attachShader(p, fs);
      gl.linkProgram(p);
      this.programs.add(p);
      return { p, fs, src };
    });
    if (parallel) {
      while (!made.every(({ p }) => gl.getProgramParameter(p, parallel.COMPLETION_STATUS_KHR) || gl.isContextLost())) await pause(4);
    }
    if (gl.isContextLost()) throw new Error('fused-webgl: the WebGL context was lost while compiling');
    return made.map(({ p, fs, src }) => {
      if (!gl.getProgramParameter(p, gl.LINK_STATUS)) {
        const log = gl.getShaderInfoLog(fs) || gl.getProgramInfoLog(p);
        const numbered = src
          .split('\n')
          .map((l, i) => `${i + 1}: ${l}`)
          .join('\n');
        throw new Error(`fused-webgl: shader failed to compile/link: ${log}\n${numbered}`);
      }
      const cache = new Map<string, WebGLUniformLocation | null>();
      return {
        program: p,
        loc(name: string) {
          if (!cache.has(name)) cache.set(name, gl.getUniformLocation(p, name));
          return cache.get(name) ?? null;
        },
      };
    });
  }

  private shader(type: number, src: string): WebGLShader {
    const gl = this.gl;
    const s = gl.createShader(type);
    if (!s) throw new Error('fused-webgl: createShader failed (context lost?)');
    gl.shaderSource(s, src);
    gl.compileShader(s);
    this.shaders.add(s);
    return s;
  }

  /** Frees every object made here. Safe on a lost context and when called twice. */
  dispose(): void {
    const gl = this.gl;
    for (const t of [...this.textures.keys()]) this.deleteTexture(t);
    for (const b of [...this.buffers.keys()]) this.deleteBuffer(b);
    for (const f of this.framebuffers) gl.deleteFramebuffer(f);
    for (const p of this.programs) gl.deleteProgram(p);
    for (const s of this.shaders) gl.deleteShader(s);
    this.framebuffers.clear();
    this.programs.clear();
    this.shaders.clear();
  }
}

/**
 * One triangle covering the viewport, from gl_VertexID alone (no vertex buffers): draw 3 vertices.
 * Fragment shaders find their output cell with gl_FragCoord.
 */
const VERTEX_SHADER = `#version 300 es
void main() {
  vec2 p = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));
  gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}`;

/**
 * Waits `ms` (0: one turn of the event loop). The timer is armed from a MessageChannel task so that
 * repeated polling is never throttled by the browsers' 4 ms clamp on nested timers.
 */
export function pause(ms = 0): Promise<void> {
  if (typeof MessageChannel === 'undefined') return new Promise((r) => setTimeout(r, ms));
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      setTimeout(resolve, ms);
    };
    ch.port2.postMessage(null);
  });
}

/**
 * Resolves when the GPU has passed `sync` (then deletes it): polls clientWaitSync with a zero
 * timeout, every event-loop turn for the first 2 ms, then every millisecond. Rejects on context loss.
 */
export async function waitForSync(gl: WebGL2RenderingContext, sync: WebGLSync): Promise<void> {
  const t0 = performance.now();
  try {
    for (;;) {
      if (gl.isContextLost()) throw new Error('fused-webgl: the WebGL context was lost');
      const s = gl.clientWaitSync(sync, 0, 0);
      if (s === gl.ALREADY_SIGNALED || s === gl.CONDITION_SATISFIED) return;
      if (s === gl.WAIT_FAILED) throw new Error('fused-webgl: waiting for the GPU failed (context lost?)');
      await pause(performance.now() - t0 < 2 ? 0 : 1);
    }
  } finally {
    gl.deleteSync(sync);
  }
}

/**
 * Starts an asynchronous read of the RGBA float texels [x, x+w) x [y, y+h) of `framebuffer`'s
 * first attachment into `buffer` at byte `offset` (no stall: the copy is queued on the GPU).
 */
export function queueReadPixels(
  gl: WebGL2RenderingContext,
  framebuffer: WebGLFramebuffer,
  x: number,
  y: number,
  w: number,
  h: number,
  buffer: WebGLBuffer,
  offset = 0,
): void {
  gl.bindFramebuffer(gl.READ_FRAMEBUFFER, framebuffer);
  gl.readBuffer(gl.COLOR_ATTACHMENT0);
  gl.bindBuffer(gl.PIXEL_PACK_BUFFER, buffer);
  gl.readPixels(x, y, w, h, gl.RGBA, gl.FLOAT, offset);
  gl.bindBuffer(gl.PIXEL_PACK_BUFFER, null);
  gl.bindFramebuffer(gl.READ_FRAMEBUFFER, null);
}

/** A fence after the commands issued so far (flushed, so the GPU starts on them now). */
export function fence(gl: WebGL2RenderingContext): WebGLSync {
  const sync = gl.fenceSync(gl.SYNC_GPU_COMMANDS_COMPLETE, 0);
  if (!sync) throw new Error('fused-webgl: fenceSync failed (context lost?)');
  gl.flush();
  return sync;
}

/**
 * Waits without blocking until the GPU has passed `sync` (default: a fence after everything issued
 * so far), then copies the first out.length floats of `buffer` into `out`.
 */
export async function fetchBuffer(
  gl: WebGL2RenderingContext,
  buffer: WebGLBuffer,
  out: Float32Array,
  sync: WebGLSync = fence(gl),
): Promise<Float32Array> {
  gl.flush();
  await waitForSync(gl, sync);
  gl.bindBuffer(gl.PIXEL_PACK_BUFFER, buffer);
  gl.getBufferSubData(gl.PIXEL_PACK_BUFFER, 0, out);
  gl.bindBuffer(gl.PIXEL_PACK_BUFFER, null);
  return out;
}
