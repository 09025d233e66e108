// Functions made from functions. `grad(f, opts)` is itself a function of f's arguments, and
// differentiating it composes derivatives (JAX's grad(grad(f)), jacobian(grad(f)), a
// derivative bound to a local and called later). gradc differentiates it as the wrapper
// `(x, …) => grad(f, opts)(x, …)`, whose body is a derivative called inside differentiated
// code (lower/derivative.ts): the nested derivative's IR is inlined and differentiated
// again, in every mode. A Math function used as a function (`grad(Math.tanh)`) is the
// wrapper `(x) => Math.tanh(x)` the same way.
import type * as ESTree from "acorn";
import { MODES } from "./modes.js";
import type { Mode } from "./request.js";
import { parameterNames } from "./request-options.js";

/** Why the function `mode(f)` makes cannot be differentiated again, or undefined when it can. */
export function notComposable(mode: Mode, name: string): string | undefined {
  if (mode === "valueAndGrad") return `valueAndGrad(${name}) returns a pair [value, gradient], not a number or a typed array.`;
  if (mode === "jvp") return `jvp(${name}) returns a pair [value, tangent], not a number or a typed array.`;
  if (mode === "vjp") return `vjp(${name}) returns a pair [value, pullback], not a number or a typed array.`;
  if (mode === "gradAndHvp") return `gradAndHvp(${name}) returns a pair [gradient, H·v], not a number or a typed array.`;
  return undefined;
}

/** What to write instead of differentiating a pair-valued derivative. */
export const PAIR_HINT = "Differentiate a function that returns the part you want, e.g. (x) => jvp(f)(x, t)[1], or grad(f) itself.";

/**
 * Parameter names of the wrapper of `mode(fn)`: fn's own (a0, a1, … for patterns, made
 * unique and distinct from `avoid`), then the argument the derivative takes after them
 * (jvp's tangent, hvp's direction).
 */
export function wrapperParams(fn: { params: ESTree.Pattern[] }, mode: Mode, avoid: Set<string>): string[] {
  const taken = new Set(avoid);
  const fresh = (want: string | undefined, i: number): string => {
    let name = want && /^[A-Za-z_$][\w$]*$/.test(want) ? want : `a${i}`;
    while (taken.has(name)) name = `${name}_`;
    taken.add(name);
    return name;
  };
  const own = parameterNames(fn).map(fresh);
  const extra = Array.from({ length: MODES[mode].extra }, (_, i) => fresh(mode === "jvp" ? "tangent" : "v", own.length + i));
  return [...own, ...extra];
}

/** `(p…) => callee(p…)`, every node positioned at `at` (diagnostics about it point there). */
export function callingWrapper(callee: ESTree.Expression, params: string[], at: { start: number; end: number }): ESTree.ArrowFunctionExpression {
  const span = { start: at.start, end: at.end };
  const id = (name: string): ESTree.Identifier => ({ type: "Identifier", name, ...span });
  const call: ESTree.CallExpression = { type: "CallExpression", callee, arguments: params.map(id), optional: false, ...span };
  return { type: "ArrowFunctionExpression", id: null, params: params.map(id), body: call, expression: true, generator: false, async: false, ...span };
}

/** The number of arguments of `Math.name` as a function (tanh: 1, atan2: 2), or undefined if it is not one. */
export function mathArity(name: string): number | undefined {
  const f = (Math as unknown as Record<string, unknown>)[name];
  return typeof f === "function" && name !== "random" ? f.length : undefined;
}

/** Parameter names of `Math.name` as a function: x, x1, x2, …. */
export function mathParamNames(name: string): string[] {
  return Array.from({ length: mathArity(name)! }, (_, i) => (i === 0 ? "x" : `x${i}`));
}

/** The name of the Math function `f` is (Math.tanh → "tanh"), if it is one. */
export function mathFunctionName(f: unknown): string | undefined {
  if (typeof f !== "function") return undefined;
  return Object.getOwnPropertyNames(Math).find((name) => (Math as unknown as Record<string, unknown>)[name] === f && mathArity(name) !== undefined);
}

/** Source text of `Math.name` as a function of its arguments, for the run-time path. */
export function mathFunctionText(name: string): string {
  const params = mathParamNames(name);
  return `function ${name}(${params.join(", ")}) { return Math.${name}(${params.join(", ")}); }`;
}
