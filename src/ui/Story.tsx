import { useMemo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import {
  STORY_STEPS,
  storyChaosGlance,
  storyConclusion,
  storyStepProgress,
  type StoryEvidence,
  type StoryRunStep,
  type StoryStepId,
} from '../core/story';
import type { Verdict } from '../core/verdicts';
import { currentSeedRuns, isCurrentRun, pauseStory, restartStory, runStoryStep, storySizeFor, storyStepConfig } from '../app/story';
import { useRunStore } from '../store/runStore';
import { useStoryStore } from '../store/storyStore';

interface StepText {
  title: string;
  /** The paragraph; `size` describes the step's run. */
  body: (size: string) => string;
  /** data-testid of the live panels the step talks about. */
  panels: { testId: string; label: string }[];
}

const STEP_TEXT: Record<StoryStepId, StepText> = {
  exponent: {
    title: '1. What a Lyapunov exponent is',
    body: (size) =>
      `A recurrent network reads a digit one row (or pixel) at a time. Nudge its hidden state a little at some step: as the rest of the digit is read, does the nudge grow or die out? A finite-time Lyapunov exponent is the average rate per step, in nats, at which nudges along one direction grow (positive) or shrink (negative); the spectrum lists one exponent per direction, largest first. Whether nudges grow depends on how strongly the units drive each other: the table below is the edge-of-chaos view's random network at three gains g (open the view to drag g yourself). The paper ranks the steps where the state expands most (its quantity R) and makes two claims about them. Run builds the untrained network of step 2 (${size}) and computes its spectrum.`,
    panels: [{ testId: 'spectrum-plot', label: 'the spectrum' }],
  },
  alignment: {
    title: '2. Claim (i): the gradient aligns with the expanding directions',
    body: (size) =>
      `The paper claims that the gradient of the loss lines up with the directions in which the state expands most (the top Q vectors). Its statistic is the spread of cosines between the gradient's singular vectors and Q, compared with its null 1/√N (what random directions give) and with controls: random Q indices, Q of another digit, and W_hh's own singular vectors. One trained network proves little, so Run trains several seeds in the paper's alignment setting (row-wise, SGD, gain 0.005, no biases) at ${size}.`,
    panels: [
      { testId: 'alignment-plot', label: 'the alignment panel' },
      { testId: 'seed-summary', label: 'the seeds panel' },
    ],
  },
  sensitivity: {
    title: '3. Claim (ii): input sensitivity',
    body: (size) =>
      `The paper claims that the inputs read while the state expands most are the ones that matter: flipping the k pixels (rows, when digits are read row by row) that R ranks highest ("R-top") should raise the loss more than flipping k random ones. The flip test measures the rise in loss for both on every probe digit, compares them with a paired one-sided Wilcoxon test, Holm-corrected over k, and sets controls beside R-top (gradient saliency, the last steps, R's lowest). Run trains several seeds at ${size}.`,
    panels: [
      { testId: 'flip-plot', label: 'the flip test' },
      { testId: 'seed-summary', label: 'the seeds panel' },
    ],
  },
  conclusion: {
    title: '4. What the evidence says',
    body: () =>
      'Assembled from the verdicts computed in this session (steps 2 and 3), with their numbers, the caveats of the sizes run, and links that reproduce every run.',
    panels: [],
  },
};

/** Scrolls to a live panel and outlines it briefly. */
function showPanel(testId: string) {
  const el = document.querySelector<HTMLElement>(`[data-testid="${testId}"]`);
  if (!el) return;
  el.scrollIntoView({ block: 'start', behavior: 'auto' });
  el.classList.add('tour-highlight');
  setTimeout(() => el.classList.remove('tour-highlight'), 2500);
  el.querySelector<HTMLElement>('h2')?.setAttribute('tabindex', '-1');
  el.querySelector<HTMLElement>('h2')?.focus();
}

function VerdictQuote({ label, verdict, testId }: { label: string; verdict: Verdict; testId?: string }) {
  return (
    <li className={`story-quote verdict-${verdict.kind}`} data-testid={testId} data-kind={verdict.kind}>
      <strong>{label}:</strong> <span className="story-plain">{verdict.plain}</span> <span className="story-stats">{verdict.text}</span>
    </li>
  );
}

function EvidenceList({ evidence }: { evidence: StoryEvidence }) {
  return (
    <ul className="story-quotes" data-testid="story-evidence">
      {evidence.acrossSeeds ? (
        <VerdictQuote label="All seeds (the seeds panel)" verdict={evidence.acrossSeeds} testId="story-quote-seeds" />
      ) : null}
      {evidence.seeds.map((s) => (
        <VerdictQuote key={s.seed} label={`Seed ${s.seed}`} verdict={s.verdict} testId="story-quote-seed" />
      ))}
    </ul>
  );
}

/**
 * The edge-of-chaos view at three gains (core/story.ts computes the numbers: the view's own
 * network and settings, lambda_1 only), each with a button that opens the view at that gain.
 */
function ChaosGlance() {
  const glance = useMemo(() => storyChaosGlance(), []);
  const set = useRunStore((s) => s.set);
  return (
    <div className="story-chaos" data-testid="story-chaos">
      <table>
        <caption>The edge of chaos: a random network of {glance.hidden} units, no input (λ1 in ln/step)</caption>
        <thead>
          <tr>
            <th scope="col">gain g</th>
            <th scope="col">λ1</th>
            <th scope="col">mean-field λ1</th>
            <th scope="col">regime</th>
            <th scope="col">view</th>
          </tr>
        </thead>
        <tbody>
          {glance.rows.map((r) => (
            <tr key={r.g} data-testid="story-chaos-row" data-g={r.g} data-lambda1={r.lambda1} data-regime={r.regime}>
              <td>{r.g}</td>
              <td>{r.lambda1.toFixed(3)}</td>
              <td>{r.meanfield.toFixed(3)}</td>
              <td>{r.regime}</td>
              <td>
                <button
                  type="button"
                  className="link-button"
                  data-testid="story-chaos-open"
                  data-g={r.g}
                  aria-label={`Open the edge-of-chaos view at g = ${r.g}`}
                  onClick={() => set({ view: 'chaos', gain: r.g, chaosHidden: glance.hidden, chaosInput: 'zero' })}
                >
                  Open at g = {r.g}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted">{glance.text}</p>
    </div>
  );
}

function sizeText(config: { hidden: number; epochs: number; seeds: number }, step: StoryRunStep): string {
  return step === 'exponent'
    ? `N = ${config.hidden}, epoch 0`
    : `N = ${config.hidden}, ${config.epochs} epoch${config.epochs === 1 ? '' : 's'}, ${config.seeds} seeds`;
}

function RunStep({ step }: { step: StoryRunStep }) {
  const run = useRunStore(
    useShallow((s) => ({
      config: s.config,
      mode: s.mode,
      status: s.status,
      epochs: s.epochs,
      seedRuns: s.seedRuns,
      storySize: s.storySize,
      engineInfo: s.engineInfo,
    })),
  );
  const evidence = useStoryStore((s) => s.evidence[step]);
  const running = useStoryStore((s) => s.running);
  const size = running?.step === step ? running.size : storySizeFor(run);
  const config = running?.step === step ? running.config : storyStepConfig(step, size, run.config);
  const current = isCurrentRun(run, config);
  const progress = current ? storyStepProgress(step, config, currentSeedRuns(run)) : 0;
  const isRunning = running?.step === step;
  const training = current && run.status === 'training';
  const text = STEP_TEXT[step];
  const label = isRunning ? (training ? 'Running…' : 'Resume') : evidence ? 'Run again' : 'Run';
  return (
    <article className="story-step" data-testid="story-step" data-step={step} aria-labelledby={`story-h-${step}`}>
      <h3 id={`story-h-${step}`}>{text.title}</h3>
      <p>{text.body(`${sizeText(config, step)}, ${size} size`)}</p>
      <div className="story-actions">
        <button
          type="button"
          className="primary"
          data-testid="story-run"
          disabled={isRunning && training}
          onClick={() => runStoryStep(step)}
        >
          {label}
        </button>
        {isRunning && training ? (
          <button type="button" data-testid="story-pause" onClick={() => pauseStory()}>
            Pause
          </button>
        ) : null}
        {text.panels.map((p) => (
          <button key={p.testId} type="button" className="link-button" onClick={() => showPanel(p.testId)}>
            Show {p.label}
          </button>
        ))}
      </div>
      {step === 'exponent' ? <ChaosGlance /> : null}
      {isRunning || (current && progress > 0 && !evidence) ? (
        <div className="story-progress">
          <progress value={progress} max={1} aria-label={`${text.title}: progress`} data-testid="story-progress" />
          <span>
            {Math.round(progress * 100)}%{isRunning && !training && current && progress < 1 ? ' (paused: Resume goes on)' : ''}
          </span>
        </div>
      ) : null}
      {evidence ? (
        <>
          <p className="muted">Read at epoch {evidence.epoch} of the run (the panels below show it while it is the current run):</p>
          <EvidenceList evidence={evidence} />
        </>
      ) : null}
    </article>
  );
}

function Conclusion() {
  const evidence = useStoryStore((s) => s.evidence);
  const c = useMemo(() => storyConclusion(evidence), [evidence]);
  return (
    <article className="story-step" data-testid="story-step" data-step="conclusion" aria-labelledby="story-h-conclusion">
      <h3 id="story-h-conclusion">{STEP_TEXT.conclusion.title}</h3>
      <p>{STEP_TEXT.conclusion.body('')}</p>
      <div className="story-conclusion" data-testid="story-conclusion" data-complete={c.complete ? '1' : '0'} aria-live="polite">
        <p className="story-headline">
          <strong>{c.headline}</strong>
        </p>
        {c.exponent ? (
          <p>
            {c.exponent.text} <span className="story-stats">({c.exponent.verdict.text})</span>
          </p>
        ) : null}
        {c.exponent?.chaos ? <p data-testid="story-conclusion-chaos">{c.exponent.chaos}</p> : null}
        {c.claims.map((claim) => (
          <section key={claim.step} className="story-claim" data-claim={claim.step} data-finding={claim.finding}>
            <p>{claim.text}</p>
            <ul className="story-quotes">
              {claim.quotes.map((q) => (
                <VerdictQuote key={q.label} label={q.label} verdict={q.verdict} />
              ))}
            </ul>
          </section>
        ))}
        {c.claims.length ? (
          <>
            <h4>Caveats</h4>
            <ul className="story-caveats">
              {c.caveats.map((x) => (
                <li key={x}>{x}</li>
              ))}
            </ul>
            <h4>Reproduce every figure</h4>
            <ul className="story-links">
              {c.links.map((l) => (
                <li key={l.hash}>
                  <a href={l.hash}>{l.label}</a> <code>{l.hash}</code>
                </li>
              ))}
            </ul>
          </>
        ) : null}
      </div>
      <button type="button" onClick={() => restartStory()}>
        Start the story over
      </button>
    </article>
  );
}

/** The guided story "Check the claim" (link key `story=claim`): four steps that compute as you read. */
export function Story() {
  const set = useRunStore((s) => s.set);
  return (
    <section className="story" data-testid="story" aria-label="Check the claim">
      <header className="story-header">
        <h2>Check the claim</h2>
        <button type="button" aria-label="Close the story" onClick={() => set({ story: 'off' })}>
          Close
        </button>
      </header>
      <p className="muted">
        Vogt et al. make two claims about the directions in which a recurrent network's state expands. Each step below runs what it needs in
        this page; the panels underneath show the current run live, and step 4 says what the verdicts you computed add up to.
      </p>
      {STORY_STEPS.map((step) => (step === 'conclusion' ? <Conclusion key={step} /> : <RunStep key={step} step={step} />))}
    </section>
  );
}

/** The button beside the Guided tour that opens the story. */
export function StoryButton() {
  const set = useRunStore((s) => s.set);
  return (
    <button type="button" data-testid="story-start" onClick={() => set({ story: 'claim' })}>
      Check the claim
    </button>
  );
}
