// Generated entries keep the source's parameter names: a parameter named like one of
// the entry's own locals (n, m, v, e, k, J, H, row, index, seedAt, ...) keeps its name,
// and the local takes another. Built with gradc build, run against central differences.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { build } from "../compiler/build.js";
import { maxRelError, numericGradient } from "../runtime/numeric.js";

const SOURCE = `import { grad, hessian, hvp, jacobian, jvp, valueAndGrad, vjp } from "gradc";

export function loss(n: number, m: Float64Array, v: Float64Array, out: Float64Array, e: number): number {
  let s = 0;
  for (let i = 0; i < m.length; i++) s += Math.sin(m[i] * v[i] * e) * out[i] + n * m[i] * m[i];
  return s * e;
}

export function spread(k: Float64Array, r: number, J: number, H: number, row: number, col: number, index: number, direction: number,
  amount: number, tangent: number, dots: number, seedAt: number, tangentOut: number): Float64Array {
  const y = new Float64Array(2);
  y[0] = k[0] * k[1] * r + J * H + row * col;
  y[1] = Math.sin(k[2] * r) + index * direction * amount + tangent * dots * seedAt * tangentOut;
  return y;
}

export const lossGrad = grad(loss, { wrt: ["m", "v", "e", "n"] });
export const lossValueAndGrad = valueAndGrad(loss, { wrt: "v" });
export const lossHvp = hvp(loss, { wrt: ["m", "e"] });
export const lossHessian = hessian(loss, { wrt: ["m", "e"] });
export const lossJvp = jvp(loss, { wrt: "m" });
export const lossVjp = vjp(loss, { wrt: ["m", "n"] });
export const spreadJacobian = jacobian(spread, { wrt: ["k", "r"] });
export const spreadJacobianForward = jacobian(spread, { wrt: ["k", "r", "index"], mode: "forward" });
export const spreadJvp = jvp(spread, { wrt: [0, 1] });
export const spreadVjp = vjp(spread, { wrt: [0, 5] });
`;

const LOSS = ["n", "m", "v", "out", "e"];
const SPREAD = ["k", "r", "J", "H", "row", "col", "index", "direction", "amount", "tangent", "dots", "seedAt", "tangentOut"];

type Fn = (...args: any[]) => any;

describe("parameters named like the entry's locals", () => {
  let dir: string;
  let text: string;
  let gen: Record<string, Fn>;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "gradc-names-"));
    writeFileSync(path.join(dir, "m.ts"), SOURCE);
    const result = await build([dir], { runtimeImport: path.resolve("runtime/index.ts") });
    expect(result.failures).toEqual([]);
    text = readFileSync(path.join(dir, "m.grad.ts"), "utf8");
    gen = await import(path.join(dir, "m.grad.ts"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The parameter names of exported function `name` in the generated module. */
  const paramsOf = (name: string) => {
    const list = new RegExp(`export function ${name}\\(([^)]*)\\)`).exec(text)![1];
    return list.split(",").map((p) => p.trim().replace(/[?:].*$/s, "")).filter(Boolean);
  };

  test("the entries' signatures keep them", () => {
    for (const name of ["lossGrad", "lossValueAndGrad", "lossHvp", "lossHessian", "lossJvp", "lossVjp"]) {
      expect(paramsOf(name).slice(0, LOSS.length), name).toEqual(LOSS);
    }
    for (const name of ["spreadJacobian", "spreadJacobianForward", "spreadJvp", "spreadVjp"]) {
      expect(paramsOf(name).slice(0, SPREAD.length), name).toEqual(SPREAD);
    }
    // The entry's own out buffer, direction and tangent make way.
    expect(paramsOf("lossGrad")[LOSS.length]).toBe("out_1");
    expect(paramsOf("lossHvp")[LOSS.length]).toBe("v_1");
    expect(paramsOf("spreadJvp")[SPREAD.length]).toBe("tangent_1");
  });

  const m = Float64Array.of(0.3, -0.8, 1.1);
  const v = Float64Array.of(1.5, 0.4, -0.6);
  const out = Float64Array.of(0.9, -1.2, 0.7);
  const lossArgs = (): unknown[] => [0.6, m, v, out, 1.3];
  const k = Float64Array.of(0.5, -1, 2);
  const spreadArgs = (): unknown[] => [k, 0.7, ...SPREAD.slice(2).map((_, i) => 0.1 * (i + 1))];
  // The functions themselves, as the generated modules compute them.
  const loss = (...a: unknown[]): number => gen.lossValueAndGrad(...a)[0];
  const spread = (...a: unknown[]): Float64Array => gen.spreadVjp(...a)[0];

  /** Central difference of f at args along dirs (one per argument; undefined: held), as an array. */
  const along = (f: Fn, args: unknown[], dirs: (Float64Array | number | undefined)[], h = 1e-6): Float64Array => {
    const move = (a: any, d: any, s: number) => (d === undefined ? a : typeof a === "number" ? a + s * d : a.map((x: number, j: number) => x + s * d[j]));
    const at = (s: number) => { const y = f(...args.map((a, i) => move(a, dirs[i], s))); return typeof y === "number" ? Float64Array.of(y) : y; };
    const [up, down] = [at(h), at(-h)];
    return up.map((u: number, j: number) => (u - down[j]) / (2 * h));
  };
  const unit = (n: number, j: number) => Float64Array.from({ length: n }, (_, i) => +(i === j));

  test("their derivatives are right", () => {
    const numeric = (w: number) => numericGradient(loss, lossArgs(), w);
    expect(maxRelError(gen.lossGrad(...lossArgs()), [numeric(1), numeric(2), numeric(4), numeric(0)])).toBeLessThan(1e-5);
    expect(maxRelError(gen.lossValueAndGrad(...lossArgs())[1], numeric(2))).toBeLessThan(1e-5);
    expect(maxRelError(gen.lossJvp(...lossArgs(), v)[1], along(loss, lossArgs(), [, v])[0])).toBeLessThan(1e-5);
    const [, pullback] = gen.lossVjp(...lossArgs());
    expect(maxRelError(pullback(1), [numeric(1), numeric(0)])).toBeLessThan(1e-5);

    // H·(dm, de) against differences of the gradient with respect to m and e along (dm, de).
    const gradME = (...a: unknown[]) => { const [gm, , ge] = gen.lossGrad(...a); return Float64Array.of(...gm, ge); };
    const [dm, de] = [Float64Array.of(0.2, -0.5, 1), 0.3];
    const hv = along(gradME, lossArgs(), [, dm, , , de]);
    const [hm, he] = gen.lossHvp(...lossArgs(), [dm, de]);
    expect(maxRelError(Float64Array.of(...hm, he), hv)).toBeLessThan(1e-5);
    const H: Float64Array = gen.lossHessian(...lossArgs());
    const d = [...dm, de];
    expect(maxRelError(Float64Array.from(d, (_, r) => d.reduce((s, x, c) => s + H[r * 4 + c] * x, 0)), hv)).toBeLessThan(1e-5);

    // spread's Jacobians with respect to k and r (and index), its JVP and VJP.
    const columns = (ws: number[]) => ws.flatMap((w) => (w === 0 ? [0, 1, 2].map((j) => along(spread, spreadArgs(), [unit(3, j)])) : [along(spread, spreadArgs(), Object.assign([], { [w]: 1 }))]));
    const rowMajor = (cols: Float64Array[]) => Float64Array.from([0, 1].flatMap((r) => cols.map((c) => c[r])));
    expect(maxRelError(gen.spreadJacobian(...spreadArgs()), rowMajor(columns([0, 1])))).toBeLessThan(1e-5);
    expect(maxRelError(gen.spreadJacobianForward(...spreadArgs()), rowMajor(columns([0, 1, 6])))).toBeLessThan(1e-5);
    const t = Float64Array.of(0.3, 0.1, -0.4);
    expect(maxRelError(gen.spreadJvp(...spreadArgs(), [t, 0.5])[1], along(spread, spreadArgs(), [t, 0.5]))).toBeLessThan(1e-5);
    const u = Float64Array.of(0.5, -2);
    const dot = (...a: unknown[]) => spread(...a).reduce((s, y, i) => s + y * u[i], 0);
    expect(maxRelError(gen.spreadVjp(...spreadArgs())[1](u), [numericGradient(dot, spreadArgs(), 0), numericGradient(dot, spreadArgs(), 5)])).toBeLessThan(1e-5);
  });
});
