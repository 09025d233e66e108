// GradBench's particle eval (evals/particle/README.md): a unit charge starts at (0, 8)
// with velocity (0.75, 0) in the field of charges at (10, 10 − w) and (10, 0); naive
// Euler steps (Δt = 0.1) with acceleration −∇ₓp, p(x) = Σ 1/‖x − cᵢ‖, until it
// crosses the x axis, and the crossing point x(t_f) is found by linear interpolation.
// The argmin over w of x₀(t_f)² is found by GradBench's gradient descent
// (cpp/gradbench/gd.hpp). ∇ₓp inside the integration is an inner derivative (reverse:
// grad, forward: one jvp per coordinate) and the descent's d/dw (reverse: grad,
// forward: jvp) goes through it: all from gradc.
import { grad, jvp } from "gradc";
import { evalFunction } from "../eval.js";

/** The potential at (px, py) of unit charges at (c1x, c1y) and (c2x, c2y). */
export function potential(c1x: number, c1y: number, c2x: number, c2y: number, px: number, py: number): number {
  return 1 / Math.hypot(px - c1x, py - c1y) + 1 / Math.hypot(px - c2x, py - c2y);
}

/** x₀(t_f)² for control w, the force −∇ₓp by reverse mode. */
export function naiveEulerR(w: number): number {
  const c1y = 10 - w;
  let x = 0;
  let y = 8;
  let vx = 0.75;
  let vy = 0;
  const dt = 0.1;
  while (true) {
    const [gx, gy] = grad(potential, { wrt: ["px", "py"] })(10, c1y, 10, 0, x, y);
    x += dt * vx;
    y += dt * vy;
    if (y <= 0) break;
    vx -= dt * gx;
    vy -= dt * gy;
  }
  const dtf = -y / vy;
  const xf = x + dtf * vx;
  return xf * xf;
}

/** The same, the force by forward mode: one jvp per coordinate. */
export function naiveEulerF(w: number): number {
  const c1y = 10 - w;
  let x = 0;
  let y = 8;
  let vx = 0.75;
  let vy = 0;
  const dt = 0.1;
  while (true) {
    const gx = jvp(potential, { wrt: "px" })(10, c1y, 10, 0, x, y, 1)[1];
    const gy = jvp(potential, { wrt: "py" })(10, c1y, 10, 0, x, y, 1)[1];
    x += dt * vx;
    y += dt * vy;
    if (y <= 0) break;
    vx -= dt * gx;
    vy -= dt * gy;
  }
  const dtf = -y / vy;
  const xf = x + dtf * vx;
  return xf * xf;
}

const dEulerRR = grad(naiveEulerR);
const dEulerRF = grad(naiveEulerF);
const dEulerFR = jvp(naiveEulerR);
const dEulerFF = jvp(naiveEulerF);

/** GradBench's multivariate_argmin in one dimension from w0. */
function argmin(f: (w: number) => number, df: (w: number) => number, w0: number): number {
  let w = w0;
  let fw = f(w);
  let g = df(w);
  let i = 0;
  let eta = 1e-5;
  while (Math.abs(g) > 1e-5) {
    if (i === 10) {
      eta *= 2;
      i = 0;
      continue;
    }
    const next = w - eta * g;
    if (Math.abs(w - next) <= 1e-5) break;
    const fn = f(next);
    if (fn < fw) {
      w = next;
      fw = fn;
      g = df(w);
      i++;
    } else {
      eta /= 2;
      i = 0;
    }
  }
  return w;
}

interface Input {
  w: number;
}

function variant(f: (w: number) => number, df: (w: number) => number) {
  return evalFunction({ prepare: (input: Input) => input.w, run: (w0: number) => argmin(f, df, w0), output: (w: number) => w });
}

export const functions = {
  rr: variant(naiveEulerR, dEulerRR),
  rf: variant(naiveEulerF, dEulerRF),
  fr: variant(naiveEulerR, (w) => dEulerFR(w, 1)[1]),
  ff: variant(naiveEulerF, (w) => dEulerFF(w, 1)[1]),
};
