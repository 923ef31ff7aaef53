/**
 * numpyPermutation against numpy 2.4.6 (`np.random.RandomState(seed).permutation(n)`, printed by
 * the pyenv python3 of the development machine): the paper's permuted-MNIST order must be exact.
 */
import { describe, expect, it } from 'vitest';
import { numpyPermutation } from '../../src/core/numpyRandom';

describe('numpyPermutation = numpy RandomState(seed).permutation(n)', () => {
  it("RandomState(1234).permutation(784), the paper's permuted pixel order", () => {
    const p = Array.from(numpyPermutation(1234, 784));
    expect(p.slice(0, 20)).toEqual([529, 511, 328, 133, 532, 378, 156, 305, 143, 582, 288, 169, 536, 234, 477, 705, 406, 411, 255, 767]);
    expect(p.slice(-5)).toEqual([372, 204, 53, 294, 723]);
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 784 }, (_, i) => i));
  });

  it('other seeds and sizes', () => {
    expect(Array.from(numpyPermutation(0, 28))).toEqual([
      2, 22, 14, 17, 5, 11, 24, 13, 20, 25, 16, 1, 10, 27, 26, 8, 6, 4, 18, 19, 9, 7, 23, 3, 0, 21, 15, 12,
    ]);
    expect(Array.from(numpyPermutation(7, 196)).slice(0, 12)).toEqual([66, 174, 181, 84, 155, 2, 22, 148, 24, 182, 180, 102]);
    expect(Array.from(numpyPermutation(2 ** 31 - 1, 10))).toEqual([4, 5, 2, 6, 3, 1, 7, 0, 8, 9]);
  });

  it('refuses seeds numpy refuses', () => {
    expect(() => numpyPermutation(-1, 5)).toThrow(RangeError);
    expect(() => numpyPermutation(1.5, 5)).toThrow(RangeError);
  });
});
