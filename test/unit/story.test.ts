/**
 * "Check the claim" (src/core/story.ts): the plan's sizes, when a step is finished, and the
 * conclusion assembled from constructed evidence whose verdicts are known by construction
 * (alignment far above its null and controls in every seed; R-top below random in every seed).
 */
import { describe, expect, it } from 'vitest';
import { chaosViewSettings, chaosViewSpectrum } from '../../src/core/dynamics/chaosView';
import { PRESET_CONFIGS } from '../../src/core/formats/config';
import type { AlignmentSummary, EpochSnapshot, FlipSummary } from '../../src/core/snapshot';
import {
  claimFinding,
  STORY_CHAOS,
  storyChaosGlance,
  storyConclusion,
  storyConfig,
  storyEvidence,
  storySeeds,
  storyStepFinished,
  storyStepProgress,
  type StorySeedRun,
} from '../../src/core/story';

const K_LIST = [1, 2, 5];
const B = 4;
const table = (perK: number[]) => perK.map((v) => Array.from({ length: B }, () => v));

/** R-top's mean dL per k `top`, random's `rand`, Holm p-values `p`. */
function flip(top: number[], rand: number[], p: number[]): FlipSummary {
  const diff = top.map((v, i) => v - rand[i]);
  return {
    kList: K_LIST,
    dL: { top: table(top) },
    dLRand: rand.map((v) => [table([v])[0]]),
    wilcoxon: { top: { medianDiff: diff, meanDiff: diff, p, pHolm: p } },
    effect: { top: diff },
    kFig: 2,
  } as unknown as FlipSummary;
}

/** Paper statistic `paper` against the null 1/sqrt(N) and three controls at `control`. */
function alignment(paper: number, N: number, control: number): AlignmentSummary {
  const c = (v: number) => [v, v];
  return {
    steps: [14, 28],
    paperStd: c(paper),
    paperStdRandomQ: c(control),
    paperStdMismatched: c(control),
    paperStdWhh: c(control),
    nullCosStd: 1 / Math.sqrt(N),
  } as unknown as AlignmentSummary;
}

function snap(epoch: number, a: AlignmentSummary, f: FlipSummary, spectrum: number[][] = [[-0.2], [-0.1]]): EpochSnapshot {
  return { epoch, alignment: a, flip: f, spectrum, metrics: { testAcc: 0.5 + 0.1 * epoch } } as unknown as EpochSnapshot;
}

const aligned = alignment(0.5, 32, 0.2); // far above the null 0.177 and every control: supported
const reversedFlip = flip([0.1, 0.1, 0.1], [0.3, 0.3, 0.3], [1, 1, 1]); // R-top below random at every k

function runsFor(config: ReturnType<typeof storyConfig>, upTo: number): StorySeedRun[] {
  return storySeeds(config).map((seed) => ({
    seed,
    epochs: Array.from({ length: upTo + 1 }, (_, e) => snap(e, aligned, reversedFlip)),
  }));
}

describe('story plan', () => {
  it('lecture sizes are small; paper sizes are the paper presets’ model sizes; step 1 shares step 2’s run', () => {
    const lecture = storyConfig('alignment', 'lecture');
    expect(lecture).toMatchObject({ preset: 'paper-align', hidden: 32, seeds: 3, epochs: 3 });
    expect(storyConfig('exponent', 'lecture')).toEqual(lecture);
    expect(storyConfig('alignment', 'paper').hidden).toBe(PRESET_CONFIGS['paper-align'].hidden);
    expect(storyConfig('sensitivity', 'paper')).toMatchObject({ hidden: 512, encoding: 'pixel28', permute: 1, seeds: 3 });
    expect(storyConfig('sensitivity', 'glance')).toMatchObject({ epochs: 1, seeds: 2, subset: 0.05 });
  });

  it('a step is finished when every seed has its target epoch; step 1 needs the main run’s epoch 0 only', () => {
    const config = storyConfig('alignment', 'lecture');
    const partial = runsFor(config, 2);
    expect(storyStepFinished('alignment', config, partial)).toBe(false);
    expect(storyStepProgress('alignment', config, partial)).toBeCloseTo(9 / 12, 12);
    expect(storyStepFinished('exponent', config, [{ seed: 1, epochs: [snap(0, aligned, reversedFlip)] }])).toBe(true);
    expect(storyStepFinished('alignment', config, runsFor(config, 3))).toBe(true);
    expect(storyEvidence('alignment', config, partial)).toBeNull();
  });
});

describe('claimFinding', () => {
  it('holds, not specific, mixed, not found, reversed', () => {
    expect(claimFinding(['supported', 'supported'])).toBe('holds');
    expect(claimFinding(['supported', 'qualified'])).toBe('not-specific');
    expect(claimFinding(['supported', 'null'])).toBe('mixed');
    expect(claimFinding(['null', 'reversed'])).toBe('not-found');
    expect(claimFinding(['reversed', 'reversed'])).toBe('reversed');
  });
});

describe('storyChaosGlance (step 1: the edge-of-chaos view at three gains)', () => {
  const glance = storyChaosGlance();

  it('below g = 1 the network is stable at about ln g (its linearisation gW at h = 0); above it lambda_1 > 0', () => {
    expect(glance.rows.map((r) => r.g)).toEqual([0.5, 1, 2.5]);
    const [below, edge, above] = glance.rows;
    // Below the transition the state decays to h = 0, where J = gW: lambda_1 = ln(g rho(W)), and the
    // spectral radius of W_ij ~ N(0, 1/N) is 1 + O(N^-1/2) (circular law).
    expect(Math.abs(below.lambda1 - Math.log(0.5))).toBeLessThan(0.1);
    expect(below.meanfield).toBeCloseTo(Math.log(0.5), 6);
    expect(below.regime).toBe('stable');
    // At g = 1 the linearisation's spectral radius is ~1: lambda_1 near 0, the edge.
    expect(Math.abs(edge.lambda1)).toBeLessThan(STORY_CHAOS.tol);
    expect(edge.regime).toBe('edge');
    expect(edge.meanfield).toBeCloseTo(0, 6);
    // Mean-field lambda_1(2.5) = 0.237; a finite network lies below it (finite-size bias, method §8).
    expect(above.lambda1).toBeGreaterThan(0.1);
    expect(above.lambda1).toBeLessThan(above.meanfield + 0.02);
    expect(above.regime).toBe('chaotic');
    expect(glance.text).toContain(`A random network of ${STORY_CHAOS.hidden} units`);
    expect(glance.text).toMatch(/at g = 0\.5 its largest exponent is −0\.\d{3} ln\/step \(stable/);
    expect(glance.text).toMatch(/at g = 2\.5 its largest exponent is \+0\.\d{3} ln\/step \(chaotic/);
  });

  it('its lambda_1 is the one the edge-of-chaos view shows at that gain (all k = N exponents tracked)', () => {
    const view = chaosViewSpectrum(2.5, chaosViewSettings(STORY_CHAOS.hidden, STORY_CHAOS.hidden, null));
    expect(glance.rows[2].lambda1).toBeCloseTo(view.spectrum[0], 10);
  });

  it('the exponent step’s evidence carries it and the conclusion quotes it', () => {
    const config = storyConfig('alignment', 'lecture');
    const ev = storyEvidence('exponent', config, runsFor(config, 0))!;
    expect(ev.chaos).toEqual(glance);
    expect(storyConclusion({ exponent: ev }).exponent?.chaos).toBe(glance.text);
    // Evidence stored before the glance existed concludes without it.
    expect(storyConclusion({ exponent: { ...ev, chaos: undefined } }).exponent?.chaos).toBeNull();
  });
});

describe('storyConclusion', () => {
  const alignConfig = storyConfig('alignment', 'lecture');
  const flipConfig = storyConfig('sensitivity', 'lecture');
  const evidence = {
    exponent: storyEvidence('exponent', alignConfig, runsFor(alignConfig, 0))!,
    alignment: storyEvidence('alignment', alignConfig, runsFor(alignConfig, 3))!,
    sensitivity: storyEvidence('sensitivity', flipConfig, runsFor(flipConfig, 3))!,
  };

  it('says what every seed found, quoting each verdict, with links that reproduce each run at its epoch', () => {
    const c = storyConclusion(evidence);
    expect(c.complete).toBe(true);
    expect(c.exponent?.verdict.kind).toBe('stable');
    expect(c.headline).toMatch(/^In this session, claim \(i\) holds in every seed of this session; claim \(ii\) goes the opposite way/);
    const [align, sens] = c.claims;
    expect(align.finding).toBe('holds');
    expect(align.text).toContain('N = 32');
    expect(align.text).toContain('verdicts at epoch 3: supported in 3 of 3');
    expect(sens.finding).toBe('reversed');
    expect(sens.text).toContain('the opposite direction in 3 of 3');
    // Across seeds first, then one quote per seed, with the seeds the config derives.
    expect(align.quotes.map((q) => q.label)).toEqual(['All seeds (the seeds panel)', ...storySeeds(alignConfig).map((s) => `Seed ${s}`)]);
    expect(sens.quotes[1].verdict.plain).toMatch(/hurts less than flipping random ones/);
    // R-top below random in every seed: no seed rejects.
    expect(sens.quotes[0].verdict.text).toMatch(/in 0 of 3 seeds/);
    expect(c.links.map((l) => l.hash)).toEqual([
      expect.stringMatching(/^#preset=paper-align&.*selectedEpoch=0$/),
      expect.stringMatching(/^#preset=paper-align&.*seeds=3.*selectedEpoch=3$/),
      expect.stringMatching(/^#preset=quick&.*selectedEpoch=3$/),
    ]);
  });

  it('caveats name the model size, the epochs, the seeds and the encoding against the paper’s', () => {
    const text = storyConclusion(evidence).caveats.join('\n');
    expect(text).toContain('N = 32 hidden units; the paper used N = 128');
    expect(text).toContain('the paper used N = 512');
    expect(text).toContain('trained 3 epochs; the paper trained 50');
    expect(text).toContain('3 seeds for sensitivity');
    expect(text).toContain('row-wise MNIST; the paper fed permuted MNIST');
    expect(text).toContain('80%');
    expect(text).not.toContain('still at chance');
    const atChance = storyConclusion({
      alignment: { ...evidence.alignment, seeds: evidence.alignment.seeds.map((x) => ({ ...x, testAcc: 0.113 })) },
    });
    expect(atChance.caveats.join('\n')).toContain('11%, 11%, 11% — still at chance (10%)');
  });

  it('an unfinished session says which steps are missing and concludes nothing about them', () => {
    const c = storyConclusion({ alignment: evidence.alignment });
    expect(c.complete).toBe(false);
    expect(c.headline).toBe('Not finished: run step 3 first (so far, claim (i) holds in every seed of this session).');
    expect(c.claims.map((x) => x.step)).toEqual(['alignment']);
  });
});
