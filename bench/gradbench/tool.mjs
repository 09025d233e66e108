#!/usr/bin/env node
// gradc's GradBench tool: speaks GradBench's protocol on stdin/stdout (one JSON message a
// line). `define` loads evals/<module>.ts (load.mjs: bundled with gradc's esbuild plugin,
// so every derivative in it is compiled by gradc then; that time is the `define`
// timing); `evaluate` runs one of its functions as often as the input's min_runs and
// min_seconds ask, timing each run.
//
//   node bench/gradbench/tool.mjs     (after npm install, which builds gradc's dist/)
import * as readline from "node:readline";
import { hasEval, loadEval } from "./load.mjs";

const loaded = new Map();

async function define(module) {
  if (!hasEval(module)) return { success: false, error: `gradc's tool has no eval '${module}'` };
  const { functions, nanoseconds } = await loadEval(module);
  loaded.set(module, functions);
  return { success: true, timings: [{ name: "define", nanoseconds }] };
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
