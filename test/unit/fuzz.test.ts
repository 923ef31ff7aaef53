/**
 * Hostile-input fuzzing of every file reader: run bundles, model and probe JSON, IDX files (raw
 * and gzip) and the bundled MNIST asset. Inputs are random bytes, truncations of valid files at
 * random offsets and random structural mutations of valid files (values replaced by strings,
 * null, Infinity, huge arrays, deep nesting, nested objects, prototype keys, deleted or duplicated
 * elements). Contract: every input either parses or throws the reader's own typed error class
 * (FormatError, IdxError, MnistAssetError) — never another exception — and every case finishes
 * well within CASE_MS. All randomness is seeded (src/core/rng), so a failure names a reproducible
 * case: generator, seed and case index.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseRunBundle, serializeRunBundle } from '../../src/core/formats/bundle';
import { FormatError, parseJsonText } from '../../src/core/formats/errors';
import { parseModelJson } from '../../src/core/formats/model';
import { parseProbeJson } from '../../src/core/formats/probe';
import { createRng, deriveSeed, type Rng } from '../../src/core/rng';
import { IdxError, datasetFromIdx, maybeGunzip, parseIdxImages, parseIdxLabels } from '../../src/data/idx';
import { MNIST_ASSET_MAGIC, MnistAssetError, loadMnistAsset, parseMnistAsset } from '../../src/data/mnistAsset';
import { makeBundle } from './bundleFixture';

/** Longest any single case may take (ms): a parser that loops or explodes shows up here. */
const CASE_MS = 2500;
const SEED = 20250601;

type ErrorClass = new (...args: never[]) => Error;
/** Text, bytes, or one named file of a set (datasetFromIdx). */
type FuzzInput = string | Uint8Array | { key: string; bytes: Uint8Array };

interface Failure {
  generator: string;
  caseIndex: number;
  input: string;
  problem: string;
}

/** Describes an input in a few characters, enough to reproduce it with the generator and index. */
function preview(input: FuzzInput): string {
  if (!(input instanceof Uint8Array) && typeof input === 'object') return `${input.key} = ${preview(input.bytes)}`;
  if (typeof input === 'string') return `${input.length} chars: ${JSON.stringify(input.slice(0, 80))}`;
  return `${input.length} bytes: ${Array.from(input.subarray(0, 24), (b) => b.toString(16).padStart(2, '0')).join(' ')}`;
}

/**
 * Runs `parse` on each generated input; collects inputs that throw anything but `errorClass`
 * or take longer than CASE_MS. Returns [failures, parsed count, refused count, slowest ms].
 */
async function fuzz<I extends FuzzInput>(
  generator: string,
  count: number,
  make: (rng: Rng, i: number) => I,
  parse: (input: I) => unknown,
  errorClass: ErrorClass,
): Promise<{ failures: Failure[]; parsed: number; refused: number; slowestMs: number }> {
  const rng = createRng(deriveSeed(SEED, generator));
  const failures: Failure[] = [];
  let parsed = 0;
  let refused = 0;
  let slowestMs = 0;
  for (let i = 0; i < count; i++) {
    const input = make(rng, i);
    const t0 = performance.now();
    try {
      await parse(input);
      parsed++;
    } catch (e) {
      if (e instanceof errorClass) refused++;
      else
        failures.push({
          generator,
          caseIndex: i,
          input: preview(input),
          problem: `${(e as Error)?.name}: ${(e as Error)?.message}`.slice(0, 300),
        });
    }
    const ms = performance.now() - t0;
    slowestMs = Math.max(slowestMs, ms);
    if (ms > CASE_MS) failures.push({ generator, caseIndex: i, input: preview(input), problem: `took ${ms.toFixed(0)} ms` });
  }
  return { failures, parsed, refused, slowestMs };
}

// ---------------------------------------------------------------------------------------------
// Generators

function randomBytes(rng: Rng, maxLen: number): Uint8Array {
  const out = new Uint8Array(rng.int(maxLen + 1));
  for (let i = 0; i < out.length; i++) out[i] = rng.int(256);
  return out;
}

const decoder = new TextDecoder('utf-8');

/** Random text built from JSON's own alphabet, so the parser gets past the first character. */
function jsonishText(rng: Rng, maxLen: number): string {
  const tokens = [
    '{',
    '}',
    '[',
    ']',
    ',',
    ':',
    '"',
    '"format"',
    '"ftle-lab.run/v1"',
    '"ftle-lab.model/v1"',
    '"ftle-lab.probe/v1"',
    'null',
    'true',
    'false',
    '0',
    '-1',
    '1e999',
    '1.5',
    '"x"',
    '"__proto__"',
    '"epochs"',
    '"inputs"',
    '"tensors"',
    ' ',
    '\\u0000',
  ];
  let s = '';
  while (s.length < maxLen && rng.next() > 0.02) s += tokens[rng.int(tokens.length)];
  return s;
}

function truncate<T extends string | Uint8Array>(rng: Rng, valid: T): T {
  const at = rng.int(valid.length);
  return (typeof valid === 'string' ? valid.slice(0, at) : valid.slice(0, at)) as T;
}

// Markers for values JSON.stringify cannot write; replaced in the text afterwards.
const INF = '\u0001INF\u0001';
const DEEP = '\u0001DEEP\u0001';
const NEG_ZERO = '\u0001NEGZERO\u0001';

function hostileValue(rng: Rng, old: unknown): unknown {
  switch (rng.int(19)) {
    case 0:
      return 'x';
    case 1:
      return 'NaN';
    case 2:
      return null;
    case 3:
      return -1;
    case 4:
      return 1.5;
    case 5:
      return INF;
    case 6:
      return new Array(20_000).fill(0);
    case 7:
      return new Array(5_000).fill('1');
    case 8:
      return { a: { b: { c: [1, { d: null }] } } };
    case 9:
      return DEEP;
    case 10:
      return rng.next() < 0.5;
    case 11:
      return {};
    case 12:
      return [];
    case 13:
      return { __proto__: null, constructor: { prototype: { polluted: 1 } } };
    case 14:
      return typeof old === 'number' ? old * (1 + rng.int(1000)) : 2 ** 53 + 1;
    case 15:
      return 0;
    case 16:
      return 'y'.repeat(20_000);
    case 17:
      return NEG_ZERO;
    default:
      return Array.isArray(old) ? [...old, ...old] : [old];
  }
}

/** Applies 1-3 random mutations at random depths of a JSON value and returns the text. */
function mutateJson(rng: Rng, valid: unknown): string {
  const root = structuredClone(valid) as Record<string, unknown>;
  const n = 1 + rng.int(3);
  for (let m = 0; m < n; m++) {
    let parent: Record<string | number, unknown> = root;
    let key: string | number | null = null;
    // Walk down a random path; deeper is likelier to hit a leaf number.
    for (;;) {
      const here = key === null ? parent : parent[key];
      if (here === null || typeof here !== 'object') break;
      const keys: (string | number)[] = Array.isArray(here) ? here.map((_, i) => i) : Object.keys(here);
      if (keys.length === 0 || (key !== null && rng.next() < 0.15)) break;
      if (key !== null) parent = here as Record<string | number, unknown>;
      key = keys[rng.int(keys.length)];
    }
    if (key === null) continue;
    const r = rng.next();
    if (r < 0.1 && !Array.isArray(parent)) delete parent[key];
    else if (r < 0.15 && Array.isArray(parent)) parent.splice(key as number, 1);
    else parent[key] = hostileValue(rng, parent[key]);
  }
  const depth = 2000 + rng.int(50_000);
  return JSON.stringify(root)
    .replaceAll(JSON.stringify(INF), rng.next() < 0.5 ? '1e999' : '-1e999')
    .replaceAll(JSON.stringify(NEG_ZERO), '-0')
    .replaceAll(JSON.stringify(DEEP), '['.repeat(depth) + ']'.repeat(depth));
}

/** All JSON generators for one reader, 'count' cases each. */
async function fuzzJsonReader(name: string, validText: string, parse: (s: string) => unknown, mutated: number) {
  const valid = JSON.parse(validText);
  expect(() => parse(validText)).not.toThrow();
  const runs = [
    await fuzz(`${name}/random-bytes`, 1000, (rng) => decoder.decode(randomBytes(rng, 300)), parse, FormatError),
    await fuzz(`${name}/jsonish`, 1000, (rng) => jsonishText(rng, 400), parse, FormatError),
    await fuzz(`${name}/truncated`, 500, (rng) => truncate(rng, validText), parse, FormatError),
    await fuzz(`${name}/mutated`, mutated, (rng) => mutateJson(rng, valid), parse, FormatError),
  ];
  return summarise(runs);
}

function summarise(runs: { failures: Failure[]; parsed: number; refused: number; slowestMs: number }[]) {
  return {
    failures: runs.flatMap((r) => r.failures).slice(0, 8),
    cases: runs.reduce((n, r) => n + r.parsed + r.refused, 0),
    parsed: runs.reduce((n, r) => n + r.parsed, 0),
    slowestMs: Math.max(...runs.map((r) => r.slowestMs)),
  };
}

// ---------------------------------------------------------------------------------------------
// Valid binary files

function idxImages(count: number, rng: Rng): Uint8Array {
  const out = new Uint8Array(16 + count * 784);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0x00000803);
  v.setUint32(4, count);
  v.setUint32(8, 28);
  v.setUint32(12, 28);
  for (let i = 16; i < out.length; i++) out[i] = rng.int(256);
  return out;
}

function idxLabels(count: number, rng: Rng): Uint8Array {
  const out = new Uint8Array(8 + count);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0x00000801);
  v.setUint32(4, count);
  for (let i = 8; i < out.length; i++) out[i] = rng.int(10);
  return out;
}

function mnistContainer(nTrain: number, nTest: number, rng: Rng): Uint8Array {
  const out = new Uint8Array(32 + (nTrain + nTest) * 785);
  for (let i = 0; i < 8; i++) out[i] = MNIST_ASSET_MAGIC.charCodeAt(i);
  const v = new DataView(out.buffer);
  [1, 28, 28, nTrain, nTest, 7].forEach((x, i) => v.setUint32(8 + 4 * i, x, true));
  let off = 32;
  for (const n of [nTrain, nTest]) {
    for (let i = 0; i < n * 784; i++) out[off++] = rng.int(256);
    for (let i = 0; i < n; i++) out[off++] = rng.int(10);
  }
  return out;
}

/** Random byte edits: flips, header-word overwrites (huge dims), insertions and deletions. */
function mutateBytes(rng: Rng, valid: Uint8Array): Uint8Array {
  let out = valid.slice();
  const n = 1 + rng.int(4);
  for (let m = 0; m < n; m++) {
    const r = rng.next();
    if (r < 0.4 && out.length > 0) out[rng.int(Math.min(out.length, rng.next() < 0.7 ? 40 : out.length))] = rng.int(256);
    else if (r < 0.7 && out.length >= 8) {
      // Overwrite a header word with an extreme value (0, 2^32 - 1, 2^31, small).
      const at = 4 * rng.int(Math.min(8, out.length >> 2));
      const word = [0, 0xffffffff, 0x80000000, 1 + rng.int(100)][rng.int(4)];
      new DataView(out.buffer).setUint32(at, word, rng.next() < 0.5);
    } else if (r < 0.85) {
      const at = rng.int(out.length + 1);
      const ins = randomBytes(rng, 20);
      const grown = new Uint8Array(out.length + ins.length);
      grown.set(out.subarray(0, at));
      grown.set(ins, at);
      grown.set(out.subarray(at), at + ins.length);
      out = grown;
    } else if (out.length > 0) {
      const at = rng.int(out.length);
      out = Uint8Array.from([...out.subarray(0, at), ...out.subarray(at + 1 + rng.int(8))]);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

describe('fuzz: JSON readers only ever throw FormatError', () => {
  it('run bundle (ftle-lab.run/v1)', async () => {
    const validText = serializeRunBundle(makeBundle(17, { epochs: 1, config: { hidden: 4, k: 2, probes: 2 } }));
    const r = await fuzzJsonReader('bundle', validText, parseRunBundle, 800);
    console.log(`bundle fuzz: ${r.cases} cases, ${r.parsed} parsed, slowest ${r.slowestMs.toFixed(0)} ms`);
    expect(r.failures).toEqual([]);
    expect(r.cases).toBe(3300);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  for (const fixture of ['rnn_n8_t12_d1', 'lstm_n8_t10_d2']) {
    it(`model file (${fixture})`, async () => {
      const validText = readFileSync(new URL(`../fixtures/${fixture}.model.json`, import.meta.url), 'utf8');
      const r = await fuzzJsonReader(`model:${fixture}`, validText, parseModelJson, 500);
      console.log(`model fuzz ${fixture}: ${r.cases} cases, ${r.parsed} parsed, slowest ${r.slowestMs.toFixed(0)} ms`);
      expect(r.failures).toEqual([]);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it(`probe file (${fixture})`, async () => {
      const validText = readFileSync(new URL(`../fixtures/${fixture}.probe.json`, import.meta.url), 'utf8');
      const r = await fuzzJsonReader(`probe:${fixture}`, validText, parseProbeJson, 500);
      console.log(`probe fuzz ${fixture}: ${r.cases} cases, ${r.parsed} parsed, slowest ${r.slowestMs.toFixed(0)} ms`);
      expect(r.failures).toEqual([]);
    });
  }
});

/**
 * A file of 200,000 wrong entries must be refused about as fast as JSON.parse reads it: a reader
 * that builds one issue per bad entry (zod's z.array default) takes ~4 us and ~200 bytes per entry,
 * so a 200 MB file of `"x",` (50 M entries) would freeze the tab for minutes and exhaust memory.
 * Measured as a ratio to parseJsonText on the same text, so machine load cancels out.
 */
describe('hostile size: 200,000 bad entries are refused in time linear with a small constant', () => {
  const M = 200_000;
  const bad = new Array<string>(M).fill('x');
  const ms = (f: () => unknown) => {
    const t0 = performance.now();
    try {
      f();
    } catch {
      // Refused: the class is checked separately.
    }
    return performance.now() - t0;
  };
  /** Returns null when `parse` refuses `text` with FormatError fast enough, else what went wrong. */
  const check = (name: string, text: string, parse: (s: string) => unknown) => {
    try {
      parse(text);
      return { name, problem: 'parsed' };
    } catch (e) {
      if (!(e instanceof FormatError)) return { name, problem: `threw ${(e as Error).name}: ${(e as Error).message}` };
    }
    const base = ms(() => parseJsonText(text, 'x'));
    const took = ms(() => parse(text));
    return took < 3 * base + 300 ? null : { name, problem: `took ${took.toFixed(0)} ms, JSON.parse alone ${base.toFixed(0)} ms` };
  };
  const fixture = (f: string) => JSON.parse(readFileSync(new URL(`../fixtures/${f}`, import.meta.url), 'utf8'));

  it('run bundle', () => {
    const b = JSON.parse(serializeRunBundle(makeBundle(1)));
    const results = [
      check('probe.indices', JSON.stringify({ ...b, probe: { ...b.probe, indices: bad } }), parseRunBundle),
      check('epochs', JSON.stringify({ ...b, epochs: bad }), parseRunBundle),
      check('epochs[0].lnR', JSON.stringify({ ...b, epochs: [{ ...b.epochs[0], lnR: bad }] }), parseRunBundle),
      check(
        'epochs[1].flip.kList',
        JSON.stringify({ ...b, epochs: [b.epochs[0], { ...b.epochs[1], flip: { ...b.epochs[1].flip, kList: bad } }] }),
        parseRunBundle,
      ),
      check(
        'epochs[1].flip.dLRand[0]',
        JSON.stringify({ ...b, epochs: [b.epochs[0], { ...b.epochs[1], flip: { ...b.epochs[1].flip, dLRand: [bad] } }] }),
        parseRunBundle,
      ),
      check(
        'epochs[1].flip.dL (record)',
        JSON.stringify({
          ...b,
          epochs: [b.epochs[0], { ...b.epochs[1], flip: { ...b.epochs[1].flip, dL: Object.fromEntries(bad.map((x, i) => [`k${i}`, x])) } }],
        }),
        parseRunBundle,
      ),
    ];
    expect(results.filter((r) => r !== null)).toEqual([]);
  });

  it('model file', () => {
    const m = fixture('rnn_n8_t12_d1.model.json');
    const results = [
      check(
        'tensors.weight_hh_l0.shape',
        JSON.stringify({ ...m, tensors: { ...m.tensors, weight_hh_l0: { shape: bad, data: [] } } }),
        parseModelJson,
      ),
      check(
        'tensors.fc.bias.data',
        JSON.stringify({ ...m, tensors: { ...m.tensors, 'fc.bias': { shape: [10], data: bad } } }),
        parseModelJson,
      ),
      check('input.permutation', JSON.stringify({ ...m, input: { encoding: 'pixel28', permutation: bad } }), parseModelJson),
    ];
    expect(results.filter((r) => r !== null)).toEqual([]);
  });

  it('probe file', () => {
    const p = fixture('rnn_n8_t12_d1.probe.json');
    const results = [
      check('labels', JSON.stringify({ ...p, labels: bad }), parseProbeJson),
      check('inputs', JSON.stringify({ ...p, inputs: bad }), parseProbeJson),
      check('inputs[0]', JSON.stringify({ ...p, inputs: [bad] }), parseProbeJson),
      check('flip.k_list', JSON.stringify({ ...p, flip: { k_list: bad } }), parseProbeJson),
    ];
    expect(results.filter((r) => r !== null)).toEqual([]);
  });
});

describe('fuzz: binary readers only ever throw their own error class', () => {
  it('IDX images and labels (parseIdxImages / parseIdxLabels)', async () => {
    const rng = createRng(SEED);
    const images = idxImages(3, rng);
    const labels = idxLabels(3, rng);
    expect(parseIdxImages(images).count).toBe(3);
    expect(Array.from(parseIdxLabels(labels))).toEqual(Array.from(labels.subarray(8)));
    const r = summarise([
      await fuzz(
        'idx-images/random-bytes',
        800,
        (g) => randomBytes(g, 64),
        (b) => parseIdxImages(b),
        IdxError,
      ),
      await fuzz(
        'idx-images/truncated',
        400,
        (g) => truncate(g, images),
        (b) => parseIdxImages(b),
        IdxError,
      ),
      await fuzz(
        'idx-images/mutated',
        1500,
        (g) => mutateBytes(g, images),
        (b) => parseIdxImages(b),
        IdxError,
      ),
      await fuzz(
        'idx-labels/random-bytes',
        800,
        (g) => randomBytes(g, 32),
        (b) => parseIdxLabels(b),
        IdxError,
      ),
      await fuzz(
        'idx-labels/truncated',
        200,
        (g) => truncate(g, labels),
        (b) => parseIdxLabels(b),
        IdxError,
      ),
      await fuzz(
        'idx-labels/mutated',
        1500,
        (g) => mutateBytes(g, labels),
        (b) => parseIdxLabels(b),
        IdxError,
      ),
    ]);
    console.log(`idx fuzz: ${r.cases} cases, ${r.parsed} parsed, slowest ${r.slowestMs.toFixed(1)} ms`);
    expect(r.failures).toEqual([]);
  });

  it('gzip-compressed IDX (maybeGunzip + datasetFromIdx)', async () => {
    const rng = createRng(SEED + 1);
    const files = {
      trainImages: gzipSync(idxImages(4, rng)),
      trainLabels: gzipSync(idxLabels(4, rng)),
      testImages: gzipSync(idxImages(2, rng)),
      testLabels: idxLabels(2, rng), // mixed raw and gzip is allowed
    };
    expect((await datasetFromIdx(files)).test.labels.length).toBe(2);
    const keys = Object.keys(files) as (keyof typeof files)[];
    const r = summarise([
      await fuzz(
        'gunzip/truncated',
        300,
        (g) => truncate(g, new Uint8Array(files.trainImages)),
        (b) => maybeGunzip(b, 'f'),
        IdxError,
      ),
      await fuzz(
        'gunzip/mutated',
        300,
        (g) => mutateBytes(g, new Uint8Array(files.trainLabels)),
        (b) => maybeGunzip(b, 'f'),
        IdxError,
      ),
      await fuzz(
        'datasetFromIdx/one-file-mutated',
        400,
        (g, i) => {
          const key = keys[i % 4];
          const valid = new Uint8Array(files[key]);
          return { key, bytes: g.next() < 0.5 ? truncate(g, valid) : mutateBytes(g, valid) };
        },
        ({ key, bytes }) => datasetFromIdx({ ...files, [key]: bytes }),
        IdxError,
      ),
    ]);
    console.log(`gzip idx fuzz: ${r.cases} cases, ${r.parsed} parsed, slowest ${r.slowestMs.toFixed(1)} ms`);
    expect(r.failures).toEqual([]);
  });

  it('bundled MNIST asset container (parseMnistAsset / loadMnistAsset)', async () => {
    const rng = createRng(SEED + 2);
    const container = mnistContainer(3, 2, rng);
    expect(parseMnistAsset(container).test.labels.length).toBe(2);
    const gz = new Uint8Array(gzipSync(container));
    const r = summarise([
      await fuzz(
        'asset/random-bytes',
        800,
        (g) => randomBytes(g, 64),
        (b) => parseMnistAsset(b),
        MnistAssetError,
      ),
      await fuzz(
        'asset/truncated',
        400,
        (g) => truncate(g, container),
        (b) => parseMnistAsset(b),
        MnistAssetError,
      ),
      await fuzz(
        'asset/mutated',
        1500,
        (g) => mutateBytes(g, container),
        (b) => parseMnistAsset(b),
        MnistAssetError,
      ),
      await fuzz(
        'asset-gz/truncated',
        200,
        (g) => truncate(g, gz),
        (b) => loadMnistAsset(b),
        MnistAssetError,
      ),
      await fuzz(
        'asset-gz/mutated',
        200,
        (g) => mutateBytes(g, gz),
        (b) => loadMnistAsset(b),
        MnistAssetError,
      ),
    ]);
    console.log(`asset fuzz: ${r.cases} cases, ${r.parsed} parsed, slowest ${r.slowestMs.toFixed(1)} ms`);
    expect(r.failures).toEqual([]);
  });
});
