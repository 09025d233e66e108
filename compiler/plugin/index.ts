// The bundler plugin, one implementation for Vite, Rollup, esbuild and webpack (unplugin):
// a module that calls grad/valueAndGrad/… from "gradc" gets those calls replaced by
// imports of its derivatives, compiled at build time into a generated module that imports
// only "gradc/runtime". A site gradc cannot compile fails the build, with file:line:col.
import * as path from "node:path";
import { createUnplugin, type SourceMapCompact } from "unplugin";
import { compileModule, generatedPath } from "../compile-module.js";
import type { SourceMap } from "../emit/source-map.js";
import { createProject, fileSystemOf, parseTsModule } from "../parse/typescript.js";
import { rewriteSites } from "./rewrite.js";

export interface GradcPluginOptions {
  /** Modules to transform: path patterns (RegExp, or strings matched as path suffixes/substrings); default every .ts/.js module outside node_modules. */
  include?: (string | RegExp)[] | string | RegExp;
  /** Modules to leave alone. */
  exclude?: (string | RegExp)[] | string | RegExp;
  /** Module specifier the generated code imports the runtime from (default "gradc/runtime"). */
  runtime?: string;
}

const VIRTUAL = "\0gradc:";
/** Under esbuild, the id of the stub through which a generated module imports its source module. */
const SOURCE_STUB = "?gradc-source";
const SCRIPT = /\.(m|c)?[jt]sx?$/;
/** A module that may import "gradc" (also when only a comment says so: then nothing changes). */
const GRADC_IMPORT = /from\s*["']gradc["']/;

export const unpluginGradc = createUnplugin((options: GradcPluginOptions | undefined = {}, meta) => {
  const project = createProject();
  /** Generated modules by id. */
  const generated = new Map<string, { code: string; map: SourceMapCompact | undefined }>();
  const included = filter(options.include, options.exclude);
  /** Modules with request sites, by the files their derivatives were made from. */
  const dependents = new Map<string, Set<string>>();
  const runtime = options.runtime ?? "gradc/runtime";
  return {
    name: "gradc",
    enforce: "pre",
    resolveId(id, importer) {
      // A generated module imports its black boxes and module values from its source module,
      // by absolute path. Under esbuild a module the plugin resolves is a module of the
      // plugin's own, a second copy of the source: there it is a stub re-exporting the source.
      if (!generated.has(id) && !(importer?.startsWith(VIRTUAL) && path.isAbsolute(id))) return null;
      return meta.framework === "esbuild" && !generated.has(id) ? `${id}${SOURCE_STUB}` : id;
    },
    loadInclude: (id) => id.startsWith(VIRTUAL) || id.endsWith(SOURCE_STUB),
    load(id) {
      if (id.endsWith(SOURCE_STUB)) return `export * from ${JSON.stringify(`./${path.basename(id.slice(0, -SOURCE_STUB.length))}`)};\n`;
      return generated.get(id) ?? null;
    },
    transformInclude: (id) => SCRIPT.test(cleanId(id)) && !id.startsWith(VIRTUAL) && included(cleanId(id)),
    async transform(code, id) {
      if (!GRADC_IMPORT.test(code)) return null;
      const file = cleanId(id);
      fileSystemOf(project).refresh();
      const output = generatedPath(file, "js");
      const compiled = await compileModule(code, file, { project, sites: "all", lang: "js", runtimeImport: runtime, outputPath: output, format: false, header: false, declarations: false, blackBoxesFromSource: true });
      if (compiled.diagnostics.length > 0) {
        this.error(compiled.diagnostics[0].message); // file:line:col (1-based) and code frame
        return null; // esbuild's and webpack's `error` collect instead of throwing
      }
      for (const input of compiled.inputs) {
        if (input === file) continue;
        this.addWatchFile(input);
        dependents.set(input, (dependents.get(input) ?? new Set()).add(file));
      }
      let virtualId: string | undefined;
      if (compiled.code !== undefined) {
        virtualId = `${VIRTUAL}${output}?${compiled.hash ?? ""}`;
        generated.set(virtualId, { code: compiled.code, map: compiled.map && bundlerMap(compiled.map) });
      }
      const s = rewriteSites(code, parseTsModule(project, file).sourceFile, { sites: compiled.sites, generated: virtualId, runtime, blackBoxes: compiled.blackBoxes, moduleValues: compiled.moduleValues });
      if (!s.hasChanged()) return null;
      return { code: s.toString(), map: s.generateMap({ hires: true, source: file, includeContent: true }) };
    },
    vite: {
      // A helper the derivative inlined changed: the module with the site is compiled again.
      hotUpdate({ file, modules }) {
        const graph = this.environment.moduleGraph;
        const stale = [...(dependents.get(file) ?? [])].flatMap((id) => [...(graph.getModulesByFile(id) ?? [])]);
        for (const m of stale) graph.invalidateModule(m);
        return stale.length ? [...modules, ...stale] : undefined;
      },
    },
  };
});

/** A map as bundlers take it (mutable arrays; they add to it). */
function bundlerMap(map: SourceMap): SourceMapCompact {
  return { version: map.version, file: map.file ?? undefined, mappings: map.mappings, names: [...map.names], sources: map.sources.map((s) => s ?? ""), sourcesContent: [...(map.sourcesContent ?? [])] };
}

/** The module path without a bundler's query or loader prefix. */
function cleanId(id: string): string {
  return id.replace(/[?#].*$/, "");
}

function filter(include: GradcPluginOptions["include"], exclude: GradcPluginOptions["exclude"]): (file: string) => boolean {
  const list = (p: GradcPluginOptions["include"]) => (p === undefined ? [] : Array.isArray(p) ? p : [p]);
  const matches = (file: string, p: string | RegExp) => (typeof p === "string" ? file.includes(p) || file.endsWith(path.normalize(p)) : p.test(file));
  const inc = list(include);
  const exc = list(exclude);
  return (file) =>
    (inc.length === 0 ? !file.includes(`${path.sep}node_modules${path.sep}`) : inc.some((p) => matches(file, p))) && !exc.some((p) => matches(file, p));
}
