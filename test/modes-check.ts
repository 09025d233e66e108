// Checks a differentiated function in every mode against central differences, for
// arguments of any structure (numbers, number[], typed arrays, Arrays of them, objects):
// the value, the gradient, J·t, uᵀJ, the Jacobian, H·v and the Hessian, the results in
// the arguments' structure. `bothPaths` runs a list of cases so on the run-time path and
// on the build path (compileModule's output imported).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { compileModule } from "../compiler/compile-module.js";
import * as gradc from "../index.js";
import { maxRelError } from "../runtime/numeric.js";
import { makeRng, seedOf, type Rng } from "./corpus/rng.js";

export type Fn = (...args: any[]) => any;
export type Modes = ("vg" | "jvp" | "vjp" | "hvp" | "hessian" | "jacobian")[];

export interface Case {
  name: string;
  f: () => Fn;
  modes: Modes;
  wrt: number[];
  args: (r: Rng) => unknown[];
  /** Helpers it calls (the run-time path's opts.functions). */
  functions?: string[];
  /** The function returns a vector (jvp, vjp and jacobian then differ). */
  vector?: boolean;
}

export const API: Record<string, Fn> = {
  vg: gradc.valueAndGrad, jvp: gradc.jvp, vjp: gradc.vjp, hvp: gradc.hvp, hessian: gradc.hessian, jacobian: gradc.jacobian,
};

function flat(v: unknown): number[] {
  if (typeof v === "number") return [v];
  if (typeof v === "boolean") return [];
  if (ArrayBuffer.isView(v)) return [...(v as Float64Array)];
  if (Array.isArray(v)) return v.flatMap(flat);
  return Object.values(v as object).flatMap(flat);
}

/** A value of `template`'s structure (plain arrays stay plain, typed arrays typed) from flat numbers. */
function unflat(template: unknown, xs: number[], at = { i: 0 }): unknown {
  if (typeof template === "number") return xs[at.i++];
  if (typeof template === "boolean") return template;
  if (template instanceof Float64Array || template instanceof Float32Array) return template.map(() => xs[at.i++]);
  if (Array.isArray(template)) return template.map((t) => unflat(t, xs, at));
  return Object.fromEntries(Object.entries(template as object).map(([k, t]) => [k, unflat(t, xs, at)]));
}

/** `v` has `template`'s structure: the same nesting of numbers, plain Arrays, typed arrays and objects. */
function sameStructure(v: unknown, template: unknown): boolean {
  if (typeof template === "number") return typeof v === "number";
  if (ArrayBuffer.isView(template)) return ArrayBuffer.isView(v) && (v as Float64Array).length === (template as Float64Array).length;
  if (Array.isArray(template)) return Array.isArray(v) && v.length === template.length && template.every((t, i) => sameStructure(v[i], t));
  const keys = Object.keys(template as object);
  return typeof v === "object" && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v) && Object.keys(v).join() === keys.join() &&
    keys.every((k) => sameStructure((v as Record<string, unknown>)[k], (template as Record<string, unknown>)[k]));
}

function expectClose(got: number[], want: number[], what: string, tol = 1e-5): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  expect(maxRelError(got, want), `${what}: ${JSON.stringify(got)} vs ${JSON.stringify(want)}`).toBeLessThan(tol);
}

/** f of the wrt inputs as one flat vector x (other arguments fixed), flattened. */
function flatFn(f: Fn, args: unknown[], wrt: number[]): (x: number[]) => number[] {
  return (x) => {
    const a = [...args];
    const at = { i: 0 };
    for (const w of wrt) a[w] = unflat(args[w], x, at);
    return flat(f(...copy(a)));
  };
}

function copy(v: unknown): any {
  if (ArrayBuffer.isView(v)) return (v as Float64Array).slice();
  if (Array.isArray(v)) return v.map(copy);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, copy(e)]));
  return v;
}

/** The m×n Jacobian of g at x by central differences, row-major. */
function numericJacobian(g: (x: number[]) => number[], x: number[]): number[][] {
  const cols = x.map((_, j) => {
    const h = 1e-6 * Math.max(1, Math.abs(x[j]));
    const plus = [...x], minus = [...x];
    plus[j] += h;
    minus[j] -= h;
    const [a, b] = [g(plus), g(minus)];
    return a.map((ai, k) => (ai - b[k]) / (2 * h));
  });
  return cols[0].map((_, r) => cols.map((c) => c[r]));
}

const dotv = (a: number[], b: number[]) => a.reduce((s, ai, i) => s + ai * b[i], 0);
const matvec = (M: number[][], v: number[]) => M.map((row) => dotv(row, v));

// ---- one case in every mode, on one path ----

export type Derivative = (mode: string) => Fn;

export function checkCase(c: Case, d: Derivative, rng: Rng, label: string): void {
  const args = c.args(rng);
  const f = c.f();
  const g = flatFn(f, args, c.wrt);
  const x0 = c.wrt.flatMap((w) => flat(args[w]));
  const J = numericJacobian(g, x0);
  const value = flat(f(...copy(args)));
  const shaped = (xs: number[]) => { const at = { i: 0 }; return c.wrt.map((w) => unflat(args[w], xs, at)); };
  const random = (n: number) => Array.from({ length: n }, () => rng.uniform(-1, 1));
  const structured = (result: unknown, what: string) => {
    expect(sameStructure(result, c.wrt.map((w) => args[w])), `${label} ${what}: structure of ${JSON.stringify(result)}`).toBe(true);
    return flat(result);
  };
  for (const mode of c.modes) {
    const run = d(mode);
    const a = copy(args);
    if (mode === "vg") {
      const [v, grads] = run(...a);
      expectClose([v], value, `${label} value`, 1e-12);
      expectClose(structured(grads, "gradient"), J[0], `${label} gradient`);
    } else if (mode === "jvp") {
      const t = random(x0.length);
      const [v, jt] = run(...a, shaped(t));
      expectClose(flat(v), value, `${label} jvp value`, 1e-12);
      expectClose(flat(jt), matvec(J, t), `${label} jvp`);
    } else if (mode === "vjp") {
      const [v, pullback] = run(...a);
      expectClose(flat(v), value, `${label} vjp value`, 1e-12);
      const u = random(value.length);
      const uJ = x0.map((_, j) => J.reduce((s, row, r) => s + u[r] * row[j], 0));
      expectClose(structured(pullback(c.vector ? u : u[0]), "pullback"), uJ, `${label} vjp`);
    } else if (mode === "jacobian") {
      expectClose([...run(...a)], J.flat(), `${label} jacobian`);
    } else {
      // H by central differences of the gradient (checked against f's differences above).
      const vg = d("vg");
      const gradAt = (xs: number[]) => {
        const b = [...args];
        shaped(xs).forEach((s, j) => { b[c.wrt[j]] = s; });
        return flat(vg(...copy(b))[1]);
      };
      const H = numericJacobian(gradAt, x0);
      if (mode === "hessian") expectClose([...run(...a)], H.flat(), `${label} hessian`);
      else {
        const v = random(x0.length);
        expectClose(structured(run(...a, shaped(v)), "hvp"), matvec(H, v), `${label} hvp`);
      }
    }
  }
}

// ---- both paths ----

const API_NAMES: Record<string, string> = { vg: "valueAndGrad", jvp: "jvp", vjp: "vjp", hvp: "hvp", hessian: "hessian", jacobian: "jacobian" };

/** The build path's derivative requests for `cases`: `export const ${case}_${mode} = …` lines. */
export function requestsOf(cases: Case[]): string {
  return cases.flatMap((c) => c.modes.map((m) => `export const ${c.name}_${m} = ${API_NAMES[m]}(${c.name}, { wrt: ${JSON.stringify(c.wrt)} });`)).join("\n");
}

export interface Loaded {
  /** The module's own functions (the run-time path differentiates them). */
  source: Record<string, Fn>;
  /** The generated module's entries, `${case}_${mode}`. */
  built: Record<string, Fn>;
  /** The directory both were written to (kept with KEEP=1). */
  dir: string;
}

/**
 * Compiles `text` (the module with its derivative requests) as `/virtual/${name}.ts`,
 * writes the output and `module` (the source, importing gradc from this checkout) to a
 * temporary directory and imports both, before the file's tests.
 */
export function loadBothPaths(name: string, module: string, text = module): Loaded {
  const loaded = {} as Loaded;
  beforeAll(async () => {
    const out = await compileModule(text, `/virtual/${name}.ts`, {
      host: { readFile: () => undefined }, runtimeImport: path.resolve("runtime/index.ts"), format: false,
    });
    expect(out.diagnostics.map((d) => d.message)).toEqual([]);
    loaded.dir = mkdtempSync(path.join(tmpdir(), `gradc-${name}-`));
    writeFileSync(path.join(loaded.dir, `${name}.grad.ts`), out.code!);
    writeFileSync(path.join(loaded.dir, `${name}.ts`), module.replace('from "gradc"', `from ${JSON.stringify(path.resolve("index.ts"))}`));
    loaded.built = await import(path.join(loaded.dir, `${name}.grad.ts`));
    loaded.source = await import(path.join(loaded.dir, `${name}.ts`));
  }, 120_000);
  afterAll(() => { if (loaded.dir && !process.env.KEEP) rmSync(loaded.dir, { recursive: true, force: true }); });
  return loaded;
}

/** Each case in every mode on the run-time path and on the build path, at `points` random points. */
export function bothPaths(cases: Case[], loaded: Loaded, points: number): void {
  describe.each(cases)("$name", (c) => {
    test("run-time path: every mode against central differences, results in the arguments' structure", () => {
      const made = new Map<string, Fn>();
      const d: Derivative = (mode) => {
        const functions = Object.fromEntries((c.functions ?? []).map((n) => [n, loaded.source[n]]));
        if (!made.has(mode)) made.set(mode, API[mode](loaded.source[c.name], { wrt: c.wrt, functions }));
        return made.get(mode)!;
      };
      for (let k = 0; k < points; k++) checkCase(c, d, makeRng(seedOf(c.name, k)), `${c.name} (run time, point ${k})`);
    });

    test("build path: every mode against central differences, results in the arguments' structure", () => {
      const d: Derivative = (mode) => loaded.built[`${c.name}_${mode}`];
      for (let k = 0; k < points; k++) checkCase(c, d, makeRng(seedOf(c.name, k)), `${c.name} (build, point ${k})`);
    });
  });
}
