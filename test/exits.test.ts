// Loops left by `break`, `continue` or an early `return` whose conditions read only
// loop indices or parameters that are not differentiated: every derivative mode must
// agree with valueAndGrad and with central differences. The value-free modes (grad,
// hvp, hessian) once dropped the forward loop whose trip count the backward sweep
// needs and returned zeros.
import { describe, expect, test } from "vitest";
import { grad, hessian, hvp, jacobian, jvp, valueAndGrad, vjp } from "../index.js";
import { maxRelError, numericGradient } from "../runtime/numeric.js";
import { Rng } from "../runtime/nn/rng.js";

type Loss = (p: Float64Array, n: number) => number;

const cases: [string, Loss][] = [
  ["break on the index", (p, n) => {
    let s = 0;
    for (let i = 0; i < p.length; i++) { s += p[i] * p[i] * p[i]; if (i == n) break; }
    return s;
  }],
  ["break on a constant index", (p, _n) => {
    let r = 0;
    for (let k = 0; k < 3; k++) { r += Math.sin(p[k]) * p[0]; if (k == 1) break; }
    return r;
  }],
  ["continue on the index", (p, n) => {
    let s = 0;
    for (let i = 0; i < p.length; i++) { if (i % 2 == n % 2) continue; s += Math.exp(p[i]) * p[i]; }
    return s;
  }],
  ["early return inside the loop", (p, n) => {
    let s = 1;
    for (let i = 0; i < p.length; i++) { s *= 1 + p[i] * p[i]; if (i >= n) return s; }
    return -s;
  }],
  ["break in a while loop on a counter", (p, n) => {
    let s = 0;
    let i = 0;
    while (i < p.length) { s += p[i] * Math.cos(p[i]); i++; if (i > n) break; }
    return s * s;
  }],
  ["break in an inner loop", (p, n) => {
    let s = 0;
    for (let i = 0; i < p.length; i++) {
      for (let j = 0; j < p.length; j++) { if (j > i || j == n) break; s += p[i] * p[j]; }
    }
    return s;
  }],
];

const rng = new Rng(9);
const point = () => Float64Array.from({ length: 5 }, () => rng.uniform(-1, 1));

describe.each(cases)("%s", (_name, f) => {
  const points = [0, 1, 2].map((k) => ({ p: point(), n: k + 1 }));

  test("grad and valueAndGrad agree with central differences", () => {
    for (const { p, n } of points) {
      const [value, g] = valueAndGrad(f)(p, n) as [number, Float64Array];
      expect(value).toBe(f(p, n));
      expect(maxRelError(g, numericGradient(f, [p, n], 0))).toBeLessThan(1e-5);
      expect(maxRelError(grad(f)(p, n), g)).toBeLessThan(1e-12);
      const [v2, pullback] = vjp(f)(p, n) as [number, (c: number) => Float64Array];
      expect(v2).toBe(value);
      expect(maxRelError(pullback(1), g)).toBeLessThan(1e-12);
    }
  });

  test("jvp and forward/reverse Jacobians agree with the gradient", () => {
    for (const { p, n } of points) {
      const g = valueAndGrad(f)(p, n)[1] as Float64Array;
      const v = point();
      const [value, dot] = jvp(f)(p, n, v) as [number, number];
      expect(value).toBe(f(p, n));
      expect(maxRelError(dot, g.reduce((s, gi, i) => s + gi * v[i], 0))).toBeLessThan(1e-12);
      for (const mode of ["forward", "reverse"] as const) {
        expect(maxRelError(jacobian(f, { mode })(p, n), g)).toBeLessThan(1e-12);
      }
    }
  });

  test("hvp and hessian agree with differences of the gradient", () => {
    const g = (q: Float64Array, n: number, i: number) => (valueAndGrad(f)(q, n)[1] as Float64Array)[i];
    for (const { p, n } of points) {
      const H = hessian(f)(p, n) as Float64Array;
      const numeric = new Float64Array(25);
      for (let i = 0; i < 5; i++) numeric.set(numericGradient((q: Float64Array) => g(q, n, i), [p], 0) as Float64Array, 5 * i);
      expect(maxRelError(H, numeric)).toBeLessThan(1e-5);
      const v = point();
      const Hv = H.slice(0, 5).map((_, i) => H.slice(5 * i, 5 * i + 5).reduce((s, h, j) => s + h * v[j], 0));
      expect(maxRelError(hvp(f)(p, n, v), Hv)).toBeLessThan(1e-10);
    }
  });
});
