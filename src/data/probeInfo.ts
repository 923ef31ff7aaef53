/**
 * What the UI needs to draw the fixed probe digits and map time steps back to image cells.
 * Built from a dataset by the training worker, and again on the UI side when a run bundle is
 * replayed (bundles store only the probe indices).
 */
import { gridImage, type SequenceSpec } from './encodings';
import type { MnistDataset } from './mnistAsset';

export interface ProbeInfo {
  /** Indices into the test split. */
  indices: number[];
  labels: number[];
  /** Side of the drawn image (28, or 14 for pixel14). */
  side: number;
  /** Digit pixels as fed (after pooling, before permutation), [B][side*side] in [0, 1]. */
  digits: number[][];
  /** For each step t (0-based), the image cells [row, col] it feeds. */
  stepToCells: [number, number][][];
  T: number;
  D: number;
}

/** ProbeInfo for test digits `indices` of `dataset` under encoding `spec`. */
export function probeInfoFromDataset(dataset: MnistDataset, spec: SequenceSpec, indices: ArrayLike<number>): ProbeInfo {
  const idx = Array.from(indices);
  return {
    indices: idx,
    labels: idx.map((i) => dataset.test.labels[i]),
    side: spec.side,
    digits: idx.map((i) => Array.from(gridImage(dataset.test.images, i, spec.side))),
    stepToCells: spec.stepToCells.map((cells) => cells.map(([r, c]) => [r, c] as [number, number])),
    T: spec.T,
    D: spec.D,
  };
}
