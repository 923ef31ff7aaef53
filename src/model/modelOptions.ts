/**
 * The training engines' option defaults, in one place and free of tfjs: the tfjs model, the
 * hand-written engine (which also runs in worker threads, where tfjs must not load) and both
 * fused GPU engines resolve their options here.
 */
import type { RnnModelOptions } from './rnn';

/** Adam's / RMSprop's epsilon in every engine (tfjs's default, so the engines agree). */
export const OPTIMIZER_EPSILON = 1e-7;

/** RnnModelOptions with every default applied (plus the optimisers' epsilon). */
export type ResolvedModelOptions = Required<
  Pick<
    RnnModelOptions,
    'cell' | 'inputSize' | 'hiddenSize' | 'numClasses' | 'init' | 'gain' | 'bias' | 'seed' | 'optimizer' | 'lr' | 'clip' | 'reduction'
  >
> & { epsilon: number };

/**
 * The one place the training engines' defaults live (the tfjs model, the hand-written engine and
 * both fused GPU engines resolve their options here): rnn cell, 10 classes, Xavier gain 1, biases
 * on, Adam lr 1e-3, no clipping, mean CE.
 */
export function resolveModelOptions(o: RnnModelOptions & { epsilon?: number }): ResolvedModelOptions {
  return {
    cell: o.cell ?? 'rnn',
    inputSize: o.inputSize,
    hiddenSize: o.hiddenSize,
    numClasses: o.numClasses ?? 10,
    init: o.init ?? 'xavier',
    gain: o.gain ?? 1,
    bias: o.bias ?? true,
    seed: o.seed,
    optimizer: o.optimizer ?? 'adam',
    lr: o.lr ?? 0.001,
    clip: o.clip ?? 0,
    reduction: o.reduction ?? 'mean',
    epsilon: o.epsilon ?? OPTIMIZER_EPSILON,
  };
}
