/**
 * `ftle-lab run --preset P [--cell rnn|gru|lstm] [--seed S] [--seeds S] [--epochs E] [--<config key> value ...] --out run.json`
 * Trains and analyses a run headless (run/headless.ts, the page's epoch loop) and writes an `ftle-lab.run/v1` bundle the app
 * imports and replays. Every key of a link's hash (`#preset=quick&epochs=1&seed=3`) is a flag
 * with the same name and the same validation (core/formats/config.ts).
 *
 * The bundle is rewritten (atomically: temporary file, then rename) after every analysed epoch, so
 * Ctrl-C (SIGINT, exit 130), SIGTERM (a scheduler's time limit, exit 143) or even a hard kill
 * leave a valid bundle of the finished epochs. Progress goes to stderr: a bar on a terminal, one
 * plain line per epoch otherwise (log files of batch jobs).
 */
import { renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { configFromHash, PRESETS, RunConfigSchema, type RunConfig } from '../core/formats/config';
import { serializeRunBundle, type RunBundle } from '../core/formats/bundle';
import { runHeadless, type HeadlessProgress, type HeadlessRunOptions } from '../run/headless';
import { loadBundledDigits, loadFastKernels, useWasmAnalysisKernels } from './assets';
import { UsageError } from './errors';
import { seedList } from '../core/seeds';
import { ARCHS } from '../core/formats/arch';
import pkg from '../../package.json';

export const RUN_USAGE = `usage: ftle-lab run --preset ${PRESETS.join('|')} [--cell rnn|gru|lstm] [--seed S] [--seeds S] [--epochs E] [--<config key> value ...] --out run.json [--quiet]`;

/** Cells a run may name (the config key `cell`). */
const CELLS = ARCHS;

/** Config keys given as flags (every RunConfig key: the URL hash's keys). */
const CONFIG_KEYS = new Set(Object.keys(RunConfigSchema.shape));

export interface RunArgs {
  config: RunConfig;
  out: string;
  quiet: boolean;
}

/**
 * Parses the arguments after `run` into a validated config; throws UsageError naming the flag
 * (unknown flag, missing or invalid value, a flag given twice, an unknown cell, a browser backend).
 * `--key value` and `--key=value` both work.
 */
export function parseRunArgs(argv: string[]): RunArgs {
  const params = new URLSearchParams();
  const seen = new Set<string>();
  let out: string | undefined;
  let quiet = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}" (${RUN_USAGE})`);
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const key = flag.slice(2);
    if (key === 'quiet') {
      quiet = true;
      continue;
    }
    if (key !== 'out' && key !== 'cell' && !CONFIG_KEYS.has(key)) {
      throw new UsageError(`unknown flag "${flag}" (config keys: ${[...CONFIG_KEYS].join(', ')}; ${RUN_USAGE})`);
    }
    let value: string;
    if (eq > 0) value = arg.slice(eq + 1);
    else {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag}: missing value`);
      value = v;
    }
    if (seen.has(key)) throw new UsageError(`${flag}: given twice; give it once`);
    seen.add(key);
    if (key === 'out') out = value;
    else if (key === 'cell') {
      if (!(CELLS as readonly string[]).includes(value)) throw new UsageError(`--cell: expected ${CELLS.join(' | ')}, got "${value}"`);
      params.set(key, value);
    } else params.set(key, value);
  }
  if (!params.has('preset')) throw new UsageError(`--preset: required (${PRESETS.join(' | ')})`);
  if (out === undefined) throw new UsageError(`--out: required (${RUN_USAGE})`);
  const { config, issues } = configFromHash(params.toString());
  if (issues.length) throw new UsageError(`--${issues[0].key}: ${issues[0].message}`);
  if (config.backend !== 'auto' && config.backend !== 'fast-wasm') {
    throw new UsageError(
      `--backend ${params.get('backend')}: the CLI trains on the hand-written engine only (--backend auto or fast-wasm); the others are the browser's engines`,
    );
  }
  return { config, out, quiet };
}

/** Throws UsageError unless `out` can be written (its folder exists and is writable, it is not a folder). */
export function checkWritable(out: string): void {
  try {
    if (statSync(out, { throwIfNoEntry: false })?.isDirectory()) throw Object.assign(new Error(), { code: 'EISDIR' });
    const probe = join(dirname(out), `.${basename(out)}.${process.pid}.check`);
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (e) {
    throw new UsageError(`--out ${out}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Writes the bundle text atomically: a reader (or a kill) never sees half a file. */
export function writeBundleAtomically(out: string, bundle: RunBundle): void {
  const tmp = join(dirname(out), `.${basename(out)}.${process.pid}.tmp`);
  writeFileSync(tmp, serializeRunBundle(bundle) + '\n');
  renameSync(tmp, out);
}

/**
 * Progress on stderr: a bar redrawn in place on a terminal (`raw` writes without a newline; at most
 * 10 redraws a second within a phase), plain lines otherwise.
 */
function progressPrinter(stderr: (line: string) => void, raw: (text: string) => void, tty: boolean, quiet: boolean) {
  let last = 0;
  let lastKey = '';
  let drawn = false;
  const bar = (f: number) => {
    const w = 24;
    const n = Math.round(Math.max(0, Math.min(1, f)) * w);
    return `[${'#'.repeat(n)}${'.'.repeat(w - n)}] ${String(Math.round(100 * f)).padStart(3)}%`;
  };
  const clear = () => {
    if (drawn) raw('\r\x1b[K');
    drawn = false;
  };
  return {
    progress(p: HeadlessProgress) {
      if (quiet || !tty) return;
      const now = performance.now();
      // Every new phase is drawn at once (a short epoch's training may take less than 100 ms).
      const key = `${p.epoch}:${p.phase}`;
      if (key === lastKey && now - last < 100) return;
      last = now;
      lastKey = key;
      const text =
        p.phase === 'train'
          ? `epoch ${p.epoch}/${p.epochs} training  ${bar(p.fraction)} loss ${p.loss.toFixed(4)}`
          : p.phase === 'evaluate'
            ? `epoch ${p.epoch}/${p.epochs} evaluating on the test digits`
            : `epoch ${p.epoch}/${p.epochs} analysing ${bar(p.fraction)} ${p.step}`;
      raw(`\r\x1b[K${text}`);
      drawn = true;
    },
    line(text: string) {
      if (quiet) return;
      clear();
      stderr(text);
    },
    clear,
  };
}

/**
 * Runs `ftle-lab run`; resolves to the exit code: 0 done, 1 diverged (the bundle holds the good
 * epochs), 130 / 143 stopped by SIGINT / SIGTERM (the bundle holds the finished epochs).
 * Throws UsageError for bad arguments (before anything is trained).
 */
export async function runRun(
  argv: string[],
  stderr: (line: string) => void,
  terminal: { tty: boolean; raw: (text: string) => void } = { tty: Boolean(process.stderr.isTTY), raw: (t) => process.stderr.write(t) },
): Promise<number> {
  const args = parseRunArgs(argv);
  checkWritable(args.out);
  const { config, out } = args;
  const print = progressPrinter(stderr, terminal.raw, terminal.tty, args.quiet);
  let signal: NodeJS.Signals | null = null;
  const onSignal = (s: NodeJS.Signals) => {
    // A second signal: the bundle on disk is already valid (written after every epoch), so leave now.
    if (signal) process.exit(s === 'SIGINT' ? 130 : 143);
    signal = s;
    print.line(`ftle-lab: ${s}: stopping after writing the finished epochs to ${out} (again to quit at once)`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const [dataset, { kernels, engine }] = await Promise.all([loadBundledDigits(), loadFastKernels(), useWasmAnalysisKernels()]);
    print.line(
      `ftle-lab run: preset ${config.preset}, seed ${config.seed}, ${config.epochs} epoch(s), ${config.encoding}, N=${config.hidden}, ` +
        `subset ${config.subset} of ${dataset.train.labels.length} digits, engine ${engine} -> ${out}`,
    );
    /** One seed's run on the loaded digits and kernels, stopped by a signal, progress on stderr. */
    const runSeed = (seedConfig: RunConfig, onEpoch: NonNullable<HeadlessRunOptions['onEpoch']>) =>
      runHeadless({
        config: seedConfig,
        dataset,
        kernels,
        engine,
        appVersion: pkg.version,
        shouldStop: () => signal !== null,
        onProgress: (p) => print.progress(p),
        onEpoch,
      });
    const result = await runSeed(config, (bundle, s) => {
      writeBundleAtomically(out, bundle);
      const m = s.metrics;
      const trained =
        s.epoch === 0
          ? 'initial weights'
          : `train loss ${m.trainLoss.toFixed(4)} acc ${(100 * m.trainAcc).toFixed(1)}%, ${(m.epochMs / 1000).toFixed(1)} s`;
      print.line(
        `epoch ${s.epoch}/${config.epochs}: ${trained}; test loss ${m.testLoss.toFixed(4)} acc ${(100 * m.testAcc).toFixed(1)}%; analysed in ${(m.analysisMs / 1000).toFixed(1)} s`,
      );
    });
    print.clear();
    const last = result.bundle.epochs[result.bundle.epochs.length - 1]?.epoch;
    if (result.outcome === 'diverged') {
      stderr(`ftle-lab: ${result.message}`);
      return 1;
    }
    if (result.outcome === 'stopped') {
      print.line(
        last === undefined
          ? 'ftle-lab: stopped before epoch 0 was analysed; nothing written'
          : `ftle-lab: stopped; ${out} holds epochs 0-${last}`,
      );
      return signal === 'SIGTERM' ? 143 : 130;
    }
    // A several-seed run (--seeds S): the other seeds, one after another, into the same bundle's
    // seedRuns, as the app's seeds worker trains them (core/seeds.ts derives them).
    const seedRuns: NonNullable<RunBundle['seedRuns']> = [];
    let seedFailed = false;
    for (const seed of seedList(config.seed, config.seeds).slice(1)) {
      const entry = { seed, epochs: [] as RunBundle['epochs'] };
      seedRuns.push(entry);
      print.line(`ftle-lab run: seed ${seed} (${seedRuns.length + 1} of ${config.seeds})`);
      const r = await runSeed({ ...config, seed }, (b, snap) => {
        entry.epochs = b.epochs.slice();
        writeBundleAtomically(out, { ...result.bundle, seedRuns: seedRuns.filter((x) => x.epochs.length > 0) });
        print.line(`seed ${seed} epoch ${snap.epoch}/${config.epochs}: test acc ${(100 * snap.metrics.testAcc).toFixed(1)}%`);
      });
      print.clear();
      if (r.outcome === 'stopped') {
        print.line(`ftle-lab: stopped during seed ${seed}; ${out} holds the finished epochs of every seed`);
        return signal === 'SIGTERM' ? 143 : 130;
      }
      if (r.outcome === 'diverged') {
        seedFailed = true;
        stderr(`ftle-lab: seed ${seed}: ${r.message}`);
      }
    }
    print.line(`ftle-lab: wrote ${out} (epochs 0-${last}${seedRuns.length ? `, ${config.seeds} seeds` : ''})`);
    return seedFailed ? 1 : 0;
  } finally {
    print.clear();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
