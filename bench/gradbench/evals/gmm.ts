// GradBench's gmm eval (evals/gmm/README.md; ADBench's gmm objective as
// cpp/gradbench/evals/gmm.hpp computes it): the log-likelihood of n points x under a
// mixture of k Gaussians in d dimensions with weights alpha, means mu and inverse
// covariance factors Q_k = diag(exp q_k) + strictly lower l_k, plus a Wishart prior
// (γ, m), and its gradient in (alpha, mu, q, l) from gradc — one reverse sweep for all
// four.
import { grad } from "gradc";
import { evalFunction } from "../eval.js";
import { withOut } from "./common/out.js";

interface Input {
  d: number;
  k: number;
  n: number;
  x: number[][];
  m: number;
  gamma: number;
  alpha: number[];
  mu: number[][];
  q: number[][];
  l: number[][];
}

export interface Mixture {
  alpha: Float64Array; // k
  mu: Float64Array; // k×d
  q: Float64Array; // k×d: log of Q_k's diagonal
  l: Float64Array; // k×d(d−1)/2: Q_k's strictly lower part, column by column
}

/** log Σ_i exp v_i over v[from…from+len), with the max shifted out. */
function logsumexp(v: Float64Array, from: number, len: number): number {
  let top = from;
  for (let i = from + 1; i < from + len; i++) top = v[i] > v[top] ? i : top;
  const a = v[top];
  let s = 0;
  for (let i = from; i < from + len; i++) s += Math.exp(v[i] - a);
  return Math.log(s) + a;
}

/** log Γ(a) for a ≥ 1/2 a multiple of 1/2 (the only arguments the prior's constant has). */
function logGammaHalfInteger(a: number): number {
  let s = 0;
  let b = a;
  while (b > 1) {
    b -= 1;
    s += Math.log(b);
  }
  return b === 1 ? s : s + 0.5 * Math.log(Math.PI);
}

export function gmmObjective(p: Mixture, x: Float64Array, d: number, k: number, n: number, gamma: number, m: number): number {
  const lsz = (d * (d - 1)) / 2;
  const qdiag = new Float64Array(d * k);
  const sumq = new Float64Array(k);
  for (let i = 0; i < d * k; i++) qdiag[i] = Math.exp(p.q[i]);
  for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) sumq[c] += p.q[c * d + j];

  const centered = new Float64Array(d);
  const main = new Float64Array(k);
  let slse = 0;
  for (let ix = 0; ix < n; ix++) {
    for (let c = 0; c < k; c++) {
      for (let j = 0; j < d; j++) centered[j] = x[ix * d + j] - p.mu[c * d + j];
      // sq = |Q_c · centered|², row j of Q_c · centered being
      // exp(q_cj)·centered_j + Σ_{i<j} L_c[j, i]·centered_i (L_c[j, i] is l[c·lsz + i(2d−i−1)/2 + j−i−1])
      let sq = 0;
      for (let j = 0; j < d; j++) {
        let row = qdiag[c * d + j] * centered[j];
        for (let i = 0; i < j; i++) row += p.l[c * lsz + (i * (2 * d - i - 1)) / 2 + j - i - 1] * centered[i];
        sq += row * row;
      }
      main[c] = p.alpha[c] + sumq[c] - 0.5 * sq;
    }
    slse += logsumexp(main, 0, k);
  }
  const constant = -n * d * 0.5 * Math.log(2 * Math.PI);
  let err = constant + slse - n * logsumexp(p.alpha, 0, k);

  // log Wishart prior
  const nw = d + m + 1;
  let logGammaD = 0.25 * d * (d - 1) * Math.log(Math.PI);
  for (let j = 1; j <= d; j++) logGammaD += logGammaHalfInteger(0.5 * nw + 0.5 * (1 - j));
  const C = nw * d * (Math.log(gamma) - 0.5 * Math.log(2)) - logGammaD;
  let prior = 0;
  for (let c = 0; c < k; c++) {
    let frobenius = 0;
    for (let j = 0; j < d; j++) frobenius += qdiag[c * d + j] * qdiag[c * d + j];
    for (let j = 0; j < lsz; j++) frobenius += p.l[c * lsz + j] * p.l[c * lsz + j];
    prior += 0.5 * gamma * gamma * frobenius - m * sumq[c];
  }
  err += -prior + k * C;
  return err;
}

const gmmGrad = withOut<Mixture>()(grad(gmmObjective, { wrt: 0 }));

interface Args {
  p: Mixture;
  x: Float64Array;
  d: number;
  k: number;
  n: number;
  gamma: number;
  m: number;
  out: Mixture;
}

function prepare(input: Input): Args {
  const { d, k, n, gamma, m } = input;
  const p = { alpha: Float64Array.from(input.alpha), mu: Float64Array.from(input.mu.flat()), q: Float64Array.from(input.q.flat()), l: Float64Array.from(input.l.flat()) };
  const out = { alpha: new Float64Array(k), mu: new Float64Array(k * d), q: new Float64Array(k * d), l: new Float64Array(p.l.length) };
  return { p, x: Float64Array.from(input.x.flat()), d, k, n, gamma, m, out };
}

const rows = (a: Float64Array, width: number) => Array.from({ length: a.length / width }, (_, i) => Array.from(a.subarray(i * width, (i + 1) * width)));

export const functions = {
  objective: evalFunction({ prepare, run: (a: Args) => gmmObjective(a.p, a.x, a.d, a.k, a.n, a.gamma, a.m), output: (y: number) => y }),
  jacobian: evalFunction({
    prepare,
    run: (a: Args) => ({ g: gmmGrad(a.p, a.x, a.d, a.k, a.n, a.gamma, a.m, a.out), d: a.d, k: a.k }),
    output: ({ g, d, k }: { g: Mixture; d: number; k: number }) => ({ alpha: Array.from(g.alpha), mu: rows(g.mu, d), q: rows(g.q, d), l: rows(g.l, g.l.length / k) }),
  }),
};
