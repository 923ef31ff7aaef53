#!/usr/bin/env node
/**
 * The "every core" rows of `npm run bench` (src/bench/coresBench.ts): analysis with 1 and 2
 * workers (`workers` field) and the threaded hand-written engine with 1 and 2 threads
 * (`threads` field), in Node with worker_threads. Runs the TypeScript through tsx (the worker
 * threads load it too). Progress on stderr; ONE JSON line {"results": [...]} last on stdout.
 * Standalone: `node scripts/bench-cores.mjs` (~3-4 minutes on the 2-core development machine).
 * Options (env): BENCH_CORES_COUNTS="1,2" (workers / threads), BENCH_CORES_REPS="3,3" (epoch, qr),
 * BENCH_CORES_TRAIN="196:128:2:10,784:512:1:2" (T:N:warmup:reps), BENCH_CORES_ANALYSIS=0 (training rows only).
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { register } from 'tsx/esm/api';

register();
const { coresBenchRows } = await import('../src/bench/coresBench.ts');
const log = (m) => console.error('[bench-cores]', m);
const bytes = readFileSync(new URL('../public/kernels/fast_rnn.wasm', import.meta.url));
const load_before = loadavg().map((v) => Math.round(v * 100) / 100);
const list = (v) => v?.split(',').map((x) => x.split(':').map(Number));
const reps = process.env.BENCH_CORES_REPS?.split(',').map(Number);
const results = await coresBenchRows(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), log, {
  counts: process.env.BENCH_CORES_COUNTS?.split(',').map(Number),
  reps: reps ? { epoch: reps[0], qr: reps[1] } : undefined,
  train: list(process.env.BENCH_CORES_TRAIN),
  analysis: process.env.BENCH_CORES_ANALYSIS !== '0',
});
const load_after = loadavg().map((v) => Math.round(v * 100) / 100);
for (const r of results) Object.assign(r, { load_before, load_after });
console.log(JSON.stringify({ results }));
process.exit(0);
