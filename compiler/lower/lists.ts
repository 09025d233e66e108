// Plain arrays. An array literal of numbers (`[1, a * a, 2]`) is a local Float64Array;
// any other array — a literal of arrays or objects, an argument that is an Array of
// typed arrays, of number[] or of objects — is a list: an object whose fields are the
// indices "0".."n-1", its length known when the function is compiled. A list is
// indexed with indices known then: constants, the index of a loop over a list (such
// loops are unrolled: one copy of the body per element) and sums of those.
import type * as ESTree from "acorn";
import type { Block, Temp, Var } from "../ir/types.js";
import type { Lowerer, Val } from "./context.js";
import { lowerExpr, lowerNum } from "./expr.js";
import { visit } from "./exits.js";
import { fieldValue, bindValue } from "./stmt.js";
import { Scope, type Binding } from "./scope.js";
import { UNNAMED_ARRAY, inline, lowerCall } from "./call.js";
import { copyOf, refuseView, storeElement } from "./views.js";
import { lowerArrayMethod } from "./methods.js";
import { madeList, pushOntoList } from "./list-growth.js";
import { concatenation, flatList, flatMapList, markPlain } from "./concat.js";

type ListBinding = Extract<Binding, { k: "obj" }>;

/** `[a, b, c]`: numbers make a Float64Array; arrays, objects (or a mix with numbers) make a list. */
export function arrayLiteral(L: Lowerer, node: ESTree.ArrayExpression, scope: Scope): Val {
  if (node.elements.length === 0) return markPlain(emptyNumbers(L));
  if (node.elements.some((e) => e?.type === "SpreadElement")) {
    return concatenation(L, node, node.elements.map((e, i) => {
      if (!e) throw L.fail(node, "array hole", `The array literal has a hole at [${i}].`, "Write every element.");
      const spread = e.type === "SpreadElement";
      return { val: lowerExpr(L, spread ? e.argument : e, scope), spread, at: e };
    }));
  }
  const items = node.elements.map((e, i) => {
    if (!e) throw L.fail(node, "array hole", `The array literal has a hole at [${i}].`, "Write every element.");
    return lowerExpr(L, e as ESTree.Expression, scope);
  });
  if (items.length > 0 && items.every((v) => v.k === "temp" && v.t.type === "num")) {
    const v = L.b.newVar(UNNAMED_ARRAY, "f64[]");
    L.b.emit({ k: "alloc", v, n: L.b.num(items.length) });
    items.forEach((item, i) => L.b.store(v, L.b.num(i), (item as { t: import("../ir/types.js").Temp }).t));
    return markPlain({ k: "arr", v });
  }
  const fields = new Map<string, Binding>();
  items.forEach((item, i) => {
    if (item.k === "tuple") throw L.fail(node.elements[i]!, "pair in an array", "A derivative's [value, gradient] pair cannot be an array element.", "Destructure it first.");
    fields.set(String(i), bindValue(L, `item${i}`, item, true));
  });
  return madeList(L, { k: "obj", fields, list: true });
}

/** `[]` not declared as a name (an argument, an element, a returned value): an empty Float64Array (only a name declared with [] grows by push). */
function emptyNumbers(L: Lowerer): Val {
  const v = L.b.newVar(UNNAMED_ARRAY, "f64[]");
  L.b.emit({ k: "alloc", v, n: L.b.num(0) });
  return { k: "arr", v };
}

/** The value of an integer expression known at compile time: a literal, an unrolled loop's index, a list's length, and + - * of those. */
export function staticIndex(L: Lowerer, node: ESTree.Node, scope: Scope): number | undefined {
  const n = node as ESTree.AnyNode;
  switch (n.type) {
    case "Literal":
      return typeof n.value === "number" ? n.value : undefined;
    case "Identifier": {
      const b = scope.lookup(n.name);
      return b?.k === "scalar" ? b.value : undefined;
    }
    case "BinaryExpression": {
      const a = staticIndex(L, n.left, scope), b = staticIndex(L, n.right, scope);
      if (a === undefined || b === undefined) return undefined;
      return n.operator === "+" ? a + b : n.operator === "-" ? a - b : n.operator === "*" ? a * b : undefined;
    }
    case "MemberExpression": {
      if (n.computed || n.property.type !== "Identifier" || n.property.name !== "length") return undefined;
      const list = staticList(n.object, scope);
      return list ? list.fields.size : undefined;
    }
    case "ParenthesizedExpression" as string:
      return staticIndex(L, (n as unknown as { expression: ESTree.Node }).expression, scope);
    default:
      return undefined;
  }
}

/** The list an expression names, found without lowering it: `xs`, `p.layers`, `p["w"]` (undefined if it is not one). */
function staticList(node: ESTree.Node, scope: Scope): ListBinding | undefined {
  const b = staticBinding(node, scope);
  return b?.k === "obj" && b.list ? b : undefined;
}

function staticBinding(node: ESTree.Node, scope: Scope): Binding | undefined {
  const n = node as ESTree.AnyNode;
  if (n.type === "Identifier") return scope.lookup(n.name);
  if (n.type !== "MemberExpression") return undefined;
  const base = staticBinding(n.object, scope);
  if (base?.k !== "obj") return undefined;
  const key = !n.computed && n.property.type === "Identifier" ? n.property.name : n.property.type === "Literal" ? String(n.property.value) : undefined;
  return key === undefined ? undefined : base.fields.get(key);
}

/** `xs.length` of a list: a constant. */
export function listLength(L: Lowerer, base: Extract<Val, { k: "obj" }>): Val {
  return { k: "temp", t: L.b.num(base.fields.size) };
}

/** `xs[i]` of a list, with an index known at compile time. */
export function listElement(L: Lowerer, base: Extract<Val, { k: "obj" }>, index: ESTree.Expression, scope: Scope): Val {
  const at = staticIndex(L, index, scope);
  if (at === undefined) {
    // Evaluate it anyway, so that an error inside it is reported first.
    lowerNum(L, index, scope);
    throw L.fail(index, "list index", `This Array of ${base.fields.size} arrays or objects is indexed by a value known only at run time: gradc keeps such an Array as ${base.fields.size} separate values and needs to know which one is meant when it compiles.`,
      "Index it with a constant, or loop over it so that the index is known for each element: for (let i = 0; i < xs.length; i++) from a constant, for…of, xs.map((x, i) => …), which gradc unrolls. " +
      "With a run-time index gradc reads or writes only an element of an element (xs[k][j], xs[k].length, xs[k][j] = v) of an Array of arrays, reads an element of an Array of numbers, and calls an element of an Array of functions (fs[k](x)).");
  }
  const field = base.fields.get(String(at));
  if (!field) throw L.fail(index, "list index", `Index ${at} is outside this Array of ${base.fields.size}.`, "");
  return fieldValue(L, field);
}

/**
 * `xs[k][j]`, `xs[k].length` or `xs[k]` with `k` known only at run time, in a list whose
 * elements are all arrays (or all numbers): a chain `if (k === 0) … else if (k === 1) …`
 * that reads the element of each (exact in every mode: only the branch taken runs, in the
 * backward sweep too), one comparison per element of the list. Outside the list, an
 * element of an element throws a TypeError, as reading from `undefined` does, and an
 * element of an Array of numbers is NaN (undefined in arithmetic). Undefined when `node`
 * is not such a read.
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
  branches(L, rows.list, k, (item) => storeElement(L, item as Extract<Val, { k: "arr" }>, L.b.get(j), L.b.get(stored)), () => outOfRange(L, rows.list));
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

/** Whether `body` indexes a list by an expression mentioning `index`: then its loop is unrolled. */
export function indexesList(body: ESTree.Node, index: string, scope: Scope): boolean {
  let found = false;
  visit(body, (n) => {
    if (found || n.type !== "MemberExpression" || !n.computed) return;
    if (!mentions(n.property, index)) return;
    if (staticList(n.object, scope)) found = true;
  });
  return found;
}

function mentions(node: ESTree.Node, name: string): boolean {
  let yes = false;
  visit(node, (n) => { if (n.type === "Identifier" && n.name === name) yes = true; });
  return yes;
}

/** `const [a, b] = v`: elements of a typed array (read now), of a list, or of a derivative's pair. */
export function destructureArray(L: Lowerer, p: ESTree.ArrayPattern, val: Val, isConst: boolean, declare: (name: string, b: Binding) => void): void {
  p.elements.forEach((e, i) => {
    if (!e) return;
    const item = arrayItem(L, val, i, e);
    if (e.type === "Identifier") return declare(e.name, bindValue(L, e.name, item, isConst));
    if (e.type === "ArrayPattern") return destructureArray(L, e, item, isConst, declare);
    throw L.fail(e, "destructuring pattern", "Destructure into plain names or nested [ ] patterns.", "");
  });
}

/** Element i of a typed array (read now), of a list, or of a derivative's pair. */
export function arrayItem(L: Lowerer, val: Val, i: number, at: ESTree.Node): Val {
  if (val.k === "tuple" && val.items[i]) return val.items[i];
  if (val.k === "arr") return { k: "temp", t: L.b.load(val.v, L.b.num(i)) };
  if (val.k === "obj" && val.list) {
    const field = val.fields.get(String(i));
    if (field) return fieldValue(L, field);
    throw L.fail(at, "destructuring pattern", `The Array has ${val.fields.size} elements, not ${i + 1}.`, "");
  }
  throw L.fail(at, "array destructuring", val.k === "tuple" ? "The pair has two parts." : "Only arrays can be destructured with [ ].", "");
}

/**
 * `xs.map(cb)`, `xs.forEach(cb)`, `xs.reduce(cb, init)`, `xs.reduceRight(cb, init)` on a
 * list: unrolled, the callback inlined once per element with (element, index, list). A
 * map whose callback returns numbers makes a Float64Array; one returning arrays or
 * objects makes a list.
 */
export function listMethod(L: Lowerer, node: ESTree.CallExpression, list: Extract<Val, { k: "obj" }>, name: string, scope: Scope): Val {
  if (name === "slice") return listSlice(L, node, list, scope);
  if (name === "push") return pushOntoList(L, node, list, scope);
  if (name === "flat") return flatList(L, node, list, (n) => staticIndex(L, n, scope));
  if (name === "flatMap") return flatMapList(L, listMethod(L, node, list, "map", scope), node);
  if (!LIST_METHODS.has(name)) {
    throw L.fail(node.callee, `.${name}()`, `The method .${name} of an Array of arrays or objects is not supported.`,
      `Supported: .length, indexing, for…of, .slice(a, b) with bounds known when compiling, .push (where the Array was made), .flat(), and with a callback .${[...LIST_METHODS].join(", .")}, .flatMap.`);
  }
  const reduces = name === "reduce" || name === "reduceRight";
  const [cbNode, initNode, ...rest] = node.arguments;
  if (!cbNode || rest.length > 0 || (!reduces && initNode) || node.arguments.some((a) => a.type === "SpreadElement")) {
    throw L.fail(node, `.${name}()`, `.${name} takes ${reduces ? "a callback and an initial value" : "one argument, the callback"} here.`, "");
  }
  const cb = lowerExpr(L, cbNode as ESTree.Expression, scope);
  if (cb.k !== "fn") throw L.fail(cbNode, `.${name}()`, `.${name} takes a function, and this is not one.`, `Pass an arrow: .${name}((x, i) => …).`);
  const items = [...list.fields.values()];
  const order = name === "reduceRight" ? items.map((_, i) => items.length - 1 - i) : items.map((_, i) => i);
  const callWith = (lead: Val[], i: number) => {
    const args: Val[] = [...lead, fieldValue(L, items[i]), { k: "temp", t: L.b.num(i), known: i }, list];
    return inline(L, cb.fn, args.slice(0, Math.max(cb.fn.node.params.length, lead.length)), node);
  };
  if (reduces) {
    let acc: Val | undefined = initNode ? lowerExpr(L, initNode as ESTree.Expression, scope) : undefined;
    for (const i of order) acc = acc === undefined ? fieldValue(L, items[i]) : kept(L, callWith([acc], i));
    if (!acc) throw L.fail(node, `.${name}()`, `.${name} of an empty Array without an initial value throws.`, "Pass an initial value.");
    return acc;
  }
  const results = order.map((i) => kept(L, callWith([], i)));
  if (name === "forEach") return { k: "temp", t: L.b.num(NaN) };
  if (results.length > 0 && results.every((r) => r.k === "temp" && r.t.type === "num")) {
    const v = L.b.newVar(UNNAMED_ARRAY, "f64[]");
    L.b.emit({ k: "alloc", v, n: L.b.num(results.length) });
    results.forEach((r, i) => L.b.store(v, L.b.num(i), (r as Extract<Val, { k: "temp" }>).t));
    return markPlain({ k: "arr", v });
  }
  const fields = new Map<string, Binding>();
  results.forEach((r, i) => fields.set(String(i), bindValue(L, `item${i}`, r, true)));
  return { k: "obj", fields, list: true };
}

const LIST_METHODS = new Set(["map", "forEach", "reduce", "reduceRight"]);

/** `xs.slice(a, b)` of a list, with bounds known when compiling (negative from the end): the same elements, a shorter list. */
function listSlice(L: Lowerer, node: ESTree.CallExpression, list: Extract<Val, { k: "obj" }>, scope: Scope): Val {
  const n = list.fields.size;
  const bound = (arg: ESTree.Node | undefined, dflt: number): number => {
    if (!arg) return dflt;
    const v = arg.type === "SpreadElement" ? undefined : staticIndex(L, arg, scope) ?? negative(L, arg, scope);
    if (v === undefined) throw L.fail(arg, ".slice()", "The bounds of .slice on an Array of arrays or objects must be known when compiling.", "Use constants or the Array's length.");
    return v < 0 ? Math.max(n + v, 0) : Math.min(v, n);
  };
  if (node.arguments.length > 2) throw L.fail(node, ".slice()", ".slice takes at most two bounds.", "");
  const [a, b] = [bound(node.arguments[0], 0), bound(node.arguments[1], n)];
  const items = [...list.fields.values()].slice(a, Math.max(a, b));
  return { k: "obj", fields: new Map(items.map((f, i) => [String(i), f])), list: true };
}

function negative(L: Lowerer, arg: ESTree.Node, scope: Scope): number | undefined {
  if (arg.type !== "UnaryExpression" || (arg as ESTree.UnaryExpression).operator !== "-") return undefined;
  const v = staticIndex(L, (arg as ESTree.UnaryExpression).argument, scope);
  return v === undefined ? undefined : -v;
}

/** A callback's result, its number kept in a variable (read again after later calls). */
function kept(L: Lowerer, v: Val): Val {
  if (v.k !== "temp") return v;
  const held = L.b.newVar("value", v.t.type);
  L.b.set(held, v.t);
  return { k: "temp", t: L.b.get(held) };
}

/**
 * `Array.from(a)` (a copy of a typed array or number[], as a Float64Array; of a list, the
 * same elements), `Array.from(a, f)` (as `a.map(f)`), and `Array.from({ length: n }, f)`:
 * `f(undefined, i)` for each i — a loop filling a Float64Array when f returns numbers, or,
 * with n known when compiling, a list of what f returns (arrays, objects).
 */
export function arrayFrom(L: Lowerer, node: ESTree.CallExpression, scope: Scope): Val {
  const [src, fnArg, ...rest] = node.arguments;
  if (!src || rest.length > 0 || node.arguments.some((a) => a.type === "SpreadElement")) {
    throw L.fail(node, "Array.from", "Array.from takes an array (or { length: n }) and optionally a function here.", "");
  }
  const mapped = (): ESTree.CallExpression => ({ ...node, arguments: [fnArg as ESTree.Expression] });
  const length = src.type === "ObjectExpression" ? lengthOnly(src) : undefined;
  if (length) return fromLength(L, node, length, fnArg as ESTree.Expression | undefined, scope);
  const val = lowerExpr(L, src as ESTree.Expression, scope);
  if (val.k === "view" && fnArg) throw refuseView(L, src, "be mapped by Array.from");
  if (val.k === "arr" && fnArg) return markPlain(lowerArrayMethod(L, mapped(), val.v, "map", scope));
  if (val.k === "arr" || val.k === "view") return markPlain(copyOf(L, "f64[]", val));
  if (val.k === "obj" && val.list) return fnArg ? listMethod(L, mapped(), val, "map", scope) : val;
  throw L.fail(src, "Array.from", "Array.from takes a typed array, a number[], an Array of arrays, or { length: n } here.", "");
}

function lengthOnly(o: ESTree.ObjectExpression): ESTree.Expression | undefined {
  const [p] = o.properties;
  if (o.properties.length !== 1 || p.type !== "Property" || p.computed || p.key.type !== "Identifier" || p.key.name !== "length") return undefined;
  return p.value as ESTree.Expression;
}

function fromLength(L: Lowerer, node: ESTree.CallExpression, lengthNode: ESTree.Expression, fnArg: ESTree.Expression | undefined, scope: Scope): Val {
  const known = staticIndex(L, lengthNode, scope);
  const cb = fnArg ? lowerExpr(L, fnArg, scope) : undefined;
  if (cb && cb.k !== "fn") throw L.fail(fnArg, "Array.from", "The second argument of Array.from is a function here.", "Pass an arrow: Array.from({ length: n }, (_, i) => …).");
  const first = cb?.fn.node.params[0];
  if (first && (first.type !== "Identifier" || mentions(cb!.fn.node.body, first.name))) {
    throw L.fail(first, "Array.from", "Array.from({ length: n }, f) calls f with undefined as its first argument, which is not a number.", "Use only the index: (_, i) => ….");
  }
  const callAt = (i: Temp) => inline(L, (cb as Extract<Val, { k: "fn" }>).fn, [{ k: "temp", t: L.b.num(NaN) }, { k: "temp", t: i }].slice(0, Math.max(1, (cb as Extract<Val, { k: "fn" }>).fn.node.params.length)) as Val[], node);
  if (cb && known !== undefined) {
    const results = Array.from({ length: known }, (_, i) => kept(L, callAt(L.b.num(i))));
    if (results.every((r) => r.k !== "temp")) {
      const fields = new Map<string, Binding>();
      results.forEach((r, i) => fields.set(String(i), bindValue(L, `item${i}`, r, true)));
      return { k: "obj", fields, list: true };
    }
  }
  if (!cb) throw L.fail(node, "Array.from", "Array.from({ length: n }) has n undefined entries (not numbers).", "Pass a function making each: Array.from({ length: n }, (_, i) => …), or use new Float64Array(n) (zeros).");
  const out = L.b.newVar(UNNAMED_ARRAY, "f64[]");
  L.b.emit({ k: "alloc", v: out, n: lowerNum(L, lengthNode, scope) });
  const index = L.b.newVar("i", "num");
  const body = L.block(() => {
    const v = callAt(L.b.get(index));
    if (v.k !== "temp" || v.t.type !== "num") {
      throw L.fail(fnArg, "Array.from", "This Array.from makes an Array of arrays or objects whose length is known only at run time (the length of a typed array or of an Array of numbers): gradc keeps an Array of arrays as separate values, one per element, so it must know how many when it compiles.",
        "Give it a length known then (a constant, or the length of an Array of arrays), or keep the rows in one Float64Array (row t of n at t * n … t * n + n - 1), or make each row with push into [] in an unrolled loop.");
    }
    L.b.store(out, L.b.get(index), v.t);
  });
  L.b.emit({ k: "for", index, start: L.b.num(0), end: L.b.len(out), step: 1, cmp: "<", body });
  return markPlain({ k: "arr", v: out });
}
