// hvp(g)(a, b, v) inside a differentiated loss, g with two array parameters: H·v with
// respect to a is an array as long as a also where g is linear in a (its derivative code
// then has no H·v buffer: the result is zeros, not the number 0), and wherever the loss
// indexes, writes or copies it. Every mode on both paths against central differences.
import { describe } from "vitest";
import { bothPaths, loadBothPaths, requestsOf, type Case } from "./modes-check.js";
import type { Rng } from "./corpus/rng.js";

const MODULE = `import { grad, valueAndGrad, jvp, vjp, hvp, hessian } from "gradc";

export function linearInA(a: Float64Array, b: Float64Array, k: number): number {
  return a[0] + a[1] * k + b[0] * b[1];
}

export function curved(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.sin(a[i] * b[i]) + a[i] * a[i] * b[(i + 1) % b.length];
  return s;
}

export function viaLinear(x: Float64Array, y: Float64Array): number {
  const h = hvp(linearInA)(x, y, x[0], y);
  h[0] += x[1] * y[0];
  const c = new Float64Array(h.length);
  c.set(h);
  let s = 0;
  for (let i = 0; i < h.length; i++) s += h[i] * x[i] + c[i] * c[i];
  return s + Math.sin(x[0] * y[1]);
}

export function viaCurved(x: Float64Array, y: Float64Array): number {
  const v = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) v[i] = y[i] * x[i];
  const h = hvp(curved)(x, y, v);
  let s = 0;
  for (let i = 0; i < h.length; i++) s += h[i] * h[i] * 0.1 + x[i] * y[i];
  return s;
}
`;

const MODES = ["vg", "jvp", "vjp", "hvp", "hessian"] as const;
const pair = (r: Rng) => [Float64Array.from({ length: 3 }, () => r.uniform(-1, 1)), Float64Array.from({ length: 3 }, () => r.uniform(-1, 1))];
const CASES: Case[] = [
  { name: "viaLinear", f: () => loaded.source.viaLinear, modes: [...MODES], wrt: [0, 1], args: pair, functions: ["linearInA"] },
  { name: "viaCurved", f: () => loaded.source.viaCurved, modes: [...MODES], wrt: [0, 1], args: pair, functions: ["curved"] },
];

const loaded = loadBothPaths("nested-hvp", `${MODULE}\n${requestsOf(CASES)}\n`);

describe("hvp(g)(a, b, v) of a g with two array parameters, inside a differentiated loss", () => {
  bothPaths(CASES, loaded, 3);
});
