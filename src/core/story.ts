/**
 * "Check the claim" (issue 21): the guided story's plan and its conclusion. The plan says which
 * run each step needs at each size; the evidence of a finished step is the verdicts of
 * core/verdicts.ts read from the step's snapshots (every seed), and the conclusion is assembled
 * here from the evidence gathered in this session, never pre-written. The UI only renders it.
 */
import { chaosViewSettings, chaosViewSpectrum } from './dynamics/chaosView';
import { meanFieldLambda1 } from './dynamics/meanField';
import { PRESET_CONFIGS, configToHash, type RunConfig } from './formats/config';
import { summarizeSeeds, type SeedSummaryEpoch } from './seedSummary';
import { seedList } from './seeds';
import type { EpochSnapshot } from './snapshot';
import { alignmentVerdict, flipVerdict, seedsVerdict, spectrumVerdict, type Verdict, type VerdictKind } from './verdicts';

/** The steps, in reading order; the last one computes nothing of its own. */
export const STORY_STEPS = ['exponent', 'alignment', 'sensitivity', 'conclusion'] as const;
export type StoryStepId = (typeof STORY_STEPS)[number];
/** A step that runs something (all but the conclusion). */
export type StoryRunStep = Exclude<StoryStepId, 'conclusion'>;

/**
 * How large the story's runs are:
 * - glance: seconds per step (two seeds, one epoch on 5% of the digits; for checks of the page);
 * - lecture: the default on a CPU, each step within 2 minutes on a 2-core machine;
 * - paper: the paper's model sizes (N = 128 for alignment, N = 512 on permuted pixel MNIST for
 *   sensitivity), for a machine with a GPU; epochs are cut (said in the caveats).
 */
export const STORY_SIZES = ['glance', 'lecture', 'paper'] as const;
export type StorySize = (typeof STORY_SIZES)[number];

/** The paper's own sizes, quoted by the caveats. */
export const PAPER_SIZES = {
  alignment: { hidden: PRESET_CONFIGS['paper-align'].hidden, epochs: PRESET_CONFIGS['paper-align'].epochs },
  sensitivity: { hidden: PRESET_CONFIGS['paper-sensitivity'].hidden, epochs: PRESET_CONFIGS['paper-sensitivity'].epochs },
} as const;

/**
 * The run a step needs at a size. The exponent step reads epoch 0 of the alignment step's run
 * (an untrained net's spectrum), so the two share one run and step 2 starts where step 1 stopped.
 */
export function storyConfig(step: StoryRunStep, size: StorySize): RunConfig {
  if (step === 'exponent') return storyConfig('alignment', size);
  const base = PRESET_CONFIGS[step === 'alignment' ? 'paper-align' : size === 'paper' ? 'paper-sensitivity' : 'quick'];
  if (size === 'paper') return { ...base, seeds: 3, epochs: step === 'alignment' ? base.epochs : 5 };
  if (size === 'lecture') return { ...base, hidden: 32, probes: 16, epochs: 3, seeds: 3 };
  return { ...base, hidden: 16, probes: 8, k: 8, epochs: 1, seeds: 2, subset: 0.05 };
}

/** Epochs the step's run must have analysed to be finished: the exponent step needs epoch 0 only. */
export function storyTargetEpoch(step: StoryRunStep, config: RunConfig): number {
  return step === 'exponent' ? 0 : config.epochs;
}

/** One seed's snapshots, the main run (seed_0) first. */
export interface StorySeedRun {
  seed: number;
  epochs: readonly EpochSnapshot[];
}

/**
 * Whether every seed of `config` has analysed the step's target epoch (`runs`: main run first).
 * The exponent step needs only the main run's epoch 0.
 */
export function storyStepFinished(step: StoryRunStep, config: RunConfig, runs: readonly StorySeedRun[]): boolean {
  const target = storyTargetEpoch(step, config);
  const needed = step === 'exponent' ? 1 : config.seeds;
  return runs.length >= needed && runs.slice(0, needed).every((r) => r.epochs.some((s) => s.epoch === target));
}

/** Fraction of the step's snapshots analysed so far (every seed, epochs 0..target), for its progress bar. */
export function storyStepProgress(step: StoryRunStep, config: RunConfig, runs: readonly StorySeedRun[]): number {
  const target = storyTargetEpoch(step, config);
  const seeds = step === 'exponent' ? 1 : config.seeds;
  const have = runs.slice(0, seeds).reduce((n, r) => n + r.epochs.filter((s) => s.epoch <= target).length, 0);
  return Math.min(1, have / (seeds * (target + 1)));
}

/**
 * Step 1's glance at the edge of chaos (method.md §8): the app's edge-of-chaos view at three
 * gains, below, at and above the transition g = 1, for its default network (N = 64, no input).
 * Above 1, g = 2.5 rather than 1.5: at N = 64 the view's network settles on a cycle (lambda_1 ~ 0)
 * up to g ~ 1.7, a finite-size effect the view's lambda_1(g) curve shows, not a first lesson.
 * `tol`: |lambda_1| below it (ln per step) reads as the edge, as the spectrum verdict's default.
 */
export const STORY_CHAOS = { gains: [0.5, 1, 2.5], hidden: 64, tol: 0.01 } as const;

/** One gain of the glance; exponents in ln per step. */
export interface StoryChaosRow {
  g: number;
  /** The largest exponent lambda_1 of the view's network (seed 0) at g: what the view shows as λ1. */
  lambda1: number;
  /** Its standard error over time (ln per step). */
  lambda1Se: number;
  /** Mean-field lambda_1 at g (N -> infinity): ln g below the transition. */
  meanfield: number;
  /** chaotic: lambda_1 > tol (nearby states separate); stable: < -tol; edge: in between. */
  regime: 'stable' | 'edge' | 'chaotic';
}

export interface StoryChaosGlance {
  hidden: number;
  rows: StoryChaosRow[];
  /** One plain sentence built from the rows. */
  text: string;
}

/**
 * The glance: lambda_1 of the edge-of-chaos view's network at each of STORY_CHAOS.gains, with the
 * view's own settings (seed, steps, transient; chaosView.ts), so the numbers are the ones the view
 * shows when opened at that gain. Only lambda_1 is tracked (k = 1; with modified Gram-Schmidt the
 * first vector's growth does not depend on k), so the three networks take milliseconds.
 */
export function storyChaosGlance(): StoryChaosGlance {
  const hidden = STORY_CHAOS.hidden;
  const rows = STORY_CHAOS.gains.map((g) => {
    const r = chaosViewSpectrum(g, chaosViewSettings(hidden, 1, null));
    const l1 = r.spectrum[0];
    const regime = l1 > STORY_CHAOS.tol ? 'chaotic' : l1 < -STORY_CHAOS.tol ? 'stable' : 'edge';
    return { g, lambda1: l1, lambda1Se: r.timeSe[0], meanfield: meanFieldLambda1(g), regime } satisfies StoryChaosRow;
  });
  const words = { stable: 'stable: nudges die out', edge: 'at the edge: nudges neither grow nor die out', chaotic: 'chaotic: nudges grow' };
  const fmt = (v: number) => `${v > 0 ? '+' : v < 0 ? '−' : ''}${Math.abs(v).toFixed(3)}`;
  const parts = rows.map((r) => `at g = ${r.g} its largest exponent is ${fmt(r.lambda1)} ln/step (${words[r.regime]})`);
  const text = `A random network of ${hidden} units with no input: ${parts.join('; ')}. The transition sits near g = 1, where mean-field theory puts λ1 = 0.`;
  return { hidden, rows, text };
}

/** What a finished step found: every seed's verdict and the verdict across seeds, as the panels show them. */
export interface StoryEvidence {
  step: StoryRunStep;
  /** The run, as a link hash that reproduces it (`#preset=...`), and the epoch the verdicts are read at. */
  link: string;
  epoch: number;
  /** The settings the caveats speak of. */
  hidden: number;
  cell: RunConfig['cell'];
  encoding: RunConfig['encoding'];
  permute: number;
  epochs: number;
  subset: number;
  /** Per seed (main run first): the step's panel verdict at `epoch` and the test accuracy there. */
  seeds: { seed: number; verdict: Verdict; testAcc: number }[];
  /** The seeds panel's verdict at `epoch` (null for the exponent step and single-seed runs). */
  acrossSeeds: Verdict | null;
  /** The exponent step's glance at the edge of chaos (absent for the other steps and in evidence stored before it). */
  chaos?: StoryChaosGlance;
}

/** The panel verdict a step reads from one snapshot. */
function stepVerdict(step: StoryRunStep, snap: EpochSnapshot, encoding: RunConfig['encoding']): Verdict {
  if (step === 'exponent') return spectrumVerdict(snap.spectrum);
  if (step === 'alignment') return alignmentVerdict(snap.alignment);
  return flipVerdict(snap.flip, { unit: encoding === 'row' ? 'row' : 'pixel' });
}

/**
 * The newest epoch every run has (as the seeds panel reads its verdict), else the newest any has;
 * rows from summarizeSeeds.
 */
export function newestCommonRow(rows: readonly SeedSummaryEpoch[]): SeedSummaryEpoch | null {
  const full = rows.filter((r) => r.runs.every((c) => c !== null));
  return full[full.length - 1] ?? rows[rows.length - 1] ?? null;
}

/**
 * The evidence of a finished step from its run (`runs`: every seed, main run first), read at the
 * step's target epoch. Null when the step is not finished.
 */
export function storyEvidence(step: StoryRunStep, config: RunConfig, runs: readonly StorySeedRun[]): StoryEvidence | null {
  if (!storyStepFinished(step, config, runs)) return null;
  const epoch = storyTargetEpoch(step, config);
  const used = step === 'exponent' ? runs.slice(0, 1) : runs.slice(0, config.seeds);
  const seeds = used.map((r) => {
    const snap = r.epochs.find((s) => s.epoch === epoch)!;
    return { seed: r.seed, verdict: stepVerdict(step, snap, config.encoding), testAcc: snap.metrics.testAcc };
  });
  const row = used.length > 1 && step !== 'exponent' ? newestCommonRow(summarizeSeeds(used.map((r) => r.epochs))) : null;
  return {
    step,
    link: configToHash(config, { selectedEpoch: epoch }),
    epoch,
    hidden: config.hidden,
    cell: config.cell,
    encoding: config.encoding,
    permute: config.permute,
    epochs: config.epochs,
    subset: config.subset,
    seeds,
    acrossSeeds: row ? seedsVerdict(row, used.length) : null,
    ...(step === 'exponent' ? { chaos: storyChaosGlance() } : {}),
  };
}

/** The seeds a config trains, main seed first (for labels). */
export function storySeeds(config: RunConfig): number[] {
  return seedList(config.seed, config.seeds);
}

/** What the claim amounts to over the seeds of one step. */
export type ClaimFinding = 'holds' | 'not-specific' | 'mixed' | 'not-found' | 'reversed';

/**
 * The finding over seeds from each seed's verdict kind: holds when every seed's verdict is
 * supported; not-specific when every seed shows the effect but some control matches it in at
 * least one; not-found when no seed shows the effect (null or reversed), reversed when every seed
 * is reversed; mixed otherwise.
 */
export function claimFinding(kinds: readonly VerdictKind[]): ClaimFinding {
  const n = kinds.length;
  const count = (k: VerdictKind) => kinds.filter((x) => x === k).length;
  if (n > 0 && count('supported') === n) return 'holds';
  if (n > 0 && count('supported') + count('qualified') === n) return 'not-specific';
  if (n > 0 && count('reversed') === n) return 'reversed';
  if (count('supported') + count('qualified') === 0) return 'not-found';
  return 'mixed';
}

const CLAIM_NAMES = {
  alignment: "Claim (i): the gradient lines up with the directions the network's state expands most",
  sensitivity: 'Claim (ii): the inputs read while the state expands most are the ones the output is most sensitive to',
} as const;

const FINDING_WORDS: Record<ClaimFinding, string> = {
  holds: 'holds in every seed of this session',
  'not-specific':
    'shows an effect in every seed, but a simpler comparison matches it in at least one, so it is not specific to the paper’s quantity',
  mixed: 'holds in some seeds and not in others',
  'not-found': 'is not found in any seed of this session',
  reversed: 'goes the opposite way in every seed of this session',
};

const KIND_WORDS: Partial<Record<VerdictKind, string>> = {
  supported: 'supported',
  qualified: 'an effect a control matches',
  null: 'no effect',
  reversed: 'the opposite direction',
  unavailable: 'not measured',
};

/** One claim's paragraph of the conclusion. */
export interface ClaimConclusion {
  step: 'alignment' | 'sensitivity';
  finding: ClaimFinding;
  /** Plain words: the claim, what was found, and the count of seeds per verdict. */
  text: string;
  /** The verdicts quoted word for word: across seeds first (when there is one), then each seed's. */
  quotes: { label: string; verdict: Verdict }[];
  link: string;
}

export interface StoryConclusion {
  /** True once both claims' steps are finished. */
  complete: boolean;
  /** One sentence: what the session's evidence says about both claims (or what is still missing). */
  headline: string;
  /** The untrained net's spectrum, when step 1 was run, and the edge-of-chaos glance's sentence (null if not stored). */
  exponent: { text: string; verdict: Verdict; link: string; chaos: string | null } | null;
  claims: ClaimConclusion[];
  caveats: string[];
  /** Links that reproduce every figure quoted (each run at the epoch its verdicts were read). */
  links: { label: string; hash: string }[];
}

function seedCounts(seeds: StoryEvidence['seeds']): string {
  const byKind = new Map<VerdictKind, number>();
  for (const s of seeds) byKind.set(s.verdict.kind, (byKind.get(s.verdict.kind) ?? 0) + 1);
  return [...byKind.entries()].map(([k, c]) => `${KIND_WORDS[k] ?? k} in ${c} of ${seeds.length}`).join(', ');
}

function dataWords(e: Pick<StoryEvidence, 'encoding' | 'permute'>): string {
  return `${e.encoding === 'row' ? 'row-wise' : `${e.permute ? 'permuted ' : ''}${e.encoding === 'pixel28' ? 'pixel-wise' : '14x14 pixel-wise'}`} MNIST`;
}

function sizeWords(e: StoryEvidence): string {
  const data = dataWords(e);
  return `${e.cell === 'rnn' ? 'tanh RNN' : e.cell.toUpperCase()}, N = ${e.hidden}, ${data}, ${e.epochs} epoch${e.epochs === 1 ? '' : 's'}, ${e.seeds.length} seed${e.seeds.length === 1 ? '' : 's'}${e.subset < 1 ? `, ${Math.round(e.subset * 100)}% of the training digits` : ''}`;
}

/**
 * The conclusion from the evidence of this session's finished steps (absent steps are said to be
 * missing). Every number in it comes from the verdicts quoted.
 */
export function storyConclusion(evidence: Partial<Record<StoryRunStep, StoryEvidence>>): StoryConclusion {
  const claims: ClaimConclusion[] = [];
  const caveats: string[] = [];
  const links: StoryConclusion['links'] = [];
  const ex = evidence.exponent;
  const exponent = ex
    ? {
        text: `Before training, ${ex.seeds[0].verdict.plain.replace(/^The network/, 'the network')}`,
        verdict: ex.seeds[0].verdict,
        link: ex.link,
        chaos: ex.chaos?.text ?? null,
      }
    : null;
  if (ex) links.push({ label: 'Step 1: the untrained network’s spectrum (epoch 0)', hash: ex.link });
  for (const step of ['alignment', 'sensitivity'] as const) {
    const e = evidence[step];
    if (!e) continue;
    const finding = claimFinding(e.seeds.map((s) => s.verdict.kind));
    claims.push({
      step,
      finding,
      text: `${CLAIM_NAMES[step]} — ${FINDING_WORDS[finding]} (${sizeWords(e)}; verdicts at epoch ${e.epoch}: ${seedCounts(e.seeds)}).`,
      quotes: [
        ...(e.acrossSeeds ? [{ label: 'All seeds (the seeds panel)', verdict: e.acrossSeeds }] : []),
        ...e.seeds.map((s) => ({ label: `Seed ${s.seed}`, verdict: s.verdict })),
      ],
      link: e.link,
    });
    links.push({ label: `Step ${step === 'alignment' ? 2 : 3}: ${step} run, epoch ${e.epoch}`, hash: e.link });
    const paper = PAPER_SIZES[step];
    if (e.hidden < paper.hidden) caveats.push(`The ${step} runs have N = ${e.hidden} hidden units; the paper used N = ${paper.hidden}.`);
    if (e.epochs < paper.epochs)
      caveats.push(`The ${step} runs trained ${e.epochs} epoch${e.epochs === 1 ? '' : 's'}; the paper trained ${paper.epochs}.`);
    if (e.subset < 1) caveats.push(`The ${step} runs trained on ${Math.round(e.subset * 100)}% of the training digits.`);
    if (step === 'sensitivity' && !(e.encoding === 'pixel28' && e.permute === 1))
      caveats.push(`The sensitivity runs read ${dataWords(e)}; the paper fed permuted MNIST one pixel at a time (T = 784).`);
    const accs = e.seeds.map((s) => s.testAcc).filter(Number.isFinite);
    if (accs.length)
      caveats.push(
        `Test accuracy of the ${step} runs at epoch ${e.epoch}: ${accs.map((a) => `${(100 * a).toFixed(0)}%`).join(', ')}${Math.max(...accs) < 0.2 ? ' — still at chance (10%): these networks have not learnt yet, so their verdicts speak of barely trained networks, not of trained ones' : ' — a network that has learnt little says little about well-trained ones'}.`,
      );
    if (e.seeds.length < 5)
      caveats.push(
        `${e.seeds.length} seed${e.seeds.length === 1 ? '' : 's'} for ${step}: too few to tell a small effect from seed-to-seed variation; the 95% interval across seeds is wide.`,
      );
  }
  caveats.push('The alignment statistic has no significance test: its verdict compares magnitudes with the null and the controls.');
  const complete = Boolean(evidence.alignment && evidence.sensitivity);
  const missing = (['alignment', 'sensitivity'] as const).filter((s) => !evidence[s]);
  const said = claims.map((c) => `claim (${c.step === 'alignment' ? 'i' : 'ii'}) ${FINDING_WORDS[c.finding].split(',')[0]}`);
  const headline = complete
    ? `In this session, ${said.join('; ')} — at the small sizes listed below, which are not the paper’s.`
    : `Not finished: run step${missing.length > 1 ? 's' : ''} ${missing.map((s) => (s === 'alignment' ? 2 : 3)).join(' and ')} first${said.length ? ` (so far, ${said.join('; ')})` : ''}.`;
  return { complete, headline, exponent, claims, caveats, links };
}
