// gradc build on a JavaScript project: JSDoc-typed losses in .mjs/.js modules become
// <name>.grad.mjs / .grad.js with declaration files that type their entries.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Project, ts } from "ts-morph";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isSourceModule, outputPath } from "../compiler/build.js";
import { main } from "../compiler/cli.js";
import { maxRelError, numericGradient } from "../runtime/numeric.js";

const UTIL = `/**
 * @param {number} z
 * @returns {number}
 */
export function softplus(z) {
  return Math.log1p(Math.exp(z));
}
`;

const LOSS = `import { grad, valueAndGrad } from "gradc";
import { softplus } from "./util.js";

/** @typedef {{ W: Float64Array, b: number }} Layer */

/**
 * Logistic loss of a linear layer, with a penalty on the bias.
 * @param {Layer} p
 * @param {Float64Array} x
 * @param {number} y
 * @returns {number}
 */
export function loss(p, x, y) {
  let z = p.b;
  for (let i = 0; i < x.length; i++) z += p.W[i] * x[i];
  return softplus(z) - y * z + 0.5 * p.b * p.b;
}

export const lossGrad = grad(loss, { wrt: "p" });
export const lossBoth = valueAndGrad(loss, { wrt: ["p", "y"] });
`;

/** A .js module whose helper is a TypeScript module (imported by its output's name). */
const CUBE = `import { grad } from "gradc";
import { scale } from "./scale.js";

/**
 * @param {{ a: Float64Array, c: { k: number } }} q
 * @param {number} t
 */
export function cube(q, t) {
  let s = 0;
  for (let i = 0; i < q.a.length; i++) s += scale(q.a[i] * q.a[i] * q.a[i], q.c.k) * t;
  return s;
}

export const cubeGrad = grad(cube, { wrt: ["q", "t"] });
`;

const SCALE = "export function scale(v: number, k: number): number { return v * Math.sin(k); }\n";

/** Type checks `use.ts` against the generated declarations: calls with wrong types must be errors. */
const USE = `import { lossGrad, lossBoth } from "./loss.grad.mjs";
import { cubeGrad } from "./cube.grad.js";

const p = { W: new Float64Array([1, 2]), b: 0.5 };
const g: { W: Float64Array; b: number } = lossGrad(p, new Float64Array(2), 1);
const [value, [gp, gy]]: [number, [{ W: Float64Array; b: number }, number]] = lossBoth(p, new Float64Array(2), 1);
const [gq, gt] = cubeGrad({ a: new Float64Array(3), c: { k: 1 } }, 2);
const k: number = gq.c.k + gt + value + gy + gp.b + g.b;
// @ts-expect-error W must be a Float64Array
lossGrad({ W: [1, 2], b: 0.5 }, new Float64Array(2), 1);
// @ts-expect-error y is missing
lossGrad(p, new Float64Array(2));
// @ts-expect-error the gradient is not a number
const wrong: number = lossGrad(p, new Float64Array(2), 1);
// @ts-expect-error c.k is a number
cubeGrad({ a: new Float64Array(3), c: { k: "1" } }, 2);
void k, wrong;
`;

/** Stands in for the gradc package, so the sources themselves can be imported (as references). */
const GRADC_STUB = 'const unbuilt = () => () => { throw new Error("run gradc build"); };\nexport const grad = unbuilt;\nexport const valueAndGrad = unbuilt;\n';

const runtime = path.resolve("runtime/index.ts");
const created: string[] = [];
afterAll(() => created.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function writeProject(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "gradc-js-"));
  created.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

function capture() {
  const io = { stdout: "", stderr: "", out: (t: string) => void (io.stdout += t), err: (t: string) => void (io.stderr += t) };
  return io;
}

const PROJECT = {
  "package.json": '{ "type": "module" }\n',
  "util.js": UTIL,
  "loss.mjs": LOSS,
  "cube.js": CUBE,
  "scale.ts": SCALE,
  // Compiled output of a TypeScript module beside it: not an input (its parameters have no JSDoc).
  "compiled.ts": "export const x = 1;\n",
  "compiled.js": 'import { grad } from "gradc";\nexport function f(w) { return w * w; }\nexport const g = grad(f);\n',
  "node_modules/gradc/package.json": '{ "name": "gradc", "type": "module", "exports": "./index.js" }\n',
  "node_modules/gradc/index.js": GRADC_STUB,
};

describe("gradc build on JavaScript modules", () => {
  let dir = "";
  let io = capture();
  let code = -1;
  beforeAll(async () => {
    dir = writeProject(PROJECT);
    code = await main(["build", dir, "--runtime", runtime], io);
  });

  it("writes .grad.mjs / .grad.js, their maps and declarations, and nothing for other modules", () => {
    expect(code, io.stderr).toBe(0);
    expect(io.stdout).toContain("loss.grad.mjs (lossGrad, lossBoth) from");
    expect(io.stdout).toContain("cube.grad.js (cubeGrad) from");
    for (const file of ["loss.grad.mjs", "loss.grad.mjs.map", "loss.grad.d.mts", "cube.grad.js", "cube.grad.js.map", "cube.grad.d.ts"]) {
      expect(existsSync(path.join(dir, file)), file).toBe(true);
    }
    for (const file of ["util.grad.js", "compiled.grad.js", "scale.grad.ts", "loss.grad.ts", "loss.grad.d.ts"]) expect(existsSync(path.join(dir, file)), file).toBe(false);
    const out = readFileSync(path.join(dir, "loss.grad.mjs"), "utf8");
    expect(out.startsWith("// Generated by gradc from loss.mjs.")).toBe(true);
    expect(out).not.toMatch(/: (number|Float64Array)\b/);
    expect(out.trimEnd().endsWith("//# sourceMappingURL=loss.grad.mjs.map")).toBe(true);
  });

  it("computes the gradients (against central differences)", async () => {
    const gen = await import(path.join(dir, "loss.grad.mjs"));
    const { loss } = await import(path.join(dir, "loss.mjs"));
    const p = { W: new Float64Array([0.3, -0.7, 1.1]), b: 0.2 };
    const x = new Float64Array([0.5, 1.5, -0.25]);
    const y = 0.8;
    expect(maxRelError(gen.lossGrad(p, x, y), numericGradient(loss, [p, x, y], 0))).toBeLessThan(1e-5);
    const [value, [gp, gy]] = gen.lossBoth(p, x, y);
    expect(value).toBeCloseTo(loss(p, x, y), 12);
    expect(maxRelError([gp, gy], [numericGradient(loss, [p, x, y], 0), numericGradient(loss, [p, x, y], 2)])).toBeLessThan(1e-5);
    const cubeGen = await import(path.join(dir, "cube.grad.js"));
    const { cube } = await import(path.join(dir, "cube.js"));
    const q = { a: new Float64Array([0.4, -1.2]), c: { k: 0.7 } };
    expect(maxRelError(cubeGen.cubeGrad(q, 1.3), [numericGradient(cube, [q, 1.3], 0), numericGradient(cube, [q, 1.3], 1)])).toBeLessThan(1e-5);
  });

  it("declares the entries with their types and no implementation", () => {
    const dts = readFileSync(path.join(dir, "loss.grad.d.mts"), "utf8");
    expect(dts.startsWith("// Generated by gradc from loss.mjs.")).toBe(true);
    expect(dts).toContain("export declare function lossGrad(");
    expect(dts).toContain("export declare function lossBoth(");
    expect(dts.replace(/\s+/g, " ")).toContain("lossGrad( p: { W: Float64Array; b: number; }, x: Float64Array, y: number, out?: { W: Float64Array; b: number; }, ): { W: Float64Array; b: number; };");
    const statements = dts.split("\n").filter((line) => /^\S/.test(line) && !line.startsWith("//"));
    expect(statements.every((line) => line.startsWith("export declare function ") || /^[)\]}]/.test(line)), statements.join("\n")).toBe(true);
    for (const body of ["return", "const ", "if (", "import ", "EntrySpec", "Tape"]) expect(dts).not.toContain(body);
    expect(readFileSync(path.join(dir, "cube.grad.d.ts"), "utf8")).toContain("export declare function cubeGrad(");
  });

  it("the declarations type a TypeScript user's calls: right ones pass, wrong ones are errors", () => {
    writeFileSync(path.join(dir, "use.ts"), USE);
    // A wrong call is an error; an expected error on a right call is one too (so use.ts's directives are checked).
    writeFileSync(path.join(dir, "misuse.ts"), 'import { lossGrad } from "./loss.grad.mjs";\nlossGrad(1, 2, 3);\n// @ts-expect-error\nlossGrad({ W: new Float64Array(1), b: 0 }, new Float64Array(1), 0);\n');
    const project = new Project({
      compilerOptions: { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, lib: ["lib.es2022.d.ts"], types: [] },
      skipAddingFilesFromTsConfig: true,
    });
    const use = project.addSourceFileAtPath(path.join(dir, "use.ts"));
    const misuse = project.addSourceFileAtPath(path.join(dir, "misuse.ts"));
    project.resolveSourceFileDependencies();
    const text = (d: ts.Diagnostic) => ts.flattenDiagnosticMessageText(d.messageText, "\n");
    const problems = project.getProgram().compilerObject.getSemanticDiagnostics(use.compilerNode).map(text);
    expect(problems).toEqual([]);
    expect(project.getSourceFile(path.join(dir, "loss.grad.d.mts"))).toBeDefined();
    const misused = project.getProgram().compilerObject.getSemanticDiagnostics(misuse.compilerNode).map(text);
    expect(misused).toEqual([
      expect.stringMatching(/^Argument of type 'number' is not assignable to parameter of type '\{ W: Float64Array(<ArrayBufferLike>)?; b: number; \}'/),
      "Unused '@ts-expect-error' directive.",
    ]);
  });

  it("--check: stale after editing the JS source or a JS module it imports, for the module and its declarations", async () => {
    const fresh = capture();
    expect(await main(["build", dir, "--check", "--runtime", runtime], fresh)).toBe(0);
    expect(fresh.stderr).toBe("");
    writeFileSync(path.join(dir, "util.js"), UTIL.replace("Math.exp(z)", "Math.exp(z * 1)"));
    const stale = capture();
    expect(await main(["build", dir, "--check", "--runtime", runtime], stale)).toBe(1);
    expect(stale.stderr).toMatch(/stale: .*loss\.grad\.mjs \(its source or an imported module changed/);
    expect(stale.stderr).toMatch(/stale: .*loss\.grad\.d\.mts \(its source or an imported module changed/);
    expect(stale.stderr).not.toContain("cube.grad");
    expect(await main(["build", dir, "--runtime", runtime], capture())).toBe(0);
    writeFileSync(path.join(dir, "loss.mjs"), LOSS.replace("z += p.W[i] * x[i]", "z += 2 * p.W[i] * x[i]"));
    const edited = capture();
    expect(await main(["build", dir, "--check", "--runtime", runtime], edited)).toBe(1);
    expect(edited.stderr).toMatch(/stale: .*loss\.grad\.mjs/);
    rmSync(path.join(dir, "cube.grad.d.ts"));
    const missing = capture();
    expect(await main(["build", dir, "--check", "--runtime", runtime], missing)).toBe(1);
    expect(missing.stderr).toMatch(/stale: .*cube\.grad\.d\.ts \(missing\)/);
    expect(await main(["build", dir, "--runtime", runtime], capture())).toBe(0);
    expect(await main(["build", dir, "--check", "--runtime", runtime], capture())).toBe(0);
  });

  it("a failed rebuild removes the module, its map and its declarations", async () => {
    writeFileSync(path.join(dir, "loss.mjs"), LOSS.replace(" * @param {Float64Array} x\n", ""));
    const failed = capture();
    expect(await main(["build", dir, "--runtime", runtime], failed)).toBe(1);
    expect(failed.stderr).toMatch(/removed .*loss\.grad\.mjs: its source changed and could not be rebuilt/);
    for (const file of ["loss.grad.mjs", "loss.grad.mjs.map", "loss.grad.d.mts"]) expect(existsSync(path.join(dir, file)), file).toBe(false);
    expect(existsSync(path.join(dir, "cube.grad.d.ts"))).toBe(true);
    writeFileSync(path.join(dir, "loss.mjs"), LOSS);
  });
});

describe("JavaScript refusals and discovery", () => {
  it("refuses a parameter without a JSDoc type at its file:line:col, saying what to add", async () => {
    const text = 'import { grad } from "gradc";\n\n/** @param {number} t */\nexport function f(t, w) {\n  return t * w[0];\n}\nexport const g = grad(f, { wrt: "t" });\n';
    const dir = writeProject({ "bad.js": text });
    const io = capture();
    expect(await main(["build", dir, "--runtime", runtime], io)).toBe(1);
    expect(io.stderr).toMatch(/bad\.js:4:22: Parameter 'w' has no type: in a JavaScript module gradc reads parameter types from JSDoc\./);
    expect(io.stderr).toContain("Add a JSDoc comment above the function, e.g. /** @param {Float64Array} w */.");
    expect(io.stderr).toContain("> 4 | export function f(t, w) {");
    expect(existsSync(path.join(dir, "bad.grad.js"))).toBe(false);
  });

  it("refuses a JSDoc type gradc cannot differentiate, naming it", async () => {
    const text = 'import { grad } from "gradc";\n\n/** @param {string} s */\nexport function f(s) {\n  return 0;\n}\nexport const g = grad(f);\n';
    const io = capture();
    expect(await main(["build", writeProject({ "str.mjs": text })], io)).toBe(1);
    expect(io.stderr).toMatch(/str\.mjs:4:19: Parameter 's' has type 'string'/);
  });

  it("reads .js and .mjs sources, never generated modules or declarations", () => {
    for (const name of ["loss.js", "loss.mjs", "loss.ts", "loss.mts", "loss.cts"]) expect(isSourceModule(name), name).toBe(true);
    for (const name of ["loss.grad.js", "loss.grad.mjs", "loss.grad.ts", "loss.grad.d.ts", "loss.grad.d.mts", "types.d.ts", "loss.cjs", "loss.js.map"]) {
      expect(isSourceModule(name), name).toBe(false);
    }
    expect(outputPath("/p/src/loss.js", "/p/src", undefined)).toBe("/p/src/loss.grad.js");
    expect(outputPath("/p/src/nn/loss.mjs", "/p/src", "/p/gen")).toBe("/p/gen/nn/loss.grad.mjs");
  });
});
