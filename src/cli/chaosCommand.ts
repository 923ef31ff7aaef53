/**
 * `ftle-lab chaos`: the edge-of-chaos sweep (src/core/dynamics/edgeOfChaos.ts chaosSweep, the
 * function the app's chaos view calls) over gains and seeds, written as `ftle-lab.chaos/v1`
 * (formats.md). Autonomous by default; --drive p.json drives the nets with a probe file's digit rows.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { CHAOS_DEFAULTS, type ChaosSettings, chaosSweep, parseGains } from '../core/dynamics/edgeOfChaos';
import { CHAOS_FORMAT } from '../core/formats/chaos';
import { FormatError } from '../core/formats/errors';
import { parseProbeJson } from '../core/formats/probe';
import { type LogBase, nestedInLogBase, unitLabel } from '../core/units';
import { eachFlag, UsageError } from './errors';

export { CHAOS_FORMAT };

export const CHAOS_USAGE =
  'usage: ftle-lab chaos --out chaos.json [--hidden 256] [--gains 0.5:3:0.1 | 0.5,1.5,2.5] [--seeds 5] [--seed 0] [--k 16] [--steps 500] [--transient 200] [--drive probe.json] [--log2] [--quiet]';

interface ChaosArgs {
  out: string;
  hidden: number;
  gains: number[];
  seeds: number;
  seed: number;
  k?: number;
  steps: number;
  transient: number;
  drive?: string;
  logBase: LogBase;
  quiet: boolean;
}

const intFlag = (flag: string, v: string, min: number, max: number): number => {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max)
    throw new UsageError(`${flag}: expected an integer in ${min}..${max}, got "${v}"`);
  return n;
};

/** Parses the arguments after `chaos`; throws UsageError naming the flag. */
export function parseChaosArgs(argv: string[]): ChaosArgs {
  const a: Partial<ChaosArgs> = {};
  let logBase: LogBase = 'e';
  let quiet = false;
  eachFlag(argv, (flag, value) => {
    switch (flag) {
      case '--out':
        a.out = value();
        break;
      case '--hidden':
        a.hidden = intFlag('--hidden', value(), 2, 4096);
        break;
      case '--gains':
        try {
          a.gains = parseGains(value());
        } catch (e) {
          throw new UsageError(`--gains: ${(e as Error).message}`);
        }
        break;
      case '--seeds':
        a.seeds = intFlag('--seeds', value(), 1, 1000);
        break;
      case '--seed':
        a.seed = intFlag('--seed', value(), 0, 2 ** 31);
        break;
      case '--k':
        a.k = intFlag('--k', value(), 1, 4096);
        break;
      case '--steps':
        a.steps = intFlag('--steps', value(), 10, 1_000_000);
        break;
      case '--transient':
        a.transient = intFlag('--transient', value(), 0, 1_000_000);
        break;
      case '--drive':
        a.drive = value();
        break;
      case '--log2':
        logBase = '2';
        break;
      case '--quiet':
        quiet = true;
        break;
      default:
        throw new UsageError(`unknown flag "${flag}" (${CHAOS_USAGE})`);
    }
  });
  if (!a.out) throw new UsageError(`--out: required (${CHAOS_USAGE})`);
  const hidden = a.hidden ?? 256;
  if (a.k !== undefined && a.k > hidden) throw new UsageError(`--k: ${a.k} exceeds --hidden ${hidden}`);
  return {
    out: a.out,
    hidden,
    gains: a.gains ?? parseGains('0.5:3:0.1'),
    seeds: a.seeds ?? CHAOS_DEFAULTS.seeds,
    seed: a.seed ?? 0,
    k: a.k,
    steps: a.steps ?? CHAOS_DEFAULTS.steps,
    transient: a.transient ?? CHAOS_DEFAULTS.transient,
    drive: a.drive,
    logBase,
    quiet,
  };
}

/**
 * The chaos.json object of a sweep (formats.md): every exponent in the file's log_base unit.
 * Exported for the app's download of the same view (one writer, one format).
 */
export function chaosFileObject(sweep: ReturnType<typeof chaosSweep>, logBase: LogBase): Record<string, unknown> {
  const u = <T>(v: T) => nestedInLogBase(v, logBase);
  return {
    format: CHAOS_FORMAT,
    log_base: logBase,
    unit: unitLabel(logBase),
    model: 'h_t = tanh(g W h_{t-1} + U x_t), W_ij ~ N(0, 1/N), U_ij ~ N(0, 1/D), h_0 ~ N(0, 1); x = 0 unless driven',
    hidden: sweep.hidden,
    k: sweep.k,
    steps: sweep.steps,
    transient: sweep.transient,
    driven: sweep.driven,
    gains: sweep.gains,
    seeds: sweep.seeds,
    lambda1: u(sweep.lambda1),
    lambda1_mean: u(sweep.lambda1Mean),
    lambda1_spread: u(sweep.lambda1Spread),
    lambda1_err: u(sweep.lambda1Err),
    meanfield: u(sweep.meanfield),
    finite_size_bias: u(sweep.finiteSizeBias),
    meanfield_band: u(sweep.meanfieldBand),
    inside_band: sweep.insideBand,
    spectrum: u(sweep.spectrum),
    kaplan_yorke: sweep.kaplanYorke,
  };
}

/** Runs `chaos`: computes the sweep and writes the file; returns the written object. */
export function runChaos(argv: string[], stderr: (line: string) => void = () => {}): Record<string, unknown> {
  const args = parseChaosArgs(argv);
  let drive: ChaosSettings['drive'] = null;
  if (args.drive) {
    let text: string;
    try {
      text = readFileSync(args.drive, 'utf8');
    } catch (e) {
      throw new UsageError(`--drive ${args.drive}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    try {
      const p = parseProbeJson(text);
      drive = { D: p.D, inputs: p.inputs };
    } catch (e) {
      if (e instanceof FormatError) throw new UsageError(`--drive ${args.drive}: ${e.message}`);
      throw e;
    }
  }
  const settings: ChaosSettings = {
    hidden: args.hidden,
    k: args.k ?? Math.min(CHAOS_DEFAULTS.k, args.hidden),
    steps: args.steps,
    transient: args.transient,
    drive,
  };
  const seeds = Array.from({ length: args.seeds }, (_, i) => args.seed + i);
  const sweep = chaosSweep(args.gains, seeds, settings, (done, total) => {
    // One line per gain (all its seeds done).
    if (!args.quiet && done % seeds.length === 0) stderr(`chaos: gain ${done / seeds.length}/${total / seeds.length} done`);
  });
  const obj = chaosFileObject(sweep, args.logBase);
  try {
    writeFileSync(args.out, JSON.stringify(obj) + '\n');
  } catch (e) {
    throw new UsageError(`--out ${args.out}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return obj;
}
