/**
 * The little dense linear algebra the Gaussian copula needs, on row-major Float64Arrays of d x d:
 * a symmetric eigendecomposition (cyclic Jacobi; d is the number of columns, so tens) to repair a
 * correlation matrix that is not positive definite, and a Cholesky factor to sample from it.
 */

/** Eigenvalues and eigenvectors (columns of `vectors`) of a symmetric matrix. */
export function symmetricEigen(
  matrix: Float64Array,
  d: number,
): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) v[i * d + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += a[p * d + q] ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = a[p * d + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * d + q] - a[p * d + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          const akp = a[k * d + p];
          const akq = a[k * d + q];
          a[k * d + p] = c * akp - s * akq;
          a[k * d + q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = a[p * d + k];
          const aqk = a[q * d + k];
          a[p * d + k] = c * apk - s * aqk;
          a[q * d + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < d; k++) {
          const vkp = v[k * d + p];
          const vkq = v[k * d + q];
          v[k * d + p] = c * vkp - s * vkq;
          v[k * d + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(d);
  for (let i = 0; i < d; i++) values[i] = a[i * d + i];
  return { values, vectors: v };
}

/**
 * The nearest-ish correlation matrix: eigenvalues floored at `floor`, then rescaled to a unit diagonal
 * (Higham's one-step projection). Leaves an already positive definite matrix unchanged.
 */
export function repairCorrelation(matrix: Float64Array, d: number, floor = 1e-6): Float64Array {
  const { values, vectors } = symmetricEigen(matrix, d);
  if (values.every((x) => x >= floor)) return Float64Array.from(matrix);
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += vectors[i * d + k] * Math.max(values[k], floor) * vectors[j * d + k];
      out[i * d + j] = s;
    }
  }
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      if (i !== j) out[i * d + j] /= Math.sqrt(out[i * d + i] * out[j * d + j]);
    }
  }
  for (let i = 0; i < d; i++) out[i * d + i] = 1;
  return out;
}

/** Lower-triangular L with L L^T = matrix; a tiny ridge is added if rounding left it semi-definite. */
export function cholesky(matrix: Float64Array, d: number): Float64Array {
  for (let ridge = 0; ridge < 1; ridge = ridge === 0 ? 1e-10 : ridge * 10) {
    const l = new Float64Array(d * d);
    let ok = true;
    for (let i = 0; i < d && ok; i++) {
      for (let j = 0; j <= i; j++) {
        let s = matrix[i * d + j] + (i === j ? ridge : 0);
        for (let k = 0; k < j; k++) s -= l[i * d + k] * l[j * d + k];
        if (i === j) {
          if (!(s > 0)) {
            ok = false;
            break;
          }
          l[i * d + i] = Math.sqrt(s);
        } else l[i * d + j] = s / l[j * d + j];
      }
    }
    if (ok) return l;
  }
  throw new RangeError("matrix is not positive definite");
}
