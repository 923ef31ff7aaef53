import { describe, expect, it } from 'vitest';
import {
  gaussHermiteRule,
  meanFieldLambda1,
  meanFieldVariance,
  meanTanhPrimeSquared,
  meanTanhSquared,
} from '../../src/core/dynamics/meanField';

/** Independent reference: E[f(z)] by composite Simpson on [-12, 12], h = 2.5e-4 (error ~h^4 f'''' < 1e-12 here). */
function simpsonExpectation(f: (z: number) => number, h = 2.5e-4): number {
  const n = Math.round(12 / h);
  let s = 0;
  for (let i = -n; i <= n; i++) {
    const z = i * h;
    const c = i === -n || i === n ? 1 : (i + n) % 2 === 1 ? 4 : 2;
    s += c * Math.exp(-0.5 * z * z) * f(z);
  }
  return (s * h) / 3 / Math.sqrt(2 * Math.PI);
}

describe('Gauss-Hermite rule (a reference)', () => {
  it('integrates normal moments exactly: E[z^2k] = (2k-1)!!', () => {
    const rule = gaussHermiteRule(40);
    let dfact = 1;
    for (let k = 0; k <= 20; k++) {
      if (k > 0) dfact *= 2 * k - 1;
      let s = 0;
      for (let i = 0; i < 40; i++) s += rule.w[i] * rule.z[i] ** (2 * k);
      expect(Math.abs(s - dfact) / dfact).toBeLessThan(1e-11);
    }
  });
  it('agrees with the mean-field expectations where it converges (q <= 1)', () => {
    const rule = gaussHermiteRule(120);
    for (const q of [0.01, 0.3, 1]) {
      expect(Math.abs(meanTanhSquared(q, rule) - meanTanhSquared(q))).toBeLessThan(1e-10);
      expect(Math.abs(meanTanhPrimeSquared(q, rule) - meanTanhPrimeSquared(q))).toBeLessThan(1e-10);
    }
  });
});

describe('mean-field expectations', () => {
  it('match composite Simpson for q up to 16', () => {
    for (const q of [0.01, 0.3, 1, 4, 9, 16]) {
      const s = Math.sqrt(q);
      const refT = simpsonExpectation((z) => Math.tanh(s * z) ** 2);
      const refD = simpsonExpectation((z) => (1 - Math.tanh(s * z) ** 2) ** 2);
      expect(Math.abs(meanTanhSquared(q) - refT)).toBeLessThan(1e-12);
      expect(Math.abs(meanTanhPrimeSquared(q) - refD)).toBeLessThan(1e-12);
    }
  });
});

describe('mean-field q*(g) and lambda_1(g)', () => {
  it('below the transition: q = 0 and lambda_1 = ln g', () => {
    for (const g of [0.2, 0.5, 0.9, 1]) {
      expect(meanFieldVariance(g)).toBe(0);
      expect(meanFieldLambda1(g)).toBeCloseTo(Math.log(g), 15);
    }
  });
  it('q* solves the self-consistency q = g^2 E[tanh(sqrt(q) z)^2] (checked with the trapezoid reference)', () => {
    for (const g of [1.2, 1.5, 2, 3, 4]) {
      const q = meanFieldVariance(g);
      const s = Math.sqrt(q);
      const rhs = g * g * simpsonExpectation((z) => Math.tanh(s * z) ** 2);
      expect(Math.abs(q - rhs) / q).toBeLessThan(1e-10);
      const lam = 0.5 * Math.log(g * g * simpsonExpectation((z) => (1 - Math.tanh(s * z) ** 2) ** 2));
      expect(Math.abs(meanFieldLambda1(g) - lam)).toBeLessThan(1e-10);
    }
  });
  it('just above g = 1 follows the small-q expansion: q ~ (g^2-1)/(2 g^2), lambda_1 ~ (2/3) q^2', () => {
    // tanh^2 x = x^2 - 2x^4/3 + 17x^6/45, so E[tanh^2] = q - 2q^2 + 17q^3/3 + O(q^4): g^2 (1 - 2q + 17q^2/3) = 1.
    // sech^4 x = 1 - 2x^2 + 7x^4/3, so E[sech^4] = 1 - 2q + 7q^2 and lambda_1 = (2/3) q^2 + O(q^3).
    for (const g of [1.001, 1.003, 1.01]) {
      const q = meanFieldVariance(g);
      const g2 = g * g;
      // Root of (17/3) q^2 - 2q + (1 - 1/g^2) = 0 (the small one): error O(q^3).
      const c = 1 - 1 / g2;
      const qSeries = (2 - Math.sqrt(4 - (4 * 17 * c) / 3)) / ((2 * 17) / 3);
      expect(Math.abs(q - qSeries) / q).toBeLessThan(40 * q * q);
      expect(Math.abs(q - c / 2) / q).toBeLessThan(4 * q); // leading order
      const lam = meanFieldLambda1(g);
      expect(lam).toBeGreaterThan(0);
      expect(Math.abs(lam - (2 / 3) * q * q) / ((2 / 3) * q * q)).toBeLessThan(20 * q);
    }
  });
  it('lambda_1 is continuous at g = 1 and increases with g', () => {
    expect(Math.abs(meanFieldLambda1(1 + 1e-6))).toBeLessThan(1e-10);
    let prev = -Infinity;
    for (let g = 0.5; g <= 3; g += 0.1) {
      const l = meanFieldLambda1(g);
      expect(l).toBeGreaterThan(prev);
      prev = l;
    }
  });
});
