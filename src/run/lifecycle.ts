/**
 * The run lifecycle, defined once: the states a run can be in, the events that move it, and which
 * controls each state allows. The training worker drives its own state with `transition` and
 * acknowledges every change with a `state` event; the page shows the worker's state (plus the one
 * state only the page can know about, 'pausing', between a Pause click and the worker's answer) and
 * enables controls with `controlsFor`. A pure module (no tfjs, no DOM): both sides import it, and
 * docs/lifecycle.md draws it.
 *
 *   idle ─init→ loading ─loaded→ ready (paused when resumed) ─start/step→ training ─pause→ pausing ─paused→ paused
 *                                        paused ─start/step→ training ─epochEnd(last)→ done
 *   done ─extend→ paused;  any ─fail→ failed;  any ─reset→ loading (a new worker)
 */

export const LIFECYCLE_STATES = ['idle', 'loading', 'ready', 'training', 'pausing', 'paused', 'done', 'failed'] as const;
export type LifecycleState = (typeof LIFECYCLE_STATES)[number];

/** What the page shows: a run to train, a replayed bundle (nothing to train), or an imported model. */
export type RunMode = 'train' | 'replay' | 'model';

export type LifecycleEvent =
  /** A worker was started with a config. */
  | { type: 'init' }
  /**
   * Data, engine and model are ready. `resumed`: the model continues stored weights (a restored
   * run waits paused, not ready); `done` when it has trained all its epochs.
   */
  | { type: 'loaded'; done: boolean; resumed?: boolean }
  /** Train until the last epoch / until the end of the current epoch. */
  | { type: 'start' }
  | { type: 'step' }
  /** Train one batch, then pause (slow inspection, as GAN Lab steps one iteration). */
  | { type: 'stepBatch' }
  /** Pause requested: takes effect at the next batch boundary. */
  | { type: 'pause' }
  /** The worker stopped at a batch boundary (acknowledges 'pause'). */
  | { type: 'paused' }
  /** An epoch finished: `last` when it was the final one, `stepping` when only one was asked for. */
  | { type: 'epochEnd'; last: boolean; stepping: boolean }
  /** The epoch target was raised ("Train N more epochs"). */
  | { type: 'extend' }
  /** Divergence rolled back to the last good epoch: the run waits for the user. */
  | { type: 'diverged' }
  | { type: 'fail' }
  /** A fresh worker replaces this one (Reset, preset change, restart after a crash). */
  | { type: 'reset' };

/**
 * The next state after `event` in state `s`, or null when the event is not allowed there (the
 * caller ignores it: e.g. 'pause' while paused, 'start' while done).
 */
export function transition(s: LifecycleState, event: LifecycleEvent): LifecycleState | null {
  switch (event.type) {
    case 'reset':
      return 'loading';
    case 'fail':
      return 'failed';
    case 'init':
      return s === 'idle' || s === 'loading' ? 'loading' : null;
    case 'loaded':
      return s === 'loading' ? (event.done ? 'done' : event.resumed ? 'paused' : 'ready') : null;
    case 'start':
    case 'step':
    case 'stepBatch':
      // Start while pausing cancels the pause (the worker had not stopped yet).
      return s === 'ready' || s === 'paused' || s === 'pausing' || (s === 'training' && event.type === 'start') ? 'training' : null;
    case 'pause':
      return s === 'training' ? 'pausing' : null;
    case 'paused':
      return s === 'pausing' || s === 'training' ? 'paused' : null;
    case 'epochEnd':
      if (s !== 'training' && s !== 'pausing') return null;
      if (event.last) return 'done';
      return event.stepping || s === 'pausing' ? 'paused' : 'training';
    case 'extend':
      return s === 'done' ? 'paused' : s === 'ready' || s === 'paused' || s === 'training' || s === 'pausing' ? s : null;
    case 'diverged':
      return s === 'training' || s === 'pausing' ? 'paused' : null;
  }
}

/** Which controls are usable: the ControlBar enables exactly these, and the browser test checks it. */
export interface Controls {
  /** The Start/Pause button; `toggleLabel` says what it does now. */
  toggle: boolean;
  toggleLabel: 'Start' | 'Resume' | 'Pause' | 'Pausing…';
  step: boolean;
  /** "Step one batch": the same states as step. */
  stepBatch: boolean;
  reset: boolean;
  /** "Train N more epochs" (a finished training run). */
  extend: boolean;
}

/**
 * The controls a state allows. `midEpoch`: the run was paused inside an epoch (the button then
 * says Resume, since it continues that epoch from the same batch).
 */
export function controlsFor(s: LifecycleState, mode: RunMode, midEpoch = false): Controls {
  const train = mode === 'train';
  const toggleLabel = s === 'training' ? 'Pause' : s === 'pausing' ? 'Pausing…' : s === 'paused' && midEpoch ? 'Resume' : 'Start';
  return {
    toggle: train && (s === 'ready' || s === 'paused' || s === 'training'),
    toggleLabel,
    step: train && (s === 'ready' || s === 'paused'),
    stepBatch: train && (s === 'ready' || s === 'paused'),
    // Reset always works: it replaces the worker, whatever state the old one is stuck in.
    reset: true,
    extend: train && s === 'done',
  };
}

/** "1 epoch", "3 epochs": counts in messages agree with their noun. */
export function plural(n: number, noun: string, nouns = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : nouns}`;
}
