// Which implementation runs the kernels that have a WebAssembly version: "wasm"
// (SIMD, runtime/kernels/wasm/) or "js" (the loops in runtime/kernels/). Which kernels
// those are, and why the others stay in JavaScript: README, "Runtime backends".
//
// Chosen on first use, in this order:
//   setBackend("js" | "wasm")                    from the program, at any time;
//   globalThis.GRADC_BACKEND = "js" | "wasm"      set before the first kernel call;
//   GRADC_BACKEND=js|wasm in the environment      (Node);
//   otherwise "wasm" outside a browser page, "js" in one (typeof document !== "undefined").
// Pages default to JS because compiling WebAssembly under a Content-Security-Policy
// without 'wasm-unsafe-eval' is refused with a violation report, even when the error is
// caught: a page opts in with GRADC_BACKEND or setBackend. "wasm" is used only when the
// engine validates a SIMD module and compiling and instantiating one is allowed;
// otherwise (no WebAssembly, no SIMD, a CSP refusal) the backend is "js".
// The module is compiled synchronously (new WebAssembly.Module): it is about 60 KB (matmul
// 2.8 KB; most of the rest the float32 exp/tanh/sigmoid/gelu polynomials, inlined), far below
// the 8 MB from which Chromium refuses synchronous compiles on a page's main thread.
// Writing and assembling it takes 30-45 ms on first use (Node 20, this machine).
import { assemble, Code, op, simd } from "./asm.js";
import { mapFuncs, type MAP_OPS, type WideOp } from "./elementwise.js";
import { gemmFuncs } from "./gemm.js";
import type { GemmKernels } from "./matmul.js";
import type { Lane } from "./memory.js";
import { reduceFuncs } from "./reduce.js";
import { softmaxFuncs } from "./softmax.js";

type MapKernel = (x: number, y: number, out: number, bytes: number, period: number, s: number, acc: number) => void;
type RowReduce = (a: number, x: number, out: number, rows: number, cols: number, acc: number) => void;
type RowUpdate = (src: number, w: number, dst: number, rows: number, cols: number, wStep: number) => void;
type RowKernel = (x: number, y: number, z: number, rows: number, cols: number) => void;

/** The exports of the kernel module (gemm.ts, elementwise.ts, reduce.ts, softmax.ts), with the memory it imports. */
export type Kernels = GemmKernels
  & Record<`map_${keyof typeof MAP_OPS}_${Lane}` | `map_${WideOp}_f32`, MapKernel>
  & Record<`rowDots_${Lane}` | `rowSums_${Lane}`, RowReduce>
  & Record<`columns_${Lane}` | `outer_${Lane}`, RowUpdate>
  & Record<"rowStats_f32" | "rowSoftmax_f32" | "rowShift_f32", RowKernel>;

export type BackendName = "js" | "wasm";

let chosen: { name: BackendName; kernels: Kernels | null } | null = null;
let instantiated: Kernels | null | undefined; // instantiated once, on first asking for "wasm"

/** The backend in use ("wasm" only when its kernels are instantiated). */
export function backendName(): BackendName {
  return current().name;
}

/**
 * Uses `name` from now on. Asking for "wasm" where WebAssembly SIMD is unavailable or
 * refused keeps "js"; the result says which backend is in use.
 */
export function setBackend(name: BackendName): BackendName {
  if (name !== "js" && name !== "wasm") throw new TypeError(`setBackend: expected "js" or "wasm", got ${String(name)}`);
  chosen = choose(name);
  return chosen.name;
}

/** The WebAssembly kernels when the backend is "wasm", else null. */
export function wasmKernels(): Kernels | null {
  return current().kernels;
}

function current(): { name: BackendName; kernels: Kernels | null } {
  if (chosen === null) chosen = choose(requested());
  return chosen;
}

function requested(): BackendName {
  const fromGlobal = (globalThis as { GRADC_BACKEND?: unknown }).GRADC_BACKEND;
  if (fromGlobal === "js" || fromGlobal === "wasm") return fromGlobal;
  const env = typeof process !== "undefined" ? process.env?.GRADC_BACKEND : undefined;
  if (env === "js" || env === "wasm") return env;
  return typeof document !== "undefined" ? "js" : "wasm";
}

function choose(name: BackendName): { name: BackendName; kernels: Kernels | null } {
  if (name === "wasm" && instantiated === undefined) instantiated = instantiate();
  const kernels = name === "wasm" ? instantiated! : null;
  return kernels === null ? { name: "js", kernels: null } : { name: "wasm", kernels };
}

/** The kernel module's exports, or null when WebAssembly SIMD is unavailable or refused. */
function instantiate(): Kernels | null {
  try {
    const wasm = globalThis.WebAssembly;
    if (typeof wasm?.validate !== "function" || !wasm.validate(simdProbe())) return null;
    const memory = new wasm.Memory({ initial: 1 });
    // gemm's functions first: its calls name functions by their index in gemmFuncs()
    const module = new wasm.Module(assemble([...gemmFuncs(), ...mapFuncs(), ...reduceFuncs(), ...softmaxFuncs()]));
    const instance = new wasm.Instance(module, { env: { memory } });
    return { memory, ...(instance.exports as unknown as Omit<Kernels, "memory">) };
  } catch {
    return null; // e.g. a CompileError from a CSP without 'wasm-unsafe-eval'
  }
}

/** A module of one function using f32x4, f64x2 and lane loads: valid only where SIMD is. */
function simdProbe(): Uint8Array<ArrayBuffer> {
  const code = new Code([]);
  code.vzero().vzero().v(simd.f32x4_add).vzero().v(simd.f64x2_mul);
  code.i32(0).vzero().loadLane(simd.v128_load32_lane, 0).v(simd.f32x4_add).emit(op.drop);
  return assemble([{ code }]);
}
