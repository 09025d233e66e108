// Programs that once compiled to a wrong value or gradient, checked against the
// function itself and central differences.
import { describe, expect, test } from "vitest";
import { grad, hvp, jacobian, jvp, valueAndGrad, vjp } from "../index.js";
import { maxRelError, numericGradient, relError } from "../runtime/numeric.js";

type Loss = (...args: any[]) => number;

function expectExact(f: Loss, args: unknown[], wrt = 0): void {
  const [value, g] = valueAndGrad(f, { wrt })(...args);
  expect(value).toBe(f(...args));
  expect(maxRelError(g, numericGradient(f, args, wrt))).toBeLessThan(1e-5);
}

const xs = () => new Float64Array([0.3, -1.2, 0.8, 1.5, -0.4, 0.9]);

describe("regressions", () => {
  test("a store whose index reads the array it writes (fuzz seed 1030)", () => {
    function once(x: Float64Array) {
      x[x[0] > 5 ? 1 : 0] = x[0] * x[0];
      return x[0] + x[1];
    }
    function inLoop(x: Float64Array) {
      let s = 0;
      for (let i = 0; i < x.length; i++) {
        x[x[i] > 0 ? i : 0] = Math.sin(x[i]) * x[0];
        s += x[i] * x[0];
      }
      return s;
    }
    for (const f of [once, inLoop]) {
      const [value, g] = valueAndGrad(f)(xs()) as [number, Float64Array];
      expect(value).toBe(f(xs()));
      expect(maxRelError(g, numericGradient(f, [xs()], 0))).toBeLessThan(1e-5);
      expect(maxRelError(grad(f)(xs()), g)).toBeLessThan(1e-12);
      const v = xs().reverse();
      const [, dot] = jvp(f)(xs(), v) as [number, number];
      expect(maxRelError(dot, g.reduce((a, gi, i) => a + gi * v[i], 0))).toBeLessThan(1e-12);
      const gradAt = (q: Float64Array) => valueAndGrad(f)(q)[1] as Float64Array;
      const e = 1e-5;
      const up = gradAt(xs().map((x, i) => x + e * v[i]));
      const down = gradAt(xs().map((x, i) => x - e * v[i]));
      expect(maxRelError(hvp(f)(xs(), v), up.map((u, i) => (u - down[i]) / (2 * e)))).toBeLessThan(1e-5);
    }
  });

  test("a loop bound that a called function changes is re-read each iteration", () => {
    function f(x: Float64Array) {
      let n = x.length;
      let s = 0;
      const shrink = () => { n = n - 1; };
      for (let i = 0; i < n; i++) {
        shrink();
        s += x[i] * x[i];
      }
      return s;
    }
    expectExact(f, [xs()]);
  });

  test("a let without initializer is undefined (NaN in arithmetic) until assigned", () => {
    function f(x: number) {
      let a: number | undefined;
      if (x > 10) a = 1;
      return x * x + ((a as number) > 0 ? 1 : 0);
    }
    expectExact(f, [0.7]);
  });

  test("a value read nonlinearly before and after it is overwritten at top level", () => {
    function f(x: number) {
      let t = Math.sin(x);
      const u = t * t;
      t = Math.exp(t);
      return u * t + t * t;
    }
    expectExact(f, [0.4]);
  });

  test("an accumulator read nonlinearly inside the loop that updates it", () => {
    function f(x: Float64Array) {
      let s = 1;
      for (let i = 0; i < x.length; i++) s = s * Math.cos(x[i]) + s * s * 0.1;
      return s;
    }
    expectExact(f, [xs()]);
  });

  test("the same temp feeding two multiplications (x * x * x)", () => {
    const f = (x: number) => x * x * x + Math.exp(x) * Math.exp(x);
    expectExact(f, [0.9]);
  });

  test("a ternary whose unused side reads out of range inside arithmetic (no 0 * NaN)", () => {
    function f(x: Float64Array) {
      const y = new Float64Array(x.length);
      let s = 0;
      for (let i = 0; i < x.length; i++) {
        y[i] = Math.sin(x[i]) + (i > 0 ? y[i - 1] * x[i] : 0);
        s += y[i] * y[i];
      }
      return s;
    }
    expectExact(f, [xs()]);
  });

  test("filling an argument array: derivative code works on a copy", () => {
    function f(x: Float64Array, w: number) {
      const s = Math.cos(x[0] * w);
      x.fill(Math.tanh(s) - w);
      return 0.75 * w + s + x[1] * x[2];
    }
    const x = xs();
    const before = x.slice();
    const [value, g] = valueAndGrad(f, { wrt: "w" })(x, -0.57);
    expect(x).toEqual(before);
    expect(value).toBe(f(x.slice(), -0.57));
    expect(maxRelError(g, numericGradient(f, [x, -0.57], 1))).toBeLessThan(1e-5);
  });

  test("&& and || whose right side branches or calls a helper evaluate it only when JavaScript does", () => {
    function f(x: Float64Array, w: number) {
      const bump = (t: number) => {
        let u = t;
        for (let i = 0; i < x.length; i++) u += Math.sin(u * x[i]);
        return u;
      };
      let s = 0;
      for (let i = 0; i < x.length; i++) {
        if (x[i] * w > 0.1 && bump(w) >= (x[i] > 0 ? 0.29 * x.length : x[0])) s += x[i] * w;
        if (x[i] < -0.5 || bump(x[i]) < 0) s += Math.exp(x[i] * w);
      }
      return s;
    }
    for (const w of [0.7, -0.4]) {
      expectExact(f, [xs(), w], 0);
      expectExact(f, [xs(), w], 1);
    }
  });

  test("Math.hypot of three numbers is one call, as in the source (found by the fuzzer)", () => {
    const f = (x: Float64Array, w: number) => {
      let s = 0;
      for (let i = 0; i < x.length; i++) s += Math.hypot(x[i], w, 0.82) * x[i];
      return s;
    };
    expectExact(f, [xs(), 0.37], 0);
    expectExact(f, [xs(), 0.37], 1);
    expect(() => valueAndGrad((a: number) => Math.hypot(a, 1, 2, 3))(1)).toThrow(/more than three/);
  });

  test("a function that writes its parameter array and returns it returns the written copy (jvp, vjp, jacobian declared it twice)", () => {
    const step = (y: Float64Array, k: number) => {
      for (let i = 0; i < y.length; i++) y[i] = Math.sin(y[i] * k) + y[(i + 1) % y.length];
      return y;
    };
    const n = 4;
    const y0 = () => xs().subarray(0, n).slice();
    // J[r][c] by central differences of the function itself (on copies: it writes its argument).
    const h = 1e-6;
    const J = Array.from({ length: n }, (_, r) => Array.from({ length: n }, (_, c) => {
      const up = y0(); up[c] += h;
      const down = y0(); down[c] -= h;
      return (step(up, 0.7)[r] - step(down, 0.7)[r]) / (2 * h);
    }));
    const value = step(y0(), 0.7);
    for (const mode of ["forward", "reverse"] as const) {
      const got = jacobian(step, { mode })(y0(), 0.7);
      expect(maxRelError(got, Float64Array.from(J.flat()))).toBeLessThan(1e-5);
    }
    const t = new Float64Array([0.5, -1, 0.25, 2]);
    const [v, dot] = jvp(step)(y0(), 0.7, t);
    expect(maxRelError(v, value)).toBeLessThan(1e-15);
    expect(maxRelError(dot, Float64Array.from(J.map((row) => row.reduce((s, Jrc, c) => s + Jrc * t[c], 0))))).toBeLessThan(1e-5);
    const [v2, pullback] = vjp(step)(y0(), 0.7);
    expect(maxRelError(v2, value)).toBeLessThan(1e-15);
    expect(maxRelError(pullback(t), Float64Array.from({ length: n }, (_, c) => J.reduce((s, row, r) => s + row[c] * t[r], 0)))).toBeLessThan(1e-5);
    expect(maxRelError(grad(step, { output: 2 })(y0(), 0.7), Float64Array.from(J[2]))).toBeLessThan(1e-5);
  });

  describe("values carried across iterations (neighbour reads and accumulations)", () => {
    function rosen(x: Float64Array) {
      let s = 0;
      for (let i = 0; i < x.length - 1; i++) {
        const a = x[i + 1] - x[i] * x[i];
        s += 100 * a * a + (1 - x[i]) * (1 - x[i]);
      }
      return s;
    }
    function descending(x: Float64Array) {
      let s = 0;
      for (let i = x.length - 1; i >= 1; i--) s += Math.sin(x[i] * x[i - 1]) + x[i] * x[i];
      return s * s;
    }
    function fromOne(x: Float64Array, w: number) {
      let s = 0;
      for (let i = 1; i <= x.length - 1; i++) s += Math.exp(w * x[i - 1]) * x[i];
      return Math.log(1 + s * s);
    }
    function dotTanh(w: Float64Array, x: Float64Array) {
      let s = 0;
      for (let j = 0; j < x.length; j++) s += x[j] * w[j];
      return Math.tanh(s);
    }
    for (const n of [0, 1, 2, 3, 7]) {
      const x = () => xs().subarray(0, n).slice();
      test(`n = ${n}, a gradient written by a backward loop`, () => {
        // w longer than x: the loop reaches only part of the gradient, the rest must be zero.
        const w = new Float64Array([0.2, -0.4, 0.6, 0.1, 0.9, -0.3, 0.5, 0.7, -0.8]);
        const out = new Float64Array(w.length).fill(42);
        const g = grad(dotTanh, { out })(w, x());
        expect(g).toBe(out);
        expect(maxRelError(g, numericGradient(dotTanh, [w, x()], 0))).toBeLessThan(1e-5);
      });
      test(`n = ${n}`, () => {
        for (const f of [rosen, descending]) {
          const [value, g] = valueAndGrad(f)(x());
          expect(value).toBe(f(x()));
          if (n > 0) expect(maxRelError(g, numericGradient(f, [x()], 0))).toBeLessThan(1e-5);
        }
        const [value, g] = valueAndGrad(fromOne, { wrt: [0, 1] })(x(), 0.3);
        expect(value).toBe(fromOne(x(), 0.3));
        if (n > 0) expect(maxRelError(g[0], numericGradient(fromOne, [x(), 0.3], 0))).toBeLessThan(1e-5);
        expect(maxRelError(g[1], numericGradient(fromOne, [x(), 0.3], 1))).toBeLessThan(1e-5);
      });
    }
  });

  test("third-order reverse mode through a loop that overwrites its variable (found by the fuzzer: the input's tapes shared one adjoint tape)", () => {
    function g(u: number): number {
      for (let i = 0; i < 3; i++) u = Math.sin(u) * 1.1;
      return u;
    }
    const second = (b: number) => grad(grad(g))(b);
    for (const b of [0.7, -0.3, 1.9]) {
      const third = numericGradient(second, [b], 0) as number;
      expect(relError(grad(grad(grad(g)))(b), third)).toBeLessThan(1e-5);
      expect(relError(grad(second, { functions: { g } })(b), third)).toBeLessThan(1e-5);
    }
  });

  test("Array.from(a, f) of a Float32Array makes an Array of doubles, as JavaScript does (it rounded to float32; found by the fuzzer)", () => {
    const f = (x: Float32Array, w: number) => Array.from(x, (v) => v * w + 0.1)[0] * 3;
    const x = new Float32Array([0.37, 1.1]);
    const [value, g] = valueAndGrad(f, { wrt: 1 })(x, 0.3);
    expect(value).toBe(f(x, 0.3));
    expect(Math.abs((g as number) - 3 * x[0])).toBeLessThan(1e-12);
  });
});
