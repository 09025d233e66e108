// Row-wise softmax for float32 in WebAssembly SIMD, computed in f64x2 (f32 pairs
// promoted) with the exp of transcendental.ts, over rows×cols matrices (rows contiguous,
// not aligned), byte addresses:
//
//   rowStats_f32(x, out, stats, rows, cols)    per row i: m = max_j x[i,j] (NaN entries
//       skipped, as the JavaScript loop's `v > m` does) and s = Σ_j e^{x[i,j] − m}, stored
//       as two f64 at stats + 16i (the caller takes log s: WebAssembly has no log);
//   rowSoftmax_f32(x, out, stats, rows, cols)  the same, and out[i,j] = e^{x − m} / s,
//       rounded as the JavaScript kernel rounds it (e stored to float32, then times 1/s);
//   rowShift_f32(x, shifts, out, rows, cols)   out[i,j] = x[i,j] − shift_i (f64 shifts):
//       log-softmax from the log-sum-exps.
import { Code, i32, op, simd, v128, type Func } from "./asm.js";
import { exp } from "./transcendental.js";

const SWAP = [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7]; // the two f64 lanes exchanged

/** Leaves entries at `addr` (a pair, or with `one` a single entry in both lanes) as an f64x2. */
function load(c: Code, addr: number, one = false): Code {
  return c.get(addr).vmem(one ? simd.v128_load32_splat : simd.v128_load64_splat).v(simd.f64x2_promote_low_f32x4);
}

/** Stores the f64x2 `value` at `addr` as a float32 pair (or, with `one`, its first lane). */
function store(c: Code, addr: number, value: number, one = false): Code {
  if (one) return c.get(addr).get(value).lane(simd.f64x2_extract_lane, 0).emit(op.f32_demote_f64).mem(op.f32_store);
  return c.get(addr).get(value).v(simd.f32x4_demote_f64x2_zero).storeLane64(0);
}

/**
 * Each pair of the row at `start`, then `afterPairs`, then its odd last entry (`one`);
 * `at` walks the row.
 */
function eachEntry(c: Code, start: number, cols: number, at: number, k: number, body: (one: boolean) => void, afterPairs = () => {}): void {
  c.get(start).set(at);
  c.get(cols).i32(1).emit(op.i32_shr_u).set(k);
  c.whileDo(() => c.get(k), () => {
    body(false);
    c.get(at).i32(8).emit(op.i32_add).set(at);
    c.get(k).i32(1).emit(op.i32_sub).set(k);
  });
  afterPairs();
  c.get(cols).i32(1).emit(op.i32_and).ifElse(() => body(true));
}

/** Both lanes of `v` become lane 0 (op) lane 1. */
function fold(c: Code, v: number, opcode: number): void {
  c.get(v).get(v).get(v).shuffle(SWAP).v(opcode).set(v);
}

/** x and out to their next row (cols float32), the per-row pointer on by `rowBytes`, one row fewer left. */
function nextRow(c: Code, xp: number, outp: number, cols: number, perRow: number, rowBytes: number, rows: number): void {
  for (const p of [xp, outp]) c.get(p).get(cols).i32(4).emit(op.i32_mul, op.i32_add).set(p);
  c.get(perRow).i32(rowBytes).emit(op.i32_add).set(perRow);
  c.get(rows).i32(1).emit(op.i32_sub).set(rows);
}

function rowStats(write: boolean): Code {
  const c = new Code([i32, i32, i32, i32, i32]);
  const [xp, outp, stats, rows, cols] = [0, 1, 2, 3, 4];
  const [at, o, k] = [c.local(i32), c.local(i32), c.local(i32)];
  const [m, s, d, e, inv] = Array.from({ length: 5 }, () => c.local(v128));
  c.whileDo(() => c.get(rows), () => {
    c.f64(-Infinity).v(simd.f64x2_splat).set(m);
    // pmax(m, v) = m < v ? v : m, the JavaScript loop's `if (v > m) m = v`
    eachEntry(c, xp, cols, at, k, (one) => { c.get(m); load(c, at, one).v(simd.f64x2_pmax).set(m); }, () => fold(c, m, simd.f64x2_pmax));
    c.vzero().set(s);
    c.get(outp).set(o);
    eachEntry(c, xp, cols, at, k, (one) => {
      load(c, at, one).get(m).v(simd.f64x2_sub).set(d);
      exp(c, d).set(e);
      c.get(s).get(e).v(simd.f64x2_add).set(s);
      if (write) {
        store(c, o, e, one);
        c.get(o).i32(8).emit(op.i32_add).set(o);
      }
    }, () => fold(c, s, simd.f64x2_add)); // lane 0: the pairs' sum, then the odd entry's e
    c.get(stats).get(m).lane(simd.f64x2_extract_lane, 0).mem(op.f64_store);
    c.get(stats).get(s).lane(simd.f64x2_extract_lane, 0).mem(op.f64_store, 8);
    if (write) {
      c.f64(1).get(stats).mem(op.f64_load, 8).emit(op.f64_div).v(simd.f64x2_splat).set(inv);
      eachEntry(c, outp, cols, at, k, (one) => {
        load(c, at, one).get(inv).v(simd.f64x2_mul).set(e);
        store(c, at, e, one);
      });
    }
    nextRow(c, xp, outp, cols, stats, 16, rows);
  });
  return c;
}

function rowShift(): Code {
  const c = new Code([i32, i32, i32, i32, i32]);
  const [xp, shifts, outp, rows, cols] = [0, 1, 2, 3, 4];
  const [at, o, k] = [c.local(i32), c.local(i32), c.local(i32)];
  const [shift, v] = [c.local(v128), c.local(v128)];
  c.whileDo(() => c.get(rows), () => {
    c.get(shifts).vmem(simd.v128_load64_splat).set(shift);
    c.get(outp).set(o);
    eachEntry(c, xp, cols, at, k, (one) => {
      load(c, at, one).get(shift).v(simd.f64x2_sub).set(v);
      store(c, o, v, one);
      c.get(o).i32(8).emit(op.i32_add).set(o);
    });
    nextRow(c, xp, outp, cols, shifts, 8, rows);
  });
  return c;
}

export function softmaxFuncs(): Func[] {
  return [
    { code: rowStats(false), exportAs: "rowStats_f32" },
    { code: rowStats(true), exportAs: "rowSoftmax_f32" },
    { code: rowShift(), exportAs: "rowShift_f32" },
  ];
}
