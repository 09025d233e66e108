// A request for derivative code: what to differentiate, specialised on which argument kinds.
import type { Kind } from "./kinds.js";
import type { ResolveFn, SourceFn } from "./parse/source.js";

export type Mode = "grad" | "valueAndGrad" | "jvp" | "vjp" | "hvp" | "gradAndHvp" | "hessian" | "jacobian" | "batchJacobian";

/** How a Jacobian is computed: forward (vector mode), reverse (one pullback per output), or picked per call. */
export type JacobianMode = "forward" | "reverse" | "auto";

/**
 * Checkpointing schedule for loops marked `// @checkpoint`: "sqrt" keeps every ⌈√T⌉-th
 * loop state and recomputes each segment once; "binomial" follows Revolve with
 * ⌈√T⌉ snapshots, `{ snapshots: k }` with k.
 */
export type CheckpointSpec = "sqrt" | "binomial" | { snapshots: number };

export interface GradRequest {
  /** The function to differentiate. */
  fn: SourceFn;
  /** Finds the functions it calls that it does not contain. */
  resolve: ResolveFn;
  /** One kind per parameter of `fn`. */
  kinds: Kind[];
  /** Indices of the parameters to differentiate with respect to (in the order results are returned). */
  wrt: number[];
  /** True when `wrt` was given as an array: results are then an array of gradients. */
  wrtIsList: boolean;
  mode: Mode;
  /** For modes "jacobian" and "batchJacobian". */
  jacobianMode?: JacobianMode;
  /**
   * For grad and valueAndGrad of a vector-valued function: the entry of its result
   * differentiated (negative counts from the end, -1 the last).
   */
  output?: number;
  /** Schedule for loops marked `// @checkpoint` (absent: they are recorded as usual). */
  checkpoint?: CheckpointSpec;
  /** Values of names the function (or a helper) closes over, given at run time (opts.closure). */
  closure?: ClosureValues;
}

/**
 * `opts.closure` split by what the compiled code does with each value: numbers and
 * booleans are constants of it; arrays and objects of them are read on every call as
 * data, passed to the entry after f's own parameters (their kinds come after f's in
 * `kinds`), in the order of `data`.
 */
export interface ClosureValues {
  constants: Record<string, number | boolean>;
  data: string[];
}

export interface EmitOptions {
  lang: "ts" | "js";
  /** Name of the exported entry function (`NAME` of `export const NAME = grad(...)`). */
  exportName: string;
  /** Where the runtime is imported from in TS modules (default "gradc/runtime"). */
  runtimeImport?: string;
}
