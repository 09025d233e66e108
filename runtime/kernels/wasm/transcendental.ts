// exp, tanh and the logistic function on f64x2, for the float32 kernels: WebAssembly has
// no instruction for them, so they are polynomials, computed in double and rounded to
// float32 once on the store. Accuracy in double (measured against Math over 1e6 points,
// test/kernels-wasm.test.ts): relative error below 1e-13, far below float32's half ulp
// (3e-8), so a float32 result is the rounding of the exact value except within 1e-13 of a
// rounding boundary (there it may be the neighbouring float, 1 ulp away). Not accurate
// enough to stand in for Math.exp in float64 (about 1e-16 there), so the float64 kernels
// keep Math.
//
//   exp(x) = 2^k · e^r, k = round(x / ln 2), r = x − k·ln 2 (ln 2 in two parts, Cody and
//   Waite), |r| ≤ ln 2 / 2, e^r by its Taylor polynomial of degree 12 (truncation below
//   2e-16); x clamped to [−708, 709] first, where 2^k is a normal double, built from
//   the bits of k (k + 1.5·2^52 holds k in its low mantissa bits).
//   tanh(x) = sign(x)·(1 − 2 / (e^{2|x|} + 1)), |x| clamped to 20 (tanh is 1 in float32
//   from 9.01); below |x| = 0.004 the series x − x³/3 + 2x⁵/15 instead (no cancellation;
//   its error, 17x⁷/315, is below 2e-17 relative there).
//   sigmoid(x) = 1 / (1 + e^{−x}) for x ≥ 0, e^x / (1 + e^x) below (e = e^{−|x|}).
// NaN in gives NaN out (f64x2.min and max propagate it); ±Infinity the float32 limits.
import { Code, simd, v128 } from "./asm.js";

const MAGIC = 1.5 * 2 ** 52;
const LN2_HI = 6.93147180369123816490e-1, LN2_LO = 1.90821492927058770002e-10;
const TAYLOR_DEGREE = 12;
const SIGN = -(2 ** 63);

function binary(c: Code, a: number, b: number, opcode: number): Code {
  return c.get(a).get(b).v(opcode);
}

/** Leaves e^x of the f64x2 in local `x` on the stack. */
export function exp(c: Code, x: number): Code {
  const [y, shifted, k, r, p] = Array.from({ length: 5 }, () => c.local(v128));
  c.get(x).vconst64(-708).v(simd.f64x2_max).vconst64(709).v(simd.f64x2_min).set(y);
  c.get(y).vconst64(Math.LOG2E).v(simd.f64x2_mul).vconst64(MAGIC).v(simd.f64x2_add).tee(shifted);
  c.vconst64(MAGIC).v(simd.f64x2_sub).set(k);
  c.get(y).get(k).vconst64(LN2_HI).v(simd.f64x2_mul).v(simd.f64x2_sub);
  c.get(k).vconst64(LN2_LO).v(simd.f64x2_mul).v(simd.f64x2_sub).set(r);
  // Horner: p = 1/d!, then p = p·r + 1/j! down to j = 0
  let factorial = 1;
  for (let j = 2; j <= TAYLOR_DEGREE; j++) factorial *= j;
  c.vconst64(1 / factorial).set(p);
  for (let j = TAYLOR_DEGREE - 1; j >= 0; j--) {
    factorial /= j + 1;
    binary(c, p, r, simd.f64x2_mul).vconst64(1 / factorial).v(simd.f64x2_add).set(p);
  }
  // 2^k = (k + 1023) << 52, k + 2^51 being the low bits of `shifted`
  c.get(p).get(shifted).vconst64(1023, true).v(simd.i64x2_add).i32(52).v(simd.i64x2_shl);
  return c.v(simd.f64x2_mul);
}

/** Leaves tanh of the f64x2 in local `x` on the stack. */
export function tanh(c: Code, x: number): Code {
  const [a, twice, e, series] = Array.from({ length: 4 }, () => c.local(v128));
  c.get(x).v(simd.f64x2_abs).vconst64(20).v(simd.f64x2_min).set(a);
  binary(c, a, a, simd.f64x2_add).set(twice);
  exp(c, twice).set(e);
  // a·(1 + a²·(−1/3 + a²·2/15))
  const square = c.local(v128);
  binary(c, a, a, simd.f64x2_mul).set(square);
  c.get(a).vconst64(1).get(square).vconst64(-1 / 3).get(square).vconst64(2 / 15).v(simd.f64x2_mul).v(simd.f64x2_add);
  c.v(simd.f64x2_mul).v(simd.f64x2_add).v(simd.f64x2_mul).set(series);
  c.get(series);
  c.vconst64(1).vconst64(2).get(e).vconst64(1).v(simd.f64x2_add).v(simd.f64x2_div).v(simd.f64x2_sub);
  c.get(a).vconst64(0.004).v(simd.f64x2_lt).v(simd.v128_bitselect);
  // the sign of x
  return c.get(x).vconst64(SIGN, true).v(simd.v128_and).v(simd.v128_or);
}

/** Leaves 1 / (1 + e^−x) of the f64x2 in local `x` on the stack. */
export function sigmoid(c: Code, x: number): Code {
  const [minusAbs, e, denominator] = Array.from({ length: 3 }, () => c.local(v128));
  c.get(x).v(simd.f64x2_abs).v(simd.f64x2_neg).set(minusAbs);
  exp(c, minusAbs).set(e);
  c.vconst64(1).get(e).v(simd.f64x2_add).set(denominator);
  c.vconst64(1).get(denominator).v(simd.f64x2_div);
  c.get(e).get(denominator).v(simd.f64x2_div);
  return c.get(x).vzero().v(simd.f64x2_ge).v(simd.v128_bitselect);
}
