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
 * when PyTorch ran; `ratios` also gives torch_all_cores_ms and torch_cuda_ms. Options (env): BENCH_CONFIGS="T:N,..." (default 28:64,28:128,196:64,196:128,784:64,784:128),
 * BENCH_SKIP="node,cores,chromium,torch,numpy,analysis" (comma list; cores = the workers/threads rows), BENCH_NODE_BACKENDS,
 * BENCH_BROWSER_BACKENDS (engine ids; see bench-node.mjs and src/bench/main.ts; default every engine
 * each side has), PYTHON (default /usr/bin/python3).
 * Whole run: ~8-10 minutes on the 2-core development machine.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';

const log = (...a) => console.error('[bench]', ...a);
const skip = new Set((process.env.BENCH_SKIP ?? '').split(',').filter(Boolean));
const configs = (process.env.BENCH_CONFIGS ?? '28:64,28:128,196:64,196:128,784:64,784:128').split(',');
const python = process.env.PYTHON ?? '/usr/bin/python3';
const notes = [];
const results = [];
const machine = {
  cores: cpus().length,
  cpu: cpus()[0]?.model ?? 'unknown',
  memory_gb: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  platform: process.platform,
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
  const r = runJson('cores bench', process.execPath, ['scripts/bench-cores.mjs']);
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
      if (!skip.has('cores')) {
        // The hand-written engine on 1 and 2 threads in the browser (Web Worker helpers), rows with `threads`.
        log(`chromium threads bench: ${url}bench.html?configs=196:128,784:512&engines=fast-wasm&threads=1,2`);
        await page.goto(`${url}bench.html?configs=196:128,784:512&engines=fast-wasm&threads=1,2`);
        await page.waitForFunction(() => window.__benchResult, null, { timeout: 540_000, polling: 1000 });
        const t = await page.evaluate(() => window.__benchResult);
        results.push(...t.results);
        for (const e of t.errors) notes.push(`chromium threads: ${e}`);
        // The epoch analysis through the app's own analysis workers (Web Workers), rows with `workers`.
        log(`chromium analysis workers bench: ${url}bench.html?analysis_workers=1,2`);
        await page.goto(`${url}bench.html?analysis_workers=1,2`);
        await page.waitForFunction(() => window.__benchResult, null, { timeout: 540_000, polling: 1000 });
        const a = await page.evaluate(() => window.__benchResult);
        results.push(...a.results);
        for (const e of a.errors) notes.push(`chromium analysis workers: ${e}`);
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
const torchRows = new Map();
const torchAllRows = new Map();
const torchCudaRows = new Map();
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
        const key = `${row.T}:${row.N}`;
        if (row.backend === 'torch-cuda') torchCudaRows.set(key, row);
        else if (row.threads === 1) torchRows.set(key, row);
        else {
          torchAllRows.set(key, row);
          machine.torch_threads_all = row.threads;
        }
      }
    }
  }
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
for (const r of ratios)
  log(`T=${r.T} N=${r.N}: best ${r.best_backend} ${r.best_ms} ms, torch ${r.torch_ms ?? 'n/a'} ms, ratio ${r.ratio_vs_torch ?? 'n/a'}`);
console.log(JSON.stringify({ machine, results, ratios, notes }));
