// Inputs of the golden tests (test/golden.test.ts): the expected gradient modules beside this
// file are what `gradc show` prints for these functions.

/** Rosenbrock over a Float64Array. */
export function rosenbrock(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length - 1; i++) {
    const a = 1 - x[i];
    const b = x[i + 1] - x[i] * x[i];
    s += a * a + 100 * b * b;
  }
  return s;
}

/** Huber loss of a linear model: an if/else inside a loop, weights in an object. */
export function huber(p: { w: Float64Array; b: number }, x: Float64Array, y: Float64Array): number {
  let loss = 0;
  for (let i = 0; i < y.length; i++) {
    const r = p.w[i] * x[i] + p.b - y[i];
    if (Math.abs(r) > 1) {
      loss += Math.abs(r) - 0.5;
    } else {
      loss += 0.5 * r * r;
    }
  }
  return loss / y.length;
}

/** A scalar function of two numbers. */
export function sinExp(x: number, y: number): number {
  return Math.sin(x) * Math.exp(y) + x * y;
}
