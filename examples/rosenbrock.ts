// The Rosenbrock function in n dimensions: a narrow curved valley, a standard
// test for optimisers. Minimum 0 at x = (1, ..., 1).
import { valueAndGrad } from "gradc";
import { type Demo, fill } from "./demo.js";

export function rosenbrock(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i + 1 < x.length; i++) {
    const a = x[i + 1] - x[i] * x[i];
    const b = 1 - x[i];
    s += 100 * a * a + b * b;
  }
  return s;
}

// Gradient with respect to the first (and only) parameter.
export const rosenbrockGrad = valueAndGrad(rosenbrock);

export const demo: Demo = {
  title: "Rosenbrock, n = 1,000, from the classic start (-1.2, 1, -1.2, 1, ...)",
  loss: rosenbrock,
  request: "rosenbrockGrad",
  wrt: [0],
  args: () => [fill(1000, alternate(-1.2, 1))],
};

function alternate(a: number, b: number): () => number {
  let i = 0;
  return () => (i++ % 2 === 0 ? a : b);
}
