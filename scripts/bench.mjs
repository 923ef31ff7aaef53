#!/usr/bin/env node
/**
 * `npm run bench`: training-step and analysis timings in Node AND in headless Chromium, plus the
 * PyTorch (training) and numpy (QR analysis) references on the same machine: PyTorch on one thread,
 * on all cores, and on CUDA where torch.cuda.is_available(), denormals flushed, its BLAS and
 * thread count reported (machine.torch_*); numpy's BLAS and threads likewise (machine.numpy_*).
 * Rows name the engine by its id (src/core/engines.ts); browser rows carry `gpu` (renderer /
 * adapter) for GPU engines and, for fused engines, gpu_mb and draws_per_step / dispatches_per_step.
 * Progress goes to stderr; the LAST line on stdout is ONE JSON object (automation.md):
 *   {"machine": {...}, "results": [rows...], "ratios": [...], "notes": [...]}
 * Each train row carries ratio_vs_torch (median ms / one-thread PyTorch median ms of the same T, N)
 * when PyTorch ran; `ratios` also gives torch_all_cores_ms and torch_cuda_ms, and per T:N the best
 * fast-wasm row (any env, threads included) against PyTorch's best CPU row (one thread or all
 * cores): fast_wasm_best_ms, torch_best_ms, fast_wasm_vs_torch_best.
 * Slow rows: every row with min/median gets median_over_min; a row whose median exceeds 1.5x its
 * min (a slow path some steps take, e.g. subnormals, or a machine shared at the time) gets
 * slow: true and is listed in `slow_rows` (Node, cores and Chromium rows alike).
 * Options (env): BENCH_CONFIGS="T:N,..." (default 28:64,28:128,196:64,196:128,784:64,784:128),
 * BENCH_SKIP="node,cores,chromium,torch,numpy,analysis" (comma list; cores = the workers/threads rows), BENCH_NODE_BACKENDS,
 * BENCH_BROWSER_BACKENDS (engine ids; see bench-node.mjs and src/bench/main.ts; default every engine
 * each side has), PYTHON (default /usr/bin/python3), BENCH_THREAD_CONFIGS="T:N,..." (the threaded
 * fast-wasm rows, Node and Chromium; default 196:128,784:64,784:128,784:512), BENCH_CORES_ANALYSIS=0
 * (cores rows, Node and Chromium: training threads only; BENCH_SKIP=analysis implies it), BENCH_ROUNDS=R (repeat the Node, cores, Chromium and PyTorch parts
 * R times, interleaved; each row then reports the median of its R round medians, round_medians_ms,
 * min and max over all rounds). BENCH_CHAOS_GPU="N,k,steps,transient" (e.g. 256,256,400,100, with
 * BENCH_GPU=1 on a GPU machine): the edge-of-chaos spectrum on the GPU analysis engine beside the
 * page's CPU kernels (bench.html?chaos_gpu=..., rows with chaos_engine).
 * Whole run: ~8-10 minutes on the 2-core development machine.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';

const log = (...a) => console.error('[bench]', ...a);
const skip = new Set((process.env.BENCH_SKIP ?? '').split(',').filter(Boolean));
const configs = (process.env.BENCH_CONFIGS ?? '28:64,28:128,196:64,196:128,784:64,784:128').split(',');
const python = process.env.PYTHON ?? '/usr/bin/python3';
const threadConfigs = (process.env.BENCH_THREAD_CONFIGS ?? '196:128,784:64,784:128,784:512').split(',');
/** Slow-row flag: median above this multiple of the row's min. */
const SLOW_MEDIAN_OVER_MIN = 1.5;
const notes = [];
const results = [];
const machine = {
  cores: cpus().length,
  cpu: cpus()[0]?.model ?? 'unknown',
  memory_gb: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  platform: process.platform,
  // The machine may be shared: its load average (1, 5, 15 min) before and after the run.
  load_before: loadavg().map((v) => Math.round(v * 100) / 100),
};
// One BLAS/OpenMP thread for the one-thread Python references (same CPU budget as one browser worker).
const oneThread = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };

/** Runs a command and returns the JSON object on its last stdout line (null + a note on failure). */
function runJson(label, cmd, args, env = process.env) {
  log(`${label}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
  const last = (r.stdout ?? '').trim().split('\n').pop();
  if (r.status !== 0 || !last) {
    notes.push(`${label} failed (exit ${r.status ?? r.error?.message})`);
    return null;
  }
  try {
    return JSON.parse(last);
  } catch {
    notes.push(`${label}: last line is not JSON`);
    return null;
  }
}

// BENCH_ROUNDS=R: the Node, cores, Chromium and PyTorch parts run R times in turn (interleaved, so a
// busy spell of a shared machine hits all engines alike); rows are merged below (mergeRounds).
const rounds = Math.max(1, Math.floor(Number(process.env.BENCH_ROUNDS ?? 1)) || 1);
machine.rounds = rounds;
const torchRows = new Map();
const torchAllRows = new Map();
const torchCudaRows = new Map();
for (let round = 1; round <= rounds; round++) {
  if (rounds > 1) log(`round ${round} of ${rounds}`);
  // --- Node: bundle bench-node.mjs with esbuild (TypeScript sources + tfjs's extensionless ESM) ---
  if (!skip.has('node')) {
    const dir = mkdtempSync(join(tmpdir(), 'ftle-bench-'));
    const out = join(dir, 'bench-node.mjs');
    const esbuild = await import('esbuild');
    await esbuild.build({
      entryPoints: ['scripts/bench-node.mjs'],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: out,
      mainFields: ['module', 'main'],
      logLevel: 'warning',
      // The tfjs wasm backend's emscripten glue uses require/__dirname in Node.
      banner: {
        js: "import { createRequire as __cr } from 'module'; import { fileURLToPath as __fu } from 'url'; import { dirname as __dn } from 'path'; const require = __cr(import.meta.url); const __filename = __fu(import.meta.url); const __dirname = __dn(__filename);",
      },
    });
    const env = { ...process.env, BENCH_CONFIGS: configs.join(','), BENCH_ANALYSIS: skip.has('analysis') ? '0' : '1' };
    if (process.env.BENCH_NODE_BACKENDS) env.BENCH_BACKENDS = process.env.BENCH_NODE_BACKENDS;
    const r = runJson('node bench', process.execPath, [out], env);
    if (r) results.push(...r.results);
    rmSync(dir, { recursive: true, force: true });
  }

  // --- Every core: analysis workers and training threads (scripts/bench-cores.mjs, worker_threads) ---
  /** Rows with a `workers` (analysis) or `threads` (train) field; see src/bench/coresBench.ts. */
  function benchCores() {
    // Threaded training rows for BENCH_THREAD_CONFIGS unless BENCH_CORES_TRAIN says T:N:warmup:reps itself.
    const reps = ([T, N]) => (T >= 784 ? (N >= 512 ? '1:3' : '1:6') : '2:10');
    const train = process.env.BENCH_CORES_TRAIN ?? threadConfigs.map((c) => `${c}:${reps(c.split(':').map(Number))}`).join(',');
    const r = runJson('cores bench', process.execPath, ['scripts/bench-cores.mjs'], {
      ...process.env,
      BENCH_CORES_TRAIN: train,
      BENCH_CORES_ANALYSIS: skip.has('analysis') ? '0' : (process.env.BENCH_CORES_ANALYSIS ?? '1'),
    });
    if (r) results.push(...r.results);
  }
  if (!skip.has('cores')) benchCores();

  // --- Chromium: Vite dev server serving bench.html, driven by playwright-core ---
  if (!skip.has('chromium')) {
    const exe = process.env.CHROMIUM ?? '/usr/bin/chromium';
    if (!existsSync(exe)) notes.push(`chromium not found at ${exe}: browser rows skipped (apt-get install -y chromium)`);
    else {
      const { createServer } = await import('vite');
      const { chromium } = await import('playwright-core');
      const server = await createServer({ root: resolve('.'), logLevel: 'error', server: { port: 0, open: false, host: '127.0.0.1' } });
      await server.listen();
      const url = server.resolvedUrls.local[0];
      const profile = mkdtempSync(join(tmpdir(), 'ftle-bench-chromium-'));
      // BENCH_GPU=1 (on a machine with a GPU): let Chromium use it instead of SwiftShader.
      const gpuArgs =
        process.env.BENCH_GPU === '1'
          ? ['--ignore-gpu-blocklist', '--enable-gpu', '--use-angle=vulkan', '--enable-features=Vulkan']
          : ['--disable-gpu', '--enable-unsafe-swiftshader'];
      const ctx = await chromium.launchPersistentContext(profile, {
        executablePath: exe,
        headless: true,
        args: [
          '--no-sandbox',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--enable-unsafe-webgpu',
          ...gpuArgs,
        ],
      });
      try {
        const page = await ctx.newPage();
        page.on('console', (m) => m.text().startsWith('[bench]') && log('chromium', m.text().slice(8)));
        machine.chromium = ctx.browser()?.version() ?? spawnSync(exe, ['--version'], { encoding: 'utf8' }).stdout.trim();
        const engines = process.env.BENCH_BROWSER_BACKENDS ? `&engines=${process.env.BENCH_BROWSER_BACKENDS}` : '';
        log(`chromium bench: ${url}bench.html`);
        await page.goto(`${url}bench.html?configs=${configs.join(',')}${engines}`);
        await page.waitForFunction(() => window.__benchResult, null, { timeout: 540_000, polling: 1000 });
        const r = await page.evaluate(() => window.__benchResult);
        machine.webgl_renderer = r.webgl_renderer;
        machine.chromium_user_agent = r.user_agent;
        results.push(...r.results);
        for (const e of r.errors) notes.push(`chromium: ${e}`);
        if (process.env.BENCH_CHAOS_GPU) {
          // The edge-of-chaos spectrum on the GPU analysis engine (issue 20: N = 256, k = 256, T = 500 in <= 1 s).
          log(`chromium chaos gpu bench: ${url}bench.html?chaos_gpu=${process.env.BENCH_CHAOS_GPU}&chaos_cpu=1`);
          await page.goto(`${url}bench.html?chaos_gpu=${process.env.BENCH_CHAOS_GPU}&chaos_cpu=1`);
          await page.waitForFunction(() => window.__benchResult, null, { timeout: 540_000, polling: 1000 });
          const c = await page.evaluate(() => window.__benchResult);
          results.push(...c.results);
          for (const e of c.errors) notes.push(`chromium chaos gpu: ${e}`);
        }
        if (!skip.has('cores')) {
          // The hand-written engine on 1 and 2 threads in the browser (Web Worker helpers), rows with `threads`.
          const tc = threadConfigs.join(',');
          log(`chromium threads bench: ${url}bench.html?configs=${tc}&engines=fast-wasm&threads=1,2`);
          await page.goto(`${url}bench.html?configs=${tc}&engines=fast-wasm&threads=1,2`);
          await page.waitForFunction(() => window.__benchResult, null, { timeout: 540_000, polling: 1000 });
          const t = await page.evaluate(() => window.__benchResult);
          results.push(...t.results);
          for (const e of t.errors) notes.push(`chromium threads: ${e}`);
          // The epoch analysis through the app's own analysis workers (Web Workers), rows with `workers`
          // (not with BENCH_SKIP=analysis or BENCH_CORES_ANALYSIS=0).
          if (!skip.has('analysis') && process.env.BENCH_CORES_ANALYSIS !== '0') {
            log(`chromium analysis workers bench: ${url}bench.html?analysis_workers=1,2`);
            await page.goto(`${url}bench.html?analysis_workers=1,2`);
            await page.waitForFunction(() => window.__benchResult, null, { timeout: 540_000, polling: 1000 });
            const a = await page.evaluate(() => window.__benchResult);
            results.push(...a.results);
            for (const e of a.errors) notes.push(`chromium analysis workers: ${e}`);
          }
        }
      } catch (e) {
        notes.push(`chromium bench failed: ${e.message.split('\n')[0]}`);
      } finally {
        await ctx.close();
        await server.close();
        rmSync(profile, { recursive: true, force: true });
      }
    }
  }

  // --- PyTorch reference (optional): one thread, all cores, CUDA where it exists ---
  if (!skip.has('torch')) {
    const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
    if (probe.status !== 0)
      notes.push(`PyTorch not importable with ${python}: torch rows and ratios skipped (apt-get install -y python3-torch)`);
    else {
      const one = runJson('pytorch 1 thread', python, ['scripts/bench_torch.py', '--threads', '1', ...configs], oneThread);
      const all = runJson('pytorch all cores + cuda', python, ['scripts/bench_torch.py', '--threads', '0', '--cuda', ...configs]);
      for (const r of [one, all]) {
        if (!r) continue;
        Object.assign(machine, {
          torch: r.torch,
          torch_blas: r.blas,
          torch_lapack: r.lapack,
          torch_mkl: r.mkl,
          torch_flush_denormal: r.flush_denormal,
        });
        if (r.cuda) machine.torch_cuda = r.cuda;
        for (const row of r.results) {
          results.push(row);
          if (row.backend !== 'torch-cuda' && row.threads !== 1) machine.torch_threads_all = row.threads;
        }
      }
    }
  }
}

/**
 * Merges the rounds: rows of the same engine and configuration become one row whose median_ms is
 * the median of the round medians (round_medians_ms lists them), min_ms / max_ms the extremes over
 * all steps of all rounds, reps the total and rounds the count. One round: rows unchanged.
 */
function mergeRounds(rows) {
  if (rounds === 1) return rows;
  const keyOf = (r) =>
    JSON.stringify([r.phase, r.env, r.backend, r.what, r.kernels, r.threads, r.workers, r.T, r.N, r.k, r.probes, r.tuning]);
  const groups = new Map();
  for (const r of rows) {
    const k = keyOf(r);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(r);
  }
  const median = (v) => {
    const s = [...v].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  };
  return [...groups.values()].map((g) => {
    if (!(g[0].median_ms > 0)) return g[0];
    const meds = g.map((r) => r.median_ms);
    const med = Math.round(median(meds) * 100) / 100;
    const out = {
      ...g[0],
      median_ms: med,
      min_ms: Math.min(...g.map((r) => r.min_ms ?? r.median_ms)),
      max_ms: Math.max(...g.map((r) => r.max_ms ?? r.median_ms)),
      reps: g.reduce((s, r) => s + (r.reps ?? 1), 0),
      rounds: g.length,
      round_medians_ms: meds,
    };
    if (out.samples_per_s !== undefined && out.B) out.samples_per_s = Math.round((out.B * 1000) / med);
    return out;
  });
}
results.splice(0, results.length, ...mergeRounds(results));
for (const row of results) {
  if (row.env !== 'python' || row.phase !== 'train') continue;
  const key = `${row.T}:${row.N}`;
  if (row.backend === 'torch-cuda') torchCudaRows.set(key, row);
  else if (row.threads === 1) torchRows.set(key, row);
  else torchAllRows.set(key, row);
}

// --- numpy reference for the QR analysis (optional) ---
const numpyRows = new Map();
if (!skip.has('numpy') && !skip.has('analysis')) {
  const candidates = [process.env.NUMPY_PYTHON, 'python3', python].filter(Boolean);
  const py = candidates.find((p) => spawnSync(p, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0);
  if (!py) notes.push('numpy not importable: analysis ratios skipped (apt-get install -y python3-numpy)');
  else {
    const r = runJson('numpy', py, ['scripts/bench_numpy.py', '28:16:16', '196:16:16', '784:16:16', '784:128:1'], oneThread);
    if (r) {
      Object.assign(machine, { numpy: r.numpy, numpy_blas: r.blas, numpy_blas_threads: r.blas_threads });
      for (const row of r.results) {
        results.push(row);
        numpyRows.set(`${row.T}:${row.k}:${row.probes}`, row);
      }
    }
  }
}

// --- Ratios from this one run ---
const ratios = [];
for (const row of results) {
  if (row.phase === 'train' && row.env !== 'python') {
    const t = torchRows.get(`${row.T}:${row.N}`);
    if (t) row.ratio_vs_torch = Math.round((row.median_ms / t.median_ms) * 100) / 100;
  }
  if (row.phase === 'analysis' && row.env !== 'python') {
    const n = numpyRows.get(`${row.T}:${row.k}:${row.probes}`);
    if (n) row.ratio_vs_numpy = Math.round((row.median_ms / n.median_ms) * 100) / 100;
  }
}
for (const c of configs) {
  const [T, N] = c.split(':').map(Number);
  const rows = results.filter((r) => r.phase === 'train' && r.T === T && r.N === N && r.env !== 'python');
  if (!rows.length) continue;
  const best = rows.reduce((a, b) => (b.median_ms < a.median_ms ? b : a));
  const t = torchRows.get(c);
  ratios.push({
    T,
    N,
    best_backend: `${best.env}/${best.backend}`,
    best_ms: best.median_ms,
    torch_ms: t?.median_ms ?? null,
    ratio_vs_torch: t ? Math.round((best.median_ms / t.median_ms) * 100) / 100 : null,
    torch_all_cores_ms: torchAllRows.get(c)?.median_ms ?? null,
    torch_cuda_ms: torchCudaRows.get(c)?.median_ms ?? null,
  });
}
// The hand-written engine at its best (any env, any thread count) against PyTorch at its best on
// the CPU (one thread or all cores), per T:N that both ran.
for (const r of ratios) {
  const key = `${r.T}:${r.N}`;
  const fast = results.filter((x) => x.phase === 'train' && x.backend === 'fast-wasm' && `${x.T}:${x.N}` === key);
  const torch = [torchRows.get(key), torchAllRows.get(key)].filter(Boolean);
  if (!fast.length) continue;
  const bf = fast.reduce((a, b) => (b.median_ms < a.median_ms ? b : a));
  r.fast_wasm_best = `${bf.env}/fast-wasm${bf.threads ? ` ${bf.threads} thread${bf.threads > 1 ? 's' : ''}` : ''}`;
  r.fast_wasm_best_ms = bf.median_ms;
  if (torch.length) {
    const bt = torch.reduce((a, b) => (b.median_ms < a.median_ms ? b : a));
    r.torch_best = `${bt.backend}`;
    r.torch_best_ms = bt.median_ms;
    r.fast_wasm_vs_torch_best = Math.round((bf.median_ms / bt.median_ms) * 100) / 100;
  }
}
// Slow rows: a median far above the min means some steps take a slow path (or the machine was busy).
const slowRows = [];
for (const row of results) {
  if (!(row.min_ms > 0 && row.median_ms > 0) || (row.reps ?? 2) < 2) continue;
  row.median_over_min = Math.round((row.median_ms / row.min_ms) * 100) / 100;
  row.slow = row.median_ms > SLOW_MEDIAN_OVER_MIN * row.min_ms;
  if (row.slow) {
    const what = `${row.env} ${row.phase} ${row.backend ?? row.what}${row.threads ? ` ${row.threads} thread${row.threads > 1 ? 's' : ''}` : ''}${row.workers ? ` ${row.workers} workers` : ''} T=${row.T}${row.N ? ` N=${row.N}` : ''}`;
    slowRows.push({ row: what, median_ms: row.median_ms, min_ms: row.min_ms, max_ms: row.max_ms, reps: row.reps });
  }
}
machine.load_after = loadavg().map((v) => Math.round(v * 100) / 100);
for (const r of ratios)
  log(
    `T=${r.T} N=${r.N}: best ${r.best_backend} ${r.best_ms} ms, torch ${r.torch_ms ?? 'n/a'} ms, ratio ${r.ratio_vs_torch ?? 'n/a'}` +
      (r.fast_wasm_best
        ? `; best fast-wasm (${r.fast_wasm_best}) ${r.fast_wasm_best_ms} ms vs best torch (${r.torch_best ?? 'n/a'}) ${r.torch_best_ms ?? 'n/a'} ms: ${r.fast_wasm_vs_torch_best ?? 'n/a'}x`
        : ''),
  );
for (const s of slowRows)
  log(`SLOW (median > ${SLOW_MEDIAN_OVER_MIN}x min): ${s.row}: median ${s.median_ms} ms, min ${s.min_ms}, max ${s.max_ms}, ${s.reps} reps`);
console.log(JSON.stringify({ machine, results, ratios, slow_rows: slowRows, notes }));
