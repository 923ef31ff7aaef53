/**
 * All singular values of a dense matrix, without vectors: the Golub-Kahan-Reinsch algorithm of
 * JAMA exactly as ml-matrix 6.15 runs it (SingularValueDecomposition with both vector flags off and
 * autoTranspose), the same floating-point operations in the same order, so the values are
 * identical bit for bit (tested). It runs on one flat Float64Array instead of ml-matrix's
 * row objects and get/set calls: ~3x faster at 512 x 512, where the participation ratio of
 * the alignment needs every value of several such matrices per probe.
 */

/** sqrt(a^2 + b^2) without under/overflow, as ml-matrix computes it. */
function hypotenuse(a: number, b: number): number {
  let r = 0;
  if (Math.abs(a) > Math.abs(b)) {
    r = b / a;
    return Math.abs(a) * Math.sqrt(1 + r * r);
  }
  if (b !== 0) {
    r = a / b;
    return Math.abs(b) * Math.sqrt(1 + r * r);
  }
  return 0;
}

/**
 * Singular values of A ([rows][cols] row-major), in the order the algorithm leaves them
 * (descending); length min(rows, cols).
 */
export function golubKahanSingularValues(A: Float64Array, rows: number, cols: number): Float64Array {
  if (rows < 1 || cols < 1) throw new RangeError('Matrix must be non-empty');
  // Logical working matrix a is m x n with m >= n (A, or A^T when A is wide); `at` holds a^T
  // ([n][m] row-major: at[j*m + i] = a[i][j]) so the inner loops over i are contiguous.
  let m = rows;
  let n = cols;
  let at: Float64Array;
  if (m < n) {
    at = Float64Array.from(A.subarray(0, rows * cols));
    m = cols;
    n = rows;
  } else {
    at = new Float64Array(n * m);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) at[j * m + i] = A[i * n + j];
  }

  const ni = Math.min(m + 1, n);
  const s = new Float64Array(ni);
  const e = new Float64Array(n);
  const work = new Float64Array(m);
  const nct = Math.min(m - 1, n);
  const nrt = Math.max(0, Math.min(n - 2, m));
  const mrc = Math.max(nct, nrt);

  for (let k = 0; k < mrc; k++) {
    const rk = k * m;
    if (k < nct) {
      s[k] = 0;
      for (let i = k; i < m; i++) s[k] = hypotenuse(s[k], at[rk + i]);
      if (s[k] !== 0) {
        if (at[rk + k] < 0) s[k] = -s[k];
        for (let i = k; i < m; i++) at[rk + i] = at[rk + i] / s[k];
        at[rk + k] = at[rk + k] + 1;
      }
      s[k] = -s[k];
    }
    for (let j = k + 1; j < n; j++) {
      const rj = j * m;
      if (k < nct && s[k] !== 0) {
        let t = 0;
        for (let i = k; i < m; i++) t += at[rk + i] * at[rj + i];
        t = -t / at[rk + k];
        for (let i = k; i < m; i++) at[rj + i] = at[rj + i] + t * at[rk + i];
      }
      e[j] = at[rj + k];
    }
    if (k < nrt) {
      e[k] = 0;
      for (let i = k + 1; i < n; i++) e[k] = hypotenuse(e[k], e[i]);
      if (e[k] !== 0) {
        if (e[k + 1] < 0) e[k] = 0 - e[k];
        for (let i = k + 1; i < n; i++) e[i] /= e[k];
        e[k + 1] += 1;
      }
      e[k] = -e[k];
      if (k + 1 < m && e[k] !== 0) {
        for (let i = k + 1; i < m; i++) work[i] = 0;
        // ml-matrix loops i outside j; j outside i adds the same terms to each work[i] in the same
        // order (ascending j) and reads `at` contiguously.
        for (let j = k + 1; j < n; j++) {
          const ej = e[j];
          const rj = j * m;
          for (let i = k + 1; i < m; i++) work[i] += ej * at[rj + i];
        }
        for (let j = k + 1; j < n; j++) {
          const t = -e[j] / e[k + 1];
          const rj = j * m;
          for (let i = k + 1; i < m; i++) at[rj + i] = at[rj + i] + t * work[i];
        }
      }
    }
  }

  let p = Math.min(n, m + 1);
  if (nct < n) s[nct] = at[nct * m + nct];
  if (m < p) s[p - 1] = 0;
  if (nrt + 1 < p) e[nrt] = at[(p - 1) * m + nrt];
  e[p - 1] = 0;

  const pp = p - 1;
  const eps = Number.EPSILON;
  while (p > 0) {
    let k: number;
    let kase: number;
    for (k = p - 2; k >= -1; k--) {
      if (k === -1) break;
      const alpha = Number.MIN_VALUE + eps * Math.abs(s[k] + Math.abs(s[k + 1]));
      if (Math.abs(e[k]) <= alpha || Number.isNaN(e[k])) {
        e[k] = 0;
        break;
      }
    }
    if (k === p - 2) {
      kase = 4;
    } else {
      let ks: number;
      for (ks = p - 1; ks >= k; ks--) {
        if (ks === k) break;
        const t = (ks !== p ? Math.abs(e[ks]) : 0) + (ks !== k + 1 ? Math.abs(e[ks - 1]) : 0);
        if (Math.abs(s[ks]) <= eps * t) {
          s[ks] = 0;
          break;
        }
      }
      if (ks === k) kase = 3;
      else if (ks === p - 1) kase = 1;
      else {
        kase = 2;
        k = ks;
      }
    }
    k++;

    switch (kase) {
      case 1: {
        let f = e[p - 2];
        e[p - 2] = 0;
        for (let j = p - 2; j >= k; j--) {
          const t = hypotenuse(s[j], f);
          const cs = s[j] / t;
          const sn = f / t;
          s[j] = t;
          if (j !== k) {
            f = -sn * e[j - 1];
            e[j - 1] = cs * e[j - 1];
          }
        }
        break;
      }
      case 2: {
        let f = e[k - 1];
        e[k - 1] = 0;
        for (let j = k; j < p; j++) {
          const t = hypotenuse(s[j], f);
          const cs = s[j] / t;
          const sn = f / t;
          s[j] = t;
          f = -sn * e[j];
          e[j] = cs * e[j];
        }
        break;
      }
      case 3: {
        const scale = Math.max(Math.abs(s[p - 1]), Math.abs(s[p - 2]), Math.abs(e[p - 2]), Math.abs(s[k]), Math.abs(e[k]));
        const sp = s[p - 1] / scale;
        const spm1 = s[p - 2] / scale;
        const epm1 = e[p - 2] / scale;
        const sk = s[k] / scale;
        const ek = e[k] / scale;
        const b = ((spm1 + sp) * (spm1 - sp) + epm1 * epm1) / 2;
        const c = sp * epm1 * (sp * epm1);
        let shift = 0;
        if (b !== 0 || c !== 0) {
          if (b < 0) shift = 0 - Math.sqrt(b * b + c);
          else shift = Math.sqrt(b * b + c);
          shift = c / (b + shift);
        }
        let f = (sk + sp) * (sk - sp) + shift;
        let g = sk * ek;
        for (let j = k; j < p - 1; j++) {
          let t = hypotenuse(f, g);
          if (t === 0) t = Number.MIN_VALUE;
          let cs = f / t;
          let sn = g / t;
          if (j !== k) e[j - 1] = t;
          f = cs * s[j] + sn * e[j];
          e[j] = cs * e[j] - sn * s[j];
          g = sn * s[j + 1];
          s[j + 1] = cs * s[j + 1];
          t = hypotenuse(f, g);
          if (t === 0) t = Number.MIN_VALUE;
          cs = f / t;
          sn = g / t;
          s[j] = t;
          f = cs * e[j] + sn * s[j + 1];
          s[j + 1] = -sn * e[j] + cs * s[j + 1];
          g = sn * e[j + 1];
          e[j + 1] = cs * e[j + 1];
        }
        e[p - 2] = f;
        break;
      }
      default: {
        // case 4: convergence; make s[k] non-negative and bubble it into descending order.
        if (s[k] <= 0) s[k] = s[k] < 0 ? -s[k] : 0;
        while (k < pp) {
          if (s[k] >= s[k + 1]) break;
          const t = s[k];
          s[k] = s[k + 1];
          s[k + 1] = t;
          k++;
        }
        p--;
        break;
      }
    }
  }
  return s; // m >= n: length min(m + 1, n) = min(rows, cols)
}
