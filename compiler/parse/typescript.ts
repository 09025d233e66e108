// TypeScript front-end: reads .ts modules with ts-morph and hands their functions to
// lowering as acorn-shaped ESTree nodes whose offsets point into the .ts text.
import { fileURLToPath } from "node:url";
import * as path from "node:path";
import type * as ESTree from "acorn";
import { callingWrapper, mathArity, mathParamNames, wrapperParams } from "../derived.js";
import { MODES } from "../modes.js";
import type { Mode } from "../request.js";
import { Node, Project, SyntaxKind, ts, type CallExpression, type ArrowFunction, type FunctionDeclaration, type FunctionExpression, type SourceFile } from "ts-morph";
import { refuse, syntaxError } from "../errors.js";
import { diskHost, HostFileSystem, type ModuleHost } from "./host.js";
import { EstreeConverter } from "./ts-estree.js";
import type { BlackBox, FnNode, ResolveFn, SourceFn, SourceText } from "./source.js";

export { kindsFromSignature } from "./ts-kinds.js";

/** A function in a .ts module as ts-morph sees it (for types). */
export type TsFunctionLike = FunctionDeclaration | ArrowFunction | FunctionExpression;

export interface ImportRef {
  /** Absolute path of the imported module. */
  from: string;
  /** Name the module exports it under. */
  name: string;
}

export interface TsModule {
  /** Absolute path. */
  path: string;
  source: SourceText;
  sourceFile: SourceFile;
  /** Top-level functions by local name: declarations and `const f = (...) => ...`. */
  functions: Map<string, FnNode>;
  /** The same functions as ts-morph nodes (for their parameter types). */
  declarations: Map<string, TsFunctionLike>;
  /** Named imports from relative project files, by local name. */
  imports: Map<string, ImportRef>;
  /** Every value import (named or default) as written: the specifier and the imported name, by local name. */
  imported: Map<string, { spec: string; name: string }>;
  /** Functions declared as `const f = checkpoint(…)`, and those naming another function of the module. */
  checkpointed: Set<string>;
  checkpointAliases: Map<string, string>;
  /** `const g = customJvp(f, rule)` (or customVjp): f and the rule, each a function written inline or a name. */
  customs: Map<string, { kind: "jvp" | "vjp"; f: Node; rule: Node }>;
  /** `const d = grad(f, …)` (any API function from "gradc"): the call, by d. */
  derivatives: Map<string, { mode: Mode; call: CallExpression }>;
  /** Runtime kernels imported from "gradc/runtime", by local name; and namespaces it is imported as. */
  kernels: Map<string, string>;
  kernelNamespaces: Set<string>;
  /** `export { local as name }` and `export { name } from "./x.js"`, by exported name. */
  exports: Map<string, { local: string } | ImportRef>;
}

const fileSystems = new WeakMap<Project, HostFileSystem>();

/**
 * One ts-morph project for a whole CLI run or plugin instance, reading modules through
 * `host`: syntax and local types only, no full type check.
 */
export function createProject(host: ModuleHost = diskHost): Project {
  const fileSystem = new HostFileSystem(host);
  const project = new Project({
    fileSystem,
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      // JavaScript modules, typed by their JSDoc (`@param {Float64Array} w`, `@typedef`).
      allowJs: true,
      // Only the language's own library: no DOM, no @types (much faster type queries).
      lib: ["lib.es2022.d.ts"],
      types: [],
      skipLibCheck: true,
      noEmit: true,
    },
    skipAddingFilesFromTsConfig: true,
    skipFileDependencyResolution: true,
  });
  fileSystems.set(project, fileSystem);
  return project;
}

/** The file system a project reads through (the disk for projects made elsewhere). */
export function fileSystemOf(project: Project): HostFileSystem {
  let fs = fileSystems.get(project);
  if (!fs) fileSystems.set(project, (fs = new HostFileSystem(diskHost)));
  return fs;
}

const modules = new WeakMap<Project, Map<string, TsModule>>();
const moduleOfSource = new WeakMap<SourceText, TsModule>();

/** Parses the module at `filePath` (again only when its text changed). */
export function parseTsModule(project: Project, filePath: string): TsModule {
  const abs = path.resolve(filePath);
  let cache = modules.get(project);
  if (!cache) modules.set(project, (cache = new Map()));
  const text = fileSystemOf(project).text(abs);
  const cached = cache.get(abs);
  if (cached && cached.source.text === text) return cached;
  let sourceFile = project.getSourceFile(abs);
  if (sourceFile && sourceFile.getFullText() !== text) sourceFile.refreshFromFileSystemSync();
  sourceFile ??= project.addSourceFileAtPath(abs);
  const mod = readModule(abs, sourceFile);
  cache.set(abs, mod);
  moduleOfSource.set(mod.source, mod);
  return mod;
}

function readModule(abs: string, sourceFile: SourceFile): TsModule {
  const source: SourceText = { file: displayPath(abs), text: sourceFile.getFullText() };
  checkSyntax(sourceFile, source);
  const converter = new EstreeConverter(sourceFile.compilerNode);
  const mod: TsModule = { path: abs, source, sourceFile, functions: new Map(), declarations: new Map(), imports: new Map(), imported: new Map(), exports: new Map(), kernels: new Map(), kernelNamespaces: new Set(), checkpointed: new Set(), checkpointAliases: new Map(), customs: new Map(), derivatives: new Map() };
  for (const decl of sourceFile.getFunctions()) {
    const name = decl.getName();
    if (name && decl.hasBody()) addFunction(mod, name, decl, converter);
  }
  const markers = gradcImportNames(sourceFile, "checkpoint");
  const customMarkers = { jvp: gradcImportNames(sourceFile, "customJvp"), vjp: gradcImportNames(sourceFile, "customVjp") };
  const apiNames = new Map(Object.keys(MODES).flatMap((mode) => [...gradcImportNames(sourceFile, mode)].map((local) => [local, mode as Mode] as const)));
  for (const decl of sourceFile.getVariableDeclarations()) {
    const init = decl.getInitializer();
    const custom = init && customCall(unwrapMorph(init), customMarkers);
    if (custom) {
      mod.customs.set(decl.getName(), custom);
      continue;
    }
    const derivative = init && apiCall(unwrapMorph(init), apiNames);
    if (derivative) {
      mod.derivatives.set(decl.getName(), derivative);
      continue;
    }
    let fn = init && unwrapMorph(init);
    const marked = fn && checkpointArgument(fn, markers);
    if (marked) {
      fn = marked;
      mod.checkpointed.add(decl.getName());
    }
    if (fn && (Node.isArrowFunction(fn) || Node.isFunctionExpression(fn))) addFunction(mod, decl.getName(), fn, converter);
    else if (marked && Node.isIdentifier(marked)) mod.checkpointAliases.set(decl.getName(), marked.getText());
  }
  readImports(mod);
  readExports(mod);
  return mod;
}

/**
 * Refuses a module the parser could not read. TypeScript recovers from a syntax error
 * (`x * * 2` parses with a missing operand), so without this the error would surface
 * later as a confusing refusal of what the parser made up.
 */
function checkSyntax(sourceFile: SourceFile, source: SourceText): void {
  const diagnostics = (sourceFile.compilerNode as { parseDiagnostics?: readonly ts.DiagnosticWithLocation[] }).parseDiagnostics ??
    sourceFile.getProject().getProgram().compilerObject.getSyntacticDiagnostics(sourceFile.compilerNode);
  const first = [...diagnostics].filter((d) => d.category === ts.DiagnosticCategory.Error).sort((a, b) => (a.start ?? 0) - (b.start ?? 0))[0];
  if (first) throw syntaxError(source, first.start ?? 0, ts.flattenDiagnosticMessageText(first.messageText, "\n"));
}

/** Local names of gradc's export `name` in a module (aliases included). */
function gradcImportNames(sourceFile: SourceFile, name: string): Set<string> {
  return new Set(sourceFile.getImportDeclarations()
    .filter((imp) => imp.getModuleSpecifierValue() === "gradc" && !imp.isTypeOnly())
    .flatMap((imp) => imp.getNamedImports())
    .filter((spec) => spec.getName() === name)
    .map((spec) => spec.getAliasNode()?.getText() ?? name));
}

/** `grad(f, …)` (a derivative made by the API, under its local name): its mode and the call. */
function apiCall(node: Node, names: Map<string, Mode>): { mode: Mode; call: CallExpression } | undefined {
  if (!Node.isCallExpression(node)) return undefined;
  const mode = names.get(node.getExpression().getText());
  return mode && { mode, call: node };
}

/**
 * `const d = grad(f, opts)` at the top level, called from differentiated code: the function
 * `(x, …) => grad(f, opts)(x, …)` (compiler/derived.ts) over the call as written, with f's
 * parameters.
 */
function derivativeFunction(project: Project, mod: TsModule, name: string, { mode, call }: { mode: Mode; call: CallExpression }): SourceFn | undefined {
  const target = call.getArguments()[0] && unwrapMorph(call.getArguments()[0]);
  const converter = new EstreeConverter(mod.sourceFile.compilerNode);
  let params: ESTree.Pattern[] | undefined;
  if (target && (Node.isArrowFunction(target) || Node.isFunctionExpression(target))) params = converter.fn(target.compilerNode).params;
  else if (target && Node.isIdentifier(target)) {
    const name = target.getText();
    params = (locateFunction(project, mod, name) ?? (mod.derivatives.has(name) ? derivativeFunction(project, mod, name, mod.derivatives.get(name)!) : undefined))?.node.params;
  } else if (target && Node.isPropertyAccessExpression(target) && target.getExpression().getText() === "Math" && mathArity(target.getName()) !== undefined) {
    params = mathParamNames(target.getName()).map((name): ESTree.Identifier => ({ type: "Identifier", name, start: 0, end: 0 }));
  }
  if (!params) return undefined;
  const estree = converter.expression(call.compilerNode);
  const avoid = new Set([name, ...call.getDescendantsOfKind(SyntaxKind.Identifier).map((i) => i.getText())]);
  return { name, node: callingWrapper(estree, wrapperParams({ params }, mode, avoid), estree), source: mod.source };
}

/** `customJvp(f, rule)` / `customVjp(f, rule)`: its kind, f and the rule. */
function customCall(node: Node, markers: { jvp: Set<string>; vjp: Set<string> }): { kind: "jvp" | "vjp"; f: Node; rule: Node } | undefined {
  if (!Node.isCallExpression(node)) return undefined;
  const callee = node.getExpression().getText();
  const kind = markers.jvp.has(callee) ? "jvp" : markers.vjp.has(callee) ? "vjp" : undefined;
  const [f, rule] = node.getArguments();
  return kind && f && rule && node.getArguments().length === 2 ? { kind, f: unwrapMorph(f), rule: unwrapMorph(rule) } : undefined;
}

/** The argument of `checkpoint(…)` (the function gradc recomputes instead of recording). */
function checkpointArgument(node: Node, markers: Set<string>): Node | undefined {
  if (!Node.isCallExpression(node)) return undefined;
  const callee = node.getExpression();
  if (!Node.isIdentifier(callee) || !markers.has(callee.getText()) || node.getArguments().length !== 1) return undefined;
  return unwrapMorph(node.getArguments()[0]);
}

function addFunction(mod: TsModule, name: string, decl: TsFunctionLike, converter: EstreeConverter): void {
  mod.declarations.set(name, decl);
  mod.functions.set(name, converter.fn(decl.compilerNode));
}

/** The ts-morph node under parentheses and type assertions. */
export function unwrapMorph(node: Node): Node {
  while (
    Node.isParenthesizedExpression(node) || Node.isAsExpression(node) || Node.isTypeAssertion(node) ||
    Node.isNonNullExpression(node) || Node.isSatisfiesExpression(node)
  ) {
    node = node.getExpression();
  }
  return node;
}

function readImports(mod: TsModule): void {
  for (const imp of mod.sourceFile.getImportDeclarations()) {
    const spec = imp.getModuleSpecifierValue();
    if (!imp.isTypeOnly() && isRuntimeModule(mod.path, spec)) {
      for (const named of imp.getNamedImports()) mod.kernels.set(named.getAliasNode()?.getText() ?? named.getName(), named.getName());
      const ns = imp.getNamespaceImport();
      if (ns) mod.kernelNamespaces.add(ns.getText());
      continue;
    }
    if (imp.isTypeOnly()) continue;
    const defaultImport = imp.getDefaultImport();
    if (defaultImport) mod.imported.set(defaultImport.getText(), { spec, name: "default" });
    for (const named of imp.getNamedImports()) if (!named.isTypeOnly()) mod.imported.set(named.getAliasNode()?.getText() ?? named.getName(), { spec, name: named.getName() });
    if (!spec.startsWith(".")) continue;
    const from = resolveRelative(mod.path, spec, isFileIn(mod));
    for (const named of imp.getNamedImports()) {
      if (named.isTypeOnly()) continue;
      mod.imports.set(named.getAliasNode()?.getText() ?? named.getName(), { from, name: named.getName() });
    }
  }
}

function readExports(mod: TsModule): void {
  for (const exp of mod.sourceFile.getExportDeclarations()) {
    const spec = exp.getModuleSpecifierValue();
    const from = spec?.startsWith(".") ? resolveRelative(mod.path, spec, isFileIn(mod)) : undefined;
    if (spec && !from) continue;
    for (const named of exp.getNamedExports()) {
      const exported = named.getAliasNode()?.getText() ?? named.getName();
      mod.exports.set(exported, from ? { from, name: named.getName() } : { local: named.getName() });
    }
  }
}

/**
 * Maps a relative specifier to the module file that exists, as NodeNext resolution with
 * allowJs does: `./util.js` to util.ts when there is one (a .ts module imported by its
 * output's name), else to util.js itself; `./util` to util.ts, util.js or util/index.*.
 */
export function resolveRelative(fromFile: string, spec: string, isFile: (file: string) => boolean): string {
  const base = path.resolve(path.dirname(fromFile), spec);
  const stem = base.replace(/\.(m|c)?jsx?$/, "");
  const ext = /\.(m|c)jsx?$/.exec(base)?.[1] ?? "";
  const candidates = [
    `${stem}.${ext}ts`, `${stem}.${ext}tsx`, base,
    `${base}.ts`, `${base}.tsx`, `${base}.js`, path.join(base, "index.ts"), path.join(base, "index.js"),
  ];
  return candidates.find((c) => MODULE_FILE.test(c) && isFile(c)) ?? `${stem}.${ext}ts`;
}

const MODULE_FILE = /\.(m|c)?[jt]sx?$/;

function isFileIn(mod: TsModule): (file: string) => boolean {
  const fs = fileSystemOf(mod.sourceFile.getProject());
  return (file) => fs.fileExistsSync(file);
}

/** A JavaScript module (.js, .mjs, .cjs, .jsx): its types come from JSDoc. */
export function isJsModule(file: string): boolean {
  return /\.(m|c)?jsx?$/.test(file);
}

/** Path relative to the working directory when inside it (shorter diagnostics). */
export function displayPath(abs: string): string {
  const rel = path.relative(process.cwd(), abs);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : abs;
}

export interface LocatedFunction extends SourceFn {
  module: TsModule;
  declaration: TsFunctionLike;
}

/** Finds `localName` as seen from `mod`: declared there, or imported from a relative file (following re-exports). */
export function locateFunction(project: Project, mod: TsModule, localName: string): LocatedFunction | undefined {
  let current = mod;
  let name = localName;
  for (let hops = 0; hops < 16; hops++) {
    const custom = current.customs.get(name);
    if (custom) return customFunction(project, current, name, custom);
    const node = current.functions.get(name);
    const declaration = current.declarations.get(name);
    if (node && declaration) return { name, node, source: current.source, module: current, declaration };
    const ref = current.imports.get(name) ?? asImport(current.exports.get(name));
    if (!ref || !isFileIn(current)(ref.from)) return undefined;
    current = parseTsModule(project, ref.from);
    name = exportedLocal(current, ref.name);
  }
  return undefined;
}

/**
 * `const name = customJvp(f, rule)`: f (its node and declaration), marked with its rule. An
 * f gradc cannot read is a black box (blackBoxOf): its stand-in takes the rule's first n
 * parameters, n counted from the rule (2n for a JVP rule, n + 1 for a VJP rule).
 */
function customFunction(project: Project, mod: TsModule, name: string, custom: { kind: "jvp" | "vjp"; f: Node; rule: Node }): LocatedFunction | undefined {
  const what = `custom${custom.kind === "jvp" ? "Jvp" : "Vjp"}`;
  const fn = (n: Node, as: string): LocatedFunction | undefined => {
    if (Node.isArrowFunction(n) || Node.isFunctionExpression(n)) {
      return { name: as, node: new EstreeConverter(mod.sourceFile.compilerNode).fn(n.compilerNode), source: mod.source, module: mod, declaration: n };
    }
    return Node.isIdentifier(n) && n.getText() !== name ? locateFunction(project, mod, n.getText()) : undefined;
  };
  const rule = fn(custom.rule, `${name}_${custom.kind}`);
  if (!rule) {
    throw refuse(mod.source, spanOf(custom.rule), "custom rule", `The rule of ${what} must be a function written inline or declared in (or imported into) this module.`, "");
  }
  const ruleFn = { name: rule.name, node: rule.node, source: rule.source };
  const f = fn(custom.f, name);
  if (f) return { ...f, name, custom: { kind: custom.kind, rule: ruleFn } };
  const count = rule.node.params.length;
  const n = custom.kind === "jvp" ? count / 2 : count - 1;
  if (!Number.isInteger(n) || n < 1) {
    throw refuse(mod.source, spanOf(custom.rule), "custom rule", custom.kind === "jvp"
      ? `A JVP rule takes f's arguments and then one tangent for each (x1, …, xn, t1, …, tn): this one has ${count} parameter(s).`
      : `A VJP rule takes f's arguments and then the cotangent of its result (x1, …, xn, ȳ): this one has ${count} parameter(s).`, "");
  }
  const blackBox = blackBoxOf(mod, name, custom.f, what);
  return { ...rule, name, node: { ...rule.node, params: rule.node.params.slice(0, n) }, custom: { kind: custom.kind, rule: ruleFn, blackBox } };
}

/**
 * f of `const name = customJvp(f, rule)` when gradc cannot read it: a name imported from a
 * module (a package, a file whose export is not a function gradc reads: a WebAssembly
 * export, a native binding), a `declare`d global, a value of this module it exports, or
 * any expression when `name` itself is exported — generated code imports it from there.
 */
function blackBoxOf(mod: TsModule, name: string, f: Node, what: string): BlackBox {
  const local = Node.isIdentifier(f) ? f.getText() : undefined;
  const imported = local !== undefined ? mod.imported.get(local) : undefined;
  if (imported) return { local: local!, from: imported.spec.startsWith(".") ? path.resolve(path.dirname(mod.path), imported.spec) : imported.spec, name: imported.name };
  if (local !== undefined && isDeclaredGlobal(mod.sourceFile, local)) return { local: local! };
  const own = (exported: string | undefined, as: string): BlackBox | undefined => exported === undefined ? undefined : { local: as, from: mod.path, name: exported };
  const box = (local !== undefined && isModuleValue(mod.sourceFile, local) ? own(exportNameOf(mod, local), local!) : undefined) ?? own(exportNameOf(mod, name), name);
  if (box) return box;
  throw refuse(mod.source, spanOf(f), "custom rule", `gradc cannot read '${f.getText()}', so generated code must call it as it is, and cannot reach it from the generated module.`,
    local !== undefined && isModuleValue(mod.sourceFile, local)
      ? `Export it (export const ${local} = …), or move it into a module of its own and import it from there; or write it as a function gradc can read.`
      : `Export '${name}' (export const ${name} = ${what}(…)), or bind the function to an exported const and pass that; or write it as a function gradc can read.`);
}

/** `declare function name(…)` or `declare const name` at the top level: a global the environment provides. */
function isDeclaredGlobal(sourceFile: SourceFile, name: string): boolean {
  const fns = sourceFile.getFunctions().filter((d) => d.getName() === name);
  if (fns.length > 0) return fns.every((d) => !d.hasBody() && d.hasDeclareKeyword());
  const v = sourceFile.getVariableDeclaration(name);
  return v?.getVariableStatement()?.hasDeclareKeyword() ?? false;
}

function isModuleValue(sourceFile: SourceFile, name: string): boolean {
  return sourceFile.getVariableDeclaration(name) !== undefined;
}

/** The name the module exports its top-level `local` under, if it does. */
export function exportNameOf(mod: TsModule, local: string): string | undefined {
  if (mod.sourceFile.getVariableDeclaration(local)?.getVariableStatement()?.isExported()) return local;
  return [...mod.exports].find(([, e]) => "local" in e && e.local === local)?.[0];
}

function spanOf(node: Node): ESTree.Node {
  return { type: "TSNode", start: node.getStart(), end: node.getEnd() };
}

function asImport(entry: { local: string } | ImportRef | undefined): ImportRef | undefined {
  return entry && "from" in entry ? entry : undefined;
}

/** The local name behind an export name (`export { helper as sq }`). */
function exportedLocal(mod: TsModule, exported: string): string {
  const entry = mod.exports.get(exported);
  return entry && "local" in entry ? entry.local : exported;
}

/** This package's runtime folders (sources, and the built dist/runtime). */
const RUNTIME_DIRS = (() => {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const root = path.resolve(here, "..", "..");
  return [path.join(root, "runtime"), path.join(root, "..", "runtime")];
})();

/** "gradc/runtime", or a relative import of this package's runtime (as its own examples do). */
function isRuntimeModule(fromFile: string, spec: string): boolean {
  if (spec === "gradc/runtime") return true;
  if (!spec.startsWith(".")) return false;
  const target = path.resolve(path.dirname(fromFile), spec);
  return RUNTIME_DIRS.some((dir) => target.startsWith(dir + path.sep));
}

/** Resolves callee names for lowering: functions of the calling module or imported into it, and runtime kernels. */
export function resolver(project: Project): ResolveFn {
  return (name, from) => {
    const mod = moduleOfSource.get(from) ?? (from.runtime ? undefined : parseTsModule(project, from.file));
    const kernel = mod?.kernels.get(name) ?? (mod?.kernelNamespaces.size ? name : undefined);
    if (kernel !== undefined && !mod?.functions.has(name)) return { kernel };
    const found = mod && locateFunction(project, mod, name);
    if (found) return { name: found.name, node: found.node, source: found.source, ...(found.module.checkpointed.has(found.name) ? { checkpoint: true } : {}), ...(found.custom ? { custom: found.custom } : {}) };
    const derivative = mod?.derivatives.get(name);
    if (derivative) return derivativeFunction(project, mod!, name, derivative);
    const alias = mod?.checkpointAliases.get(name);
    const target = alias !== undefined ? locateFunction(project, mod!, alias) : undefined;
    return target && { name: target.name, node: target.node, source: target.source, checkpoint: true };
  };
}
