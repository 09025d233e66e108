// The entries GradBench's evals asked for, on both paths (run time and build), checked
// against central differences at several random points: jacobian with `out` (m from
// out's length, checked at the first sweep), batchJacobian (many small Jacobians in one
// call), gradAndHvp (gradient and H·v from one sweep) and grad / valueAndGrad with
// `output: k` (the gradient of one entry of a vector-valued function).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { compileModule } from "../compiler/compile-module.js";
import * as gradc from "../index.js";
import { makeRng, seedOf, type Rng } from "./corpus/rng.js";

type Fn = (...args: any[]) => any;
const POINTS = 3;
const TOL = 1e-5;

const MODULE = `import { batchJacobian, gradAndHvp, grad, jacobian, valueAndGrad } from "gradc";

/** Three outputs of x (3) and t. */
export function spread(x: Float64Array, t: number): Float64Array {
  const r = new Float64Array(3);
  r[0] = x[0] * x[1] * t + Math.exp(x[2]);
  r[1] = Math.sin(x[2] * t) + x[0] * x[0];
  r[2] = x[1] / (2 + x[0] * x[0]) - t * t * x[2];
  return r;
}

/** Two outputs of a (3) and s (1) with a shared scale c; feat is data per item. */
export function block(a: Float64Array, s: Float64Array, c: number, feat: Float64Array): Float64Array {
  const r = new Float64Array(2);
  r[0] = s[0] * (Math.cos(a[0]) * a[1] - feat[0]) + c * a[2];
  r[1] = s[0] * s[0] * (a[0] * a[2] - feat[1]) / (1 + a[1] * a[1]);
  return r;
}

export function energy(x: Float64Array, y: number): number {
  let e = 0;
  for (let i = 0; i < x.length; i++) e += Math.exp(0.3 * x[i] * y) + x[i] * x[i] * x[i] * y;
  return e + y * y * y;
}

export const spreadForward = jacobian(spread, { wrt: ["x", "t"], mode: "forward" });
export const spreadReverse = jacobian(spread, { wrt: ["x", "t"], mode: "reverse" });
export const spreadAuto = jacobian(spread, { wrt: ["x", "t"] });
export const blocksForward = batchJacobian(block, { wrt: ["a", "s"], mode: "forward" });
export const blocksReverse = batchJacobian(block, { wrt: ["a", "s"], mode: "reverse" });
export const blocksAuto = batchJacobian(block, { wrt: ["a", "s"] });
export const energyGradHvp = gradAndHvp(energy, { wrt: ["x", "y"] });
export const energyGradHvpX = gradAndHvp(energy, { wrt: "x" });
export const spreadLastGrad = grad(spread, { wrt: ["x", "t"], output: -1 });
export const spreadFirstVG = valueAndGrad(spread, { wrt: "x", output: 0 });
`;

let built: Record<string, Fn>;
let source: Record<string, Fn>;
let dir: string;

beforeAll(async () => {
  const out = await compileModule(MODULE, "/virtual/api-batch.ts", { host: { readFile: () => undefined }, runtimeImport: path.resolve("runtime/index.ts"), format: false });
  expect(out.diagnostics.map((d) => d.message)).toEqual([]);
  dir = mkdtempSync(path.join(tmpdir(), "gradc-api-batch-"));
  writeFileSync(path.join(dir, "api-batch.grad.ts"), out.code!);
  writeFileSync(path.join(dir, "api-batch.ts"), MODULE.replace('from "gradc"', `from ${JSON.stringify(path.resolve("index.ts"))}`));
  built = await import(path.join(dir, "api-batch.grad.ts"));
  source = await import(path.join(dir, "api-batch.ts"));
});
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

const api = gradc as unknown as Record<string, (f: Fn, opts?: object) => Fn>;

/** Central differences of f (number- or array-valued) with respect to args[w]: one column per entry of it. */
function columns(f: Fn, args: unknown[], w: number): number[][] {
  const arg = args[w];
  const at = (k: number, delta: number): number[] => {
    const moved = [...args];
    if (typeof arg === "number") moved[w] = arg + delta;
    else {
      const copy = Float64Array.from(arg as Float64Array);
      copy[k] += delta;
      moved[w] = copy;
    }
    const y = f(...moved);
    return typeof y === "number" ? [y] : Array.from(y as Float64Array);
  };
  const size = typeof arg === "number" ? 1 : (arg as Float64Array).length;
  return Array.from({ length: size }, (_, k) => {
    const x = typeof arg === "number" ? arg : (arg as Float64Array)[k];
    const h = 1e-6 * Math.max(1, Math.abs(x));
    const plus = at(k, h);
    const minus = at(k, -h);
    return plus.map((p, i) => (p - minus[i]) / (2 * h));
  });
}

/** The m×n Jacobian (row-major) of f with respect to the args `wrt`, by central differences. */
function numericJacobian(f: Fn, args: unknown[], wrt: number[]): number[] {
  const cols = wrt.flatMap((w) => columns(f, args, w));
  const m = cols[0].length;
  return Array.from({ length: m * cols.length }, (_, e) => cols[e % cols.length][Math.floor(e / cols.length)]);
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = TOL): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const scale = Math.max(1, Math.abs(expected[i]));
    expect(Math.abs(actual[i] - expected[i]) / scale, `entry ${i}: ${actual[i]} vs ${expected[i]}`).toBeLessThan(tol);
  }
}

const eachPoint = (name: string, check: (rng: Rng) => void) => {
  for (let k = 0; k < POINTS; k++) check(makeRng(seedOf(name, k)));
};

/**
 * Each path's derivative, called as `d(...args, out?)`: the build module's export, or
 * one made at run time by `runtime(out)` (where `out` is an option).
 */
function bothPaths(exportName: string, runtime: (out?: unknown) => Fn): [string, Fn][] {
  const arity = built[exportName].length - 1;
  const atRunTime: Fn = (...all: unknown[]) => runtime(all.length > arity ? all[arity] : undefined)(...all.slice(0, arity));
  return [["run time", atRunTime], ["build", built[exportName]]];
}

describe("jacobian with out", () => {
  for (const mode of ["forward", "reverse", "auto"] as const) {
    const exportName = `spread${mode[0].toUpperCase()}${mode.slice(1)}`;
    test(`${mode}: fills out (m from its length), equal to central differences`, () => {
      eachPoint(`jacobian-${mode}`, (rng) => {
        const args = [rng.f64(3, -1, 1), rng.uniform(-1, 1)];
        const expected = numericJacobian(source.spread, args, [0, 1]);
        const out = new Float64Array(12);
        for (const [, d] of bothPaths(exportName, (o) => api.jacobian(source.spread, { wrt: ["x", "t"], mode, out: o }))) {
          expect(d(...args, out)).toBe(out);
          expectClose(out, expected);
          out.fill(7);
          d(...args, out);
          expectClose(out, expected);
          expectClose(d(...args), expected);
        }
      });
    });

    test(`${mode}: an out of the wrong length is refused, naming the Jacobian's size`, () => {
      const args = [Float64Array.of(0.1, 0.2, 0.3), 0.5];
      for (const size of [8, 16, 13]) {
        const out = new Float64Array(size);
        for (const [, d] of bothPaths(exportName, (o) => api.jacobian(source.spread, { wrt: ["x", "t"], mode, out: o }))) {
          expect(() => d(...args, out)).toThrow(/the Jacobian is 3×4 = 12/);
          // The seeds were restored: the next call is right.
          const right = new Float64Array(12);
          d(...args, right);
          expectClose(right, numericJacobian(source.spread, args, [0, 1]));
        }
      }
    });
  }
});

describe("batchJacobian", () => {
  const COUNT = 5;
  for (const mode of ["forward", "reverse", "auto"] as const) {
    const exportName = `blocks${mode[0].toUpperCase()}${mode.slice(1)}`;
    test(`${mode}: block b is the Jacobian of item b, equal to central differences`, () => {
      eachPoint(`batch-${mode}`, (rng) => {
        const a = rng.f64(3 * COUNT, -1, 1);
        const s = rng.f64(COUNT, 0.5, 1.5);
        const c = rng.uniform(-1, 1);
        const feat = rng.f64(2 * COUNT, -1, 1);
        const expected = Array.from({ length: COUNT }, (_, b) =>
          numericJacobian(source.block, [a.slice(3 * b, 3 * b + 3), s.slice(b, b + 1), c, feat.slice(2 * b, 2 * b + 2)], [0, 1])).flat();
        const out = new Float64Array(COUNT * 2 * 4);
        for (const [, d] of bothPaths(exportName, (o) => api.batchJacobian(source.block, { wrt: ["a", "s"], mode, out: o }))) {
          expect(d(a, s, c, feat, COUNT, out)).toBe(out);
          expectClose(out, expected);
          expectClose(d(a, s, c, feat, COUNT), expected);
        }
      });
    });
  }

  test("a count that does not divide the arrays, or a wrong out, is refused; count 0 gives an empty result", () => {
    const a = new Float64Array(6).fill(0.5);
    const s = new Float64Array(2).fill(1);
    const feat = new Float64Array(4).fill(0.1);
    for (const [, d] of bothPaths("blocksReverse", (o) => api.batchJacobian(source.block, { wrt: ["a", "s"], mode: "reverse", out: o }))) {
      expect(() => d(a, s, 0.3, feat, 3)).toThrow(/count is 3; it must be the number of items/);
      expect(() => d(a, s, 0.3, feat, 1.5)).toThrow(/count is 1.5/);
      expect(() => d(a, s, 0.3, feat, 2, new Float64Array(15))).toThrow(/out has 15 entries, the 2 Jacobians are 2×2×4 = 16/);
      expect(d(new Float64Array(0), new Float64Array(0), 0.3, new Float64Array(0), 0)).toHaveLength(0);
      expect(() => d(new Float64Array(0), new Float64Array(0), 0.3, new Float64Array(0), 0, new Float64Array(1))).toThrow(/out has 1 entries, there are no Jacobians \(count is 0\)/);
    }
  });
});

describe("gradAndHvp", () => {
  test("[gradient, H·v] from one call, equal to central differences of f and of its gradient", () => {
    eachPoint("gradAndHvp", (rng) => {
      const x = rng.f64(4, -1, 1);
      const y = rng.uniform(0.5, 1.5);
      const vx = rng.f64(4, -1, 1);
      const vy = rng.uniform(-1, 1);
      const g = (xx: Float64Array, yy: number) => {
        const [gx, gy] = api.grad(source.energy, { wrt: ["x", "y"] })(xx, yy);
        return Float64Array.of(...gx, gy);
      };
      const gradient = numericJacobian(source.energy, [x, y], [0, 1]);
      const h = 1e-6;
      const plus = g(x.map((xi, i) => xi + h * vx[i]), y + h * vy);
      const minus = g(x.map((xi, i) => xi - h * vx[i]), y - h * vy);
      const hv = Array.from(plus, (p, i) => (p - minus[i]) / (2 * h));
      const out: [[Float64Array, number], [Float64Array, number]] = [[new Float64Array(4), 0], [new Float64Array(4), 0]];
      for (const [, d] of bothPaths("energyGradHvp", (o) => api.gradAndHvp(source.energy, { wrt: ["x", "y"], out: o }))) {
        for (const result of [d(x, y, [vx, vy]), d(x, y, [vx, vy], out)]) {
          const [[gx, gy], [hx, hy]] = result;
          expectClose([...gx, gy], gradient);
          expectClose([...hx, hy], hv, 1e-4);
        }
        expect(d(x, y, [vx, vy], out)).toBe(out);
      }
      for (const [, d] of bothPaths("energyGradHvpX", (o) => api.gradAndHvp(source.energy, { wrt: "x", out: o }))) {
        const [gx, hx] = d(x, y, vx);
        expectClose(gx, gradient.slice(0, 4));
        expectClose(hx, api.hvp(source.energy, { wrt: "x" })(x, y, vx), 1e-9);
      }
    });
  });

  test("its pair is not differentiated again", () => {
    expect(() => api.grad(api.gradAndHvp(source.energy, { wrt: "y" }), { wrt: 1 })(new Float64Array(2), 1, 1)).toThrow(/returns a pair \[gradient, H·v\]/);
  });

  test("an out that is not a pair of gradient-shaped buffers is refused", () => {
    const d = api.gradAndHvp(source.energy, { wrt: "x", out: [new Float64Array(3)] as never });
    expect(() => d(new Float64Array(3), 1, new Float64Array(3))).toThrow(/pair \[gradient, H·v\]/);
    const e = api.gradAndHvp(source.energy, { wrt: "x", out: [new Float64Array(3), new Float64Array(2)] as never });
    expect(() => e(new Float64Array(3), 1, new Float64Array(3))).toThrow(/out\[1\] has 2 entries/);
  });
});

describe("grad with output", () => {
  test("the gradient of one entry of a vector-valued function (negative: from the end), equal to central differences", () => {
    eachPoint("output", (rng) => {
      const args = [rng.f64(3, -1, 1), rng.uniform(-1, 1)];
      const J = numericJacobian(source.spread, args, [0, 1]);
      for (const [, d] of bothPaths("spreadLastGrad", (o) => api.grad(source.spread, { wrt: ["x", "t"], output: -1, out: o }))) {
        const [gx, gt] = d(...args);
        expectClose([...gx, gt], J.slice(8, 12));
      }
      for (const [, d] of bothPaths("spreadFirstVG", (o) => api.valueAndGrad(source.spread, { wrt: "x", output: 0, out: o }))) {
        const [value, gx] = d(...args);
        expect(value).toBe(source.spread(...args)[0]);
        expectClose(gx, J.filter((_, e) => e < 4 && e < 3));
      }
    });
  });

  test("an output outside the result, or not an integer, is refused", () => {
    const d = api.grad(source.spread, { wrt: 0, output: 3 });
    expect(() => d(new Float64Array(3), 1)).toThrow(/output is 3, but f's result has no entry 3/);
    expect(() => api.grad(source.spread, { wrt: 0, output: 0.5 })).toThrow(/output must be an integer/);
    expect(() => api.grad(source.energy, { output: 0 })(new Float64Array(2), 1)).toThrow(/it returns a number/);
    // A returned parameter array (written into, as an out buffer) is differentiated like any result.
    const intoY = (x: Float64Array, y: Float64Array) => {
      for (let i = 0; i < x.length; i++) y[i] = x[i] * x[i];
      return y;
    };
    expectClose(api.grad(intoY, { output: -1 })(Float64Array.of(1, 2), new Float64Array(2)), [0, 4]);
    // Differentiated again: refused, not differentiated without its output.
    expect(() => api.grad(api.grad(source.spread, { wrt: 1, output: 0 }), { wrt: 1 })(Float64Array.of(0.1, 0.2, 0.3), 0.5)).toThrow(/cannot be differentiated again yet/);
  });
});
