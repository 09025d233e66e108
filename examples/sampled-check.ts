// gradc's gradient against central differences on a sample of coordinates, for models
// with too many parameters to difference them all (deep-network.ts, recurrent-clipping.ts).
import { Rng } from "gradc/runtime";
import { maxRelError, numericGradient, relError } from "../runtime/numeric.js";

export interface GradientCheck {
  coordinates: number;
  /** Max relative error |a - b| / max(|a|, |b|, 1) of gradc's entries against central differences (and of the value). */
  maxError: number;
  /** |a - b| / |b| over the sampled entries whose central difference exceeds 1e-6 in size. */
  fdRelative: number;
}

/**
 * gradc's gradient g of loss at (p, X, Y) against central differences on `count` sampled
 * coordinates spread over every parameter array: numericGradient differentiates the loss
 * as a function of just those coordinates.
 */
export function sampledGradientCheck<P extends object>(
  loss: (p: P, ...rest: any[]) => number, params: P, rest: unknown[], value: number, grad: P, count: number, seed: number,
): GradientCheck {
  type Arrays = Record<string, Float64Array>;
  const p = params as unknown as Arrays;
  const g = grad as unknown as Arrays;
  const rng = new Rng(seed);
  const keys = Object.keys(p);
  const picks: [string, number][] = [];
  const taken = new Set<string>();
  for (let s = 0; picks.length < count && s < 100 * count; s++) {
    const key = keys[s % keys.length];
    const i = rng.int(p[key].length);
    if (taken.has(`${key}[${i}]`)) continue; // each coordinate once: its copy in `at` is set once
    taken.add(`${key}[${i}]`);
    picks.push([key, i]);
  }
  const theta = Float64Array.from(picks, ([key, i]) => p[key][i]);
  const at = (t: Float64Array): number => {
    const q: Arrays = Object.fromEntries(keys.map((k) => [k, p[k].slice()]));
    picks.forEach(([key, i], s) => (q[key][i] = t[s]));
    return loss(q as unknown as P, ...rest);
  };
  const fd = numericGradient(at, [theta], 0) as Float64Array;
  const ad = Float64Array.from(picks, ([key, i]) => g[key][i]);
  let fdRelative = 0;
  for (let s = 0; s < fd.length; s++) if (Math.abs(fd[s]) > 1e-6) fdRelative = Math.max(fdRelative, Math.abs(ad[s] - fd[s]) / Math.abs(fd[s]));
  return { coordinates: picks.length, maxError: Math.max(maxRelError(ad, fd), relError(value, at(theta))), fdRelative };
}
