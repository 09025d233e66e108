// Gradient of rosenbrock (test/golden/losses.ts), with respect to x.

function rosenbrock_grad(x: Float64Array, x_bar: Float64Array): void {
  let result_bar = 0;
  let s_bar = 0;
  let s = 0;
  let i = 0;
  let a = 0;
  let b = 0;
  x_bar.fill(0);
  result_bar = 0;
  s_bar = 0;
  // line 6: let s = 0;
  s = 0;
  result_bar = 1;
  // adjoint of line 12: return s;
  const t1 = result_bar;
  result_bar = 0;
  s_bar += t1;
  // line 7: for (let i = 0; i < x.length - 1; i++) {
  for (i = 0; i < x.length - 1; i++) {
    // line 8: const a = 1 - x[i];
    const t2 = x[i];
    a = 1 - t2;
    // line 9: const b = x[i + 1] - x[i] * x[i];
    b = x[i + 1] - t2 * t2;
    // line 10: s += a * a + 100 * b * b;
    const t3 = 100 * b;
    s += a * a + t3 * b;
    // adjoint of line 10: s += a * a + 100 * b * b;
    const t4 = s_bar * t3 + s_bar * b * 100;
    // adjoint of line 9: const b = x[i + 1] - x[i] * x[i];
    x_bar[i + 1] += t4;
    // adjoint of line 8: const a = 1 - x[i];
    x_bar[i] += -t4 * (2 * t2) + -(s_bar * (2 * a));
  }
  // adjoint of line 6: let s = 0;
  s_bar = 0;
}

export function rosenbrockGrad(
  x_1: Float64Array,
  out?: Float64Array,
): Float64Array {
  const x_1_grad = out ?? new Float64Array(x_1.length);
  rosenbrock_grad(x_1, x_1_grad);
  return x_1_grad;
}
