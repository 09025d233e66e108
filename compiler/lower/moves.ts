// Reassigned array variables: `state = next`, `const t = a; a = b; b = t;`,
// `let h = h0; … h = n`. Each such name is a var of its own, and an assignment is a
// `ref` instruction: the name now refers to the other array, nothing is copied. The
// derivative transforms make derivative arrays follow the references (and reverse mode
// restores the references in its backward sweep). An array stays reachable through one
// live name only: after `a = b`, `b` must not be used again before it is itself
// assigned (checkMoves); where it is, gradc refuses rather than guess about aliases.
import type * as ESTree from "acorn";
import { refuseAt } from "../errors.js";
import { childBlocks, varsOf, type Block, type Func, type Instr, type Var } from "../ir/types.js";
import type { Lowerer, Val } from "./context.js";
import { assignedNames } from "./exits.js";
import type { Binding } from "./scope.js";
import type { FnNode } from "../parse/source.js";
import { UNNAMED_ARRAY } from "./call.js";

/** Names the function being lowered assigns somewhere (by name: nested blocks included). */
export function reassigned(L: Lowerer, name: string): boolean {
  let names = L.assignedIn.get(L.fn.node);
  if (!names) L.assignedIn.set(L.fn.node, (names = assignedNames(L.fn.node.body)));
  return names.has(name);
}

export function markRebindable(L: Lowerer, v: Var): void {
  L.rebindable.set(v, L.fn.node);
}

/**
 * Whether `v` may be reassigned while the current function runs: it is reassigned by
 * the function that declared it, and the current function is that one or declared
 * inside it (a helper from elsewhere cannot reach the caller's names).
 */
export function rebindableHere(L: Lowerer, v: Var): boolean {
  const owner = L.rebindable.get(v);
  if (!owner) return false;
  const here = L.fn.node;
  return owner === here || (L.fns.some((f) => f.node === owner) && owner.start <= here.start && here.end <= owner.end && sameSource(L, owner));
}

function sameSource(L: Lowerer, owner: FnNode): boolean {
  const ctx = L.fns.find((f) => f.node === owner);
  return ctx?.source === L.fn.source;
}

/**
 * The binding of a name declared with an array value. It shares the array's var (an
 * alias resolved statically) unless the name is reassigned, or the array's var may be:
 * then the name gets a var of its own, referring to the array (`ref`).
 */
export function bindArray(L: Lowerer, name: string, val: Extract<Val, { k: "arr" }>, shareable = false): Binding {
  const fresh = val.v.name === UNNAMED_ARRAY && !L.rebindable.has(val.v);
  const own = reassigned(L, name);
  if (fresh) {
    val.v.name = name;
    if (own) markRebindable(L, val.v);
    return { k: "arr", v: val.v };
  }
  if (!own && (shareable || !rebindableHere(L, val.v))) return { k: "arr", v: val.v };
  const v = L.b.newVar(name, val.v.type);
  emitRef(L, v, val.v);
  if (own) markRebindable(L, v);
  return { k: "arr", v };
}

function emitRef(L: Lowerer, v: Var, from: Var): void {
  // Writes through the new name would reach the caller's array: the parameter is copied on entry.
  if (from.param !== undefined) L.writtenParams.add(from);
  L.b.emit({ k: "ref", v, from });
}

/** `name = value` for a name holding an array. */
export function assignArray(L: Lowerer, target: ESTree.Identifier, b: Extract<Binding, { k: "arr" }>, value: Val, node: ESTree.Node): void {
  if (value.k === "view") {
    throw L.fail(node, "assigning a view", `'${target.name}' holds a whole array and cannot be made a view (.subarray()).`,
      "Declare a new const for the view, or copy the range with .slice(start, end).");
  }
  if (value.k !== "arr") {
    throw L.fail(node, "type change", `'${target.name}' holds an array; it cannot be assigned ${value.k === "temp" ? "a number" : "an object"}.`, "Keep each variable one type.");
  }
  if (value.v.type !== b.v.type) {
    throw L.fail(node, "type change", `'${target.name}' is a ${b.v.type === "f32[]" ? "Float32Array" : "Float64Array"} and cannot be assigned a ${value.v.type === "f32[]" ? "Float32Array" : "Float64Array"}.`,
      `Copy it instead: ${target.name}.set(…).`);
  }
  if (!L.rebindable.has(b.v)) {
    throw new Error(`gradc internal error: '${target.name}' is assigned but was not declared reassignable`);
  }
  if (value.v === b.v) return;
  emitRef(L, b.v, value.v);
}

/**
 * Refuses a `ref v = from` after which `from` is used again before being assigned:
 * both names would then refer to one array. Backward liveness over the structured IR.
 */
export function checkMoves(f: Func): void {
  let any = false;
  walkRefs(f.body, () => { any = true; });
  if (!any) return;
  const end = new Map<number, Instr | undefined>();
  if (f.result) end.set(f.result.id, undefined);
  liveBefore(f.body, end);
}

function walkRefs(block: Block, fn: (i: Instr) => void): void {
  for (const i of block) {
    if (i.k === "ref") fn(i);
    for (const b of childBlocks(i)) walkRefs(b, fn);
  }
}

/** Live array vars (with the access that makes each live) before a block, given those after it. */
function liveBefore(block: Block, after: Map<number, Instr | undefined>): Map<number, Instr | undefined> {
  let live = new Map(after);
  for (let k = block.length - 1; k >= 0; k--) live = transfer(block[k], live);
  return live;
}

function transfer(i: Instr, live: Map<number, Instr | undefined>): Map<number, Instr | undefined> {
  switch (i.k) {
    case "ref": {
      if (live.has(i.from.id)) throw aliased(i, live.get(i.from.id));
      const out = new Map(live);
      out.delete(i.v.id);
      out.set(i.from.id, i);
      return out;
    }
    case "alloc": {
      const out = new Map(live);
      out.delete(i.v.id);
      if (i.copyOf) out.set(i.copyOf.id, i);
      return out;
    }
    case "if":
      return union(liveBefore(i.then, live), liveBefore(i.else, live));
    case "for": case "while": {
      // Live at the loop's head: after it, or before the body of another iteration.
      let head = live;
      for (;;) {
        const body = liveBefore(i.body, head);
        // The body's accesses come first: they are the nearer uses.
        const next = union(i.k === "while" ? liveBefore(i.test, body) : body, live);
        if (next.size === head.size) return next;
        head = next;
      }
    }
    default: {
      const out = new Map(live);
      for (const v of varsOf(i)) if (v.type !== "num" && v.type !== "bool") out.set(v.id, i);
      return out;
    }
  }
}

function union(a: Map<number, Instr | undefined>, b: Map<number, Instr | undefined>): Map<number, Instr | undefined> {
  const out = new Map(a);
  for (const [k, v] of b) if (!out.has(k)) out.set(k, v);
  return out;
}

function aliased(ref: Extract<Instr, { k: "ref" }>, use: Instr | undefined): Error {
  const { v, from } = ref;
  const where = use?.loc ? ` (line ${use.loc.line}${use.loc.text ? `: ${use.loc.text}` : ""})` : use ? "" : " (it is the result)";
  return refuseAt(ref.loc, "aliased arrays",
    `After this assignment '${v.name}' and '${from.name}' name the same array, and '${from.name}' is used again${where} before it is assigned another array: a write through one name would change the other, which gradc does not follow.`,
    `Copy instead (${v.name}.set(${from.name}), or ${v.name} = ${from.name}.slice()), or give '${from.name}' a new array before it is used again (declare it inside the loop, or swap the two arrays).`);
}
