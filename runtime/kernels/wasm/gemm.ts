// The matmul kernels in WebAssembly SIMD, one set per element type (f32x4, f64x2):
//
//   pack(src, sL, sC, dst, len, count, W)   gathers op(B) (k×n, any strides) into strips
//       of W columns, each strip k rows of W contiguous values, zero past column n;
//   packStrips(src, sL, dst, len, strips)   the same for whole strips of a B with
//       contiguous rows, a vector copy (V per row of a strip);
//   packStripsT(src, rowBytes, dst, len, strips)   the same for a B stored transposed,
//       gathered lane by lane (load_lane);
//   gemm(a, rs, ps, b, c, mp, k, np, acc)   C (mp×np, row-major) (+)= op(A)·B over the
//       packed B, where op(A)[i,p] is at a + i·rs + p·ps (strides in bytes);
//   micro(...)                              one R×W block of C over kc steps of p.
//
// All addresses and strides are in bytes. The micro-kernel keeps its R×W block of C in
// R·V vector locals for the whole run of kc steps: per step V vector loads of B, R
// splat loads of A and R·V multiply-adds, no load or store of C. gemm walks p in panels
// of KC (a strip of B, KC×W, stays in L1) and rows in blocks of MC (MC×KC of A stays in
// L2); C is loaded and stored once per panel. mp is a multiple of R, np of W; rows of
// op(A) past m may hold anything (they only reach rows of C that are not copied out).
import { Code, i32, op, simd, v128, type Func } from "./asm.js";
import { F32, F64, type Lanes } from "./lanes.js";

/**
 * Register block (R rows × V vectors of C) and cache blocking, per element type.
 * Measured at n = 256 (GFLOP/s f32 / f64, node 20, x64): R 4 × V 2 36 / 18; 6 × 2
 * 24 / 12 and 4 × 3 25 / 12 (more vector locals than the 16 registers: spills);
 * 3 × 4 6 / 3. KC 128 or 512 and MC 32 or 128 were no faster at n = 1,024, and
 * the k loop unrolled twice was slower (29 against 37 in f32).
 */
export interface Blocking { R: number; V: number; KC: number; MC: number }
export const BLOCKING: Record<"f32" | "f64", Blocking> = {
  f32: { R: 4, V: 2, KC: 256, MC: 64 },
  f64: { R: 4, V: 2, KC: 256, MC: 64 },
};

/** Columns per strip of packed B. */
export function stripWidth(type: "f32" | "f64"): number {
  return BLOCKING[type].V * (type === "f32" ? 4 : 2);
}

function micro(t: Lanes, { R, V }: Blocking): Code {
  const c = new Code([i32, i32, i32, i32, i32, i32, i32, i32]);
  const [ap, rs, ps, bp, cp, ldc, kc, load] = [0, 1, 2, 3, 4, 5, 6, 7];
  const rows = [ap, ...Array.from({ length: R - 1 }, () => c.local(i32))];
  const cr = c.local(i32);
  const acc = Array.from({ length: R }, () => Array.from({ length: V }, () => c.local(v128)));
  const b = Array.from({ length: V }, () => c.local(v128));
  const a = c.local(v128);
  for (let r = 1; r < R; r++) c.get(rows[r - 1]).get(rs).emit(op.i32_add).set(rows[r]);
  const eachRowOfC = (body: (r: number) => void) => {
    c.get(cp).set(cr);
    for (let r = 0; r < R; r++) {
      body(r);
      c.get(cr).get(ldc).emit(op.i32_add).set(cr);
    }
  };
  c.get(load).ifElse(
    () => eachRowOfC((r) => acc[r].forEach((x, v) => c.get(cr).vmem(simd.v128_load, 16 * v).set(x))),
    () => acc.flat().forEach((x) => c.vzero().set(x)),
  );
  c.doWhile(() => {
    b.forEach((x, v) => c.get(bp).vmem(simd.v128_load, 16 * v).set(x));
    for (let r = 0; r < R; r++) {
      c.get(rows[r]).vmem(t.splatLoad).set(a);
      acc[r].forEach((x, v) => c.get(x).get(a).get(b[v]).v(t.mul).v(t.add).set(x));
    }
    for (const row of rows) c.get(row).get(ps).emit(op.i32_add).set(row);
    c.get(bp).i32(16 * V).emit(op.i32_add).set(bp);
  }, () => c.get(kc).i32(1).emit(op.i32_sub).tee(kc));
  eachRowOfC((r) => acc[r].forEach((x, v) => c.get(cr).get(x).vmem(simd.v128_store, 16 * v)));
  return c;
}

/** Leaves min(x, y) of two i32 locals (signed) on the stack. */
function min(c: Code, x: number, y: number): Code {
  return c.get(x).get(y).get(x).get(y).emit(op.i32_lt_s, op.select);
}

/** local += step (an i32 constant or, with `fromLocal`, another local). */
function addTo(c: Code, local: number, step: number, fromLocal = false): Code {
  c.get(local);
  if (fromLocal) c.get(step);
  else c.i32(step);
  return c.emit(op.i32_add).set(local);
}

function gemm(t: Lanes, { R, V, KC, MC }: Blocking, microIndex: number): Code {
  const c = new Code([i32, i32, i32, i32, i32, i32, i32, i32, i32]);
  const [ap, rs, ps, bp, cp, mp, k, np, acc] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [p0, kc, load, i0, i1, s, i, ldc, strips, left, block] = Array.from({ length: 11 }, () => c.local(i32));
  const W = V * t.lanes;
  c.get(np).i32(t.size).emit(op.i32_mul).set(ldc);
  c.get(np).i32(W).emit(op.i32_div_u).set(strips);
  c.i32(KC).set(block);
  c.doWhile(() => {
    c.get(k).get(p0).emit(op.i32_sub).set(left);
    min(c, left, block).set(kc);
    c.get(acc).get(p0).emit(op.i32_or).set(load); // accumulate into C after the first panel
    c.i32(0).set(i0);
    c.doWhile(() => {
      c.get(i0).i32(MC).emit(op.i32_add).set(i1);
      min(c, i1, mp).set(i1);
      c.i32(0).set(s);
      c.doWhile(() => {
        c.get(i0).set(i);
        c.doWhile(() => {
          // micro(ap + i·rs + p0·ps, rs, ps, bp + (s·k + p0)·W·size, cp + i·ldc + s·W·size, ldc, kc, load)
          c.get(ap).get(i).get(rs).emit(op.i32_mul, op.i32_add).get(p0).get(ps).emit(op.i32_mul, op.i32_add);
          c.get(rs).get(ps);
          c.get(bp).get(s).get(k).emit(op.i32_mul).get(p0).emit(op.i32_add).i32(W * t.size).emit(op.i32_mul, op.i32_add);
          c.get(cp).get(i).get(ldc).emit(op.i32_mul, op.i32_add).get(s).i32(W * t.size).emit(op.i32_mul, op.i32_add);
          c.get(ldc).get(kc).get(load).call(microIndex);
        }, () => addTo(c, i, R).get(i).get(i1).emit(op.i32_lt_s));
      }, () => addTo(c, s, 1).get(s).get(strips).emit(op.i32_lt_s));
    }, () => addTo(c, i0, MC).get(i0).get(mp).emit(op.i32_lt_s));
  }, () => addTo(c, p0, KC).get(p0).get(k).emit(op.i32_lt_s));
  return c;
}

/**
 * dst ← op(B) in strips of W columns: for each strip, for p < len, the W values
 * src[p·sL + j·sC] of columns j of the strip, 0 for j ≥ count.
 */
function pack(t: Lanes): Code {
  const c = new Code([i32, i32, i32, i32, i32, i32, i32]);
  const [src, sL, sC, dst, len, count, W] = [0, 1, 2, 3, 4, 5, 6];
  const [j0, p, row, j, at] = Array.from({ length: 5 }, () => c.local(i32));
  c.doWhile(() => {
    c.i32(0).set(p);
    c.get(src).get(j0).get(sC).emit(op.i32_mul, op.i32_add).set(row);
    c.doWhile(() => {
      c.get(j0).set(j);
      c.get(row).set(at);
      c.doWhile(() => {
        c.get(j).get(count).emit(op.i32_lt_s).ifElse(
          () => c.get(dst).get(at).mem(t.load).mem(t.store),
          () => c.get(dst).zero(t.scalar).mem(t.store),
        );
        addTo(c, dst, t.size);
        addTo(c, at, sC, true);
      }, () => addTo(c, j, 1).get(j).get(j0).emit(op.i32_sub).get(W).emit(op.i32_lt_s));
      addTo(c, row, sL, true);
    }, () => addTo(c, p, 1).get(p).get(len).emit(op.i32_lt_s));
  }, () => addTo(c, j0, W, true).get(j0).get(count).emit(op.i32_lt_s));
  return c;
}

/**
 * pack for whole strips of a B whose rows are contiguous (sC = element size): each of
 * the `strips` strips is, per row p < len, V vectors copied from src + p·sL + s·W·size.
 */
function packStrips({ V }: Blocking): Code {
  const c = new Code([i32, i32, i32, i32, i32]);
  const [src, sL, dst, len, strips] = [0, 1, 2, 3, 4];
  const [s, p, row] = Array.from({ length: 3 }, () => c.local(i32));
  const stripBytes = 16 * V;
  c.doWhile(() => {
    c.get(src).get(s).i32(stripBytes).emit(op.i32_mul, op.i32_add).set(row);
    c.get(len).set(p);
    c.doWhile(() => {
      for (let v = 0; v < V; v++) c.get(dst).get(row).vmem(simd.v128_load, 16 * v).vmem(simd.v128_store, 16 * v);
      addTo(c, dst, stripBytes);
      addTo(c, row, sL, true);
    }, () => c.get(p).i32(1).emit(op.i32_sub).tee(p));
  }, () => addTo(c, s, 1).get(s).get(strips).emit(op.i32_lt_s));
  return c;
}

/**
 * pack for whole strips of a B stored transposed (n×k, column j of op(B) is row j of B):
 * for each of the `strips` strips and each p < len, the W values at
 * src + (s·W + c)·rowBytes + p·size, gathered into V vectors lane by lane.
 */
function packStripsTransposed(t: Lanes, { V }: Blocking): Code {
  const c = new Code([i32, i32, i32, i32, i32]);
  const [src, rowBytes, dst, len, strips] = [0, 1, 2, 3, 4];
  const W = V * t.lanes;
  const [s, p] = [c.local(i32), c.local(i32)];
  const rows = Array.from({ length: W }, () => c.local(i32));
  const vec = c.local(v128);
  c.doWhile(() => {
    rows.forEach((row, j) => {
      c.get(s).i32(W).emit(op.i32_mul).i32(j).emit(op.i32_add).get(rowBytes).emit(op.i32_mul).get(src).emit(op.i32_add).set(row);
    });
    c.get(len).set(p);
    c.doWhile(() => {
      for (let v = 0; v < V; v++) {
        for (let lane = 0; lane < t.lanes; lane++) c.get(rows[v * t.lanes + lane]).get(vec).loadLane(t.laneLoad, lane).set(vec);
        c.get(dst).get(vec).vmem(simd.v128_store, 16 * v);
      }
      addTo(c, dst, 16 * V);
      for (const row of rows) addTo(c, row, t.size);
    }, () => c.get(p).i32(1).emit(op.i32_sub).tee(p));
  }, () => addTo(c, s, 1).get(s).get(strips).emit(op.i32_lt_s));
  return c;
}

/** The kernel functions of both element types, exported as gemm_f32, pack_f64, …. */
export function gemmFuncs(): Func[] {
  const funcs: Func[] = [];
  for (const t of [F32, F64]) {
    const blocking = BLOCKING[t.name];
    if (blocking.MC % blocking.R !== 0) throw new RangeError("gemm: MC must be a multiple of R");
    const microIndex = funcs.length;
    funcs.push({ code: micro(t, blocking) });
    funcs.push({ code: gemm(t, blocking, microIndex), exportAs: `gemm_${t.name}` });
    funcs.push({ code: pack(t), exportAs: `pack_${t.name}` });
    funcs.push({ code: packStrips(blocking), exportAs: `packStrips_${t.name}` });
    funcs.push({ code: packStripsTransposed(t, blocking), exportAs: `packStripsT_${t.name}` });
  }
  return funcs;
}
