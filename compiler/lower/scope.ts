// Names visible while lowering: what each source identifier stands for in the IR.
import type { Var } from "../ir/types.js";
import type { CustomRuleFn, FnNode, SourceText } from "../parse/source.js";
import type { GradRequest } from "../request.js";

export type Binding =
  /** `unset`: true while a variable declared without a value is still undefined (for `x === void 0`). */
  /** `value`: known when compiling (the index of an unrolled loop); `v` is then never set. */
  /** `absent`: a destructured field the object does not have, never assigned: always undefined. */
  | { k: "scalar"; v: Var; isConst: boolean; unset?: Var; value?: number; absent?: true }
  | { k: "arr"; v: Var }
  | { k: "view"; base: Var; offset: Var; length: Var }
  /** `list`: a plain Array of arrays, objects or numbers, its fields the indices "0".."n-1". */
  | { k: "obj"; fields: Map<string, Binding>; list?: true }
  | { k: "tuple"; items: Binding[] }
  /** A key of an object known when specialising (`for (const k of Object.keys(o).sort())`): `o[k]` reads that field. */
  | { k: "key"; key: string }
  | FnBinding;

/** A function: declared in the loss, resolved by name, or written as a callback (an arrow passed to a helper). */
export interface FnBinding {
  k: "fn";
  name: string;
  node: FnNode;
  source: SourceText;
  /** Where it was declared: the names it closes over. */
  scope: Scope;
  checkpoint?: boolean;
  /** Made by customJvp/customVjp: calls take the derivative from the rule. */
  custom?: CustomRuleFn;
  /** The pullback of a `vjp(f)(x…)` inside differentiated code: called with a cotangent, it runs f's VJP at x. */
  pullback?: { req: GradRequest; args: (Var | Binding)[] };
}

export class Scope {
  private readonly names = new Map<string, Binding>();

  constructor(readonly parent?: Scope) {}

  declare(name: string, binding: Binding): void {
    this.names.set(name, binding);
  }

  /** True if `name` is declared in this scope itself. */
  has(name: string): boolean {
    return this.names.has(name);
  }

  lookup(name: string): Binding | undefined {
    return this.names.get(name) ?? this.parent?.lookup(name);
  }

  /** True if `name` is declared in this scope or an enclosing one up to (excluding) `outer`. */
  declaredBelow(name: string, outer: Scope): boolean {
    for (let s: Scope | undefined = this; s && s !== outer; s = s.parent) {
      if (s.names.has(name)) return true;
    }
    return false;
  }
}

/**
 * What a function differentiated on its own (a nested derivative's target) sees of the code
 * around it: the functions declared there. Values belong to the enclosing lowering: a
 * name of one is not found, and is refused as a closure over outer state.
 */
export class FunctionsOf extends Scope {
  constructor(private readonly around: Scope) {
    super();
  }

  override lookup(name: string): Binding | undefined {
    const b = this.around.lookup(name);
    return b?.k === "fn" ? b : undefined;
  }
}
