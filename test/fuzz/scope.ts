// The generator's view of a program point: the names in scope and what each may be used for.

/** An array in scope; `len` is its length class: arrays of one class have equal lengths. */
export interface ArrRef {
  name: string;
  len: string;
  writable: boolean;
  /** A parameter (of the loss or of a helper, which may be passed one of the loss's). */
  param?: boolean;
  /** A JavaScript Array (no subarray or set), not a typed array. */
  plain?: boolean;
  /** May be a view made by subarray (never passed to a derivative). */
  view?: boolean;
  /** A `let` of type `type` that statements may give another array. */
  reassignable?: boolean;
  type?: string;
  /** Surely a JavaScript Array of numbers (a literal, Array.from, a growing `[]`, a concatenation), never a typed array: `.flat()` and `.flatMap` spread it. */
  jsArray?: boolean;
}
/** A list literal: its elements, arrays or numbers. */
export interface ListRef {
  name: string;
  elems: (ArrRef | "num")[];
  /** A rest parameter of arrays: `elems` is its first element, of at least one. */
  rest?: boolean;
}
/** An integer variable; with `len`, it is a valid index of every array of that class. */
export interface IdxRef {
  name: string;
  len: string | undefined;
  /** Known to be >= 1, so `a[i - 1]` is in bounds. */
  ge1: boolean;
  /** A while/do counter: never shadowed (its update must reach it). */
  pinned?: boolean;
  /** A `let` that statements may step through the indices of this array. */
  cycles?: ArrRef;
}
export interface NumRef {
  name: string;
  mutable: boolean;
}
/** A read-only integer array (data); with `values`, its entries are indices of arrays of that length class. */
export interface IntRef {
  name: string;
  len: string;
  values?: string;
}
export interface BoolRef {
  name: string;
  mutable: boolean;
}
/** A callback parameter (Gen.lambda): a number, an index of arrays of a length class, `_`, or a number read by name only. */
export type LambdaParam = "num" | { idx: string } | "_" | "acc";
/** A helper's parameter: a number, an array, an object { a, b }, a callback taking numbers, an options object `{ eps = 1e-5, scale, where } = {}`. */
export type ParamKind = "num" | "arr" | "obj" | "fn" | "opts";
export interface FnRef {
  name: string;
  params: ParamKind[];
  /** Writes into its array arguments: only called as a statement, with writable arrays. */
  effects: boolean;
  /** Returns an array as long as its argument number `returnsArr` (maybe that very array). */
  returnsArr?: number;
  /** Reads nothing of the code around it: a derivative of it can be taken inside the loss. */
  closed?: boolean;
  /** May allocate arrays or take derivatives (not a target of reverse over an inner derivative). */
  allocates?: boolean;
  /** Calls subarray or set on an array parameter: never passed a plain array. */
  typedOnly?: boolean;
  /** A derivative: never passed a view. */
  derivative?: boolean;
  /** May return its array parameter itself (then it is never passed a reassigned array). */
  returnsParam?: boolean;
  /** Its last parameter has a default value. */
  optional?: boolean;
  /** Has a loop, or calls a helper that has one. */
  loops?: boolean;
  /** A rest parameter after `params`: `...xs` of numbers or of arrays (called with at least one). */
  rest?: "num" | "arr";
  /** For each "fn" parameter (by position), how many numbers the callback is called with. */
  arity?: Record<number, number>;
  /** For an "opts" parameter, the fields its destructuring names. */
  options?: string[];
  /** A list of functions, called `fs[k](…)` with an index known only at run time. */
  list?: boolean;
  /** A function value an API call made (a derivative, a pullback, customJvp/customVjp's): only called. */
  value?: boolean;
}

export interface Scope {
  nums: NumRef[];
  arrs: ArrRef[];
  idxs: IdxRef[];
  bools: BoolRef[];
  ints: IntRef[];
  fns: FnRef[];
  /** Objects { a: Float64Array (length class "m"), b: number } that can be passed to helpers. */
  objs: string[];
  lists: ListRef[];
  /** Arrays declared `[]` that statements may push numbers onto (not yet readable). */
  growing: string[];
  /** Names declared in this block (or the parameters, at a function's top level): not redeclarable. */
  declared: Set<string>;
  /**
   * True before the block's first statement: only there may a declaration shadow an
   * outer name, since an earlier read of it in the block would hit the new binding's
   * temporal dead zone.
   */
  atStart?: boolean;
}

export const emptyScope = (): Scope => ({ nums: [], arrs: [], idxs: [], bools: [], ints: [], fns: [], objs: [], lists: [], growing: [], declared: new Set() });

export const child = (s: Scope): Scope => ({
  nums: [...s.nums],
  arrs: [...s.arrs],
  idxs: [...s.idxs],
  bools: [...s.bools],
  ints: [...s.ints],
  fns: [...s.fns],
  objs: [...s.objs],
  lists: [...s.lists],
  growing: [...s.growing],
  declared: new Set(),
});

/** Forgets the bindings `name` had in outer blocks (it is being redeclared). */
export function shadow(sc: Scope, name: string): void {
  sc.nums = sc.nums.filter((v) => v.name !== name);
  sc.arrs = sc.arrs.filter((v) => v.name !== name);
  sc.idxs = sc.idxs.filter((v) => v.name !== name);
  sc.bools = sc.bools.filter((v) => v.name !== name);
  sc.objs = sc.objs.filter((v) => v !== name);
}

export interface Loop {
  /** Statements to run before `continue` (a while loop's counter update). */
  contPrefix: string;
}

/** Per-function state: its loops, and whether it is the loss itself. */
export interface FnState {
  loops: Loop[];
  isMain: boolean;
  /** What its returns return, for a helper returning an array. */
  retArr?: string;
}

/**
 * `a op b`, with `<` written as `b > a`: in TypeScript `a < (b) > (c)` parses as a
 * call with type arguments, so a `<` followed later by `> (` would make the
 * TypeScript text of a program mean something else than its JavaScript text. Loop
 * heads keep their `<` (nothing follows it but the bound).
 */
export function cmp(a: string, op: string, b: string): string {
  return op === "<" ? `${b} > ${a}` : `${a} ${op} ${b}`;
}
