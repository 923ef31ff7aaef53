/**
 * The GPU epoch's float64 check in words (core/gpuCheckText.ts): every deviation named with two
 * significant digits, the decision line says "the same" only when no test differs, and names at
 * most three differing tests, counting the rest.
 */
import { describe, expect, it } from 'vitest';
import { deviationText, gpuCheckText } from '../../src/core/gpuCheckText';
import type { GpuCheck } from '../../src/core/snapshot';

const check: GpuCheck = {
  probe: 3,
  maxDevLnR: 2.14e-6,
  maxDevFtle: 4e-8,
  maxDevQ: 3.06e-5,
  maxDevFlipDL: 1.26e-5,
  maxDevSingle: 0.00019,
  maxDevCosine: 0,
  decisionsDiffer: [],
};

describe('gpuCheckText', () => {
  it('is null without a check (the CPU path, older files)', () => {
    expect(gpuCheckText(undefined)).toBeNull();
  });

  it('names the checked probe and every largest deviation', () => {
    const t = gpuCheckText(check)!;
    expect(t.label).toBe('GPU vs float64 (probe 3)');
    expect(t.deviations).toBe('ln r 2.1e-6 · FTLE 4.0e-8 · Q 3.1e-5 · flip dL 1.3e-5 · single-pixel 1.9e-4 · cosines 0');
    expect(t.decisions).toBe('every verdict and Holm decision the same');
    expect(t.differ).toBe(false);
  });

  it('says which decisions differ, three by name and the rest counted', () => {
    const one = gpuCheckText({ ...check, decisionsDiffer: ['z test k=10'] })!;
    expect(one.differ).toBe(true);
    expect(one.decisions).toBe('decisions differ: z test k=10');
    const five = gpuCheckText({
      ...check,
      decisionsDiffer: ['z test k=10', 'wilcoxon matched k=10', 'wilcoxon gradient k=20', 'z test k=20', 'z test k=30'],
    })!;
    expect(five.decisions).toBe('decisions differ: z test k=10, wilcoxon matched k=10, wilcoxon gradient k=20 and 2 more');
  });

  it('formats deviations: zero, two significant digits, non-finite as a dash', () => {
    expect(deviationText(0)).toBe('0');
    expect(deviationText(1)).toBe('1.0e0');
    expect(deviationText(0.000996)).toBe('1.0e-3');
    expect(deviationText(123456)).toBe('1.2e5');
    expect(deviationText(Number.NaN)).toBe('–');
    expect(deviationText(Number.POSITIVE_INFINITY)).toBe('–');
  });
});
