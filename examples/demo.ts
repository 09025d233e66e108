// What examples/main.mjs needs to run an example: inputs, and which of them the
// gradient is taken with respect to (to check it against central differences).
// Also a seeded random source, so every run sees the same data.

export interface Demo {
  /** One line shown above the example's results. */
  title: string;
  /** The loss function. */
  loss: (...args: any[]) => number;
  /** Name of the module's exported request site, the `valueAndGrad` of `loss`. */
  request: string;
  /** Indices of the arguments the request differentiates, in its `wrt` order. */
  wrt: number[];
  /** Arguments to evaluate the loss and its gradient at. */
  args: () => unknown[];
}

/** Uniform numbers in [0, 1) from a 32-bit seed (mulberry32). */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples (Box-Muller) from a uniform source. */
export function gaussian(uniform: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** A Float64Array of n values drawn from `draw`. */
export function fill(n: number, draw: () => number): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = draw();
  return a;
}
