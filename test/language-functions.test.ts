// The JavaScript people actually write (issue 11, functions and statements): callbacks
// passed to helpers, array methods with arrow callbacks, switch, the bitwise operators,
// C-style expressions and throw. Each loss (test/language-functions.losses.ts) is
// differentiated on both paths — the run-time API, and the build path (compileModule on
// the same module's text, derivative requests appended, output imported) — and checked
// against central differences at several random points: valueAndGrad, jvp and hvp for a
// number result; jvp, vjp and jacobian for a typed-array result.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { compileModule } from "../compiler/compile-module.js";
import * as gradc from "../index.js";
import { maxRelError, numericGradient, relError } from "../runtime/numeric.js";
import { makeRng, seedOf, type Rng } from "./corpus/rng.js";
import * as losses from "./language-functions.losses.js";
import { thrownGradcError as thrown } from "./thrown.js";

type Fn = (...args: any[]) => any;
type Arg = number | boolean | Float64Array | { [k: string]: Arg };
const { valueAndGrad, jvp, hvp, vjp, jacobian } = gradc as unknown as Record<string, (f: Fn, opts?: object) => Fn>;

interface Case {
  name: keyof typeof losses;
  /** Differentiated parameters (numbers and Float64Arrays). */
  wrt: number[];
  args: (rng: Rng) => Arg[];
  /** The loss returns a Float64Array. */
  vector?: boolean;
}

function entries(r: Rng): Float64Array {
  const x = Float64Array.from({ length: r.int(1, 6) }, () => r.signed(0.1, 0.8));
  if (r.next() < 0.5) x[r.int(0, x.length - 1)] = r.uniform(0.95, 1.2);
  return x;
}

const HELPERS = { saxpyOf: losses.saxpyOf, sumAll: losses.sumAll, makeStep: losses.makeStep, cond: losses.cond, fixedLoop: losses.fixedLoop, square: losses.square, scaled: losses.scaled, centred: losses.centred };

const CASES: Case[] = [
  // x switches the branch at 0.5, y at 0: keep away from both.
  { name: "callbacks", wrt: [0, 1, 2], args: (r) => [r.next() < 0.5 ? r.uniform(-1.5, 0.3) : r.uniform(0.7, 1.5), r.signed(0.2, 1.5), r.f64(r.int(1, 5), -1, 1), r.next() < 0.5] },
  // x | 0 and ~~x step at the integers
  { name: "bitwise", wrt: [0, 1], args: (r) => [r.int(-2, 2) + r.uniform(0.1, 0.9), r.f64(r.int(1, 6), -1, 1)] },
  // |v| stays away from 0 (filter v > 0) and 0.9 (some, every); sometimes one entry is above.
  { name: "methods", wrt: [0, 1], args: (r) => [entries(r), r.uniform(0.5, 1.5)] },
  { name: "cumulative", wrt: [0, 1], vector: true, args: (r) => [r.f64(r.int(1, 6), -1, 1), r.uniform(0.2, 1)] },
  { name: "switchInLoop", wrt: [0, 1], args: (r) => [r.uniform(-2, 2), r.uniform(-2, 2)] },
  { name: "switchReturn", wrt: [0, 1], args: (r) => [r.uniform(-2, 2), r.uniform(-2, 2), r.int(0, 3)] },
  // entries away from 0 and ±0.5, where the branches switch
  { name: "switchFallthrough", wrt: [0, 1], args: (r) => [r.uniform(-1.5, 1.5), Float64Array.from({ length: r.int(1, 10) }, () => (r.next() < 0.5 ? r.signed(0.1, 0.4) : r.signed(0.6, 1)))] },
  { name: "validated", wrt: [0, 1], args: (r) => [r.uniform(-2, 2), r.f64(r.int(1, 5), -2, 2), r.int(0, 3)] },
  // j·x crosses 2 at x = 0.5 (j = 4): keep away
  { name: "cstyle", wrt: [0, 1], args: (r) => [r.next() < 0.5 ? r.uniform(0.3, 0.45) : r.uniform(0.55, 0.6), r.f64(r.int(1, 5), -2, 2)] },
  { name: "keyed", wrt: [0, 1], args: (r) => [{ b: r.uniform(-2, 2), a: r.uniform(-2, 2), c: r.uniform(-2, 2) }, { y: r.f64(r.int(1, 4), -1, 1), x: r.f64(r.int(1, 4), -1, 1) }] as Arg[] },
  // distinct entries (no tie for the largest or smallest)
  { name: "spreadMax", wrt: [0, 1], args: (r) => [Float64Array.from({ length: r.int(1, 6) }, (_, i) => i * 0.5 + r.uniform(0, 0.4)).sort(() => r.next() - 0.5), r.uniform(-1, 1)] },
  { name: "objects", wrt: [0, 1, 2], args: (r) => [r.uniform(-2, 2), r.uniform(-2, 2), r.f64(r.int(1, 5), -2, 2)] },
  { name: "mappedThenWritten", wrt: [0], args: (r) => [r.f64(r.int(3, 6), -1.5, 1.5)] },
  // y away from 0, where a ||= and b &&= switch
  { name: "options", wrt: [0, 1], args: (r) => [r.f64(r.int(1, 5), -1.5, 1.5), r.signed(0.2, 1.5)] },
];

// ---- the build path: the losses module with derivative requests appended ----

const LOSSES_FILE = path.resolve("test/language-functions.losses.ts");

function requests(c: Case): string {
  const o = `{ wrt: [${c.wrt.join(", ")}] }`;
  const modes = c.vector ? ["jvp", "vjp", "jacobian"] : ["valueAndGrad", "jvp", "hvp"];
  return modes.map((m) => `export const ${c.name}_${m} = ${m}(${c.name}, ${o});`).join("\n");
}

let built: Record<string, Fn>;
let builtCode: string;
let dir: string;

beforeAll(async () => {
  const text = `import { valueAndGrad, jvp, hvp, vjp, jacobian } from "gradc";\n${readFileSync(LOSSES_FILE, "utf8")}\n${CASES.map(requests).join("\n")}\n`;
  const out = await compileModule(text, "/virtual/functions.ts", {
    host: { readFile: () => undefined }, runtimeImport: path.resolve("runtime/index.ts"), format: false,
  });
  expect(out.diagnostics.map((d) => d.message)).toEqual([]);
  builtCode = out.code!;
  dir = mkdtempSync(path.join(tmpdir(), "gradc-functions-"));
  writeFileSync(path.join(dir, "functions.grad.ts"), builtCode);
  built = await import(path.join(dir, "functions.grad.ts"));
}, 120_000);
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

// ---- checks against central differences ----

const isObj = (a: unknown): a is { [k: string]: Arg } => typeof a === "object" && !(a instanceof Float64Array);
const copy = (a: Arg): Arg => (a instanceof Float64Array ? Float64Array.from(a) : isObj(a) ? Object.fromEntries(Object.entries(a).map(([k, v]) => [k, copy(v)])) : a);
/** Numbers in the order jacobian and the gradients use (an object's fields in key order). */
const flat = (vs: unknown[]): number[] => vs.flatMap((v) => (typeof v === "number" ? [v] : isObj(v) ? flat(Object.values(v)) : [...(v as Float64Array)]));
const randomLike = (a: Arg, r: Rng): Arg =>
  a instanceof Float64Array ? r.f64(a.length, -1, 1) : isObj(a) ? Object.fromEntries(Object.entries(a).map(([k, v]) => [k, randomLike(v, r)])) : r.uniform(-1, 1);
/** x + s·d */
function step(x: Arg, d: Arg, s: number): Arg {
  if (x instanceof Float64Array) return x.map((xi, i) => xi + s * (d as Float64Array)[i]);
  if (isObj(x)) return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, step(v, (d as Record<string, Arg>)[k], s)]));
  return (x as number) + s * (d as number);
}
/** args with `x + s·d` in the wrt parameters. */
function moved(args: Arg[], wrt: number[], d: Arg[], s: number): Arg[] {
  const a = args.map(copy);
  wrt.forEach((w, j) => { a[w] = step(a[w], d[j], s); });
  return a;
}
const H = 1e-6;
/** (f(x + h·d) − f(x − h·d)) / 2h, flattened. */
function directional(f: Fn, args: Arg[], wrt: number[], d: Arg[]): number[] {
  const plus = flat([f(...moved(args, wrt, d, H))]);
  const minus = flat([f(...moved(args, wrt, d, -H))]);
  return plus.map((p, i) => (p - minus[i]) / (2 * H));
}

interface Subject { [mode: string]: Fn }

function checkScalar(c: Case, s: Subject, args: Arg[], rng: Rng): void {
  const f = losses[c.name] as Fn;
  const value = f(...args.map(copy));
  const numeric = c.wrt.map((w) => numericGradient(f, args, w));
  const [v, grads] = s.valueAndGrad(...args.map(copy));
  expect(relError(v, value), "value").toBeLessThan(1e-12);
  expect(maxRelError(grads, numeric), `gradient ${JSON.stringify(grads)} vs ${JSON.stringify(numeric)}`).toBeLessThan(1e-5);
  const t = c.wrt.map((w) => randomLike(args[w], rng));
  const [jv, jt] = s.jvp(...args.map(copy), t);
  expect(relError(jv, value), "jvp value").toBeLessThan(1e-12);
  const nt = flat(numeric).reduce((acc, g, i) => acc + g * flat(t)[i], 0);
  expect(relError(jt, nt), "jvp").toBeLessThan(1e-5);
  // H·u by central differences of the (checked) run-time gradient along u.
  const u = c.wrt.map((w) => randomLike(args[w], rng));
  const g = (...a: Arg[]) => valueAndGrad(f, { wrt: c.wrt, functions: HELPERS })(...a)[1];
  const hu = flat(s.hvp(...args.map(copy), u));
  const plus = flat(g(...moved(args, c.wrt, u, 1e-5)));
  const minus = flat(g(...moved(args, c.wrt, u, -1e-5)));
  expect(maxRelError(hu, plus.map((p, i) => (p - minus[i]) / 2e-5)), "hvp").toBeLessThan(1e-5);
}

function checkVector(c: Case, s: Subject, args: Arg[], rng: Rng): void {
  const f = losses[c.name] as Fn;
  const value = f(...args.map(copy)) as Float64Array;
  const t = c.wrt.map((w) => randomLike(args[w], rng));
  const [jv, jt] = s.jvp(...args.map(copy), t);
  expect(maxRelError(jv, value), "jvp value").toBeLessThan(1e-12);
  expect(maxRelError(Array.from(jt as Float64Array), directional(f, args, c.wrt, t)), "jvp").toBeLessThan(1e-5);
  const cot = rng.f64(value.length, -1, 1);
  const weighted = (...a: Arg[]) => (f(...a) as Float64Array).reduce((acc, y, i) => acc + y * cot[i], 0);
  const [vv, pullback] = s.vjp(...args.map(copy));
  expect(maxRelError(vv, value), "vjp value").toBeLessThan(1e-12);
  expect(maxRelError(pullback(cot), c.wrt.map((w) => numericGradient(weighted, args, w))), "vjp").toBeLessThan(1e-5);
  // The Jacobian column by column: the directional derivative along each unit vector.
  const jac = s.jacobian(...args.map(copy)) as Float64Array;
  const n = flat(c.wrt.map((w) => args[w])).length;
  expect(jac.length).toBe(value.length * n);
  let col = 0;
  c.wrt.forEach((w, j) => {
    const size = args[w] instanceof Float64Array ? (args[w] as Float64Array).length : 1;
    for (let k = 0; k < size; k++, col++) {
      const d = c.wrt.map((w2, j2) => (args[w2] instanceof Float64Array ? new Float64Array((args[w2] as Float64Array).length) : 0) as Arg);
      if (d[j] instanceof Float64Array) (d[j] as Float64Array)[k] = 1;
      else d[j] = 1;
      const numericCol = directional(f, args, c.wrt, d);
      const column = Array.from({ length: value.length }, (_, r) => jac[r * n + col]);
      expect(maxRelError(column, numericCol), `jacobian column ${col}`).toBeLessThan(1e-5);
    }
  });
}

function runtimeSubject(c: Case): Subject {
  const f = losses[c.name] as Fn;
  const opts = { wrt: c.wrt, functions: HELPERS };
  const modes = c.vector ? ["jvp", "vjp", "jacobian"] : ["valueAndGrad", "jvp", "hvp"];
  const api: Record<string, (f: Fn, o: object) => Fn> = { valueAndGrad, jvp, hvp, vjp, jacobian };
  return Object.fromEntries(modes.map((m) => [m, api[m](f, opts)]));
}

function buildSubject(c: Case): Subject {
  const modes = c.vector ? ["jvp", "vjp", "jacobian"] : ["valueAndGrad", "jvp", "hvp"];
  return Object.fromEntries(modes.map((m) => [m, built[`${c.name}_${m}`]]));
}

describe.each(CASES)("$name, on both paths", (c) => {
  test("every mode matches central differences at random points", () => {
    for (let k = 0; k < 4; k++) {
      const rng = makeRng(seedOf(c.name, k));
      const args = c.args(rng);
      for (const [path, s] of [["run time", runtimeSubject(c)], ["build", buildSubject(c)]] as const) {
        try {
          (c.vector ? checkVector : checkScalar)(c, s, args, rng);
        } catch (e) {
          (e as Error).message = `${path}, point ${k}: ${(e as Error).message}`;
          throw e;
        }
      }
    }
  }, 60_000);
});

// ---- what is accepted, as it reads in the output; what stays refused ----

describe("throw", () => {
  const w = (...xs: number[]) => Float64Array.from(xs);
  test.each([
    ["n < 0", [1.5, w(1, 2), -1]],
    ["w empty", [1.5, w(), 2]],
    ["an entry too large", [1.5, w(1, 12, 3), 2]],
  ])("%s: the primal and every derivative, on both paths, throw the same error", (_what, args) => {
    let expected: unknown;
    try {
      (losses.validated as Fn)(...args);
    } catch (e) {
      expected = e;
    }
    expect(expected).toBeInstanceOf(Error);
    const c = CASES.find((k) => k.name === "validated")!;
    for (const s of [runtimeSubject(c), buildSubject(c)]) {
      const calls = [() => s.valueAndGrad(...args), () => s.jvp(...args, [1, w(...(args[1] as Float64Array))]), () => s.hvp(...args, [1, w(...(args[1] as Float64Array))])];
      for (const call of calls) {
        let got: unknown;
        try {
          call();
        } catch (e) {
          got = e;
        }
        expect(got).toBeInstanceOf((expected as Error).constructor);
        expect((got as Error).message).toBe((expected as Error).message);
      }
    }
  });

  test("anything but a built-in error with a literal message is refused", () => {
    const f = (x: number) => {
      if (x < 0) throw new Error(`x is ${x}`);
      return x;
    };
    expect(thrown(() => gradc.grad(f)(1)).detail).toMatch(/Only `throw new Error\("message"\)`.*string literal message.*validate inputs before calling/);
  });
});

describe("Object.keys", () => {
  test("unsorted keys, Object.values and Object.entries are refused: the key order is not part of the signature", () => {
    const p = { a: 1, b: 2 };
    const unsorted = (o: { a: number; b: number }) => {
      let s = 0;
      for (const k of Object.keys(o)) s += o[k as "a"];
      return s;
    };
    const values = (o: { a: number; b: number }) => {
      let s = 0;
      for (const v of Object.values(o)) s += v;
      return s;
    };
    for (const f of [unsorted, values]) {
      expect(thrown(() => gradc.grad(f)(p)).detail).toMatch(/the order of an object's keys is not part of its signature.*Object\.keys\(o\)\.sort\(\)/);
    }
  });
});

describe("function values", () => {
  test("callbacks are inlined: no function value in the output", () => {
    expect(builtCode.replace(/\/\/.*$/gm, "")).not.toMatch(/\b(cond|fixedLoop|square|inner)\(/);
  });

  test("a function chosen at run time is refused, with the reason and a suggestion", () => {
    const f = (x: number, on: boolean) => {
      const pick = on ? (v: number) => v * v : Math.sin;
      return pick(x);
    };
    const err = thrown(() => gradc.grad(f)(1, true));
    expect(err.detail).toMatch(/depends on a condition known only at run time.*Call the functions in the branches instead/);
    expect(err.position).toEqual({ line: 2, column: f.toString().split("\n")[1].indexOf("on ?") + 1 });
  });

  test("a function returned from inside a branch is refused", () => {
    const f = (x: number) => {
      const choose = (c: boolean) => {
        if (c) return (v: number) => v * 2;
        return (v: number) => v * 3;
      };
      return choose(x > 0)(x);
    };
    expect(thrown(() => gradc.grad(f)(1)).detail).toMatch(/returns a function from inside a branch or loop.*Return one function, at the end of the body/);
  });

  test("a function used as a number is refused", () => {
    const f = (x: number) => {
      const g = (v: number) => v * 2;
      return x * (g as unknown as number);
    };
    expect(thrown(() => gradc.grad(f)(1)).detail).toMatch(/The function 'g' is used where a number is expected\. Call it/);
  });
});
