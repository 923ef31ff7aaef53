/**
 * Float64 ModelWeights from the float32 tensors a trainer hands over after each epoch (PyTorch
 * names, row-major). The analysis worker and the headless `ftle-lab run` analyse an epoch from
 * exactly this conversion, so both see the same float64 numbers.
 */
import type { Arch, ModelWeights, TensorName } from './model';

/** PyTorch-named tensors, e.g. weight_hh_l0 {shape [G*N, N], data}; any numeric data (Float32Array from training). */
export type NamedTensorData = Record<string, { shape: readonly number[]; data: ArrayLike<number> }>;

/**
 * Widens `named` to float64 ModelWeights of architecture `arch`: N from weight_hh_l0 [G*N, N],
 * D from weight_ih_l0 [G*N, D], C from fc.weight [C, N]. Shapes are not re-validated (trainers
 * produce them); parse files with parseModelObject instead.
 */
export function modelWeightsFromNamed(arch: Arch, named: NamedTensorData): ModelWeights {
  const tensors = {} as Record<TensorName, Float64Array>;
  for (const [name, t] of Object.entries(named)) tensors[name as TensorName] = Float64Array.from(t.data);
  return {
    arch,
    inputSize: named.weight_ih_l0.shape[1],
    hiddenSize: named.weight_hh_l0.shape[1],
    numClasses: named['fc.weight'].shape[0],
    tensors,
  };
}
