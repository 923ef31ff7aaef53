/**
 * The snapshot fields of the GPU analysis engine in a run bundle (docs/formats.md): analysisEngine
 * and gpuCheck are optional, round-trip exactly when present, and malformed ones are refused.
 */
import { describe, expect, it } from 'vitest';
import { parseRunBundle, serializeRunBundle } from '../../src/core/formats/bundle';
import { FormatError } from '../../src/core/formats/errors';
import { makeBundle } from './bundleFixture';

const check = {
  probe: 1,
  maxDevLnR: 1.9e-6,
  maxDevFtle: 1.6e-7,
  maxDevQ: 1.3e-6,
  maxDevFlipDL: 1.7e-6,
  maxDevSingle: 8.4e-7,
  maxDevCosine: 0,
  decisionsDiffer: ['z test k=3'],
};

describe('run bundle: analysisEngine and gpuCheck', () => {
  it('absent (older files) and present both read back; present ones exactly', () => {
    const b = makeBundle(3, { epochs: 2 });
    expect(parseRunBundle(serializeRunBundle(b)).epochs[1].analysisEngine).toBeUndefined();
    b.epochs[1] = { ...b.epochs[1], analysisEngine: { kind: 'gpu', adapter: 'nvidia hopper' }, gpuCheck: check };
    b.epochs[0] = { ...b.epochs[0], analysisEngine: { kind: 'cpu', fallback: 'The GPU was lost while analysing epoch 0.' } };
    const back = parseRunBundle(serializeRunBundle(b));
    expect(back.epochs[1].analysisEngine).toEqual({ kind: 'gpu', adapter: 'nvidia hopper' });
    expect(back.epochs[1].gpuCheck).toEqual(check);
    expect(back.epochs[0].analysisEngine?.fallback).toBe('The GPU was lost while analysing epoch 0.');
  });

  it.each([
    ['an unknown engine kind', { analysisEngine: { kind: 'tpu' } }],
    ['a negative deviation', { gpuCheck: { ...check, maxDevLnR: -1 } }],
    ['a missing deviation', { gpuCheck: { ...check, maxDevQ: undefined } }],
    ['a non-integer probe', { gpuCheck: { ...check, probe: 0.5 } }],
  ])('refuses %s', (_, patch) => {
    const w = JSON.parse(serializeRunBundle(makeBundle(3, { epochs: 1 })));
    Object.assign(w.epochs[0], patch);
    expect(() => parseRunBundle(JSON.stringify(w))).toThrow(FormatError);
  });
});
