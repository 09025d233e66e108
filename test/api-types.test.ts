// Types of the run-time API (compiler/api-types.ts): the derivatives take f's parameter
// types and return values of the wrt parameters' types. tsc checks this file (npm run
// typecheck), so the @ts-expect-error lines are checks too. At run time the same
// calls are compared with central differences.
import { describe, expect, expectTypeOf, test } from "vitest";
import { batchJacobian, grad, gradAndHvp, gradCheck, hessian, hvp, jacobian, jvp, valueAndGrad, vjp } from "../index.js";
import { maxRelError, numericGradient } from "../runtime/numeric.js";

type Layer = { w: Float64Array; b: number };

/** An object, an array, a number and data (labels are never differentiated). */
function loss(p: Layer, x: Float64Array, s: number, labels: Int32Array): number {
  let total = 0;
  for (let i = 0; i < x.length; i++) total += Math.tanh(p.w[i] * x[i] + p.b) * s * labels[i];
  return total * total;
}

function single(x: Float32Array, y: number): number {
  return x[0] * x[1] * y + Math.sin(x[2] * y);
}

function spread(x: Float64Array, t: number): Float64Array {
  const r = new Float64Array(2);
  r[0] = x[0] * x[1] * t;
  r[1] = Math.sin(x[2]) + t * t;
  return r;
}

const p = (): Layer => ({ w: Float64Array.of(0.3, -0.2, 0.5), b: 0.1 });
const x = Float64Array.of(1, 2, -1);
const labels = Int32Array.of(1, -1, 1);
const args = (): [Layer, Float64Array, number, Int32Array] => [p(), x, 0.7, labels];

describe("types", () => {
  test("wrt absent, by index, by a list of indices", () => {
    expectTypeOf(grad(loss)).parameters.toEqualTypeOf<[Layer, Float64Array, number, Int32Array]>();
    expectTypeOf(grad(loss)).returns.toEqualTypeOf<Layer>();
    expectTypeOf(grad(loss, { wrt: 1 })).returns.toEqualTypeOf<Float64Array>();
    expectTypeOf(grad(loss, { wrt: [0, 2] })).returns.toEqualTypeOf<[Layer, number]>();
    expectTypeOf(grad(single)).returns.toEqualTypeOf<Float32Array>();
    expectTypeOf(grad(single, { wrt: [1, 0] })).returns.toEqualTypeOf<[number, Float32Array]>();
  });

  test("wrt by name: the union of the differentiable parameter types (exact when there is one)", () => {
    expectTypeOf(grad(loss, { wrt: "x" })).returns.toEqualTypeOf<Layer | Float64Array | number>();
    expectTypeOf(grad(loss, { wrt: ["p", 1] })).returns.toEqualTypeOf<[Layer | Float64Array | number, Float64Array]>();
    expectTypeOf(grad((w: Float64Array, ys: Int32Array, train: boolean) => (train ? w[ys[0]] : 0), { wrt: "w" })).returns.toEqualTypeOf<Float64Array>();
  });

  test("each mode", () => {
    expectTypeOf(valueAndGrad(loss, { wrt: 1 })).returns.toEqualTypeOf<[number, Float64Array]>();
    expectTypeOf(jvp(spread)).parameters.toEqualTypeOf<[Float64Array, number, tangent: Float64Array]>();
    expectTypeOf(jvp(spread)).returns.toEqualTypeOf<[Float64Array, Float64Array]>();
    expectTypeOf(jvp(single, { wrt: 1 })).returns.toEqualTypeOf<[number, number]>();
    expectTypeOf(vjp(spread, { wrt: [0, 1] })).returns.toEqualTypeOf<[Float64Array, (cotangent: Float64Array) => [Float64Array, number]]>();
    expectTypeOf(jacobian(spread)).toEqualTypeOf<(x: Float64Array, t: number) => Float64Array>();
    expectTypeOf(hvp(loss)).parameters.toEqualTypeOf<[Layer, Float64Array, number, Int32Array, v: Layer]>();
    expectTypeOf(hvp(loss)).returns.toEqualTypeOf<Layer>();
    expectTypeOf(hessian(loss, { wrt: [0, 1] })).returns.toEqualTypeOf<Float64Array>();
    expectTypeOf(gradCheck(loss, args(), { wrt: 1 }).maxError).toEqualTypeOf<number>();
  });

  test("batchJacobian, gradAndHvp, grad with output", () => {
    expectTypeOf(batchJacobian(spread, { wrt: [0, 1], mode: "reverse" })).toEqualTypeOf<(x: Float64Array, t: number, count: number) => Float64Array>();
    expectTypeOf(gradAndHvp(loss, { wrt: 1 })).parameters.toEqualTypeOf<[Layer, Float64Array, number, Int32Array, v: Float64Array]>();
    expectTypeOf(gradAndHvp(loss, { wrt: [1, 2] })).returns.toEqualTypeOf<[[Float64Array, number], [Float64Array, number]]>();
    expectTypeOf(grad(spread, { wrt: 1, output: -1 })).returns.toEqualTypeOf<number>();
    expectTypeOf(grad(spread, { output: 0 })).toEqualTypeOf<(x: Float64Array, t: number) => Float64Array>();
    expectTypeOf(valueAndGrad(spread, { wrt: [0, 1], output: 1 })).returns.toEqualTypeOf<[number, [Float64Array, number]]>();
  });

  test("wrong calls do not compile", () => {
    const wrong = () => {
      // @ts-expect-error a missing argument
      grad(loss)(p(), x, 0.7);
      // @ts-expect-error an argument of the wrong type
      grad(loss)(p(), x, "0.7", labels);
      // @ts-expect-error wrt out of range
      grad(loss, { wrt: 4 });
      // @ts-expect-error wrt an integer array (data)
      grad(loss, { wrt: 3 });
      // @ts-expect-error out of range in a list
      valueAndGrad(loss, { wrt: [0, 7] });
      // @ts-expect-error hvp without its direction
      hvp(loss, { wrt: 1 })(p(), x, 0.7, labels);
      // @ts-expect-error a direction of another type than wrt
      hvp(loss, { wrt: 1 })(p(), x, 0.7, labels, 1);
      // @ts-expect-error grad of a vector-valued function
      grad(spread);
      // @ts-expect-error gradCheck with too few arguments
      gradCheck(loss, [p(), x]);
      // @ts-expect-error batchJacobian without its count
      batchJacobian(spread)(x, 0.7);
      // @ts-expect-error gradAndHvp without its direction
      gradAndHvp(loss, { wrt: 1 })(p(), x, 0.7, labels);
      // @ts-expect-error output is for grad and valueAndGrad
      jvp(spread, { output: 0 });
    };
    expectTypeOf(wrong).toBeFunction();
  });
});

/** Central difference of g along `dir` at `at` (g returns a number or a Float64Array). */
function along(g: (a: Float64Array) => number | Float64Array, at: Float64Array, dir: Float64Array, h = 1e-6): number | Float64Array {
  const move = (s: number) => g(at.map((a, i) => a + s * dir[i]));
  const [up, down] = [move(h), move(-h)];
  return typeof up === "number" ? (up - (down as number)) / (2 * h) : up.map((u, i) => (u - (down as Float64Array)[i]) / (2 * h));
}

describe("the typed functions compute the derivatives", () => {
  const t = Float64Array.of(0.4, -1, 2);

  test("grad, valueAndGrad, gradCheck: by index, name, list, absent", () => {
    expect(maxRelError(grad(loss)(...args()), numericGradient(loss, args(), 0))).toBeLessThan(1e-5);
    expect(maxRelError(grad(loss, { wrt: "x" })(...args()), numericGradient(loss, args(), 1))).toBeLessThan(1e-5);
    const [value, g] = valueAndGrad(loss, { wrt: [2, "p"] })(...args());
    expect(value).toBe(loss(...args()));
    expect(maxRelError(g, [numericGradient(loss, args(), 2), numericGradient(loss, args(), 0)])).toBeLessThan(1e-5);
    expect(gradCheck(loss, args(), { wrt: [0, 1] }).maxError).toBeLessThan(1e-5);
  });

  test("a Float32Array parameter: against central differences in float64", () => {
    const y = 1.3;
    const at = Float32Array.of(0.5, -0.25, 1.5);
    const reference = numericGradient(single, [Float64Array.from(at), y], 0);
    const g = grad(single)(at, y);
    expect(g).toBeInstanceOf(Float32Array);
    expect(maxRelError(Float64Array.from(g), reference)).toBeLessThan(1e-5);
  });

  test("jvp, vjp, jacobian", () => {
    const [value, tangent] = jvp(spread)(x, 0.7, t);
    expect(value).toEqual(spread(x, 0.7));
    expect(maxRelError(tangent, along((a) => spread(a, 0.7), x, t))).toBeLessThan(1e-5);
    const u = Float64Array.of(0.5, -2);
    const [, pullback] = vjp(spread, { wrt: [0, 1] })(x, 0.7);
    const dot = (a: Float64Array, s: number) => spread(a, s).reduce((acc, r, i) => acc + r * u[i], 0);
    expect(maxRelError(pullback(u), [numericGradient(dot, [x, 0.7], 0), numericGradient(dot, [x, 0.7], 1)])).toBeLessThan(1e-5);
    const J = jacobian(spread)(x, 0.7);
    const columns = [0, 1, 2].map((j) => along((a) => spread(a, 0.7), x, Float64Array.from([0, 1, 2], (i) => (i === j ? 1 : 0))) as Float64Array);
    expect(maxRelError(J, Float64Array.from([0, 1].flatMap((r) => columns.map((c) => c[r]))))).toBeLessThan(1e-5);
  });

  test("batchJacobian, gradAndHvp, grad with output", () => {
    const xs = Float64Array.of(...x, ...t);
    const B = batchJacobian(spread)(xs, 0.7, 2);
    expect(maxRelError(B, Float64Array.of(...jacobian(spread)(x, 0.7), ...jacobian(spread)(t, 0.7)))).toBeLessThan(1e-12);
    const [g, hv] = gradAndHvp(loss, { wrt: 1 })(p(), x, 0.7, labels, t);
    expect(maxRelError(g, numericGradient(loss, args(), 1))).toBeLessThan(1e-5);
    const gradX = (a: Float64Array) => grad(loss, { wrt: 1 })(p(), a, 0.7, labels);
    expect(maxRelError(hv, along(gradX, x, t))).toBeLessThan(1e-5);
    const last = (a: Float64Array, s: number) => spread(a, s)[1];
    expect(maxRelError(grad(spread, { wrt: 0, output: -1 })(x, 0.7), numericGradient(last, [x, 0.7], 0))).toBeLessThan(1e-5);
  });

  test("hvp, hessian", () => {
    const gradX = (a: Float64Array) => grad(loss, { wrt: 1 })(p(), a, 0.7, labels);
    expect(maxRelError(hvp(loss, { wrt: 1 })(p(), x, 0.7, labels, t), along(gradX, x, t))).toBeLessThan(1e-5);
    const H = hessian(loss, { wrt: "x" })(p(), x, 0.7, labels);
    const rows = [0, 1, 2].flatMap((j) => Array.from(along(gradX, x, Float64Array.from([0, 1, 2], (i) => (i === j ? 1 : 0))) as Float64Array));
    expect(maxRelError(H, Float64Array.from(rows))).toBeLessThan(1e-5);
  });
});
