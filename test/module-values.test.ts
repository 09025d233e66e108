// Module-level arrays and objects of numbers read by the differentiated code: on the build
// path (compileModule, and the bundler plugin) the generated module imports each binding
// and its entry passes it to the core as data (not differentiated), checking its kind on
// every call; on the run-time path the same values come in opts.closure. Every mode is
// checked against central differences at several points on each path, a later write into
// a module-level array is seen, and what cannot be data is refused.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { compileModule } from "../compiler/compile-module.js";
import { makeRng, seedOf, type Rng } from "./corpus/rng.js";
import { API, checkCase, type Case, type Fn, type Modes } from "./modes-check.js";
import { bundlers } from "./plugin/bundlers.js";

const MODES: Modes = ["vg", "jvp", "vjp", "hvp", "hessian"];
const vec = (n: number) => (r: Rng) => [Float64Array.from({ length: n }, () => r.uniform(-1, 1))];

/** The module's values and functions; `exported` says whether its values are exported (the plugin needs not). */
function model(exported: boolean): string {
  const e = exported ? "export " : "";
  return `import { grad, hessian, hvp, jvp, valueAndGrad, vjp } from "gradc";

${e}const W0 = new Float64Array([0.5, -0.2, 0.1]);
${e}const cfg = { lr: 0.1, w: [1, 2, 3], inner: { b: new Float64Array([0.3, 0.7, -0.4]) } };
${e}const layers: [Float64Array, Float64Array] = [new Float64Array([1, -1, 2]), new Float64Array([0.5, 0.25, -2])];
const scale = 3;

export function weighted(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += layers[1][i] * Math.tanh(layers[0][i] * x[i]);
  return s;
}

export function loss(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.sin(W0[i] * x[i]) * cfg.w[i] + cfg.lr * x[i] * x[i] * scale + cfg.inner.b[i] * x[i] ** 3;
  return s + weighted(x);
}

export function inner(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += W0[i] * x[i] * x[i] * x[i];
  return s;
}

export function nested(x: Float64Array): number {
  const g = grad(inner)(x);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += g[i] * g[i] + cfg.w[i] * x[i];
  return s;
}

/** nested by hand (grad(inner) run at run time would not see W0): the reference values. */
export function nestedByHand(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (3 * W0[i] * x[i] * x[i]) ** 2 + cfg.w[i] * x[i];
  return s;
}

export function vector(x: Float64Array): Float64Array {
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = W0[i] * Math.exp(x[i]) + cfg.w[(i + 1) % 3] * x[i];
  return y;
}

export function setW0(i: number, v: number): void {
  W0[i] = v;
}

export function setCfgW(w: unknown): void {
  (cfg as { w: unknown }).w = w;
}

${["loss", "nested"].flatMap((f) => [`export const ${f}_vg = valueAndGrad(${f}, { wrt: [0] });`, `export const ${f}_jvp = jvp(${f}, { wrt: [0] });`, `export const ${f}_vjp = vjp(${f}, { wrt: [0] });`, `export const ${f}_hvp = hvp(${f}, { wrt: [0] });`, `export const ${f}_hessian = hessian(${f}, { wrt: [0] });`]).join("\n")}
export const vector_jvp = jvp(vector, { wrt: [0] });
export const vector_vjp = vjp(vector, { wrt: [0] });
`;
}

const CASES: Case[] = [
  { name: "loss", f: () => undefined as never, modes: MODES, wrt: [0], args: vec(3) },
  { name: "nested", f: () => undefined as never, modes: MODES, wrt: [0], args: vec(3) },
  { name: "vector", f: () => undefined as never, modes: ["jvp", "vjp"], wrt: [0], args: vec(3), vector: true },
];
const POINTS = 3;

const work = mkdtempSync(path.join(tmpdir(), "gradc-module-values-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The model as a module importing gradc from this checkout. */
const local = (text: string) => text.replace('from "gradc"', `from ${JSON.stringify(path.resolve("index.ts"))}`);

/** Writes the model (gradc from this checkout) and its compiled module to `dir`; imports both. */
async function buildModel(dir: string): Promise<{ code: string; source: Record<string, any>; built: Record<string, Fn> }> {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "model.ts");
  const text = model(true);
  writeFileSync(file, text);
  const out = await compileModule(text, file, { runtimeImport: path.resolve("runtime/index.ts"), format: false });
  expect(out.diagnostics.map((d) => d.message)).toEqual([]);
  writeFileSync(file, local(text));
  writeFileSync(path.join(dir, "model.grad.ts"), out.code!);
  return { code: out.code!, built: await import(path.join(dir, "model.grad.ts")), source: await import(file) };
}

/** Each case in every mode at POINTS points, its derivatives given by `derivative`. */
function checkAll(source: Record<string, any>, derivative: (c: Case, mode: string) => Fn, label: string): void {
  for (const c of CASES) {
    const withF = { ...c, f: () => source[c.name === "nested" ? "nestedByHand" : c.name] };
    for (let k = 0; k < POINTS; k++) checkCase(withF, (mode) => derivative(c, mode), makeRng(seedOf(c.name, k)), `${c.name} (${label}, point ${k})`);
  }
}

describe("module-level arrays and objects on the build path", () => {
  let loaded: Awaited<ReturnType<typeof buildModel>>;
  beforeAll(async () => { loaded = await buildModel(path.join(work, "build")); }, 120_000);

  test("the generated module imports them from the module and checks their kinds in each entry", () => {
    expect(loaded.code).toContain('import { W0, cfg, layers } from "./model.js";');
    expect(loaded.code).toMatch(/if \(!\(W0 instanceof Float64Array\)\)\s*moduleValueError\(loss_vg_spec, "W0", W0, "Float64Array"\);/);
    expect(loaded.code).toMatch(/export function loss_vg\(x: Float64Array, out\?: \[Float64Array\]\)/);
  });

  test("every mode against central differences, the module values constant", () => {
    checkAll(loaded.source, (c, mode) => loaded.built[`${c.name}_${mode}`], "build");
  });

  test("a later write into a module-level array is seen", () => {
    loaded.source.setW0(1, 0.9);
    checkAll(loaded.source, (c, mode) => loaded.built[`${c.name}_${mode}`], "build, W0 written");
    loaded.source.setW0(1, -0.2);
  });

  test("a module value of another kind than compiled for is refused at the call", () => {
    loaded.source.setCfgW(new Float64Array([1, 2, 3]));
    try {
      expect(() => loaded.built.loss_vg(new Float64Array(3))).toThrow(/valueAndGrad\(loss\): the module-level cfg is an object \{ "lr", "w", "inner" \} now, and this derivative was compiled for \{ lr: number; w: number\[\]; inner: \{ b: Float64Array \} \}[^]*compile again, or pass it as an argument/);
    } finally {
      loaded.source.setCfgW([1, 2, 3]);
    }
  });
});

describe("the same values on the run-time path, through opts.closure", () => {
  let source: Record<string, any>;
  beforeAll(async () => {
    const dir = path.join(work, "runtime");
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "model.ts"), local(model(true)));
    source = await import(path.join(dir, "model.ts"));
  });

  test("every mode against central differences", () => {
    const closure = { W0: source.W0, cfg: source.cfg, layers: source.layers, scale: 3 };
    const made = new Map<string, Fn>();
    checkAll(source, (c, mode) => {
      const key = `${c.name}_${mode}`;
      if (!made.has(key)) made.set(key, API[mode](source[c.name], { wrt: c.wrt, closure, functions: { weighted: source.weighted, inner: source.inner } }));
      return made.get(key)!;
    }, "run time");
  });
});

describe("module-level values under the bundler plugin (not exported: the plugin exports them)", () => {
  for (const name of ["esbuild", "vite", "rollup"]) {
    test(`${name}: every mode against central differences, a later write seen`, async () => {
      const dir = path.join(work, `plugin-${name}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, "model.ts"), model(false));
      writeFileSync(path.join(dir, "main.ts"), `export * from "./model.js";\n`);
      writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module" }));
      const file = await bundlers.find((b) => b.name === name)!.build(dir, path.join(work, `plugin-${name}-out`));
      expect(readFileSync(file, "utf8")).not.toMatch(/from\s*["']gradc["']|ts-morph|acorn/);
      const app = await import(pathToFileURL(file).href);
      checkAll(app, (c, mode) => app[`${c.name}_${mode}`], name);
      app.setW0(1, 0.9);
      checkAll(app, (c, mode) => app[`${c.name}_${mode}`], `${name}, W0 written`);
    }, 120_000);
  }
});

describe("what cannot be data is refused, with its position and what to do", () => {
  const refusal = async (values: string, body = "s += W[i] * x[i];") => {
    const dir = path.join(work, "refused");
    mkdirSync(dir, { recursive: true });
    const text = `import { grad } from "gradc";\n${values}\nexport function f(x: Float64Array): number {\n  let s = 0;\n  for (let i = 0; i < x.length; i++) ${body}\n  return s;\n}\nexport const d = grad(f);\n`;
    const out = await compileModule(text, path.join(dir, "refused.ts"), { format: false });
    expect(out.code).toBeUndefined();
    return out.diagnostics.map((d) => d.message).join("\n");
  };

  test("a module-level array the module does not export", async () => {
    expect(await refusal("const W = new Float64Array(3);"))
      .toMatch(/refused\.ts:5:43: 'W' \(line 2\) is a module-level Float64Array: the generated module reads it on every call, and can import it only if its module exports it\. Export it \(export const W = …\), or pass it as an argument\.\n\n[^]*> 5 \|[^]*\^/);
  });

  test("a reassigned module-level let", async () => {
    expect(await refusal("export let W = new Float64Array(3);\nexport function reset(): void { W = new Float64Array(4); }"))
      .toMatch(/refused\.ts:6:43: 'W' \(line 2\) is a module-level let that is assigned again at line 3 \(W = new Float64Array\(4\)\)[^]*Declare it with const and change its elements instead/);
  });

  test("an Array of arrays whose length its type does not give", async () => {
    expect(await refusal("export const Ws = [new Float64Array(3), new Float64Array(3)];", "s += Ws[0][i] * x[i];"))
      .toMatch(/refused\.ts:5:43: 'Ws' \(line 2\) is a module-level const whose kind gradc cannot know when it compiles: an Array of Float64Array[^]*has a length gradc must know[^]*write a tuple type[^]*Give it a type gradc can read/);
  });

  test("a module-level value of no known type", async () => {
    expect(await refusal("declare function load(): any;\nexport const W = load();"))
      .toMatch(/refused\.ts:6:43: 'W' \(line 3\) is a module-level const whose kind gradc cannot know when it compiles: its type is not known/);
  });

  test("a write into a module-level array", async () => {
    expect(await refusal("export const W = new Float64Array(3);", "{ W[i] = x[i]; s += W[i]; }"))
      .toMatch(/refused\.ts:3:8: 'f' writes into 'W', a module-level array, which derivative code reads as data[^]*Pass it as an argument/);
  });
});
