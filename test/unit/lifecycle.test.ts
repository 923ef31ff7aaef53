/**
 * The lifecycle table (src/run/lifecycle.ts): the transitions the issue names, the ones it
 * forbids, which controls each state enables, and plurals in messages.
 */
import { describe, expect, it } from 'vitest';
import { LIFECYCLE_STATES, controlsFor, plural, transition, type LifecycleState } from '../../src/run/lifecycle';

describe('lifecycle', () => {
  it('goes loading -> ready -> training -> pausing -> paused -> training -> done, and done -> paused on extend', () => {
    let s: LifecycleState = 'idle';
    const go = (ev: Parameters<typeof transition>[1]) => {
      const next = transition(s, ev);
      expect(next, `${ev.type} from ${s}`).not.toBeNull();
      s = next!;
      return s;
    };
    expect(go({ type: 'init' })).toBe('loading');
    expect(go({ type: 'loaded', done: false })).toBe('ready');
    expect(go({ type: 'start' })).toBe('training');
    expect(go({ type: 'epochEnd', last: false, stepping: false })).toBe('training');
    expect(go({ type: 'pause' })).toBe('pausing');
    expect(go({ type: 'paused' })).toBe('paused');
    expect(go({ type: 'step' })).toBe('training');
    expect(go({ type: 'epochEnd', last: false, stepping: true })).toBe('paused');
    expect(go({ type: 'start' })).toBe('training');
    expect(go({ type: 'epochEnd', last: true, stepping: false })).toBe('done');
    expect(go({ type: 'extend' })).toBe('paused');
  });

  it('refuses what makes no sense: start when done or failed, pause when not training, loaded twice', () => {
    expect(transition('done', { type: 'start' })).toBeNull();
    expect(transition('failed', { type: 'start' })).toBeNull();
    expect(transition('failed', { type: 'step' })).toBeNull();
    expect(transition('done', { type: 'stepBatch' })).toBeNull();
    expect(transition('paused', { type: 'stepBatch' })).toBe('training');
    expect(transition('paused', { type: 'pause' })).toBeNull();
    expect(transition('ready', { type: 'loaded', done: false })).toBeNull();
    // A restored run waits paused (its banner says so), or done when it had trained every epoch.
    expect(transition('loading', { type: 'loaded', done: false, resumed: true })).toBe('paused');
    expect(transition('loading', { type: 'loaded', done: true, resumed: true })).toBe('done');
    expect(transition('loading', { type: 'start' })).toBeNull();
    // An epoch that ends while a pause is pending settles paused (the boundary is a batch boundary too).
    expect(transition('pausing', { type: 'epochEnd', last: false, stepping: false })).toBe('paused');
    expect(transition('pausing', { type: 'epochEnd', last: true, stepping: false })).toBe('done');
  });

  it('reset and fail are allowed from every state, so nothing can wedge the run', () => {
    for (const s of LIFECYCLE_STATES) {
      expect(transition(s, { type: 'reset' })).toBe('loading');
      expect(transition(s, { type: 'fail' })).toBe('failed');
      expect(controlsFor(s, 'train').reset).toBe(true);
    }
  });

  it('enables the controls each state allows, and none that train in replay or model mode', () => {
    expect(controlsFor('training', 'train')).toEqual({
      toggle: true,
      toggleLabel: 'Pause',
      step: false,
      stepBatch: false,
      reset: true,
      extend: false,
    });
    expect(controlsFor('pausing', 'train')).toEqual({
      toggle: false,
      toggleLabel: 'Pausing…',
      step: false,
      stepBatch: false,
      reset: true,
      extend: false,
    });
    expect(controlsFor('paused', 'train', true)).toEqual({
      toggle: true,
      toggleLabel: 'Resume',
      step: true,
      stepBatch: true,
      reset: true,
      extend: false,
    });
    expect(controlsFor('paused', 'train', false).toggleLabel).toBe('Start');
    expect(controlsFor('done', 'train')).toEqual({
      toggle: false,
      toggleLabel: 'Start',
      step: false,
      stepBatch: false,
      reset: true,
      extend: true,
    });
    expect(controlsFor('loading', 'train')).toMatchObject({ toggle: false, step: false });
    for (const mode of ['replay', 'model'] as const) {
      for (const s of LIFECYCLE_STATES)
        expect(controlsFor(s, mode)).toMatchObject({ toggle: false, step: false, stepBatch: false, extend: false, reset: true });
    }
  });

  it('plural agrees with the count', () => {
    expect(plural(1, 'epoch snapshot')).toBe('1 epoch snapshot');
    expect(plural(3, 'epoch snapshot')).toBe('3 epoch snapshots');
    expect(plural(0, 'epoch')).toBe('0 epochs');
  });
});
