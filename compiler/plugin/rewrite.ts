// The plugin's edit of a module with request sites: each site's call becomes a reference
// to its entry in the generated module, which the module then imports; the gradc imports
// the sites used go away, so the bundle does not pull in the compiler.
import MagicString from "magic-string";
import { SyntaxKind, type CallExpression, type SourceFile } from "ts-morph";
import { API_FUNCTIONS, type RequestSite } from "../build-sites.js";

/** Local name of a site's entry in the rewritten module. */
export function entryLocal(site: RequestSite): string {
  return `__gradc_${site.exportName}`;
}

/** `code` (the text of `sourceFile`) with its sites replaced and the generated module imported from `generated`. */
export function rewriteSites(code: string, sourceFile: SourceFile, sites: RequestSite[], generated: string): MagicString {
  const s = new MagicString(code);
  for (const site of sites) s.overwrite(site.start!, site.end!, entryLocal(site));
  for (const call of checkpointCalls(sourceFile)) s.remove(call.getExpression().getStart(), call.getExpression().getEnd());
  for (const imp of sourceFile.getImportDeclarations()) {
    if (imp.getModuleSpecifierValue() !== "gradc") continue;
    const kept = imp.getNamedImports().filter((n) => !API_FUNCTIONS.has(n.getName()) && n.getName() !== "checkpoint");
    const namespaceOnly = imp.getNamespaceImport() && !imp.getDefaultImport();
    if (kept.length === 0 && (namespaceOnly || !imp.getNamespaceImport())) s.remove(imp.getStart(), imp.getEnd());
    else if (kept.length < imp.getNamedImports().length) s.overwrite(imp.getStart(), imp.getEnd(), `import { ${kept.map((n) => n.getText()).join(", ")} } from "gradc";`);
  }
  const names = sites.map((site) => `${site.exportName} as ${entryLocal(site)}`).join(", ");
  s.prepend(`import { ${names} } from ${JSON.stringify(generated)};\n`);
  return s;
}

/** `checkpoint(fn)` calls of gradc's marker: in the bundle, `(fn)` (the marker only tells the compiler). */
function checkpointCalls(sourceFile: SourceFile): CallExpression[] {
  const local = sourceFile.getImportDeclarations()
    .filter((imp) => imp.getModuleSpecifierValue() === "gradc")
    .flatMap((imp) => imp.getNamedImports())
    .find((n) => n.getName() === "checkpoint");
  if (!local) return [];
  const name = local.getAliasNode()?.getText() ?? "checkpoint";
  return sourceFile.getDescendantsOfKind(SyntaxKind.CallExpression).filter((call) => call.getExpression().getText() === name);
}
