// The two hot loops of matmul (linear.ts), for any mix of element types. gemm-f64.ts
// and gemm-f32.ts hold copies of them for one element type each: see `matmul`.
import type { Arr } from "./types.js";

// out[i,:] (+)= Σ_p a(i,p) · b[p,:], where a(i,p) = a[i*k+p], or a[p*m+i] when transA.
// B is walked in panels of rows that fit in L2 (about 512 KB in float64); within a
// panel, four rows of out are updated from four rows of B at a time (16 products of
// A held in locals, 32 flops per 4 loads of B and 4 load-stores of out).
export function rowsTimesMatrix(out: Arr, a: Arr, b: Arr, m: number, k: number, n: number, transA: boolean, acc: boolean): void {
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
export function dotRows(out: Arr, a: Arr, b: Arr, m: number, k: number, n: number, transA: boolean, acc: boolean): void {
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
