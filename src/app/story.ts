/**
 * Runs the guided story "Check the claim" (core/story.ts plans it, ui/Story.tsx shows it): a
 * step's button makes the step's run the current run (the Configuration panel's applyConfig) and
 * starts training it; when every seed has analysed the step's epoch, the step's verdicts are read
 * into the story store as evidence. Pause is the run's own Pause. The story's state is kept in
 * localStorage, and the run in IndexedDB as any run, so after a reload the step resumes.
 */
import { ENGINE_KIND } from '../core/engines';
import { configToHash, type RunConfig } from '../core/formats/config';
import { storyConfig, storyEvidence, storyStepFinished, type StoryRunStep, type StorySeedRun, type StorySize } from '../core/story';
import { useRunStore, type RunState } from '../store/runStore';
import { useStoryStore, type StoryState } from '../store/storyStore';
import { applyConfig, toggleTraining } from './controller';

const STORAGE_KEY = 'ftle-lab.story.claim';

/**
 * The size the story runs at: the link's storySize, else paper on a real GPU and lecture on a CPU
 * (a software GPU such as SwiftShader counts as a CPU).
 */
export function storySizeFor(s: Pick<RunState, 'storySize' | 'engineInfo'>): StorySize {
  if (s.storySize !== 'auto') return s.storySize;
  const b = s.engineInfo;
  const gpu = b !== null && ENGINE_KIND[b.engine]?.device === 'GPU' && !/swiftshader|llvmpipe|software|basic render/i.test(b.renderer);
  return gpu ? 'paper' : 'lecture';
}

/** Every seed's snapshots of the current run, main run first. */
export function currentSeedRuns(s: Pick<RunState, 'config' | 'epochs' | 'seedRuns'>): StorySeedRun[] {
  return [{ seed: s.config.seed, epochs: s.epochs }, ...s.seedRuns.map((r) => ({ seed: r.seed, epochs: r.epochs }))];
}

/** Whether the current run is the run of `config` (a training run with the same settings). */
export function isCurrentRun(s: Pick<RunState, 'config' | 'mode'>, config: RunConfig): boolean {
  return s.mode === 'train' && Boolean(s.config) && configToHash(s.config) === configToHash(config);
}

/**
 * The run of a step at a size, on the engine the current run chose (`backend`, `threads`: the
 * user's or the link's choice of engine carries over; it changes no verdict's meaning).
 */
export function storyStepConfig(step: StoryRunStep, size: StorySize, current: RunConfig | undefined): RunConfig {
  const config = storyConfig(step, size);
  return current ? { ...config, backend: current.backend, threads: current.threads } : config;
}

/** Set when a step's button loaded a new run: train it as soon as its trainer is ready. */
let startWhenReady = false;

/**
 * Runs a step at the story's size: loads its run unless it is the current one, then trains (the
 * exponent step only needs epoch 0, analysed as any run loads). A finished step is read at once.
 */
export function runStoryStep(step: StoryRunStep): void {
  const run = useRunStore.getState();
  const size = storySizeFor(run);
  const config = storyStepConfig(step, size, run.config);
  useStoryStore.getState().set({ running: { step, size, config } });
  if (!isCurrentRun(run, config)) {
    startWhenReady = step !== 'exponent';
    applyConfig(config);
    return;
  }
  // The step's run is the current one: train it now if it can, else (still loading, e.g. just
  // restored after a reload) as soon as it can.
  startWhenReady = step !== 'exponent' && run.status !== 'training' && run.status !== 'done';
  collect(useRunStore.getState());
}

/** Pauses the step's run (the run's own Pause; the seeds follow it). */
export function pauseStory(): void {
  if (useRunStore.getState().status === 'training') toggleTraining();
}

/** Forgets the evidence gathered (the runs stay saved). */
export function restartStory(): void {
  startWhenReady = false;
  useStoryStore.getState().set({ evidence: {}, running: null });
}

/** Reads the running step's evidence once its run is finished. */
function collect(s: RunState): void {
  const story = useStoryStore.getState();
  const r = story.running;
  if (!r) return;
  const config = r.config;
  if (!isCurrentRun(s, config)) return;
  if (startWhenReady && (s.status === 'ready' || s.status === 'paused')) {
    startWhenReady = false;
    toggleTraining();
  }
  const runs = currentSeedRuns(s);
  if (!storyStepFinished(r.step, config, runs)) return;
  const evidence = storyEvidence(r.step, config, runs);
  if (evidence) story.set({ evidence: { ...story.evidence, [r.step]: evidence }, running: null });
}

/** What is stored: the evidence and the running step (verdicts are plain JSON). */
type Stored = Pick<StoryState, 'evidence' | 'running'>;

function load(): void {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    if (!raw) return;
    const v = JSON.parse(raw) as Stored;
    if (v && typeof v === 'object' && v.evidence && typeof v.evidence === 'object')
      useStoryStore.getState().set({ evidence: v.evidence, running: v.running?.config ? v.running : null });
  } catch {
    // A corrupt entry is dropped: the story starts over; no run is lost.
    localStorage.removeItem(STORAGE_KEY);
  }
}

/** Restores the story from browser storage, saves it on every change and follows the current run. */
export function installStory(): void {
  load();
  useStoryStore.subscribe((s) => {
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify({ evidence: s.evidence, running: s.running } satisfies Stored));
    } catch {
      // Storage full or disabled: the story still works for this page.
    }
  });
  useRunStore.subscribe((s, prev) => {
    if (s.epochs !== prev.epochs || s.seedRuns !== prev.seedRuns || s.status !== prev.status) collect(s);
  });
}
