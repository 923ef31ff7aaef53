/**
 * A trained model as an `ftle-lab.model/v1` object (shared/docs/formats.md): PyTorch names,
 * flat row-major data, and the `input` block that says how digits become sequences, so that the
 * CLI (`npx ftle-lab analyze`) and PyTorch users reproduce the app's numbers. Used for exports
 * (training worker) and for the weights saved with every epoch (IndexedDB).
 */
import type { RunConfig } from '../core/formats/config';
import { RNN_TENSOR_NAMES } from './init';

export interface ModelJsonV1 {
  format: 'ftle-lab.model/v1';
  arch: 'rnn';
  input_size: number;
  hidden_size: number;
  num_classes: number;
  tensors: Record<string, { shape: number[]; data: number[] }>;
  input: { encoding: string; permutation: number[] | null; normalize: null };
  /** Provenance: the run config that trained it (ignored by readers). */
  trained_with?: RunConfig;
}

/**
 * Builds the model file from the six PyTorch-named tensors (any numeric data: Float32Array from
 * training, number[]), the input encoding and its permutation (null = natural order).
 */
export function modelJson(
  tensors: Record<string, { shape: readonly number[]; data: ArrayLike<number> }>,
  input: { encoding: string; permutation: ArrayLike<number> | null },
  trainedWith?: RunConfig,
): ModelJsonV1 {
  const out: ModelJsonV1['tensors'] = {};
  for (const name of RNN_TENSOR_NAMES) out[name] = { shape: tensors[name].shape.slice(), data: Array.from(tensors[name].data) };
  return {
    format: 'ftle-lab.model/v1',
    arch: 'rnn',
    input_size: tensors.weight_ih_l0.shape[1],
    hidden_size: tensors.weight_hh_l0.shape[0],
    num_classes: tensors['fc.weight'].shape[0],
    tensors: out,
    input: { encoding: input.encoding, permutation: input.permutation ? Array.from(input.permutation) : null, normalize: null },
    ...(trainedWith ? { trained_with: trainedWith } : {}),
  };
}
