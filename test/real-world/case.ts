// One case of the real-world corpus: a loss function translated from another AD
// library's own tests or examples, written as a JavaScript user would write it.
import type { Rng } from "../corpus/rng.js";

/** The AD library a case was translated from (its GitHub repository). */
export type Library = "google/tangent" | "HIPS/autograd" | "jax-ml/jax" | "vgvassilev/clad";

export interface RealWorldCase {
  /** Unique name; the exported function's name. */
  name: string;
  library: Library;
  /** Where it comes from: "<file> <function or test name>" in `library`'s repository. */
  source: string;
  fn: (...args: any[]) => number;
  /** Arguments at a random point where `fn` is smooth. */
  makeArgs(rng: Rng): unknown[];
  /**
   * Indices of arguments that are data, not differentiated: counts, indices, integer
   * labels. Booleans and integer typed arrays are data without being listed. Every other
   * argument (numbers, float arrays, plain arrays and objects of them) is differentiated.
   */
  data?: number[];
  /** Functions `fn` calls but does not contain (the run-time path's `opts.functions`). */
  functions?: Record<string, Function>;
  /** Values of the module-level names `fn` (or a helper) closes over (the run-time path's `opts.closure`). */
  closure?: Record<string, unknown>;
  /**
   * The same function written without gradc (for cases that call gradc's own `grad`
   * inside, where calling `fn` would trust gradc for the inner derivative): gives the
   * value and, by central differences, the gradient the case is checked against.
   */
  reference?: (...args: any[]) => number;
  /** gradc computes a wrong derivative here (kept, reported by name, not counted as a failure). */
  knownWrong?: string;
}

/** A plain `number[]` of n entries, uniform in [lo, hi). */
export function numbers(r: Rng, n: number, lo: number, hi: number): number[] {
  return Array.from({ length: n }, () => r.uniform(lo, hi));
}

/** A plain `number[][]` of rows × cols entries, uniform in [lo, hi). */
export function matrix(r: Rng, rows: number, cols: number, lo: number, hi: number): number[][] {
  return Array.from({ length: rows }, () => numbers(r, cols, lo, hi));
}

/** One-hot rows: `rows` rows of `k` entries with a single 1 each. */
export function oneHot(r: Rng, rows: number, k: number): number[][] {
  return Array.from({ length: rows }, () => {
    const row = new Array<number>(k).fill(0);
    row[r.int(0, k - 1)] = 1;
    return row;
  });
}
