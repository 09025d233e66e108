// The cost table of store-or-recompute: what computing a value again in the backward
// sweep costs, against what saving it costs (a push in the forward sweep and a pop in
// the backward one). Units are rough cycles on V8; only the comparison matters.

/** A push and its pop: a store and a load on the tape's local stack. */
export const TAPE_COST = 2;

/** Ops a core does in a cycle or two: arithmetic, comparisons, selects, rounding, bits. */
const CHEAP = new Set([
  "add", "sub", "mul", "neg", "max", "min", "select", "abs", "sign", "floor", "ceil", "round", "trunc", "fround",
  "clz32", "imul", "bitOr", "bitAnd", "bitXor", "shiftLeft", "shiftRight", "shiftRightUnsigned", "bitNot",
  "lt", "le", "gt", "ge", "eq", "ne", "and", "or", "not", "isUndefined", "isUndefinedBool",
]);

/** Division, modulo and square roots: a few dozen cycles of latency, pipelined poorly. */
const MEDIUM = new Set(["div", "mod", "sqrt", "hypot", "hypot3"]);

/** What one op costs to compute: every Math function not listed above (exp, log, tanh, pow, …) is a library call. */
export function opCost(op: string): number {
  if (CHEAP.has(op)) return 1;
  if (MEDIUM.has(op)) return 6;
  return 20;
}

/** Whether a value of this op, needed by the backward sweep, is better saved than computed again. */
export function saveRatherThanRecompute(op: string): boolean {
  return opCost(op) > 4 * TAPE_COST;
}
