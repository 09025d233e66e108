// Every corpus loss through the runtime API, checked against central differences.
import { describe, expect, test } from "vitest";
import { grad, valueAndGrad } from "../index.js";
import { maxRelError, numericGradient, relError } from "../runtime/numeric.js";
import { paramIndex, wrtKeys } from "./corpus/params.js";
import { cases, type CorpusCase, type WrtKey } from "./corpus/index.js";
import { makeRng, seedOf } from "./corpus/rng.js";

const POINTS = 3;
/** The seed's standard for float64 gradients. */
const TOL64 = 1e-5;
/**
 * Float32 cases: the arguments hold single-precision values, perturbed with a step of
 * 1e-3 * max(1, |x|). Where the loss stores intermediates in a Float32Array, each store
 * rounds by up to ~6e-8 relative (~1e-7 absolute here), and dividing by the 2e-3 wide
 * step turns that into ~1e-4 of noise in the finite difference (the worst seen over 200
 * random points of `float32Buffer` against its analytic gradient was 8.4e-5). The
 * gradient itself is returned in a Float32Array (another ~6e-8). 1e-3 keeps a 10x margin
 * while still catching any wrong derivative term.
 */
const TOL32 = 1e-3;
/** Compiled value vs. calling the function: same operations, so equal up to rounding. */
const VALUE_TOL = 1e-12;

type Fn = (...args: any[]) => unknown;
type Opts = { wrt?: WrtKey | WrtKey[]; out?: unknown; functions?: Record<string, Function> };
const gradOf = grad as unknown as (f: Fn, opts?: Opts) => Fn;
const valueAndGradOf = valueAndGrad as unknown as (f: Fn, opts?: Opts) => Fn;




function points(c: CorpusCase): unknown[][] {
  const out: unknown[][] = [];
  for (let k = 0; k < POINTS; k++) out.push(c.makeArgs(makeRng(seedOf(c.name, k))));
  return out;
}

/** Deep copy of an argument list (typed arrays and objects of them). */
function copyArgs(args: unknown[]): unknown[] {
  return args.map((v) => likeValue(v, undefined));
}

/** Same shape as `v`; entries copied, or set to `fill` when given. */
function likeValue(v: unknown, fill: number | undefined): any {
  if (typeof v === "number") return fill ?? v;
  if (v instanceof Float64Array || v instanceof Float32Array) {
    const c = v.slice();
    if (fill !== undefined) c.fill(fill);
    return c;
  }
  if (v !== null && typeof v === "object" && !Array.isArray(v)) {
    const o: Record<string, unknown> = {};
    for (const key of Object.keys(v)) o[key] = likeValue((v as Record<string, unknown>)[key], fill);
    return o;
  }
  return v;
}

const tolerance = (c: CorpusCase) => (c.float32 ? TOL32 : TOL64);

function expectValue(c: CorpusCase, got: unknown, args: unknown[]): void {
  const want = c.fn(...copyArgs(args));
  expect(typeof got).toBe("number");
  expect(relError(got as number, want), `${c.name}: value ${got} vs ${want}`).toBeLessThanOrEqual(
    c.float32 ? 1e-6 : VALUE_TOL,
  );
}

function expectGradient(c: CorpusCase, key: WrtKey, got: unknown, args: unknown[]): void {
  const want = numericGradient(c.fn, args, paramIndex(c.fn, key));
  const err = maxRelError(got, want);
  expect(err, `${c.name} wrt ${key}: relative error ${err.toExponential(2)}`).toBeLessThan(tolerance(c));
}

describe.each(cases)("corpus: $name", (c) => {
  const keys = wrtKeys(c);
  const functions = c.functions;
  const pts = points(c);

  test("valueAndGrad: value equals fn(...args), gradient matches central differences", () => {
    const single = keys.map((key) => valueAndGradOf(c.fn, { wrt: key, functions }));
    const listed = Array.isArray(c.wrt) ? valueAndGradOf(c.fn, { wrt: c.wrt, functions }) : undefined;
    for (const args of pts) {
      const before = copyArgs(args);
      keys.forEach((key, i) => {
        const [value, g] = single[i](...args) as [unknown, unknown];
        expectValue(c, value, args);
        expectGradient(c, key, g, args);
      });
      if (listed) {
        const [value, gs] = listed(...args) as [unknown, unknown[]];
        expectValue(c, value, args);
        expect(Array.isArray(gs)).toBe(true);
        expect(gs).toHaveLength(keys.length);
        keys.forEach((key, i) => expectGradient(c, key, gs[i], args));
      }
      // the derivative must not write its arguments
      expect(maxRelError(args, before)).toBe(0);
    }
  });

  test("grad returns the same gradient as valueAndGrad", () => {
    const wrt = c.wrt ?? 0;
    const g = gradOf(c.fn, { wrt, functions });
    const vg = valueAndGradOf(c.fn, { wrt, functions });
    for (const args of pts) {
      const [, want] = vg(...args) as [unknown, unknown];
      expect(maxRelError(g(...args), want)).toBeLessThanOrEqual(1e-12);
    }
  });

  // opts.out: only arguments with buffers (typed arrays, objects) can be filled in place.
  const buffered = keys.filter((key) => typeof pts[0][paramIndex(c.fn, key)] !== "number");
  test.runIf(buffered.length > 0)("opts.out buffers are filled and returned", () => {
    for (const key of buffered) {
      const i = paramIndex(c.fn, key);
      const plain = gradOf(c.fn, { wrt: key, functions });
      for (const args of pts) {
        const want = plain(...args);
        const out = likeValue(args[i], 123); // stale contents must be overwritten, not added to
        const arrays = fieldArrays(out);
        const withOut = gradOf(c.fn, { wrt: key, functions, out });
        for (let call = 0; call < 2; call++) {
          const got = withOut(...args);
          expect(got).toBe(out);
          fieldArrays(out).forEach((a, k) => expect(a).toBe(arrays[k]));
          expect(maxRelError(got, want)).toBeLessThanOrEqual(1e-12);
        }
        fillValue(out, 123);
        const [value, g] = valueAndGradOf(c.fn, { wrt: key, functions, out })(...args) as [unknown, unknown];
        expectValue(c, value, args);
        expect(g).toBe(out);
        expect(maxRelError(g, want)).toBeLessThanOrEqual(1e-12);
      }
    }
  });
});

/** The typed arrays inside an out buffer (itself, or an object's fields), to check identity. */
function fieldArrays(out: unknown): unknown[] {
  if (ArrayBuffer.isView(out)) return [out];
  const o = out as Record<string, unknown>;
  return Object.keys(o)
    .map((k) => o[k])
    .filter((v) => typeof v === "object");
}

/** Overwrites every entry of an out buffer in place. */
function fillValue(out: any, fill: number): void {
  if (ArrayBuffer.isView(out)) (out as Float64Array).fill(fill);
  else for (const k of Object.keys(out)) typeof out[k] === "number" ? (out[k] = fill) : out[k].fill(fill);
}
