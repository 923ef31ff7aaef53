/**
 * How a run config becomes a training setup, derived ONCE per run: the sequence encoding
 * (data/encodings.ts specForConfig), the model options with every default applied (the seed of
 * the initial weights derived from the run's seed) and the test-evaluation batch. The training
 * worker, the seeds worker and `ftle-lab run` all build their run from `resolveRunOptions`, and
 * hand the resolved options down to the engines (model/engines.ts), so a link trains the same
 * network with the same probes in the browser and in Node.
 */
import type { RunConfig } from '../core/formats/config';
import { deriveSeed } from '../core/rng';
import { specForConfig, type SequenceSpec } from '../data/encodings';
import { resolveModelOptions, type ResolvedModelOptions } from '../model/modelOptions';
import type { RnnModelOptions } from '../model/rnn';

/** Digits per batch when the test split is evaluated after each epoch (does not change the numbers, only memory). */
export const TEST_EVAL_BATCH = 500;

/** Everything a run's set-up needs from its config, resolved once (resolveRunOptions). */
export interface RunOptions {
  config: RunConfig;
  /** The sequence encoding: T steps of D inputs per digit, the pixel permutation. */
  spec: SequenceSpec;
  /** The engines' options, every default applied (size D x N x 10, init, optimiser, epsilon). */
  model: ResolvedModelOptions;
}

/** Model options of a run: size D x N x 10, init, optimiser; initial weights seeded from `seed` ('init'). */
export function runModelOptions(config: RunConfig, spec: SequenceSpec): RnnModelOptions {
  return {
    cell: config.cell,
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

/** The run's encoding and resolved model options, from its config (see the module comment). */
export function resolveRunOptions(config: RunConfig): RunOptions {
  const spec = specForConfig(config.encoding, config.permute, config.seed);
  return { config, spec, model: resolveModelOptions(runModelOptions(config, spec)) };
}
