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
/** Largest memory used: i32 addresses and signed loop counters stay below 2^31. */
const MAX_BYTES = 1 << 30;

let views: { buffer: ArrayBuffer; f32: Float32Array; f64: Float64Array } | null = null;

/** Views of the memory, grown to at least `bytes` first; null when it cannot grow. */
export function viewsOf(memory: WebAssembly.Memory, bytes: number): { f32: Float32Array; f64: Float64Array } | null {
  if (bytes > MAX_BYTES) return null;
  const have = memory.buffer.byteLength;
  try {
    if (have < bytes) memory.grow(Math.ceil((bytes - have) / PAGE));
  } catch {
    return null; // RangeError: the engine or the machine has no more memory to give
  }
  const buffer = memory.buffer;
  if (views === null || views.buffer !== buffer) {
    views = { buffer, f32: new Float32Array(buffer), f64: new Float64Array(buffer) };
  }
  return views;
}

export const roundUp = (x: number, to: number) => Math.ceil(x / to) * to;
export const prefix = (x: Arr, length: number) => (x.length === length ? x : x.subarray(0, length));
export const sizeOf = (type: Lane) => (type === "f32" ? 4 : 8);

/** "f32" or "f64" when every array is a Float32Array, or every one a Float64Array; else null. */
export function laneOf(...arrays: Arr[]): Lane | null {
  const T = arrays[0] instanceof Float32Array ? Float32Array : arrays[0] instanceof Float64Array ? Float64Array : null;
  if (T === null) return null;
  for (let i = 1; i < arrays.length; i++) if (!(arrays[i] instanceof T)) return null;
  return T === Float32Array ? "f32" : "f64";
}

/** Operands placed in the memory: its view of their type and each region's element offset. */
export interface Placed {
  mem: Arr;
  at: number[];
}

/**
 * Regions of `lengths` entries of `type`, one after another from 0, each starting
 * 16-byte aligned and holding whole vectors (so a kernel may read or write up to a
 * vector past its length); `arrays[i]`, where not null, copied into region i.
 * Null when the memory cannot hold them.
 */
export function place(memory: WebAssembly.Memory, type: Lane, arrays: (Arr | null)[], lengths: number[]): Placed | null {
  const perVector = 16 / sizeOf(type);
  const at: number[] = [];
  let end = 0;
  for (const length of lengths) {
    at.push(end);
    end = roundUp(end + length, perVector);
  }
  const all = viewsOf(memory, end * sizeOf(type));
  if (all === null) return null;
  const mem = all[type];
  arrays.forEach((x, i) => x !== null && mem.set(prefix(x, lengths[i]), at[i]));
  return { mem, at };
}

/** Copies `length` entries of region `i` into `out`. */
export function takeOut(placed: Placed, i: number, out: Arr, length: number): void {
  out.set(placed.mem.subarray(placed.at[i], placed.at[i] + length));
}
