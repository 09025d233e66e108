// Gradient of rosenbrock (losses.ts) with respect to x.

function rosenbrock_grad(x: Float64Array, x_bar: Float64Array): void {
  x_bar.fill(0);
  // line 7: for (let i = 0; i < x.length - 1; i++) {
  for (let i = 0; i < x.length - 1; i++) {
    // line 8: const a = 1 - x[i];
    const t1 = x[i];
    const a = 1 - t1;
    // line 9: const b = x[i + 1] - x[i] * x[i];
    const b = x[i + 1] - t1 * t1;
    // adjoint of line 10: s += a * a + 100 * b * b;
    const t2 = 100 * b + b * 100;
    // adjoint of line 9: const b = x[i + 1] - x[i] * x[i];
    x_bar[i + 1] += t2;
    // adjoint of line 8: const a = 1 - x[i];
    x_bar[i] += -t2 * (2 * t1) + -(2 * a);
  }
}

export function rosenbrockGrad(
  x: Float64Array,
  out?: Float64Array,
): Float64Array {
  const x_grad = out ?? new Float64Array(x.length);
  rosenbrock_grad(x, x_grad);
  return x_grad;
}
