// The plugin's edit of a module that imports "gradc": each request site's call becomes a
// reference to its entry in the generated module, which the module then imports;
// `checkpoint(fn)` markers become `(fn)`; `GradcError` comes from the runtime. What is
// left of the "gradc" imports (gradCheck, types) stays, so a bundle that only had sites,
// markers and the error class holds none of the compiler.
import MagicString from "magic-string";
import { SyntaxKind, type CallExpression, type ImportDeclaration, type SourceFile } from "ts-morph";
import { API_FUNCTIONS, type RequestSite } from "../build-sites.js";
import { sourceExport } from "../compile-module.js";
import type { BlackBox } from "../parse/source.js";
import type { ModuleValue } from "../request.js";

/** Names "gradc" exports that "gradc/runtime" exports too (the same class and functions): imported from the runtime. */
const RUNTIME_NAMES = new Set(["GradcError", "stopGradient", "customJvp", "customVjp"]);

/** Local name of a site's entry in the rewritten module. */
export function entryLocal(site: RequestSite): string {
  return `__gradc_${site.exportName}`;
}

export interface RewriteOptions {
  /** The module's sites (found by findRequestSites with all = true) and the id of the module holding their entries. */
  sites: RequestSite[];
  generated: string | undefined;
  /** Module specifier of the runtime. */
  runtime: string;
  /** Black boxes the generated module calls: the module exports them for it (see sourceExport). */
  blackBoxes?: BlackBox[];
  /** Module-level values the generated module reads: the module exports its own for it. */
  moduleValues?: ModuleValue[];
}

/** `code` (the text of `sourceFile`) with its sites, markers and "gradc" imports rewritten; unchanged when it has none. */
export function rewriteSites(code: string, sourceFile: SourceFile, { sites, generated, runtime, blackBoxes = [], moduleValues = [] }: RewriteOptions): MagicString {
  const s = new MagicString(code);
  for (const site of sites) s.overwrite(site.start!, site.end!, entryLocal(site));
  for (const call of checkpointCalls(sourceFile)) s.remove(call.getExpression().getStart(), call.getExpression().getEnd());
  for (const imp of gradcImports(sourceFile)) {
    const text = rewriteImport(imp, runtime);
    if (text !== undefined) s.overwrite(imp.getStart(), imp.getEnd(), text);
  }
  if (sites.length > 0 && generated !== undefined) {
    const names = sites.map((site) => `${site.exportName} as ${entryLocal(site)}`).join(", ");
    s.prepend(`import { ${names} } from ${JSON.stringify(generated)};\n`);
    const boxes = [...blackBoxes.filter((box) => box.from !== undefined), ...moduleValues.filter((v) => v.file === sourceFile.getFilePath()).map((v) => ({ local: v.name }))]
      .map((box) => `${box.local} as ${sourceExport(box)}`);
    if (boxes.length > 0) s.append(`\nexport { ${boxes.join(", ")} };\n`);
  }
  return s;
}

/** Value imports of "gradc" (type-only ones are erased by the bundler anyway). */
function gradcImports(sourceFile: SourceFile): ImportDeclaration[] {
  return sourceFile.getImportDeclarations().filter((imp) => imp.getModuleSpecifierValue() === "gradc" && !imp.isTypeOnly());
}

/**
 * What replaces one "gradc" import, or undefined to keep it. API functions and `checkpoint`
 * go (every use was rewritten; findRequestSites refuses any other use, also of a namespace
 * import); runtime names move to the runtime; the rest stays.
 */
function rewriteImport(imp: ImportDeclaration, runtime: string): string | undefined {
  const named = imp.getNamedImports();
  const fromRuntime = named.filter((n) => RUNTIME_NAMES.has(n.getName()));
  const kept = named.filter((n) => !API_FUNCTIONS.has(n.getName()) && n.getName() !== "checkpoint" && !fromRuntime.includes(n));
  const namespace = imp.getNamespaceImport();
  if (kept.length === named.length && !namespace) return undefined;
  const lines: string[] = [];
  if (fromRuntime.length > 0) lines.push(`import { ${fromRuntime.map((n) => n.getText()).join(", ")} } from ${JSON.stringify(runtime)};`);
  // Only types left: `import type`, which is erased also under verbatimModuleSyntax (`import { type T }` would stay as `import "gradc"`).
  const typesOnly = kept.every((n) => n.isTypeOnly());
  const specifiers = kept.map((n) => (typesOnly ? `${n.getName()}${n.getAliasNode() ? ` as ${n.getAliasNode()!.getText()}` : ""}` : n.getText()));
  if (kept.length > 0) lines.push(`import ${typesOnly ? "type " : ""}{ ${specifiers.join(", ")} } from "gradc";`);
  const defaultImport = imp.getDefaultImport();
  if (defaultImport) lines.push(`import ${defaultImport.getText()} from "gradc";`);
  return lines.join(" ");
}

/** `checkpoint(fn)` calls of gradc's marker: in the bundle, `(fn)` (the marker only tells the compiler). */
function checkpointCalls(sourceFile: SourceFile): CallExpression[] {
  const local = gradcImports(sourceFile).flatMap((imp) => imp.getNamedImports()).find((n) => n.getName() === "checkpoint");
  if (!local) return [];
  const name = local.getAliasNode()?.getText() ?? "checkpoint";
  return sourceFile.getDescendantsOfKind(SyntaxKind.CallExpression).filter((call) => call.getExpression().getText() === name);
}
