// Package hygiene: what `npm install gradc` pulls and ships. The demo's dataset is a
// devDependency; every source map in the build carries its sources (the .ts files are
// not shipped), so a debugger shows real code.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { expect, test } from "vitest";

const pkg = JSON.parse(readFileSync("package.json", "utf8"));

test("runtime dependencies are the compiler's own; the demo's dataset is a devDependency", () => {
  expect(Object.keys(pkg.dependencies).sort()).toEqual(["@jridgewell/gen-mapping", "acorn", "magic-string", "prettier", "ts-morph", "unplugin"]);
  expect(pkg.devDependencies.mnist).toBeDefined();
  expect(pkg.files).toEqual(["dist", "README.md"]);
});

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

test("every exported entry point is built; every shipped source map holds the sources it maps", () => {
  const out = mkdtempSync(path.join(tmpdir(), "gradc-dist-"));
  try {
    execFileSync(process.execPath, [path.resolve("node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json", "--outDir", out], { stdio: "pipe" });
    // Every entry point the package exports (the API, the runtime, the four bundler plugins) is built, with its types.
    expect(Object.keys(pkg.exports)).toEqual([".", "./runtime", "./vite", "./rollup", "./esbuild", "./webpack"]);
    for (const entry of Object.values(pkg.exports) as { types: string; default: string }[]) {
      for (const file of [entry.types, entry.default]) expect(statSync(path.join(out, file.replace(/^\.\/dist\//, ""))).isFile(), file).toBe(true);
    }
    const maps = files(out).filter((f) => f.endsWith(".map"));
    expect(maps.length).toBeGreaterThan(20);
    for (const m of maps) {
      const map = JSON.parse(readFileSync(m, "utf8"));
      expect(map.sourcesContent?.length, m).toBe(map.sources.length);
      expect(map.sourcesContent.every((s: unknown) => typeof s === "string" && s.length > 0), m).toBe(true);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}, 120_000);
