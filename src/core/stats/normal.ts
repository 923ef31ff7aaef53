/**
 * Standard normal distribution in float64, accurate in the far tails.
 *
 * erfc uses W. J. Cody's rational Chebyshev approximations ("Rational Chebyshev approximations
 * for the error function", Math. Comp. 1969; the CALERF packet, 1990 revision), which are
 * accurate to ~1e-16 relative on each of the three intervals |x| <= 0.46875, <= 4, > 4.
 * Phi is taken from erfc so that Phi(-10) ~ 7.6e-24 keeps full relative precision
 * (1 - Phi(10) computed by subtraction would be 0).
 */

const SQRT_PI_INV = 0.56418958354775628695; // 1/sqrt(pi)
const THRESH = 0.46875;
/** erfc(x) underflows to 0 (below the smallest subnormal) for x >= XBIG. */
const XBIG = 26.543;

// Interval 1 (|x| <= 0.46875): erf(x) = x * A(x^2) / B(x^2).
const A = [3.1611237438705656, 113.864154151050156, 377.485237685302021, 3209.37758913846947, 0.185777706184603153];
const B = [23.6012909523441209, 244.024637934444173, 1282.61652607737228, 2844.23683343917062];
// Interval 2 (0.46875 < |x| <= 4): erfc(x) = exp(-x^2) * C(x) / D(x).
const C = [
  0.564188496988670089, 8.88314979438837594, 66.1191906371416295, 298.635138197400131, 881.95222124176909, 1712.04761263407058,
  2051.07837782607147, 1230.33935479799725, 2.15311535474403846e-8,
];
const D = [
  15.7449261107098347, 117.693950891312499, 537.181101862009858, 1621.38957456669019, 3290.79923573345963, 4362.61909014324716,
  3439.36767414372164, 1230.33935480374942,
];
// Interval 3 (|x| > 4): erfc(x) = exp(-x^2)/x * (1/sqrt(pi) - P(1/x^2)/Q(1/x^2) / x^2).
const P = [
  0.305326634961232344, 0.360344899949804439, 0.125781726111229246, 0.0160837851487422766, 6.58749161529837803e-4, 0.0163153871373020978,
];
const Q = [2.56852019228982242, 1.87295284992346047, 0.527905102951428412, 0.0605183413124413191, 0.00233520497626869185];

/**
 * exp(-y^2) computed as exp(-ys^2) * exp(-(y - ys)(y + ys)) with ys = y rounded down to 1/16,
 * so the large exponent is formed exactly and rounding error in y^2 does not spoil the tail.
 */
function expMinusSquare(y: number): number {
  const ys = Math.trunc(y * 16) / 16;
  const del = (y - ys) * (y + ys);
  return Math.exp(-ys * ys) * Math.exp(-del);
}

/** erf(x) for |x| <= 0.46875 (Cody's first interval), full relative precision. */
function erfSmall(x: number): number {
  const y = Math.abs(x);
  const ysq = y > 1.11e-16 ? y * y : 0;
  let num = A[4] * ysq;
  let den = ysq;
  for (let i = 0; i < 3; i++) {
    num = (num + A[i]) * ysq;
    den = (den + B[i]) * ysq;
  }
  return (x * (num + A[3])) / (den + B[3]);
}

/** Complementary error function erfc(x) = 1 - erf(x), float64, ~1e-15 relative for all x. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const y = Math.abs(x);
  let result: number;
  if (y <= THRESH) {
    return 1 - erfSmall(x);
  } else if (y <= 4) {
    let num = C[8] * y;
    let den = y;
    for (let i = 0; i < 7; i++) {
      num = (num + C[i]) * y;
      den = (den + D[i]) * y;
    }
    result = expMinusSquare(y) * ((num + C[7]) / (den + D[7]));
  } else if (y >= XBIG) {
    result = 0;
  } else {
    const ysq = 1 / (y * y);
    let num = P[5] * ysq;
    let den = ysq;
    for (let i = 0; i < 4; i++) {
      num = (num + P[i]) * ysq;
      den = (den + Q[i]) * ysq;
    }
    const r = (ysq * (num + P[4])) / (den + Q[4]);
    result = expMinusSquare(y) * ((SQRT_PI_INV - r) / y);
  }
  return x < 0 ? 2 - result : result;
}

/** Error function erf(x), float64. */
export function erf(x: number): number {
  if (Math.abs(x) <= THRESH) return erfSmall(x);
  const c = erfc(Math.abs(x));
  return x < 0 ? c - 1 : 1 - c;
}

/** Standard normal CDF Phi(z) = P(Z <= z), ~1e-15 relative also in the lower tail (Phi(-37) ~ 6e-300). */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z * Math.SQRT1_2);
}

/** Standard normal survival function 1 - Phi(z) = P(Z > z), accurate in the upper tail. */
export function normalSf(z: number): number {
  return 0.5 * erfc(z * Math.SQRT1_2);
}
