// The order of a sort (`a.sort((x, y) => x - y)` in differentiated code): the indices of
// x's entries in sorted order, so that generated code gathers the sorted values itself
// (sorted[i] = x[order[i]]) and differentiates the gather. Not differentiable: its
// result is made of indices.
import type { Arr } from "./types.js";

/**
 * Writes into `out` the indices 0…n−1 of x's first n entries, ordered by value
 * (ascending, or descending), ties in index order (Array.prototype.sort is stable), NaN last.
 */
export function sortOrder<T extends Arr>(out: T, x: Arr, n: number, descending = false): T {
  const order = Array.from({ length: n }, (_, i) => i);
  const sign = descending ? -1 : 1;
  order.sort((i, j) => {
    const a = x[i], b = x[j];
    if (a !== a || b !== b) return (a !== a ? 1 : 0) - (b !== b ? 1 : 0);
    return sign * (a - b);
  });
  for (let i = 0; i < n; i++) out[i] = order[i];
  return out;
}
