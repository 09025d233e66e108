// Output size and build time (issue 13): the build path (compileModule, what `gradc build`
// runs per file) on the chain losses of bench/compile.mjs written as a TypeScript module,
// for a gradient and an HVP. Prints the generated module's size over the loss's source,
// both with comments and whitespace stripped, against the targets (≤ 3× for a gradient,
// ≤ 6× for an HVP), and the build time per source line (flat when the build is linear).
// Usage: node bench/output-size.mjs [--quick] (or as part of npm run bench; needs dist/).
import { performance } from "node:perf_hooks";
import { chain } from "./compile.mjs";

const TARGET = { grad: 3, hvp: 6 };

/** The text without comments and whitespace. */
const stripped = (text) => text.replace(/\/\/[^\n]*/g, "").replace(/\/\*[\s\S]*?\*\//g, "").replace(/\s+/g, "");

/** The chain loss of `lines` statements as a typed module function. */
function lossSource(lines) {
  return `export ${chain(lines).toString().replace("function loss(x, c)", "function loss(x: Float64Array, c: Float64Array): number")}`;
}

export async function outputSizeBench(compileModule, quick) {
  console.log("\noutput size and build time: compileModule (gradc build's step per file) on the chain losses after a warm-up, comments and whitespace stripped");
  if (!compileModule) return console.log("  skipped: gradc not built"), false;
  const compile = (text, lines) => compileModule(text, `/virtual/chain${lines}.ts`, { host: { readFile: () => undefined } });
  // Warm-up: the TypeScript checker and formatter start once per process, not per file.
  await compile(`import { grad } from "gradc";\n${lossSource(4)}\nexport const derivative = grad(loss);\n`, 4);
  const rows = [];
  for (const lines of quick ? [24, 400] : [24, 100, 400]) {
    const source = lossSource(lines);
    for (const mode of ["grad", "hvp"]) {
      const text = `import { ${mode} } from "gradc";\n${source}\nexport const derivative = ${mode}(loss);\n`;
      const t0 = performance.now();
      const out = await compile(text, lines);
      const ms = performance.now() - t0;
      if (!out.code) throw new Error(`chain ${lines} ${mode}: ${out.diagnostics.map((d) => d.message).join("; ")}`);
      rows.push({ name: `chain ${lines} ${mode}`, lines: lines + 5, ratio: stripped(out.code).length / stripped(source).length, target: TARGET[mode], ms, outLines: out.code.split("\n").length });
    }
  }
  const head = ["case", "source lines", "output lines", "output / source", "target", "build", "per line"];
  const body = rows.map((r) => [r.name, String(r.lines), String(r.outLines), `${r.ratio.toFixed(2)}x`, `<= ${r.target}x ${r.ratio <= r.target ? "ok" : "MISS"}`, `${r.ms.toFixed(0)} ms`, `${(r.ms / r.lines).toFixed(2)} ms`]);
  const width = head.map((h, j) => Math.max(h.length, ...body.map((r) => r[j].length)));
  const line = (r) => "  " + r.map((s, j) => (j === 0 ? s.padEnd(width[j]) : s.padStart(width[j]))).join("  ");
  console.log(line(head));
  console.log("  " + width.map((w) => "-".repeat(w)).join("  "));
  for (const r of body) console.log(line(r));
  console.log(`  targets: the generated module at most ${TARGET.grad}x the source for a gradient, ${TARGET.hvp}x for an HVP; build time per line flat (linear in the source)`);
  return false;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const lib = await import("../dist/compiler/compile-module.js").catch(() => undefined);
  await outputSizeBench(lib?.compileModule, process.argv.includes("--quick"));
}
