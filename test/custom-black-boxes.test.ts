// Black boxes on the build path and under the bundler plugin: `customJvp(f, rule)` /
// `customVjp(f, rule)` where gradc cannot read f — a WebAssembly export imported from a
// .js module, a package's functions (gradc does not read packages; one takes a typed
// array), a `declare`d global, and a WebAssembly export bound at the top level of the
// module itself. The generated module calls each as it is, imported from where the module
// imports it (the module itself for its own value), and takes every derivative from the
// rules: reverse mode, forward mode, H·v, the Hessian and grad of grad, checked against
// central differences of the true function at several random points. Then what is refused.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { compileModule } from "../compiler/compile-module.js";
import { maxRelError, numericGradient, relError } from "../runtime/numeric.js";
import { makeRng, seedOf } from "./corpus/rng.js";
import { bundlers } from "./plugin/bundlers.js";

// The module under test imports "gradc" (its customJvp runs when it loads): the package is
// this repository's sources, found through node_modules/gradc (a link to it) or by name.
vi.mock("gradc", async () => await import("../index.js"));

type Fn = (...args: any[]) => any;

// (module (func (export "cube") (param f64) (result f64) local.get 0 local.get 0 f64.mul local.get 0 f64.mul))
const WASM_CUBE = [
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7c, 0x01, 0x7c, 0x03, 0x02, 0x01, 0x00,
  0x07, 0x08, 0x01, 0x04, 0x63, 0x75, 0x62, 0x65, 0x00, 0x00, 0x0a, 0x0c, 0x01, 0x0a, 0x00, 0x20, 0x00, 0x20, 0x00, 0xa2, 0x20, 0x00, 0xa2, 0x0b,
];

const FILES: Record<string, string> = {
  "package.json": JSON.stringify({ type: "module" }),
  "bytes.js": `export const bytes = Uint8Array.from(${JSON.stringify(WASM_CUBE)});\n`,
  // Its export is not a function gradc can read: a WebAssembly function.
  "cube.js": `import { bytes } from "./bytes.js";\nexport const cube = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.cube;\n`,
  "node_modules/fast-square/package.json": JSON.stringify({ name: "fast-square", type: "module", exports: { ".": "./index.js", "./sum": "./sum.js" } }),
  "node_modules/fast-square/index.js": "export default function square(x) { return x * x; }\n",
  "node_modules/fast-square/sum.js": "export function sumOfSquares(a) { let s = 0; for (const v of a) s += v * v; return s; }\n",
  "model.ts": `import { customJvp, customVjp, grad, hvp, hessian, jvp, valueAndGrad } from "gradc";
import { cube as wasmCube } from "./cube.js";
import square from "fast-square";
import { sumOfSquares } from "fast-square/sum";
import { bytes } from "./bytes.js";

declare function nativeTanh(x: number): number;

export const ownCube = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.cube as (x: number) => number;

export const cube = customJvp(wasmCube, (x: number, t: number) => 3 * x * x * t);
const sq = customVjp(square, (x: number, g: number) => 2 * x * g);
const tanh = customJvp(nativeTanh, (x: number, t: number) => (1 - Math.tanh(x) ** 2) * t);
const cube2 = customVjp(ownCube, (x: number, g: number) => 3 * x * x * g);
const sumSq = customVjp(sumOfSquares, (a: Float64Array, g: number) => {
  const r = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) r[i] = 2 * g * a[i];
  return r;
});

export function model(x: number, y: number): number {
  const a = new Float64Array(2);
  a[0] = x;
  a[1] = x * y;
  return cube(x * y) + sq(y) * tanh(x) + cube2(y - x) + sumSq(a) * y;
}

export const modelVG = valueAndGrad(model, { wrt: [0, 1] });
export const modelJvp = jvp(model, { wrt: [0, 1] });
export const modelHvp = hvp(model, { wrt: [0, 1] });
export const modelHessian = hessian(model, { wrt: [0, 1] });
export const cubeD2 = grad(grad(cube));
`,
  "main.ts": `import { model, modelVG, modelJvp, modelHvp, modelHessian, cubeD2 } from "./model";
export { model, modelVG, modelJvp, modelHvp, modelHessian, cubeD2 };
`,
};

const modelRef = (x: number, y: number) => (x * y) ** 3 + y * y * Math.tanh(x) + (y - x) ** 3 + (x * x + (x * y) ** 2) * y;

function writeApp(dir: string): void {
  for (const [file, text] of Object.entries(FILES)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
}

const work = mkdtempSync(path.join(tmpdir(), "gradc-black-box-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
(globalThis as Record<string, unknown>).nativeTanh = Math.tanh;

const e = 1e-5;
const gradientRef = (x: number, y: number) => [numericGradient(modelRef, [x, y], 0), numericGradient(modelRef, [x, y], 1)];

/** Checks the derivatives of `m` (the built or bundled model) at several random points. */
function checkModel(m: Record<string, Fn>, name: string): void {
  for (let k = 0; k < 4; k++) {
    const rng = makeRng(seedOf(`black-box-${name}`, k));
    const [x, y] = [rng.uniform(-1.2, 1.2), rng.uniform(-1.2, 1.2)];
    const [value, g] = m.modelVG(x, y);
    expect(relError(value, modelRef(x, y)), "value").toBeLessThan(1e-12);
    expect(maxRelError(g, gradientRef(x, y)), "gradient").toBeLessThan(1e-5);
    const t = [rng.uniform(-1, 1), rng.uniform(-1, 1)];
    const [jvpValue, jt] = m.modelJvp(x, y, t);
    expect(relError(jvpValue, value), "jvp value").toBeLessThan(1e-12);
    expect(relError(jt, g[0] * t[0] + g[1] * t[1]), "jvp").toBeLessThan(1e-12);
    // H·v: central differences of the gradient along v.
    const row = (v: number[]) => { const p = m.modelVG(x + e * v[0], y + e * v[1])[1], q = m.modelVG(x - e * v[0], y - e * v[1])[1]; return [(p[0] - q[0]) / (2 * e), (p[1] - q[1]) / (2 * e)]; };
    expect(maxRelError(m.modelHvp(x, y, t), row(t)), "hvp").toBeLessThan(1e-5);
    const H = m.modelHessian(x, y);
    expect(maxRelError([H[0], H[1]], row([1, 0])), "hessian row 0").toBeLessThan(1e-5);
    expect(maxRelError([H[2], H[3]], row([0, 1])), "hessian row 1").toBeLessThan(1e-5);
    expect(relError(m.cubeD2(x), 6 * x), "grad of grad").toBeLessThan(1e-12);
  }
}

describe("black boxes on the build path", () => {
  const dir = path.join(work, "build");
  let code: string;
  let built: Record<string, Fn>;

  beforeAll(async () => {
    writeApp(dir);
    symlinkSync(path.resolve("."), path.join(dir, "node_modules", "gradc"), "dir");
    const file = path.join(dir, "model.ts");
    const out = await compileModule(FILES["model.ts"], file, { runtimeImport: path.resolve("runtime/index.ts") });
    expect(out.diagnostics.map((d) => d.message)).toEqual([]);
    code = out.code!;
    writeFileSync(path.join(dir, "model.grad.ts"), code);
    built = await import(pathToFileURL(path.join(dir, "model.grad.ts")).href);
  });

  test("the generated module imports each black box from where the module does, and calls it", () => {
    expect(code).toContain('import { cube as wasmCube } from "./cube.js";');
    expect(code).toContain('import square from "fast-square";');
    expect(code).toContain('import { sumOfSquares } from "fast-square/sum";');
    expect(code).toMatch(/sumOfSquares\(/);
    expect(code).toContain('import { ownCube } from "./model.js";');
    expect(code).toMatch(/wasmCube\(/);
    expect(code).toMatch(/nativeTanh\(/);
    expect(code).not.toMatch(/import[^;]*nativeTanh/);
  });

  test("value, gradient, J·t, H·v, the Hessian and grad of grad come from the rules", () => checkModel(built, "build"));
});

describe("black boxes under the bundler plugin", () => {
  for (const name of ["esbuild", "vite", "rollup"]) {
    test(`${name}: the bundle calls them, the derivatives come from the rules`, async () => {
      const dir = path.join(work, name);
      writeApp(dir);
      const file = await bundlers.find((b) => b.name === name)!.build(dir, path.join(work, `${name}-out`));
      const text = readFileSync(file, "utf8");
      expect(text).not.toMatch(/from\s*["']gradc["']|ts-morph|acorn/);
      checkModel(await import(pathToFileURL(file).href), name);
    }, 120_000);
  }
});

describe("what is refused", () => {
  const compile = async (body: string) => {
    const dir = path.join(work, "refused");
    writeApp(dir);
    const text = `import { customJvp, grad } from "gradc";\nimport { bytes } from "./bytes.js";\n${body}\nexport const d = grad((x: number) => f(x));\n`;
    const out = await compileModule(text, path.join(dir, "refused.ts"), { format: false });
    return out.diagnostics.map((d) => d.message).join("\n");
  };
  const wasm = "new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.cube as (x: number) => number";

  test("a value of the module that it does not export", async () => {
    expect(await compile(`const own = ${wasm};\nconst f = customJvp(own, (x: number, t: number) => 3 * x * x * t);`))
      .toMatch(/refused\.ts:4:21: gradc cannot read 'own'[^]*Export it \(export const own = …\), or move it into a module of its own/);
  });

  test("an expression, when the custom function is not exported", async () => {
    expect(await compile(`const f = customJvp(${wasm}, (x: number, t: number) => 3 * x * x * t);`))
      .toMatch(/refused\.ts:3:21: gradc cannot read[^]*Export 'f' \(export const f = customJvp\(…\)\)/);
  });

  test("a JVP rule whose parameters are not the arguments and their tangents", async () => {
    expect(await compile(`export const own = ${wasm};\nexport const f = customJvp(own, (x: number, t: number, u: number) => 3 * x * x * t);`))
      .toMatch(/A JVP rule takes f's arguments and then one tangent for each \(x1, …, xn, t1, …, tn\): this one has 3 parameter\(s\)/);
  });
});
