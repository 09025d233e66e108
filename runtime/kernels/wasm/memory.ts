// The one WebAssembly memory every kernel reads and writes, and how user arrays reach it.
//
// The user's arrays live in JavaScript memory, so each call copies its operands in
// (TypedArray.set, a memcpy) and its result out. Operands are laid out from address 0 in
// regions of 16-byte aligned starts; the memory grows when a call needs more (views of it
// are taken again after a grow, since growing detaches the old buffer) and is kept for the
// next call. Nothing lives in it between calls.
import type { Arr } from "../types.js";

export type Lane = "f32" | "f64";

const PAGE = 65536;
/** Bytes after the last region that a kernel may write past its end (elementwise.ts iterationBytes). */
const SLACK = 64;
/** Largest memory used: i32 addresses and signed loop counters stay below 2^31. */
const MAX_BYTES = 1 << 30;

let views: { memory: WebAssembly.Memory; buffer: ArrayBuffer; f32: Float32Array; f64: Float64Array } | null = null;

/** Views of the memory, grown to at least `bytes` first; null when it cannot grow. */
export function viewsOf(memory: WebAssembly.Memory, bytes: number): { f32: Float32Array; f64: Float64Array } | null {
  if (bytes > MAX_BYTES) return null;
  // the views of this memory (only these kernels grow it; a grow detaches the old buffer, length 0)
  if (views !== null && views.buffer.byteLength >= bytes && views.memory === memory) return views;
  const have = memory.buffer.byteLength;
  try {
    if (have < bytes) memory.grow(Math.ceil((bytes - have) / PAGE));
  } catch {
    return null; // RangeError: the engine or the machine has no more memory to give
  }
  const buffer = memory.buffer;
  if (views === null || views.buffer !== buffer) {
    views = { memory, buffer, f32: new Float32Array(buffer), f64: new Float64Array(buffer) };
  }
  return views;
}

export const roundUp = (x: number, to: number) => Math.ceil(x / to) * to;
export const prefix = (x: Arr, length: number) => (x.length === length ? x : x.subarray(0, length));
export const sizeOf = (type: Lane) => (type === "f32" ? 4 : 8);

/**
 * Three operands placed in the memory: its view of their type, and each region's first
 * entry (an index into `mem`) and byte address. One object, reused by every call.
 */
export interface Placed {
  mem: Arr;
  /** The memory as float64, for kernels that write f64 results next to float32 data. */
  f64: Float64Array;
  at: [number, number, number];
  bytes: [number, number, number];
}
const placed: Placed = { mem: new Float64Array(0), f64: new Float64Array(0), at: [0, 0, 0], bytes: [0, 0, 0] };

/**
 * Regions of `lengths` entries of `type`, one after another from 0, each starting
 * 16-byte aligned and holding whole vectors (a kernel may read or write up to a vector
 * past its length, and up to SLACK bytes past the last region's); `x`, `y`, `z`, where not null, copied into regions 0, 1, 2.
 * Null when the memory cannot hold them.
 */
export function place(
  memory: WebAssembly.Memory, type: Lane,
  x: Arr | null, xLength: number, y: Arr | null, yLength: number, z: Arr | null, zLength: number,
): Placed | null {
  const size = sizeOf(type), perVector = 16 / size;
  const yAt = roundUp(xLength, perVector), zAt = yAt + roundUp(yLength, perVector);
  const all = viewsOf(memory, (zAt + roundUp(zLength, perVector)) * size + SLACK);
  if (all === null) return null;
  const mem = all[type];
  if (x !== null) mem.set(prefix(x, xLength), 0);
  if (y !== null) mem.set(prefix(y, yLength), yAt);
  if (z !== null) mem.set(prefix(z, zLength), zAt);
  placed.mem = mem;
  placed.f64 = all.f64;
  placed.at[0] = 0, placed.at[1] = yAt, placed.at[2] = zAt;
  placed.bytes[0] = 0, placed.bytes[1] = yAt * size, placed.bytes[2] = zAt * size;
  return placed;
}

/** Copies `length` entries of region `i` into `out`. */
export function takeOut(from: Placed, i: number, out: Arr, length: number): void {
  out.set(from.mem.subarray(from.at[i], from.at[i] + length));
}
