// GradBench's kmeans eval (evals/kmeans/README.md): the k-means cost
// f(C) = Σ_i min_j |C_j − P_i|² of n points P in d dimensions for k centroids C, and
// the Newton direction J·H⁻¹ with J = ∇f and H its Hessian. H is diagonal, so H·1 is
// all of it: gradc's gradAndHvp gives J and H·1 from one forward-over-reverse sweep.
import { gradAndHvp } from "gradc";
import { evalFunction } from "../eval.js";
import { withOut } from "./common/out.js";

interface Input {
  points: number[][];
  centroids: number[][];
}

export function cost(C: Float64Array, P: Float64Array, k: number, d: number): number {
  const n = P.length / d;
  let total = 0;
  for (let i = 0; i < n; i++) {
    // the nearest centroid, then its squared distance
    let nearest = 0;
    let closest = Infinity;
    for (let j = 0; j < k; j++) {
      let dist = 0;
      for (let l = 0; l < d; l++) {
        const diff = P[i * d + l] - C[j * d + l];
        dist += diff * diff;
      }
      nearest = dist < closest ? j : nearest;
      closest = Math.min(closest, dist);
    }
    for (let l = 0; l < d; l++) {
      const diff = P[i * d + l] - C[nearest * d + l];
      total += diff * diff;
    }
  }
  return total;
}

// [J, H·1] into the caller's pair of buffers.
const gradientAndCurvature = withOut<[Float64Array, Float64Array]>()(gradAndHvp(cost, { wrt: 0 }));

interface Args {
  C: Float64Array;
  P: Float64Array;
  k: number;
  d: number;
  ones: Float64Array;
  JH: [Float64Array, Float64Array];
}

function prepare(input: Input): Args {
  const k = input.centroids.length;
  const d = input.centroids[0].length;
  return { C: Float64Array.from(input.centroids.flat()), P: Float64Array.from(input.points.flat()), k, d, ones: new Float64Array(k * d).fill(1), JH: [new Float64Array(k * d), new Float64Array(k * d)] };
}

function dir(a: Args): Float64Array {
  const [J, H] = gradientAndCurvature(a.C, a.P, a.k, a.d, a.ones, a.JH);
  for (let i = 0; i < J.length; i++) J[i] /= H[i];
  return J;
}

const rows = (a: Float64Array, width: number) => Array.from({ length: a.length / width }, (_, i) => Array.from(a.subarray(i * width, (i + 1) * width)));

export const functions = {
  cost: evalFunction({ prepare, run: (a: Args) => cost(a.C, a.P, a.k, a.d), output: (y: number) => y }),
  dir: evalFunction({ prepare, run: (a: Args) => ({ J: dir(a), d: a.d }), output: ({ J, d }: { J: Float64Array; d: number }) => rows(J, d) }),
};
