/**
 * fused-webgl: the vanilla tanh RNN trained entirely on the GPU with WebGL2 fragment shaders, with
 * FastRnn's semantics (PyTorch names, initRnnWeights init, CE of the last step with mean or sum
 * reduction, SGD / Adam / RMSprop with FastRnn's formulas and float32 Adam powers, global-norm
 * clipping, bias on or off). Weights, optimiser state and the batch's state history stay in float32
 * textures; a training step is T forward draws, T backward draws and a handful of whole-tensor
 * draws, and reads back one texel (loss sum, correct count) asynchronously. docs/gpu-engines.md
 * describes the textures, passes and memory; shaders.ts the layouts.
 */
import { checkWeightsFor, initRnnWeights, RNN_TENSOR_NAMES, type RnnTensorName, type RnnWeights } from '../../init';
import type { RnnModelOptions } from '../../rnn';
import { OptimizerFields, resolveModelOptions } from '../../modelOptions';
import type { Trainer } from '../../trainer';
import {
  createOwnContext,
  fence,
  fetchBuffer,
  GlResources,
  queueReadPixels,
  rendererOf,
  requireFloatRendering,
  type GlProgram,
} from './gl';
import {
  backwardLastShader,
  backwardShader,
  blockLayout,
  forwardShader,
  gradPartialShader,
  gradReduceShader,
  lossSumShader,
  normShader,
  optimizerShader,
  readoutShader,
  rowSquaresShader,
  type BlockLayout,
} from './shaders';

/** The tfjs model's options (the tfjs-only switches are ignored) plus the optimiser epsilon (default 1e-7, as FastRnn). */
export type FusedWebglOptions = RnnModelOptions & {
  epsilon?: number;
  /**
   * Lays the batch textures out as if textures could be at most this many texels wide and high
   * (capped by the GPU's MAX_TEXTURE_SIZE): tests use a small value to exercise multi-row tile grids.
   */
  textureLimit?: number;
};

const BETA1 = 0.9,
  BETA2 = 0.999;
/**
 * Loop iterations (time steps x sequences) one fragment of the gradient partial-sum pass aims at:
 * small enough for tens of thousands of fragments per draw (a big GPU needs them to hide texture
 * latency), large enough that the partial sums (slices x gradient rows) stay a fraction of the history.
 */
const ITER_PER_FRAGMENT = 512;
/**
 * At most this many gradient draws per step: BPTT runs in chunks of whole slices, each chunk
 * followed by one draw of its slices, so dA needs only a ring of one chunk's steps and no single
 * draw spans the whole sequence. Keeps the step at <= 2T + 26 draws.
 */
const MAX_GRADIENT_CHUNKS = 20;
/** Evaluation chunks whose (CE sum, correct) wait on the GPU before one read-back. */
const EVAL_SLOTS = 64;

// Texture units, fixed for the engine's life (each program's samplers point at these).
const U = {
  P: 0,
  X: 1,
  H0: 2,
  H1: 3,
  D0: 4,
  D1: 5,
  DZ: 6,
  LAB: 7,
  PG: 8,
  G: 9,
  S1: 10,
  S2: 11,
  RS: 12,
  NORM: 13,
  PG1: 14,
  PG2: 15,
  PG3: 16,
} as const;

interface Programs {
  forward: GlProgram;
  readout: GlProgram;
  lossSum: GlProgram;
  backward: GlProgram;
  backwardLast: GlProgram;
  gradPartial: GlProgram;
  gradReduce: GlProgram;
  rowSquares: GlProgram;
  norm: GlProgram;
  optimizer: GlProgram;
}

/** Textures and framebuffers sized by the batch (tile rows Bt, time capacity). */
interface BatchResources {
  /** Tile rows: the largest batch (training) or evaluation chunk these textures hold. */
  Bt: number;
  /** Tiles per parity texture (steps 2k+1 and 2k+2 share tile k). */
  hTiles: number;
  /** Tile columns of the state grid. */
  gc: number;
  /** Input steps the X texture holds, and its tile columns. */
  xTiles: number;
  gcx: number;
  /** Column slices of the gradient partial-sum texture. */
  slices: number;
  /** Tiles per parity of the dA ring, and its tile columns. */
  ring: number;
  gcd: number;
  H: [WebGLTexture, WebGLTexture];
  Dt: [WebGLTexture, WebGLTexture];
  X: WebGLTexture;
  xW: number;
  xH: number;
  xStage: Float32Array;
  LAB: WebGLTexture;
  DZ: WebGLTexture;
  PG: [WebGLTexture, WebGLTexture, WebGLTexture, WebGLTexture];
  fbH: [WebGLFramebuffer, WebGLFramebuffer];
  fbD: [WebGLFramebuffer, WebGLFramebuffer];
  fbDZ: WebGLFramebuffer;
  fbPG: WebGLFramebuffer;
}

export class FusedWebglRnn extends OptimizerFields {
  /** The renderer string of the context (SwiftShader in headless Chromium without a GPU). */
  readonly renderer: string;
  /** Draw calls of the last training step: 2T forward/backward, up to 20 gradient chunks, 4 more (+2 with clipping). */
  drawsPerStep = 0;

  private readonly gl: WebGL2RenderingContext;
  private readonly ownsContext: boolean;
  private readonly res: GlResources;
  private readonly L: BlockLayout;
  private readonly maxTex: number;
  private readonly shapes: Record<RnnTensorName, number[]>;
  private progs!: Programs;
  private readonly vao: WebGLVertexArrayObject;
  // Parameter-block textures (ping-pong pairs for what the optimiser rewrites).
  private readonly P: [WebGLTexture, WebGLTexture];
  private readonly S1: [WebGLTexture, WebGLTexture] | null;
  private readonly S2: [WebGLTexture, WebGLTexture] | null;
  private readonly G: WebGLTexture;
  private readonly RS: WebGLTexture | null;
  private readonly NORM: WebGLTexture | null;
  private readonly STATS: WebGLTexture;
  private readonly fbOpt: [WebGLFramebuffer, WebGLFramebuffer];
  private readonly fbP: [WebGLFramebuffer, WebGLFramebuffer];
  private readonly fbG: WebGLFramebuffer;
  private readonly fbRS: WebGLFramebuffer | null;
  private readonly fbNorm: WebGLFramebuffer | null;
  private readonly fbStats: WebGLFramebuffer;
  private readonly pboStats: WebGLBuffer;
  /** How BPTT and the gradient sums of a (B, T) batch are cut: see plan(). */
  private plan(B: number, T: number): { Tc: number; S: number; perChunk: number; ring: number } {
    // Slices fit the texture width, and their partial sums (S x gradRows x 4*N4 floats) stay within
    // a quarter of the state history (B*T*N floats): at N = 512, B = 100, T = 784 that is 38 slices.
    const maxSlices = Math.max(1, Math.min(Math.floor(this.maxTex / this.L.N4), Math.floor((B * T) / (4 * this.L.gradRows))));
    let Tc = Math.max(1, Math.ceil(ITER_PER_FRAGMENT / B));
    let S = Math.ceil(T / Tc);
    if (S > maxSlices) {
      Tc = Math.ceil(T / maxSlices);
      S = Math.ceil(T / Tc);
    }
    const perChunk = Math.ceil(S / MAX_GRADIENT_CHUNKS);
    // A chunk of K = perChunk*Tc steps touches at most ceil(K/2) + 1 tiles of each parity; one more
    // keeps the first dA of the previous chunk (BPTT's input) alive.
    const ring = Math.min(Math.ceil(T / 2), Math.ceil((perChunk * Tc) / 2) + 2);
    return { Tc, S, perChunk, ring };
  }

  /** Which of each ping-pong pair holds the current parameters / state. */
  private cur = 0;
  private batch: BatchResources | null = null;
  private accBeta1 = Math.fround(BETA1);
  private accBeta2 = Math.fround(BETA2);
  private draws = 0;
  private boundFb: WebGLFramebuffer | null | undefined = undefined;
  private disposed = false;
  /** The last queued asynchronous operation: they share the stats pack buffer, so they run one at a time. */
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `op` after every earlier asynchronous operation of this engine has settled. */
  private serial<R>(op: () => Promise<R>): Promise<R> {
    const run = this.tail.then(op, op);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Use FusedWebglRnn.create (shader compilation is asynchronous). */
  private constructor(options: FusedWebglOptions, gl: WebGL2RenderingContext, ownsContext: boolean) {
    const o = { ...options, ...resolveModelOptions(options) };
    super(o);
    this.gl = gl;
    this.ownsContext = ownsContext;
    this.renderer = rendererOf(gl);
    const D = this.inputSize,
      N = this.hiddenSize,
      C = this.numClasses;
    if (![D, N, C].every((v) => Number.isInteger(v) && v >= 1))
      throw new RangeError(`fused-webgl: sizes D = ${D}, N = ${N}, C = ${C} must be positive integers`);
    this.shapes = { weight_ih_l0: [N, D], weight_hh_l0: [N, N], bias_ih_l0: [N], bias_hh_l0: [N], 'fc.weight': [C, N], 'fc.bias': [C] };
    this.L = blockLayout(N, D, C);
    const gpuMax = gl.getParameter(gl.MAX_TEXTURE_SIZE) as number;
    this.maxTex = Math.min(gpuMax, o.textureLimit ?? gpuMax);
    this.res = new GlResources(gl);
    const { N4, R } = this.L;
    try {
      const vao = gl.createVertexArray();
      if (!vao) throw new Error('fused-webgl: createVertexArray failed (context lost?)');
      this.vao = vao;
      const r = this.res;
      this.P = [r.texture(N4, R, 'rgba32f'), r.texture(N4, R, 'rgba32f')];
      const stateful = this.optimizer !== 'sgd';
      this.S1 = stateful ? [r.texture(N4, R, 'rgba32f'), r.texture(N4, R, 'rgba32f')] : null;
      this.S2 = stateful ? [r.texture(N4, R, 'rgba32f'), r.texture(N4, R, 'rgba32f')] : null;
      this.G = r.texture(N4, R, 'rgba32f');
      this.RS = this.clip > 0 ? r.texture(1, R, 'rgba32f') : null;
      this.NORM = this.clip > 0 ? r.texture(1, 1, 'rgba32f') : null;
      this.STATS = r.texture(EVAL_SLOTS, 1, 'rgba32f');
      const optTargets = (k: number) => (this.S1 && this.S2 ? [this.P[k], this.S1[k], this.S2[k]] : [this.P[k]]);
      // fbOpt[k] writes set k (reading set 1 - k).
      this.fbOpt = [r.framebuffer(optTargets(0)), r.framebuffer(optTargets(1))];
      this.fbP = [r.framebuffer([this.P[0]]), r.framebuffer([this.P[1]])];
      this.fbG = r.framebuffer([this.G]);
      this.fbRS = this.RS ? r.framebuffer([this.RS]) : null;
      this.fbNorm = this.NORM ? r.framebuffer([this.NORM]) : null;
      this.fbStats = r.framebuffer([this.STATS]);
      this.pboStats = r.packBuffer(EVAL_SLOTS * 16);
    } catch (e) {
      this.res.dispose();
      throw e;
    }
  }

  /**
   * A new engine on `gl` (or on a WebGL2 context of its own: OffscreenCanvas in a worker or page),
   * initialised like RnnModel / FastRnn from `o.seed`. Rejects with a clear Error when the context
   * lacks WebGL2 or float32 render targets (EXT_color_buffer_float), or a shader fails to compile.
   */
  static async create(o: FusedWebglOptions, gl?: WebGL2RenderingContext): Promise<FusedWebglRnn> {
    const ctx = gl ?? createOwnContext();
    try {
      requireFloatRendering(ctx);
    } catch (e) {
      if (!gl) ctx.getExtension('WEBGL_lose_context')?.loseContext();
      throw e;
    }
    const engine = new FusedWebglRnn(o, ctx, !gl);
    const r = resolveModelOptions(o);
    try {
      await engine.compile();
      engine.setWeights(
        initRnnWeights({
          inputSize: r.inputSize,
          hiddenSize: r.hiddenSize,
          numClasses: r.numClasses,
          init: r.init,
          gain: r.gain,
          seed: r.seed,
        }),
      );
    } catch (e) {
      engine.dispose();
      throw e;
    }
    return engine;
  }

  private async compile(): Promise<void> {
    const L = this.L;
    const kind = this.optimizer;
    const [forward, readout, lossSum, backward, backwardLast, gradPartial, gradReduce, rowSquares, norm, optimizer] =
      await this.res.compilePrograms([
        forwardShader(L),
        readoutShader(L),
        lossSumShader(L),
        backwardShader(L),
        backwardLastShader(L),
        gradPartialShader(L),
        gradReduceShader(L),
        rowSquaresShader(L, this.hasBias),
        normShader(L),
        optimizerShader(L, kind, this.hasBias, this.clip > 0),
      ]);
    this.progs = { forward, readout, lossSum, backward, backwardLast, gradPartial, gradReduce, rowSquares, norm, optimizer };
    const gl = this.gl;
    const samplers: [GlProgram, Record<string, number>][] = [
      [forward, { uP: U.P, uX: U.X }],
      [readout, { uP: U.P, uLab: U.LAB }],
      [lossSum, { uDZ: U.DZ }],
      [backward, { uP: U.P }],
      [backwardLast, { uP: U.P, uDZ: U.DZ }],
      [gradPartial, { uX: U.X, uH0: U.H0, uH1: U.H1, uD0: U.D0, uD1: U.D1 }],
      [gradReduce, { uPG0: U.PG, uPG1: U.PG1, uPG2: U.PG2, uPG3: U.PG3, uDZ: U.DZ }],
      [rowSquares, { uG: U.G }],
      [norm, { uRS: U.RS }],
      [optimizer, { uP: U.P, uG: U.G, uS1: U.S1, uS2: U.S2, uNorm: U.NORM }],
    ];
    for (const [p, units] of samplers) {
      gl.useProgram(p.program);
      for (const [name, unit] of Object.entries(units)) gl.uniform1i(p.loc(name), unit);
    }
    gl.useProgram(optimizer.program);
    gl.uniform1f(optimizer.loc('uLr'), this.lr);
    gl.uniform1f(optimizer.loc('uEps'), this.epsilon);
    gl.uniform1f(optimizer.loc('uClip'), this.clip);
  }

  /** Bytes of GPU textures and buffers this engine holds now (0 after dispose). */
  get gpuBytes(): number {
    return this.res.bytes;
  }

  /** True when the WebGL context is lost (GPU reset, driver crash, WEBGL_lose_context). */
  isLost(): boolean {
    return this.gl.isContextLost();
  }

  private checkUsable(): void {
    if (this.disposed) throw new Error('fused-webgl engine used after dispose()');
    if (this.gl.isContextLost()) {
      const e = new Error('the WebGL context of the fused-webgl engine was lost');
      e.name = 'ContextLostError';
      throw e;
    }
  }

  private checkBatch(x: ArrayLike<number>, labels: ArrayLike<number>, B: number): number {
    this.checkUsable();
    const D = this.inputSize,
      C = this.numClasses;
    if (!(Number.isInteger(B) && B >= 1)) throw new RangeError(`batch size ${B} must be a positive integer`);
    const T = x.length / (B * D);
    if (!Number.isInteger(T) || T < 1) throw new RangeError(`input has ${x.length} values: not B*T*D with B = ${B}, D = ${D}`);
    if (labels.length < B) throw new RangeError(`${labels.length} labels for a batch of ${B}`);
    for (let b = 0; b < B; b++) {
      const y = labels[b];
      if (!(Number.isInteger(y) && y >= 0 && y < C)) throw new RangeError(`label ${y} of sample ${b} is not in 0..${C - 1}`);
    }
    return T;
  }

  // ---- batch-sized textures ----

  /**
   * Makes the batch textures hold Bt rows per tile, hTiles state tiles per parity, xTiles input
   * steps, `slices` gradient slices and a dA ring of `ring` tiles per parity (grow only).
   */
  private ensureBatch(Bt: number, hTiles: number, xTiles: number, slices: number, ring: number): BatchResources {
    const cur = this.batch;
    if (cur && cur.Bt >= Bt && cur.hTiles >= hTiles && cur.xTiles >= xTiles && cur.slices >= slices && cur.ring >= ring) return cur;
    const m = (v: number, old: number | undefined) => Math.max(v, old ?? 0);
    if (cur) this.freeBatch(cur);
    this.batch = null;
    this.batch = this.allocBatch(
      m(Bt, cur?.Bt),
      m(hTiles, cur?.hTiles),
      m(xTiles, cur?.xTiles),
      m(slices, cur?.slices),
      m(ring, cur?.ring),
    );
    return this.batch;
  }

  /** Columns of a tile grid holding `tiles` tiles of w x h texels within the texture size limit. */
  private grid(tiles: number, w: number, h: number, what: string): { cols: number; rows: number } {
    const maxCols = Math.floor(this.maxTex / w);
    const rows = Math.ceil(tiles / Math.max(1, maxCols));
    if (maxCols < 1 || rows * h > this.maxTex) {
      throw new RangeError(
        `fused-webgl: ${what} (${tiles} tiles of ${w} x ${h} texels) does not fit this GPU's ${this.maxTex} x ${this.maxTex} textures; use a smaller batch`,
      );
    }
    return { cols: Math.ceil(tiles / rows), rows };
  }

  private allocBatch(Bt: number, hTiles: number, xTiles: number, slices: number, ring: number): BatchResources {
    const r = this.res;
    const { N4, C4, D, gradRows } = this.L;
    const hg = this.grid(hTiles, N4, Bt, 'the hidden-state history');
    const dg = this.grid(ring, N4, Bt, 'the dA ring');
    const xg = this.grid(xTiles, D, Bt, 'the input sequence');
    const hW = hg.cols * N4,
      hH = hg.rows * Bt;
    const H: [WebGLTexture, WebGLTexture] = [r.texture(hW, hH, 'rgba32f'), r.texture(hW, hH, 'rgba32f')];
    const dW = dg.cols * N4,
      dH = dg.rows * Bt;
    const Dt: [WebGLTexture, WebGLTexture] = [r.texture(dW, dH, 'rgba32f'), r.texture(dW, dH, 'rgba32f')];
    const xW = xg.cols * D,
      xH = xg.rows * Bt;
    const X = r.texture(xW, xH, 'r32f');
    const LAB = r.texture(1, Bt, 'r32f');
    const DZ = r.texture(C4 + 1, Bt, 'rgba32f');
    // Four render targets of the 4 x 4 gradient blocks: partial row r in PG[r & 3], row r >> 2.
    const gq = Math.ceil(gradRows / 4);
    const PG: [WebGLTexture, WebGLTexture, WebGLTexture, WebGLTexture] = [
      r.texture(slices * N4, gq, 'rgba32f'),
      r.texture(slices * N4, gq, 'rgba32f'),
      r.texture(slices * N4, gq, 'rgba32f'),
      r.texture(slices * N4, gq, 'rgba32f'),
    ];
    const b: BatchResources = {
      Bt,
      hTiles,
      gc: hg.cols,
      xTiles,
      gcx: xg.cols,
      slices,
      ring,
      gcd: dg.cols,
      H,
      Dt,
      X,
      xW,
      xH,
      xStage: new Float32Array(xW * xH),
      LAB,
      DZ,
      PG,
      fbH: [r.framebuffer([H[0]]), r.framebuffer([H[1]])],
      fbD: [r.framebuffer([Dt[0]]), r.framebuffer([Dt[1]])],
      fbDZ: r.framebuffer([DZ]),
      fbPG: r.framebuffer(PG),
    };
    this.boundFb = undefined;
    return b;
  }

  private freeBatch(b: BatchResources): void {
    const r = this.res;
    for (const fb of [...b.fbH, ...b.fbD, b.fbDZ, b.fbPG]) r.deleteFramebuffer(fb);
    for (const t of [...b.H, ...b.Dt, b.X, b.LAB, b.DZ, ...b.PG]) r.deleteTexture(t);
  }

  /** Origin (texels) of state tile k. */
  private tile(b: BatchResources, k: number): [number, number] {
    return [(k % b.gc) * this.L.N4, Math.floor(k / b.gc) * b.Bt];
  }

  /** Origin (texels) of dA_t's tile in the dA ring (t 1-based). */
  private dTile(b: BatchResources, t: number): [number, number] {
    const k = ((t - 1) >> 1) % b.ring;
    return [(k % b.gcd) * this.L.N4, Math.floor(k / b.gcd) * b.Bt];
  }

  /** Origin of the input tile of step t (1-based). */
  private xTile(b: BatchResources, t: number): [number, number] {
    const k = t - 1;
    return [(k % b.gcx) * this.L.D, Math.floor(k / b.gcx) * b.Bt];
  }

  // ---- GL state ----

  private bindTex(unit: number, t: WebGLTexture | null): void {
    const gl = this.gl;
    gl.activeTexture(gl.TEXTURE0 + unit);
    gl.bindTexture(gl.TEXTURE_2D, t);
  }

  /** Puts every texture on its unit and resets the state a shared context may have changed. */
  private bindAll(b: BatchResources | null): void {
    const gl = this.gl;
    gl.disable(gl.BLEND);
    gl.disable(gl.DEPTH_TEST);
    gl.disable(gl.SCISSOR_TEST);
    gl.disable(gl.CULL_FACE);
    gl.disable(gl.STENCIL_TEST);
    gl.colorMask(true, true, true, true);
    gl.bindVertexArray(this.vao);
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 4);
    gl.pixelStorei(gl.PACK_ALIGNMENT, 4);
    gl.bindBuffer(gl.PIXEL_UNPACK_BUFFER, null);
    this.boundFb = undefined;
    this.bindTex(U.P, this.P[this.cur]);
    this.bindTex(U.S1, this.S1 ? this.S1[this.cur] : null);
    this.bindTex(U.S2, this.S2 ? this.S2[this.cur] : null);
    this.bindTex(U.G, this.G);
    this.bindTex(U.RS, this.RS);
    this.bindTex(U.NORM, this.NORM);
    if (b) {
      this.bindTex(U.X, b.X);
      this.bindTex(U.H0, b.H[0]);
      this.bindTex(U.H1, b.H[1]);
      this.bindTex(U.D0, b.Dt[0]);
      this.bindTex(U.D1, b.Dt[1]);
      this.bindTex(U.DZ, b.DZ);
      this.bindTex(U.LAB, b.LAB);
      this.bindTex(U.PG, b.PG[0]);
      this.bindTex(U.PG1, b.PG[1]);
      this.bindTex(U.PG2, b.PG[2]);
      this.bindTex(U.PG3, b.PG[3]);
    }
  }

  private draw(fb: WebGLFramebuffer, x: number, y: number, w: number, h: number): void {
    const gl = this.gl;
    if (this.boundFb !== fb) {
      gl.bindFramebuffer(gl.FRAMEBUFFER, fb);
      this.boundFb = fb;
    }
    gl.viewport(x, y, w, h);
    gl.drawArrays(gl.TRIANGLES, 0, 3);
    this.draws++;
  }

  /** Uploads x [B][T][D] into the input tiles and labels [B] into the label column. */
  private upload(b: BatchResources, x: ArrayLike<number>, labels: ArrayLike<number>, B: number, T: number): void {
    const gl = this.gl,
      D = this.inputSize;
    const stage = b.xStage,
      W = b.xW;
    for (let t = 1; t <= T; t++) {
      const [ox, oy] = this.xTile(b, t);
      for (let s = 0; s < B; s++) {
        const src = (s * T + t - 1) * D,
          dst = (oy + s) * W + ox;
        for (let d = 0; d < D; d++) stage[dst + d] = x[src + d];
      }
    }
    const rows = Math.floor((Math.min(T, b.xTiles) - 1) / b.gcx + 1) * b.Bt;
    this.bindTex(U.X, b.X);
    gl.texSubImage2D(gl.TEXTURE_2D, 0, 0, 0, W, rows, gl.RED, gl.FLOAT, stage, 0);
    const lab = new Float32Array(B);
    for (let s = 0; s < B; s++) lab[s] = labels[s];
    this.bindTex(U.LAB, b.LAB);
    gl.texSubImage2D(gl.TEXTURE_2D, 0, 0, 0, 1, B, gl.RED, gl.FLOAT, lab, 0);
  }

  // ---- passes ----

  /**
   * Forward pass of the uploaded batch: T draws. `history` true keeps every h_t (tile (t-1)>>1 of
   * parity t&1, for BPTT); false ping-pongs tile 0 of the two parity textures (evaluation).
   * Returns the origin of h_T's tile.
   */
  private forward(b: BatchResources, B: number, T: number, history: boolean): [number, number] {
    const gl = this.gl,
      p = this.progs.forward,
      N4 = this.L.N4;
    gl.useProgram(p.program);
    this.setTileUniforms(p, b);
    gl.uniform1i(p.loc('uHist'), history ? 1 : 0);
    const uStep = p.loc('uStep'),
      uHprev = p.loc('uHprev');
    let out: [number, number] = [0, 0];
    for (let t = 1; t <= T; t++) {
      out = this.tile(b, history ? (t - 1) >> 1 : 0);
      gl.uniform1i(uStep, t);
      // Step t reads the other parity's texture (h_{t-1}); at t = 1 any unit that is not written will do.
      gl.uniform1i(uHprev, (t & 1) === 1 ? U.H0 : U.H1);
      this.draw(b.fbH[t & 1], out[0], out[1], N4, B);
    }
    return out;
  }

  /** The tile-grid uniforms of shaders.ts TILES (constant for a batch allocation). */
  private setTileUniforms(p: GlProgram, b: BatchResources): void {
    const gl = this.gl;
    gl.uniform1i(p.loc('uGC'), b.gc);
    gl.uniform1i(p.loc('uBT'), b.Bt);
    gl.uniform1i(p.loc('uGCX'), b.gcx);
    gl.uniform1i(p.loc('uRing'), b.ring);
    gl.uniform1i(p.loc('uGCD'), b.gcd);
  }

  /**
   * Readout draw (all columns with `withGrad`, else only the (CE, correct) column), then the
   * (CE sum, correct count) of its B rows into STATS texel `slot`. hT: origin of h_T's tile.
   */
  private readoutAndLoss(
    b: BatchResources,
    B: number,
    T: number,
    hT: [number, number],
    scale: number,
    slot: number,
    withGrad: boolean,
  ): void {
    const gl = this.gl,
      C4 = this.L.C4;
    const p = this.progs.readout;
    gl.useProgram(p.program);
    gl.uniform1i(p.loc('uHT'), (T & 1) === 1 ? U.H1 : U.H0);
    gl.uniform2i(p.loc('uHo'), hT[0], hT[1]);
    gl.uniform1f(p.loc('uScale'), scale);
    if (withGrad) this.draw(b.fbDZ, 0, 0, C4 + 1, B);
    else this.draw(b.fbDZ, C4, 0, 1, B);
    const s = this.progs.lossSum;
    gl.useProgram(s.program);
    gl.uniform1i(s.loc('uB'), B);
    this.draw(this.fbStats, slot, 0, 1, 1);
  }

  /**
   * BPTT interleaved with the gradient partial sums: dA_T from the readout, then dA_t for t = T-1..1
   * (one draw each), and after each chunk of `perChunk` time slices one draw of that chunk's partial
   * sums (it reads dA from the ring before later steps reuse the tiles). Finally one reduce draw
   * writes the gradient block G.
   */
  private backwardAndGradients(b: BatchResources, B: number, T: number, hT: [number, number]): void {
    const gl = this.gl,
      { N4, R, gradRows } = this.L;
    const { Tc, S, perChunk } = this.plan(B, T);
    const last = this.progs.backwardLast,
      step = this.progs.backward,
      part = this.progs.gradPartial;
    gl.useProgram(part.program);
    gl.uniform1i(part.loc('uB'), B);
    gl.uniform1i(part.loc('uT'), T);
    gl.uniform1i(part.loc('uTc'), Tc);
    this.setTileUniforms(part, b);
    gl.useProgram(step.program);
    this.setTileUniforms(step, b);
    gl.useProgram(last.program);
    const dT = this.dTile(b, T);
    gl.uniform1i(last.loc('uH'), (T & 1) === 1 ? U.H1 : U.H0);
    gl.uniform2i(last.loc('uOut'), dT[0], dT[1]);
    gl.uniform2i(last.loc('uHo'), hT[0], hT[1]);
    this.draw(b.fbD[T & 1], dT[0], dT[1], N4, B);
    const uH = step.loc('uH'),
      uDn = step.loc('uDn'),
      uStep = step.loc('uStep');
    let t = T - 1;
    for (let s1 = S; s1 > 0; s1 -= perChunk) {
      const s0 = Math.max(0, s1 - perChunk);
      const tLo = s0 * Tc + 1;
      if (t >= tLo) gl.useProgram(step.program);
      for (; t >= tLo; t--) {
        const o = this.dTile(b, t);
        const odd = (t & 1) === 1;
        gl.uniform1i(uStep, t);
        gl.uniform1i(uH, odd ? U.H1 : U.H0);
        gl.uniform1i(uDn, odd ? U.D0 : U.D1);
        this.draw(b.fbD[t & 1], o[0], o[1], N4, B);
      }
      gl.useProgram(part.program);
      this.draw(b.fbPG, s0 * N4, 0, (s1 - s0) * N4, Math.ceil(gradRows / 4));
    }
    const r = this.progs.gradReduce;
    gl.useProgram(r.program);
    gl.uniform1i(r.loc('uS'), S);
    gl.uniform1i(r.loc('uB'), B);
    gl.uniform1i(r.loc('uHT'), (T & 1) === 1 ? U.H1 : U.H0);
    gl.uniform2i(r.loc('uHo'), hT[0], hT[1]);
    this.draw(this.fbG, 0, 0, N4, R);
  }

  /** Global gradient norm (2 draws, only with clipping), then the optimiser update (1 draw, MRT). */
  private update(): void {
    const gl = this.gl,
      { N4, R } = this.L;
    if (this.clip > 0 && this.fbRS && this.fbNorm) {
      gl.useProgram(this.progs.rowSquares.program);
      this.draw(this.fbRS, 0, 0, 1, R);
      gl.useProgram(this.progs.norm.program);
      this.draw(this.fbNorm, 0, 0, 1, 1);
    }
    const p = this.progs.optimizer;
    gl.useProgram(p.program);
    if (this.optimizer === 'adam') {
      gl.uniform1f(p.loc('uOma1'), Math.fround(1 - this.accBeta1));
      gl.uniform1f(p.loc('uOma2'), Math.fround(1 - this.accBeta2));
    }
    const next = 1 - this.cur;
    this.draw(this.fbOpt[next], 0, 0, N4, R);
    this.cur = next;
    // The new set goes on the sampler units; the old one is left unbound (it is the next target).
    this.bindTex(U.P, this.P[next]);
    if (this.S1 && this.S2) {
      this.bindTex(U.S1, this.S1[next]);
      this.bindTex(U.S2, this.S2[next]);
    }
    if (this.optimizer === 'adam') {
      this.accBeta1 = Math.fround(this.accBeta1 * Math.fround(BETA1));
      this.accBeta2 = Math.fround(this.accBeta2 * Math.fround(BETA2));
    }
  }

  /**
   * One optimiser step on x [B*T*D] (row-major [B][T][D]) with labels [B] (0..C-1): forward, BPTT,
   * optional clipping and the update, all queued on the GPU. Resolves with the batch loss before the
   * update (mean or sum CE, as configured) and the number of correct argmaxes, read back asynchronously.
   */
  trainStep(x: ArrayLike<number>, labels: ArrayLike<number>, B: number): Promise<{ loss: number; correct: number }> {
    return this.serial(() => this.trainStepNow(x, labels, B));
  }

  private async trainStepNow(x: ArrayLike<number>, labels: ArrayLike<number>, B: number): Promise<{ loss: number; correct: number }> {
    const T = this.checkBatch(x, labels, B);
    const plan = this.plan(B, T);
    const b = this.ensureBatch(B, Math.ceil(T / 2), T, plan.S, plan.ring);
    this.bindAll(b);
    this.draws = 0;
    this.upload(b, x, labels, B, T);
    const hT = this.forward(b, B, T, true);
    const scale = this.reduction === 'mean' ? 1 / B : 1;
    this.readoutAndLoss(b, B, T, hT, scale, 0, true);
    queueReadPixels(this.gl, this.fbStats, 0, 0, 1, 1, this.pboStats);
    this.boundFb = undefined;
    // The loss is ready once the readout has run: fence there, not after the whole step.
    const sync = fence(this.gl);
    this.backwardAndGradients(b, B, T, hT);
    this.update();
    // Hand the rest of the step to the GPU now, so it runs while the CPU waits and prepares the next batch.
    this.gl.flush();
    this.drawsPerStep = this.draws;
    const stats = await fetchBuffer(this.gl, this.pboStats, new Float32Array(4), sync);
    return { loss: stats[0] * scale, correct: Math.round(stats[1]) };
  }

  /**
   * Mean per-sample CE at the last step and accuracy on x [B][T][D] with labels [B], in chunks of
   * the training batch's size (64 before any training), keeping no state history.
   */
  evaluate(x: ArrayLike<number>, labels: ArrayLike<number>, B: number): Promise<{ loss: number; acc: number }> {
    return this.serial(() => this.evaluateNow(x, labels, B));
  }

  private async evaluateNow(x: ArrayLike<number>, labels: ArrayLike<number>, B: number): Promise<{ loss: number; acc: number }> {
    const T = this.checkBatch(x, labels, B);
    const D = this.inputSize;
    const chunk = this.batch ? this.batch.Bt : Math.min(B, 64);
    const b = this.ensureBatch(chunk, 1, T, 1, 1);
    this.bindAll(b);
    const xs = ArrayBuffer.isView(x) ? (x as unknown as Float32Array) : Float32Array.from(x);
    let ceSum = 0,
      correct = 0,
      slot = 0;
    const flush = async () => {
      if (slot === 0) return;
      queueReadPixels(this.gl, this.fbStats, 0, 0, slot, 1, this.pboStats);
      this.boundFb = undefined;
      const stats = await fetchBuffer(this.gl, this.pboStats, new Float32Array(4 * slot));
      for (let k = 0; k < slot; k++) {
        ceSum += stats[4 * k];
        correct += Math.round(stats[4 * k + 1]);
      }
      slot = 0;
      this.bindAll(b);
    };
    for (let start = 0; start < B; start += chunk) {
      const size = Math.min(chunk, B - start);
      const lab = Array.prototype.slice.call(labels, start, start + size) as number[];
      this.upload(b, xs.subarray(start * T * D, (start + size) * T * D), lab, size, T);
      const hT = this.forward(b, size, T, false);
      this.readoutAndLoss(b, size, T, hT, 0, slot, false);
      slot++;
      if (slot === EVAL_SLOTS) await flush();
    }
    await flush();
    return { loss: ceSum / B, acc: correct / B };
  }

  // ---- weights ----

  /** Floats per block row. */
  private get rowFloats(): number {
    return 4 * this.L.N4;
  }

  /** Packs the six tensors into the parameter-block layout (shaders.ts). */
  private pack(w: Record<RnnTensorName, { data: ArrayLike<number> }>): Float32Array {
    const { N, D, C, R, rowWih, rowBih, rowBhh, rowFc, rowFcb } = this.L;
    const RW = this.rowFloats;
    const out = new Float32Array(R * RW);
    const hh = w.weight_hh_l0.data,
      ih = w.weight_ih_l0.data,
      fc = w['fc.weight'].data;
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < N; j++) out[j * RW + i] = hh[i * N + j];
      for (let d = 0; d < D; d++) out[(rowWih + d) * RW + i] = ih[i * D + d];
      out[rowBih * RW + i] = w.bias_ih_l0.data[i];
      out[rowBhh * RW + i] = w.bias_hh_l0.data[i];
    }
    for (let c = 0; c < C; c++) {
      for (let j = 0; j < N; j++) out[(rowFc + c) * RW + j] = fc[c * N + j];
      out[rowFcb * RW + c] = w['fc.bias'].data[c];
    }
    return out;
  }

  /** The inverse of pack: PyTorch-named tensors from a block read back from the GPU. */
  private unpack(block: Float32Array): RnnWeights {
    const { N, D, C, rowWih, rowBih, rowBhh, rowFc, rowFcb } = this.L;
    const RW = this.rowFloats;
    const out = {} as RnnWeights;
    for (const n of RNN_TENSOR_NAMES)
      out[n] = { shape: this.shapes[n].slice(), data: new Float32Array(this.shapes[n].reduce((a, b) => a * b, 1)) };
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < N; j++) out.weight_hh_l0.data[i * N + j] = block[j * RW + i];
      for (let d = 0; d < D; d++) out.weight_ih_l0.data[i * D + d] = block[(rowWih + d) * RW + i];
      out.bias_ih_l0.data[i] = block[rowBih * RW + i];
      out.bias_hh_l0.data[i] = block[rowBhh * RW + i];
    }
    for (let c = 0; c < C; c++) {
      for (let j = 0; j < N; j++) out['fc.weight'].data[c * N + j] = block[(rowFc + c) * RW + j];
      out['fc.bias'].data[c] = block[rowFcb * RW + c];
    }
    return out;
  }

  private async readBlock(fb: WebGLFramebuffer): Promise<RnnWeights> {
    this.checkUsable();
    const { N4, R } = this.L;
    const bytes = N4 * R * 16;
    const pbo = this.res.packBuffer(bytes);
    try {
      queueReadPixels(this.gl, fb, 0, 0, N4, R, pbo);
      this.boundFb = undefined;
      const block = await fetchBuffer(this.gl, pbo, new Float32Array(N4 * R * 4));
      return this.unpack(block);
    } finally {
      this.res.deleteBuffer(pbo);
    }
  }

  /** Copies of all six tensors (PyTorch names and shapes), read back asynchronously. */
  getWeights(): Promise<RnnWeights> {
    return this.serial(() => this.readBlock(this.fbP[this.cur]));
  }

  /** The gradients of the last training step (before clipping), all six tensors, read back asynchronously. */
  getGradients(): Promise<RnnWeights> {
    return this.serial(() => this.readBlock(this.fbG));
  }

  /** Overwrites the parameters (same checks as RnnModel.setWeights); optimiser state is kept. */
  setWeights(weights: Record<RnnTensorName, { shape: readonly number[]; data: ArrayLike<number> }>): void {
    this.checkUsable();
    checkWeightsFor(weights, (n) => this.shapes[n], this.hasBias);
    const gl = this.gl,
      { N4, R } = this.L;
    this.bindTex(U.P, this.P[this.cur]);
    gl.bindBuffer(gl.PIXEL_UNPACK_BUFFER, null);
    gl.texSubImage2D(gl.TEXTURE_2D, 0, 0, 0, N4, R, gl.RGBA, gl.FLOAT, this.pack(weights), 0);
  }

  /** Loses the WebGL context on purpose (rehearsals of a GPU reset); false when the extension is missing. */
  loseContext(): boolean {
    const ext = this.gl.getExtension('WEBGL_lose_context');
    ext?.loseContext();
    return ext !== null;
  }

  /** Frees every texture, framebuffer, buffer and program; releases the context when it is our own. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.batch = null;
    this.res.dispose();
    this.gl.deleteVertexArray(this.vao);
    if (this.ownsContext) this.gl.getExtension('WEBGL_lose_context')?.loseContext();
  }
}

/**
 * Whether this realm (page or worker) can run the fused-webgl engine: a WebGL2 context with float32
 * render targets. Makes a throwaway context (released at once) and compiles nothing; the renderer
 * string says which GPU (or SwiftShader) would run it, `reason` why not.
 */
export function fusedWebglSupport(): { ok: true; renderer: string } | { ok: false; reason: string } {
  let gl: WebGL2RenderingContext;
  try {
    gl = createOwnContext();
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
  try {
    requireFloatRendering(gl);
    return { ok: true, renderer: rendererOf(gl) };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  } finally {
    gl.getExtension('WEBGL_lose_context')?.loseContext();
  }
}

/** The Trainer of the fused-webgl engine, with its GPU figures. */
export interface FusedWebglTrainer extends Trainer {
  /** Draw calls of the last training step. */
  readonly drawsPerStep: number;
  /** Bytes of GPU textures and buffers held now (0 after dispose). */
  readonly gpuBytes: number;
  /** The WebGL renderer string. */
  readonly renderer: string;
  /** True when the WebGL context is lost. */
  isLost(): boolean;
  /** Loses the context on purpose (rehearsal of a GPU reset). */
  loseContext(): boolean;
}

/**
 * The fused-webgl engine behind the Trainer interface: a new model from `options` (seeded init as
 * RnnModel / FastRnn) on `gl`, or on a WebGL2 context of its own when none is given (a given
 * context's texture, framebuffer and program bindings are changed by every call). Rejects when
 * WebGL2 or float32 render targets are missing.
 */
export async function createFusedWebglTrainer(options: RnnModelOptions, gl?: WebGL2RenderingContext): Promise<FusedWebglTrainer> {
  const model = await FusedWebglRnn.create(options, gl);
  return {
    engine: 'fused-webgl',
    reduction: model.reduction,
    renderer: model.renderer,
    get drawsPerStep() {
      return model.drawsPerStep;
    },
    get gpuBytes() {
      return model.gpuBytes;
    },
    isLost: () => model.isLost(),
    loseContext: () => model.loseContext(),
    trainBatch: (x, labels, B) => model.trainStep(x, labels, B),
    evaluate: (x, labels, B) => model.evaluate(x, labels, B),
    getWeights: () => model.getWeights(),
    setWeights: (w) => model.setWeights(w),
    dispose: () => model.dispose(),
  };
}
