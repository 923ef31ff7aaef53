/**
 * What the UI needs to draw the fixed probe digits and map time steps back to image cells.
 * Built from a dataset by the training worker, and again on the UI side when a run bundle is
 * replayed (bundles store only the probe indices).
 */
import { deriveSeed } from '../core/rng';
import { encodeImages, gridImage, probeIndices, type SequenceSpec } from './encodings';
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

/** A run's fixed probe set: which test digits, their sequences, and what the UI draws of them. */
export interface FixedProbeSet {
  /** Indices into the test split [B]. */
  indices: Int32Array;
  /** The digits as sequences, Float32Array [B*T*D] in [0, 1] (encodeImages). */
  inputs: Float32Array;
  info: ProbeInfo;
}

/**
 * THE probe set of a run, for the training worker and for a model imported into the app alike:
 * min(count, test size) test digits chosen by probeIndices with the seed derived from the run
 * seed (deriveSeed(runSeed, 'probes')), encoded under `spec`.
 */
export function fixedProbeSet(dataset: MnistDataset, spec: SequenceSpec, count: number, runSeed: number): FixedProbeSet {
  const indices = probeIndices(dataset, Math.min(count, dataset.test.labels.length), deriveSeed(runSeed, 'probes'));
  return { indices, inputs: encodeImages(dataset.test.images, indices, spec), info: probeInfoFromDataset(dataset, spec, indices) };
}
