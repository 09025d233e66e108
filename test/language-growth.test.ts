// Growing and concatenating plain arrays (issue 11): `[]` then push of numbers (in loops
// of run-time length, in branches, in while loops where the array doubles when full,
// many at once; read by z[k], z.length and methods, written by z[k] = …, used whole after
// the last push), push of arrays and objects onto lists where they were made
// (straight-line code, unrolled loops), an empty literal assigned an array later,
// .flat(), .flatMap (of lists and of number[]) and spread elements. Each loss is
// differentiated on both paths (the run-time API, and compileModule's module imported)
// in every mode it supports, nested derivatives included, against central differences.
import { describe, expect, test } from "vitest";
import * as gradc from "../index.js";
import { relError } from "../runtime/numeric.js";
import type { Rng } from "./corpus/rng.js";
import { bothPaths, loadBothPaths, requestsOf, type Case } from "./modes-check.js";
import { gradRefusal } from "./thrown.js";

const MODULE = `import { grad, valueAndGrad, jvp, vjp, hvp, hessian, jacobian } from "gradc";

export function pushLoop(y: number[], s: number): number {
  const z: number[] = [];
  for (let i = 0; i < y.length; i++) {
    let t = s * y[i];
    for (let k = 0; k < i; k++) t -= 0.1 * z[k] * y[k];
    z.push(Math.sin(t) + z.length);
  }
  let q = 0;
  for (let k = 0; k < z.length; k++) q += z[k] * z[k];
  for (let r = 0; r < 2; r++) {
    const w = [];
    w.push(s * r, y[0]);
    q += w.reduce((a, v) => a * v + 1, 0);
  }
  return q + z.reduce((a, v) => a + Math.exp(0.1 * v), 0);
}

export function pushBranches(y: number[]): number {
  const z = [];
  for (const v of y) {
    if (v > 0) z.push(v * v);
    else z.push(Math.cos(v), v);
  }
  let n = 0;
  while (n < y.length) {
    z.push(y[n] * y[y.length - 1 - n]);
    n += 1;
  }
  let i = 0;
  while (i < z.length) {
    z[i] *= 1 + i;
    i += 2;
  }
  z.push(y[0]);
  return z.reduce((a, v) => a + v * v, 0) / z.length + z.filter((v) => v > 0.2).length;
}

export function cumulative(x: number[]): number[] {
  const out: number[] = [];
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    s += x[i];
    out.push(s * x[i]);
  }
  return out;
}

export function pushed(x: number[]): number[] {
  const c = cumulative(x);
  const d = [];
  for (const v of c) d.push(Math.tanh(v));
  d.push(c.length);
  return d;
}

export function listPush(x: number[], w: Float64Array): number {
  const ys = [];
  ys.push(x.map((v) => v * 2));
  ys.push([w[0], w[1] * w[2]]);
  const h = [[0, 0, 0]];
  for (let t = 0; t < 3; t++) h.push(h[t].map((v, j) => v * x[t] + w[j] * x[j]));
  const layers = [];
  for (const row of h) layers.push({ row, scale: row.reduce((s, v) => s + v, 0) });
  let s = 0;
  for (const l of layers) s += l.scale * l.row[1];
  return s + h.slice(1).flat().reduce((a, v) => a + v * v, 0) + ys.flat().reduce((a, v) => a + Math.sin(v), 0) + ys.length;
}

export function concat(a: number[], b: Float64Array, c: number): number {
  const ab = [...a, ...b, c, 1];
  const rows = [a, [c, c * c]];
  const more = [...rows, [c]];
  const flat = [...rows.flat(), 2];
  const fm = more.flatMap((r) => r.map((v) => v * 3));
  const sub = [...b.subarray(1)];
  const pairs = a.flatMap((v, i) => [v, v * c * i]);
  const doubled = a.flatMap((v) => v * 2);
  let s = pairs.reduce((p, v) => p + v * v, 0) + doubled[doubled.length - 1] * c;
  for (let i = 0; i < ab.length; i++) s += ab[i] * ab[i] * (i + 1);
  return s + flat.reduce((p, v) => p * v, 1) + fm[2] * fm[fm.length - 1] + more.length + sub[0] * ab[0];
}

export function perIteration(x: number[], s: number): number {
  // z is declared in the loop body: a new array each iteration, used whole after its pushes (found by the fuzzer)
  let t = 0;
  for (let i = 0; i < x.length; i++) {
    const z = [];
    z.push(x[i] * s);
    for (let j = 0; j < i; j++) z.push(x[j] * z[j]);
    const w = z;
    const rows = [x, z];
    t += w.reduce((a, v) => a + v * v, 0) + rows[1][0] * rows[0][i];
  }
  return t;
}

export function emptyAssigned(x: number[]): number {
  let outputs: number[] = [];
  let inputs = x;
  for (let layer = 0; layer < 3; layer++) {
    outputs = inputs.map((v, i) => Math.tanh(v * (layer + 1) + i));
    inputs = outputs.map((o) => Math.max(0, o) + 0.1 * o);
  }
  return outputs.reduce((s, v) => s + v * v, 0);
}

export function inner(w: number[], x: number[]): number {
  const z = [];
  for (let i = 0; i < x.length; i++) z.push(w[i] * x[i]);
  const pairs = [[w[0], x[0]]];
  pairs.push([...w]);
  return z.reduce((s, v) => s + Math.sin(v), 0) * pairs.flat().reduce((s, v) => s + v, 0);
}

export function nestedPush(w: number[], x: number[]): number {
  const g = grad(inner)(w, x);
  let s = inner(w, x);
  for (let i = 0; i < g.length; i++) s += g[i] * g[i];
  return s;
}
`;

const ALL = ["vg", "jvp", "vjp", "hvp", "hessian"] as const;

const CASES: Case[] = [
  { name: "pushLoop", f: () => loaded.source.pushLoop, modes: [...ALL], wrt: [0, 1], args: (r) => [numbers(r, r.int(1, 20), -1, 1), r.uniform(0.5, 1.5)] },
  { name: "pushBranches", f: () => loaded.source.pushBranches, modes: [...ALL], wrt: [0], args: (r) => [awayFrom(numbers(r, r.int(5, 20), -1, 1), [0, 0.2])] },
  { name: "pushed", f: () => loaded.source.pushed, functions: ["cumulative"], modes: ["jvp", "vjp", "jacobian"], vector: true, wrt: [0], args: (r) => [numbers(r, r.int(1, 12), -1, 1)] },
  { name: "listPush", f: () => loaded.source.listPush, modes: [...ALL], wrt: [0, 1], args: (r) => [numbers(r, 3, -1, 1), r.f64(3, -1, 1)] },
  { name: "concat", f: () => loaded.source.concat, modes: [...ALL], wrt: [0, 1, 2], args: (r) => [numbers(r, r.int(1, 4), -1, 1), r.f64(r.int(2, 4), -1, 1), r.uniform(-1, 1)] },
  { name: "perIteration", f: () => loaded.source.perIteration, modes: [...ALL], wrt: [0, 1], args: (r) => [numbers(r, r.int(1, 5), -1, 1), r.uniform(0.5, 1.5)] },
  { name: "emptyAssigned", f: () => loaded.source.emptyAssigned, modes: [...ALL], wrt: [0], args: (r) => [numbers(r, 3, -1, 1)] },
  { name: "nestedPush", f: () => loaded.source.nestedPush, functions: ["inner"], modes: [...ALL], wrt: [0, 1], args: (r) => [numbers(r, 3, -1, 1), numbers(r, 3, -1, 1)] },
];

function numbers(r: Rng, n: number, lo: number, hi: number): number[] {
  return Array.from({ length: n }, () => r.uniform(lo, hi));
}

/** Moves values off the branch points (v > 0, a pushed square > 0.2) so that central differences do not cross them. */
function awayFrom(xs: number[], points: number[]): number[] {
  return xs.map((v) => (points.some((p) => Math.abs(Math.abs(v) - p) < 0.05 || Math.abs(v * v - p) < 0.05) ? v + 0.11 : v));
}

const loaded = loadBothPaths("growth", MODULE, `${MODULE}\n${requestsOf(CASES)}\n`);
const POINTS = 3;
bothPaths(CASES, loaded, POINTS);

// How long pushes take is for benchmarks; this checks that 200,000 of them are exact.
test("200,000 pushes in a loop and their gradient", () => {
  const n = 200_000;
  const y = Array.from({ length: n }, (_, i) => Math.sin(i));
  const sums = gradc.valueAndGrad(function sums(y: number[], s: number) {
    const z: number[] = [];
    for (let i = 0; i < y.length; i++) z.push(s * y[i]);
    return z.reduce((a, v) => a + v * v, 0);
  }, { wrt: [1] })(y, 2);
  expect(relError(sums[1][0], 4 * y.reduce((a, v) => a + v * v, 0))).toBeLessThan(1e-12);
});

// ---- what stays refused ----

const refusal = gradRefusal;

describe("refused, with the location and the reason", () => {
  test("a push of arrays in a loop of run-time length, in a branch, or after an early exit", () => {
    const inLoop = refusal(function rows(x: number[]) { const ys = []; for (let i = 0; i < x.length; i++) ys.push([x[i]]); return ys.length; }, [[1, 2]]);
    expect(inLoop.construct).toBe("list push in a loop or branch");
    expect(inLoop.message).toMatch(/rows>:\d+:\d+/);
    expect(inLoop.message).toMatch(/known only at run time/);
    const inBranch = refusal(function pick(x: number) { const ys = [[x]]; if (x > 0) ys.push([x * 2]); return ys.length; }, [1]);
    expect(inBranch.construct).toBe("list push in a loop or branch");
    const assigned = refusal(function later(x: number[]) { let ys: number[][] = []; if (x[0] > 0) ys = [x, x]; return ys.length; }, [[1]]);
    expect(assigned.construct).toBe("list push in a loop or branch");
  });

  test("a growing array used whole before a later push (what keeps it would keep the old array)", () => {
    const e = refusal(function alias(x: number[]) { const z = []; z.push(x[0]); const w = z; z.push(x[1]); return w.length; }, [[1, 2]]);
    expect(e.construct).toBe("growing array used whole");
    expect(e.message).toMatch(/alias>:\d+:\d+/);
    const inLoop = refusal(function each(x: number[]) { const z = []; let s = 0; for (const v of x) { const w = z; s += w.length; z.push(v); } return s; }, [[1, 2]]);
    expect(inLoop.construct).toBe("growing array used whole");
  });

  test("writing past the end of a growing array throws a RangeError (JavaScript would lengthen it)", () => {
    const f = (x: number[]) => { const z = []; z.push(x[0]); z[1] = x[0]; return z.length; };
    expect(() => gradc.grad(f)([1])).toThrow(RangeError);
    const inside = (x: number[]) => { const z = []; z.push(x[0]); z[0] = 3 * x[0]; return z[0]; };
    expect(gradc.grad(inside)([1])).toEqual([3]);
  });

  test("writing outside an array literal or a number[] throws a RangeError (JavaScript would lengthen it); a typed array ignores it, as in JavaScript", () => {
    const literal = (x: number[]) => { const v = [x[0], 2]; v[2] = 5; return v[0] + v.length; };
    expect(() => gradc.grad(literal)([1, 2])).toThrow(/writing outside an Array of numbers/);
    const argument = (x: number[]) => { x[x.length] = 1; return x[0]; };
    expect(() => gradc.grad(argument)([1, 2])).toThrow(RangeError);
    const inside = (x: number[]) => { const v = [x[0], 2]; v[1] = v[0] * 3; x[1] = x[1] * x[1]; return v[1] + x[1]; };
    expect([...gradc.grad(inside)([1, 2])]).toEqual([3, 4]);
    const typed = (x: Float64Array) => { const y = x.slice(); y[7] = 1; return y[0] * 2; };
    expect([...gradc.grad(typed)(new Float64Array([1, 2]))]).toEqual([2, 0]);
  });

  test("push onto a typed array, onto an argument's list, mixed kinds, and reassigning a growing array", () => {
    const typed = refusal(function t(x: Float64Array) { (x as unknown as number[]).push(1); return x[0]; }, [new Float64Array(1)]);
    expect(typed.message).toMatch(/its length is fixed/);
    const literal = refusal(function t(x: number) { const z = [x]; z.push(1); return z[0]; }, [1]);
    expect(literal.message).toMatch(/its length is fixed/);
    const param = refusal(function p(xs: number[][]) { xs.push([1]); return xs[0][0]; }, [[[1]]]);
    expect(param.message).toMatch(/not made by a literal/);
    const mixed = refusal(function m(x: number) { const z = []; z.push(x); z.push([x]); return z[0]; }, [1]);
    expect(mixed.message).toMatch(/Array of numbers/);
    const again = refusal(function r(x: number) { let z = []; z.push(x); z = [x, x]; return z[0]; }, [1]);
    expect(again.construct).toBe("reassigning a growing array");
  });

  test(".flat() and .flatMap meeting a typed array (kept whole by JavaScript, or without .flatMap), or a variable that may hold one", () => {
    const typed = refusal(function t(w: Float64Array) { return [w, [1]].flat().length; }, [new Float64Array(2)]);
    const flatMapped = refusal(function m(w: Float64Array) { return (w as unknown as number[]).flatMap((v) => [v]).length; }, [new Float64Array(2)]);
    expect(flatMapped.message).toMatch(/has no \.flatMap/);
    const keptWhole = refusal(function k(x: number[], w: Float64Array) { return x.flatMap(() => w).length; }, [[1], new Float64Array(2)]);
    expect(keptWhole.message).toMatch(/keeps whole/);
    expect(typed.construct).toBe(".flat()");
    expect(typed.message).toMatch(/typed array/);
    const later = refusal(function v(x: number[], w: Float64Array) { let a = x.map((e) => e); let s = 0; for (let i = 0; i < 2; i++) { s += [a, [1]].flat().length; a = w.slice() as unknown as number[]; } return s; }, [[1], new Float64Array(1)]);
    expect(later.construct).toBe(".flat()");
  });

  test("Array.from of a run-time length making arrays names the reason and the alternatives", () => {
    const e = refusal(function rowsOf(x: Float64Array) { const h = Array.from({ length: x.length }, () => new Array<number>(3).fill(0)); return h.length; }, [new Float64Array(2)]);
    expect(e.construct).toBe("Array.from");
    expect(e.message).toMatch(/length of a typed array/);
    expect(e.message).toMatch(/t \* n/);
  });
});
