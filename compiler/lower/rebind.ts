// Reassigned lists and objects: `let val = init; for (…) val = step(i, val)`,
// `activations = activations.map(…)`. A name holding a list or an object that it is
// reassigned gets variables of its own, one per field: numbers are copied, arrays are
// referred to as reassigned array variables are (moves.ts), nested lists and objects
// likewise. An assignment sets every field from the value's field of the same key, so
// it is exact on every path a run-time loop or branch takes; a value of another shape
// (other keys, another length, a number for an array) is refused there, naming both
// shapes, and in straight-line code after the declaration binds the name anew.
import type * as ESTree from "acorn";
import type { Block, Temp, Var } from "../ir/types.js";
import type { FnNode } from "../parse/source.js";
import type { Lowerer, Val } from "./context.js";
import { assignArray, assignsHere, emitRef, rebindableArray, reassigned, refTo } from "./moves.js";
import type { Binding, Scope } from "./scope.js";
import { fieldValue } from "./stmt.js";
import { lowerExpr } from "./expr.js";
import { arrayItem } from "./lists.js";
import { outerName } from "./names.js";

type ObjBinding = Extract<Binding, { k: "obj" }>;

/** Lists and objects with variables of their own: the function that declared each, and the block. */
const owners = new WeakMap<ObjBinding, { fn: FnNode; block: Block }>();

/**
 * The binding of a name declared (or a parameter bound) with a list or object. It is the
 * value itself (an alias, exact: the same variables) unless the name is reassigned, or
 * the value's own name may be reassigned while this one lives: then a copy of its own.
 */
export function bindObject(L: Lowerer, name: string, val: ObjBinding, isConst: boolean): Binding {
  if (!isConst && reassigned(L, name)) return ownedCopy(L, name, val, true);
  const owner = owners.get(val);
  return owner && assignsHere(L, owner.fn) ? ownedCopy(L, name, val, false) : val;
}

/** `binding` (an object reused in place) becomes a reassigned list or object of its own, holding `value` (list-growth.ts: `let out = []; … out = xs.map(…)`). */
export function ownInPlace(L: Lowerer, name: string, binding: ObjBinding, value: ObjBinding): void {
  Object.assign(binding, ownedCopy(L, name, value, true));
  owners.set(binding, { fn: L.fn.node, block: L.b.block });
}

function ownedCopy(L: Lowerer, name: string, val: ObjBinding, owned: boolean): ObjBinding {
  const fields = new Map<string, Binding>();
  for (const [key, f] of val.fields) fields.set(key, ownedField(L, `${name}_${key.replace(/\W/g, "_")}`, f, owned));
  const copy: ObjBinding = val.list ? { k: "obj", fields, list: true } : { k: "obj", fields };
  if (owned) owners.set(copy, { fn: L.fn.node, block: L.b.block });
  return copy;
}

function ownedField(L: Lowerer, name: string, f: Binding, owned: boolean): Binding {
  switch (f.k) {
    case "scalar": {
      const v = L.b.newVar(name, f.v.type);
      L.b.set(v, f.value !== undefined ? L.b.num(f.value) : L.b.get(f.v));
      return { k: "scalar", v, isConst: false };
    }
    case "arr":
      return owned ? rebindableArray(L, name, f) : { k: "arr", v: refTo(L, name, f.v) };
    case "obj":
      return ownedCopy(L, name, f, owned);
    case "fn": case "key":
      return f;
    default:
      throw L.fail(statementAt(L), "reassigning an array or object", `'${name.replace(/_/g, ".")}' holds ${shapeOf(f)}, which a reassigned list or object cannot hold.`, "Keep it in a variable of its own.");
  }
}

/** The statement being lowered, as a node for a refusal's position. */
function statementAt(L: Lowerer): ESTree.Node | undefined {
  const loc = L.b.loc;
  return loc && loc.source === L.fn.source ? ({ type: "EmptyStatement", start: loc.offset, end: loc.offset } as ESTree.Node) : undefined;
}

/** `name = value` for a name holding a list or an object: each field set from the value's. */
export function assignObject(L: Lowerer, e: ESTree.AssignmentExpression & { left: ESTree.Identifier }, b: ObjBinding, value: Val): Val {
  const name = e.left.name;
  if (e.operator !== "=") throw L.fail(e, `operator ${e.operator}`, `'${name}' holds ${b.list ? "an Array" : "an object"}: '${e.operator}' does not apply to it.`, "");
  if (!owners.has(b)) {
    throw L.fail(e.left, "reassigning an array or object", `'${name}' holds ${shapeOf(b)} and cannot be reassigned here (a parameter destructured, a loop variable, or a const).`, "Declare it with let and a value: let v = init.");
  }
  if (value.k === "obj" && shapeOf(value) !== shapeOf(b) && owners.get(b)!.block === L.b.block) {
    // In straight-line code from its declaration the name is bound anew, when compiling.
    const copy = ownedCopy(L, name, value, true);
    b.fields = copy.fields;
    if (copy.list) b.list = true;
    else delete b.list;
    return b;
  }
  if (value.k !== "obj" || shapeOf(value) !== shapeOf(b)) {
    throw L.fail(e, "type change", `'${name}' holds ${shapeOf(b)}, and is assigned ${shapeOf(value)}: gradc keeps each field of a reassigned list or object in a variable of its own, so every value it is assigned in a loop or branch has the same shape.`,
      "Assign values of one shape (the same keys or length, numbers for numbers, arrays for arrays), or declare a new variable for the other.");
  }
  const numbers: [Var, Temp][] = [];
  const arrays: [Var, Var][] = [];
  collectMoves(L, e, name, b, value, numbers, arrays);
  // Read every number before any is set, and keep an array that another field is given before its own is replaced.
  const targets = new Set(arrays.map(([v]) => v));
  const moves = arrays.map(([v, from]): [Var, Var] => [v, targets.has(from) && from !== v ? refTo(L, `${from.name}_old`, from) : from]);
  for (const [v, t] of numbers) L.b.set(v, t);
  for (const [v, from] of moves) if (v !== from) emitRef(L, v, from);
  return b;
}

function collectMoves(L: Lowerer, e: ESTree.Node, name: string, b: ObjBinding, value: ObjBinding, numbers: [Var, Temp][], arrays: [Var, Var][]): void {
  for (const [key, f] of b.fields) {
    const from = value.fields.get(key)!;
    if (f.k === "scalar") {
      const v = fieldValue(L, from);
      if (v.k === "temp") numbers.push([f.v, v.t]);
    } else if (f.k === "arr" && from.k === "arr") {
      arrays.push([f.v, from.v]);
    } else if (f.k === "obj" && from.k === "obj") {
      collectMoves(L, e, `${name}.${key}`, f, from, numbers, arrays);
    } else if (f.k === "fn" && from.k === "fn" && (f.node !== from.node || f.scope !== from.scope)) {
      throw L.fail(e, "type change", `'${name}.${key}' holds the function '${f.name}' and is assigned another, '${from.name}'.`, "Keep functions in constants, and call the one wanted.");
    }
  }
}

/**
 * `[a, b] = value` (`[hiddens, cells] = step(input, hiddens, cells)`): every element is
 * read first, then each name assigned its own — a number, an array (referred to), a list
 * or an object (field by field). An array that a name of the pattern is given and that
 * another of its names holds is first kept under a name of its own (`[a, b] = [b, a]`).
 */
export function assignPattern(L: Lowerer, e: ESTree.AssignmentExpression & { left: ESTree.ArrayPattern }, scope: Scope): Val {
  if (e.operator !== "=") throw L.fail(e, `operator ${e.operator}`, `'${e.operator}' does not apply to a destructuring pattern.`, "");
  const value = lowerExpr(L, e.right, scope);
  const targets = e.left.elements.flatMap((el, i) => {
    if (!el) return [];
    if (el.type !== "Identifier") throw L.fail(el, "destructuring assignment", "A destructuring assignment assigns plain names: [a, b] = ….", "Assign nested parts in a statement of their own.");
    const b = scope.lookup(el.name);
    if (!b) throw outerName(L, el);
    return [{ el, b, item: arrayItem(L, value, i, el) }];
  });
  const assigned = new Set(targets.flatMap((t) => arrayVars(t.b)));
  for (const t of targets) {
    const { item, b, el } = t;
    if (item.k === "arr" && assigned.has(item.v.id) && !(b.k === "arr" && b.v === item.v)) t.item = { k: "arr", v: refTo(L, `${el.name}_next`, item.v) };
    if (item.k === "obj" && arrayVars(item).some((v) => assigned.has(v))) t.item = ownedCopy(L, `${el.name}_next`, item, false);
  }
  for (const { el, b, item } of targets) {
    const one = { ...e, left: el, right: el, operator: "=" as const };
    if (b.k === "arr") assignArray(L, el, b, item, e);
    else if (b.k === "obj") assignObject(L, one, b, item);
    else if (b.k === "scalar" && item.k === "temp" && item.t.type === b.v.type && !b.isConst) {
      L.b.set(b.v, item.t);
      if (b.unset) L.b.set(b.unset, L.b.bool(false));
    } else {
      throw L.fail(el, b.k === "scalar" && b.isConst ? "assignment to const" : "type change", b.k === "scalar" && b.isConst ? `'${el.name}' is a const.` : `'${el.name}' holds ${shapeOf(b)}, and is assigned ${shapeOf(item)}.`, "Keep each variable one type.");
    }
  }
  return value;
}

/** The ids of the array vars a binding holds (in its fields too). */
function arrayVars(b: Binding | Val): number[] {
  if (b.k === "arr") return [b.v.id];
  if (b.k === "obj") return [...b.fields.values()].flatMap(arrayVars);
  return [];
}

/** What a binding holds, as a type: `number`, `Float64Array`, `[Float64Array, number]`, `{ arr: Float64Array; total: number }`. */
function shapeOf(b: Binding | Val): string {
  switch (b.k) {
    case "scalar": return b.v.type === "bool" ? "boolean" : "number";
    case "temp": return b.t.type === "bool" ? "boolean" : "number";
    case "arr": return b.v.type === "f32[]" ? "Float32Array" : "Float64Array";
    case "view": return "a view (.subarray())";
    case "obj": {
      const parts = [...b.fields].map(([key, f]) => (b.list ? shapeOf(f) : `${/^\w+$/.test(key) ? key : JSON.stringify(key)}: ${shapeOf(f)}`));
      return b.list ? `[${parts.join(", ")}]` : `{ ${parts.join("; ")} }`;
    }
    case "fn": return "function";
    case "tuple": return "a derivative's pair";
    case "key": return "a key";
  }
}
