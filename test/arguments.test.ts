// Arguments as users pass them (issue 9): integer typed arrays as non-differentiable
// data (labels, indices, masks), objects with any string keys (`p["init h"]`, `p[0]`),
// and parameter names or keys that are not identifiers, are reserved words, or collide
// with the names generated code uses itself (`tape`, `kernels`, `out`, `x_bar`). Every
// mode is checked against central differences: the generated code must parse and be right.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, test } from "vitest";
import { main } from "../compiler/cli.js";
import * as gradc from "../index.js";
import { GradcError } from "../index.js";
import { maxRelError, numericGradient } from "../runtime/numeric.js";

type Fn = (...args: any[]) => any;
const api = gradc as unknown as {
  grad(f: Fn, opts?: object): Fn;
  valueAndGrad(f: Fn, opts?: object): Fn;
  jvp(f: Fn, opts?: object): Fn;
  vjp(f: Fn, opts?: object): Fn;
  hvp(f: Fn, opts?: object): Fn;
  hessian(f: Fn, opts?: object): Fn;
  jacobian(f: Fn, opts?: object): Fn;
  gradCheck(f: Fn, args: unknown[], opts?: object): { maxError: number };
};

// ------------------------------------------------------------------ shapes
// A value shaped like a wrt argument (number, typed array, object of those), as a flat
// list of numbers and back. Objects are rebuilt with defineProperty, so that even a
// `__proto__` key stays an own field.

type Shape = number | Float64Array | Float32Array | { [key: string]: Shape };

function flat(v: unknown): number[] {
  if (typeof v === "number") return [v];
  if (v instanceof Float64Array || v instanceof Float32Array) return Array.from(v);
  return Object.keys(v as object).flatMap((k) => flat((v as Record<string, unknown>)[k]));
}

function unflat(like: Shape, xs: number[], at = { i: 0 }): Shape {
  if (typeof like === "number") return xs[at.i++];
  if (like instanceof Float64Array || like instanceof Float32Array) {
    const out = new (like.constructor as Float64ArrayConstructor)(like.length);
    for (let k = 0; k < like.length; k++) out[k] = xs[at.i++];
    return out;
  }
  const out = {} as Record<string, Shape>;
  for (const k of Object.keys(like)) {
    Object.defineProperty(out, k, { value: unflat(like[k] as Shape, xs, at), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Central difference of `g` (a function of the flat wrt value) along direction `d`. */
function directional(g: (xs: number[]) => number[], xs: number[], d: number[], h = 1e-6): number[] {
  const up = g(xs.map((x, i) => x + h * d[i]));
  const down = g(xs.map((x, i) => x - h * d[i]));
  return up.map((u, i) => (u - down[i]) / (2 * h));
}

/** A direction with entries in [-1, 1], fixed by the length. */
function directionOf(n: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.sin(1.7 * i + 0.3));
}

/**
 * Checks grad, valueAndGrad, jvp, vjp, hvp and hessian of `f` with respect to argument
 * `w` against central differences (of f for first order, of gradc's gradient for second).
 */
function checkEveryMode(f: Fn, args: unknown[], w: number, tol = 1e-6): void {
  const x = args[w] as Shape;
  const xs = flat(x);
  const at = (ys: number[]) => args.map((a, i) => (i === w ? unflat(x, ys) : a));
  const value = f(...args);
  const g = api.grad(f, { wrt: w })(...args);
  const numeric = xs.length === 1 || typeof x !== "object" ? flat(numericGradient(f, args, w)) : directionalGradient(f, at, xs);
  expect(flat(g).length).toBe(xs.length);
  expect(maxRelError(Float64Array.from(flat(g)), Float64Array.from(numeric))).toBeLessThan(tol);

  const [v2, g2] = api.valueAndGrad(f, { wrt: w })(...args);
  expect(v2).toBe(value);
  expect(maxRelError(Float64Array.from(flat(g2)), Float64Array.from(flat(g)))).toBeLessThan(1e-12);

  const d = directionOf(xs.length);
  const [v3, dot] = api.jvp(f, { wrt: w })(...args, unflat(x, d));
  expect(v3).toBeCloseTo(value, 12);
  const [fd] = directional((ys) => [f(...at(ys))], xs, d);
  expect(Math.abs(dot - fd) / Math.max(1, Math.abs(fd))).toBeLessThan(tol);

  const [v4, pullback] = api.vjp(f, { wrt: w })(...args);
  expect(v4).toBeCloseTo(value, 12);
  expect(maxRelError(Float64Array.from(flat(pullback(1))), Float64Array.from(flat(g)))).toBeLessThan(1e-12);

  const gradOf = api.grad(f, { wrt: w });
  const hv = api.hvp(f, { wrt: w })(...args, unflat(x, d));
  const hvNumeric = directional((ys) => flat(gradOf(...at(ys))), xs, d);
  expect(maxRelError(Float64Array.from(flat(hv)), Float64Array.from(hvNumeric))).toBeLessThan(1e-5);

  const H = api.hessian(f, { wrt: w })(...args);
  expect(H.length).toBe(xs.length * xs.length);
  const hd = xs.map((_, r) => d.reduce((s, dj, c) => s + H[r * xs.length + c] * dj, 0));
  expect(maxRelError(Float64Array.from(hd), Float64Array.from(flat(hv)))).toBeLessThan(1e-9);
}

/** Central-difference gradient over the flat entries of an object argument. */
function directionalGradient(f: Fn, at: (ys: number[]) => unknown[], xs: number[]): number[] {
  return xs.map((_, i) => directional((ys) => [f(...at(ys))], xs, xs.map((_, j) => (j === i ? 1 : 0)))[0]);
}

// ------------------------------------------------------------------ integer typed arrays

const INT_ARRAYS = [Int8Array, Int16Array, Int32Array, Uint8Array, Uint16Array, Uint32Array, Uint8ClampedArray];

describe("integer typed arrays are data", () => {
  // Labels index into the weights; a mask is compared; a class count is read as a number.
  const loss = (w: Float64Array, labels: any, mask: any) => {
    let s = 0;
    for (let i = 0; i < labels.length; i++) {
      const k = labels[i];
      if (mask[i] > 0) s += w[k] * w[k] * Math.sin(w[(k + 1) % w.length]);
      else if (labels[i] == 2) s -= 0.5 * w[k];
      s += 0.1 * mask[i] * w[i % w.length];
    }
    return s;
  };
  const w = Float64Array.of(0.3, -0.7, 1.1, 0.5);

  for (const Ctor of INT_ARRAYS) {
    test(`${Ctor.name} labels and masks, every mode`, () => {
      const labels = Ctor.from([0, 2, 3, 1, 2, 0]);
      const mask = Ctor.from([1, 0, 1, 1, 0, 0]);
      checkEveryMode(loss, [w, labels, mask], 0);
      expect(api.gradCheck(loss, [w, labels, mask]).maxError).toBeLessThan(1e-6);
    });
  }

  test("a new integer array type is a new specialisation, not a wrong match", () => {
    const g = api.grad(loss);
    const a = g(w, Int32Array.of(0, 1), Uint8Array.of(1, 1));
    const b = g(w, Float64Array.of(0, 1), Float64Array.of(1, 1));
    const c = g(w, Uint16Array.of(0, 1), Int8Array.of(1, 1));
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(Array.from(c)).toEqual(Array.from(a));
  });

  test("jacobian with integer indices (forward and reverse)", () => {
    const f = (x: Float64Array, idx: Int32Array) => {
      const r = new Float64Array(idx.length);
      for (let i = 0; i < idx.length; i++) r[i] = x[idx[i]] * x[idx[(i + 1) % idx.length]];
      return r;
    };
    const x = Float64Array.of(1.5, -2, 0.25);
    const idx = Int32Array.of(2, 0, 1, 1);
    const fwd = api.jacobian(f, { mode: "forward" })(x, idx);
    const rev = api.jacobian(f, { mode: "reverse" })(x, idx);
    const numeric = new Float64Array(12);
    for (let c = 0; c < 3; c++) {
      const col = directional((ys) => Array.from(f(Float64Array.from(ys), idx)), Array.from(x), [0, 1, 2].map((j) => (j === c ? 1 : 0)));
      col.forEach((v, r) => (numeric[r * 3 + c] = v));
    }
    expect(maxRelError(fwd, numeric)).toBeLessThan(1e-6);
    expect(maxRelError(rev, numeric)).toBeLessThan(1e-6);
  });

  test("an integer array field of a data object", () => {
    const f = (w: Float64Array, d: { idx: Int32Array; scale: number }) => w[d.idx[0]] * w[d.idx[1]] * d.scale;
    checkEveryMode(f, [Float64Array.of(1, 2, 3), { idx: Int32Array.of(2, 0), scale: 3 }], 0);
  });

  test("wrt an integer array is a GradcError", () => {
    const f = (w: Float64Array, labels: Int32Array) => w[labels[0]];
    for (const make of [api.grad, api.valueAndGrad, api.jvp, api.hvp, api.hessian, api.jacobian, api.vjp]) {
      const extra = make === api.jvp || make === api.hvp ? [Int32Array.of(1)] : [];
      expect(() => make(f, { wrt: "labels" })(Float64Array.of(1, 2), Int32Array.of(1), ...extra)).toThrow(GradcError);
    }
    expect(() => api.grad(f, { wrt: 1 })(Float64Array.of(1, 2), Int32Array.of(1))).toThrow(/wrt 'labels' of f is an Int32Array.*non-differentiable data/);
  });

  test("wrt an object with an integer array field is a GradcError", () => {
    const f = (p: { w: Float64Array; idx: Uint8Array }) => p.w[p.idx[0]];
    expect(() => api.grad(f)({ w: Float64Array.of(1, 2), idx: Uint8Array.of(1) })).toThrow(GradcError);
    expect(() => api.grad(f)({ w: Float64Array.of(1, 2), idx: Uint8Array.of(1) })).toThrow(/field p.idx, a Uint8Array/);
  });

  test("writing into an integer array is a GradcError", () => {
    const f = (w: Float64Array, labels: Int32Array) => {
      labels[0] = 1;
      return w[labels[0]];
    };
    expect(() => api.grad(f)(Float64Array.of(1, 2), Int32Array.of(0))).toThrow(GradcError);
    expect(() => api.grad(f)(Float64Array.of(1, 2), Int32Array.of(0))).toThrow(/integer-array argument 'labels'/);
  });

  test("other typed arrays are refused by name", () => {
    const f = (x: number, d: any) => x * d[0];
    expect(() => api.grad(f)(1, BigInt64Array.of(1n))).toThrow(GradcError);
    expect(() => api.grad(f)(1, BigInt64Array.of(1n))).toThrow(/BigInt64Array/);
  });
});

// ------------------------------------------------------------------ string keys

describe("object keys that are not identifiers", () => {
  test('p["init h"] and p[0]', () => {
    const f = (p: any) => p["init h"] * p["init h"] * p[0] + Math.exp(p[0] * 0.3);
    checkEveryMode(f, [{ "init h": 1.5, 0: -0.4 }], 0);
  });

  test("keys that are reserved words, gradc's own names, punctuation and quotes", () => {
    const keys = ["init h", "0", "12", "a-b", "if", "class", "return", "tape", "kernels", "out", "x_bar", "Tape", "Math",
      "constructor", "toString", 'q"uote', "back\\slash", "new\nline", "*/", "${x}", "é", ""];
    const p: Record<string, number> = {};
    keys.forEach((k, i) => (p[k] = 0.1 * (i + 1)));
    // The loss reads every key with a bracket, so the test covers what generated code must do.
    const body = keys.map((k, i) => `Math.sin(p[${JSON.stringify(k)}] * ${i + 1}) * p[${JSON.stringify(k)}]`).join(" + ");
    const f = new Function("p", `return ${body};`) as Fn;
    checkEveryMode(f, [p], 0);
  });

  test("array fields with odd keys", () => {
    const f = (p: any) => {
      let s = 0;
      for (let i = 0; i < p["w 1"].length; i++) s += p["w 1"][i] * p[0][i] * p.if;
      return s * s;
    };
    checkEveryMode(f, [{ "w 1": Float64Array.of(0.5, -1, 2), 0: Float64Array.of(1, 0.5, -0.25), if: 0.7 }], 0);
  });

  test("destructured string and number keys", () => {
    const f = ({ "init h": h, 0: z, if: c }: any) => h * z * z + c;
    checkEveryMode(f, [{ "init h": 2, 0: 3, if: -1 }], 0);
  });

  test("a __proto__ key stays an own field of the gradient", () => {
    const p = {} as Record<string, number>;
    Object.defineProperty(p, "__proto__", { value: 2, enumerable: true, writable: true, configurable: true });
    p.b = 3;
    const f = (q: any) => q["__proto__"] * q["__proto__"] * q.b;
    const g = api.grad(f)(p);
    expect(Object.keys(g)).toEqual(["__proto__", "b"]);
    expect(Object.getOwnPropertyDescriptor(g, "__proto__")?.value).toBe(12);
    expect(g.b).toBe(4);
    checkEveryMode(f, [p], 0);
  });

  test("a key read with a non-constant index is a GradcError", () => {
    const f = (p: any, i: number) => p[i];
    expect(() => api.grad(f)({ 0: 1 }, 0)).toThrow(GradcError);
    expect(() => api.grad(f)({ 0: 1 }, 0)).toThrow(/constant keys/);
  });
});

// ------------------------------------------------------------------ parameter names

describe("parameter names generated code uses itself", () => {
  test("tape, kernels, out, x_bar and the entry's locals", () => {
    const names = ["tape", "tape1", "kernels", "out", "x_bar", "Tape", "entry", "specialise", "match", "n", "m", "H", "J", "v",
      "value", "scalars", "refs", "tape7", "a0", "e0", "tangent", "cotangent", "direction", "row", "col", "k", "e", "r", "seedAt", "x", "x_bar_1",
      "outError", "vectorError", "cotangentError", "EntrySpec", "entry_spec", "noTangentOut"];
    const body = names.map((n, i) => `Math.cos(${n} * ${(i % 5) + 1}) * ${n}`).join(" + ") + ` + tape * kernels * out * x_bar`;
    const f = new Function(...names, `return ${body};`) as Fn;
    const args = names.map((_, i) => 0.05 * (i + 1));
    for (const w of [0, 2, 3, 4, names.length - 1]) checkEveryMode(f, args, w);
    const all = names.map((_, i) => i);
    const g = api.grad(f, { wrt: all })(...args);
    expect(maxRelError(Float64Array.from(g), Float64Array.from(all.map((w) => numericGradient(f, args, w) as number)))).toBeLessThan(1e-6);
  });

  test("array parameters named like gradc's buffers", () => {
    const f = (tape: Float64Array, out: Float64Array, x_bar: Float64Array, kernels: number) => {
      let s = 0;
      for (let i = 0; i < tape.length; i++) s += tape[i] * out[i] * Math.sin(x_bar[i] * kernels);
      return s;
    };
    const args = [Float64Array.of(1, 2), Float64Array.of(0.5, -1), Float64Array.of(0.3, 0.2), 1.5];
    for (const w of [0, 1, 2, 3]) checkEveryMode(f, args, w);
  });

  test("arguments named like the entry checks' functions, with out buffers checked", () => {
    const f = (outError: Float64Array, vectorError: Float64Array) => outError[0] * vectorError[1] + Math.sin(outError[1]);
    const args = [Float64Array.of(1, 2), Float64Array.of(0.5, -1)];
    for (const w of [0, 1]) checkEveryMode(f, args, w);
    const out = [new Float64Array(2), new Float64Array(2)];
    const g = api.grad(f, { wrt: [0, 1], out })(...args);
    expect(g).toBe(out);
    expect(maxRelError(g[0], numericGradient(f, args, 0))).toBeLessThan(1e-6);
    expect(() => api.grad(f, { wrt: [0, 1], out: [new Float64Array(2), new Float64Array(3)] })(...args)).toThrow(/out\[1\] has 3 entries, the gradient of vectorError has 2/);
  });

  test("reserved words of strict code and global names as (sloppy) parameter names", () => {
    const names = ["let", "yield", "static", "implements", "package", "interface", "await", "undefined", "NaN", "Infinity", "eval", "arguments"];
    const f = new Function(...names, `return ${names.map((n, i) => `${n} * ${n} * ${i + 1}`).join(" + ")};`) as Fn;
    const args = names.map((_, i) => 0.5 + i);
    expect(f(...args)).toBeGreaterThan(0);
    for (const w of [0, 1, 7, 8, 10]) checkEveryMode(f, args, w);
  });

  test("odd keys in a list wrt with out buffers", () => {
    const f = (p: any, q: number) => p["a b"][0] * p["a b"][1] * q + p[0] * q * q;
    const p = { "a b": Float64Array.of(2, 3), 0: 0.5 };
    const out = [{ "a b": new Float64Array(2), 0: 0 }, 0];
    const g = api.grad(f, { wrt: [0, 1], out })(p, 1.5);
    expect(g).toBe(out);
    expect(Array.from(g[0]["a b"])).toEqual([4.5, 3]);
    expect(g[0][0]).toBe(2.25);
    expect(g[1]).toBeCloseTo(6 + 1.5, 12);
  });
});

// ------------------------------------------------------------------ booleans and nested objects

describe("boolean arguments are data", () => {
  const loss = (x: Float64Array, useSin: boolean, p: { on: boolean; k: number }) => {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += useSin ? Math.sin(x[i]) * x[i] : x[i] * x[i] * x[i];
    if (useSin !== p.on) s += 0.5 * x[1] * x[1];
    return p.on && !useSin ? s * p.k : s + p.k * x[0];
  };
  const x = Float64Array.of(0.3, -0.7, 1.1);

  test.each([[true, true], [true, false], [false, true], [false, false]])("useSin %s, p.on %s: every mode", (useSin, on) => {
    checkEveryMode(loss, [x, useSin, { on, k: 1.5 }], 0);
  });

  test("a number where the first call had a boolean is a new specialisation", () => {
    const f = (x: Float64Array, flag: any) => (flag ? x[0] * x[0] : x[0]);
    const g = api.grad(f);
    expect(Array.from(g(Float64Array.of(3), true))).toEqual([6]);
    expect(Array.from(g(Float64Array.of(3), 0))).toEqual([1]);
    expect(Array.from(g(Float64Array.of(3), false))).toEqual([1]);
  });

  test("wrt a boolean, or an object holding one, is a GradcError", () => {
    expect(() => api.grad(loss, { wrt: 1 })(x, true, { on: true, k: 1 })).toThrow(/wrt 'useSin' of loss is a boolean.*non-differentiable data/);
    expect(() => api.grad(loss, { wrt: 2 })(x, true, { on: true, k: 1 })).toThrow(/wrt 'p' of loss has field p.on, a boolean/);
  });
});

describe("nested objects", () => {
  type Net = { layer: { W: Float64Array; b: number }; out: { "scale factor": number; inner: { v: Float64Array } } };
  const loss = (x: Float64Array, net: Net) => {
    let s = net.layer.b;
    for (let i = 0; i < x.length; i++) s += Math.tanh(net.layer.W[i] * x[i]) * net.out.inner.v[i];
    const { layer } = net;
    return s * net.out["scale factor"] + layer.b * layer.W[0];
  };
  const x = Float64Array.of(0.3, -0.7, 1.1);
  const net = (): Net => ({ layer: { W: Float64Array.of(0.5, -1.2, 0.8), b: 0.25 }, out: { "scale factor": 1.5, inner: { v: Float64Array.of(1, -0.5, 2) } } });

  test("wrt the nested object and wrt x: every mode", () => {
    checkEveryMode(loss, [x, net()], 1);
    checkEveryMode(loss, [x, net()], 0);
  });

  test("the gradient has the argument's shape, and fills a nested out", () => {
    const out = { layer: { W: new Float64Array(3), b: 0 }, out: { "scale factor": 0, inner: { v: new Float64Array(3) } } };
    const g = api.grad(loss, { wrt: "net", out })(x, net());
    expect(g).toBe(out);
    expect(maxRelError(g, numericGradient(loss, [x, net()], 1))).toBeLessThan(1e-6);
  });

  test("an out missing a nested field is a GradcError naming its path", () => {
    const out = { layer: { W: new Float64Array(3), b: 0 }, out: { "scale factor": 0, inner: {} } };
    expect(() => api.grad(loss, { wrt: "net", out })(x, net())).toThrow(/out\.out\.inner has no field "v" \(the gradient of net\.out\.inner\.v is a Float64Array\(3\)\)/);
  });

  test("gradCheck on a nested object", () => {
    expect(api.gradCheck(loss, [x, net()], { wrt: 1 }).maxError).toBeLessThan(1e-6);
  });
});

// ------------------------------------------------------------------ the build path

const BUILD_SOURCE = `import { grad, hvp, jvp } from "gradc";

export function loss(x: Float64Array, labels: Int32Array, useSin: boolean, net: { layer: { W: Float64Array; b: number }; "scale factor": number }): number {
  let s = net.layer.b;
  for (let i = 0; i < labels.length; i++) {
    const k = labels[i];
    s += useSin ? Math.sin(net.layer.W[k] * x[i]) : net.layer.W[k] * x[i] * x[i];
  }
  return s * net["scale factor"];
}

export const lossGradNet = grad(loss, { wrt: "net" });
export const lossJvpNet = jvp(loss, { wrt: "net" });
export const lossHvpX = hvp(loss);
`;

// The same function for the run-time path.
function buildLoss(x: Float64Array, labels: Int32Array, useSin: boolean, net: { layer: { W: Float64Array; b: number }; "scale factor": number }): number {
  let s = net.layer.b;
  for (let i = 0; i < labels.length; i++) {
    const k = labels[i];
    s += useSin ? Math.sin(net.layer.W[k] * x[i]) : net.layer.W[k] * x[i] * x[i];
  }
  return s * net["scale factor"];
}

describe("the build path takes the same arguments", () => {
  test("integer arrays, booleans and nested objects from TypeScript types, as at run time", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "gradc-args-"));
    try {
      writeFileSync(path.join(dir, "m.ts"), BUILD_SOURCE);
      const io = { out: () => {}, err: (t: string) => { throw new Error(t); } };
      expect(await main(["build", dir, "--runtime", path.resolve("runtime/index.ts")], io)).toBe(0);
      const gen = await import(path.join(dir, "m.grad.ts"));
      const src = { loss: buildLoss };
      const x = Float64Array.of(0.3, -0.7, 1.1);
      const labels = Int32Array.of(2, 0, 1);
      const net = () => ({ layer: { W: Float64Array.of(0.5, -1.2, 0.8), b: 0.25 }, "scale factor": 1.5 });
      const t = { layer: { W: Float64Array.of(1, 0.5, -1), b: 2 }, "scale factor": -0.5 };
      const v = Float64Array.of(0.2, 1, -0.4);
      for (const useSin of [true, false]) {
        const args = [x, labels, useSin, net()];
        expect(maxRelError(gen.lossGradNet(...args), numericGradient(src.loss, args, 3))).toBeLessThan(1e-6);
        expect(maxRelError(gen.lossGradNet(...args), api.grad(src.loss, { wrt: 3 })(...args))).toBeLessThan(1e-12);
        expect(maxRelError(gen.lossJvpNet(...args, t), api.jvp(src.loss, { wrt: 3 })(...args, t))).toBeLessThan(1e-12);
        expect(maxRelError(gen.lossHvpX(...args, v), api.hvp(src.loss)(...args, v))).toBeLessThan(1e-12);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
