// Finite-difference gradient check. Dependency-free: used by tests and by users
// who want to verify a compiled gradient against the function itself.

/** A differentiable argument, and so also the shape of a gradient: objects may nest. */
export type NumericValue =
  | number
  | Float64Array
  | Float32Array
  | { [field: string]: NumericValue };

export interface NumericOptions {
  /**
   * Base step. The step for an entry x is `h * max(1, |x|)`.
   * Default: 1e-6 for float64 entries (numbers and Float64Array), 1e-3 for Float32Array entries.
   */
  h?: number;
}

const H64 = 1e-6;
const H32 = 1e-3;

type AnyFn = (...args: any[]) => number;

/**
 * Central-difference gradient of `f(...args)` with respect to `args[wrt]`.
 *
 * Each entry x is moved to x+s and x-s with s = h * max(1, |x|); the slope is
 * (f(x+s) - f(x-s)) / (x+s - (x-s)), where the denominator is taken from the
 * values actually stored (in a Float32Array they are rounded), so the step error
 * of single precision does not bias the result. Every evaluation receives a
 * fresh copy of every argument; the caller's arguments are never written.
 *
 * Returns the same shape as `args[wrt]`: a number, a typed array of the same
 * type and length, or an object with the same keys.
 */
export function numericGradient(
  f: AnyFn,
  args: readonly unknown[],
  wrt: number,
  opts: NumericOptions = {},
): NumericValue {
  if (!Number.isInteger(wrt) || wrt < 0 || wrt >= args.length) {
    throw new RangeError(`numericGradient: wrt=${wrt} is not an argument index (have ${args.length})`);
  }
  const x = args[wrt];
  // Every evaluation gets fresh copies of all arguments, so an f that writes
  // its arguments neither corrupts the caller's values nor later evaluations.
  const evalWith = (value: unknown): number => {
    const a = args.map(copyArg);
    a[wrt] = value;
    return f(...a);
  };

  return gradientOf(x, evalWith, opts, "argument");
}

/** Central-difference gradient with respect to `x`; `run` evaluates f with a value in its place. */
function gradientOf(x: unknown, run: (value: unknown) => number, opts: NumericOptions, what: string): NumericValue {
  if (typeof x === "number") {
    const [up, down] = steps(x, opts.h ?? H64);
    return (run(up) - run(down)) / (up - down);
  }
  if (x instanceof Float64Array || x instanceof Float32Array) return arrayGradient(x, run, opts);
  if (isPlainObject(x)) {
    const out: { [field: string]: NumericValue } = {};
    for (const key of Object.keys(x)) {
      const withField = (value: unknown): number => run({ ...(copyArg(x) as object), [key]: value });
      out[key] = gradientOf(x[key], withField, opts, `field '${key}'`);
    }
    return out;
  }
  throw new TypeError(`numericGradient: ${what} must be a number, Float64Array, Float32Array or object of them`);
}

/** Gradient over every entry of `x`; `run` is called with a perturbed copy of `x`. */
function arrayGradient<T extends Float64Array | Float32Array>(
  x: T,
  run: (copy: T) => number,
  opts: NumericOptions,
): T {
  const single = x instanceof Float32Array;
  const base = opts.h ?? (single ? H32 : H64);
  const g = (single ? new Float32Array(x.length) : new Float64Array(x.length)) as T;
  for (let i = 0; i < x.length; i++) {
    const up = x.slice() as T;
    const down = x.slice() as T;
    const [u, d] = steps(x[i], base);
    up[i] = u;
    down[i] = d;
    // Stored values: rounded to single precision in a Float32Array.
    const width = up[i] - down[i];
    g[i] = (run(up) - run(down)) / width;
  }
  return g;
}

function steps(x: number, base: number): [number, number] {
  const s = base * Math.max(1, Math.abs(x));
  return [x + s, x - s];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

/** A deep copy of an argument: typed arrays (of any element type) and nested objects are copied. */
function copyArg(v: unknown): unknown {
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return (v as Float64Array).slice();
  if (isPlainObject(v)) {
    const c: Record<string, unknown> = {};
    for (const key of Object.keys(v)) c[key] = copyArg(v[key]);
    return c;
  }
  return v;
}

/**
 * Relative error of two numbers, as used throughout gradc's checks:
 *
 *     relError(a, b) = |a - b| / max(|a|, |b|, 1)
 *
 * It is the relative error when either value exceeds 1 in magnitude and the
 * absolute error otherwise, so gradients near zero are not held to an
 * impossible relative standard. NaN or infinite values give Infinity unless
 * both are the same infinity.
 */
export function relError(a: number, b: number): number {
  if (a === b) return 0;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return Infinity;
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1);
}

/**
 * Largest `relError` over matching entries of two gradients of the same shape:
 * numbers, typed arrays (of numbers, same length), objects with the same keys
 * (nested too), or arrays of these (the result of a list `wrt`). Booleans (data in
 * argument lists) count as 0 when equal and Infinity otherwise. Throws if the shapes differ.
 */
export function maxRelError(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return relError(a, b);
  if (typeof a === "boolean" && typeof b === "boolean") return a === b ? 0 : Infinity;
  if (isNumberArray(a) && isNumberArray(b)) {
    if (a.length !== b.length) throw new Error(`maxRelError: lengths differ (${a.length} vs ${b.length})`);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, relError(a[i], b[i]));
    return worst;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) throw new Error(`maxRelError: list lengths differ (${a.length} vs ${b.length})`);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, maxRelError(a[i], b[i]));
    return worst;
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    if (ka.join(",") !== kb.join(",")) {
      throw new Error(`maxRelError: keys differ ({${ka.join(",")}} vs {${kb.join(",")}})`);
    }
    let worst = 0;
    for (const key of ka) worst = Math.max(worst, maxRelError(a[key], b[key]));
    return worst;
  }
  throw new Error(`maxRelError: values of different shapes (${describe(a)} vs ${describe(b)})`);
}

function isNumberArray(v: unknown): v is Float64Array {
  return ArrayBuffer.isView(v) && !(v instanceof DataView) && !(v instanceof BigInt64Array) && !(v instanceof BigUint64Array);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "Array";
  if (ArrayBuffer.isView(v)) return v.constructor.name;
  return typeof v;
}
