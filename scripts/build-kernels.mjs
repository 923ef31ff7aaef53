#!/usr/bin/env node
/**
 * Rebuilds the WASM SIMD kernels of the fast RNN engine:
 *   src/kernels/fast_rnn.ts (AssemblyScript) -> public/kernels/fast_rnn.wasm
 * The .wasm is committed so neither the app nor the tests need AssemblyScript at run time.
 * Flags: -O3, no runtime (the kernels allocate nothing), no assertions, SIMD on, memory exported.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';

const out = 'public/kernels/fast_rnn.wasm';
mkdirSync('public/kernels', { recursive: true });
const args = ['asc', 'src/kernels/fast_rnn.ts', '--outFile', out, '-O3', '--runtime', 'stub', '--noAssert', '--enable', 'simd', '--initialMemory', '1'];
const r = spawnSync('npx', args, { stdio: 'inherit' });
if (r.status !== 0) {
  console.error(`asc failed (exit ${r.status})`);
  process.exit(1);
}
console.log(`wrote ${out} (${statSync(out).size} bytes)`);
