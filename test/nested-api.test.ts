// Derivatives of derivatives, in the forms JAX users write them: the API composed at the top
// level (grad(grad(f)), grad(grad(grad(Math.tanh))), jacobian(grad(f)), jvp(grad(f)),
// vjp(grad(f))) and inside a loss (a derivative bound to a local and called in a loop,
// grad(grad(f))(x) inline, grad of a bound derivative, grad(Math.tanh)(x)), on both paths:
// the run-time API and the build path (compileModule on an in-memory module whose output is
// imported). Every result is checked against central differences of hand-written
// derivatives (never gradc's own) at several random points; the loss's reverse, forward and
// second-order derivatives too. Then what is refused: a derivative of a pair.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { compileModule } from "../compiler/compile-module.js";
import * as gradc from "../index.js";
import { maxRelError, numericGradient, relError } from "../runtime/numeric.js";
import { makeRng, seedOf, type Rng } from "./corpus/rng.js";

type Fn = (...args: any[]) => any;
const api = gradc as unknown as Record<"grad" | "valueAndGrad" | "jvp" | "vjp" | "jacobian" | "hvp" | "hessian", (f: Fn, opts?: object) => Fn>;
const { grad, valueAndGrad, jvp, vjp, jacobian, hvp, hessian } = api;

const MODULE = `import { grad, valueAndGrad, jvp, vjp, jacobian, hvp, hessian } from "gradc";

export function f(x: number): number {
  return Math.sin(x) * x * x * x;
}

export function g(w: Float64Array, s: number): number {
  let t = 0;
  for (let i = 0; i < w.length; i++) t += s * Math.exp(w[i]) * w[(i + 1) % w.length];
  return t;
}

export function loss(w: Float64Array, s: number): number {
  const dg = grad(g);
  const ddf = grad(grad(f));
  let t = 0;
  for (let i = 0; i < w.length; i++) t += ddf(w[i]) * w[i] + grad(grad(f))(w[i] * s);
  const gw = dg(w, s);
  for (let i = 0; i < w.length; i++) t += gw[i] * gw[i];
  const dfds = grad(ddf);
  return t + grad(Math.tanh)(s) * dfds(s) + grad(g, { wrt: 1 })(w, s);
}

export function v(w: Float64Array): Float64Array {
  const r = new Float64Array(w.length + 1);
  for (let i = 0; i < w.length; i++) r[i] = Math.sin(w[i]) * w[0];
  r[w.length] = w[0] * w[1];
  return r;
}

export function matrices(w: Float64Array, s: number): number {
  const H = hessian(g)(w, s);
  const J = jacobian(v)(w);
  let t = 0;
  for (let i = 0; i < H.length; i++) t += H[i] * H[i];
  for (let i = 0; i < J.length; i++) t += Math.sin(J[i]);
  return t + jacobian(Math.sin)(s)[0] * hessian(g, { wrt: 1 })(w, s)[0] + jacobian(grad(g, { wrt: 1 }))(w, s)[1];
}

export const matricesVG = valueAndGrad(matrices, { wrt: [0, 1] });
export const matricesJvp = jvp(matrices, { wrt: [0, 1] });
export const matricesHvp = hvp(matrices, { wrt: [0, 1] });
const df = grad(f);

export function moduleBound(x: number): number {
  return df(x) * x;
}

export const moduleBoundVG = valueAndGrad(moduleBound);
export const moduleBoundHvp = hvp(moduleBound);
export function sq(x: number): number {
  return x * x * Math.sin(x);
}

export function pullbacks(w: Float64Array, s: number): number {
  const [y, pb] = vjp(v)(w);
  const ct = new Float64Array(y.length);
  for (let i = 0; i < ct.length; i++) ct[i] = s * (i + 1);
  const g = pb(ct);
  const [z, pz] = vjp(sq)(s);
  let t = z * pz(2) + y[0];
  for (let i = 0; i < g.length; i++) t += g[i] * g[i];
  return t;
}

export const pullbacksVG = valueAndGrad(pullbacks, { wrt: [0, 1] });
export const pullbacksHvp = hvp(pullbacks, { wrt: [0, 1] });
export const d2 = grad(grad(f));
export const d3 = grad(grad(grad(f)));
export const tanh3 = grad(grad(grad(Math.tanh)));
export const H = jacobian(grad(g, { wrt: 0 }));
export const Hv = jvp(grad(g, { wrt: "w" }), { wrt: 0 });
export const HvPullback = vjp(grad(g), { wrt: 0 });
export const lossVG = valueAndGrad(loss, { wrt: [0, 1] });
export const lossJvp = jvp(loss, { wrt: [0, 1] });
export const lossHvp = hvp(loss, { wrt: [0, 1] });
`;

// The run-time path: the same functions (loss's helpers passed in functions).
function f(x: number): number {
  return Math.sin(x) * x * x * x;
}

function g(w: Float64Array, s: number): number {
  let t = 0;
  for (let i = 0; i < w.length; i++) t += s * Math.exp(w[i]) * w[(i + 1) % w.length];
  return t;
}

function loss(w: Float64Array, s: number): number {
  const dg = grad(g);
  const ddf = grad(grad(f));
  let t = 0;
  for (let i = 0; i < w.length; i++) t += ddf(w[i]) * w[i] + grad(grad(f))(w[i] * s);
  const gw = dg(w, s);
  for (let i = 0; i < w.length; i++) t += gw[i] * gw[i];
  const dfds = grad(ddf);
  return t + grad(Math.tanh)(s) * dfds(s) + grad(g, { wrt: 1 })(w, s);
}

function v(w: Float64Array): Float64Array {
  const r = new Float64Array(w.length + 1);
  for (let i = 0; i < w.length; i++) r[i] = Math.sin(w[i]) * w[0];
  r[w.length] = w[0] * w[1];
  return r;
}

function matrices(w: Float64Array, s: number): number {
  const H = hessian(g)(w, s);
  const J = jacobian(v)(w);
  let t = 0;
  for (let i = 0; i < H.length; i++) t += H[i] * H[i];
  for (let i = 0; i < J.length; i++) t += Math.sin(J[i]);
  return t + jacobian(Math.sin)(s)[0] * hessian(g, { wrt: 1 })(w, s)[0] + jacobian(grad(g, { wrt: 1 }))(w, s)[1];
}

function sq(x: number): number {
  return x * x * Math.sin(x);
}

function pullbacks(w: Float64Array, s: number): number {
  const [y, pb] = vjp(v)(w);
  const ct = new Float64Array(y.length);
  for (let i = 0; i < ct.length; i++) ct[i] = s * (i + 1);
  const g = pb(ct);
  const [z, pz] = vjp(sq)(s);
  let t = z * pz(2) + y[0];
  for (let i = 0; i < g.length; i++) t += g[i] * g[i];
  return t;
}

// ---- hand-written derivatives: the references ----

const df = (x: number) => Math.cos(x) * x ** 3 + 3 * x * x * Math.sin(x);
const ddf = (x: number) => -(x ** 3) * Math.sin(x) + 6 * x * x * Math.cos(x) + 6 * x * Math.sin(x);
const dddf = (x: number) => -(x ** 3) * Math.cos(x) - 9 * x * x * Math.sin(x) + 18 * x * Math.cos(x) + 6 * Math.sin(x);
const ddtanh = (x: number) => -2 * Math.tanh(x) * (1 - Math.tanh(x) ** 2);

function gGrad(w: Float64Array, s: number): Float64Array {
  const n = w.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    out[i] += s * Math.exp(w[i]) * w[j];
    out[j] += s * Math.exp(w[i]);
  }
  return out;
}

const gDs = (w: Float64Array) => g(w, 1);

/** g's Hessian in w, n×n row-major. */
function gHessian(w: Float64Array, s: number): Float64Array {
  const n = w.length;
  const H = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    const e = s * Math.exp(w[i]);
    H[i * n + i] += e * w[j];
    H[i * n + j] += e;
    H[j * n + i] += e;
  }
  return H;
}

/** v's Jacobian, (n+1)×n row-major. */
function vJacobian(w: Float64Array): Float64Array {
  const n = w.length;
  const J = new Float64Array((n + 1) * n);
  for (let i = 0; i < n; i++) {
    J[i * n + i] += Math.cos(w[i]) * w[0];
    J[i * n] += Math.sin(w[i]);
  }
  J[n * n] = w[1];
  J[n * n + 1] = w[0];
  return J;
}

/** ∂g/∂s = g(w, 1) depends on w only: its derivative in w. */
const gDsDw = (w: Float64Array) => gGrad(w, 1);

function matricesRef(w: Float64Array, s: number): number {
  const H = gHessian(w, s);
  const J = vJacobian(w);
  let t = 0;
  for (let i = 0; i < H.length; i++) t += H[i] * H[i];
  for (let i = 0; i < J.length; i++) t += Math.sin(J[i]);
  return t + Math.cos(s) * 0 + gDsDw(w)[1];
}

/** vᵀ·ct, hand-written. */
function vPullback(w: Float64Array, ct: Float64Array): Float64Array {
  const n = w.length;
  const g = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    g[i] += ct[i] * Math.cos(w[i]) * w[0];
    g[0] += ct[i] * Math.sin(w[i]);
  }
  g[0] += ct[n] * w[1];
  g[1] += ct[n] * w[0];
  return g;
}

function pullbacksRef(w: Float64Array, s: number): number {
  const ct = Float64Array.from({ length: w.length + 1 }, (_, i) => s * (i + 1));
  const g = vPullback(w, ct);
  let t = s * s * Math.sin(s) * 2 * (2 * s * Math.sin(s) + s * s * Math.cos(s)) + Math.sin(w[0]) * w[0];
  for (const gi of g) t += gi * gi;
  return t;
}

function lossRef(w: Float64Array, s: number): number {
  let t = 0;
  for (let i = 0; i < w.length; i++) t += ddf(w[i]) * w[i] + ddf(w[i] * s);
  const gw = gGrad(w, s);
  for (let i = 0; i < w.length; i++) t += gw[i] * gw[i];
  return t + (1 - Math.tanh(s) ** 2) * dddf(s) + gDs(w);
}

// ---- the build path ----

let built: Record<string, Fn>;
let dir: string;

beforeAll(async () => {
  const out = await compileModule(MODULE, "/virtual/nested.ts", { host: { readFile: () => undefined }, runtimeImport: path.resolve("runtime/index.ts"), format: false });
  expect(out.diagnostics.map((d) => d.message)).toEqual([]);
  dir = mkdtempSync(path.join(tmpdir(), "gradc-nested-"));
  writeFileSync(path.join(dir, "nested.grad.ts"), out.code!);
  built = await import(path.join(dir, "nested.grad.ts"));
});
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

const POINTS = 4;
const eachPoint = (name: string, check: (rng: Rng) => void) => { for (let k = 0; k < POINTS; k++) check(makeRng(seedOf(name, k))); };

/**
 * A loss of (w: Float64Array, s: number) through p's valueAndGrad, jvp and hvp at each point:
 * value against `ref`, gradient against central differences, J·t and H·v against them too.
 */
function checkWS(p: Record<string, any>, name: string, ref: (w: Float64Array, s: number) => number, maxN: number): void {
  eachPoint(name, (rng) => {
    const n = rng.int(2, maxN);
    const w = rng.f64(n, -1, 1);
    const s = rng.uniform(0.5, 1.5);
    const numeric: [Float64Array, number] = [numericGradient(ref, [w, s], 0) as Float64Array, numericGradient(ref, [w, s], 1) as number];
    const [value, [gw, gs]] = p.vg(w, s);
    expect(relError(value, ref(w, s)), `${p.name} value`).toBeLessThan(1e-10);
    expect(maxRelError([gw, gs], numeric), `${p.name} gradient`).toBeLessThan(1e-5);
    const tw = rng.f64(n, -1, 1);
    const ts = rng.uniform(-1, 1);
    const [, jt] = p.jvp(w, s, [tw, ts]);
    expect(relError(jt, numeric[0].reduce((a: number, gi: number, i: number) => a + gi * tw[i], 0) + numeric[1] * ts), `${p.name} jvp`).toBeLessThan(1e-5);
    // H·v against central differences of the (checked) gradient along v.
    const e = 1e-5;
    const shifted = (k: number) => p.vg(w.map((wi, i) => wi + k * e * tw[i]), s + k * e * ts)[1];
    const [plus, minus] = [shifted(1), shifted(-1)];
    const [hw, hs] = p.hvp(w, s, [tw, ts]);
    expect(maxRelError(hw, plus[0].map((a: number, i: number) => (a - minus[0][i]) / (2 * e))), `${p.name} hvp w`).toBeLessThan(1e-5);
    expect(relError(hs, (plus[1] - minus[1]) / (2 * e)), `${p.name} hvp s`).toBeLessThan(1e-5);
  });
}

/** Central difference of a scalar function of one number. */
const central = (h: (x: number) => number, x: number, e = 1e-5) => (h(x + e) - h(x - e)) / (2 * e);

/** Column j of the Jacobian of a vector function of w, by central differences. */
function columns(h: (w: Float64Array) => Float64Array, w: Float64Array): Float64Array {
  const n = w.length;
  const J = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const plus = w.slice();
    const minus = w.slice();
    plus[j] += 1e-5;
    minus[j] -= 1e-5;
    const [a, b] = [h(plus), h(minus)];
    for (let i = 0; i < n; i++) J[i * n + j] = (a[i] - b[i]) / 2e-5;
  }
  return J;
}

function matVec(M: Float64Array, v: Float64Array): Float64Array {
  const n = v.length;
  return Float64Array.from({ length: n }, (_, i) => v.reduce((s, vj, j) => s + M[i * n + j] * vj, 0));
}

const paths = (): Record<string, any>[] => [
  { name: "run time", d2: grad(grad(f)), d3: grad(grad(grad(f))), tanh3: grad(grad(grad(Math.tanh))), H: jacobian(grad(g, { wrt: 0 })), Hv: jvp(grad(g, { wrt: "w" }), { wrt: 0 }), HvPullback: vjp(grad(g), { wrt: 0 }) },
  { name: "build", ...built },
];

describe("the API composed at the top level", () => {
  test("grad(grad(f)), grad(grad(grad(f))), grad(grad(grad(Math.tanh)))", () => {
    for (const p of paths()) {
      eachPoint("scalar", (rng) => {
        const x = rng.uniform(-2, 2);
        expect(relError(p.d2(x), central(df, x)), `${p.name} f''`).toBeLessThan(1e-5);
        expect(relError(p.d2(x), ddf(x)), `${p.name} f'' exact`).toBeLessThan(1e-12);
        expect(relError(p.d3(x), central(ddf, x)), `${p.name} f'''`).toBeLessThan(1e-5);
        expect(relError(p.tanh3(x), central(ddtanh, x)), `${p.name} tanh'''`).toBeLessThan(1e-5);
      });
    }
  });

  test("jacobian(grad(g)) is the Hessian; jvp(grad(g)) and vjp(grad(g)) are H·v and vᵀ·H", () => {
    for (const p of paths()) {
      eachPoint("vector", (rng) => {
        const n = rng.int(2, 5);
        const w = rng.f64(n, -1, 1);
        const s = rng.uniform(0.5, 2);
        const v = rng.f64(n, -1, 1);
        const numeric = columns((x) => gGrad(x, s), w);
        expect(maxRelError(p.H(w, s), numeric), `${p.name} jacobian(grad)`).toBeLessThan(1e-5);
        const [gw, hv] = p.Hv(w, s, v);
        expect(maxRelError(gw, gGrad(w, s)), `${p.name} jvp value`).toBeLessThan(1e-12);
        expect(maxRelError(hv, matVec(numeric, v)), `${p.name} jvp(grad)`).toBeLessThan(1e-5);
        const [gw2, pullback] = p.HvPullback(w, s);
        expect(maxRelError(gw2, gGrad(w, s)), `${p.name} vjp value`).toBeLessThan(1e-12);
        expect(maxRelError(pullback(v), matVec(numeric, v)), `${p.name} vjp(grad)`).toBeLessThan(1e-5);
      });
    }
  });

  test("a derivative of a pair is refused, saying what to differentiate instead", () => {
    expect(() => grad(valueAndGrad(f))(1)).toThrow(/valueAndGrad\(f\) returns a pair \[value, gradient\].*Differentiate a function that returns the part you want/);
    expect(() => grad(jvp(f))(1, 1)).toThrow(gradc.GradcError);
  });
});

describe("derivatives inside a loss", () => {
  const runtime = { vg: valueAndGrad(loss, { wrt: [0, 1], functions: { f, g } }), jvp: jvp(loss, { wrt: [0, 1], functions: { f, g } }), hvp: hvp(loss, { wrt: [0, 1], functions: { f, g } }) };
  const subjects = (): Record<string, any>[] => [{ name: "run time", ...runtime }, { name: "build", vg: built.lossVG, jvp: built.lossJvp, hvp: built.lossHvp }];

  test("a derivative bound to a local and called in a loop, grad(grad(f))(x), grad of a bound derivative, grad(Math.tanh)(x): reverse, forward and H·v", () => {
    for (const p of subjects()) {
      checkWS(p, "loss", lossRef, 5);
    }
  });

  test("jacobian and hessian inside a loss (also of a Math function and of a derivative): reverse, forward and H·v", () => {
    const opts = { wrt: [0, 1], functions: { g, v } };
    const subjects: Record<string, any>[] = [
      { name: "run time", vg: valueAndGrad(matrices, opts), jvp: jvp(matrices, opts), hvp: hvp(matrices, opts) },
      { name: "build", vg: built.matricesVG, jvp: built.matricesJvp, hvp: built.matricesHvp },
    ];
    for (const p of subjects) {
      checkWS(p, "matrices", matricesRef, 4);
    }
  });

  test("a derivative bound at the top level of the module (build) or passed in opts.functions (run time), called in a loss", () => {
    function moduleBound(x: number): number {
      return df(x) * x;
    }
    const subjects: Record<string, any>[] = [
      { name: "run time", vg: valueAndGrad(moduleBound, { functions: { df: grad(f) } }), hvp: hvp(moduleBound, { functions: { df: grad(f) } }) },
      { name: "build", vg: built.moduleBoundVG, hvp: built.moduleBoundHvp },
    ];
    for (const p of subjects) {
      eachPoint("moduleBound", (rng) => {
        const x = rng.uniform(-2, 2);
        const [value, g] = p.vg(x);
        expect(relError(value, df(x) * x), `${p.name} value`).toBeLessThan(1e-12);
        expect(relError(g, central((y) => df(y) * y, x)), `${p.name} gradient`).toBeLessThan(1e-5);
        expect(relError(p.hvp(x, 1), central((y) => ddf(y) * y + df(y), x)), `${p.name} hvp`).toBeLessThan(1e-5);
      });
    }
  });

  test("vjp inside a loss: [value, pullback], the pullback called later with a cotangent; reverse and H·v through it", () => {
    const opts = { wrt: [0, 1], functions: { v, sq } };
    const subjects: Record<string, any>[] = [
      { name: "run time", vg: valueAndGrad(pullbacks, opts), hvp: hvp(pullbacks, opts) },
      { name: "build", vg: built.pullbacksVG, hvp: built.pullbacksHvp },
    ];
    for (const p of subjects) {
      eachPoint("pullbacks", (rng) => {
        const n = rng.int(2, 4);
        const w = rng.f64(n, -1, 1);
        const s = rng.uniform(0.5, 1.5);
        const [value, g] = p.vg(w, s);
        expect(relError(value, pullbacksRef(w, s)), `${p.name} value`).toBeLessThan(1e-10);
        expect(maxRelError(g, [numericGradient(pullbacksRef, [w, s], 0), numericGradient(pullbacksRef, [w, s], 1)]), `${p.name} gradient`).toBeLessThan(1e-5);
        const tw = rng.f64(n, -1, 1);
        const ts = rng.uniform(-1, 1);
        const e = 1e-5;
        const shifted = (k: number) => p.vg(w.map((wi, i) => wi + k * e * tw[i]), s + k * e * ts)[1];
        const [plus, minus] = [shifted(1), shifted(-1)];
        const [hw, hs] = p.hvp(w, s, [tw, ts]);
        expect(maxRelError(hw, plus[0].map((a: number, i: number) => (a - minus[0][i]) / (2 * e))), `${p.name} hvp w`).toBeLessThan(1e-5);
        expect(relError(hs, (plus[1] - minus[1]) / (2 * e)), `${p.name} hvp s`).toBeLessThan(1e-5);
      });
    }
  });

  test("reverse over an inner derivative whose function allocates arrays in a loop (grad and hvp of the loss)", () => {
    function h(w: Float64Array): number {
      let s = 0;
      for (let k = 0; k < 3; k++) {
        const t = new Float64Array(w.length);
        for (let i = 0; i < w.length; i++) t[i] = Math.sin(w[i] * (k + 1));
        for (let i = 0; i < w.length; i++) s += t[i] * t[i] * w[i];
      }
      return s;
    }
    function outer(w: Float64Array): number {
      const g = grad(h)(w);
      let s = 0;
      for (let i = 0; i < g.length; i++) s += g[i] * g[i];
      return s;
    }
    const vg = valueAndGrad(outer, { functions: { h } });
    const Hv = hvp(outer, { functions: { h } });
    for (let k = 0; k < 3; k++) {
      const r = makeRng(seedOf("allocating inner", k));
      const w = Float64Array.from({ length: 3 }, () => r.uniform(-1, 1));
      const v = Float64Array.from({ length: 3 }, () => r.uniform(-1, 1));
      expect(maxRelError(vg(w)[1], numericGradient(outer, [w], 0))).toBeLessThan(1e-6);
      const e = 1e-5;
      const at = (d: number) => vg(w.map((x, i) => x + d * v[i]))[1] as Float64Array;
      const [plus, minus] = [at(e), at(-e)];
      expect(maxRelError(Hv(w, v), plus.map((a, i) => (a - minus[i]) / (2 * e)))).toBeLessThan(1e-6);
    }
  });

  test("a derivative of a pair inside a loss is refused at its position", () => {
    function pairLoss(x: number): number {
      return grad(valueAndGrad(f))(x);
    }
    expect(() => valueAndGrad(pairLoss, { functions: { f } })(1)).toThrow(/pairLoss>:2:\d+: valueAndGrad\(f\) returns a pair/);
  });
});
