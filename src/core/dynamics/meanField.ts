/**
 * Mean-field theory of the random tanh map h_t = tanh(g W h_{t-1}), W_ij ~ N(0, 1/N), N -> infinity
 * (Sompolinsky, Crisanti & Sommers 1988 in discrete time; Engelken, Wolf & Abbott 2020; method.md §8).
 * The pre-activation a = g W h is Gaussian with variance q solving
 *   q = g^2 E[tanh(sqrt(q) z)^2],  z ~ N(0, 1),
 * which has only q = 0 for g <= 1 and one positive root for g > 1. The largest Lyapunov exponent is
 *   lambda_1 = 1/2 ln(g^2 E[tanh'(sqrt(q) z)^2])   (ln per step),
 * which is ln g below the transition (q = 0, tanh'(0) = 1) and crosses zero at g = 1.
 * Expectations use the trapezoid rule on z in [-Z_MAX, Z_MAX] with step NORMAL_STEP, which is
 * spectrally accurate for analytic integrands that decay like a Gaussian: its error is about
 * exp(-2 pi d / h) with d = pi / (2 sqrt q) the distance of tanh's nearest pole from the real axis,
 * below 1e-30 for q <= 25 (g <= 5). Gauss-Hermite quadrature (gaussHermiteRule, kept for moments
 * and as a test reference) converges slowly here: with 120 nodes its error in E[sech^4] is 2e-11
 * at q = 1 but 1e-3 at q = 9, because those poles approach the real axis as q grows.
 */

/** Trapezoid step in z and truncation |z| <= Z_MAX (phi(9) ~ 1e-18) of the normal expectations. */
export const NORMAL_STEP = 0.01;
export const Z_MAX = 9;

const trapezoidRule = ((): GaussRule => {
  const n = Math.round(Z_MAX / NORMAL_STEP);
  const z = new Float64Array(2 * n + 1);
  const w = new Float64Array(2 * n + 1);
  for (let i = -n; i <= n; i++) {
    z[i + n] = i * NORMAL_STEP;
    w[i + n] = (NORMAL_STEP * Math.exp(-0.5 * (i * NORMAL_STEP) ** 2)) / Math.sqrt(2 * Math.PI);
  }
  return { z, w };
})();

/** A quadrature rule for E[f(z)], z ~ N(0, 1): E[f] ~= sum_i w_i f(z_i). Nodes ascending; weights sum to ~1. */
export interface GaussRule {
  /** Standard-normal nodes z_i [n]. */
  z: Float64Array;
  /** Weights w_i [n] (probability weights). */
  w: Float64Array;
}

const ruleCache = new Map<number, GaussRule>();

/**
 * The n-point Gauss-Hermite rule for the standard normal (physicists' nodes x_i scaled by sqrt 2,
 * weights divided by sqrt pi). Nodes come from Newton's method on the orthonormal Hermite
 * recurrence (no overflow for large n), started from asymptotic guesses (Numerical Recipes' gauher).
 */
export function gaussHermiteRule(n: number): GaussRule {
  const cached = ruleCache.get(n);
  if (cached) return cached;
  // Newton from these guesses loses roots beyond ~150 nodes; larger rules are refused.
  if (!(Number.isInteger(n) && n >= 1 && n <= 150)) throw new Error(`gaussHermiteRule: n = ${n} must be an integer in 1..150`);
  const x = new Float64Array(n);
  const wPhys = new Float64Array(n);
  const pim4 = Math.PI ** -0.25;
  const m = Math.floor((n + 1) / 2);
  let guess = 0;
  for (let i = 0; i < m; i++) {
    if (i === 0) guess = Math.sqrt(2 * n + 1) - 1.85575 * (2 * n + 1) ** -0.16667;
    else if (i === 1) guess -= (1.14 * n ** 0.426) / guess;
    else if (i === 2) guess = 1.86 * guess - 0.86 * x[0];
    else if (i === 3) guess = 1.91 * guess - 0.91 * x[1];
    else guess = 2 * guess - x[i - 2];
    let pp = 0;
    for (let it = 0; it < 100; it++) {
      let p1 = pim4;
      let p2 = 0;
      for (let j = 0; j < n; j++) {
        const p3 = p2;
        p2 = p1;
        p1 = guess * Math.sqrt(2 / (j + 1)) * p2 - Math.sqrt(j / (j + 1)) * p3;
      }
      pp = Math.sqrt(2 * n) * p2;
      const prev = guess;
      guess = prev - p1 / pp;
      if (Math.abs(guess - prev) <= 1e-15 * Math.max(1, Math.abs(guess))) break;
    }
    x[i] = guess;
    x[n - 1 - i] = -guess;
    wPhys[i] = 2 / (pp * pp);
    wPhys[n - 1 - i] = wPhys[i];
  }
  // Ascending order: x was filled largest first.
  const z = new Float64Array(n);
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    z[i] = Math.SQRT2 * x[n - 1 - i];
    w[i] = wPhys[n - 1 - i] / Math.sqrt(Math.PI);
  }
  const rule = { z, w };
  ruleCache.set(n, rule);
  return rule;
}

/** E[f(z)] for z ~ N(0, 1) by the rule (default: the mean-field trapezoid rule). */
export function gaussExpectation(f: (z: number) => number, rule: GaussRule = trapezoidRule): number {
  let s = 0;
  for (let i = 0; i < rule.z.length; i++) s += rule.w[i] * f(rule.z[i]);
  return s;
}

/** E[tanh(sqrt(q) z)^2], q >= 0. */
export function meanTanhSquared(q: number, rule?: GaussRule): number {
  const s = Math.sqrt(q);
  return gaussExpectation((z) => Math.tanh(s * z) ** 2, rule);
}

/** E[tanh'(sqrt(q) z)^2] = E[sech(sqrt(q) z)^4], q >= 0. */
export function meanTanhPrimeSquared(q: number, rule?: GaussRule): number {
  const s = Math.sqrt(q);
  return gaussExpectation((z) => {
    const d = 1 - Math.tanh(s * z) ** 2;
    return d * d;
  }, rule);
}

/**
 * The mean-field pre-activation variance q*(g) >= 0: 0 for g <= 1, else the positive root of
 * q = g^2 E[tanh(sqrt(q) z)^2]. The root is found by bisection on the ratio g^2 E[tanh^2]/q - 1,
 * which decreases strictly in q (tanh(x)^2 / x^2 decreases in |x|): unlike the plain fixed-point
 * iteration q <- g^2 E[tanh^2], whose convergence slows without bound as g -> 1+, it reaches full
 * float64 precision in at most ~200 halvings at every g.
 */
export function meanFieldVariance(g: number, rule?: GaussRule): number {
  if (!(Number.isFinite(g) && g >= 0)) throw new Error(`meanFieldVariance: gain g = ${g} must be finite and >= 0`);
  if (g <= 1) return 0;
  const g2 = g * g;
  const ratio = (q: number) => (g2 * meanTanhSquared(q, rule)) / q - 1;
  // ratio(q) > 0 at q -> 0+ (limit g^2 - 1 > 0); ratio(g^2) < 0 since E[tanh^2] < 1.
  let lo = 0;
  let hi = g2;
  for (let it = 0; it < 200; it++) {
    const mid = 0.5 * (lo + hi);
    if (mid === lo || mid === hi) break;
    if (ratio(mid) > 0) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/** Mean-field largest Lyapunov exponent lambda_1(g), ln per step (ln g for g <= 1; -Infinity at g = 0). */
export function meanFieldLambda1(g: number, rule?: GaussRule): number {
  const q = meanFieldVariance(g, rule);
  if (q === 0) return Math.log(g);
  return 0.5 * Math.log(g * g * meanTanhPrimeSquared(q, rule));
}

/** Mean-field curve over gains: q [G] and lambda1 [G] (ln per step). */
export function meanFieldCurve(gains: ArrayLike<number>): { q: Float64Array; lambda1: Float64Array } {
  const q = new Float64Array(gains.length);
  const lambda1 = new Float64Array(gains.length);
  for (let i = 0; i < gains.length; i++) {
    q[i] = meanFieldVariance(gains[i]);
    lambda1[i] = meanFieldLambda1(gains[i]);
  }
  return { q, lambda1 };
}
