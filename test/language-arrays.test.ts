// Plain arrays (issue 11): number[] parameters and locals, array literals (locals, helper
// arguments, returned vectors), new Array(n).fill, array destructuring (declarations,
// parameters, for…of), boolean[] data, and lists — Arrays of typed arrays, of number[]
// (matrix rows X[i][j]), of parameter objects and of tuples — whose loops and callback
// methods are unrolled, and whose rows are read by run-time indices through if-chains.
// Each loss is differentiated on both paths (the run-time API, and compileModule's module
// imported) in every mode it supports — valueAndGrad, jvp, vjp, hvp, hessian, jacobian —
// and checked against central differences at several random points; gradients must come
// back in the arguments' structure (a number[] as a number[], a list as an Array).
import * as path from "node:path";
import { Project, ts } from "ts-morph";
import { describe, expect, test } from "vitest";
import { compileModule } from "../compiler/compile-module.js";
import * as gradc from "../index.js";
import { makeRng, seedOf, type Rng } from "./corpus/rng.js";
import { bothPaths, loadBothPaths, requestsOf, type Case } from "./modes-check.js";
import { gradRefusal } from "./thrown.js";

// ---- the losses: one module for the build path, the same functions at run time ----

const MODULE = `import { grad, valueAndGrad, jvp, vjp, hvp, hessian, jacobian } from "gradc";

export function rosen(x: number[]): number {
  let s = 0;
  for (let i = 0; i + 1 < x.length; i++) s += 100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2;
  return s;
}

export function sumSquares(v: Float64Array): number {
  let s = 0;
  for (const e of v) s += e * e;
  return s;
}

export function literals(a: number, b: number, w: number[]): number {
  const v = [1, a * a, b, a * b];
  const u = [w[0] * b, Math.sin(a)];
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * w[i % w.length];
  return s + sumSquares(u) + sumSquares([a, b * b]) + u[1] * v[3];
}

export function polar(a: number, b: number): number[] {
  const r = Math.sqrt(a ** 2 + b ** 2);
  const theta = Math.atan2(b, a);
  return [r, theta * r];
}

export function destructuring(abc: number[], [p, q]: number[]): number {
  const [a, b, c] = abc;
  const [, second] = [a * c, b * p];
  return a * b + Math.exp(c) * q + second * second;
}

export function zeros(x: number[], mask: boolean[]): number {
  const acc = new Array(x.length).fill(0);
  for (let i = 0; i < x.length; i++) acc[i] = mask[i] ? x[i] * x[i] : Math.cos(x[i]);
  let s = 0;
  for (const e of acc) s += e * x[0];
  return s;
}

export function rows(X: [number[], number[], number[]], w: number[]): number {
  let s = 0;
  for (let i = 0; i < X.length; i++) {
    let z = 0;
    for (let j = 0; j < w.length; j++) z += X[i][j] * w[j];
    s += Math.tanh(z) * X[i][0];
  }
  return s + X[2][1] * X[0][0];
}

export function mlp(layers: [{ W: Float64Array; b: Float64Array }, { W: Float64Array; b: Float64Array }], x: Float64Array): number {
  // Two layers of width 2 on an input of 2.
  let h0 = x[0], h1 = x[1];
  for (const { W, b } of layers) {
    const z0 = W[0] * h0 + W[1] * h1 + b[0];
    const z1 = W[2] * h0 + W[3] * h1 + b[1];
    h0 = Math.tanh(z0);
    h1 = Math.tanh(z1);
  }
  return h0 * h0 + h1;
}

export function tuples(params: [[Float64Array, number], [Float64Array, number]], x: number): number {
  let s = x;
  for (const [w, b] of params) {
    let z = b;
    for (let i = 0; i < w.length; i++) z += w[i] * s;
    s = Math.sin(z);
  }
  return s * params[1][1];
}

export function typedRows(A: [Float64Array, Float64Array], scale: number): number {
  const both = [A[1], A[0]];
  let s = 0;
  for (let i = 0; i < both.length; i++) {
    if (i > 0 && s > 100) break;
    for (let j = 0; j < both[i].length; j++) s += both[i][j] * both[i][j] * (i + 1) * scale;
  }
  return s;
}

export function dynamicRows(X: [number[], number[], number[]], v: number[], t: [number, number, number], k: number): number {
  // X[i][j], X[i].length and t[k] with i and k known only at run time: if-chains.
  let s = 0;
  for (let j = 0; j < X[0].length; j++) {
    let z = 0;
    for (let i = 0; i < v.length; i++) z += v[i] * X[i][j] * X[i].length;
    s += Math.sin(z);
  }
  return s + X[k][1] * X[k][0] + t[k] * t[k] * v[0];
}

export function listMethods(input: [number[], number[], number[]], W: number[], ls: [Float64Array, Float64Array]): number {
  // map, reduce, reduceRight, forEach and slice over lists, unrolled; map to numbers is a Float64Array, to arrays a list.
  const h = input.map((row) => row.reduce((s, v, j) => s + v * W[j], 0));
  const p = h.map((z) => 0.5 * (Math.tanh(z) + 1));
  const sums = ls.map((w) => w[0] * w[1]);
  const tot = ls.reduceRight((s, w, i) => s * w[0] + i, 1);
  const pairs = ls.map((w) => [w[1], w[0] * w[0]]);
  let e = 0;
  input.forEach((row, i) => { e += row[0] * p[i]; });
  for (const row of input.slice(1, -1)) e += row[1] * row[1];
  return p.reduce((s, q) => s + Math.log(q), 0) + sums[0] + sums[1] * tot + pairs[1][1] + e;
}

export function arrayFrom(y: Float64Array, w: number[], n: number): number {
  const z = Array.from(y, (v) => v ** 2);
  const c = Array.from(w);
  c[0] = 5;
  const sq = Array.from({ length: n }, (_, i) => y[i] * (i + 1));
  const rows = Array.from({ length: 2 }, (_, i) => [y[i], w[i] * y[i]]);
  let s = 0;
  for (let i = 0; i < z.length; i++) s += z[i] * c[i % c.length];
  for (const q of sq) s += q * q;
  return s + rows[1][1] * rows[0][0] + w[0];
}

export function innerLoss(ws: [Float64Array, Float64Array], x: number[]): number {
  return ws[0][0] * ws[1][0] * x[0] * Math.sin(x[1]);
}

export function nestedGrad(ws: [Float64Array, Float64Array], x: number[]): number {
  // A gradient with respect to a list inside the loss is a list: iterated, indexed, of known length.
  const g = grad(innerLoss)(ws, x);
  let s = 0;
  for (const gi of g) s += gi[0] * gi[0];
  return g.length * s + g[1][0] * ws[0][0];
}

export function pack(W: Float64Array, b: number): [Float64Array, number] {
  const s = W[0] * b;
  return [W, s * s];
}

export function packs(W: Float64Array, b: number): number {
  // A helper returning a list, destructured and indexed.
  const [w, s] = pack(W, b);
  const l = pack(w, s);
  return l[1] + w[1] * s;
}

export function dynamicWrites(A: [number[], number[], number[]], v: number[], k: number): number {
  // xs[k][j] = e, +=, ++ with k known only at run time (if-chains storing into the row taken),
  // and a Cholesky factor written row by row through run-time indices (autograd's GP example).
  const M = A.map((row) => row.map((a) => a * v[0]));
  M[k][0] = v[1] * M[k][1];
  M[k][1] += M[2 - k][0] * v[0];
  M[k][2]++;
  M[k][0] *= M[k][2];
  const n = A.length;
  const S = A.map((r, i) => A.map((c, j) => r.reduce((s, x, t) => s + x * c[t], i === j ? 1 : 0)));
  const C = A.map(() => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = S[i][j];
      for (let t = 0; t < j; t++) s -= C[i][t] * C[j][t];
      C[i][j] = i === j ? Math.sqrt(s) : s / C[j][j];
    }
  }
  let logdet = 0;
  for (let i = 0; i < n; i++) logdet += Math.log(C[i][i]);
  return logdet + M[0][0] * M[1][1] + M[2][2] * M[k][1];
}

export function dynamicCalls(x: number, w: number[], k: number): number {
  // fs[k](…) on a list of functions: each branch of the chain inlines its own.
  const fs = [(a: number) => 3 * a * w[0], (a: number) => Math.sin(a) * w[1], (a: number, b = 2) => -a * b * x];
  const idx = Math.min(Math.max(k, 0), fs.length - 1);
  return fs[idx](x * x) + fs[(idx + 1) % fs.length](w[0] * x);
}

export function foriLoop<T>(lower: number, upper: number, body: (i: number, val: T) => T, init: T): T {
  let val = init;
  for (let i = lower; i < upper; i++) val = body(i, val);
  return val;
}

export function loopState(W: Float64Array, b: number, n: number): number {
  // Two arrays swapped in a list each iteration of a run-time loop, the other's square added to one.
  let pair = [W.map((x) => x + 1), W.map((x) => x * b)];
  for (let i = 0; i < n; i++) {
    pair = [pair[1], pair[0].map((x, j) => x + pair[1][j] ** 2)];
  }
  // Lists and objects reassigned in a run-time loop, each field set from the new value's (JAX's fori_loop state).
  const V = W.map((x) => x * b);
  const [, total] = foriLoop(0, n, (i: number, [w, t]: [Float64Array, number]): [Float64Array, number] => [w, t * b + w[i % w.length] ** 2], [W, b]);
  const out = foriLoop(0, n, (i: number, s: { w: Float64Array; z: number; inner: { c: number } }) => ({ w: s.w, z: s.z + Math.sin(s.w[0] * s.inner.c), inner: { c: s.inner.c * b } }), { w: V, z: 0, inner: { c: 1 } });
  return total + out.z * out.inner.c + pair[0][0] * pair[1][1];
}

export function layers(ws: [Float64Array, Float64Array], xs: [number[], number[]]): number {
  // A list of arrays reassigned in an unrolled for…of (MNIST's activations = activations.map(…)).
  let acts = xs;
  for (const w of ws) acts = acts.map((x) => x.map((v, j) => Math.tanh(v * w[j % w.length] + 0.5)));
  let s = 0;
  for (const a of acts) s += a[0] * a[1];
  return s;
}

export function gather(scale: number, ...parts: number[][]): number {
  let s = 0;
  for (const p of parts) for (let j = 0; j < p.length; j++) s += scale * p[j] * p[0];
  return s * parts.length;
}

export function restLists(w: number[], a: number[], b: Float64Array): number {
  // A rest parameter gathering arrays is a list.
  return gather(w[0], a, b) * gather(2, w) + gather(w[1], w, [a[0], b[1]], b);
}

export function aliasLists(X: [number[], number[]], y: number): number {
  // const Z = Y of a list: one list under two names, a write through one seen through the other.
  const Y = X.map((r) => r.map((v) => v * y));
  const Z = Y;
  Z[1][0] = y * Z[0][1];
  Y[0][1] += Z[1][0];
  return Y[1][0] * Z[0][1] + X[0][0];
}

export function innerState(W: Float64Array, b: number): number {
  let st = { z: b, y: { p: b, q: 1 } };
  for (let i = 0; i < W.length; i++) st = { z: st.z * Math.sin(W[i]) + b, y: { p: st.y.q * W[i], q: st.y.p + st.z } };
  const fs = [(a: number) => a * a, (a: number) => Math.exp(a)];
  const M = [W.map((x) => x * b), W.map((x) => x + b)];
  M[W.length % 2][0] *= st.z;
  return fs[W.length % 2](st.z) + M[0][0] * M[1][0] + st.y.p * st.y.q;
}

export function nestedState(W: Float64Array, b: number): number {
  // A gradient taken inside the loss, of a function with an object reassigned in a loop, a call and a write through run-time indices.
  const g = grad(innerState)(W, b);
  let s = 0;
  for (const x of g) s += x * x;
  return s + b * g[0];
}

export function patterns(W: Float64Array, V: Float64Array, b: number, n: number): number {
  // Destructuring assignments of arrays, numbers and objects in a run-time loop (an LSTM's [hiddens, cells] = update(…)), swaps too.
  function step(h: Float64Array, c: Float64Array, s: number): [Float64Array, Float64Array, number] {
    return [h.map((x, j) => Math.tanh(x * c[j] + s)), c.map((x) => x * s), s * 0.9 + h[0]];
  }
  let h = W.map((x) => x), c = V.map((x) => x * 2), s = b, t = 1;
  let o = { w: W.map((x) => x * b), z: b };
  for (let i = 0; i < n; i++) {
    [h, c, s] = step(h, c, s);
    [h, c] = [c, h];
    [t, s] = [s, t * s];
    [o, t] = [{ w: o.w.map((x, j) => x * h[j]), z: o.z * t }, t + o.z];
  }
  return h[0] * c[1] + s + t + o.w[1] * o.z;
}

export function rowMethods(X: [number[], number[], number[]], w: number[], n: number): number {
  // Methods of a row chosen by a run-time index: each branch calls it on its own row (an RNN's logprobs[t].reduce(…)).
  let s = 0;
  for (let t = 0; t < n; t++) s += X[t].reduce((a, v, k) => a + v * w[k % w.length] * X[t][k], 0) + (X[t].some((v) => v > 0.5) ? X[t][0] : 0);
  return s;
}

export function rebound(W: Float64Array, b: number): number {
  // A list and an object given values of another shape in straight-line code: bound anew when compiling.
  let xs: any[] = [W, b];
  const first = xs;
  xs = [W.map((x) => x * b), b * b, first[0]];
  let o: any = { a: b };
  o = { a: xs[1], c: xs[0] };
  return first[1] * xs[0][0] + xs[2][1] * o.a + o.c[1] + xs.length;
}
`;


const CASES: Case[] = [
  { name: "rosen", f: () => rosen, modes: ["vg", "jvp", "vjp", "hvp", "hessian", "jacobian"], wrt: [0], args: (r) => [numbers(r, r.int(2, 5), -1.5, 1.5)] },
  { name: "literals", f: () => literals, functions: ["sumSquares"], modes: ["vg", "jvp", "vjp", "hvp", "hessian"], wrt: [0, 1, 2], args: (r) => [r.uniform(-1, 1), r.uniform(-1, 1), numbers(r, 3, -1, 1)] },
  { name: "polar", f: () => polar, modes: ["jvp", "vjp", "jacobian"], wrt: [0, 1], vector: true, args: (r) => [r.signed(0.3, 2), r.signed(0.3, 2)] },
  { name: "destructuring", f: () => destructuring, modes: ["vg", "jvp", "vjp", "hvp", "hessian"], wrt: [0, 1], args: (r) => [numbers(r, 3, -1, 1), numbers(r, 2, -1, 1)] },
  { name: "zeros", f: () => zeros, modes: ["vg", "jvp", "vjp", "hvp", "hessian"], wrt: [0], args: (r) => [numbers(r, 4, -1, 1), Array.from({ length: 4 }, () => r.uniform(0, 1) < 0.5)] },
  { name: "rows", f: () => rows, modes: ["vg", "jvp", "vjp", "hvp", "hessian"], wrt: [0, 1], args: (r) => [Array.from({ length: 3 }, () => numbers(r, 2, -1, 1)), numbers(r, 2, -1, 1)] },
  { name: "mlp", f: () => mlp, modes: ["vg", "jvp", "vjp", "hvp", "hessian"], wrt: [0, 1], args: (r) => [[layer(r), layer(r)], r.f64(2, -1, 1)] },
  { name: "tuples", f: () => tuples, modes: ["vg", "jvp", "vjp", "hvp", "hessian"], wrt: [0, 1], args: (r) => [[[r.f64(2, -1, 1), r.uniform(-1, 1)], [r.f64(3, -1, 1), r.uniform(-1, 1)]], r.uniform(-1, 1)] },
  {
    name: "dynamicRows", f: () => dynamicRows, modes: ["vg", "jvp", "vjp", "hvp", "hessian"], wrt: [0, 1, 2],
    args: (r) => [Array.from({ length: 3 }, () => numbers(r, 2, -1, 1)), numbers(r, r.int(1, 3), -1, 1), numbers(r, 3, -1, 1), r.int(0, 2)],
  },
  {
    name: "listMethods", f: () => listMethods, modes: ["vg", "jvp", "vjp", "hvp", "hessian"], wrt: [0, 1, 2],
    args: (r) => [Array.from({ length: 3 }, () => numbers(r, 2, -1, 1)), numbers(r, 2, -1, 1), [r.f64(2, -1, 1), r.f64(2, -1, 1)]],
  },
  { name: "arrayFrom", f: () => arrayFrom, modes: ["vg", "jvp", "vjp", "hvp", "hessian"], wrt: [0, 1], args: (r) => [r.f64(3, -1, 1), numbers(r, 2, -1, 1), r.int(1, 3)] },
  { name: "nestedGrad", f: () => nestedGrad, functions: ["innerLoss"], modes: ["vg", "jvp", "vjp", "hvp", "hessian"], wrt: [0, 1], args: (r) => [[r.f64(1, -1, 1), r.f64(1, -1, 1)], numbers(r, 2, -1, 1)] },
  { name: "packs", f: () => packs, functions: ["pack"], modes: ["vg", "jvp", "vjp", "hvp", "hessian"], wrt: [0, 1], args: (r) => [r.f64(2, -1, 1), r.uniform(-1, 1)] },
  { name: "typedRows", f: () => typedRows, modes: ["vg", "jvp", "vjp", "hvp", "hessian"], wrt: [0, 1], args: (r) => [[r.f64(2, -1, 1), r.f64(3, -1, 1)], r.uniform(0.5, 2)] },
  {
    name: "dynamicWrites", f: () => dynamicWrites, modes: ["vg", "jvp", "vjp", "hvp", "hessian"], wrt: [0, 1],
    args: (r) => [Array.from({ length: 3 }, () => numbers(r, 3, -1, 1)), numbers(r, 2, -1, 1), r.int(0, 2)],
  },
  { name: "dynamicCalls", f: () => dynamicCalls, modes: ["vg", "jvp", "vjp", "hvp", "hessian"], wrt: [0, 1], args: (r) => [r.uniform(-1.5, 1.5), numbers(r, 2, -1, 1), r.int(-1, 3)] },
  { name: "loopState", f: () => loopState, functions: ["foriLoop"], modes: ["vg", "jvp", "vjp", "hvp", "hessian"], wrt: [0, 1], args: (r) => [r.f64(r.int(2, 4), -1, 1), r.uniform(-1, 1), r.int(0, 3)] },
  { name: "layers", f: () => layers, modes: ["vg", "jvp", "vjp", "hvp", "hessian"], wrt: [0, 1], args: (r) => [[r.f64(2, -1, 1), r.f64(3, -1, 1)], [numbers(r, 2, -1, 1), numbers(r, 3, -1, 1)]] },
  { name: "restLists", f: () => restLists, functions: ["gather"], modes: ["vg", "jvp", "vjp", "hvp", "hessian"], wrt: [0, 1, 2], args: (r) => [numbers(r, 2, -1, 1), numbers(r, 3, -1, 1), r.f64(2, -1, 1)] },
  { name: "nestedState", f: () => nestedState, functions: ["innerState"], modes: ["vg", "jvp", "vjp", "hvp", "hessian"], wrt: [0, 1], args: (r) => [r.f64(r.int(1, 3), -1, 1), r.uniform(-1, 1)] },
  { name: "patterns", f: () => patterns, modes: ["vg", "jvp", "vjp", "hvp", "hessian"], wrt: [0, 1, 2], args: (r) => [r.f64(2, -1, 1), r.f64(2, -1, 1), r.uniform(-1, 1), r.int(0, 3)] },
  { name: "rowMethods", f: () => rowMethods, modes: ["vg", "jvp", "vjp", "hvp", "hessian"], wrt: [0, 1], args: (r) => [Array.from({ length: 3 }, () => numbers(r, 2, -1, 1)), numbers(r, 2, -1, 1), r.int(0, 3)] },
  { name: "rebound", f: () => rebound, modes: ["vg", "jvp", "vjp", "hvp", "hessian"], wrt: [0, 1], args: (r) => [r.f64(2, -1, 1), r.uniform(-1, 1)] },
  { name: "aliasLists", f: () => aliasLists, modes: ["vg", "jvp", "vjp", "hvp", "hessian"], wrt: [0, 1], args: (r) => [[numbers(r, 2, -1, 1), numbers(r, 2, -1, 1)], r.uniform(-1, 1)] },
];

function layer(r: Rng): { W: Float64Array; b: Float64Array } {
  return { W: r.f64(4, -1, 1), b: r.f64(2, -1, 1) };
}

function numbers(r: Rng, n: number, lo: number, hi: number): number[] {
  return Array.from({ length: n }, () => r.uniform(lo, hi));
}

/** The request sites of the module: one per case and mode. */
// ---- the same functions at run time (their source is the module's) ----

const rosen = (...a: any[]) => loaded.source.rosen(...a);
const literals = (...a: any[]) => loaded.source.literals(...a);
const polar = (...a: any[]) => loaded.source.polar(...a);
const destructuring = (...a: any[]) => loaded.source.destructuring(...a);
const zeros = (...a: any[]) => loaded.source.zeros(...a);
const rows = (...a: any[]) => loaded.source.rows(...a);
const mlp = (...a: any[]) => loaded.source.mlp(...a);
const tuples = (...a: any[]) => loaded.source.tuples(...a);
const typedRows = (...a: any[]) => loaded.source.typedRows(...a);
const dynamicRows = (...a: any[]) => loaded.source.dynamicRows(...a);
const listMethods = (...a: any[]) => loaded.source.listMethods(...a);
const arrayFrom = (...a: any[]) => loaded.source.arrayFrom(...a);
const nestedGrad = (...a: any[]) => loaded.source.nestedGrad(...a);
const packs = (...a: any[]) => loaded.source.packs(...a);
const dynamicWrites = (...a: any[]) => loaded.source.dynamicWrites(...a);
const dynamicCalls = (...a: any[]) => loaded.source.dynamicCalls(...a);
const loopState = (...a: any[]) => loaded.source.loopState(...a);
const layers = (...a: any[]) => loaded.source.layers(...a);
const restLists = (...a: any[]) => loaded.source.restLists(...a);
const aliasLists = (...a: any[]) => loaded.source.aliasLists(...a);
const nestedState = (...a: any[]) => loaded.source.nestedState(...a);
const patterns = (...a: any[]) => loaded.source.patterns(...a);
const rowMethods = (...a: any[]) => loaded.source.rowMethods(...a);
const rebound = (...a: any[]) => loaded.source.rebound(...a);

const loaded = loadBothPaths("arrays", MODULE, `${MODULE}\n${requestsOf(CASES)}\n`);
const POINTS = 3;
bothPaths(CASES, loaded, POINTS);

test("build path: the generated module type-checks (number[] and tuple signatures, casts to the core's Float64Array)", () => {
  const project = new Project({
    compilerOptions: { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, allowImportingTsExtensions: true, lib: ["lib.es2022.d.ts"], types: [] },
    skipAddingFilesFromTsConfig: true,
  });
  const generated = project.addSourceFileAtPath(path.join(loaded.dir, "arrays.grad.ts"));
  project.resolveSourceFileDependencies();
  const text = (d: ts.Diagnostic) => ts.flattenDiagnosticMessageText(d.messageText, "\n");
  const where = (d: ts.Diagnostic) => `${d.file ? d.file.getLineAndCharacterOfPosition(d.start!).line + 1 : 0}: ${text(d)}`;
  expect(project.getProgram().compilerObject.getSemanticDiagnostics(generated.compilerNode).map(where)).toEqual([]);
}, 120_000);

test("nestedGrad's reference (which calls gradc's grad) equals the hand-written inner gradient", () => {
  for (let k = 0; k < POINTS; k++) {
    const [ws, x] = CASES.find((c) => c.name === "nestedGrad")!.args(makeRng(seedOf("nestedGrad", k))) as [Float64Array[], number[]];
    const [a, b] = [ws[0][0], ws[1][0]];
    const g = [b * x[0] * Math.sin(x[1]), a * x[0] * Math.sin(x[1])];
    expect(nestedGrad(ws, x)).toBeCloseTo(2 * (g[0] ** 2 + g[1] ** 2) + g[1] * a, 12);
  }
});

// ---- what stays refused ----

const refusal = gradRefusal;

describe("refused, with the location and the reason", () => {
  test("an element of a list taken as a value with an index known only at run time", () => {
    const e = refusal(function pick(ws: Float64Array[], k: number) { const w = ws[k]; return w[0]; }, [[new Float64Array(1), new Float64Array(1)], 1]);
    expect(e.construct).toBe("list index");
    expect(e.message).toMatch(/pick>:2:\d+/);
    expect(e.message).toMatch(/known only at run time/);
  });

  test("a list of objects indexed by a loop whose bound is not known when compiling", () => {
    const e = refusal(function upTo(ls: { w: number }[], n: number) { let s = 0; for (let i = 0; i < n; i++) s += ls[i].w; return s; }, [[{ w: 1 }], 1]);
    expect(e.construct).toBe("list index");
    expect(e.message).toMatch(/upTo>:\d+:\d+/);
    expect(e.message).toMatch(/xs\[k\]\[j\], xs\[k\]\.length/);
  });

  test("an index outside an Array of arrays throws a TypeError, as JavaScript does", () => {
    const row = (xs: number[][], k: number) => xs[k][0] * 2;
    expect(gradc.grad(row)([[1], [2]], 1)).toEqual([[0], [2]]);
    expect(() => gradc.grad(row)([[1], [2]], 2)).toThrow(TypeError);
  });

  test("an index outside a list written or called through throws a TypeError, as JavaScript does", () => {
    const write = (xs: number[][], k: number, v: number) => { xs[k][0] += v; return xs[0][0] * v; };
    expect(gradc.grad(write, { wrt: [0, 2] })([[1], [2]], 1, 3)).toEqual([[[3], [0]], 1]);
    expect(() => gradc.grad(write)([[1], [2]], 2, 3)).toThrow(TypeError);
    const past = (xs: number[][], k: number, v: number) => { xs[k][1] = v; return xs[0][0] * v; };
    expect(() => gradc.grad(past)([[1], [2]], 0, 3)).toThrow(RangeError);
    const call = (x: number, k: number) => { const fs = [(a: number) => a * a, (a: number) => 3 * a]; return fs[k](x); };
    expect(gradc.grad(call)(2, 1)).toBe(3);
    expect(() => gradc.grad(call)(2, -1)).toThrow(TypeError);
  });

  test("a function of a list called through a run-time index that returns an array", () => {
    const e = refusal(function arrs(x: number, k: number) { const fs = [(a: number) => [a, a], (a: number) => [a, 2 * a]]; return fs[k](x)[0]; }, [1, 0]);
    expect(e.construct).toBe("list index");
    expect(e.message).toMatch(/arrs>:\d+:\d+/);
    expect(e.message).toMatch(/returns an array or object/);
  });

  test("a method of a row chosen by a run-time index that returns an array", () => {
    const e = refusal(function rowMap(X: number[][], k: number) { return X[k].map((v) => v * 2)[0]; }, [[[1], [2]], 0]);
    expect(e.construct).toBe("list index");
    expect(e.message).toMatch(/rowMap>:\d+:\d+/);
    expect(e.message).toMatch(/returns an array/);
  });

  test("a reassigned list or object given a value of another shape in a loop or branch, naming both", () => {
    const e = refusal(function grow(W: Float64Array, n: number) { let s: any[] = [W, 1]; for (let i = 0; i < n; i++) s = [W, W]; return s[0][0]; }, [Float64Array.of(1), 2]);
    expect(e.construct).toBe("type change");
    expect(e.message).toMatch(/grow>:\d+:\d+/);
    expect(e.message).toMatch(/holds \[Float64Array, number\], and is assigned \[Float64Array, Float64Array\]/);
    const o = refusal(function keys(W: Float64Array) { let s = { w: W, t: 1 }; if (W[0] > 0) s = { w: W, u: 2 } as any; return s.w[0]; }, [Float64Array.of(1)]);
    expect(o.message).toMatch(/\{ w: Float64Array; t: number \}, and is assigned \{ w: Float64Array; u: number \}/);
    const v = refusal(function views(W: Float64Array) { let s = { v: W.subarray(0, 1) }; s = { v: W.subarray(1, 2) }; return s.v[0]; }, [Float64Array.of(1, 2)]);
    expect(v.message).toMatch(/views>:\d+:\d+: 's\.v' holds a view/);
  });

  test("a reassigned list sharing arrays with another name still used (two names for one array)", () => {
    const e = refusal(function shared(X: number[][], y: number) {
      const Y = X.map((r) => r.map((v) => v * y));
      let P = Y;
      P[0][0] = y;
      const s = Y[0][0];
      P = [Y[1], Y[0]];
      return s + P[0][0];
    }, [[[1], [2]], 1]);
    expect(e.construct).toBe("aliased arrays");
    expect(e.message).toMatch(/shared>:\d+:\d+/);
  });

  test("an Array with a string element", () => {
    const e = refusal(function strs(xs: unknown[]) { return 1; }, [[1, "a"]]);
    expect(e.construct).toBe("argument kind");
    expect(e.message).toMatch(/element \[1\] is a string/);
  });

  test("arrays of empty slots (undefined, not numbers): new Array(n) not filled at once, Array.from({ length: n }) without a function or with one reading its element", () => {
    expect(refusal(function slots(x: number) { const a = new Array(3); a[0] = x; return a[0]; }, [1]).message).toMatch(/new Array\(n\)\.fill\(0\)/);
    expect(refusal(function from1(x: number) { const a = Array.from({ length: 2 }); return x + a.length; }, [1]).message).toMatch(/undefined entries/);
    expect(refusal(function from2(x: number) { const a = Array.from({ length: 2 }, (v: any, i) => v + i * x); return a[0]; }, [1]).message).toMatch(/undefined as its first argument/);
  });

  test("returning a list from the differentiated function, or from a branch of a helper", () => {
    expect(refusal(function top(W: Float64Array) { return [W, W]; }, [Float64Array.of(1)]).construct).toBe("returned list");
    const e = refusal(function branchy(W: Float64Array) {
      function h(c: boolean): [Float64Array, number] { if (c) return [W, 1]; return [W, 2]; }
      const [w, s] = h(W[0] > 0);
      return w[0] * s;
    }, [Float64Array.of(1)]);
    expect(e.construct).toBe("returned list");
    expect(e.message).toMatch(/from inside a branch or loop/);
  });

  test("a spread element mixing a number array with arrays", () => {
    expect(refusal(function spread(x: number[]) { const y = [...x, [1]]; return y.length; }, [[1]]).construct).toBe("spread element");
  });

  test("build path: an Array of typed arrays without a tuple type", async () => {
    const text = `import { grad } from "gradc";\nexport function f(ws: Float64Array[]): number { return ws[0][0]; }\nexport const g = grad(f);\n`;
    const out = await compileModule(text, "/virtual/list.ts", { host: { readFile: () => undefined }, format: false });
    expect(out.diagnostics.map((d) => d.message).join("\n")).toMatch(/list\.ts:2:\d+[\s\S]*write a tuple type/);
  }, 60_000);
});
