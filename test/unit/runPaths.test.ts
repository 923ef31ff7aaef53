/**
 * One run, one path: a seed trained the page's way equals `ftle-lab run` of the same link, bit for
 * bit, on fast-wasm. The page's way is the training worker's code (run/setup.ts setUpRun on the
 * engine registry's fast-wasm entry, run/loop.ts openRun and the start command, as
 * worker/training.worker.ts drives them) with each posted epoch analysed as the analysis worker
 * does (worker/analysisPart.ts runWhole on the request the controller builds). The CLI's way is
 * its entry point, runRun, writing a bundle file that is read back. Both seeds of a
 * two-seed link are compared: the first against the bundle's run, the second against its seedRuns
 * (the page trains that one in the seeds worker, through the same headless run as the CLI).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRun } from '../../src/cli/runCommand';
import { loadBundledDigits, useWasmAnalysisKernels } from '../../src/cli/assets';
import { configFromHash, type RunConfig } from '../../src/core/formats/config';
import { parseRunBundle } from '../../src/core/formats/bundle';
import type { EpochSnapshot } from '../../src/core/snapshot';
import type { MnistDataset } from '../../src/data/mnistAsset';
import { fastEngineEntries, type EngineRegistry } from '../../src/model/engines';
import { command, openRun, type LoopHost, type NamedTensors, type RunEvent } from '../../src/run/loop';
import { setUpRun } from '../../src/run/setup';
import { runWhole } from '../../src/worker/analysisPart';
import type { AnalyzeRequest, AnalyzerEvent } from '../../src/worker/protocol';

// Small enough for two seeds in both ways (240 digits, 4 probes, 10 random-flip draws).
const LINK = '#preset=quick&epochs=1&subset=0.03&seed=7&seeds=2&probes=4&draws=10&backend=fast-wasm';
const WASM = readFileSync('public/kernels/fast_rnn.wasm');

let dataset: MnistDataset;
let dir: string;
beforeAll(async () => {
  expect(await useWasmAnalysisKernels()).toBe('wasm-simd');
  dataset = await loadBundledDigits();
  dir = mkdtempSync(join(tmpdir(), 'ftle-run-paths-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A seed as the page trains and analyses it: its snapshots and the weights of its last epoch. */
async function pageRun(config: RunConfig): Promise<{ snapshots: EpochSnapshot[]; weights: NamedTensors; engine: string }> {
  const registry: EngineRegistry = fastEngineEntries(async () => WASM);
  const run = await setUpRun({ registry, config, dataset, cores: 1 });
  const epochs: Extract<RunEvent, { type: 'epoch' }>[] = [];
  const host: LoopHost = {
    post: (ev) => {
      if (ev.type === 'epoch') epochs.push(ev);
      if (ev.type === 'error' || ev.type === 'diverged') throw new Error(ev.message);
    },
    engineId: () => run.entry.id,
    threads: () => run.state.model.threads ?? 1,
    rebuildModel: () => registry[run.entry.id]!.create(run.options.model),
    numTensors: () => 0,
  };
  expect(await openRun(run.state, host, false)).toBe(true);
  await command(run.state, host, { type: 'start' });
  expect(run.state.lifecycle).toBe('done');
  run.state.model.dispose();
  const snapshots = epochs.map((ev) => {
    // The controller's request: the run's config, the posted float32 weights, the probe digits of 'ready'.
    const req: AnalyzeRequest = {
      type: 'analyze',
      runId: 'page',
      epoch: ev.epoch,
      config,
      arch: config.cell,
      weights: ev.weights,
      probe: { inputs: run.probe.inputs, labels: run.probe.info.labels, T: run.probe.info.T, D: run.probe.info.D },
    };
    let out: AnalyzerEvent | null = null;
    runWhole(req, (e) => {
      if (e.type !== 'progress') out = e;
    });
    const done = out as AnalyzerEvent | null;
    if (done?.type !== 'analysis') throw new Error(`analysis of epoch ${ev.epoch} failed`);
    return { epoch: ev.epoch, metrics: { ...ev.metrics, analysisMs: done.analysisMs }, ...done.analysis } as EpochSnapshot;
  });
  return { snapshots, weights: epochs[epochs.length - 1].weights, engine: run.entry.id };
}

/**
 * The numbers of snapshots without wall times and the page-only thread count; lnR at float32, the
 * precision a bundle file stores it at (core/formats/bundle.ts).
 */
const numbers = (snaps: EpochSnapshot[]) =>
  JSON.parse(
    JSON.stringify(snaps, (k, v) =>
      k === 'msPerStep' || k === 'epochMs' || k === 'analysisMs' || k === 'threads'
        ? undefined
        : k === 'lnR'
          ? Array.from(v as number[], Math.fround)
          : ArrayBuffer.isView(v)
            ? Array.from(v as Float64Array)
            : Number.isNaN(v)
              ? 'NaN'
              : v,
    ),
  );

describe('a seed trained the page way equals the CLI run of the same link', () => {
  it('both seeds of a two-seed link: every epoch metric, analysis number and final weight', async () => {
    const { config, issues } = configFromHash(LINK);
    expect(issues).toEqual([]);
    const out = join(dir, 'run.json');
    const code = await runRun(
      [
        '--preset',
        'quick',
        ...LINK.slice(1)
          .split('&')
          .filter((kv) => !kv.startsWith('preset='))
          .flatMap((kv) => [`--${kv.split('=')[0]}`, kv.split('=')[1]]),
        '--out',
        out,
        '--quiet',
      ],
      () => {},
      {
        tty: false,
        raw: () => {},
      },
    );
    expect(code).toBe(0);
    const cli = parseRunBundle(readFileSync(out, 'utf8'));
    expect(cli.config).toEqual(config);
    expect(cli.seedRuns?.map((r) => r.seed)).toHaveLength(1);
    const second = cli.seedRuns![0];

    const first = await pageRun(config);
    expect(first.engine).toBe('fast-wasm');
    expect(first.snapshots.map((s) => s.epoch)).toEqual([0, 1]);
    expect(numbers(first.snapshots)).toEqual(numbers(cli.epochs));
    const cliWeights = (cli.weights as unknown as { tensors: Record<string, { data: number[] }> }).tensors;
    for (const [name, t] of Object.entries(first.weights)) expect(Array.from(t.data), name).toEqual(cliWeights[name].data);
    // Training did something: the test loss fell in epoch 1.
    expect(first.snapshots[1].metrics.testLoss).toBeLessThan(first.snapshots[0].metrics.testLoss);

    const page2 = await pageRun({ ...config, seed: second.seed });
    expect(second.seed).not.toBe(config.seed);
    expect(numbers(page2.snapshots)).toEqual(numbers(second.epochs));
    expect(page2.snapshots[1].metrics.testAcc).not.toBe(first.snapshots[1].metrics.testAcc);
  });
});
