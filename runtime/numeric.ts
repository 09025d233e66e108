// Finite-difference gradient check. Dependency-free: used by tests and by users
// who want to verify a compiled gradient against the function itself.

/** A differentiable argument, and so also the shape of a gradient. */
export type NumericValue =
  | number
  | Float64Array
  | Float32Array
  | { [field: string]: number | Float64Array | Float32Array };

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

  if (typeof x === "number") {
    const [up, down] = steps(x, opts.h ?? H64);
    return (evalWith(up) - evalWith(down)) / (up - down);
  }
  if (x instanceof Float64Array || x instanceof Float32Array) {
    return arrayGradient(x, (copy) => evalWith(copy), opts);
  }
  if (isPlainObject(x)) {
    const out: { [field: string]: number | Float64Array | Float32Array } = {};
    for (const key of Object.keys(x)) {
      const field = x[key];
      const withField = (value: unknown): number => evalWith({ ...copyObject(x), [key]: value });
      if (typeof field === "number") {
        const [up, down] = steps(field, opts.h ?? H64);
        out[key] = (withField(up) - withField(down)) / (up - down);
      } else if (field instanceof Float64Array || field instanceof Float32Array) {
        out[key] = arrayGradient(field, withField, opts);
      } else {
        throw new TypeError(`numericGradient: field '${key}' is neither a number nor a typed array`);
      }
    }
    return out;
  }
  throw new TypeError("numericGradient: argument must be a number, Float64Array, Float32Array or object of them");
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

/** Copy of an object argument whose typed-array fields are copied too. */
function copyObject(o: Record<string, unknown>): Record<string, unknown> {
  const c: Record<string, unknown> = {};
  for (const key of Object.keys(o)) {
    const v = o[key];
    c[key] = v instanceof Float64Array || v instanceof Float32Array ? v.slice() : v;
  }
  return c;
}

function copyArg(v: unknown): unknown {
  if (v instanceof Float64Array || v instanceof Float32Array) return v.slice();
  if (isPlainObject(v)) return copyObject(v);
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
 * numbers, typed arrays (either precision, same length), objects with the same
 * keys, or arrays of these (the result of a list `wrt`). Throws if the shapes differ.
 */
export function maxRelError(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return relError(a, b);
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

function isNumberArray(v: unknown): v is Float64Array | Float32Array {
  return v instanceof Float64Array || v instanceof Float32Array;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "Array";
  if (ArrayBuffer.isView(v)) return v.constructor.name;
  return typeof v;
}
