// `gradc build`: finds request sites in .ts and .js modules and writes `<module>.grad.ts`
// beside them (for a .js module `<module>.grad.js` and its declarations `<module>.grad.d.ts`).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { Project } from "ts-morph";
import { inputsHash, staleness } from "./build-freshness.js";
import { findRequestSites } from "./build-sites.js";
import { compileModule, declarationPath, type Emitter } from "./compile-module.js";
import { createProject, isJsModule } from "./parse/typescript.js";

export type { Emitter } from "./compile-module.js";

export interface BuildOptions {
  /** Write generated modules here (mirroring the input directories) instead of beside their sources. */
  outDir?: string;
  /** Module specifier generated code imports the runtime from (default "gradc/runtime"). */
  runtimeImport?: string;
  /** Code generator (default: the compiler's). */
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
  const result: BuildResult = { built: [], failures: [], stale: [], removed: [] };
  for (const { file, root } of collectSources(inputs)) {
    const text = readFileSync(file, "utf8");
    if (!mentionsGradc(text)) continue;
    const output = outputPath(file, root, options.outDir);
    const written = generatedFiles(file, output);
    try {
      if (options.check) {
        if (findRequestSites(project, file).length === 0) continue;
        const hash = inputsHash(project, file, options.runtimeImport);
        for (const generated of written) {
          const reason = staleness(generated, hash);
          if (reason) result.stale.push({ output: generated, source: file, reason });
        }
        continue;
      }
      const compiled = await compileModule(text, file, { project, runtimeImport: options.runtimeImport, outputPath: output, emit: options.emit });
      if (compiled.diagnostics.length > 0) throw compiled.diagnostics[0];
      if (compiled.code === undefined) continue;
      writeFile(output, `${compiled.code}//# sourceMappingURL=${path.basename(output)}.map\n`);
      writeFile(`${output}.map`, JSON.stringify(compiled.map));
      if (compiled.declarations !== undefined) writeFile(declarationPath(output), compiled.declarations);
      result.built.push({ source: file, output, exports: compiled.sites.map((s) => s.exportName) });
    } catch (error) {
      result.failures.push({ file, error });
      // A derivative of the old source must not pass for the current one.
      if (!options.check && written.some((f) => existsSync(f) && staleness(f, inputsHash(project, file, options.runtimeImport)))) {
        for (const f of [...written, `${output}.map`]) rmSync(f, { force: true });
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
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  const names = new Set(entries.map((e) => e.name));
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && !entry.name.startsWith(".") && !SKIPPED_DIRS.has(entry.name)) yield* walk(full);
    else if (entry.isFile() && isSourceModule(entry.name) && !compiledFromTypeScript(entry.name, names)) yield full;
  }
}

/** `loss.js` beside `loss.ts` (`.mjs` beside `.mts`) is that module's compiled output, not an input. */
function compiledFromTypeScript(name: string, siblings: Set<string>): boolean {
  const js = /\.(m?)js$/.exec(name);
  return js !== null && siblings.has(`${name.slice(0, js.index)}.${js[1]}ts`);
}

/** A module gradc build reads: .ts/.mts/.cts or .js/.mjs, not a declaration file nor generated. */
export function isSourceModule(name: string): boolean {
  return /\.((m|c)?ts|m?js)$/.test(name) && !/\.d\.(m|c)?ts$/.test(name) && !/\.grad\.(m|c)?[jt]s$/.test(name);
}

/** The generated module, and for JavaScript output its declaration file. */
function generatedFiles(file: string, output: string): string[] {
  return isJsModule(file) ? [output, declarationPath(output)] : [output];
}

/** Cheap pre-filter before parsing: the module imports from "gradc". */
function mentionsGradc(text: string): boolean {
  return /from\s*["']gradc["']/.test(text);
}

/** `dir/loss.ts` -> `dir/loss.grad.ts` (`loss.mjs` -> `loss.grad.mjs`), or the same relative path under `outDir`. */
export function outputPath(file: string, root: string, outDir: string | undefined): string {
  const generated = file.replace(/\.(m|c)?[jt]s$/, (ext) => `.grad${ext}`);
  return outDir ? path.join(path.resolve(outDir), path.relative(root, generated)) : generated;
}

function writeFile(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}
