#!/usr/bin/env node
// gradc's GradBench tool: speaks GradBench's protocol on stdin/stdout (one JSON message a
// line). `define` bundles evals/<module>.ts with esbuild and gradc's esbuild plugin —
// so every derivative in it is compiled by gradc at that moment, and the time it takes
// is reported as the `define` timing — and imports the bundle; `evaluate` runs one of
// its functions as often as the input's min_runs and min_seconds ask, timing each run.
//
//   node bench/gradbench/tool.mjs     (after npm install, which builds gradc's dist/)
import { existsSync } from "node:fs";
import * as path from "node:path";
import * as readline from "node:readline";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const loaded = new Map();

async function define(module) {
  const file = path.join(here, "evals", `${module}.ts`);
  if (!/^[a-z]+$/.test(module) || !existsSync(file)) return { success: false, error: `gradc's tool has no eval '${module}'` };
  const start = process.hrtime.bigint();
  const { build } = await import("esbuild");
  const { default: gradc } = await import(path.join(root, "dist/compiler/plugin/esbuild.js"));
  const out = await build({
    entryPoints: [file], bundle: true, format: "esm", platform: "node", write: false, logLevel: "silent",
    plugins: [gradc()], alias: { "gradc/runtime": path.join(root, "dist/runtime/index.js") },
  });
  const url = `data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString("base64")}`;
  loaded.set(module, (await import(url)).functions);
  return { success: true, timings: [{ name: "define", nanoseconds: Number(process.hrtime.bigint() - start) }] };
}

function evaluate(module, name, input) {
  const fn = loaded.get(module)?.[name];
  if (!fn) return { success: false, error: `eval '${module}' has no function '${name}'` };
  const prepared = fn.prepare(input);
  const minRuns = input?.min_runs ?? 1;
  const minSeconds = input?.min_seconds ?? 0;
  const timings = [];
  let result;
  let spent = 0;
  while (timings.length < minRuns || spent < minSeconds * 1e9) {
    const t = process.hrtime.bigint();
    result = fn.run(prepared);
    const ns = Number(process.hrtime.bigint() - t);
    timings.push({ name: "evaluate", nanoseconds: ns });
    spent += ns;
  }
  return { success: true, output: fn.output(result), timings };
}

async function handle(msg) {
  switch (msg.kind) {
    case "start": return { tool: "gradc" };
    case "define": return define(msg.module);
    case "evaluate": return evaluate(msg.module, msg.function, msg.input);
    default: return {};
  }
}

for await (const line of readline.createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const msg = JSON.parse(line);
  let reply;
  try {
    reply = await handle(msg);
  } catch (e) {
    reply = { success: false, error: String(e?.stack ?? e) };
  }
  process.stdout.write(`${JSON.stringify({ id: msg.id, ...reply })}\n`);
}
