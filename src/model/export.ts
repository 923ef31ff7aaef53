/**
 * A trained model as an `ftle-lab.model/v1` object (docs/formats.md): the training engines'
 * PyTorch-named tensors turned into float64 ModelWeights and written by the one model writer,
 * core/formats/model.ts modelToJson, with the `input` block that says how digits become
 * sequences, so that the CLI (`npx ftle-lab analyze`) and PyTorch users reproduce the app's
 * numbers. Used for exports (training worker) and for the weights saved with every epoch
 * (IndexedDB).
 */
import type { Encoding, RunConfig } from '../core/formats/config';
import { ARCHS, GATES, modelToJson, type ModelWeights, type TensorName } from '../core/formats/model';
import { RNN_TENSOR_NAMES } from './init';

/**
 * Float64 ModelWeights of a trained model from its six PyTorch-named tensors (any numeric data:
 * Float32Array from training, number[]; shapes as PyTorch's with G = GATES[arch]: weight_ih_l0
 * [G*N][D], weight_hh_l0 [G*N][N], biases [G*N], fc.weight [C][N], fc.bias [C]) and the input
 * encoding with its permutation (null = natural order). The arch follows from the shapes:
 * weight_hh_l0 is [G*N][N] and G = 1, 3, 4 is rnn, gru, lstm.
 */
export function trainedModelWeights(
  tensors: Record<string, { shape: readonly number[]; data: ArrayLike<number> }>,
  input: { encoding: Encoding; permutation: ArrayLike<number> | null },
): ModelWeights {
  const [rows, N] = tensors.weight_hh_l0.shape;
  const arch = ARCHS.find((a) => GATES[a] * N === rows);
  if (!arch) throw new RangeError(`weight_hh_l0 has shape [${rows}, ${N}]: not [G*N, N] for G = 1 (rnn), 3 (gru) or 4 (lstm)`);
  const out = {} as Record<TensorName, Float64Array>;
  for (const name of RNN_TENSOR_NAMES) out[name] = Float64Array.from(tensors[name].data);
  return {
    arch,
    inputSize: tensors.weight_ih_l0.shape[1],
    hiddenSize: N,
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
