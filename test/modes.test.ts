// Every derivative mode (jvp, vjp, jacobian, hvp, hessian) checked against central
// differences and against each other, over the loss corpus and vector-valued functions
// written here; the non-smooth convention across modes; opts.out; nested derivatives (MAML).
import { describe, expect, test } from "vitest";
import * as gradc from "../index.js";
import { maxRelError, numericGradient, relError } from "../runtime/numeric.js";
import { paramIndex, wrtKeys } from "./corpus/params.js";
import { cases, type CorpusCase, type WrtKey } from "./corpus/index.js";
import { makeRng, seedOf, type Rng } from "./corpus/rng.js";

// ---------------------------------------------------------------------------------------
// The API under test (specified in issue 3). Bound to local names rather than imported by
// name: vitest rewrites a named import `grad` into `(0, __vite_ssr_import_1__.grad)` in
// every function's source, and the nested-derivative tests below should see `grad` by
// name in `f.toString()`, as in user code. (The rewritten form is accepted too.)

type Fn = (...args: any[]) => any;
type Mode = "forward" | "reverse" | "auto";
interface Opts {
  wrt?: WrtKey | WrtKey[];
  out?: unknown;
  functions?: Record<string, Function>;
  mode?: Mode;
}
interface Api {
  grad(f: Fn, opts?: Opts): Fn;
  valueAndGrad(f: Fn, opts?: Opts): (...args: any[]) => [number, any];
  jvp(f: Fn, opts?: Opts): (...args: any[]) => [any, any];
  vjp(f: Fn, opts?: Opts): (...args: any[]) => [any, (cotangent: any) => any];
  jacobian(f: Fn, opts?: Opts): (...args: any[]) => Float64Array;
  hvp(f: Fn, opts?: Opts): (...args: any[]) => any;
  hessian(f: Fn, opts?: Opts): (...args: any[]) => Float64Array;
}
const { grad, valueAndGrad, jvp, vjp, jacobian, hvp, hessian } = gradc as unknown as Api;

// ---------------------------------------------------------------------------------------
// Tolerances.

/** JVPs vs. central differences: the seed's standard for float64 derivatives (as test/corpus.test.ts). */
const TOL64 = 1e-5;
/** Float32 cases: test/corpus.test.ts's Float32 tolerance, with its reasoning (step 1e-3, single-precision stores). */
const TOL32 = 1e-3;
/**
 * Two exact derivatives of the same function computed along different routes (forward vs.
 * reverse, Hessian entries (i, j) vs. (j, i), hessian vs. hvp): they differ only by rounding
 * in a different order of operations, ~1e-16 per operation times the depth of the code.
 */
const SAME64 = 1e-9;
/** As SAME64 where single-precision buffers round intermediates and results (~6e-8 each). */
const SAME32 = 1e-5;
/**
 * HVPs and Hessians vs. central differences of the gradient: (g(x + h v) - g(x - h v)) / 2h
 * has a truncation error h^2/6 * |g'''| and a rounding error ~eps * |g| / h. With the step
 * h = 1e-5 * max(1, |x|) used here that is ~1e-10 * |g'''| + ~1e-11 * |g|: far below 1e-5
 * for smooth, moderately scaled functions, but the corpus has third derivatives of a few
 * hundred (rosenbrock2's 100 * (y - x^2)^2, powers' x^-0.5 near x = 0.3) and gradients of a
 * few hundred, so 1e-4 keeps a margin of 10-100x while still catching any wrong term
 * (a missing or wrong second-order term is an O(1) error).
 */
const TOL_FD2 = 1e-4;
const H_FD2 = 1e-5;
/** Value returned by a derivative vs. calling the function: the same operations. */
const VALUE64 = 1e-12;
const VALUE32 = 1e-6;

const POINTS = 2;

// ---------------------------------------------------------------------------------------
// Values shaped like arguments: numbers, typed arrays, objects of them, and lists of those
// (a list wrt). Flattened in the order jacobian/hessian use: object fields in key order,
// typed arrays entry by entry, lists concatenated.

const isTyped = (v: unknown): v is Float64Array | Float32Array => v instanceof Float64Array || v instanceof Float32Array;

function flatten(v: unknown, into: number[] = []): number[] {
  if (typeof v === "number") into.push(v);
  else if (isTyped(v)) for (const e of v) into.push(e);
  else if (Array.isArray(v)) for (const e of v) flatten(e, into);
  else if (v !== null && typeof v === "object") for (const k of Object.keys(v)) flatten((v as Record<string, unknown>)[k], into);
  else throw new Error(`flatten: not a differentiable value: ${String(v)}`);
  return into;
}

/** A value shaped (and typed) like `template`, with entries taken from `flat` in order. */
function fromFlat(template: unknown, flat: ArrayLike<number>): any {
  let k = 0;
  const build = (t: unknown): unknown => {
    if (typeof t === "number") return flat[k++];
    if (isTyped(t)) {
      const a = t.slice();
      for (let i = 0; i < a.length; i++) a[i] = flat[k++];
      return a;
    }
    if (Array.isArray(t)) return t.map(build);
    const o: Record<string, unknown> = {};
    for (const key of Object.keys(t as object)) o[key] = build((t as Record<string, unknown>)[key]);
    return o;
  };
  const v = build(template);
  if (k !== flat.length) throw new Error(`fromFlat: ${flat.length} entries for a value of ${k}`);
  return v;
}

const sizeOf = (v: unknown) => flatten(v).length;
const hasF32 = (v: unknown): boolean =>
  v instanceof Float32Array ||
  (Array.isArray(v) ? v.some(hasF32) : v !== null && typeof v === "object" && !isTyped(v) && Object.values(v).some(hasF32));
const randomLike = (template: unknown, rng: Rng) => fromFlat(template, flatten(template).map(() => rng.uniform(-1, 1)));
const fillLike = (template: unknown, value: number) => fromFlat(template, flatten(template).map(() => value));
/** x + t * u, rounded to the template's element types. */
const axpy = (x: unknown, t: number, u: unknown) => {
  const fu = flatten(u);
  return fromFlat(x, flatten(x).map((e, i) => e + t * fu[i]));
};
function dot(a: unknown, b: unknown): number {
  const fa = flatten(a);
  const fb = flatten(b);
  expect(fa.length).toBe(fb.length);
  return fa.reduce((s, e, i) => s + e * fb[i], 0);
}
const maxAbs = (v: unknown) => flatten(v).reduce((m, e) => Math.max(m, Math.abs(e)), 0);

/** Deep copy of an argument list (typed arrays and objects of them). */
const copyArgs = (args: unknown[]) => args.map((a) => (typeof a === "number" ? a : fromFlat(a, flatten(a))));
/** A fresh copy of `args` with the arguments at `indices` replaced by `values`. */
function argsWith(args: unknown[], indices: number[], values: unknown[]): unknown[] {
  const a = copyArgs(args);
  indices.forEach((i, j) => (a[i] = values[j]));
  return a;
}

const isList = (c: CorpusCase) => Array.isArray(c.wrt);

function points(c: CorpusCase): unknown[][] {
  // The corpus test's first points: known to be away from the functions' kinks.
  const out: unknown[][] = [];
  for (let k = 0; k < POINTS; k++) out.push(c.makeArgs(makeRng(seedOf(c.name, k))));
  return out;
}
const directionRng = (name: string, k: number) => makeRng(seedOf(`${name}/direction`, k));

const err = (e: number) => e.toExponential(2);

/**
 * Central difference of f along u at `args`, moving the arguments at `indices` together
 * (u: one direction per index). Returns the slope and the tangents it is the exact slope
 * along: (x_up - x_down) / 2s from the values actually stored (in a Float32Array they are
 * rounded), as numericGradient does with its step widths.
 */
function directionalDifference(
  f: Fn,
  args: unknown[],
  indices: number[],
  u: unknown[],
  base: number,
): { slope: any; tangents: unknown[] } {
  const xs = indices.map((i) => args[i]);
  const s = base * Math.max(1, ...xs.map(maxAbs));
  const up = xs.map((x, j) => axpy(x, s, u[j]));
  const down = xs.map((x, j) => axpy(x, -s, u[j]));
  const tangents = xs.map((x, j) => {
    const fu = flatten(up[j]);
    const fd = flatten(down[j]);
    return fromFlat(x, fu.map((e, i) => (e - fd[i]) / (2 * s)));
  });
  const fUp = f(...argsWith(args, indices, up));
  const fDown = f(...argsWith(args, indices, down));
  const slope =
    typeof fUp === "number"
      ? (fUp - fDown) / (2 * s)
      : Float64Array.from(flatten(fUp), (e, i) => (e - flatten(fDown)[i]) / (2 * s));
  return { slope, tangents };
}

// ---------------------------------------------------------------------------------------
// Vector-valued functions (m outputs, n inputs), written with loops and branches.

/** m = 2n + 1 > n: prefix sums feed later outputs, a branch per entry. */
function expand(x: Float64Array): Float64Array {
  const n = x.length;
  const y = new Float64Array(2 * n + 1);
  let s = 0;
  for (let i = 0; i < n; i++) {
    s += x[i] * x[i];
    const next = i + 1 < n ? x[i + 1] : x[0];
    y[i] = x[i] > 0 ? Math.sin(x[i]) * s : x[i] * next;
    y[n + i] = Math.exp(-s) + (i > 0 ? y[i - 1] * x[i] : 0);
  }
  y[2 * n] = s;
  return y;
}

/** m = 2 < n = x.length + 1 (wrt [x, c]): a running product and a recurrence, with continue. */
function reduce2(x: Float64Array, c: number): Float64Array {
  const out = new Float64Array(2);
  let p = 1;
  let q = 0;
  for (let i = 0; i < x.length; i++) {
    if (x[i] < -0.8) continue;
    p = p * Math.cos(x[i] * c);
    q += Math.tanh(x[i] + q);
  }
  out[0] = p + c * q;
  out[1] = Math.log(1 + q * q) * c;
  return out;
}

/** An affine layer with tanh, wrt an object {W, b} (n = rows * cols + rows, m = rows). */
function layer(p: { W: Float64Array; b: Float64Array }, x: Float64Array): Float64Array {
  const rows = p.b.length;
  const cols = x.length;
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let z = p.b[r];
    for (let j = 0; j < cols; j++) z += p.W[r * cols + j] * x[j];
    y[r] = Math.tanh(z);
  }
  return y;
}

/** Single precision in and out. */
function squash32(x: Float32Array): Float32Array {
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = x[i] / (1 + Math.abs(x[i])) + 0.5 * x[i] * x[i];
  return y;
}

interface VectorCase {
  name: string;
  fn: Fn;
  wrt?: WrtKey | WrtKey[];
  args: unknown[];
  float32?: boolean;
}

const vectorCases: VectorCase[] = (() => {
  const r = makeRng(seedOf("vector cases"));
  return [
    { name: "expand (n=4, m=9)", fn: expand, args: [new Float64Array([0.7, -0.4, 1.1, -1.3])] },
    { name: "expand (n=1, m=3)", fn: expand, args: [new Float64Array([0.35])] },
    { name: "reduce2 (n=7, m=2)", fn: reduce2, wrt: [0, 1], args: [new Float64Array([0.3, -0.9, 0.6, -0.2, 1.2, 0.1]), 0.8] },
    { name: "layer (n=9, m=3)", fn: layer, args: [{ W: r.f64(6, -1, 1), b: r.f64(3, -0.5, 0.5) }, r.f64(2, -1, 1)] },
    { name: "layer wrt [p, x] (n=11, m=3)", fn: layer, wrt: ["p", "x"], args: [{ W: r.f64(6, -1, 1), b: r.f64(3, -0.5, 0.5) }, r.f64(2, -1, 1)] },
    { name: "squash32 (Float32)", fn: squash32, float32: true, args: [new Float32Array([0.5, -1.25, 0.75])] },
  ];
})();

const vecIndices = (v: VectorCase) =>
  (v.wrt === undefined ? [0] : Array.isArray(v.wrt) ? v.wrt : [v.wrt]).map((k) => paramIndex(v.fn, k));

/** Central-difference Jacobian (m x n, row-major) over the flattened wrt arguments. */
function numericJacobian(f: Fn, args: unknown[], indices: number[], base = 1e-6): Float64Array {
  const xs = indices.map((i) => args[i]);
  const flat = flatten(xs);
  const n = flat.length;
  const m = sizeOf(f(...copyArgs(args)));
  const J = new Float64Array(m * n);
  for (let j = 0; j < n; j++) {
    const s = base * Math.max(1, Math.abs(flat[j]));
    const upFlat = flat.slice();
    const downFlat = flat.slice();
    upFlat[j] += s;
    downFlat[j] -= s;
    const up = fromFlat(xs, upFlat) as unknown[];
    const down = fromFlat(xs, downFlat) as unknown[];
    const width = flatten(up)[j] - flatten(down)[j];
    const yUp = flatten(f(...argsWith(args, indices, up)));
    const yDown = flatten(f(...argsWith(args, indices, down)));
    for (let i = 0; i < m; i++) J[i * n + j] = (yUp[i] - yDown[i]) / width;
  }
  return J;
}

// ---------------------------------------------------------------------------------------
// 1. JVPs against central differences in random directions.

describe.each(cases)("jvp vs central differences: $name", (c) => {
  const functions = c.functions;
  const tol = c.float32 ? TOL32 : TOL64;
  const base = (x: unknown) => (hasF32(x) ? 1e-3 : 1e-6);
  const pts = points(c);

  test.each(wrtKeys(c))("wrt %s", (key) => {
    const i = paramIndex(c.fn, key);
    const f = jvp(c.fn, { wrt: key, functions });
    pts.forEach((args, k) => {
      const u = randomLike(args[i], directionRng(c.name, k));
      const { slope, tangents } = directionalDifference(c.fn, args, [i], [u], base(args[i]));
      const before = copyArgs(args);
      const [value, tangentOut] = f(...args, tangents[0]);
      expect(typeof value).toBe("number");
      expect(relError(value, c.fn(...copyArgs(args)))).toBeLessThanOrEqual(c.float32 ? VALUE32 : VALUE64);
      expect(typeof tangentOut).toBe("number");
      const e = relError(tangentOut, slope);
      expect(e, `${c.name} wrt ${key} point ${k}: jvp ${tangentOut} vs ${slope} (${err(e)})`).toBeLessThan(tol);
      // a derivative must not write its arguments (nor the tangent)
      expect(maxRelError(args, before)).toBe(0);
    });
  });

  test.runIf(isList(c))("list wrt: one tangent per wrt argument, moved together", () => {
    const keys = wrtKeys(c);
    const indices = keys.map((key) => paramIndex(c.fn, key));
    const f = jvp(c.fn, { wrt: keys, functions });
    pts.forEach((args, k) => {
      const rng = directionRng(`${c.name}/list`, k);
      const u = indices.map((i) => randomLike(args[i], rng));
      const { slope, tangents } = directionalDifference(c.fn, args, indices, u, Math.max(...indices.map((i) => base(args[i]))));
      const [value, tangentOut] = f(...args, tangents);
      expect(relError(value, c.fn(...copyArgs(args)))).toBeLessThanOrEqual(c.float32 ? VALUE32 : VALUE64);
      const e = relError(tangentOut, slope);
      expect(e, `${c.name} point ${k}: jvp ${tangentOut} vs ${slope} (${err(e)})`).toBeLessThan(tol);
    });
  });
});

describe.each(vectorCases)("jvp of a vector-valued function vs central differences: $name", (v) => {
  test("tangentOut = J u", () => {
    const indices = vecIndices(v);
    const rng = directionRng(v.name, 0);
    const u = indices.map((i) => randomLike(v.args[i], rng));
    const { slope, tangents } = directionalDifference(v.fn, v.args, indices, u, v.float32 ? 1e-3 : 1e-6);
    const [value, tangentOut] = jvp(v.fn, { wrt: v.wrt })(...v.args, Array.isArray(v.wrt) ? tangents : tangents[0]);
    const want = v.fn(...copyArgs(v.args));
    expect(value).toBeInstanceOf(want.constructor);
    expect(maxRelError(value, want)).toBeLessThanOrEqual(v.float32 ? VALUE32 : VALUE64);
    // "a Float64Array (Float32Array if f returns one) of the output's length"
    expect(tangentOut).toBeInstanceOf(v.float32 ? Float32Array : Float64Array);
    expect(tangentOut).toHaveLength(want.length);
    const e = maxRelError(Float64Array.from(tangentOut), slope);
    expect(e, `${v.name}: ${err(e)}`).toBeLessThan(v.float32 ? TOL32 : TOL64);
  });
});

describe("reads guarded by a condition", () => {
  // The corpus has this pattern in recurrentSweeps (j > 0 ? h[j - 1] : 0) and float32Buffer
  // (i + 1 < n ? z[i + 1] : z[0]): an element read only on the branch that is taken, whose
  // index is out of range on the other branch. Its tangent must not be read there.
  test("j > 0 ? x[j - 1] : 0 inside a loop", () => {
    function shifted(x: Float64Array): number {
      let r = 0;
      for (let j = 0; j < x.length; j++) {
        const l = j > 0 ? x[j - 1] : 0;
        r += l * l;
      }
      return r;
    }
    const x = new Float64Array([0.5, -0.3, 0.8]);
    const t = new Float64Array([1, 0.5, -2]);
    const [value, tangentOut] = jvp(shifted)(x, t);
    expect(value).toBe(shifted(x));
    expect(tangentOut).toBe(2 * 0.5 * 1 + 2 * -0.3 * 0.5); // x[2] is not read
  });

  // In reverse mode the adjoint of a guarded product reads the other factor: x[-1] must not
  // be read (undefined * 0 is NaN). The vector function `expand` above has this pattern.
  test("i > 0 ? x[i - 1] * x[i] : 0 inside a loop: grad, vjp, jacobian", () => {
    function chain(x: Float64Array): number {
      let s = 0;
      for (let i = 0; i < x.length; i++) s += i > 0 ? x[i - 1] * x[i] : 0;
      return s;
    }
    const x = new Float64Array([0.5, -0.3, 0.8]);
    const want = [-0.3, 0.5 + 0.8, -0.3];
    expect(Array.from(grad(chain)(x))).toEqual(want);
    expect(Array.from(vjp(chain)(x)[1](1))).toEqual(want);
    for (const mode of ["forward", "reverse"] as const) expect(Array.from(jacobian(chain, { mode })(x)), mode).toEqual(want);
  });
});

// ---------------------------------------------------------------------------------------
// 2. VJPs against JVPs: <u, J^T v> = <J u, v>.

describe.each(cases)("vjp vs jvp (<u, J^T v> = <J u, v>): $name", (c) => {
  const functions = c.functions;
  const wrt = c.wrt ?? 0;
  const indices = wrtKeys(c).map((key) => paramIndex(c.fn, key));
  const same = c.float32 ? SAME32 : SAME64;

  test("adjoint identity, value, pullback(w) = w * grad", () => {
    const fj = jvp(c.fn, { wrt, functions });
    const fv = vjp(c.fn, { wrt, functions });
    const g = grad(c.fn, { wrt, functions });
    points(c).forEach((args, k) => {
      const rng = directionRng(`${c.name}/adjoint`, k);
      const us = indices.map((i) => randomLike(args[i], rng));
      const u = isList(c) ? us : us[0];
      const w = rng.uniform(-2, 2);
      const before = copyArgs(args);
      const [value, pullback] = fv(...args);
      expect(relError(value, c.fn(...copyArgs(args)))).toBeLessThanOrEqual(c.float32 ? VALUE32 : VALUE64);
      const gw = pullback(w);
      const [, ju] = fj(...args, u);
      const lhs = dot(u, gw);
      const rhs = ju * w;
      const e = relError(lhs, rhs);
      expect(e, `${c.name} point ${k}: <u, J^T w> = ${lhs}, <J u, w> = ${rhs} (${err(e)})`).toBeLessThan(same);
      // shaped as grad returns it, and linear in the cotangent
      const want = g(...args);
      expect(maxRelError(gw, fromFlat(want, flatten(want).map((e) => e * w)))).toBeLessThan(same);
      // a pullback can be called again
      expect(maxRelError(pullback(1), want)).toBeLessThan(same);
      expect(maxRelError(args, before)).toBe(0);
    });
  });
});

describe.each(vectorCases)("vjp vs jvp of a vector-valued function: $name", (v) => {
  test("<u, J^T w> = <J u, w>, pullback shaped like grad", () => {
    const indices = vecIndices(v);
    const rng = directionRng(`${v.name}/adjoint`, 0);
    const us = indices.map((i) => randomLike(v.args[i], rng));
    const u = Array.isArray(v.wrt) ? us : us[0];
    const [value, pullback] = vjp(v.fn, { wrt: v.wrt })(...v.args);
    const w = randomLike(value, rng); // same type and length as the output
    const gw = pullback(w);
    const [, ju] = jvp(v.fn, { wrt: v.wrt })(...v.args, u);
    const e = relError(dot(u, gw), dot(ju, w));
    expect(e, `${v.name}: ${err(e)}`).toBeLessThan(v.float32 ? SAME32 : SAME64);
    // shape: as grad returns gradients for these wrt arguments
    const shaped = Array.isArray(v.wrt) ? us : us[0];
    expect(flatten(gw)).toHaveLength(sizeOf(shaped));
    if (Array.isArray(v.wrt)) expect(gw).toHaveLength(v.wrt.length);
    else expect(gw.constructor).toBe((shaped as object).constructor);
  });
});

// ---------------------------------------------------------------------------------------
// 3. HVPs against central differences of the gradient.

/**
 * Float64 corpus cases left out of the HVP check, and why. Everything else is smooth at
 * its test points (piecewise definitions by `if`/ternaries/early returns are smooth inside
 * each piece, and the corpus points are away from the switches).
 */
const HVP_SKIP: Record<string, string> = {
  absSignMinMax: "abs/sign/max/min: its second derivative is a distribution at the kinks; checked at kinks in test 6 instead",
  rounding: "floor/ceil/round/trunc: piecewise constant factors, second derivative undefined at integers",
  moduleHelpers: "softplus written with max(z, 0) and abs(z): non-smooth pieces (only their sum is smooth)",
  softmaxCrossEntropy: "running max by Math.max; Hessians of it are checked in test 4 with distinct logits",
  softmaxClassifier: "running max by Math.max",
  huberPiecewise: "only C^1: the second derivative jumps at |r| = delta",
};
const hvpCases = cases.filter((c) => !c.float32 && !(c.name in HVP_SKIP));

/** (g(x + h v) - g(x - h v)) / 2h over the arguments at `indices`, g = the gradient wrt them (flattened). */
function gradientDifference(c: { fn: Fn; functions?: Record<string, Function> }, wrt: WrtKey | WrtKey[], args: unknown[], indices: number[], v: unknown[]): number[] {
  const g = valueAndGrad(c.fn, { wrt, functions: c.functions });
  const xs = indices.map((i) => args[i]);
  const h = H_FD2 * Math.max(1, ...xs.map(maxAbs)) / Math.max(1, ...v.map(maxAbs));
  const up = flatten(g(...argsWith(args, indices, xs.map((x, j) => axpy(x, h, v[j]))))[1]);
  const down = flatten(g(...argsWith(args, indices, xs.map((x, j) => axpy(x, -h, v[j]))))[1]);
  return up.map((e, i) => (e - down[i]) / (2 * h));
}

describe.each(hvpCases)("hvp vs central differences of the gradient: $name", (c) => {
  const functions = c.functions;
  const pts = points(c);

  test.each(wrtKeys(c))("wrt %s", (key) => {
    const i = paramIndex(c.fn, key);
    const f = hvp(c.fn, { wrt: key, functions });
    pts.forEach((args, k) => {
      const v = randomLike(args[i], directionRng(`${c.name}/hvp`, k));
      const before = copyArgs(args);
      const hv = f(...args, v);
      // shaped like the wrt argument
      if (typeof args[i] === "number") expect(typeof hv).toBe("number");
      else expect(hv.constructor).toBe((args[i] as object).constructor);
      const want = gradientDifference(c, key, args, [i], [v]);
      const e = maxRelError(Float64Array.from(flatten(hv)), Float64Array.from(want));
      expect(e, `${c.name} wrt ${key} point ${k}: ${err(e)}`).toBeLessThan(TOL_FD2);
      expect(maxRelError(args, before)).toBe(0);
    });
  });

  test.runIf(isList(c))("list wrt: cross terms", () => {
    const keys = wrtKeys(c);
    const indices = keys.map((key) => paramIndex(c.fn, key));
    const f = hvp(c.fn, { wrt: keys, functions });
    pts.forEach((args, k) => {
      const rng = directionRng(`${c.name}/hvp-list`, k);
      const v = indices.map((i) => randomLike(args[i], rng));
      const hv = f(...args, v);
      expect(Array.isArray(hv)).toBe(true);
      expect(hv).toHaveLength(keys.length);
      const want = gradientDifference(c, keys, args, indices, v);
      const e = maxRelError(Float64Array.from(flatten(hv)), Float64Array.from(want));
      expect(e, `${c.name} point ${k}: ${err(e)}`).toBeLessThan(TOL_FD2);
    });
  });
});

// ---------------------------------------------------------------------------------------
// 4. Hessians: symmetric, against finite differences of the gradient, and against hvp.

const byName = (name: string) => {
  const c = cases.find((c) => c.name === name);
  if (!c) throw new Error(`no corpus case ${name}`);
  return c;
};

const hessianCases: { name: string; c: CorpusCase; wrt: WrtKey | WrtKey[]; args: unknown[] }[] = (() => {
  const r = makeRng(seedOf("hessian cases"));
  return [
    { name: "rosenbrock n=5", c: byName("rosenbrock"), wrt: 0, args: [new Float64Array([-1.2, 1, 0.5, -0.3, 0.8])] },
    { name: "trigMix wrt [x, y]", c: byName("trigMix"), wrt: [0, 1], args: [0.7, 1.3] },
    { name: "softmaxCrossEntropy, small logits", c: byName("softmaxCrossEntropy"), wrt: 0, args: [new Float64Array([0.3, -0.2, 0.1, 0.25]), 2] },
    {
      name: "mlpLoss 2-3-1",
      c: byName("mlpLoss"),
      wrt: 0,
      args: [{ W1: r.f64(6, -1, 1), b1: r.f64(3, -0.5, 0.5), W2: r.f64(3, -1, 1), b2: r.f64(1, -0.5, 0.5) }, r.f64(2, -1, 1), r.f64(1, -1, 1)],
    },
    { name: "logisticRegression {w, b} (number field)", c: byName("logisticRegression"), wrt: 0, args: [{ w: r.f64(3, -1, 1), b: 0.3 }, r.f64(6, -2, 2), new Float64Array([1, 0])] },
    { name: "rnn wrt [w, x, h0]", c: byName("rnn"), wrt: ["w", "x", "h0"], args: [0.9, r.f64(3, -1, 1), 0.2] },
  ];
})();

describe.each(hessianCases)("hessian: $name", ({ c, wrt, args }) => {
  const functions = c.functions;
  const indices = (Array.isArray(wrt) ? wrt : [wrt]).map((key) => paramIndex(c.fn, key));
  const xs = indices.map((i) => args[i]);
  const n = sizeOf(xs);
  const template = Array.isArray(wrt) ? xs : xs[0];

  test("n x n, symmetric, equal to central differences of the gradient and to hvp columns", () => {
    const before = copyArgs(args);
    const H = hessian(c.fn, { wrt, functions })(...args);
    expect(H).toBeInstanceOf(Float64Array);
    expect(H).toHaveLength(n * n);
    expect(maxRelError(args, before)).toBe(0);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < i; j++) {
        const e = relError(H[i * n + j], H[j * n + i]);
        expect(e, `H[${i},${j}] = ${H[i * n + j]} vs H[${j},${i}] = ${H[j * n + i]}`).toBeLessThan(SAME64);
      }
    }
    const hv = hvp(c.fn, { wrt, functions });
    for (let j = 0; j < n; j++) {
      const e = new Float64Array(n);
      e[j] = 1;
      const ej = fromFlat(template, e);
      const column = Float64Array.from({ length: n }, (_, i) => H[i * n + j]);
      const fd = gradientDifference(c, wrt, args, indices, Array.isArray(wrt) ? ej : [ej]);
      const eFd = maxRelError(column, Float64Array.from(fd));
      expect(eFd, `column ${j} vs central differences: ${err(eFd)}`).toBeLessThan(TOL_FD2);
      const eHv = maxRelError(column, Float64Array.from(flatten(hv(...args, ej))));
      expect(eHv, `column ${j} vs hvp(e_${j}): ${err(eHv)}`).toBeLessThan(SAME64);
    }
  });
});

// ---------------------------------------------------------------------------------------
// 5. jacobian: forward vs reverse vs central differences; auto equals both.

describe.each(vectorCases.filter((v) => !v.float32))("jacobian: $name", (v) => {
  const indices = vecIndices(v);
  const n = sizeOf(indices.map((i) => v.args[i]));
  const m = sizeOf(v.fn(...copyArgs(v.args)));

  test(`m x n row-major; forward = reverse = auto = central differences`, () => {
    const fwd = jacobian(v.fn, { wrt: v.wrt, mode: "forward" })(...v.args);
    const rev = jacobian(v.fn, { wrt: v.wrt, mode: "reverse" })(...v.args);
    const auto = jacobian(v.fn, { wrt: v.wrt, mode: "auto" })(...v.args);
    const dflt = jacobian(v.fn, { wrt: v.wrt })(...v.args);
    for (const J of [fwd, rev, auto, dflt]) {
      expect(J).toBeInstanceOf(Float64Array);
      expect(J).toHaveLength(m * n);
    }
    expect(maxRelError(fwd, rev), "forward vs reverse").toBeLessThan(SAME64);
    expect(maxRelError(auto, fwd), "auto vs forward").toBeLessThan(SAME64);
    expect(maxRelError(auto, rev), "auto vs reverse").toBeLessThan(SAME64);
    expect(maxRelError(dflt, auto), "no mode vs auto").toBeLessThan(SAME64);
    const fd = numericJacobian(v.fn, v.args, indices);
    const e = maxRelError(fwd, fd);
    expect(e, `vs central differences: ${err(e)}`).toBeLessThan(TOL64);
    // rows are vjps, columns jvps
    const [, pullback] = vjp(v.fn, { wrt: v.wrt })(...v.args);
    const row0 = new Float64Array(m);
    row0[0] = 1;
    expect(maxRelError(Float64Array.from(flatten(pullback(row0))), rev.subarray(0, n))).toBeLessThan(SAME64);
  });
});

describe("jacobian of scalar functions and Float32 outputs", () => {
  test("scalar f: 1 x n, equal to the flattened gradient", () => {
    for (const { c, wrt, args } of hessianCases) {
      const g = grad(c.fn, { wrt, functions: c.functions })(...args);
      for (const mode of ["forward", "reverse", "auto"] as const) {
        const J = jacobian(c.fn, { wrt, functions: c.functions, mode })(...args);
        expect(J).toBeInstanceOf(Float64Array);
        expect(maxRelError(J, Float64Array.from(flatten(g))), `${c.name} ${mode}`).toBeLessThan(SAME64);
      }
    }
  });

  test("Float32 output: a Float64Array, equal to central differences", () => {
    const v = vectorCases.find((v) => v.float32)!;
    const fd = numericJacobian(v.fn, v.args, [0], 1e-3);
    for (const mode of ["forward", "reverse", "auto"] as const) {
      const J = jacobian(v.fn, { mode })(...v.args);
      expect(J).toBeInstanceOf(Float64Array);
      expect(maxRelError(J, fd), mode).toBeLessThan(TOL32);
    }
  });
});

// ---------------------------------------------------------------------------------------
// 6. The non-smooth convention, identical in every mode (README, "Non-smooth points").

interface Kink {
  name: string;
  fn: Fn;
  wrt?: WrtKey[];
  args: unknown[];
  /** The documented derivative, flattened over the wrt arguments. */
  want: number[];
}

const kinks: Kink[] = [
  { name: "abs at 0: 0 (abs' = sign, sign(0) = 0)", fn: (x: number) => Math.abs(x), args: [0], want: [0] },
  { name: "abs at -0: 0", fn: (x: number) => Math.abs(x), args: [-0], want: [0] },
  {
    name: "abs inside a loop at zero entries",
    fn: (x: Float64Array) => {
      let s = 0;
      for (const v of x) s += Math.abs(v);
      return s;
    },
    args: [new Float64Array([0, 1.5, -2, 0])],
    want: [0, 1, -1, 0],
  },
  { name: "max tie: all to the first argument", fn: (a: number, b: number) => Math.max(a, b), wrt: [0, 1], args: [1.25, 1.25], want: [1, 0] },
  { name: "max tie, arguments swapped in the source", fn: (a: number, b: number) => Math.max(b, a), wrt: [0, 1], args: [-0.5, -0.5], want: [0, 1] },
  { name: "min tie: all to the first argument", fn: (a: number, b: number) => Math.min(a, b), wrt: [0, 1], args: [2, 2], want: [1, 0] },
  { name: "max tie of expressions", fn: (a: number, b: number) => Math.max(2 * a, b * b), wrt: [0, 1], args: [2, 2], want: [2, 0] },
  { name: "relu x > 0 ? x : 0 at 0: 0", fn: (x: number) => (x > 0 ? x : 0), args: [0], want: [0] },
  {
    name: "relu by if at 0: 0 (branch taken)",
    fn: (x: number) => {
      if (x > 0) return x;
      return 0;
    },
    args: [0],
    want: [0],
  },
  { name: "x >= 0 ? x : 0 at 0: 1 (branch taken)", fn: (x: number) => (x >= 0 ? x : 0), args: [0], want: [1] },
  { name: "floor at an integer: 0", fn: (x: number) => Math.floor(x), args: [2], want: [0] },
  { name: "ceil at an integer: 0", fn: (x: number) => Math.ceil(x), args: [-1], want: [0] },
  { name: "round at a half: 0", fn: (x: number) => Math.round(x), args: [2.5], want: [0] },
  { name: "trunc at an integer: 0", fn: (x: number) => Math.trunc(x), args: [3], want: [0] },
  { name: "sign at 0: 0", fn: (x: number) => Math.sign(x), args: [0], want: [0] },
  { name: "x * floor(x) at an integer: floor(x)", fn: (x: number) => x * Math.floor(x), args: [2], want: [2] },
  { name: "sqrt at 0: 0 (a singular point: its partial is 0, not Infinity)", fn: (x: number) => Math.sqrt(x), args: [0], want: [0] },
  // The branch not taken contributes nothing, not Infinity * 0 = NaN.
  { name: "x > 0 ? sqrt(x) : 0 at 0: 0 (branch taken)", fn: (x: number) => (x > 0 ? Math.sqrt(x) : 0), args: [0], want: [0] },
  {
    name: "if (x > 0) return log(x) at 0: that of the other branch",
    fn: (x: number) => {
      if (x > 0) return Math.log(x);
      return 2 * x;
    },
    args: [0],
    want: [2],
  },
];

/** Exactly the documented value (Infinity included; -0 and 0 are the same value here). */
function expectExactly(got: ArrayLike<number>, want: number[], what: string): void {
  expect(Array.from(got, (e) => e + 0), what).toEqual(want.map((e) => e + 0));
}

describe.each(kinks)("non-smooth: $name", (k) => {
  const indices = (k.wrt ?? [0]).map((key) => paramIndex(k.fn, key));
  const xs = indices.map((i) => k.args[i]);
  const n = sizeOf(xs);
  const wrt = k.wrt ?? 0;
  const shaped = (flat: number[]) => fromFlat(k.wrt ? xs : xs[0], flat);

  test("grad, valueAndGrad, jvp (unit tangents), vjp and jacobian give the documented derivative", () => {
    expectExactly(flatten(grad(k.fn, { wrt })(...k.args)), k.want, "grad");
    expectExactly(flatten(valueAndGrad(k.fn, { wrt })(...k.args)[1]), k.want, "valueAndGrad");
    const fj = jvp(k.fn, { wrt });
    for (let j = 0; j < n; j++) {
      const e = new Array(n).fill(0);
      e[j] = 1;
      const [value, t] = fj(...k.args, shaped(e));
      expect(value).toBe(k.fn(...copyArgs(k.args)));
      expectExactly([t], [k.want[j]], `jvp along e_${j}`);
    }
    const [value, pullback] = vjp(k.fn, { wrt })(...k.args);
    expect(value).toBe(k.fn(...copyArgs(k.args)));
    expectExactly(flatten(pullback(1)), k.want, "vjp");
    for (const mode of ["forward", "reverse", "auto"] as const) {
      expectExactly(jacobian(k.fn, { wrt, mode })(...k.args), k.want, `jacobian ${mode}`);
    }
  });
});

interface Kink2 {
  name: string;
  fn: Fn;
  wrt?: WrtKey[];
  args: unknown[];
  /** Gradient and Hessian (row-major) obtained by applying the table to the gradient code. */
  grad: number[];
  hessian: number[];
}

// Second order: the gradient of these functions itself has a kink at the point; the table
// applied once more (abs' = sign, sign' = 0; max ties to the first argument; the branch
// taken; floor' = 0) gives the documented values, for hessian and hvp alike.
const kinks2: Kink2[] = [
  { name: "x * |x| at 0: g = |x| + x sign x = 0, H = 2 sign(0) = 0", fn: (x: number) => x * Math.abs(x), args: [0], grad: [0], hessian: [0] },
  {
    name: "max(a, b)^2 / 2 at a tie: H = [[1, 0], [0, 0]]",
    fn: (a: number, b: number) => 0.5 * Math.max(a, b) ** 2,
    wrt: [0, 1],
    args: [1.5, 1.5],
    grad: [1.5, 0],
    hessian: [1, 0, 0, 0],
  },
  {
    name: "relu(x)^2 / 2 at 0: H = 0 (branch taken)",
    fn: (x: number) => {
      const r = x > 0 ? x : 0;
      return 0.5 * r * r;
    },
    args: [0],
    grad: [0],
    hessian: [0],
  },
  { name: "x^2 * floor(x) / 2 at an integer: g = x floor(x), H = floor(x)", fn: (x: number) => 0.5 * x * x * Math.floor(x), args: [3], grad: [9], hessian: [3] },
];

describe.each(kinks2)("non-smooth, second order: $name", (k) => {
  const indices = (k.wrt ?? [0]).map((key) => paramIndex(k.fn, key));
  const xs = indices.map((i) => k.args[i]);
  const n = sizeOf(xs);
  const wrt = k.wrt ?? 0;

  test("grad, hessian and hvp (unit vectors) give the documented values", () => {
    expectExactly(flatten(grad(k.fn, { wrt })(...k.args)), k.grad, "grad");
    expectExactly(hessian(k.fn, { wrt })(...k.args), k.hessian, "hessian");
    const f = hvp(k.fn, { wrt });
    for (let j = 0; j < n; j++) {
      const e = new Array(n).fill(0);
      e[j] = 1;
      const col = k.hessian.filter((_, i) => i % n === j);
      expectExactly(flatten(f(...k.args, fromFlat(k.wrt ? xs : xs[0], e))), col, `hvp along e_${j}`);
    }
  });
});

// ---------------------------------------------------------------------------------------
// 7. opts.out for every API: caller buffers filled and returned, stale contents overwritten.

/** Typed arrays inside a value (itself, an object's fields, a list's entries), for identity checks. */
function buffersOf(v: unknown): unknown[] {
  if (isTyped(v)) return [v];
  if (Array.isArray(v)) return v.flatMap(buffersOf);
  if (v !== null && typeof v === "object") return Object.values(v).filter(isTyped);
  return [];
}

function expectFilledAndReturned(got: unknown, out: unknown, want: unknown, what: string): void {
  expect(got, `${what}: returns the out buffer itself`).toBe(out);
  const bufs = buffersOf(out);
  buffersOf(got).forEach((b, i) => expect(b, `${what}: buffer ${i} is the caller's`).toBe(bufs[i]));
  expect(maxRelError(got, want), `${what}: same values as without out`).toBeLessThan(1e-12);
}

describe("opts.out", () => {
  const mlp = hessianCases.find((h) => h.c.name === "mlpLoss")!;
  const logistic = hessianCases.find((h) => h.c.name === "logisticRegression")!;
  const rnnCase = hessianCases.find((h) => h.c.name === "rnn")!;
  const expandCase = vectorCases[0];
  const reduceCase = vectorCases[2];
  const layerCase = vectorCases[3];

  test("jvp of a vector-valued function: tangentOut is the out buffer", () => {
    for (const v of [expandCase, reduceCase, vectorCases.find((v) => v.float32)!]) {
      const indices = vecIndices(v);
      const rng = directionRng(`${v.name}/out`, 0);
      const ts = indices.map((i) => randomLike(v.args[i], rng));
      const t = Array.isArray(v.wrt) ? ts : ts[0];
      const [, want] = jvp(v.fn, { wrt: v.wrt })(...v.args, t);
      const m = sizeOf(v.fn(...copyArgs(v.args)));
      const out = v.float32 ? new Float32Array(m).fill(123) : new Float64Array(m).fill(123);
      const f = jvp(v.fn, { wrt: v.wrt, out });
      for (let call = 0; call < 2; call++) {
        const [value, got] = f(...v.args, t);
        expect(maxRelError(value, v.fn(...copyArgs(v.args)))).toBeLessThanOrEqual(v.float32 ? VALUE32 : VALUE64);
        expectFilledAndReturned(got, out, want, `${v.name} call ${call}`);
      }
    }
  });

  test("vjp: the pullback fills and returns out (typed array, object with a number field, list, vector f)", () => {
    const setups: { fn: Fn; wrt?: WrtKey | WrtKey[]; functions?: Record<string, Function>; args: unknown[]; cot: unknown }[] = [
      { fn: mlp.c.fn, args: mlp.args, cot: 0.7 },
      { fn: logistic.c.fn, functions: logistic.c.functions, args: logistic.args, cot: -1.3 },
      { fn: rnnCase.c.fn, wrt: rnnCase.wrt, args: rnnCase.args, cot: 2 },
      { fn: layerCase.fn, args: layerCase.args, cot: new Float64Array([0.5, -1, 2]) },
      { fn: reduceCase.fn, wrt: reduceCase.wrt, args: reduceCase.args, cot: new Float64Array([1, -0.25]) },
    ];
    for (const s of setups) {
      const [, pb] = vjp(s.fn, { wrt: s.wrt, functions: s.functions })(...s.args);
      const want = pb(s.cot);
      const out = fillLike(want, 123);
      const f = vjp(s.fn, { wrt: s.wrt, functions: s.functions, out });
      for (let call = 0; call < 2; call++) {
        const [, pullback] = f(...s.args);
        expectFilledAndReturned(pullback(s.cot), out, want, `${s.fn.name} call ${call}`);
      }
    }
  });

  test("jacobian: a Float64Array(m * n) filled and returned, every mode", () => {
    for (const v of [expandCase, reduceCase, layerCase]) {
      const want = jacobian(v.fn, { wrt: v.wrt })(...v.args);
      for (const mode of ["forward", "reverse", "auto"] as const) {
        const out = new Float64Array(want.length).fill(123);
        const f = jacobian(v.fn, { wrt: v.wrt, mode, out });
        for (let call = 0; call < 2; call++) expectFilledAndReturned(f(...v.args), out, want, `${v.name} ${mode} call ${call}`);
      }
    }
  });

  test("hvp: a buffer shaped like the wrt argument (typed array, object, list)", () => {
    for (const h of [hessianCases[0], mlp, logistic, rnnCase]) {
      const indices = (Array.isArray(h.wrt) ? h.wrt : [h.wrt]).map((key) => paramIndex(h.c.fn, key));
      const xs = indices.map((i) => h.args[i]);
      const template = Array.isArray(h.wrt) ? xs : xs[0];
      const v = randomLike(template, directionRng(`${h.name}/out`, 0));
      const want = hvp(h.c.fn, { wrt: h.wrt, functions: h.c.functions })(...h.args, v);
      const out = fillLike(template, 123);
      const f = hvp(h.c.fn, { wrt: h.wrt, functions: h.c.functions, out });
      for (let call = 0; call < 2; call++) expectFilledAndReturned(f(...h.args, v), out, want, `${h.name} call ${call}`);
    }
  });

  test("hessian: a Float64Array(n * n) filled and returned", () => {
    for (const h of hessianCases) {
      const want = hessian(h.c.fn, { wrt: h.wrt, functions: h.c.functions })(...h.args);
      const out = new Float64Array(want.length).fill(123);
      const f = hessian(h.c.fn, { wrt: h.wrt, functions: h.c.functions, out });
      for (let call = 0; call < 2; call++) expectFilledAndReturned(f(...h.args), out, want, `${h.name} call ${call}`);
    }
  });

  test("with out, valueAndGrad and jvp return [value, out]: the caller's buffer, filled", () => {
    const out = fillLike(mlp.args[0], 0);
    const vg = valueAndGrad(mlp.c.fn, { out });
    const [value, g] = vg(...mlp.args);
    expect(g).toBe(out);
    expect(value).toBe(valueAndGrad(mlp.c.fn)(...mlp.args)[0]);
    const m = sizeOf(expand(new Float64Array(expandCase.args[0] as Float64Array)));
    const tangentOut = new Float64Array(m);
    const f = jvp(expand, { out: tangentOut });
    const t = randomLike(expandCase.args[0], makeRng(1));
    const [, tangent] = f(...expandCase.args, t);
    expect(tangent).toBe(tangentOut);
    expect(Array.from(tangentOut)).toEqual(Array.from(jvp(expand)(...expandCase.args, t)[1]));
  });
});

// ---------------------------------------------------------------------------------------
// 8. Nesting: differentiating through calls to gradc's own derivatives (MAML), run-time path.

function inner(w: number, x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const e = w * x[i] - Math.sin(x[i]);
    s += e * e;
  }
  return s / x.length;
}

function loss(w: number, y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    const e = Math.tanh(w * y[i]) - 0.5;
    s += e * e;
  }
  return s;
}

/** One step of MAML: adapt on (x) with the inner gradient, evaluate on (y). */
function outer(w: number, x: Float64Array, y: Float64Array, lr: number): number {
  return loss(w - lr * grad(inner)(w, x), y);
}

function outerWrt(w: number, x: Float64Array, y: Float64Array, lr: number): number {
  return loss(w - lr * grad(inner, { wrt: "w" })(w, x), y);
}

function innerVec(w: Float64Array, x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += Math.cos(w[i] * x[i]) + w[i] * w[i] * x[i];
  return s;
}

function lossVec(w: Float64Array, y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += (w[i] - y[i]) ** 2 * (1 + 0.1 * i);
  return s;
}

/** MAML over a weight vector: the inner gradient is a Float64Array, adapted element by element. */
function outerVec(w: Float64Array, x: Float64Array, y: Float64Array, lr: number): number {
  const g = grad(innerVec)(w, x);
  const adapted = new Float64Array(w.length);
  for (let i = 0; i < w.length; i++) adapted[i] = w[i] - lr * g[i];
  return lossVec(adapted, y);
}

/** Two inner steps in a loop: the gradient call sits inside a loop and sees updated weights. */
function outerTwoSteps(w: number, x: Float64Array, y: Float64Array, lr: number): number {
  let v = w;
  for (let k = 0; k < 2; k++) v = v - lr * grad(inner)(v, x);
  return loss(v, y);
}

/** A nested valueAndGrad: value and derivative of the inner loss both used. */
function outerValueAndGrad(w: number, x: Float64Array, y: Float64Array, lr: number): number {
  const vg = valueAndGrad(inner)(w, x);
  return loss(w - lr * vg[1], y) + vg[0];
}

describe("nesting: gradients through gradc's own derivatives (MAML)", () => {
  const x = new Float64Array([0.4, -1.1, 0.9, 1.6]);
  const y = new Float64Array([0.8, -0.3, 1.2]);
  const functions = { inner, loss, innerVec, lossVec };

  test.each([
    ["grad(inner)(w, x)", outer],
    ["grad(inner, { wrt: 'w' })(w, x)", outerWrt],
    ["grad(inner) inside a loop (two inner steps)", outerTwoSteps],
    ["valueAndGrad(inner)(w, x)", outerValueAndGrad],
  ] as const)("scalar w, %s: grad and valueAndGrad vs central differences", (_, fn) => {
    for (const w of [0.3, -0.8]) {
      const args: [number, Float64Array, Float64Array, number] = [w, x, y, 0.1];
      const [value, g] = valueAndGrad(fn, { functions })(...args);
      expect(relError(value, fn(...args))).toBeLessThanOrEqual(VALUE64);
      const want = numericGradient(fn, args, 0) as number;
      expect(relError(g, want), `${fn.name}(${w}): ${g} vs ${want}`).toBeLessThan(TOL64);
      expect(relError(grad(fn, { functions })(...args), g)).toBeLessThan(1e-12);
      // gradient with respect to the learning rate too (list wrt)
      const [gw, glr] = grad(fn, { wrt: [0, 3], functions })(...args);
      expect(relError(gw, g)).toBeLessThan(1e-12);
      expect(relError(glr, numericGradient(fn, args, 3) as number)).toBeLessThan(TOL64);
    }
  });

  test("weight vector, inner gradient a Float64Array: grad vs central differences", () => {
    const w = new Float64Array([0.5, -0.2, 0.9]);
    const args = [w, x.subarray(0, 3).slice(), y, 0.05];
    const g = grad(outerVec, { functions })(...args);
    const e = maxRelError(g, numericGradient(outerVec, args, 0));
    expect(e, err(e)).toBeLessThan(TOL64);
  });

  test("forward over a nested reverse: jvp of the MAML objective vs central differences", () => {
    const args = [0.3, x, y, 0.1];
    const { slope } = directionalDifference(outer, args, [0], [1], 1e-6);
    const [value, t] = jvp(outer, { functions })(...args, 1);
    expect(relError(value, outer(...(args as [number, Float64Array, Float64Array, number])))).toBeLessThanOrEqual(VALUE64);
    expect(relError(t, slope)).toBeLessThan(TOL64);
  });

  test("reverse over reverse by feeding grad its own output: d/dw of grad(inner) is hvp(inner)", () => {
    const dInner = (w: number, x: Float64Array): number => grad(inner)(w, x);
    for (const w of [0.3, -0.8]) {
      const g2 = grad(dInner, { functions })(w, x);
      const h = hvp(inner)(w, x, 1);
      expect(relError(g2, h)).toBeLessThan(SAME64);
      expect(relError(g2, numericGradient(dInner, [w, x], 0) as number)).toBeLessThan(TOL64);
    }
  });

  test("forward over forward: jvp of a function calling jvp gives the second derivative", () => {
    const dInner = (w: number, x: Float64Array): number => jvp(inner)(w, x, 1)[1];
    for (const w of [0.3, -0.8]) {
      const [, t] = jvp(dInner, { functions })(w, x, 1);
      expect(relError(t, hessian(inner)(w, x)[0])).toBeLessThan(SAME64);
    }
  });
});
