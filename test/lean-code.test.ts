// Generated code does no work nobody reads: no fill(0) before a buffer's first full write
// (a kernel call's first write into a buffer of zeros passes accumulate false), no zeroing
// loop that cannot run, no `100 * b + b * 100` or `a + -(b)`, and Hessian-vector products
// that neither compute nor store the gradient they do not return. Each case also checks
// the derivatives against central differences, so the leaner code stays exact.
import { describe, expect, test } from "vitest";
import * as gradc from "../index.js";
import { functionRequest } from "../compiler/build-sites.js";
import { createProject } from "../compiler/parse/typescript.js";
import { gradientIR } from "../compiler/pipeline.js";
import { walk } from "../compiler/ir/types.js";
import * as K from "../runtime/index.js";
import { maxRelError, numericGradient } from "../runtime/numeric.js";
import { makeRng } from "./corpus/rng.js";
import { shownCore } from "./grad-hvp-check.js";
import { huber, rosenbrock } from "./golden/losses.js";

type Fn = (...args: any[]) => any;
const { grad, hvp, gradAndHvp, hessian } = gradc as unknown as Record<"grad" | "hvp" | "gradAndHvp" | "hessian", (f: Fn, o?: object) => Fn>;
const rng = makeRng(13);
const rand = (n: number) => Float64Array.from({ length: n }, () => rng.uniform(-1, 1));

const core = shownCore;

/** Central differences along `v` of the (exact) gradient `g` (default: grad(f)): the reference for H·v. */
function hvpByDifferences(f: Fn, x: Float64Array, v: Float64Array, g: Fn = grad(f)): Float64Array {
  const h = 1e-5;
  const [up, down] = [g(x.map((xi, i) => xi + h * v[i])), g(x.map((xi, i) => xi - h * v[i]))] as Float64Array[];
  return up.map((u, i) => (u - down[i]) / (2 * h));
}

describe("kernel calls write the first result into a buffer of zeros", () => {
  const mnist = "examples/mnist.ts";

  test("MNIST's gradient: no fill(0), and each buffer's first kernel call writes instead of adding", async () => {
    expect(await core(mnist, "mlpLoss", "--wrt", "p", "--mode", "valueAndGrad")).not.toContain(".fill(0)");
    const ir = gradientIR(functionRequest(createProject(), mnist, "mlpLoss", "p", "valueAndGrad"));
    const firstWrites = new Map<number, boolean>();
    walk(ir.body, (i) => {
      expect(i.k, "a fill").not.toBe("fill");
      const written = i.k === "call" ? i.out : i.k === "store" ? i.arr : undefined;
      if (written && !firstWrites.has(written.id)) firstWrites.set(written.id, i.k === "call" && !!i.accumulate);
    });
    expect([...firstWrites.values()]).not.toContain(true);
    expect(firstWrites.size).toBeGreaterThanOrEqual(6); // H_bar, Z_bar and the four of p
  });

  test("MNIST's H·v: no gradient buffer of p, and no zeroing of fresh buffers", async () => {
    const text = (await core(mnist, "mlpLoss", "--wrt", "p", "--mode", "hvp")).split("\n").filter((l) => !l.trim().startsWith("//")).join("\n");
    expect(text).not.toMatch(/\bp_\w+_bar\b(?!_dot)/);
    expect(text).not.toMatch(/\b[HZ]_bar_dot\[\w+\] = 0/);
    expect(text).not.toContain(".fill(0)");
  });

  // mnist.ts's loss at a small size, through the same kernels.
  function mlpLoss(W1: Float64Array, b1: Float64Array, W2: Float64Array, b2: Float64Array, X: Float64Array, Y: Float64Array): number {
    const hidden = b1.length, classes = b2.length, inputs = W1.length / hidden, n = Y.length / classes;
    const H = new Float64Array(n * hidden);
    K.matmul(H, X, W1, n, inputs, hidden, false, true);
    K.biasAdd(H, H, b1, n, hidden);
    K.tanh(H, H, n * hidden);
    const Z = new Float64Array(n * classes);
    K.matmul(Z, H, W2, n, hidden, classes, false, true);
    K.biasAdd(Z, Z, b2, n, classes);
    K.logSoftmax(Z, Z, n, classes);
    return -K.dot(Y, Z, n * classes) / n;
  }
  const functions = { matmul: K.matmul, biasAdd: K.biasAdd, tanh: K.tanh, logSoftmax: K.logSoftmax, dot: K.dot };

  test("its gradient (into caller buffers holding other values) and H·v agree with central differences", () => {
    const [inputs, hidden, classes, n] = [5, 4, 3, 6];
    const Y = new Float64Array(n * classes);
    for (let i = 0; i < n; i++) Y[i * classes + (i % classes)] = 1;
    const args = [rand(hidden * inputs), rand(hidden), rand(classes * hidden), rand(classes), rand(n * inputs), Y];
    const g = grad(mlpLoss, { wrt: [0, 1, 2, 3], functions });
    const stale = [0, 1, 2, 3].map((k) => (args[k] as Float64Array).map(() => 7));
    const results = g(...args, stale) as Float64Array[];
    [0, 1, 2, 3].forEach((k) => expect(maxRelError(results[k], numericGradient(mlpLoss, args, k)), `wrt ${k}`).toBeLessThan(1e-6));
    const v = rand(hidden * inputs);
    const hv = hvp(mlpLoss, { wrt: 0, functions })(...args, v) as Float64Array;
    const gradW1 = grad(mlpLoss, { wrt: 0, functions });
    const reference = hvpByDifferences(mlpLoss, args[0] as Float64Array, v, (w: Float64Array) => gradW1(w, ...args.slice(1)));
    expect(maxRelError(hv, reference)).toBeLessThan(1e-5);
  });
});

describe("a length kept in a const is known to be a length", () => {
  // GradBench's lse: `const n = x.length`, loops up to n; the tail of x_bar past the
  // reversed loop is empty (n is x.length), and max(0, n) is n.
  test("log-sum-exp's gradient: no zeroing loop that cannot run, no max(0, n)", async () => {
    const text = await core("bench/gradbench/evals/lse.ts", "logsumexp");
    expect(text).not.toMatch(/Math\.max\(0, n\)/);
    expect(text).not.toMatch(/x_bar\[j\w*\] = 0/);
    const { logsumexp } = await import("../bench/gradbench/evals/lse.js");
    for (const n of [1, 4, 9]) {
      const x = rand(n);
      expect(maxRelError(grad(logsumexp)(x), numericGradient(logsumexp, [x], 0))).toBeLessThan(1e-7);
    }
  });
});

describe("rosenbrock: no zeroing loop that cannot run, no 100 * b + b * 100 or a + -(b)", () => {
  test("the gradient's code", async () => {
    const text = await core("test/golden/losses.ts", "rosenbrock");
    expect(text).not.toMatch(/Math\.min\([\w.]+, 0\)/);
    expect(text).not.toContain("+ -(");
    expect(text).not.toContain("b * 100");
    expect(text).toContain("200 * b");
    expect(text.match(/x_bar\[j\w*\] = 0/g)).toHaveLength(1);
  });

  test("its gradient and H·v agree with central differences", () => {
    for (const n of [2, 3, 7]) {
      const x = rand(n), v = rand(n);
      expect(maxRelError(grad(rosenbrock)(x), numericGradient(rosenbrock, [x], 0))).toBeLessThan(1e-6);
      expect(maxRelError(hvp(rosenbrock)(x, v), hvpByDifferences(rosenbrock, x, v))).toBeLessThan(1e-5);
    }
  });
});

describe("a loop adding one term to each entry writes it, behind a branch too", () => {
  test("huber's gradient: no fill(0), the reversed loop stores p_w_bar[i], and it agrees with central differences", async () => {
    const text = await core("test/golden/losses.ts", "huber", "--wrt", "p", "--mode", "valueAndGrad");
    expect(text).not.toContain(".fill(0)");
    expect(text).toMatch(/p_w_bar\[i_1\] = /);
    expect(text).toContain("r_bar = loss_bar * r;"); // not loss_bar * (0.5 * r) + loss_bar * r * 0.5
    for (const n of [1, 4]) {
      const p = { w: rand(n), b: 0.3 };
      const args = [p, rand(n).map((v) => 3 * v), rand(n)];
      const [, g] = gradc.valueAndGrad(huber, { wrt: 0 })(...(args as Parameters<typeof huber>)) as [number, { w: Float64Array; b: number }];
      const reference = numericGradient(huber, args, 0) as unknown as { w: Float64Array; b: number };
      expect(maxRelError(g.w, reference.w)).toBeLessThan(1e-6);
      expect(maxRelError(g.b, reference.b)).toBeLessThan(1e-6);
    }
  });
});

describe("Hessian-vector products drop the gradient they do not return", () => {
  test("rosenbrock's H·v takes no gradient buffer and stores no gradient", async () => {
    const text = await core("test/golden/losses.ts", "rosenbrock", "--mode", "hvp");
    expect(text).not.toContain("x_bar[");
    expect(text).not.toContain("x_bar: Float64Array");
    expect(text).toMatch(/\bx_bar_dot\[/);
    const whole = await core("test/golden/losses.ts", "rosenbrock", "--mode", "gradAndHvp");
    expect(whole).toMatch(/\bx_bar\[/);
  });

  test("sinExp's H·v computes neither x_bar nor y_bar", async () => {
    const text = await core("test/golden/losses.ts", "sinExp", "--wrt", "x,y", "--mode", "hvp");
    expect(text).not.toMatch(/\b[xy]_bar\b/);
    expect(text).toContain("scalars[1] = y_bar_dot");
  });

  test("hvp, gradAndHvp, hessian and a nested hessian agree with central differences", () => {
    const x = rand(5), v = rand(5);
    const reference = hvpByDifferences(rosenbrock, x, v);
    expect(maxRelError(hvp(rosenbrock)(x, v), reference)).toBeLessThan(1e-5);
    const [g, hv] = gradAndHvp(rosenbrock)(x, v) as Float64Array[];
    expect(maxRelError(g, numericGradient(rosenbrock, [x], 0))).toBeLessThan(1e-6);
    expect(maxRelError(hv, reference)).toBeLessThan(1e-5);
    const H = hessian(rosenbrock)(x) as Float64Array;
    const Hv = Float64Array.from({ length: 5 }, (_, i) => [...v].reduce((s, vj, j) => s + H[i * 5 + j] * vj, 0));
    expect(maxRelError(Hv, reference)).toBeLessThan(1e-5);
    const sinExp = (a: number, b: number) => Math.sin(a) * Math.exp(b) + a * b;
    const [hx, hy] = hvp(sinExp, { wrt: [0, 1] })(0.3, -0.4, [1, 2]) as number[];
    const d = (a: number, b: number) => [Math.cos(a) * Math.exp(b) + b, Math.sin(a) * Math.exp(b) + a];
    const h = 1e-5;
    const [up, down] = [d(0.3 + h, -0.4 + 2 * h), d(0.3 - h, -0.4 - 2 * h)];
    expect(maxRelError([hx, hy], [(up[0] - down[0]) / (2 * h), (up[1] - down[1]) / (2 * h)])).toBeLessThan(1e-5);
  });

  test("a hessian inside differentiated code is exact without the gradient", () => {
    function rosen(x: Float64Array): number {
      let s = 0;
      for (let i = 0; i < x.length - 1; i++) s += (1 - x[i]) ** 2 + 100 * (x[i + 1] - x[i] * x[i]) ** 2;
      return s;
    }
    const trace = (x: Float64Array) => {
      const H = hessian(rosen)(x) as Float64Array;
      let s = 0;
      for (let i = 0; i < x.length; i++) s += H[i * x.length + i] * x[i];
      return s;
    };
    const x = rand(4);
    const g = grad(trace, { functions: { rosen } })(x) as Float64Array;
    expect(maxRelError(g, numericGradient(trace, [x], 0))).toBeLessThan(1e-5);
  });
});

