/** exp(0.1 · Σ sin(w_i) x_i + w_i²): a loss the run-time path compiles from its source. */
export function f(w: Float64Array, x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += Math.sin(w[i]) * x[i] + w[i] * w[i];
  return Math.exp(0.1 * s);
}
