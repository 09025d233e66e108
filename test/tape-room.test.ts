// The tape's room: a loop of known length makes room for all its body's pushes before it
// (the most along any path through its branches), and those pushes print without the
// check for a full tape; a loop nested in the body keeps the checks when it pushes too. A backward loop that
// only pops syncs the tape once, before it. Each case is checked against central
// differences, in reverse mode and as H·v, and a push past the end is reported.
import { describe, expect, test } from "vitest";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { compileModule } from "../compiler/compile-module.js";
import { Tape } from "../runtime/index.js";
import { makeRng } from "./corpus/rng.js";
import { checkGradAndHvp, shownCore } from "./grad-hvp-check.js";
import { branchy, halving, innerReadsOnly, nested, signOnly, whileConstant } from "./tape-room.losses.js";

const rng = makeRng(29);
const rand = (n: number) => Float64Array.from({ length: n }, () => rng.uniform(-1, 1));
const code = (fn: string, ...args: string[]) => shownCore("test/tape-room.losses.ts", fn, ...args);
const checkDerivatives = (f: (...args: any[]) => any, make: () => unknown[]) => checkGradAndHvp(f, make, rand);

const fullCheck = /if \(top === stack\.length\)/g;

describe("room made before a loop covers its pushes", () => {
  test("branches pushing 3, 1 or 0 values: room for 4 per iteration, no check per push", async () => {
    const text = await code("branchy");
    // u (after the branch that reads it), then out's and aux's and the cosine's (saved, not computed again) in one branch.
    expect(text).toMatch(/tape\.room\(top, x\.length \* 4\)/);
    expect(text.match(fullCheck)).toBeNull();
    checkDerivatives(branchy, () => [rand(40), rand(2)]);
  });

  test("the same in the H·v, which pushes tangents too", async () => {
    expect((await code("branchy", "--mode", "hvp")).match(fullCheck)).toBeNull();
  });

  test("a loop nested in the body keeps the check on its pushes", async () => {
    expect((await code("nested")).match(fullCheck)?.length).toBeGreaterThan(0);
    checkDerivatives(nested, () => [rand(9), rand(3)]);
  });

  test("a nested loop that pushes nothing leaves the outer pushes counted and unchecked", async () => {
    const text = await code("innerReadsOnly");
    expect(text).toMatch(/tape\.room\(top, c\.length \* 2\)/); // p before `let p = 0` overwrites it, and r
    expect(text.match(fullCheck)).toBeNull();
    checkDerivatives(innerReadsOnly, () => [rand(9), rand(4)]);
  });

  test("a while loop checks each push; its backward loop syncs once, before it", async () => {
    const text = await code("halving");
    expect(text.match(fullCheck)?.length).toBeGreaterThan(0);
    expectSyncBefore(text, "for (let iteration = 0");
    checkDerivatives(halving, () => [rand(11)]);
  });

  test("a reversed loop syncs the tape before it, not in each iteration", async () => {
    expectSyncBefore(await code("branchy"), "for (let i_1");
  });
});

describe("a saved value nothing pops and reads leaves the tape with its pushes", () => {
  test("the H·v of a branch on u's sign pushes u, not u's tangent", async () => {
    const text = await code("signOnly", "--mode", "hvp");
    expect(text).toContain("stack[top++] = u;");
    expect(text).not.toContain("stack[top++] = u_dot;");
    expect(text).toContain("stack[top++] = out_dot;");
    checkDerivatives(signOnly, () => [rand(15), rand(1)]);
  });

  test("a constant a while loop makes inside a loop: no tape, no room made for it", async () => {
    expect(await code("whileConstant")).not.toMatch(/stack|tape\./);
    checkDerivatives(whileConstant, () => [rand(6), 4]);
  });
});

test("a checkpoint snapshot's scalar nothing reads after its restore leaves the tape with its push; no popped value goes unread", async () => {
  const file = path.resolve("examples/neural-ode.ts");
  const { code } = await compileModule(readFileSync(file, "utf8"), file, { format: false });
  expect(code).not.toMatch(/--top\d*;/);
  // Each popped temp is read later in its function (temps are numbered per function).
  for (const m of code!.matchAll(/const (t\d+) = stack\d*\[--top\d*\];/g)) {
    const rest = code!.slice(m.index! + m[0].length);
    const fn = rest.slice(0, rest.indexOf("\n}\n"));
    expect(fn, m[1]).toMatch(new RegExp(`\\b${m[1]}\\b`));
  }
}, 60_000);

/** The loop that `header` starts is preceded by a sync and holds none. */
function expectSyncBefore(text: string, header: string): void {
  const at = text.indexOf(header);
  expect(at).toBeGreaterThan(0);
  expect(text.slice(0, at).trimEnd().split("\n").at(-1)).toBe("  tape.sync(top);");
  const loop = text.slice(at);
  expect(loop.slice(0, loop.indexOf("\n  }\n"))).not.toContain("tape.sync");
}

test("a push past the end of the tape is reported, not dropped", () => {
  const tape = new Tape(4);
  expect(() => tape.sync(tape.values.length + 2)).toThrow(/2 values pushed past the end of the tape/);
});
