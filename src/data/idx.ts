/**
 * Reader for the standard MNIST IDX files (also Fashion-MNIST, KMNIST): images with magic
 * 0x00000803 (uint8, dims [n, rows, cols]) and labels with magic 0x00000801 (uint8, dims [n]),
 * big-endian dimension words, optionally gzip-compressed (.gz, detected by the 1f 8b magic).
 * Every check throws an IdxError whose message names the file and says precisely what is wrong.
 */
import { CodedError } from './codedError';
import { gunzip, isGzip } from './gzip';
import type { MnistDataset, MnistSplit } from './mnistAsset';

export type IdxErrorCode =
  | 'too-short'
  | 'bad-magic'
  | 'bad-dtype'
  | 'bad-dims'
  | 'truncated'
  | 'excess'
  | 'bad-label'
  | 'not-28x28'
  | 'count-mismatch'
  | 'bad-gzip'
  | 'missing-file';

/** A problem with an IDX file; `code` is machine-readable. */
export class IdxError extends CodedError<IdxErrorCode> {
  constructor(code: IdxErrorCode, message: string) {
    super(code, message, 'IdxError');
  }
}

/** Parsed IDX images: pixels uint8 [n*rows*cols] row-major. */
export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  pixels: Uint8Array;
}

const UINT8_DTYPE = 0x08;
const DTYPE_NAMES: Record<number, string> = { 0x08: 'uint8', 0x09: 'int8', 0x0b: 'int16', 0x0c: 'int32', 0x0d: 'float32', 0x0e: 'float64' };

function asBytes(buf: ArrayBuffer | Uint8Array): Uint8Array {
  return buf instanceof Uint8Array ? buf : new Uint8Array(buf);
}

/** Reads the IDX header; checks magic, dtype and the number of dims. Returns dims and data offset. */
function readHeader(bytes: Uint8Array, name: string, ndims: number): { dims: number[]; offset: number } {
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < 4) {
    throw new IdxError('too-short', `${name}: ${bytes.length} bytes is too short for an IDX header`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const hex = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join('');
    throw new IdxError('bad-magic', `${name}: magic 0x${hex} is not an IDX file (expected 0x0000080${ndims === 3 ? 3 : 1})`);
  }
  if (bytes[2] !== UINT8_DTYPE) {
    const dt = DTYPE_NAMES[bytes[2]] ?? `unknown 0x${bytes[2].toString(16)}`;
    throw new IdxError('bad-dtype', `${name}: element type is ${dt}, expected uint8 (0x08)`);
  }
  if (bytes[3] !== ndims) {
    throw new IdxError('bad-dims', `${name}: ${bytes[3]} dimensions, expected ${ndims} (${ndims === 3 ? '[n, rows, cols]' : '[n]'})`);
  }
  if (bytes.length < headerBytes) {
    throw new IdxError('too-short', `${name}: ${bytes.length} bytes is shorter than the ${headerBytes}-byte header`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i, false));
  return { dims, offset: headerBytes };
}

function checkLength(bytes: Uint8Array, name: string, expected: number, what: string): void {
  if (bytes.length < expected) {
    throw new IdxError('truncated', `${name}: expected ${expected} bytes for ${what}, got ${bytes.length} (truncated)`);
  }
  if (bytes.length > expected) {
    throw new IdxError('excess', `${name}: expected ${expected} bytes for ${what}, got ${bytes.length} (${bytes.length - expected} extra)`);
  }
}

/**
 * Parses an uncompressed IDX image file (magic 0x00000803) into uint8 pixels [n*rows*cols].
 * Requires 28x28 images (MNIST and Fashion-MNIST are 28x28; the encodings assume it).
 */
export function parseIdxImages(buf: ArrayBuffer | Uint8Array, name = 'images file'): IdxImages {
  const bytes = asBytes(buf);
  const { dims, offset } = readHeader(bytes, name, 3);
  const [count, rows, cols] = dims;
  checkLength(bytes, name, offset + count * rows * cols, `${count}x${rows}x${cols}`);
  if (rows !== 28 || cols !== 28) {
    throw new IdxError('not-28x28', `${name}: images are ${rows}x${cols}; FTLE Lab needs 28x28 digits (MNIST / Fashion-MNIST format)`);
  }
  return { count, rows, cols, pixels: bytes.slice(offset) };
}

/** Parses an uncompressed IDX label file (magic 0x00000801) into uint8 labels [n], each in 0..9. */
export function parseIdxLabels(buf: ArrayBuffer | Uint8Array, name = 'labels file'): Uint8Array {
  const bytes = asBytes(buf);
  const { dims, offset } = readHeader(bytes, name, 1);
  const [count] = dims;
  checkLength(bytes, name, offset + count, `${count} labels`);
  const labels = bytes.slice(offset);
  const bad = labels.findIndex((l) => l > 9);
  if (bad >= 0) throw new IdxError('bad-label', `${name}: label ${bad} is ${labels[bad]}, expected 0..9`);
  return labels;
}

/** Decompresses when the bytes are gzip (1f 8b), otherwise returns them unchanged. */
export async function maybeGunzip(buf: ArrayBuffer | Uint8Array, name: string): Promise<Uint8Array> {
  const bytes = asBytes(buf);
  if (!isGzip(bytes)) return bytes;
  try {
    return await gunzip(bytes);
  } catch (e) {
    throw new IdxError('bad-gzip', `${name}: gzip decompression failed (${(e as Error).message}); the file is corrupt or truncated`);
  }
}

/** The four standard files, raw or gzip-compressed (e.g. train-images-idx3-ubyte.gz). */
export interface IdxFiles {
  trainImages: ArrayBuffer | Uint8Array;
  trainLabels: ArrayBuffer | Uint8Array;
  testImages: ArrayBuffer | Uint8Array;
  testLabels: ArrayBuffer | Uint8Array;
}

async function readSplit(images: ArrayBuffer | Uint8Array, labels: ArrayBuffer | Uint8Array, split: string): Promise<MnistSplit> {
  const imgName = `${split} images file`;
  const lblName = `${split} labels file`;
  const img = parseIdxImages(await maybeGunzip(images, imgName), imgName);
  const lbl = parseIdxLabels(await maybeGunzip(labels, lblName), lblName);
  if (img.count !== lbl.length) {
    throw new IdxError('count-mismatch', `${split}: images file has ${img.count} images but labels file has ${lbl.length} labels`);
  }
  return { images: img.pixels, labels: lbl };
}

/** Builds a MnistDataset from train (e.g. 60,000) and t10k (10,000) IDX image/label files. */
export async function datasetFromIdx(files: IdxFiles, source = 'IDX files'): Promise<MnistDataset> {
  const train = await readSplit(files.trainImages, files.trainLabels, 'train');
  const test = await readSplit(files.testImages, files.testLabels, 'test');
  return { train, test, rows: 28, cols: 28, source: `${source}: ${train.labels.length} train / ${test.labels.length} test` };
}

const IDX_ROLES: [keyof IdxFiles, RegExp][] = [
  ['trainImages', /train-images/i],
  ['trainLabels', /train-labels/i],
  ['testImages', /t10k-images|test-images/i],
  ['testLabels', /t10k-labels|test-labels/i],
];

/**
 * Sorts four user-picked files into their roles by the standard names (train-images-idx3-ubyte,
 * train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte; .gz allowed) and builds
 * the dataset. Throws IdxError naming what is missing or wrong.
 */
export async function datasetFromNamedIdxFiles(files: { name: string; buffer: ArrayBuffer }[]): Promise<MnistDataset> {
  const found: Partial<IdxFiles> = {};
  for (const [role, re] of IDX_ROLES) {
    const f = files.find((x) => re.test(x.name));
    if (f) found[role] = f.buffer;
  }
  const missing = IDX_ROLES.filter(([role]) => !found[role]).map(([, re]) => re.source.split('|')[0]);
  if (missing.length) {
    throw new IdxError(
      'missing-file',
      `expected four IDX files (train-images, train-labels, t10k-images, t10k-labels; .gz allowed); missing: ${missing.join(', ')}. Got: ${files.map((f) => f.name).join(', ') || 'none'}`,
    );
  }
  return datasetFromIdx(found as IdxFiles, `idx:${files.map((f) => f.name).join(', ')}`);
}
