// The JavaScript people actually write (issue 11, first slice): Number and Math constants,
// module-level constants, Math.fround/clz32/imul, `??`, default parameter values and
// stopGradient — each differentiated on both paths (the run-time API and the build path,
// compileModule on an in-memory module whose output is imported) in reverse mode
// (valueAndGrad), forward mode (jvp) and second order (hvp), and checked against central
// differences at several random points. Then what stays refused, and how it says so.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { compileModule } from "../compiler/compile-module.js";
import { GradcError } from "../compiler/errors.js";
import { kindKey, kindTest } from "../compiler/kinds.js";
import { gradientStops } from "../compiler/ops/table.js";
import * as gradc from "../index.js";
import { maxRelError, numericGradient, relError } from "../runtime/numeric.js";
import { makeRng, seedOf, type Rng } from "./corpus/rng.js";
import { thrownGradcError as thrown } from "./thrown.js";

const { valueAndGrad, jvp, hvp, stopGradient } = gradc;
type Fn = (...args: any[]) => any;
type Shape = number | Float64Array | Float32Array | { [k: string]: Shape };

// ---- the losses, as a module for the build path and as functions for the run-time path ----

const MODULE = `import { valueAndGrad, jvp, hvp, stopGradient } from "gradc";

const scale = 3;
const EPS = 1e-8;
const N = 4;
const HALF = 1 / 2;
export const C = Math.sqrt(N) * scale + Math.PI;
const K = 2 ** -HALF * C - Number.EPSILON;

export function constants(x: number, y: number): number {
  const huge = x < Number.MAX_VALUE && y > -Number.MAX_VALUE ? x * y : 0;
  const tiny = Number.MIN_VALUE > 0 ? y * (1 + Number.EPSILON) : 0;
  const one = Number.MAX_SAFE_INTEGER + Number.MIN_SAFE_INTEGER + 1;
  const bounded = Math.min(x, Infinity, Number.POSITIVE_INFINITY) + Math.max(y, -Infinity, Number.NEGATIVE_INFINITY);
  const n1 = NaN;
  const n2 = Number.NaN;
  const nan = n1 !== n1 && n2 !== n2 ? x : 0;
  const m = Math.PI * x + Math.E * y + Math.LN2 * x * y + Math.LN10 + Math.LOG2E * x * x + Math.LOG10E * y + Math.SQRT2 * x + Math.SQRT1_2 * y * y;
  return huge + tiny + one * x + bounded + nan + m;
}

export function moduleConsts(w: Float64Array): number {
  let s = 0;
  for (let i = 0; i < N; i++) s += scale * w[i] * w[i] + EPS * w[i] + K * Math.sin(w[i] * HALF);
  return s / N;
}

export function roundings(w: Float32Array, x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.sin(Math.fround(w[i])) * x[i] + Math.fround(w[i]) * x[i] * x[i];
  return s;
}

export function integers(w: Float64Array, t: number): number {
  const n = w.length;
  let s = Math.clz32(n) * w[0] * t + Math.clz32(t) * t;
  for (let i = 0; i < n; i++) s += w[Math.imul(i, 7) % n] * w[i] + Math.imul(t, 3) * w[i] * t;
  return s;
}

export function nullish(x: number, y: number, p: { a: number; b: number }): number {
  let z;
  if (x > 0) z = x * y;
  const a = z ?? y * y;
  return a + (x ?? 100) * (p.a ?? 7) + p.b * y;
}

function helper(x: number, k = 3): number {
  return k * x * x * x;
}

export function defaults(w: Float64Array, scale = 2, shift = scale * w[0], on = true): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += scale * w[i] * w[i] + shift * Math.cos(w[i]);
  return on ? s + helper(w[0]) + helper(w[1], scale) : s;
}

export function stopped(x: number, y: number): number {
  return stopGradient(x * y) * x + stopGradient(Math.sin(y)) * y * y + x * y;
}

export const constantsVG = valueAndGrad(constants, { wrt: [0, 1] });
export const constantsJvp = jvp(constants, { wrt: [0, 1] });
export const constantsHvp = hvp(constants, { wrt: [0, 1] });
export const moduleConstsVG = valueAndGrad(moduleConsts, { wrt: [0] });
export const moduleConstsJvp = jvp(moduleConsts, { wrt: [0] });
export const moduleConstsHvp = hvp(moduleConsts, { wrt: [0] });
export const roundingsVG = valueAndGrad(roundings, { wrt: [0, 1] });
export const roundingsJvp = jvp(roundings, { wrt: [0, 1] });
export const roundingsHvp = hvp(roundings, { wrt: [1] });
export const integersVG = valueAndGrad(integers, { wrt: [0, 1] });
export const integersJvp = jvp(integers, { wrt: [0, 1] });
export const integersHvp = hvp(integers, { wrt: [0, 1] });
export const nullishVG = valueAndGrad(nullish, { wrt: [0, 1, 2] });
export const nullishJvp = jvp(nullish, { wrt: [0, 1, 2] });
export const nullishHvp = hvp(nullish, { wrt: [0, 1, 2] });
export const defaultsVG = valueAndGrad(defaults, { wrt: [0] });
export const defaultsJvp = jvp(defaults, { wrt: [0] });
export const defaultsHvp = hvp(defaults, { wrt: [0] });
export const defaultsAllVG = valueAndGrad(defaults, { wrt: [0, 1, 2] });
export const defaultsAllJvp = jvp(defaults, { wrt: [0, 1, 2] });
export const defaultsAllHvp = hvp(defaults, { wrt: [0, 1, 2] });
export const stoppedVG = valueAndGrad(stopped, { wrt: [0, 1] });
export const stoppedJvp = jvp(stopped, { wrt: [0, 1] });
export const stoppedHvp = hvp(stopped, { wrt: [0, 1] });
`;

// The run-time path sees f.toString(): module constants are written inside, helpers passed in functions.
function constants(x: number, y: number): number {
  const huge = x < Number.MAX_VALUE && y > -Number.MAX_VALUE ? x * y : 0;
  const tiny = Number.MIN_VALUE > 0 ? y * (1 + Number.EPSILON) : 0;
  const one = Number.MAX_SAFE_INTEGER + Number.MIN_SAFE_INTEGER + 1;
  const bounded = Math.min(x, Infinity, Number.POSITIVE_INFINITY) + Math.max(y, -Infinity, Number.NEGATIVE_INFINITY);
  const n1 = NaN;
  const n2 = Number.NaN;
  const nan = n1 !== n1 && n2 !== n2 ? x : 0;
  const m = Math.PI * x + Math.E * y + Math.LN2 * x * y + Math.LN10 + Math.LOG2E * x * x + Math.LOG10E * y + Math.SQRT2 * x + Math.SQRT1_2 * y * y;
  return huge + tiny + one * x + bounded + nan + m;
}

function moduleConsts(w: Float64Array): number {
  const scale = 3;
  const EPS = 1e-8;
  const N = 4;
  const HALF = 1 / 2;
  const K = 2 ** -HALF * (Math.sqrt(N) * scale + Math.PI) - Number.EPSILON;
  let s = 0;
  for (let i = 0; i < N; i++) s += scale * w[i] * w[i] + EPS * w[i] + K * Math.sin(w[i] * HALF);
  return s / N;
}

function roundings(w: Float32Array, x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.sin(Math.fround(w[i])) * x[i] + Math.fround(w[i]) * x[i] * x[i];
  return s;
}

function integers(w: Float64Array, t: number): number {
  const n = w.length;
  let s = Math.clz32(n) * w[0] * t + Math.clz32(t) * t;
  for (let i = 0; i < n; i++) s += w[Math.imul(i, 7) % n] * w[i] + Math.imul(t, 3) * w[i] * t;
  return s;
}

function nullish(x: number, y: number, p: { a: number; b: number }): number {
  let z;
  if (x > 0) z = x * y;
  const a = z ?? y * y;
  return a + (x ?? 100) * (p.a ?? 7) + p.b * y;
}

function helper(x: number, k = 3): number {
  return k * x * x * x;
}

function defaults(w: Float64Array, scale = 2, shift = scale * w[0], on = true): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += scale * w[i] * w[i] + shift * Math.cos(w[i]);
  return on ? s + helper(w[0]) + helper(w[1], scale) : s;
}

function stopped(x: number, y: number): number {
  return stopGradient(x * y) * x + stopGradient(Math.sin(y)) * y * y + x * y;
}

/** `stopped` with its stopped values as arguments: what its derivatives must be at a point. */
function stoppedFrozen(x: number, y: number, xy: number, sinY: number): number {
  return xy * x + sinY * y * y + x * y;
}

// ---- checks ----

/** The derivatives of one loss on one path, as `valueAndGrad`, `jvp` and `hvp` with a wrt list return them. */
interface Subject {
  vg: Fn;
  jvp: Fn;
  hvp: Fn;
}

/** What the derivatives must equal: central differences of `f` at `args` with respect to `wrt`. */
interface Reference {
  f: Fn;
  args: unknown[];
  wrt: number[];
  /** A gradient of f known to match central differences (for H·v by differences of it). */
  grad: Fn;
  /** The wrt of the HVP, when not `wrt`. */
  hvpWrt?: number[];
}

function flat(v: Shape): number[] {
  if (typeof v === "number") return [v];
  if (ArrayBuffer.isView(v)) return [...v];
  return Object.keys(v).flatMap((k) => flat(v[k]));
}

/** `a·x + b·y` of two values of one shape. */
function combine(x: Shape, y: Shape, a: number, b: number): Shape {
  if (typeof x === "number") return a * x + b * (y as number);
  if (x instanceof Float64Array) return x.map((xi, i) => a * xi + b * (y as Float64Array)[i]);
  if (x instanceof Float32Array) return x.map((xi, i) => a * xi + b * (y as Float32Array)[i]);
  return Object.fromEntries(Object.keys(x).map((k) => [k, combine(x[k], (y as Record<string, Shape>)[k], a, b)]));
}

/** A random value shaped like x (directions, tangents). */
function randomLike(x: Shape, rng: Rng): Shape {
  if (typeof x === "number") return rng.uniform(-1, 1);
  if (x instanceof Float64Array) return rng.f64(x.length, -1, 1);
  if (x instanceof Float32Array) return rng.f32(x.length, -1, 1);
  return Object.fromEntries(Object.keys(x).map((k) => [k, randomLike(x[k], rng)]));
}

const dot = (a: Shape[], b: Shape[]) => a.flatMap(flat).reduce((s, ai, i) => s + ai * b.flatMap(flat)[i], 0);

/** Reverse mode, forward mode and HVP of `subject` at `args`, against central differences of the reference. */
function checkAt(subject: Subject, args: unknown[], ref: Reference, rng: Rng): void {
  const shaped = ref.wrt.map((w) => ref.args[w] as Shape);
  const numeric = ref.wrt.map((w) => numericGradient(ref.f, ref.args, w) as Shape);
  const [value, grads] = subject.vg(...args);
  expect(relError(value, ref.f(...ref.args)), "value").toBeLessThan(1e-12);
  expect(maxRelError(grads, numeric), `gradient ${JSON.stringify(grads)} vs ${JSON.stringify(numeric)}`).toBeLessThan(1e-5);
  // J·t against the numeric gradient in a random direction t.
  const t = shaped.map((x) => randomLike(x, rng));
  const [jvpValue, jt] = subject.jvp(...args, t);
  expect(relError(jvpValue, value), "jvp value").toBeLessThan(1e-12);
  expect(relError(jt, dot(numeric, t)), "jvp").toBeLessThan(1e-5);
  // H·v against central differences of the reference gradient along v.
  const hvpWrt = ref.hvpWrt ?? ref.wrt;
  const v = hvpWrt.map((w) => randomLike(ref.args[w] as Shape, rng));
  const h = 1e-5;
  const at = (s: number) => {
    const a = [...ref.args];
    hvpWrt.forEach((w, j) => { a[w] = combine(a[w] as Shape, v[j], 1, s); });
    const g = ref.grad(...a)[1] as Shape[];
    return hvpWrt.map((w) => g[ref.wrt.indexOf(w)]);
  };
  const [plus, minus] = [at(h), at(-h)];
  const expected = plus.map((p, j) => combine(p, minus[j], 1 / (2 * h), -1 / (2 * h)));
  expect(maxRelError(subject.hvp(...args, v), expected), "hvp").toBeLessThan(1e-5);
}

/** The run-time path's derivatives of `f`. */
function runtime(f: Fn, wrt: number[], functions?: Record<string, Function>, hvpWrt = wrt): Subject {
  const opts = (w: number[]) => ({ wrt: w, ...(functions ? { functions } : {}) }) as never;
  return { vg: valueAndGrad(f, opts(wrt)), jvp: jvp(f, opts(wrt)), hvp: hvp(f, opts(hvpWrt)) };
}

/** The reference for `f` itself (its run-time gradient, checked in the same test, for H·v). */
function plain(f: Fn, args: unknown[], wrt: number[], functions?: Record<string, Function>): Reference {
  return { f, args, wrt, grad: valueAndGrad(f, { wrt, ...(functions ? { functions } : {}) } as never) };
}

const POINTS = 4;

/** Runs `check` at POINTS random points of a case. */
function eachPoint(name: string, check: (rng: Rng) => void): void {
  for (let k = 0; k < POINTS; k++) check(makeRng(seedOf(name, k)));
}

// ---- the build path: one generated module, imported ----

let built: Record<string, Fn>;
let builtCode: string;
let source: Record<string, Fn>;
let dir: string;

beforeAll(async () => {
  const out = await compileModule(MODULE, "/virtual/language.ts", {
    host: { readFile: () => undefined }, runtimeImport: path.resolve("runtime/index.ts"), format: false,
  });
  expect(out.diagnostics.map((d) => d.message)).toEqual([]);
  dir = mkdtempSync(path.join(tmpdir(), "gradc-language-"));
  builtCode = out.code!;
  writeFileSync(path.join(dir, "language.grad.ts"), builtCode);
  writeFileSync(path.join(dir, "language.ts"), MODULE.replace('from "gradc"', `from ${JSON.stringify(path.resolve("index.ts"))}`));
  built = await import(path.join(dir, "language.grad.ts"));
  source = await import(path.join(dir, "language.ts"));
});
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

const fromBuild = (name: string): Subject => ({ vg: built[`${name}VG`], jvp: built[`${name}Jvp`], hvp: built[`${name}Hvp`] });

/** Checks one loss on both paths at the same point. */
function bothPaths(name: string, f: Fn, args: unknown[], wrt: number[], rng: Rng, hvpWrt?: number[]): void {
  const ref = { ...plain(f, args, wrt), hvpWrt };
  checkAt(runtime(f, wrt, undefined, hvpWrt), args, ref, rng);
  checkAt(fromBuild(name), args, { ...ref, f: source[name] }, rng);
}

describe("constants", () => {
  test("Number.EPSILON, MAX_VALUE, MIN_VALUE, MAX/MIN_SAFE_INTEGER, POSITIVE/NEGATIVE_INFINITY, NaN, Infinity, and every Math constant", () => {
    eachPoint("constants", (rng) => bothPaths("constants", constants, [rng.uniform(-2, 2), rng.uniform(-2, 2)], [0, 1], rng));
  });

  test("module-level consts (numbers, and constant expressions of them, Math constants and functions) are inlined on the build path", () => {
    eachPoint("moduleConsts", (rng) => bothPaths("moduleConsts", moduleConsts, [rng.f64(4, -2, 2)], [0], rng));
    expect(builtCode).toMatch(/for \(let i = 0; i < 4; i\+\+\)/);
    expect(builtCode.replace(/\/\/.*$/gm, "")).not.toMatch(/\bEPS\b|\bHALF\b|\bK\b/);
  });
});

describe("Math.fround, Math.clz32, Math.imul", () => {
  // H·v only along the Float64Array: a Float32Array moved by a small step is rounded.
  test("fround has derivative 1 (checked on Float32Array entries, which it leaves unchanged)", () => {
    eachPoint("roundings", (rng) => bothPaths("roundings", roundings, [rng.f32(3, -2, 2), rng.f64(3, -2, 2)], [0, 1], rng, [1]));
  });

  test("clz32 and imul are integer ops with derivative 0, also as indices", () => {
    eachPoint("integers", (rng) => bothPaths("integers", integers, [rng.f64(rng.int(2, 6), -2, 2), rng.uniform(1.1, 1.9)], [0, 1], rng));
  });
});

describe("a ?? b", () => {
  test("a variable, a parameter or a field is never nullish; a variable declared without a value is, until assigned", () => {
    eachPoint("nullish", (rng) => {
      const args = [rng.signed(0.2, 2), rng.uniform(-2, 2), { a: rng.uniform(-2, 2), b: rng.uniform(-2, 2) }];
      bothPaths("nullish", nullish, args, [0, 1, 2], rng);
    });
  });
});

describe("default parameter values", () => {
  const functions = { helper };
  // Each call leaves out a different set of arguments (undefined counts as left out).
  const calls = (rng: Rng): unknown[][] => {
    const w = rng.f64(3, -1.5, 1.5);
    const s = rng.uniform(0.5, 2);
    const sh = rng.uniform(-1, 1);
    return [[w], [w, s], [w, s, sh], [w, undefined, sh], [w, s, sh, false], [w, undefined, undefined, true]];
  };

  test("left out, the default applies (computed from the parameters before it); given, the argument", () => {
    eachPoint("defaults", (rng) => {
      for (const args of calls(rng)) {
        const full = [...args, ...Array(4 - args.length).fill(undefined)];
        const ref = plain(defaults, full, [0], functions);
        checkAt(runtime(defaults, [0], functions), full, ref, rng);
        checkAt(fromBuild("defaults"), full, { ...ref, f: source.defaults }, rng);
        // Fewer arguments than parameters: the left-out ones are undefined.
        const [v1, g1] = valueAndGrad(defaults, { functions })(...(args as [Float64Array]));
        const [v2, [g2]] = built.defaultsVG(...args);
        expect(maxRelError([v1, g1], [v2, g2])).toBeLessThan(1e-12);
      }
    });
  });

  test("wrt may name a defaulted parameter: its derivative when it is given", () => {
    eachPoint("defaultsAll", (rng) => {
      const args = [rng.f64(3, -1.5, 1.5), rng.uniform(0.5, 2), rng.uniform(-1, 1), undefined];
      const ref = plain(defaults, args, [0, 1, 2], functions);
      checkAt(runtime(defaults, [0, 1, 2], functions), args, ref, rng);
      checkAt(fromBuild("defaultsAll"), args, { ...ref, f: source.defaults }, rng);
    });
  });

  test("a run-time call that leaves out a wrt parameter is refused; the specialisation key records 'absent'", () => {
    const w = new Float64Array([0.5, -1, 2]);
    expect(() => gradc.grad(defaults, { wrt: "scale", functions })(w)).toThrow(/wrt names 'scale', but this call leaves it out/);
    expect(kindKey({ k: "absent" })).toBe("u");
    expect(kindTest({ k: "absent" }, "a1")).toBe("a1 === undefined");
    // Alternating calls with and without the argument use their own specialisations.
    const g = valueAndGrad(defaults, { functions });
    for (const s of [undefined, 3, undefined, 3]) expect(g(w, s)[0]).toBeCloseTo(defaults(w, s), 12);
  });

  test("the build path's entry takes a defaulted parameter as optional (number | undefined before a required one), unless wrt names it", async () => {
    const out = await compileModule(MODULE, "/virtual/language.ts", { host: { readFile: () => undefined }, format: false });
    expect(out.code).toMatch(/export function defaultsVG\(w: Float64Array, scale\?: number, shift\?: number, on\?: boolean, out\?: /);
    expect(out.code).toMatch(/export function defaultsHvp\(w: Float64Array, scale: number \| undefined, shift: number \| undefined, on: boolean \| undefined, v: /);
    expect(out.code).toMatch(/if \(\(scale === undefined\)\) \{\s*scale = 2;/);
    // A wrt parameter is required: its derivative needs its value.
    expect(out.code).toMatch(/export function defaultsAllVG\(w: Float64Array, scale: number, shift: number, on\?: boolean, out\?: /);
  });
});

describe("stopGradient", () => {
  test("the identity at run time", () => {
    expect(stopGradient(1.5)).toBe(1.5);
  });

  test("its derivative is 0 in every mode: the derivatives are those of f with the stopped values held constant", () => {
    eachPoint("stopped", (rng) => {
      const [x, y] = [rng.uniform(-2, 2), rng.uniform(-2, 2)];
      const frozen = [x, y, x * y, Math.sin(y)];
      const ref: Reference = { f: stoppedFrozen, args: frozen, wrt: [0, 1], grad: (...a: number[]) => valueAndGrad(stoppedFrozen, { wrt: [0, 1] })(...(a as [number, number, number, number])) };
      // Away from the point the frozen values stay those of the point: H·v is the frozen function's.
      checkAt(runtime(stopped, [0, 1]), [x, y], ref, rng);
      checkAt(fromBuild("stopped"), [x, y], ref, rng);
    });
  });

  test("gradc's own stopGradient in opts.functions is recognised; under another name it is refused", () => {
    expect(valueAndGrad(stopped, { functions: { stopGradient } })(2, 3)[1]).toBe(2 * 3 + 3);
    const sg = stopGradient;
    const f = (x: number) => sg(x) * x;
    expect(() => gradc.grad(f, { functions: { sg } })(2)).toThrow(/opts\.functions\.sg is gradc's stopGradient: call it by its own name/);
  });

  test("is one record of the op table, outside the central-difference table test", () => {
    expect(gradientStops().map((op) => op.name)).toEqual(["stopGradient"]);
    expect(gradientStops()[0].partials).toBeUndefined();
  });
});

// ---- refusals ----

/** The first diagnostic of building `text` (a module with one request site). */
async function buildError(text: string): Promise<GradcError> {
  const out = await compileModule(text, "/virtual/refused.ts", { host: { readFile: () => undefined }, format: false });
  expect(out.diagnostics.length, out.code).toBe(1);
  return out.diagnostics[0];
}

/** line:col of `needle` in `text`. */
function at(text: string, needle: string): { line: number; column: number } {
  const before = text.slice(0, text.indexOf(needle)).split("\n");
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

const site = (body: string, top = "") => `import { grad } from "gradc";\n${top}\nexport function f(w: Float64Array): number {\n  ${body}\n}\nexport const g = grad(f);\n`;

describe("what stays refused, and what it says", () => {
  test.each([
    ["a module-level let", "let scale = 2;", "return w[0] * scale;", /'scale' is a module-level let \(line 2\).*can change.*const.*pass scale as an argument/],
    ["a module-level var", "var scale = 2;", "return w[0] * scale;", /'scale' is a module-level var/],
    ["an array it does not export", "const scale = new Float64Array(2);", "return w[0] * scale[0];", /'scale' \(line 2\) is a module-level Float64Array: the generated module reads it on every call, and can import it only if its module exports it\. Export it/],
    ["an array literal it does not export", "const scale = [1, 2];", "return w[0] * scale[0];", /'scale' \(line 2\) is a module-level number\[\]: .*Export it/],
    ["an object it does not export", "const scale = { k: 2 };", "return w[0] * scale.k;", /'scale' \(line 2\) is a module-level object \{ "k" \}: .*Export it/],
    ["Math.random", "const scale = Math.random();", "return w[0] * scale;", /it calls Math\.random \(not a function of anything/],
    ["a call of a function", "const scale = twice(2);\nfunction twice(x: number) { return 2 * x; }", "return w[0] * scale;", /it calls a function \(only Math functions/],
    ["a const of a let", "let k = 2;\nconst scale = k * 2;", "return w[0] * scale;", /it uses 'k', which is a module-level let/],
    ["a declared const", "declare const scale: number;", "return w[0] * scale;", /declared without a value/],
    ["an import", "import { scale } from \"./consts.js\";", "return w[0] * scale;", /'scale' is imported from "\.\/consts\.js".*Declare it in this module/],
    ["a boolean", "const scale = true;", "return scale ? w[0] : 0;", /the boolean true is not a number/],
  ])("build path: %s at module level", async (_what, top, body, message) => {
    const text = site(body, top);
    const err = await buildError(text);
    expect(err.detail).toMatch(message);
    // At the use, in the loss: file:line:col and a frame.
    const use = text.indexOf("scale", text.indexOf("export function f"));
    expect(err.position).toEqual(at(text, text.slice(use, use + 8)));
    expect(err.message).toContain(`/virtual/refused.ts:${err.position!.line}:${err.position!.column}`);
    expect(err.frame).toContain(`> ${err.position!.line} |`);
  });

  test("a local of the same name shadows a module-level binding", async () => {
    const out = await compileModule(site("const scale = 3;\n  return w[0] * scale;", "let scale = 2;"), "/virtual/ok.ts", { host: { readFile: () => undefined }, format: false });
    expect(out.diagnostics).toEqual([]);
  });

  test("run time: a closure over an outer constant says to give it in opts.closure, pass it as an argument or write it inside f", () => {
    const scale = 3;
    const f = (x: number) => x * scale;
    const err = thrown(() => gradc.grad(f)(2));
    expect(err.detail).toMatch(/'scale' is defined outside the differentiated function: gradc compiles the function from its source text \(f\.toString\(\)\)/);
    expect(err.detail).toMatch(/Give its value in opts\.closure \(\{ closure: \{ scale \} \}.*pass it as an argument.*or write it inside the function \(const scale = …\)/);
    expect(err.position).toEqual(at(f.toString(), "scale"));
    expect(gradc.grad(f, { closure: { scale } })(2)).toBe(3);
  });

  test("Math.random: not a function of the inputs, on both paths", async () => {
    const f = (x: number) => x * Math.random();
    expect(thrown(() => gradc.grad(f)(2)).detail).toMatch(/Math\.random is not a function of the inputs.*Pass random numbers in as an argument/);
    expect((await buildError(site("return w[0] * Math.random();"))).detail).toMatch(/Math\.random is not a function of the inputs/);
  });

  test("?? after an element read or a call (which may be undefined)", async () => {
    const f = (w: Float64Array) => w[0] ?? 1;
    const err = thrown(() => gradc.grad(f)(new Float64Array(2)));
    expect(err.detail).toMatch(/The left side of \?\? is an element read \(undefined out of bounds\)/);
    expect(err.position).toEqual(at(f.toString(), "w[0]"));
    expect((await buildError(site("return Math.abs(w[0]) ?? 1;"))).detail).toMatch(/left side of \?\? is a call/);
  });

  test("build path: a default value for an array parameter, an optional parameter without one", async () => {
    const arr = 'import { grad } from "gradc";\nexport function f(x: number, w: Float64Array = new Float64Array(2)): number { return x * w[0]; }\nexport const g = grad(f);\n';
    const err = await buildError(arr);
    expect(err.detail).toMatch(/Parameter 'w' has a default value, and is a typed array: gradc build supports default values for numbers and booleans/);
    expect(err.position).toEqual(at(arr, "w: Float64Array ="));
    const opt = 'import { grad } from "gradc";\nexport function f(x: number, k?: number): number { return x * (k ?? 2); }\nexport const g = grad(f);\n';
    expect((await buildError(opt)).detail).toMatch(/Parameter 'k' is optional without a default value.*Give it a default value \(k = …\)/);
  });

  test("a helper called without an argument that has no default", () => {
    const inner = (x: number, k: number) => x * k;
    const f = (x: number) => inner(x, undefined as unknown as number);
    expect(thrown(() => gradc.grad(f, { functions: { inner } })(2)).detail).toMatch(/'inner' takes 2 argument\(s\) but is called with 2 \(argument 2 undefined\)/);
  });

  test("stopGradient of a boolean, or with two arguments", () => {
    const f = (x: number) => (stopGradient as Fn)(x > 0) * x;
    const err = thrown(() => gradc.grad(f)(2));
    expect(err.detail).toMatch(/stopGradient takes a number or a typed array, and this is a boolean/);
    const g = (x: number) => (stopGradient as Fn)(x, x);
    expect(thrown(() => gradc.grad(g)(2)).detail).toMatch(/stopGradient takes one argument/);
  });
});
