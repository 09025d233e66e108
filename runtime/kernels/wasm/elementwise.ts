// Elementwise kernels in WebAssembly SIMD: one vector loop per operation and element type,
//
//   map_<op>_<type>(x, y, out, bytes, period, s, acc)
//       out[v] = op(x[v], y[v], s), or out[v] += op(…) when acc ≠ 0, for each vector v of
//       the `bytes` from `out` (byte addresses; the caller pads lengths to whole vectors).
//       y starts again every `period` bytes (0: never), so a row vector repeated over the
//       rows of a matrix (a bias) is read as one periodic input.
//
// Each op leaves one vector on the stack from the vector locals x, y, s (s splat from
// the f64 argument, rounded to f32 for f32) and one (1 in every lane).
import { Code, f64, i32, op, simd, v128, type Func } from "./asm.js";
import { F32, F64, fromF64, type Lanes } from "./lanes.js";

interface Vectors { x: number; y: number; s: number; one: number }
type Body = (c: Code, t: Lanes, v: Vectors) => void;

/** relu's mask: all ones in the lanes where x > 0 (false for NaN), else zeros. */
const positive = (c: Code, t: Lanes, v: Vectors) => c.get(v.x).vzero().v(t.gt);

/** The operations, by the name their kernels are exported under. */
export const MAP_OPS = {
  add: (c, t, v) => c.get(v.x).get(v.y).v(t.add),
  sub: (c, t, v) => c.get(v.x).get(v.y).v(t.sub),
  mul: (c, t, v) => c.get(v.x).get(v.y).v(t.mul),
  div: (c, t, v) => c.get(v.x).get(v.y).v(t.div),
  scale: (c, t, v) => c.get(v.s).get(v.x).v(t.mul),
  // x > 0 ? x : 0 is pmax(0, x) (pmax(a, b) = a < b ? b : a): NaN and −0 give +0, as in JS.
  relu: (c, t, v) => c.vzero().get(v.x).v(t.pmax),
  reluVjp: (c, t, v) => { c.get(v.y); positive(c, t, v).v(simd.v128_and); },
  leakyRelu: (c, t, v) => { c.get(v.x).get(v.s).get(v.x).v(t.mul); positive(c, t, v).v(simd.v128_bitselect); },
  leakyReluVjp: (c, t, v) => { c.get(v.y).get(v.s).get(v.y).v(t.mul); positive(c, t, v).v(simd.v128_bitselect); },
  // ḡ·(1 − y²) and ḡ·y·(1 − y) from the output y (in x) and ḡ (in y)
  tanhVjpFromOutput: (c, t, v) => c.get(v.y).get(v.one).get(v.x).get(v.x).v(t.mul).v(t.sub).v(t.mul),
  sigmoidVjpFromOutput: (c, t, v) => c.get(v.y).get(v.x).v(t.mul).get(v.one).get(v.x).v(t.sub).v(t.mul),
} satisfies Record<string, Body>;
export type MapOp = keyof typeof MAP_OPS;

function map(t: Lanes, body: Body): Code {
  const c = new Code([i32, i32, i32, i32, i32, f64, i32]);
  const [xp, yStart, outp, bytes, period, s, acc] = [0, 1, 2, 3, 4, 5, 6];
  const [yp, end, chunkEnd] = [c.local(i32), c.local(i32), c.local(i32)];
  const v = { x: c.local(v128), y: c.local(v128), s: c.local(v128), one: c.local(v128) };
  c.get(s); fromF64(c, t); c.v(t.splat).set(v.s);
  c.f64(1); fromF64(c, t); c.v(t.splat).set(v.one);
  c.get(outp).get(bytes).emit(op.i32_add).set(end);
  c.get(period).emit(op.i32_eqz).ifElse(() => c.get(bytes).set(period));
  const loop = (accumulate: boolean) => c.doWhile(() => {
    // one period of y: out up to min(out + period, end)
    c.get(yStart).set(yp);
    c.get(outp).get(period).emit(op.i32_add).set(chunkEnd);
    c.get(chunkEnd).get(end).get(chunkEnd).get(end).emit(op.i32_lt_u, op.select).set(chunkEnd);
    c.doWhile(() => {
      c.get(xp).vmem(simd.v128_load).set(v.x);
      c.get(yp).vmem(simd.v128_load).set(v.y);
      c.get(outp);
      body(c, t, v);
      if (accumulate) c.get(outp).vmem(simd.v128_load).v(t.add);
      c.vmem(simd.v128_store);
      for (const p of [xp, yp, outp]) c.get(p).i32(16).emit(op.i32_add).set(p);
    }, () => c.get(outp).get(chunkEnd).emit(op.i32_lt_u));
  }, () => c.get(outp).get(end).emit(op.i32_lt_u));
  c.get(bytes).ifElse(() => c.get(acc).ifElse(() => loop(true), () => loop(false)));
  return c;
}

/** The map kernels of both element types, exported as map_add_f32, …. */
export function mapFuncs(): Func[] {
  return [F32, F64].flatMap((t) =>
    Object.entries(MAP_OPS).map(([name, body]) => ({ code: map(t, body), exportAs: `map_${name}_${t.name}` })),
  );
}
