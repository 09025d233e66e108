// The tape's room: a loop of known length makes room for all its body's pushes before it
// (the most along any path through its branches), and those pushes print without the
// check for a full tape; a loop nested in the body keeps the checks. A backward loop that
// only pops syncs the tape once, before it. Each case is checked against central
// differences, in reverse mode and as H·v, and a push past the end is reported.
import { describe, expect, test } from "vitest";
import * as gradc from "../index.js";
import { main } from "../compiler/cli.js";
import { Tape } from "../runtime/index.js";
import { maxRelError, numericGradient } from "../runtime/numeric.js";
import { makeRng } from "./corpus/rng.js";
import { branchy, halving, nested } from "./tape-room.losses.js";

type Fn = (...args: any[]) => any;
const { grad, hvp } = gradc as unknown as Record<"grad" | "hvp", (f: Fn, o?: object) => Fn>;
const rng = makeRng(29);
const rand = (n: number) => Float64Array.from({ length: n }, () => rng.uniform(-1, 1));
const file = "test/tape-room.losses.ts";

/** The derivative function `gradc show` prints for `fn` (up to the exported entry). */
async function code(fn: string, ...args: string[]): Promise<string> {
  let out = "";
  const io = { out: (t: string) => void (out += t), err: (t: string) => void (out += t) };
  expect(await main(["show", file, fn, ...args], io), out).toBe(0);
  return out.slice(0, out.indexOf("export function"));
}

const fullCheck = /if \(tape_top === tape_values\.length\)/g;

/** grad against central differences, and hvp against central differences of grad, at three points. */
function checkDerivatives(f: Fn, make: () => unknown[]): void {
  for (let point = 0; point < 3; point++) {
    const args = make();
    const x = args[0] as Float64Array;
    expect(maxRelError(grad(f)(...args), numericGradient(f, args, 0)), `gradient at point ${point}`).toBeLessThan(1e-6);
    const v = rand(x.length), h = 1e-5, g = grad(f);
    const up = g(x.map((xi, i) => xi + h * v[i]), ...args.slice(1)) as Float64Array;
    const down = g(x.map((xi, i) => xi - h * v[i]), ...args.slice(1)) as Float64Array;
    expect(maxRelError(hvp(f)(...args, v), up.map((u, i) => (u - down[i]) / (2 * h))), `H·v at point ${point}`).toBeLessThan(1e-5);
  }
}

describe("room made before a loop covers its pushes", () => {
  test("branches pushing 3, 1 or 0 values: room for 4 per iteration, no check per push", async () => {
    const text = await code("branchy");
    // u's old value, then out's and aux's and the cosine's (saved, not computed again) in one branch.
    expect(text).toMatch(/tape\.room\(tape_top, x\.length \* 4\)/);
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

/** The loop that `header` starts is preceded by a sync and holds none. */
function expectSyncBefore(text: string, header: string): void {
  const at = text.indexOf(header);
  expect(at).toBeGreaterThan(0);
  expect(text.slice(0, at).trimEnd().split("\n").at(-1)).toBe("  tape.sync(tape_top);");
  const loop = text.slice(at);
  expect(loop.slice(0, loop.indexOf("\n  }\n"))).not.toContain("tape.sync");
}

test("a push past the end of the tape is reported, not dropped", () => {
  const tape = new Tape(4);
  expect(() => tape.sync(tape.values.length + 2)).toThrow(/2 values pushed past the end of the tape/);
});
