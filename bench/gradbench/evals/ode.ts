// GradBench's ode eval (evals/ode/README.md, cmpad's an_ode): y′_0 = x_0,
// y′_i = x_i·y_{i−1} (i > 0), y(0) = 0, integrated to t = 2 by s steps of classic
// Runge-Kutta (RK4); the primal is y(2), the gradient that of its last entry in x,
// from gradc.
import { grad } from "gradc";
import { evalFunction } from "../eval.js";
import { withOut } from "./common/out.js";

interface Input {
  x: number[];
  s: number;
}

/** z = f(y): z_0 = x_0, z_i = x_i·y_{i−1}. */
function slope(n: number, x: Float64Array, y: Float64Array, z: Float64Array): void {
  z[0] = x[0];
  for (let i = 1; i < n; i++) z[i] = x[i] * y[i - 1];
}

/** y(2) into y, by s RK4 steps; k1…k4 and tmp are scratch of x's length. */
export function integrate(x: Float64Array, s: number, y: Float64Array, k1: Float64Array, k2: Float64Array, k3: Float64Array, k4: Float64Array, tmp: Float64Array): void {
  const n = x.length;
  const h = 2 / s;
  y.fill(0);
  for (let step = 0; step < s; step++) {
    slope(n, x, y, k1);
    for (let i = 0; i < n; i++) tmp[i] = y[i] + (h * k1[i]) / 2;
    slope(n, x, tmp, k2);
    for (let i = 0; i < n; i++) tmp[i] = y[i] + (h * k2[i]) / 2;
    slope(n, x, tmp, k3);
    for (let i = 0; i < n; i++) tmp[i] = y[i] + h * k3[i];
    slope(n, x, tmp, k4);
    for (let i = 0; i < n; i++) y[i] += (h * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i])) / 6;
  }
}

/** The last entry of y(2): what the gradient is of. */
export function lastState(x: Float64Array, s: number, y: Float64Array, k1: Float64Array, k2: Float64Array, k3: Float64Array, k4: Float64Array, tmp: Float64Array): number {
  integrate(x, s, y, k1, k2, k3, k4, tmp);
  return y[x.length - 1];
}

const lastStateGrad = withOut<Float64Array>()(grad(lastState, { wrt: 0 }));

interface Args {
  x: Float64Array;
  s: number;
  scratch: Float64Array[]; // y, k1, k2, k3, k4, tmp
  out: Float64Array;
}

function prepare(input: Input): Args {
  const n = input.x.length;
  return { x: Float64Array.from(input.x), s: input.s, scratch: Array.from({ length: 6 }, () => new Float64Array(n)), out: new Float64Array(n) };
}

function primal(a: Args): Float64Array {
  const [y, k1, k2, k3, k4, tmp] = a.scratch;
  integrate(a.x, a.s, y, k1, k2, k3, k4, tmp);
  return y;
}

function gradient(a: Args): Float64Array {
  const [y, k1, k2, k3, k4, tmp] = a.scratch;
  return lastStateGrad(a.x, a.s, y, k1, k2, k3, k4, tmp, a.out);
}

export const functions = {
  primal: evalFunction({ prepare, run: primal, output: (y: Float64Array) => Array.from(y) }),
  gradient: evalFunction({ prepare, run: gradient, output: (g: Float64Array) => Array.from(g) }),
};
