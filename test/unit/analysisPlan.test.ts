/**
 * The analysis plan and its cut in words (core/analysisPlan.ts, epochParts.ts planRecord): the CPU
 * budget's cut at the paper's scale is recorded and stated, an explicit draws= is honoured, the
 * time estimates follow from their rates, the partial snapshot (dynamics done, flip pending)
 * carries exactly the dynamics of the complete one, and the store's merge of partial and complete
 * snapshots keeps one snapshot per epoch.
 */
import { describe, expect, it } from 'vitest';
import {
  analysisEta,
  analysisPlaceText,
  shownAnalysisEngine,
  durationText,
  epochEtaMs,
  pendingText,
  flipPlanNote,
  partialAfter,
  planEtaMs,
  planMacs,
  planNotes,
  withPartial,
} from '../../src/core/analysisPlan';
import { ANALYSIS_DEFAULTS } from '../../src/core/analysis/analysisDefaults';
import { DEFAULT_ANALYSIS_BUDGET_MACS, planEpoch, planRecord } from '../../src/core/analysis/epochParts';
import { analyzeEpoch } from '../../src/core/analysis/epochSnapshot';
import { configFromHash, configToHash, drawsOptions } from '../../src/core/formats/config';
import type { ModelWeights } from '../../src/core/formats/model';
import type { EpochSnapshot, PartialEpochSnapshot } from '../../src/core/snapshot';
import { loadFixture } from './dynamics.fixtures';
import { makeBundle } from './bundleFixture';
import { parseRunBundle, serializeRunBundle, validateRunBundle } from '../../src/core/formats/bundle';

/** planEpoch reads the cell and sizes only: a vanilla RNN of N units with zero weights. */
function rnnOfSize(N: number, D: number): ModelWeights {
  return {
    arch: 'rnn',
    inputSize: D,
    hiddenSize: N,
    numClasses: 10,
    tensors: {
      weight_ih_l0: new Float64Array(N * D),
      weight_hh_l0: new Float64Array(N * N),
      bias_ih_l0: new Float64Array(N),
      bias_hh_l0: new Float64Array(N),
      'fc.weight': new Float64Array(10 * N),
      'fc.bias': new Float64Array(10),
    },
  };
}

/** The paper's k values at T (those above T dropped), computed here from the table. */
const paperK = (T: number) => ANALYSIS_DEFAULTS.kList.filter((k) => k <= T);

describe('planEpoch and its record', () => {
  // paper-sensitivity: N = 512, T = 784 (pixel-wise, D = 1), 15 probes. One random draw replays,
  // per k, T - T/(k+1) steps of N (N + 1) multiply-adds for each probe: ~3.3e10 per draw, so the
  // 1.2e10 budget fits no draw (R falls to its floor of 5, matched to round(10 * 5/50) -> floor 2),
  // and the single-pixel map (B T (T+1)/2 steps, ~1.2e12) is skipped: the issue's 5, 2 and none.
  const paper = rnnOfSize(512, 1);
  const auto = drawsOptions('auto');

  it('cuts the paper-sensitivity plan to the CPU budget and records the cut', () => {
    const stepMacs = 512 * 513;
    const perDraw = paperK(784).reduce((a, k) => a + (784 - 784 / (k + 1)), 0) * 15 * stepMacs;
    expect(Math.floor(DEFAULT_ANALYSIS_BUDGET_MACS / (2 * perDraw))).toBeLessThan(5);
    const rec = planRecord(planEpoch(paper, 15, 784, 1, { k: 16, n: 1, seed: 1, ...auto }));
    expect(rec).toMatchObject({ R: 5, Rm: 2, single: false, drawsFrom: 'CPU budget', cut: 'CPU budget' });
    expect(rec.paper).toEqual({ R: 50, Rm: 10, single: true, kList: paperK(784) });
    expect(rec.kList).toEqual(paperK(784));
    expect(rec.budgetMacs).toBe(DEFAULT_ANALYSIS_BUDGET_MACS);
    expect(rec.macs.flip).toBeCloseTo((5 + 2 * 2) * perDraw, -3);
    expect(rec.macs.single).toBe(0);
    expect(planNotes(rec)).toEqual({
      draws: "5 of the paper's 50 random draws: CPU budget",
      matched: "2 of the paper's 10 matched draws per baseline: CPU budget",
      single: 'single-pixel map skipped: CPU budget',
    });
    expect(flipPlanNote(rec)).toBe(
      "5 of the paper's 50 random draws: CPU budget; 2 of the paper's 10 matched draws per baseline: CPU budget",
    );
  });

  it('honours an explicit draws= at the paper scale (matched draws the paper’s), still skipping the single-pixel map', () => {
    const rec = planRecord(planEpoch(paper, 15, 784, 1, { k: 16, n: 1, seed: 1, ...drawsOptions(50) }));
    expect(rec).toMatchObject({ R: 50, Rm: 10, single: false, drawsFrom: 'draws=', cut: 'CPU budget' });
    expect(planNotes(rec)).toEqual({ draws: null, matched: null, single: 'single-pixel map skipped: CPU budget' });
    expect(flipPlanNote(rec)).toBeNull();
    const few = planRecord(planEpoch(paper, 15, 784, 1, { k: 16, n: 1, seed: 1, ...drawsOptions(3) }));
    expect(few.R).toBe(3);
    expect(planNotes(few).draws).toBe("3 of the paper's 50 random draws: draws=3 in the configuration");
  });

  it('keeps the paper’s plan where it fits (quick preset: N = 32, T = 28, 16 probes): nothing to say', () => {
    const rec = planRecord(planEpoch(rnnOfSize(32, 28), 16, 28, 28, { k: 16, n: 1, seed: 1, ...auto }));
    expect(rec).toMatchObject({ R: 50, Rm: 10, single: true, drawsFrom: 'paper', cut: null });
    expect(rec.kList).toEqual(paperK(28));
    expect(planNotes(rec)).toEqual({ draws: null, matched: null, single: null });
    // No budget (a GPU plan): recorded as null, never Infinity (JSON has none).
    const free = planRecord(planEpoch(paper, 15, 784, 1, { k: 16, n: 1, seed: 1, ...auto, budgetMacs: Infinity }));
    expect(free).toMatchObject({ R: 50, Rm: 10, single: true, cut: null, budgetMacs: null });
  });

  it('says nothing for a snapshot written before plans were recorded', () => {
    expect(planNotes(undefined)).toEqual({ draws: null, matched: null, single: null });
  });
});

describe('draws= and analysis= in the link', () => {
  it('reads draws=auto by default, a number as explicit, and round-trips both keys', () => {
    expect(configFromHash('#preset=paper-sensitivity').config.draws).toBe('auto');
    const { config, issues } = configFromHash('#preset=paper-sensitivity&draws=50&analysis=cpu');
    expect(issues).toEqual([]);
    expect(config.draws).toBe(50);
    expect(config.analysis).toBe('cpu');
    expect(drawsOptions(config.draws)).toEqual({ draws: 50, exactDraws: true });
    expect(drawsOptions('auto')).toEqual({ draws: ANALYSIS_DEFAULTS.draws, exactDraws: false });
    const again = configFromHash(configToHash(config)).config;
    expect(again.draws).toBe(50);
    expect(again.analysis).toBe('cpu');
  });

  it('refuses bad values with a banner issue naming the key, keeping the preset’s', () => {
    const { config, issues } = configFromHash('#preset=quick&analysis=tpu&draws=many');
    expect(issues.map((i) => i.key).sort()).toEqual(['analysis', 'draws']);
    expect(config.analysis).toBe('auto');
    expect(config.draws).toBe('auto');
  });
});

describe('time estimates', () => {
  it('extrapolates the measured rate over the remaining cost', () => {
    // 25% of the cost-weighted work in 10 s: 75% more at the same rate is 30 s.
    expect(analysisEta(10_000, 0.25)).toBeCloseTo(30_000, 9);
    expect(analysisEta(10_000, 1)).toBe(0);
    expect(analysisEta(10_000, 0.001)).toBeNull();
    expect(analysisEta(Number.NaN, 0.5)).toBeNull();
    // Before 1%: the previous epoch's time for the same plan, less the time elapsed.
    expect(epochEtaMs(2_000, 0.001, 60_000)).toBe(58_000);
    expect(epochEtaMs(70_000, 0.001, 60_000)).toBe(0);
    expect(epochEtaMs(2_000, 0.001, Number.NaN)).toBeNull();
    expect(epochEtaMs(10_000, 0.25, 60_000)).toBeCloseTo(30_000, 9);
  });

  it('prices a plan at an earlier plan’s measured rate', () => {
    const small = planRecord(planEpoch(rnnOfSize(32, 28), 16, 28, 28, { k: 16, n: 1, seed: 1, ...drawsOptions('auto') }));
    const m = small.macs;
    expect(planMacs(small)).toBe(m.lyapunov + m.alignment + m.flip + m.single);
    // A plan twice as costly as the one that took 4 s takes 8 s.
    expect(planEtaMs(small, planMacs(small) / 2, 4000)).toBeCloseTo(8000, 6);
    expect(planEtaMs(small, 0, 4000)).toBeNull();
    expect([durationText(400), durationText(12_400), durationText(150_000), durationText(2 * 3600_000)]).toEqual([
      'under 1 s',
      '12 s',
      '3 min',
      '2.0 h',
    ]);
  });
});

describe('partial snapshots', () => {
  it('the dynamics stage posts exactly the complete analysis’s dynamics, flip pending', () => {
    const { weights, probe } = loadFixture('rnn_n16_t28_d28_trained');
    let partial: Omit<PartialEpochSnapshot, 'epoch' | 'metrics'> | null = null;
    const full = analyzeEpoch(weights, probe.inputs, probe.labels, probe.T, probe.D, {
      k: 4,
      n: 1,
      draws: 5,
      exactDraws: true,
      seed: 3,
      onDynamics: (p) => {
        partial = p;
      },
    });
    expect(partial).not.toBeNull();
    const { partial: stage, flip, ...dynamics } = partial!;
    expect(stage).toBe('dynamics');
    expect(flip).toBeNull();
    const { flip: fullFlip, ...fullDynamics } = full;
    expect(dynamics).toEqual(fullDynamics);
    expect(fullFlip?.R).toBe(5);
    expect(full.plan?.R).toBe(5);
  });

  const metrics = {
    trainLoss: 1,
    trainAcc: 0.5,
    testLoss: 1,
    testAcc: 0.5,
    msPerStep: 1,
    epochMs: 1,
    analysisMs: 1,
    numTensors: 0,
  };
  const snap = (epoch: number): EpochSnapshot => ({
    epoch,
    metrics,
    T: 1,
    N: 1,
    k: 1,
    lnR: [0],
    spectrum: [[0]],
    saturation: 0,
    qrGradRelErr: Number.NaN,
    alignment: null,
    flip: null,
  });
  const part = (epoch: number): PartialEpochSnapshot => ({ ...snap(epoch), flip: null, partial: 'dynamics' });

  it('shows a partial epoch after the complete ones until its own snapshot arrives', () => {
    const complete = [snap(0), snap(1)];
    expect(withPartial(complete, null).map((s) => s.epoch)).toEqual([0, 1]);
    const shown = withPartial(complete, part(2));
    expect(shown.map((s) => s.epoch)).toEqual([0, 1, 2]);
    expect('partial' in shown[2]).toBe(true);
    // Its complete snapshot replaces it.
    expect(withPartial([...complete, snap(2)], part(2)).every((s) => !('partial' in s))).toBe(true);
    expect(complete.length).toBe(2);
    expect(partialAfter(part(2), 1)?.epoch).toBe(2);
    expect(partialAfter(part(2), 2)).toBeNull();
    expect(partialAfter(null, 2)).toBeNull();
  });
});

describe('what panels and badges say while they wait', () => {
  it('a waiting panel names its epoch, the phase, the percent and the time left', () => {
    expect(pendingText('Flip test', 3, null)).toBe('Flip test of epoch 3: waiting for its analysis to start…');
    expect(pendingText('Flip test', 3, { epoch: 2, phase: 'flip test', fraction: 0.5 })).toBe(
      'Flip test of epoch 3: waiting for its analysis to start…',
    );
    expect(pendingText('Flip test', 3, { epoch: 3, phase: 'flip test', fraction: 0.426, etaMs: 125_000 })).toBe(
      "Flip test of epoch 3: analysing (flip test, 42% of the epoch's analysis, about 2 min left)…",
    );
    expect(pendingText('Lyapunov spectrum', 0, { epoch: 0, phase: 'Lyapunov vectors', fraction: 0.05, etaMs: null })).toBe(
      "Lyapunov spectrum of epoch 0: analysing (Lyapunov vectors, 5% of the epoch's analysis)…",
    );
  });

  it('the analysis badge names the engine a snapshot records, else the CPU pool', () => {
    expect(analysisPlaceText(undefined, 2)).toBe('CPU float64, 2 workers');
    expect(analysisPlaceText(undefined, 1)).toBe('CPU float64, 1 worker');
    expect(analysisPlaceText(undefined, 0)).toBe('CPU float64, 1 worker');
    expect(analysisPlaceText({ kind: 'cpu' }, 2)).toBe('CPU float64, 2 workers');
    expect(analysisPlaceText({ kind: 'gpu', adapter: 'NVIDIA H100 80GB HBM3' }, 2)).toBe('GPU float32 (WebGPU) · NVIDIA H100 80GB HBM3');
    expect(analysisPlaceText({ kind: 'gpu', adapter: '  ' }, 2)).toBe('GPU float32 (WebGPU) · unknown adapter');
    expect(analysisPlaceText({ kind: 'cpu', fallback: 'no WebGPU adapter in this browser' }, 1)).toBe(
      'CPU float64, 1 worker · GPU not used: no WebGPU adapter in this browser',
    );
  });

  it('the badge reads the engine of the partial snapshot first, then of the newest complete one', () => {
    const b = makeBundle(7, { epochs: 2 });
    const [e0, e1] = b.epochs;
    const gpu = { kind: 'gpu' as const, adapter: 'SwiftShader' };
    const cpu = { kind: 'cpu' as const, fallback: 'device lost' };
    expect(shownAnalysisEngine([], null)).toBeUndefined();
    expect(shownAnalysisEngine([e0, { ...e1, analysisEngine: gpu }], null)).toEqual(gpu);
    const partial = { ...e1, epoch: 2, flip: null, partial: 'dynamics' as const, analysisEngine: cpu };
    expect(shownAnalysisEngine([e0, { ...e1, analysisEngine: gpu }], partial)).toEqual(cpu);
    const { analysisEngine: _, ...bare } = partial;
    expect(shownAnalysisEngine([e0, { ...e1, analysisEngine: gpu }], bare)).toEqual(gpu);
  });
});

describe('the plan in a run bundle', () => {
  /** A bundle whose snapshots carry the plan their flip summaries ran (cut: 5 draws, 2 matched, no single map). */
  function bundleWithPlan() {
    const b = makeBundle(7, { epochs: 1 });
    for (const s of b.epochs) {
      const f = s.flip!;
      f.matchedDraws = 2;
      f.singleFlip = [];
      s.plan = {
        R: f.R,
        Rm: 2,
        single: false,
        kList: [...f.kList],
        paper: { R: 50, Rm: 10, single: true, kList: [...f.kList] },
        drawsFrom: 'CPU budget',
        cut: 'CPU budget',
        budgetMacs: DEFAULT_ANALYSIS_BUDGET_MACS,
        macs: { lyapunov: 1e6, alignment: 2e6, flip: 3e6, single: 0 },
      };
    }
    return b;
  }

  it('round-trips the plan and refuses one that disagrees with its flip summary, naming the field', () => {
    const b = bundleWithPlan();
    const back = parseRunBundle(serializeRunBundle(b));
    expect(back.epochs[1].plan).toEqual(b.epochs[1].plan);
    const wrongR = bundleWithPlan();
    wrongR.epochs[1].plan!.R += 1;
    expect(() => validateRunBundle(JSON.parse(serializeRunBundle(wrongR)))).toThrow(/epochs\[1\]\.plan\.R/);
    const single = bundleWithPlan();
    single.epochs[0].flip!.singleFlip = Array.from({ length: 3 }, () => new Array(28).fill(0));
    expect(() => validateRunBundle(JSON.parse(serializeRunBundle(single)))).toThrow(/plan\.single/);
    const badCut = JSON.parse(serializeRunBundle(bundleWithPlan()));
    badCut.epochs[0].plan.cut = 'budget';
    expect(() => validateRunBundle(badCut)).toThrow(/plan\.cut/);
  });
});
