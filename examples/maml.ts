// MAML with one inner step: learn an initialisation w such that one gradient step on a
// task's few support points fits that task's query points. Tasks are sine waves
// y = A sin(x + φ); the model is linear in the features [1, sin x, cos x, sin 2x].
//
//   metaLoss(w) = mean over tasks t of  queryLoss_t( w - α · grad(innerLoss)(w, support_t) )
//
// The meta-gradient differentiates through the inner `grad` call, so it contains the
// second-order term (I - α H_t): gradc compiles grad-of-grad from the source below.
import { grad, valueAndGrad } from "gradc";
import { centralGradient, type Example, maxRelError, norm, printTable, verdict } from "./check.js";
import { gaussian, random } from "./demo.js";

/** Mean squared error of w . X_i - y_i over rows i of task t (k rows per task, d = w.length columns). */
export function innerLoss(w: Float64Array, X: Float64Array, y: Float64Array, t: number, k: number): number {
  const d = w.length;
  let s = 0;
  for (let i = t * k; i < (t + 1) * k; i++) {
    let z = 0;
    for (let j = 0; j < d; j++) z += w[j] * X[i * d + j];
    const e = z - y[i];
    s += e * e;
  }
  return s / k;
}

/** One inner gradient step per task on its support set (Xs, ys), evaluated on its query set (Xq, yq). */
export function metaLoss(
  w: Float64Array,
  Xs: Float64Array,
  ys: Float64Array,
  Xq: Float64Array,
  yq: Float64Array,
  alpha: number,
  k: number,
  tasks: number,
): number {
  const d = w.length;
  let total = 0;
  for (let t = 0; t < tasks; t++) {
    const g = grad(innerLoss)(w, Xs, ys, t, k);
    const adapted = new Float64Array(d);
    for (let j = 0; j < d; j++) adapted[j] = w[j] - alpha * g[j];
    total += innerLoss(adapted, Xq, yq, t, k);
  }
  return total / tasks;
}

// A request site: compiled at run time on first call (innerLoss passed by name) and,
// by `gradc build`, ahead of time into maml.grad.ts, nesting included.
export const metaGrad = valueAndGrad(metaLoss, { functions: { innerLoss } });
const innerGrad = grad(innerLoss);

const features = (x: number) => [1, Math.sin(x), Math.cos(x), Math.sin(2 * x)];

/** `tasks` sine waves with random amplitude and phase, k support and k query points each. */
function sineTasks(tasks: number, k: number, seed: number) {
  const u = random(seed);
  const normal = gaussian(u);
  const d = features(0).length;
  const set = () => ({ X: new Float64Array(tasks * k * d), y: new Float64Array(tasks * k) });
  const support = set();
  const query = set();
  for (let t = 0; t < tasks; t++) {
    const amplitude = 0.5 + 1.5 * u();
    const phase = Math.PI * u();
    for (const s of [support, query]) {
      for (let i = t * k; i < (t + 1) * k; i++) {
        const x = -Math.PI + 2 * Math.PI * u();
        s.X.set(features(x), i * d);
        s.y[i] = amplitude * Math.sin(x + phase) + 0.05 * normal();
      }
    }
  }
  return { support, query, d };
}

async function run(): Promise<boolean> {
  const tasks = 8;
  const k = 5;
  const alpha = 0.3;
  const { support, query, d } = sineTasks(tasks, k, 5);
  const args = (w: Float64Array) => [w, support.X, support.y, query.X, query.y, alpha, k, tasks] as const;
  const w = Float64Array.of(0.5, -0.5, 0.5, 0.2);

  // The meta-gradient against central differences of the meta-loss (which calls gradc's
  // grad at run time), and against first-order MAML, which drops the second-order term.
  const [value, g] = metaGrad(...args(w)) as [number, Float64Array];
  const fdErr = maxRelError(g, centralGradient((v) => metaLoss(...args(v)), w));
  const valueErr = Math.abs(value - metaLoss(...args(w)));
  const firstOrder = new Float64Array(d);
  for (let t = 0; t < tasks; t++) {
    const gi = innerGrad(w, support.X, support.y, t, k) as Float64Array;
    const adapted = Float64Array.from(w, (wj, j) => wj - alpha * gi[j]);
    const gq = innerGrad(adapted, query.X, query.y, t, k) as Float64Array;
    for (let j = 0; j < d; j++) firstOrder[j] += gq[j] / tasks;
  }
  const fmt = (a: Float64Array) => `(${Array.from(a, (x) => x.toFixed(5)).join(", ")})`;
  console.log(`  meta-gradient ${fmt(g)}`);
  console.log(`  vs central differences: ${verdict(fdErr, 1e-6)}; value vs metaLoss: ${verdict(valueErr, 1e-12)}`);
  console.log(`  first-order MAML (no Hessian term) would give ${fmt(firstOrder)}`);

  // The same meta-gradient from the build path, when `gradc build` has generated it.
  let buildErr = 0;
  try {
    const built = await import(new URL("./maml.grad.js", import.meta.url).href);
    const [bv, bg] = built.metaGrad(...args(w)) as [number, Float64Array];
    buildErr = Math.max(Math.abs(bv - value), maxRelError(bg, g));
    console.log(`  build path (maml.grad.ts) vs run time: ${verdict(buildErr, 1e-12)}`);
  } catch (e) {
    console.log(`  build path: maml.grad.ts not loaded (${String(e).split("\n")[0]})`);
  }

  // A few meta-training steps: w <- w - beta * meta-gradient.
  const beta = 0.2;
  const rows = [["step", "meta-loss", "|meta-gradient|"]];
  const losses: number[] = [];
  for (let step = 0; step <= 6; step++) {
    const [loss, gw] = metaGrad(...args(w)) as [number, Float64Array];
    losses.push(loss);
    rows.push([String(step), loss.toFixed(6), norm(gw).toExponential(2)]);
    for (let j = 0; j < d; j++) w[j] -= beta * gw[j];
  }
  printTable(rows);
  const decreasing = losses.every((l, i) => i === 0 || l < losses[i - 1]);
  console.log(`  meta-loss decreasing: ${decreasing ? "ok" : "NO"}`);
  return fdErr <= 1e-6 && valueErr <= 1e-12 && buildErr <= 1e-12 && decreasing;
}

export const example: Example = {
  title: "MAML, one inner step, 8 sine-wave tasks x 5 support + 5 query points, 4 features",
  run,
};
