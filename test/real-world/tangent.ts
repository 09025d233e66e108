// google/tangent tests/functions.py: the functions tangent's own test suite differentiates,
// written as a JavaScript user would write them (numpy calls become loops, map/reduce,
// array literals and small helpers).
import { grad } from "../../index.js";
import { matrix, numbers, type RealWorldCase } from "./case.js";

const FILE = "tests/functions.py";

export function add(a: number, b: number): number {
  return a + b;
}

export function mul(a: number, b: number): number {
  return a * b;
}

/** saxpy_call */
export function saxpyCall(a: number, b: number, c: number): number {
  return add(mul(a, b), c);
}

/** multiarg_if */
export function multiargIf(a: number): number {
  let b;
  if ((a * a) / 3.0 > 0) {
    b = 3.0;
  } else {
    b = 4.0;
  }
  a = a * b;
  if (a < b - a * b) {
    a = a * a;
  } else if (a > b + 3.0 * a) {
    if (a / 2.0 < 0) {
      a = a / b;
    } else {
      a = a * b;
    }
  } else {
    a = -a;
  }
  return a;
}

/** serial_for */
export function serialFor(a: number, n: number): number {
  for (let i = 0; i < n; i++) {
    a = a * a;
  }
  a = 2.0 * a;
  for (let i = 0; i < n + 1; i++) {
    a = a * 3.0;
  }
  return a;
}

/** cond_iterpower1 */
export function condIterpower1(a: number): number {
  for (let i = 0; i < 3; i++) {
    if (a < 20) a = a * a;
  }
  return a;
}

/** test_deep_anf_list */
export function deepAnfList(x: number[]): number {
  const b = [1, x[0] * x[1] * x[2], 3];
  return b.reduce((s, v) => s + v, 0);
}

/** test_subscript3 */
export function subscript3(x: Float64Array): number {
  const y = x.map((v) => v ** 2.0);
  x[0] = y[1] * y[2];
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * y[i];
  return s;
}

/** iterpower_with_nested_def */
export function iterpowerWithNestedDef(a: number, n: number): number {
  function fn(a: number, n: number): number {
    return a * n;
  }
  for (let i = 0; i < n; i++) {
    a = fn(a, a);
  }
  return a;
}

function innerFn(a: number, b: number): number {
  return a * b;
}

/** if_mul_with_call */
export function ifMulWithCall(a: number, b: number): number {
  let o;
  if (a > b) {
    o = innerFn(a, b);
  } else {
    o = innerFn(b, a);
  }
  return o;
}

/** unpacking_args_saxpy */
export function unpackingArgsSaxpy(abc: [number, number, number]): number {
  const [a, b, c] = abc;
  return a * b + c;
}

function dictSaxpy(val: { a: number; b: number; c: number }): number {
  return val["a"] * val["b"] + val["c"];
}

/** dict_wrapper */
export function dictWrapper(abc: [number, number, number]): number {
  const [a, b, c] = abc;
  return dictSaxpy({ a, b, c });
}

/** passthru_pack */
export function passthruPack(a: number, b: number, c: number, i: number): number {
  const x = [a, b, c];
  return x[i];
}

function toPolar(a: number, b: number): [number, number] {
  const r = Math.sqrt(a ** 2.0 + b ** 2.0);
  const theta = Math.atan2(b, a);
  return [r, theta];
}

/** cart2polar: tangent seeds each of the two outputs with 1, i.e. differentiates r + theta. */
export function cart2polar(a: number, b: number): number {
  const [r, theta] = toPolar(a, b);
  return r + theta;
}

/** listcomp */
export function listcomp(a: number[]): number {
  return a.map((i) => i * 3).reduce((s, v) => s + v, 0);
}

/** while_big */
export function whileBig(a: number): number {
  while (Math.abs(a) > 0.1) {
    a = a * 0.5;
  }
  return a;
}

/** init_array_grad_maybe_active */
export function initArrayGradMaybeActive(x: Float64Array): number {
  const h = Array.from({ length: x.length }, () => new Array<number>(3).fill(0));
  for (let t = 0; t < h.length; t++) {
    h[t].fill(x[t]);
  }
  let s = 0;
  for (const row of h) for (const v of row) s += v;
  return s;
}

/** slicing */
export function slicing(x: Float64Array): number {
  return x.slice(1).reduce((s, v) => s + v, 0);
}

/** rnn: h has 4 rows of 3; h[t + 1] = inputs[t] · W + h[t]; the sum of h[1:]. */
export function rnn(inputs: number[][], W: number[][]): number {
  const h: number[][] = [[0, 0, 0]];
  for (let t = 0; t < 3; t++) {
    const next = h[t].map((ht, j) => inputs[t].reduce((s, v, k) => s + v * W[k][j], 0) + ht);
    h.push(next);
  }
  return h
    .slice(1)
    .flat()
    .reduce((s, v) => s + v, 0);
}

function vecMat(v: number[], M: number[][]): number[] {
  return M[0].map((_, j) => v.reduce((s, vi, i) => s + vi * M[i][j], 0));
}

/** bilinear */
export function bilinear(x: number[], h: number[], U: number[][], W: number[][], b: number[]): number {
  let y = vecMat(x, W);
  const hU = vecMat(h, U);
  y = y.map((v, j) => v + hU[j]);
  y = y.map((v, j) => v + b[j]);
  y = y.map(Math.tanh);
  return y.reduce((s, v) => s + v, 0);
}

/** logistic_regression (label is 0 or 1) */
export function logisticRegression(input: number[][], label: number[], W: number[], b: number): number {
  const h1 = input.map((row) => row.reduce((s, v, j) => s + v * W[j], 0) + b);
  const prediction = h1.map((h) => 0.5 * (Math.tanh(h) + 1));
  const labelProbabilities = prediction.map((p, i) => p * label[i] + (1 - p) * (1 - label[i]));
  const loss = -labelProbabilities.reduce((s, p) => s + Math.log(p), 0);
  return loss;
}

/** nested_dict */
export function nestedDict(p: { i: { j: number; k: number } }): number {
  return p["i"]["j"] * p["i"]["k"];
}

function gradgradPow(a: number, b: number): number {
  a = a ** b;
  return a;
}

/** gradgrad_pow: tangent checks grad(grad(f)); here the loss is grad(f) itself. */
export function dGradgradPow(a: number, b: number): number {
  return grad(gradgradPow)(a, b);
}

/** extended_slice: x[::2] */
export function extendedSlice(x: Float64Array): number {
  return x.filter((_, i) => i % 2 === 0).reduce((s, v) => s + v, 0);
}

const source = (name: string) => `${FILE} ${name}`;
const L = "google/tangent" as const;

export const cases: RealWorldCase[] = [
  { name: "saxpyCall", library: L, source: source("saxpy_call"), fn: saxpyCall, functions: { add, mul }, makeArgs: (r) => [r.uniform(-2, 2), r.uniform(-2, 2), r.uniform(-2, 2)] },
  // switches at a = 0 and a = 0.25
  { name: "multiargIf", library: L, source: source("multiarg_if"), fn: multiargIf, makeArgs: (r) => [r.next() < 0.5 ? r.uniform(-3, -0.1) : r.uniform(0.3, 3)] },
  { name: "serialFor", library: L, source: source("serial_for"), fn: serialFor, data: [1], makeArgs: (r) => [r.uniform(-1.2, 1.2), r.int(1, 3)] },
  // the third squaring is skipped once a ≥ 20: stay away from a⁴ = 20
  { name: "condIterpower1", library: L, source: source("cond_iterpower1"), fn: condIterpower1, makeArgs: (r) => [r.next() < 0.5 ? r.signed(0.3, 2) : r.uniform(2.2, 4.4)] },
  { name: "deepAnfList", library: L, source: source("test_deep_anf_list"), fn: deepAnfList, makeArgs: (r) => [numbers(r, 3, -2, 2)] },
  { name: "subscript3", library: L, source: source("test_subscript3"), fn: subscript3, makeArgs: (r) => [r.f64(r.int(3, 6), -1.5, 1.5)] },
  { name: "iterpowerWithNestedDef", library: L, source: source("iterpower_with_nested_def"), fn: iterpowerWithNestedDef, data: [1], makeArgs: (r) => [r.uniform(0.5, 1.3), r.int(1, 3)] },
  { name: "ifMulWithCall", library: L, source: source("if_mul_with_call"), fn: ifMulWithCall, functions: { innerFn }, makeArgs: (r) => [r.uniform(-2, 2), r.uniform(-2, 2)] },
  { name: "unpackingArgsSaxpy", library: L, source: source("unpacking_args_saxpy"), fn: unpackingArgsSaxpy, makeArgs: (r) => [numbers(r, 3, -2, 2)] },
  { name: "dictWrapper", library: L, source: source("dict_wrapper"), fn: dictWrapper, functions: { dictSaxpy }, makeArgs: (r) => [numbers(r, 3, -2, 2)] },
  { name: "passthruPack", library: L, source: source("passthru_pack"), fn: passthruPack, data: [3], makeArgs: (r) => [r.uniform(-2, 2), r.uniform(-2, 2), r.uniform(-2, 2), r.int(0, 2)] },
  { name: "cart2polar", library: L, source: source("cart2polar"), fn: cart2polar, functions: { toPolar }, makeArgs: (r) => [r.signed(0.3, 2), r.signed(0.3, 2)] },
  { name: "listcomp", library: L, source: source("listcomp"), fn: listcomp, makeArgs: (r) => [numbers(r, r.int(1, 6), -2, 2)] },
  { name: "whileBig", library: L, source: source("while_big"), fn: whileBig, makeArgs: (r) => [r.signed(0.2, 5)] },
  { name: "initArrayGradMaybeActive", library: L, source: source("init_array_grad_maybe_active"), fn: initArrayGradMaybeActive, makeArgs: (r) => [r.f64(r.int(1, 5), -2, 2)] },
  { name: "slicing", library: L, source: source("slicing"), fn: slicing, makeArgs: (r) => [r.f64(r.int(2, 6), -2, 2)] },
  {
    name: "rnn",
    library: L,
    source: source("rnn"),
    fn: rnn,
    makeArgs: (r) => {
      const k = r.int(1, 3);
      return [matrix(r, 3, k, -1, 1), matrix(r, k, 3, -1, 1)];
    },
  },
  {
    name: "bilinear",
    library: L,
    source: source("bilinear"),
    fn: bilinear,
    functions: { vecMat },
    makeArgs: (r) => {
      const n = r.int(1, 3);
      const m = r.int(1, 3);
      const k = r.int(1, 3);
      return [numbers(r, n, -1, 1), numbers(r, k, -1, 1), matrix(r, k, m, -1, 1), matrix(r, n, m, -1, 1), numbers(r, m, -0.5, 0.5)];
    },
  },
  {
    name: "logisticRegression",
    library: L,
    source: source("logistic_regression"),
    fn: logisticRegression,
    data: [1],
    makeArgs: (r) => {
      const rows = r.int(1, 4);
      const d = r.int(1, 3);
      return [matrix(r, rows, d, -1, 1), Array.from({ length: rows }, () => r.int(0, 1)), numbers(r, d, -1, 1), r.uniform(-0.5, 0.5)];
    },
  },
  { name: "nestedDict", library: L, source: source("nested_dict"), fn: nestedDict, makeArgs: (r) => [{ i: { j: r.uniform(-2, 2), k: r.uniform(-2, 2) } }] },
  {
    name: "dGradgradPow",
    library: L,
    source: source("gradgrad_pow"),
    fn: dGradgradPow,
    functions: { gradgradPow },
    reference: (a: number, b: number) => b * a ** (b - 1),
    makeArgs: (r) => [r.uniform(0.5, 2), r.uniform(-1.5, 2.5)],
  },
  { name: "extendedSlice", library: L, source: source("extended_slice"), fn: extendedSlice, makeArgs: (r) => [r.f64(r.int(1, 7), -2, 2)] },
];
