import { describe, expect, test } from "vitest";
import { maxRelError, numericGradient, relError } from "../runtime/numeric.js";

describe("numericGradient", () => {
  test("scalar argument", () => {
    const f = (x: number) => Math.sin(x) * x * x;
    const x = 1.3;
    const g = numericGradient(f, [x], 0) as number;
    expect(typeof g).toBe("number");
    expect(relError(g, Math.cos(x) * x * x + 2 * x * Math.sin(x))).toBeLessThan(1e-8);
  });

  test("step scales with |x|", () => {
    const f = (x: number) => Math.log(x);
    for (const x of [0.5, 1, 1e4, 1e8]) {
      const g = numericGradient(f, [x], 0) as number;
      expect(relError(g * x, 1)).toBeLessThan(1e-7);
    }
    // Close to log's singularity the default step (1e-6 for |x| < 1) is too coarse:
    // truncation error h^2 / (3 x^2) = 3e-7 at x = 1e-3. A smaller step fixes it.
    const g = numericGradient(f, [1e-3], 0, { h: 1e-9 }) as number;
    expect(relError(g * 1e-3, 1)).toBeLessThan(1e-7);
  });

  test("Float64Array argument, other arguments passed through", () => {
    const f = (c: number, x: Float64Array) => {
      let s = 0;
      for (let i = 0; i < x.length; i++) s += c * x[i] ** 3;
      return s + x[0] * x[1];
    };
    const x = new Float64Array([0.5, -1.25, 2]);
    const g = numericGradient(f, [0.7, x], 1);
    expect(g).toBeInstanceOf(Float64Array);
    const want = new Float64Array([3 * 0.7 * 0.25 + -1.25, 3 * 0.7 * 1.5625 + 0.5, 3 * 0.7 * 4]);
    expect(maxRelError(g, want)).toBeLessThan(1e-8);
    // and with respect to the scalar
    const gc = numericGradient(f, [0.7, x], 0) as number;
    expect(relError(gc, 0.125 - 1.953125 + 8)).toBeLessThan(1e-8);
  });

  test("Float32Array argument keeps its type; error stays small despite single precision", () => {
    const f = (x: Float32Array) => {
      let s = 0;
      for (let i = 0; i < x.length; i++) s += Math.exp(0.5 * x[i]);
      return s;
    };
    const x = new Float32Array([0.1, -0.7, 1.9]);
    const g = numericGradient(f, [x], 0);
    expect(g).toBeInstanceOf(Float32Array);
    const want = new Float64Array(3);
    for (let i = 0; i < 3; i++) want[i] = 0.5 * Math.exp(0.5 * x[i]);
    expect(maxRelError(g, want)).toBeLessThan(1e-5);
  });

  test("object argument: same keys, same field types", () => {
    type P = { W: Float64Array; b: number; s: Float32Array };
    const f = (p: P, x: number) => p.W[0] * p.W[1] * x + p.b * p.b + p.s[0] * x;
    const p: P = { W: new Float64Array([2, 3]), b: -0.5, s: new Float32Array([0.25]) };
    const g = numericGradient(f, [p, 4], 0) as P;
    expect(Object.keys(g).sort()).toEqual(["W", "b", "s"]);
    expect(g.W).toBeInstanceOf(Float64Array);
    expect(g.s).toBeInstanceOf(Float32Array);
    expect(typeof g.b).toBe("number");
    expect(maxRelError(g.W, new Float64Array([12, 8]))).toBeLessThan(1e-8);
    expect(relError(g.b, -1)).toBeLessThan(1e-8);
    expect(relError(g.s[0], 4)).toBeLessThan(1e-5);
  });

  test("never writes the caller's arguments, even if f does", () => {
    const f = (x: Float64Array, p: { v: Float64Array }) => {
      const s = x[0] * x[1] + p.v[0];
      x[0] = 99;
      p.v[0] = 99;
      return s;
    };
    const x = new Float64Array([1, 2]);
    const p = { v: new Float64Array([3]) };
    numericGradient(f, [x, p], 0);
    numericGradient(f, [new Float64Array([1, 2]), p], 1);
    expect(Array.from(x)).toEqual([1, 2]);
    expect(Array.from(p.v)).toEqual([3]);
  });

  test("custom step", () => {
    const f = (x: number) => x ** 3;
    // central difference of x^3 has truncation error exactly h^2
    const g = numericGradient(f, [1], 0, { h: 1e-2 }) as number;
    expect(g).toBeCloseTo(3 + 1e-4, 10);
  });

  test("rejects a bad index or an unsupported argument", () => {
    const f = (x: number) => x;
    expect(() => numericGradient(f, [1], 1)).toThrow(RangeError);
    expect(() => numericGradient(f as never, [[1, 2]], 0)).toThrow(TypeError);
  });
});

describe("relError / maxRelError", () => {
  test("definition: |a-b| / max(|a|, |b|, 1)", () => {
    expect(relError(2, 2)).toBe(0);
    expect(relError(100, 101)).toBeCloseTo(1 / 101, 15);
    expect(relError(1e-9, 3e-9)).toBeCloseTo(2e-9, 20); // absolute below 1
    expect(relError(0, 0.5)).toBe(0.5);
    expect(relError(NaN, 1)).toBe(Infinity);
    expect(relError(NaN, NaN)).toBe(Infinity);
    expect(relError(Infinity, Infinity)).toBe(0);
  });

  test("works over every gradient shape", () => {
    expect(maxRelError(1, 1.5)).toBeCloseTo(1 / 3, 15);
    expect(maxRelError(new Float64Array([1, 10]), new Float32Array([1, 11]))).toBeCloseTo(1 / 11, 7);
    const a = { W: new Float64Array([1, 2]), b: 3 };
    const b = { b: 3, W: new Float64Array([1, 2.5]) };
    expect(maxRelError(a, b)).toBeCloseTo(0.2, 15);
    expect(maxRelError([1, a], [1, b])).toBeCloseTo(0.2, 15);
    expect(maxRelError(new Float64Array([1, NaN]), new Float64Array([1, 2]))).toBe(Infinity);
  });

  test("throws on different shapes", () => {
    expect(() => maxRelError(1, new Float64Array(1))).toThrow(/shapes/);
    expect(() => maxRelError(new Float64Array(2), new Float64Array(3))).toThrow(/lengths/);
    expect(() => maxRelError({ a: 1 }, { b: 1 })).toThrow(/keys/);
    expect(() => maxRelError([1], [1, 2])).toThrow(/lengths/);
  });
});
