// Custom rules: what gradc calls instead of differentiating a function (numerically
// delicate code, a black box), and stopGradient. At run time each is the function itself;
// gradc recognises them when it compiles a derivative (by the mark below on the run-time
// path, by the import from "gradc" on the build path). They live in the runtime so that a
// bundle using them holds none of the compiler.

/** How gradc finds the rule of a function made by customJvp or customVjp (shared across copies of gradc). */
export const CUSTOM_RULE: unique symbol = Symbol.for("gradc.customRule") as never;

/** What customJvp/customVjp attached to the function they return. */
export interface CustomRule {
  kind: "jvp" | "vjp";
  /** The function whose value is computed. */
  f: Function;
  /** jvp: (...x, ...t) => J·t. vjp: (...x, ȳ) => ȳ·J (one parameter: its cotangent; several: one Float64Array of them all, in parameter order). */
  rule: Function;
}

/** A function of numbers and typed arrays returning a number or a Float64Array (its parameter types are the rules'). */
type CustomFn = (...x: never[]) => number | Float64Array;

/**
 * The identity at run time for a number; for a typed array, a copy of it (so that writing
 * one does not change the other, in derivative code and outside it alike). Inside
 * differentiated code its result has derivative 0 in every mode (reverse, forward, second
 * order): the value is used as a constant there, as if it did not depend on the inputs (a
 * target computed from the parameters, the frozen half of a straight-through estimator).
 * gradc recognises it by its name: import it from "gradc" on the build path; at run time
 * call it as `stopGradient(…)` (it need not be in opts.functions).
 */
export function stopGradient(x: number): number;
export function stopGradient<A extends Float64Array | Float32Array>(x: A): A;
export function stopGradient(x: number | Float64Array | Float32Array): number | Float64Array | Float32Array {
  return typeof x === "number" ? x : x.slice();
}

/**
 * `f` with its derivative given by `jvp` instead of by differentiating f: `jvp(x1, …, xn,
 * t1, …, tn)` returns the tangent of f's result, Σᵢ ∂f/∂xᵢ·tᵢ (it must be linear in the
 * tangents), each tangent shaped as its argument (a number, or a typed array as long), the
 * result's shaped as f's. f takes numbers and typed arrays and returns a number or a
 * Float64Array (a black box: a number); it may be a black box gradc cannot
 * read (a WebAssembly export, a native function: it is called, and must be pure). gradc
 * computes f's value from f and every derivative from the rule — reverse mode uses
 * ∂f/∂xᵢ = jvp(x, eᵢ), one call per number and per array entry — and differentiates the
 * rule itself for second order (HVPs, Hessians, grad of jvp), so the rule must be code
 * gradc can differentiate.
 */
export function customJvp<F extends CustomFn>(f: F, jvp: (...xt: [...Parameters<F>, ...Parameters<F>]) => ReturnType<F>): F {
  return marked(f, { kind: "jvp", f, rule: jvp });
}

/**
 * `f` with its derivative given by `vjp` instead of by differentiating f: `vjp(x1, …, xn,
 * ȳ)` returns the cotangents ȳ·∂f/∂xᵢ (it must be linear in ȳ): for one parameter, its
 * cotangent (a number, or a Float64Array as long as the array); for several, one
 * Float64Array of them all in parameter order, a number's as one entry and an array's as
 * one entry per element; ȳ is shaped as f's result. f takes numbers and typed arrays and
 * returns a number or a Float64Array (a black box: a number). gradc computes f's value
 * from f and every derivative from the rule (forward mode too, from ∂f/∂xᵢ = vjp(x, 1)ᵢ,
 * one call per result entry for an array result), and differentiates the rule itself for
 * second order.
 */
export function customVjp<F extends CustomFn>(f: F, vjp: (...xg: [...Parameters<F>, ReturnType<F>]) => number | Float64Array): F {
  return marked(f, { kind: "vjp", f, rule: vjp });
}

function marked<F extends CustomFn>(f: F, rule: CustomRule): F {
  if (typeof f !== "function" || typeof rule.rule !== "function") {
    throw new TypeError(`custom${rule.kind === "jvp" ? "Jvp" : "Vjp"}(f, rule) takes two functions.`);
  }
  const g = function (this: unknown, ...args: never[]) {
    return f.apply(this, args);
  } as F;
  Object.defineProperty(g, CUSTOM_RULE, { value: rule });
  Object.defineProperty(g, "name", { value: f.name });
  return g;
}
