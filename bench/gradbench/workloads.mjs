// Workloads for the GradBench report: the conformance fixtures' inputs and inputs of
// GradBench's default sizes, generated here the way each eval's generator makes them
// (same sizes and distributions; a seeded generator of this project, not numpy's
// stream, so the numbers differ). ba and ht read ADBench's data files: GradBench runs
// the first two of each by default (ba1, ba2: the fixtures; ht: hand1, hand2 of four
// model directories, whose files are not shipped, so the report runs ht at the
// fixture's size only). particle and saddle have fixed inputs: the fixtures'.
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
/** The conformance fixtures: under GRADBENCH_SHARED, else ../shared/gradbench beside the project (as .ci/run). */
export const FIXTURES = path.join(process.env.GRADBENCH_SHARED ?? path.resolve(here, "../../../shared/gradbench"), "fixtures");

/** Each eval's primal and derivative function (particle and saddle have only derivatives). */
export const FUNCTIONS = {
  llsq: ["primal", "gradient"], lse: ["primal", "gradient"], det: ["primal", "gradient"], ode: ["primal", "gradient"],
  gmm: ["objective", "jacobian"], kmeans: ["cost", "dir"], lstm: ["objective", "jacobian"], ba: ["objective", "jacobian"],
  ht: ["objective", "jacobian"], particle: [undefined, "rr", "ff", "fr", "rf"], saddle: [undefined, "rr", "ff", "fr", "rf"],
};

/** Seeded uniform [0, 1) (mulberry32) and standard normal (Box-Muller) numbers. */
function rng(seed) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  const vector = (n, f = uniform) => Array.from({ length: n }, f);
  return { uniform, normal, vector, matrix: (rows, cols, f = uniform) => Array.from({ length: rows }, () => vector(cols, f)) };
}

const SEED = 31337;

/** GradBench's default sizes (`full`), or the smaller of them (`quick`, for a run of a few minutes). */
const GENERATED = {
  llsq: (quick) => (quick ? [1024, 4096, 16392] : [16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8196, 16392]).map((n) => {
    const r = rng(SEED);
    return { description: `n=${n},m=128`, input: { x: r.vector(128), n } };
  }),
  lse: (quick) => (quick ? [40000, 160000, 640000] : [2500, 5000, 10000, 20000, 40000, 80000, 160000, 320000, 640000, 1280000]).map((n) => {
    const r = rng(SEED);
    return { description: `n=${n}`, input: { x: r.vector(n) } };
  }),
  // GradBench's sizes, and n=12 (s=10): y(2)'s last entry is about Π x_i · 2ⁿ/n!, at
  // n=12 not yet below the smallest float, so its gradient is not zero (at n=1000 it is).
  ode: (quick) => [[12, 10], ...(quick ? [[1000, 10], [10000, 10]] : [1, 10, 100].flatMap((s) => [1000, 10000, 100000].map((n) => [n, s])))].map(([n, s]) => {
    const r = rng(SEED);
    return { description: `n=${n},s=${s}`, input: { x: r.vector(n), s } };
  }),
  det: (quick) => (quick ? [7, 8, 9] : [5, 6, 7, 8, 9, 10, 11]).map((ell) => {
    const r = rng(SEED);
    return { description: `${ell}`, input: { A: r.vector(ell * ell), ell } };
  }),
  gmm: (quick) => (quick ? [[2, 5], [10, 25], [20, 50], [64, 10]] : [2, 10, 20, 32, 64].flatMap((d) => [5, 10, 25, 50, 100].map((k) => [d, k]))).map(([d, k]) => {
    const r = rng(SEED);
    const n = 1000;
    const input = { d, k, n, x: r.matrix(n, d, r.normal), m: 0, gamma: 1, mu: r.matrix(k, d), q: r.matrix(k, d, r.normal), l: r.matrix(k, (d * (d - 1)) / 2, r.normal), alpha: r.vector(k, r.normal) };
    return { description: `${d}_${k}_${n}`, input };
  }),
  kmeans: (quick) => (quick ? [[10, 10000, 8], [100, 10000, 16]] : [10, 100, 1000].flatMap((k) => [1000, 10000, 100000].flatMap((n) => [8, 16].map((d) => [k, n, d])))).map(([k, n, d]) => {
    const r = rng(SEED);
    const points = r.matrix(n, d);
    return { description: `k=${k},n=${n},d=${d}`, input: { points, centroids: points.slice(-k) } };
  }),
  lstm: (quick) => (quick ? [[2, 1024]] : [2, 4].flatMap((l) => [1024, 4096].map((c) => [l, c]))).map(([l, c]) => {
    const r = rng(SEED);
    const b = 14;
    const signed = () => 2 * r.uniform() - 1;
    const input = { main_params: r.matrix(2 * l, 4 * b, signed), extra_params: r.matrix(3, b, signed), state: r.matrix(2 * l, b, signed), sequence: r.matrix(c, b, signed) };
    return { description: `l=${l},c=${c}`, input };
  }),
};

/** The fixture cases of an eval's function (empty when the fixtures are not beside the project). */
export function fixtureWorkloads(module, fn) {
  const file = path.join(FIXTURES, `${module}.jsonl`);
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l))
    .filter((c) => c.function === fn).map((c) => ({ description: `fixture ${c.description}`, input: c.input }));
}

/** Generated workloads of GradBench's default sizes, or none for evals that read data files. */
export function generatedWorkloads(module, quick) {
  return GENERATED[module]?.(quick) ?? [];
}
