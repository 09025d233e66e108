// `gradc build`: finds request sites in .ts modules and writes `<module>.grad.ts` beside them.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { Project } from "ts-morph";
import { inputsHash, staleness } from "./build-freshness.js";
import { findRequestSites } from "./build-sites.js";
import { compileModule, type Emitter } from "./compile-module.js";
import { createProject } from "./parse/typescript.js";

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
    try {
      if (options.check) {
        if (findRequestSites(project, file).length === 0) continue;
        const reason = staleness(output, inputsHash(project, file, options.runtimeImport));
        if (reason) result.stale.push({ output, source: file, reason });
        continue;
      }
      const compiled = await compileModule(text, file, { project, runtimeImport: options.runtimeImport, outputPath: output, emit: options.emit });
      if (compiled.diagnostics.length > 0) throw compiled.diagnostics[0];
      if (compiled.code === undefined) continue;
      writeFile(output, `${compiled.code}//# sourceMappingURL=${path.basename(output)}.map\n`);
      writeFile(`${output}.map`, JSON.stringify(compiled.map));
      result.built.push({ source: file, output, exports: compiled.sites.map((s) => s.exportName) });
    } catch (error) {
      result.failures.push({ file, error });
      // A derivative of the old source must not pass for the current one.
      if (!options.check && existsSync(output) && staleness(output, inputsHash(project, file, options.runtimeImport))) {
        rmSync(output);
        rmSync(`${output}.map`, { force: true });
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
function mentionsGradc(text: string): boolean {
  return /from\s*["']gradc["']/.test(text);
}

/** `dir/loss.ts` -> `dir/loss.grad.ts`, or the same relative path under `outDir`. */
export function outputPath(file: string, root: string, outDir: string | undefined): string {
  const generated = file.replace(/\.(m|c)?ts$/, (ext) => `.grad${ext}`);
  return outDir ? path.join(path.resolve(outDir), path.relative(root, generated)) : generated;
}

function writeFile(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}
