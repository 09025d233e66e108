// GradBench's llsq eval (evals/llsq/README.md): the linear least squares objective
// y(x) = ½ Σ_i (s_i − Σ_j x_j t_i^j)², t_i = −1 + 2i/(n−1), s_i = sign(t_i), and its
// gradient in x, from gradc.
import { grad } from "gradc";
import { evalFunction } from "../eval.js";
import { withOut } from "./common/out.js";

interface Input {
  x: number[];
  n: number;
}

export function llsq(x: Float64Array, n: number): number {
  const m = x.length;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const t = -1 + (i * 2) / (n - 1);
    // Σ_j x_j t^j by Horner's rule in t², even and odd coefficients apart (two
    // independent chains of multiply-adds)
    const tt = t * t;
    let even = m % 2 === 1 ? x[m - 1] : 0;
    let odd = 0;
    for (let k = Math.floor(m / 2) - 1; k >= 0; k--) {
      even = even * tt + x[2 * k];
      odd = odd * tt + x[2 * k + 1];
    }
    const residual = Math.sign(t) - (even + t * odd);
    sum += residual * residual;
  }
  return sum / 2;
}

const llsqGrad = withOut<Float64Array>()(grad(llsq, { wrt: 0 }));

interface Args {
  x: Float64Array;
  n: number;
  out: Float64Array;
}

function prepare(input: Input): Args {
  return { x: Float64Array.from(input.x), n: input.n, out: new Float64Array(input.x.length) };
}

export const functions = {
  primal: evalFunction({ prepare, run: (a: Args) => llsq(a.x, a.n), output: (y: number) => y }),
  gradient: evalFunction({ prepare, run: (a: Args) => llsqGrad(a.x, a.n, a.out), output: (g: Float64Array) => Array.from(g) }),
};
