/**
 * The training engines' option defaults, in one place and free of tfjs: the tfjs model, the
 * hand-written engine (which also runs in worker threads, where tfjs must not load) and both
 * fused GPU engines resolve their options here.
 */
import type { Arch } from '../core/formats/model';
import type { RnnInit } from './init';

export type OptimizerName = 'sgd' | 'adam' | 'rmsprop';
export type Reduction = 'mean' | 'sum';

export interface RnnModelOptions {
  /** Recurrent cell (default 'rnn'): PyTorch nn.RNN(tanh), nn.GRU or nn.LSTM (gate order and init of PyTorch). */
  cell?: Arch;
  /** D: inputs per step. */
  inputSize: number;
  /** N: hidden units. */
  hiddenSize: number;
  /** C: classes (10 for MNIST). */
  numClasses?: number;
  init?: RnnInit;
  /** Xavier-normal gain (the paper's alignment setting uses 0.005); orthogonal W_hh scale. */
  gain?: number;
  /** false: the paper's bias-free model (biases stay 0, are not trained and not added). */
  bias?: boolean;
  seed: number;
  optimizer?: OptimizerName;
  lr?: number;
  /** Global-norm gradient clipping threshold; 0 = off. */
  clip?: number;
  reduction?: Reduction;
  /**
   * Only for recurrence 'autodiff'. true: one matMul x[B*T, D] W_ih^T for all steps before the
   * loop, then unstack; false (default): a matMul per step. Measured (wasm, Node, N=128, B=64):
   * folding is ~2x slower at T=196 and ~3x slower at T=784 (unstacking [T, B, N] is slow there).
   */
  foldInputProjection?: boolean;
  /**
   * 'custom' (default): the whole recurrence is one op with a hand-written backward
   * (src/model/recurrence.ts, input projection per step); 'autodiff': the unrolled loop
   * differentiated by tfjs (uses foldInputProjection). Same numbers, fewer kernels per step.
   */
  recurrence?: 'custom' | 'autodiff';
}

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

/**
 * The resolved options every training engine exposes as fields (the tfjs model, the hand-written
 * engine, both fused GPU engines), assigned in one place from resolveModelOptions' result.
 */
export class ModelShapeFields {
  /** D: inputs per step. */
  readonly inputSize: number;
  /** N: hidden units. */
  readonly hiddenSize: number;
  /** C: classes. */
  readonly numClasses: number;
  readonly hasBias: boolean;
  readonly reduction: Reduction;
  /** Global-norm gradient clipping threshold; 0 = off. */
  readonly clip: number;
  /** Recurrent cell. */
  readonly cell: Arch;
  constructor(o: ResolvedModelOptions) {
    this.inputSize = o.inputSize;
    this.hiddenSize = o.hiddenSize;
    this.numClasses = o.numClasses;
    this.hasBias = o.bias;
    this.reduction = o.reduction;
    this.clip = o.clip;
    this.cell = o.cell;
  }
}

/** ModelShapeFields plus the optimiser's, for the engines with a hand-written optimiser. */
export class OptimizerFields extends ModelShapeFields {
  readonly optimizer: OptimizerName;
  readonly lr: number;
  readonly epsilon: number;
  constructor(o: ResolvedModelOptions) {
    super(o);
    this.optimizer = o.optimizer;
    this.lr = o.lr;
    this.epsilon = o.epsilon;
  }
}
