// Arrays that alias (issue 11): views (`subarray`), copies (`slice`, `Float64Array.from`,
// `new Float64Array(x)`, `set`) and reassigned array variables (`state = next`, swapped
// buffers, reassignment inside a branch or through a helper). Each loss is differentiated
// on both paths — the run-time API on the module's own functions (f.toString()) and the
// build path (compileModule on the module, its output imported) — in every mode: reverse
// (valueAndGrad, vjp), forward (jvp, jacobian in both modes), second order (hvp, hessian),
// against central differences at several random points. Then what is refused, and why.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { compileModule } from "../compiler/compile-module.js";
import { GradcError } from "../compiler/errors.js";
import * as gradc from "../index.js";
import { sum } from "../runtime/index.js";
import { maxRelError, numericGradient, relError } from "../runtime/numeric.js";
import { makeRng, seedOf, type Rng } from "./corpus/rng.js";
import { gradRefusal } from "./thrown.js";

type Fn = (...args: any[]) => any;

const MODULE = `import { valueAndGrad, jvp, vjp, hvp, hessian, jacobian } from "gradc";

export function weighted(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * Math.sin(b[i]);
  return s;
}

export function views(x: Float64Array, v: Float64Array, start: number): number {
  const w = x.subarray(start, start + v.length);
  let s = weighted(w, v);
  w[0] = w[0] * w[1];
  s += x[start] * x[start + 1];
  const inner = w.subarray(1);
  inner[inner.length - 1] += Math.cos(x[0]);
  for (const q of inner) s += q * q;
  const tail = x.subarray(-2);
  s += tail[0] * tail[1];
  // destructured, also in a loop (found by the fuzzer: it was refused)
  const [t0, t1] = w;
  for (const q of tail) {
    const [, u1] = tail;
    s += q * u1 * t0;
  }
  s += t1;
  // in a list, read with constant indices (found by the fuzzer: 'both' was called a number)
  const both = [w, tail];
  s += both[0][1] * both[1][0];
  const mid = x.slice(1, -1).subarray(1, 3);
  mid.fill(s);
  return s * mid[0] + x[0] * mid.length;
}

export function copies(x: Float64Array, y: Float64Array): number {
  const a = x.slice(1, -1);
  const b = Float64Array.from(y);
  const c = new Float64Array(x);
  const d = new Float64Array(x.length + 2);
  d.set(a, 1);
  d.set(b.subarray(0, 2), d.length - 2);
  d.set(d.subarray(0, 3), 1);
  c[0] = 5 * c[0] * b[1];
  b[0] = Math.exp(a[0]);
  let s = 0;
  for (let i = 0; i < d.length; i++) s += d[i] * Math.sin(i + d[i]);
  const e = Float64Array.of(x[0] * y[1], 3, Math.cos(y[0]));
  e[1] *= e[0];
  return s + c[0] * x[0] + b[0] * b[1] + a[a.length - 1] * y[0] + e[1] * e[2];
}

export function recurrence(w: Float64Array, h0: Float64Array, steps: number): number {
  const n = h0.length;
  let h = h0;
  for (let t = 0; t < steps; t++) {
    const next = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = h[i];
      for (let j = 0; j < n; j++) s += w[i * n + j] * h[j];
      next[i] = Math.tanh(s);
    }
    h = next;
  }
  let r = 0;
  for (let i = 0; i < n; i++) r += h[i] * h[i];
  return r;
}

export function swapped(w: Float64Array, steps: number): number {
  const n = w.length;
  let a = w.slice();
  let b = new Float64Array(n);
  for (let t = 0; t < steps; t++) {
    for (let i = 0; i < n; i++) b[i] = Math.sin(a[i]) * a[(i + 1) % n] + w[i];
    const tmp = a;
    a = b;
    b = tmp;
    b[0] = a[0] * b[1];
  }
  let r = 0;
  for (let i = 0; i < n; i++) r += a[i] * b[i];
  return r;
}

export function tailSum(a: Float64Array): number {
  const b = a;
  let s = 0;
  for (const q of b.subarray(1)) s += q;
  return s;
}

export function rows(w: Float64Array, h0: Float64Array, steps: number): number {
  const n = h0.length;
  let h = h0;
  for (let t = 0; t < steps; t++) {
    const next = new Float64Array(n);
    for (let i = 0; i < n; i++) next[i] = Math.tanh(weighted(w.subarray(i * n, i * n + n), h) + tailSum(h));
    h = next;
  }
  return weighted(h.subarray(1), h);
}

export function branchy(x: Float64Array, k: number): number {
  let s = x.slice();
  const other = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) other[i] = x[i] * k;
  if (x[0] > 0) {
    s = other;
  } else {
    s[1] = s[1] * s[0];
  }
  s[0] = s[0] + 1;
  let r = 0;
  for (let i = 0; i < s.length; i++) r += s[i] * x[i];
  return r;
}

export function step(h: Float64Array, k: number): Float64Array {
  const out = new Float64Array(h.length);
  for (let i = 0; i < h.length; i++) out[i] = h[i] + k * Math.sin(h[(i + 1) % h.length]);
  h = out;
  h[0] = h[0] * 0.5;
  return h;
}

export function ode(y0: Float64Array, k: number, steps: number): Float64Array {
  let y = y0;
  for (let t = 0; t < steps; t++) y = step(y, k);
  return y;
}

export function sorted(x: Float64Array, w: Float64Array): number {
  const up = Array.from(x).sort((a, b) => a - b);
  const down = x.subarray(1).toSorted(function (p, q) { return q - p; });
  x.sort((a, b) => a - b);
  let s = 0;
  for (let i = 0; i < up.length; i++) s += w[i] * up[i] * up[i] + Math.sin(x[i]) * (i + 1);
  return s + down[0] * down[down.length - 1] * x[x.length - 1];
}

export function sharedReads(x: Float64Array, w: Float64Array, steps: number): number {
  let inputs = x;
  let outputs = inputs;
  for (let t = 0; t < steps; t++) {
    outputs = inputs.map((v, i) => v * w[i % w.length] + Math.sin(inputs[(i + 1) % inputs.length]));
    inputs = outputs.map(Math.tanh);
  }
  let s = 0;
  for (let i = 0; i < outputs.length; i++) s += outputs[i] * inputs[i];
  return s;
}

export const viewsVG = valueAndGrad(views, { wrt: [0, 1] });
export const viewsJvp = jvp(views, { wrt: [0, 1] });
export const viewsVjp = vjp(views, { wrt: [0, 1] });
export const viewsHvp = hvp(views, { wrt: [0, 1] });
export const viewsHessian = hessian(views, { wrt: [0, 1] });
export const copiesVG = valueAndGrad(copies, { wrt: [0, 1] });
export const copiesJvp = jvp(copies, { wrt: [0, 1] });
export const copiesVjp = vjp(copies, { wrt: [0, 1] });
export const copiesHvp = hvp(copies, { wrt: [0, 1] });
export const copiesHessian = hessian(copies, { wrt: [0, 1] });
export const recurrenceVG = valueAndGrad(recurrence, { wrt: [0, 1] });
export const recurrenceJvp = jvp(recurrence, { wrt: [0, 1] });
export const recurrenceVjp = vjp(recurrence, { wrt: [0, 1] });
export const recurrenceHvp = hvp(recurrence, { wrt: [0, 1] });
export const recurrenceHessian = hessian(recurrence, { wrt: [0, 1] });
export const swappedVG = valueAndGrad(swapped, { wrt: [0] });
export const swappedJvp = jvp(swapped, { wrt: [0] });
export const swappedVjp = vjp(swapped, { wrt: [0] });
export const swappedHvp = hvp(swapped, { wrt: [0] });
export const swappedHessian = hessian(swapped, { wrt: [0] });
export const rowsVG = valueAndGrad(rows, { wrt: [0, 1] });
export const rowsJvp = jvp(rows, { wrt: [0, 1] });
export const rowsVjp = vjp(rows, { wrt: [0, 1] });
export const rowsHvp = hvp(rows, { wrt: [0, 1] });
export const rowsHessian = hessian(rows, { wrt: [0, 1] });
export const branchyVG = valueAndGrad(branchy, { wrt: [0, 1] });
export const branchyJvp = jvp(branchy, { wrt: [0, 1] });
export const branchyVjp = vjp(branchy, { wrt: [0, 1] });
export const branchyHvp = hvp(branchy, { wrt: [0, 1] });
export const branchyHessian = hessian(branchy, { wrt: [0, 1] });
export const sortedVG = valueAndGrad(sorted, { wrt: [0, 1] });
export const sortedJvp = jvp(sorted, { wrt: [0, 1] });
export const sortedVjp = vjp(sorted, { wrt: [0, 1] });
export const sortedHvp = hvp(sorted, { wrt: [0, 1] });
export const sortedHessian = hessian(sorted, { wrt: [0, 1] });
export const sharedReadsVG = valueAndGrad(sharedReads, { wrt: [0, 1] });
export const sharedReadsJvp = jvp(sharedReads, { wrt: [0, 1] });
export const sharedReadsVjp = vjp(sharedReads, { wrt: [0, 1] });
export const sharedReadsHvp = hvp(sharedReads, { wrt: [0, 1] });
export const sharedReadsHessian = hessian(sharedReads, { wrt: [0, 1] });
export const odeJvp = jvp(ode, { wrt: [0, 1] });
export const odeVjp = vjp(ode, { wrt: [0, 1] });
export const odeJacobianForward = jacobian(ode, { wrt: [0, 1], mode: "forward" });
export const odeJacobianReverse = jacobian(ode, { wrt: [0, 1], mode: "reverse" });
`;

// ---- flat views of the wrt arguments ----

type Arg = number | Float64Array;
const copyArg = (a: unknown) => (a instanceof Float64Array ? a.slice() : a);
const copyArgs = (args: unknown[]) => args.map(copyArg);

function flatten(args: unknown[], wrt: number[]): number[] {
  return wrt.flatMap((w) => (typeof args[w] === "number" ? [args[w] as number] : [...(args[w] as Float64Array)]));
}

function unflatten(x: number[], args: unknown[], wrt: number[]): unknown[] {
  const out = copyArgs(args);
  let k = 0;
  for (const w of wrt) {
    if (typeof out[w] === "number") out[w] = x[k++];
    else { const a = out[w] as Float64Array; for (let i = 0; i < a.length; i++) a[i] = x[k++]; }
  }
  return out;
}

/** Shaped like the wrt arguments, from a flat vector. */
const shaped = (x: number[], args: unknown[], wrt: number[]) => { const u = unflatten(x, args, wrt); return wrt.map((w) => u[w] as Arg); };
const flat = (v: unknown): number[] => (typeof v === "number" ? [v] : Array.isArray(v) ? v.flatMap(flat) : [...(v as Float64Array)]);

/** m×n Jacobian of f (a number or typed array) in the flat wrt coordinates, by central differences. */
function numericJacobian(f: Fn, args: unknown[], wrt: number[]): number[][] {
  const x = flatten(args, wrt);
  const cols = x.map((xi, k) => {
    const h = 1e-6 * Math.max(1, Math.abs(xi));
    const at = (d: number) => flat(f(...unflatten(x.map((y, j) => (j === k ? y + d : y)), args, wrt)));
    const [p, m] = [at(h), at(-h)];
    return p.map((pi, i) => (pi - m[i]) / (2 * h));
  });
  return cols[0].map((_, i) => cols.map((c) => c[i]));
}

const randomVector = (n: number, rng: Rng) => Array.from({ length: n }, () => rng.uniform(-1, 1));
const dotv = (a: number[], b: number[]) => a.reduce((s, ai, i) => s + ai * b[i], 0);
const TOL = 1e-5;

interface Entries {
  vg?: Fn; jvp: Fn; vjp: Fn; hvp?: Fn; hessian?: Fn; jacobianForward?: Fn; jacobianReverse?: Fn;
}

/** Every mode of one subject at one point, against central differences of f. */
function checkAt(e: Entries, f: Fn, args: unknown[], wrt: number[], rng: Rng): void {
  const value = f(...copyArgs(args));
  const J = numericJacobian(f, args, wrt);
  const n = J[0].length;
  const t = randomVector(n, rng);
  const [jv, jt] = e.jvp(...copyArgs(args), shaped(t, args, wrt));
  expect(maxRelError(jv, value), "jvp value").toBeLessThan(1e-12);
  expect(maxRelError(flat(jt), J.map((row) => dotv(row, t))), "jvp").toBeLessThan(TOL);
  const u = randomVector(J.length, rng);
  const [vv, pullback] = e.vjp(...copyArgs(args));
  expect(maxRelError(vv, value), "vjp value").toBeLessThan(1e-12);
  const ct = typeof value === "number" ? u[0] : Float64Array.from(u);
  expect(maxRelError(flat(pullback(ct)), t.map((_, k) => dotv(u, J.map((row) => row[k])))), "vjp").toBeLessThan(TOL);
  if (e.jacobianForward) expect(maxRelError(flat(e.jacobianForward(...copyArgs(args))), J.flat()), "jacobian (forward)").toBeLessThan(TOL);
  if (e.jacobianReverse) expect(maxRelError(flat(e.jacobianReverse(...copyArgs(args))), J.flat()), "jacobian (reverse)").toBeLessThan(TOL);
  if (!e.vg) return;
  const [v, grads] = e.vg(...copyArgs(args));
  expect(relError(v, value), "value").toBeLessThan(1e-12);
  expect(maxRelError(flat(grads), J[0]), "gradient").toBeLessThan(TOL);
  // Second order against central differences of the gradient (checked above).
  const x = flatten(args, wrt);
  const gradAt = (y: number[]) => flat(e.vg!(...unflatten(y, args, wrt))[1]);
  const h = 1e-5;
  const along = (d: number[]) => {
    const [p, m] = [gradAt(x.map((xi, k) => xi + h * d[k])), gradAt(x.map((xi, k) => xi - h * d[k]))];
    return p.map((pi, k) => (pi - m[k]) / (2 * h));
  };
  const dir = randomVector(n, rng);
  expect(maxRelError(flat(e.hvp!(...copyArgs(args), shaped(dir, args, wrt))), along(dir)), "hvp").toBeLessThan(TOL);
  const H = x.map((_, k) => along(x.map((_, j) => (j === k ? 1 : 0))));
  expect(maxRelError(flat(e.hessian!(...copyArgs(args))), H.flat()), "hessian").toBeLessThan(TOL);
}

function runtimeEntries(f: Fn, wrt: number[], vector: boolean, functions?: Record<string, Function>): Entries {
  const o = { wrt, ...(functions ? { functions } : {}) } as never;
  const entries: Entries = { jvp: gradc.jvp(f, o), vjp: gradc.vjp(f, o) };
  if (vector) {
    entries.jacobianForward = gradc.jacobian(f, { ...(o as object), mode: "forward" } as never);
    entries.jacobianReverse = gradc.jacobian(f, { ...(o as object), mode: "reverse" } as never);
  } else {
    Object.assign(entries, { vg: gradc.valueAndGrad(f, o), hvp: gradc.hvp(f, o), hessian: gradc.hessian(f, o) });
  }
  return entries;
}

function builtEntries(name: string, vector: boolean): Entries {
  const get = (suffix: string) => built[`${name}${suffix}`];
  if (vector) return { jvp: get("Jvp"), vjp: get("Vjp"), jacobianForward: get("JacobianForward"), jacobianReverse: get("JacobianReverse") };
  return { vg: get("VG"), jvp: get("Jvp"), vjp: get("Vjp"), hvp: get("Hvp"), hessian: get("Hessian") };
}

let built: Record<string, Fn>;
let builtCode: string;
let source: Record<string, Fn>;
let dir: string;

beforeAll(async () => {
  const out = await compileModule(MODULE, "/virtual/aliasing.ts", {
    host: { readFile: () => undefined }, runtimeImport: path.resolve("runtime/index.ts"), format: false,
  });
  expect(out.diagnostics.map((d) => d.message)).toEqual([]);
  dir = mkdtempSync(path.join(tmpdir(), "gradc-aliasing-"));
  builtCode = out.code!;
  writeFileSync(path.join(dir, "aliasing.grad.ts"), builtCode);
  writeFileSync(path.join(dir, "aliasing.ts"), MODULE.replace('from "gradc"', `from ${JSON.stringify(path.resolve("index.ts"))}`));
  built = await import(path.join(dir, "aliasing.grad.ts"));
  source = await import(path.join(dir, "aliasing.ts"));
}, 120_000);
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

const POINTS = 4;

/** Both paths, every mode, at POINTS random points of `name`. */
function everyMode(name: string, wrt: number[], makeArgs: (rng: Rng) => unknown[], opts: { vector?: boolean; helpers?: string[] } = {}): void {
  const f = source[name];
  const functions = opts.helpers && Object.fromEntries(opts.helpers.map((h) => [h, source[h]]));
  const rt = runtimeEntries(f, wrt, !!opts.vector, functions);
  for (let k = 0; k < POINTS; k++) {
    const rng = makeRng(seedOf(name, k));
    const args = makeArgs(rng);
    checkAt(rt, f, args, wrt, rng);
    checkAt(builtEntries(name, !!opts.vector), f, args, wrt, rng);
  }
}

describe("views: x.subarray(a, b)", () => {
  test("reads and writes through a view are the base's elements (also through a view of a view, a helper, for…of, destructuring, a list, fill), in every mode", () => {
    everyMode("views", [0, 1], (rng) => {
      const n = rng.int(6, 9);
      const size = rng.int(2, 3);
      return [rng.f64(n, -1.5, 1.5), rng.f64(size, -1, 1), rng.int(0, n - size - 1)];
    }, { helpers: ["weighted"] });
  });
});

describe("two names for one array, only read", () => {
  test("let outputs = inputs, then reads through both until one is given another array (the README example's predict), in every mode", () => {
    everyMode("sharedReads", [0, 1], (rng) => [rng.f64(rng.int(2, 5), -1.5, 1.5), rng.f64(rng.int(1, 3), -1, 1), rng.int(0, 3)]);
  });
});

describe("sorting: sort and toSorted with a numeric comparator", () => {
  test("a sort is a gather by the sorted order (in place, of a copy, of a view, descending), in every mode", () => {
    everyMode("sorted", [0, 1], (rng) => {
      const n = rng.int(3, 7);
      return [rng.f64(n, -1.5, 1.5), rng.f64(n, -1, 1)];
    });
  });

  test("a sort without a numeric comparator is refused with the reason", () => {
    const args = [new Float64Array([2, 1])];
    expect(gradRefusal((x: Float64Array) => Array.from(x).sort()[0], args).message).toMatch(/sorts a plain Array's numbers as strings/);
    expect(gradRefusal((x: Float64Array) => x.slice().sort((a, b) => Math.abs(a) - Math.abs(b))[0], args).message)
      .toMatch(/comparators \(a, b\) => a - b and \(a, b\) => b - a only/);
  });
});

describe("copies", () => {
  test("slice(a, b) (negative from the end), Float64Array.from, Float64Array.of, new Float64Array(x), set(x, offset) (also from a view, also of its own elements): new arrays, in every mode", () => {
    everyMode("copies", [0, 1], (rng) => [rng.f64(rng.int(4, 7), -1.5, 1.5), rng.f64(rng.int(2, 4), -1.5, 1.5)]);
  });

  test("Array.from of a view is a copy of its range (it was refused)", () => {
    const f = (x: Float64Array) => {
      const c = Array.from(x.subarray(1, 3));
      x[1] = 4 * x[2];
      return c[0] * c[1] + x[1] * x[0];
    };
    for (const x of [new Float64Array([0.3, -0.8, 1.2, 0.5]), new Float64Array([-1.1, 0.4, 0.9])]) {
      const [v, g] = gradc.valueAndGrad(f)(x.slice());
      expect(v).toBe(f(x.slice()));
      expect(maxRelError(g, numericGradient(f, [x], 0))).toBeLessThan(1e-5);
    }
  });

  test("y.set(x, offset) where x does not fit throws JavaScript's RangeError, in the primal and in every derivative", () => {
    const f = (x: Float64Array, at: number) => {
      const y = new Float64Array(4);
      y.set(x, at);
      return y[0] * y[3] + x[0];
    };
    const x = new Float64Array([0.5, -1.2]);
    expect(() => f(x, 3)).toThrow(RangeError);
    for (const d of [gradc.grad(f), gradc.valueAndGrad(f)]) {
      expect(d(x, 2)).toBeDefined();
      expect(() => d(x, 3)).toThrow(RangeError);
      expect(() => d(x, -1)).toThrow(RangeError);
    }
    expect(() => gradc.jvp(f)(x, 3, new Float64Array(2))).toThrow(RangeError);
    expect(() => gradc.hvp(f)(x, 3, new Float64Array(2))).toThrow(RangeError);
  });

  test("Float32Array.from rounds to float32, and the derivative code reads the rounded copy", () => {
    const f = (x: Float64Array) => {
      const c = Float32Array.from(x);
      let s = 0;
      for (let i = 0; i < c.length; i++) s += c[i] * x[i];
      return s;
    };
    const x = new Float64Array([0.1, 1 / 3, -2.7]);
    const [v, g] = gradc.valueAndGrad(f)(x);
    expect(v).toBe(f(x));
    // d/dx_i (fround(x_i) x_i) = x_i + fround(x_i) (fround's derivative is 1), the part
    // through the copy accumulated in float32 as the copy's adjoint is a Float32Array.
    expect(maxRelError(g, Float64Array.from(x, (xi) => xi + Math.fround(xi)))).toBeLessThan(1e-7);
  });
});

describe("reassigned arrays", () => {
  test("a recurrence `h = next` (next allocated in the loop), in every mode", () => {
    everyMode("recurrence", [0, 1], (rng) => {
      const n = rng.int(2, 4);
      return [rng.f64(n * n, -0.8, 0.8), rng.f64(n, -1, 1), rng.int(1, 5)];
    });
  });

  test("two buffers swapped (`const tmp = a; a = b; b = tmp;`), then written through the new names, in every mode", () => {
    everyMode("swapped", [0], (rng) => [rng.f64(rng.int(2, 5), -1.5, 1.5), rng.int(0, 5)]);
  });

  test("views of a reassigned array used at once (passed to helpers), rows of a matrix as views, a helper aliasing its parameter", () => {
    everyMode("rows", [0, 1], (rng) => {
      const n = rng.int(2, 4);
      return [rng.f64(n * n, -0.8, 0.8), rng.f64(n, -1, 1), rng.int(1, 4)];
    }, { helpers: ["weighted", "tailSum"] });
  });

  test("reassignment inside a branch, then a write through the name", () => {
    everyMode("branchy", [0, 1], (rng) => [rng.f64(rng.int(2, 5), -1.5, 1.5), rng.uniform(-2, 2)]);
  });

  test("a vector-valued ODE solver `y = step(y, k)`, with a helper that reassigns its parameter: jvp, vjp, jacobian (forward and reverse)", () => {
    everyMode("ode", [0, 1], (rng) => [rng.f64(rng.int(2, 4), -1.5, 1.5), rng.uniform(-0.5, 0.5), rng.int(0, 4)], { vector: true, helpers: ["step"] });
  });

  test("the arguments are left unchanged, and no copy is made in the loop: the names are swapped", () => {
    const w = new Float64Array([0.3, -0.2, 0.9]);
    const before = w.slice();
    gradc.valueAndGrad(source.swapped)(w, 3);
    built.swappedVG(w, 3);
    expect([...w]).toEqual([...before]);
    const grad = builtCode.slice(builtCode.indexOf("function swapped_grad(")).split("\n}\n")[0].replace(/\/\/.*$/gm, "");
    expect(grad).toMatch(/\btmp = a;[^]*\ba = b;[^]*\bb = tmp;/);
    // The one copy is `let a = w.slice()`, before the loop.
    expect(grad.match(/\.slice\(\)|\.set\(|new Float64Array\(/g)).toEqual([".slice()", "new Float64Array(", "new Float64Array(", "new Float64Array("]);
  });
});

describe("what is refused, with the location and the reason", () => {
  const refusal = (f: Fn, pattern: RegExp, opts: Record<string, unknown> = {}) => {
    let err: unknown;
    try { gradc.grad(f, opts as never)(new Float64Array([1, 2, 3, 4]), 2); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(GradcError);
    expect((err as Error).message).toMatch(pattern);
  };

  test("a write into an array two names still in use refer to (a name kept for the old array, and reads through both names, are fine)", () => {
    const kept = (x: Float64Array) => {
      let a = x.slice();
      const old = a;
      a = new Float64Array(x.length);
      for (let i = 0; i < x.length; i++) a[i] = old[i] * old[i];
      return a[0] + old[1];
    };
    expect([...gradc.grad(kept)(new Float64Array([3, 2]))]).toEqual([6, 1]);
    refusal(function f(x: Float64Array) {
      let s = x.slice();
      const next = new Float64Array(x.length);
      for (let t = 0; t < 3; t++) {
        for (let i = 0; i < x.length; i++) next[i] = s[i] * x[i];
        s = next;
      }
      return s[0];
    }, /f>:5:40: This writes into the array that 'next' and 's' both name \(since line 6: s = next;\), while 's' is still in use/);
    refusal(function g(x: Float64Array) {
      let a = x.slice();
      const b = a;
      b[0] = 5;
      const first = a[0];
      a = new Float64Array(4);
      return first + b[0] + a[0];
    }, /g>:4:4: This writes into the array that 'b' and 'a' both name \(since line 3: const b = a;\), while 'a' is still in use/);
  });

  test("a view of a reassigned array, reassigning a view, a view given to a kernel, a returned view", () => {
    refusal(function f(x: Float64Array) {
      let a = x.slice();
      const v = a.subarray(1);
      a = new Float64Array(2);
      return v[0] + a[0];
    }, /f>:3:4: 'a' is reassigned in this function, and the view 'v' keeps the array it was made from/);
    refusal(function f(x: Float64Array) {
      let v = x.subarray(1);
      v = x.subarray(2);
      return v[0];
    }, /'v' is a view \(\.subarray\(\)\) and cannot be reassigned/);
    refusal(function f(x: Float64Array) {
      let a: Float64Array<ArrayBufferLike> = x.slice();
      a = x.subarray(1);
      return a[0];
    }, /'a' holds a whole array and cannot be made a view/);
    refusal(function f(x: Float64Array) {
      return sum(x.subarray(1), 3);
    }, /A view made by \.subarray\(\) cannot be passed to the kernel sum, which takes whole arrays/, { functions: { sum } });
    expect(() => gradc.jvp((x: Float64Array) => x.subarray(1))(new Float64Array(3), new Float64Array(3))).toThrow(/cannot be returned/);
  });

  test("reassignment inside a checkpointed loop", () => {
    refusal(function f(x: Float64Array) {
      let h = x.slice();
      // @checkpoint
      for (let t = 0; t < 4; t++) {
        const n = new Float64Array(h.length);
        for (let i = 0; i < n.length; i++) n[i] = Math.sin(h[i]);
        h = n;
      }
      return h[0];
    }, /'h' is assigned another array inside a loop marked \/\/ @checkpoint.*Copy into the array instead \(h\.set\(n\)\)/, { checkpoint: "sqrt" });
  });
});
