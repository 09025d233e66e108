// opts.closure: the values of names a function closes over, on the run-time path (which
// compiles f.toString() and sees those names but not their values). Numbers and booleans
// are constants of the compiled code; arrays and objects of them are read on every call,
// as data. Every mode is checked against central differences at several random points.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, test } from "vitest";
import { compileModule } from "../compiler/compile-module.js";
import { GradcError, grad, hessian, hvp, jacobian, jvp, valueAndGrad, vjp } from "../index.js";
import { maxRelError, numericGradient, relError } from "../runtime/numeric.js";
import { makeRng, seedOf } from "./corpus/rng.js";

const TOL = 1e-5;
const POINTS = 4;

// Module-level state the functions below close over, as users write it.
const weights = new Float64Array([0.3, -1.2, 0.8, 0.5]);
const table = { a: new Float64Array([1, 2, 3, 4]), b: [0.5, 1.5, 2.5, 3.5] };
const scale = 1.7;
const square = true;

/** A helper (in opts.functions) that closes over weights and table too. */
function term(x: number, i: number): number {
  return Math.sin(x * weights[i]) * table.b[i];
}

function loss(x: Float64Array, c: number): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += term(x[i], i) + (square ? x[i] * x[i] : x[i]) * table.a[i] * c;
  return s * scale;
}

function warp(x: Float64Array): Float64Array {
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = Math.tanh(x[i] * weights[i]) * scale + x[(i + 1) % x.length] * table.a[i];
  return y;
}

function inner(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.sin(x[i] * weights[i]) * scale;
  return s;
}

/** A derivative inside differentiated code, its target closing over the same values. */
function outer(x: Float64Array): number {
  const g = grad(inner)(x);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += g[i] * weights[i];
  return s;
}

const closure = { weights, table, scale, square };
const functions = { term };
const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i], 0);

function points(name: string): { x: Float64Array; c: number; v: Float64Array }[] {
  return Array.from({ length: POINTS }, (_, k) => {
    const r = makeRng(seedOf(name, k));
    return { x: r.f64(4, -1.5, 1.5), c: r.uniform(0.5, 2), v: r.f64(4, -1, 1) };
  });
}

const close = (got: unknown, want: unknown) => expect(maxRelError(got, want)).toBeLessThan(TOL);
const numeric = (f: (...a: any[]) => number, args: unknown[], i: number) => numericGradient(f, args, i) as Float64Array | number;

describe("opts.closure: every mode against central differences", () => {
  test("grad and valueAndGrad, both parameters, a helper closing over the values", () => {
    const vg = valueAndGrad(loss, { wrt: [0, 1], closure, functions });
    for (const { x, c } of points("closure vg")) {
      const [value, [gx, gc]] = vg(x, c) as [number, [Float64Array, number]];
      expect(relError(value, loss(x, c))).toBeLessThan(1e-12);
      close(gx, numeric(loss, [x, c], 0));
      close(gc, numeric(loss, [x, c], 1));
      close(grad(loss, { closure, functions })(x, c), gx);
    }
  });

  test("jvp and vjp", () => {
    const tangent = jvp(loss, { closure, functions });
    const pull = vjp(warp, { closure });
    for (const { x, c, v } of points("closure jvp")) {
      const [value, t] = tangent(x, c, v) as [number, number];
      expect(relError(value, loss(x, c))).toBeLessThan(1e-12);
      expect(relError(t, dot(numeric(loss, [x, c], 0) as Float64Array, v))).toBeLessThan(TOL);
      const [y, pullback] = pull(x) as [Float64Array, (ct: Float64Array) => Float64Array];
      close(y, warp(x));
      close(pullback(v), numeric((z: Float64Array) => dot(warp(z), v), [x], 0));
    }
  });

  test("hvp, hessian and jacobian", () => {
    const hv = hvp(loss, { closure, functions });
    const h = hessian(loss, { closure, functions });
    const jac = jacobian(warp, { closure });
    const jacRev = jacobian(warp, { closure, mode: "reverse" });
    const g = grad(loss, { closure, functions });
    for (const { x, c, v } of points("closure second order")) {
      const rows = [0, 1, 2, 3].map((i) => numeric((z: Float64Array) => (g(z, c) as Float64Array)[i], [x], 0) as Float64Array);
      close(hv(x, c, v), Float64Array.from(rows, (row) => dot(row, v)));
      close(h(x, c), Float64Array.from(rows.flatMap((row) => [...row])));
      const want = Float64Array.from([0, 1, 2, 3].flatMap((i) => [...(numeric((z: Float64Array) => warp(z)[i], [x], 0) as Float64Array)]));
      close(jac(x), want);
      close(jacRev(x), want);
    }
  });

  test("methods of closure values: a list's .map, a typed array's .reduce (gradient, jvp, hessian)", () => {
    const rows = [weights, table.a];
    const methods = (x: Float64Array) => rows.map((row) => row.reduce((s, w, i) => s + w * x[i], 0)).reduce((s, r) => s + Math.sin(r), 0) * weights.reduce((s, w) => s + w, 0);
    const opts = { closure: { rows, weights } };
    const g = grad(methods, opts), t = jvp(methods, opts), h = hessian(methods, opts);
    const gradOf = (z: Float64Array) => g(z) as Float64Array;
    for (const { x, v } of points("closure methods")) {
      const want = numeric(methods, [x], 0) as Float64Array;
      close(gradOf(x), want);
      expect(relError((t(x, v) as [number, number])[1], dot(want, v))).toBeLessThan(TOL);
      const H = [0, 1, 2, 3].flatMap((i) => [...(numeric((z: Float64Array) => gradOf(z)[i], [x], 0) as Float64Array)]);
      close(h(x), Float64Array.from(H));
    }
  });

  test("a derivative inside differentiated code whose target closes over the values", () => {
    const g = grad(outer, { closure, functions: { inner } });
    for (const { x } of points("closure nested")) {
      // d/dxᵢ Σ cos(xᵢwᵢ)·wᵢ·scale·wᵢ = −sin(xᵢwᵢ)·wᵢ³·scale
      const want = x.map((xi, i) => -Math.sin(xi * weights[i]) * weights[i] ** 3 * scale);
      close(g(x), want);
      const reference = (z: Float64Array) => z.reduce((s, zi, i) => s + Math.cos(zi * weights[i]) * weights[i] ** 2 * scale, 0);
      close(g(x), numeric(reference, [x], 0));
    }
  });
});

describe("opts.closure: what is read when", () => {
  test("arrays are read by reference on every call: writing or replacing one changes the derivative", () => {
    const w = new Float64Array([0.3, -1.2, 0.8, 0.5]);
    const mine = { weights: w, table: { a: new Float64Array([1, 2, 3, 4]), b: [0.5, 1.5, 2.5, 3.5] }, scale, square };
    const g = grad(loss, { closure: mine, functions });
    const x = new Float64Array([0.4, -0.7, 1.1, 0.2]);
    // The reference reads the module's arrays: give them the closure's values for each check.
    const checkAt = () => {
      const saved = [weights.slice(), table.a.slice(), table.b.slice()];
      weights.set(mine.weights); table.a.set(mine.table.a); mine.table.b.forEach((b, i) => (table.b[i] = b));
      try {
        close(g(x, 1.3), numeric(loss, [x, 1.3], 0));
      } finally {
        weights.set(saved[0]); table.a.set(saved[1]); saved[2].forEach((b, i) => (table.b[i] = b));
      }
    };
    checkAt();
    const before = (g(x, 1.3) as Float64Array).slice();
    w[1] = 2.5;
    mine.table.b[2] = -4;
    checkAt();
    expect(maxRelError(g(x, 1.3), before)).toBeGreaterThan(1e-3);
    mine.table = { a: new Float64Array([2, 1, 0.5, 3]), b: [1, 1, 1, 1] };
    checkAt();
  });

  test("a closure value of a new kind recompiles; one that is not a value gradc takes is refused, named", () => {
    const mine: Record<string, unknown> = { weights: new Float64Array([0.3, -1.2, 0.8, 0.5]), table, scale, square };
    const g = grad(loss, { closure: mine, functions });
    const x = new Float64Array([0.4, -0.7, 1.1, 0.2]);
    const first = (g(x, 1.3) as Float64Array).slice();
    mine.weights = [0.3, -1.2, 0.8, 0.5]; // a number[] now: another specialisation, the same derivative
    close(g(x, 1.3), first);
    mine.weights = "0.3";
    expect(() => g(x, 1.3)).toThrow(/opts\.closure\.weights was a number\[\]\(4\) at the first call|opts\.closure\.weights/);
  });

  test("numbers and booleans are constants of the derivative: a new value needs a new grad", () => {
    const x = new Float64Array([0.4, -0.7, 1.1, 0.2]);
    const mine = { ...closure };
    const g = grad(loss, { closure: mine, functions });
    const first = (g(x, 1.3) as Float64Array).slice();
    mine.scale = 3;
    close(g(x, 1.3), first);
    const scaled = grad(loss, { closure: { ...closure, scale: 3 }, functions })(x, 1.3) as Float64Array;
    close(scaled, first.map((v) => (v * 3) / scale));
    const linear = grad(loss, { closure: { ...closure, square: false }, functions })(x, 1.3) as Float64Array;
    const want = x.map((xi, i) => (Math.cos(xi * weights[i]) * weights[i] * table.b[i] + table.a[i] * 1.3) * scale);
    close(linear, want);
  });
});

describe("opts.closure: refusals", () => {
  test("a name not given is refused, and the message names opts.closure", () => {
    const g = grad(loss, { functions });
    expect(() => g(new Float64Array(4), 1)).toThrow(GradcError);
    expect(() => g(new Float64Array(4), 1)).toThrow(/'(weights|table|square|scale)' is defined outside the differentiated function[^]*opts\.closure/);
  });

  test("writing into a closure array is refused", () => {
    function writes(x: number): number {
      weights[0] = x;
      return x * weights[0];
    }
    expect(() => grad(writes, { closure: { weights } })(1)).toThrow(/writes into 'weights', an array it closes over \(given in opts\.closure/);
  });

  test("closure values are checked when the derivative is made", () => {
    expect(() => grad(loss, { closure: { term } as never })).toThrow(/closure\.term is a function: pass it in opts\.functions/);
    expect(() => grad(loss, { closure: { s: "x" } })).toThrow(/closure\.s must be a number, a boolean, an array or an object/);
    expect(() => grad(loss, { closure: 3 as never })).toThrow(/closure must be an object/);
  });
});

// ---- a derivative inside differentiated code whose target closes over the code around it ----

/** d/dx [x · ∂/∂y (x·y·a₀ + sin(x·y))|y=2] with a an outer array: the captured x is differentiated by the outer derivative. */
const CAPTURED = `import { grad, jvp, hvp, hessian } from "gradc";
export function captured(x: number, a: Float64Array): number {
  const inner = (y: number) => x * y * a[0] + Math.sin(x * y);
  return x * grad(inner)(2.0) + a[1] * x;
}
export function capturedArr(w: Float64Array): number {
  const f = (z: Float64Array) => { let s = 0; for (let i = 0; i < z.length; i++) s += Math.sin(z[i] * w[i]); return s; };
  const g = grad(f)(w);
  let s = 0;
  for (let i = 0; i < g.length; i++) s += g[i] * g[i];
  return s;
}
export const gradCaptured = grad(captured, { wrt: [0, 1] });
export const jvpCaptured = jvp(captured);
export const hvpCapturedArr = hvp(capturedArr);
export const hessianCapturedArr = hessian(capturedArr);
`;
// The same, with no gradc inside, for the references.
const capturedRef = (x: number, a: Float64Array) => x * (x * a[0] + x * Math.cos(2 * x)) + a[1] * x;
const capturedArrRef = (w: Float64Array) => w.reduce((s, wi) => s + (Math.cos(wi * wi) * wi) ** 2, 0);

function capturedChecks(name: string, d: { grad: Fn; jvp: Fn; hvp: Fn; hessian: Fn }) {
  for (let k = 0; k < POINTS; k++) {
    const r = makeRng(seedOf(`${name} captured`, k));
    const [x, a, w, v] = [r.uniform(-1.5, 1.5), r.f64(2, -1, 1), r.f64(3, -1.2, 1.2), r.f64(3, -1, 1)];
    const [gx, ga] = d.grad(x, a) as [number, Float64Array];
    expect(relError(gx, numeric(capturedRef, [x, a], 0) as number)).toBeLessThan(TOL);
    close(ga, numeric(capturedRef, [x, a], 1));
    const [value, t] = d.jvp(x, a, 0.7) as [number, number];
    expect(relError(value, capturedRef(x, a))).toBeLessThan(1e-12);
    expect(relError(t, 0.7 * (numeric(capturedRef, [x, a], 0) as number))).toBeLessThan(TOL);
    const gradRef = (z: Float64Array) => numeric(capturedArrRef, [z], 0) as Float64Array;
    const rows = [0, 1, 2].map((i) => numeric((z: Float64Array) => gradRef(z)[i], [w], 0) as Float64Array);
    // Differences of differences: a looser tolerance for the second order.
    expect(maxRelError(d.hvp(w, v), Float64Array.from(rows, (row) => dot(row, v)))).toBeLessThan(1e-4);
    expect(maxRelError(d.hessian(w), Float64Array.from(rows.flatMap((row) => [...row])))).toBeLessThan(1e-4);
  }
}

type Fn = (...args: any[]) => unknown;

describe("a target declared inside differentiated code, closing over its numbers and arrays", () => {
  test("run time: grad, jvp (over reverse), hvp and hessian (second order over reverse)", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "gradc-captured-"));
    try {
      writeFileSync(path.join(dir, "captured.ts"), CAPTURED.replace('from "gradc"', `from ${JSON.stringify(path.resolve("index.ts"))}`));
      const source = await import(path.join(dir, "captured.ts"));
      capturedChecks("run time", { grad: source.gradCaptured, jvp: source.jvpCaptured, hvp: source.hvpCapturedArr, hessian: source.hessianCapturedArr });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("build path: the same module compiled", async () => {
    const out = await compileModule(CAPTURED, "/virtual/captured.ts", { host: { readFile: () => undefined }, runtimeImport: path.resolve("runtime/index.ts"), format: false });
    expect(out.diagnostics.map((d) => d.message)).toEqual([]);
    const dir = mkdtempSync(path.join(tmpdir(), "gradc-captured-build-"));
    try {
      writeFileSync(path.join(dir, "captured.grad.ts"), out.code!);
      const built = await import(path.join(dir, "captured.grad.ts"));
      capturedChecks("build", { grad: built.gradCaptured, jvp: built.jvpCaptured, hvp: built.hvpCapturedArr, hessian: built.hessianCapturedArr });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("writing what it closes over is refused", () => {
    function writesOuter(x: Float64Array): number {
      const f = (y: number) => { x[0] = y; return y * x[0]; };
      return grad(f)(x[1]);
    }
    expect(() => grad(writesOuter)(new Float64Array([1, 2]))).toThrow(/'f' writes into 'x', an array it closes over/);
    function assignsOuter(x: number): number {
      let s = x;
      const f = (y: number) => { s = y * 2; return y * s; };
      return grad(f)(x);
    }
    expect(() => grad(assignsOuter)(1.5)).toThrow(/'s' is closed over[^]*cannot be assigned here/);
  });
});
