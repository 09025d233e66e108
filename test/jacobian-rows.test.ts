// Reverse-mode Jacobians share their forward sweep: vjpRowsIR (compiler/pipeline.ts) is
// forward mode over the vector-Jacobian product in its cotangent, so one sweep carries 8
// rows (fewer when the code fixes fewer outputs). Checked against central differences,
// with partial last sweeps, number and array wrt, `out` reused, and batchJacobian. A
// forward-mode Jacobian of numbers only takes as many columns a sweep as there are.
import { describe, expect, test } from "vitest";
import * as gradc from "../index.js";
import { main } from "../compiler/cli.js";
import { maxRelError } from "../runtime/numeric.js";
import { makeRng } from "./corpus/rng.js";
import { mixed, ofThree, shifted, three } from "./jacobian-rows.losses.js";

type Fn = (...args: any[]) => any;
const api = gradc as unknown as Record<"jacobian" | "batchJacobian", (f: Fn, o?: object) => Fn>;
const rng = makeRng(53);
const rand = (n: number) => Float64Array.from({ length: n }, () => rng.uniform(-1, 1));

/** The m×n Jacobian of `f` at `args` by central differences, over the flat entries of `wrt` (array or number arguments). */
function byDifferences(f: Fn, args: unknown[], wrt: number[]): Float64Array {
  const m = (f(...args) as Float64Array).length;
  const columns: Float64Array[] = [];
  const h = 1e-6;
  for (const w of wrt) {
    const at = (k: number, d: number) => {
      const moved = [...args];
      if (typeof args[w] === "number") moved[w] = (args[w] as number) + d;
      else { const a = Float64Array.from(args[w] as Float64Array); a[k] += d; moved[w] = a; }
      return f(...moved) as Float64Array;
    };
    const size = typeof args[w] === "number" ? 1 : (args[w] as Float64Array).length;
    for (let k = 0; k < size; k++) {
      const up = at(k, h), down = at(k, -h);
      columns.push(up.map((u, i) => (u - down[i]) / (2 * h)));
    }
  }
  const J = new Float64Array(m * columns.length);
  columns.forEach((col, j) => col.forEach((v, i) => { J[i * columns.length + j] = v; }));
  return J;
}

async function shown(fn: string, ...args: string[]): Promise<string> {
  let out = "";
  const io = { out: (t: string) => void (out += t), err: (t: string) => void (out += t) };
  expect(await main(["show", "test/jacobian-rows.losses.ts", fn, "--mode", "jacobian", "--jacobian", "reverse", ...args], io), out).toBe(0);
  return out;
}

test("a forward-mode Jacobian of three numbers: the three columns in one sweep", async () => {
  let out = "";
  const io = { out: (t: string) => void (out += t), err: (t: string) => void (out += t) };
  expect(await main(["show", "test/jacobian-rows.losses.ts", "ofThree", "--mode", "jacobian", "--jacobian", "forward", "--wrt", "a,b,c"], io), out).toBe(0);
  expect(out).toMatch(/col \+= 3\)/);
  expect(out).not.toContain("a_dot3");
  const args = [0.3, -0.7, 0.4];
  const jac = api.jacobian(ofThree, { wrt: ["a", "b", "c"], mode: "forward" });
  expect(maxRelError(jac(...args), byDifferences(ofThree, args, [0, 1, 2]))).toBeLessThan(1e-6);
});

describe("a reverse-mode Jacobian sweeps several rows at once", () => {
  test("11 rows of an array and a number: sweeps of 8 then 3, each row as central differences give it", async () => {
    const code = await shown("mixed", "--wrt", "x,t");
    expect(code).toMatch(/for \(let r = 0; r < m; r \+= 8\)/);
    expect(code.match(/mixed_vjp\(/g)).toHaveLength(2); // its definition and one call in the loop
    const jac = api.jacobian(mixed, { wrt: ["x", "t"], mode: "reverse" });
    for (let point = 0; point < 3; point++) {
      const x = rand(5), t = rng.uniform(-1, 1);
      expect(maxRelError(jac(x, t), byDifferences(mixed, [x, t], [0, 1]))).toBeLessThan(1e-6);
    }
  });

  test("a value of 3 entries the code fixes: 3 rows a sweep, m known without running f; out reused gives the same rows", async () => {
    const code = await shown("three");
    expect(code).toMatch(/r \+= 3\)/);
    expect(code).toContain("const m = 3;"); // no run of f to learn it, and no copy of f for it
    expect(code).not.toContain("function three_value");
    const out = new Float64Array(3 * 6);
    const jac = api.jacobian(three, { mode: "reverse", out });
    for (let point = 0; point < 3; point++) {
      const x = rand(6);
      expect(jac(x)).toBe(out);
      expect(maxRelError(out, byDifferences(three, [x], [0]))).toBeLessThan(1e-6);
    }
  });

  test("as many rows as inputs, known when called: the last sweep partial", () => {
    const jac = api.jacobian(shifted, { mode: "reverse" });
    for (const n of [1, 7, 8, 9, 20]) {
      const x = rand(n);
      expect(maxRelError(jac(x), byDifferences(shifted, [x], [0])), `n = ${n}`).toBeLessThan(1e-6);
    }
  });

  test("batchJacobian in reverse mode: each item's rows", () => {
    const count = 4, n = 5;
    const xs = rand(count * n);
    const J = api.batchJacobian(three, { mode: "reverse" })(xs, count) as Float64Array;
    for (let b = 0; b < count; b++) {
      const block = J.subarray(b * 3 * n, (b + 1) * 3 * n);
      expect(maxRelError(block, byDifferences(three, [xs.slice(b * n, (b + 1) * n)], [0])), `item ${b}`).toBeLessThan(1e-6);
    }
  });
});
