// Entry checks, generated into each entry on both paths: typeof/instanceof/length
// conditions on `out`, the jvp tangent, the hvp direction and the vjp cotangent. When
// one fails, the runtime's outError/vectorError/cotangentError (runtime/checks.ts)
// find the first mismatch and throw a GradcError naming it.
import type { EntrySpec, Shape } from "../../runtime/checks.js";
import { arrayClass, kindTest, type Kind } from "../kinds.js";
import { parameterNames } from "../request-options.js";
import { kindType, locals, type EntryContext } from "./entry.js";

/** Runtime functions the checks call: imported by build modules, passed in at run time. */
export const CHECK_FUNCTIONS = ["outError", "vectorError", "cotangentError", "batchError", "outputError", "moduleValueError"];

const used = new WeakMap<EntryContext, Set<string>>();

/** The check functions an entry's checks call. */
export function usedChecks(c: EntryContext): string[] {
  return CHECK_FUNCTIONS.filter((f) => used.get(c)?.has(f));
}

/** A call of the runtime's check function `f` (recorded for the module's imports). */
function callCheck(c: EntryContext, f: string, args: string): string {
  let set = used.get(c);
  if (!set) used.set(c, (set = new Set()));
  set.add(f);
  return `${f}(${args})`;
}

/** `x` is shaped like the wrt arguments: like the one wrt argument, or an array of one per wrt for a list. */
function fitsWrt(c: EntryContext, x: string, exact: boolean): string {
  const { req } = c;
  const fits = (w: number, v: string) => kindTest(req.kinds[w], v, { arg: c.args[w], exact, ts: c.ts });
  if (!req.wrtIsList) return fits(req.wrt[0], x);
  return [`Array.isArray(${x}) && ${x}.length === ${req.wrt.length}`, ...req.wrt.map((w, j) => fits(w, `${x}[${j}]`))].join(" && ");
}

function shapeOf(k: Kind): Shape {
  if (k.k === "obj") return k.fields.map((f) => [f.name, shapeOf(f.kind)]);
  if (k.k === "plain") return "number[]";
  return k.k === "arr" ? (arrayClass(k) as Shape) : "number";
}

const specs = new WeakMap<EntryContext, string>();

/** The module-level constant describing this entry for messages (declared on first use). */
function spec(c: EntryContext, entry: string): string {
  const declared = specs.get(c);
  if (declared) return declared;
  const name = `${entry}_spec`;
  specs.set(c, name);
  const { req } = c;
  const params = parameterNames(req.fn.node).map((name, i) => name ?? `#${i + 1}`);
  const value: EntrySpec = {
    call: `${req.mode}(${req.fn.name})`, mode: req.mode, params, wrt: req.wrt, shapes: req.wrt.map((w) => shapeOf(req.kinds[w])), list: req.wrtIsList,
  };
  c.state.push(`const ${name}${c.ts ? ": EntrySpec" : ""} = ${JSON.stringify(value)};`);
  return name;
}

const argList = (c: EntryContext) => `[${c.args.join(", ")}]`;

/**
 * Build path: `if (a module-level value the derivative reads has another kind than it was
 * compiled for) throw`, one line per value (its name in `c.args` is the imported binding).
 */
export function checkModuleValues(c: EntryContext, entry: string): string[] {
  const { closure, fn } = c.req;
  const arity = fn.node.params.length;
  return (closure?.data ?? []).flatMap((name, k) => {
    const value = closure!.modules?.[name];
    if (!value) return [];
    const arg = c.args[arity + k];
    return [`  if (!(${kindTest(value.kind, arg)})) ${callCheck(c, "moduleValueError", `${spec(c, entry)}, ${JSON.stringify(name)}, ${arg}, ${JSON.stringify(kindType(value.kind))}`)};`];
  });
}

/** `if (out is given and not shaped like the gradient / H·v) throw`. */
export function checkShapedOut(c: EntryContext, entry: string): string {
  const { out } = locals(c);
  return `  if (${out} !== undefined && !(${fitsWrt(c, out, true)})) ${callCheck(c, "outError", `${spec(c, entry)}, ${argList(c)}, ${out}`)};`;
}

/** `if (the tangent / direction in `v` is not shaped like the wrt arguments) throw`. */
export function checkVector(c: EntryContext, entry: string, v: string): string {
  return `  if (!(${fitsWrt(c, v, false)})) ${callCheck(c, "vectorError", `${spec(c, entry)}, ${argList(c)}, ${v}`)};`;
}

/** `if (out is given and is not a Float64Array of `size` entries) throw` (Hessian, Jacobian; `rows` is m). */
export function checkMatrixOut(c: EntryContext, entry: string, size: string, rows = "undefined"): string {
  const { out } = locals(c);
  return `  if (${out} !== undefined && !(${out} instanceof Float64Array && ${out}.length === ${size})) ${callCheck(c, "outError", `${spec(c, entry)}, ${argList(c)}, ${out}, ${rows}`)};`;
}

/** jvp's out: a float array as long as the result's tangent. */
export function checkTangentOut(c: EntryContext, entry: string, tangent: string): string {
  const { out } = locals(c);
  // In TypeScript out is typed as one of the two: the other test is on `unknown`.
  const other = c.ts ? `(${out} as unknown) instanceof Float32Array` : `${out} instanceof Float32Array`;
  return `  if (!((${out} instanceof Float64Array || ${other}) && ${out}.length === ${tangent}.length)) ${callCheck(c, "outError", `${spec(c, entry)}, ${argList(c)}, ${out}, undefined, ${tangent}`)};`;
}

/** vjp's pullback: the cotangent is a number for a number-valued f, else a typed array of f's length. */
export function checkCotangent(c: EntryContext, entry: string, numberValued: boolean): string {
  const { cotangent, value } = locals(c);
  const ok = numberValued ? `typeof ${cotangent} === "number"` : `(ArrayBuffer.isView(${cotangent}) || Array.isArray(${cotangent})) && ${cotangent}.length === ${value}.length`;
  return `  if (!(${ok})) ${callCheck(c, "cotangentError", `${spec(c, entry)}, ${cotangent}, ${value}`)};`;
}

/** gradAndHvp's out: a pair [gradient, H·v] of buffers each shaped like the gradient. */
export function checkPairOut(c: EntryContext, entry: string): string {
  const { out } = locals(c);
  const fits = `Array.isArray(${out}) && ${out}.length === 2 && ${fitsWrt(c, `${out}[0]`, true)} && ${fitsWrt(c, `${out}[1]`, true)}`;
  return `  if (${out} !== undefined && !(${fits})) ${callCheck(c, "outError", `${spec(c, entry)}, ${argList(c)}, ${out}`)};`;
}

/**
 * A Jacobian's m came from `out`'s length: `if (f's value has another length) throw`
 * (`count`: a batch entry's count of items).
 */
export function checkRows(c: EntryContext, entry: string, value: string, count?: string): (first: string) => string {
  const { out, m } = locals(c);
  const error = count === undefined ? callCheck(c, "outError", `${spec(c, entry)}, ${argList(c)}, ${out}, ${value}.length`)
    : callCheck(c, "batchError", `${spec(c, entry)}, ${argList(c)}, ${count}, ${out}, ${value}.length`);
  return (first) => `if (${first} && ${value}.length !== ${m}) ${error};`;
}

/** A batch entry's count: an integer >= 0 that divides the length of every array argument `arrays`. */
export function checkBatch(c: EntryContext, entry: string, arrays: string[]): string {
  const { count } = locals(c);
  const divides = arrays.map((a) => `${a}.length % ${count} === 0`);
  const ok = [`Number.isInteger(${count})`, `${count} > 0`, ...divides].join(" && ");
  return `  if (!(${ok} || ${count} === 0${arrays.map((a) => ` && ${a}.length === 0`).join("")})) ${callCheck(c, "batchError", `${spec(c, entry)}, ${argList(c)}, ${count}`)};`;
}

/** A batch entry's out: a Float64Array of `size` entries (`rows`: m of each Jacobian). */
export function checkBatchOut(c: EntryContext, entry: string, size: string, rows: string): string {
  const { out, count } = locals(c);
  return `  if (${out} !== undefined && !(${out} instanceof Float64Array && ${out}.length === ${size})) ${callCheck(c, "batchError", `${spec(c, entry)}, ${argList(c)}, ${count}, ${out}, ${rows}`)};`;
}

/** grad with `output: k`: `if (f's result had no entry k) throw` (the selected entry read undefined). */
export function checkOutput(c: EntryContext, entry: string, value: string): string {
  return `  if (${value} === undefined) ${callCheck(c, "outputError", `${spec(c, entry)}, ${c.req.output}`)};`;
}
