// The compiler as one function: a module's text in, its derivative module out. The CLI
// (`gradc build`, `gradc show`) and the bundler plugin are shells around compileModule.
import * as path from "node:path";
import * as prettier from "prettier";
import { ts, type Project } from "ts-morph";
import { hashLine, inputsHash } from "./build-freshness.js";
import { findRequestSites, functionRequest, type RequestSite, type WrtSpec } from "./build-sites.js";
import { GradcError } from "./errors.js";
import { GradModule } from "./emit/module.js";
import { moduleMap, type SourceMap } from "./emit/source-map.js";
import type { ModuleHost } from "./parse/host.js";
import type { BlackBox } from "./parse/source.js";
import { createProject, fileSystemOf, isJsModule } from "./parse/typescript.js";
import type { GradRequest, JacobianMode, Mode, ModuleValue } from "./request.js";

/** Adds one derivative to a module (default: GradModule.add; tests pass stand-ins). */
export type Emitter = (module: GradModule, req: GradRequest, exportName: string) => void;

/** A derivative asked for by name rather than by a request site (`gradc show`). */
export interface NamedRequest {
  function: string;
  wrt?: WrtSpec;
  mode: Mode;
  jacobianMode?: JacobianMode;
}

export interface CompileModuleOptions {
  /** Reads the modules `text` imports (default: the disk). Unused when `project` is given. */
  host?: ModuleHost;
  /** A project to reuse across compiles (createProject(host)); one is made per call otherwise. */
  project?: Project;
  /** Language of the generated module (default: that of `file`). */
  lang?: "ts" | "js";
  /** Module specifier the generated code imports the runtime from (default "gradc/runtime"). */
  runtimeImport?: string;
  /** Where the generated module goes (its header and map refer to it); default beside `file`. */
  outputPath?: string;
  /** Start with the generated-file header: source, inputs hash (default true; `gradc show` prints none). */
  header?: boolean;
  /**
   * Also make the declarations of JavaScript output (`CompiledModule.declarations`: a second
   * emit of every derivative, as TypeScript). Default: when the source is JavaScript too.
   */
  declarations?: boolean;
  /** Prettier-format the output (default true). */
  format?: boolean;
  /**
   * Where the generated module imports black boxes from (functions gradc cannot read, see
   * lower/custom.ts): from where the source module imports them (default), or all from the
   * source module itself under the names `sourceExport` gives (the plugin, which adds those
   * exports: its generated module is virtual, and only the source module can resolve them).
   * Module-level values the derivatives read (module-values.ts) come from the module that
   * declares them, under the name it exports them as; with this option, those of the
   * source module come from it under `sourceExport` names, exported or not.
   */
  blackBoxesFromSource?: true;
  /** Request sites to compile: `export const NAME = grad(…)` (default, `gradc build`) or every call of the API (the plugin). */
  sites?: "exported" | "all";
  /** Compile these instead of the module's request sites. */
  requests?: NamedRequest[];
  emit?: Emitter;
}

export interface CompiledModule {
  /** The generated module; undefined when there is nothing to compile or a diagnostic. */
  code: string | undefined;
  /**
   * For JavaScript output, the text of its declaration file (`<module>.grad.d.ts`, see
   * declarationPath): `export declare function` per entry, typed as in TypeScript output.
   */
  declarations: string | undefined;
  /** Maps the generated code back to the lines of the functions it differentiates. */
  map: SourceMap | undefined;
  /** Why the module could not be compiled, each with file:line:col and a code frame. */
  diagnostics: GradcError[];
  sites: RequestSite[];
  /** Hash of the inputs (sources, options, gradc's version), as the header records it. */
  hash: string | undefined;
  /** Absolute paths of the files the compile read. */
  inputs: string[];
  /** The black boxes the generated module calls (with `blackBoxesFromSource`, the source module exports them as `sourceExport` says). */
  blackBoxes: BlackBox[];
  /** The module-level values the generated module reads (with `blackBoxesFromSource`, the source module exports its own as `sourceExport` says). */
  moduleValues: ModuleValue[];
}

/** Compiles the request sites of the module `file` whose text is `text`. */
export async function compileModule(text: string, file: string, options: CompileModuleOptions = {}): Promise<CompiledModule> {
  const abs = path.resolve(file);
  const project = options.project ?? createProject(options.host);
  const fs = fileSystemOf(project);
  fs.overlay(abs, text);
  fs.takeReads();
  const lang = options.lang ?? (isJsModule(abs) ? "js" : "ts");
  const output = options.outputPath ?? generatedPath(abs, lang);
  const result: CompiledModule = { code: undefined, declarations: undefined, map: undefined, diagnostics: [], sites: [], hash: undefined, inputs: [], blackBoxes: [], moduleValues: [] };
  try {
    result.sites = options.requests ? options.requests.map((r) => namedSite(project, abs, r)) : findRequestSites(project, abs, options.sites === "all", options.blackBoxesFromSource);
    if (result.sites.length > 0) {
      const module = emitModule(lang, result.sites, options.emit);
      result.hash = inputsHash(project, abs, options.runtimeImport);
      const top = options.header === false ? "" : header(result.hash, abs, output);
      const printed = module.print(options.runtimeImport, blackBoxImports(abs, output, options.blackBoxesFromSource), moduleValueImports(abs, output, options.blackBoxesFromSource));
      result.code = await formatted(top + printed, output, options.format);
      result.blackBoxes = module.blackBoxList();
      result.moduleValues = module.moduleValueList();
      result.map = moduleMap(result.code, module.origins, output, (source) => relativeTo(output, source.file));
      if (lang === "js" && (options.declarations ?? isJsModule(abs))) {
        result.declarations = await declarationFile(result.sites, abs, declarationPath(output), result.hash, options);
      }
    }
  } catch (error) {
    if (!(error instanceof GradcError)) throw error;
    result.diagnostics.push(error);
    result.code = undefined;
  }
  result.inputs = fs.takeReads();
  return result;
}

function emitModule(lang: "ts" | "js", sites: RequestSite[], emit: Emitter = addDerivative): GradModule {
  const module = new GradModule(lang, sites.map((s) => s.exportName));
  for (const site of sites) emit(module, site.request, site.exportName);
  return module;
}

/**
 * The declaration file of JavaScript output: the derivatives emitted again as TypeScript,
 * whose exports without their bodies are the declarations (every entry has its parameter
 * and return types written out, as isolated declarations need; imports no type uses are dropped).
 */
async function declarationFile(sites: RequestSite[], source: string, file: string, hash: string, options: CompileModuleOptions): Promise<string> {
  const typed = emitModule("ts", sites, options.emit).print(options.runtimeImport);
  const dts = ts.transpileDeclaration(typed, {
    fileName: file.replace(/\.d\.([mc]?)ts$/, ".$1ts"),
    reportDiagnostics: true,
    compilerOptions: { module: ts.ModuleKind.NodeNext, target: ts.ScriptTarget.ES2022 },
  });
  const problem = dts.diagnostics?.find((d) => d.category === ts.DiagnosticCategory.Error);
  if (problem) throw new Error(`gradc internal error: declarations of ${file}: ${ts.flattenDiagnosticMessageText(problem.messageText, "\n")}`);
  const top = options.header === false ? "" : header(hash, source, file);
  return formatted(top + dts.outputText, file, options.format);
}

async function formatted(text: string, file: string, enabled = true): Promise<string> {
  return enabled ? format(text, file) : text;
}

function header(hash: string, file: string, output: string): string {
  return `// Generated by gradc from ${relativeTo(output, file)}. Do not edit: change the source and run \`gradc build\` again.\n${hashLine(hash)}`;
}

const addDerivative: Emitter = (module, req, exportName) => module.add(req, exportName);

function namedSite(project: Project, file: string, r: NamedRequest): RequestSite {
  const exportName = `${r.function}${r.mode[0].toUpperCase()}${r.mode.slice(1)}`;
  return { exportName, request: functionRequest(project, file, r.function, r.wrt, r.mode, r.jacobianMode), line: 0 };
}

/**
 * The import of a black box in the generated module `output` of `source`: from the module
 * the source imports it from (a path relative to `output`; the source module itself by its
 * JavaScript name, as NodeNext imports a .ts module), or with `fromSource` from `source`.
 */
function blackBoxImports(source: string, output: string, fromSource?: true): (box: BlackBox) => string | undefined {
  return (box) => {
    if (box.from === undefined) return undefined;
    if (fromSource) return `import { ${sourceExport(box)} as ${box.local} } from ${JSON.stringify(source)};`;
    const local = box.from.startsWith(".") || path.isAbsolute(box.from);
    const spec = local ? fileSpecifier(output, box.from === source ? jsName(box.from) : box.from) : JSON.stringify(box.from);
    return box.name === "default" ? `import ${box.local} from ${spec};` : `import { ${box.name === box.local ? box.local : `${box.name} as ${box.local}`} } from ${spec};`;
  };
}

/** The imports of module values in the generated module `output`, one per module (from the module declaring them, as blackBoxImports). */
function moduleValueImports(source: string, output: string, fromSource?: true): (values: ModuleValue[]) => string[] {
  return (values) => {
    const byModule = new Map<string, string[]>();
    for (const value of values) {
      const own = fromSource && value.file === source;
      const exported = own ? sourceExport({ local: value.name }) : value.exported ?? value.name;
      const spec = own ? JSON.stringify(source) : fileSpecifier(output, jsName(value.file));
      byModule.set(spec, [...(byModule.get(spec) ?? []), exported === value.name ? exported : `${exported} as ${value.name}`]);
    }
    return [...byModule].map(([spec, names]) => `import { ${names.join(", ")} } from ${spec};`);
  };
}

/** A TypeScript module's path as NodeNext imports it (`loss.ts` -> `loss.js`). */
function jsName(file: string): string {
  return file.replace(/\.([mc]?)ts$/, ".$1js");
}

/** The specifier of `file` in an import of the module `output`: relative, starting with a dot. */
function fileSpecifier(output: string, file: string): string {
  const rel = relativeTo(output, file);
  return JSON.stringify(rel.startsWith(".") ? rel : `./${rel}`);
}

/** The name the plugin has the source module export a black box under. */
export function sourceExport(box: Pick<BlackBox, "local">): string {
  return `__gradc_${box.local}`;
}

/** `source` as a path from the directory of `file`, with forward slashes (as maps and headers name files). */
function relativeTo(file: string, source: string): string {
  return path.relative(path.dirname(file), path.resolve(source)).split(path.sep).join("/");
}

/** `dir/loss.ts` -> `dir/loss.grad.ts` (`.grad.js` for JavaScript output). */
export function generatedPath(file: string, lang: "ts" | "js"): string {
  const ext = /\.(m|c)?[jt]sx?$/.exec(file)?.[0] ?? ".ts";
  const kind = ext.length > 3 && /^\.[mc]/.test(ext) ? ext[1] : "";
  return file.slice(0, file.length - ext.length) + `.grad.${kind}${lang}`;
}

/** `dir/loss.grad.js` -> `dir/loss.grad.d.ts` (`.grad.mjs` -> `.grad.d.mts`): what TypeScript reads for it. */
export function declarationPath(generated: string): string {
  return generated.replace(/\.([mc]?)[jt]sx?$/, ".d.$1ts");
}

export async function format(text: string, filepath: string): Promise<string> {
  const config = (await prettier.resolveConfig(filepath)) ?? {};
  return prettier.format(text, { ...config, parser: /\.[mc]?js$/.test(filepath) ? "babel" : "typescript", filepath });
}
