// Random-program fuzzing: generated loss functions (test/fuzz/generate.ts) through
// valueAndGrad for each parameter as wrt, at random points. The value must equal the
// loss's, the arguments must be left unchanged, and the gradient must match central
// differences to 1e-5 wherever central differences are themselves stable (steps h and
// h/2 agree to 1e-6); unstable points are skipped and counted, and a new point is
// drawn instead. On failure the seed and the whole program are printed;
// `node test/fuzz/run.mjs --seeds SEED` reproduces it and `--reduce SEED` shrinks it.
import { afterAll, describe, expect, test } from "vitest";
import { checkSeed, formatFailures, type CheckResult } from "./fuzz/check.js";

const FIRST = 1;
const COUNT = 150;
/**
 * Seeds of the range above whose programs gradc gets wrong today; each is a known
 * bug with a minimal repro in the fuzzing report. Add them back as they are fixed.
 */
const KNOWN_BAD = new Set<number>([]);

const seeds = Array.from({ length: COUNT }, (_, k) => FIRST + k).filter((s) => !KNOWN_BAD.has(s));
const results: CheckResult[] = [];

describe("fuzz: random loss functions against central differences", () => {
  test.each(seeds)("seed %i", (seed) => {
    const res = checkSeed(seed);
    results.push(res);
    expect(res.failures, formatFailures(res)).toEqual([]);
  });

  afterAll(() => {
    const checked = results.reduce((n, r) => n + r.checked, 0);
    const skipped = results.reduce((n, r) => n + r.skipped, 0);
    const untested = results.reduce((n, r) => n + r.untested, 0);
    console.log(
      `fuzz: ${results.length} programs, ${checked} (wrt, point) gradients checked, ` +
        `${skipped} points skipped as numerically unstable (${((100 * skipped) / Math.max(1, checked + skipped)).toFixed(1)}%), ` +
        `${untested} wrt choices without a stable point`,
    );
  });

  test("the stability check skips few points", () => {
    // Run after the seeds (vitest runs tests of a file in order). If the generator
    // drifted towards programs whose finite differences are unreliable, the fuzzer
    // would quietly test less: keep the skip rate and untested wrt choices low.
    const checked = results.reduce((n, r) => n + r.checked, 0);
    const skipped = results.reduce((n, r) => n + r.skipped, 0);
    const untested = results.reduce((n, r) => n + r.untested, 0);
    expect(results.length).toBe(seeds.length);
    expect(skipped / (checked + skipped)).toBeLessThan(0.05);
    expect(untested).toBeLessThanOrEqual(Math.ceil(0.02 * 3 * seeds.length));
  });
});
