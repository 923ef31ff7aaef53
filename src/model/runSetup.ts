/**
 * How a run config becomes a training setup: the sequence encoding, the model options (with the
 * seed derivation of the initial weights) and the fixed probe digits. The training worker and the
 * headless `ftle-lab run` both build their run from these, so a link trains the same network with
 * the same probes in the browser and in Node.
 */
import type { RunConfig } from '../core/formats/config';
import { deriveSeed } from '../core/rng';
import { encodingPermutation, probeIndices, sequenceSpec, type SequenceSpec } from '../data/encodings';
import type { MnistDataset } from '../data/mnistAsset';
import type { RnnModelOptions } from './rnn';

/** Digits per batch when the test split is evaluated after each epoch (does not change the numbers, only memory). */
export const TEST_EVAL_BATCH = 500;

/** The config's sequence encoding; a permuted encoding's order is seeded by the run seed. */
export function runSequenceSpec(config: RunConfig): SequenceSpec {
  return sequenceSpec(config.encoding, config.permute === 1 ? encodingPermutation(config.encoding, config.seed) : null);
}

/** Model options of a run: size D x N x 10, init, optimiser; initial weights seeded from `seed` ('init'). */
export function runModelOptions(config: RunConfig, spec: SequenceSpec): RnnModelOptions {
  return {
    inputSize: spec.D,
    hiddenSize: config.hidden,
    numClasses: 10,
    init: config.init,
    gain: config.gain,
    bias: config.bias === 1,
    seed: deriveSeed(config.seed, 'init'),
    optimizer: config.optimizer,
    lr: config.lr,
    clip: config.clip,
    reduction: config.reduction,
  };
}

/** The run's fixed probe digits: `probes` indices into the test split, Int32Array [B], seeded ('probes'). */
export function runProbeIndices(config: RunConfig, data: MnistDataset): Int32Array {
  return probeIndices(data, Math.min(config.probes, data.test.labels.length), deriveSeed(config.seed, 'probes'));
}
