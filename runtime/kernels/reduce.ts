// Reductions: sum, mean, prod, max, min over all n entries (returning a number)
// and per axis of a rows×cols matrix: `…Axis0` reduces over rows (out has cols
// entries, one per column), `…Axis1` reduces over columns (out has rows entries).
//
// sum and mean are linear: JVP = the same kernel applied to the tangent; their
// VJPs broadcast ḡ back (the gradient fans out). prod, max and min have their
// own JVPs. Conventions at non-smooth points: max and min send the whole
// adjoint to the FIRST index holding the extreme value (ties go to the lowest
// index, as the scalar max/min rule sends ties to its first argument). NaN
// inputs give unspecified results. prod's VJP is exact with zeros among the
// inputs (it counts them instead of dividing by them).
import type { Arr } from "./types.js";
import { wasmColumns, wasmOuter, wasmRows, wasmTotal } from "./wasm/calls.js";

// ---- sum / mean ----

/** Σ x[i] over i < n. */
export function sum(x: Arr, n: number): number {
  const inWasm = wasmTotal(x, null, n);
  if (inWasm !== null) return inWasm;
  let s0 = 0, s1 = 0;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    s0 += x[i];
    s1 += x[i + 1];
  }
  if (i < n) s0 += x[i];
  return s0 + s1;
}

/** x̄ = ḡ in every entry (the gradient fans out). */
export function sumVjp<T extends Arr>(out: T, gy: number, n: number, accumulate = false): T {
  if (accumulate) for (let i = 0; i < n; i++) out[i] += gy;
  else out.fill(gy, 0, n);
  return out;
}

/** Σ x[i] / n (NaN for n = 0). */
export function mean(x: Arr, n: number): number {
  return sum(x, n) / n;
}

/** x̄ = ḡ / n in every entry. */
export function meanVjp<T extends Arr>(out: T, gy: number, n: number, accumulate = false): T {
  return sumVjp(out, gy / n, n, accumulate);
}

/** out[j] = Σ_i x[i,j] (column sums, cols entries). */
export function sumAxis0<T extends Arr>(out: T, x: Arr, rows: number, cols: number): T {
  if (wasmColumns(out, x, null, rows, cols)) return out;
  out.fill(0, 0, cols);
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    for (let j = 0; j < cols; j++) out[j] += x[r + j];
  }
  return out;
}

/** x̄[i,j] = ḡ[j]: ḡ (cols entries) broadcast over rows. */
export function sumAxis0Vjp<T extends Arr>(out: T, gy: Arr, rows: number, cols: number, accumulate = false): T {
  return broadcastRows(out, gy, rows, cols, 1, accumulate);
}

/** out[i] = Σ_j x[i,j] (row sums, rows entries). */
export function sumAxis1<T extends Arr>(out: T, x: Arr, rows: number, cols: number): T {
  if (wasmRows(out, x, null, rows, cols)) return out;
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    let s = 0;
    for (let j = 0; j < cols; j++) s += x[r + j];
    out[i] = s;
  }
  return out;
}

/** x̄[i,j] = ḡ[i]: ḡ (rows entries) broadcast over columns. */
export function sumAxis1Vjp<T extends Arr>(out: T, gy: Arr, rows: number, cols: number, accumulate = false): T {
  return broadcastCols(out, gy, rows, cols, 1, accumulate);
}

/** out[j] = mean over rows of column j. */
export function meanAxis0<T extends Arr>(out: T, x: Arr, rows: number, cols: number): T {
  sumAxis0(out, x, rows, cols);
  for (let j = 0; j < cols; j++) out[j] /= rows;
  return out;
}

/** x̄[i,j] = ḡ[j] / rows. */
export function meanAxis0Vjp<T extends Arr>(out: T, gy: Arr, rows: number, cols: number, accumulate = false): T {
  return broadcastRows(out, gy, rows, cols, 1 / rows, accumulate);
}

/** out[i] = mean over columns of row i. */
export function meanAxis1<T extends Arr>(out: T, x: Arr, rows: number, cols: number): T {
  sumAxis1(out, x, rows, cols);
  for (let i = 0; i < rows; i++) out[i] /= cols;
  return out;
}

/** x̄[i,j] = ḡ[i] / cols. */
export function meanAxis1Vjp<T extends Arr>(out: T, gy: Arr, rows: number, cols: number, accumulate = false): T {
  return broadcastCols(out, gy, rows, cols, 1 / cols, accumulate);
}

// out[i,j] (+)= s·v[j]
function broadcastRows<T extends Arr>(out: T, v: Arr, rows: number, cols: number, s: number, acc: boolean): T {
  if (wasmOuter(out, s, v, rows, cols, acc)) return out;
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    if (acc) for (let j = 0; j < cols; j++) out[r + j] += s * v[j];
    else for (let j = 0; j < cols; j++) out[r + j] = s * v[j];
  }
  return out;
}

// out[i,j] (+)= s·v[i]
function broadcastCols<T extends Arr>(out: T, v: Arr, rows: number, cols: number, s: number, acc: boolean): T {
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    const g = s * v[i];
    if (acc) for (let j = 0; j < cols; j++) out[r + j] += g;
    else out.fill(g, r, r + cols);
  }
  return out;
}

// ---- prod ----
// A strided run: entries x[start + t*stride], t < len. The per-axis kernels are
// the all-entries kernels applied to each row (stride 1) or column (stride cols).

function prodRun(x: Arr, start: number, stride: number, len: number): number {
  let p = 1;
  for (let t = 0, q = start; t < len; t++, q += stride) p *= x[q];
  return p;
}

// Writes (or adds) g·Π_{u≠t} x_u at each entry of the run, without dividing by zeros.
function prodRunVjp(out: Arr, x: Arr, g: number, start: number, stride: number, len: number, acc: boolean): void {
  let zeros = 0, zeroAt = -1, p = 1;
  for (let t = 0, q = start; t < len; t++, q += stride) {
    const v = x[q];
    if (v === 0) {
      zeros++;
      zeroAt = q;
    } else p *= v;
  }
  for (let t = 0, q = start; t < len; t++, q += stride) {
    const d = zeros === 0 ? (g * p) / x[q] : zeros === 1 && q === zeroAt ? g * p : 0;
    out[q] = acc ? out[q] + d : d;
  }
}

// Σ_t dx_t·Π_{u≠t} x_u over the run, without dividing by zeros.
function prodRunJvp(x: Arr, dx: Arr, start: number, stride: number, len: number): number {
  let zeros = 0, zeroAt = -1, p = 1;
  for (let t = 0, q = start; t < len; t++, q += stride) {
    const v = x[q];
    if (v === 0) {
      zeros++;
      zeroAt = q;
    } else p *= v;
  }
  if (zeros > 1) return 0;
  if (zeros === 1) return p * dx[zeroAt];
  let s = 0;
  for (let t = 0, q = start; t < len; t++, q += stride) s += dx[q] / x[q];
  return p * s;
}

/** Π x[i] over i < n (1 for n = 0). */
export function prod(x: Arr, n: number): number {
  return prodRun(x, 0, 1, n);
}

/** x̄[i] = ḡ·Π_{j≠i} x[j] (exact when some x[j] are zero). */
export function prodVjp<T extends Arr>(out: T, x: Arr, gy: number, n: number, accumulate = false): T {
  prodRunVjp(out, x, gy, 0, 1, n, accumulate);
  return out;
}

/** Tangent of prod: Σ_i dx[i]·Π_{j≠i} x[j]. */
export function prodJvp(x: Arr, dx: Arr, n: number): number {
  return prodRunJvp(x, dx, 0, 1, n);
}

/** out[j] = Π_i x[i,j]. */
export function prodAxis0<T extends Arr>(out: T, x: Arr, rows: number, cols: number): T {
  out.fill(1, 0, cols);
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    for (let j = 0; j < cols; j++) out[j] *= x[r + j];
  }
  return out;
}

/** x̄[i,j] = ḡ[j]·Π_{u≠i} x[u,j]. */
export function prodAxis0Vjp<T extends Arr>(out: T, x: Arr, gy: Arr, rows: number, cols: number, accumulate = false): T {
  for (let j = 0; j < cols; j++) prodRunVjp(out, x, gy[j], j, cols, rows, accumulate);
  return out;
}

/** out[j] = Σ_i dx[i,j]·Π_{u≠i} x[u,j]. */
export function prodAxis0Jvp<T extends Arr>(out: T, x: Arr, dx: Arr, rows: number, cols: number): T {
  for (let j = 0; j < cols; j++) out[j] = prodRunJvp(x, dx, j, cols, rows);
  return out;
}

/** out[i] = Π_j x[i,j]. */
export function prodAxis1<T extends Arr>(out: T, x: Arr, rows: number, cols: number): T {
  for (let i = 0; i < rows; i++) out[i] = prodRun(x, i * cols, 1, cols);
  return out;
}

/** x̄[i,j] = ḡ[i]·Π_{u≠j} x[i,u]. */
export function prodAxis1Vjp<T extends Arr>(out: T, x: Arr, gy: Arr, rows: number, cols: number, accumulate = false): T {
  for (let i = 0; i < rows; i++) prodRunVjp(out, x, gy[i], i * cols, 1, cols, accumulate);
  return out;
}

/** out[i] = Σ_j dx[i,j]·Π_{u≠j} x[i,u]. */
export function prodAxis1Jvp<T extends Arr>(out: T, x: Arr, dx: Arr, rows: number, cols: number): T {
  for (let i = 0; i < rows; i++) out[i] = prodRunJvp(x, dx, i * cols, 1, cols);
  return out;
}

// ---- max / min ----

// Index of the first largest (sign = 1) or smallest (sign = -1) entry of the run.
function extremeAt(x: Arr, start: number, stride: number, len: number, sign: number): number {
  let at = start;
  let best = sign * x[start];
  for (let t = 1, q = start + stride; t < len; t++, q += stride) {
    const v = sign * x[q];
    if (v > best) {
      best = v;
      at = q;
    }
  }
  return at;
}

// Adjoint of one extreme: g at index `at` of the run, 0 elsewhere.
function extremeRunVjp(out: Arr, at: number, g: number, start: number, stride: number, len: number, acc: boolean): void {
  if (acc) {
    out[at] += g;
    return;
  }
  for (let t = 0, q = start; t < len; t++, q += stride) out[q] = 0;
  out[at] = g;
}

/** max x[i] over i < n (−Infinity for n = 0). */
export function max(x: Arr, n: number): number {
  return n === 0 ? -Infinity : x[extremeAt(x, 0, 1, n, 1)];
}

/** min x[i] over i < n (Infinity for n = 0). */
export function min(x: Arr, n: number): number {
  return n === 0 ? Infinity : x[extremeAt(x, 0, 1, n, -1)];
}

/** Index of the first largest entry (−1 for n = 0). Not differentiable. */
export function argmax(x: Arr, n: number): number {
  return n === 0 ? -1 : extremeAt(x, 0, 1, n, 1);
}

/** out[i] = index of the first largest entry of row i (e.g. predicted classes). */
export function argmaxAxis1<T extends Arr>(out: T, x: Arr, rows: number, cols: number): T {
  for (let i = 0; i < rows; i++) out[i] = extremeAt(x, i * cols, 1, cols, 1) - i * cols;
  return out;
}

/** x̄ = ḡ at the first largest entry, 0 elsewhere. */
export function maxVjp<T extends Arr>(out: T, x: Arr, gy: number, n: number, accumulate = false): T {
  if (n > 0) extremeRunVjp(out, extremeAt(x, 0, 1, n, 1), gy, 0, 1, n, accumulate);
  return out;
}

/** x̄ = ḡ at the first smallest entry, 0 elsewhere. */
export function minVjp<T extends Arr>(out: T, x: Arr, gy: number, n: number, accumulate = false): T {
  if (n > 0) extremeRunVjp(out, extremeAt(x, 0, 1, n, -1), gy, 0, 1, n, accumulate);
  return out;
}

/** Tangent of max: dx at the first largest entry of x. */
export function maxJvp(x: Arr, dx: Arr, n: number): number {
  return n === 0 ? 0 : dx[extremeAt(x, 0, 1, n, 1)];
}

/** Tangent of min: dx at the first smallest entry of x. */
export function minJvp(x: Arr, dx: Arr, n: number): number {
  return n === 0 ? 0 : dx[extremeAt(x, 0, 1, n, -1)];
}

/** out[j] = max_i x[i,j]. */
export function maxAxis0<T extends Arr>(out: T, x: Arr, rows: number, cols: number): T {
  for (let j = 0; j < cols; j++) out[j] = x[extremeAt(x, j, cols, rows, 1)];
  return out;
}

/** out[j] = min_i x[i,j]. */
export function minAxis0<T extends Arr>(out: T, x: Arr, rows: number, cols: number): T {
  for (let j = 0; j < cols; j++) out[j] = x[extremeAt(x, j, cols, rows, -1)];
  return out;
}

/** out[i] = max_j x[i,j]. */
export function maxAxis1<T extends Arr>(out: T, x: Arr, rows: number, cols: number): T {
  for (let i = 0; i < rows; i++) out[i] = x[extremeAt(x, i * cols, 1, cols, 1)];
  return out;
}

/** out[i] = min_j x[i,j]. */
export function minAxis1<T extends Arr>(out: T, x: Arr, rows: number, cols: number): T {
  for (let i = 0; i < rows; i++) out[i] = x[extremeAt(x, i * cols, 1, cols, -1)];
  return out;
}

/** x̄[i,j] = ḡ[j] at the first largest entry of column j, 0 elsewhere. */
export function maxAxis0Vjp<T extends Arr>(out: T, x: Arr, gy: Arr, rows: number, cols: number, accumulate = false): T {
  return axis0ExtremeVjp(out, x, gy, rows, cols, 1, accumulate);
}

/** x̄[i,j] = ḡ[j] at the first smallest entry of column j, 0 elsewhere. */
export function minAxis0Vjp<T extends Arr>(out: T, x: Arr, gy: Arr, rows: number, cols: number, accumulate = false): T {
  return axis0ExtremeVjp(out, x, gy, rows, cols, -1, accumulate);
}

/** x̄[i,j] = ḡ[i] at the first largest entry of row i, 0 elsewhere. */
export function maxAxis1Vjp<T extends Arr>(out: T, x: Arr, gy: Arr, rows: number, cols: number, accumulate = false): T {
  return axis1ExtremeVjp(out, x, gy, rows, cols, 1, accumulate);
}

/** x̄[i,j] = ḡ[i] at the first smallest entry of row i, 0 elsewhere. */
export function minAxis1Vjp<T extends Arr>(out: T, x: Arr, gy: Arr, rows: number, cols: number, accumulate = false): T {
  return axis1ExtremeVjp(out, x, gy, rows, cols, -1, accumulate);
}

/** out[j] = dx at the first largest entry of column j. */
export function maxAxis0Jvp<T extends Arr>(out: T, x: Arr, dx: Arr, rows: number, cols: number): T {
  for (let j = 0; j < cols; j++) out[j] = dx[extremeAt(x, j, cols, rows, 1)];
  return out;
}

/** out[j] = dx at the first smallest entry of column j. */
export function minAxis0Jvp<T extends Arr>(out: T, x: Arr, dx: Arr, rows: number, cols: number): T {
  for (let j = 0; j < cols; j++) out[j] = dx[extremeAt(x, j, cols, rows, -1)];
  return out;
}

/** out[i] = dx at the first largest entry of row i. */
export function maxAxis1Jvp<T extends Arr>(out: T, x: Arr, dx: Arr, rows: number, cols: number): T {
  for (let i = 0; i < rows; i++) out[i] = dx[extremeAt(x, i * cols, 1, cols, 1)];
  return out;
}

/** out[i] = dx at the first smallest entry of row i. */
export function minAxis1Jvp<T extends Arr>(out: T, x: Arr, dx: Arr, rows: number, cols: number): T {
  for (let i = 0; i < rows; i++) out[i] = dx[extremeAt(x, i * cols, 1, cols, -1)];
  return out;
}

function axis0ExtremeVjp<T extends Arr>(out: T, x: Arr, gy: Arr, rows: number, cols: number, sign: number, acc: boolean): T {
  if (!acc) out.fill(0, 0, rows * cols);
  if (rows === 0) return out;
  for (let j = 0; j < cols; j++) out[extremeAt(x, j, cols, rows, sign)] += gy[j];
  return out;
}

function axis1ExtremeVjp<T extends Arr>(out: T, x: Arr, gy: Arr, rows: number, cols: number, sign: number, acc: boolean): T {
  if (!acc) out.fill(0, 0, rows * cols);
  if (cols === 0) return out;
  for (let i = 0; i < rows; i++) out[extremeAt(x, i * cols, 1, cols, sign)] += gy[i];
  return out;
}

// ---- mean squared error ----

/** mean_i (a[i] − b[i])² over i < n. */
export function mse(a: Arr, b: Arr, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return s / n;
}

/** ā for mse: gy·2(a − b)/n. (b̄ is its negative: `mseVjpB`.) */
export function mseVjpA<T extends Arr>(outA: T, a: Arr, b: Arr, gy: number, n: number, accumulate = false): T {
  const s = (2 * gy) / n;
  for (let i = 0; i < n; i++) {
    const g = s * (a[i] - b[i]);
    outA[i] = accumulate ? outA[i] + g : g;
  }
  return outA;
}

/** b̄ for mse: gy·2(b − a)/n. */
export function mseVjpB<T extends Arr>(outB: T, a: Arr, b: Arr, gy: number, n: number, accumulate = false): T {
  return mseVjpA(outB, b, a, gy, n, accumulate);
}

/** Tangent of mse: (2/n)·Σ (a − b)(da − db); a null tangent is zero. */
export function mseJvp(a: Arr, da: Arr | null, b: Arr, db: Arr | null, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    s += (a[i] - b[i]) * ((da === null ? 0 : da[i]) - (db === null ? 0 : db[i]));
  }
  return (2 * s) / n;
}
