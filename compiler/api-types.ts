// Types of the run-time API (api.ts): a derivative of f takes f's parameter types,
// and what is shaped like the wrt arguments has their types.
//
// `wrt` by index gives the exact parameter type. Parameter names are not part of
// TypeScript function types, so `wrt` by name cannot pick its parameter: it gives
// the union of f's differentiable parameter types (exact when f has one of them).
// An index must be that of a differentiable parameter, so an index computed at run
// time (type number) is refused when f has a fixed number of parameters: narrow it
// (`w as 0 | 1`) or pass the options as `GradOptions<any>`.
import type { CheckpointSpec, JacobianMode } from "./request.js";

/** f for grad, valueAndGrad, hvp, hessian, gradCheck. */
export type ScalarFn = (...args: any[]) => number;
/** f for jvp, vjp, jacobian. */
export type VectorFn = (...args: any[]) => number | Float64Array | Float32Array;

export type WrtKey = string | number;
export type WrtSpec = WrtKey | readonly WrtKey[];

/** Data arguments: never differentiated. */
type Data = boolean | Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array | Uint8ClampedArray;

/** Indices of the differentiable parameters of P (any number for a rest parameter). */
type Differentiable<P extends readonly unknown[]> = number extends P["length"] ? number
  : { [K in keyof P]: P[K] extends Data ? never : K extends `${infer I extends number}` ? I : never }[number];

/** What `wrt` can be for f: names, indices of differentiable parameters, or a list of them. */
export type WrtOf<F extends (...args: any[]) => unknown> = string | Differentiable<Parameters<F>> | readonly (string | Differentiable<Parameters<F>>)[];

/** The parameter wrt entry K stands for: by index exactly, by name one of the differentiable ones, absent the first. */
type ParamAt<P extends readonly unknown[], K> = K extends undefined ? P[0] : K extends number ? P[K] : K extends string ? Exclude<P[number], Data> : never;

/**
 * Shaped like the wrt arguments: the parameter's own type (a number, a typed array of
 * the same class, an object of the same shape); a tuple of them for a list; the first
 * parameter's type when wrt is absent.
 */
export type Shaped<F extends (...args: any[]) => unknown, W> = W extends readonly unknown[]
  ? { -readonly [J in keyof W]: ParamAt<Parameters<F>, W[J]> }
  : ParamAt<Parameters<F>, W>;

export interface GradOptions<W extends WrtSpec | undefined = WrtSpec | undefined> {
  /** Parameter name(s) or index(es) to differentiate with respect to; default: the first parameter. */
  wrt?: W;
  /** Buffers shaped like the gradient; every call fills and returns them instead of allocating. */
  out?: unknown;
  /** Functions that f calls but does not contain, by the name f calls them. */
  functions?: Record<string, Function>;
  /**
   * Values of names f (or a function in `functions`) closes over, which f's source text
   * shows only by name (run-time path). Numbers and booleans become constants when the
   * derivative is made (a new value needs a new grad(…)); arrays, typed arrays and
   * objects of them are read from this object on every call, as data (not
   * differentiated; pass a value as an argument to differentiate with respect to it),
   * their kinds checked as arguments' are.
   */
  closure?: Record<string, unknown>;
  /**
   * Checkpointing for loops marked `// @checkpoint` in f (reverse mode recomputes their
   * iterations from snapshots instead of recording them): "sqrt", "binomial", or
   * `{ snapshots: k }` (binomial with k snapshots). Absent: such loops are recorded.
   */
  checkpoint?: CheckpointSpec;
}

export interface OutputOptions<W extends WrtSpec | undefined = WrtSpec | undefined> extends GradOptions<W> {
  /**
   * grad and valueAndGrad of a typed-array-valued f: the entry of its result to
   * differentiate (negative counts from the end, -1 the last). Only that entry's
   * adjoint is propagated; an index outside the result is an error when called.
   */
  output: number;
}

export interface JacobianOptions<W extends WrtSpec | undefined = WrtSpec | undefined> extends GradOptions<W> {
  /** "forward" (vector mode, several columns per sweep), "reverse" (one pullback per row) or "auto" (forward when n <= m). */
  mode?: JacobianMode;
}

export interface GradCheckOptions<W extends WrtSpec | undefined = WrtSpec | undefined> extends Pick<GradOptions<W>, "wrt" | "functions" | "closure"> {
  /** Step for central differences (see numericGradient). */
  h?: number;
}

export interface GradCheckReport {
  value: number;
  /** Max relative error per wrt parameter, by parameter name. */
  errors: Record<string, number>;
  /** The largest of `errors`. */
  maxError: number;
}
