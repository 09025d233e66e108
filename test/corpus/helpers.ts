// Helpers imported by other corpus files (tests cross-module calls).

/** Dot product of two arrays of the same length. */
export function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    s += a[i] * b[i];
  }
  return s;
}

/** Smooth approximation of |t| (differentiable everywhere). */
export function smoothAbs(t: number, eps: number): number {
  return Math.sqrt(t * t + eps * eps) - eps;
}
