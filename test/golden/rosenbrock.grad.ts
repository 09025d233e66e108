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
  for (let j = Math.max(0, x.length - 1); j < x.length; j++) {
    x_bar[j] = 0;
  }
  // line 7: for (let i = 0; i < x.length - 1; i++) {
  for (let i = 0; i < x.length - 1; i++) {
    const t1 = x_bar_carry;
    // line 8: const a = 1 - x[i];
    const a = 1 - x_carried;
    // line 9: const b = x[i + 1] - x[i] * x[i];
    const t2 = x[i + 1];
    const b = t2 - x_carried * x_carried;
    // adjoint of line 10: s += a * a + 100 * b * b;
    const t3 = 200 * b;
    // adjoint of line 9: const b = x[i + 1] - x[i] * x[i];
    x_bar_carry = t3;
    // adjoint of line 8: const a = 1 - x[i];
    x_bar[i] = -t3 * (2 * x_carried) - 2 * a + t1;
    x_carried = t2;
  }
  const t4 = Math.max(0, x.length - 1);
  x_bar[t4] += x_bar_carry;
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
