// Small helpers for the examples run as scripts (deep-network.ts, recurrent-clipping.ts):
// "was this module started by node?" and writing a file into examples/out/.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** True when the module at `moduleUrl` is the script node was started with (not an import). */
export function isMain(moduleUrl: string): boolean {
  const script = process.argv[1];
  return script !== undefined && pathToFileURL(script).href === moduleUrl;
}

/** The repository root: the nearest directory above this module holding a package.json. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
}

/** Writes `text` to examples/out/<name> (creating the directory); returns the path relative to the root. */
export function writeOutput(name: string, text: string): string {
  const root = repoRoot();
  const dir = join(root, "examples", "out");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, text);
  return relative(root, path);
}
