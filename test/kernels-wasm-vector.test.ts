// The WebAssembly versions of the kernels besides matmul (runtime/kernels/wasm/calls.ts):
// each against the JavaScript kernel from the same inputs, Float64Array and Float32Array,
// at sizes around the vector widths (rows of every length mod 4), overwriting and
// accumulating, with a spy making sure the WebAssembly export ran; then the float32
// transcendentals against Math, and the cases that stay in JavaScript. (The softmax
// family's float32 results are the JS kernels' bit for bit at the sizes here, but for
// softmaxCrossEntropy's probabilities: 1 ulp, as they are rounded twice, e then e / s.)
//
// Tolerance, norm-wise relative: 1e-12 in float64 (summation order), 1e-5 in float32
// (f32x4 arithmetic in single where the JavaScript loops compute in double and round once).
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import * as K from "../runtime/kernels/index.js";
import { assemble, Code, i32, simd, v128 } from "../runtime/kernels/wasm/asm.js";
import { setBackend, wasmKernels, type Kernels } from "../runtime/kernels/wasm/backend.js";
import { MIN_ENTRIES, setMinEntries } from "../runtime/kernels/wasm/calls.js";
import { exp, sigmoid, tanh } from "../runtime/kernels/wasm/transcendental.js";
import { Rng } from "../runtime/nn/rng.js";
import { relErr } from "./rel-err.js";

type Arr = Float64Array | Float32Array;
type Ctor = Float64ArrayConstructor | Float32ArrayConstructor;
const TYPES: [string, Ctor, number][] = [["Float64Array", Float64Array, 1e-12], ["Float32Array", Float32Array, 1e-5]];
const rng = new Rng(16);
const SHAPES: [number, number][] = [[1, 1], [1, 7], [3, 5], [4, 4], [5, 3], [7, 10], [9, 17], [2, 33], [64, 10]];

interface Case {
  name: string;
  /** The WebAssembly export (without _f32/_f64) that must run. */
  uses: string;
  /** Runs the kernel; `make(n)` gives fresh random arrays (the same on both backends). */
  run: (make: (n: number, lo?: number, hi?: number) => Arr, rows: number, cols: number, acc: boolean) => Arr | number;
  f64?: false; // no float64 WebAssembly version (transcendentals)
}

const n = (r: number, c: number) => r * c;
const CASES: Case[] = [
  { name: "add", uses: "map_add", run: (m, r, c) => K.add(m(n(r, c)), m(n(r, c)), m(n(r, c)), n(r, c)) },
  { name: "sub", uses: "map_sub", run: (m, r, c) => K.sub(m(n(r, c)), m(n(r, c)), m(n(r, c)), n(r, c)) },
  { name: "mul", uses: "map_mul", run: (m, r, c) => K.mul(m(n(r, c)), m(n(r, c)), m(n(r, c)), n(r, c)) },
  { name: "div", uses: "map_div", run: (m, r, c) => K.div(m(n(r, c)), m(n(r, c)), m(n(r, c), 0.5, 2), n(r, c)) },
  { name: "scale", uses: "map_scale", run: (m, r, c, acc) => K.scale(m(n(r, c)), m(n(r, c)), -1.5, n(r, c), acc) },
  { name: "copy (accumulate)", uses: "map_scale", run: (m, r, c) => K.copy(m(n(r, c)), m(n(r, c)), n(r, c), true) },
  { name: "mulVjp", uses: "map_mul", run: (m, r, c, acc) => K.mulVjp(m(n(r, c)), m(n(r, c)), m(n(r, c)), n(r, c), acc) },
  { name: "divVjpA", uses: "map_div", run: (m, r, c, acc) => K.divVjpA(m(n(r, c)), m(n(r, c), 0.5, 2), m(n(r, c)), n(r, c), acc) },
  { name: "relu", uses: "map_relu", run: (m, r, c) => K.relu(m(n(r, c)), m(n(r, c)), n(r, c)) },
  { name: "reluVjp", uses: "map_reluVjp", run: (m, r, c, acc) => K.reluVjp(m(n(r, c)), m(n(r, c)), m(n(r, c)), n(r, c), acc) },
  { name: "leakyRelu", uses: "map_leakyRelu", run: (m, r, c) => K.leakyRelu(m(n(r, c)), m(n(r, c)), n(r, c), 0.1) },
  { name: "leakyReluVjp", uses: "map_leakyReluVjp", run: (m, r, c, acc) => K.leakyReluVjp(m(n(r, c)), m(n(r, c)), m(n(r, c)), n(r, c), 0.1, acc) },
  { name: "tanhVjpFromOutput", uses: "map_tanhVjpFromOutput", run: (m, r, c, acc) => K.tanhVjpFromOutput(m(n(r, c)), m(n(r, c)), m(n(r, c)), n(r, c), acc) },
  { name: "sigmoidVjpFromOutput", uses: "map_sigmoidVjpFromOutput", run: (m, r, c, acc) => K.sigmoidVjpFromOutput(m(n(r, c)), m(n(r, c), 0, 1), m(n(r, c)), n(r, c), acc) },
  { name: "biasAdd", uses: "map_add", run: (m, r, c) => K.biasAdd(m(n(r, c)), m(n(r, c)), m(c), r, c) },
  { name: "biasAddVjpX (accumulate)", uses: "map_scale", run: (m, r, c) => K.biasAddVjpX(m(n(r, c)), m(n(r, c)), r, c, true) },
  { name: "biasAddVjpBias", uses: "columns", run: (m, r, c, acc) => K.biasAddVjpBias(m(c), m(n(r, c)), r, c, acc) },
  { name: "sumAxis0", uses: "columns", run: (m, r, c) => K.sumAxis0(m(c), m(n(r, c)), r, c) },
  { name: "meanAxis0", uses: "columns", run: (m, r, c) => K.meanAxis0(m(c), m(n(r, c)), r, c) },
  { name: "sumAxis1", uses: "rowSums", run: (m, r, c) => K.sumAxis1(m(r), m(n(r, c)), r, c) },
  { name: "sumAxis0Vjp", uses: "outer", run: (m, r, c, acc) => K.sumAxis0Vjp(m(n(r, c)), m(c), r, c, acc) },
  { name: "meanAxis0Vjp", uses: "outer", run: (m, r, c, acc) => K.meanAxis0Vjp(m(n(r, c)), m(c), r, c, acc) },
  { name: "sum", uses: "rowSums", run: (m, r, c) => K.sum(m(n(r, c)), n(r, c)) },
  { name: "mean", uses: "rowSums", run: (m, r, c) => K.mean(m(n(r, c)), n(r, c)) },
  { name: "dot", uses: "rowDots", run: (m, r, c) => K.dot(m(n(r, c)), m(n(r, c)), n(r, c)) },
  { name: "matvec", uses: "rowDots", run: (m, r, c, acc) => K.matvec(m(r), m(n(r, c)), m(c), r, c, false, acc) },
  { name: "matvec, transA", uses: "columns", run: (m, r, c, acc) => K.matvec(m(c), m(n(r, c)), m(r), r, c, true, acc) },
  { name: "matvecVjpX", uses: "columns", run: (m, r, c, acc) => K.matvecVjpX(m(c), m(n(r, c)), m(r), r, c, false, acc) },
  { name: "outer", uses: "outer", run: (m, r, c, acc) => K.outer(m(n(r, c)), m(r), m(c), r, c, acc) },
  { name: "matvecVjpA", uses: "outer", run: (m, r, c, acc) => K.matvecVjpA(m(n(r, c)), m(c), m(r), r, c, false, acc) },
  { name: "outerVjpX", uses: "rowDots", run: (m, r, c, acc) => K.outerVjpX(m(r), m(c), m(n(r, c)), r, c, acc) },
  { name: "exp", uses: "map_exp", f64: false, run: (m, r, c) => K.exp(m(n(r, c)), m(n(r, c), -5, 5), n(r, c)) },
  { name: "expVjp", uses: "map_expVjp", f64: false, run: (m, r, c, acc) => K.expVjp(m(n(r, c)), m(n(r, c), -5, 5), m(n(r, c)), n(r, c), acc) },
  { name: "tanh", uses: "map_tanh", f64: false, run: (m, r, c) => K.tanh(m(n(r, c)), m(n(r, c), -4, 4), n(r, c)) },
  { name: "tanhVjp", uses: "map_tanhVjp", f64: false, run: (m, r, c, acc) => K.tanhVjp(m(n(r, c)), m(n(r, c), -4, 4), m(n(r, c)), n(r, c), acc) },
  { name: "sigmoid", uses: "map_sigmoid", f64: false, run: (m, r, c) => K.sigmoid(m(n(r, c)), m(n(r, c), -9, 9), n(r, c)) },
  { name: "sigmoidVjp", uses: "map_sigmoidVjp", f64: false, run: (m, r, c, acc) => K.sigmoidVjp(m(n(r, c)), m(n(r, c), -9, 9), m(n(r, c)), n(r, c), acc) },
  { name: "softplusVjp", uses: "map_softplusVjp", f64: false, run: (m, r, c, acc) => K.softplusVjp(m(n(r, c)), m(n(r, c), -9, 9), m(n(r, c)), n(r, c), acc) },
  { name: "gelu", uses: "map_gelu", f64: false, run: (m, r, c) => K.gelu(m(n(r, c)), m(n(r, c), -5, 5), n(r, c)) },
  { name: "geluVjp", uses: "map_geluVjp", f64: false, run: (m, r, c, acc) => K.geluVjp(m(n(r, c)), m(n(r, c), -5, 5), m(n(r, c)), n(r, c), acc) },
  { name: "logVjp", uses: "map_div", run: (m, r, c, acc) => K.logVjp(m(n(r, c)), m(n(r, c), 0.3, 3), m(n(r, c)), n(r, c), acc) },
  { name: "softmaxCrossEntropyVjp", uses: "map_scale", run: (m, r, c, acc) => {
    const labels = Float64Array.from({ length: r }, (_, i) => (5 * i) % c);
    return K.softmaxCrossEntropyVjp(m(n(r, c)), m(n(r, c), 0, 1), labels, r, c, 0.7, acc);
  } },
  { name: "softmax", uses: "rowSoftmax", f64: false, run: (m, r, c) => K.softmax(m(n(r, c)), m(n(r, c), -9, 9), r, c) },
  { name: "logSoftmax", uses: "rowShift", f64: false, run: (m, r, c) => K.logSoftmax(m(n(r, c)), m(n(r, c), -9, 9), r, c) },
  { name: "logsumexp", uses: "rowStats", f64: false, run: (m, r, c) => K.logsumexp(m(r), m(n(r, c), -9, 9), r, c) },
  { name: "softmaxCrossEntropy (loss, then probabilities)", uses: "rowSoftmax", f64: false, run: (m, r, c) => {
    const probs = m(n(r, c));
    const labels = Float64Array.from({ length: r }, (_, i) => (3 * i) % c);
    const loss = K.softmaxCrossEntropy(probs, m(n(r, c), -9, 9), labels, r, c);
    return Float64Array.of(loss, ...probs);
  } },
];

/** The kernel's result on `backend`, from arrays drawn from `seed`, counting calls of the export. */
function runOn(backend: "js" | "wasm", T: Ctor, c: Case, seed: number, rows: number, cols: number, acc: boolean) {
  setBackend(backend);
  const draws = new Rng(seed);
  const make = (len: number, lo = -1, hi = 1) => draws.fillUniform(new T(len), lo, hi);
  const name = `${c.uses}_${T === Float32Array ? "f32" : "f64"}` as Exclude<keyof Kernels, "memory">;
  const spy = backend === "wasm" ? vi.spyOn(wasmKernels()!, name) : null;
  try {
    const out = c.run(make, rows, cols, acc);
    return { out: typeof out === "number" ? out : out.slice(), calls: spy?.mock.calls.length ?? 0 };
  } finally {
    spy?.mockRestore();
  }
}

beforeEach(() => setMinEntries(0));
afterEach(() => {
  setBackend("wasm");
  setMinEntries(MIN_ENTRIES);
});

describe.each(TYPES)("the WebAssembly kernels agree with the JS ones, %s", (_name, T, tol) => {
  const cases = CASES.filter((c) => T === Float32Array || c.f64 !== false);
  test.each(cases.map((c) => [c.name, c] as const))("%s", (_label, c) => {
    for (const [rows, cols] of SHAPES) for (const acc of [false, true]) {
      const seed = rng.next() * 2 ** 31;
      const js = runOn("js", T, c, seed, rows, cols, acc);
      const wasm = runOn("wasm", T, c, seed, rows, cols, acc);
      expect(wasm.calls, `${rows}×${cols}: the WebAssembly ${c.uses} ran`).toBeGreaterThan(0);
      const e = relErr(wasm.out, js.out);
      if (!(e <= tol)) expect.fail(`${rows}×${cols}, accumulate ${acc}: relative error ${e} > ${tol}`);
    }
  });

  test("softmax rows of −Infinity, +Infinity and NaN entries: as the JS kernels", () => {
    if (T === Float64Array) return; // float64 softmax stays in JavaScript
    const x = T.of(-Infinity, -Infinity, 1, Infinity, 2, NaN, 3, 1e30, -Infinity);
    for (const kernel of [K.softmax, K.logSoftmax] as const) {
      setBackend("js");
      const js = kernel(new T(9), x, 3, 3);
      setBackend("wasm");
      expect(Array.from(kernel(new T(9), x, 3, 3))).toEqual(Array.from(js));
    }
  });

  test("in place (out is x), and arrays longer than the call: only their first entries are read and written", () => {
    const x = rng.fillUniform(new T(13), -1, 1);
    setBackend("js");
    const js = K.relu(x.slice(), x.slice(), 10);
    setBackend("wasm");
    const inPlace = x.slice();
    K.relu(inPlace, inPlace, 10);
    expect(Array.from(inPlace)).toEqual(Array.from(js));
    expect(Array.from(inPlace.subarray(10))).toEqual(Array.from(x.subarray(10)));
  });
});

describe("the memory", () => {
  test("a call larger than the memory grows it, and agrees with JS; one it cannot grow for runs in JS", () => {
    const memory = wasmKernels()!.memory;
    const n = memory.buffer.byteLength / 8 + 1000; // x alone overflows the memory as it is
    const x = rng.fillUniform(new Float64Array(n), -1, 1), y = rng.fillUniform(new Float64Array(n), -1, 1);
    const before = memory.buffer.byteLength;
    const wasm = K.add(new Float64Array(n), x, y, n);
    expect(memory.buffer.byteLength).toBeGreaterThan(before);
    setBackend("js");
    const js = K.add(new Float64Array(n), x, y, n);
    const dotJs = K.dot(x, y, n);
    expect(relErr(wasm, js)).toBe(0);
    setBackend("wasm");
    expect(relErr(K.dot(x, y, n), dotJs)).toBeLessThan(1e-12);
    const k = wasmKernels()!;
    const bigger = memory.buffer.byteLength / 8 + 1000;
    const grow = vi.spyOn(k.memory, "grow").mockImplementation(() => { throw new RangeError("WebAssembly.Memory.grow(): Maximum memory size exceeded"); });
    const kernel = vi.spyOn(k, "map_relu_f64");
    try {
      const z = rng.fillUniform(new Float64Array(bigger), -1, 1);
      expect(Array.from(K.relu(new Float64Array(bigger), z, bigger))).toEqual(Array.from(z, (v) => (v > 0 ? v : 0)));
      expect(grow).toHaveBeenCalled();
      expect(kernel).not.toHaveBeenCalled();
    } finally {
      grow.mockRestore();
      kernel.mockRestore();
    }
  });
});

describe("what stays in JavaScript", () => {
  test("below MIN_ENTRIES, mixed element types, arrays shorter than the call, float64 transcendentals", () => {
    setMinEntries(MIN_ENTRIES);
    const k = wasmKernels()!;
    const spies = [vi.spyOn(k, "map_add_f64"), vi.spyOn(k, "map_add_f32")];
    try {
      const big = MIN_ENTRIES, small = MIN_ENTRIES - 1;
      K.add(new Float64Array(small), new Float64Array(small), new Float64Array(small), small);
      K.add(new Float32Array(big), new Float64Array(big), new Float32Array(big), big);
      K.add(new Float64Array(big), new Float64Array(big - 1), new Float64Array(big), big);
      expect(spies.map((s) => s.mock.calls.length)).toEqual([0, 0]);
      K.add(new Float64Array(big), new Float64Array(big), new Float64Array(big), big);
      expect(spies.map((s) => s.mock.calls.length)).toEqual([1, 0]);
      expect("map_tanh_f64" in k).toBe(false);
      const x = Float64Array.from({ length: big }, (_, i) => i / big);
      expect(Array.from(K.tanh(new Float64Array(big), x, big))).toEqual(Array.from(x, Math.tanh));
    } finally {
      spies.forEach((s) => s.mockRestore());
    }
  });
});

describe("the float32 transcendentals (runtime/kernels/wasm/transcendental.ts)", () => {
  /** f(x) at each entry of x, in double, by the f64x2 code of transcendental.ts. */
  function inDouble(f: (c: Code, x: number) => Code, x: Float64Array): Float64Array {
    const code = new Code([i32, i32]); // (from, count of pairs): in place
    const v = code.local(v128);
    code.doWhile(() => {
      code.get(0).get(0).vmem(simd.v128_load).set(v);
      f(code, v).vmem(simd.v128_store);
      code.get(0).i32(16).emit(0x6a).set(0);
    }, () => code.get(1).i32(1).emit(0x6b).tee(1));
    const memory = new WebAssembly.Memory({ initial: Math.ceil((x.length * 8) / 65536) + 1 });
    const { run } = new WebAssembly.Instance(new WebAssembly.Module(assemble([{ code, exportAs: "run" }])), { env: { memory } }).exports as { run(p: number, n: number): void };
    new Float64Array(memory.buffer).set(x);
    run(0, x.length / 2);
    return new Float64Array(memory.buffer).slice(0, x.length);
  }

  const POINTS = 1 << 20;
  const grid = (lo: number, hi: number) => Float64Array.from({ length: POINTS }, (_, i) => lo + ((hi - lo) * i) / (POINTS - 1));
  const FUNCS: [string, (c: Code, x: number) => Code, (v: number) => number, number, number][] = [
    ["exp", exp, Math.exp, -700, 700],
    ["tanh", tanh, Math.tanh, -20, 20],
    ["tanh near 0", tanh, Math.tanh, -0.01, 0.01],
    ["sigmoid", sigmoid, (v) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v))), -40, 40],
  ];
  test.each(FUNCS)("%s in double: relative error below 1e-13 against Math over 2^20 points", (_name, f, ref, lo, hi) => {
    const x = grid(lo, hi);
    const got = inDouble(f, x);
    let worst = 0;
    for (let i = 0; i < x.length; i++) {
      const want = ref(x[i]);
      worst = Math.max(worst, Math.abs(got[i] - want) / Math.max(Math.abs(want), 1e-300));
    }
    expect(worst).toBeLessThan(1e-13);
  });

  test("special values: NaN, ±Infinity, ±0, large |x|", () => {
    const x = Float64Array.of(NaN, Infinity, -Infinity, 0, -0, 800, -800, 1e-300);
    expect(Array.from(inDouble(tanh, x.slice()))).toEqual([NaN, 1, -1, 0, -0, 1, -1, 1e-300]);
    const e = inDouble(exp, x.slice());
    expect(Number.isNaN(e[0])).toBe(true);
    expect(Math.fround(e[1])).toBe(Infinity); // exp(709) in double, Infinity in float32
    expect(Math.fround(e[2])).toBe(0);
    expect([e[3], e[4], e[7]]).toEqual([1, 1, 1]);
  });

  test.each([["tanh", -10, 10], ["tanh", -0.01, 0.01], ["exp", -100, 90], ["sigmoid", -30, 30]] as const)(
    "float32 %s on [%d, %d]: the float32 rounding of Math's, at 2^20 points",
    (name, lo, hi) => {
      const x = Float32Array.from(grid(lo, hi));
      setBackend("js");
      const js = K[name](new Float32Array(POINTS), x, POINTS);
      setBackend("wasm");
      const wasm = K[name](new Float32Array(POINTS), x, POINTS);
      let differ = 0;
      for (let i = 0; i < POINTS; i++) if (wasm[i] !== js[i]) differ++;
      expect(differ).toBe(0);
    },
  );
});
