// `gradc build`: finds request sites in .ts modules and writes `<module>.grad.ts` beside them.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import * as prettier from "prettier";
import { Node, Project, SyntaxKind } from "ts-morph";
import { hashLine, inputsHash, staleness } from "./build-freshness.js";
import { findRequestSites, type RequestSite } from "./build-sites.js";
import { emitGradModule } from "./emit/module.js";
import { createProject } from "./parse/typescript.js";
import type { EmitOptions, GradRequest } from "./request.js";

export type Emitter = (req: GradRequest, opts: EmitOptions) => string;

export interface BuildOptions {
  /** Write generated modules here (mirroring the input directories) instead of beside their sources. */
  outDir?: string;
  /** Module specifier generated code imports the runtime from (default "gradc/runtime"). */
  runtimeImport?: string;
  /** Code generator (default: the compiler's emitGradModule). */
  emit?: Emitter;
  project?: Project;
  /** Write nothing: report the generated modules that are missing or out of date. */
  check?: boolean;
}

export interface BuiltModule {
  source: string;
  output: string;
  exports: string[];
}

export interface BuildResult {
  built: BuiltModule[];
  failures: { file: string; error: unknown }[];
  /** With `check`: generated modules not up to date, and why. */
  stale: { output: string; source: string; reason: string }[];
  /** Generated modules removed because their rebuild failed (they no longer matched their source). */
  removed: string[];
}

/** Builds every module under `inputs` (files or directories) that has request sites. */
export async function build(inputs: string[], options: BuildOptions = {}): Promise<BuildResult> {
  const project = options.project ?? createProject();
  const emit = options.emit ?? emitGradModule;
  const result: BuildResult = { built: [], failures: [], stale: [], removed: [] };
  for (const { file, root } of collectSources(inputs)) {
    if (!mentionsGradc(file)) continue;
    const output = outputPath(file, root, options.outDir);
    const hash = inputsHash(project, file, options.runtimeImport);
    try {
      const sites = findRequestSites(project, file);
      if (sites.length === 0) continue;
      if (options.check) {
        const reason = staleness(output, hash);
        if (reason) result.stale.push({ output, source: file, reason });
        continue;
      }
      writeFile(output, await renderModule(file, output, sites, emit, options.runtimeImport, hash));
      result.built.push({ source: file, output, exports: sites.map((s) => s.exportName) });
    } catch (error) {
      result.failures.push({ file, error });
      // A derivative of the old source must not pass for the current one.
      if (!options.check && existsSync(output) && staleness(output, hash)) {
        rmSync(output);
        result.removed.push(output);
      }
    }
  }
  return result;
}

/** Source files of the inputs, each with the directory its output path is relative to. */
export function collectSources(inputs: string[]): { file: string; root: string }[] {
  const found: { file: string; root: string }[] = [];
  for (const input of inputs) {
    const abs = path.resolve(input);
    if (!existsSync(abs)) throw new Error(`no such file or directory: ${input}`);
    if (statSync(abs).isDirectory()) {
      for (const file of walk(abs)) found.push({ file, root: abs });
    } else {
      found.push({ file: abs, root: path.dirname(abs) });
    }
  }
  return found;
}

const SKIPPED_DIRS = new Set(["node_modules", "dist", "build"]);

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && !entry.name.startsWith(".") && !SKIPPED_DIRS.has(entry.name)) yield* walk(full);
    else if (entry.isFile() && isSourceModule(entry.name)) yield full;
  }
}

export function isSourceModule(name: string): boolean {
  return /\.(m|c)?ts$/.test(name) && !/\.d\.(m|c)?ts$/.test(name) && !/\.grad\.(m|c)?ts$/.test(name);
}

/** Cheap pre-filter before parsing: the module imports from "gradc". */
function mentionsGradc(file: string): boolean {
  return /from\s*["']gradc["']/.test(readFileSync(file, "utf8"));
}

/** `dir/loss.ts` -> `dir/loss.grad.ts`, or the same relative path under `outDir`. */
export function outputPath(file: string, root: string, outDir: string | undefined): string {
  const generated = file.replace(/\.(m|c)?ts$/, (ext) => `.grad${ext}`);
  return outDir ? path.join(path.resolve(outDir), path.relative(root, generated)) : generated;
}

/** The generated module for `sites`: a header, the runtime import once, each site's code; formatted. */
export async function renderModule(source: string, output: string, sites: RequestSite[], emit: Emitter, runtimeImport?: string, hash?: string): Promise<string> {
  const parts = distinctDeclarations(sites.map((s) => emit(s.request, { lang: "ts", exportName: s.exportName, runtimeImport })));
  const from = path.relative(path.dirname(output), source).split(path.sep).join("/");
  const header = `// Generated by gradc from ${from}. Do not edit: change the source and run \`gradc build\` again.\n${hash ? hashLine(hash) : ""}`;
  return formatTs(header + mergeModules(parts), output);
}

export async function formatTs(text: string, filepath: string): Promise<string> {
  const config = (await prettier.resolveConfig(filepath)) ?? {};
  return prettier.format(text, { ...config, parser: "typescript", filepath });
}

const NAMED_IMPORT = /^import\s+(type\s+)?\{([^}]*)\}\s*from\s*(["'])([^"']+)\3;?[ \t]*\r?\n?/gm;
const OTHER_IMPORT = /^import\s[^;\n]*;[ \t]*\r?\n?/gm;

/** Joins emitted modules, merging their imports (one statement per module specifier). */
export function mergeModules(parts: string[]): string {
  const named = new Map<string, Set<string>>();
  const other = new Set<string>();
  const bodies = parts.map((part) =>
    part
      .replace(NAMED_IMPORT, (_all, typeOnly: string | undefined, names: string, _q, from: string) => {
        const key = `${typeOnly ? "type " : ""}${from}`;
        const set = named.get(key) ?? new Set<string>();
        for (const name of names.split(",").map((n) => n.trim()).filter(Boolean)) set.add(name);
        named.set(key, set);
        return "";
      })
      .replace(OTHER_IMPORT, (stmt) => (other.add(stmt.trim()), ""))
      .trim(),
  );
  const imports = [...named].map(([key, names]) => {
    const [typeOnly, from] = key.startsWith("type ") ? ["type ", key.slice(5)] : ["", key];
    return `import ${typeOnly}{ ${[...names].join(", ")} } from "${from}";`;
  });
  return [[...imports, ...other].join("\n"), ...bodies].filter(Boolean).join("\n\n") + "\n";
}

/**
 * Each site's code is generated on its own, so two sites may both declare, say, `tape` or
 * `loss_grad`. Renames (scope-aware) the non-exported top-level names a previous part declared.
 */
export function distinctDeclarations(parts: string[]): string[] {
  if (parts.length < 2) return parts;
  const project = new Project({ useInMemoryFileSystem: true, compilerOptions: { noLib: true, types: [] } });
  const taken = new Set<string>();
  return parts.map((text, i) => {
    const file = project.createSourceFile(`/part${i}.ts`, text);
    const declared = [...file.getFunctions(), ...file.getVariableDeclarations(), ...file.getClasses()];
    const used = new Set(file.getDescendantsOfKind(SyntaxKind.Identifier).map((id) => id.getText()));
    for (const decl of declared) {
      const name = decl.getName();
      if (!name) continue;
      const exported = Node.isVariableDeclaration(decl) ? decl.getVariableStatement()?.isExported() : decl.isExported();
      if (taken.has(name) && !exported) decl.rename(freshName(name, (n) => taken.has(n) || used.has(n)));
      taken.add(decl.getName() ?? name);
    }
    return file.getFullText();
  });
}

/** `name_2`, `name_3`, ...: the first that is not `inUse`. */
function freshName(name: string, inUse: (n: string) => boolean): string {
  let n = 2;
  while (inUse(`${name}_${n}`)) n++;
  return `${name}_${n}`;
}

function writeFile(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}
