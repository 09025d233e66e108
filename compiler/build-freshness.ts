// Whether a generated module is up to date: its header carries a hash of what it was
// made from (the source module, the local modules it imports, the options, gradc's
// version); `gradc build --check` compares it with the hash of the files as they are.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import type { Project, SourceFile } from "ts-morph";
import { gradcVersion } from "./version.js";

const HASH_LINE = /^\/\/ gradc \S+, inputs hash ([0-9a-f]{16})\b/m;

/** The header line recording the hash. */
export function hashLine(hash: string): string {
  return `// gradc ${gradcVersion()}, inputs hash ${hash}: \`gradc build --check\` tells whether this file is up to date.\n`;
}

/** Hash of the source module, the local modules it imports (transitively), the runtime import and gradc's version. */
export function inputsHash(project: Project, file: string, runtimeImport: string | undefined): string {
  const h = createHash("sha256");
  h.update(`gradc ${gradcVersion()}\nruntime ${runtimeImport ?? "gradc/runtime"}\n`);
  for (const sf of localModules(project, file)) {
    h.update(`${path.relative(path.dirname(file), sf.getFilePath())}\n${sf.getFullText()}\n`);
  }
  return h.digest("hex").slice(0, 16);
}

/** The module and the modules it imports that are not packages or declarations, sorted by path. */
function localModules(project: Project, file: string): SourceFile[] {
  const seen = new Map<string, SourceFile>();
  const visit = (sf: SourceFile | undefined) => {
    if (!sf || seen.has(sf.getFilePath()) || sf.isDeclarationFile() || sf.isInNodeModules()) return;
    seen.set(sf.getFilePath(), sf);
    for (const d of sf.getImportDeclarations()) visit(d.getModuleSpecifierSourceFile());
    for (const d of sf.getExportDeclarations()) visit(d.getModuleSpecifierSourceFile());
  };
  visit(project.getSourceFile(file) ?? project.addSourceFileAtPath(file));
  return [...seen.values()].sort((a, b) => a.getFilePath().localeCompare(b.getFilePath()));
}

/** Why `output` is not the current build of its inputs (undefined when it is). */
export function staleness(output: string, hash: string): string | undefined {
  if (!existsSync(output)) return "missing";
  const found = HASH_LINE.exec(readFileSync(output, "utf8"))?.[1];
  if (!found) return "no inputs hash in its header (made by an older gradc)";
  return found === hash ? undefined : "its source or an imported module changed since it was generated";
}
