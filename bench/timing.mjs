// Timing helper: warm-up, calibrated batches, interleaved samples, medians.
//
// A variant is { fn, args }; one operation is fn(...args). Each variant gets its
// own generated driver loop (new Function), so the call site inside the loop sees
// one target only and V8 can inline it just as it would in user code; a single
// shared loop would turn megamorphic and blur small cases.

import { performance } from "node:perf_hooks";

/** Anything fn returns is folded into this so the work cannot be optimised away. */
let sink = 0;

function makeDriver(arity) {
  const call = `fn(${Array.from({ length: arity }, (_, i) => `a[${i}]`).join(", ")})`;
  // The result is a number (value) or an array whose first item is the value.
  const body = `let s = 0;
    for (let k = 0; k < K; k++) {
      const r = ${call};
      s += typeof r === "number" ? r : r[0];
    }
    return s;`;
  return new Function("fn", "a", "K", body);
}

function timeBatch(v, K) {
  const t0 = performance.now();
  sink += v.driver(v.fn, v.args, K);
  return performance.now() - t0;
}

/** Number of operations that takes about `ms` milliseconds. */
function calibrate(v, ms) {
  let K = 1;
  let t = timeBatch(v, K);
  while (t < ms / 4 && K < 1 << 30) {
    K *= 2;
    t = timeBatch(v, K);
  }
  return Math.max(1, Math.round((K * ms) / Math.max(t, 1e-3)));
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Times every variant of one case, interleaved: sample j runs all variants, in a
 * shuffled order, before sample j+1 starts, so a slow phase of a shared machine
 * hits every variant alike. Returns { name: median ms per operation }.
 *
 * @param {Record<string, {fn: Function, args: unknown[]}>} variants
 * @param {{samples?: number, sampleMs?: number, warmupMs?: number}} [opts]
 */
export function measure(variants, opts = {}) {
  const { samples = 15, sampleMs = 10, warmupMs = 150 } = opts;
  const vs = Object.entries(variants).map(([name, v]) => ({
    name,
    fn: v.fn,
    args: v.args,
    driver: makeDriver(v.args.length),
    K: 1,
    times: [],
  }));
  // Warm-up: let each variant reach optimised code before it is calibrated.
  // Batches double in size, so the overshoot past warmupMs is at most about warmupMs.
  for (const v of vs) {
    const end = performance.now() + warmupMs;
    for (let K = 1; performance.now() < end; K *= 2) timeBatch(v, K);
    v.K = calibrate(v, sampleMs);
  }
  let seed = 1;
  for (let j = 0; j < samples; j++) {
    // Fisher-Yates with a fixed LCG: each variant follows each other one about
    // equally often, so the garbage one leaves behind is not always paid by the same.
    const order = [...vs];
    for (let i = order.length - 1; i > 0; i--) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      const r = seed % (i + 1);
      [order[i], order[r]] = [order[r], order[i]];
    }
    for (const v of order) v.times.push(timeBatch(v, v.K) / v.K);
  }
  return Object.fromEntries(vs.map((v) => [v.name, median(v.times)]));
}

/** A duration in milliseconds, in ns, µs or ms as fits. */
export function formatTime(ms) {
  if (ms === undefined) return "—";
  if (ms < 1e-3) return `${(ms * 1e6).toFixed(1)} ns`;
  if (ms < 1) return `${(ms * 1e3).toFixed(1)} µs`;
  return `${ms.toFixed(2)} ms`;
}

/** Keeps the accumulated results observable (printed as a checksum). */
export function checksum() {
  return sink;
}
