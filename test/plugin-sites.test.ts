// The bundler plugin on request sites written the way users write them: aliased and
// namespace imports, sites that are not exported or sit inside a function, two sites on
// one function, JavaScript modules, checkpoint markers and GradcError, refusals, the
// include/exclude options, and "gradc" mentioned only in a comment. Each case is a small
// app written to a temporary folder and bundled by esbuild (one also by Vite, refusals by
// all four bundlers); bundles are run and their derivatives checked against central
// differences, refusals by their message: file:line:col and a code frame.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { BuildFailure } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import gradcEsbuild from "../compiler/plugin/esbuild.js";
import type { GradcPluginOptions } from "../compiler/plugin/index.js";
import { maxRelError, numericGradient } from "../runtime/numeric.js";
import { bundlers } from "./plugin/bundlers.js";

const RUNTIME = fileURLToPath(new URL("../runtime/index.ts", import.meta.url));
const work = mkdtempSync(path.join(tmpdir(), "gradc-plugin-sites-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Writes `files` into a fresh folder, an ES-module package that sees the repository's node_modules (for webpack's loaders); its path. */
let apps = 0;
function writeApp(files: Record<string, string>): string {
  const dir = path.join(work, `app${apps++}`);
  mkdirSync(dir);
  writeFileSync(path.join(dir, "package.json"), '{ "type": "module" }\n');
  symlinkSync(fileURLToPath(new URL("../node_modules", import.meta.url)), path.join(dir, "node_modules"), "dir");
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

/** The app's `entry` bundled by esbuild with gradc's plugin; "gradc" stays external, so what is left of it shows. */
async function bundle(files: Record<string, string>, plugin?: GradcPluginOptions, entry = "main.ts"): Promise<{ dir: string; text: string }> {
  const dir = writeApp(files);
  const { build } = await import("esbuild");
  const result = await build({
    entryPoints: [path.join(dir, entry)], bundle: true, format: "esm", write: false, logLevel: "silent",
    plugins: [gradcEsbuild(plugin)], alias: { "gradc/runtime": RUNTIME }, external: ["gradc"],
  });
  return { dir, text: result.outputFiles[0].text };
}

/** Bundles and imports the app; the bundle must not import "gradc" (so it holds none of the compiler). */
async function run<T>(files: Record<string, string>, entry = "main.ts"): Promise<T> {
  const { dir, text } = await bundle(files, undefined, entry);
  expect(text).not.toMatch(GRADC_IMPORT);
  const file = path.join(dir, "bundle.mjs");
  writeFileSync(file, text);
  return (await import(pathToFileURL(file).href)) as T;
}

/** How esbuild fails on the app: its errors and warnings. */
async function failure(files: Record<string, string>, entry = "main.ts"): Promise<BuildFailure> {
  try {
    await bundle(files, undefined, entry);
  } catch (error) {
    return error as BuildFailure;
  }
  throw new Error("the build succeeded");
}

const GRADC_IMPORT = /from\s*["']gradc["']/;

function expectNear(got: unknown, want: unknown): void {
  expect(maxRelError(got, want)).toBeLessThan(1e-5);
}

type Loss = (w: Float64Array, x: number) => number;
const LOSS = "export function loss(w: Float64Array, x: number): number {\n  let s = 0;\n  for (let i = 0; i < w.length; i++) s += Math.sin(w[i] * x) * w[i];\n  return s * x;\n}\n";
const w = Float64Array.from([0.3, -1.2, 0.8]);
const x = 1.7;

describe("sites as users write them", () => {
  it("aliased imports: grad as g, and valueAndGrad", async () => {
    const app = await run<{ loss: Loss; d: Loss; vg: (w: Float64Array, x: number) => [number, number] }>({
      "main.ts": `import { grad as g, valueAndGrad } from "gradc";\n${LOSS}export const d = g(loss);\nexport const vg = valueAndGrad(loss, { wrt: "x" });\n`,
    });
    expectNear(app.d(w, x), numericGradient(app.loss, [w, x], 0));
    const [value, dx] = app.vg(w, x);
    expect(value).toBe(app.loss(w, x));
    expectNear(dx, numericGradient(app.loss, [w, x], 1));
  });

  it("a namespace import: gradc.grad(loss)", async () => {
    const app = await run<{ loss: Loss; d: Loss }>({ "main.ts": `import * as gradc from "gradc";\n${LOSS}export const d = gradc.grad(loss);\n` });
    expectNear(app.d(w, x), numericGradient(app.loss, [w, x], 0));
  });

  it("a site that is not exported", async () => {
    const app = await run<{ loss: Loss; step: Loss }>({
      "main.ts": `import { grad } from "gradc";\n${LOSS}const d = grad(loss);\nexport function step(w: Float64Array, x: number) {\n  return d(w, x);\n}\n`,
    });
    expectNear(app.step(w, x), numericGradient(app.loss, [w, x], 0));
  });

  it("a site inside a function is compiled once, to a module-level entry", async () => {
    const files = { "main.ts": `import { grad } from "gradc";\n${LOSS}export function step(w: Float64Array, x: number) {\n  return grad(loss)(w, x);\n}\n` };
    const { text } = await bundle(files);
    const entry = /function step\(w, x\) \{\s*return (\w+)\(w, x\);\s*\}/.exec(text)?.[1];
    expect(entry, "step calls the entry directly").toBeDefined();
    expect(text).toMatch(new RegExp(`^function ${entry}\\(`, "m"));
    const app = await run<{ loss: Loss; step: Loss }>(files);
    expectNear(app.step(w, x), numericGradient(app.loss, [w, x], 0));
    expect(app.step(w, x)).not.toBe(app.step(w, x)); // a fresh gradient per call
  });

  it("a derivative of a derivative, grad(d2)(x) of a bound one, with an aliased import", async () => {
    const app = await run<{ d2: (x: number) => number; d3: (x: number) => number }>({
      "main.ts": `import { grad as g } from "gradc";\nexport function cube(x: number): number {\n  return x * x * x * Math.sin(x);\n}\nexport const d2 = g(g(cube));\nexport function third(x: number): number {\n  const d = g(g(cube));\n  return g(d)(x);\n}\nexport const d3 = g(third);\n`,
    });
    const ddf = (x: number) => -(x ** 3) * Math.sin(x) + 6 * x * x * Math.cos(x) + 6 * x * Math.sin(x);
    const dddf = (x: number) => -(x ** 3) * Math.cos(x) - 9 * x * x * Math.sin(x) + 18 * x * Math.cos(x) + 6 * Math.sin(x);
    expectNear(app.d2(x), ddf(x));
    expectNear(app.d3(x), numericGradient(dddf, [x], 0));
  });

  it("customJvp, customVjp and stopGradient come from the runtime: the bundle holds no compiler, and the rules are used", async () => {
    const app = await run<{ d: (x: number, y: number) => number[]; value: (x: number, y: number) => number }>({
      "main.ts": `import { grad, customJvp, customVjp, stopGradient } from "gradc";\n` +
        `const sq = customJvp((x: number) => x * x, (x: number, t: number) => 3 * x * t);\n` +
        `const half = customVjp((x: number) => x / 2, (x: number, g: number) => g);\n` +
        `export function value(x: number, y: number): number {\n  return sq(x) * y + half(y) + stopGradient(x) * y;\n}\n` +
        `export const d = grad(value, { wrt: [0, 1] });\n`,
    });
    const [x0, y0] = [1.5, -0.5];
    expect(app.value(x0, y0)).toBeCloseTo(x0 * x0 * y0 + y0 / 2 + x0 * y0, 12);
    expectNear(app.d(x0, y0), [3 * x0 * y0, x0 * x0 + 1 + x0]);
  });

  it("two sites on one function with different wrt", async () => {
    const app = await run<{ loss: Loss; dw: Loss; dx: (w: Float64Array, x: number) => number }>({
      "main.ts": `import { grad } from "gradc";\n${LOSS}export const dw = grad(loss, { wrt: "w" });\nexport const dx = grad(loss, { wrt: 1 });\n`,
    });
    expectNear(app.dw(w, x), numericGradient(app.loss, [w, x], 0));
    expectNear(app.dx(w, x), numericGradient(app.loss, [w, x], 1));
  });

  it("a JavaScript module whose parameter types are JSDoc", async () => {
    const app = await run<{ loss: Loss; d: Loss }>({
      "main.js": [
        'import { grad } from "gradc";',
        "/** @param {Float64Array} w @param {number} x */",
        "export function loss(w, x) {",
        "  let s = 0;",
        "  for (let i = 0; i < w.length; i++) s += Math.sin(w[i] * x) * w[i];",
        "  return s * x;",
        "}",
        "export const d = grad(loss);",
        "",
      ].join("\n"),
    }, "main.js");
    expectNear(app.d(w, x), numericGradient(app.loss, [w, x], 0));
  });

  it("a JavaScript module without types is refused at the parameter, asking for JSDoc", async () => {
    const { errors } = await failure({ "main.js": 'import { grad } from "gradc";\nexport function loss(w, x) {\n  return w * w * x;\n}\nexport const d = grad(loss);\n' }, "main.js");
    expect(errors).toHaveLength(1);
    expect(errors[0].text).toMatch(/main\.js:2:22: Parameter 'w' .*JSDoc/);
    expect(errors[0].text).toContain("> 2 | export function loss(w, x) {");
  });

  // Fails today: build-sites.ts's allCalls refuses every identifier spelled like a gradc
  // import, also a property name, a shadowing local and a namespace in a type (see the report).
  it("names that only look like the imports: p.grad, { grad: 0 }, a parameter grad, gradc.GradOptions", async () => {
    const app = await run<{ loss: Loss; step: (w: Float64Array, x: number) => number }>({
      "main.ts": [
        'import { grad } from "gradc";',
        'import * as gradc from "gradc";',
        LOSS,
        "const options: gradc.GradOptions = {};",
        "const d = gradc.valueAndGrad(loss);",
        "const param = { value: 0, grad: 0 };",
        "function scaled(grad: number, k: number): number {",
        "  return grad * k;",
        "}",
        "export function step(w: Float64Array, x: number): number {",
        "  param.grad = scaled(grad(loss)(w, x)[0], 1);",
        "  return param.grad + d(w, x)[1][0] * 0 + (options.wrt === undefined ? 0 : 1);",
        "}",
        "",
      ].join("\n"),
    });
    expectNear(app.step(w, x), (numericGradient(app.loss, [w, x], 0) as Float64Array)[0]);
  });
});

describe("the other imports from gradc", () => {
  const BLOCK = "checkpoint(function block(h: Float64Array, w: number): number {\n  for (let i = 0; i < h.length; i++) h[i] = Math.tanh(w * h[i]);\n  return 0;\n})";
  const DEEP = "export function loss(w: number, h0: Float64Array): number {\n  const h = new Float64Array(h0.length);\n  for (let i = 0; i < h.length; i++) h[i] = h0[i];\n  block(h, w);\n  block(h, w);\n  let s = 0;\n  for (let i = 0; i < h.length; i++) s += h[i] * h[i];\n  return s;\n}\n";
  type Deep = { loss: (w: number, h0: Float64Array) => number; d: (w: number, h0: Float64Array) => number };
  const h0 = Float64Array.from([0.5, -0.4, 1.1]);

  it("checkpoint markers are unwrapped, in the module with the site and in a module without one", async () => {
    const layouts: Record<string, string>[] = [
      { "main.ts": `import { checkpoint, grad } from "gradc";\nconst block = ${BLOCK};\n${DEEP}export const d = grad(loss);\n` },
      { "blocks.ts": `import { checkpoint } from "gradc";\nexport const block = ${BLOCK};\n`, "main.ts": `import { grad } from "gradc";\nimport { block } from "./blocks";\n${DEEP}export const d = grad(loss);\n` },
    ];
    for (const files of layouts) {
      const app = await run<Deep>(files);
      expectNear(app.d(0.9, h0), numericGradient(app.loss, [0.9, h0], 0));
    }
  });

  it("GradcError comes from the runtime: the same class the generated entries throw", async () => {
    const app = await run<{ loss: Loss; tryBadOut: (w: Float64Array, x: number) => string }>({
      "main.ts": [
        'import { grad, GradcError } from "gradc";',
        LOSS,
        "const d = grad(loss);",
        "export function tryBadOut(w: Float64Array, x: number): string {",
        "  try {",
        "    d(w, x, new Float64Array(1));",
        '    return "accepted";',
        "  } catch (e) {",
        '    return e instanceof GradcError ? "GradcError" : String(e);',
        "  }",
        "}",
        "",
      ].join("\n"),
    });
    expect(app.tryBadOut(w, x)).toBe("GradcError");
  });

  it("type imports left over are erased, also under verbatimModuleSyntax", async () => {
    const app = await run<{ loss: Loss; d: Loss }>({
      "tsconfig.json": '{ "compilerOptions": { "verbatimModuleSyntax": true } }\n',
      "main.ts": `import { grad, type GradOptions, type WrtSpec as Wrt } from "gradc";\n${LOSS}const options: GradOptions = {};\nconst wrt: Wrt = options.wrt ?? "w";\nexport const d = grad(loss, { wrt: "w" });\nexport { wrt };\n`,
    });
    expectNear(app.d(w, x), numericGradient(app.loss, [w, x], 0));
  });

  it("gradCheck, which compiles at run time, stays imported from gradc", async () => {
    const { text } = await bundle({ "main.ts": `import { grad, gradCheck } from "gradc";\n${LOSS}export const d = grad(loss);\nexport const check = () => gradCheck(loss, [new Float64Array(2), 1]);\n` });
    expect(text).toMatch(/import \{ gradCheck \} from "gradc"/);
  });
});

describe("refusals are build errors at file:line:col with a code frame", () => {
  const cases: [string, string, RegExp, string][] = [
    ["grad passed as a value", `import { grad } from "gradc";\n${LOSS}const f = grad;\nexport const d = f(loss);\n`,
      /main\.ts:7:11: 'grad' from "gradc" is used here other than as a call/, "> 7 | const f = grad;"],
    ["grad of a parameter", 'import { grad } from "gradc";\nexport function make(h: (x: number) => number) {\n  return grad(h);\n}\n',
      /main\.ts:3:15: 'h' is not a function declared in or imported into this module/, "> 3 |   return grad(h);"],
    ["wrt not a literal", `import { grad } from "gradc";\n${LOSS}const which = "x";\nexport const d = grad(loss, { wrt: which });\n`,
      /main\.ts:8:36: wrt must be written as a literal/, "> 8 | export const d = grad(loss, { wrt: which });"],
    ["an unknown option", `import { grad } from "gradc";\n${LOSS}export const d = grad(loss, { wrt: "x", fast: true });\n`,
      /main\.ts:7:41: Option 'fast' is not supported in a build-time request/, '> 7 | export const d = grad(loss, { wrt: "x", fast: true });'],
    ["another member of a namespace import", `import * as gradc from "gradc";\n${LOSS}export const d = gradc.grad(loss);\nexport const E = gradc.GradcError;\n`,
      /main\.ts:8:18: 'gradc\.GradcError' through a namespace import of "gradc" cannot stay/, "> 8 | export const E = gradc.GradcError;"],
  ];
  it.each(cases)("%s", async (_, main, message, frameLine) => {
    const { errors, warnings } = await failure({ "main.ts": main });
    expect(warnings).toHaveLength(0);
    expect(errors).toHaveLength(1);
    expect(errors[0].text).toMatch(message);
    expect(errors[0].text).toContain(frameLine);
    expect(errors[0].text).toMatch(/\n\s+\| +\^/); // the caret line
  });

  it.each(bundlers)("under $name the build fails", async (bundler) => {
    const dir = writeApp({ "main.ts": cases[0][1] });
    await expect(bundler.build(dir, path.join(dir, "out"))).rejects.toThrow(cases[0][2]);
  }, 60_000);
});

describe("include and exclude", () => {
  const files = {
    "main.ts": 'import { d as dModel } from "./model";\nimport { d as dLegacy } from "./legacy";\nexport { dModel, dLegacy };\n',
    "model.ts": `import { grad } from "gradc";\n${LOSS}export const d = grad(loss);\n`,
    "legacy.ts": `import { grad } from "gradc";\n${LOSS.replace("loss", "legacyLoss")}export const d = grad(legacyLoss);\n`,
  };

  /** Whether each module's site was compiled (true) or left as a run-time call of gradc. */
  function compiled(text: string): { model: boolean; legacy: boolean } {
    return { model: !/= grad\(loss\)/.test(text), legacy: !/= grad\(legacyLoss\)/.test(text) };
  }

  it("an excluded module is left alone: its grad call stays a run-time call of gradc", async () => {
    const { text } = await bundle(files, { exclude: ["legacy.ts"] });
    expect(compiled(text)).toEqual({ model: true, legacy: false });
    expect(text).toMatch(/import \{ grad \} from "gradc"/);
  });

  it("a module not included is left alone", async () => {
    const { text } = await bundle(files, { include: [/model\.ts$/] });
    expect(compiled(text)).toEqual({ model: true, legacy: false });
    expect(text).toMatch(GRADC_IMPORT);
  });

  it("by default both are compiled", async () => {
    const { text } = await bundle(files);
    expect(compiled(text)).toEqual({ model: true, legacy: true });
    expect(text).not.toMatch(GRADC_IMPORT);
  });
});

it('a module that names "gradc" only in a comment or a string is left alone', async () => {
  const main = '// Not yet: import { grad } from "gradc";\nexport const text = \'import { grad } from "gradc"\';\nexport function grad(x: number): number {\n  return 2 * x;\n}\n';
  const { dir, text } = await bundle({ "main.ts": main });
  writeFileSync(path.join(dir, "bundle.mjs"), text);
  const app = (await import(pathToFileURL(path.join(dir, "bundle.mjs")).href)) as { grad: (x: number) => number; text: string };
  expect(app.text).toBe('import { grad } from "gradc"');
  expect(app.grad(3)).toBe(6);
});

describe("under Vite", () => {
  it("aliased, namespace and inline sites, a checkpoint marker and GradcError in one app", async () => {
    const dir = writeApp({
      "main.ts": [
        'import { checkpoint, grad as g, GradcError } from "gradc";',
        'import * as gradc from "gradc";',
        "const scale = checkpoint(function scale(w: Float64Array, k: number): number {",
        "  for (let i = 0; i < w.length; i++) w[i] *= k;",
        "  return 0;",
        "});",
        "export function loss(w: Float64Array, x: number): number {",
        "  const v = new Float64Array(w.length);",
        "  for (let i = 0; i < v.length; i++) v[i] = w[i];",
        "  scale(v, x);",
        "  let s = 0;",
        "  for (let i = 0; i < v.length; i++) s += Math.sin(v[i]) * w[i];",
        "  return s * x;",
        "}",
        "export const dw = g(loss);",
        'export const vgx = gradc.valueAndGrad(loss, { wrt: "x" });',
        "export function step(w: Float64Array, x: number) {",
        "  return g(loss)(w, x);",
        "}",
        "export const isGradcError = (e: unknown) => e instanceof GradcError;",
        "",
      ].join("\n"),
    });
    const vite = bundlers.find((b) => b.name === "vite")!;
    const file = await vite.build(dir, path.join(dir, "out"));
    expect(readFileSync(file, "utf8")).not.toMatch(GRADC_IMPORT);
    const app = (await import(pathToFileURL(file).href)) as {
      loss: Loss; dw: (w: Float64Array, x: number, out?: Float64Array) => Float64Array; step: Loss; vgx: (w: Float64Array, x: number) => [number, number]; isGradcError: (e: unknown) => boolean;
    };
    const want = numericGradient(app.loss, [w, x], 0);
    expectNear(app.dw(w, x), want);
    expectNear(app.step(w, x), want);
    expectNear(app.vgx(w, x)[1], numericGradient(app.loss, [w, x], 1));
    let thrown: unknown;
    try {
      app.dw(w, x, new Float64Array(1));
    } catch (e) {
      thrown = e;
    }
    expect(app.isGradcError(thrown)).toBe(true);
  }, 60_000);
});
