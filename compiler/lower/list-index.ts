// Lists through an index known only at run time: `xs[k][j]` read, written (`=`, `op=`,
// `++`), `xs[k].length`, a method of `xs[k]` returning a number, `t[k]` of a list of
// numbers and `fs[k](x)` of a list of functions. Each is a chain `if (k === 0) … else
// if (k === 1) …` over the list's elements (exact in every mode: only the branch taken
// runs, in the backward sweep too), one comparison per element of the list.
import type * as ESTree from "acorn";
import type { Block, Temp, Var } from "../ir/types.js";
import type { Lowerer, Val } from "./context.js";
import { lowerNum } from "./expr.js";
import { fieldValue } from "./stmt.js";
import { Scope, type Binding } from "./scope.js";
import { inline, lowerCall } from "./call.js";
import { storeElement } from "./views.js";
import { staticIndex, staticList } from "./lists.js";
import { checkWritable } from "./list-growth.js";

type ListBinding = Extract<Binding, { k: "obj" }>;

/**
 * `xs[k][j]` and `xs[k].length` of a list of arrays, `t[k]` of a list of numbers. Outside
 * the list an element of an element throws a TypeError, as reading from `undefined` does,
 * and an element of an Array of numbers is NaN (undefined in arithmetic). Undefined when
 * `node` is not such a read.
 */
export function dynamicListRead(L: Lowerer, node: ESTree.MemberExpression, scope: Scope): Val | undefined {
  const rows = dynamicRows(L, node.object, scope);
  if (rows) {
    const length = !node.computed && node.property.type === "Identifier" && node.property.name === "length";
    if (!node.computed && !length) return undefined;
    const k = held(L, "index", lowerNum(L, rows.index, scope));
    const j = length ? undefined : held(L, "at", lowerNum(L, node.property as ESTree.Expression, scope));
    return { k: "temp", t: readRows(L, rows.list, k, (arr) => (j ? L.b.load(arr, L.b.get(j)) : L.b.len(arr))) };
  }
  const own = node.computed ? staticList(node.object, scope) : undefined;
  if (own && staticIndex(L, node.property, scope) === undefined && [...own.fields.values()].every((f) => f.k === "scalar" && f.v.type === "num")) {
    const k = held(L, "index", lowerNum(L, node.property as ESTree.Expression, scope));
    const result = L.b.newVar("element", "num");
    branches(L, own, k, (item) => L.b.set(result, (item as Extract<Val, { k: "temp" }>).t), () => L.b.set(result, L.b.num(NaN)));
    return { k: "temp", t: L.b.get(result) };
  }
  return undefined;
}

/** `xs[k]` with `xs` a list of arrays and `k` not known when compiling: the list and the index (undefined otherwise). */
function dynamicRows(L: Lowerer, node: ESTree.Node, scope: Scope): { list: ListBinding; index: ESTree.Expression } | undefined {
  const m = node as ESTree.MemberExpression;
  if (m.type !== "MemberExpression" || !m.computed) return undefined;
  const list = staticList(m.object, scope);
  if (!list || staticIndex(L, m.property, scope) !== undefined || ![...list.fields.values()].every((f) => f.k === "arr")) return undefined;
  return { list, index: m.property as ESTree.Expression };
}

/**
 * `xs[k][j] = v`, `xs[k][j] op= v`, `xs[k][j]++` with `k` known only at run time in a list
 * of arrays: the chain of `dynamicListRead`, storing into the array of the branch taken
 * (`value(old)` gives the value stored from the old element, read by a chain first when
 * the assignment is compound). Outside the list it throws a TypeError, as a write into
 * `undefined` does. Undefined when `target` is not such an element.
 */
export function dynamicListStore(L: Lowerer, target: ESTree.MemberExpression, compound: boolean, value: (old: Temp | undefined) => Temp, scope: Scope): Temp | undefined {
  const rows = target.computed ? dynamicRows(L, target.object, scope) : undefined;
  if (!rows) return undefined;
  const k = held(L, "index", lowerNum(L, rows.index, scope));
  const j = held(L, "at", lowerNum(L, target.property as ESTree.Expression, scope));
  const old = compound ? readRows(L, rows.list, k, (arr) => L.b.load(arr, L.b.get(j))) : undefined;
  const stored = held(L, "stored", value(old));
  branches(L, rows.list, k, (item) => {
    const at = L.b.get(j);
    checkWritable(L, item, at);
    storeElement(L, item as Extract<Val, { k: "arr" }>, at, L.b.get(stored));
  }, () => outOfRange(L, rows.list));
  return L.b.get(stored);
}

/**
 * `fs[k](a, b)` with `k` known only at run time in a list of functions: a chain of
 * branches, each inlining its own function on the arguments (evaluated once, before the
 * chain), the number it returns kept in one variable. Outside the list it throws a
 * TypeError, as calling `undefined` does. Undefined when the callee is not such an element.
 */
export function dynamicListCall(L: Lowerer, node: ESTree.CallExpression, args: (scope: Scope) => (Val | undefined)[], scope: Scope): Val | undefined {
  const callee = node.callee;
  if (callee.type !== "MemberExpression" || !callee.computed) return undefined;
  const list = staticList(callee.object, scope);
  if (!list || staticIndex(L, callee.property, scope) !== undefined || ![...list.fields.values()].every((f) => f.k === "fn")) return undefined;
  const k = held(L, "index", lowerNum(L, callee.property as ESTree.Expression, scope));
  const values = args(scope).map((a) => (a?.k === "temp" ? { k: "held" as const, v: held(L, "arg", a.t) } : a));
  let result: Var | undefined;
  branches(L, list, k, (item) => {
    const fn = (item as Extract<Val, { k: "fn" }>).fn;
    const out = inline(L, fn, values.map((a): Val | undefined => (a?.k === "held" ? { k: "temp", t: L.b.get(a.v) } : a)), node);
    if (out.k !== "temp" || (result && out.t.type !== result.type)) {
      throw L.fail(node, "list index", `The functions of this Array are called with an index known only at run time, and '${fn.name}' returns ${out.k === "temp" ? "a value of another type than the others" : "an array or object"}: gradc keeps the result of such a call in one variable, a number (or boolean).`,
        "Call each function with a constant index, or make them all return numbers.");
    }
    result ??= L.b.newVar("result", out.t.type);
    L.b.set(result, out.t);
  }, () => outOfRange(L, list));
  return { k: "temp", t: L.b.get(result!) };
}

/**
 * `xs[k].reduce(f, 0)`, `xs[k].some(f)` — a method of an element of a list of arrays, `k`
 * known only at run time, returning a number (or boolean): a chain of branches, each
 * calling it on its own array (a TypeError outside the list). Undefined when the callee
 * is not such a method.
 */
export function dynamicRowMethod(L: Lowerer, node: ESTree.CallExpression, scope: Scope): Val | undefined {
  const callee = node.callee;
  if (callee.type !== "MemberExpression" || callee.computed) return undefined;
  const rows = dynamicRows(L, callee.object, scope);
  if (!rows) return undefined;
  const k = held(L, "index", lowerNum(L, rows.index, scope));
  // The element, under a name no source can write, for the call lowered in each branch.
  const element: ESTree.Identifier = { type: "Identifier", name: "xs[k]", start: callee.object.start, end: callee.object.end };
  const call: ESTree.CallExpression = { ...node, callee: { ...callee, object: element } };
  let result: Var | undefined;
  branches(L, rows.list, k, (item) => {
    const inner = new Scope(scope);
    inner.declare(element.name, { k: "arr", v: (item as Extract<Val, { k: "arr" }>).v });
    const out = lowerCall(L, call, inner);
    if (out.k !== "temp" || (result && out.t.type !== result.type)) {
      throw L.fail(node, "list index", "This method is called on an element of an Array of arrays chosen by an index known only at run time, and returns an array: gradc keeps the result of such a call in one variable, a number (or boolean).",
        "Loop over the Array instead (xs.map((x, k) => …)), so that each element is known, or index it with a constant.");
    }
    result ??= L.b.newVar("result", out.t.type);
    L.b.set(result, out.t);
  }, () => outOfRange(L, rows.list));
  return { k: "temp", t: L.b.get(result!) };
}

function outOfRange(L: Lowerer, list: ListBinding): void {
  L.b.emit({ k: "throw", error: "TypeError", message: `index out of range: this Array has ${list.fields.size} elements` });
}

/** A temp kept in a variable, to be read inside the branches (temps do not cross blocks). */
function held(L: Lowerer, name: string, t: Temp): Var {
  const v = L.b.newVar(name, t.type);
  L.b.set(v, t);
  return v;
}

/** The number `read` gives from the array of element k of a list of arrays (a TypeError outside it). */
function readRows(L: Lowerer, list: ListBinding, k: Var, read: (arr: Var) => Temp): Temp {
  const result = L.b.newVar("element", "num");
  branches(L, list, k, (item) => L.b.set(result, read((item as Extract<Val, { k: "arr" }>).v)), () => outOfRange(L, list));
  return L.b.get(result);
}

/** `if (k === 0) each(xs[0]) else if (k === 1) each(xs[1]) … else outside()`. */
function branches(L: Lowerer, list: ListBinding, k: Var, each: (item: Val) => void, outside: () => void): void {
  const fields = [...list.fields.values()];
  const branch = (i: number): Block => L.block(() => {
    if (i === fields.length) return outside();
    const cond = L.b.op("eq", L.b.get(k), L.b.num(i));
    const then = L.block(() => each(fieldValue(L, fields[i])));
    L.b.emit({ k: "if", cond, then, else: branch(i + 1) });
  });
  L.b.block.push(...branch(0));
}
