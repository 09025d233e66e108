// Custom rules: customJvp(f, jvp) and customVjp(f, vjp) make gradc take a function's
// derivative from the rule instead of from f. The rules here are deliberately not f's
// derivative (twice log's, twice the product's), so a derivative that matches the rules
// and not f proves gradc used them. Checked on both paths (the run-time API with the
// functions in opts.functions or declared in the loss, and the build path with
// module-level `const g = customJvp(…)`), in reverse mode, forward mode and second order
// (HVPs, a Hessian, grad of grad: the rule differentiated), against central differences
// of hand-written derivatives at several random points. Then the plugin's bundle holds no
// compiler, and what is refused.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { compileModule } from "../compiler/compile-module.js";
import * as gradc from "../index.js";
import { maxRelError, numericGradient, relError } from "../runtime/numeric.js";
import { makeRng, seedOf, type Rng } from "./corpus/rng.js";

type Fn = (...args: any[]) => any;
const api = gradc as unknown as Record<"grad" | "valueAndGrad" | "jvp" | "hvp" | "hessian", (f: Fn, opts?: object) => Fn>;
const { grad, valueAndGrad, jvp, hvp, hessian } = api;
const { customJvp, customVjp, stopGradient } = gradc;

const MODULE = `import { valueAndGrad, jvp, hvp, hessian, grad, customJvp, customVjp } from "gradc";

function logImpl(x: number): number {
  return Math.log(x);
}

// Deliberately twice log's derivative.
function logJvp(x: number, t: number): number {
  return (2 * t) / x;
}

export const safeLog = customJvp(logImpl, logJvp);

// Deliberately twice the product's cotangents.
export const product = customVjp(
  (a: number, b: number) => a * b,
  (a: number, b: number, g: number) => {
    const r = new Float64Array(2);
    r[0] = 2 * g * b;
    r[1] = 2 * g * a;
    return r;
  },
);

export function loss(x: number, y: number): number {
  return safeLog(x * x + y) * y + product(x, y) * Math.sin(x);
}

export const lossVG = valueAndGrad(loss, { wrt: [0, 1] });
export const lossJvp = jvp(loss, { wrt: [0, 1] });
export const lossHvp = hvp(loss, { wrt: [0, 1] });
export const lossHessian = hessian(loss, { wrt: [0, 1] });
export const logD = grad(safeLog);
export const logD2 = grad(grad(safeLog));
export const logJ = jvp(safeLog);
`;

// The run-time path: the same functions.
const logImpl = (x: number) => Math.log(x);
const logJvp = (x: number, t: number) => (2 * t) / x;
const safeLog = customJvp(logImpl, logJvp);
const product = customVjp((a: number, b: number) => a * b, (a: number, b: number, g: number) => {
  const r = new Float64Array(2);
  r[0] = 2 * g * b;
  r[1] = 2 * g * a;
  return r;
});

function loss(x: number, y: number): number {
  return safeLog(x * x + y) * y + product(x, y) * Math.sin(x);
}

/** The same loss with its custom functions declared inside it. */
function lossInside(x: number, y: number): number {
  const log2 = customJvp((u: number) => Math.log(u), (u: number, t: number) => (2 * t) / u);
  const mul2 = customVjp((a: number, b: number) => a * b, (a: number, b: number, g: number) => {
    const r = new Float64Array(2);
    r[0] = 2 * g * b;
    r[1] = 2 * g * a;
    return r;
  });
  return log2(x * x + y) * y + mul2(x, y) * Math.sin(x);
}

// ---- what the rules say the derivatives are (hand-written) ----

/** loss's gradient under the rules (log' := 2/u, product's partials := 2b, 2a), with S and M the values of safeLog and product. */
function gradRef(x: number, y: number, S: (u: number) => number, M: (a: number, b: number) => number): [number, number] {
  const u = x * x + y;
  return [(2 / u) * 2 * x * y + 2 * y * Math.sin(x) + M(x, y) * Math.cos(x), (2 / u) * y + S(u) + 2 * x * Math.sin(x)];
}

const ruleGradient = (x: number, y: number) => gradRef(x, y, Math.log, (a, b) => a * b);
/**
 * Its derivative along v, by central differences, where the values of safeLog and product
 * change as their rules say: each is its linearization at the point by the rule's partials
 * (its value there, its rule's derivative; their second derivatives do not enter H).
 */
const ruleHessianRow = (x: number, y: number, v: [number, number], e = 1e-5): [number, number] => {
  const u0 = x * x + y;
  const S = (u: number) => Math.log(u0) + (2 / u0) * (u - u0);
  const M = (a: number, b: number) => x * y + 2 * y * (a - x) + 2 * x * (b - y);
  const g = (s: number) => gradRef(x + s * v[0], y + s * v[1], S, M);
  const [p, m] = [g(e), g(-e)];
  return [(p[0] - m[0]) / (2 * e), (p[1] - m[1]) / (2 * e)];
};

const valueRef = (x: number, y: number) => Math.log(x * x + y) * y + x * y * Math.sin(x);

// ---- the build path ----

let built: Record<string, Fn>;
let dir: string;

beforeAll(async () => {
  const out = await compileModule(MODULE, "/virtual/custom.ts", { host: { readFile: () => undefined }, runtimeImport: path.resolve("runtime/index.ts"), format: false });
  expect(out.diagnostics.map((d) => d.message)).toEqual([]);
  dir = mkdtempSync(path.join(tmpdir(), "gradc-custom-"));
  writeFileSync(path.join(dir, "custom.grad.ts"), out.code!);
  built = await import(path.join(dir, "custom.grad.ts"));
});
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

const POINTS = 4;
const eachPoint = (name: string, check: (rng: Rng) => void) => { for (let k = 0; k < POINTS; k++) check(makeRng(seedOf(name, k))); };

const runtimeSubject = (f: Fn, functions?: object) => {
  const opts = { wrt: [0, 1], ...(functions && { functions }) };
  return { vg: valueAndGrad(f, opts), jvp: jvp(f, opts), hvp: hvp(f, opts), hessian: hessian(f, opts) };
};

describe("customJvp and customVjp: gradc uses the rules", () => {
  const subjects = (): [string, Record<string, Fn>][] => [
    ["run time, opts.functions", runtimeSubject(loss, { safeLog, product })],
    ["run time, declared in the loss", runtimeSubject(lossInside)],
    ["build", { vg: built.lossVG, jvp: built.lossJvp, hvp: built.lossHvp, hessian: built.lossHessian }],
  ];

  test("reverse mode, forward mode, H·v and the Hessian follow the rules, not f's derivative", () => {
    for (const [name, s] of subjects()) {
      eachPoint("custom", (rng) => {
        const x = rng.uniform(0.5, 2);
        const y = rng.uniform(0.5, 2);
        const [value, g] = s.vg(x, y);
        expect(relError(value, valueRef(x, y)), `${name} value`).toBeLessThan(1e-12);
        expect(maxRelError(g, ruleGradient(x, y)), `${name} gradient`).toBeLessThan(1e-12);
        const t: [number, number] = [rng.uniform(-1, 1), rng.uniform(-1, 1)];
        const [jvpValue, jt] = s.jvp(x, y, t);
        expect(relError(jvpValue, value), `${name} jvp value`).toBeLessThan(1e-12);
        expect(relError(jt, g[0] * t[0] + g[1] * t[1]), `${name} jvp`).toBeLessThan(1e-12);
        expect(maxRelError(s.hvp(x, y, t), ruleHessianRow(x, y, t)), `${name} hvp`).toBeLessThan(1e-5);
        const H = s.hessian(x, y);
        expect(maxRelError([H[0], H[1]], ruleHessianRow(x, y, [1, 0])), `${name} hessian row 0`).toBeLessThan(1e-5);
        expect(maxRelError([H[2], H[3]], ruleHessianRow(x, y, [0, 1])), `${name} hessian row 1`).toBeLessThan(1e-5);
        // f's own derivative is not what comes out.
        expect(relError(g[1], y / (x * x + y) + Math.log(x * x + y) + x * Math.sin(x))).toBeGreaterThan(1e-3);
      });
    }
  });

  test("the function itself: grad, jvp, and grad of grad (the rule differentiated)", () => {
    const paths: [string, Record<string, Fn>][] = [
      ["run time", { logD: grad(safeLog), logD2: grad(grad(safeLog)), logJ: jvp(safeLog) }],
      ["build", built],
    ];
    for (const [name, p] of paths) {
      eachPoint("customLog", (rng) => {
        const x = rng.uniform(0.5, 3);
        expect(relError(p.logD(x), 2 / x), `${name} grad`).toBeLessThan(1e-12);
        expect(relError(p.logD2(x), (2 / (x + 1e-5) - 2 / (x - 1e-5)) / 2e-5), `${name} grad of grad`).toBeLessThan(1e-5);
        const [v, t] = p.logJ(x, 0.5);
        expect(relError(v, Math.log(x)), `${name} jvp value`).toBeLessThan(1e-12);
        expect(relError(t, 1 / x), `${name} jvp`).toBeLessThan(1e-12);
      });
    }
  });

  test("at run time, a custom function is the function itself", () => {
    expect(safeLog(2)).toBe(Math.log(2));
    expect(product(3, 4)).toBe(12);
  });
});

describe("black boxes (run time): a WebAssembly function with a rule", () => {
  // (module (func (export "cube") (param f64) (result f64) local.get 0 local.get 0 f64.mul local.get 0 f64.mul))
  const bytes = Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7c, 0x01, 0x7c, 0x03, 0x02, 0x01, 0x00,
    0x07, 0x08, 0x01, 0x04, 0x63, 0x75, 0x62, 0x65, 0x00, 0x00, 0x0a, 0x0c, 0x01, 0x0a, 0x00, 0x20, 0x00, 0x20, 0x00, 0xa2, 0x20, 0x00, 0xa2, 0x0b,
  ]);
  const wasmCube = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.cube as (x: number) => number;
  // The rule: cube's derivative 3x² (gradc cannot read the WebAssembly, so it can only use the rule).
  const cube = customJvp(wasmCube, (x: number, t: number) => 3 * x * x * t);
  function uses(x: number, y: number): number {
    return cube(x * y) + Math.sin(cube(y));
  }
  const usesRef = (x: number, y: number) => (x * y) ** 3 + Math.sin(y ** 3);

  test("its value is a call of it; grad, jvp, hvp and grad of grad come from the rule", () => {
    expect(wasmCube(1.5)).toBe(3.375);
    const opts = { wrt: [0, 1], functions: { cube } };
    eachPoint("wasm", (rng) => {
      const [x, y] = [rng.uniform(-1.5, 1.5), rng.uniform(-1.5, 1.5)];
      const [value, g] = valueAndGrad(uses, opts)(x, y);
      expect(relError(value, usesRef(x, y))).toBeLessThan(1e-12);
      const e = 1e-5;
      const numeric = [(usesRef(x + e, y) - usesRef(x - e, y)) / (2 * e), (usesRef(x, y + e) - usesRef(x, y - e)) / (2 * e)];
      expect(maxRelError(g, numeric)).toBeLessThan(1e-5);
      const [, jt] = jvp(uses, opts)(x, y, [0.3, -0.7]);
      expect(relError(jt, 0.3 * g[0] - 0.7 * g[1])).toBeLessThan(1e-12);
      const at = (s: number) => valueAndGrad(uses, opts)(x + s * 0.3, y - s * 0.7)[1];
      const [plus, minus] = [at(e), at(-e)];
      expect(maxRelError(hvp(uses, opts)(x, y, [0.3, -0.7]), [(plus[0] - minus[0]) / (2 * e), (plus[1] - minus[1]) / (2 * e)])).toBeLessThan(1e-5);
      expect(relError(grad(grad(cube))(x), 6 * x)).toBeLessThan(1e-12);
    });
  });
});

describe("stopGradient on a typed array", () => {
  // The mean of w and the entries of w[1..] taken as constants: d/dwᵢ = 2(wᵢ − m) + sin'(wᵢ)·s.
  function centred(w: Float64Array): number {
    const frozen = stopGradient(w);
    const tail = stopGradient(w.subarray(1));
    frozen[0] = 100; // a copy: w is unchanged
    let m = 0;
    for (let i = 1; i < frozen.length; i++) m += frozen[i];
    m /= frozen.length - 1;
    let s = 0;
    for (let i = 0; i < tail.length; i++) s += tail[i];
    let r = 0;
    for (let i = 0; i < w.length; i++) r += (w[i] - m) ** 2 + Math.sin(w[i]) * s;
    return r;
  }
  const CENTRED = `import { grad, jvp, hvp, stopGradient } from "gradc";
${centred.toString().replace("function centred(w)", "export function centred(w: Float64Array): number")}
export const centredGrad = grad(centred);
export const centredJvp = jvp(centred);
export const centredHvp = hvp(centred);
`;
  /** centred with what stopGradient stops frozen at w0. */
  const frozenAt = (w0: Float64Array) => (w: Float64Array) => {
    let m = 0;
    for (let i = 1; i < w0.length; i++) m += w0[i];
    m /= w0.length - 1;
    const s = m * (w0.length - 1);
    let r = 0;
    for (let i = 0; i < w.length; i++) r += (w[i] - m) ** 2 + Math.sin(w[i]) * s;
    return r;
  };
  /** The directional derivative of f at w along v, by central differences. */
  const difference = (f: (w: Float64Array) => number, w: Float64Array, v: Float64Array, e = 1e-5) =>
    (f(w.map((x, i) => x + e * v[i])) - f(w.map((x, i) => x - e * v[i]))) / (2 * e);

  test("a copy whose derivative is 0, in reverse mode, forward mode and H·v, on both paths", async () => {
    const out = await compileModule(CENTRED, "/virtual/centred.ts", { host: { readFile: () => undefined }, runtimeImport: path.resolve("runtime/index.ts"), format: false });
    expect(out.diagnostics.map((d) => d.message)).toEqual([]);
    writeFileSync(path.join(dir, "centred.grad.ts"), out.code!);
    const b = await import(path.join(dir, "centred.grad.ts"));
    const paths: [string, Fn, Fn, Fn][] = [["run time", grad(centred), jvp(centred), hvp(centred)], ["build", b.centredGrad, b.centredJvp, b.centredHvp]];
    for (const [name, g, j, h] of paths) {
      eachPoint("stopArray", (rng) => {
        const w = Float64Array.from({ length: 5 }, () => rng.uniform(-1, 1));
        const v = Float64Array.from({ length: 5 }, () => rng.uniform(-1, 1));
        const before = Float64Array.from(w);
        const f = frozenAt(w);
        const gw = g(w) as Float64Array;
        expect(w, `${name}: w unchanged`).toEqual(before);
        expect(maxRelError(gw, numericGradient(f, [w], 0)), `${name} grad`).toBeLessThan(1e-5);
        const [value, jt] = j(w, v);
        expect(relError(value, centred(w)), `${name} value`).toBeLessThan(1e-12);
        expect(relError(jt, difference(f, w, v)), `${name} jvp`).toBeLessThan(1e-5);
        const hv = h(w, v) as Float64Array;
        // H·v differentiates the gradient with what is stopped held at w: the frozen function's gradient.
        const frozenGrad = (u: Float64Array) => numericGradient(f, [u], 0, { h: 1e-4 }) as Float64Array;
        const [plus, minus] = [frozenGrad(w.map((x, i) => x + 1e-4 * v[i])), frozenGrad(w.map((x, i) => x - 1e-4 * v[i]))];
        expect(maxRelError(hv, plus.map((p, i) => (p - minus[i]) / 2e-4)), `${name} hvp`).toBeLessThan(1e-5);
      });
    }
  });

  test("at run time it returns a copy", () => {
    const w = Float64Array.from([1, 2]);
    const c = stopGradient(w);
    expect(c).not.toBe(w);
    expect(c).toEqual(w);
    expect(stopGradient(3)).toBe(3);
  });
});

describe("what is refused", () => {
  test("a custom function of a number called with an array: f refuses it", () => {
    function onArray(w: Float64Array): number {
      return safeLog(w[0]) + safeLog(w as never);
    }
    expect(() => valueAndGrad(onArray, { functions: { safeLog } })(Float64Array.from([1, 2]))).toThrow(/<function logImpl>:1:17: An array is used where a number is expected/);
  });

  test("a VJP rule of several numbers whose array has the wrong length", () => {
    const short = customVjp((a: number, b: number) => a * b, (a: number, b: number, g: number) => {
      const r = new Float64Array(1);
      r[0] = g * b;
      return r;
    });
    const uses = (x: number) => short(x, x);
    expect(() => valueAndGrad(uses, { functions: { short } })(2)).toThrow(/the VJP rule of 'short' returned an array whose length is not the number of entries of its arguments/);
    expect(() => jvp(uses, { functions: { short } })(2, 1)).toThrow(/the VJP rule of 'short' returned an array whose length/);
  });

  test("a VJP rule of several arguments that returns a number", () => {
    const bad = customVjp((a: number, b: number) => a * b, (a: number, b: number, g: number) => g * a * b);
    function uses(x: number): number {
      return bad(x, x);
    }
    expect(() => valueAndGrad(uses, { functions: { bad } })(2)).toThrow(/The VJP rule of 'bad' must return the cotangents of its 2 arguments in one Float64Array: one entry for each number argument/);
  });
});
