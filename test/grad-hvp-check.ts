// Two helpers of the tests that read generated code and check it: the derivative code
// `gradc show` prints for a function, and a gradient and H·v check against central
// differences at several points.
import { expect } from "vitest";
import * as gradc from "../index.js";
import { main } from "../compiler/cli.js";
import { maxRelError, numericGradient } from "../runtime/numeric.js";

type Fn = (...args: any[]) => any;
const { grad, hvp } = gradc as unknown as Record<"grad" | "hvp", (f: Fn, o?: object) => Fn>;

/** What `gradc show file fn args` prints, up to the exported entry (the core functions). */
export async function shownCore(file: string, fn: string, ...args: string[]): Promise<string> {
  let out = "";
  const io = { out: (t: string) => void (out += t), err: (t: string) => void (out += t) };
  expect(await main(["show", file, fn, ...args], io), out).toBe(0);
  return out.slice(0, out.indexOf("export function"));
}

/**
 * grad (wrt argument 0, an array) against central differences, and hvp against central
 * differences of grad along a random direction, at `points` points made by `make`.
 */
export function checkGradAndHvp(f: Fn, make: () => unknown[], direction: (n: number) => Float64Array, points = 3): void {
  for (let point = 0; point < points; point++) {
    const args = make();
    const x = args[0] as Float64Array;
    expect(maxRelError(grad(f)(...args), numericGradient(f, args, 0)), `gradient at point ${point}`).toBeLessThan(1e-6);
    const v = direction(x.length), h = 1e-5, g = grad(f);
    const up = g(x.map((xi, i) => xi + h * v[i]), ...args.slice(1)) as Float64Array;
    const down = g(x.map((xi, i) => xi - h * v[i]), ...args.slice(1)) as Float64Array;
    expect(maxRelError(hvp(f)(...args, v), up.map((u, i) => (u - down[i]) / (2 * h))), `H·v at point ${point}`).toBeLessThan(1e-5);
  }
}
