// Row and column kernels in WebAssembly SIMD over a rows×cols matrix (row-major, rows
// contiguous and not aligned: cols need not be a multiple of the lanes), byte addresses:
//
//   rowDots_<type>(a, x, out, rows, cols, acc)   out[i] (+)= Σ_j a[i,j]·x[j]  (matvec, dot)
//   rowSums_<type>(a, 0, out, rows, cols, acc)   out[i] (+)= Σ_j a[i,j]       (sumAxis1, sum)
//       summed in f64x2 in both types (f32 pairs promoted), as the JavaScript kernels sum
//       in double; four accumulators, then pairs, then an odd last entry;
//   columns_<type>(a, w, out, rows, cols, wStep)  out[j] += w_i·a[i,j] over the rows, w_i
//       at w + i·wStep (wStep 0: one weight for all; sumAxis0 passes 1, matvec with
//       transA the vector);
//   outer_<type>(y, x, out, rows, cols, xStep)  out[i,j] += x_i·y[j];
//       both in the element type, as the JavaScript kernels accumulate into `out` (the
//       caller zeroes `out` to overwrite).
import { Code, f64, i32, op, simd, v128, type Func } from "./asm.js";
import { F32, F64, fromF64, type Lanes } from "./lanes.js";

const UNROLL = 4;

/** Leaves entries 2j, 2j + 1 of the run at `addr` + `offset` bytes as an f64x2. */
function pair(c: Code, t: Lanes, addr: number, offset: number): Code {
  if (t.name === "f64") return c.get(addr).vmem(simd.v128_load, offset);
  return c.get(addr).vmem(simd.v128_load64_splat, offset).v(simd.f64x2_promote_low_f32x4);
}

/** Leaves one entry at `addr` as an f64. */
function entry(c: Code, t: Lanes, addr: number): Code {
  c.get(addr).mem(t.load);
  return t.name === "f32" ? c.emit(op.f64_promote_f32) : c;
}

function rowReduce(t: Lanes, dot: boolean): Code {
  const c = new Code([i32, i32, i32, i32, i32, i32]);
  const [ap, xp, outp, rows, cols, acc] = [0, 1, 2, 3, 4, 5];
  const [x, k] = [c.local(i32), c.local(i32)];
  const sums = Array.from({ length: UNROLL }, () => c.local(v128));
  const s = c.local(f64);
  const pairBytes = 2 * t.size;
  const term = (at: number, into: number) => {
    c.get(into);
    pair(c, t, ap, at * pairBytes);
    if (dot) pair(c, t, x, at * pairBytes).v(simd.f64x2_mul);
    c.v(simd.f64x2_add).set(into);
  };
  const advance = (bytes: number) => {
    c.get(ap).i32(bytes).emit(op.i32_add).set(ap);
    if (dot) c.get(x).i32(bytes).emit(op.i32_add).set(x);
  };
  c.whileDo(() => c.get(rows), () => {
    sums.forEach((v) => c.vzero().set(v));
    c.get(xp).set(x);
    c.get(cols).i32(1).emit(op.i32_shr_u).set(k);
    c.whileDo(() => c.get(k).i32(UNROLL).emit(op.i32_ge_u), () => {
      sums.forEach((v, u) => term(u, v));
      advance(UNROLL * pairBytes);
      c.get(k).i32(UNROLL).emit(op.i32_sub).set(k);
    });
    c.whileDo(() => c.get(k), () => {
      term(0, sums[0]);
      advance(pairBytes);
      c.get(k).i32(1).emit(op.i32_sub).set(k);
    });
    for (let u = 1; u < UNROLL; u++) c.get(sums[0]).get(sums[u]).v(simd.f64x2_add).set(sums[0]);
    c.get(sums[0]).lane(simd.f64x2_extract_lane, 0).get(sums[0]).lane(simd.f64x2_extract_lane, 1).emit(op.f64_add).set(s);
    c.get(cols).i32(1).emit(op.i32_and).ifElse(() => {
      c.get(s);
      entry(c, t, ap);
      if (dot) entry(c, t, x).emit(op.f64_mul);
      c.emit(op.f64_add).set(s);
      advance(t.size);
    });
    c.get(acc).ifElse(() => { c.get(s); entry(c, t, outp).emit(op.f64_add).set(s); });
    c.get(outp).get(s);
    fromF64(c, t);
    c.mem(t.store);
    c.get(outp).i32(t.size).emit(op.i32_add).set(outp);
    c.get(rows).i32(1).emit(op.i32_sub).set(rows);
  });
  return c;
}

/**
 * For each row i: dst += w_i·src over cols entries, vectors then single entries.
 * `columns` walks src through the matrix and restarts dst (the column sums) each row;
 * `outer` restarts src (the row vector y) and walks dst through the matrix.
 */
function rowUpdate(t: Lanes, kind: "columns" | "outer"): Code {
  const c = new Code([i32, i32, i32, i32, i32, i32]);
  const [srcp, wp, dstp, rows, cols, wStep] = [0, 1, 2, 3, 4, 5];
  const [src, dst, k] = [c.local(i32), c.local(i32), c.local(i32)];
  const [w, wv] = [c.local(t.scalar), c.local(v128)];
  const each = (count: () => void, step: () => void, bytes: number) => {
    count();
    c.set(k).whileDo(() => c.get(k), () => {
      step();
      c.get(src).i32(bytes).emit(op.i32_add).set(src);
      c.get(dst).i32(bytes).emit(op.i32_add).set(dst);
      c.get(k).i32(1).emit(op.i32_sub).set(k);
    });
  };
  c.get(srcp).set(src).get(dstp).set(dst);
  c.whileDo(() => c.get(rows), () => {
    c.get(wp).mem(t.load).tee(w).v(t.splat).set(wv);
    if (kind === "columns") c.get(dstp).set(dst);
    else c.get(srcp).set(src);
    each(() => c.get(cols).i32(Math.log2(t.lanes)).emit(op.i32_shr_u), () => {
      c.get(dst).get(dst).vmem(simd.v128_load).get(wv).get(src).vmem(simd.v128_load).v(t.mul).v(t.add).vmem(simd.v128_store);
    }, 16);
    each(() => c.get(cols).i32(t.lanes - 1).emit(op.i32_and), () => {
      c.get(dst).get(dst).mem(t.load).get(w).get(src).mem(t.load).emit(t.mulScalar, t.addScalar).mem(t.store);
    }, t.size);
    c.get(wp).get(wStep).emit(op.i32_add).set(wp);
    c.get(rows).i32(1).emit(op.i32_sub).set(rows);
  });
  return c;
}

export function reduceFuncs(): Func[] {
  return [F32, F64].flatMap((t) => [
    { code: rowReduce(t, true), exportAs: `rowDots_${t.name}` },
    { code: rowReduce(t, false), exportAs: `rowSums_${t.name}` },
    { code: rowUpdate(t, "columns"), exportAs: `columns_${t.name}` },
    { code: rowUpdate(t, "outer"), exportAs: `outer_${t.name}` },
  ]);
}
