// State of one lowering run: the builder, the function being inlined, the loops around.
import type * as ESTree from "acorn";
import { refuse, type GradcError } from "../errors.js";
import { Builder, buildBlock, type Ids } from "../ir/builder.js";
import type { Block, Temp, Var } from "../ir/types.js";
import { lineOf } from "../parse/lines.js";
import type { FnNode, ResolveFn, SourceText } from "../parse/source.js";
import type { ClosureValues, ModuleValueFn } from "../request.js";
import type { Binding, FnBinding, Scope } from "./scope.js";

/**
 * A lowered expression: a scalar temp, an array, an object of fields, a tuple (what
 * valueAndGrad returns), or a function known where it is used (a callback: inlined where
 * it is called).
 */
export type Val =
  /** `known`: the number, when known at compile time (the index a list method passes its callback). */
  | { k: "temp"; t: Temp; known?: number }
  | { k: "arr"; v: Var }
  /** `base.subarray(…)`: elements offset … offset + length of base (both held in vars). */
  | { k: "view"; base: Var; offset: Var; length: Var }
  | { k: "obj"; fields: Map<string, Binding>; list?: true }
  | { k: "tuple"; items: Val[] }
  | { k: "fn"; fn: FnBinding };

export interface LoopCtx {
  /** Set by `break` (and by `return` inside the loop); stops the loop. */
  brk?: Var;
  /** Set by `continue`; skips the rest of the body. */
  cont?: Var;
}

/** The function currently being lowered: the differentiated one or an inlined helper. */
export interface FnCtx {
  node: FnNode;
  source: SourceText;
  /** Holds the return value. */
  ret: Var | undefined;
  /** The function it returns, when it returns one (`(a) => (x) => x - a`): known where it is lowered. */
  retFn?: FnBinding;
  /** An Array of arrays or objects (or an object) a helper returns at the end of its body. */
  retObj?: Extract<Val, { k: "obj" }>;
  /** Set by a `return` that is not in tail position. */
  done?: Var;
  /** The scope of its body, where `var` declarations go. */
  vars?: Scope;
  /** Loops of this function around the current statement, innermost last. */
  loops: LoopCtx[];
  /** The call being inlined (none for the differentiated function). */
  call?: ESTree.Node;
}

export class Lowerer {
  readonly ids: Ids = { next: 1 };
  b: Builder = new Builder(this.ids);
  readonly fns: FnCtx[] = [];
  /** Parameter arrays the function writes to (copied on entry so callers' arrays stay intact). */
  readonly writtenParams = new Set<Var>();
  /** Array vars that are reassigned (lower/moves.ts), and the names each function assigns. */
  readonly rebindable = new Map<Var, FnNode>();
  readonly assignedIn = new Map<FnNode, Set<string>>();

  /** The closed-over arrays and objects (opts.closure) read as data: trailing parameters of the entry. */
  readonly closureData = new Map<string, Binding>();

  constructor(readonly resolve: ResolveFn, readonly closure?: ClosureValues, readonly moduleValue?: ModuleValueFn) {}

  get fn(): FnCtx {
    return this.fns[this.fns.length - 1];
  }

  fail(node: ESTree.Node | undefined, construct: string, message: string, hint = ""): GradcError {
    return refuse(this.fn.source, node, construct, message, hint);
  }

  /** Runs `build` with a fresh block as the current one and returns that block. */
  block(build: () => void): Block {
    return buildBlock(this, build);
  }

  /** Source line and text of a statement, for comments in emitted code. */
  setLoc(node: ESTree.Node): void {
    const text = this.fn.source.text;
    const line = lineOf(text, node.start);
    const eol = text.indexOf("\n", node.start);
    const snippet = text.slice(node.start, eol >= 0 && eol < node.end ? eol : node.end).trim(); // its first line
    this.b.loc = { line, text: snippet.length > 60 ? snippet.slice(0, 57) + "..." : snippet, source: this.fn.source, offset: node.start };
  }

  flag(name: string): Var {
    const v = this.b.newVar(name, "bool");
    return v;
  }
}

export function temp(v: Val, L: Lowerer, node: ESTree.Node): Temp {
  if (v.k === "temp") return v.t;
  if (v.k === "fn") {
    throw L.fail(node, "function value", `The function '${v.fn.name}' is used where a number is expected.`,
      "Call it (f(x)), or pass it to a function that calls it.");
  }
  const what = v.k === "arr" || v.k === "view" ? "an array" : v.k === "obj" ? "an object" : "a pair of values";
  throw L.fail(node, `${v.k === "tuple" ? "tuple" : v.k === "arr" || v.k === "view" ? "array" : "object"} value`,
    `${what[0].toUpperCase()}${what.slice(1)} is used where a number is expected.`,
    v.k === "tuple" ? "Take one of its parts: p[0] or const [a, b] = ..." : "Index it (a[i]) or pass it to a function that takes it.");
}
