/**
 * Reader and writer for `ftle-lab.model/v1` (shared docs formats.md): one-layer PyTorch
 * nn.RNN(tanh) / nn.GRU / nn.LSTM weights plus an nn.Linear readout named `fc`, flat row-major
 * arrays with explicit shapes, and an optional `input` block saying how images become sequences.
 * Every failure throws FormatError naming the field.
 */
import { z } from 'zod';
import { ENCODINGS, ENCODING_SHAPES, type Encoding, type RunConfig } from './config';
import { FormatError, fieldPath, parseJsonText, toFloat64 } from './errors';

export const MODEL_FORMAT = 'ftle-lab.model/v1';
import { ARCHS, GATES, type Arch } from './arch';
export { ARCHS, GATES, type Arch };

/** PyTorch parameter names, in the order we write them. */
export const TENSOR_NAMES = ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0', 'fc.weight', 'fc.bias'] as const;
export type TensorName = (typeof TENSOR_NAMES)[number];

/** Size limits: generous for anything a browser can train, small enough to refuse absurd files. */
export const MODEL_LIMITS = { maxHidden: 4096, maxInput: 4096, maxClasses: 1000, maxSteps: 100_000 } as const;

/** How the app turns an image into a sequence for this model (formats.md, `input`). */
export interface InputSpec {
  encoding: Encoding;
  /** permutation[t] = index of the pixel (row) fed at 0-based step t; null = natural order. */
  permutation: number[] | null;
  normalize: { mean: number; std: number } | null;
}

/**
 * Float64 weights of a one-layer recurrent classifier. Tensors are row-major Float64Array keyed by
 * the PyTorch names: weight_ih_l0 [G*N][D], weight_hh_l0 [G*N][N], bias_ih_l0 / bias_hh_l0 [G*N],
 * fc.weight [C][N], fc.bias [C] (G = GATES[arch]).
 */
export interface ModelWeights {
  arch: Arch;
  inputSize: number;
  hiddenSize: number;
  numClasses: number;
  tensors: Record<TensorName, Float64Array>;
  input?: InputSpec;
}

/** Expected shape of each tensor for a given architecture and sizes. */
export function expectedShapes(arch: Arch, inputSize: number, hiddenSize: number, numClasses: number): Record<TensorName, number[]> {
  const GN = GATES[arch] * hiddenSize;
  return {
    weight_ih_l0: [GN, inputSize],
    weight_hh_l0: [GN, hiddenSize],
    bias_ih_l0: [GN],
    bias_hh_l0: [GN],
    'fc.weight': [numClasses, hiddenSize],
    'fc.bias': [numClasses],
  };
}

const posInt = (max: number) => z.number().int().min(1).max(max);

const TensorSchema = z.object({
  shape: z
    .array(
      z
        .number()
        .int()
        .min(0)
        .max(1 << 24),
    )
    .max(4),
  data: z.array(z.unknown()),
});

const InputSchema = z.object({
  encoding: z.enum(ENCODINGS),
  permutation: z.array(z.number().int().min(0)).max(MODEL_LIMITS.maxSteps).nullable().optional(),
  normalize: z.object({ mean: z.number(), std: z.number().positive() }).nullable().optional(),
});

const ModelSchema = z.object({
  format: z.literal(MODEL_FORMAT),
  arch: z.enum(ARCHS),
  input_size: posInt(MODEL_LIMITS.maxInput),
  hidden_size: posInt(MODEL_LIMITS.maxHidden),
  num_classes: posInt(MODEL_LIMITS.maxClasses),
  tensors: z.object({
    weight_ih_l0: TensorSchema,
    weight_hh_l0: TensorSchema,
    bias_ih_l0: TensorSchema,
    bias_hh_l0: TensorSchema,
    'fc.weight': TensorSchema,
    'fc.bias': TensorSchema,
  }),
  input: InputSchema.nullable().optional(),
});

/** Throws FormatError for the first zod issue, naming its field. */
export function zodParse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new FormatError(fieldPath(issue?.path ?? []), issue?.message ?? 'invalid');
}

/** Validates an already-parsed JSON value as `ftle-lab.model/v1`; see parseModelJson. */
export function parseModelObject(value: unknown): ModelWeights {
  const m = zodParse(ModelSchema, value);
  const shapes = expectedShapes(m.arch, m.input_size, m.hidden_size, m.num_classes);
  const tensors = {} as Record<TensorName, Float64Array>;
  for (const name of TENSOR_NAMES) {
    const t = m.tensors[name];
    const want = shapes[name];
    if (t.shape.length !== want.length || t.shape.some((s, i) => s !== want[i])) {
      throw new FormatError(`tensors.${name}.shape`, `expected [${want.join(', ')}], got [${t.shape.join(', ')}]`);
    }
    const size = want.reduce((a, b) => a * b, 1);
    tensors[name] = toFloat64(t.data, `tensors.${name}.data`, size);
  }
  const weights: ModelWeights = {
    arch: m.arch,
    inputSize: m.input_size,
    hiddenSize: m.hidden_size,
    numClasses: m.num_classes,
    tensors,
  };
  if (m.input) {
    const { T: steps, D: wantD } = ENCODING_SHAPES[m.input.encoding];
    const perm = m.input.permutation ?? null;
    if (perm !== null) {
      if (perm.length !== steps)
        throw new FormatError('input.permutation', `expected ${steps} entries for encoding ${m.input.encoding}, got ${perm.length}`);
      const seen = new Uint8Array(steps);
      for (let i = 0; i < steps; i++) {
        if (perm[i] >= steps || seen[perm[i]]) throw new FormatError(`input.permutation[${i}]`, `not a permutation of 0..${steps - 1}`);
        seen[perm[i]] = 1;
      }
    }
    if (m.input_size !== wantD)
      throw new FormatError(
        'input.encoding',
        `encoding ${m.input.encoding} feeds ${wantD} inputs per step but input_size is ${m.input_size}`,
      );
    weights.input = { encoding: m.input.encoding, permutation: perm ? [...perm] : null, normalize: m.input.normalize ?? null };
  }
  return weights;
}

/**
 * Parses `ftle-lab.model/v1` JSON text into float64 weights. Checks format, arch, sizes (within
 * MODEL_LIMITS), every tensor's shape against hidden/input/classes, data length = product(shape),
 * and that every number is finite. Throws FormatError naming the field, e.g.
 * "tensors.weight_hh_l0.shape: expected [8, 8], got [8, 9]". Unknown keys are ignored.
 */
export function parseModelJson(text: string): ModelWeights {
  return parseModelObject(parseJsonText(text, 'model file'));
}

/**
 * THE model-file writer: weights as a `ftle-lab.model/v1` JSON-ready object (inverse of
 * parseModelObject). `trainedWith` (the run config that trained it) is written as
 * `trained_with`, provenance that readers ignore.
 */
export function modelToJson(weights: ModelWeights, trainedWith?: RunConfig): Record<string, unknown> {
  const shapes = expectedShapes(weights.arch, weights.inputSize, weights.hiddenSize, weights.numClasses);
  const tensors: Record<string, { shape: number[]; data: number[] }> = {};
  for (const name of TENSOR_NAMES) tensors[name] = { shape: shapes[name], data: Array.from(weights.tensors[name]) };
  const out: Record<string, unknown> = {
    format: MODEL_FORMAT,
    arch: weights.arch,
    input_size: weights.inputSize,
    hidden_size: weights.hiddenSize,
    num_classes: weights.numClasses,
    tensors,
  };
  if (weights.input) out.input = { ...weights.input, permutation: weights.input.permutation ? [...weights.input.permutation] : null };
  if (trainedWith) out.trained_with = trainedWith;
  return out;
}
