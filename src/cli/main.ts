/**
 * The `ftle-lab` command line:
 * - `ftle-lab analyze --model m.json --probe p.json --out a.json [--k K] [--log2] [--flip]
 *   [--align-steps 7,14,28] [--seed S] [--workers N] [--times]`: the float64 analysis (src/core/analysis/analyze.ts) of a
 *   model and probe file, written as `ftle-lab.analysis/v1` (--workers N: the per-probe dynamics and
 *   the flip test on N worker_threads, the same file bit for bit; --times: each stage's elapsed time on stderr);
 * - `ftle-lab run ...` (runCommand.ts): trains and analyses a run headless, writes a run bundle;
 * - `ftle-lab summarize ...` (summarizeCommand.ts): the across-seed claim table of run bundles;
 * - `ftle-lab chaos ...` (chaosCommand.ts): the edge-of-chaos sweep of random networks over gains.
 * Every command answers --help (or -h) with its usage on stdout.
 * Any problem with the files or flags: ONE line on stderr naming it, exit code 2 (never a stack
 * trace). Exported `runCli` is what tests and the entry point (entry.ts) call.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import pkg from '../../package.json';
import { analyzeModelPart, checkAnalyzeInput, mergeAnalysisParts, type AnalysisPart, type AnalyzeOptions } from '../core/analysis/analyze';
import { FormatError } from '../core/formats/errors';
import { parseModelJson } from '../core/formats/model';
import { parseProbeJson } from '../core/formats/probe';
import { getAnalysisKernels } from '../core/kernels';
import { createParallelFlipEvaluator, type ParallelFlipEvaluator } from './parallelFlip';
import type { PartOptions } from './flipThread';
import { useWasmAnalysisKernels } from './assets';
import { eachFlag, UsageError } from './errors';
import { runRun, RUN_USAGE } from './runCommand';
import { runSummarize, SUMMARIZE_USAGE } from './summarizeCommand';
import { CHAOS_USAGE, runChaos } from './chaosCommand';

export const ANALYZE_USAGE =
  'usage: ftle-lab analyze --model m.json --probe p.json --out a.json [--k K] [--log2] [--clv] [--flip [--flip-n N] [--flip-k 1,2,5] [--draws R]] [--align-steps 7,14,28] [--seed S] [--workers N] [--times]';

export { UsageError };

/** Usage of every command, one per line (`ftle-lab --help`). */
export const USAGE = [ANALYZE_USAGE, RUN_USAGE, SUMMARIZE_USAGE, CHAOS_USAGE].join('\n');

/** Each command's usage, for `ftle-lab <command> --help`. */
export const COMMAND_USAGE: Record<string, string> = {
  analyze: ANALYZE_USAGE,
  run: RUN_USAGE,
  summarize: SUMMARIZE_USAGE,
  chaos: CHAOS_USAGE,
};

interface AnalyzeArgs {
  model: string;
  probe: string;
  out: string;
  k?: number;
  log2: boolean;
  /** Covariant Lyapunov vectors and their alignment control (clv_* fields). */
  clv: boolean;
  flip: boolean;
  alignSteps?: number[];
  seed?: number;
  /** Flip test: score n, k values, random draws (a probe file's flip block still wins for rand_sets). */
  flipN?: number;
  flipK?: number[];
  draws?: number;
  /** Threads for the dynamics and the flip test (worker_threads; the output does not depend on it). Default 1. */
  workers: number;
  /** Print each stage's elapsed time to stderr. */
  times: boolean;
}

const positiveInt = (flag: string, v: string): number => {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`${flag}: expected a positive integer, got "${v}"`);
  return n;
};

/** A comma-separated list of positive integers ("1,5,10"). */
const positiveInts = (flag: string, v: string): number[] => v.split(',').map((s) => positiveInt(flag, s.trim()));

/** Parses the arguments after `analyze`; throws UsageError naming the flag. */
export function parseAnalyzeArgs(argv: string[]): AnalyzeArgs {
  const a: Partial<AnalyzeArgs> & { log2: boolean; clv: boolean; flip: boolean; workers: number; times: boolean } = {
    log2: false,
    clv: false,
    flip: false,
    workers: 1,
    times: false,
  };
  eachFlag(argv, (flag, value) => {
    switch (flag) {
      case '--model':
        a.model = value();
        break;
      case '--probe':
        a.probe = value();
        break;
      case '--out':
        a.out = value();
        break;
      case '--k':
        a.k = positiveInt('--k', value());
        break;
      case '--seed': {
        const v = value();
        if (!/^\d+$/.test(v)) throw new UsageError(`--seed: expected a non-negative integer, got "${v}"`);
        a.seed = Number(v);
        break;
      }
      case '--align-steps':
        a.alignSteps = positiveInts('--align-steps', value());
        break;
      case '--log2':
        a.log2 = true;
        break;
      case '--clv':
        a.clv = true;
        break;
      case '--flip':
        a.flip = true;
        break;
      case '--flip-n':
        a.flipN = positiveInt('--flip-n', value());
        break;
      case '--flip-k':
        a.flipK = positiveInts('--flip-k', value());
        break;
      case '--draws':
        a.draws = positiveInt('--draws', value());
        break;
      case '--workers':
        a.workers = positiveInt('--workers', value());
        break;
      case '--times':
        a.times = true;
        break;
      default:
        throw new UsageError(`unknown flag "${flag}" (${ANALYZE_USAGE})`);
    }
  });
  for (const req of ['model', 'probe', 'out'] as const) if (!a[req]) throw new UsageError(`--${req}: required (${ANALYZE_USAGE})`);
  return a as AnalyzeArgs;
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`${what} ${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

interface PreparedAnalyze {
  args: AnalyzeArgs;
  weights: ReturnType<typeof parseModelJson>;
  probe: ReturnType<typeof parseProbeJson>;
}

/** Re-throws a FormatError as a UsageError prefixed with the file it came from. */
function prefixed<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof FormatError) throw new UsageError(`${what} ${e.message}`);
    throw e;
  }
}

/** Parses the flags and reads and checks the model and probe files. */
function prepareAnalyze(argv: string[]): PreparedAnalyze {
  const args = parseAnalyzeArgs(argv);
  const weights = prefixed(`--model ${args.model}:`, () => parseModelJson(readText(args.model, '--model')));
  const probe = prefixed(`--probe ${args.probe}:`, () => parseProbeJson(readText(args.probe, '--probe')));
  const S = weights.arch === 'lstm' ? 2 * weights.hiddenSize : weights.hiddenSize;
  if (args.k !== undefined && args.k > S) throw new UsageError(`--k: ${args.k} exceeds the state size ${S}`);
  if (args.alignSteps) for (const t of args.alignSteps) if (t > probe.T) throw new UsageError(`--align-steps: ${t} exceeds T = ${probe.T}`);
  return { args, weights, probe };
}

/** Times stages by wall clock (`--times`): mark(next) ends the current stage and starts `next`. */
function stageClock() {
  const times: [string, number][] = [];
  let stage = 'dynamics';
  let t = performance.now();
  const cpu0 = process.cpuUsage();
  return {
    mark(next: string) {
      const now = performance.now();
      times.push([stage, (now - t) / 1000]);
      stage = next;
      t = now;
    },
    line(where: string) {
      const total = times.reduce((a, [, s]) => a + s, 0);
      // CPU time of the whole process (every thread): on a shared machine the wall time says little.
      const cpu = process.cpuUsage(cpu0);
      const cpuS = (cpu.user + cpu.system) / 1e6;
      return `ftle-lab analyze: ${times.map(([name, s]) => `${name} ${s.toFixed(1)} s`).join(', ')}; total ${total.toFixed(1)} s, cpu ${cpuS.toFixed(1)} s (${where})`;
    },
  };
}

function analyzeOptions(args: AnalyzeArgs, threads?: ParallelFlipEvaluator): AnalyzeOptions {
  return {
    k: args.k,
    logBase: args.log2 ? '2' : 'e',
    flip: args.flip ? { seed: args.seed, n: args.flipN, kList: args.flipK, R: args.draws } : false,
    alignSteps: args.alignSteps,
    seed: args.seed,
    clv: args.clv,
    flipEvaluator: args.flip ? threads : undefined,
  };
}

const partOptions = (o: AnalyzeOptions): PartOptions => ({ k: o.k, logBase: o.logBase, alignSteps: o.alignSteps, seed: o.seed });

/** Merges the per-probe parts (alignment summary, flip test on `threads` or this thread), writes the file. */
function finishAnalyze(
  { args, weights, probe }: PreparedAnalyze,
  parts: AnalysisPart[],
  clock: ReturnType<typeof stageClock>,
  stderr: (line: string) => void,
  threads?: ParallelFlipEvaluator,
): Record<string, unknown> {
  const result = prefixed(`--probe ${args.probe}:`, () =>
    mergeAnalysisParts(weights, probe, parts, { ...analyzeOptions(args, threads), onStage: clock.mark }),
  );
  clock.mark('write');
  try {
    writeFileSync(args.out, JSON.stringify(result) + '\n');
  } catch (e) {
    throw new UsageError(`--out ${args.out}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  clock.mark('');
  if (args.times) stderr(clock.line(threads ? `${threads.threads} threads` : '1 thread'));
  return result;
}

/**
 * Runs `analyze` on this thread (synchronous; the result is the one --workers N gives); returns
 * the written analysis object. Throws UsageError / FormatError on bad input.
 */
export function runAnalyze(
  argv: string[],
  stderr: (line: string) => void = (l) => process.stderr.write(l + '\n'),
): Record<string, unknown> {
  const prepared = prepareAnalyze(argv);
  const clock = stageClock();
  const opts = analyzeOptions(prepared.args);
  const part = prefixed(`--probe ${prepared.args.probe}:`, () => {
    checkAnalyzeInput(prepared.weights, prepared.probe, opts);
    return analyzeModelPart(prepared.weights, prepared.probe, 0, prepared.probe.B, partOptions(opts));
  });
  return finishAnalyze(prepared, [part], clock, stderr);
}

/**
 * Runs `analyze` on --workers threads (worker_threads, parallelFlip.ts): the threads take the
 * probes' dynamics one probe at a time from a shared counter and share each flip-test call by
 * whole evaluator blocks; the same file as runAnalyze, bit for bit.
 */
export async function runAnalyzeAsync(
  argv: string[],
  stderr: (line: string) => void = (l) => process.stderr.write(l + '\n'),
): Promise<Record<string, unknown>> {
  const prepared = prepareAnalyze(argv);
  if (prepared.args.workers <= 1 || prepared.probe.B <= 1) return runAnalyze(argv, stderr);
  const { args, weights, probe } = prepared;
  const opts = analyzeOptions(args);
  prefixed(`--probe ${args.probe}:`, () => checkAnalyzeInput(weights, probe, opts));
  const clock = stageClock();
  const threads = await createParallelFlipEvaluator(weights, probe, args.workers, getAnalysisKernels().kind === 'wasm-simd');
  try {
    return finishAnalyze(prepared, await threads.parts(partOptions(opts)), clock, stderr, threads);
  } finally {
    threads.close();
  }
}

export { useWasmAnalysisKernels };

/** Reports an error thrown by a command: one line; exit 2 for the user's input, 1 for an internal error. */
function reportError(e: unknown, stderr: (line: string) => void): number {
  if (e instanceof UsageError || e instanceof FormatError || e instanceof RangeError) {
    stderr(`ftle-lab: ${e.message.split('\n')[0]}`);
    return 2;
  }
  stderr(`ftle-lab: internal error: ${(e as Error).message?.split('\n')[0] ?? String(e)}`);
  if (process.env.FTLE_LAB_DEBUG) stderr(String((e as Error).stack));
  return 1;
}

/**
 * CLI entry: returns the exit code (0 ok, 2 bad input, 1 internal error; `run` also 130/143 when
 * interrupted), a Promise for `run` (it trains asynchronously). Errors are one line on stderr; set
 * FTLE_LAB_DEBUG=1 to see the stack of an internal error. Help and the summary table go to stdout.
 */
export function runCli(
  argv: string[],
  stderr: (line: string) => void = (l) => process.stderr.write(l + '\n'),
  stdout: (line: string) => void = (l) => process.stdout.write(l + '\n'),
): number | Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command !== undefined && Object.hasOwn(COMMAND_USAGE, command) && (rest.includes('--help') || rest.includes('-h'))) {
      stdout(COMMAND_USAGE[command]);
      return 0;
    }
    if (command === 'chaos') {
      runChaos(rest, stderr);
      return 0;
    }
    if (command === 'analyze') {
      // --workers N > 1 runs the dynamics and the flip test on threads (asynchronous); otherwise synchronous.
      if (rest.includes('--workers'))
        return runAnalyzeAsync(rest, stderr).then(
          () => 0,
          (e) => reportError(e, stderr),
        );
      runAnalyze(rest, stderr);
      return 0;
    }
    if (command === 'run') return runRun(rest, stderr).catch((e) => reportError(e, stderr));
    if (command === 'summarize') return runSummarize(rest, stdout);
    if (command === '--help' || command === '-h' || command === 'help') {
      stdout(`ftle-lab ${pkg.version}: train and analyse RNNs on MNIST (FTLEs, gradient alignment, flip tests)\n${USAGE}`);
      return 0;
    }
    if (command === '--version' || command === '-v') {
      stdout(pkg.version);
      return 0;
    }
    if (command === undefined) throw new UsageError('missing command: analyze | run | summarize | chaos (ftle-lab --help for usage)');
    throw new UsageError(`unknown command "${command}" (${USAGE.replace(/\n/g, '; ')})`);
  } catch (e) {
    return reportError(e, stderr);
  }
}
