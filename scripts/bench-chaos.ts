/**
 * Times the edge-of-chaos view's computation (randomNetworkSpectrum, what the chaos worker runs per
 * slider position) with the JS and the WASM SIMD float64 kernels, interleaved in one process.
 * Usage: node --import tsx scripts/bench-chaos.ts [N=64] [k=N] [steps=300] [transient=100] [reps=3]
 * Prints one line per (kernels, run): milliseconds and lambda_1. Not a test: the machine may be shared.
 */
import { readFileSync } from 'node:fs';
import { CHAOS_VIEW } from '../src/core/dynamics/chaosView';
import { randomNetworkSpectrum } from '../src/core/dynamics/edgeOfChaos';
import { jsAnalysisKernels, setAnalysisKernels } from '../src/core/kernels';
import { createWasmAnalysisKernels } from '../src/core/kernels/wasm';

const [N = 64, k = N, steps = CHAOS_VIEW.steps, transient = CHAOS_VIEW.transient, reps = 3] = process.argv.slice(2).map(Number);
const wasm = await createWasmAnalysisKernels(readFileSync(new URL('../public/kernels/analysis.wasm', import.meta.url)));
const js = jsAnalysisKernels;
console.log(`chaos view bench: N = ${N}, k = ${k}, steps = ${steps} + transient ${transient}; node ${process.version}`);
for (let r = 0; r < reps; r++) {
  for (const [name, kern] of [
    ['js', js],
    ['wasm', wasm],
  ] as const) {
    setAnalysisKernels(kern);
    const t0 = performance.now();
    const res = randomNetworkSpectrum(1.5, 0, { hidden: N, k, steps, transient, drive: null });
    console.log(
      `${name}\t${(performance.now() - t0).toFixed(0)} ms\tlambda_1 = ${res.spectrum[0].toFixed(4)}\tD_KY = ${res.kaplanYorke.toFixed(2)}`,
    );
  }
}
