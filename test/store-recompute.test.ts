// The reverse plan's store-or-recompute decisions (compiler/transforms/reverse/plan.ts,
// costs in reverse/costs.ts): where every later write of a var is saved, the backward
// sweep reads the value a set wrote from the var before restoring it; otherwise an
// expensive value (exp, tanh, …) is saved on the tape where the tape is used anyway. Each case is checked against central
// differences, in reverse mode and as H·v, at several points.
import { describe, expect, test } from "vitest";
import * as gradc from "../index.js";
import { makeRng } from "./corpus/rng.js";
import { checkGradAndHvp, shownCore } from "./grad-hvp-check.js";
import {
  branchOnLocal, branchReadsM, expBranches, logSumExp, maxAlsoRead, maxByBranch, maxCandidateSecond, maxScaled, minByBranchLast, minCandidateFirst, rnn, rnnThenScaled,
} from "./store-recompute.losses.js";

type Fn = (...args: any[]) => any;
const { grad } = gradc as unknown as Record<"grad", (f: Fn, o?: object) => Fn>;
const rng = makeRng(41);
const rand = (n: number, scale = 1) => Float64Array.from({ length: n }, () => scale * rng.uniform(-1, 1));
const checkDerivatives = (f: Fn, make: () => unknown[]) => checkGradAndHvp(f, make, rand, 4);

/** The backward sweep of `fn`'s gradient as `gradc show` prints it (from the seed to the exported entry), without comments. */
async function backwardSweep(fn: string): Promise<string> {
  const code = await shownCore("test/store-recompute.losses.ts", fn);
  return code.slice(code.indexOf("// adjoint of")).split("\n").filter((line) => !line.trim().startsWith("//")).join("\n");
}

describe("a value the backward sweep needs is read from its var before the restore, or saved", () => {
  test("tanh RNN: the backward sweep computes no tanh", async () => {
    expect(await backwardSweep("rnn")).not.toContain("Math.tanh");
    checkDerivatives(rnn, () => [rand(3), rand(30), rand(30, 0.5)]);
  });

  test("a var overwritten later without a save: tanh's value is saved on the tape instead", async () => {
    checkDerivatives(rnnThenScaled, () => [rand(2), rand(25)]);
    const backward = await backwardSweep("rnnThenScaled");
    expect(backward).not.toContain("Math.tanh");
    expect(backward.match(/stack\[--top\]/g)).toHaveLength(2); // h's old value and tanh's
  });

  test("a var a branch sometimes overwrites (saved): exp read from it", async () => {
    expect(await backwardSweep("expBranches")).not.toContain("Math.exp");
    checkDerivatives(expBranches, () => [rand(20)]);
  });
});

describe("a var an iteration sets and then reads is taped after its last reader, not saved at its set", () => {
  test("a const read by a branch and an inner loop: nothing carried from the iteration before", async () => {
    const code = await shownCore("test/store-recompute.losses.ts", "branchOnLocal");
    const forward = code.slice(0, code.indexOf("// adjoint of"));
    // No push of the old u or v where they are set: both go on the tape after the inner loop.
    expect(forward).toMatch(/\n\s*u = Math\.sin/);
    expect(forward).not.toMatch(/= [uv];\n\s*[uv] = Math/);
    expect(forward).toContain("// u, v of this iteration, for the backward sweep");
    expect(await backwardSweep("branchOnLocal")).toMatch(/v = stack\[--top\];\n\s*u = stack\[--top\];/);
    checkDerivatives(branchOnLocal, () => [rand(12), rand(3)]);
  });
});

describe("an expensive value the backward sweep needs is saved, not computed again", () => {
  test("log-sum-exp: exp once per element, its value popped in the backward sweep", async () => {
    const backward = await backwardSweep("logSumExp");
    expect(backward).not.toContain("Math.exp");
    checkDerivatives(logSumExp, () => [rand(40, 4)]);
  });
});

describe("a running max or min sends its adjoint to the element it kept, without reversing the loop", () => {
  test("a maximum of an expression: no tape, one backward step at the kept index", async () => {
    const backward = await backwardSweep("maxScaled");
    expect(backward).not.toContain("stack");
    expect(backward).not.toMatch(/for \(/);
    checkDerivatives(maxScaled, () => [rand(15), rand(2)]);
  });

  test("ties go where the partials of max and min send them", () => {
    const x = Float64Array.of(1, 3, 2, 3, -4, -4);
    expect([...grad(maxCandidateSecond)(x)]).toEqual([0, 1, 0, 0, 0, 0]);
    expect([...grad(minCandidateFirst)(x)]).toEqual([0, 0, 0, 0, 0, 1]);
    checkDerivatives(minCandidateFirst, () => [rand(12)]);
  });

  test("kept by a branch: no tape, one backward step; ties as the comparison sends them", async () => {
    const backward = await backwardSweep("maxByBranch");
    expect(backward).not.toContain("stack");
    expect(backward).not.toMatch(/for \(/);
    checkDerivatives(maxByBranch, () => [rand(15), rand(2)]);
    const x = Float64Array.of(1, 3, 2, 3, -4, -4);
    expect([...grad(maxByBranch)(x, Float64Array.of(1, 1))]).toEqual([0, 1, 0, 0, 0, 0]);
    expect([...grad(minByBranchLast)(x)]).toEqual([0, 0, 0, 0, 0, 2]);
    checkDerivatives(minByBranchLast, () => [rand(12)]);
  });

  test("a branch writing m from m is reversed as any loop", async () => {
    expect(await backwardSweep("branchReadsM")).toMatch(/for \(/);
    checkDerivatives(branchReadsM, () => [rand(12)]);
  });

  test("a running value read elsewhere in the loop is reversed as any loop", async () => {
    expect(await backwardSweep("maxAlsoRead")).toMatch(/for \(/);
    checkDerivatives(maxAlsoRead, () => [rand(12)]);
  });
});
