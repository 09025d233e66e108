// Reassigned arrays cost nothing per element: a recurrence written `h = next` (a new
// `next` each step, the name moved on) against the same recurrence written with an
// in-place copy (`h.set(next)` into one buffer), value-and-gradient of each measured in
// the same run. Target: state=next / in-place ≤ 1.1. Both gradients are checked against
// each other and against central differences before they are timed. The two run in
// pairs, back to back in a random order, and the row reports the median of the pairs'
// ratios: a slow phase of a shared machine hits both calls of a pair alike.
import { performance } from "node:perf_hooks";
import { formatTime, median } from "./timing.mjs";

const TARGET = 1.1;
const N = 48;
const STEPS = 64;

function rnnNext(w, h0, steps) {
  const n = h0.length;
  let h = h0;
  for (let t = 0; t < steps; t++) {
    const next = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = h[i];
      for (let j = 0; j < n; j++) s += w[i * n + j] * h[j];
      next[i] = Math.tanh(s);
    }
    h = next;
  }
  let r = 0;
  for (let i = 0; i < n; i++) r += h[i] * h[i];
  return r;
}

function rnnInPlace(w, h0, steps) {
  const n = h0.length;
  const h = h0.slice();
  const next = new Float64Array(n);
  for (let t = 0; t < steps; t++) {
    for (let i = 0; i < n; i++) {
      let s = h[i];
      for (let j = 0; j < n; j++) s += w[i * n + j] * h[j];
      next[i] = Math.tanh(s);
    }
    h.set(next);
  }
  let r = 0;
  for (let i = 0; i < n; i++) r += h[i] * h[i];
  return r;
}

function maxRelError(a, b) {
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(a[i]), Math.abs(b[i])));
  return e;
}

/** Central differences of f in its first argument, at a few entries. */
function checkEntries(f, g, args) {
  let worst = 0;
  for (const k of [0, 7, args[0].length - 1]) {
    const h = 1e-6;
    const at = (d) => { const w = args[0].slice(); w[k] += d; return f(w, ...args.slice(1)); };
    worst = Math.max(worst, maxRelError([(at(h) - at(-h)) / (2 * h)], [g[k]]));
  }
  return worst;
}

/** Median times of a and b, and the median ratio a/b over pairs of calls made back to back. */
function pairs(a, b, args, timing) {
  const time = (f) => { const t0 = performance.now(); f(...args); return performance.now() - t0; };
  const warm = performance.now() + timing.warmupMs * 4;
  while (performance.now() < warm) { time(a); time(b); }
  const n = timing.samples * 10 + 1;
  const ta = [], tb = [], ratios = [];
  for (let k = 0; k < n; k++) {
    const aFirst = Math.random() < 0.5;
    const x = aFirst ? time(a) : 0;
    const y = time(b);
    const z = aFirst ? x : time(a);
    ta.push(z);
    tb.push(y);
    ratios.push(z / y);
  }
  return { a: median(ta), b: median(tb), ratio: median(ratios), n };
}

/** Prints the row; returns true when the check or the target failed. */
export function aliasingBench(api, timing) {
  console.log("\nreassigned arrays: a recurrence h = next vs the same with an in-place copy (value and gradient, n = 48, 64 steps)");
  if (!api) return console.log("  skipped: gradc not built"), false;
  const w = Float64Array.from({ length: N * N }, (_, i) => 0.3 * Math.sin(i * 0.37) / Math.sqrt(N));
  const h0 = Float64Array.from({ length: N }, (_, i) => Math.cos(i * 0.11));
  const args = [w, h0, STEPS];
  const next = api.valueAndGrad(rnnNext, { wrt: [0, 1] });
  const inPlace = api.valueAndGrad(rnnInPlace, { wrt: [0, 1] });
  const [v1, g1] = next(...args);
  const [v2, g2] = inPlace(...args);
  const agree = Math.max(maxRelError([v1], [v2]), maxRelError(g1[0], g2[0]), maxRelError(g1[1], g2[1]));
  const fd = checkEntries(rnnNext, g1[0], args);
  if (agree > 1e-12 || fd > 1e-5) {
    console.log(`  not timed: the gradients disagree (${agree.toExponential(1)}) or miss central differences (${fd.toExponential(1)})`);
    return true;
  }
  const t = pairs(next, inPlace, args, timing);
  const r = t.ratio;
  console.log(`  h = next ${formatTime(t.a)}, in-place copy ${formatTime(t.b)}: state=next / in-place ${r.toFixed(2)} ${r <= TARGET ? "ok" : "MISS"} (target <= ${TARGET}; median of ${t.n} paired calls)`);
  return false;
}
