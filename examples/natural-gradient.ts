// A Gauss-Newton step for nonlinear least squares, loss(θ) = 1/2 |r(θ)|^2, where r is the
// vector of residuals of a small tanh network on 1-D data. The step p solves
// (J^T J + λ I) p = J^T r by conjugate gradient, and never forms J: each product
// J^T J v is one `jvp` (u = J v) and one pullback of `vjp` (J^T u). For squared error the
// Gauss-Newton matrix J^T J is also the Fisher information of a unit-variance Gaussian
// model, so this is the natural-gradient step too. Compared with a plain gradient step
// of the same length.
import { jacobian, jvp, vjp } from "gradc";
import { centralGradient, dot, type Example, maxRelError, norm, printTable, verdict } from "./check.js";
import { fill, gaussian, random } from "./demo.js";

/**
 * Residuals of a 1-input, `hidden`-unit tanh network at the points xs:
 * θ = [w1 (hidden), b1 (hidden), w2 (hidden), b2], r_i = w2 . tanh(w1 x_i + b1) + b2 - ys_i.
 */
export function residuals(theta: Float64Array, hidden: number, xs: Float64Array, ys: Float64Array): Float64Array {
  const r = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) {
    let y = theta[3 * hidden];
    for (let h = 0; h < hidden; h++) y += theta[2 * hidden + h] * Math.tanh(theta[h] * xs[i] + theta[hidden + h]);
    r[i] = y - ys[i];
  }
  return r;
}

const residualsJvp = jvp(residuals);
const residualsVjp = vjp(residuals);

function loss(theta: Float64Array, hidden: number, xs: Float64Array, ys: Float64Array): number {
  const r = residuals(theta, hidden, xs, ys);
  return 0.5 * dot(r, r);
}

/** Solves A p = b by conjugate gradient, for symmetric positive definite A given as v => A v. */
function conjugateGradient(A: (v: Float64Array) => Float64Array, b: Float64Array, iterations: number, tol: number) {
  const p = new Float64Array(b.length);
  const r = Float64Array.from(b);
  const d = Float64Array.from(b);
  let rr = dot(r, r);
  let k = 0;
  while (k < iterations && Math.sqrt(rr) > tol * norm(b)) {
    const Ad = A(d);
    const alpha = rr / dot(d, Ad);
    for (let i = 0; i < p.length; i++) {
      p[i] += alpha * d[i];
      r[i] -= alpha * Ad[i];
    }
    const next = dot(r, r);
    for (let i = 0; i < d.length; i++) d[i] = r[i] + (next / rr) * d[i];
    rr = next;
    k++;
  }
  return { p, iterations: k, residual: Math.sqrt(rr) / norm(b) };
}

function run(): boolean {
  const hidden = 6;
  const n = 3 * hidden + 1;
  const m = 40;
  const normal = gaussian(random(12));
  const xs = Float64Array.from({ length: m }, (_, i) => -2 + (4 * i) / (m - 1));
  const ys = Float64Array.from(xs, (x) => Math.sin(2 * x) + 0.3 * x + 0.05 * normal());
  const theta = fill(n, () => 0.5 * normal());
  const f = (t: Float64Array) => loss(t, hidden, xs, ys);

  // The damped GGN-vector product (J^T J + λI) v: u = J v by forward mode, then J^T u by
  // reverse mode, reusing one pullback of the residuals at t for every v.
  const gaussNewton = (t: Float64Array) => {
    const [r, pullback] = residualsVjp(t, hidden, xs, ys) as [Float64Array, (u: Float64Array) => Float64Array];
    const g = Float64Array.from(pullback(r)); // J^T r, the gradient of 1/2 |r|^2
    const times = (v: Float64Array, lambda: number) => {
      const Jv = residualsJvp(t, hidden, xs, ys, v)[1] as Float64Array;
      const JtJv = pullback(Jv);
      for (let i = 0; i < v.length; i++) JtJv[i] += lambda * v[i];
      return JtJv;
    };
    return { g, times };
  };
  const stepFrom = (t: Float64Array, lambda: number) => {
    const { g, times } = gaussNewton(t);
    return { g, ...conjugateGradient((v) => times(v, lambda), g, 2 * n, 1e-10) };
  };

  // Checks at the start: the gradient J^T r against central differences of the loss, and
  // J^T J v against the product with an explicit Jacobian (forward and reverse mode).
  const { g, times } = gaussNewton(theta);
  const gradErr = maxRelError(g, centralGradient(f, theta));
  const Jf = jacobian(residuals, { mode: "forward" })(theta, hidden, xs, ys) as Float64Array;
  const Jr = jacobian(residuals, { mode: "reverse" })(theta, hidden, xs, ys) as Float64Array;
  const v = fill(n, normal);
  const Jv = new Float64Array(m);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) Jv[i] += Jf[i * n + j] * v[j];
  const JtJv = new Float64Array(n);
  for (let j = 0; j < n; j++) for (let i = 0; i < m; i++) JtJv[j] += Jf[i * n + j] * Jv[i];
  const ggnErr = maxRelError(times(v, 0), JtJv);
  const jacErr = maxRelError(Jf, Jr);
  console.log(`  J^T r vs central differences of the loss: ${verdict(gradErr, 1e-6)}`);
  console.log(`  jacobian forward vs reverse: ${verdict(jacErr, 1e-12)}; J^T J v via jvp + vjp vs explicit J: ${verdict(ggnErr, 1e-12)}`);

  // One step from theta each way: damped Gauss-Newton, and the gradient scaled to the same length.
  const lambda = 1;
  const { p, iterations, residual } = stepFrom(theta, lambda);
  const scale = norm(p) / norm(g);
  const gnStep = Float64Array.from(theta, (t, i) => t - p[i]);
  const gdStep = Float64Array.from(theta, (t, i) => t - scale * g[i]);
  console.log(`  λ = ${lambda}, step length ${norm(p).toFixed(4)}; CG: ${iterations} iterations, relative residual ${residual.toExponential(1)}`);
  printTable([
    ["", "loss", "decrease"],
    ["start", f(theta).toFixed(6), ""],
    ["Gauss-Newton step", f(gnStep).toFixed(6), (f(theta) - f(gnStep)).toFixed(6)],
    ["gradient step, same length", f(gdStep).toFixed(6), (f(theta) - f(gdStep)).toFixed(6)],
  ]);
  const better = f(gnStep) < f(gdStep) && f(gnStep) < f(theta);
  console.log(`  Gauss-Newton step beats the gradient step: ${better ? "ok" : "NO"}`);

  // Then Levenberg-Marquardt: keep a step that lowers the loss and shrink λ, else grow λ.
  const t = Float64Array.from(theta);
  const losses = [f(t)];
  for (let k = 0, lm = lambda; k < 10; k++) {
    const q = stepFrom(t, lm).p;
    const trial = Float64Array.from(t, (ti, i) => ti - q[i]);
    if (f(trial) < f(t)) {
      t.set(trial);
      lm /= 3;
    } else lm *= 4;
    losses.push(f(t));
  }
  console.log(`  10 Levenberg-Marquardt steps: loss ${losses.map((l) => l.toPrecision(3)).join(" -> ")}`);
  const reduced = losses[losses.length - 1] < 0.05 * losses[0];
  console.log(`  loss reduced 20-fold: ${reduced ? "ok" : "NO"}`);
  return gradErr <= 1e-6 && jacErr <= 1e-12 && ggnErr <= 1e-12 && better && reduced;
}

export const example: Example = {
  title: "Gauss-Newton step with J^T J v from `jvp` + `vjp` in conjugate gradient, tanh net, 19 parameters",
  run,
};
