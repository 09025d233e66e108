// The TypeScript front-end must produce the tree acorn gives for the type-stripped code,
// with offsets into the .ts text.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as acorn from "acorn";
import type * as ESTree from "acorn";
import { ts } from "ts-morph";
import { afterAll, describe, expect, it } from "vitest";
import { GradcError } from "../compiler/errors.js";
import { parseFunctionSource } from "../compiler/parse/acorn.js";
import { createProject, kindsFromSignature, locateFunction, parseTsModule, resolver } from "../compiler/parse/typescript.js";
import type { SourceFn, SourceText } from "../compiler/parse/source.js";

const created: string[] = [];
const track = (dir: string) => (created.push(dir), dir);
afterAll(() => created.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const EVERYTHING = `
export function loss(w: Float64Array, x: Float64Array, y: number, { a, b: bb = 2 }: { a: number; b?: number } = { a: 1 }): number {
  let s = 0, t: number;
  const [p, , q = 3, ...rest] = [1, 2, 3, 4] as number[];
  const { m, n: nn, ...others } = { m: 1, n: 2, o: 3 } satisfies Record<string, number>;
  for (let i = 0; i < w.length; i++) { s += w[i]! * x[i]; }
  for (const v of x) s -= v;
  for (const k in others) continue;
  let j = 0;
  while (j < 3) { j++; if (j === 2) break; else continue; }
  do { j--; } while (j > 0);
  outer: for (let i = 0; i < 2; i++) { inner: for (;;) { if (i) continue outer; break inner; } }
  function inner2(z: number): number { return z * z; }
  t = (<number>s) ** 2;
  t **= 2; t ||= 1; t ??= 2; t >>>= 1;
  [s, t] = [t, s];
  ({ m: s, n: t = 4 } = { m: 1, n: undefined as any });
  const o = { s, t, ["k" + 1]: 2, 3: 4, "q": 5, f(x: number) { return x; }, get g() { return 1; }, ...others };
  const arr = [1, , ...x];
  const str = \`a\${s}b\${t}c\` + \`plain\`;
  const u = -s + +t - ~j + (!s ? 1 : 0) + typeof s + void 0;
  const call = Math.max(...x, 1), nw = new Float64Array(3);
  const chain = o?.s ?? w?.[0] ?? inner2?.(1) ?? o?.f(1).toFixed();
  const seq = (s++, --t, s);
  const arrow = (a: number, b = 2): number => a * b;
  const fe = function named(this: unknown, c: number) { return c; };
  const lit = [true, false, null, 1e3, 0x1f, 1_000, "s", 'q', /re+/gi, 10n, undefined];
  switch (j) { case 1: s = 1; break; default: s = 2; }
  try { throw new Error("x"); } catch (e) { s = 0; } finally { t = 0; }
  type Local = number;
  interface I { a: number }
  if (s > t && t < 0 || s !== t) return s as number;
  return inner2(s) + arrow(1) + call + nw[0]! + j + (lit.length as number) + (m satisfies number);
}
export const half = (x: number): number => x / 2;
const viaExpression = function (x: number) { "use strict"; return x; };
export default function (x: number) { return x; }
async function later(x: number) { return await x; }
function* gen() { yield 1; yield* [2]; }
`;

function tempDir(): string {
  return track(mkdtempSync(path.join(tmpdir(), "gradc-parse-")));
}

function writeFiles(files: Record<string, string>): string {
  const dir = tempDir();
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

/** Structure only: no positions, no acorn-only extras. */
function shape(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(shape);
  if (node === null || typeof node !== "object" || node instanceof RegExp) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "start" || key === "end" || key === "raw" || key === "loc" || key === "range") continue;
    out[key] = key === "value" && value && typeof value === "object" && !(value instanceof RegExp) ? { cooked: (value as { cooked: unknown }).cooked } : shape(value);
  }
  return out;
}

/** Top-level functions of an acorn program by name (declarations and `const f = function/arrow`). */
function acornFunctions(code: string): Map<string, ESTree.Node> {
  const program = acorn.parse(code, { ecmaVersion: "latest", sourceType: "module" });
  const found = new Map<string, ESTree.Node>();
  for (let stmt of program.body as ESTree.Node[]) {
    if (stmt.type === "ExportNamedDeclaration") stmt = (stmt as ESTree.ExportNamedDeclaration).declaration ?? stmt;
    if (stmt.type === "FunctionDeclaration") found.set((stmt as ESTree.FunctionDeclaration).id.name, stmt);
    if (stmt.type === "VariableDeclaration") {
      for (const d of (stmt as ESTree.VariableDeclaration).declarations) found.set((d.id as ESTree.Identifier).name, d.init!);
    }
  }
  return found;
}

function stripTypes(code: string): string {
  return ts.transpileModule(code, { compilerOptions: { target: ts.ScriptTarget.ESNext, module: ts.ModuleKind.ESNext } }).outputText;
}

/** Visits every node with its parent. */
function walk(node: unknown, visit: (n: ESTree.Node, parent: ESTree.Node | undefined) => void, parent?: ESTree.Node): void {
  if (Array.isArray(node)) return node.forEach((n) => walk(n, visit, parent));
  if (node === null || typeof node !== "object" || !("type" in node)) return;
  const n = node as ESTree.Node;
  visit(n, parent);
  for (const [key, value] of Object.entries(n)) if (key !== "value" || n.type !== "TemplateElement") walk(value, visit, n);
}

const KEYWORDS: Record<string, string> = {
  IfStatement: "if", ForStatement: "for", ForOfStatement: "for", ForInStatement: "for", WhileStatement: "while",
  DoWhileStatement: "do", ReturnStatement: "return", BreakStatement: "break", ContinueStatement: "continue",
  SwitchStatement: "switch", TryStatement: "try", ThrowStatement: "throw", NewExpression: "new", FunctionDeclaration: "function",
};

describe("TypeScript front-end", () => {
  const dir = writeFiles({ "everything.ts": EVERYTHING });
  const project = createProject();
  const mod = parseTsModule(project, path.join(dir, "everything.ts"));

  it("finds the top-level functions", () => {
    expect([...mod.functions.keys()].sort()).toEqual(["gen", "half", "later", "loss", "viaExpression"]);
  });

  it("gives the tree acorn gives for the type-stripped code", () => {
    const expected = acornFunctions(stripTypes(EVERYTHING));
    for (const [name, node] of mod.functions) {
      expect(expected.get(name), name).toBeDefined();
      expect(shape(node), name).toEqual(shape(expected.get(name)));
    }
  });

  it("points every position at the right text of the .ts file", () => {
    const text = EVERYTHING;
    let checked = 0;
    for (const fn of mod.functions.values()) {
      walk(fn, (n, parent) => {
        const slice = text.slice(n.start, n.end);
        if (parent) expect(n.start >= parent.start && n.end <= parent.end, `${n.type} inside ${parent.type}`).toBe(true);
        if (n.type === "Identifier") expect(slice).toBe((n as ESTree.Identifier).name);
        if (n.type === "Literal") expect(slice).toBe((n as ESTree.Literal).raw);
        if (n.type === "TemplateElement") expect(slice).toBe((n as ESTree.TemplateElement).value.raw);
        if (KEYWORDS[n.type]) expect(slice.replace(/^async /, "").startsWith(KEYWORDS[n.type]), `${n.type}: ${slice}`).toBe(true);
        checked++;
      });
    }
    expect(checked).toBeGreaterThan(400);
    const loss = mod.functions.get("loss")!;
    expect(text.slice(loss.start, loss.start + 13)).toBe("function loss");
    expect(text.slice(mod.source.text.length - 1)).toBe("\n");
    expect(mod.source.text).toBe(EVERYTHING);
  });

  it("drops TypeScript wrappers and type-only statements", () => {
    const dir2 = writeFiles({ "w.ts": "export function f(x: number) { type T = number; return (x as T)! satisfies number; }" });
    const f = parseTsModule(project, path.join(dir2, "w.ts")).functions.get("f")!;
    const body = (f.body as ESTree.BlockStatement).body;
    expect(body).toHaveLength(1);
    expect((body[0] as ESTree.ReturnStatement).argument).toMatchObject({ type: "Identifier", name: "x" });
  });

  it("names what it does not map by TypeScript syntax kind", () => {
    const dir2 = writeFiles({ "c.ts": "export function f(x: number) { class K {} enum E { A } return x; }" });
    const src = "export function f(x: number) { class K {} enum E { A } return x; }";
    const f = parseTsModule(project, path.join(dir2, "c.ts")).functions.get("f")!;
    const [cls, en] = (f.body as ESTree.BlockStatement).body;
    expect(cls.type).toBe("TSClassDeclaration");
    expect(src.slice(cls.start, cls.end)).toBe("class K {}");
    expect(en.type).toBe("TSEnumDeclaration");
    expect(src.slice(en.start, en.end)).toBe("enum E { A }");
  });
});

describe("imports and the resolver", () => {
  const dir = writeFiles({
    "util.ts": "export function sq(x: number): number { return x * x; }\nfunction helper(x: number) { return x + 1; }\nexport { helper as inc };\n",
    "again.ts": 'export { sq as square } from "./util.js";\n',
    "main.ts": [
      'import { sq as s2, inc } from "./util.js";',
      'import { square } from "./again.js";',
      'import type { Shape } from "./util.js";',
      "export const f = (x: number) => s2(x) + inc(x) + square(x) + local(x);",
      "function local(x: number) { return -x; }",
    ].join("\n"),
  });
  const project = createProject();
  const main = parseTsModule(project, path.join(dir, "main.ts"));

  it("records named imports from relative files with absolute paths", () => {
    expect(main.imports.get("s2")).toEqual({ from: path.join(dir, "util.ts"), name: "sq" });
    expect(main.imports.get("square")).toEqual({ from: path.join(dir, "again.ts"), name: "square" });
    expect(main.imports.has("Shape")).toBe(false);
  });

  it("resolves local, imported, aliased and re-exported functions", () => {
    const found = resolver(project);
    const resolve = (name: string, from: SourceText) => found(name, from) as SourceFn | undefined;
    expect(resolve("local", main.source)?.name).toBe("local");
    const s2 = resolve("s2", main.source)!;
    expect(s2.name).toBe("sq");
    expect(s2.source.file.endsWith("util.ts")).toBe(true);
    expect(s2.source.text.slice(s2.node.start, s2.node.start + 11)).toBe("function sq");
    expect(resolve("inc", main.source)?.name).toBe("helper");
    expect(resolve("square", main.source)?.name).toBe("sq");
    expect(resolve("nothing", main.source)).toBeUndefined();
    expect(locateFunction(project, main, "square")?.module.path).toBe(path.join(dir, "util.ts"));
  });
});

describe("kindsFromSignature", () => {
  const dir = writeFiles({
    "types.ts": "export interface Params { W: Float64Array; b: number }\n",
    "k.ts": [
      'import type { Params } from "./types.js";',
      "type Alias = { scale: number; v: Float32Array };",
      "interface Local { first: number; second: Float64Array }",
      "export function ok(x: number, v: Float64Array, u: Float32Array, p: Params, a: Alias, l: Local, inline: { z: number }, d = 1) { return x; }",
      "export function bad1(s: string) { return 0; }",
      "export function bad2(xs: string[]) { return 0; }",
      "export function bad3(x) { return 0; }",
      "export function bad4(p: { a?: number }) { return 0; }",
      "export function bad5(p: { inner: { a: string } }) { return 0; }",
    ].join("\n"),
  });
  const project = createProject();
  const mod = parseTsModule(project, path.join(dir, "k.ts"));

  it("reads numbers, typed arrays and objects of those", () => {
    expect(kindsFromSignature(mod.declarations.get("ok")!)).toEqual([
      { k: "num" },
      { k: "arr", elem: "f64" },
      { k: "arr", elem: "f32" },
      { k: "obj", fields: [{ name: "W", kind: { k: "arr", elem: "f64" } }, { name: "b", kind: { k: "num" } }] },
      { k: "obj", fields: [{ name: "scale", kind: { k: "num" } }, { name: "v", kind: { k: "arr", elem: "f32" } }] },
      { k: "obj", fields: [{ name: "first", kind: { k: "num" } }, { name: "second", kind: { k: "arr", elem: "f64" } }] },
      { k: "obj", fields: [{ name: "z", kind: { k: "num" } }] },
      { k: "num" },
    ]);
  });

  it.each([
    ["bad1", "'s' has type 'string'", 5],
    ["bad2", "its elements have type 'string'", 6],
    ["bad3", "add a type annotation", 7],
    ["bad4", "field 'a'", 8],
    ["bad5", "field 'inner'", 9],
  ])("refuses %s naming the parameter and type", (name, words, line) => {
    let error: unknown;
    try {
      kindsFromSignature(mod.declarations.get(name)!, mod.source);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GradcError);
    const err = error as GradcError;
    expect(err.message).toContain(words);
    expect(err.position?.line).toBe(line);
    expect(err.message).toContain(`k.ts:${line}:`);
  });
});

describe("parseFunctionSource (runtime path)", () => {
  function sq(x: number) {
    return x * x;
  }
  const obj = {
    method(x: number) {
      return x + 1;
    },
    async later(x: number) {
      return x;
    },
    get value() {
      return 1;
    },
  };

  it("parses declarations, expressions and arrows", () => {
    const decl = parseFunctionSource(sq);
    expect(decl.name).toBe("sq");
    expect(decl.source).toMatchObject({ file: "<function sq>", runtime: true });
    expect(decl.node.type).toBe("FunctionExpression");
    const arrow = parseFunctionSource((a: number, b: number) => a * b);
    expect(arrow.node.type).toBe("ArrowFunctionExpression");
    expect(arrow.node.params).toHaveLength(2);
    const anon = parseFunctionSource(function (this: unknown) {
      return 1;
    });
    expect(anon.node.type).toBe("FunctionExpression");
  });

  it("rewrites method shorthand as a function", () => {
    const m = parseFunctionSource(obj.method);
    expect(m.source.text.startsWith("function method(")).toBe(true);
    expect(m.node.type).toBe("FunctionExpression");
    const ret = (m.node.body as ESTree.BlockStatement).body[0];
    expect(m.source.text.slice(ret.start, ret.end)).toMatch(/^return x \+ 1/);
  });

  it("refuses async, generators, accessors, classes and native functions", () => {
    const getter = Object.getOwnPropertyDescriptor(obj, "value")!.get!;
    const cases: [Function, string][] = [
      [async (x: number) => x, "Async"],
      [obj.later, "Async"],
      [function* g() {}, "Generator"],
      [getter, "getter"],
      [class K {}, "class"],
      [Math.max, "built-in"],
      [sq.bind(null), "built-in"],
    ];
    for (const [fn, words] of cases) {
      expect(() => parseFunctionSource(fn)).toThrow(GradcError);
      expect(() => parseFunctionSource(fn)).toThrow(words);
    }
  });
});
