#!/usr/bin/env node
/**
 * Rebuilds the WASM SIMD kernels (AssemblyScript -> public/kernels/*.wasm):
 *   src/kernels/fast_rnn.ts -> public/kernels/fast_rnn.wasm  (float32 training engine)
 *   src/kernels/analysis.ts -> public/kernels/analysis.wasm  (float64 QR iteration, flip lanes)
 * The .wasm files are committed so neither the app nor the tests need AssemblyScript at run time.
 * Flags: -O3, no runtime (the kernels allocate nothing), no assertions, SIMD on, memory exported.
 * Usage: node scripts/build-kernels.mjs [fast_rnn|analysis ...]  (default: all)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';

const MODULES = ['fast_rnn', 'analysis'];
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : MODULES;
mkdirSync('public/kernels', { recursive: true });
for (const name of wanted) {
  if (!MODULES.includes(name)) {
    console.error(`unknown kernel module ${name} (known: ${MODULES.join(', ')})`);
    process.exit(2);
  }
  const out = `public/kernels/${name}.wasm`;
  const args = [
    'asc',
    `src/kernels/${name}.ts`,
    '--outFile',
    out,
    '-O3',
    '--runtime',
    'stub',
    '--noAssert',
    '--enable',
    'simd',
    '--initialMemory',
    '1',
  ];
  const r = spawnSync('npx', args, { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`asc failed on ${name} (exit ${r.status})`);
    process.exit(1);
  }
  console.log(`wrote ${out} (${statSync(out).size} bytes)`);
}
