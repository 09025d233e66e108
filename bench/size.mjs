// Cost independent of size (issue 13): gradient/primal of the chain of bench/compile.mjs
//   const uK = Math.sin(out * c[K % 4] + s); if (uK > 0) out += uK * a; else out -= uK * b;
// with 24 statements in its loop body and with 400, x of length 64, and the quotient
// of the two. A derivative that outgrows what V8's optimising compiler takes (60 KB of
// bytecode) runs interpreted unless gradc outlines it (compiler/transforms/outline.ts).
// Each variant first runs until its time per call settles (V8 compiles the outlined
// functions in the background, one after the other), then all are timed interleaved.
// Targets: gradient/primal of the 400-line body at most 3.5, and at most 1.25x that of
// the 24-line one. Usage: node bench/size.mjs [--quick] (or as part of npm run bench).
import { performance } from "node:perf_hooks";
import { chain } from "./compile.mjs";
import { measure } from "./timing.mjs";

const RATIO_MAX = 3.5;
const GROWTH_MAX = 1.25;

/**
 * Calls `fn` until its time per call has not improved by 3% for `calm` windows of `ms`
 * in a row (at most `maxMs`): V8 optimises the functions of a large derivative one
 * after the other, in the background, each step making calls faster.
 */
function settle(fn, args, ms, maxMs, calm = 4) {
  const end = performance.now() + maxMs;
  let best = Infinity;
  for (let still = 0; still < calm && performance.now() < end; ) {
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < ms || n < 3) { fn(...args); n++; }
    const per = (performance.now() - t0) / n;
    if (per < best * 0.97) { best = per; still = 0; } else still++;
  }
}

export function sizeBench(api, timing, quick) {
  console.log("\ncost independent of size: gradient/primal of a loop whose body is a chain of N statements (x of length 64)");
  if (!api) return console.log("  skipped: gradc not built"), false;
  const x = Float64Array.from({ length: 64 }, (_, i) => Math.sin(i));
  const c = new Float64Array([0.3, 0.2, 0.1, 0.05]);
  const variants = {};
  for (const lines of [24, 400]) {
    const primal = chain(lines);
    const grad = api.valueAndGrad(chain(lines));
    for (const fn of [primal, grad]) settle(fn, [x, c], 1000, 60000);
    variants[`primal ${lines}`] = { fn: primal, args: [x, c] };
    variants[`grad ${lines}`] = { fn: grad, args: [x, c] };
  }
  const t = measure(variants, timing);
  const small = t["grad 24"] / t["primal 24"];
  const large = t["grad 400"] / t["primal 400"];
  const ok = (r, max) => `${r.toFixed(2)} ${r <= max ? "ok" : "MISS"}`;
  console.log(`  24 lines:  primal ${(t["primal 24"] * 1e3).toFixed(1)} us, value and gradient ${(t["grad 24"] * 1e3).toFixed(1)} us, gradient/primal ${small.toFixed(2)}`);
  console.log(`  400 lines: primal ${(t["primal 400"] * 1e3).toFixed(1)} us, value and gradient ${(t["grad 400"] * 1e3).toFixed(1)} us, gradient/primal ${ok(large, RATIO_MAX)} (target <= ${RATIO_MAX})`);
  console.log(`  400 lines / 24 lines: ${ok(large / small, GROWTH_MAX)} (target <= ${GROWTH_MAX})`);
  return false;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const api = await import("../dist/index.js").catch(() => undefined);
  const quick = process.argv.includes("--quick");
  sizeBench(api, quick ? { samples: 5, sampleMs: 5, warmupMs: 50 } : { samples: 21, sampleMs: 10, warmupMs: 150 }, quick);
}
