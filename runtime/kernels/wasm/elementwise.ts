// Elementwise kernels in WebAssembly SIMD: one vector loop per operation and element type,
//
//   map_<op>_<type>(x, y, out, bytes, period, s, acc)
//       out[v] = op(x[v], y[v], s) for each vector v of the `bytes` from `out`, or
//       out[v] += op(…) when acc ≠ 0 (ACCUMULATING ops only); byte addresses, the caller
//       padding lengths to whole iterations (iterationBytes). y starts again every
//       `period` bytes (0: never), so a row vector repeated over the rows of a matrix (a
//       bias) is read as one periodic input.
//
// Each op leaves one vector on the stack from the vector locals x, y, s (s splat from
// the f64 argument, rounded to f32 for f32) and one (1 in every lane). The ops of
// MAP_OPS run on f32x4 and f64x2; those of WIDE_OPS (exp, tanh, the logistic function,
// gelu: transcendental.ts) only for f32, two entries at a time promoted to f64x2 and
// rounded back on the store.
import { Code, f64, i32, op, simd, v128, type Func } from "./asm.js";
import { F32, F64, fromF64, type Lanes } from "./lanes.js";
import { exp, sigmoid, tanh } from "./transcendental.js";

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

const GELU_C = Math.sqrt(2 / Math.PI), GELU_A = 0.044715;

/** A local holding tanh(√(2/π)(x + 0.044715x³)) of the f64x2 x. */
function geluTanh(c: Code, v: Vectors): number {
  const [u, th] = [c.local(v128), c.local(v128)];
  c.get(v.x).get(v.x).get(v.x).v(simd.f64x2_mul).get(v.x).v(simd.f64x2_mul).vconst64(GELU_A).v(simd.f64x2_mul).v(simd.f64x2_add);
  c.vconst64(GELU_C).v(simd.f64x2_mul).set(u);
  tanh(c, u).set(th);
  return th;
}

/** ḡ·f′ from f′ left on the stack. */
const timesGy = (c: Code, v: Vectors) => c.get(v.y).v(simd.f64x2_mul);

/** The f32 ops computed in f64x2 (`t` is F64 in them). */
export const WIDE_OPS = {
  exp: (c, _t, v) => exp(c, v.x),
  expVjp: (c, _t, v) => timesGy(exp(c, v.x), v),
  tanh: (c, _t, v) => tanh(c, v.x),
  tanhVjp: (c, t, v) => {
    const th = c.local(v128);
    tanh(c, v.x).set(th);
    timesGy(c.get(v.one).get(th).get(th).v(t.mul).v(t.sub), v);
  },
  sigmoid: (c, _t, v) => sigmoid(c, v.x),
  sigmoidVjp: (c, t, v) => {
    const sg = c.local(v128);
    sigmoid(c, v.x).set(sg);
    timesGy(c.get(sg).get(v.one).get(sg).v(t.sub).v(t.mul), v);
  },
  softplusVjp: (c, _t, v) => timesGy(sigmoid(c, v.x), v),
  // ½x(1 + tanh(u)), u = √(2/π)(x + 0.044715x³), as gelu in elementwise.ts
  gelu: (c, t, v) => {
    const th = geluTanh(c, v);
    c.get(v.x).get(v.one).get(th).v(t.add).v(t.mul).vconst64(0.5).v(t.mul);
  },
  // ½(1 + th) + ½x(1 − th²)·√(2/π)(1 + 3·0.044715x²), times ḡ
  geluVjp: (c, t, v) => {
    const th = geluTanh(c, v);
    c.get(v.one).get(th).v(t.add).vconst64(0.5).v(t.mul);
    c.get(v.x).get(v.one).get(th).get(th).v(t.mul).v(t.sub).v(t.mul).vconst64(0.5 * GELU_C).v(t.mul);
    c.get(v.x).get(v.x).v(t.mul).vconst64(3 * GELU_A).v(t.mul).get(v.one).v(t.add).v(t.mul);
    timesGy(c.v(t.add), v);
  },
} satisfies Record<string, Body>;
export type WideOp = keyof typeof WIDE_OPS;
export type MapOp = keyof typeof MAP_OPS | WideOp;

/**
 * How a kernel moves its entries: whole vectors of its type, one per iteration (these
 * kernels wait on memory), or f32 pairs widened to f64x2, four pairs per iteration (their
 * long polynomials interleave, which the processor overlaps). Measured on tanh, float32,
 * 8192 entries: inlined 45 µs; the polynomial as a called v128 function 110 µs; one loop
 * selecting on acc instead of a loop each 73 µs.
 */
interface Access {
  t: Lanes;
  step: number;
  unroll: number;
  load(c: Code, addr: number, offset: number): void;
  store(c: Code, offset: number): void; // the address, then the value, on the stack
}
const vectors = (t: Lanes): Access => ({
  t, step: 16, unroll: 1,
  load: (c, addr, offset) => c.get(addr).vmem(simd.v128_load, offset),
  store: (c, offset) => c.vmem(simd.v128_store, offset),
});
const widened: Access = {
  t: F64, step: 8, unroll: 4,
  load: (c, addr, offset) => c.get(addr).vmem(simd.v128_load64_splat, offset).v(simd.f64x2_promote_low_f32x4),
  store: (c, offset) => c.v(simd.f32x4_demote_f64x2_zero).storeLane64(0, offset),
};
/** Bytes of output per loop iteration: `bytes` of a call is a multiple of it. */
export const iterationBytes = (op: MapOp) => (op in WIDE_OPS ? widened.step * widened.unroll : 16);

/** The ops whose kernels accumulate (a VJP's `accumulate`, copy's and scale's): the others have no acc loop. */
export const ACCUMULATING: ReadonlySet<MapOp> = new Set<MapOp>([
  "scale", "mul", "div", "reluVjp", "leakyReluVjp", "tanhVjpFromOutput", "sigmoidVjpFromOutput",
  "expVjp", "tanhVjp", "sigmoidVjp", "softplusVjp", "geluVjp",
]);

function map({ t, step, unroll, load, store }: Access, body: Body, accumulates: boolean): Code {
  const c = new Code([i32, i32, i32, i32, i32, f64, i32]);
  const [xp, yStart, outp, bytes, period, s, acc] = [0, 1, 2, 3, 4, 5, 6];
  const [yp, end, chunkEnd] = [c.local(i32), c.local(i32), c.local(i32)];
  const [sv, one] = [c.local(v128), c.local(v128)];
  const items: Vectors[] = Array.from({ length: unroll }, () => ({ x: c.local(v128), y: c.local(v128), s: sv, one }));
  c.get(s); fromF64(c, t); c.v(t.splat).set(sv);
  c.f64(1); fromF64(c, t); c.v(t.splat).set(one);
  c.get(outp).get(bytes).emit(op.i32_add).set(end);
  c.get(period).emit(op.i32_eqz).ifElse(() => c.get(bytes).set(period));
  const loop = (accumulate: boolean) => c.doWhile(() => {
    // one period of y: out up to min(out + period, end)
    c.get(yStart).set(yp);
    c.get(outp).get(period).emit(op.i32_add).set(chunkEnd);
    c.get(chunkEnd).get(end).get(chunkEnd).get(end).emit(op.i32_lt_u, op.select).set(chunkEnd);
    c.doWhile(() => {
      items.forEach((v, u) => {
        load(c, xp, u * step);
        c.set(v.x);
        load(c, yp, u * step);
        c.set(v.y);
      });
      items.forEach((v, u) => {
        c.get(outp);
        body(c, t, v);
        if (accumulate) {
          load(c, outp, u * step);
          c.v(t.add);
        }
        store(c, u * step);
      });
      for (const p of [xp, yp, outp]) c.get(p).i32(step * unroll).emit(op.i32_add).set(p);
    }, () => c.get(outp).get(chunkEnd).emit(op.i32_lt_u));
  }, () => c.get(outp).get(end).emit(op.i32_lt_u));
  c.get(bytes).ifElse(() => (accumulates ? c.get(acc).ifElse(() => loop(true), () => loop(false)) : loop(false)));
  return c;
}

/** The map kernels, exported as map_add_f32, …, map_tanh_f32 (no map_tanh_f64). */
export function mapFuncs(): Func[] {
  const funcs = (access: Access, ops: Record<string, Body>, type: string) =>
    Object.entries(ops).map(([name, body]) => ({ code: map(access, body, ACCUMULATING.has(name as MapOp)), exportAs: `map_${name}_${type}` }));
  return [...funcs(vectors(F32), MAP_OPS, "f32"), ...funcs(vectors(F64), MAP_OPS, "f64"), ...funcs(widened, WIDE_OPS, "f32")];
}
