// The two element types of the kernels, f32 (f32x4) and f64 (f64x2): sizes and the
// opcodes that handle each, so one generator writes the kernels of both.
import { f32, f64, op, simd } from "./asm.js";

/** One element type: its size and the opcodes that handle it. */
export interface Lanes {
  name: "f32" | "f64";
  scalar: typeof f32 | typeof f64;
  size: number;
  lanes: number;
  load: number;
  store: number;
  splatLoad: number;
  laneLoad: number;
  splat: number;
  add: number;
  sub: number;
  mul: number;
  div: number;
  gt: number;
  pmax: number;
  /** Scalar add and mul of the element type. */
  addScalar: number;
  mulScalar: number;
}

export const F32: Lanes = {
  name: "f32", scalar: f32, size: 4, lanes: 4, load: op.f32_load, store: op.f32_store,
  splatLoad: simd.v128_load32_splat, laneLoad: simd.v128_load32_lane, splat: simd.f32x4_splat,
  add: simd.f32x4_add, sub: simd.f32x4_sub, mul: simd.f32x4_mul, div: simd.f32x4_div,
  gt: simd.f32x4_gt, pmax: simd.f32x4_pmax, addScalar: op.f32_add, mulScalar: op.f32_mul,
};
export const F64: Lanes = {
  name: "f64", scalar: f64, size: 8, lanes: 2, load: op.f64_load, store: op.f64_store,
  splatLoad: simd.v128_load64_splat, laneLoad: simd.v128_load64_lane, splat: simd.f64x2_splat,
  add: simd.f64x2_add, sub: simd.f64x2_sub, mul: simd.f64x2_mul, div: simd.f64x2_div,
  gt: simd.f64x2_gt, pmax: simd.f64x2_pmax, addScalar: op.f64_add, mulScalar: op.f64_mul,
};

/** Leaves the f64 on the stack as the element type (f32.demote_f64 for f32). */
export function fromF64(c: { emit(...b: number[]): unknown }, t: Lanes): void {
  if (t.name === "f32") c.emit(op.f32_demote_f64);
}
