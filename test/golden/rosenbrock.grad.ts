import { outError, type EntrySpec } from "gradc/runtime";

// Gradient of rosenbrock (losses.ts) with respect to x.
const rosenbrockGrad_spec: EntrySpec = {
  call: "grad(rosenbrock)",
  mode: "grad",
  params: ["x"],
  wrt: [0],
  shapes: ["Float64Array"],
  list: false,
};

function rosenbrock_grad(x: Float64Array, x_bar: Float64Array): void {
  let x_carried = x[0];
  let x_bar_carry = 0;
  // x_bar: zero the elements the next loop does not write
  const t1 = x_bar.length;
  const t2 = Math.min(t1, 0);
  const t3 = Math.max(t2, Math.min(t1, Math.max(0, x.length - 1)));
  for (let j = 0; j < t2; j++) {
    x_bar[j] = 0;
  }
  // x_bar: zero the elements the next loop does not write
  for (let j_1 = t3; j_1 < t1; j_1++) {
    x_bar[j_1] = 0;
  }
  // line 7: for (let i = 0; i < x.length - 1; i++) {
  for (let i = 0; i < x.length - 1; i++) {
    const t4 = x_bar_carry;
    // line 8: const a = 1 - x[i];
    const a = 1 - x_carried;
    // line 9: const b = x[i + 1] - x[i] * x[i];
    const t5 = x[i + 1];
    const b = t5 - x_carried * x_carried;
    // adjoint of line 10: s += a * a + 100 * b * b;
    const t6 = 100 * b + b * 100;
    // adjoint of line 9: const b = x[i + 1] - x[i] * x[i];
    x_bar_carry = t6;
    // adjoint of line 8: const a = 1 - x[i];
    x_bar[i] = -t6 * (2 * x_carried) + -(2 * a) + t4;
    x_carried = t5;
  }
  const t7 = Math.max(0, x.length - 1);
  x_bar[t7] += x_bar_carry;
}

export function rosenbrockGrad(
  x: Float64Array,
  out?: Float64Array,
): Float64Array {
  if (
    out !== undefined &&
    !(out instanceof Float64Array && out.length === x.length)
  )
    outError(rosenbrockGrad_spec, [x], out);
  const x_grad = out ?? new Float64Array(x.length);
  rosenbrock_grad(x, x_grad);
  return x_grad;
}
