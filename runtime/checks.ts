// Entry checks of derivative functions. Each generated entry tests its `out`, tangent
// or direction with a few inline typeof/instanceof/length conditions; when one fails
// it calls one of these, which find the first mismatch and throw a GradcError naming it.
import { describeValue, propAccess, usageError } from "./errors.js";

/** The expected shape of a wrt argument: a number, a float array, or an object's fields in order. */
export type Shape = "number" | "Float64Array" | "Float32Array" | "number[]" | [string, Shape][];

/** What an entry's messages need to know, a constant in its module. */
export interface EntrySpec {
  /** How the derivative was made, as users wrote it: "grad(loss)". */
  call: string;
  mode: string;
  /** Names of f's parameters. */
  params: string[];
  /** The wrt parameters (indices), their shapes, and whether wrt was a list. */
  wrt: number[];
  shapes: Shape[];
  list: boolean;
}

/**
 * `out` does not fit the result for `args`. For a Jacobian, `rows` is m; for a
 * vector-valued `jvp`, `tangent` is the result's tangent (what out should be shaped like).
 */
export function outError(spec: EntrySpec, args: unknown[], out: unknown, rows?: number, tangent?: ArrayLike<number>): never {
  const { call, mode } = spec;
  if (mode === "hessian" || mode === "jacobian") {
    const n = flatSize(spec, args);
    const what = mode === "hessian"
      ? `the Hessian with respect to ${spec.wrt.map((w) => spec.params[w]).join(", ")} is ${n}×${n} = ${n * n}`
      : `the Jacobian is ${rows}×${n} = ${rows! * n}`;
    throw usageError("out", `${call}: ${out instanceof Float64Array ? `out has ${out.length} entries, ${what}` : `out is ${describeValue(out)}, ${what}, a Float64Array`}.`);
  }
  if (mode === "gradAndHvp") {
    if (!Array.isArray(out) || out.length !== 2) throw usageError("out", `${call}: out is ${describeValue(out)}; it must be a pair [gradient, H·v] of buffers, each shaped like the gradient.`);
    const why = mismatch(spec, out[0], args, "out[0]", (w) => `the gradient of ${spec.params[w]}`) ?? explainShaped(spec, out[1], args, "out[1]", (w) => `H·v of ${spec.params[w]}`, true);
    throw usageError("out", `${call}: ${why}.`);
  }
  if (mode === "jvp") {
    throw usageError("out", `${call}: out is ${describeValue(out)}, but the tangent of the result is ${describeValue(tangent)}; out must be a Float64Array or Float32Array of that length.`);
  }
  const result = mode === "hvp" ? "H·v" : "the gradient";
  throw usageError("out", `${call}: ${explainShaped(spec, out, args, "out", (w) => `${result} of ${spec.params[w]}`, true)}.`);
}

/** The jvp tangent or hvp direction `v` is missing or not shaped like the wrt arguments. */
export function vectorError(spec: EntrySpec, args: unknown[], v: unknown): never {
  const what = spec.mode === "jvp" ? "tangent" : "v (the direction)";
  if (v === undefined) {
    const form = spec.mode === "jvp" ? "jvp(f)(...args, tangent)" : "hvp(f)(...args, v)";
    const n = spec.params.length;
    const like = spec.list ? `[${spec.wrt.map((w) => spec.params[w]).join(", ")}]` : spec.params[spec.wrt[0]];
    throw usageError(what, `${spec.call}: ${what} is missing: ${form} takes it after f's ${n} argument${n === 1 ? "" : "s"}, shaped like ${like}.`);
  }
  throw usageError(what, `${spec.call}: ${explainShaped(spec, v, args, what, (w) => `argument '${spec.params[w]}'`, false)}.`);
}

/** vjp's pullback was given a cotangent that does not fit f's value. */
export function cotangentError(spec: EntrySpec, cotangent: unknown, value: unknown): never {
  const takes = typeof value === "number" ? "a number" : "a typed array (or an Array of numbers) of the same length";
  throw usageError("cotangent", `${spec.call}: the cotangent is ${describeValue(cotangent)}, f's value is ${describeValue(value)}; pullback(cotangent) takes ${takes}.`);
}

/**
 * Number of scalar inputs in the wrt arguments (the n of an n×n Hessian or an m×n
 * Jacobian); of one item when typed arrays hold `items` items each (a batch Jacobian).
 */
function flatSize(spec: EntrySpec, args: unknown[], items = 1): number {
  const size = (v: unknown): number =>
    typeof v === "number" ? 1 : ArrayBuffer.isView(v) ? (v as Float64Array).length / items : Object.values(v as object).reduce((s: number, x) => s + size(x), 0);
  return spec.wrt.reduce((s, w) => s + size(args[w]), 0);
}

/** grad/valueAndGrad with `output: k`: f's result has no entry k. */
export function outputError(spec: EntrySpec, output: number): never {
  throw usageError("output", `${spec.call}: output is ${output}, but f's result has no entry ${output} for these arguments (negative indices count from the end).`);
}

/**
 * A module-level array or object the derivative reads as data (build path) has another
 * kind than the one it was compiled for (`compiled`, in words).
 */
export function moduleValueError(spec: EntrySpec, name: string, value: unknown, compiled: string): never {
  throw usageError("module-level value", `${spec.call}: the module-level ${name} is ${describeValue(value)} now, and this derivative was compiled for ${compiled} (its kind when gradc compiled it): compile again, or pass it as an argument.`);
}

/**
 * A batch Jacobian's count does not divide its array arguments, or its `out` (given) is
 * not a Float64Array of count·m·n entries (`rows`: m).
 */
export function batchError(spec: EntrySpec, args: unknown[], count: unknown, out?: unknown, rows?: number): never {
  const arrays = spec.params.map((name, i) => [name, args[i]] as const).filter(([, a]) => ArrayBuffer.isView(a)) as [string, ArrayLike<number>][];
  if (!(Number.isInteger(count) && (count as number) >= 0) || arrays.some(([, a]) => (count === 0 ? a.length !== 0 : a.length % (count as number) !== 0))) {
    const lengths = arrays.map(([name, a]) => `${name} has ${a.length}`).join(", ");
    throw usageError("count", `${spec.call}: count is ${typeof count === "number" ? count : describeValue(count)}; it must be the number of items, an integer >= 0 dividing the length of every array argument (each holds count items of equal length, one after another${lengths ? `: ${lengths}` : ""}).`);
  }
  const c = count as number;
  const what = c === 0 ? "there are no Jacobians (count is 0)" : `the ${c} Jacobians are ${c}×${rows}×${flatSize(spec, args, c)} = ${c * rows! * flatSize(spec, args, c)}`;
  throw usageError("out", `${spec.call}: ${out instanceof Float64Array ? `out has ${out.length} entries, ${what}` : `out is ${describeValue(out)}, ${what}, a Float64Array`}.`);
}

/** The first mismatch of a value shaped like the wrt arguments (one per wrt with a list), in words. */
function explainShaped(spec: EntrySpec, v: unknown, args: unknown[], what: string, subject: (w: number) => string, exact: boolean): string {
  return mismatch(spec, v, args, what, subject, exact) ?? `${what} does not match`;
}

/** As explainShaped; undefined when `v` fits. */
function mismatch(spec: EntrySpec, v: unknown, args: unknown[], what: string, subject: (w: number) => string, exact = true): string | undefined {
  const { wrt } = spec;
  if (spec.list) {
    if (!Array.isArray(v) || v.length !== wrt.length) {
      const names = wrt.map((w) => spec.params[w]).join(", ");
      return `${what} is ${describeValue(v)}; with wrt a list of ${wrt.length}, it must be an array of ${wrt.length} (one per wrt parameter: ${names})`;
    }
    for (let j = 0; j < wrt.length; j++) {
      const e = explain(spec.shapes[j], v[j], args[wrt[j]], `${what}[${j}]`, subject(wrt[j]), exact);
      if (e) return e;
    }
    return undefined;
  }
  return explain(spec.shapes[0], v, args[wrt[0]], what, subject(wrt[0]), exact);
}

/** Why `v` is not shaped like `arg` (of shape `shape`); exact: the same float type too (out buffers). */
function explain(shape: Shape, v: unknown, arg: unknown, what: string, subject: string, exact: boolean): string | undefined {
  if (shape === "number") return typeof v === "number" ? undefined : `${what} is ${describeValue(v)}, ${subject} is a number`;
  if (typeof shape === "string") {
    const typed = v instanceof Float64Array || v instanceof Float32Array;
    const ok = shape === "number[]" ? Array.isArray(v) || (!exact && typed) : exact ? v instanceof (shape === "Float32Array" ? Float32Array : Float64Array) : typed;
    if (!ok) return `${what} is ${describeValue(v)}, ${subject} is ${describeValue(arg)}`;
    const n = (v as ArrayLike<number>).length;
    const want = (arg as Float64Array).length;
    return n === want ? undefined : `${what} has ${n} entries, ${subject} has ${want}`;
  }
  if (typeof v !== "object" || v === null) return `${what} is ${describeValue(v)}, ${subject} is ${describeValue(arg)}`;
  for (const [name, field] of shape) {
    const fv = (v as Record<string, unknown>)[name];
    const fa = (arg as Record<string, unknown>)[name];
    const sub = propAccess(subject, name);
    if (fv === undefined) return `${what} has no field ${JSON.stringify(name)} (${sub} is ${describeValue(fa)})`;
    const e = explain(field, fv, fa, propAccess(what, name), sub, exact);
    if (e) return e;
  }
  return undefined;
}
