/** log(1 + e^z), written so that large z does not overflow. */
function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

/**
 * Logistic regression: rows of `x` (each `p.w.length` features) with labels `y` in {0, 1},
 * mean negative log-likelihood plus a small L2 penalty on the weights.
 */
export function loss(p: { w: Float64Array; b: number }, x: Float64Array, y: Float64Array): number {
  const d = p.w.length;
  let total = 0;
  for (let i = 0; i < y.length; i++) {
    let z = p.b;
    for (let j = 0; j < d; j++) z += p.w[j] * x[i * d + j];
    total += softplus(z) - y[i] * z;
  }
  let penalty = 0;
  for (const wj of p.w) penalty += wj * wj;
  return total / y.length + 0.01 * penalty;
}
