// Reverse mode over derivative code that reassigns arrays: a loss calling the gradient of a
// function that writes `h = next` in a loop (new arrays each step), swaps two buffers, or
// reassigns an array in a branch, itself differentiated in every mode (reverse over
// reverse included), called at top level and inside a loop of the loss; and grad(grad(f)),
// grad(grad(grad(f))) of such a function. The derivative code keeps array references on
// its tapes; the outer reverse keeps their derivative arrays on a tape in step. Both paths,
// against central differences at several random points.
import { describe, expect, test } from "vitest";
import * as gradc from "../index.js";
import { maxRelError, numericGradient, relError } from "../runtime/numeric.js";
import { makeRng, seedOf, type Rng } from "./corpus/rng.js";
import { bothPaths, loadBothPaths, requestsOf, type Case } from "./modes-check.js";

const MODULE = `import { grad, valueAndGrad, jvp, vjp, hvp, hessian, jacobian } from "gradc";

export function recurrence(x: Float64Array, w: number): number {
  let h = new Float64Array(x.length);
  for (let t = 0; t < 3; t++) {
    const next = new Float64Array(h.length);
    for (let i = 0; i < h.length; i++) next[i] = Math.tanh(w * h[i] + x[i] * (t + 1));
    h = next;
  }
  let s = 0;
  for (let i = 0; i < h.length; i++) s += h[i] * h[i] * x[i];
  return s;
}

export function swaps(x: Float64Array): number {
  let a = Float64Array.from(x);
  let b = new Float64Array(x.length);
  for (let t = 0; t < 4; t++) {
    for (let i = 0; i < a.length; i++) b[i] = Math.sin(a[i] + 0.5 * a[(i + 1) % a.length]) * x[i];
    const tmp = a;
    a = b;
    b = tmp;
  }
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] + b[i] * b[i];
  return s;
}

export function branchy(x: Float64Array, s: number): number {
  let v = x;
  if (s > 0) {
    const y = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) y[i] = Math.exp(s * x[i]);
    v = y;
  }
  let r = 0;
  for (let i = 0; i < v.length; i++) r += v[i] * x[i];
  return r;
}

export function scalarChain(s: number): number {
  let h = new Float64Array(3).fill(s);
  for (let t = 0; t < 3; t++) {
    const next = new Float64Array(3);
    for (let i = 0; i < 3; i++) next[i] = Math.sin(h[i] * (i + 1) + s);
    h = next;
  }
  return h[0] * h[1] + h[2];
}

export function gradRecurrence(x: Float64Array, w: number): number {
  const g = grad(recurrence)(x, w);
  let s = grad(recurrence, { wrt: 1 })(x, w);
  for (let i = 0; i < g.length; i++) s += g[i] * g[i];
  return s;
}

export function gradSwaps(x: Float64Array): number {
  const g = grad(swaps)(x);
  let s = 0;
  for (let i = 0; i < g.length; i++) s += g[i] * x[i];
  return s;
}

export function gradInLoop(x: Float64Array, s: number): number {
  const d = grad(branchy);
  let r = 0;
  for (let k = 0; k < 3; k++) {
    const g = d(x, s * (k - 0.5));
    for (let i = 0; i < g.length; i++) r += Math.sin(g[i]) * (k + 1);
  }
  return r;
}

export const d2 = grad(grad(scalarChain));
export const d3 = grad(grad(grad(scalarChain)));
`;

const ALL = ["vg", "jvp", "vjp", "hvp", "hessian"] as const;

/** s away from 0 (branchy's branch) by at least 0.2 for every k in gradInLoop. */
const offBranch = (r: Rng) => r.signed(0.45, 1.2);

const CASES: Case[] = [
  { name: "gradRecurrence", f: () => loaded.source.gradRecurrence, functions: ["recurrence"], modes: [...ALL], wrt: [0, 1], args: (r) => [r.f64(r.int(1, 4), -1, 1), r.uniform(-1, 1)] },
  { name: "gradSwaps", f: () => loaded.source.gradSwaps, functions: ["swaps"], modes: [...ALL], wrt: [0], args: (r) => [r.f64(r.int(1, 4), -1, 1)] },
  { name: "gradInLoop", f: () => loaded.source.gradInLoop, functions: ["branchy"], modes: [...ALL], wrt: [0, 1], args: (r) => [r.f64(r.int(1, 4), -1, 1), offBranch(r)] },
];

const loaded = loadBothPaths("nested-reassign", MODULE, `${MODULE}\n${requestsOf(CASES)}\n`);
const POINTS = 3;
bothPaths(CASES, loaded, POINTS);

describe("the inner gradients and the composed API", () => {
  test("the gradients the losses call agree with central differences of the inner functions", () => {
    const inner: [string, (r: Rng) => unknown[], number[]][] = [
      ["recurrence", (r) => [r.f64(3, -1, 1), r.uniform(-1, 1)], [0, 1]],
      ["swaps", (r) => [r.f64(3, -1, 1)], [0]],
      ["branchy", (r) => [r.f64(3, -1, 1), offBranch(r)], [0, 1]],
    ];
    for (const [name, args, wrt] of inner) {
      for (let k = 0; k < POINTS; k++) {
        const a = args(makeRng(seedOf(name, k)));
        for (const w of wrt) {
          const got = gradc.grad(loaded.source[name], { wrt: w })(...a);
          expect(maxRelError(got, numericGradient(loaded.source[name], a, w)), `${name} wrt ${w}`).toBeLessThan(1e-6);
        }
      }
    }
  });

  test("grad(grad(f)) and grad(grad(grad(f))) of a function reassigning arrays, on both paths", () => {
    const fn = loaded.source.scalarChain;
    const d1 = gradc.grad(fn);
    const runTime = { d2: gradc.grad(gradc.grad(fn)), d3: gradc.grad(gradc.grad(gradc.grad(fn))) };
    for (let k = 0; k < POINTS; k++) {
      const s = makeRng(seedOf("scalarChain", k)).uniform(-1, 1);
      const h = 1e-5;
      const d2 = (d1(s + h) - d1(s - h)) / (2 * h);
      const d3 = (runTime.d2(s + h) - runTime.d2(s - h)) / (2 * h);
      for (const [path, got] of [["run time", runTime], ["build", loaded.built]] as const) {
        expect(relError(got.d2(s), d2), `${path} d2 at ${s}`).toBeLessThan(1e-6);
        expect(relError(got.d3(s), d3), `${path} d3 at ${s}`).toBeLessThan(1e-6);
      }
      expect(relError(d1(s), numericGradient(fn, [s], 0) as number), `d1 at ${s}`).toBeLessThan(1e-6);
    }
  });
});
