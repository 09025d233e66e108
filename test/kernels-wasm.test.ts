// The WebAssembly backend (runtime/kernels/wasm/): matmul in every variant (transA ×
// transB × accumulate, Float64Array and Float32Array) against the JavaScript kernel, at
// odd sizes, above the size cutoff and large enough to grow the memory; the backend's
// choice at load time, forcing either, and the fallback to JavaScript where WebAssembly
// is missing, lacks SIMD or is refused.
//
// Tolerance: the two backends sum in different orders, and the JavaScript kernels sum
// float32 products in double precision while f32x4 sums in single. Norm-wise relative
// error: 1e-12 in float64, 1e-5 in float32 (measured at k = 33: 3e-16 and 1.4e-7).
import { afterEach, describe, expect, test, vi } from "vitest";
import { matmul } from "../runtime/kernels/linear.js";
import { assemble, Code, f64, i32, op, simd, sleb, uleb, v128 } from "../runtime/kernels/wasm/asm.js";
import { backendName, setBackend, wasmKernels } from "../runtime/kernels/wasm/backend.js";
import { MIN_WORK, setMinWork, wasmMatmul } from "../runtime/kernels/wasm/matmul.js";
import { Rng } from "../runtime/nn/rng.js";
import { relErr } from "./rel-err.js";

type Ctor = Float64ArrayConstructor | Float32ArrayConstructor;
const TYPES: [string, Ctor, number][] = [["Float64Array", Float64Array, 1e-12], ["Float32Array", Float32Array, 1e-5]];
const SIZES = [1, 3, 5, 17, 33];
const FLAGS = [false, true];
const rng = new Rng(15);

/** out from the JS kernel and from the wasm one, for one variant, from the same inputs. */
function bothBackends(T: Ctor, m: number, k: number, n: number, tA: boolean, tB: boolean, acc: boolean) {
  const a = rng.fillUniform(new T(m * k), -1, 1), b = rng.fillUniform(new T(k * n), -1, 1);
  const start = rng.fillUniform(new T(m * n), -1, 1);
  setBackend("js");
  const js = matmul(T.from(start), a, b, m, k, n, tA, tB, acc);
  setBackend("wasm");
  const wasm = T.from(start);
  expect(wasmMatmul(wasmKernels()!, wasm, a, b, m, k, n, tA, tB, acc)).toBe(true);
  return { js, wasm };
}

afterEach(() => {
  setBackend("wasm");
  setMinWork(MIN_WORK);
});

describe.each(TYPES)("wasm matmul agrees with the JS kernel, %s", (_name, T, tol) => {
  test.each(FLAGS.flatMap((tA) => FLAGS.flatMap((tB) => FLAGS.map((acc) => [tA, tB, acc]))))(
    "transA %s, transB %s, accumulate %s: m, k, n in 1, 3, 5, 17, 33",
    (tA, tB, acc) => {
      for (const m of SIZES) for (const k of SIZES) for (const n of SIZES) {
        const { js, wasm } = bothBackends(T, m, k, n, tA, tB, acc);
        const e = relErr(wasm, js);
        if (!(e <= tol)) expect.fail(`${m}×${k}×${n}: relative error ${e} > ${tol}`);
      }
    },
  );

  test("above the size cutoff, through matmul itself (MNIST layer shapes and a ragged one)", () => {
    for (const [m, k, n] of [[64, 784, 128], [64, 128, 10], [37, 300, 41]]) {
      for (const tA of FLAGS) for (const tB of FLAGS) for (const acc of FLAGS) {
        expect(m * k * n).toBeGreaterThanOrEqual(MIN_WORK);
        const a = rng.fillUniform(new T(m * k), -1, 1), b = rng.fillUniform(new T(k * n), -1, 1);
        const start = rng.fillUniform(new T(m * n), -1, 1);
        setBackend("js");
        const js = matmul(T.from(start), a, b, m, k, n, tA, tB, acc);
        setBackend("wasm");
        const wasm = matmul(T.from(start), a, b, m, k, n, tA, tB, acc);
        expect(relErr(wasm, js), `${m}×${k}×${n} ${tA} ${tB} ${acc}`).toBeLessThanOrEqual(tol);
      }
    }
  });

  test("a product larger than the memory grows it; smaller ones after it still agree", () => {
    const memory = wasmKernels()!.memory;
    const before = memory.buffer.byteLength;
    const big = Math.ceil(Math.sqrt(before / T.BYTES_PER_ELEMENT)) + 1; // big·big entries of A alone overflow it
    const shapes = [[3, 5, 7], [big, big, 7], [5, 3, 2], [big + 1, 9, big - 1], [17, 33, 5]];
    for (const [m, k, n] of shapes) {
      for (const tA of FLAGS) for (const tB of FLAGS) {
        const { js, wasm } = bothBackends(T, m, k, n, tA, tB, true);
        expect(relErr(wasm, js), `${m}×${k}×${n}`).toBeLessThanOrEqual(tol);
      }
    }
    expect(memory.buffer.byteLength).toBeGreaterThan(before);
  });

  test("when the memory cannot grow, matmul runs in JS", () => {
    const memory = wasmKernels()!.memory;
    const grow = vi.spyOn(memory, "grow").mockImplementation(() => { throw new RangeError("WebAssembly.Memory.grow(): Maximum memory size exceeded"); });
    try {
      const side = Math.ceil(Math.sqrt(memory.buffer.byteLength / T.BYTES_PER_ELEMENT)) + 1;
      const a = rng.fillUniform(new T(side * side), -1, 1), b = rng.fillUniform(new T(side * 3), -1, 1);
      expect(wasmMatmul(wasmKernels()!, new T(side * 3), a, b, side, side, 3, false, false, false)).toBe(false);
      const wasm = matmul(new T(side * 3), a, b, side, side, 3);
      setBackend("js");
      expect(relErr(wasm, matmul(new T(side * 3), a, b, side, side, 3))).toBe(0);
      expect(grow).toHaveBeenCalled();
    } finally {
      grow.mockRestore();
    }
  });

  test("arrays longer than the product: only their first entries are read and written", () => {
    const m = 17, k = 33, n = 5;
    const a = rng.fillUniform(new T(m * k + 9), -1, 1), b = rng.fillUniform(new T(k * n + 4), -1, 1);
    setBackend("js");
    const js = matmul(new T(m * n + 3).fill(2), a, b, m, k, n);
    setBackend("wasm");
    const wasm = new T(m * n + 3).fill(2);
    wasmMatmul(wasmKernels()!, wasm, a, b, m, k, n, false, false, false);
    expect(relErr(wasm, js)).toBeLessThanOrEqual(tol);
    expect(Array.from(wasm.subarray(m * n))).toEqual([2, 2, 2]);
  });
});

describe("the assembler (runtime/kernels/wasm/asm.ts)", () => {
  test("LEB128: unsigned and signed", () => {
    expect(uleb(0)).toEqual([0]);
    expect(uleb(127)).toEqual([0x7f]);
    expect(uleb(128)).toEqual([0x80, 0x01]);
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(sleb(-1)).toEqual([0x7f]);
    expect(sleb(63)).toEqual([0x3f]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
  });

  test("a module of two functions, one calling the other, with a loop and SIMD, runs", () => {
    // sum(p, n): Σ of n float64 at p, two lanes at a time (n even), via a call to twice(x) = x + x, halved
    const twice = new Code([f64], [f64]);
    twice.get(0).get(0).emit(op.f64_add);
    const sum = new Code([i32, i32], [f64]);
    const acc = sum.local(v128);
    sum.vzero().set(acc);
    sum.doWhile(() => {
      sum.get(acc).get(0).vmem(simd.v128_load).v(simd.f64x2_add).set(acc);
      sum.get(0).i32(16).emit(op.i32_add).set(0);
    }, () => sum.get(1).i32(2).emit(op.i32_sub).tee(1));
    sum.get(acc).lane(simd.f64x2_extract_lane, 0).get(acc).lane(simd.f64x2_extract_lane, 1).emit(op.f64_add);
    sum.call(0).emit(op.f64_const, ...new Uint8Array(Float64Array.of(0.5).buffer)).emit(op.f64_mul);
    const bytes = assemble([{ code: twice }, { code: sum, exportAs: "sum" }]);
    expect(WebAssembly.validate(bytes)).toBe(true);
    const memory = new WebAssembly.Memory({ initial: 1 });
    const { sum: run } = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports as { sum(p: number, n: number): number };
    new Float64Array(memory.buffer, 0, 6).set([1, 2, 3, 4, 5, 6.5]);
    expect(run(0, 6)).toBe(21.5);
  });
});

describe("choosing the backend", () => {
  test("in Node, wasm by default; setBackend forces either and backendName tells", () => {
    expect(backendName()).toBe("wasm");
    expect(setBackend("js")).toBe("js");
    expect(backendName()).toBe("js");
    expect(wasmKernels()).toBeNull();
    expect(setBackend("wasm")).toBe("wasm");
    expect(wasmKernels()).not.toBeNull();
    expect(() => setBackend("gpu" as "js")).toThrow(TypeError);
  });

  test("below the cutoff matmul runs in JS, from it in WebAssembly", () => {
    const spy = vi.spyOn(wasmKernels()!, "gemm_f64");
    try {
      const side = Math.ceil(Math.cbrt(MIN_WORK));
      const small = side - 2;
      matmul(new Float64Array(small * small), new Float64Array(small * small), new Float64Array(small * small), small, small, small);
      expect(spy).not.toHaveBeenCalled();
      matmul(new Float64Array(side * side), new Float64Array(side * side), new Float64Array(side * side), side, side, side);
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
  });
});

describe("the backend chosen at load time (a fresh module each)", () => {
  const saved = { wasm: globalThis.WebAssembly, env: process.env.GRADC_BACKEND };
  afterEach(() => {
    globalThis.WebAssembly = saved.wasm;
    if (saved.env === undefined) delete process.env.GRADC_BACKEND;
    else process.env.GRADC_BACKEND = saved.env;
    delete (globalThis as { GRADC_BACKEND?: string }).GRADC_BACKEND;
    delete (globalThis as { document?: unknown }).document;
  });

  async function fresh() {
    vi.resetModules();
    return import("../runtime/kernels/wasm/backend.js");
  }

  test("GRADC_BACKEND in the environment, then globalThis.GRADC_BACKEND over it", async () => {
    process.env.GRADC_BACKEND = "js";
    expect((await fresh()).backendName()).toBe("js");
    (globalThis as { GRADC_BACKEND?: string }).GRADC_BACKEND = "wasm";
    expect((await fresh()).backendName()).toBe("wasm");
  });

  test("a browser page defaults to JS (CSP reports), and opts in with GRADC_BACKEND", async () => {
    delete process.env.GRADC_BACKEND;
    (globalThis as { document?: unknown }).document = {};
    expect((await fresh()).backendName()).toBe("js");
    (globalThis as { GRADC_BACKEND?: string }).GRADC_BACKEND = "wasm";
    expect((await fresh()).backendName()).toBe("wasm");
  });

  // Stand-ins for globalThis.WebAssembly: the real one with one member replaced.
  const tried: string[] = [];
  const withMember = (name: string, value: unknown) => Object.assign(Object.create(saved.wasm), { [name]: value });
  const stubs: [string, () => unknown][] = [
    ["no WebAssembly", () => undefined],
    ["an engine without SIMD (validate says no)", () => withMember("validate", () => (tried.push("validate"), false))],
    ["compiling refused, as under a CSP without 'wasm-unsafe-eval'", () => withMember("Module", function refused() {
      tried.push("Module");
      throw new saved.wasm.CompileError("WebAssembly.Module(): Refused to compile or instantiate WebAssembly module because 'wasm-unsafe-eval' is not an allowed source");
    })],
  ];
  test.each(stubs)("%s: JS, and matmul still right", async (label, stub) => {
    tried.length = 0;
    process.env.GRADC_BACKEND = "wasm";
    globalThis.WebAssembly = stub() as typeof WebAssembly;
    const backend = await fresh();
    expect(backend.backendName()).toBe("js");
    expect(backend.setBackend("wasm")).toBe("js");
    const { matmul: freshMatmul } = await import("../runtime/kernels/linear.js");
    const n = 20; // n³ above the cutoff
    const a = Float64Array.from({ length: n * n }, (_, i) => (i % 7) - 3);
    const eye = Float64Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0));
    expect(Array.from(freshMatmul(new Float64Array(n * n), a, eye, n, n, n))).toEqual(Array.from(a));
    if (label !== "no WebAssembly") expect(tried.length).toBeGreaterThan(0);
  });
});
