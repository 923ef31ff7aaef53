/**
 * The current model as an `ftle-lab.model/v1` object (shared/docs/formats.md): PyTorch names,
 * flat row-major data, and the `input` block that says how digits become sequences, so that the
 * CLI (`npx ftle-lab analyze`) and PyTorch users reproduce the app's numbers.
 */
import type { RunConfig } from '../core/formats/config';
import type { SequenceSpec } from '../data/encodings';
import { RNN_TENSOR_NAMES, type RnnWeights } from './init';

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

export function modelJsonFromWeights(w: RnnWeights, config: RunConfig, spec: SequenceSpec): ModelJsonV1 {
  const tensors: ModelJsonV1['tensors'] = {};
  for (const name of RNN_TENSOR_NAMES) tensors[name] = { shape: w[name].shape.slice(), data: Array.from(w[name].data) };
  return {
    format: 'ftle-lab.model/v1',
    arch: 'rnn',
    input_size: w.weight_ih_l0.shape[1],
    hidden_size: w.weight_hh_l0.shape[0],
    num_classes: w['fc.weight'].shape[0],
    tensors,
    input: { encoding: spec.encoding, permutation: spec.permutation ? Array.from(spec.permutation) : null, normalize: null },
    trained_with: config,
  };
}
