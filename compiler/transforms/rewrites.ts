// Algebraic rewrites simplify applies to each op: one record per identity, with the
// pattern and the result as they read in generated code and why the two are the same
// float64 value. Every row is exact for every input (NaN, infinities and signed zeros
// included) unless its `exact` note says where not; none reassociates a sum of
// different terms, whose rounding depends on the order.
import type { Builder } from "../ir/builder.js";
import type { Op, Temp } from "../ir/types.js";

/** What a rewrite may ask about the operands of the op it looks at. */
export interface Operands {
  /** The compile-time value of `t`, if it is a constant. */
  constantOf(t: Temp): number | boolean | undefined;
  /** The op defining `t`, if `t` is an op's result in this block. */
  op(t: Temp): Op | undefined;
  /** Whether `t` is known to be a number ≥ 0 that is not -0 or NaN (a length, a clamped index). */
  nonNegative(t: Temp): boolean;
  /** Whether `t` is known to be an integer within ±2^53 (a length, an index computed from lengths). */
  integer(t: Temp): boolean;
  /** Whether `a` and `b` hold the same value: one temp, equal constants, or one pure op of the same operands (in either order when it commutes). */
  same(a: Temp, b: Temp): boolean;
}

/** The result of a rewrite: an operand of the op (or of its operands), or an op of such temps, constants and ops. */
export type Rewritten = Temp | NewOp;
export interface NewOp { op: string; args: (Temp | number | NewOp)[] }

export interface Rewrite {
  name: string;
  /** The op it rewrites, and the pattern and result in source notation (`c` a constant, `n` ≥ 0). */
  op: string;
  pattern: string;
  result: string;
  /** Why the result is exactly the pattern's value. */
  exact: string;
  apply(args: Temp[], on: Operands): Rewritten | undefined;
  /** The pattern built from numbers `a`, `b` and a length `n`, for the table test (test/rewrites.test.ts). */
  sample(b: Builder, x: { a: Temp; b: Temp; n: Temp }): Temp;
  /** Inputs the identity holds for when not all: "normal" (no subnormal or overflowing products). */
  domain?: "normal";
}

const negated = (on: Operands, t: Temp): Temp | undefined => {
  const d = on.op(t);
  return d?.op === "neg" ? d.args[0] : undefined;
};

/** `c * x` or `x * c` with `c` a constant: `[c, x]`. */
const scaled = (on: Operands, t: Temp): [number, Temp] | undefined => {
  const d = on.op(t);
  if (d?.op !== "mul") return undefined;
  const [a, b] = d.args;
  const ca = on.constantOf(a), cb = on.constantOf(b);
  if (typeof ca === "number") return [ca, b];
  if (typeof cb === "number") return [cb, a];
  return undefined;
};

const isZero = (on: Operands, t: Temp) => Object.is(on.constantOf(t), 0);

/**
 * `t` as c·x·y for a power of two c and values x, y, grouped either way (`x * (c * y)`,
 * `(x * y) * c`, …); `pair` is the temp holding x * y when the grouping has one.
 */
function scaledPair(on: Operands, t: Temp): { c: number; x: Temp; y: Temp; pair?: Temp } | undefined {
  const d = on.op(t);
  if (d?.op !== "mul") return undefined;
  const [a, b] = d.args;
  const plain = (u: Temp) => on.constantOf(u) === undefined;
  for (const [k, other] of [[a, b], [b, a]]) {
    const c = on.constantOf(k), p = on.op(other);
    if (typeof c === "number" && powerOfTwo(c) && p?.op === "mul" && p.args.every(plain)) return { c, x: p.args[0], y: p.args[1], pair: other };
  }
  for (const [x, other] of [[a, b], [b, a]]) {
    const s = scaled(on, other);
    if (s && powerOfTwo(s[0]) && plain(x) && plain(s[1])) return { c: s[0], x, y: s[1] };
  }
  return undefined;
}

/** Whether `clamped` is `max(0, n - c)` (either order) for the length-like `n` ≥ 0 and a constant c ≥ 0. */
function belowLength(on: Operands, n: Temp, clamped: Temp): boolean {
  const d = on.op(clamped);
  if (d?.op !== "max" || !on.nonNegative(n)) return false;
  const [x, y] = d.args;
  if (!isZero(on, x) && !isZero(on, y)) return false;
  const diff = on.op(isZero(on, x) ? y : x);
  const c = diff?.op === "sub" ? on.constantOf(diff.args[1]) : undefined;
  return !!diff && typeof c === "number" && c >= 0 && on.same(diff.args[0], n);
}

/** ±2^k: multiplying by it only moves the exponent. */
const powerOfTwo = (c: number) => c !== 0 && Number.isFinite(c) && Math.log2(Math.abs(c)) % 1 === 0;

export const REWRITES: readonly Rewrite[] = [
  {
    name: "add a negation", op: "add", pattern: "a + -b", result: "a - b",
    exact: "IEEE 754 defines a - b as a + (-b)",
    sample: (k, { a, b }) => k.op("add", a, k.op("neg", b)),
    apply: ([a, b], on) => { const nb = negated(on, b); return nb && { op: "sub", args: [a, nb] }; },
  },
  {
    name: "negation plus", op: "add", pattern: "-a + b", result: "b - a",
    exact: "addition commutes, then a + (-b) = a - b",
    sample: (k, { a, b }) => k.op("add", k.op("neg", a), b),
    apply: ([a, b], on) => { const na = negated(on, a); return na && { op: "sub", args: [b, na] }; },
  },
  {
    name: "subtract a negation", op: "sub", pattern: "a - -b", result: "a + b",
    exact: "a - (-b) is a + (-(-b)), and negation is exact",
    sample: (k, { a, b }) => k.op("sub", a, k.op("neg", b)),
    apply: ([a, b], on) => { const nb = negated(on, b); return nb && { op: "add", args: [a, nb] }; },
  },
  {
    name: "subtract a negative constant", op: "sub", pattern: "a - (-c)", result: "a + c",
    exact: "a - (-c) is a + (-(-c)), and negating a constant is exact",
    sample: (k, { a }) => k.op("sub", a, k.num(-3)),
    apply: ([a, b], on) => { const c = on.constantOf(b); return typeof c === "number" && c < 0 ? { op: "add", args: [a, -c] } : undefined; },
  },
  {
    name: "double negation", op: "neg", pattern: "-(-a)", result: "a",
    exact: "negation flips the sign bit only",
    sample: (k, { a }) => k.op("neg", k.op("neg", a)),
    apply: ([a], on) => negated(on, a),
  },
  {
    name: "add a negated product", op: "add", pattern: "a + -b * c", result: "a - b * c",
    exact: "(-b) * c is -(b * c) (rounding is symmetric in sign), then a + -x = a - x",
    sample: (k, { a, b }) => k.op("add", a, k.op("mul", k.op("neg", b), k.op("add", a, b))),
    apply: ([a, b], on) => {
      for (const [sum, product] of [[a, b], [b, a]]) {
        const p = on.op(product);
        if (p?.op !== "mul") continue;
        const [x, y] = p.args;
        const nx = negated(on, x), ny = negated(on, y);
        if (nx) return { op: "sub", args: [sum, { op: "mul", args: [nx, y] }] };
        if (ny) return { op: "sub", args: [sum, { op: "mul", args: [x, ny] }] };
      }
      return undefined;
    },
  },
  {
    name: "subtract a negated product", op: "sub", pattern: "a - -b * c", result: "a + b * c",
    exact: "(-b) * c is -(b * c) (rounding is symmetric in sign), then a - -x = a + x",
    sample: (k, { a, b }) => k.op("sub", a, k.op("mul", k.op("neg", b), k.num(2))),
    apply: ([a, b], on) => {
      const p = on.op(b);
      if (p?.op !== "mul") return undefined;
      const [x, y] = p.args;
      const nx = negated(on, x), ny = negated(on, y);
      if (nx) return { op: "add", args: [a, { op: "mul", args: [nx, y] }] };
      if (ny) return { op: "add", args: [a, { op: "mul", args: [x, ny] }] };
      return undefined;
    },
  },
  {
    name: "add a negative multiple", op: "add", pattern: "a + (-c) * x", result: "a - c * x",
    exact: "(-c) * x is -(c * x), then a + -y = a - y (c < 0: not for -0)",
    sample: (k, { a, b }) => k.op("add", a, k.op("mul", k.num(-2), b)),
    apply: ([a, b], on) => {
      for (const [sum, product] of [[a, b], [b, a]]) {
        const s = scaled(on, product);
        if (s && s[0] < 0) return { op: "sub", args: [sum, { op: "mul", args: [-s[0], s[1]] }] };
      }
      return undefined;
    },
  },
  {
    name: "undo an offset", op: "add", pattern: "(n - c) + c", result: "n",
    exact: "n ≥ 0 (not -0) and c are integers, so n - c is exact (bounds below 2^53) and adding c back gives n",
    sample: (k, { n }) => k.op("add", k.op("sub", n, k.num(1)), k.num(1)),
    apply: ([a, b], on) => {
      const d = on.op(a);
      return d?.op === "sub" && on.nonNegative(d.args[0]) && on.integer(d.args[0]) && on.integer(b) && on.integer(a) && on.same(d.args[1], b) ? d.args[0] : undefined;
    },
  },
  {
    name: "doubling", op: "add", pattern: "c * b + b * c", result: "2 * (c * b)",
    exact: "x + x and 2 * x round the same exact value 2x (products commute exactly)",
    sample: (k, { b }) => k.op("add", k.op("mul", k.num(100), b), k.op("mul", b, k.num(100))),
    apply: ([a, b], on) => (on.same(a, b) ? { op: "mul", args: [2, a] } : undefined),
  },
  {
    name: "doubling a scaled product", op: "add", pattern: "b * (c * x) + b * x * c", result: "(2 * c) * (b * x)",
    exact: "c is ±2^k, so both terms are the one value c·b·x rounded once; not where a product is subnormal (below 2^-1022) or overflows",
    sample: (k, { a, b }) => k.op("add", k.op("mul", a, k.op("mul", k.num(0.5), b)), k.op("mul", k.op("mul", a, b), k.num(0.5))),
    domain: "normal",
    apply: ([a, b], on) => {
      const [p, q] = [scaledPair(on, a), scaledPair(on, b)];
      if (!p || !q || p.c !== q.c) return undefined;
      const sameFactors = (on.same(p.x, q.x) && on.same(p.y, q.y)) || (on.same(p.x, q.y) && on.same(p.y, q.x));
      return sameFactors ? { op: "mul", args: [2 * p.c, p.pair ?? q.pair ?? { op: "mul", args: [p.x, p.y] }] } : undefined;
    },
  },
  {
    name: "constant through a product", op: "mul", pattern: "c1 * (c2 * x)", result: "(c1 * c2) * x",
    exact: "one constant is ±2^k, so one of the two products is exact; not where a product is subnormal (below 2^-1022) or overflows",
    sample: (k, { a }) => k.op("mul", k.num(4), k.op("mul", a, k.num(0.3))), domain: "normal",
    apply: ([a, b], on) => {
      for (const [outer, inner] of [[a, b], [b, a]]) {
        const c1 = on.constantOf(outer);
        const s = scaled(on, inner);
        if (typeof c1 === "number" && s && (powerOfTwo(c1) || powerOfTwo(s[0])) && Number.isFinite(c1 * s[0])) return { op: "mul", args: [c1 * s[0], s[1]] };
      }
      return undefined;
    },
  },
  {
    name: "smaller than zero", op: "min", pattern: "min(n, 0)", result: "0",
    exact: "n ≥ 0 and +0 is the least such number (min(+0, +0) is +0)",
    sample: (k, { n }) => k.op("min", n, k.num(0)),
    apply: ([a, b], on) => (isZero(on, b) && on.nonNegative(a) ? b : isZero(on, a) && on.nonNegative(b) ? a : undefined),
  },
  {
    name: "larger than zero", op: "max", pattern: "max(0, n)", result: "n",
    exact: "n ≥ 0, and n is +0 when it equals 0",
    sample: (k, { n }) => k.op("max", k.num(0), k.op("min", n, k.op("max", k.num(0), k.op("sub", n, k.num(1))))),
    apply: ([a, b], on) => (isZero(on, a) && on.nonNegative(b) ? b : isZero(on, b) && on.nonNegative(a) ? a : undefined),
  },
  {
    name: "clamped below a length", op: "min", pattern: "min(n, max(0, n - c))", result: "max(0, n - c)",
    exact: "n ≥ 0 and c ≥ 0, so 0 ≤ n and n - c ≤ n (rounding keeps order): the max is never above n, and never -0",
    sample: (k, { n }) => k.op("min", n, k.op("max", k.num(0), k.op("sub", n, k.num(1)))),
    apply: ([a, b], on) => (belowLength(on, a, b) ? b : belowLength(on, b, a) ? a : undefined),
  },
  {
    name: "same operands", op: "min", pattern: "min(x, x)", result: "x",
    exact: "Math.min of one value is that value (NaN and -0 included)",
    sample: (k, { a, b }) => k.op("min", k.op("add", a, b), k.op("add", b, a)),
    apply: ([a, b], on) => (on.same(a, b) ? a : undefined),
  },
  {
    name: "same operands", op: "max", pattern: "max(x, x)", result: "x",
    exact: "Math.max of one value is that value (NaN and -0 included)",
    sample: (k, { a }) => k.op("max", a, a),
    apply: ([a, b], on) => (on.same(a, b) ? a : undefined),
  },
];

const byOp = new Map<string, Rewrite[]>();
for (const r of REWRITES) byOp.set(r.op, [...(byOp.get(r.op) ?? []), r]);

/** The first rewrite of `i` that applies, with its result. */
export function rewrite(i: Op, on: Operands): { rule: Rewrite; to: Rewritten } | undefined {
  for (const rule of byOp.get(i.op) ?? []) {
    const to = rule.apply(i.args, on);
    if (to) return { rule, to };
  }
  return undefined;
}

/** Ops whose operands can be swapped without changing the value. */
export const COMMUTATIVE = new Set(["add", "mul", "min", "max"]);
