// The elementwise, row, column and softmax kernels (elementwise.ts, reduce.ts, softmax.ts) called from the
// JavaScript kernels: each wrapper places its operands in the memory (memory.ts), runs
// the kernel and copies the result out, and returns false (having done nothing) when the
// backend is "js", the arrays are not all Float32Array or all Float64Array, one is shorter
// than the call reads or writes (the loops read undefined there, and skip the writes), the
// call is smaller than MIN_ENTRIES, or the memory cannot hold it; the caller then runs its loop.
import type { Arr } from "../types.js";
import { wasmKernels, type Kernels } from "./backend.js";
import { ACCUMULATING, iterationBytes, MAP_OPS, WIDE_OPS, type MapOp } from "./elementwise.js";
import { place, prefix, sizeOf, takeOut, type Lane, type Placed } from "./memory.js";

/**
 * Calls over fewer entries (of the largest operand) stay in JavaScript, where the copies
 * and the call cost more than the vector loop saves. Measured: see README "Runtime backends".
 */
export const MIN_ENTRIES = 256;
let minEntries = MIN_ENTRIES;

/** The entries from which these kernels use WebAssembly; tests set 0 to run them at every size. */
export function setMinEntries(entries: number): void {
  minEntries = entries;
}

/**
 * The element type of a call over `entries` that runs in WebAssembly, or null when it
 * stays in JavaScript. Operands: `out` and `a` arrays, `b` an array, a number or null,
 * each with the entries the call uses. (Explicit arguments, no rest arrays: this runs
 * on every kernel call.)
 */
function laneFor(entries: number, out: Arr, outLen: number, a: Arr, aLen: number, b: Arr | number | null, bLen: number): Lane | null {
  if (entries < minEntries || entries === 0 || wasmKernels() === null) return null;
  const type = out instanceof Float32Array ? "f32" : out instanceof Float64Array ? "f64" : null;
  if (type === null || out.length < outLen || !isLane(a, type) || a.length < aLen) return null;
  if (b !== null && typeof b !== "number" && (!isLane(b, type) || b.length < bLen)) return null;
  return type;
}

const isLane = (x: Arr, type: Lane) => (type === "f32" ? x instanceof Float32Array : x instanceof Float64Array);

/** Export names by kernel and type, built once (a template string per call costs a lookup). */
const names = <N extends string>(f: (type: Lane) => N) => ({ f32: f("f32"), f64: f("f64") });
type MapName = keyof Kernels & `map_${string}`;
const MAP_NAMES = Object.fromEntries([
  ...Object.keys(MAP_OPS).map((op) => [op, names((t) => `map_${op}_${t}`)]),
  ...Object.keys(WIDE_OPS).map((op) => [op, { f32: `map_${op}_f32` }]), // float64 keeps Math (transcendental.ts)
]) as Record<MapOp, Partial<Record<Lane, MapName>>>;
const ROW_DOTS = names((t) => `rowDots_${t}` as const), ROW_SUMS = names((t) => `rowSums_${t}` as const);
const COLUMNS = names((t) => `columns_${t}` as const), OUTER = names((t) => `outer_${t}` as const);

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * out (+)= op(x, y, s) over n entries (elementwise.ts). With `period`, y holds `period`
 * entries read again and again (y[i mod period]: a row vector over the rows of a matrix).
 */
export function wasmMap(op: MapOp, out: Arr, x: Arr, y: Arr | null, n: number, s = 0, acc = false, period = 0): boolean {
  const type = laneFor(n, out, n, x, n, y, period > 0 ? period : n);
  const name = type === null ? undefined : MAP_NAMES[op][type];
  if (type === null || name === undefined || (acc && !ACCUMULATING.has(op))) return false;
  const k = wasmKernels()!, size = sizeOf(type), lanes = 16 / size;
  // y repeated until its length is a whole number of vectors
  const copies = period > 0 ? lanes / gcd(period, lanes) : 1;
  const yLength = y === null ? 0 : period > 0 ? period * copies : n;
  const at = place(k.memory, type, x, n, null, yLength, acc ? out : null, n);
  if (at === null) return false;
  if (y !== null) for (let c = 0; c < copies; c++) at.mem.set(prefix(y, yLength / copies), at.at[1] + c * (yLength / copies));
  const [xAt, yAt, outAt] = at.bytes;
  const perIteration = iterationBytes(op);
  k[name](xAt, yAt, outAt, Math.ceil((n * size) / perIteration) * perIteration, period > 0 ? yLength * size : 0, s, acc ? 1 : 0);
  takeOut(at, 2, out, n);
  return true;
}

/** Σ_j a[i,j]·x[j] (or Σ_j a[i,j] with x null) for each of `rows` rows, placed; region 2 holds them. */
function rowReduce(type: Lane, out: Arr | null, a: Arr, x: Arr | null, rows: number, cols: number, acc: boolean): Placed | null {
  const k = wasmKernels()!;
  const at = place(k.memory, type, a, rows * cols, x, x === null ? 0 : cols, acc ? out : null, rows);
  if (at === null) return null;
  k[(x === null ? ROW_SUMS : ROW_DOTS)[type]](at.bytes[0], at.bytes[1], at.bytes[2], rows, cols, acc ? 1 : 0);
  return at;
}

/** out[i] (+)= Σ_j a[i,j]·x[j] (matvec), or the row sums Σ_j a[i,j] when x is null. */
export function wasmRows(out: Arr, a: Arr, x: Arr | null, rows: number, cols: number, acc = false): boolean {
  const type = laneFor(rows * cols, out, rows, a, rows * cols, x, cols);
  const at = type === null ? null : rowReduce(type, out, a, x, rows, cols, acc);
  if (at === null) return false;
  takeOut(at, 2, out, rows);
  return true;
}

/** Σ a[i]·x[i] (dot), or Σ a[i] with x null, over n entries; null when not run. */
export function wasmTotal(a: Arr, x: Arr | null, n: number): number | null {
  const type = laneFor(n, a, n, a, n, x, n);
  const at = type === null ? null : rowReduce(type, null, a, x, 1, n, false);
  return at === null ? null : at.mem[at.at[2]];
}

/**
 * out[j] (+)= Σ_i w_i·a[i,j] over a rows×cols a: the column sums (w null: every w_i = 1),
 * or Aᵀ·w (matvec with transA).
 */
export function wasmColumns(out: Arr, a: Arr, w: Arr | null, rows: number, cols: number, acc = false): boolean {
  const type = laneFor(rows * cols, out, cols, a, rows * cols, w, rows);
  const k = type === null ? null : wasmKernels()!;
  const at = k === null ? null : place(k.memory, type!, a, rows * cols, w, w === null ? 1 : rows, acc ? out : null, cols);
  if (at === null) return false;
  if (w === null) at.mem[at.at[1]] = 1;
  if (!acc) at.mem.fill(0, at.at[2], at.at[2] + cols);
  k![COLUMNS[type!]](at.bytes[0], at.bytes[1], at.bytes[2], rows, cols, w === null ? 0 : sizeOf(type!));
  takeOut(at, 2, out, cols);
  return true;
}

/** out[i,j] (+)= x_i·y[j] (rows×cols), x an array (outer) or one number for every row (a broadcast). */
export function wasmOuter(out: Arr, x: Arr | number, y: Arr, rows: number, cols: number, acc = false): boolean {
  const scalar = typeof x === "number";
  const type = laneFor(rows * cols, out, rows * cols, y, cols, x, rows);
  const k = type === null ? null : wasmKernels()!;
  const at = k === null ? null : place(k.memory, type!, y, cols, scalar ? null : x, scalar ? 1 : rows, acc ? out : null, rows * cols);
  if (at === null) return false;
  if (scalar) at.mem[at.at[1]] = x;
  if (!acc) at.mem.fill(0, at.at[2], at.at[2] + rows * cols);
  k![OUTER[type!]](at.bytes[0], at.bytes[1], at.bytes[2], rows, cols, scalar ? 0 : sizeOf(type!));
  takeOut(at, 2, out, rows * cols);
  return true;
}

/**
 * Per row of a float32 rows×cols x: the max m and Σ_j e^{x − m} (softmax.ts), with `out`
 * also the softmax in it; placed, stats as f64 pairs from `f64[at]`. Null when not run.
 */
function softmaxStats(out: Arr | null, x: Arr, rows: number, cols: number): { placed: Placed; at: number } | null {
  const type = laneFor(rows * cols, out ?? x, rows * cols, x, rows * cols, null, 0);
  if (type !== "f32") return null; // float64 keeps Math.exp (transcendental.ts)
  const k = wasmKernels()!;
  const placed = place(k.memory, type, x, rows * cols, null, rows * cols, null, 4 * rows);
  if (placed === null) return null;
  const [xAt, outAt, statsAt] = placed.bytes;
  k[out === null ? "rowStats_f32" : "rowSoftmax_f32"](xAt, outAt, statsAt, rows, cols);
  if (out !== null) takeOut(placed, 1, out, rows * cols);
  return { placed, at: statsAt / 8 };
}

/** The log-sum-exp of row i from its stats: m + log s, −Infinity for a row of −Infinity. */
const logSumExp = (f64: Float64Array, at: number, i: number) => {
  const m = f64[at + 2 * i];
  return m === -Infinity ? -Infinity : m + Math.log(f64[at + 2 * i + 1]);
};

/** out = softmax of each row of a float32 x; false when not run. */
export function wasmSoftmax(out: Arr, x: Arr, rows: number, cols: number): boolean {
  return softmaxStats(out, x, rows, cols) !== null;
}

/** Σ_i logsumexp(row i) of a float32 x, out (if not null) the softmax; null when not run. */
export function wasmSoftmaxLse(out: Arr | null, x: Arr, rows: number, cols: number): number | null {
  const stats = softmaxStats(out, x, rows, cols);
  if (stats === null) return null;
  let total = 0;
  for (let i = 0; i < rows; i++) total += logSumExp(stats.placed.f64, stats.at, i);
  return total;
}

/** out[i] = logsumexp(row i) of a float32 x; false when not run. */
export function wasmLogsumexp(out: Arr, x: Arr, rows: number, cols: number): boolean {
  const stats = out instanceof Float32Array && out.length >= rows ? softmaxStats(null, x, rows, cols) : null;
  if (stats === null) return false;
  for (let i = 0; i < rows; i++) out[i] = logSumExp(stats.placed.f64, stats.at, i);
  return true;
}

/** out = x − logsumexp(row) per row of a float32 x; false when not run. */
export function wasmLogSoftmax(out: Arr, x: Arr, rows: number, cols: number): boolean {
  const stats = out instanceof Float32Array && out.length >= rows * cols ? softmaxStats(null, x, rows, cols) : null;
  if (stats === null) return false;
  const { placed, at } = stats;
  // the shifts over the stats, row i's written after its pair (at + 2i) is read
  for (let i = 0; i < rows; i++) placed.f64[at + i] = logSumExp(placed.f64, at, i);
  wasmKernels()!.rowShift_f32(placed.bytes[0], placed.bytes[2], placed.bytes[1], rows, cols);
  takeOut(placed, 1, out, rows * cols);
  return true;
}
