// gradc's version, read from its package.json (found above this file, from dist/ or from source).
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

let version: string | undefined;

export function gradcVersion(): string {
  if (version) return version;
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "gradc") return (version = pkg.version ?? "0.0.0");
    }
    if (path.dirname(dir) === dir) return (version = "0.0.0");
  }
}
