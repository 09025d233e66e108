// Linear algebra: matmul (with transposes), matvec, outer, dot, bias add.
//
// Everything here is linear in each input (bilinear in the pair), so a JVP is
// the kernel applied with the tangent in one slot, summed over the slots:
// `matmulJvp`, `matvecJvp`, `outerJvp` do exactly that. `out` must not alias an input.
import type { Arr } from "./types.js";

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
 * at a time, B in L2-sized blocks). With transA, A is read with stride m. Each
 * element type (all Float64Array, all Float32Array, mixed) runs its own compiled
 * copy of these loops, so V8 keeps each one monomorphic (see `specialise`).
 */
export function matmul<T extends Arr>(
  out: T, a: Arr, b: Arr, m: number, k: number, n: number,
  transA = false, transB = false, accumulate = false,
): T {
  const loops =
    out instanceof Float64Array && a instanceof Float64Array && b instanceof Float64Array ? LOOPS_F64
    : out instanceof Float32Array && a instanceof Float32Array && b instanceof Float32Array ? LOOPS_F32
    : LOOPS_MIXED;
  if (!transB) loops.rowsTimesMatrix(out, a, b, m, k, n, transA, accumulate);
  else loops.dotRows(out, a, b, m, k, n, transA, accumulate);
  return out;
}

// out[i,:] (+)= Σ_p a(i,p) · b[p,:], where a(i,p) = a[i*k+p], or a[p*m+i] when transA.
// B is walked in panels of rows that fit in L2 (about 512 KB in float64); within a
// panel, four rows of out are updated from four rows of B at a time (16 products of
// A held in locals, 32 flops per 4 loads of B and 4 load-stores of out).
function rowsTimesMatrix(out: Arr, a: Arr, b: Arr, m: number, k: number, n: number, transA: boolean, acc: boolean): void {
  if (!acc) out.fill(0, 0, m * n);
  const rs = transA ? 1 : k; // from a(i,p) to a(i+1,p)
  const ps = transA ? m : 1; // from a(i,p) to a(i,p+1)
  const panel = Math.max(16, Math.floor(65536 / Math.max(n, 1)) & ~3);
  for (let p0 = 0; p0 < k; p0 += panel) {
    const p1 = Math.min(k, p0 + panel);
    let i = 0;
    for (; i + 3 < m; i += 4) {
      const o0 = i * n, o1 = o0 + n, o2 = o1 + n, o3 = o2 + n;
      let p = p0;
      for (; p + 3 < p1; p += 4) {
        const q0 = i * rs + p * ps, q1 = q0 + rs, q2 = q1 + rs, q3 = q2 + rs;
        const a00 = a[q0], a01 = a[q0 + ps], a02 = a[q0 + 2 * ps], a03 = a[q0 + 3 * ps];
        const a10 = a[q1], a11 = a[q1 + ps], a12 = a[q1 + 2 * ps], a13 = a[q1 + 3 * ps];
        const a20 = a[q2], a21 = a[q2 + ps], a22 = a[q2 + 2 * ps], a23 = a[q2 + 3 * ps];
        const a30 = a[q3], a31 = a[q3 + ps], a32 = a[q3 + 2 * ps], a33 = a[q3 + 3 * ps];
        const b0 = p * n, b1 = b0 + n, b2 = b1 + n, b3 = b2 + n;
        for (let j = 0; j < n; j++) {
          const x0 = b[b0 + j], x1 = b[b1 + j], x2 = b[b2 + j], x3 = b[b3 + j];
          out[o0 + j] += a00 * x0 + a01 * x1 + a02 * x2 + a03 * x3;
          out[o1 + j] += a10 * x0 + a11 * x1 + a12 * x2 + a13 * x3;
          out[o2 + j] += a20 * x0 + a21 * x1 + a22 * x2 + a23 * x3;
          out[o3 + j] += a30 * x0 + a31 * x1 + a32 * x2 + a33 * x3;
        }
      }
      for (; p < p1; p++) {
        const q0 = i * rs + p * ps;
        const a0 = a[q0], a1 = a[q0 + rs], a2 = a[q0 + 2 * rs], a3 = a[q0 + 3 * rs];
        const b0 = p * n;
        for (let j = 0; j < n; j++) {
          const x = b[b0 + j];
          out[o0 + j] += a0 * x;
          out[o1 + j] += a1 * x;
          out[o2 + j] += a2 * x;
          out[o3 + j] += a3 * x;
        }
      }
    }
    for (; i < m; i++) {
      const o0 = i * n;
      let p = p0;
      for (; p + 3 < p1; p += 4) {
        const q = i * rs + p * ps;
        const a0 = a[q], a1 = a[q + ps], a2 = a[q + 2 * ps], a3 = a[q + 3 * ps];
        const b0 = p * n, b1 = b0 + n, b2 = b1 + n, b3 = b2 + n;
        for (let j = 0; j < n; j++) {
          out[o0 + j] += a0 * b[b0 + j] + a1 * b[b1 + j] + a2 * b[b2 + j] + a3 * b[b3 + j];
        }
      }
      for (; p < p1; p++) {
        const a0 = a[i * rs + p * ps];
        const b0 = p * n;
        for (let j = 0; j < n; j++) out[o0 + j] += a0 * b[b0 + j];
      }
    }
  }
}

// out[i,j] (+)= Σ_p a(i,p) · b[j*k+p]: B stored n×k, its rows are contiguous.
// Two rows of out by four columns at a time (8 running sums, 6 loads per 16
// flops), over blocks of B rows that fit in L2 (about 512 KB in float64).
function dotRows(out: Arr, a: Arr, b: Arr, m: number, k: number, n: number, transA: boolean, acc: boolean): void {
  const rs = transA ? 1 : k;
  const ps = transA ? m : 1;
  const block = Math.max(4, Math.floor(65536 / Math.max(k, 1)) & ~3);
  for (let j0 = 0; j0 < n; j0 += block) {
    const j1 = Math.min(n, j0 + block);
    let i = 0;
    for (; i + 1 < m; i += 2) {
      const r0 = i * rs, r1 = r0 + rs;
      const o0 = i * n, o1 = o0 + n;
      let j = j0;
      for (; j + 3 < j1; j += 4) {
        const b0 = j * k, b1 = b0 + k, b2 = b1 + k, b3 = b2 + k;
        let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
        for (let p = 0, q = 0; p < k; p++, q += ps) {
          const x = a[r0 + q], y = a[r1 + q];
          const c0 = b[b0 + p], c1 = b[b1 + p], c2 = b[b2 + p], c3 = b[b3 + p];
          s00 += x * c0; s01 += x * c1; s02 += x * c2; s03 += x * c3;
          s10 += y * c0; s11 += y * c1; s12 += y * c2; s13 += y * c3;
        }
        if (acc) {
          out[o0 + j] += s00; out[o0 + j + 1] += s01; out[o0 + j + 2] += s02; out[o0 + j + 3] += s03;
          out[o1 + j] += s10; out[o1 + j + 1] += s11; out[o1 + j + 2] += s12; out[o1 + j + 3] += s13;
        } else {
          out[o0 + j] = s00; out[o0 + j + 1] = s01; out[o0 + j + 2] = s02; out[o0 + j + 3] = s03;
          out[o1 + j] = s10; out[o1 + j + 1] = s11; out[o1 + j + 2] = s12; out[o1 + j + 3] = s13;
        }
      }
      for (; j < j1; j++) {
        const b0 = j * k;
        let s0 = 0, s1 = 0;
        for (let p = 0, q = 0; p < k; p++, q += ps) {
          const c = b[b0 + p];
          s0 += a[r0 + q] * c;
          s1 += a[r1 + q] * c;
        }
        out[o0 + j] = acc ? out[o0 + j] + s0 : s0;
        out[o1 + j] = acc ? out[o1 + j] + s1 : s1;
      }
    }
    if (i < m) {
      const r = i * rs;
      const o = i * n;
      for (let j = j0; j < j1; j++) {
        const b0 = j * k;
        let s = 0;
        for (let p = 0, q = 0; p < k; p++, q += ps) s += a[r + q] * b[b0 + p];
        out[o + j] = acc ? out[o + j] + s : s;
      }
    }
  }
}

// V8 specialises a function's element accesses to the array types it has seen:
// the same loop called with both Float64Array and Float32Array in one program
// runs at about half speed. So the two hot loops get one compiled copy per element
// type: the same source compiled again (`new Function`, as the run-time compile
// path does), which gives V8 separate type feedback. Where that is not allowed (a
// Content-Security-Policy without unsafe-eval) or the copy misbehaves (source
// rewritten by instrumentation), the shared originals are used: same results,
// slower when types are mixed.
type Loop = typeof rowsTimesMatrix;
interface Loops { rowsTimesMatrix: Loop; dotRows: Loop }
const LOOPS_MIXED: Loops = { rowsTimesMatrix, dotRows };
const LOOPS_F64 = specialise(Float64Array);
const LOOPS_F32 = specialise(Float32Array);

function specialise(T: Float64ArrayConstructor | Float32ArrayConstructor): Loops {
  try {
    const copy = (f: Loop): Loop => new Function(`return (${f.toString()});`)() as Loop;
    const loops = { rowsTimesMatrix: copy(rowsTimesMatrix), dotRows: copy(dotRows) };
    // 2×2 check, both paths: [1 2; 3 4]·[1 2; 3 4] = [7 10; 15 22]
    const x = T.of(1, 2, 3, 4), y = new T(4), z = new T(4);
    loops.rowsTimesMatrix(y, x, x, 2, 2, 2, false, false);
    loops.dotRows(z, x, T.of(1, 3, 2, 4), 2, 2, 2, false, false);
    const ok = [7, 10, 15, 22].every((v, i) => y[i] === v && z[i] === v);
    return ok ? loops : LOOPS_MIXED;
  } catch {
    return LOOPS_MIXED;
  }
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
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    for (let j = 0; j < cols; j++) out[r + j] = x[r + j] + bias[j];
  }
  return out;
}

/** x̄ (rows×cols) for biasAdd: ḡ itself, copied (or added with `accumulate`). */
export function biasAddVjpX<T extends Arr>(outX: T, gy: Arr, rows: number, cols: number, accumulate = false): T {
  const len = rows * cols;
  if (accumulate) for (let i = 0; i < len; i++) outX[i] += gy[i];
  else for (let i = 0; i < len; i++) outX[i] = gy[i];
  return outX;
}

/** b̄ (length cols) for biasAdd: the column sums of ḡ (rows×cols). */
export function biasAddVjpBias<T extends Arr>(outB: T, gy: Arr, rows: number, cols: number, accumulate = false): T {
  if (!accumulate) outB.fill(0, 0, cols);
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    for (let j = 0; j < cols; j++) outB[j] += gy[r + j];
  }
  return outB;
}
