/**
 * A trained model as an `ftle-lab.model/v1` object (docs/formats.md): the training engines'
 * PyTorch-named tensors turned into float64 ModelWeights and written by the one model writer,
 * core/formats/model.ts modelToJson, with the `input` block that says how digits become
 * sequences, so that the CLI (`npx ftle-lab analyze`) and PyTorch users reproduce the app's
 * numbers. Used for exports (training worker) and for the weights saved with every epoch
 * (IndexedDB).
 */
import type { Encoding, RunConfig } from '../core/formats/config';
import { modelToJson, type ModelWeights, type TensorName } from '../core/formats/model';
import { RNN_TENSOR_NAMES } from './init';

/**
 * Float64 ModelWeights of the trained tanh RNN from its six PyTorch-named tensors (any numeric
 * data: Float32Array from training, number[]; shapes as PyTorch's: weight_ih_l0 [N][D],
 * weight_hh_l0 [N][N], biases [N], fc.weight [C][N], fc.bias [C]) and the input encoding with
 * its permutation (null = natural order).
 */
export function trainedModelWeights(
  tensors: Record<string, { shape: readonly number[]; data: ArrayLike<number> }>,
  input: { encoding: Encoding; permutation: ArrayLike<number> | null },
): ModelWeights {
  const out = {} as Record<TensorName, Float64Array>;
  for (const name of RNN_TENSOR_NAMES) out[name] = Float64Array.from(tensors[name].data);
  return {
    arch: 'rnn',
    inputSize: tensors.weight_ih_l0.shape[1],
    hiddenSize: tensors.weight_hh_l0.shape[0],
    numClasses: tensors['fc.weight'].shape[0],
    tensors: out,
    input: { encoding: input.encoding, permutation: input.permutation ? Array.from(input.permutation) : null, normalize: null },
  };
}

/** The `ftle-lab.model/v1` object of trained tensors (see trainedModelWeights), with the run config as provenance. */
export function modelJson(
  tensors: Record<string, { shape: readonly number[]; data: ArrayLike<number> }>,
  input: { encoding: Encoding; permutation: ArrayLike<number> | null },
  trainedWith?: RunConfig,
): Record<string, unknown> {
  return modelToJson(trainedModelWeights(tensors, input), trainedWith);
}
