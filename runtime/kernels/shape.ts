// Shape kernels: transpose, reshape, slice, concat. All are linear and only
// re-index: each JVP is the kernel applied to the tangent, each VJP moves ḡ back
// to where the entry came from.
//
// Views. Data is row-major, so a reshape keeps every entry where it is: `reshape`
// returns the same buffer. A range of entries, or a range of rows, is contiguous:
// `slice` and `sliceRows` return `subarray` views sharing memory with their input
// (writing the view writes the input; creating one allocates a small view object,
// never a copy of the data). A range of columns is not contiguous: `sliceCols` copies.
import type { Arr } from "./types.js";

const BLOCK = 32;

/** out (cols×rows) = xᵀ for x (rows×cols), in cache-sized blocks. `out` must not alias x. */
export function transpose<T extends Arr>(out: T, x: Arr, rows: number, cols: number): T {
  for (let i0 = 0; i0 < rows; i0 += BLOCK) {
    const i1 = Math.min(rows, i0 + BLOCK);
    for (let j0 = 0; j0 < cols; j0 += BLOCK) {
      const j1 = Math.min(cols, j0 + BLOCK);
      for (let i = i0; i < i1; i++) {
        const r = i * cols;
        for (let j = j0; j < j1; j++) out[j * rows + i] = x[r + j];
      }
    }
  }
  return out;
}

/** x̄ (rows×cols) for `transpose(out, x, rows, cols)`: ḡᵀ, with ḡ cols×rows. */
export function transposeVjp<T extends Arr>(out: T, gy: Arr, rows: number, cols: number, accumulate = false): T {
  if (!accumulate) return transpose(out, gy, cols, rows);
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    for (let j = 0; j < cols; j++) out[r + j] += gy[j * rows + i];
  }
  return out;
}

/**
 * Reshape to rows×cols: returns `x` itself (row-major data needs no copy).
 * Throws if rows·cols ≠ x.length. Its VJP is the same: ḡ reinterpreted.
 */
export function reshape<T extends Arr>(x: T, rows: number, cols: number): T {
  if (rows * cols !== x.length) {
    throw new RangeError(`reshape: ${x.length} entries cannot be viewed as ${rows}×${cols}`);
  }
  return x;
}

/** Entries start … end−1 of x, as a view (no copy). */
export function slice<T extends Arr>(x: T, start: number, end: number): T {
  return x.subarray(start, end) as T;
}

/** Rows start … end−1 of x (rows×cols), as a view (no copy). */
export function sliceRows<T extends Arr>(x: T, cols: number, start: number, end: number): T {
  return x.subarray(start * cols, end * cols) as T;
}

/** x̄ (n entries) for `slice(x, start, end)`: ḡ in start … end−1, zero elsewhere. */
export function sliceVjp<T extends Arr>(out: T, gy: Arr, n: number, start: number, end: number, accumulate = false): T {
  if (!accumulate) {
    out.fill(0, 0, start);
    out.fill(0, end, n);
  }
  for (let i = start; i < end; i++) out[i] = accumulate ? out[i] + gy[i - start] : gy[i - start];
  return out;
}

/** x̄ (rows×cols) for `sliceRows(x, cols, start, end)`. */
export function sliceRowsVjp<T extends Arr>(
  out: T, gy: Arr, rows: number, cols: number, start: number, end: number, accumulate = false,
): T {
  return sliceVjp(out, gy, rows * cols, start * cols, end * cols, accumulate);
}

/** out (rows×(end−start)) = columns start … end−1 of x (rows×cols), copied. */
export function sliceCols<T extends Arr>(out: T, x: Arr, rows: number, cols: number, start: number, end: number): T {
  const w = end - start;
  for (let i = 0; i < rows; i++) {
    const r = i * cols + start;
    const o = i * w;
    for (let j = 0; j < w; j++) out[o + j] = x[r + j];
  }
  return out;
}

/** x̄ (rows×cols) for sliceCols: ḡ (rows×(end−start)) in those columns, zero elsewhere. */
export function sliceColsVjp<T extends Arr>(
  out: T, gy: Arr, rows: number, cols: number, start: number, end: number, accumulate = false,
): T {
  const w = end - start;
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    if (!accumulate) {
      out.fill(0, r, r + start);
      out.fill(0, r + end, r + cols);
    }
    for (let j = 0; j < w; j++) {
      out[r + start + j] = accumulate ? out[r + start + j] + gy[i * w + j] : gy[i * w + j];
    }
  }
  return out;
}

/** out ((rowsA+rowsB)×cols) = a (rowsA×cols) stacked above b (rowsB×cols). */
export function concatRows<T extends Arr>(out: T, a: Arr, b: Arr, rowsA: number, rowsB: number, cols: number): T {
  const na = rowsA * cols;
  const nb = rowsB * cols;
  for (let i = 0; i < na; i++) out[i] = a[i];
  for (let i = 0; i < nb; i++) out[na + i] = b[i];
  return out;
}

/** ā for concatRows: the first rowsA rows of ḡ. */
export function concatRowsVjpA<T extends Arr>(
  outA: T, gy: Arr, rowsA: number, _rowsB: number, cols: number, accumulate = false,
): T {
  const na = rowsA * cols;
  for (let i = 0; i < na; i++) outA[i] = accumulate ? outA[i] + gy[i] : gy[i];
  return outA;
}

/** b̄ for concatRows: the last rowsB rows of ḡ. */
export function concatRowsVjpB<T extends Arr>(
  outB: T, gy: Arr, rowsA: number, rowsB: number, cols: number, accumulate = false,
): T {
  const na = rowsA * cols;
  const nb = rowsB * cols;
  for (let i = 0; i < nb; i++) outB[i] = accumulate ? outB[i] + gy[na + i] : gy[na + i];
  return outB;
}

/** out (rows×(colsA+colsB)) = [a | b], a rows×colsA beside b rows×colsB. */
export function concatCols<T extends Arr>(out: T, a: Arr, b: Arr, rows: number, colsA: number, colsB: number): T {
  const w = colsA + colsB;
  for (let i = 0; i < rows; i++) {
    const o = i * w;
    const ra = i * colsA;
    const rb = i * colsB;
    for (let j = 0; j < colsA; j++) out[o + j] = a[ra + j];
    for (let j = 0; j < colsB; j++) out[o + colsA + j] = b[rb + j];
  }
  return out;
}

/** ā for concatCols: the first colsA columns of ḡ. */
export function concatColsVjpA<T extends Arr>(
  outA: T, gy: Arr, rows: number, colsA: number, colsB: number, accumulate = false,
): T {
  const w = colsA + colsB;
  for (let i = 0; i < rows; i++) {
    const o = i * w;
    const ra = i * colsA;
    for (let j = 0; j < colsA; j++) outA[ra + j] = accumulate ? outA[ra + j] + gy[o + j] : gy[o + j];
  }
  return outA;
}

/** b̄ for concatCols: the last colsB columns of ḡ. */
export function concatColsVjpB<T extends Arr>(
  outB: T, gy: Arr, rows: number, colsA: number, colsB: number, accumulate = false,
): T {
  const w = colsA + colsB;
  for (let i = 0; i < rows; i++) {
    const o = i * w + colsA;
    const rb = i * colsB;
    for (let j = 0; j < colsB; j++) outB[rb + j] = accumulate ? outB[rb + j] + gy[o + j] : gy[o + j];
  }
  return outB;
}
