// Reassigned array variables: `state = next`, `const t = a; a = b; b = t;`,
// `let h = h0; … h = n`. Each such name is a var of its own, and an assignment is a
// `ref` instruction: the name now refers to the other array, nothing is copied. The
// derivative transforms make derivative arrays follow the references (and reverse mode
// restores the references in its backward sweep). After `a = b` both names refer to one
// array until one is given another: reads through both are exact, and a write into an
// array two live names share is refused (checkMoves) rather than guessed about.
import type * as ESTree from "acorn";
import { refuseAt } from "../errors.js";
import { childBlocks, varsOf, type Block, type Func, type Instr, type Var } from "../ir/types.js";
import type { Lowerer, Val } from "./context.js";
import { assignedNames } from "./exits.js";
import type { Binding } from "./scope.js";
import type { FnNode } from "../parse/source.js";
import { UNNAMED_ARRAY } from "./call.js";
import { followPlain } from "./concat.js";

/** Names the function being lowered assigns somewhere (by name: nested blocks included). */
export function reassigned(L: Lowerer, name: string): boolean {
  let names = L.assignedIn.get(L.fn.node);
  if (!names) L.assignedIn.set(L.fn.node, (names = assignedNames(L.fn.node.body)));
  return names.has(name);
}

/** Vars of a nested derivative's IR copied in: its references were checked when it was lowered, and its derivative arrays follow them by construction. */
const checked = new WeakSet<Var>();

export function markChecked(v: Var): void {
  checked.add(v);
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
  return !!owner && assignsHere(L, owner);
}

/** Whether names `owner` assigns may be assigned while the current function runs (it is `owner` or declared inside it). */
export function assignsHere(L: Lowerer, owner: FnNode): boolean {
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
  if (reassigned(L, name)) return rebindableArray(L, name, val);
  if (fresh(L, val.v)) val.v.name = name;
  if (shareable || !rebindableHere(L, val.v)) return { k: "arr", v: val.v };
  return { k: "arr", v: refTo(L, name, val.v) };
}

/** A var of `name`'s own, which is reassigned: the array itself when it is fresh, else a var referring to it. */
export function rebindableArray(L: Lowerer, name: string, val: Extract<Val, { k: "arr" }>): Extract<Binding, { k: "arr" }> {
  const v = fresh(L, val.v) ? val.v : refTo(L, name, val.v);
  v.name = name;
  markRebindable(L, v);
  return { k: "arr", v };
}

/** An array just made by an expression, not yet named. */
function fresh(L: Lowerer, v: Var): boolean {
  return v.name === UNNAMED_ARRAY && !L.rebindable.has(v);
}

/** A new var `name` referring to the array `from`. */
export function refTo(L: Lowerer, name: string, from: Var): Var {
  const v = L.b.newVar(name, from.type);
  emitRef(L, v, from);
  return v;
}

export function emitRef(L: Lowerer, v: Var, from: Var): void {
  // Writes through the new name would reach the caller's array: the parameter is copied on entry.
  if (from.param !== undefined) L.writtenParams.add(from);
  followPlain(v, from);
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
 * Refuses a write into an array that two live names refer to. A `ref v = from` after
 * which `from` is still used (backward liveness over the structured IR) leaves both names
 * on one array: reads through either are exact (derivative arrays follow the same
 * references), but a write through one would change what the other reads, which the
 * analyses of what is overwritten do not follow. Such writes are found going forward
 * from those refs, until a name is given another array.
 */
export function checkMoves(f: Func): void {
  let any = false;
  walkRefs(f.body, () => { any = true; });
  if (!any) return;
  const end = new Map<number, Instr | undefined>();
  if (f.result) end.set(f.result.id, undefined);
  const shared = new Set<Ref>();
  liveBefore(f.body, end, shared);
  if (shared.size > 0) aliasesAfter(f.body, new Map(), shared);
}

type Ref = Extract<Instr, { k: "ref" }>;

function walkRefs(block: Block, fn: (i: Instr) => void): void {
  for (const i of block) {
    if (i.k === "ref") fn(i);
    for (const b of childBlocks(i)) walkRefs(b, fn);
  }
}

/** Live array vars (with the access that makes each live) before a block, given those after it; records the refs whose source stays live. */
function liveBefore(block: Block, after: Map<number, Instr | undefined>, shared: Set<Ref>): Map<number, Instr | undefined> {
  let live = new Map(after);
  for (let k = block.length - 1; k >= 0; k--) live = transfer(block[k], live, shared);
  return live;
}

function transfer(i: Instr, live: Map<number, Instr | undefined>, shared: Set<Ref>): Map<number, Instr | undefined> {
  switch (i.k) {
    case "ref": {
      if (live.has(i.from.id) && !checked.has(i.v)) shared.add(i);
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
    case "popref": {
      // Restored from the tape (a nested derivative's backward sweep): a new value, like an alloc.
      const out = new Map(live);
      out.delete(i.v.id);
      return out;
    }
    case "if":
      return union(liveBefore(i.then, live, shared), liveBefore(i.else, live, shared));
    case "for": case "while": {
      // Live at the loop's head: after it, or before the body of another iteration.
      let head = live;
      for (;;) {
        const body = liveBefore(i.body, head, shared);
        // The body's accesses come first: they are the nearer uses.
        const next = union(i.k === "while" ? liveBefore(i.test, body, shared) : body, live);
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

function union<K, V>(a: Map<K, V>, b: Map<K, V>): Map<K, V> {
  const out = new Map(a);
  for (const [k, v] of b) if (!out.has(k)) out.set(k, v);
  return out;
}

/** For each array var, the other vars naming the same array, each with the ref that made them share it. */
type Aliases = Map<number, Map<number, Ref>>;

/** Forward over a block: the aliases after it; throws at a write into a shared array. */
function aliasesAfter(block: Block, before: Aliases, shared: Set<Ref>): Aliases {
  let state = before;
  for (const i of block) state = step(i, state, shared);
  return state;
}

function step(i: Instr, state: Aliases, shared: Set<Ref>): Aliases {
  switch (i.k) {
    case "ref": {
      const out = without(state, i.v.id);
      const others = out.get(i.from.id) ?? new Map<number, Ref>();
      // v takes from's aliases; from too while it is still used, else from's name is done.
      for (const y of others.keys()) link(out, i.v.id, y, i);
      if (shared.has(i)) link(out, i.v.id, i.from.id, i);
      return shared.has(i) ? out : without(out, i.from.id);
    }
    case "alloc": case "popref":
      return without(state, i.v.id);
    case "store": case "fill":
      return checkWrite(i, i.arr, state);
    case "call":
      return i.out ? checkWrite(i, i.out, state) : state;
    case "if":
      return merge(aliasesAfter(i.then, copy(state), shared), aliasesAfter(i.else, copy(state), shared));
    case "for": case "while": {
      let head = state;
      for (;;) {
        const entry = i.k === "while" ? aliasesAfter(i.test, copy(head), shared) : head;
        const next = merge(state, aliasesAfter(i.body, copy(entry), shared));
        if (size(next) === size(head)) return i.k === "while" ? aliasesAfter(i.test, copy(next), shared) : next;
        head = next;
      }
    }
    default:
      return state;
  }
}

function checkWrite(i: Instr, arr: Var, state: Aliases): Aliases {
  const others = state.get(arr.id);
  if (!others || others.size === 0) return state;
  const [ref] = others.values();
  const other = ref.v === arr ? ref.from : ref.v;
  throw refuseAt(i.loc ?? ref.loc, "aliased arrays",
    `This writes into the array that '${arr.name}' and '${other.name}' both name${ref.loc ? ` (since line ${ref.loc.line}: ${ref.loc.text ?? `${ref.v.name} = ${ref.from.name}`})` : ""}, while '${other.name}' is still in use: the write would change the array under both names, which gradc does not follow.`,
    `Copy instead (${ref.v.name}.set(${ref.from.name}), or ${ref.v.name} = ${ref.from.name}.slice()), or give '${ref.from.name}' a new array before it is used again (declare it inside the loop, or swap the two arrays).`);
}

function link(state: Aliases, a: number, b: number, ref: Ref): void {
  if (a === b) return;
  for (const [x, y] of [[a, b], [b, a]]) {
    const m = new Map(state.get(x) ?? []);
    m.set(y, ref);
    state.set(x, m);
  }
}

/** The state once var `id` names another array: it shares with nothing. */
function without(state: Aliases, id: number): Aliases {
  const out: Aliases = new Map();
  for (const [x, m] of state) {
    if (x === id) continue;
    const rest = new Map([...m].filter(([y]) => y !== id));
    if (rest.size) out.set(x, rest);
  }
  return out;
}

function copy(state: Aliases): Aliases {
  return new Map([...state].map(([x, m]) => [x, new Map(m)]));
}

function merge(a: Aliases, b: Aliases): Aliases {
  const out = copy(a);
  for (const [x, m] of b) out.set(x, union(out.get(x) ?? new Map(), m));
  return out;
}

function size(state: Aliases): number {
  let n = 0;
  for (const m of state.values()) n += m.size;
  return n;
}
