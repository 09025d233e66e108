// What the checkpointing examples (neural-ode.ts, residual-checkpoint.ts) measure about a
// gradient: its result, the most bytes the tapes held during one call (Tape.peakBytes,
// snapshots included), and its time; and how far two gradients are apart.
import { Tape } from "gradc/runtime";

/** max |a - b| / max(|a|, |b|, 1) over numbers, typed arrays, and arrays or objects of them. */
export function maxRelDiff(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return Math.abs(a - b) / Math.max(1, Math.abs(a), Math.abs(b));
  if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
    const x = a as Float64Array, y = b as Float64Array;
    let e = x.length === y.length ? 0 : Infinity;
    for (let i = 0; i < x.length; i++) e = Math.max(e, Math.abs(x[i] - y[i]) / Math.max(1, Math.abs(x[i]), Math.abs(y[i])));
    return e;
  }
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null) {
    const ka = Object.keys(a), kb = Object.keys(b);
    if (ka.length !== kb.length) return Infinity;
    let e = 0;
    for (const k of ka) e = Math.max(e, maxRelDiff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
    return e;
  }
  return Infinity;
}

export interface Measured<R> {
  result: R;
  /** Tape.peakBytes over the first call: what the derivative code held for its backward sweep. */
  peakBytes: number;
  /** Median time of `repeats` calls after `warmup` more, in ms. */
  ms: number;
}

/**
 * Calls fn once with the tape peak reset (its result and peak bytes), `warmup` times more so
 * that V8 optimises it, then `repeats` times for its time.
 */
export function measureGradient<R>(fn: () => R, repeats = 7, warmup = 5): Measured<R> {
  const before = Tape.bytes;
  Tape.resetPeak();
  const result = fn();
  const peakBytes = Tape.peakBytes - before;
  for (let w = 0; w < warmup; w++) fn();
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((x, y) => x - y);
  return { result, peakBytes, ms: times.length ? times[times.length >> 1] : NaN };
}

export function formatBytes(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} kB` : `${n} B`;
}
