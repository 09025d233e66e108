// matmul through the WebAssembly kernels (gemm.ts): data movement.
//
// The user's arrays live in JavaScript memory, the kernels read one WebAssembly memory,
// so each call copies in and out (TypedArray.set, a memcpy):
//   A    copied as stored (m×k, or k×m with transA), read in place through strides;
//   B    copied as stored, then packed by `pack` into strips of W columns (zero padded);
//   C    mp×np (rows rounded up to R, columns to W), copied in only with `accumulate`,
//        its first m rows × n columns copied out.
// The memory grows when a call needs more (views of it are taken again after a grow,
// since growing detaches the old buffer) and is kept for the next call.
import type { Arr } from "../types.js";
import { BLOCKING, stripWidth } from "./gemm.js";

/** The exports of the kernel module, with the memory it imports. */
export interface Kernels {
  memory: WebAssembly.Memory;
  gemm_f32(a: number, rs: number, ps: number, b: number, c: number, mp: number, k: number, np: number, acc: number): void;
  gemm_f64(a: number, rs: number, ps: number, b: number, c: number, mp: number, k: number, np: number, acc: number): void;
  pack_f32(src: number, sL: number, sC: number, dst: number, len: number, count: number, w: number): void;
  pack_f64(src: number, sL: number, sC: number, dst: number, len: number, count: number, w: number): void;
}

const PAGE = 65536;
/** Largest memory used: i32 addresses and signed loop counters stay below 2^31. */
const MAX_BYTES = 1 << 30;

let views: { buffer: ArrayBuffer; f32: Float32Array; f64: Float64Array } | null = null;

function viewsOf(memory: WebAssembly.Memory, bytes: number): { f32: Float32Array; f64: Float64Array } {
  const have = memory.buffer.byteLength;
  if (have < bytes) memory.grow(Math.ceil((bytes - have) / PAGE));
  const buffer = memory.buffer;
  if (views === null || views.buffer !== buffer) {
    views = { buffer, f32: new Float32Array(buffer), f64: new Float64Array(buffer) };
  }
  return views;
}

const roundUp = (x: number, to: number) => Math.ceil(x / to) * to;
const prefix = (x: Arr, length: number) => (x.length === length ? x : x.subarray(0, length));

/**
 * out (m×n) (+)= op(A)·op(B) as `matmul` in linear.ts defines it, for out, a and b of
 * one float type; returns false (and does nothing) when the product does not fit.
 */
export function wasmMatmul(
  kernels: Kernels, out: Arr, a: Arr, b: Arr, m: number, k: number, n: number,
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
  if (bytes > MAX_BYTES) return false;
  const mem = viewsOf(kernels.memory, bytes)[type];
  mem.set(prefix(a, m * k), aAt);
  mem.set(prefix(b, k * n), bAt);
  const pack = type === "f32" ? kernels.pack_f32 : kernels.pack_f64;
  if (transB) pack(bAt * size, size, k * size, packAt * size, k, n, W);
  else pack(bAt * size, n * size, size, packAt * size, k, n, W);
  if (accumulate) copyRows(mem, cAt, np, out, 0, n, m, n);
  const [rs, ps] = transA ? [size, m * size] : [k * size, size];
  const gemm = type === "f32" ? kernels.gemm_f32 : kernels.gemm_f64;
  gemm(aAt * size, rs, ps, packAt * size, cAt * size, mp, k, np, accumulate ? 1 : 0);
  copyRows(out, 0, n, mem, cAt, np, m, n);
  return true;
}

/** rows × cols values from `from` (row stride fromStride) into `to` (row stride toStride). */
function copyRows(to: Arr, toAt: number, toStride: number, from: Arr, fromAt: number, fromStride: number, rows: number, cols: number): void {
  if (toStride === cols && fromStride === cols) {
    to.set(from.subarray(fromAt, fromAt + rows * cols), toAt);
    return;
  }
  for (let i = 0; i < rows; i++) {
    const at = fromAt + i * fromStride;
    to.set(from.subarray(at, at + cols), toAt + i * toStride);
  }
}
