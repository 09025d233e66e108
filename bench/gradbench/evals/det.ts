// GradBench's det eval (evals/det/README.md): the determinant of an ℓ×ℓ matrix by
// expansion by minors along the first row, as cmpad's det_of_minor computes it, and
// its gradient from gradc.
//
// gradc refuses recursion ("'det' calls itself … Rewrite the recursion as a loop"), so
// the recursion is evaluated bottom-up over its call tree: a node at depth d is the
// minor of rows d…ℓ−1 and the columns its ancestors left; its children are the
// minors left by picking each remaining column in increasing order, and its value is
// Σ_t ± A[d, column of child t] · child t, the signs alternating from +. The 1×1 minors
// (the leaves, depth ℓ−1) are entries of A. These are the multiplications and
// additions of the recursion, in its order. The tree's shape (which column each node
// picks) depends on ℓ only, and is laid out once in `prepare`.
import { grad } from "gradc";
import { evalFunction } from "../eval.js";
import { withOut } from "./common/out.js";

interface Input {
  A: number[];
  ell: number;
}

/**
 * The call tree of expansion by minors for ℓ×ℓ matrices: depth d (0…ℓ−1) holds
 * ℓ!/(ℓ−d)! nodes from `start[d]` on, in one flat numbering; node i of depth d has
 * children i·(ℓ−d) + t, t < ℓ−d, of depth d+1; `column[c]` is the column a node c
 * of depth ≥ 1 was picked by (on row d−1), and for a leaf `last[c]` is the column
 * it has left.
 */
export interface MinorTree {
  start: Int32Array;
  column: Int32Array;
  last: Int32Array;
}

export function minorTree(ell: number): MinorTree {
  const start = new Int32Array(ell + 1);
  for (let d = 0, count = 1; d < ell; d++) {
    start[d + 1] = start[d] + count;
    count *= ell - d;
  }
  const column = new Int32Array(start[ell]);
  const last = new Int32Array(start[ell]);
  const left: number[][] = new Array(start[ell]); // the columns each node has left
  left[0] = Array.from({ length: ell }, (_, j) => j);
  for (let d = 0; d + 1 < ell; d++) {
    const w = ell - d;
    for (let i = 0; i < start[d + 1] - start[d]; i++) {
      const cols = left[start[d] + i];
      for (let t = 0; t < w; t++) {
        const c = start[d + 1] + i * w + t;
        column[c] = cols[t];
        left[c] = cols.filter((_, u) => u !== t);
      }
    }
  }
  for (let c = start[ell - 1]; c < start[ell]; c++) last[c] = left[c][0];
  return { start, column, last };
}

/** det(A) by minors; `minors` (length start[ℓ]) is scratch for the nodes' values. */
export function det(A: Float64Array, ell: number, start: Int32Array, column: Int32Array, last: Int32Array, minors: Float64Array): number {
  const leaves = start[ell - 1];
  const end = start[ell];
  for (let c = leaves; c < end; c++) minors[c] = A[(ell - 1) * ell + last[c]];
  for (let d = ell - 2; d >= 0; d--) {
    const w = ell - d;
    const count = start[d + 1] - start[d];
    for (let i = 0; i < count; i++) {
      const first = start[d + 1] + i * w;
      let sum = 0;
      for (let t = 0; t < w; t++) sum += (1 - 2 * (t % 2)) * A[d * ell + column[first + t]] * minors[first + t];
      minors[start[d] + i] = sum;
    }
  }
  return minors[0];
}

const detGrad = withOut<Float64Array>()(grad(det, { wrt: 0 }));

interface Args extends MinorTree {
  A: Float64Array;
  ell: number;
  minors: Float64Array;
  out: Float64Array;
}

function prepare(input: Input): Args {
  const tree = minorTree(input.ell);
  return { ...tree, A: Float64Array.from(input.A), ell: input.ell, minors: new Float64Array(tree.start[input.ell]), out: new Float64Array(input.A.length) };
}

const call = (f: typeof det) => (a: Args) => f(a.A, a.ell, a.start, a.column, a.last, a.minors);

export const functions = {
  primal: evalFunction({ prepare, run: call(det), output: (y: number) => y }),
  gradient: evalFunction({ prepare, run: (a: Args) => detGrad(a.A, a.ell, a.start, a.column, a.last, a.minors, a.out), output: (g: Float64Array) => Array.from(g) }),
};
