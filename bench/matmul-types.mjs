// The runtime's matmul by element type: is each type as fast when a program uses both?
// V8 specialises a loop's element accesses to the array types it has seen, so a loop fed
// Float64Array and Float32Array runs both more slowly. Each workload runs in a fresh child
// process (fresh type feedback), on n x n products, A·B (rowsTimesMatrix) and A·Bᵀ (dotRows):
//   f64    only Float64Array matmuls;
//   f32    only Float32Array matmuls;
//   mixed  both in one program, alternating, timed per type;
//   +odd   as mixed, after one call with mixed element types (out f64, a and b f32).
// The question is about JavaScript loops, so the children run the js backend (GRADC_BACKEND=js)
// unless --backend=wasm (then same-type products run in WebAssembly, mixed ones in JS).
// Imports dist/: run `npx tsc -p tsconfig.build.json` first.
// Usage: node bench/matmul-types.mjs [n=256] [--no-eval: globalThis.Function and eval throw,
// from before the import] [--dist=DIR: another build, default dist/] [--backend=js|wasm]
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { rng } from "./cases.mjs";

const args = process.argv.slice(2);
const n = Number(args.find((a) => /^\d+$/.test(a)) ?? 256);
const workload = args.find((a) => a.startsWith("--workload="))?.slice(11);

if (workload === undefined) {
  const self = fileURLToPath(import.meta.url);
  const flags = args.filter((a) => a === "--no-eval" || a.startsWith("--dist="));
  const backend = args.find((a) => a.startsWith("--backend="))?.slice(10) ?? "js";
  const env = { ...process.env, GRADC_BACKEND: backend };
  console.log(`matmul n=${n}, ${backend} backend, CPU ms per product (fastest of 20, best of 3 processes) and GFLOP/s (2n^3 flops)${args.includes("--no-eval") ? ", Function and eval throwing" : ""}`);
  console.log("workload  type  A·B ms  GFLOP/s  A·Bᵀ ms  GFLOP/s");
  const gflops = (ms) => ((2 * n ** 3) / ms / 1e6).toFixed(2).padStart(7);
  for (const w of ["f64", "f32", "mixed", "+odd"]) {
    const best = {}; // type -> [A·B ms, A·Bᵀ ms], the fastest over 3 processes
    for (let run = 0; run < 3; run++) {
      const out = execFileSync(process.execPath, [self, String(n), `--workload=${w}`, ...flags], { encoding: "utf8", env });
      for (const [t, ...ms] of out.trim().split("\n").map((l) => l.split(" "))) {
        best[t] = ms.map((x, i) => Math.min(Number(x), best[t]?.[i] ?? Infinity));
      }
    }
    for (const [t, ms] of Object.entries(best)) {
      console.log(`${w.padEnd(8)}  ${t}  ${ms.map((m) => `${m.toFixed(2).padStart(7)}  ${gflops(m)}`).join("  ")}`);
    }
  }
} else {
  if (args.includes("--no-eval")) {
    globalThis.Function = function () { throw new EvalError("no eval"); };
    globalThis.eval = () => { throw new EvalError("no eval"); };
  }
  const dist = args.find((a) => a.startsWith("--dist="))?.slice(7);
  const url = dist === undefined ? new URL("../dist/", import.meta.url) : pathToFileURL(`${resolve(dist)}/`);
  const { matmul } = await import(new URL("runtime/kernels/index.js", url).href);
  const r = rng(n);
  const A64 = Float64Array.from({ length: n * n }, () => r() - 0.5);
  const B64 = Float64Array.from({ length: n * n }, () => r() - 0.5);
  const sets = {
    f64: { a: A64, b: B64, c: new Float64Array(n * n) },
    f32: { a: Float32Array.from(A64), b: Float32Array.from(B64), c: new Float32Array(n * n) },
  };
  if (workload === "+odd") matmul(new Float64Array(n * n), sets.f32.a, sets.f32.b, n, n, n);
  const types = workload === "f64" || workload === "f32" ? [workload] : ["f64", "f32"];
  const ms = {}; // type -> [A·B samples, A·Bᵀ samples]
  for (const t of types) ms[t] = [[], []];
  for (let s = 0; s < 25; s++) {
    for (const t of types) {
      const { a, b, c } = sets[t];
      for (const transB of [false, true]) {
        const t0 = process.cpuUsage();
        matmul(c, a, b, n, n, n, false, transB);
        const dt = process.cpuUsage(t0);
        ms[t][transB ? 1 : 0].push((dt.user + dt.system) / 1000);
      }
    }
  }
  // CPU time of the fastest call after 5 of warm-up: on a busy machine wall time and
  // medians measure the neighbours.
  const best = (v) => Math.min(...v.slice(5));
  for (const t of types) console.log(`${t} ${ms[t].map(best).join(" ")}`);
}
