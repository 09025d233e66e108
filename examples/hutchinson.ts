// Hutchinson's estimator of a Hessian trace: for random v with E[v v^T] = I,
// E[v^T H v] = tr(H), and each sample costs one Hessian-vector product (`hvp`,
// forward over reverse) instead of the n of an exact Hessian. Checked against the
// exact trace from `hessian`; with Rademacher v (entries +-1) the estimate's variance
// is 2 (|H|_F^2 - sum_i H_ii^2) / samples.
import { hessian, hvp, valueAndGrad } from "gradc";
import { centralGradient, type Example, maxRelError, printTable, relError, verdict } from "./check.js";
import { fill, gaussian, random } from "./demo.js";

/** Logistic-regression-like loss: sum_i log(1 + e^(a_i . x)) + lambda/2 |x|^2, rows a_i of A (m x n). */
export function loss(x: Float64Array, A: Float64Array, lambda: number): number {
  const n = x.length;
  const m = A.length / n;
  let s = 0;
  for (let i = 0; i < m; i++) {
    let z = 0;
    for (let j = 0; j < n; j++) z += A[i * n + j] * x[j];
    s += Math.log1p(Math.exp(z));
  }
  let r = 0;
  for (let j = 0; j < n; j++) r += x[j] * x[j];
  return s + 0.5 * lambda * r;
}

const hessianOf = hessian(loss);
const hessianTimes = hvp(loss);
const valueAndGradient = valueAndGrad(loss);

function run(): boolean {
  const n = 20;
  const m = 60;
  const normal = gaussian(random(31));
  const A = fill(m * n, () => 0.5 * normal());
  const x = fill(n, () => 0.3 * normal());
  const lambda = 0.1;

  // Exact Hessian, checked against central differences of the gradient, and the exact trace.
  const H = hessianOf(x, A, lambda) as Float64Array;
  let hessErr = 0;
  for (let j = 0; j < n; j++) {
    const column = centralGradient((y) => (valueAndGradient(y, A, lambda)[1] as Float64Array)[j], x);
    hessErr = Math.max(hessErr, maxRelError(H.subarray(j * n, j * n + n), column));
  }
  let trace = 0;
  let offDiagonal2 = 0; // sum over i != j of H_ij^2
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) trace += H[i * n + i];
      else offDiagonal2 += H[i * n + j] ** 2;
    }
  }
  console.log(`  hessian vs central differences of the gradient: ${verdict(hessErr, 1e-6)}`);

  // One HVP with a +-1 vector, checked against H v from the exact Hessian.
  const coin = random(7);
  const v = new Float64Array(n);
  let hvpErr = 0;
  const rows = [["samples", "estimate", "exact tr(H)", "rel. error", "expected (1 s.d.)"]];
  let sum = 0;
  let lastErr = 0;
  let lastSd = 0;
  const reportAt = [1, 4, 16, 64, 256, 1024, 4096];
  for (let k = 1; k <= 4096; k++) {
    for (let i = 0; i < n; i++) v[i] = coin() < 0.5 ? -1 : 1;
    const Hv = hessianTimes(x, A, lambda, v) as Float64Array;
    let vHv = 0;
    for (let i = 0; i < n; i++) vHv += v[i] * Hv[i];
    sum += vHv;
    if (k <= 4) {
      let exactHv = 0;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) exactHv += v[i] * H[i * n + j] * v[j];
      hvpErr = Math.max(hvpErr, relError(vHv, exactHv));
    }
    if (reportAt.includes(k)) {
      lastErr = Math.abs(sum / k - trace) / Math.abs(trace);
      lastSd = Math.sqrt((2 * offDiagonal2) / k) / Math.abs(trace);
      rows.push([String(k), (sum / k).toFixed(4), trace.toFixed(4), lastErr.toExponential(1), lastSd.toExponential(1)]);
    }
  }
  console.log(`  v^T (hvp v) vs v^T H v from the exact Hessian: ${verdict(hvpErr, 1e-10)}`);
  printTable(rows);
  const ok = lastErr <= 3 * lastSd;
  console.log(`  error at 4096 samples within 3 s.d.: ${ok ? "ok" : "NO"}`);
  return hessErr <= 1e-6 && hvpErr <= 1e-10 && ok;
}

export const example: Example = {
  title: "Hutchinson's trace estimate from `hvp` with Rademacher vectors, n = 20, vs `hessian`",
  run,
};
