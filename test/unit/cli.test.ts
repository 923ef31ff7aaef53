/**
 * The `ftle-lab` command line through the BUILT binary (dist-cli/ftle-lab.mjs, built once here by
 * scripts/build-cli.mjs) and in process: analyze, run (arguments, progress, Ctrl-C), summarize,
 * and `npm pack` + `npm install -g` into a clean prefix, offline, as a cluster node would.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseRunBundle } from '../../src/core/formats/bundle';
import { runRun } from '../../src/cli/runCommand';
import { parseAnalysisJson } from '../../src/core/formats/analysis';
import { runCli } from '../../src/cli/main';
import { expectClose, fixturePath, flat } from './dynamics.fixtures';

const root = new URL('../../', import.meta.url).pathname;
const bin = join(root, 'dist-cli/ftle-lab.mjs');
const dir = mkdtempSync(join(tmpdir(), 'ftle-cli-'));

beforeAll(() => {
  const r = spawnSync(process.execPath, [join(root, 'scripts/build-cli.mjs')], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  expect(existsSync(bin)).toBe(true);
});

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('ftle-lab analyze', () => {
  it('writes ftle-lab.analysis/v1 with the fixture keys and values', () => {
    const name = 'rnn_n8_t12_d1';
    const out = join(dir, 'a.json');
    const r = cli(
      'analyze',
      '--model',
      fixturePath(`${name}.model.json`),
      '--probe',
      fixturePath(`${name}.probe.json`),
      '--out',
      out,
      '--flip',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const ours = parseAnalysisJson(readFileSync(out, 'utf8')) as Record<string, any>;
    const ref = JSON.parse(readFileSync(fixturePath(`${name}.expected.json`), 'utf8'));
    for (const key of Object.keys(ref)) if (!['format', 'compute_seconds', 'name'].includes(key)) expect(ours, key).toHaveProperty(key);
    expect(ours.format).toBe('ftle-lab.analysis/v1');
    expect(ours.k).toBe(8);
    for (const key of [
      'logits',
      'loss',
      'loss_t',
      'rvals',
      'ftle',
      'q_final',
      'grad_weight_hh',
      'singular_values',
      'h_T',
      'jacobian_first',
    ]) {
      expectClose(flat(ours[key]), ref[key], 1e-8, 1e-12, key);
    }
    for (const v of Object.values(ours.checks) as number[]) expect(v).toBeLessThan(1e-10);
    // The flip block is computed with our own random sets (the probe file has none): same k list shape.
    expect(ours.flip.scores.length).toBe(3);
    expectClose(flat(ours.flip.scores), ref.flip.scores, 1e-8, 1e-12, 'flip.scores');
  });

  it('honours --k and --log2', () => {
    const name = 'lstm_n8_t10_d2';
    const out = join(dir, 'b.json');
    const r = cli(
      'analyze',
      '--model',
      fixturePath(`${name}.model.json`),
      '--probe',
      fixturePath(`${name}.probe.json`),
      '--out',
      out,
      '--k',
      '3',
      '--log2',
    );
    expect(r.code).toBe(0);
    const ours = JSON.parse(readFileSync(out, 'utf8'));
    const ref = JSON.parse(readFileSync(fixturePath(`${name}.expected.json`), 'utf8'));
    expect(ours.k).toBe(3);
    expect(ours.log_base).toBe('2');
    expect(ours.q_final[0].length).toBe(16);
    expect(ours.q_final[0][0].length).toBe(3);
    expectClose(
      flat(ours.ftle),
      ref.ftle.map((row: number[]) => row.slice(0, 3).map((v) => v / Math.LN2)),
      1e-8,
      1e-12,
      'ftle in bits',
    );
  });

  it.each([
    [['analyze', '--probe', 'p.json', '--out', 'o.json'], /--model: required/],
    [['analyze', '--model', '/nonexistent/m.json', '--probe', 'p.json', '--out', 'o.json'], /--model \/nonexistent\/m.json: cannot read/],
    [['analyze', '--model', 'M', '--probe', 'P', '--out', 'O', '--k', 'x'], /--k: expected a positive integer/],
    [['analyze', '--model', 'M', '--probe', 'P', '--out', 'O', '--bogus'], /unknown flag "--bogus"/],
    [['frobnicate'], /unknown command "frobnicate"/],
  ])('bad flags %j: one line on stderr, exit 2 (in process)', (args, pattern) => {
    const lines: string[] = [];
    expect(runCli(args as string[], (l) => lines.push(l))).toBe(2);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(pattern);
    expect(lines[0]).not.toMatch(/\n/);
  });

  it('a bad flag through the real binary: one line, exit 2', () => {
    const r = cli('analyze', '--model', 'M', '--probe', 'P', '--out', 'O', '--bogus');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^ftle-lab: unknown flag "--bogus"/);
  });

  it('broken files: names the field, exit 2, no stack trace', () => {
    const model = JSON.parse(readFileSync(fixturePath('rnn_n8_t12_d1.model.json'), 'utf8'));
    model.tensors.weight_hh_l0.shape = [8, 7];
    const bad = join(dir, 'bad.model.json');
    writeFileSync(bad, JSON.stringify(model));
    const probeOk = fixturePath('rnn_n8_t12_d1.probe.json');
    let r = cli('analyze', '--model', bad, '--probe', probeOk, '--out', join(dir, 'x.json'));
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`ftle-lab: --model ${bad}: tensors.weight_hh_l0.shape: expected [8, 8], got [8, 7]`);

    const truncated = join(dir, 'trunc.probe.json');
    writeFileSync(truncated, readFileSync(probeOk, 'utf8').slice(0, 50));
    r = cli('analyze', '--model', fixturePath('rnn_n8_t12_d1.model.json'), '--probe', truncated, '--out', join(dir, 'x.json'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--probe .*: \(root\): probe file is not valid JSON/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);

    // A probe that does not fit the model (D = 2 for a D = 1 model).
    r = cli(
      'analyze',
      '--model',
      fixturePath('rnn_n8_t12_d1.model.json'),
      '--probe',
      fixturePath('gru_n8_t10_d2.probe.json'),
      '--out',
      join(dir, 'x.json'),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/inputs: expected 1 inputs per step \(model input_size\), got 2/);

    r = cli('analyze', '--model', fixturePath('rnn_n8_t12_d1.model.json'), '--probe', probeOk, '--out', join(dir, 'x.json'), '--k', '9');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--k: 9 exceeds the state size 8/);
  });
});

describe('ftle-lab analyze --flip options', () => {
  it('--flip-n, --flip-k and --draws define the experiment written to the flip block', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'ftle-cli-')), 'a.json');
    const r = spawnSync(
      process.execPath,
      [
        bin,
        'analyze',
        '--model',
        'test/fixtures/rnn_n8_t12_d1.model.json',
        '--probe',
        'test/fixtures/rnn_n8_t12_d1.probe.json',
        '--out',
        out,
        '--flip',
        '--flip-n',
        '2',
        '--flip-k',
        '1,3',
        '--draws',
        '7',
        '--seed',
        '4',
      ],
      { encoding: 'utf8', cwd: root },
    );
    expect(r.status, r.stderr).toBe(0);
    const flip = JSON.parse(readFileSync(out, 'utf8')).flip;
    expect(flip.n).toBe(2);
    expect(flip.k_list).toEqual([1, 3]);
    expect(flip.R).toBe(7);
    expect(flip.rand_sets.map((sets: number[][]) => sets.length)).toEqual([7, 7]);
    expect(flip.rand_sets[1].every((set: number[]) => set.length === 3 && new Set(set).size === 3)).toBe(true);
    // s_t(2) is the mean of the first two ln r values, per probe and step.
    const rvals = JSON.parse(readFileSync(out, 'utf8')).rvals as number[][][];
    expect(flip.scores[0][5]).toBeCloseTo((Math.log(rvals[0][5][0]) + Math.log(rvals[0][5][1])) / 2, 12);
  });
});

describe('ftle-lab analyze: alignment controls', () => {
  it("writes the controls the app draws, equal to the app's snapshot numbers for the same seed", async () => {
    const name = 'rnn_n16_t28_d28_trained';
    const out = join(dir, 'controls.json');
    const lines: string[] = [];
    expect(
      runCli(
        [
          'analyze',
          '--model',
          fixturePath(`${name}.model.json`),
          '--probe',
          fixturePath(`${name}.probe.json`),
          '--out',
          out,
          '--seed',
          '7',
        ],
        (l) => lines.push(l),
      ),
    ).toBe(0);
    expect(lines).toEqual([]);
    const c = JSON.parse(readFileSync(out, 'utf8')).alignment.controls;
    expect(c.seed).toBe(7);
    expect(c.random_q_pool).toBe(16);
    const { loadFixture } = await import('./dynamics.fixtures');
    const { analyzeEpochDynamics } = await import('../../src/core/analysis/epochAnalysis');
    const { weights, probe } = loadFixture(name);
    const steps = JSON.parse(readFileSync(out, 'utf8')).alignment.steps as number[];
    const snap = analyzeEpochDynamics(weights, probe, { k: 4, seed: 7 }).alignment!;
    expect(snap.steps).toEqual(steps);
    expectClose(c.random_q_std_per_step, snap.paperStdRandomQ, 1e-12, 1e-14, 'random_q');
    expectClose(c.mismatched_probe_std_per_step, snap.paperStdMismatched, 1e-12, 1e-14, 'mismatched');
    expectClose(c.w_hh_std_per_step, snap.paperStdWhh, 1e-12, 1e-14, 'w_hh');
    expectClose(flat(c.overlap_left_w_hh), snap.overlapLeftWhh, 1e-12, 1e-14, 'overlap_left_w_hh');
    expectClose(c.effective_rank_per_step, snap.effectiveRank, 1e-12, 1e-14, 'effective_rank');
    // N = 16 < 20: no separate "last 10" set exists.
    expect(c.last_q_std_per_step).toBeUndefined();
  });
});

describe('ftle-lab run: arguments', () => {
  const out = join(dir, 'r.json');
  it.each([
    [['run', '--preset', 'quick', '--out', out, '--bogus', '1'], /^ftle-lab: unknown flag "--bogus"/],
    [['run', '--preset', 'quick', '--hidden', '0', '--out', out], /^ftle-lab: --hidden: invalid hidden="0"/],
    [['run', '--preset', 'quick', '--lr=abc', '--out', out], /^ftle-lab: --lr: invalid lr="abc"/],
    [['run', '--preset', 'nope', '--out', out], /^ftle-lab: --preset: unknown preset "nope"/],
    [['run', '--out', out], /^ftle-lab: --preset: required/],
    [['run', '--preset', 'quick'], /^ftle-lab: --out: required/],
    [['run', '--preset', 'quick', '--epochs', '2', '--epochs', '3', '--out', out], /^ftle-lab: --epochs: given twice/],
    [['run', '--preset', 'quick', '--seed', '--out', out], /^ftle-lab: --seed: missing value/],
    [['run', '--preset', 'quick', '--cell', 'elman', '--out', out], /^ftle-lab: --cell: expected rnn \| gru \| lstm/],
    [
      ['run', '--preset', 'quick', '--backend', 'webgl', '--out', out],
      /^ftle-lab: --backend webgl: the CLI trains on the hand-written engine only/,
    ],
    [
      ['run', '--preset', 'quick', '--out', '/nonexistent-dir/x.json'],
      /^ftle-lab: --out \/nonexistent-dir\/x.json: cannot write \(ENOENT\)/,
    ],
    [['run', '--preset', 'quick', '--out', dir], /^ftle-lab: --out .*: cannot write \(EISDIR\)/],
  ])('%j: one line on stderr, exit 2, nothing trained', async (args, pattern) => {
    const lines: string[] = [];
    expect(await runCli(args as string[], (l) => lines.push(l))).toBe(2);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(pattern);
    expect(existsSync(out)).toBe(false);
  });

  it('--help lists every command on stdout; an unknown cell through the real binary: one line, exit 2', () => {
    const help = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    for (const c of ['ftle-lab analyze', 'ftle-lab run', 'ftle-lab summarize']) expect(help.stdout).toContain(c);
    const r = cli('run', '--preset', 'quick', '--cell', 'elman', '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('ftle-lab run: progress on a terminal', () => {
  it('draws a bar redrawn in place, then the per-epoch lines', async () => {
    const out = join(dir, 'tty.json');
    const lines: string[] = [];
    let raw = '';
    const code = await runRun(['--preset', 'quick', '--epochs', '1', '--subset', '0.05', '--out', out], (l) => lines.push(l), {
      tty: true,
      raw: (t) => (raw += t),
    });
    expect(code).toBe(0);
    // Training and analysis bars, each redraw starting with carriage return + erase line.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the test reads terminal escape codes
    expect(raw).toMatch(/\r\x1b\[Kepoch 1\/1 training {2}\[[#.]{24}\] +\d+% loss \d\.\d{4}/);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the test reads terminal escape codes
    expect(raw).toMatch(/\r\x1b\[Kepoch [01]\/1 analysing \[[#.]{24}\] +\d+% (Lyapunov vectors|alignment|flip test|single-pixel map)/);
    expect(lines.filter((l) => /^epoch [01]\/1: /.test(l))).toHaveLength(2);
    expect(lines[lines.length - 1]).toBe(`ftle-lab: wrote ${out} (epochs 0-1)`);
  });
});

/** Runs the built binary asynchronously; `onStderr` sees stderr as it arrives (with the child, to signal it). */
function cliAsync(args: string[], onStderr?: (text: string, child: ReturnType<typeof spawn>) => void) {
  return new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      onStderr?.(stderr, child);
    });
    child.on('close', (code) => resolve({ code, stderr, stdout }));
  });
}

describe('ftle-lab run and summarize through the built binary', () => {
  const runs = [1, 2].map((seed) => join(dir, `run-seed${seed}.json`));

  it('trains, prints one plain progress line per epoch when stderr is not a terminal, writes a valid bundle', async () => {
    for (const [i, out] of runs.entries()) {
      const r = await cliAsync(['run', '--preset', 'quick', '--epochs', '1', '--subset', '0.05', '--seed', String(i + 1), '--out', out]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/\r/);
      const lines = r.stderr.trim().split('\n');
      expect(lines[0]).toMatch(/^ftle-lab run: preset quick, seed \d, 1 epoch\(s\).*engine fast-wasm/);
      expect(lines.filter((l) => /^epoch [01]\/1: /.test(l))).toHaveLength(2);
      const b = parseRunBundle(readFileSync(out, 'utf8'));
      expect(b.epochs.map((s) => s.epoch)).toEqual([0, 1]);
      expect([b.config.seed, b.config.epochs, b.config.subset]).toEqual([i + 1, 1, 0.05]);
      expect(b.weights).toBeDefined();
    }
  });

  it('Ctrl-C (SIGINT) mid-run: exit 130 and a valid bundle of the finished epochs', async () => {
    const out = join(dir, 'interrupted.json');
    let sent = false;
    const r = await cliAsync(['run', '--preset', 'quick', '--epochs', '40', '--subset', '0.1', '--out', out], (text, child) => {
      if (!sent && /epoch 1\/40: /.test(text)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    expect(r.code, r.stderr).toBe(130);
    const b = parseRunBundle(readFileSync(out, 'utf8'));
    const last = b.epochs[b.epochs.length - 1].epoch;
    expect(last).toBeGreaterThanOrEqual(1);
    expect(last).toBeLessThan(40);
    expect(b.epochs.map((s) => s.epoch)).toEqual(Array.from({ length: last + 1 }, (_, i) => i));
    expect(r.stderr).toContain(`holds epochs 0-${last}`);
  });

  it('summarize prints the across-seed table and writes JSON', () => {
    const json = join(dir, 'summary.json');
    const r = cli('summarize', ...runs, '--out', json);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[1]).toMatch(/^epoch\s+seed 1\s+seed 2\s+gap mean \[95% CI\]\s+R-top>random$/);
    expect(lines.slice(3).map((l) => l.trim().split(/\s+/)[0])).toEqual(['0', '1']);
    const summary = JSON.parse(readFileSync(json, 'utf8'));
    expect(summary.format).toBe('ftle-lab.seed-summary/v1');
    expect(summary.runs.map((x: { seed: number }) => x.seed)).toEqual([1, 2]);
    // The gap by hand from the bundles: mean over steps of paperStd minus the largest control's mean.
    const mean = (v: (number | null)[]) => {
      const f = v.filter((x): x is number => x !== null && Number.isFinite(x));
      return f.reduce((a, b) => a + b, 0) / f.length;
    };
    const gaps = runs.map((f) => {
      const a = JSON.parse(readFileSync(f, 'utf8')).epochs[1].alignment;
      const controls = [a.paperStdRandomQ, a.paperStdLastQ, a.paperStdMismatched, a.paperStdWhh].filter(Boolean).map(mean);
      return mean(a.paperStd) - Math.max(...controls);
    });
    const e1 = summary.epochs[1];
    expect(e1.runs[0].alignment.gap).toBeCloseTo(gaps[0], 12);
    expect(e1.alignmentGap.mean).toBeCloseTo((gaps[0] + gaps[1]) / 2, 12);
    // Two runs: t_{0.975, 1} = 12.706 times the standard error.
    const se = Math.abs(gaps[0] - gaps[1]) / 2;
    expect(e1.alignmentGap.hi - e1.alignmentGap.mean).toBeCloseTo(12.706204736 * se, 6);
    expect(e1.flipTopBeatsRandom.of).toBe(2);
    // The table's count cell agrees with the JSON.
    expect(lines[4]).toMatch(new RegExp(`${e1.flipTopBeatsRandom.count}/2$`));
  });

  it('summarize refuses runs of different configurations and a seed given twice', () => {
    const other = join(dir, 'other.json');
    const b = JSON.parse(readFileSync(runs[1], 'utf8'));
    b.config.lr = 0.01;
    writeFileSync(other, JSON.stringify(b));
    let r = cli('summarize', runs[0], other);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^ftle-lab: .*other.json: config.lr is 0.01 but 0.005 in .*run-seed1.json/);
    r = cli('summarize', runs[0], runs[0]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/seed 1 is also the seed of/);
    r = cli('summarize', join(dir, 'missing.json'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing.json: cannot read \(ENOENT\)/);
  });
});

describe('npm pack + npm install -g on a clean prefix', () => {
  it('installs offline with no dependency and runs `ftle-lab --help` and `ftle-lab run`', () => {
    const work = mkdtempSync(join(tmpdir(), 'ftle-pack-'));
    const npm = (...args: string[]) => spawnSync('npm', args, { cwd: root, encoding: 'utf8', timeout: 120_000 });
    const pack = npm('pack', '--pack-destination', work, '--json');
    expect(pack.status, pack.stderr).toBe(0);
    const info = JSON.parse(pack.stdout)[0];
    const files = info.files.map((f: { path: string }) => f.path).sort();
    expect(files).toEqual(
      expect.arrayContaining([
        'dist-cli/ftle-lab.mjs',
        'dist-cli/kernels/fast_rnn.wasm',
        'dist-cli/kernels/analysis.wasm',
        'dist-cli/data/mnist-10k.bin',
        'package.json',
      ]),
    );
    expect(files.some((f: string) => f.startsWith('src/'))).toBe(false);
    const prefix = join(work, 'prefix');
    const install = npm('install', '-g', join(work, info.filename), '--prefix', prefix, '--offline', '--no-audit', '--no-fund');
    expect(install.status, install.stderr).toBe(0);
    const installed = join(prefix, 'lib/node_modules/ftle-lab');
    expect(JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')).dependencies).toBeUndefined();
    expect(existsSync(join(installed, 'node_modules'))).toBe(false);
    const exe = join(prefix, 'bin/ftle-lab');
    const help = spawnSync(exe, ['--help'], { cwd: work, encoding: 'utf8' });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain('ftle-lab run');
    const run = spawnSync(exe, ['run', '--preset', 'quick', '--epochs', '1', '--subset', '0.05', '--out', 'x.json'], {
      cwd: work,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.status, run.stderr).toBe(0);
    expect(parseRunBundle(readFileSync(join(work, 'x.json'), 'utf8')).epochs.map((s) => s.epoch)).toEqual([0, 1]);
  });
});

describe('ftle-lab analyze --workers', () => {
  it.each(['rnn_n16_t28_d28_trained', 'gru_n8_t10_d2'])(
    '%s: --workers 1, 2 and 3 write the same file byte for byte (dynamics and flip test on worker_threads)',
    (name) => {
      const files = ['1', '2', '3'].map((w) => {
        const out = join(dir, `workers-${name}-${w}.json`);
        const r = cli(
          'analyze',
          '--model',
          fixturePath(`${name}.model.json`),
          '--probe',
          fixturePath(`${name}.probe.json`),
          '--out',
          out,
          '--flip',
          '--draws',
          '12',
          '--workers',
          w,
        );
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        return readFileSync(out, 'utf8');
      });
      expect(JSON.parse(files[0]).flip.dL_rand.length).toBeGreaterThan(0);
      expect(files[1]).toBe(files[0]);
      expect(files[2]).toBe(files[0]);
    },
    120_000,
  );

  it('--times reports each stage on one stderr line and changes nothing in the file', async () => {
    const name = 'rnn_n16_t28_d28_trained';
    const args = [
      'analyze',
      '--model',
      fixturePath(`${name}.model.json`),
      '--probe',
      fixturePath(`${name}.probe.json`),
      '--flip',
      '--draws',
      '6',
    ];
    const plain = join(dir, 'times-plain.json');
    const timed = join(dir, 'times-timed.json');
    expect(await runCli([...args, '--out', plain, '--workers', '2'], () => {})).toBe(0);
    const lines: string[] = [];
    expect(await runCli([...args, '--out', timed, '--workers', '2', '--times'], (l) => lines.push(l))).toBe(0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^ftle-lab analyze: dynamics [\d.]+ s, alignment [\d.]+ s, flip test [\d.]+ s, write [\d.]+ s; total [\d.]+ s, cpu [\d.]+ s \(2 threads\)$/,
    );
    expect(readFileSync(timed, 'utf8')).toBe(readFileSync(plain, 'utf8'));
  }, 60_000);

  it('--workers must be a positive integer', async () => {
    const lines: string[] = [];
    expect(await runCli(['analyze', '--model', 'M', '--probe', 'P', '--out', 'O', '--workers', '0'], (l) => lines.push(l))).toBe(2);
    expect(lines[0]).toMatch(/--workers: expected a positive integer/);
  });
});
