/**
 * Measures the finite-N chaotic bias coefficient c(N) = N (meanfield - mean lambda_1) of the
 * autonomous random tanh map above the transition (src/core/dynamics/finiteSize.ts CHAOTIC_BIAS,
 * docs/method.md §8): for g = 1.8, 2.0, .., 3.0 and seeds 100.. (disjoint from the band check's
 * 0..4), T = 500 after 200, k = 1. Prints c per gain and its mean and sd over gains.
 * Usage: node --import tsx scripts/calibrate-chaos-bias.ts N seeds   (table: 64 20, 128 20, 256 10)
 */
import { existsSync, readFileSync } from 'node:fs';
import { CHAOS_DEFAULTS, chaosSweep } from '../src/core/dynamics/edgeOfChaos';
import { setAnalysisKernels } from '../src/core/kernels';
import { createWasmAnalysisKernels } from '../src/core/kernels/wasm';

const [N = 128, nSeeds = 20] = process.argv.slice(2).map(Number);
const wasmUrl = new URL('../public/kernels/analysis.wasm', import.meta.url);
if (existsSync(wasmUrl)) setAnalysisKernels(await createWasmAnalysisKernels(readFileSync(wasmUrl)));
const gains = [1.8, 2, 2.2, 2.4, 2.6, 2.8, 3];
const seeds = Array.from({ length: nSeeds }, (_, i) => 100 + i);
const s = chaosSweep(gains, seeds, { hidden: N, k: 1, steps: CHAOS_DEFAULTS.steps, transient: CHAOS_DEFAULTS.transient, drive: null });
const c = s.gains.map((_, i) => N * (s.meanfield[i] - s.lambda1Mean[i]));
s.gains.forEach((g, i) => console.log(`N = ${N}, g = ${g}: c = ${c[i].toFixed(3)} (seed spread ${s.lambda1Spread[i].toFixed(4)})`));
const mean = c.reduce((a, b) => a + b, 0) / c.length;
const sd = Math.sqrt(c.reduce((a, b) => a + (b - mean) ** 2, 0) / (c.length - 1));
console.log(`N = ${N}, ${nSeeds} seeds: c = ${mean.toFixed(3)}, sd over gains ${sd.toFixed(3)}`);
