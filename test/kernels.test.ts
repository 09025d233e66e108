// Runtime kernels: each forward kernel against a naive loop written here (several
// shapes, Float64 and Float32), each derivative kernel against central
// differences of a scalar built from the kernel (Σ w ⊙ kernel(x), random w).
// The linear-algebra, elementwise, reduction and softmax kernels run on both backends,
// js and wasm (test/backends.ts).
import { beforeEach, describe, expect, test } from "vitest";
import * as K from "../runtime/kernels/index.js";
import { Rng } from "../runtime/nn/rng.js";
import { numericGradient } from "../runtime/numeric.js";
import { BACKENDS, onBackend } from "./backends.js";

type Arr = Float64Array | Float32Array;
type Ctor = Float64ArrayConstructor | Float32ArrayConstructor;
// Every test starts from the same seed (KERNELS_SEED to try others), so a test's
// inputs do not depend on which tests ran before it.
const SEED = Number(process.env.KERNELS_SEED ?? 20240607);
const rng = new Rng(SEED);
beforeEach(() => rng.seed(SEED));
const TYPES: [string, Ctor, number][] = [["Float64Array", Float64Array, 1e-12], ["Float32Array", Float32Array, 2e-6]];

function rand(n: number, lo = -1, hi = 1, T: Ctor = Float64Array): Arr {
  return rng.fillUniform(new T(n), lo, hi);
}
function rand64(n: number, lo = -1, hi = 1): Float64Array {
  return rng.fillUniform(new Float64Array(n), lo, hi);
}
/** Values with |v| in [0.2, 1.5]: away from the kinks of relu, abs-like kernels and zero. */
function awayFromZero(n: number): Float64Array {
  const x = rand64(n, 0.2, 1.5);
  for (let i = 0; i < n; i++) if (rng.next() < 0.5) x[i] = -x[i];
  return x;
}

/**
 * ‖a − b‖ / max(‖a‖, ‖b‖, floor): norm-wise relative error. The floor keeps a
 * result that is zero up to rounding (log-softmax over one column, a batch norm
 * of two rows) from being held to a relative standard it cannot meet; with the
 * default floor 1 it is relative above norm 1 and absolute below, like relError.
 */
function relErr(a: ArrayLike<number> | number, b: ArrayLike<number> | number, floor = 1): number {
  const av = typeof a === "number" ? [a] : a;
  const bv = typeof b === "number" ? [b] : b;
  expect(av.length).toBe(bv.length);
  let d = 0, na = 0, nb = 0;
  for (let i = 0; i < av.length; i++) {
    d += (av[i] - bv[i]) ** 2;
    na += av[i] ** 2;
    nb += bv[i] ** 2;
  }
  return Math.sqrt(d) / Math.max(Math.sqrt(na), Math.sqrt(nb), floor);
}
function close(a: ArrayLike<number> | number, b: ArrayLike<number> | number, tol: number, floor = 1): void {
  const e = relErr(a, b, floor);
  if (!(e <= tol)) expect.fail(`relative error ${e} > ${tol}\n got      ${fmt(a)}\n expected ${fmt(b)}`);
}
function fmt(a: ArrayLike<number> | number): string {
  return typeof a === "number" ? String(a) : Array.from(a).slice(0, 12).map((v) => v.toPrecision(6)).join(", ");
}
function dotv(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

// ---- derivative checks ----

// Relative error below 1e-6, against max(‖a‖, ‖b‖, 1e-3): test gradients are of
// order 0.1–10, so the floor only matters for gradients that vanish by symmetry.
const DERIV_TOL = 1e-6;
const DERIV_FLOOR = 1e-3;
type Fwd = (x: Float64Array) => Float64Array | number;

/**
 * Checks vjp(out, x, gy, accumulate) — the adjoint of x for result adjoint gy —
 * against the central-difference gradient of Σ gy ⊙ f(x). Non-accumulating calls
 * get an `out` full of NaN (they must not read it); accumulating calls must add.
 */
function checkVjp(f: Fwd, vjp: (out: Float64Array, x: Float64Array, gy: any, acc: boolean) => unknown, x: Float64Array): void {
  const y0 = f(x.slice());
  const w: Float64Array | number = typeof y0 === "number" ? rng.uniform(0.5, 1.5) : rand64(y0.length, -1, 1);
  const F = (xx: Float64Array): number => {
    const y = f(xx);
    return typeof y === "number" ? (w as number) * y : dotv(w as Float64Array, y);
  };
  const num = numericGradient(F, [x], 0) as Float64Array;
  const got = new Float64Array(x.length).fill(NaN);
  vjp(got, x.slice(), w, false);
  close(got, num, DERIV_TOL, DERIV_FLOOR);
  const base = rand64(x.length);
  const acc = base.slice();
  vjp(acc, x.slice(), w, true);
  const want = base.map((v, i) => v + got[i]);
  close(acc, want, 1e-13);
}

/** Checks jvp(x, dx) against (f(x + h·dx) − f(x − h·dx)) / 2h in a random direction. */
function checkJvp(f: Fwd, jvp: (x: Float64Array, dx: Float64Array) => Float64Array | number, x: Float64Array): void {
  const dx = rand64(x.length);
  const h = 1e-5;
  const up = f(x.map((v, i) => v + h * dx[i]));
  const down = f(x.map((v, i) => v - h * dx[i]));
  const fd = typeof up === "number" ? (up - (down as number)) / (2 * h) : up.map((v, i) => (v - (down as Float64Array)[i]) / (2 * h));
  close(jvp(x.slice(), dx), fd, DERIV_TOL, DERIV_FLOOR);
}

const MATRIX_SHAPES: [number, number][] = [[1, 1], [1, 5], [4, 1], [3, 4], [5, 7], [9, 6]];

// ---- naive reference implementations ----

function naiveMatmul(a: Arr, b: Arr, m: number, k: number, n: number, tA: boolean, tB: boolean): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (tA ? a[p * m + i] : a[i * k + p]) * (tB ? b[j * k + p] : b[p * n + j]);
      out[i * n + j] = s;
    }
  }
  return out;
}

describe.each(BACKENDS)("linear kernels, %s backend", (backend) => {
  onBackend(backend);
  const SHAPES: [number, number, number][] = [[1, 1, 1], [2, 3, 4], [5, 4, 3], [4, 8, 4], [7, 9, 6], [13, 17, 11], [6, 70, 9]];
  for (const [tname, T, tol] of TYPES) {
    test(`matmul, all transposes, ${tname}`, () => {
      for (const [m, k, n] of SHAPES) {
        for (const tA of [false, true]) {
          for (const tB of [false, true]) {
            const a = rand(m * k, -1, 1, T), b = rand(k * n, -1, 1, T);
            const want = naiveMatmul(a, b, m, k, n, tA, tB);
            const out = new T(m * n).fill(NaN);
            expect(K.matmul(out, a, b, m, k, n, tA, tB)).toBe(out);
            close(out, want, tol * Math.sqrt(k));
            const c = rand(m * n, -1, 1, T);
            const acc = c.slice();
            K.matmul(acc, a, b, m, k, n, tA, tB, true);
            close(acc, want.map((v, i) => v + c[i]), tol * Math.sqrt(k));
          }
        }
      }
    });

    test(`matvec, outer, dot, biasAdd, ${tname}`, () => {
      for (const [m, n] of MATRIX_SHAPES) {
        const a = rand(m * n, -1, 1, T), x = rand(n, -1, 1, T), xt = rand(m, -1, 1, T);
        const y = new Float64Array(m), yt = new Float64Array(n);
        for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) { y[i] += a[i * n + j] * x[j]; yt[j] += a[i * n + j] * xt[i]; }
        close(K.matvec(new T(m).fill(NaN), a, x, m, n), y, tol);
        close(K.matvec(new T(n).fill(NaN), a, xt, m, n, true), yt, tol);
        const c = rand(n, -1, 1, T);
        close(K.matvec(c.slice(), a, xt, m, n, true, true), yt.map((v, j) => v + c[j]), tol);

        const o = new Float64Array(m * n);
        for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) o[i * n + j] = xt[i] * x[j];
        close(K.outer(new T(m * n), xt, x, m, n), o, tol);

        let d = 0;
        for (let j = 0; j < n; j++) d += x[j] * c[j];
        close(K.dot(x, c, n), d, tol);

        const bias = rand(n, -1, 1, T);
        const ba = new Float64Array(m * n);
        for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) ba[i * n + j] = a[i * n + j] + bias[j];
        close(K.biasAdd(new T(m * n), a, bias, m, n), ba, tol);
        const inPlace = a.slice();
        close(K.biasAdd(inPlace, inPlace, bias, m, n), ba, tol);
      }
    });
  }

  test("matmul out = 0·… when k = 0, and a large k runs the unrolled panels", () => {
    const out = new Float64Array(6).fill(7);
    K.matmul(out, new Float64Array(0), new Float64Array(0), 2, 0, 3);
    expect(Array.from(out)).toEqual([0, 0, 0, 0, 0, 0]);
    // Large k: the L2-sized panels of B rows (no transB) and blocks of B rows (transB) are several.
    const m = 5, k = 30001, n = 9;
    const a = rand64(m * k), b = rand64(k * n);
    for (const tA of [false, true]) {
      for (const tB of [false, true]) {
        close(K.matmul(new Float64Array(m * n), a, b, m, k, n, tA, tB), naiveMatmul(a, b, m, k, n, tA, tB), 1e-12);
      }
    }
  });

  test("matmul VJPs and JVP, all transposes", () => {
    for (const [m, k, n] of SHAPES.slice(0, 5)) {
      for (const tA of [false, true]) {
        for (const tB of [false, true]) {
          const a = rand64(m * k), b = rand64(k * n);
          const fa = (x: Float64Array) => K.matmul(new Float64Array(m * n), x, b, m, k, n, tA, tB);
          const fb = (x: Float64Array) => K.matmul(new Float64Array(m * n), a, x, m, k, n, tA, tB);
          checkVjp(fa, (o, _x, gy, acc) => K.matmulVjpA(o, b, gy, m, k, n, tA, tB, acc), a);
          checkVjp(fb, (o, _x, gy, acc) => K.matmulVjpB(o, a, gy, m, k, n, tA, tB, acc), b);
          checkJvp(fa, (x, dx) => K.matmulJvp(new Float64Array(m * n), x, dx, b, null, m, k, n, tA, tB), a);
          checkJvp(fb, (x, dx) => K.matmulJvp(new Float64Array(m * n), a, null, x, dx, m, k, n, tA, tB), b);
          // both tangents: the product rule
          const da = rand64(m * k), db = rand64(k * n);
          const both = K.matmulJvp(new Float64Array(m * n), a, da, b, db, m, k, n, tA, tB);
          const sum = naiveMatmul(da, b, m, k, n, tA, tB).map((v, i) => v + naiveMatmul(a, db, m, k, n, tA, tB)[i]);
          close(both, sum, 1e-12);
        }
      }
    }
  });

  test("linear layer rules: W̄ = ȳxᵀ, x̄ = Wᵀȳ, b̄ = ȳ", () => {
    const m = 4, n = 3;
    const W = rand64(m * n), x = rand64(n), gy = rand64(m);
    const Wbar = K.matvecVjpA(new Float64Array(m * n), x, gy, m, n);
    const xbar = K.matvecVjpX(new Float64Array(n), W, gy, m, n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) expect(Wbar[i * n + j]).toBeCloseTo(gy[i] * x[j], 14);
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let i = 0; i < m; i++) s += W[i * n + j] * gy[i];
      expect(xbar[j]).toBeCloseTo(s, 14);
    }
    close(K.biasAddVjpBias(new Float64Array(m), gy, 1, m), gy, 0);
  });

  test("matvec, outer, dot, biasAdd derivatives", () => {
    for (const [m, n] of MATRIX_SHAPES) {
      for (const tA of [false, true]) {
        const a = rand64(m * n), x = rand64(tA ? m : n);
        const len = tA ? n : m;
        const fa = (v: Float64Array) => K.matvec(new Float64Array(len), v, x, m, n, tA);
        const fx = (v: Float64Array) => K.matvec(new Float64Array(len), a, v, m, n, tA);
        checkVjp(fa, (o, _v, gy, acc) => K.matvecVjpA(o, x, gy, m, n, tA, acc), a);
        checkVjp(fx, (o, _v, gy, acc) => K.matvecVjpX(o, a, gy, m, n, tA, acc), x);
        checkJvp(fa, (v, dv) => K.matvecJvp(new Float64Array(len), v, dv, x, null, m, n, tA), a);
        checkJvp(fx, (v, dv) => K.matvecJvp(new Float64Array(len), a, null, v, dv, m, n, tA), x);
      }
      const x = rand64(m), y = rand64(n);
      const fx = (v: Float64Array) => K.outer(new Float64Array(m * n), v, y, m, n);
      const fy = (v: Float64Array) => K.outer(new Float64Array(m * n), x, v, m, n);
      checkVjp(fx, (o, _v, gy, acc) => K.outerVjpX(o, y, gy, m, n, acc), x);
      checkVjp(fy, (o, _v, gy, acc) => K.outerVjpY(o, x, gy, m, n, acc), y);
      checkJvp(fx, (v, dv) => K.outerJvp(new Float64Array(m * n), v, dv, y, null, m, n), x);
      checkJvp(fy, (v, dv) => K.outerJvp(new Float64Array(m * n), x, null, v, dv, m, n), y);

      const z = rand64(n);
      checkVjp((v) => K.dot(v, z, n), (o, _v, gy, acc) => K.scale(o, z, gy, n, acc), y);
      checkJvp((v) => K.dot(v, z, n), (v, dv) => K.dotJvp(v, dv, z, null, n), y);

      const X = rand64(m * n), b = rand64(n);
      checkVjp((v) => K.biasAdd(new Float64Array(m * n), v, b, m, n), (o, _v, gy, acc) => K.biasAddVjpX(o, gy, m, n, acc), X);
      checkVjp((v) => K.biasAdd(new Float64Array(m * n), X, v, m, n), (o, _v, gy, acc) => K.biasAddVjpBias(o, gy, m, n, acc), b);
    }
  });
});

// ---- elementwise ----

interface Unary {
  name: string;
  fwd: (out: Arr, x: Arr, n: number) => Arr;
  vjp: (out: Float64Array, x: Float64Array, gy: Float64Array, n: number, acc: boolean) => unknown;
  jvp: (out: Float64Array, x: Float64Array, dx: Float64Array, n: number) => unknown;
  ref: (v: number) => number;
  domain: () => Float64Array;
}
const GELU_C = Math.sqrt(2 / Math.PI);
const UNARY = (n: number): Unary[] => [
  { name: "relu", fwd: K.relu, vjp: K.reluVjp, jvp: K.reluJvp, ref: (v) => Math.max(v, 0), domain: () => awayFromZero(n) },
  { name: "leakyRelu(0.1)", fwd: (o, x, n) => K.leakyRelu(o, x, n, 0.1),
    vjp: (o, x, gy, n, acc) => K.leakyReluVjp(o, x, gy, n, 0.1, acc), jvp: (o, x, dx, n) => K.leakyReluJvp(o, x, dx, n, 0.1),
    ref: (v) => (v > 0 ? v : 0.1 * v), domain: () => awayFromZero(n) },
  { name: "sigmoid", fwd: K.sigmoid, vjp: K.sigmoidVjp, jvp: K.sigmoidJvp, ref: (v) => 1 / (1 + Math.exp(-v)), domain: () => rand64(n, -4, 4) },
  { name: "tanh", fwd: K.tanh, vjp: K.tanhVjp, jvp: K.tanhJvp, ref: (v) => (Math.exp(2 * v) - 1) / (Math.exp(2 * v) + 1), domain: () => rand64(n, -3, 3) },
  { name: "softplus", fwd: K.softplus, vjp: K.softplusVjp, jvp: K.softplusJvp, ref: (v) => Math.log(1 + Math.exp(v)), domain: () => rand64(n, -5, 5) },
  { name: "gelu", fwd: K.gelu, vjp: K.geluVjp, jvp: K.geluJvp,
    ref: (v) => 0.5 * v * (1 + Math.tanh(GELU_C * (v + 0.044715 * v ** 3))), domain: () => rand64(n, -3, 3) },
  { name: "exp", fwd: K.exp, vjp: K.expVjp, jvp: K.expJvp, ref: Math.exp, domain: () => rand64(n, -2, 2) },
  { name: "log", fwd: K.log, vjp: K.logVjp, jvp: K.logJvp, ref: Math.log, domain: () => rand64(n, 0.3, 3) },
];

describe.each(BACKENDS)("elementwise kernels, %s backend", (backend) => {
  onBackend(backend);
  for (const [tname, T] of TYPES) {
    test(`activations and math against Math, ${tname}`, () => {
      for (const n of [1, 7, 32]) {
        for (const u of UNARY(n)) {
          const x = T === Float64Array ? u.domain() : Float32Array.from(u.domain());
          const want = Array.from(x, u.ref);
          close(u.fwd(new T(n).fill(NaN), x, n), want, T === Float64Array ? 1e-14 : 1e-7);
          const inPlace = x.slice();
          close(u.fwd(inPlace, inPlace, n), want, T === Float64Array ? 1e-14 : 1e-7);
        }
        const a = rand(n, -2, 2, T), b = rand(n, 0.5, 2, T);
        const tol = T === Float64Array ? 1e-15 : 1e-7;
        close(K.add(new T(n), a, b, n), Array.from(a, (v, i) => v + b[i]), tol);
        close(K.sub(new T(n), a, b, n), Array.from(a, (v, i) => v - b[i]), tol);
        close(K.mul(new T(n), a, b, n), Array.from(a, (v, i) => v * b[i]), tol);
        close(K.div(new T(n), a, b, n), Array.from(a, (v, i) => v / b[i]), tol);
        close(K.scale(new T(n), a, -1.5, n), Array.from(a, (v) => -1.5 * v), tol);
        close(K.copy(new T(n), a, n), a, 0);
      }
    });
  }

  test("derivatives of activations and math (JVP = VJP formula)", () => {
    for (const n of [1, 9]) {
      for (const u of UNARY(n)) {
        const f = (x: Float64Array) => u.fwd(new Float64Array(n), x, n) as Float64Array;
        const x = u.domain();
        checkVjp(f, (o, xx, gy, acc) => u.vjp(o, xx, gy, n, acc), x);
        checkJvp(f, (xx, dx) => { const o = new Float64Array(n); u.jvp(o, xx, dx, n); return o; }, x);
      }
    }
  });

  test("derivatives from the output: sigmoid, tanh", () => {
    const n = 8, x = rand64(n, -3, 3), gy = rand64(n);
    const s = K.sigmoid(new Float64Array(n), x, n), t = K.tanh(new Float64Array(n), x, n);
    close(K.sigmoidVjpFromOutput(new Float64Array(n), s, gy, n), K.sigmoidVjp(new Float64Array(n), x, gy, n), 1e-15);
    close(K.tanhVjpFromOutput(new Float64Array(n), t, gy, n), K.tanhVjp(new Float64Array(n), x, gy, n), 1e-15);
  });

  test("binary derivatives: mul, div, sub, scale", () => {
    const n = 6, a = rand64(n, -2, 2), b = rand64(n, 0.5, 2);
    const f = (k: typeof K.mul, first: boolean) => (v: Float64Array) => k(new Float64Array(n), first ? v : a, first ? b : v, n);
    checkVjp(f(K.mul, true), (o, _v, gy, acc) => K.mulVjp(o, b, gy, n, acc), a);
    checkVjp(f(K.mul, false), (o, _v, gy, acc) => K.mulVjp(o, a, gy, n, acc), b);
    checkVjp(f(K.div, true), (o, _v, gy, acc) => K.divVjpA(o, b, gy, n, acc), a);
    checkVjp(f(K.div, false), (o, _v, gy, acc) => K.divVjpB(o, a, b, gy, n, acc), b);
    checkVjp(f(K.sub, false), (o, _v, gy, acc) => K.scale(o, gy, -1, n, acc), b);
    checkJvp(f(K.mul, true), (v, dv) => K.mulJvp(new Float64Array(n), v, dv, b, null, n), a);
    checkJvp(f(K.mul, false), (v, dv) => K.mulJvp(new Float64Array(n), a, null, v, dv, n), b);
    checkJvp(f(K.div, true), (v, dv) => K.divJvp(new Float64Array(n), v, dv, b, null, n), a);
    checkJvp(f(K.div, false), (v, dv) => K.divJvp(new Float64Array(n), a, null, v, dv, n), b);
  });

  test("softplus and sigmoid are stable at extreme inputs", () => {
    const x = Float64Array.of(-800, -40, 40, 800);
    const sp = K.softplus(new Float64Array(4), x, 4);
    expect(sp[0]).toBe(0);
    expect(sp[1]).toBeCloseTo(Math.exp(-40), 30);
    expect(sp[2]).toBe(40);
    expect(sp[3]).toBe(800);
    expect(Array.from(K.sigmoid(new Float64Array(4), x, 4)).every(Number.isFinite)).toBe(true);
    expect(Array.from(K.softplusVjp(new Float64Array(4), x, new Float64Array(4).fill(1), 4))).toEqual([0, K.sigmoidScalar(-40), 1, 1]);
  });

  test("relu′(0) = 0 and leakyRelu′(0) = alpha", () => {
    const z = new Float64Array(1), one = Float64Array.of(1);
    expect(K.reluVjp(new Float64Array(1), z, one, 1)[0]).toBe(0);
    expect(K.leakyReluVjp(new Float64Array(1), z, one, 1, 0.2)[0]).toBe(0.2);
  });
});

// ---- reductions ----

function naiveAxis(x: Arr, rows: number, cols: number, axis: 0 | 1, init: number, op: (a: number, b: number) => number): number[] {
  const out = new Array<number>(axis === 0 ? cols : rows).fill(init);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) {
    const t = axis === 0 ? j : i;
    out[t] = op(out[t], x[i * cols + j]);
  }
  return out;
}

describe.each(BACKENDS)("reductions, %s backend", (backend) => {
  onBackend(backend);
  for (const [tname, T, tol] of TYPES) {
    test(`sum, mean, prod, max, min over all and per axis, ${tname}`, () => {
      for (const [rows, cols] of MATRIX_SHAPES) {
        const n = rows * cols;
        const x = rand(n, 0.5, 1.5, T);
        const all = (init: number, op: (a: number, b: number) => number) => Array.from(x).reduce(op, init);
        close(K.sum(x, n), all(0, (a, b) => a + b), tol);
        close(K.mean(x, n), all(0, (a, b) => a + b) / n, tol);
        close(K.prod(x, n), all(1, (a, b) => a * b), tol * n);
        expect(K.max(x, n)).toBe(all(-Infinity, (a, b) => Math.max(a, b)));
        expect(K.min(x, n)).toBe(all(Infinity, (a, b) => Math.min(a, b)));
        for (const axis of [0, 1] as const) {
          const len = axis === 0 ? cols : rows;
          const count = axis === 0 ? rows : cols;
          const run = (k: (o: Arr, x: Arr, r: number, c: number) => Arr) => k(new T(len).fill(NaN), x, rows, cols);
          close(run(axis === 0 ? K.sumAxis0 : K.sumAxis1), naiveAxis(x, rows, cols, axis, 0, (a, b) => a + b), tol);
          close(run(axis === 0 ? K.meanAxis0 : K.meanAxis1), naiveAxis(x, rows, cols, axis, 0, (a, b) => a + b).map((v) => v / count), tol);
          close(run(axis === 0 ? K.prodAxis0 : K.prodAxis1), naiveAxis(x, rows, cols, axis, 1, (a, b) => a * b), tol * count);
          expect(Array.from(run(axis === 0 ? K.maxAxis0 : K.maxAxis1))).toEqual(naiveAxis(x, rows, cols, axis, -Infinity, Math.max));
          expect(Array.from(run(axis === 0 ? K.minAxis0 : K.minAxis1))).toEqual(naiveAxis(x, rows, cols, axis, Infinity, Math.min));
        }
        const y = rand(n, -1, 1, T);
        close(K.mse(x, y, n), Array.from(x).reduce((s, v, i) => s + (v - y[i]) ** 2, 0) / n, tol);
      }
    });
  }

  test("sum and mean fan out; their per-axis VJPs broadcast", () => {
    for (const [rows, cols] of MATRIX_SHAPES) {
      const n = rows * cols, x = rand64(n);
      checkVjp((v) => K.sum(v, n), (o, _v, gy, acc) => K.sumVjp(o, gy, n, acc), x);
      checkVjp((v) => K.mean(v, n), (o, _v, gy, acc) => K.meanVjp(o, gy, n, acc), x);
      checkVjp((v) => K.sumAxis0(new Float64Array(cols), v, rows, cols), (o, _v, gy, acc) => K.sumAxis0Vjp(o, gy, rows, cols, acc), x);
      checkVjp((v) => K.sumAxis1(new Float64Array(rows), v, rows, cols), (o, _v, gy, acc) => K.sumAxis1Vjp(o, gy, rows, cols, acc), x);
      checkVjp((v) => K.meanAxis0(new Float64Array(cols), v, rows, cols), (o, _v, gy, acc) => K.meanAxis0Vjp(o, gy, rows, cols, acc), x);
      checkVjp((v) => K.meanAxis1(new Float64Array(rows), v, rows, cols), (o, _v, gy, acc) => K.meanAxis1Vjp(o, gy, rows, cols, acc), x);
    }
  });

  test("prod derivatives, also with one and two zeros", () => {
    for (const [rows, cols] of MATRIX_SHAPES) {
      const n = rows * cols, x = awayFromZero(n);
      checkVjp((v) => K.prod(v, n), (o, v, gy, acc) => K.prodVjp(o, v, gy, n, acc), x);
      checkJvp((v) => K.prod(v, n), (v, dv) => K.prodJvp(v, dv, n), x);
      const f0 = (v: Float64Array) => K.prodAxis0(new Float64Array(cols), v, rows, cols);
      const f1 = (v: Float64Array) => K.prodAxis1(new Float64Array(rows), v, rows, cols);
      checkVjp(f0, (o, v, gy, acc) => K.prodAxis0Vjp(o, v, gy, rows, cols, acc), x);
      checkVjp(f1, (o, v, gy, acc) => K.prodAxis1Vjp(o, v, gy, rows, cols, acc), x);
      checkJvp(f0, (v, dv) => K.prodAxis0Jvp(new Float64Array(cols), v, dv, rows, cols), x);
      checkJvp(f1, (v, dv) => K.prodAxis1Jvp(new Float64Array(rows), v, dv, rows, cols), x);
    }
    // Π_{j≠i} x_j by brute force, with zeros: no division by zero.
    for (const x of [Float64Array.of(2, 0, 3, 5), Float64Array.of(0, 4, 0, 2), Float64Array.of(1.5, -2, 0.5)]) {
      const n = x.length;
      const want = Array.from(x, (_, i) => Array.from(x).reduce((p, v, j) => (j === i ? p : p * v), 1));
      expect(Array.from(K.prodVjp(new Float64Array(n), x, 1, n))).toEqual(want.map((v) => v + 0));
      const dx = rand64(n);
      expect(K.prodJvp(x, dx, n)).toBeCloseTo(dotv(want, dx), 14);
    }
  });

  test("max and min: gradient to the extreme entry, ties to the first", () => {
    for (const [rows, cols] of MATRIX_SHAPES) {
      const n = rows * cols, x = rand64(n);
      const cases: [Fwd, (o: Float64Array, v: Float64Array, gy: any, acc: boolean) => unknown, (v: Float64Array, dv: Float64Array) => Float64Array | number][] = [
        [(v) => K.max(v, n), (o, v, gy, acc) => K.maxVjp(o, v, gy, n, acc), (v, dv) => K.maxJvp(v, dv, n)],
        [(v) => K.min(v, n), (o, v, gy, acc) => K.minVjp(o, v, gy, n, acc), (v, dv) => K.minJvp(v, dv, n)],
        [(v) => K.maxAxis0(new Float64Array(cols), v, rows, cols), (o, v, gy, acc) => K.maxAxis0Vjp(o, v, gy, rows, cols, acc),
          (v, dv) => K.maxAxis0Jvp(new Float64Array(cols), v, dv, rows, cols)],
        [(v) => K.minAxis0(new Float64Array(cols), v, rows, cols), (o, v, gy, acc) => K.minAxis0Vjp(o, v, gy, rows, cols, acc),
          (v, dv) => K.minAxis0Jvp(new Float64Array(cols), v, dv, rows, cols)],
        [(v) => K.maxAxis1(new Float64Array(rows), v, rows, cols), (o, v, gy, acc) => K.maxAxis1Vjp(o, v, gy, rows, cols, acc),
          (v, dv) => K.maxAxis1Jvp(new Float64Array(rows), v, dv, rows, cols)],
        [(v) => K.minAxis1(new Float64Array(rows), v, rows, cols), (o, v, gy, acc) => K.minAxis1Vjp(o, v, gy, rows, cols, acc),
          (v, dv) => K.minAxis1Jvp(new Float64Array(rows), v, dv, rows, cols)],
      ];
      for (const [f, vjp, jvp] of cases) {
        checkVjp(f, vjp, x);
        checkJvp(f, jvp, x);
      }
    }
    const tie = Float64Array.of(1, 3, 3, -2, -2);
    expect(Array.from(K.maxVjp(new Float64Array(5), tie, 2, 5))).toEqual([0, 2, 0, 0, 0]);
    expect(Array.from(K.minVjp(new Float64Array(5), tie, 2, 5))).toEqual([0, 0, 0, 2, 0]);
    const m = Float64Array.of(5, 1, 5, 1); // 2×2, column 0 ties
    expect(Array.from(K.maxAxis0Vjp(new Float64Array(4), m, Float64Array.of(1, 1), 2, 2))).toEqual([1, 1, 0, 0]);
    expect(Array.from(K.argmaxAxis1(new Float64Array(2), Float64Array.of(0, 2, 2, 9, 1, 0), 2, 3))).toEqual([1, 0]);
    expect(K.argmax(tie, 5)).toBe(1);
  });

  test("mse derivatives", () => {
    const n = 11, a = rand64(n), b = rand64(n);
    checkVjp((v) => K.mse(v, b, n), (o, _v, gy, acc) => K.mseVjpA(o, a, b, gy, n, acc), a);
    checkVjp((v) => K.mse(a, v, n), (o, _v, gy, acc) => K.mseVjpB(o, a, b, gy, n, acc), b);
    checkJvp((v) => K.mse(v, b, n), (v, dv) => K.mseJvp(v, dv, b, null, n), a);
    checkJvp((v) => K.mse(a, v, n), (v, dv) => K.mseJvp(a, null, v, dv, n), b);
  });
});

// ---- softmax family ----

function naiveSoftmaxRow(x: ArrayLike<number>, r: number, cols: number): number[] {
  const e = Array.from({ length: cols }, (_, j) => Math.exp(x[r + j]));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

describe.each(BACKENDS)("softmax, logSoftmax, logsumexp, softmax cross-entropy, %s backend", (backend) => {
  onBackend(backend);
  for (const [tname, T, tol] of TYPES) {
    test(`against naive formulas, ${tname}`, () => {
      for (const [rows, cols] of MATRIX_SHAPES) {
        const n = rows * cols, x = rand(n, -3, 3, T);
        const sm: number[] = [], lsm: number[] = [], lse: number[] = [];
        for (let i = 0; i < rows; i++) {
          const p = naiveSoftmaxRow(x, i * cols, cols);
          sm.push(...p);
          const l = Math.log(Array.from({ length: cols }, (_, j) => Math.exp(x[i * cols + j])).reduce((a, b) => a + b, 0));
          lse.push(l);
          for (let j = 0; j < cols; j++) lsm.push(x[i * cols + j] - l);
        }
        const t = T === Float64Array ? 1e-14 : 2e-7;
        close(K.softmax(new T(n).fill(NaN), x, rows, cols), sm, t);
        close(K.logSoftmax(new T(n).fill(NaN), x, rows, cols), lsm, t);
        close(K.logsumexp(new T(rows).fill(NaN), x, rows, cols), lse, t);
        const inPlace = x.slice();
        close(K.softmax(inPlace, inPlace, rows, cols), sm, t);

        const labels = Float64Array.from({ length: rows }, () => rng.int(cols));
        let loss = 0;
        for (let i = 0; i < rows; i++) loss -= Math.log(sm[i * cols + labels[i]]);
        const probs = new T(n).fill(NaN);
        close(K.softmaxCrossEntropy(probs, x, labels, rows, cols), loss / rows, Math.max(tol, 1e-13));
        close(probs, sm, t);
        const fused = x.slice();
        close(K.softmaxCrossEntropy(fused, fused, labels, rows, cols), loss / rows, Math.max(tol, 1e-13));
      }
    });
  }

  test("stable for large logits", () => {
    const x = Float64Array.of(1000, 1001, 1002, -1000, -1001, -1002);
    const shifted = Float64Array.of(0, 1, 2, 2, 1, 0);
    close(K.softmax(new Float64Array(6), x, 2, 3), K.softmax(new Float64Array(6), shifted, 2, 3), 1e-15);
    const lse = K.logsumexp(new Float64Array(2), x, 2, 3);
    expect(lse[0]).toBeCloseTo(1002 + Math.log(1 + Math.exp(-1) + Math.exp(-2)), 10);
    expect(lse[1]).toBeCloseTo(-1000 + Math.log(1 + Math.exp(-1) + Math.exp(-2)), 10);
    const loss = K.softmaxCrossEntropy(new Float64Array(6), x, Float64Array.of(0, 2), 2, 3);
    expect(loss).toBeCloseTo(2 + Math.log(1 + Math.exp(-1) + Math.exp(-2)), 12);
  });

  test("derivatives", () => {
    for (const [rows, cols] of MATRIX_SHAPES) {
      const n = rows * cols, x = rand64(n, -2, 2);
      const sm = (v: Float64Array) => K.softmax(new Float64Array(n), v, rows, cols);
      const lsm = (v: Float64Array) => K.logSoftmax(new Float64Array(n), v, rows, cols);
      const lse = (v: Float64Array) => K.logsumexp(new Float64Array(rows), v, rows, cols);
      checkVjp(sm, (o, v, gy, acc) => K.softmaxVjp(o, sm(v), gy, rows, cols, acc), x);
      checkJvp(sm, (v, dv) => K.softmaxJvp(new Float64Array(n), sm(v), dv, rows, cols), x);
      checkVjp(lsm, (o, v, gy, acc) => K.logSoftmaxVjp(o, lsm(v), gy, rows, cols, acc), x);
      checkJvp(lsm, (v, dv) => K.logSoftmaxJvp(new Float64Array(n), lsm(v), dv, rows, cols), x);
      checkVjp(lse, (o, v, gy, acc) => K.logsumexpVjp(o, v, lse(v), gy, rows, cols, acc), x);
      checkJvp(lse, (v, dv) => K.logsumexpJvp(new Float64Array(rows), v, lse(v), dv, rows, cols), x);

      const labels = Float64Array.from({ length: rows }, () => rng.int(cols));
      const sce = (v: Float64Array) => K.softmaxCrossEntropy(new Float64Array(n), v, labels, rows, cols);
      const probs = (v: Float64Array) => { const p = new Float64Array(n); K.softmaxCrossEntropy(p, v, labels, rows, cols); return p; };
      checkVjp(sce, (o, v, gy, acc) => K.softmaxCrossEntropyVjp(o, probs(v), labels, rows, cols, gy, acc), x);
      checkJvp(sce, (v, dv) => K.softmaxCrossEntropyJvp(probs(v), labels, dv, rows, cols), x);
    }
  });

  test("softmax + cross-entropy adjoint is (p − onehot)/rows; bad labels throw", () => {
    const x = rand64(6), labels = Float64Array.of(2, 0);
    const p = new Float64Array(6);
    K.softmaxCrossEntropy(p, x, labels, 2, 3);
    const g = K.softmaxCrossEntropyVjp(new Float64Array(6), p, labels, 2, 3);
    const want = Array.from(p, (v, i) => (v - (i === 2 || i === 3 ? 1 : 0)) / 2);
    close(g, want, 1e-15);
    expect(() => K.softmaxCrossEntropy(p, x, Float64Array.of(3, 0), 2, 3)).toThrow(RangeError);
    expect(() => K.softmaxCrossEntropy(p, x, Float64Array.of(0.5, 0), 2, 3)).toThrow(/not a class index/);
  });
});

// ---- shape ----

describe("shape kernels", () => {
  for (const [tname, T] of TYPES) {
    test(`transpose, slice, concat against naive loops, ${tname}`, () => {
      for (const [rows, cols] of [...MATRIX_SHAPES, [40, 70] as [number, number]]) {
        const n = rows * cols, x = rand(n, -1, 1, T);
        const t = new T(n).fill(NaN);
        K.transpose(t, x, rows, cols);
        for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) expect(t[j * rows + i]).toBe(x[i * cols + j]);

        const r0 = Math.floor(rows / 3), r1 = rows - Math.floor(rows / 4);
        const view = K.sliceRows(x, cols, r0, r1);
        expect(view.buffer).toBe(x.buffer);
        expect(Array.from(view)).toEqual(Array.from(x).slice(r0 * cols, r1 * cols));
        expect(Array.from(K.slice(x, 1, n - 1))).toEqual(Array.from(x).slice(1, n - 1));

        const c0 = Math.floor(cols / 3), c1 = cols - Math.floor(cols / 4), w = c1 - c0;
        const sc = K.sliceCols(new T(rows * w).fill(NaN), x, rows, cols, c0, c1);
        for (let i = 0; i < rows; i++) for (let j = 0; j < w; j++) expect(sc[i * w + j]).toBe(x[i * cols + c0 + j]);

        const b = rand(3 * cols, -1, 1, T);
        expect(Array.from(K.concatRows(new T(n + 3 * cols), x, b, rows, 3, cols))).toEqual([...Array.from(x), ...Array.from(b)]);
        const c = rand(rows * 2, -1, 1, T);
        const cc = K.concatCols(new T(rows * (cols + 2)), x, c, rows, cols, 2);
        for (let i = 0; i < rows; i++) {
          expect(Array.from(cc.subarray(i * (cols + 2), (i + 1) * (cols + 2)))).toEqual(
            [...Array.from(x.subarray(i * cols, (i + 1) * cols)), c[2 * i], c[2 * i + 1]]);
        }
      }
    });
  }

  test("reshape is a view of the same buffer; a wrong size throws", () => {
    const x = new Float32Array(12);
    expect(K.reshape(x, 3, 4)).toBe(x);
    expect(() => K.reshape(x, 5, 3)).toThrow(RangeError);
    const v = K.sliceRows(x, 4, 1, 2);
    v[0] = 9;
    expect(x[4]).toBe(9);
  });

  test("derivatives: transpose, slices and concats only re-index", () => {
    for (const [rows, cols] of MATRIX_SHAPES) {
      const n = rows * cols, x = rand64(n);
      checkVjp((v) => K.transpose(new Float64Array(n), v, rows, cols), (o, _v, gy, acc) => K.transposeVjp(o, gy, rows, cols, acc), x);
      const s0 = Math.floor(n / 3), s1 = n - Math.floor(n / 5);
      checkVjp((v) => K.slice(v, s0, s1).slice(), (o, _v, gy, acc) => K.sliceVjp(o, gy, n, s0, s1, acc), x);
      const r0 = Math.floor(rows / 3), r1 = rows - Math.floor(rows / 4);
      checkVjp((v) => K.sliceRows(v, cols, r0, r1).slice(), (o, _v, gy, acc) => K.sliceRowsVjp(o, gy, rows, cols, r0, r1, acc), x);
      const c0 = Math.floor(cols / 3), c1 = cols - Math.floor(cols / 4);
      checkVjp((v) => K.sliceCols(new Float64Array(rows * (c1 - c0)), v, rows, cols, c0, c1),
        (o, _v, gy, acc) => K.sliceColsVjp(o, gy, rows, cols, c0, c1, acc), x);
      const b = rand64(2 * cols), c = rand64(rows * 3);
      checkVjp((v) => K.concatRows(new Float64Array(n + 2 * cols), v, b, rows, 2, cols),
        (o, _v, gy, acc) => K.concatRowsVjpA(o, gy, rows, 2, cols, acc), x);
      checkVjp((v) => K.concatRows(new Float64Array(n + 2 * cols), x, v, rows, 2, cols),
        (o, _v, gy, acc) => K.concatRowsVjpB(o, gy, rows, 2, cols, acc), b);
      checkVjp((v) => K.concatCols(new Float64Array(n + 3 * rows), v, c, rows, cols, 3),
        (o, _v, gy, acc) => K.concatColsVjpA(o, gy, rows, cols, 3, acc), x);
      checkVjp((v) => K.concatCols(new Float64Array(n + 3 * rows), x, v, rows, cols, 3),
        (o, _v, gy, acc) => K.concatColsVjpB(o, gy, rows, cols, 3, acc), c);
    }
  });
});

// ---- normalisation ----

function naiveBatchNorm(x: ArrayLike<number>, g: ArrayLike<number>, b: ArrayLike<number>, rows: number, cols: number, eps: number) {
  const mean = new Array<number>(cols).fill(0), variance = new Array<number>(cols).fill(0);
  for (let j = 0; j < cols; j++) {
    for (let i = 0; i < rows; i++) mean[j] += x[i * cols + j] / rows;
    for (let i = 0; i < rows; i++) variance[j] += (x[i * cols + j] - mean[j]) ** 2 / rows;
  }
  const y = Array.from(x, (v, q) => g[q % cols] * (v - mean[q % cols]) / Math.sqrt(variance[q % cols] + eps) + b[q % cols]);
  return { y, mean, variance };
}

function naiveLayerNorm(x: ArrayLike<number>, g: ArrayLike<number>, b: ArrayLike<number>, rows: number, cols: number, eps: number): number[] {
  const y: number[] = [];
  for (let i = 0; i < rows; i++) {
    const row = Array.from({ length: cols }, (_, j) => x[i * cols + j]);
    const mu = row.reduce((a, c) => a + c, 0) / cols;
    const v = row.reduce((a, c) => a + (c - mu) ** 2, 0) / cols;
    for (let j = 0; j < cols; j++) y.push(g[j] * (row[j] - mu) / Math.sqrt(v + eps) + b[j]);
  }
  return y;
}

describe("sortOrder", () => {
  test("the indices in sorted order: ascending or descending, ties in index order, NaN last", () => {
    const x = new Float64Array([3, NaN, -1, 3, 0.5, -1]);
    expect([...K.sortOrder(new Float64Array(6), x, 6)]).toEqual([2, 5, 4, 0, 3, 1]);
    expect([...K.sortOrder(new Float64Array(6), x, 6, true)]).toEqual([0, 3, 4, 2, 5, 1]);
    expect([...K.sortOrder(new Float32Array(2), x, 2)]).toEqual([0, 1]);
  });
});

describe("batch norm and layer norm", () => {
  const NORM_SHAPES: [number, number][] = [[2, 1], [3, 4], [8, 5], [16, 3]];
  const eps = 1e-5;
  for (const [tname, T] of TYPES) {
    test(`forward against naive loops, ${tname}`, () => {
      for (const [rows, cols] of NORM_SHAPES) {
        const n = rows * cols, x = rand(n, -2, 3, T), g = rand(cols, 0.5, 1.5, T), b = rand(cols, -1, 1, T);
        const t = T === Float64Array ? 1e-13 : 1e-6;
        const ref = naiveBatchNorm(x, g, b, rows, cols, eps);
        const mean = new T(cols), variance = new T(cols);
        close(K.batchNorm(new T(n).fill(NaN), x, g, b, mean, variance, rows, cols, eps), ref.y, t);
        close(mean, ref.mean, t);
        close(variance, ref.variance, t);
        const inPlace = x.slice();
        close(K.batchNorm(inPlace, inPlace, g, b, new T(cols), new T(cols), rows, cols, eps), ref.y, t);
        // inference with the batch statistics as running statistics gives the same y
        close(K.batchNormInference(new T(n), x, g, b, mean, variance, rows, cols, eps), ref.y, t);
        // no affine part
        const ones = new Float64Array(cols).fill(1), zeros = new Float64Array(cols);
        close(K.batchNorm(new T(n), x, null, null, new T(cols), new T(cols), rows, cols, eps),
          naiveBatchNorm(x, ones, zeros, rows, cols, eps).y, t);

        close(K.layerNorm(new T(n).fill(NaN), x, g, b, rows, cols, eps), naiveLayerNorm(x, g, b, rows, cols, eps), t);
        close(K.layerNorm(new T(n), x, null, null, rows, cols, eps), naiveLayerNorm(x, ones, zeros, rows, cols, eps), t);
      }
    });
  }

  test("running statistics update (unbiased variance, momentum)", () => {
    const rm = Float64Array.of(1, 2), rv = Float64Array.of(3, 4);
    K.batchNormUpdateRunning(rm, rv, Float64Array.of(5, 6), Float64Array.of(0.5, 1), 4, 2, 0.1);
    close(rm, [0.9 + 0.5, 1.8 + 0.6], 1e-15);
    close(rv, [2.7 + 0.1 * 0.5 * 4 / 3, 3.6 + 0.1 * 4 / 3], 1e-15);
  });

  test("batch norm derivatives (training and inference)", () => {
    for (const [rows, cols] of NORM_SHAPES) {
      const n = rows * cols, x = rand64(n, -2, 3), g = rand64(cols, 0.5, 1.5), b = rand64(cols);
      const stats = (v: Float64Array) => {
        const mean = new Float64Array(cols), variance = new Float64Array(cols);
        K.batchNorm(new Float64Array(n), v, g, b, mean, variance, rows, cols, eps);
        return { mean, variance };
      };
      const fx = (v: Float64Array) => K.batchNorm(new Float64Array(n), v, g, b, new Float64Array(cols), new Float64Array(cols), rows, cols, eps);
      const fg = (v: Float64Array) => K.batchNorm(new Float64Array(n), x, v, b, new Float64Array(cols), new Float64Array(cols), rows, cols, eps);
      const fb = (v: Float64Array) => K.batchNorm(new Float64Array(n), x, g, v, new Float64Array(cols), new Float64Array(cols), rows, cols, eps);
      const s = stats(x);
      checkVjp(fx, (o, v, gy, acc) => { const st = stats(v); K.batchNormVjpX(o, v, g, st.mean, st.variance, gy, rows, cols, eps, acc); }, x);
      checkVjp(fg, (o, _v, gy, acc) => K.batchNormVjpParams(o, null, x, s.mean, s.variance, gy, rows, cols, eps, acc), g);
      checkVjp(fb, (o, _v, gy, acc) => K.batchNormVjpParams(null, o, x, s.mean, s.variance, gy, rows, cols, eps, acc), b);
      checkJvp(fx, (v, dv) => { const st = stats(v); return K.batchNormJvp(new Float64Array(n), v, dv, g, null, null, st.mean, st.variance, rows, cols, eps); }, x);
      checkJvp(fg, (_v, dv) => K.batchNormJvp(new Float64Array(n), x, null, _v, dv, null, s.mean, s.variance, rows, cols, eps), g);
      checkJvp(fb, (_v, dv) => K.batchNormJvp(new Float64Array(n), x, null, g, null, dv, s.mean, s.variance, rows, cols, eps), b);
      // without affine parameters
      const fx0 = (v: Float64Array) => K.batchNorm(new Float64Array(n), v, null, null, new Float64Array(cols), new Float64Array(cols), rows, cols, eps);
      checkVjp(fx0, (o, v, gy, acc) => { const st = stats(v); K.batchNormVjpX(o, v, null, st.mean, st.variance, gy, rows, cols, eps, acc); }, x);

      // inference: fixed running statistics
      const rm = rand64(cols), rv = rand64(cols, 0.5, 2);
      const ix = (v: Float64Array) => K.batchNormInference(new Float64Array(n), v, g, b, rm, rv, rows, cols, eps);
      const ig = (v: Float64Array) => K.batchNormInference(new Float64Array(n), x, v, b, rm, rv, rows, cols, eps);
      const ib = (v: Float64Array) => K.batchNormInference(new Float64Array(n), x, g, v, rm, rv, rows, cols, eps);
      checkVjp(ix, (o, _v, gy, acc) => K.batchNormInferenceVjpX(o, g, rv, gy, rows, cols, eps, acc), x);
      checkVjp(ig, (o, _v, gy, acc) => K.batchNormVjpParams(o, null, x, rm, rv, gy, rows, cols, eps, acc), g);
      checkVjp(ib, (o, _v, gy, acc) => K.batchNormVjpParams(null, o, x, rm, rv, gy, rows, cols, eps, acc), b);
      checkJvp(ix, (v, dv) => K.batchNormInferenceJvp(new Float64Array(n), v, dv, g, null, null, rm, rv, rows, cols, eps), x);
      checkJvp(ig, (v, dv) => K.batchNormInferenceJvp(new Float64Array(n), x, null, v, dv, null, rm, rv, rows, cols, eps), g);
      checkJvp(ib, (_v, dv) => K.batchNormInferenceJvp(new Float64Array(n), x, null, g, null, dv, rm, rv, rows, cols, eps), b);
    }
  });

  test("layer norm derivatives", () => {
    for (const [rows, cols] of [[1, 3], [3, 4], [5, 8], [2, 16]] as [number, number][]) {
      const n = rows * cols, x = rand64(n, -2, 3), g = rand64(cols, 0.5, 1.5), b = rand64(cols);
      const fx = (v: Float64Array) => K.layerNorm(new Float64Array(n), v, g, b, rows, cols, eps);
      const fg = (v: Float64Array) => K.layerNorm(new Float64Array(n), x, v, b, rows, cols, eps);
      const fb = (v: Float64Array) => K.layerNorm(new Float64Array(n), x, g, v, rows, cols, eps);
      checkVjp(fx, (o, v, gy, acc) => K.layerNormVjpX(o, v, g, gy, rows, cols, eps, acc), x);
      checkVjp(fg, (o, _v, gy, acc) => K.layerNormVjpParams(o, null, x, gy, rows, cols, eps, acc), g);
      checkVjp(fb, (o, _v, gy, acc) => K.layerNormVjpParams(null, o, x, gy, rows, cols, eps, acc), b);
      checkJvp(fx, (v, dv) => K.layerNormJvp(new Float64Array(n), v, dv, g, null, null, rows, cols, eps), x);
      checkJvp(fg, (v, dv) => K.layerNormJvp(new Float64Array(n), x, null, v, dv, null, rows, cols, eps), g);
      checkJvp(fb, (_v, dv) => K.layerNormJvp(new Float64Array(n), x, null, g, null, dv, rows, cols, eps), b);
      const fx0 = (v: Float64Array) => K.layerNorm(new Float64Array(n), v, null, null, rows, cols, eps);
      checkVjp(fx0, (o, v, gy, acc) => K.layerNormVjpX(o, v, null, gy, rows, cols, eps, acc), x);
      checkJvp(fx0, (v, dv) => K.layerNormJvp(new Float64Array(n), v, dv, null, null, null, rows, cols, eps), x);
    }
  });
});

// ---- derivative kernels on Float32 ----

describe.each(BACKENDS)("derivative kernels accept Float32Array, %s backend", (backend) => {
  onBackend(backend);
  test("matmul, relu, softmax cross-entropy, batch norm and layer norm VJPs agree with Float64", () => {
    const m = 6, k = 5, n = 4, eps = 1e-5;
    const a = rand64(m * k), b = rand64(k * n), gy = rand64(m * n);
    const f32 = (v: Float64Array) => Float32Array.from(v);
    const a32 = f32(a), b32 = f32(b), gy32 = f32(gy);
    const pairs: [ArrayLike<number>, ArrayLike<number>][] = [
      [K.matmulVjpA(new Float32Array(m * k), b32, gy32, m, k, n), K.matmulVjpA(new Float64Array(m * k), b32, gy32, m, k, n)],
      [K.matmulVjpB(new Float32Array(k * n), a32, gy32, m, k, n, false, true), K.matmulVjpB(new Float64Array(k * n), a32, gy32, m, k, n, false, true)],
      [K.reluVjp(new Float32Array(m * n), b32, gy32, m * n), K.reluVjp(new Float64Array(m * n), b32, gy32, m * n)],
    ];
    const labels = Float64Array.of(0, 3, 1, 2, 2, 0);
    const p32 = new Float32Array(m * n), p64 = new Float64Array(m * n);
    K.softmaxCrossEntropy(p32, gy32, labels, m, n);
    K.softmaxCrossEntropy(p64, gy32, labels, m, n);
    pairs.push([K.softmaxCrossEntropyVjp(new Float32Array(m * n), p32, labels, m, n), K.softmaxCrossEntropyVjp(new Float64Array(m * n), p64, labels, m, n)]);
    const x32 = f32(rand64(m * n, -2, 2)), g32 = f32(rand64(n, 0.5, 1.5));
    const mu32 = new Float32Array(n), var32 = new Float32Array(n);
    K.batchNorm(new Float32Array(m * n), x32, g32, null, mu32, var32, m, n, eps);
    pairs.push([K.batchNormVjpX(new Float32Array(m * n), x32, g32, mu32, var32, gy32, m, n, eps),
      K.batchNormVjpX(new Float64Array(m * n), x32, g32, mu32, var32, gy32, m, n, eps)]);
    pairs.push([K.layerNormVjpX(new Float32Array(m * n), x32, g32, gy32, m, n, eps), K.layerNormVjpX(new Float64Array(m * n), x32, g32, gy32, m, n, eps)]);
    for (const [got, want] of pairs) close(got, want, 1e-6);
  });
});
