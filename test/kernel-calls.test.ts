// Losses that call runtime kernels, as users write them: gradients, JVPs and HVPs
// through the kernels' rules against central differences; in-place calls, kernels
// inside loops (saved and restored arrays), the build path's import resolution, and
// the refusals.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import * as gradc from "../index.js";
import { createProject, resolver } from "../compiler/parse/typescript.js";
import * as K from "../runtime/index.js";
import { maxRelError, numericGradient, relError } from "../runtime/numeric.js";
import { makeRng } from "./corpus/rng.js";

type Fn = (...args: any[]) => any;
const { grad, valueAndGrad, jvp, hvp } = gradc as unknown as Record<"grad" | "valueAndGrad" | "jvp" | "hvp", (f: Fn, o?: object) => Fn>;
const { matmul, biasAdd, relu, tanh, softmaxCrossEntropy, sum, matvec, mse, copy } = K;
const functions = { matmul, biasAdd, relu, tanh, softmaxCrossEntropy, sum, matvec, mse, copy };

const rng = makeRng(5);
const rand = (n: number, s = 1) => Float64Array.from({ length: n }, () => rng.uniform(-s, s));

// A two-layer network on a batch of 4 inputs of 5 features, 3 classes.
function mlp(w1: Float64Array, b1: Float64Array, w2: Float64Array, b2: Float64Array, x: Float64Array, labels: Float64Array): number {
  const h = new Float64Array(4 * 6);
  matmul(h, x, w1, 4, 5, 6);
  biasAdd(h, h, b1, 4, 6);
  relu(h, h, 24);
  const z = new Float64Array(4 * 3);
  matmul(z, h, w2, 4, 6, 3);
  biasAdd(z, z, b2, 4, 3);
  const probs = new Float64Array(12);
  return softmaxCrossEntropy(probs, z, labels, 4, 3);
}

// A tanh recurrence: h ← tanh(W·h + x_t), the kernel's out overwritten every step.
function rnn(w: Float64Array, xs: Float64Array, h0: Float64Array): number {
  const h = new Float64Array(h0);
  const pre = new Float64Array(4);
  for (let t = 0; t < 5; t++) {
    matvec(pre, w, h, 4, 4);
    for (let i = 0; i < 4; i++) pre[i] += xs[t * 4 + i];
    tanh(h, pre, 4);
  }
  return sum(h, 4);
}

function checkGrad(f: Fn, args: unknown[], wrt: number[]): void {
  const g = grad(f, { wrt, functions })(...args) as unknown[];
  wrt.forEach((k, j) => expect(maxRelError(g[j] as any, numericGradient(f, args, k)), `wrt ${k}`).toBeLessThan(1e-6));
}

function checkJvpHvp(f: Fn, args: unknown[], k: number): void {
  const dir = rand((args[k] as Float64Array).length);
  const shift = (e: number) => args.map((a, i) => (i === k ? (a as Float64Array).map((x, j) => x + e * dir[j]) : a));
  const [, t] = jvp(f, { wrt: k, functions })(...args, dir);
  const h = 1e-6;
  expect(relError(t, (f(...shift(h)) - f(...shift(-h))) / (2 * h))).toBeLessThan(1e-6);
  const hv = hvp(f, { wrt: k, functions })(...args, dir) as Float64Array;
  const g = grad(f, { wrt: k, functions });
  const e = 1e-5;
  const gp = g(...shift(e)) as Float64Array, gm = g(...shift(-e)) as Float64Array;
  expect(maxRelError(hv, gp.map((x, j) => (x - gm[j]) / (2 * e)))).toBeLessThan(1e-5);
}

describe("kernel calls in losses", () => {
  const labels = Float64Array.from([0, 2, 1, 2]);
  const mlpArgs = () => [rand(30), rand(6), rand(18), rand(3), rand(20), labels];

  it("MLP (matmul, biasAdd, relu in place, softmax cross-entropy): value and gradient of every parameter", () => {
    for (let trial = 0; trial < 3; trial++) {
      const args = mlpArgs();
      const [v] = valueAndGrad(mlp, { wrt: [0, 1, 2, 3], functions })(...args);
      expect(relError(v, mlp(...(args as Parameters<typeof mlp>)))).toBeLessThan(1e-14);
      checkGrad(mlp, args, [0, 1, 2, 3]);
    }
  });

  it("MLP: JVP and HVP through the kernels' rules", () => {
    const args = mlpArgs();
    checkJvpHvp(mlp, args, 0);
    checkJvpHvp(mlp, args, 2);
  });

  it("a recurrence overwriting a kernel's out each step: gradient, JVP, HVP", () => {
    const args = [rand(16, 0.5), rand(20), rand(4)];
    checkGrad(rnn, args, [0, 1, 2]);
    checkJvpHvp(rnn, args, 0);
  });

  it("reshape is the same array (no copy, no instruction)", () => {
    function f(w: Float64Array, x: Float64Array): number {
      const h = new Float64Array(6);
      matmul(h, K.reshape(w, 2, 3), x, 2, 3, 3);
      return sum(K.reshape(h, 3, 2), 6);
    }
    const g = grad(f, { wrt: [0, 1], functions: { ...functions, reshape: K.reshape } });
    const args = [rand(6), rand(9)];
    const gs = g(...args) as Float64Array[];
    expect(maxRelError(gs[0], numericGradient(f, args, 0))).toBeLessThan(1e-6);
    expect(maxRelError(gs[1], numericGradient(f, args, 1))).toBeLessThan(1e-6);
  });

  it("accumulating into a parameter-shaped buffer and a number operand", () => {
    function f(a: Float64Array, b: Float64Array): number {
      const c = new Float64Array(4);
      copy(c, b, 4);
      matmul(c, a, b, 2, 2, 2, false, true, true);
      return mse(c, a, 4);
    }
    checkGrad(f, [rand(4), rand(4)], [0, 1]);
  });
});

describe("kernel calls: resolution and refusals", () => {
  it("the build path resolves named and namespace imports of gradc/runtime", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "gradc-kernels-"));
    const file = path.join(dir, "loss.ts");
    writeFileSync(file, [
      'import { matvec as mv } from "gradc/runtime";',
      'import * as rt from "gradc/runtime";',
      "export function f(w: Float64Array, x: Float64Array): number { const h = new Float64Array(2); mv(h, w, x, 2, 2); return rt.sum(h, 2); }",
    ].join("\n"));
    const resolve = resolver(createProject());
    const source = { file, text: "" };
    expect(resolve("mv", source)).toEqual({ kernel: "matvec" });
    expect(resolve("sum", source)).toEqual({ kernel: "sum" });
  });

  const refusal = (f: Fn, fns: Record<string, Function>) => {
    try {
      grad(f, { functions: fns })(new Float64Array(4), new Float64Array(4));
    } catch (e) {
      return String((e as Error).message);
    }
    return "no error";
  };

  it("refuses a kernel without rules, naming it", () => {
    function f(x: Float64Array): number {
      return K.argmax(x, 4);
    }
    expect(refusal(f, { argmax: K.argmax })).toMatch(/runtime kernel 'argmax' has no derivative rule/);
  });

  it("refuses views (slice), which would alias their input", () => {
    function f(x: Float64Array): number {
      return sum(K.slice(x, 0, 2), 2);
    }
    expect(refusal(f, { slice: K.slice, sum })).toMatch(/'slice' returns a view[\s\S]*sliceCols/);
  });

  it("refuses a transpose flag that is not a literal", () => {
    function f(a: Float64Array, b: Float64Array): number {
      const t = a[0] > 0;
      const c = new Float64Array(4);
      matmul(c, a, b, 2, 2, 2, t);
      return sum(c, 4);
    }
    expect(refusal(f, functions)).toMatch(/'transA' of matmul must be the literal true or false/);
  });

  it("refuses a wrong number of arguments with the signature", () => {
    function f(a: Float64Array): number {
      const c = new Float64Array(4);
      // @ts-expect-error: the wrong number of arguments is the point
      relu(c, a);
      return sum(c, 4);
    }
    expect(refusal(f, functions)).toMatch(/relu takes 3 arguments here, not 2[\s\S]*relu\(out, x, n\)/);
  });
});

describe("kernel calls: Jacobians", () => {
  it("forward, reverse and auto Jacobians of a vector function calling kernels agree with differences", () => {
    const { jacobian } = gradc as unknown as { jacobian: (f: Fn, o?: object) => Fn };
    function f(w: Float64Array, x: Float64Array): Float64Array {
      const y = new Float64Array(2);
      matvec(y, w, x, 2, 3);
      tanh(y, y, 2);
      return y;
    }
    const w = rand(6), x = Float64Array.from([0.5, -1, 2]);
    const numeric = new Float64Array(12);
    const h = 1e-6;
    for (let c = 0; c < 6; c++) {
      const up = w.slice(), down = w.slice();
      up[c] += h;
      down[c] -= h;
      const fu = f(up, x), fd = f(down, x);
      for (let r = 0; r < 2; r++) numeric[r * 6 + c] = (fu[r] - fd[r]) / (2 * h);
    }
    for (const mode of ["forward", "reverse", "auto"]) {
      expect(maxRelError(jacobian(f, { mode, functions })(w, x) as Float64Array, numeric), mode).toBeLessThan(1e-6);
    }
  });
});

describe("kernel calls: batch norm", () => {
  it("training batch norm (lowered to statistics + normalisation), in place, gradient w.r.t. x, gamma, beta, and HVP", () => {
    const { batchNorm } = K;
    function f(x: Float64Array, gamma: Float64Array, beta: Float64Array, w: Float64Array): number {
      const h = new Float64Array(x);
      const mean = new Float64Array(3);
      const variance = new Float64Array(3);
      batchNorm(h, h, gamma, beta, mean, variance, 4, 3);
      tanh(h, h, 12);
      let s = 0;
      for (let i = 0; i < 12; i++) s += h[i] * w[i];
      return s;
    }
    const fns = { batchNorm, tanh };
    const args = [rand(12, 2), rand(3), rand(3), rand(12)];
    const g = grad(f, { wrt: [0, 1, 2], functions: fns })(...args) as Float64Array[];
    [0, 1, 2].forEach((k) => expect(maxRelError(g[k], numericGradient(f, args, k)), `wrt ${k}`).toBeLessThan(1e-6));
    const dir = rand(12);
    const hv = hvp(f, { wrt: 0, functions: fns })(...args, dir) as Float64Array;
    const gx = grad(f, { wrt: 0, functions: fns });
    const e = 1e-5;
    const shift = (s: number) => [(args[0] as Float64Array).map((v, j) => v + s * dir[j]), ...args.slice(1)];
    const gp = gx(...shift(e)) as Float64Array, gm = gx(...shift(-e)) as Float64Array;
    expect(maxRelError(hv, gp.map((v, j) => (v - gm[j]) / (2 * e)))).toBeLessThan(1e-5);
  });
});

describe("kernel calls: regressions", () => {
  const { exp, dot } = K;
  it("a kernel writing into a parameter works on a copy, with the right value and gradient", () => {
    function g(w: Float64Array): number {
      tanh(w, w, 4);
      return sum(w, 4);
    }
    const w = Float64Array.from([0.3, -0.2, 0.5, 0.1]);
    const before = w.slice();
    const [v, gw] = valueAndGrad(g, { functions: { tanh, sum } })(w) as [number, Float64Array];
    expect(w).toEqual(before);
    expect(v).toBeCloseTo(g(before.slice()), 14);
    expect(maxRelError(gw, numericGradient(g, [before], 0))).toBeLessThan(1e-6);
  });

  it("two kernels writing the same fresh array one after the other", () => {
    function f(x: Float64Array): number {
      const y = new Float64Array(2);
      exp(y, x, 2);
      tanh(y, x, 2);
      return sum(y, 2);
    }
    const x = Float64Array.from([0.3, -0.5]);
    expect(maxRelError(grad(f, { functions: { exp, tanh, sum } })(x), numericGradient(f, [x], 0))).toBeLessThan(1e-6);
  });

  it("a nested gradient of a function calling kernels (MAML-style)", () => {
    function inner(w: Float64Array, x: Float64Array): number {
      const h = new Float64Array(2);
      matvec(h, w, x, 2, 2);
      tanh(h, h, 2);
      return dot(h, h, 2);
    }
    function outer(w: Float64Array, x: Float64Array): number {
      const g = gradc.grad(inner)(w, x) as Float64Array;
      const a = new Float64Array(4);
      for (let i = 0; i < 4; i++) a[i] = w[i] - 0.3 * g[i];
      return inner(a, x);
    }
    const fns = { matvec, tanh, dot, inner, grad: gradc.grad };
    const plainOuter = (w: Float64Array, x: Float64Array) => {
      const g = grad(inner, { functions: fns })(w, x) as Float64Array;
      return inner(w.map((v, i) => v - 0.3 * g[i]), x);
    };
    const args = [rand(4), rand(2)];
    const [v, g] = valueAndGrad(outer, { wrt: 1, functions: fns })(...args);
    expect(relError(v, plainOuter(args[0], args[1]))).toBeLessThan(1e-12);
    expect(maxRelError(g, numericGradient(plainOuter, args, 1))).toBeLessThan(1e-6);
  });

  it("refuses an output that aliases an input the kernel does not allow", () => {
    function m(a: Float64Array, x: Float64Array): number {
      const c = new Float64Array(x);
      matvec(c, a, c, 2, 2);
      return c[0] + c[1];
    }
    expect(() => grad(m, { functions: { matvec } })(rand(4), rand(2))).toThrow(/output of matvec is also its input 'x'/);
  });
});
