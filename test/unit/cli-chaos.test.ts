/**
 * CLI parity with the app (in process, no build): every command's --help, gated-cell alignment
 * (the app's definition), --clv, and `ftle-lab chaos` (the app's edge-of-chaos function).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMAND_USAGE, runCli } from '../../src/cli/main';
import { chaosSweep } from '../../src/core/dynamics/edgeOfChaos';
import { analyzeEpochDynamics } from '../../src/core/analysis/epochAnalysis';
import { expectClose, fixturePath, flat, loadFixture } from './dynamics.fixtures';

const dir = mkdtempSync(join(tmpdir(), 'ftle-cli-chaos-'));

function cli(args: string[]): { code: number; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const code = runCli(
    args,
    (l) => err.push(l),
    (l) => out.push(l),
  );
  if (typeof code !== 'number') throw new Error('expected a synchronous command');
  return { code, out, err };
}

describe('every subcommand answers --help', () => {
  it.each(Object.keys(COMMAND_USAGE))('%s --help prints its usage', (command) => {
    for (const flag of ['--help', '-h']) {
      const r = cli([command, flag]);
      expect(r.code).toBe(0);
      expect(r.err).toEqual([]);
      expect(r.out.join('\n')).toMatch(new RegExp(`^usage: ftle-lab ${command} `));
    }
  });
});

describe('ftle-lab analyze: gated-cell alignment is the app’s', () => {
  it.each(['gru_n8_t10_d2', 'lstm_n8_t10_d2'])('%s', (name) => {
    const { weights, probe } = loadFixture(name);
    const k = weights.arch === 'lstm' ? 16 : 8;
    const out = join(dir, `${name}.json`);
    const r = cli([
      'analyze',
      '--model',
      fixturePath(`${name}.model.json`),
      '--probe',
      fixturePath(`${name}.probe.json`),
      '--out',
      out,
      '--seed',
      '3',
      '--k',
      String(k),
    ]);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    const a = JSON.parse(readFileSync(out, 'utf8')).alignment;
    const snap = analyzeEpochDynamics(weights, probe, { k, seed: 3 }).alignment!;
    expect(a.steps).toEqual(snap.steps);
    expectClose(a.std_per_step, snap.paperStd, 1e-12, 1e-14, 'paper std');
    expectClose(a.controls.random_q_std_per_step, snap.paperStdRandomQ, 1e-12, 1e-14, 'random Q');
    expectClose(a.controls.w_hh_std_per_step, snap.paperStdWhh, 1e-12, 1e-14, 'W_hh');
    // The file's per-probe right overlaps [B][steps][m], averaged over probes, are the app's overlapRight [steps][m].
    const ov = a.overlap.right as number[][][];
    const meanOv = snap.steps.map((_, s) => snap.m.map((_, j) => ov.reduce((acc, pb) => acc + pb[s][j], 0) / ov.length));
    expectClose(flat(meanOv), flat(snap.overlapRight), 1e-12, 1e-14, 'overlap right');
    // Left statistics live in the gate space: undefined for gated cells (null in JSON).
    expect(a.summary_std_left).toBeNull();
    expect(flat(a.cos_left).every((v) => v === null)).toBe(true);
  });
});

describe('ftle-lab analyze --clv', () => {
  it.each(['rnn_n16_t28_d28_trained', 'lstm_n8_t10_d2'])('%s: unit CLV columns, V_T = Q_T and the CLV alignment control', (name) => {
    const { weights, probe } = loadFixture(name);
    const out = join(dir, `${name}.clv.json`);
    const r = cli([
      'analyze',
      '--model',
      fixturePath(`${name}.model.json`),
      '--probe',
      fixturePath(`${name}.probe.json`),
      '--out',
      out,
      '--clv',
    ]);
    expect(r.err).toEqual([]);
    const f = JSON.parse(readFileSync(out, 'utf8'));
    const S = weights.arch === 'lstm' ? 2 * weights.hiddenSize : weights.hiddenSize;
    const k = f.k as number;
    expect(k).toBe(S);
    const clv = f.clv as number[][][][];
    expect([clv.length, clv[0].length, clv[0][0].length, clv[0][0][0].length]).toEqual([probe.B, probe.T + 1, S, k]);
    for (const b of [0, probe.B - 1])
      for (const t of [0, probe.T >> 1, probe.T])
        for (let a = 0; a < k; a++) expect(Math.abs(Math.hypot(...clv[b][t].map((row) => row[a])) - 1)).toBeLessThan(1e-12);
    // C_T = I: the last CLVs are the last Q vectors (q_final), and v_1 = q_1 at every step.
    expectClose(flat(clv.map((pb) => pb[probe.T])), flat(f.q_final), 1e-10, 1e-12, 'V_T = Q_T');
    expect(flat(f.clv_q_angle.map((pb: number[][]) => pb.map((row) => row[0]))).every((x) => x < 1e-7)).toBe(true);
    expect(f.clv_first_two_angle).toHaveLength(probe.B);
    const ctl = f.alignment.clv_control;
    expectClose(ctl.q_std_per_step, f.alignment.std_per_step, 1e-12, 1e-14, 'Q statistic');
    expect(ctl.std_per_step).toHaveLength(f.alignment.steps.length);
    expect(ctl.std_per_step.every((x: number) => x > 0 && x < 1)).toBe(true);
    // The app computes the same control in its analysis stage (first CLVs only: same columns).
    const app = analyzeEpochDynamics(weights, probe, { k: S, seed: 0 }).alignment!;
    expectClose(ctl.std_per_step, app.paperStdClv!, 1e-9, 1e-12, 'app CLV statistic');
    expect(app.clvFirstTwoAngle).toHaveLength(probe.B);
    expect(app.clvFirstTwoAngle![0]).toHaveLength(probe.T + 1);
    expectClose(app.clvFirstTwoAngle![0], f.clv_first_two_angle[0], 1e-8, 1e-10, 'first-two angle');
  });
});

describe('ftle-lab chaos', () => {
  it('writes the sweep of the function the app calls, in bits with --log2', () => {
    const out = join(dir, 'chaos.json');
    const r = cli([
      'chaos',
      '--hidden',
      '16',
      '--gains',
      '0.5,2',
      '--seeds',
      '2',
      '--seed',
      '4',
      '--k',
      '4',
      '--steps',
      '60',
      '--transient',
      '20',
      '--log2',
      '--out',
      out,
      '--quiet',
    ]);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    const f = JSON.parse(readFileSync(out, 'utf8'));
    expect(f.format).toBe('ftle-lab.chaos/v1');
    expect(f.gains).toEqual([0.5, 2]);
    expect(f.seeds).toEqual([4, 5]);
    // Mean field below the transition: lambda_1 = log2(0.5) = -1 bit per step.
    expect(f.meanfield[0]).toBeCloseTo(-1, 14);
    const app = chaosSweep([0.5, 2], [4, 5], { hidden: 16, k: 4, steps: 60, transient: 20, drive: null });
    expectClose(
      flat(f.lambda1),
      flat(app.lambda1).map((v) => v / Math.LN2),
      1e-14,
      1e-15,
      'lambda1',
    );
    expectClose(
      flat(f.spectrum),
      flat(app.spectrum).map((v) => v / Math.LN2),
      1e-14,
      1e-15,
      'spectrum',
    );
    expect(flat(f.spectrum)).toHaveLength(2 * 2 * 4);
    expectClose(flat(f.kaplan_yorke), flat(app.kaplanYorke), 0, 0, 'Kaplan-Yorke');
  });
  it('range gains and clear errors', () => {
    expect(cli(['chaos', '--out', join(dir, 'x.json'), '--gains', '3:1:0.1']).err[0]).toMatch(/^ftle-lab: --gains: .*stop >= start/);
    expect(cli(['chaos', '--out', join(dir, 'x.json'), '--hidden', '8', '--k', '9']).err[0]).toMatch(/--k: 9 exceeds --hidden 8/);
    expect(cli(['chaos', '--hidden', '8']).err[0]).toMatch(/--out: required/);
    expect(cli(['chaos', '--out', join(dir, 'x.json'), '--drive', join(dir, 'missing.json')]).err[0]).toMatch(/--drive .*cannot read/);
  });
});
