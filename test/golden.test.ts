// Golden tests: the derivative modules `gradc show` prints (emitted and prettier-formatted) for
// the functions of test/golden/losses.ts must equal test/golden/<name>.<mode>.ts exactly.
//
// After an intended change to the generated code, regenerate the expected files with
//
//     UPDATE_GOLDEN=1 npx vitest run test/golden.test.ts
//
// and review the diff before committing it. The modules name their source by its path relative
// to the working directory, so run vitest from the repository root.
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../compiler/cli.js";

const update = process.env.UPDATE_GOLDEN === "1";
const dir = path.join("test", "golden");
const source = path.join(dir, "losses.ts");

/** `gradc show test/golden/losses.ts <fn> <args>` must print test/golden/<expected>. */
const goldens: { expected: string; fn: string; args: string[] }[] = [
  { expected: "rosenbrock.grad.ts", fn: "rosenbrock", args: [] },
  { expected: "huber.grad.ts", fn: "huber", args: ["--wrt", "p", "--mode", "valueAndGrad"] },
  { expected: "sinExp.grad.ts", fn: "sinExp", args: ["--wrt", "x,y"] },
  { expected: "rosenbrock.hvp.ts", fn: "rosenbrock", args: ["--mode", "hvp"] },
];

async function show(fn: string, args: string[]): Promise<string> {
  let stdout = "";
  let stderr = "";
  const io = { out: (t: string) => void (stdout += t), err: (t: string) => void (stderr += t) };
  const code = await main(["show", source, fn, ...args], io);
  expect(code, stderr).toBe(0);
  return stdout;
}

describe("golden gradient modules", () => {
  it.each(goldens)("gradc show $fn $args prints test/golden/$expected", async ({ expected, fn, args }) => {
    const expectedFile = path.join(dir, expected);
    const actual = await show(fn, args);
    if (update) {
      writeFileSync(expectedFile, actual);
      return;
    }
    expect(actual).toBe(readFileSync(expectedFile, "utf8"));
  });
});
