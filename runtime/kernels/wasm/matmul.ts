// matmul through the WebAssembly kernels (gemm.ts): data movement.
//
// Each call copies in and out of the kernels' memory (memory.ts):
//   A    copied as stored (m×k, or k×m with transA), read in place through strides;
//   B    copied as stored, then packed into strips of W columns, zero padded (gemm.ts:
//        packStrips, packStripsT for whole strips, pack for the last one);
//   C    mp×np (rows rounded up to R, columns to W), copied in only with `accumulate`,
//        its first m rows × n columns moved together (copyWithin) and copied out.
// Copies and packing measured on the MNIST demo's products (784-128-10, batch 64): 5-31%
// of a call's time, the most on the smallest (64×128×10, 10 µs in f32).
import type { Arr } from "../types.js";
import { BLOCKING, stripWidth } from "./gemm.js";
import { prefix, roundUp, viewsOf } from "./memory.js";

/** The matmul exports of the kernel module, with the memory it imports. */
export interface GemmKernels {
  memory: WebAssembly.Memory;
  gemm_f32(a: number, rs: number, ps: number, b: number, c: number, mp: number, k: number, np: number, acc: number): void;
  gemm_f64(a: number, rs: number, ps: number, b: number, c: number, mp: number, k: number, np: number, acc: number): void;
  pack_f32(src: number, sL: number, sC: number, dst: number, len: number, count: number, w: number): void;
  pack_f64(src: number, sL: number, sC: number, dst: number, len: number, count: number, w: number): void;
  packStrips_f32(src: number, sL: number, dst: number, len: number, strips: number): void;
  packStrips_f64(src: number, sL: number, dst: number, len: number, strips: number): void;
  packStripsT_f32(src: number, rowBytes: number, dst: number, len: number, strips: number): void;
  packStripsT_f64(src: number, rowBytes: number, dst: number, len: number, strips: number): void;
}

/**
 * Products with fewer multiply-adds (m·k·n) run in JavaScript: there the copies and
 * the calls cost more than the loops save. Measured (µs per call, node 20, one core of
 * a shared 2-core x64 machine, f32 / f64, JS vs wasm): 8³ 0.27/0.24 vs 0.23/0.30,
 * 12³ 0.78/0.68 vs 0.62/0.52, 16³ (4096) 1.72/1.51 vs 0.43/0.75, 32³ 12.9/11.2 vs
 * 2.2/4.4; at 4096 the skinny shapes are even (64×64×1: 3.9/3.6 vs 3.7/4.0) and
 * 64×4×4 (1024) is faster in JS (0.62 vs 1.48 in f32, where n pads to 8).
 */
export const MIN_WORK = 4096;
let minWork = MIN_WORK;

/** The m·k·n from which matmul uses WebAssembly; tests set 0 to run it at every size. */
export function setMinWork(work: number): void {
  minWork = work;
}

export function worthWasm(m: number, k: number, n: number): boolean {
  return m * k * n >= minWork && m > 0 && k > 0 && n > 0;
}

/**
 * out (m×n) (+)= op(A)·op(B) as `matmul` in linear.ts defines it, for out, a and b of
 * one float type; returns false (and does nothing) when the memory cannot hold the product.
 */
export function wasmMatmul(
  kernels: GemmKernels, out: Arr, a: Arr, b: Arr, m: number, k: number, n: number,
  transA: boolean, transB: boolean, accumulate: boolean,
): boolean {
  const type = out instanceof Float32Array ? "f32" : "f64";
  const size = type === "f32" ? 4 : 8;
  const R = BLOCKING[type].R, W = stripWidth(type);
  const mp = roundUp(m, R), np = roundUp(n, W);
  // Element offsets, each region 16-byte aligned; A's region covers the reads of the
  // padding rows (past m) through its strides.
  const aAt = 0;
  const bAt = roundUp(aAt + Math.max(mp * k, k * m + R), 16 / size);
  const packAt = roundUp(bAt + k * n, 16 / size);
  const cAt = roundUp(packAt + k * np, 16 / size);
  const bytes = (cAt + mp * np) * size;
  const all = viewsOf(kernels.memory, bytes);
  if (all === null) return false;
  const mem = all[type];
  mem.set(prefix(a, m * k), aAt);
  mem.set(prefix(b, k * n), bAt);
  packB(kernels, type, bAt * size, packAt * size, k, n, W, transB);
  if (accumulate) {
    mem.set(prefix(out, m * n), cAt);
    spreadRows(mem, cAt, m, n, np);
  }
  const [rs, ps] = transA ? [size, m * size] : [k * size, size];
  const gemm = type === "f32" ? kernels.gemm_f32 : kernels.gemm_f64;
  gemm(aAt * size, rs, ps, packAt * size, cAt * size, mp, k, np, accumulate ? 1 : 0);
  compactRows(mem, cAt, m, n, np);
  out.set(mem.subarray(cAt, cAt + m * n));
  return true;
}

/** Packs op(B) (k×n) from byte `src` into strips at byte `dst` (see gemm.ts). */
function packB(kernels: GemmKernels, type: "f32" | "f64", src: number, dst: number, k: number, n: number, W: number, transB: boolean): void {
  const size = type === "f32" ? 4 : 8;
  const pack = type === "f32" ? kernels.pack_f32 : kernels.pack_f64;
  const whole = Math.floor(n / W);
  const [sL, sC] = transB ? [size, k * size] : [n * size, size];
  if (whole > 0 && transB) (type === "f32" ? kernels.packStripsT_f32 : kernels.packStripsT_f64)(src, k * size, dst, k, whole);
  else if (whole > 0) (type === "f32" ? kernels.packStrips_f32 : kernels.packStrips_f64)(src, n * size, dst, k, whole);
  if (whole * W < n) pack(src + whole * W * sC, sL, sC, dst + whole * k * W * size, k, n - whole * W, W);
}

/**
 * Moves the first m rows × n columns of the mp×np C at `at` to m×n rows from `at`
 * (row i from at + i·np to at + i·n, in increasing i so no row is overwritten first).
 */
function compactRows(mem: Arr, at: number, m: number, n: number, np: number): void {
  if (n !== np) for (let i = 1; i < m; i++) mem.copyWithin(at + i * n, at + i * np, at + i * np + n);
}

/** The inverse of compactRows: m×n rows from `at` spread to a row stride of np (decreasing i). */
function spreadRows(mem: Arr, at: number, m: number, n: number, np: number): void {
  if (n !== np) for (let i = m - 1; i > 0; i--) mem.copyWithin(at + i * np, at + i * n, at + i * n + n);
}
