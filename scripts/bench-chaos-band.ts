/**
 * The issue-20 target "mean-field lambda_1(g) matched within the reported finite-size band at
 * N = 256 for g in [0.5, 3]" as a figure: the `ftle-lab chaos` sweep (chaosSweep, autonomous, the
 * CLI's T = 500 after 200) and for each gain the seeds' mean lambda_1, their spread, mean-field
 * theory, the known finite-N correction (src/core/dynamics/finiteSize.ts, method.md §8), the band
 * and whether the mean lies inside it. Seeds 0..4 are disjoint from the seeds the correction was
 * fitted on (100..159), so this is a check, not a refit.
 * Usage: node --import tsx scripts/bench-chaos-band.ts [N=256] [seeds=5] [k=1]
 * Prints a table (ln per step) and a count of gains inside; the WASM kernels when built.
 */
import { existsSync, readFileSync } from 'node:fs';
import { CHAOS_DEFAULTS, chaosSweep, parseGains } from '../src/core/dynamics/edgeOfChaos';
import { setAnalysisKernels } from '../src/core/kernels';
import { createWasmAnalysisKernels } from '../src/core/kernels/wasm';

const [N = 256, nSeeds = CHAOS_DEFAULTS.seeds, k = 1] = process.argv.slice(2).map(Number);
const wasmUrl = new URL('../public/kernels/analysis.wasm', import.meta.url);
if (existsSync(wasmUrl)) setAnalysisKernels(await createWasmAnalysisKernels(readFileSync(wasmUrl)));
const gains = parseGains('0.5:3:0.1');
const seeds = Array.from({ length: nSeeds }, (_, i) => i);
const t0 = performance.now();
const s = chaosSweep(gains, seeds, { hidden: N, k, steps: CHAOS_DEFAULTS.steps, transient: CHAOS_DEFAULTS.transient, drive: null });
console.log(
  `finite-size band: N = ${N}, ${nSeeds} seeds, k = ${k}, T = ${s.steps} after ${s.transient}, autonomous; ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);
const f = (x: number) => (x >= 0 ? ' ' : '') + x.toFixed(4);
console.log('g\tmeasured\tspread\tmeanfield\tcorrection\tband lo\tband hi\tinside');
s.gains.forEach((g, i) =>
  console.log(
    [
      g.toFixed(1),
      f(s.lambda1Mean[i]),
      s.lambda1Spread[i].toFixed(4),
      f(s.meanfield[i]),
      f(s.finiteSizeBias[i]),
      f(s.meanfieldBand[i][0]),
      f(s.meanfieldBand[i][1]),
      s.insideBand[i] ? 'yes' : 'NO',
    ].join('\t'),
  ),
);
console.log(`inside: ${s.insideBand.filter(Boolean).length} of ${s.gains.length} gains`);
