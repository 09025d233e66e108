// The bundler plugin, as users set it up: test/plugin/app (TypeScript, an interface-typed
// parameter object, a helper from another file, a runtime kernel, valueAndGrad, grad and
// hvp sites) built by Vite, Rollup, esbuild and webpack, each in its usual TypeScript
// set-up with gradc's plugin. Each bundle is run and checked against central differences,
// and must hold none of the compiler (acorn, ts-morph, prettier) and no string evaluation.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { maxRelError, numericGradient } from "../runtime/numeric.js";
import gradcVite from "../compiler/plugin/vite.js";
import { bundlers, type Bundler } from "./plugin/bundlers.js";

const APP = path.join(import.meta.dirname, "plugin", "app");
const work = mkdtempSync(path.join(tmpdir(), "gradc-plugin-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

type Layer = { W: Float64Array; b: Float64Array };
interface App {
  p: Layer; x: Float64Array; y: Float64Array; v: Layer;
  loss: (p: Layer, x: Float64Array, y: Float64Array) => number;
  lossValueAndGrad: (p: Layer, x: Float64Array, y: Float64Array) => [number, Layer];
  results: { value: number; gradP: Layer; gradX: Float64Array; hvpP: Layer };
}

/** H·v by central differences of the bundle's own gradient. */
function hvpByDifferences(app: App, h = 1e-5): Layer {
  const shifted = (t: number): Layer => ({ W: app.p.W.map((w, i) => w + t * app.v.W[i]), b: app.p.b.map((b, i) => b + t * app.v.b[i]) });
  const [, up] = app.lossValueAndGrad(shifted(h), app.x, app.y);
  const plus = { W: Float64Array.from(up.W), b: Float64Array.from(up.b) };
  const [, down] = app.lossValueAndGrad(shifted(-h), app.x, app.y);
  return { W: plus.W.map((g, i) => (g - down.W[i]) / (2 * h)), b: plus.b.map((g, i) => (g - down.b[i]) / (2 * h)) };
}

/** Traces of the compiler in a bundle (non-minified, so module paths and names survive). */
const COMPILER_TRACES = [/node_modules[\\/]acorn/, /\bacorn\b/, /ts-morph/, /\bprettier\b/, /\bnew\s+Function\b/, /(?<![.\w$])(?:Function|eval)\s*\(/];

describe.each(bundlers)("the plugin under $name", (bundler: Bundler) => {
  let app: App;
  let text: string;

  it("builds the app", async () => {
    const out = path.join(work, bundler.name);
    const file = await bundler.build(APP, out);
    text = readFileSync(file, "utf8");
    app = (await import(pathToFileURL(file).href)) as App;
  }, 120_000);

  it("holds no compiler and no string evaluation", () => {
    for (const trace of COMPILER_TRACES) expect(text, String(trace)).not.toMatch(trace);
    expect(text).not.toMatch(/from\s*["']gradc["']/);
  });

  it("computes value, gradients and the Hessian-vector product", () => {
    const { p, x, y, loss, results } = app;
    expect(results.value).toBe(loss(p, x, y));
    expect(maxRelError(results.gradP, numericGradient(loss, [p, x, y], 0))).toBeLessThan(1e-5);
    expect(maxRelError(results.gradX, numericGradient(loss, [p, x, y], 1))).toBeLessThan(1e-5);
    expect(maxRelError(results.hvpP, hvpByDifferences(app))).toBeLessThan(1e-5);
    expect(Math.abs(results.hvpP.b[0])).toBeGreaterThan(1e-3);
  });
});

describe("the plugin refuses what it cannot compile", () => {
  it("a request on a local closure is a build error at its file:line:col", async () => {
    const dir = path.join(work, "bad");
    cpSync(APP, dir, { recursive: true });
    writeFileSync(path.join(dir, "model.ts"), [
      'import { grad } from "gradc";',
      "export function make(k: number) {",
      "  const f = (x: number) => k * x * x;",
      "  return grad(f);",
      "}",
      "",
    ].join("\n"));
    writeFileSync(path.join(dir, "main.ts"), 'import { make } from "./model";\nexport const g = make(2)(3);\n');
    const esbuild = bundlers.find((b) => b.name === "esbuild")!;
    await expect(esbuild.build(dir, path.join(work, "bad-out"))).rejects.toThrow(/model\.ts:4:15: 'f' is not a function declared in or imported into this module/);
  }, 60_000);
});

describe("the plugin in Vite's dev server", () => {
  it("editing the loss, or a helper it calls, re-generates its derivative", async () => {
    const { createServer } = await import("vite");
    const dir = path.join(work, "dev");
    cpSync(APP, dir, { recursive: true });
    const server = await createServer({
      root: dir, configFile: false, logLevel: "silent", plugins: [gradcVite()],
      resolve: { alias: [{ find: /^gradc\/runtime$/, replacement: path.join(import.meta.dirname, "..", "runtime", "index.ts") }] },
      server: { middlewareMode: true, watch: { usePolling: true, interval: 50 } },
    });
    try {
      const load = async () => (await server.ssrLoadModule(path.join(dir, "main.ts"))) as App;
      const check = (app: App) => expect(maxRelError(app.results.gradP, numericGradient(app.loss, [app.p, app.x, app.y], 0))).toBeLessThan(1e-5);
      const before = await load();
      check(before);
      const edits: [string, string, string][] = [["model.ts", "0.5 * (p.b[0]", "2.5 * (p.b[0]"], ["helpers.ts", "Math.log(1 + Math.exp(z))", "Math.log(2 + Math.exp(z))"]];
      let last = before.results.gradP.b[0];
      for (const [file, from, to] of edits) {
        const target = path.join(dir, file);
        writeFileSync(target, readFileSync(target, "utf8").replace(from, to));
        let now = await load();
        for (let tries = 0; now.results.gradP.b[0] === last && tries < 100; tries++) {
          await new Promise((r) => setTimeout(r, 100));
          now = await load();
        }
        expect(now.results.gradP.b[0], `after editing ${file}`).not.toBe(last);
        check(now);
        last = now.results.gradP.b[0];
      }
    } finally {
      await server.close();
    }
  }, 60_000);
});
