// gradc/runtime never evaluates strings: a page running only generated code must work
// under a Content-Security-Policy without 'unsafe-eval'. So no `new Function`,
// `Function(…)` or `eval(…)` in runtime/ (nor in its build, dist/runtime, when there is
// one), and the runtime imports and multiplies matrices with Function and eval throwing.
// Also: matmul's per-type loop copies (runtime/kernels/gemm*.ts) stay one code.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { expect, test, vi } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = join(root, "dist/runtime");
const EVAL = /\bnew\s+Function\b|\bFunction\s*\(|\beval\s*\(/;

function files(dir: string, ext: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(ext)).map((f) => join(dir, f));
}

test("no string evaluation in the runtime's sources, nor in dist/runtime", () => {
  const all = [...files(join(root, "runtime"), ".ts"), ...(existsSync(dist) ? files(dist, ".js") : [])];
  expect(all.length).toBeGreaterThan(10);
  const hits = all.flatMap((f) =>
    readFileSync(f, "utf8").split("\n").flatMap((line, i) => (EVAL.test(line) ? [`${f}:${i + 1}: ${line.trim()}`] : [])));
  expect(hits, "dist/runtime is stale? npx tsc -p tsconfig.build.json").toEqual([]);
});

const builds = [["runtime/index.ts", join(root, "runtime/index.ts")]];
if (existsSync(join(dist, "index.js"))) builds.push(["dist/runtime/index.js", join(dist, "index.js")]);

test.each(builds)("%s imports and runs matmul with Function and eval throwing", async (_, file) => {
  const calls: string[] = [];
  const real = { Function: globalThis.Function, eval: globalThis.eval };
  const stub = (name: string) => {
    const refuse = function () { calls.push(name); throw new EvalError(`${name} called`); };
    refuse.prototype = real.Function.prototype; // instanceof Function still works
    return refuse;
  };
  vi.resetModules();
  let results: number[][];
  globalThis.Function = stub("Function") as unknown as FunctionConstructor;
  globalThis.eval = stub("eval");
  try {
    const { matmul } = await import(/* @vite-ignore */ pathToFileURL(file).href);
    // [1 2; 3 4]·[1 2; 3 4] = [7 10; 15 22], both loops (B, Bᵀ given as B), each element type and mixed
    const run = (T: Float64ArrayConstructor | Float32ArrayConstructor, U = T) => [
      ...matmul(new T(4), U.of(1, 2, 3, 4), U.of(1, 2, 3, 4), 2, 2, 2),
      ...matmul(new T(4), U.of(1, 2, 3, 4), U.of(1, 3, 2, 4), 2, 2, 2, false, true),
    ];
    results = [run(Float64Array), run(Float32Array), run(Float64Array, Float32Array)];
  } finally {
    globalThis.Function = real.Function;
    globalThis.eval = real.eval;
  }
  expect(calls).toEqual([]);
  for (const r of results) expect(r).toEqual([7, 10, 15, 22, 7, 10, 15, 22]);
});

test("gemm-f64.ts and gemm-f32.ts are gemm.ts's loops apart from the names", async () => {
  const generic = await import("../runtime/kernels/gemm.js");
  const copies = { F64: await import("../runtime/kernels/gemm-f64.js"), F32: await import("../runtime/kernels/gemm-f32.js") };
  for (const [suffix, mod] of Object.entries(copies)) {
    expect(Object.keys(mod).sort()).toEqual(Object.keys(generic).map((k) => k + suffix).sort());
    for (const [name, f] of Object.entries(generic)) {
      const copy = (mod as Record<string, unknown>)[name + suffix] as (...args: unknown[]) => void;
      expect(copy.toString().replace(name + suffix, name)).toBe(f.toString());
    }
  }
});
