// A request for derivative code: what to differentiate, specialised on which argument kinds.
import type { Kind } from "./kinds.js";
import type * as ESTree from "acorn";
import type { ModuleBinding } from "./parse/ts-estree.js";
import type { ResolveFn, SourceFn, SourceText } from "./parse/source.js";

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
  /** Build path: tells a module-level array or object the code reads (compile-module-values.ts). */
  moduleValue?: ModuleValueFn;
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
  /**
   * Build path: the data that are module-level bindings, by name. The generated module
   * imports each and its entry passes it to the core functions, checking its kind per call.
   */
  modules?: Record<string, ModuleValue>;
}

/** A module-level array or object (of numbers) that differentiated code reads, as data. */
export interface ModuleValue {
  /** Its name in the module that declares it (and in the generated module). */
  name: string;
  /** Absolute path of that module, and the offset of its declaration there. */
  file: string;
  declared: number;
  /** The name that module exports it under (absent: the plugin exports it, see sourceExport). */
  exported?: string;
  kind: Kind;
}

/**
 * For a module-level variable read at `use`: the module value it is, or undefined when it
 * is not an array or object (a number is inlined, or refused, by lowering); refuses one
 * that cannot be data (reassigned, of a kind not known when compiling, unexported).
 */
export type ModuleValueFn = (binding: Extract<ModuleBinding, { k: "variable" }>, use: ESTree.Identifier, source: SourceText) => ModuleValue | undefined;

export interface EmitOptions {
  lang: "ts" | "js";
  /** Name of the exported entry function (`NAME` of `export const NAME = grad(...)`). */
  exportName: string;
  /** Where the runtime is imported from in TS modules (default "gradc/runtime"). */
  runtimeImport?: string;
}
