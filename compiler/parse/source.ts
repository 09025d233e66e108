// What the front-ends hand to lowering: ESTree function nodes (acorn's node types)
// plus the text they came from, so diagnostics can point at file:line:col.
import type * as ESTree from "acorn";
import type { Scope } from "../lower/scope.js";

export type FnNode =
  | ESTree.FunctionDeclaration
  | ESTree.FunctionExpression
  | ESTree.ArrowFunctionExpression;

/** Source text a node's positions refer to. */
export interface SourceText {
  /** Path of the file, or `<runtime: name>` for functions compiled from `fn.toString()`. */
  file: string;
  text: string;
  /** True for runtime compiles: diagnostics name the function and line instead of a path. */
  runtime?: boolean;
}

/** A function node together with the source it was parsed from. */
export interface SourceFn {
  name: string;
  node: FnNode;
  source: SourceText;
  /** Marked with `checkpoint(fn)`: calls keep its inputs and recompute it in the backward sweep. */
  checkpoint?: boolean;
  /**
   * For a function declared inside differentiated code and differentiated on its own
   * (`grad(inner)(x)`): the scope around its declaration, of which it sees the functions.
   */
  outer?: Scope;
  /** Made by customJvp/customVjp: its derivatives come from the rule, not from its body. */
  custom?: CustomRuleFn;
}

/** A custom rule (runtime/custom.ts): its kind and the rule function's source. */
export interface CustomRuleFn {
  kind: "jvp" | "vjp";
  rule: SourceFn;
  /** A black box at run time (a WebAssembly or native function, source not readable): its value is a call of it. */
  extern?: Function;
  /** A black box on the build path: generated code calls it by name, imported from where the module imports it. */
  blackBox?: BlackBox;
}

/**
 * A function gradc cannot read, called by generated code as `local(…)`: imported from
 * `from` (an absolute path, or a package specifier) under `name` ("default" for a default
 * import), or a global when `from` is absent (a `declare function`).
 */
export interface BlackBox {
  local: string;
  from?: string;
  name?: string;
}

/** A runtime kernel (from "gradc/runtime") called by name. */
export interface KernelRef {
  kernel: string;
}

/** Looks up a function that the differentiated code calls by name (same file, imported, or user supplied). */
export type ResolveFn = (name: string, from: SourceText) => SourceFn | KernelRef | undefined;
