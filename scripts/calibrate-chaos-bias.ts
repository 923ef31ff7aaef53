/**
 * Measures the finite-N corrections of the autonomous random tanh map's lambda_1 that
 * src/core/dynamics/finiteSize.ts tabulates (docs/method.md §8), on seeds 100.. (disjoint from the
 * band check's 0..4), T = 500 after 200, k = 1 (the check's settings).
 *
 * Default mode: the chaotic bias coefficient c(N) = N (meanfield - mean lambda_1) above the
 * transition (CHAOTIC_BIAS): for g = 1.8, 2.0, .., 3.0, prints c per gain and its mean and sd over
 * gains.
 * Usage: node --import tsx scripts/calibrate-chaos-bias.ts N seeds   (table: 64 20, 128 20, 256 10)
 *
 * `--window`: the transition window (WINDOW_BIAS): for every knot g = 0.9, 0.95, .., 1.85 prints
 * c = N (meanfield - mean lambda_1), the seeds' spread (std of lambda_1) and the fraction of seeds
 * with abs(lambda_1) < 0.003 (quasi-periodic or cycling), then the table row to paste; and at the
 * join gains 0.85 and 1.9, where the table hands over to the Ginibre-edge and -c/N models, the
 * measured mean against those models' predictions (the check that the joins are where they agree).
 * Usage: node --import tsx scripts/calibrate-chaos-bias.ts --window N seeds
 *   (table: 64 60, 128 40, 256 30, 512 16)
 */
import { existsSync, readFileSync } from 'node:fs';
import { CHAOS_DEFAULTS, chaosSweep, randomNetworkSpectrum } from '../src/core/dynamics/edgeOfChaos';
import { meanFieldLambda1 } from '../src/core/dynamics/meanField';
import { finiteSizeLambda1, WINDOW_JOIN, WINDOW_KNOTS } from '../src/core/dynamics/finiteSize';
import { setAnalysisKernels } from '../src/core/kernels';
import { std } from '../src/core/stats/descriptive';
import { createWasmAnalysisKernels } from '../src/core/kernels/wasm';

const windowMode = process.argv.includes('--window');
const [N = 128, nSeeds = 20] = process.argv
  .slice(2)
  .filter((a) => a !== '--window')
  .map(Number);
const wasmUrl = new URL('../public/kernels/analysis.wasm', import.meta.url);
if (existsSync(wasmUrl)) setAnalysisKernels(await createWasmAnalysisKernels(readFileSync(wasmUrl)));
const seeds = Array.from({ length: nSeeds }, (_, i) => 100 + i);
const settings = { hidden: N, k: 1, steps: CHAOS_DEFAULTS.steps, transient: CHAOS_DEFAULTS.transient, drive: null };

if (!windowMode) {
  const gains = [1.8, 2, 2.2, 2.4, 2.6, 2.8, 3];
  const s = chaosSweep(gains, seeds, settings);
  const c = s.gains.map((_, i) => N * (s.meanfield[i] - s.lambda1Mean[i]));
  s.gains.forEach((g, i) => console.log(`N = ${N}, g = ${g}: c = ${c[i].toFixed(3)} (seed spread ${s.lambda1Spread[i].toFixed(4)})`));
  const mean = c.reduce((a, b) => a + b, 0) / c.length;
  const sd = Math.sqrt(c.reduce((a, b) => a + (b - mean) ** 2, 0) / (c.length - 1));
  console.log(`N = ${N}, ${nSeeds} seeds: c = ${mean.toFixed(3)}, sd over gains ${sd.toFixed(3)}`);
} else {
  const gains = [WINDOW_JOIN.lo, ...WINDOW_KNOTS, WINDOW_JOIN.hi];
  // The spectra alone (chaosSweep would also compute the band, which reads the table measured here).
  const lambda1 = gains.map((g) => seeds.map((seed) => randomNetworkSpectrum(g, seed, settings).spectrum[0]));
  const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const s = {
    gains,
    lambda1,
    meanfield: gains.map((g) => meanFieldLambda1(g)),
    lambda1Mean: lambda1.map(meanOf),
    lambda1Spread: lambda1.map((l) => std(l)),
  };
  const c: number[] = [];
  const spread: number[] = [];
  console.log('g\tmeanfield\tmean\tspread\tc\tse(c)\t|l1|<0.003');
  s.gains.forEach((g, i) => {
    const ci = N * (s.meanfield[i] - s.lambda1Mean[i]);
    const near0 = s.lambda1[i].filter((l) => Math.abs(l) < 0.003).length / nSeeds;
    const se = (N * s.lambda1Spread[i]) / Math.sqrt(nSeeds);
    console.log(
      [g, s.meanfield[i], s.lambda1Mean[i], s.lambda1Spread[i]].map((x) => x.toFixed(4)).join('\t') +
        `\t${ci.toFixed(3)}\t${se.toFixed(3)}\t${near0.toFixed(2)}`,
    );
    if (i > 0 && i < gains.length - 1) {
      c.push(ci);
      spread.push(s.lambda1Spread[i]);
    }
  });
  // At the joins the table takes the adjacent model's value: how far the measurement is from it.
  for (const i of [0, gains.length - 1]) {
    const model = finiteSizeLambda1(gains[i], N);
    const se = s.lambda1Spread[i] / Math.sqrt(nSeeds);
    const z = (s.lambda1Mean[i] - model.center) / se;
    console.log(
      `join g = ${gains[i]} (${model.regime} model): measured ${s.lambda1Mean[i].toFixed(4)} +- ${se.toFixed(4)} (se), ` +
        `model ${model.center.toFixed(4)}, ${z.toFixed(1)} se apart`,
    );
  }
  const row = (xs: number[], d: number) => `[${xs.map((x) => Number(x.toFixed(d))).join(', ')}]`;
  console.log(`  { N: ${N}, seeds: ${nSeeds}, c: ${row(c, 2)}, spread: ${row(spread, 4)} },`);
}
