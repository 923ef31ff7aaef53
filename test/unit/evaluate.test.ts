/**
 * scoreModel (an imported model's test accuracy) against the float64 PyTorch reference of a
 * trained fixture: the mean of its per-sample losses, and the accuracy its reference logits give.
 */
import { describe, expect, it } from 'vitest';
import { scoreModel } from '../../src/core/evaluate';
import { loadFixture } from './dynamics.fixtures';

describe('scoreModel', () => {
  it('matches the reference loss and the accuracy of the reference logits (trained row-wise RNN)', () => {
    const f = loadFixture('rnn_n16_t28_d28_trained');
    const { inputs, labels, T, D } = f.probe;
    const r = scoreModel(f.weights, inputs, labels, T, D);
    const refLoss = (f.expected.loss as number[]).reduce((a, b) => a + b, 0) / labels.length;
    const refLogits = f.expected.logits as number[][];
    const refAcc = refLogits.filter((z, b) => z.indexOf(Math.max(...z)) === labels[b]).length / labels.length;
    expect(r.count).toBe(labels.length);
    expect(Math.abs(r.loss - refLoss)).toBeLessThan(1e-8 * refLoss);
    expect(r.acc).toBe(refAcc);
  });

  it('relabelling a missed digit as the reference argmax raises the accuracy by exactly 1/M', () => {
    const f = loadFixture('rnn_n16_t28_d28_trained');
    const { inputs, labels, T, D } = f.probe;
    const base = scoreModel(f.weights, inputs, labels, T, D);
    const refLogits = f.expected.logits as number[][];
    const miss = refLogits.findIndex((z, b) => z.indexOf(Math.max(...z)) !== labels[b]);
    expect(miss).toBeGreaterThanOrEqual(0);
    const relabelled = Array.from(labels);
    relabelled[miss] = refLogits[miss].indexOf(Math.max(...refLogits[miss]));
    const r = scoreModel(f.weights, inputs, relabelled, T, D);
    expect(r.acc).toBeCloseTo(base.acc + 1 / labels.length, 12);
  });
});
