// Newton's method on the Rosenbrock function in 4 dimensions, from a start near the
// minimum x* = (1, 1, 1, 1): x <- x - H(x)^-1 g(x), with the exact Hessian from `hessian`
// and a small dense solve. Near x* the gradient norm is roughly squared at every step.
import { hessian, valueAndGrad } from "gradc";
import { centralGradient, type Example, maxRelError, norm, printTable, relError, verdict } from "./check.js";
import { rosenbrock } from "./rosenbrock.js";

const valueAndGradient = valueAndGrad(rosenbrock);
const hessianOf = hessian(rosenbrock);

/** Solves A x = b for a dense n x n row-major A by Gaussian elimination with partial pivoting. */
export function solve(A: Float64Array, b: Float64Array): Float64Array {
  const n = b.length;
  const M = Float64Array.from(A);
  const x = Float64Array.from(b);
  for (let k = 0; k < n; k++) {
    let p = k; // pivot: the largest entry of column k on or below the diagonal
    for (let i = k + 1; i < n; i++) if (Math.abs(M[i * n + k]) > Math.abs(M[p * n + k])) p = i;
    if (M[p * n + k] === 0) throw new Error("solve: singular matrix");
    for (let j = 0; j < n; j++) [M[k * n + j], M[p * n + j]] = [M[p * n + j], M[k * n + j]];
    [x[k], x[p]] = [x[p], x[k]];
    for (let i = k + 1; i < n; i++) {
      const l = M[i * n + k] / M[k * n + k];
      for (let j = k; j < n; j++) M[i * n + j] -= l * M[k * n + j];
      x[i] -= l * x[k];
    }
  }
  for (let k = n - 1; k >= 0; k--) {
    let s = x[k];
    for (let j = k + 1; j < n; j++) s -= M[k * n + j] * x[j];
    x[k] = s / M[k * n + k];
  }
  return x;
}

function run(): boolean {
  const x = Float64Array.of(0.97, 0.95, 0.9, 0.8);
  const n = x.length;

  // The Hessian against central differences of the (checked) gradient, column by column.
  const H0 = hessianOf(x);
  const gradient = (y: Float64Array) => valueAndGradient(y)[1] as Float64Array;
  const gradErr = maxRelError(gradient(x), centralGradient(rosenbrock, x));
  let hessErr = 0;
  let asym = 0;
  for (let j = 0; j < n; j++) {
    const column = centralGradient((y) => gradient(y)[j], x);
    for (let i = 0; i < n; i++) asym = Math.max(asym, relError(H0[i * n + j], H0[j * n + i]));
    hessErr = Math.max(hessErr, maxRelError(H0.subarray(j * n, j * n + n), column));
  }
  console.log(`  gradient vs central differences: ${verdict(gradErr, 1e-6)}`);
  console.log(`  Hessian vs central differences of the gradient: ${verdict(hessErr, 1e-6)}; symmetry ${verdict(asym, 1e-12)}`);

  const rows = [["step", "f(x)", "|grad f(x)|", "|g_k| / |g_(k-1)|^2"]];
  let previous = NaN;
  let g = 0;
  for (let k = 0; k <= 10; k++) {
    const [f, gk] = valueAndGradient(x) as [number, Float64Array];
    g = norm(gk);
    rows.push([String(k), f.toExponential(3), g.toExponential(3), k === 0 ? "" : (g / previous ** 2).toFixed(3)]);
    if (g < 1e-10) break;
    const step = solve(hessianOf(x), gk);
    for (let i = 0; i < n; i++) x[i] -= step[i];
    previous = g;
  }
  printTable(rows);
  const distance = Math.max(...Array.from(x, (xi) => Math.abs(xi - 1)));
  console.log(`  x = (${Array.from(x, (v) => v.toFixed(12)).join(", ")}), max |x - 1| ${verdict(distance, 1e-9)}`);
  return gradErr <= 1e-6 && hessErr <= 1e-6 && asym <= 1e-12 && g < 1e-10 && distance <= 1e-9;
}

export const example: Example = {
  title: "Newton's method with `hessian`, Rosenbrock n = 4, from (0.97, 0.95, 0.9, 0.8)",
  run,
};
