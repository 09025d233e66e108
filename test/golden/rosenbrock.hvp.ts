import { outError, vectorError, type EntrySpec } from "gradc/runtime";

// Hessian-vector product of rosenbrock (losses.ts) with respect to x.
const rosenbrockHvp_spec: EntrySpec = {
  call: "hvp(rosenbrock)",
  mode: "hvp",
  params: ["x"],
  wrt: [0],
  shapes: ["Float64Array"],
  list: false,
};

function rosenbrock_hvp(
  x: Float64Array,
  x_dot: Float64Array,
  x_bar_dot: Float64Array,
): void {
  let x_carried = x[0];
  let x_carried_dot = x_dot[0];
  let x_bar_carry_dot = 0;
  // x_bar: zero the elements the next loop does not write
  const t1 = Math.max(0, x.length - 1);
  for (let j = t1; j < x.length; j++) {
    x_bar_dot[j] = 0;
  }
  // line 7: for (let i = 0; i < x.length - 1; i++) {
  for (let i = 0; i < x.length - 1; i++) {
    const t2 = x_bar_carry_dot;
    // line 8: const a = 1 - x[i];
    const a_dot = -x_carried_dot;
    // line 9: const b = x[i + 1] - x[i] * x[i];
    const t3 = x[i + 1];
    const t4 = x_dot[i + 1];
    const b = t3 - x_carried * x_carried;
    const b_dot = t4 - 2 * (x_carried_dot * x_carried);
    // adjoint of line 10: s += a * a + 100 * b * b;
    const t5 = b_dot * 200;
    // adjoint of line 9: const b = x[i + 1] - x[i] * x[i];
    x_bar_carry_dot = t5;
    // adjoint of line 8: const a = 1 - x[i];
    x_bar_dot[i] =
      -t5 * (2 * x_carried) - x_carried_dot * 2 * (200 * b) - a_dot * 2 + t2;
    x_carried = t3;
    x_carried_dot = t4;
  }
  x_bar_dot[t1] += x_bar_carry_dot;
}

export function rosenbrockHvp(
  x: Float64Array,
  v: Float64Array,
  out?: Float64Array,
): Float64Array {
  if (!(
    ((v as unknown) instanceof Float64Array ||
      (v as unknown) instanceof Float32Array) &&
    v.length === x.length
  ))
    vectorError(rosenbrockHvp_spec, [x], v);
  if (
    out !== undefined &&
    !(out instanceof Float64Array && out.length === x.length)
  )
    outError(rosenbrockHvp_spec, [x], out);
  const x_hvp = out ?? new Float64Array(x.length);
  rosenbrock_hvp(x, v, x_hvp);
  return x_hvp;
}
