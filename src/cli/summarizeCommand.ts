/**
 * `ftle-lab summarize run1.json run2.json ... [--out summary.json] [--alpha 0.05]`
 * The across-seed claim table of run bundles of one configuration (core/seedSummary.ts): per
 * epoch, each run's flip verdict (R-top > random after Holm) and alignment gap (statistic minus its
 * strongest control), the mean gap with its 95% t-interval, and how many runs show R-top > random.
 * The table goes to stdout; --out also writes it as JSON (`ftle-lab.seed-summary/v1`, NaN as null).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseRunBundle, type RunBundle } from '../core/formats/bundle';
import { FormatError } from '../core/formats/errors';
import { CLAIM_ALPHA, summarizeSeeds, type MeanInterval, type SeedSummaryEpoch } from '../core/seedSummary';
import { UsageError } from './errors';

export const SUMMARIZE_USAGE = 'usage: ftle-lab summarize run1.json run2.json ... [--out summary.json] [--alpha 0.05]';

export const SEED_SUMMARY_FORMAT = 'ftle-lab.seed-summary/v1';

/**
 * Config keys that may differ between the runs of one summary: the seed, how far each got, and how
 * many seeds the file's run trained (a several-seed bundle from the app next to single-seed CLI runs).
 */
const MAY_DIFFER = new Set(['seed', 'epochs', 'seeds']);

/**
 * The runs of the given files: each bundle's main run, then each of its background seeds
 * (bundle.seedRuns of a several-seed run), labelled `file#seed`.
 */
function expandSeedRuns(files: string[], bundles: RunBundle[]): { files: string[]; bundles: RunBundle[] } {
  const out = { files: [] as string[], bundles: [] as RunBundle[] };
  bundles.forEach((b, i) => {
    out.files.push(files[i]);
    out.bundles.push(b);
    for (const r of b.seedRuns ?? []) {
      out.files.push(`${files[i]}#${r.seed}`);
      out.bundles.push({ ...b, config: { ...b.config, seed: r.seed }, epochs: r.epochs, weights: undefined, seedRuns: undefined });
    }
  });
  return out;
}

interface SummarizeArgs {
  files: string[];
  out?: string;
  alpha: number;
}

function parseSummarizeArgs(argv: string[]): SummarizeArgs {
  const files: string[] = [];
  let out: string | undefined;
  let alpha = CLAIM_ALPHA;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--out' || a === '--alpha') {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${a}: missing value`);
      if (a === '--out') out = v;
      else {
        alpha = Number(v);
        if (!(alpha > 0 && alpha < 1)) throw new UsageError(`--alpha: expected a number in (0, 1), got "${v}"`);
      }
    } else if (a.startsWith('--')) throw new UsageError(`unknown flag "${a}" (${SUMMARIZE_USAGE})`);
    else files.push(a);
  }
  if (files.length === 0) throw new UsageError(`no run bundles given (${SUMMARIZE_USAGE})`);
  return { files, out, alpha };
}

function readBundle(file: string): RunBundle {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    return parseRunBundle(text);
  } catch (e) {
    if (e instanceof FormatError) throw new UsageError(`${file}: ${e.message}`);
    throw e;
  }
}

/** Refuses runs of different configurations (or the same seed twice): their summary would mean nothing. */
function checkSameConfiguration(files: string[], bundles: RunBundle[]): void {
  const first = bundles[0].config as Record<string, unknown>;
  const seeds = new Map<number, string>();
  bundles.forEach((b, r) => {
    const c = b.config as Record<string, unknown>;
    for (const key of Object.keys(first)) {
      if (!MAY_DIFFER.has(key) && c[key] !== first[key]) {
        throw new UsageError(
          `${files[r]}: config.${key} is ${String(c[key])} but ${String(first[key])} in ${files[0]}; summarize runs of one configuration (only the seed differs)`,
        );
      }
    }
    const other = seeds.get(b.config.seed);
    if (other !== undefined)
      throw new UsageError(`${files[r]}: seed ${b.config.seed} is also the seed of ${other}; each seed must count once`);
    seeds.set(b.config.seed, files[r]);
  });
}

const num = (v: number, digits = 4) => (Number.isFinite(v) ? (v >= 0 ? '+' : '') + v.toFixed(digits) : 'n/a');
const interval = (m: MeanInterval) => (m.n === 0 ? 'n/a' : `${num(m.mean)} [${num(m.lo)}, ${num(m.hi)}]`);

/** The table as text lines: one row per epoch, a column per run ("Y/N gap"), then the across-run columns. */
export function formatSeedSummary(rows: SeedSummaryEpoch[], seeds: number[], alpha: number): string[] {
  const cell = (c: SeedSummaryEpoch['runs'][number]) =>
    c === null ? '-' : `${c.flip ? (c.flip.topBeatsRandom ? 'Y' : 'N') : '?'} ${c.alignment ? num(c.alignment.gap) : 'n/a'}`;
  const header = ['epoch', ...seeds.map((s) => `seed ${s}`), 'gap mean [95% CI]', 'R-top>random'];
  const body = rows.map((r) => [
    String(r.epoch),
    ...r.runs.map(cell),
    interval(r.alignmentGap),
    `${r.flipTopBeatsRandom.count}/${r.flipTopBeatsRandom.of}`,
  ]);
  const widths = header.map((h, j) => Math.max(h.length, ...body.map((row) => row[j].length)));
  const line = (row: string[]) =>
    row
      .map((v, j) => (j === 0 ? v.padStart(widths[j]) : v.padEnd(widths[j])))
      .join('  ')
      .trimEnd();
  return [
    `Claims across ${seeds.length} run(s). Per run: Y/N = R-top beats random flips at some k (Wilcoxon, Holm over k, p < ${alpha}); ` +
      'gap = alignment statistic (paper std, mean over steps) minus its strongest control (> 0: beats every control).',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...body.map(line),
  ];
}

/** Runs `summarize`: prints the table on stdout, writes JSON with --out; returns 0 (throws UsageError on bad input). */
export function runSummarize(argv: string[], stdout: (line: string) => void): number {
  const args = parseSummarizeArgs(argv);
  const { files, bundles } = expandSeedRuns(args.files, args.files.map(readBundle));
  checkSameConfiguration(files, bundles);
  const rows = summarizeSeeds(
    bundles.map((b) => b.epochs),
    args.alpha,
  );
  const seeds = bundles.map((b) => b.config.seed);
  if (args.out) {
    const json = {
      format: SEED_SUMMARY_FORMAT,
      alpha: args.alpha,
      level: 0.95,
      config: { ...bundles[0].config, seed: null, seeds: bundles.length, epochs: Math.max(...bundles.map((b) => b.config.epochs)) },
      runs: bundles.map((b, r) => ({ file: files[r], seed: b.config.seed, epochs: b.epochs.map((s) => s.epoch) })),
      epochs: rows,
    };
    try {
      writeFileSync(args.out, JSON.stringify(json, null, 1) + '\n');
    } catch (e) {
      throw new UsageError(`--out ${args.out}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }
  for (const l of formatSeedSummary(rows, seeds, args.alpha)) stdout(l);
  return 0;
}
