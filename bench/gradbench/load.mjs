// Loads an eval of gradc's GradBench tool: bundles evals/<module>.ts with esbuild and
// gradc's esbuild plugin — every derivative in it is compiled by gradc then — and
// imports the bundle. Used by the tool (tool.mjs) and the report (report.mjs).
import { existsSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");

/** The eval modules there are. */
export function hasEval(module) {
  return /^[a-z]+$/.test(module) && existsSync(path.join(here, "evals", `${module}.ts`));
}

/** `{ functions, nanoseconds }`: the eval's functions and how long bundling and compiling took. */
export async function loadEval(module) {
  const start = process.hrtime.bigint();
  const { build } = await import("esbuild");
  const { default: gradc } = await import(path.join(root, "dist/compiler/plugin/esbuild.js"));
  const out = await build({
    entryPoints: [path.join(here, "evals", `${module}.ts`)], bundle: true, format: "esm", platform: "node", write: false, logLevel: "silent",
    plugins: [gradc()], alias: { "gradc/runtime": path.join(root, "dist/runtime/index.js") },
  });
  const url = `data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString("base64")}`;
  const { functions } = await import(url);
  return { functions, nanoseconds: Number(process.hrtime.bigint() - start) };
}
