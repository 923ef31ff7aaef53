/**
 * Loss evaluators for flipped inputs.
 *
 * A flip job is (probe b, set of 0-based steps); its loss is the cross-entropy at the last step
 * of the model run on probe b's input with every component of the selected steps flipped
 * (x < 0.001 -> 1, else 0). Two evaluators implement the same interface:
 *  - createRecurrentFlipEvaluator: float64 RNN/GRU/LSTM in plain TS that caches each probe's base
 *    trajectory. A flip at steps S changes nothing before min(S), so a job restarts from the
 *    cached state h_{min(S)} (index = number of steps already taken): random sets then cost about
 *    half a forward pass, "last-k" and single late pixels almost nothing.
 *  - evaluatorFromBatch: wraps any batched full-sequence evaluator (e.g. tfjs on the GPU) by
 *    materialising the flipped sequences in chunks.
 */
import { flipValue } from './scores';
import { getAnalysisKernels, RNN_LANES, type RnnLaneRunner } from '../kernels';

/** One flip job: probe index b and the 0-based steps to flip (no duplicates, any order). */
export interface FlipJob {
  probe: number;
  steps: ArrayLike<number>;
}

/** Evaluates last-step cross-entropies (nats) of flipped probes. */
export interface FlipEvaluator {
  B: number;
  T: number;
  D: number;
  /** Cross-entropy of each unflipped probe [B]. */
  baseLoss: Float64Array;
  /** Cross-entropy after each job's flips [M]. */
  losses(jobs: FlipJob[]): Float64Array;
  /** Logits [M][C] flat after each job's flips (C = classes), when the backend can give them. */
  logits?(jobs: FlipJob[]): { logits: Float64Array; C: number };
}

/**
 * Batched full-sequence loss evaluator: inputs flat [M][T][D], labels [M] -> CE at the last step
 * [M]. `probes` [M] says which probe each sequence was made from (for per-probe h0).
 */
export type EvalLosses = (inputs: Float64Array, labels: Int32Array, probes: Int32Array) => Float64Array;

/**
 * Copies probe `b`'s sequence [T*D] from `inputs` into `out` at `outOffset`, flipping every
 * component of the listed steps.
 */
export function writeFlippedSequence(
  inputs: ArrayLike<number>,
  b: number,
  T: number,
  D: number,
  steps: ArrayLike<number>,
  out: Float64Array,
  outOffset: number,
): void {
  const src = b * T * D;
  for (let i = 0; i < T * D; i++) out[outOffset + i] = inputs[src + i];
  for (let j = 0; j < steps.length; j++) {
    const o = steps[j] * D;
    for (let d = 0; d < D; d++) out[outOffset + o + d] = flipValue(inputs[src + o + d]);
  }
}

/**
 * Wraps a batched evaluator `evalLosses(inputs [M*T*D], labels [M], probes [M]) -> [M]` as a FlipEvaluator.
 * Jobs are sent in chunks of at most `maxBatch` sequences (default: ~32 MB of float64 inputs).
 */
export function evaluatorFromBatch(
  evalLosses: EvalLosses,
  inputs: ArrayLike<number>,
  labels: ArrayLike<number>,
  B: number,
  T: number,
  D: number,
  maxBatch = Math.max(1, Math.floor(4_000_000 / (T * D))),
): FlipEvaluator {
  const run = (jobs: FlipJob[]): Float64Array => {
    const out = new Float64Array(jobs.length);
    for (let start = 0; start < jobs.length; start += maxBatch) {
      const M = Math.min(maxBatch, jobs.length - start);
      const x = new Float64Array(M * T * D);
      const y = new Int32Array(M);
      const probes = new Int32Array(M);
      for (let m = 0; m < M; m++) {
        const job = jobs[start + m];
        writeFlippedSequence(inputs, job.probe, T, D, job.steps, x, m * T * D);
        y[m] = labels[job.probe];
        probes[m] = job.probe;
      }
      const l = evalLosses(x, y, probes);
      if (l.length !== M) throw new RangeError(`evalLosses returned ${l.length} losses for ${M} sequences`);
      out.set(l, start);
    }
    return out;
  };
  const baseLoss = run(Array.from({ length: B }, (_, b) => ({ probe: b, steps: [] })));
  return { B, T, D, baseLoss, losses: run };
}

/** Architectures the float64 evaluator implements (PyTorch semantics and gate order). */
export type RecurrentArch = 'rnn' | 'gru' | 'lstm';

/**
 * Float64 weights in the PyTorch layout (structurally compatible with formats/model.ts
 * ModelWeights): weight_ih_l0 [G*N][D], weight_hh_l0 [G*N][N], bias_ih_l0 / bias_hh_l0 [G*N],
 * fc.weight [C][N], fc.bias [C]; G = 1 (rnn), 3 (gru: r, z, n), 4 (lstm: i, f, g, o).
 */
export interface RecurrentWeights {
  arch: RecurrentArch;
  inputSize: number;
  hiddenSize: number;
  numClasses: number;
  tensors: {
    weight_ih_l0: Float64Array;
    weight_hh_l0: Float64Array;
    bias_ih_l0: Float64Array;
    bias_hh_l0: Float64Array;
    'fc.weight': Float64Array;
    'fc.bias': Float64Array;
  };
}

const GATE_COUNT: Record<RecurrentArch, number> = { rnn: 1, gru: 3, lstm: 4 };

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** The cached float64 evaluator, with access to its base trajectories. */
export interface RecurrentFlipEvaluator extends FlipEvaluator {
  logits(jobs: FlipJob[]): { logits: Float64Array; C: number };
  /** State size S (N, or 2N for LSTM [h; c]). */
  S: number;
  /** Base states per probe: states[b] flat [(T+1)][S], index t = state after t steps (0 = h0). */
  states: Float64Array[];
  /** Logits of the unflipped probes [B][C] flat. */
  baseLogits: Float64Array;
  /**
   * Sets (or clears, with null) a listener told how many jobs were just finished, as they finish:
   * progress reporting for long flip tests. Results do not depend on it.
   */
  onJobsDone(listener: ((jobs: number) => void) | null): void;
}

/** Throws a RangeError unless `inputs` holds B*T*D values and the model's input_size is D. */
export function checkProbeInputs(weights: { inputSize: number }, inputs: ArrayLike<number>, B: number, T: number, D: number): void {
  if (weights.inputSize !== D) throw new RangeError(`model input_size ${weights.inputSize} != D = ${D}`);
  if (inputs.length !== B * T * D) throw new RangeError(`inputs has ${inputs.length} values, expected B*T*D = ${B * T * D}`);
}

/**
 * Input drives of every probe step, for the original and for the flipped x_t (flipValue per pixel):
 * drive[r][g] = b_ih[g] (+ b_hh[g] but for the GRU) + sum_d W_ih[g][d] x_r[d], summed in float64 and
 * stored in the arrays' own precision. inputs [rows][D] flat (rows = B*T); drive and flipped
 * [rows][G*N]. Shared by the CPU evaluator and the GPU analysis engine, so both flip the same inputs.
 */
export function writeInputDrives(
  weights: Pick<RecurrentWeights, 'arch' | 'inputSize' | 'hiddenSize' | 'tensors'>,
  inputs: ArrayLike<number>,
  rows: number,
  drive: Float64Array | Float32Array,
  flipped: Float64Array | Float32Array,
): void {
  const D = weights.inputSize;
  const Wih = weights.tensors.weight_ih_l0;
  const bih = weights.tensors.bias_ih_l0;
  const bhh = weights.tensors.bias_hh_l0;
  const GN = GATE_COUNT[weights.arch] * weights.hiddenSize;
  // For rnn and lstm b_hh is folded in (it always adds to the pre-activation); the GRU keeps b_hn
  // inside r * (W_hn h + b_hn).
  const foldBhh = weights.arch !== 'gru';
  const xf = new Float64Array(D);
  for (let bt = 0; bt < rows; bt++) {
    const xo = bt * D;
    for (let d = 0; d < D; d++) xf[d] = flipValue(inputs[xo + d]);
    for (let g = 0; g < GN; g++) {
      let a = bih[g] + (foldBhh ? bhh[g] : 0);
      let af = a;
      const wo = g * D;
      for (let d = 0; d < D; d++) {
        a += Wih[wo + d] * inputs[xo + d];
        af += Wih[wo + d] * xf[d];
      }
      drive[bt * GN + g] = a;
      flipped[bt * GN + g] = af;
    }
  }
}

/**
 * Builds the cached float64 evaluator. inputs flat [B][T][D], labels [B], h0 [B][N] and (LSTM)
 * c0 [B][N] optional (zeros). Precomputes, per probe and step, the input drive
 * W_ih x_t + b_ih for the original and for the flipped x_t, and the base trajectory.
 * Cost per job: (T - min(steps)) recurrent steps of O(G N (N + 1)).
 */
export function createRecurrentFlipEvaluator(
  weights: RecurrentWeights,
  inputs: ArrayLike<number>,
  labels: ArrayLike<number>,
  B: number,
  T: number,
  D: number,
  h0?: ArrayLike<number>,
  c0?: ArrayLike<number>,
): RecurrentFlipEvaluator {
  const { arch, hiddenSize: N, numClasses: C } = weights;
  checkProbeInputs(weights, inputs, B, T, D);
  const G = GATE_COUNT[arch];
  const GN = G * N;
  const S = arch === 'lstm' ? 2 * N : N;
  const Whh = weights.tensors.weight_hh_l0;
  const bhh = weights.tensors.bias_hh_l0;
  const Wfc = weights.tensors['fc.weight'];
  const bfc = weights.tensors['fc.bias'];

  // Input drives [B][T][GN] for original and flipped inputs (b_hh folded in but for the GRU).
  const drive = new Float64Array(B * T * GN);
  const flippedDrive = new Float64Array(B * T * GN);
  writeInputDrives(weights, inputs, B * T, drive, flippedDrive);

  const pre = new Float64Array(GN); // W_hh h (+ b_hh for gru)
  /** One step: state `src` (offset so) -> `dst` (offset dO), input drive u at offset uo. */
  const step = (src: Float64Array, so: number, u: Float64Array, uo: number, dst: Float64Array, dO: number) => {
    if (arch === 'rnn') {
      for (let i = 0; i < N; i++) {
        let a = u[uo + i];
        const wo = i * N;
        for (let j = 0; j < N; j++) a += Whh[wo + j] * src[so + j];
        pre[i] = a;
      }
      for (let i = 0; i < N; i++) dst[dO + i] = Math.tanh(pre[i]);
      return;
    }
    for (let g = 0; g < GN; g++) {
      let a = arch === 'gru' ? bhh[g] : 0;
      const wo = g * N;
      for (let j = 0; j < N; j++) a += Whh[wo + j] * src[so + j];
      pre[g] = a;
    }
    if (arch === 'gru') {
      for (let i = 0; i < N; i++) {
        const r = sigmoid(u[uo + i] + pre[i]);
        const z = sigmoid(u[uo + N + i] + pre[N + i]);
        const n = Math.tanh(u[uo + 2 * N + i] + r * pre[2 * N + i]);
        dst[dO + i] = (1 - z) * n + z * src[so + i];
      }
    } else {
      for (let i = 0; i < N; i++) {
        const ig = sigmoid(u[uo + i] + pre[i]);
        const fg = sigmoid(u[uo + N + i] + pre[N + i]);
        const gg = Math.tanh(u[uo + 2 * N + i] + pre[2 * N + i]);
        const og = sigmoid(u[uo + 3 * N + i] + pre[3 * N + i]);
        const c = fg * src[so + N + i] + ig * gg;
        dst[dO + N + i] = c;
        dst[dO + i] = og * Math.tanh(c);
      }
    }
  };

  const readout = (h: Float64Array, ho: number, out: Float64Array, oo: number) => {
    for (let c = 0; c < C; c++) {
      let z = bfc[c];
      for (let j = 0; j < N; j++) z += Wfc[c * N + j] * h[ho + j];
      out[oo + c] = z;
    }
  };
  const crossEntropy = (z: Float64Array, zo: number, y: number) => {
    let mx = -Infinity;
    for (let c = 0; c < C; c++) mx = Math.max(mx, z[zo + c]);
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(z[zo + c] - mx);
    return mx + Math.log(s) - z[zo + y];
  };

  // Base trajectories.
  const states: Float64Array[] = [];
  const baseLogits = new Float64Array(B * C);
  const baseLoss = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    const st = new Float64Array((T + 1) * S);
    if (h0) for (let i = 0; i < N; i++) st[i] = h0[b * N + i];
    if (c0 && arch === 'lstm') for (let i = 0; i < N; i++) st[N + i] = c0[b * N + i];
    for (let t = 0; t < T; t++) step(st, t * S, drive, (b * T + t) * GN, st, (t + 1) * S);
    states.push(st);
    readout(st, T * S, baseLogits, b * C);
    baseLoss[b] = crossEntropy(baseLogits, b * C, labels[b]);
  }

  const mask = new Uint8Array(T);
  const bufA = new Float64Array(S);
  const bufB = new Float64Array(S);
  /** Runs one job and writes its logits to out[oo..oo+C). */
  const runJob = (job: FlipJob, out: Float64Array, oo: number) => {
    const b = job.probe;
    const steps = job.steps;
    if (steps.length === 0) {
      for (let c = 0; c < C; c++) out[oo + c] = baseLogits[b * C + c];
      return;
    }
    let t0 = T;
    for (let j = 0; j < steps.length; j++) {
      mask[steps[j]] = 1;
      if (steps[j] < t0) t0 = steps[j];
    }
    const st = states[b];
    let cur = bufA;
    let nxt = bufB;
    cur.set(st.subarray(t0 * S, (t0 + 1) * S));
    for (let t = t0; t < T; t++) {
      step(cur, 0, mask[t] ? flippedDrive : drive, (b * T + t) * GN, nxt, 0);
      const tmp = cur;
      cur = nxt;
      nxt = tmp;
    }
    for (let j = 0; j < steps.length; j++) mask[steps[j]] = 0;
    readout(cur, 0, out, oo);
  };

  // Vanilla RNN fast path: RNN_LANES jobs of one probe advance together on the current
  // AnalysisKernels (pure JS or WASM SIMD), so every W_hh entry loaded serves 8 state vectors. Jobs are
  // sorted by their first flipped step; a block starts at its smallest one, where every lane still
  // equals the cached base state (a lane whose flips start later just recomputes a few base steps).
  const LANES = RNN_LANES;
  const laneMask = arch === 'rnn' ? new Uint8Array(LANES * T) : null;
  const H = new Float64Array(LANES * N);
  const laneState = new Float64Array(N);
  let lanes: RnnLaneRunner | null = null;
  let jobsDone: ((jobs: number) => void) | null = null;
  /** Writes logits of every job to out[m*C..] (rnn only). */
  const runRnnBlocks = (jobs: FlipJob[], out: Float64Array) => {
    const mask = laneMask!;
    lanes ??= getAnalysisKernels().rnnLanes(Whh, N, drive, flippedDrive, B, T);
    for (const { probe: b, jobs: block, tStart } of flipBlocks(jobs, T, LANES)) {
      const st = states[b];
      if (tStart >= T) {
        for (const m of block) for (let c = 0; c < C; c++) out[m * C + c] = baseLogits[b * C + c];
        jobsDone?.(block.length);
        continue;
      }
      block.forEach((m, l) => {
        const steps = jobs[m].steps;
        for (let j = 0; j < steps.length; j++) mask[l * T + steps[j]] = 1;
      });
      for (let i = 0; i < N; i++) {
        const v = st[tStart * N + i];
        for (let l = 0; l < LANES; l++) H[i * LANES + l] = v;
      }
      lanes.run(b, tStart, mask, H);
      block.forEach((m, l) => {
        const steps = jobs[m].steps;
        for (let j = 0; j < steps.length; j++) mask[l * T + steps[j]] = 0;
        for (let i = 0; i < N; i++) laneState[i] = H[i * LANES + l];
        readout(laneState, 0, out, m * C);
      });
      jobsDone?.(block.length);
    }
  };

  const logits = (jobs: FlipJob[]) => {
    const out = new Float64Array(jobs.length * C);
    if (arch === 'rnn') runRnnBlocks(jobs, out);
    else
      jobs.forEach((job, m) => {
        runJob(job, out, m * C);
        jobsDone?.(1);
      });
    return { logits: out, C };
  };
  const losses = (jobs: FlipJob[]) => {
    const z = logits(jobs).logits;
    const out = new Float64Array(jobs.length);
    jobs.forEach((job, m) => (out[m] = crossEntropy(z, m * C, labels[job.probe])));
    return out;
  };
  const onJobsDone = (listener: ((jobs: number) => void) | null) => {
    jobsDone = listener;
  };
  return { B, T, D, S, baseLoss, baseLogits, states, losses, logits, onJobsDone };
}

/** One block of flip jobs that advance together: job indices into the call's list, all of one probe. */
export interface FlipBlock {
  probe: number;
  /** Indices of the block's jobs in the call's job list (at most `lanes`), by first flipped step. */
  jobs: number[];
  /** The block's first step: the smallest first flipped step of its jobs (T when none flips). */
  tStart: number;
}

/** First flipped step of a job (0-based; T when it flips nothing). */
function firstFlippedStep(job: FlipJob, T: number): number {
  let t0 = T;
  for (let j = 0; j < job.steps.length; j++) if (job.steps[j] < t0) t0 = job.steps[j];
  return t0;
}

/**
 * How the cached evaluator groups one call's jobs: per probe (in probe order), the probe's jobs
 * sorted by first flipped step (stable: ties keep call order), cut into blocks of `lanes`
 * (RNN_LANES for the vanilla RNN's lane kernel). A block's numbers depend on its own jobs only,
 * so whole blocks handed to another evaluator of the same probes (in call order) come out the
 * same bit for bit: the CLI's threads share one call that way (src/cli/parallelFlip.ts). A
 * block costs (T - tStart) replayed steps.
 */
export function flipBlocks(jobs: FlipJob[], T: number, lanes: number): FlipBlock[] {
  const byProbe = new Map<number, number[]>();
  const t0s = new Int32Array(jobs.length);
  jobs.forEach((job, m) => {
    t0s[m] = firstFlippedStep(job, T);
    const list = byProbe.get(job.probe);
    if (list) list.push(m);
    else byProbe.set(job.probe, [m]);
  });
  const blocks: FlipBlock[] = [];
  for (const b of [...byProbe.keys()].sort((x, y) => x - y)) {
    const list = byProbe.get(b)!.sort((x, y) => t0s[x] - t0s[y]);
    for (let start = 0; start < list.length; start += lanes) {
      const block = list.slice(start, start + lanes);
      blocks.push({ probe: b, jobs: block, tStart: t0s[block[0]] });
    }
  }
  return blocks;
}

/** The blocks createRecurrentFlipEvaluator runs one call's jobs in: 8 lanes for the vanilla RNN, one job at a time for the gated cells. */
export function evaluatorFlipBlocks(arch: RecurrentArch, jobs: FlipJob[], T: number): FlipBlock[] {
  return flipBlocks(jobs, T, arch === 'rnn' ? RNN_LANES : 1);
}

/**
 * Input gradients dL/dx_t of the last-step cross-entropy for a vanilla tanh RNN by BPTT through
 * the evaluator's cached base trajectories: delta_T = fc.weight^T (softmax(z_T) - onehot(y)),
 * g_t = (1 - h_t^2) * delta_t, dL/dx_t = W_ih^T g_t, delta_{t-1} = W_hh^T g_t.
 * Returns flat [B][T][D].
 */
export function rnnInputGradients(weights: RecurrentWeights, ev: RecurrentFlipEvaluator, labels: ArrayLike<number>): Float64Array {
  if (weights.arch !== 'rnn') throw new RangeError('rnnInputGradients needs arch rnn');
  const { hiddenSize: N, numClasses: C } = weights;
  const { B, T, D } = ev;
  const Wih = weights.tensors.weight_ih_l0;
  const Whh = weights.tensors.weight_hh_l0;
  const Wfc = weights.tensors['fc.weight'];
  const out = new Float64Array(B * T * D);
  const delta = new Float64Array(N);
  const g = new Float64Array(N);
  for (let b = 0; b < B; b++) {
    const z = ev.baseLogits.subarray(b * C, (b + 1) * C);
    let mx = -Infinity;
    for (let c = 0; c < C; c++) mx = Math.max(mx, z[c]);
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(z[c] - mx);
    delta.fill(0);
    for (let c = 0; c < C; c++) {
      const p = Math.exp(z[c] - mx) / s - (c === labels[b] ? 1 : 0);
      for (let j = 0; j < N; j++) delta[j] += Wfc[c * N + j] * p;
    }
    const st = ev.states[b];
    for (let t = T - 1; t >= 0; t--) {
      const ho = (t + 1) * N; // h after step t+1 (1-based), i.e. 0-based step t
      for (let i = 0; i < N; i++) g[i] = (1 - st[ho + i] * st[ho + i]) * delta[i];
      for (let d = 0; d < D; d++) {
        let a = 0;
        for (let i = 0; i < N; i++) a += Wih[i * D + d] * g[i];
        out[(b * T + t) * D + d] = a;
      }
      for (let j = 0; j < N; j++) {
        let a = 0;
        for (let i = 0; i < N; i++) a += Whh[i * N + j] * g[i];
        delta[j] = a;
      }
    }
  }
  return out;
}
