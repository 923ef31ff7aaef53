import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAnalysisJson } from '../../src/core/formats/analysis';
import { runCli } from '../../src/cli/main';
import { expectClose, fixturePath, flat } from './dynamics.fixtures';

const root = new URL('../../', import.meta.url).pathname;
const bin = join(root, 'bin/ftle-lab.mjs');
const dir = mkdtempSync(join(tmpdir(), 'ftle-cli-'));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('ftle-lab analyze', () => {
  it('writes ftle-lab.analysis/v1 with the fixture keys and values', () => {
    const name = 'rnn_n8_t12_d1';
    const out = join(dir, 'a.json');
    const r = cli('analyze', '--model', fixturePath(`${name}.model.json`), '--probe', fixturePath(`${name}.probe.json`), '--out', out, '--flip');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const ours = parseAnalysisJson(readFileSync(out, 'utf8')) as Record<string, any>;
    const ref = JSON.parse(readFileSync(fixturePath(`${name}.expected.json`), 'utf8'));
    for (const key of Object.keys(ref)) if (!['format', 'compute_seconds', 'name'].includes(key)) expect(ours, key).toHaveProperty(key);
    expect(ours.format).toBe('ftle-lab.analysis/v1');
    expect(ours.k).toBe(8);
    for (const key of ['logits', 'loss', 'loss_t', 'rvals', 'ftle', 'q_final', 'grad_weight_hh', 'singular_values', 'h_T', 'jacobian_first']) {
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
    const r = cli('analyze', '--model', fixturePath(`${name}.model.json`), '--probe', fixturePath(`${name}.probe.json`), '--out', out, '--k', '3', '--log2');
    expect(r.code).toBe(0);
    const ours = JSON.parse(readFileSync(out, 'utf8'));
    const ref = JSON.parse(readFileSync(fixturePath(`${name}.expected.json`), 'utf8'));
    expect(ours.k).toBe(3);
    expect(ours.log_base).toBe('2');
    expect(ours.q_final[0].length).toBe(16);
    expect(ours.q_final[0][0].length).toBe(3);
    expectClose(flat(ours.ftle), ref.ftle.map((row: number[]) => row.slice(0, 3).map((v) => v / Math.LN2)), 1e-8, 1e-12, 'ftle in bits');
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
    r = cli('analyze', '--model', fixturePath('rnn_n8_t12_d1.model.json'), '--probe', fixturePath('gru_n8_t10_d2.probe.json'), '--out', join(dir, 'x.json'));
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
    const r = spawnSync(process.execPath, [
      join(root, 'bin/ftle-lab.mjs'), 'analyze', '--model', 'test/fixtures/rnn_n8_t12_d1.model.json', '--probe', 'test/fixtures/rnn_n8_t12_d1.probe.json',
      '--out', out, '--flip', '--flip-n', '2', '--flip-k', '1,3', '--draws', '7', '--seed', '4',
    ], { encoding: 'utf8', cwd: root });
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
  it('writes the controls the app draws, equal to the app\'s snapshot numbers for the same seed', async () => {
    const name = 'rnn_n16_t28_d28_trained';
    const out = join(dir, 'controls.json');
    const lines: string[] = [];
    expect(runCli(['analyze', '--model', fixturePath(`${name}.model.json`), '--probe', fixturePath(`${name}.probe.json`), '--out', out, '--seed', '7'], (l) => lines.push(l))).toBe(0);
    expect(lines).toEqual([]);
    const c = JSON.parse(readFileSync(out, 'utf8')).alignment.controls;
    expect(c.seed).toBe(7);
    expect(c.random_q_pool).toBe(16);
    const { loadFixture } = await import('./dynamics.fixtures');
    const { analyzeEpochDynamics } = await import('../../src/core/dynamics/epochAnalysis');
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

describe('ftle-lab analyze --workers', () => {
  it.each(['rnn_n16_t28_d28_trained', 'gru_n8_t10_d2'])('%s: --workers 1, 2 and 3 write the same file byte for byte (flip test on worker_threads)', (name) => {
    const files = ['1', '2', '3'].map((w) => {
      const out = join(dir, `workers-${name}-${w}.json`);
      const r = cli('analyze', '--model', fixturePath(`${name}.model.json`), '--probe', fixturePath(`${name}.probe.json`), '--out', out, '--flip', '--draws', '12', '--workers', w);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      return readFileSync(out, 'utf8');
    });
    expect(JSON.parse(files[0]).flip.dL_rand.length).toBeGreaterThan(0);
    expect(files[1]).toBe(files[0]);
    expect(files[2]).toBe(files[0]);
  }, 120_000);

  it('--workers must be a positive integer', () => {
    const lines: string[] = [];
    expect(runCli(['analyze', '--model', 'M', '--probe', 'P', '--out', 'O', '--workers', '0'], (l) => lines.push(l))).toBe(2);
    expect(lines[0]).toMatch(/--workers: expected a positive integer/);
  });
});
