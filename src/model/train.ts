/**
 * Training and evaluation loops over a MNIST split, encoding mini-batches on the fly
 * (src/data/encodings) so only one batch of sequences exists at a time.
 */
import type { SequenceSpec } from '../data/encodings';
import type { MnistSplit } from '../data/mnistAsset';
import type { RnnModel } from './rnn';
import { evaluateSplitWith, tfjsTrainer, trainEpochWith, type EpochResult, type TrainerEpochOptions } from './trainer';

export { epochOrder, yieldToEventLoop, type BatchInfo, type EpochResult } from './trainer';

/** Options of an epoch (seeded shuffle, batch size, subset, callbacks): see trainer.ts. */
export type TrainEpochOptions = TrainerEpochOptions;

/**
 * One epoch of mini-batch training of a tfjs RnnModel on `split` encoded with `spec` (the loop is
 * trainer.ts's trainEpochWith, shared with the fast engine). The last partial batch is kept.
 */
export function trainEpoch(model: RnnModel, split: MnistSplit, spec: SequenceSpec, o: TrainEpochOptions): Promise<EpochResult> {
  return trainEpochWith(tfjsTrainer(model), split, spec, o);
}

/**
 * Mean per-sample CE (at the last step) and accuracy of a tfjs RnnModel on `split` (or its digits
 * `indices`), encoded in batches of `batchSize`.
 */
export function evaluateSplit(
  model: RnnModel,
  split: MnistSplit,
  spec: SequenceSpec,
  batchSize = 500,
  indices?: ArrayLike<number>,
): Promise<{ loss: number; acc: number }> {
  return evaluateSplitWith(tfjsTrainer(model), split, spec, batchSize, indices);
}
