// The elementwise, row and column kernels (elementwise.ts, reduce.ts) called from the
// JavaScript kernels: each wrapper places its operands in the memory (memory.ts), runs
// the kernel and copies the result out, and returns false (having done nothing) when the
// backend is "js", the arrays are not all Float32Array or all Float64Array, one is shorter
// than the call reads or writes (the loops read undefined there, and skip the writes), the
// call is smaller than MIN_ENTRIES, or the memory cannot hold it; the caller then runs its loop.
import type { Arr } from "../types.js";
import { wasmKernels, type Kernels } from "./backend.js";
import type { MapOp } from "./elementwise.js";
import { laneOf, place, sizeOf, takeOut, type Lane, type Placed } from "./memory.js";

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

type Operand = [Arr | null | number, number]; // an array (or what is not one) and the entries the call uses

/** The kernels and element type for a call over `entries`, or null when it stays in JavaScript. */
function target(entries: number, ...operands: Operand[]): { k: Kernels; type: Lane } | null {
  if (entries < minEntries || entries === 0) return null;
  const arrays = operands.flatMap(([x, n]) => (x === null || typeof x === "number" ? [] : [[x, n] as const]));
  if (arrays.some(([x, n]) => x.length < n)) return null;
  const type = laneOf(...arrays.map(([x]) => x));
  const k = type === null ? null : wasmKernels();
  return k === null || type === null ? null : { k, type };
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * out (+)= op(x, y, s) over n entries (elementwise.ts). With `period`, y holds `period`
 * entries read again and again (y[i mod period]: a row vector over the rows of a matrix).
 */
export function wasmMap(op: MapOp, out: Arr, x: Arr, y: Arr | null, n: number, s = 0, acc = false, period = 0): boolean {
  const to = target(n, [out, n], [x, n], [y, period > 0 ? period : n]);
  if (to === null) return false;
  const size = sizeOf(to.type), lanes = 16 / size;
  // a period that is a whole number of vectors: y repeated lanes / gcd times
  const copies = period > 0 ? lanes / gcd(period, lanes) : 1;
  const yLength = y === null ? 0 : period > 0 ? period * copies : n;
  const placed = place(to.k.memory, to.type, [x, null, acc ? out : null], [n, yLength, n]);
  if (placed === null) return false;
  const [xAt, yAt, outAt] = placed.at.map((at) => at * size);
  if (y !== null) for (let c = 0; c < copies; c++) placed.mem.set(y.subarray(0, period > 0 ? period : n), placed.at[1] + c * period);
  const yEnd = period > 0 ? yAt + yLength * size : -1;
  const vectors = Math.ceil(n / lanes);
  to.k[`map_${op}_${to.type}`](xAt, yAt, outAt, outAt + vectors * 16, yAt, yEnd, s, acc ? 1 : 0);
  takeOut(placed, 2, out, n);
  return true;
}

/** Σ_j a[i,j]·x[j] (or Σ_j a[i,j] with x null) for each of `rows` rows, placed; region 2 holds them. */
function rowReduce(to: { k: Kernels; type: Lane }, out: Arr | null, a: Arr, x: Arr | null, rows: number, cols: number, acc: boolean): Placed | null {
  const placed = place(to.k.memory, to.type, [a, x, acc ? out : null], [rows * cols, x === null ? 0 : cols, rows]);
  if (placed === null) return null;
  const [aAt, xAt, outAt] = placed.at.map((at) => at * sizeOf(to.type));
  to.k[`${x === null ? "rowSums" : "rowDots"}_${to.type}`](aAt, xAt, outAt, rows, cols, acc ? 1 : 0);
  return placed;
}

/** out[i] (+)= Σ_j a[i,j]·x[j] (matvec), or the row sums Σ_j a[i,j] when x is null. */
export function wasmRows(out: Arr, a: Arr, x: Arr | null, rows: number, cols: number, acc = false): boolean {
  const to = target(rows * cols, [out, rows], [a, rows * cols], [x, cols]);
  const placed = to && rowReduce(to, out, a, x, rows, cols, acc);
  if (!placed) return false;
  takeOut(placed, 2, out, rows);
  return true;
}

/** Σ a[i]·x[i] (dot), or Σ a[i] with x null, over n entries; null when not run. */
export function wasmTotal(a: Arr, x: Arr | null, n: number): number | null {
  const to = target(n, [a, n], [x, n]);
  const placed = to && rowReduce(to, null, a, x, 1, n, false);
  return placed ? placed.mem[placed.at[2]] : null;
}

/**
 * out[j] (+)= Σ_i w_i·a[i,j] over a rows×cols a: the column sums (w null: every w_i = 1),
 * or Aᵀ·w (matvec with transA).
 */
export function wasmColumns(out: Arr, a: Arr, w: Arr | null, rows: number, cols: number, acc = false): boolean {
  const to = target(rows * cols, [out, cols], [a, rows * cols], [w, rows]);
  if (to === null) return false;
  const placed = place(to.k.memory, to.type, [a, w, acc ? out : null], [rows * cols, w === null ? 1 : rows, cols]);
  if (placed === null) return false;
  const size = sizeOf(to.type);
  if (w === null) placed.mem[placed.at[1]] = 1;
  if (!acc) placed.mem.fill(0, placed.at[2], placed.at[2] + cols);
  const [aAt, wAt, outAt] = placed.at.map((at) => at * size);
  to.k[`columns_${to.type}`](aAt, wAt, outAt, rows, cols, w === null ? 0 : size);
  takeOut(placed, 2, out, cols);
  return true;
}

/** out[i,j] (+)= x_i·y[j] (rows×cols), x an array (outer) or one number for every row (a broadcast). */
export function wasmOuter(out: Arr, x: Arr | number, y: Arr, rows: number, cols: number, acc = false): boolean {
  const scalar = typeof x === "number";
  const to = target(rows * cols, [out, rows * cols], [x, rows], [y, cols]);
  if (to === null) return false;
  const placed = place(to.k.memory, to.type, [y, scalar ? null : x, acc ? out : null], [cols, scalar ? 1 : rows, rows * cols]);
  if (placed === null) return false;
  const size = sizeOf(to.type);
  if (scalar) placed.mem[placed.at[1]] = x;
  if (!acc) placed.mem.fill(0, placed.at[2], placed.at[2] + rows * cols);
  const [yAt, xAt, outAt] = placed.at.map((at) => at * size);
  to.k[`outer_${to.type}`](yAt, xAt, outAt, rows, cols, scalar ? 0 : size);
  takeOut(placed, 2, out, rows * cols);
  return true;
}
