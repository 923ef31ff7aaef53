/**
 * numpy's legacy `RandomState(seed).permutation(n)`, bit for bit: the Mersenne Twister MT19937
 * seeded by init_genrand(seed), and numpy's Fisher–Yates shuffle (from the last element down,
 * each index drawn by masked rejection sampling of 32-bit outputs: `random_interval`).
 * Permuted MNIST in the paper uses RandomState(1234).permutation(784); using the same algorithm for
 * every permuted run lets a PyTorch user rebuild our input order with one numpy line.
 */

/** MT19937 (Matsumoto & Nishimura 1998), 32-bit outputs. */
class Mt19937 {
  private readonly mt = new Uint32Array(624);
  private index = 624;

  constructor(seed: number) {
    const mt = this.mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      // 1812433253 * prev + i, modulo 2^32, without losing bits to float rounding.
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }

  nextUint32(): number {
    const mt = this.mt;
    if (this.index >= 624) {
      for (let i = 0; i < 624; i++) {
        const y = (mt[i] & 0x80000000) | (mt[(i + 1) % 624] & 0x7fffffff);
        mt[i] = mt[(i + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.index = 0;
    }
    let y = mt[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }
}

/** numpy's random_interval(max) for max < 2^32: uniform integer in [0, max]. */
function randomInterval(rng: Mt19937, max: number): number {
  if (max === 0) return 0;
  let mask = max;
  mask |= mask >>> 1;
  mask |= mask >>> 2;
  mask |= mask >>> 4;
  mask |= mask >>> 8;
  mask |= mask >>> 16;
  mask >>>= 0;
  let value: number;
  do value = (rng.nextUint32() & mask) >>> 0;
  while (value > max);
  return value;
}

/**
 * `numpy.random.RandomState(seed).permutation(n)` as Int32Array [n]. seed: integer in
 * [0, 2^32 - 1]; n < 2^32.
 */
export function numpyPermutation(seed: number, n: number): Int32Array {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw new RangeError(`numpy seeds are integers in [0, 2^32 - 1], got ${seed}`);
  const rng = new Mt19937(seed);
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = randomInterval(rng, i);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}
