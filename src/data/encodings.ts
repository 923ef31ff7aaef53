/**
 * How 28x28 digits become sequences (method.md §1):
 * - row:     T = 28,  D = 28: step t feeds image row p[t] (28 pixels);
 * - pixel14: T = 196, D = 1:  2x2 mean-pooled 14x14 image, step t feeds pooled pixel p[t];
 * - pixel28: T = 784, D = 1:  step t feeds pixel p[t] of the flattened 28x28 image;
 * where p is the identity or a seeded permutation of 0..T-1 (formats.md: "sequence step t reads
 * the image pixel (or row) permutation[t] of the flattened image"). Pixel values are scaled to
 * [0, 1] (u / 255). A step's cells are given in the S x S grid of the encoding (S = 28 or 14) so
 * that per-step quantities are always drawn back in image coordinates.
 */
import { createRng, permutation as seededPermutation } from '../core/rng';
import { numpyPermutation } from '../core/numpyRandom';
import { ENCODING_SHAPES, type Encoding } from '../core/formats/config';
import { flipValue } from '../core/sensitivity/scores';
import type { MnistDataset } from './mnistAsset';

export type { Encoding };

const IMAGE_SIDE = 28;
const IMAGE_PIXELS = IMAGE_SIDE * IMAGE_SIDE;

/** One cell of the encoding's image grid: 0-based row and column (not a recurrent cell). */
export type ImageCell = readonly [row: number, col: number];

/** For each time step t (index 0 = step 1), the image cells its input feeds. */
export type StepToCells = ReadonlyArray<ReadonlyArray<ImageCell>>;

/** Everything needed to turn images into sequences and per-step values back into images. */
export interface SequenceSpec {
  encoding: Encoding;
  /** Sequence length (steps). */
  T: number;
  /** Inputs per step. */
  D: number;
  /** Side of the image grid the steps live in (28, or 14 for pixel14). */
  side: number;
  /** Step t reads unit permutation[t] (a row for 'row', a pixel otherwise); null = identity. */
  permutation: Int32Array | null;
  /** For each step t: the cells [row, col] in the side x side grid it feeds (28 for row, 1 otherwise). */
  stepToCells: StepToCells;
  /** For each cell row*side+col: the 0-based step that feeds it. Int32Array [side*side]. */
  cellToStep: Int32Array;
}

/** T, D and side of an encoding without a permutation. */
export function encodingShape(encoding: Encoding): { T: number; D: number; side: number } {
  return { ...ENCODING_SHAPES[encoding] };
}

/**
 * The permutation of a permuted encoding's T units (rows or pixels), Int32Array [T]: numpy's
 * `RandomState(seed).permutation(T)`, so seed 1234 with pixel28 is the paper's permuted MNIST and
 * any permuted run can be rebuilt in Python with one line.
 */
export function encodingPermutation(encoding: Encoding, seed: number): Int32Array {
  return numpyPermutation(seed >>> 0, encodingShape(encoding).T);
}

/**
 * Builds the spec of an encoding; `permutation` must be a permutation of 0..T-1 (or null).
 * Throws RangeError when it is not.
 */
export function sequenceSpec(encoding: Encoding, permutation: ArrayLike<number> | null): SequenceSpec {
  const { T, D, side } = encodingShape(encoding);
  let perm: Int32Array | null = null;
  if (permutation !== null) {
    if (permutation.length !== T) throw new RangeError(`permutation has ${permutation.length} entries, ${encoding} needs T = ${T}`);
    perm = Int32Array.from(permutation);
    const seen = new Uint8Array(T);
    for (const v of perm) {
      if (!(v >= 0 && v < T) || seen[v]) throw new RangeError(`permutation is not a permutation of 0..${T - 1} (entry ${v})`);
      seen[v] = 1;
    }
  }
  const stepToCells: ImageCell[][] = [];
  for (let t = 0; t < T; t++) {
    const unit = perm ? perm[t] : t;
    const cells: ImageCell[] = [];
    if (encoding === 'row') {
      for (let c = 0; c < side; c++) cells.push([unit, c] as const);
    } else {
      cells.push([Math.floor(unit / side), unit % side] as const);
    }
    stepToCells.push(cells);
  }
  const cellToStep = cellToStepOf(stepToCells, side);
  return { encoding, T, D, side, permutation: perm, stepToCells, cellToStep };
}

/**
 * The sequence spec a run config implies: `permute` 1 feeds the steps in the order of
 * encodingPermutation(encoding, run seed), 0 in natural order.
 */
export function specForConfig(encoding: Encoding, permute: number, seed: number): SequenceSpec {
  return sequenceSpec(encoding, permute === 1 ? encodingPermutation(encoding, seed) : null);
}

/**
 * Inverts a step -> cells map: [side*side] row-major, the 0-based step feeding each cell, or -1
 * for a cell no step feeds (cells outside the grid are ignored).
 */
export function cellToStepOf(stepToCells: StepToCells, side: number): Int32Array {
  const map = new Int32Array(side * side).fill(-1);
  stepToCells.forEach((cells, t) => {
    for (const [r, c] of cells) {
      if (r >= 0 && r < side && c >= 0 && c < side) map[r * side + c] = t;
    }
  });
  return map;
}

/**
 * The flip test's input change drawn as an image: applies the flip rule (core flipValue) to the
 * cells of the given 0-based steps. image: [side*side] in [0, 1], as gridImage gives it (the
 * values the steps feed, so flipping a cell is flipping that step's input). Returns a new
 * [side*side] image.
 */
export function flipImageSteps(image: ArrayLike<number>, steps: ArrayLike<number>, stepToCells: StepToCells, side: number): Float64Array {
  const out = Float64Array.from(image);
  for (let j = 0; j < steps.length; j++) {
    const cells = stepToCells[steps[j]];
    if (!cells) continue;
    for (const [r, c] of cells) out[r * side + c] = flipValue(image[r * side + c]);
  }
  return out;
}

/**
 * The image of one digit in the encoding's grid, values in [0, 1]: Float32Array [side*side].
 * `images` is uint8 [n*784]; pixel14 is the 2x2 mean pool.
 */
export function gridImage(images: Uint8Array, index: number, side: number): Float32Array {
  const base = index * IMAGE_PIXELS;
  const out = new Float32Array(side * side);
  if (side === IMAGE_SIDE) {
    for (let i = 0; i < IMAGE_PIXELS; i++) out[i] = images[base + i] / 255;
  } else if (side === 14) {
    for (let r = 0; r < 14; r++) {
      for (let c = 0; c < 14; c++) {
        const p = base + 2 * r * IMAGE_SIDE + 2 * c;
        out[r * 14 + c] = (images[p] + images[p + 1] + images[p + IMAGE_SIDE] + images[p + IMAGE_SIDE + 1]) / (4 * 255);
      }
    }
  } else {
    throw new RangeError(`unsupported grid side ${side} (28 or 14)`);
  }
  return out;
}

/**
 * Encodes the digits `indices` of `images` (uint8 [n*784]) as sequences: Float32Array [B*T*D]
 * (B = indices.length; element [b][t][d] at (b*T + t)*D + d), values in [0, 1].
 * Writes into `out` when given (must have length >= B*T*D) to avoid reallocating per batch.
 */
export function encodeImages(images: Uint8Array, indices: ArrayLike<number>, spec: SequenceSpec, out?: Float32Array): Float32Array {
  const { T, D, side, permutation: perm } = spec;
  const B = indices.length;
  const seq = out ?? new Float32Array(B * T * D);
  if (seq.length < B * T * D) throw new RangeError(`output buffer has ${seq.length} floats, needs ${B * T * D}`);
  const n = images.length / IMAGE_PIXELS;
  for (let b = 0; b < B; b++) {
    const idx = indices[b];
    if (!(idx >= 0 && idx < n)) throw new RangeError(`image index ${idx} out of range 0..${n - 1}`);
    const grid = gridImage(images, idx, side);
    const o = b * T * D;
    for (let t = 0; t < T; t++) {
      const unit = perm ? perm[t] : t;
      // row: D = 28 pixels of row `unit`; pixel encodings: D = 1, cell `unit`.
      for (let d = 0; d < D; d++) seq[o + t * D + d] = grid[unit * D + d];
    }
  }
  return seq;
}

/** Inverse of encodeImages for one sequence (Float32Array [T*D]): the image [side*side] in the grid. */
export function decodeSequence(seq: ArrayLike<number>, spec: SequenceSpec): Float32Array {
  const { T, D, side, permutation: perm } = spec;
  if (seq.length !== T * D) throw new RangeError(`sequence has ${seq.length} values, expected T*D = ${T * D}`);
  const image = new Float32Array(side * side);
  for (let t = 0; t < T; t++) {
    const unit = perm ? perm[t] : t;
    for (let d = 0; d < D; d++) image[unit * D + d] = seq[t * D + d];
  }
  return image;
}

/**
 * Fixed probe digits from the TEST split: `count` distinct test indices chosen with `seed`.
 * When count >= 10 they are stratified: classes take turns (0, 1, ..., 9, 0, 1, ...), each
 * contributing its own seeded-shuffled digits, so every class has floor(count/10) or one more.
 * Below 10, a seeded sample of the whole test split.
 */
export function probeIndices(dataset: MnistDataset, count: number, seed: number): Int32Array {
  const labels = dataset.test.labels;
  const n = labels.length;
  if (!(count >= 1 && count <= n)) throw new RangeError(`probe count ${count} must be in 1..${n}`);
  const rng = createRng(seed);
  if (count < 10) {
    const all = seededPermutation(n, rng);
    return all.slice(0, count);
  }
  const byClass: number[][] = Array.from({ length: 10 }, () => []);
  for (let i = 0; i < n; i++) byClass[labels[i]].push(i);
  for (const list of byClass) {
    const order = seededPermutation(list.length, rng);
    const shuffled = Array.from(order, (j) => list[j]);
    list.splice(0, list.length, ...shuffled);
  }
  const out: number[] = [];
  const cursor = new Array(10).fill(0);
  while (out.length < count) {
    let progressed = false;
    for (let c = 0; c < 10 && out.length < count; c++) {
      if (cursor[c] < byClass[c].length) {
        out.push(byClass[c][cursor[c]++]);
        progressed = true;
      }
    }
    if (!progressed) break;
  }
  return Int32Array.from(out);
}
