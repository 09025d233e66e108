// The algebraic rewrite table of compiler/transforms/rewrites.ts: each row's sample is
// rewritten by simplify and computes the same float64 value as before, bit for bit, on
// ordinary and special inputs (signed zeros, NaN, infinities, subnormals, lengths 0
// and up); patterns whose identity needs more than the table knows are left alone.
import { describe, expect, test } from "vitest";
import { Builder } from "../compiler/ir/builder.js";
import type { Func, Temp } from "../compiler/ir/types.js";
import { verify } from "../compiler/ir/verify.js";
import { emitFunction } from "../compiler/emit/js.js";
import { Names } from "../compiler/emit/names.js";
import { REWRITES, type Rewrite } from "../compiler/transforms/rewrites.js";
import { simplify } from "../compiler/transforms/simplify.js";

type Sample = Rewrite["sample"];

/** `(a, b, xs) => sample(a, b, xs.length)` as IR. */
function sampleFunc(sample: Sample): Func {
  const b = new Builder({ next: 1 });
  const [pa, pb, xs] = [b.newVar("a", "num", 0), b.newVar("b", "num", 1), b.newVar("xs", "f64[]", 2)];
  const result = b.newVar("result", "num");
  b.set(result, sample(b, { a: b.get(pa), b: b.get(pb), n: b.len(xs) }));
  return verify({ name: "sample", params: [pa, pb, xs], body: b.block, result }, { fresh: true });
}

function text(f: Func): string {
  return emitFunction(f, { ts: false, names: new Names(), name: "sample", returnValue: true });
}

function run(f: Func): (a: number, b: number, xs: Float64Array) => number {
  return new Function(`${text(f)}\nreturn sample;`)();
}

const SPECIAL = [0, -0, 1, -1.5, 0.1, 3, -7.25, 1e-310, -5e-324, 1.7e308, -1e300, NaN, Infinity, -Infinity];
const normal = (x: number) => !(x !== 0 && Math.abs(x) < 1e-300) && !(Math.abs(x) > 1e300 && Number.isFinite(x));
const lengths = [0, 1, 2, 5];

/** Values of `f` and `g` agree (Object.is) on every input of the domain. */
function expectSameValues(f: Func, g: Func, domain: Rewrite["domain"]): void {
  const [before, after] = [run(f), run(g)];
  const values = domain === "normal" ? SPECIAL.filter(normal) : SPECIAL;
  for (const a of values) {
    for (const b of values) {
      for (const n of lengths) {
        const xs = new Float64Array(n);
        const [x, y] = [before(a, b, xs), after(a, b, xs)];
        expect(Object.is(x, y), `a = ${a}, b = ${b}, n = ${n}: ${x} before, ${y} after`).toBe(true);
      }
    }
  }
}

describe("algebraic rewrite table", () => {
  test.each(REWRITES.map((r) => [`${r.pattern} → ${r.result}`, r] as const))("%s: rewritten, and the same value on every input", (_, row) => {
    const f = sampleFunc(row.sample);
    const g = verify(simplify(f, { keepResult: true }));
    expect(text(g)).not.toBe(text(f));
    expectSameValues(f, g, row.domain);
  });

  test("every row says why it is exact and has a sample", () => {
    for (const r of REWRITES) {
      expect(r.name && r.pattern && r.result && r.exact, r.name).toBeTruthy();
      expect(typeof r.sample).toBe("function");
    }
  });

  // Identities that would need to know a sign, a finite value, or an order of summation.
  const untouched: [string, Sample][] = [
    ["max(0, a), a a number of either sign", (k, { a }) => k.op("max", k.num(0), a)],
    ["min(a, 0), a a number of either sign", (k, { a }) => k.op("min", a, k.num(0))],
    ["max(0, n - 1), below 0 for an empty array", (k, { n }) => k.op("max", k.num(0), k.op("sub", n, k.num(1)))],
    ["min(n, -0): -0 is below +0", (k, { n }) => k.op("min", n, k.num(-0))],
    ["min(n, n + 1): above n", (k, { n }) => k.op("min", n, k.op("add", n, k.num(1)))],
    ["min(n, max(0, a - 1)): a not the length", (k, { n, a }) => k.op("min", n, k.op("max", k.num(0), k.op("sub", a, k.num(1))))],
    ["3 * (0.1 * a): neither constant a power of two", (k, { a }) => k.op("mul", k.num(3), k.op("mul", k.num(0.1), a))],
    ["a * b + b * a + a: a sum of different terms", (k, { a, b }) => k.op("add", k.op("add", a, b), k.op("sub", b, a))],
    ["a * (0.3 * b) + a * b * 0.3: 0.3 not a power of two", (k, { a, b }) => k.op("add", k.op("mul", a, k.op("mul", k.num(0.3), b)), k.op("mul", k.op("mul", a, b), k.num(0.3)))],
    ["(a - 1) + 1: a maybe not an integer", (k, { a }) => k.op("add", k.op("sub", a, k.num(1)), k.num(1))],
    ["(n - 0.5) + 0.5: a fraction", (k, { n }) => k.op("add", k.op("sub", n, k.num(0.5)), k.num(0.5))],
    ["max(0, max(a, -1)): max with a maybe-NaN value", (k, { a }) => k.op("max", k.num(0), k.op("max", a, k.num(-1)))],
  ];
  test.each(untouched)("%s: left as it is", (_, sample) => {
    const f = sampleFunc(sample);
    expect(text(verify(simplify(f, { keepResult: true })))).toBe(text(f));
  });
});

describe("loops that cannot run", () => {
  /** `for (j = start; j < end; j++) xs[j] = 0; return xs.length`, as IR. */
  function zeroing(bounds: (k: Builder, n: Temp) => [Temp, Temp]): Func {
    const b = new Builder({ next: 1 });
    const xs = b.newVar("xs", "f64[]", 0);
    const j = b.newVar("j", "num");
    const [start, end] = bounds(b, b.len(xs));
    const body = b.nested((ib) => ib.store(xs, ib.get(j), ib.num(0)));
    b.emit({ k: "for", index: j, start, end, step: 1, cmp: "<", body });
    const result = b.newVar("result", "num");
    b.set(result, b.len(xs));
    return verify({ name: "zeroing", params: [xs], body: b.block, result }, { fresh: true });
  }
  const loops = (f: Func) => f.body.filter((i) => i.k === "for").length;

  test("a loop up to min(n, 0) of a length n is gone; one up to n - 1 stays", () => {
    expect(loops(simplify(zeroing((k, n) => [k.num(0), k.op("min", n, k.num(0))]), { keepResult: true }))).toBe(0);
    expect(loops(simplify(zeroing((k, n) => [n, n]), { keepResult: true }))).toBe(0);
    expect(loops(simplify(zeroing((k, n) => [k.num(0), k.op("sub", n, k.num(1))]), { keepResult: true }))).toBe(1);
  });
});
