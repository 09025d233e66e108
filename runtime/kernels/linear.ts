// Linear algebra: matmul (with transposes), matvec, outer, dot, bias add.
//
// Everything here is linear in each input (bilinear in the pair), so a JVP is
// the kernel applied with the tangent in one slot, summed over the slots:
// `matmulJvp`, `matvecJvp`, `outerJvp` do exactly that. `out` must not alias an input.
import type { Arr } from "./types.js";
import { dotRows, rowsTimesMatrix } from "./gemm.js";
import { dotRowsF64, rowsTimesMatrixF64 } from "./gemm-f64.js";
import { dotRowsF32, rowsTimesMatrixF32 } from "./gemm-f32.js";
import { wasmKernels } from "./wasm/backend.js";
import { wasmColumns, wasmMap, wasmOuter, wasmRows, wasmTotal } from "./wasm/calls.js";
import { wasmMatmul, worthWasm } from "./wasm/matmul.js";

/**
 * out (m×n) = op(A) · op(B), or out += op(A) · op(B) with `accumulate`.
 *
 * Shapes are those of the product, as in BLAS gemm: op(A) is m×k, op(B) is k×n.
 * A is stored m×k (row-major), or k×m when `transA`; B is stored k×n, or n×k
 * when `transB`. `out` must not alias `a` or `b`.
 *
 * Loop order: without transB, rows of out are accumulated from rows of B (i-k-j:
 * four rows of out and four of B at a time, B in L2-sized panels); with transB,
 * entries are dot products of contiguous rows (two rows by four columns of out
 * at a time, B in L2-sized blocks). With transA, A is read with stride m.
 *
 * V8 specialises a function's element accesses to the array types it has seen:
 * the same loop fed Float64Array and Float32Array in one program runs at about
 * half speed. So each element type (all Float64Array, all Float32Array, mixed)
 * runs loops of its own, and a mixed call slows no other: gemm.ts and two
 * checked-in copies of it, gemm-f64.ts and gemm-f32.ts (a test keeps them
 * identical apart from the names). Source copies, because the runtime never
 * evaluates strings (a page under a Content-Security-Policy without unsafe-eval
 * must run it) and closures of one function literal share their type feedback.
 *
 * With the WebAssembly backend (wasm/backend.ts) and out, a and b of one float type,
 * products of at least wasm/matmul.ts's MIN_WORK multiply-adds run in SIMD there.
 */
export function matmul<T extends Arr>(
  out: T, a: Arr, b: Arr, m: number, k: number, n: number,
  transA = false, transB = false, accumulate = false,
): T {
  if (out instanceof Float64Array && a instanceof Float64Array && b instanceof Float64Array) {
    if (inWasm(out, a, b, m, k, n, transA, transB, accumulate)) return out;
    if (!transB) rowsTimesMatrixF64(out, a, b, m, k, n, transA, accumulate);
    else dotRowsF64(out, a, b, m, k, n, transA, accumulate);
  } else if (out instanceof Float32Array && a instanceof Float32Array && b instanceof Float32Array) {
    if (inWasm(out, a, b, m, k, n, transA, transB, accumulate)) return out;
    if (!transB) rowsTimesMatrixF32(out, a, b, m, k, n, transA, accumulate);
    else dotRowsF32(out, a, b, m, k, n, transA, accumulate);
  } else if (!transB) rowsTimesMatrix(out, a, b, m, k, n, transA, accumulate);
  else dotRows(out, a, b, m, k, n, transA, accumulate);
  return out;
}

/** matmul in WebAssembly when the backend is "wasm" and the product is worth it; false if not run. */
function inWasm(out: Arr, a: Arr, b: Arr, m: number, k: number, n: number, transA: boolean, transB: boolean, accumulate: boolean): boolean {
  if (!worthWasm(m, k, n)) return false;
  const kernels = wasmKernels();
  return kernels !== null && wasmMatmul(kernels, out, a, b, m, k, n, transA, transB, accumulate);
}

/**
 * Ā for `matmul(out, a, b, m, k, n, transA, transB)` given ḡ = ∂L/∂out (m×n):
 * Ā = ḡ·op(B)ᵀ (m×k), stored transposed (k×m) when `transA`. Writes, or adds with `accumulate`.
 */
export function matmulVjpA<T extends Arr>(
  outA: T, b: Arr, gy: Arr, m: number, k: number, n: number,
  transA = false, transB = false, accumulate = false,
): T {
  if (!transA) return matmul(outA, gy, b, m, n, k, false, !transB, accumulate);
  // Ā stored k×m = op(B)·ḡᵀ
  return matmul(outA, b, gy, k, n, m, transB, true, accumulate);
}

/**
 * B̄ for `matmul(out, a, b, m, k, n, transA, transB)` given ḡ (m×n):
 * B̄ = op(A)ᵀ·ḡ (k×n), stored transposed (n×k) when `transB`.
 */
export function matmulVjpB<T extends Arr>(
  outB: T, a: Arr, gy: Arr, m: number, k: number, n: number,
  transA = false, transB = false, accumulate = false,
): T {
  if (!transB) return matmul(outB, a, gy, k, m, n, !transA, false, accumulate);
  // B̄ stored n×k = ḡᵀ·op(A)
  return matmul(outB, gy, a, n, m, k, true, transA, accumulate);
}

/** Tangent of matmul: out = op(dA)·op(B) + op(A)·op(dB); a null tangent is zero. */
export function matmulJvp<T extends Arr>(
  out: T, a: Arr, da: Arr | null, b: Arr, db: Arr | null, m: number, k: number, n: number,
  transA = false, transB = false,
): T {
  if (da === null && db === null) return out.fill(0, 0, m * n) as T;
  if (da !== null) matmul(out, da, b, m, k, n, transA, transB, false);
  if (db !== null) matmul(out, a, db, m, k, n, transA, transB, da !== null);
  return out;
}

/**
 * out = A·x (length m, x of length n), or out = Aᵀ·x (length n, x of length m)
 * when `transA`. A is stored m×n (row-major) in both cases, as in BLAS gemv.
 */
export function matvec<T extends Arr>(
  out: T, a: Arr, x: Arr, m: number, n: number, transA = false, accumulate = false,
): T {
  if (transA ? wasmColumns(out, a, x, m, n, accumulate) : wasmRows(out, a, x, m, n, accumulate)) return out;
  if (!transA) {
    for (let i = 0; i < m; i++) {
      const r = i * n;
      let s0 = 0, s1 = 0;
      let j = 0;
      for (; j + 3 < n; j += 4) {
        s0 += a[r + j] * x[j] + a[r + j + 2] * x[j + 2];
        s1 += a[r + j + 1] * x[j + 1] + a[r + j + 3] * x[j + 3];
      }
      for (; j < n; j++) s0 += a[r + j] * x[j];
      out[i] = accumulate ? out[i] + s0 + s1 : s0 + s1;
    }
    return out;
  }
  if (!accumulate) out.fill(0, 0, n);
  let i = 0;
  for (; i + 3 < m; i += 4) {
    const x0 = x[i], x1 = x[i + 1], x2 = x[i + 2], x3 = x[i + 3];
    const r0 = i * n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
    for (let j = 0; j < n; j++) out[j] += x0 * a[r0 + j] + x1 * a[r1 + j] + x2 * a[r2 + j] + x3 * a[r3 + j];
  }
  for (; i < m; i++) {
    const xi = x[i];
    const r = i * n;
    for (let j = 0; j < n; j++) out[j] += xi * a[r + j];
  }
  return out;
}

/** Ā (stored m×n) for `matvec(out, a, x, m, n, transA)`: ḡ·xᵀ, or x·ḡᵀ when `transA`. */
export function matvecVjpA<T extends Arr>(
  outA: T, x: Arr, gy: Arr, m: number, n: number, transA = false, accumulate = false,
): T {
  return transA ? outer(outA, x, gy, m, n, accumulate) : outer(outA, gy, x, m, n, accumulate);
}

/** x̄ for `matvec(out, a, x, m, n, transA)`: Aᵀ·ḡ, or A·ḡ when `transA`. */
export function matvecVjpX<T extends Arr>(
  outX: T, a: Arr, gy: Arr, m: number, n: number, transA = false, accumulate = false,
): T {
  return matvec(outX, a, gy, m, n, !transA, accumulate);
}

/** Tangent of matvec: out = op(dA)·x + op(A)·dx; a null tangent is zero. */
export function matvecJvp<T extends Arr>(
  out: T, a: Arr, da: Arr | null, x: Arr, dx: Arr | null, m: number, n: number, transA = false,
): T {
  const len = transA ? n : m;
  if (da === null && dx === null) return out.fill(0, 0, len) as T;
  if (da !== null) matvec(out, da, x, m, n, transA, false);
  if (dx !== null) matvec(out, a, dx, m, n, transA, da !== null);
  return out;
}

/** out (m×n) = x·yᵀ, out[i,j] = x[i]·y[j]; adds with `accumulate`. */
export function outer<T extends Arr>(out: T, x: Arr, y: Arr, m: number, n: number, accumulate = false): T {
  if (wasmOuter(out, x, y, m, n, accumulate)) return out;
  for (let i = 0; i < m; i++) {
    const xi = x[i];
    const r = i * n;
    if (accumulate) for (let j = 0; j < n; j++) out[r + j] += xi * y[j];
    else for (let j = 0; j < n; j++) out[r + j] = xi * y[j];
  }
  return out;
}

/** x̄ (length m) for `outer(out, x, y, m, n)`: ḡ·y. */
export function outerVjpX<T extends Arr>(outX: T, y: Arr, gy: Arr, m: number, n: number, accumulate = false): T {
  return matvec(outX, gy, y, m, n, false, accumulate);
}

/** ȳ (length n) for `outer(out, x, y, m, n)`: ḡᵀ·x. */
export function outerVjpY<T extends Arr>(outY: T, x: Arr, gy: Arr, m: number, n: number, accumulate = false): T {
  return matvec(outY, gy, x, m, n, true, accumulate);
}

/** Tangent of outer: out = dx·yᵀ + x·dyᵀ; a null tangent is zero. */
export function outerJvp<T extends Arr>(
  out: T, x: Arr, dx: Arr | null, y: Arr, dy: Arr | null, m: number, n: number,
): T {
  if (dx === null && dy === null) return out.fill(0, 0, m * n) as T;
  if (dx !== null) outer(out, dx, y, m, n, false);
  if (dy !== null) outer(out, x, dy, m, n, dx !== null);
  return out;
}

/** Σ a[i]·b[i] over i < n. ā = ḡ·b and b̄ = ḡ·a: see `scale` (elementwise.ts). */
export function dot(a: Arr, b: Arr, n: number): number {
  const inWasm = wasmTotal(a, b, n);
  if (inWasm !== null) return inWasm;
  let s0 = 0, s1 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += a[i] * b[i] + a[i + 2] * b[i + 2];
    s1 += a[i + 1] * b[i + 1] + a[i + 3] * b[i + 3];
  }
  for (; i < n; i++) s0 += a[i] * b[i];
  return s0 + s1;
}

/** Tangent of dot: da·b + a·db; a null tangent is zero. */
export function dotJvp(a: Arr, da: Arr | null, b: Arr, db: Arr | null, n: number): number {
  return (da === null ? 0 : dot(da, b, n)) + (db === null ? 0 : dot(a, db, n));
}

/**
 * out[i,j] = x[i,j] + bias[j] for a rows×cols x: the bias broadcast over rows.
 * `out` may be `x` (in place). Linear in (x, bias): x̄ = ḡ (`biasAddVjpX`),
 * b̄ = Σ_rows ḡ (`biasAddVjpBias`); JVP = `biasAdd(out, dx, dbias, …)`.
 */
export function biasAdd<T extends Arr>(out: T, x: Arr, bias: Arr, rows: number, cols: number): T {
  if (wasmMap("add", out, x, bias, rows * cols, 0, false, cols)) return out;
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    for (let j = 0; j < cols; j++) out[r + j] = x[r + j] + bias[j];
  }
  return out;
}

/** x̄ (rows×cols) for biasAdd: ḡ itself, copied (or added with `accumulate`). */
export function biasAddVjpX<T extends Arr>(outX: T, gy: Arr, rows: number, cols: number, accumulate = false): T {
  const len = rows * cols;
  if (accumulate && wasmMap("scale", outX, gy, null, len, 1, true)) return outX;
  if (accumulate) for (let i = 0; i < len; i++) outX[i] += gy[i];
  else for (let i = 0; i < len; i++) outX[i] = gy[i];
  return outX;
}

/** b̄ (length cols) for biasAdd: the column sums of ḡ (rows×cols). */
export function biasAddVjpBias<T extends Arr>(outB: T, gy: Arr, rows: number, cols: number, accumulate = false): T {
  if (wasmColumns(outB, gy, null, rows, cols, accumulate)) return outB;
  if (!accumulate) outB.fill(0, 0, cols);
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    for (let j = 0; j < cols; j++) outB[j] += gy[r + j];
  }
  return outB;
}
