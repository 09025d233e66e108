// Custom rules over typed arrays: customVjp(f, vjp) and customJvp(f, jvp) where f takes
// Float64Array (and number) arguments and returns a number — a stable log-sum-exp, and one
// of an array and a number. The rules are deliberately twice f's derivative, so a
// derivative that follows them (and not f) proves gradc used them: at a point x0, gradc's
// derivatives must be those of the loss with each custom function c replaced by
// 2·c(x) − c(x0) (same value; the rules' first and second derivatives). Checked on both
// paths (run time and build), in reverse mode, forward mode, H·v and the Hessian, against
// central differences at several random points; then softmax, a function returning a
// Float64Array (its Jacobian, vjp, and a loss through it); then what is refused.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { compileModule } from "../compiler/compile-module.js";
import * as gradc from "../index.js";
import { maxRelError, numericGradient, relError } from "../runtime/numeric.js";
import { makeRng, seedOf } from "./corpus/rng.js";

type Fn = (...args: any[]) => any;
const api = gradc as unknown as Record<"valueAndGrad" | "jvp" | "hvp" | "hessian", (f: Fn, opts?: object) => Fn>;
const { customJvp, customVjp } = gradc;

function lseImpl(x: Float64Array): number {
  let m = x[0];
  for (let i = 1; i < x.length; i++) m = Math.max(m, x[i]);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.exp(x[i] - m);
  return m + Math.log(s);
}
/** Twice the cotangent: 2ȳ·softmax(x), a Float64Array as long as x. */
function lseVjp(x: Float64Array, g: number): Float64Array {
  const y = lseImpl(x);
  const r = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) r[i] = 2 * g * Math.exp(x[i] - y);
  return r;
}
/** Twice the tangent: 2·Σ softmax(x)ᵢ·tᵢ. */
function lseJvp(x: Float64Array, t: Float64Array): number {
  const y = lseImpl(x);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.exp(x[i] - y) * t[i];
  return 2 * s;
}
function scaledImpl(x: Float64Array, k: number): number {
  return k * lseImpl(x);
}
/** Twice the cotangents of (x, k) in one Float64Array: x's entries, then k's. */
function scaledVjp(x: Float64Array, k: number, g: number): Float64Array {
  const y = lseImpl(x);
  const r = new Float64Array(x.length + 1);
  for (let i = 0; i < x.length; i++) r[i] = 2 * g * k * Math.exp(x[i] - y);
  r[x.length] = 2 * g * y;
  return r;
}
function scaledJvp(x: Float64Array, k: number, tx: Float64Array, tk: number): number {
  const y = lseImpl(x);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.exp(x[i] - y) * tx[i];
  return 2 * (k * s + y * tk);
}

const lse = customVjp(lseImpl, lseVjp);
const lseJ = customJvp(lseImpl, lseJvp);
const scaled = customVjp(scaledImpl, scaledVjp);
const scaledJ = customJvp(scaledImpl, scaledJvp);

function loss(x: Float64Array, k: number): number {
  return lse(x) + scaled(x, k) * Math.sin(k) + scaledJ(x, k) + lseJ(x) * x[0] + lse(x.subarray(1));
}

const MODULE = `import { customJvp, customVjp, valueAndGrad, jvp, hvp, hessian } from "gradc";
${[lseImpl, lseVjp, lseJvp, scaledImpl, scaledVjp, scaledJvp].map(String).join("\n")}
const lse = customVjp(lseImpl, lseVjp);
const lseJ = customJvp(lseImpl, lseJvp);
const scaled = customVjp(scaledImpl, scaledVjp);
const scaledJ = customJvp(scaledImpl, scaledJvp);
/** @param {Float64Array} x @param {number} k */
${String(loss)}
export const lossVG = valueAndGrad(loss, { wrt: [0, 1] });
export const lossJvp = jvp(loss, { wrt: 0 });
export const lossHvp = hvp(loss, { wrt: 0 });
export const lossHessian = hessian(loss, { wrt: 0 });
`;

/** The loss at x0 with each custom function c replaced by 2·c − c(x0): what the rules say. */
function ruleWorld(x0: Float64Array, k0: number): (x: Float64Array, k: number) => number {
  const twice = (c: (...a: any[]) => number, at: any[]) => { const c0 = c(...at); return (...a: any[]) => 2 * c(...a) - c0; };
  const L = twice(lseImpl, [x0]), T = twice(lseImpl, [x0.subarray(1)]), S = twice(scaledImpl, [x0, k0]);
  return (x, k) => L(x) + S(x, k) * Math.sin(k) + S(x, k) + L(x) * x[0] + T(x.subarray(1));
}

/** Central differences of f in (x, k) (numericGradient of each): x's entries, then k when it is a number. */
function differences<K>(f: (x: Float64Array, k: K) => number, x: Float64Array, k: K, h = 1e-5): number[] {
  const dx = [...(numericGradient(f, [x, k], 0, { h }) as Float64Array)];
  return typeof k === "number" ? [...dx, numericGradient(f, [x, k], 1, { h }) as number] : dx;
}

let built: Record<string, Fn>;
const dir = mkdtempSync(path.join(tmpdir(), "gradc-custom-arrays-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  const out = await compileModule(MODULE, "/virtual/arrays.js", { host: { readFile: () => undefined }, runtimeImport: path.resolve("runtime/index.ts"), format: false });
  expect(out.diagnostics.map((d) => d.message)).toEqual([]);
  writeFileSync(path.join(dir, "arrays.grad.js"), out.code!);
  built = await import(path.join(dir, "arrays.grad.js"));
});

describe("custom rules over typed arrays", () => {
  test("reverse mode, forward mode, H·v and the Hessian follow the rules, on both paths", () => {
    const functions = { lse, lseJ, scaled, scaledJ, lseImpl };
    const paths: [string, Record<string, Fn>][] = [
      ["run time", {
        lossVG: api.valueAndGrad(loss, { wrt: [0, 1], functions }), lossJvp: api.jvp(loss, { wrt: 0, functions }),
        lossHvp: api.hvp(loss, { wrt: 0, functions }), lossHessian: api.hessian(loss, { wrt: 0, functions }),
      }],
      ["build", built],
    ];
    for (const [name, p] of paths) {
      for (let point = 0; point < 4; point++) {
        const rng = makeRng(seedOf("custom-arrays", point));
        const n = 4;
        const x = Float64Array.from({ length: n }, () => rng.uniform(-2, 2));
        const k = rng.uniform(0.5, 2);
        const [value, [gx, gk]] = p.lossVG(x, k);
        expect(relError(value, loss(x, k)), `${name} value`).toBeLessThan(1e-12);
        const numeric = differences(ruleWorld(x, k), x, k);
        expect(maxRelError([...gx, gk], numeric), `${name} gradient`).toBeLessThan(1e-5);
        // f's own derivative is not what comes out.
        expect(maxRelError([...gx, gk], differences(loss, x, k))).toBeGreaterThan(1e-2);
        const t = Float64Array.from({ length: n }, () => rng.uniform(-1, 1));
        const [jvpValue, jt] = p.lossJvp(x, k, t);
        expect(relError(jvpValue, value), `${name} jvp value`).toBeLessThan(1e-12);
        expect(relError(jt, gx.reduce((s: number, g: number, i: number) => s + g * t[i], 0)), `${name} jvp`).toBeLessThan(1e-10);
        // H·v: the gradient of the loss in the rules' terms at (x, k), differentiated along t.
        const world = ruleWorld(x, k);
        const gradAt = (s: number) => differences(world, x.map((xi, i) => xi + s * t[i]), k, 1e-4).slice(0, n);
        const [plus, minus] = [gradAt(1e-4), gradAt(-1e-4)];
        const hvpRef = plus.map((g, i) => (g - minus[i]) / 2e-4);
        expect(maxRelError(Array.from(p.lossHvp(x, k, t) as Float64Array), hvpRef), `${name} hvp`).toBeLessThan(1e-5);
        const H = p.lossHessian(x, k) as Float64Array;
        const Ht = Array.from({ length: n }, (_, i) => t.reduce((s, ti, j) => s + H[i * n + j] * ti, 0));
        expect(maxRelError(Ht, hvpRef), `${name} hessian`).toBeLessThan(1e-5);
      }
    }
  });
});

// f returning a Float64Array: softmax, its rules twice its derivative (J = diag(s) − s·sᵀ).
function softmaxImpl(x: Float64Array): Float64Array {
  return softmaxValues(x);
}
// (The rules call this, not softmaxImpl: at run time the custom functions go by softmaxImpl's name.)
function softmaxValues(x: Float64Array): Float64Array {
  let m = x[0];
  for (let i = 1; i < x.length; i++) m = Math.max(m, x[i]);
  let z = 0;
  for (let i = 0; i < x.length; i++) z += Math.exp(x[i] - m);
  const s = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) s[i] = Math.exp(x[i] - m) / z;
  return s;
}
/** 2·Jᵀḡ = 2·s ⊙ (ḡ − s·ḡ). */
function softmaxVjp(x: Float64Array, g: Float64Array): Float64Array {
  const s = softmaxValues(x);
  let sg = 0;
  for (let i = 0; i < x.length; i++) sg += s[i] * g[i];
  const r = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) r[i] = 2 * s[i] * (g[i] - sg);
  return r;
}
/** 2·J·t = 2·s ⊙ (t − s·t). */
function softmaxJvp(x: Float64Array, t: Float64Array): Float64Array {
  return softmaxVjp(x, t);
}
const softmax = customVjp(softmaxImpl, softmaxVjp);
const softmaxJ = customJvp(softmaxImpl, softmaxJvp);

function vectorLoss(x: Float64Array, w: Float64Array): number {
  const s = softmax(x);
  const q = softmaxJ(x);
  let r = 0;
  for (let i = 0; i < x.length; i++) r += w[i] * s[i] * s[i] + q[i] * x[i];
  return r;
}

const VECTOR_MODULE = `import { customJvp, customVjp, valueAndGrad, jvp, hvp, hessian, jacobian, vjp } from "gradc";
/** @param {Float64Array} x */
${[softmaxImpl, softmaxValues, softmaxVjp, softmaxJvp].map(String).join("\n")}
const softmax = customVjp(softmaxImpl, softmaxVjp);
const softmaxJ = customJvp(softmaxImpl, softmaxJvp);
/** @param {Float64Array} x @param {Float64Array} w */
${String(vectorLoss)}
export const lossVG = valueAndGrad(vectorLoss);
export const lossJvp = jvp(vectorLoss);
export const lossHvp = hvp(vectorLoss);
export const lossHessian = hessian(vectorLoss);
export const softmaxJacobian = jacobian(softmax, { mode: "reverse" });
export const softmaxJJacobian = jacobian(softmaxJ, { mode: "forward" });
export const softmaxJFromVjp = jacobian(softmax, { mode: "forward" });
export const softmaxJReverse = jacobian(softmaxJ, { mode: "reverse" });
export const softmaxVjpOf = vjp(softmax);
`;

describe("custom rules of a function returning a typed array", () => {
  let builtVector: Record<string, Fn>;
  beforeAll(async () => {
    const out = await compileModule(VECTOR_MODULE, "/virtual/vector.js", { host: { readFile: () => undefined }, runtimeImport: path.resolve("runtime/index.ts"), format: false });
    expect(out.diagnostics.map((d) => d.message)).toEqual([]);
    writeFileSync(path.join(dir, "vector.grad.js"), out.code!);
    builtVector = await import(path.join(dir, "vector.grad.js"));
  });
  const rt = api as unknown as Record<"jacobian" | "vjp", (f: Fn, opts?: object) => Fn>;
  const functions = { softmax, softmaxJ, softmaxValues, softmaxVjp };
  /** 2·(diag(s) − s·sᵀ), row-major: the rules' Jacobian. */
  const ruleJacobian = (x: Float64Array) => {
    const s = softmaxImpl(x);
    return Array.from({ length: x.length * x.length }, (_, k) => { const i = Math.floor(k / x.length), j = k % x.length; return 2 * ((i === j ? s[i] : 0) - s[i] * s[j]); });
  };
  /** vectorLoss with softmax and softmaxJ replaced by 2·softmax − softmax(x0). */
  const world = (x0: Float64Array) => {
    const s0 = softmaxImpl(x0);
    const c = (x: Float64Array) => softmaxImpl(x).map((v, i) => 2 * v - s0[i]);
    return (x: Float64Array, w: Float64Array) => { const s = c(x); let r = 0; for (let i = 0; i < x.length; i++) r += w[i] * s[i] * s[i] + s[i] * x[i]; return r; };
  };

  test("jacobian (both sweeps, from either rule), vjp, and a loss's gradient, J·t, H·v and Hessian, on both paths", () => {
    const paths: [string, Record<string, Fn>][] = [
      ["run time", {
        lossVG: api.valueAndGrad(vectorLoss, { functions }), lossJvp: api.jvp(vectorLoss, { functions }), lossHvp: api.hvp(vectorLoss, { functions }), lossHessian: api.hessian(vectorLoss, { functions }),
        softmaxJacobian: rt.jacobian(softmax, { mode: "reverse", functions }), softmaxJJacobian: rt.jacobian(softmaxJ, { mode: "forward", functions }),
        softmaxJFromVjp: rt.jacobian(softmax, { mode: "forward", functions }), softmaxJReverse: rt.jacobian(softmaxJ, { mode: "reverse", functions }),
        softmaxVjpOf: rt.vjp(softmax, { functions }),
      }],
      ["build", builtVector],
    ];
    for (const [name, p] of paths) {
      for (let point = 0; point < 4; point++) {
        const rng = makeRng(seedOf("custom-vector", point));
        const n = 4;
        const x = Float64Array.from({ length: n }, () => rng.uniform(-2, 2));
        const wv = Float64Array.from({ length: n }, () => rng.uniform(-1, 1));
        const J = ruleJacobian(x);
        for (const which of ["softmaxJacobian", "softmaxJJacobian", "softmaxJFromVjp", "softmaxJReverse"]) {
          expect(maxRelError(Array.from(p[which](x) as Float64Array), J), `${name} ${which}`).toBeLessThan(1e-12);
        }
        const [y, pullback] = p.softmaxVjpOf(x);
        expect(maxRelError(Array.from(y as Float64Array), Array.from(softmaxImpl(x))), `${name} vjp value`).toBeLessThan(1e-12);
        expect(maxRelError(Array.from(pullback(wv) as Float64Array), Array.from(softmaxVjp(x, wv))), `${name} pullback`).toBeLessThan(1e-12);
        const [value, g] = p.lossVG(x, wv);
        expect(relError(value, vectorLoss(x, wv)), `${name} value`).toBeLessThan(1e-12);
        const f = world(x);
        expect(maxRelError(Array.from(g as Float64Array), differences(f, x, wv as never).slice(0, n)), `${name} gradient`).toBeLessThan(1e-5);
        const t = Float64Array.from({ length: n }, () => rng.uniform(-1, 1));
        expect(relError(p.lossJvp(x, wv, t)[1], (g as Float64Array).reduce((s, gi, i) => s + gi * t[i], 0)), `${name} jvp`).toBeLessThan(1e-10);
        const gradAt = (s: number) => differences(f, x.map((xi, i) => xi + s * t[i]), wv as never, 1e-4).slice(0, n);
        const [plus, minus] = [gradAt(1e-4), gradAt(-1e-4)];
        const hvpRef = plus.map((v, i) => (v - minus[i]) / 2e-4);
        expect(maxRelError(Array.from(p.lossHvp(x, wv, t) as Float64Array), hvpRef), `${name} hvp`).toBeLessThan(1e-5);
        const H = p.lossHessian(x, wv) as Float64Array;
        expect(maxRelError(Array.from({ length: n }, (_, i) => t.reduce((s, ti, j) => s + H[i * n + j] * ti, 0)), hvpRef), `${name} hessian`).toBeLessThan(1e-5);
      }
    }
  });
});

describe("a black box over a typed array (run time)", () => {
  // A bound function: its source cannot be read, so gradc calls it and takes the rule.
  const sumOfSquares = function (a: Float64Array) { let s = 0; for (const v of a) s += v * v; return s; }.bind(null);
  const sumSq = customJvp(sumOfSquares, (a: Float64Array, t: Float64Array) => { let s = 0; for (let i = 0; i < a.length; i++) s += 2 * a[i] * t[i]; return s; });
  function uses(w: Float64Array): number {
    return Math.sin(sumSq(w)) + sumSq(w.subarray(1)) * w[0];
  }
  const usesRef = (w: Float64Array) => Math.sin(w.reduce((s, v) => s + v * v, 0)) + w.subarray(1).reduce((s, v) => s + v * v, 0) * w[0];

  test("value, gradient, J·t and H·v", () => {
    const opts = { functions: { sumSq } };
    for (let point = 0; point < 4; point++) {
      const rng = makeRng(seedOf("custom-array-black-box", point));
      const w = Float64Array.from({ length: 3 }, () => rng.uniform(-1, 1));
      const t = Float64Array.from({ length: 3 }, () => rng.uniform(-1, 1));
      const [value, g] = api.valueAndGrad(uses, opts)(w);
      expect(relError(value, usesRef(w))).toBeLessThan(1e-12);
      const f = (x: Float64Array) => usesRef(x);
      expect(maxRelError(Array.from(g as Float64Array), differences(f, w, 0).slice(0, 3))).toBeLessThan(1e-5);
      expect(relError(api.jvp(uses, opts)(w, t)[1], (g as Float64Array).reduce((s, gi, i) => s + gi * t[i], 0))).toBeLessThan(1e-10);
      const gradAt = (s: number) => differences(f, w.map((x, i) => x + s * t[i]), 0, 1e-4).slice(0, 3);
      const [plus, minus] = [gradAt(1e-4), gradAt(-1e-4)];
      expect(maxRelError(Array.from(api.hvp(uses, opts)(w, t) as Float64Array), plus.map((p, i) => (p - minus[i]) / 2e-4))).toBeLessThan(1e-5);
    }
  });
});

describe("what is refused", () => {
  const call = (f: Fn, functions: object, ...args: unknown[]) => () => api.valueAndGrad(f, { functions })(...args);
  const w = Float64Array.from([0.5, -1, 2]);

  test("a VJP rule of an array argument that returns a number", () => {
    const bad = customVjp(lseImpl, (x: Float64Array, g: number) => g * x[0]);
    expect(call((x: Float64Array) => bad(x), { bad, lseImpl }, w)).toThrow(/The VJP rule of 'bad' must return the cotangent of its argument, a Float64Array as long as the argument/);
  });

  test("a VJP rule of several arguments that returns one array", () => {
    const bad = customVjp(scaledImpl, (x: Float64Array, k: number, g: number) => lseVjp(x, g * k));
    // Its length is checked where the derivative runs.
    expect(call((x: Float64Array) => bad(x, 2), { bad, lseImpl, lseVjp }, w)).toThrow(/the VJP rule of 'bad' returned an array whose length is not the number of entries of its arguments/);
    const number = customVjp(scaledImpl, (x: Float64Array, k: number, g: number) => g * k);
    expect(call((x: Float64Array) => number(x, 2), { number, lseImpl }, w)).toThrow(/The VJP rule of 'number' must return the cotangents of its 2 arguments in one Float64Array: one entry for each number argument and one per element for each array, in parameter order/);
  });

  test("a JVP rule that returns an array", () => {
    const bad = customJvp(lseImpl, ((x: Float64Array, t: Float64Array) => t) as never);
    expect(call((x: Float64Array) => bad(x), { bad, lseImpl }, w)).toThrow(/The JVP rule of 'bad' must return the tangent of its result, a number/);
  });

  test("a JVP rule of a function returning an array that returns a number", () => {
    const bad = customJvp(softmaxImpl, ((x: Float64Array, t: Float64Array) => t[0]) as never);
    expect(call((x: Float64Array) => (bad as Fn)(x)[0], { bad, softmaxValues }, w)).toThrow(/The JVP rule of 'bad' must return the tangent of its result, a Float64Array as long as the result/);
  });

  test("f writing into its array argument", () => {
    const f = customJvp((x: Float64Array) => { x[0] = 0; return lseImpl(x); }, lseJvp);
    expect(call((x: Float64Array) => f(x), { f, lseImpl }, w)).toThrow(/'f' \(made by customJvp\) writes into an array argument, which its rule then reads changed/);
  });

  test("an object argument", () => {
    const f = customJvp((o: { a: number }) => o.a, (o: { a: number }, t: { a: number }) => t.a);
    expect(call((x: number) => f({ a: x }), { f }, 1)).toThrow(/'f' \(made by customJvp\) takes numbers and typed arrays, and argument 1 is an object/);
  });
});
