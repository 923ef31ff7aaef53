/**
 * How a run config becomes a training setup. The sequence encoding is data/encodings.ts
 * specForConfig and the probe digits data/probeInfo.ts fixedProbeSet; here: the model options (with
 * the seed derivation of the initial weights) and the test-evaluation batch. The training worker,
 * the engine registry and the headless `ftle-lab run` all build their run from these, so a link
 * trains the same network with the same probes in the browser and in Node.
 */
import type { RunConfig } from '../core/formats/config';
import { deriveSeed } from '../core/rng';
import type { SequenceSpec } from '../data/encodings';
import type { RnnModelOptions } from './rnn';

/** Digits per batch when the test split is evaluated after each epoch (does not change the numbers, only memory). */
export const TEST_EVAL_BATCH = 500;

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
