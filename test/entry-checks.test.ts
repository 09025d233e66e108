// Entry checks (issue 9): every bad input to a derivative function is a GradcError that
// names the argument and what was expected, never a silent wrong number or a TypeError
// from inside gradc: out buffers of the wrong kind or length, tangents and directions
// missing or misshaped, arguments missing or of another kind than at the first call,
// f not a function, unknown option names, bad mode / wrt / checkpoint values.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { main } from "../compiler/cli.js";
import * as gradc from "../index.js";
import { thrownGradcError } from "./thrown.js";

type Fn = (...args: any[]) => any;
const api = gradc as unknown as Record<"grad" | "valueAndGrad" | "jvp" | "vjp" | "jacobian" | "hvp" | "hessian", (f: any, opts?: any) => Fn> & {
  gradCheck(f: any, args: any, opts?: any): unknown;
};

const error = thrownGradcError;

function expectError(run: () => unknown, message: RegExp): void {
  expect(error(run).message).toMatch(message);
}

const cube = (w: Float64Array) => {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += w[i] * w[i] * w[i];
  return s;
};
const w = Float64Array.of(1, 2, 3);
const pair = (x: number, y: number) => Math.sin(x) * Math.exp(y) + x * y;
const spread = (x: Float64Array) => {
  const r = new Float64Array(2);
  r[0] = x[0] * x[1];
  r[1] = x[2] * x[2];
  return r;
};

describe("out", () => {
  test("not a buffer: { out: 5 }", () => {
    for (const make of [api.grad, api.valueAndGrad, api.hvp, api.hessian, api.jacobian, api.jvp, api.vjp]) {
      expectError(() => make(cube, { out: 5 }), /out must be a buffer shaped like the result .* not a number/);
    }
  });

  test("shorter or longer than the gradient", () => {
    expectError(() => api.grad(cube, { out: new Float64Array(2) })(w), /grad\(cube\): out has 2 entries, the gradient of w has 3/);
    expectError(() => api.valueAndGrad(cube, { out: new Float64Array(4) })(w), /out has 4 entries, the gradient of w has 3/);
    expectError(() => api.hvp(cube, { out: new Float64Array(2) })(w, w), /out has 2 entries, H·v of w has 3/);
    // The same derivative, called with a longer argument than the out it was given.
    const g = api.grad(cube, { out: new Float64Array(3) });
    expect(Array.from(g(w))).toEqual([3, 12, 27]);
    expectError(() => g(Float64Array.of(1, 2, 3, 4)), /out has 3 entries, the gradient of w has 4/);
  });

  test("of another array type than the gradient", () => {
    expectError(() => api.grad(cube, { out: new Float32Array(3) })(w), /out is a Float32Array\(3\), the gradient of w is a Float64Array\(3\)/);
    expectError(() => api.grad(cube, { out: [0, 0, 0] })(w), /out is an Array\(3\), the gradient of w is a Float64Array\(3\)/);
  });

  test("an out object missing a field, or with a field of the wrong length", () => {
    const f = (p: { a: number; b: Float64Array }) => p.a * p.b[0] * p.b[1];
    const p = { a: 2, b: Float64Array.of(3, 4) };
    expectError(() => api.grad(f, { out: { a: 0 } })(p), /out has no field "b" \(the gradient of p\.b is a Float64Array\(2\)\)/);
    expectError(() => api.grad(f, { out: { a: 0, b: new Float64Array(1) } })(p), /out\.b has 1 entries, the gradient of p\.b has 2/);
    const out = { a: 0, b: new Float64Array(2) };
    expect(api.grad(f, { out })(p)).toBe(out);
    expect(out.a).toBe(12);
  });

  test("a list of outs for a list wrt", () => {
    expectError(() => api.valueAndGrad(pair, { wrt: ["x", "y"], out: [0] })(1, 2), /out is an Array\(1\); with wrt a list of 2, it must be an array of 2/);
    const g = (x: Float64Array, y: number) => x[0] * y;
    expectError(() => api.grad(g, { wrt: ["x", "y"], out: [new Float64Array(1), 0] })(Float64Array.of(1, 2), 3), /out\[0\] has 1 entries, the gradient of x has 2/);
    const out = [0, 0];
    const [, got] = api.valueAndGrad(pair, { wrt: ["x", "y"], out })(0.5, 0.25);
    expect(got).toBe(out);
  });

  test("out for a gradient that is a number", () => {
    expectError(() => api.grad((x: number) => x * x, { out: new Float64Array(1) })(2), /gradient with respect to x is a number: there is no buffer to fill/);
  });

  test("a short hessian out, and one of the wrong type", () => {
    expectError(() => api.hessian(cube, { out: new Float64Array(4) })(w), /hessian\(cube\): out has 4 entries, the Hessian with respect to w is 3×3 = 9/);
    expectError(() => api.hessian(cube, { out: new Float32Array(9) })(w), /out is a Float32Array\(9\), the Hessian .* a Float64Array/);
    const out = new Float64Array(9);
    expect(api.hessian(cube, { out })(w)).toBe(out);
  });

  test("a jacobian out of the wrong length", () => {
    expectError(() => api.jacobian(spread, { out: new Float64Array(5) })(w), /jacobian\(spread\): out has 5 entries, the Jacobian is 2×3 = 6/);
    for (const mode of ["forward", "reverse"]) {
      expectError(() => api.jacobian(spread, { mode, out: new Float64Array(7) })(w), /out has 7 entries, the Jacobian is 2×3 = 6/);
    }
    const out = new Float64Array(6);
    expect(api.jacobian(spread, { out })(w)).toBe(out);
  });

  test("a jvp out: short, or for a function that returns a number", () => {
    expectError(() => api.jvp(spread, { out: new Float64Array(1) })(w, w), /out is a Float64Array\(1\), but the tangent of the result is a Float64Array\(2\)/);
    expectError(() => api.jvp(cube, { out: new Float64Array(1) })(w, w), /the tangent of the result is a number/);
    const out = new Float64Array(2);
    expect(api.jvp(spread, { out })(w, w)[1]).toBe(out);
  });
});

describe("tangents and directions", () => {
  test("missing", () => {
    expectError(() => api.jvp(cube)(w), /jvp\(cube\): tangent is missing: .* shaped like w/);
    expectError(() => api.hvp(cube)(w), /hvp\(cube\): v \(the direction\) is missing/);
  });

  test("too short or too long", () => {
    expectError(() => api.hvp(cube)(w, Float64Array.of(1, 1)), /v \(the direction\) has 2 entries, argument 'w' has 3/);
    expectError(() => api.jvp(cube)(w, new Float64Array(4)), /tangent has 4 entries, argument 'w' has 3/);
  });

  test("a number where an array is needed, and the reverse", () => {
    expectError(() => api.hvp(cube)(w, 1), /v \(the direction\) is a number, argument 'w' is a Float64Array\(3\)/);
    expectError(() => api.jvp(cube)(w, 1), /tangent is a number, argument 'w' is a Float64Array\(3\)/);
    expectError(() => api.jvp((x: number) => x * x)(2, Float64Array.of(1)), /tangent is a Float64Array\(1\), argument 'x' is a number/);
  });

  test("list wrt: one tangent per wrt parameter", () => {
    expectError(() => api.jvp(pair, { wrt: ["x", "y"] })(1, 2, 1), /tangent is a number; with wrt a list of 2, it must be an array of 2 \(one per wrt parameter: x, y\)/);
    expectError(() => api.hvp(pair, { wrt: ["x", "y"] })(1, 2, [1, "a"]), /v \(the direction\)\[1\] is a string .*, argument 'y' is a number/);
    expect(api.jvp(pair, { wrt: ["x", "y"] })(1, 2, [1, 0])[1]).toBeCloseTo(Math.cos(1) * Math.exp(2) + 2, 12);
  });

  test("object tangents: a missing field", () => {
    const f = (p: { a: number; b: Float64Array }) => p.a * p.b[0];
    expectError(() => api.jvp(f)({ a: 1, b: Float64Array.of(2) }, { a: 1 }), /tangent has no field "b"/);
  });

  test("a vjp cotangent missing or of the wrong shape", () => {
    const [, pullback] = api.vjp(spread)(w);
    expectError(() => pullback(1), /vjp\(spread\): the cotangent is a number, f's value is a Float64Array\(2\)/);
    expectError(() => pullback(new Float64Array(3)), /the cotangent is a Float64Array\(3\), f's value is a Float64Array\(2\)/);
    expect(Array.from(pullback(Float64Array.of(1, 0)))).toEqual([2, 1, 0]);
    const [, scalarPullback] = api.vjp(cube)(w);
    expectError(() => scalarPullback(), /the cotangent is undefined \(missing\), f's value is a number/);
    expect(Array.from(scalarPullback(1))).toEqual([3, 12, 27]);
  });

  test("float32 and float64 tangents are both accepted", () => {
    const [, dot] = api.jvp(cube)(w, Float32Array.of(1, 0, 0));
    expect(dot).toBe(3);
  });
});

describe("arguments", () => {
  test("missing", () => {
    expectError(() => api.grad(pair)(1), /Argument 'y' of pair is missing \(pair takes x, y\)/);
    expectError(() => api.hessian(cube)(), /Argument 'w' of cube is missing/);
  });

  test("of another kind than at the first call", () => {
    const g = api.grad(cube);
    g(w);
    expectError(() => g(3), /argument 'w' was a Float64Array\(3\) at the first call, now a number/);
    expectError(() => g({ a: 1 }), /argument 'w' was a Float64Array\(3\) at the first call, now an object \{ "a" \}/);
    // A number[] is a kind of its own: a new specialisation, its gradient a number[].
    expect(g([1, 2, 3])).toEqual([3, 12, 27]);
    // Another length, or the other float type, is a new specialisation, not an error.
    expect(Array.from(g(Float32Array.of(1, 2)))).toEqual([3, 12]);
  });
});

describe("options", () => {
  test("f is not a function", () => {
    for (const make of [api.grad, api.valueAndGrad, api.jvp, api.vjp, api.jacobian, api.hvp, api.hessian]) {
      expectError(() => make(42), /takes the function to differentiate, not a number/);
    }
    expectError(() => api.gradCheck(42, []), /gradCheck\(f\) takes the function to differentiate/);
  });

  test("unknown option names", () => {
    expectError(() => api.grad(cube, { wtr: "w" }), /unknown option 'wtr' \(did you mean 'wrt'\?\); the options are wrt, out, functions, closure, checkpoint/);
    expectError(() => api.hessian(cube, { mode: "forward" }), /unknown option 'mode'/);
    expectError(() => api.gradCheck(cube, [w], { out: new Float64Array(3) }), /unknown option 'out'/);
    expectError(() => api.grad(cube, "w"), /opts must be an object such as \{ wrt: "x" \}, not a string/);
  });

  test("a bad jacobian mode", () => {
    expectError(() => api.jacobian(spread, { mode: "fwd" }), /mode must be "forward", "reverse" or "auto", not "fwd"/);
  });

  test("bad wrt: a GradcError, not a RangeError", () => {
    expectError(() => api.grad(cube, { wrt: "q" }), /wrt "q" is not a parameter of cube \(its parameters: w/);
    expectError(() => api.grad(cube, { wrt: 1 }), /wrt 1 is not a parameter of cube/);
    expectError(() => api.grad(cube, { wrt: 0.5 }), /wrt 0\.5 is not a parameter/);
    expectError(() => api.grad(cube, { wrt: [] }), /wrt is an empty list/);
    expectError(() => api.hvp(() => 1), /has no parameters to differentiate/);
  });

  test("duplicate wrt", () => {
    expectError(() => api.grad(cube, { wrt: ["w", "w"] }), /wrt lists 'w' twice \("w" and "w"\)/);
    expectError(() => api.grad(pair, { wrt: ["y", "x", 1] }), /wrt lists 'y' twice \("y" and 1\)/);
  });

  test("bad checkpoint values", () => {
    for (const checkpoint of ["everything", { snapshots: 0 }, { snapshots: 1.5 }, 3, null]) {
      expectError(() => api.grad(cube, { checkpoint }), /checkpoint must be "sqrt", "binomial" or \{ snapshots: k \}/);
    }
  });

  test("functions must be functions", () => {
    expectError(() => api.grad(cube, { functions: { helper: 3 } }), /functions\.helper must be a function, not a number/);
  });

  test("every error is a GradcError with the construct it is about", () => {
    expect(error(() => api.grad(cube, { out: new Float64Array(2) })(w)).construct).toBe("out");
    expect(error(() => api.grad(cube, { wrt: ["w", "w"] })).construct).toBe("wrt");
    expect(error(() => api.hvp(cube)(w)).construct).toBe("v (the direction)");
  });
});

// ------------------------------------------------------------------ the build path
// Generated modules check their out, tangent, direction and cotangent the same way, with
// the same messages (argument kinds are the TypeScript types of the signature there).

const BUILD_SOURCE = `import { grad, hessian, hvp, jacobian, jvp, vjp } from "gradc";

export function cube(w: Float64Array): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += w[i] * w[i] * w[i];
  return s;
}

export function spread(x: Float64Array): Float64Array {
  const r = new Float64Array(2);
  r[0] = x[0] * x[1];
  r[1] = Math.sin(x[2]);
  return r;
}

export function layer(p: { W: Float64Array; inner: { b: number } }, x: Float64Array): number {
  let s = p.inner.b;
  for (let i = 0; i < x.length; i++) s += Math.tanh(p.W[i] * x[i]);
  return s;
}

export const cubeGrad = grad(cube);
export const cubeHvp = hvp(cube);
export const cubeHessian = hessian(cube);
export const spreadJvp = jvp(spread);
export const spreadVjp = vjp(spread);
export const spreadJacobian = jacobian(spread);
export const layerGrad = grad(layer);
export const listGrad = grad(layer, { wrt: ["p", "x"] });
`;

describe("the build path", () => {
  let gen: Record<string, Fn>;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "gradc-checks-"));
    writeFileSync(path.join(dir, "m.ts"), BUILD_SOURCE);
    const io = { out: () => {}, err: (t: string) => { throw new Error(t); } };
    expect(await main(["build", dir, "--runtime", path.resolve("runtime/index.ts")], io)).toBe(0);
    gen = await import(path.join(dir, "m.grad.ts"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const x = Float64Array.of(0.5, -1, 2);
  const p = () => ({ W: Float64Array.of(1, 2, 3), inner: { b: 0.5 } });

  test("right calls give the run-time API's results", () => {
    expect(Array.from(gen.cubeGrad(w, new Float64Array(3)))).toEqual([3, 12, 27]);
    expect(gen.layerGrad(p(), x)).toEqual(api.grad((q: ReturnType<typeof p>, y: Float64Array) => {
      let s = q.inner.b;
      for (let i = 0; i < y.length; i++) s += Math.tanh(q.W[i] * y[i]);
      return s;
    })(p(), x));
  });

  test("out: short, of another type, an object missing a nested field, a list", () => {
    expectError(() => gen.cubeGrad(w, new Float64Array(2)), /grad\(cube\): out has 2 entries, the gradient of w has 3/);
    expectError(() => gen.cubeGrad(w, new Float32Array(3)), /out is a Float32Array\(3\), the gradient of w is a Float64Array\(3\)/);
    expectError(() => gen.layerGrad(p(), x, { W: new Float64Array(3), inner: {} }), /out\.inner has no field "b" \(the gradient of p\.inner\.b is a number\)/);
    expectError(() => gen.listGrad(p(), x, [new Float64Array(3)]), /with wrt a list of 2, it must be an array of 2/);
    expectError(() => gen.cubeHvp(w, w, new Float64Array(4)), /hvp\(cube\): out has 4 entries, H·v of w has 3/);
    expectError(() => gen.cubeHessian(w, new Float64Array(4)), /hessian\(cube\): out has 4 entries, the Hessian with respect to w is 3×3 = 9/);
    expectError(() => gen.spreadJacobian(x, new Float64Array(5)), /jacobian\(spread\): out has 5 entries, the Jacobian is 2×3 = 6/);
    expectError(() => gen.spreadJvp(x, x, new Float64Array(1)), /out is a Float64Array\(1\), but the tangent of the result is a Float64Array\(2\)/);
  });

  test("tangents, directions and cotangents", () => {
    expectError(() => gen.cubeHvp(w), /hvp\(cube\): v \(the direction\) is missing/);
    expectError(() => gen.cubeHvp(w, new Float64Array(2)), /v \(the direction\) has 2 entries, argument 'w' has 3/);
    expectError(() => gen.spreadJvp(x, 1), /jvp\(spread\): tangent is a number, argument 'x' is a Float64Array\(3\)/);
    const [, pullback] = gen.spreadVjp(x) as unknown as [unknown, Fn];
    expectError(() => pullback(new Float64Array(3)), /vjp\(spread\): the cotangent is a Float64Array\(3\), f's value is a Float64Array\(2\)/);
  });
});
