import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { IdxError, datasetFromIdx, parseIdxImages, parseIdxLabels } from '../../src/data/idx';

/** Builds an IDX buffer: magic 00 00 dtype ndims, big-endian dims, then the payload. */
function idx(dtype: number, dims: number[], payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + payload.length);
  out[2] = dtype;
  out[3] = dims.length;
  const view = new DataView(out.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(payload, 4 + 4 * dims.length);
  return out;
}

function images(n: number, rows = 28, cols = 28): Uint8Array {
  const px = new Uint8Array(n * rows * cols);
  for (let i = 0; i < px.length; i++) px[i] = (i * 7) % 256;
  return idx(0x08, [n, rows, cols], px);
}

const labels = (ls: number[]) => idx(0x08, [ls.length], Uint8Array.from(ls));

function expectIdxError(fn: () => unknown, code: string, message: RegExp) {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(IdxError);
    expect((e as IdxError).code).toBe(code);
    expect((e as Error).message).toMatch(message);
    return;
  }
  throw new Error('expected an IdxError');
}

describe('IDX images', () => {
  it('reads dims and pixels', () => {
    const r = parseIdxImages(images(3));
    expect([r.count, r.rows, r.cols]).toEqual([3, 28, 28]);
    expect(r.pixels.length).toBe(3 * 784);
    expect(r.pixels[785]).toBe((785 * 7) % 256);
  });
  it('reports truncation with the expected byte count (MNIST train size)', () => {
    const head = idx(0x08, [60000, 28, 28], new Uint8Array(1000 - 16));
    expectIdxError(
      () => parseIdxImages(head, 'images file'),
      'truncated',
      /images file: expected 47040016 bytes for 60000x28x28, got 1000/,
    );
  });
  it('reports excess bytes', () => {
    const b = new Uint8Array(images(2).length + 5);
    b.set(images(2));
    expectIdxError(() => parseIdxImages(b), 'excess', /expected 1584 bytes for 2x28x28, got 1589 \(5 extra\)/);
  });
  it('rejects a wrong magic, dtype, number of dims, size', () => {
    const bad = images(1);
    bad[0] = 0x1a;
    expectIdxError(() => parseIdxImages(bad), 'bad-magic', /not an IDX file/);
    expectIdxError(() => parseIdxImages(idx(0x0d, [1, 28, 28], new Uint8Array(784 * 4))), 'bad-dtype', /float32, expected uint8/);
    expectIdxError(() => parseIdxImages(labels([1, 2])), 'bad-dims', /1 dimensions, expected 3/);
    expectIdxError(() => parseIdxImages(images(2, 32, 32)), 'not-28x28', /32x32; FTLE Lab needs 28x28/);
    expectIdxError(() => parseIdxImages(new Uint8Array([0, 0, 8])), 'too-short', /3 bytes/);
    expectIdxError(() => parseIdxImages(new Uint8Array([0, 0, 8, 3, 0, 0])), 'too-short', /16-byte header/);
  });
});

describe('IDX labels', () => {
  it('reads labels and checks their range and length', () => {
    expect(Array.from(parseIdxLabels(labels([7, 2, 1])))).toEqual([7, 2, 1]);
    expectIdxError(() => parseIdxLabels(labels([3, 12])), 'bad-label', /label 1 is 12, expected 0\.\.9/);
    expectIdxError(() => parseIdxLabels(labels([1, 2, 3]).subarray(0, 9)), 'truncated', /expected 11 bytes for 3 labels, got 9/);
    expectIdxError(() => parseIdxLabels(images(1)), 'bad-dims', /3 dimensions, expected 1/);
  });
});

describe('datasetFromIdx', () => {
  it('accepts gzip and raw files and keeps the content', async () => {
    const ds = await datasetFromIdx({
      trainImages: gzipSync(images(4)),
      trainLabels: labels([0, 1, 2, 3]),
      testImages: images(2),
      testLabels: gzipSync(labels([9, 8])),
    });
    expect(ds.train.images.length).toBe(4 * 784);
    expect(Array.from(ds.train.labels)).toEqual([0, 1, 2, 3]);
    expect(Array.from(ds.test.labels)).toEqual([9, 8]);
    expect(ds.train.images[100]).toBe((100 * 7) % 256);
    expect([ds.rows, ds.cols]).toEqual([28, 28]);
  });
  it('rejects an image/label count mismatch', async () => {
    const p = datasetFromIdx({ trainImages: images(3), trainLabels: labels([0, 1]), testImages: images(1), testLabels: labels([0]) });
    await expect(p).rejects.toMatchObject({
      code: 'count-mismatch',
      message: 'train: images file has 3 images but labels file has 2 labels',
    });
  });
  it('rejects a truncated gzip file', async () => {
    const gz = gzipSync(images(3));
    const p = datasetFromIdx({
      trainImages: gz.subarray(0, gz.length - 20),
      trainLabels: labels([0, 1, 2]),
      testImages: images(1),
      testLabels: labels([0]),
    });
    await expect(p).rejects.toMatchObject({ code: 'bad-gzip' });
    await expect(p).rejects.toBeInstanceOf(IdxError);
  });
});
