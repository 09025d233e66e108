// Build-path request discovery and the gradc CLI (with a stand-in code generator).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { outputPath, type BuildResult, type Emitter } from "../compiler/build.js";
import { GradModule } from "../compiler/emit/module.js";
import { watchBuild } from "../compiler/build-watch.js";
import { findRequestSites } from "../compiler/build-sites.js";
import { main, parseWrt, USAGE } from "../compiler/cli.js";
import { GradcError } from "../compiler/errors.js";
import { createProject } from "../compiler/parse/typescript.js";

const created: string[] = [];
const track = (dir: string) => (created.push(dir), dir);
afterAll(() => created.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const MODEL = `import { grad, valueAndGrad as vg } from "gradc";
import * as gc from "gradc";
import { sq } from "./util.js";

export interface P { W: Float64Array; b: number }

function softplus(z: number) { return Math.log1p(Math.exp(z)); }

export function loss(p: P, x: Float64Array, y: number): number {
  let z = p.b;
  for (let i = 0; i < x.length; i++) z += p.W[i] * x[i];
  return softplus(z) - y * z;
}

export const lossGrad = grad(loss, { wrt: "p", functions: { softplus } });
export const both = vg(loss, { wrt: ["p", 2] });
export const first = gc.grad(sq);
export const inline = grad((x: number, y: Float32Array) => x * y[0], { wrt: 1 });
const notExported = grad(loss);
export const other = Math.max(1, 2);
`;

const UTIL = "export function sq(x: number): number { return x * x; }\n";

function writeFiles(files: Record<string, string>): string {
  const dir = track(mkdtempSync(path.join(tmpdir(), "gradc-cli-")));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

function capture() {
  const io = { stdout: "", stderr: "", out: (t: string) => void (io.stdout += t), err: (t: string) => void (io.stderr += t) };
  return io;
}

/** Stand-in for the emitter: records the request in the generated text. */
const fakeEmit: Emitter = (module, req, exportName) => {
  module.claimTapes(1);
  const record = JSON.stringify({ fn: req.fn.name, wrt: req.wrt, list: req.wrtIsList, mode: req.mode, kinds: req.kinds });
  module.addPart({ header: `// ${exportName}`, state: [`export const ${exportName} = ${record};`, "void Tape;"], functions: [] });
};

describe("request site discovery", () => {
  const dir = writeFiles({ "model.ts": MODEL, "util.ts": UTIL });
  const project = createProject();
  const sites = findRequestSites(project, path.join(dir, "model.ts"));
  const byName = new Map(sites.map((s) => [s.exportName, s]));

  it("finds exported grad/valueAndGrad calls, aliased and namespaced", () => {
    expect(sites.map((s) => s.exportName)).toEqual(["lossGrad", "both", "first", "inline"]);
    expect(sites.map((s) => s.line)).toEqual([15, 16, 17, 18]);
  });

  it("reads wrt, mode and kinds", () => {
    const obj = { k: "obj", fields: [{ name: "W", kind: { k: "arr", elem: "f64" } }, { name: "b", kind: { k: "num" } }] };
    const lossKinds = [obj, { k: "arr", elem: "f64" }, { k: "num" }];
    expect(byName.get("lossGrad")!.request).toMatchObject({ mode: "grad", wrt: [0], wrtIsList: false, kinds: lossKinds });
    expect(byName.get("lossGrad")!.request.fn.name).toBe("loss");
    expect(byName.get("both")!.request).toMatchObject({ mode: "valueAndGrad", wrt: [0, 2], wrtIsList: true, kinds: lossKinds });
    expect(byName.get("first")!.request).toMatchObject({ mode: "grad", wrt: [0], wrtIsList: false, kinds: [{ k: "num" }] });
    expect(byName.get("first")!.request.fn.source.file.endsWith("util.ts")).toBe(true);
    expect(byName.get("inline")!.request).toMatchObject({ wrt: [1], kinds: [{ k: "num" }, { k: "arr", elem: "f32" }] });
    expect(byName.get("inline")!.request.fn.node.type).toBe("ArrowFunctionExpression");
  });

  it("resolves callees, including the functions option", () => {
    const req = byName.get("lossGrad")!.request;
    expect(req.resolve("softplus", req.fn.source)).toMatchObject({ name: "softplus" });
  });

  it("ignores modules whose grad does not come from gradc", () => {
    const other = writeFiles({ "m.ts": 'import { grad } from "./mine.js";\nexport function f(x: number) { return x; }\nexport const g = grad(f);\n' });
    expect(findRequestSites(createProject(), path.join(other, "m.ts"))).toEqual([]);
  });

  it.each([
    ["grad(missing)", "'missing' is not a function"],
    ['grad(f, { wrt: "zz" })', 'wrt "zz" is not a parameter of f (its parameters: x, y; give a name or an index from 0)'],
    ["grad(f, { wrt: which })", "wrt must be written as a literal"],
    ["grad(f, { wrt: 5 })", "wrt 5 is not a parameter"],
    ["grad(f, { out: [] })", "Option 'out' is not supported"],
    ['grad(f, { wrt: ["x", 0] })', "wrt lists 'x' twice (\"x\" and 0)"],
  ])("refuses %s with a located message", (call, words) => {
    const text = `import { grad } from "gradc";\nconst which = "x";\nexport function f(x: number, y: number) { return x * y; }\nexport const g = ${call};\n`;
    const d = writeFiles({ "bad.ts": text });
    let error: unknown;
    try {
      findRequestSites(createProject(), path.join(d, "bad.ts"));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GradcError);
    expect((error as GradcError).message).toContain(words);
    expect((error as GradcError).position?.line).toBe(4);
  });
});

describe("gradc CLI", () => {
  it("prints usage for --help and exits 2 on bad usage", async () => {
    const io = capture();
    expect(await main(["--help"], io)).toBe(0);
    expect(io.stdout).toBe(USAGE);
    for (const argv of [["frobnicate"], ["build", "--bogus", "x"], ["show", "only-a-file.ts"], ["build"], ["show", "a.ts", "f", "--mode", "sideways"]]) {
      const bad = capture();
      expect(await main(argv, bad), argv.join(" ")).toBe(2);
      expect(bad.stderr).toContain("Usage:");
    }
  });

  it("parses --wrt", () => {
    expect(parseWrt(undefined)).toBeUndefined();
    expect(parseWrt("w")).toBe("w");
    expect(parseWrt("1")).toBe(1);
    expect(parseWrt("a,b")).toEqual(["a", "b"]);
    expect(parseWrt("a,")).toEqual(["a"]);
  });

  it("builds a module: header, one runtime import, every site, formatted", async () => {
    const dir = writeFiles({ "model.ts": MODEL, "util.ts": UTIL, "plain.ts": "export const x = 1;\n" });
    const io = capture();
    expect(await main(["build", dir], io, fakeEmit)).toBe(0);
    const out = readFileSync(path.join(dir, "model.grad.ts"), "utf8");
    expect(out.split("\n")[0]).toMatch(/^\/\/ Generated by gradc from model\.ts\. Do not edit/);
    expect(out.match(/import \{ Tape \} from "gradc\/runtime";/g)).toHaveLength(1);
    for (const name of ["lossGrad", "both", "first", "inline"]) expect(out).toContain(`export const ${name} = {`);
    expect(out).toContain('mode: "valueAndGrad"');
    expect(existsSync(path.join(dir, "plain.grad.ts"))).toBe(false);
    expect(existsSync(path.join(dir, "util.grad.ts"))).toBe(false);
    expect(io.stdout).toContain("model.grad.ts (lossGrad, both, first, inline)");
  });

  it("writes under --out-dir with a relative header path", async () => {
    const dir = writeFiles({ "model.ts": MODEL, "util.ts": UTIL });
    const outDir = path.join(dir, "gen");
    expect(await main(["build", path.join(dir, "model.ts"), "--out-dir", outDir, "--runtime", "../rt.js"], capture(), fakeEmit)).toBe(0);
    const out = readFileSync(path.join(outDir, "model.grad.ts"), "utf8");
    expect(out).toContain("from ../model.ts.");
    expect(out).toContain('import { Tape } from "../rt.js";');
  });

  it("reports errors in user code with file:line:col and exits 1", async () => {
    const dir = writeFiles({ "bad.ts": 'import { grad } from "gradc";\nexport function f(s: string) { return 0; }\nexport const g = grad(f);\n' });
    const io = capture();
    expect(await main(["build", dir], io, fakeEmit)).toBe(1);
    expect(io.stderr).toMatch(/bad\.ts:2:19: Parameter 's' has type 'string'/);
    expect(io.stderr).toContain("> 2 |");
  });

  it("shows the module for one function", async () => {
    const dir = writeFiles({ "model.ts": MODEL, "util.ts": UTIL });
    const io = capture();
    expect(await main(["show", path.join(dir, "model.ts"), "loss", "--wrt", "p,y", "--mode", "valueAndGrad"], io, fakeEmit)).toBe(0);
    expect(io.stdout).toContain("export const lossValueAndGrad = {");
    expect(io.stdout).toContain("wrt: [0, 2]");
    const missing = capture();
    expect(await main(["show", path.join(dir, "model.ts"), "nope"], missing, fakeEmit)).toBe(1);
    expect(missing.stderr).toContain("No function 'nope'");
  });
});

describe("gradc build --check, --watch, --version", () => {
  it("prints the package's version", async () => {
    const io = capture();
    expect(await main(["--version"], io)).toBe(0);
    expect(io.stdout).toBe(`${JSON.parse(readFileSync("package.json", "utf8")).version}\n`);
  });

  it("--check: up to date after a build, stale when the source or a module it imports changes, missing", async () => {
    const dir = writeFiles({ "model.ts": MODEL, "util.ts": UTIL });
    expect(await main(["build", dir], capture(), fakeEmit)).toBe(0);
    expect(readFileSync(path.join(dir, "model.grad.ts"), "utf8").split("\n")[1]).toMatch(/^\/\/ gradc \S+, inputs hash [0-9a-f]{16}: `gradc build --check`/);
    const fresh = capture();
    expect(await main(["build", dir, "--check"], fresh, fakeEmit)).toBe(0);
    expect(fresh.stderr).toBe("");
    writeFileSync(path.join(dir, "util.ts"), UTIL.replace("x * x", "x * x * 1"));
    const stale = capture();
    expect(await main(["build", dir, "--check"], stale, fakeEmit)).toBe(1);
    expect(stale.stderr).toMatch(/stale: .*model\.grad\.ts \(its source or an imported module changed since it was generated\)/);
    expect(await main(["build", dir], capture(), fakeEmit)).toBe(0);
    expect(await main(["build", dir, "--check"], capture(), fakeEmit)).toBe(0);
    rmSync(path.join(dir, "model.grad.ts"));
    const missing = capture();
    expect(await main(["build", dir, "--check"], missing, fakeEmit)).toBe(1);
    expect(missing.stderr).toMatch(/stale: .*model\.grad\.ts \(missing\)/);
    expect(existsSync(path.join(dir, "model.grad.ts"))).toBe(false);
  });

  it("a failed rebuild removes the generated module instead of leaving it looking current", async () => {
    const dir = writeFiles({ "model.ts": MODEL, "util.ts": UTIL });
    expect(await main(["build", dir], capture(), fakeEmit)).toBe(0);
    writeFileSync(path.join(dir, "model.ts"), MODEL.replace("export const other", "export const broken = grad((s: string) => 0);\nexport const other"));
    const io = capture();
    expect(await main(["build", dir], io, fakeEmit)).toBe(1);
    expect(io.stderr).toMatch(/removed .*model\.grad\.ts: its source changed and could not be rebuilt/);
    expect(existsSync(path.join(dir, "model.grad.ts"))).toBe(false);
  });

  it("--watch rebuilds when the source changes", async () => {
    const dir = writeFiles({ "model.ts": MODEL, "util.ts": UTIL });
    const results: BuildResult[] = [];
    const stop = watchBuild([dir], { emit: fakeEmit }, (r) => results.push(r), 20);
    const until = async (n: number) => { for (let t = 0; results.length < n && t < 200; t++) await new Promise((r) => setTimeout(r, 50)); };
    try {
      await until(1);
      expect(results[0].built.map((m) => m.exports)).toEqual([["lossGrad", "both", "first", "inline"]]);
      writeFileSync(path.join(dir, "model.ts"), MODEL.replace("export const other", "export const extra = grad(loss, { wrt: 1 });\nexport const other"));
      await until(2);
      expect(results[1].built[0].exports).toContain("extra");
      expect(readFileSync(path.join(dir, "model.grad.ts"), "utf8")).toContain("export const extra = {");
    } finally {
      stop();
    }
  }, 30_000);
});

describe("build helpers", () => {
  it("prints several derivatives as one module: one import per runtime name, no name twice", () => {
    const dir = writeFiles({ "m.ts": 'import { grad, valueAndGrad } from "gradc";\nexport function f(x: Float64Array) { let s = 0; for (let i = 0; i < x.length; i++) s += x[i] * x[i] * x[i]; return s; }\nexport const a = grad(f);\nexport const b = valueAndGrad(f);\n' });
    const module = new GradModule("ts", ["a", "b"]);
    for (const site of findRequestSites(createProject(), path.join(dir, "m.ts"))) module.add(site.request, site.exportName);
    const text = module.print();
    expect(text.match(/^import /gm)).toHaveLength(1);
    const declared = [...text.matchAll(/^(?:export )?(?:function|const|let) ([\w$]+)/gm)].map((m) => m[1]);
    expect(new Set(declared).size).toBe(declared.length);
    expect(declared).toEqual(expect.arrayContaining(["a", "b", "f_grad", "f_grad_1"]));
  });

  it("places outputs beside sources or under the out dir", () => {
    expect(outputPath("/p/src/loss.ts", "/p/src", undefined)).toBe("/p/src/loss.grad.ts");
    expect(outputPath("/p/src/nn/loss.mts", "/p/src", "/p/gen")).toBe("/p/gen/nn/loss.grad.mts");
  });
});

describe("gradc build, end to end", () => {
  const SOURCE = `import { grad, valueAndGrad } from "gradc";

export interface P { W: Float64Array; b: number }

function sq(z: number) { return z * z; }

export function loss(p: P, x: Float64Array, y: number): number {
  let z = p.b;
  for (let i = 0; i < x.length; i++) z += p.W[i] * x[i];
  return sq(z - y);
}

export const lossGrad = grad(loss, { wrt: "p" });
export const lossBoth = valueAndGrad(loss, { wrt: ["p", "y"] });
export const cube = grad((t: number) => t * t * t);
`;
  const runtime = path.resolve("runtime/index.ts");

  it("writes a module whose functions compute the gradients", async () => {
    const dir = writeFiles({ "loss.ts": SOURCE });
    const io = capture();
    expect(await main(["build", dir, "--runtime", runtime], io), io.stderr).toBe(0);
    const file = path.join(dir, "loss.grad.ts");
    const text = readFileSync(file, "utf8");
    expect(text.startsWith("// Generated by gradc from loss.ts.")).toBe(true);
    expect((text.match(/^import /gm) ?? []).length).toBeLessThanOrEqual(1);
    // Two sites differentiate `loss`: the second one's helpers are renamed, not redeclared.
    expect(text).toContain("function loss_grad(");
    expect(text).toContain("function loss_grad_1(");
    const gen = await import(file);
    const p = { W: new Float64Array([0.5, -1, 2]), b: 0.25 };
    const x = new Float64Array([1, 2, 3]);
    const y = 1.5;
    const r = 0.5 - 2 + 6 + 0.25 - y; // z - y
    const g = gen.lossGrad(p, x, y);
    expect(g.b).toBeCloseTo(2 * r, 12);
    expect([...g.W]).toEqual([...x].map((xi) => expect.closeTo(2 * r * xi, 12)));
    const [value, [gp, gy]] = gen.lossBoth(p, x, y);
    expect(value).toBeCloseTo(r * r, 12);
    expect(gp.b).toBeCloseTo(2 * r, 12);
    expect(gy).toBeCloseTo(-2 * r, 12);
    expect(gen.cube(2)).toBeCloseTo(12, 12);
  });

  it("shows the generated module with the real generator", async () => {
    const dir = writeFiles({ "loss.ts": SOURCE });
    const io = capture();
    expect(await main(["show", path.join(dir, "loss.ts"), "loss", "--wrt", "p,y"], io), io.stderr).toBe(0);
    expect(io.stdout).toContain("export function lossGrad(");
    const ir = capture();
    expect(await main(["show", path.join(dir, "loss.ts"), "loss", "--ir"], ir), ir.stderr).toBe(0);
    expect(ir.stdout).toMatch(/^func loss\(/);
  });

  it("reports refusals from lowering at their line and column in the .ts file", async () => {
    const text = 'import { grad } from "gradc";\n\nexport function f(x: number): number {\n  const k: number = 2;\n  return (x as number) * Math.random() * k;\n}\nexport const g = grad(f);\n';
    const dir = writeFiles({ "r.ts": text });
    const io = capture();
    expect(await main(["build", dir], io)).toBe(1);
    const col = text.split("\n")[4].indexOf("Math.random") + 1;
    expect(io.stderr).toContain(`r.ts:5:${col}`);
  });
});
