#!/usr/bin/env node
/**
 * fast-wasm against tuned PyTorch, step by step and interleaved (for a shared, busy machine, where
 * two benchmarks run minutes apart see different loads): per T:N, the contenders are fast-wasm on
 * 1 and on all-core threads (threaded.ts, worker_threads, WASM SIMD kernels) and PyTorch on one
 * thread and on all cores (scripts/bench_torch.py --serve: denormals flushed, its BLAS reported),
 * each a live model; every round runs ONE training step of each contender, in an order rotated
 * every round, so a busy spell hits all of them alike. Same model and step as `npm run bench`
 * (batch 64, Adam 1e-3, mean CE of the last step; inputs in [0, 1)).
 * Prints progress on stderr and ONE JSON line last on stdout:
 *   {"machine": {...}, "results": [{T, N, contender, median_ms, min_ms, max_ms, reps, median_over_min}],
 *    "pairs": [{T, N, fast_wasm_best, torch_best, ratio_of_medians, paired_ratio_median, paired_ratio_q25, paired_ratio_q75}]}
 * paired_ratio_*: over the rounds, (best fast-wasm step) / (best PyTorch step) of the same round.
 * Options (env): CONFIGS="784:64,196:128,784:128", ROUNDS (default 12), WARMUP (default 2),
 * PYTHON (default python3), THREADS (fast-wasm and torch all-core count; default os.cpus().length),
 * OMP_WAIT_POLICY for the PyTorch children (default PASSIVE: no spinning into the next step).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { register } from 'tsx/esm/api';

register();
const { createThreadedFastTrainer } = await import('../src/model/fast/threaded.ts');
const { nodeHelperSpawner } = await import('../src/model/fast/threadedNode.ts');
const { syntheticBatch, summarize } = await import('../src/bench/benchCommon.ts');

const log = (m) => console.error('[bench-vs-torch]', m);
const configs = (process.env.CONFIGS ?? '784:64,196:128,784:128').split(',').map((s) => s.split(':').map(Number));
const rounds = Number(process.env.ROUNDS ?? 12);
const warmup = Number(process.env.WARMUP ?? 2);
const python = process.env.PYTHON ?? 'python3';
const allCores = Number(process.env.THREADS ?? cpus().length);
const bytes = readFileSync(new URL('../public/kernels/fast_rnn.wasm', import.meta.url));
const wasm = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
const machine = { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version, load_before: loadavg() };

/** A PyTorch model in a child process, one step per request. */
async function torchContender(T, N, threads) {
  // PASSIVE: idle OpenMP threads sleep instead of spinning ~200 ms into the next contender's step.
  const env = {
    ...process.env,
    OMP_NUM_THREADS: String(threads),
    OPENBLAS_NUM_THREADS: String(threads),
    MKL_NUM_THREADS: String(threads),
    OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'PASSIVE',
  };
  const child = spawn(python, ['scripts/bench_torch.py', '--serve', '--threads', String(threads), `${T}:${N}`], {
    env,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const queue = [];
  const waiters = [];
  lines.on('line', (l) => (waiters.length ? waiters.shift()(l) : queue.push(l)));
  const next = () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => waiters.push(r)));
  const info = JSON.parse(await next());
  return {
    name: threads === 1 ? 'torch-cpu-1thread' : `torch-cpu-${threads}threads`,
    info,
    async step() {
      child.stdin.write('\n');
      return Number(await next());
    },
    close: () => child.stdin.end(),
  };
}

/** fast-wasm on `threads` threads (1 = FastRnn alone), timed around trainBatch as `npm run bench` does. */
async function fastContender(T, N, threads) {
  const c = { T, D: T === 28 ? 28 : 1, N, B: 64 };
  const tr = await createThreadedFastTrainer({ inputSize: c.D, hiddenSize: N, seed: 1, optimizer: 'adam', lr: 1e-3 }, threads, {
    wasm,
    spawn: nodeHelperSpawner,
  });
  const { x, y } = syntheticBatch(c);
  return {
    name: `fast-wasm-${tr.threads}thread${tr.threads > 1 ? 's' : ''}`,
    async step() {
      const t0 = performance.now();
      await tr.trainBatch(x, y, c.B, c.T, c.D);
      return performance.now() - t0;
    },
    close: () => tr.dispose(),
  };
}

const results = [];
const pairs = [];
const quantile = (v, q) => {
  const s = [...v].sort((a, b) => a - b);
  const i = (s.length - 1) * q;
  return s[Math.floor(i)] + (s[Math.ceil(i)] - s[Math.floor(i)]) * (i - Math.floor(i));
};
for (const [T, N] of configs) {
  const counts = [...new Set([1, allCores])];
  const cs = [];
  for (const t of counts) cs.push(await fastContender(T, N, t));
  for (const t of counts) cs.push(await torchContender(T, N, t));
  machine.torch = cs.find((c) => c.info)?.info;
  const times = cs.map(() => []);
  for (let r = 0; r < warmup + rounds; r++) {
    for (let j = 0; j < cs.length; j++) {
      const i = (j + r) % cs.length; // rotated order
      const ms = await cs[i].step();
      if (r >= warmup) times[i].push(ms);
    }
  }
  for (const c of cs) c.close();
  const rows = cs.map((c, i) => {
    const s = summarize(times[i]);
    return { T, N, B: 64, contender: c.name, ...s, reps: rounds, median_over_min: Math.round((s.median_ms / s.min_ms) * 100) / 100 };
  });
  for (const r of rows) log(`T=${T} N=${N} ${r.contender}: median ${r.median_ms} ms (min ${r.min_ms}, max ${r.max_ms}, ${r.reps} steps)`);
  results.push(...rows);
  const fastIdx = cs.map((c, i) => (c.name.startsWith('fast') ? i : -1)).filter((i) => i >= 0);
  const torchIdx = cs.map((c, i) => (c.name.startsWith('torch') ? i : -1)).filter((i) => i >= 0);
  const best = (idx) => idx.reduce((a, b) => (rows[b].median_ms < rows[a].median_ms ? b : a));
  const bf = best(fastIdx),
    bt = best(torchIdx);
  const paired = times[bf].map((v, r) => v / times[bt][r]);
  const round2 = (v) => Math.round(v * 100) / 100;
  const pair = {
    T,
    N,
    fast_wasm_best: rows[bf].contender,
    fast_wasm_ms: rows[bf].median_ms,
    torch_best: rows[bt].contender,
    torch_ms: rows[bt].median_ms,
    ratio_of_medians: round2(rows[bf].median_ms / rows[bt].median_ms),
    paired_ratio_median: round2(quantile(paired, 0.5)),
    paired_ratio_q25: round2(quantile(paired, 0.25)),
    paired_ratio_q75: round2(quantile(paired, 0.75)),
  };
  log(
    `T=${T} N=${N}: best fast-wasm ${pair.fast_wasm_best} ${pair.fast_wasm_ms} ms vs best torch ${pair.torch_best} ${pair.torch_ms} ms: ` +
      `${pair.ratio_of_medians}x (paired per round ${pair.paired_ratio_median}x, IQR ${pair.paired_ratio_q25}-${pair.paired_ratio_q75})`,
  );
  pairs.push(pair);
}
machine.load_after = loadavg();
console.log(JSON.stringify({ machine, results, pairs }));
process.exit(0);
