// Branches that begin alike run their common start once, before the `if`
// (compiler/transforms/hoist.ts): the backward sweep of `if (u > 0) out += …; else
// out -= …` restores `out` once, not once per branch; what the rest of a branch still
// reads stays there. The derivatives stay exact (gradient and H·v, central differences).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, test } from "vitest";
import * as gradc from "../index.js";
import { main } from "../compiler/cli.js";
import { maxRelError, numericGradient } from "../runtime/numeric.js";
import { makeRng } from "./corpus/rng.js";

type Fn = (...args: any[]) => any;
const { grad, hvp } = gradc as unknown as Record<"grad" | "hvp", (f: Fn, o?: object) => Fn>;

function branchy(x: Float64Array, c: number): number {
  let out = 0;
  for (let i = 0; i < x.length; i++) {
    const u = Math.sin(out * c + x[i]);
    if (u > 0) out += u * 2;
    else out -= u * 3;
    if (out > 1) out = out * 0.5 + u;
    else out = out * 0.25 - u;
  }
  return out;
}

/** The gradient `gradc show` prints for `branchy` (its source written to a file). */
async function shown(): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), "gradc-prefix-"));
  try {
    const file = path.join(dir, "branchy.ts");
    writeFileSync(file, `export ${branchy.toString().replace("(x, c)", "(x: Float64Array, c: number): number")}\n`);
    let out = "";
    const io = { out: (t: string) => void (out += t), err: (t: string) => void (out += t) };
    expect(await main(["show", file, "branchy"], io), out).toBe(0);
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("the common start of both branches runs once", () => {
  test("the backward sweep restores out before each if, not in its branches", async () => {
    const code = await shown();
    // The first if restores out (the second needs no old value of out), before it; no branch begins with a restore.
    expect(code.match(/out = stack\[--top\];\n\s*if \(/g)?.length, code).toBe(1);
    expect(code, code).not.toMatch(/(\{|else \{)\n(\s*\/\/[^\n]*\n)?\s*out = stack\[--top\];/);
  });

  test("and the derivatives stay exact (gradient and H·v against central differences)", () => {
    const g = grad(branchy);
    const rng = makeRng(5);
    for (let k = 0; k < 3; k++) {
      const x = Float64Array.from({ length: 6 }, () => rng.uniform(-1, 1));
      const c = rng.uniform(0.2, 0.9);
      expect(maxRelError(g(x, c), numericGradient(branchy, [x, c], 0))).toBeLessThan(1e-6);
      const v = Float64Array.from({ length: 6 }, () => rng.uniform(-1, 1));
      const e = 1e-5;
      const [up, down] = [g(x.map((xi, i) => xi + e * v[i]), c), g(x.map((xi, i) => xi - e * v[i]), c)] as Float64Array[];
      expect(maxRelError(hvp(branchy)(x, c, v), up.map((u, i) => (u - down[i]) / (2 * e)))).toBeLessThan(1e-6);
    }
  });
});
