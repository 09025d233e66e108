// The run-time path on code transformed by tools: losses minified by esbuild (renamed
// parameters and locals, comma sequences, `!0`, `void 0`, ternaries and `&&` as
// statements) compile to the same derivatives as the originals.
import { transformSync, type TransformOptions } from "esbuild";
import { describe, expect, test } from "vitest";
import { compileFunction } from "../compiler/api.js";
import { grad, hvp, jvp, valueAndGrad } from "../index.js";
import { maxRelError, numericGradient } from "../runtime/numeric.js";
import { thrownGradcError as thrown } from "./thrown.js";

type Fn = ((...args: any[]) => any) & Record<string, any>;

/** The module `src` after esbuild with `opts`, evaluated: its exports by name. */
function transformed(src: string, opts: TransformOptions = { minify: true }): Record<string, Fn> {
  const { code } = transformSync(src, { ...opts, loader: "ts", format: "cjs" });
  const module = { exports: {} as Record<string, Fn> };
  new Function("module", "exports", code)(module, module.exports);
  return module.exports;
}

// The README's "30 seconds" example and the loss of its API section.
const README = `
export const f = (x: number, y: number) => Math.sin(x) * Math.exp(y) + x * y;
export function loss(w: Float64Array, x: Float64Array, y: number): number {
  let z = 0;
  for (let i = 0; i < w.length; i++) z += w[i] * x[i];
  return (z - y) ** 2;
}`;

const LOSSES = `
export function huber(x: Float64Array, d: number): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const a = Math.abs(x[i]);
    if (a <= d) s += 0.5 * x[i] * x[i];
    else s += d * (a - 0.5 * d);
  }
  return s;
}
export function early(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    if (x[i] > 10) return s * 2;
    if (x[i] < -5) continue;
    s += Math.tanh(x[i]) * x[i];
    if (s > 100) break;
  }
  if (s < 0) return -s;
  return s * s;
}
export function net({ W, b }: { W: Float64Array; b: number }, x: Float64Array): number {
  let t = 0, u = 1;
  for (let i = 0; i < W.length; i++) { t += W[i] * x[i % x.length]; u *= 1 + 0.1 * Math.cos(W[i]); }
  const positive = t > 0;
  return positive ? t * u + b : -t + b * b;
}
export function flags(x: Float64Array, on: boolean): number {
  let best = undefined;
  let found = false;
  let s = 0;
  let k = 0;
  while (k < x.length) {
    if (x[k] > 0) { found = true; s += x[k]; } else if (x[k] < -1) { s -= 2 * x[k]; } else { s *= 0.5; }
    k++;
  }
  if (best === undefined && found) s = s * 3;
  const g = function (t: number) { return Math.log1p(t * t); };
  const inner = (t: number) => { let r = t; r *= r; return r + 1; };
  return on ? g(s) + inner(s) : x.length > 2 ? s : -s;
}
export function norm(x: Float64Array): number {
  let m = 0;
  for (const v of x) m = Math.max(m, Math.abs(v));
  if (m === 0) return 0;
  let s = 0;
  for (let i = 0; i < x.length; i++) { const t = x[i] / m; s += t * t; }
  return m * Math.sqrt(s);
}`;

const HELPERS = `
function sigmoid(t: number): number { return 1 / (1 + Math.exp(-t)); }
function sq(t: number): number { return t * t; }
export const helpers = { sigmoid, sq };
export function mse(p: { w: Float64Array; b: number }, x: Float64Array, y: Float64Array): number {
  let total = 0;
  for (let i = 0; i < x.length; i++) total += sq(sigmoid(p.w[0] * x[i] + p.b) - y[i]);
  return total / x.length;
}`;

const v = (...xs: number[]) => new Float64Array(xs);

/** Each loss: its name, its arguments, which to differentiate. */
const CASES: { name: string; src: string; args: () => unknown[]; wrt: number }[] = [
  { name: "f", src: README, args: () => [1, 2], wrt: 0 },
  { name: "loss", src: README, args: () => [v(0.5, -1, 2), v(1, 0.3, -0.7), 0.4], wrt: 0 },
  { name: "huber", src: LOSSES, args: () => [v(0.3, -2, 1.5, 0.1), 1], wrt: 0 },
  { name: "early", src: LOSSES, args: () => [v(0.3, -7, 1.5, 0.8)], wrt: 0 },
  { name: "net", src: LOSSES, args: () => [{ W: v(0.5, -0.2, 0.9), b: 0.3 }, v(1, -1)], wrt: 0 },
  { name: "flags", src: LOSSES, args: () => [v(0.3, -2, 0.5, -0.5), true], wrt: 0 },
  { name: "norm", src: LOSSES, args: () => [v(0.3, -2, 0.5)], wrt: 0 },
];

const MINIFIERS: [string, TransformOptions][] = [
  ["minify", { minify: true }],
  ["minifyIdentifiers", { minifyIdentifiers: true }],
  ["minifySyntax", { minifySyntax: true }],
  ["keepNames", { minify: true, keepNames: true }],
];

/** A direction shaped like `x`. */
function direction(x: unknown): unknown {
  if (typeof x === "number") return 0.7;
  if (x instanceof Float64Array) return x.map((_, i) => 0.3 + 0.2 * i);
  return Object.fromEntries(Object.entries(x as object).map(([k, y]) => [k, direction(y)]));
}

describe.each(MINIFIERS)("esbuild %s", (_, opts) => {
  test.each(CASES)("$name: grad, valueAndGrad, jvp and hvp match the original and central differences", ({ name, src, args, wrt }) => {
    const original = transformed(src, {})[name];
    const min = transformed(src, opts)[name];
    const a = args();
    const g = grad(min, { wrt })(...a);
    expect(maxRelError(g, numericGradient(original, a, wrt))).toBeLessThan(1e-6);
    expect(maxRelError(g, grad(original, { wrt })(...a))).toBe(0);
    expect(valueAndGrad(min, { wrt })(...a)).toEqual(valueAndGrad(original, { wrt })(...a));
    const t = direction(a[wrt]);
    expect(jvp(min, { wrt })(...a, t)).toEqual(jvp(original, { wrt })(...a, t));
    expect(maxRelError(hvp(min, { wrt })(...a, t), hvp(original, { wrt })(...a, t))).toBeLessThan(1e-12);
  });

  test("helpers passed in opts.functions under the names the minified loss calls them by", () => {
    const m = transformed(HELPERS, opts);
    const o = transformed(HELPERS, {});
    // The names the loss calls its helpers by: `total += sq(sigmoid(…` after renaming.
    const [, sq, sigmoid] = /([\w$]+)\(([\w$]+)\(/.exec(m.mse.toString())!;
    const a = [{ w: v(0.5), b: 0.1 }, v(0.2, -0.4, 1), v(0.7, 0.1, 0.4)];
    const functions = { [sigmoid]: m.helpers.sigmoid, [sq]: m.helpers.sq };
    const g = grad(m.mse, { functions })(...a);
    expect(maxRelError(g, numericGradient(o.mse, a, 0))).toBeLessThan(1e-6);
    expect(maxRelError(g, grad(o.mse, { functions: o.helpers })(...a))).toBe(0);
  });
});

describe("names a tool renamed", () => {
  const min = transformed(README);
  const a = [v(0.5, -1, 2), v(1, 0.3, -0.7), 0.4];

  test("wrt by index works on renamed parameters", () => {
    const o = transformed(README, {});
    expect(min.f.toString()).not.toMatch(/\bx\b/);
    expect(grad(min.f, { wrt: [0, 1] })(1, 2)).toEqual(grad(o.f, { wrt: ["x", "y"] })(1, 2));
    expect(valueAndGrad(min.loss, { wrt: 1 })(...a)).toEqual(valueAndGrad(o.loss, { wrt: "x" })(...a));
  });

  test("wrt by a name the source no longer has says it looks transformed", () => {
    const err = thrown(() => grad(min.loss, { wrt: "w" }));
    const params = min.loss.toString().match(/\(([^)]*)\)/)![1].replace(/\s/g, "").split(",").join(", ");
    expect(err.message).toContain(`parameters ${params}`);
    expect(err.message).toMatch(/looks transformed.*minifier.*esbuild\/tsx/);
    expect(err.message).toMatch(/wrt by index.*keep the names.*gradc build/);
  });

  test("a helper missing from opts.functions because its name changed says so", () => {
    const m = transformed(HELPERS);
    const a = [{ w: v(0.5), b: 0.1 }, v(0.2, -0.4, 1), v(0.7, 0.1, 0.4)];
    const err = thrown(() => grad(m.mse, { functions: { sigmoid: m.helpers.sigmoid, sq: m.helpers.sq } })(...a));
    expect(err.message).toMatch(/opts\.functions has sigmoid, sq, but not '[\w$]+'/);
    expect(err.message).toMatch(/looks transformed.*under the name the source calls it by.*gradc build/);
    expect(err.position).toBeDefined();
  });
});

describe("Content-Security-Policy without 'unsafe-eval'", () => {
  /** Runs `run` with `new Function` throwing what a CSP-restricted page throws. */
  function withoutEval<T>(run: () => T): T {
    const real = globalThis.Function;
    const refuse = function () { throw new EvalError("Refused to evaluate a string as JavaScript"); };
    // Only the constructor refuses: Function.prototype (toString, call) stays.
    refuse.prototype = real.prototype;
    globalThis.Function = refuse as unknown as FunctionConstructor;
    try {
      return run();
    } finally {
      globalThis.Function = real;
    }
  }

  test("compileFunction turns the EvalError into a GradcError pointing at gradc build", () => {
    const err = thrown(() => withoutEval(() => compileFunction(["x"], "return x;")));
    expect(err.construct).toMatch(/Content-Security-Policy/);
    expect(err.message).toMatch(/needs|forbids/);
    expect(err.message).toMatch(/gradc build.*bundler plugin/);
    expect(compileFunction(["x"], "return 2 * x;")(3)).toBe(6);
  });

  test("grad(f) under such a policy throws the GradcError, not an EvalError", () => {
    const f = (x: number) => x * x;
    const err = thrown(() => withoutEval(() => grad(f)));
    expect(err.message).toMatch(/Content-Security-Policy.*gradc build/);
    expect(grad(f)(3)).toBe(6);
  });
});

describe("what other minifiers write", () => {
  test("grouped var, for (i = 0, n = x.length; …), !0, a ? b : c and a && b as statements", () => {
    const src = `function t(x, k) {
      var s = 0, i, n, on = !0;
      for (i = 0, n = x.length; i < n; i++) { var e = x[i]; e > 0 ? s += e * e : s -= k * e, on && (s *= 1.01); }
      return s += k, s * 2;
    }`;
    const f = new Function(`return ${src}`)();
    const a = [v(0.5, -1, 2), 0.3];
    expect(maxRelError(grad(f)(...a), numericGradient(f, a, 0))).toBeLessThan(1e-6);
    expect(maxRelError(grad(f, { wrt: 1 })(...a), numericGradient(f, a, 1))).toBeLessThan(1e-6);
  });

  test("void 0 used as a number is refused at its position", () => {
    const f = new Function("return function (x) { return x * void 0; }")();
    const err = thrown(() => grad(f)(1));
    expect(err.construct).toBe("void 0");
    expect(err.position).toEqual({ line: 1, column: 27 });
    expect(err.message).toMatch(/not a number/);
  });
});
