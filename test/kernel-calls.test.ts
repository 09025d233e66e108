// Losses that call runtime kernels: gradients, JVPs and HVPs through the kernels'
// rules, checked against central differences.
import { describe, expect, it } from "vitest";
import { grad, hvp, jvp, valueAndGrad } from "../index.js";
import * as K from "../runtime/index.js";
import { maxRelError, numericGradient } from "../runtime/numeric.js";

function rand(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  let s = seed >>> 0 || 1;
  return Float64Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((s / 2 ** 32) * (hi - lo));
  });
}

function layer(w: Float64Array, x: Float64Array): number {
  const h = new Float64Array(3);
  K.matvec(h, w, x, 3, 4);
  K.tanh(h, h, 3);
  return K.sum(h, 3);
}

describe("kernel calls", () => {
  it("matvec + tanh + sum", () => {
    const functions = { matvec: K.matvec, tanh: K.tanh, sum: K.sum };
    const w = rand(12, 1), x = rand(4, 2);
    const [v, g] = valueAndGrad(layer, { wrt: [0, 1], functions })(w, x) as [number, Float64Array[]];
    expect(v).toBeCloseTo(layer(w, x), 12);
    expect(maxRelError(g[0], numericGradient(layer, [w, x], 0))).toBeLessThan(1e-6);
    expect(maxRelError(g[1], numericGradient(layer, [w, x], 1))).toBeLessThan(1e-6);
  });
});
