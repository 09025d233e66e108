// The build path for every derivative: request sites of jvp, vjp, jacobian, hvp,
// hessian and a nested grad compile to modules that agree with the run-time API.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, expect, test } from "vitest";
import { main } from "../compiler/cli.js";
import * as gradc from "../index.js";
import { maxRelError } from "../runtime/numeric.js";

const SOURCE = `import { grad, hessian, hvp, jacobian, jvp, vjp } from "gradc";

export function rosen(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i + 1 < x.length; i++) s += 100 * (x[i + 1] - x[i] * x[i]) ** 2 + (1 - x[i]) ** 2;
  return s;
}

export function spread(x: Float64Array, c: number): Float64Array {
  const y = new Float64Array(x.length + 1);
  for (let i = 0; i < x.length; i++) y[i] = Math.tanh(c * x[i]) + (i > 0 ? y[i - 1] : 0);
  y[x.length] = c * c;
  return y;
}

export function inner(w: number, x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (w * x[i] - 1) ** 2;
  return s;
}

export function outer(w: number, x: Float64Array): number {
  const v = w - 0.1 * grad(inner)(w, x);
  return Math.sin(v) * v;
}

export const rosenHvp = hvp(rosen);
export const rosenHessian = hessian(rosen);
export const spreadJvp = jvp(spread, { wrt: ["x", "c"] });
export const spreadVjp = vjp(spread);
export const spreadJacobianForward = jacobian(spread, { wrt: "x", mode: "forward" });
export const spreadJacobianReverse = jacobian(spread, { wrt: "x", mode: "reverse" });
export const outerGrad = grad(outer);
`;

// The same functions for the run-time path.
function rosen(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i + 1 < x.length; i++) s += 100 * (x[i + 1] - x[i] * x[i]) ** 2 + (1 - x[i]) ** 2;
  return s;
}
function spread(x: Float64Array, c: number): Float64Array {
  const y = new Float64Array(x.length + 1);
  for (let i = 0; i < x.length; i++) y[i] = Math.tanh(c * x[i]) + (i > 0 ? y[i - 1] : 0);
  y[x.length] = c * c;
  return y;
}
function inner(w: number, x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (w * x[i] - 1) ** 2;
  return s;
}
function outer(w: number, x: Float64Array): number {
  const v = w - 0.1 * gradc.grad(inner)(w, x);
  return Math.sin(v) * v;
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

test("gradc build compiles every derivative mode, in agreement with the run-time API", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "gradc-modes-"));
  dirs.push(dir);
  writeFileSync(path.join(dir, "m.ts"), SOURCE);
  const io = { out: () => {}, err: (t: string) => { throw new Error(t); } };
  expect(await main(["build", dir, "--runtime", path.resolve("runtime/index.ts")], io)).toBe(0);
  const gen = await import(path.join(dir, "m.grad.ts"));
  const src = { rosen, spread, outer };
  const functions = { inner };
  const x = new Float64Array([0.3, -0.7, 1.1, 0.5]);
  const v = new Float64Array([1, -0.5, 0.25, 2]);
  const same = (a: unknown, b: unknown) => expect(maxRelError(a, b)).toBeLessThan(1e-12);
  same(gen.rosenHvp(x, v), gradc.hvp(src.rosen)(x, v));
  same(gen.rosenHessian(x), gradc.hessian(src.rosen)(x));
  same(gen.spreadJvp(x, 0.8, [v, 0.5]), gradc.jvp(src.spread, { wrt: ["x", "c"] })(x, 0.8, [v, 0.5]));
  const [value, pullback] = gen.spreadVjp(x, 0.8);
  const [value2, pullback2] = gradc.vjp(src.spread)(x, 0.8);
  const ct = new Float64Array([1, 2, 3, 4, 5]);
  same(value, value2);
  same(pullback(ct), pullback2(ct));
  same(gen.spreadJacobianForward(x, 0.8), gen.spreadJacobianReverse(x, 0.8));
  same(gen.spreadJacobianForward(x, 0.8), gradc.jacobian(src.spread, { wrt: "x" })(x, 0.8));
  same(gen.outerGrad(0.4, x), gradc.grad(src.outer, { functions })(0.4, x));
});
