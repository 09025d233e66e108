// GradBench's lse eval (evals/lse/README.md): log-sum-exp with the max shifted out,
// LSE(x) = a + log Σ_i exp(x_i − a), a = max_i x_i, and its gradient from gradc.
import { grad } from "gradc";
import { evalFunction } from "../eval.js";
import { withOut } from "./common/out.js";

interface Input {
  x: number[];
}

export function logsumexp(x: Float64Array): number {
  const n = x.length;
  let top = 0; // the index of the max
  for (let i = 1; i < n; i++) top = x[i] > x[top] ? i : top;
  const a = x[top];
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.exp(x[i] - a);
  return Math.log(s) + a;
}

const logsumexpGrad = withOut<Float64Array>()(grad(logsumexp));

interface Args {
  x: Float64Array;
  out: Float64Array;
}

function prepare(input: Input): Args {
  return { x: Float64Array.from(input.x), out: new Float64Array(input.x.length) };
}

export const functions = {
  primal: evalFunction({ prepare, run: (a: Args) => logsumexp(a.x), output: (y: number) => y }),
  gradient: evalFunction({ prepare, run: (a: Args) => logsumexpGrad(a.x, a.out), output: (g: Float64Array) => Array.from(g) }),
};
