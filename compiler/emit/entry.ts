// The exported entry of a derivative module: the public call contract around the
// core function(s) emitted from IR. User arguments (numbers, typed arrays, objects)
// are flattened into the core's parameters; results come back shaped like the wrt
// arguments, in the caller's `out` buffers when given.
import { isArrayType, type Func, type Var } from "../ir/types.js";
import { arrayClass, kindAt, literalKey, pathAccess, propAccess, type Kind } from "../kinds.js";
import type { GradRequest } from "../request.js";
import { outputSlots } from "./js.js";
import type { Names } from "./names.js";

export interface EntryContext {
  req: GradRequest;
  ts: boolean;
  names: Names;
  /** Module-level declarations the entry adds. */
  state: string[];
  /** User-facing parameter names, one per parameter of the function. */
  args: string[];
  /** What the core functions are called with instead, per parameter (a batch entry's item buffers). */
  itemArgs?: string[];
}

const LOCALS = [
  "out", "value", "cotangent", "n", "m", "J", "H", "v", "row", "col", "k", "e", "r", "dots",
  "tangent", "tangentOut", "seedAt", "index", "direction", "amount", "count", "b", "base", "copyItem", "lanes",
] as const;

export type Locals = Record<(typeof LOCALS)[number], string>;

const claimed = new WeakMap<EntryContext, Locals>();

/**
 * The entry's own locals (`out`, `value`, `n`, ...), claimed on first use after the
 * parameters were: parameters keep their source names, a local named like one gets another.
 */
export function locals(c: EntryContext): Locals {
  let l = claimed.get(c);
  if (!l) claimed.set(c, (l = Object.fromEntries(LOCALS.map((n) => [n, c.names.claim(n)])) as Locals));
  return l;
}

export function kindType(kind: Kind): string {
  switch (kind.k) {
    case "num": return "number";
    case "bool": return "boolean";
    case "arr": case "int": return arrayClass(kind);
    case "plain": return kind.elem === "num" ? "number[]" : "boolean[]";
    case "obj":
      if (kind.list) return `[${kind.fields.map((f) => kindType(f.kind)).join(", ")}]`;
      return `{ ${kind.fields.map((f) => `${literalKey(f.name)}: ${kindType(f.kind)}`).join("; ")} }`;
    case "absent": return "undefined";
  }
}

function hasList(kind: Kind): boolean {
  return kind.k === "obj" && (!!kind.list || kind.fields.some((f) => hasList(f.kind)));
}

/** A fresh value shaped like argument `arg` of kind `kind` (zeros). */
export function freshLike(kind: Kind, arg: string, ts: boolean): string {
  switch (kind.k) {
    case "num": return "0";
    case "arr": return `new ${arrayClass(kind)}(${arg}.length)`;
    case "plain": if (kind.elem === "num") return `new Array${ts ? "<number>" : ""}(${arg}.length).fill(0)`;
    // falls through: a boolean[] is data
    case "int": case "bool": case "absent": throw new Error(`gradc internal error: a value shaped like data (${arg})`);
    case "obj":
      if (kind.list) return `[${kind.fields.map((f) => freshLike(f.kind, `${arg}[${f.name}]`, ts)).join(", ")}]`;
      return `{ ${kind.fields.map((f) => `${literalKey(f.name)}: ${freshLike(f.kind, propAccess(arg, f.name), ts)}`).join(", ")} }`;
  }
}

/**
 * `text`, a value for flat var `w` of the core, as the core's types have it: a number[]
 * (an argument, a gradient, a tangent) is read and written as a Float64Array is.
 */
export function asCoreArray(c: EntryContext, w: Var, text: string): string {
  const kind = kindAt(c.req.kinds[w.param!], w.path);
  return c.ts && kind.k === "plain" ? `(${text} as unknown as Float64Array)` : text;
}

/** `base.field` (`base.o.c` in nested objects) for a flat var standing for a field of an object argument. */
export const access = (base: string, v: Var) => pathAccess(base, v.path);

/**
 * Values shaped like the wrt arguments (gradients, tangents, Hessian-vector
 * products): one holder per wrt entry; array slots are passed to the core, scalar
 * slots are read from its outputs.
 */
export class Shaped {
  readonly holders: string[];

  /** `init` (absent: `given ?? fresh`) gives a holder's whole initialiser when it has one. */
  constructor(private readonly c: EntryContext, base: string, given: (j: number) => string | undefined, lines: string[],
    init?: (j: number, holder: string) => string | undefined) {
    const { req } = c;
    this.holders = req.wrt.map((w, j) => {
      const kind = req.kinds[w];
      const holder = c.names.claim(`${c.args[w]}_${base}`);
      if (kind.k === "num") return holder;
      const g = given(j);
      const whole = init?.(j, holder);
      // A list literal would be inferred as an Array of a union, not as the tuple.
      const type = c.ts && hasList(kind) ? `: ${kindType(kind)}` : "";
      lines.push(`  const ${holder}${type} = ${whole ?? `${g ? `${g} ?? ` : ""}${freshLike(kind, c.itemArgs?.[w] ?? c.args[w], c.ts)}`};`);
      return holder;
    });
  }

  /** Expression for the array slot of flat wrt var `w`. */
  slot(w: Var): string {
    return asCoreArray(this.c, w, access(this.holders[this.c.req.wrt.indexOf(w.param!)], w));
  }

  /**
   * Lines storing scalar results (`valueOf(w)` for each scalar flat wrt var), and
   * the shaped result expressions, one per wrt entry.
   */
  finish(scalarValue: (w: Var) => string | undefined, flat: Var[], lines: string[]): string[] {
    const { req } = this.c;
    return req.wrt.map((w, j) => {
      const kind = req.kinds[w];
      const scalars = flat.filter((v) => v.param === w && !isArrayType(v.type));
      if (kind.k === "num") return scalarValue(scalars[0]) ?? "0";
      for (const v of scalars) lines.push(`  ${access(this.holders[j], v)} = ${scalarValue(v) ?? "0"};`);
      return this.holders[j];
    });
  }
}

/**
 * The same flat slot: each core is lowered on its own, so a parameter is matched by
 * argument index and field, other vars by identity.
 */
export function sameVar(a: Var | undefined, b: Var): boolean {
  if (!a) return false;
  if (a.param !== undefined && b.param !== undefined) return a.param === b.param && samePath(a.path, b.path);
  return a === b;
}

function samePath(a: string[] | undefined, b: string[] | undefined): boolean {
  return (a ?? []).length === (b ?? []).length && (a ?? []).every((name, i) => name === b![i]);
}

/** Reads a core function's outputs by what they stand for. */
export class Outputs {
  private readonly at: string[];

  constructor(private readonly core: Func, scalars: string, refs: string) {
    this.at = outputSlots(core, scalars, refs).at;
  }

  /** The output that is the adjoint of `v`, if any. */
  adjointOf(v: Var): string | undefined {
    const k = (this.core.outputs ?? []).findIndex((o) => sameVar(o.adjointOf, v));
    return k < 0 ? undefined : this.at[k];
  }

  /** The output that is the tangent of `v` (the k-th one when there are several). */
  tangentOf(v: Var, k = 0): string | undefined {
    const found = (this.core.outputs ?? []).map((o, i) => [o, i] as const).filter(([o]) => sameVar(o.tangentOf, v));
    return found[k] ? this.at[found[k][1]] : undefined;
  }
}

/**
 * Signature text: `(a: T, b: U, extra...)` with types in TypeScript. A parameter with a
 * default value is optional (`scale?: number`), or `scale: number | undefined` when a
 * required parameter follows it.
 */
export function signature(c: EntryContext, extra: [string, string][]): string {
  // Module values (build path) are not parameters: the entry reads their imports.
  const modules = c.req.closure?.modules;
  const kinds = modules ? c.req.kinds.slice(0, c.req.fn.node.params.length) : c.req.kinds;
  const trailing = (i: number) => kinds.every((_, j) => j < i || hasDefault(c.req, j)) && extra.every(([name]) => name.endsWith("?"));
  const param = (k: Kind, i: number) => (!hasDefault(c.req, i) ? `${c.args[i]}: ${kindType(k)}` : trailing(i) ? `${c.args[i]}?: ${kindType(k)}` : `${c.args[i]}: ${kindType(k)} | undefined`);
  const params = kinds.map((k, i) => (c.ts ? param(k, i) : c.args[i]));
  for (const [name, type] of extra) params.push(c.ts ? `${name}${type}` : name.replace("?", ""));
  return params.join(", ");
}

/**
 * A number or boolean parameter with a default value: its argument may be left out
 * (undefined). Not one named in wrt: its derivative needs the argument (left out, the
 * default applies and the derivative with respect to it is 0).
 */
export function hasDefault(req: GradRequest, index: number): boolean {
  const kind = req.kinds[index];
  return req.fn.node.params[index]?.type === "AssignmentPattern" && (kind.k === "num" || kind.k === "bool") && !req.wrt.includes(index);
}

/** The type of values shaped like the wrt arguments. */
export function shapedType(req: GradRequest): string {
  const types = req.wrt.map((w) => kindType(req.kinds[w]));
  return req.wrtIsList ? `[${types.join(", ")}]` : types[0];
}
