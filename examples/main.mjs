// npm start: build the examples with the gradc CLI, compile them with tsc, then
// print, per example, the loss value, the gradient-check error (max relative
// error against central differences) and the time per call, for the build path
// (the generated examples/*.grad.ts) and the runtime path (valueAndGrad, no build).
// Then it runs the worked examples (modules exporting an `example`, see examples/check.ts:
// MAML, Hutchinson, Gauss-Newton, Newton), which print and check their own results.
// Last the main demo (a module exporting `mainDemo`, examples/mnist.ts: an MLP trained on
// MNIST digits), which takes a few seconds; GRADC_QUICK=1 skips it.

import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { performance } from "node:perf_hooks";
import { formatTime, measure } from "../bench/timing.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const at = (...p) => join(root, ...p);
const TOL = 1e-5;
let failures = 0;

function step(title, args) {
  console.log(`> ${title}`);
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: "inherit" });
  if (r.status !== 0) console.log(`  (exit code ${r.status})`);
  return r.status === 0;
}

function firstLine(e) {
  return String(e?.message ?? e).split("\n")[0];
}

if (!existsSync(at("dist/index.js")) || !existsSync(at("dist/runtime/numeric.js"))) {
  console.log("gradc is not built: run `npm install` first (its prepare script builds dist/).");
  process.exit(1);
}
const { numericGradient, maxRelError, relError } = await import("../dist/runtime/numeric.js");

// 1. Generate examples/*.grad.ts (stale ones removed first, so none is mistaken for new).
const sources = readdirSync(at("examples"))
  .filter((f) => f.endsWith(".ts") && !f.endsWith(".grad.ts") && !f.endsWith(".d.ts"))
  .sort();
for (const f of readdirSync(at("examples"))) if (f.endsWith(".grad.ts") || f.endsWith(".grad.ts.map")) rmSync(at("examples", f));
const cli = at("dist/compiler/cli.js");
const built = existsSync(cli)
  ? step("gradc build examples", [cli, "build", "examples"])
  : (console.log("> gradc build examples: skipped, the CLI (dist/compiler/cli.js) is not built yet"), false);
if (!built) failures++;

// 2. Compile the examples and their generated gradients to build/.
rmSync(at("build"), { recursive: true, force: true });
if (!step("tsc -p tsconfig.examples.json", [at("node_modules/typescript/bin/tsc"), "-p", "tsconfig.examples.json"])) {
  failures++;
}

// 3. Run each example module that exports a `demo`; then those that export a worked `example`.
const worked = [];
const mainDemos = [];
for (const file of sources) {
  const base = file.replace(/\.ts$/, "");
  const js = at("build/examples", `${base}.js`);
  let mod;
  try {
    mod = await import(pathToFileURL(js).href);
  } catch (e) {
    console.log(`\n${file}: cannot load ${js}: ${firstLine(e)}`);
    failures++;
    continue;
  }
  if (mod.example) worked.push([file, mod.example]);
  if (mod.mainDemo) mainDemos.push([file, mod.mainDemo]);
  if (!mod.demo) continue;
  await runExample(file, mod, await loadGenerated(base));
}
for (const [file, example] of worked) await runWorkedExample(file, example);
for (const [file, demo] of mainDemos) {
  if (process.env.GRADC_QUICK) console.log(`\n${demo.title}  (examples/${file}): skipped, GRADC_QUICK is set`);
  else await runWorkedExample(file, demo);
}

async function loadGenerated(base) {
  const js = at("build/examples", `${base}.grad.js`);
  if (!existsSync(js)) return { reason: `examples/${base}.grad.ts was not generated` };
  try {
    return { mod: await import(pathToFileURL(js).href) };
  } catch (e) {
    return { reason: `cannot load ${base}.grad.js: ${firstLine(e)}` };
  }
}

/** Central-difference gradient in the request's shape: one gradient, or a list for several wrt. */
function expectedGradient(demo, args) {
  const gs = demo.wrt.map((i) => numericGradient(demo.loss, args, i));
  return demo.wrt.length === 1 ? gs[0] : gs;
}

async function runExample(file, mod, generated) {
  const { demo } = mod;
  console.log(`\n${demo.title}  (examples/${file})`);
  const args = demo.args();
  const value = demo.loss(...args);

  const paths = {
    // The generated module's plain function.
    [`build (${file.replace(".ts", ".grad.ts")})`]:
      generated.mod?.[demo.request] ?? generated.reason ?? `${demo.request} is not exported by the generated module`,
    // The example's own `valueAndGrad(...)`, compiled at run time on its first call.
    "runtime (no build)": mod[demo.request],
  };
  const variants = { primal: { fn: demo.loss, args } };
  const results = {};
  for (const [name, fn] of Object.entries(paths)) {
    if (typeof fn !== "function") {
      results[name] = fn;
      continue;
    }
    try {
      results[name] = fn(...args);
      variants[name] = { fn, args };
    } catch (e) {
      results[name] = `failed: ${firstLine(e)}`;
    }
  }
  // Timed before the central differences, which call the loss on copies of its
  // arguments and could leave its property accesses polymorphic (slower).
  const t = measure(variants, { samples: 9, sampleMs: 5, warmupMs: 50 });
  const expected = expectedGradient(demo, args);

  const lines = [
    ["value", value.toPrecision(10)],
    ["primal", `${formatTime(t.primal)}/call`],
  ];
  for (const [name, r] of Object.entries(results)) {
    if (typeof r === "string") {
      failures++;
      lines.push([name, r]);
      continue;
    }
    const e = Math.max(maxRelError(r[1], expected), relError(r[0], value));
    if (!(e <= TOL)) failures++;
    const check = `grad-check ${e.toExponential(1)} ${e <= TOL ? "ok" : "TOO LARGE"}`;
    lines.push([name, `${check}, ${formatTime(t[name])}/call (${(t[name] / t.primal).toFixed(2)}x primal)`]);
  }
  const width = Math.max(...lines.map(([label]) => label.length));
  for (const [label, text] of lines) console.log(`  ${label.padEnd(width)}  ${text}`);
}

/** A worked example (see examples/check.ts): it prints its own results and checks them. */
async function runWorkedExample(file, example) {
  console.log(`\n${example.title}  (examples/${file})`);
  const t0 = performance.now();
  try {
    const ok = await example.run();
    console.log(`  ${ok ? "checks ok" : "CHECKS FAILED"} (${formatTime(performance.now() - t0)} in all, compiles included)`);
    if (!ok) failures++;
  } catch (e) {
    console.log(`  failed: ${firstLine(e)}`);
    failures++;
  }
}

if (failures > 0) {
  console.log(`\n${failures} step(s) failed or were skipped; see above.`);
  process.exitCode = 1;
}
