#!/usr/bin/env node
/**
 * The analysis pool's scaling, measured in CPU time on ONE thread (robust on a shared machine,
 * where wall-clock speed-ups mean little): runs the pixel preset's epoch analysis
 * (src/bench/analysisEpochBench.ts pixelRequest: N = 64, T = 196, 16 probes, 50 draws, WASM
 * kernels) stage by stage as the pool does (src/worker/analysisPool.ts: TASKS_PER_WORKER tasks per worker),
 * timing every task with process.cpuUsage, and schedules the measured tasks on W workers in the
 * pool's dispatch order (each task to the first free worker). Prints, for W = 1, 2, 4, 8, 15, the
 * makespan (serial plan and merge included) and its speed-up over one whole-epoch pass, for the
 * flip stage split by probe count (probeRanges) and by estimated cost (costRanges, costliest first).
 * Usage: node scripts/pool-makespan.mjs [reps=3]   (~1 minute of CPU per rep)
 */
import { readFileSync } from 'node:fs';
import { register } from 'tsx/esm/api';

register();
const { pixelRequest } = await import('../src/bench/analysisEpochBench.ts');
const { TASKS_PER_WORKER } = await import('../src/worker/analysisPool.ts');
const { requestWeights, requestOptions } = await import('../src/worker/analysisInput.ts');
const P = await import('../src/core/analysis/epochParts.ts');
const { analyzeEpoch } = await import('../src/core/analysis/epochSnapshot.ts');
const { setAnalysisKernels } = await import('../src/core/kernels/index.ts');
const { createWasmAnalysisKernels } = await import('../src/core/kernels/wasm.ts');
setAnalysisKernels(await createWasmAnalysisKernels(readFileSync(new URL('../public/kernels/analysis.wasm', import.meta.url))));

const cpu = (f) => {
  const c0 = process.cpuUsage();
  const r = f();
  const c = process.cpuUsage(c0);
  return [r, (c.user + c.system) / 1000];
};
const req = pixelRequest();
const w = requestWeights(req);
const opts = requestOptions(req);
const inputs = Float64Array.from(req.probe.inputs);
const labels = req.probe.labels;
const { T, D } = req.probe;
const B = labels.length;
/** Each task to the first free worker, in the given order; returns the stage's makespan. */
const schedule = (costs, W) => {
  const free = new Array(W).fill(0);
  for (const c of costs) {
    const i = free.indexOf(Math.min(...free));
    free[i] += c;
  }
  return Math.max(...free);
};
const reps = Number(process.argv[2] ?? 3);
// Warm-up (JIT, kernels; V8 settles after ~3 epochs' work), not counted.
for (let i = 0; i < 3; i++) analyzeEpoch(w, inputs, labels, T, D, opts);
const rows = [];
for (let rep = 0; rep < reps; rep++) {
  const [, whole] = cpu(() => analyzeEpoch(w, inputs, labels, T, D, opts));
  for (const W of [1, 2, 4, 8, 15]) {
    const ranges = P.probeRanges(B, Math.min(B, TASKS_PER_WORKER * W));
    const plan = P.planEpoch(w, B, T, D, opts);
    const dyn = ranges.map(([b0, b1]) => cpu(() => P.dynamicsPart(w, inputs, labels, plan, b0, b1)));
    const [fp, planMs] = cpu(() =>
      P.planFlip(
        w,
        inputs,
        labels,
        plan,
        dyn.map((d) => d[0]),
      ),
    );
    const out = {
      rep,
      W,
      whole_ms: Math.round(whole),
      dynamics_cpu_ms: Math.round(dyn.reduce((a, d) => a + d[1], 0)),
      plan_ms: Math.round(planMs),
    };
    for (const split of ['count', 'cost']) {
      const probeCost = P.flipStepsPerProbe(fp);
      const fr = split === 'count' ? ranges : P.costRanges(probeCost, Math.min(B, TASKS_PER_WORKER * W));
      const plans = P.splitFlipPlan(fp, fr);
      let flips = fr.map(([b0, b1], i) => cpu(() => P.flipPart(w, inputs, labels, plans[i], b0, b1)));
      const [, mergeMs] = cpu(() =>
        P.mergeEpoch(
          w,
          inputs,
          labels,
          fp,
          flips.map((f) => f[0]),
        ),
      );
      if (split === 'cost') {
        const rc = fr.map(([b0, b1]) => probeCost.subarray(b0, b1).reduce((a, c) => a + c, 0));
        flips = fr
          .map((_, i) => i)
          .sort((x, y) => rc[y] - rc[x] || x - y)
          .map((i) => flips[i]);
      }
      const makespan =
        schedule(
          dyn.map((d) => d[1]),
          W,
        ) +
        planMs +
        schedule(
          flips.map((f) => f[1]),
          W,
        ) +
        mergeMs;
      out[`flip_cpu_ms_${split}`] = Math.round(flips.reduce((a, f) => a + f[1], 0));
      out[`merge_ms_${split}`] = Math.round(mergeMs);
      out[`makespan_ms_${split}`] = Math.round(makespan);
      out[`speedup_${split}`] = Math.round((whole / makespan) * 100) / 100;
    }
    rows.push(out);
    console.error(JSON.stringify(out));
  }
}
console.log(JSON.stringify({ results: rows }));
process.exit(0);
