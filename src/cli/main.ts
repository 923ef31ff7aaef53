/**
 * `ftle-lab analyze --model m.json --probe p.json --out a.json [--k K] [--log2] [--flip]
 *  [--align-steps 7,14,28] [--seed S] [--workers N]`
 * Runs the float64 analysis (src/core/analyze.ts) on a model and probe file and writes
 * `ftle-lab.analysis/v1`. Any problem with the files or flags: ONE line on stderr naming it,
 * exit code 2 (never a stack trace). Exported `runCli` is what tests and bin/ftle-lab.mjs call.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { analyzeModel } from '../core/analyze';
import { FormatError } from '../core/formats/errors';
import { parseModelJson } from '../core/formats/model';
import { parseProbeJson } from '../core/formats/probe';
import { getAnalysisKernels, setAnalysisKernels } from '../core/kernels';
import { checkProbeForModel } from '../core/formats/probe';
import type { FlipEvaluator } from '../core/sensitivity';
import { createParallelFlipEvaluator } from './parallelFlip';
import { createWasmAnalysisKernels, wasmSimdAvailable } from '../core/kernels/wasm';

export const USAGE =
  'usage: ftle-lab analyze --model m.json --probe p.json --out a.json [--k K] [--log2] [--flip [--flip-n N] [--flip-k 1,2,5] [--draws R]] [--align-steps 7,14,28] [--seed S] [--workers N]';

/** A problem the user can fix (bad flag or file): reported as one line, exit code 2. */
export class UsageError extends Error {}

interface AnalyzeArgs {
  model: string;
  probe: string;
  out: string;
  k?: number;
  log2: boolean;
  flip: boolean;
  alignSteps?: number[];
  seed?: number;
  /** Flip test: score n, k values, random draws (a probe file's flip block still wins for rand_sets). */
  flipN?: number;
  flipK?: number[];
  draws?: number;
  /** Threads for the flip test (worker_threads; the output does not depend on it). Default 1. */
  workers: number;
}

const positiveInt = (flag: string, v: string): number => {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`${flag}: expected a positive integer, got "${v}"`);
  return n;
};

/** Parses the arguments after `analyze`; throws UsageError naming the flag. */
export function parseAnalyzeArgs(argv: string[]): AnalyzeArgs {
  const a: Partial<AnalyzeArgs> & { log2: boolean; flip: boolean; workers: number } = { log2: false, flip: false, workers: 1 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag}: missing value`);
      return v;
    };
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
        a.alignSteps = value().split(',').map((s) => positiveInt('--align-steps', s.trim()));
        break;
      case '--log2':
        a.log2 = true;
        break;
      case '--flip':
        a.flip = true;
        break;
      case '--flip-n':
        a.flipN = positiveInt('--flip-n', value());
        break;
      case '--flip-k':
        a.flipK = value().split(',').map((s) => positiveInt('--flip-k', s.trim()));
        break;
      case '--draws':
        a.draws = positiveInt('--draws', value());
        break;
      case '--workers':
        a.workers = positiveInt('--workers', value());
        break;
      default:
        throw new UsageError(`unknown flag "${flag}" (${USAGE})`);
    }
  }
  for (const req of ['model', 'probe', 'out'] as const) if (!a[req]) throw new UsageError(`--${req}: required (${USAGE})`);
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

/** Analyses and writes the file; `flipEvaluator` runs the flip jobs (default: this thread). */
function finishAnalyze({ args, weights, probe }: PreparedAnalyze, flipEvaluator?: FlipEvaluator): Record<string, unknown> {
  const result = prefixed(`--probe ${args.probe}:`, () =>
    analyzeModel(weights, probe, {
      k: args.k,
      logBase: args.log2 ? '2' : 'e',
      flip: args.flip ? { seed: args.seed, n: args.flipN, kList: args.flipK, R: args.draws } : false,
      alignSteps: args.alignSteps,
      seed: args.seed,
      flipEvaluator,
    }),
  ) as Record<string, unknown>;
  try {
    writeFileSync(args.out, JSON.stringify(result) + '\n');
  } catch (e) {
    throw new UsageError(`--out ${args.out}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return result;
}

/**
 * Runs `analyze` on this thread (synchronous; --workers is accepted and the result is the same,
 * computed on one thread); returns the written analysis object. Throws UsageError / FormatError on bad input.
 */
export function runAnalyze(argv: string[]): Record<string, unknown> {
  return finishAnalyze(prepareAnalyze(argv));
}

/**
 * Runs `analyze` with the flip test on --workers threads (worker_threads, parallelFlip.ts) when
 * more than one is asked for and --flip is on; same file as runAnalyze, bit for bit.
 */
export async function runAnalyzeAsync(argv: string[]): Promise<Record<string, unknown>> {
  const prepared = prepareAnalyze(argv);
  if (!(prepared.args.flip && prepared.args.workers > 1)) return finishAnalyze(prepared);
  const { weights, probe } = prepared;
  prefixed(`--probe ${prepared.args.probe}:`, () => checkProbeForModel(probe, weights));
  const ev = await createParallelFlipEvaluator(weights, probe, prepared.args.workers, getAnalysisKernels().kind === 'wasm-simd');
  try {
    return finishAnalyze(prepared, ev);
  } finally {
    ev.close();
  }
}

/**
 * Uses the WASM SIMD float64 kernels (the analysis worker's) when the module is there and the
 * runtime has SIMD; otherwise the pure-TypeScript kernels run. Results agree to rounding either way.
 */
export async function useWasmAnalysisKernels(): Promise<'wasm-simd' | 'js'> {
  try {
    if (!wasmSimdAvailable()) return 'js';
    setAnalysisKernels(await createWasmAnalysisKernels(readFileSync(new URL('../../public/kernels/analysis.wasm', import.meta.url))));
    return 'wasm-simd';
  } catch {
    return 'js';
  }
}

/** Maps an error to the CLI's exit code and one stderr line (see runCli). */
function exitCodeFor(e: unknown, stderr: (line: string) => void): number {
  if (e instanceof UsageError || e instanceof FormatError || e instanceof RangeError) {
    stderr(`ftle-lab: ${e.message.split('\n')[0]}`);
    return 2;
  }
  stderr(`ftle-lab: internal error: ${(e as Error).message?.split('\n')[0] ?? String(e)}`);
  if (process.env.FTLE_LAB_DEBUG) stderr(String((e as Error).stack));
  return 1;
}

/** The commands without `analyze`'s work: usage, help, unknown command. Returns an exit code or null for `analyze`. */
function otherCommand(command: string | undefined, stderr: (line: string) => void): number | null {
  if (command === 'analyze') return null;
  if (command === undefined || command === '--help' || command === '-h') {
    stderr(USAGE);
    return command === undefined ? 2 : 0;
  }
  throw new UsageError(`unknown command "${command}" (${USAGE})`);
}

/**
 * CLI entry: returns the exit code (0 ok, 2 bad input, 1 internal error). Errors are one line on
 * stderr; set FTLE_LAB_DEBUG=1 to see the stack of an internal error. Synchronous: one thread.
 */
export function runCli(argv: string[], stderr: (line: string) => void = (l) => process.stderr.write(l + '\n')): number {
  const [command, ...rest] = argv;
  try {
    const code = otherCommand(command, stderr);
    if (code !== null) return code;
    runAnalyze(rest);
    return 0;
  } catch (e) {
    return exitCodeFor(e, stderr);
  }
}

/** runCli with `--workers N` honoured (the flip test on N threads); what bin/ftle-lab.mjs calls. */
export async function runCliAsync(argv: string[], stderr: (line: string) => void = (l) => process.stderr.write(l + '\n')): Promise<number> {
  const [command, ...rest] = argv;
  try {
    const code = otherCommand(command, stderr);
    if (code !== null) return code;
    await runAnalyzeAsync(rest);
    return 0;
  } catch (e) {
    return exitCodeFor(e, stderr);
  }
}
