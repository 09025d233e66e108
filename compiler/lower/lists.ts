// Plain arrays. An array literal of numbers (`[1, a * a, 2]`) is a local Float64Array;
// any other array — a literal of arrays or objects, an argument that is an Array of
// typed arrays, of number[] or of objects — is a list: an object whose fields are the
// indices "0".."n-1", its length known when the function is compiled. A list is
// indexed with indices known then: constants, the index of a loop over a list (such
// loops are unrolled: one copy of the body per element) and sums of those; with an
// index known only at run time through the if-chains of list-index.ts.
import type * as ESTree from "acorn";
import type { Temp } from "../ir/types.js";
import type { Lowerer, Val } from "./context.js";
import { lowerExpr, lowerNum } from "./expr.js";
import { visit } from "./exits.js";
import { fieldValue, bindValue } from "./stmt.js";
import type { Binding, Scope } from "./scope.js";
import { UNNAMED_ARRAY, inline } from "./call.js";
import { arrayOfNumbers, copyOf, loadElement, refuseView } from "./views.js";
import { lowerArrayMethod } from "./methods.js";
import { madeList, pushOntoList } from "./list-growth.js";
import { concatenation, flatList, flatMapList, markPlain } from "./concat.js";

type ListBinding = Extract<Binding, { k: "obj" }>;

/** `[a, b, c]`: numbers make a Float64Array; arrays, objects (or a mix with numbers) make a list. */
export function arrayLiteral(L: Lowerer, node: ESTree.ArrayExpression, scope: Scope): Val {
  // `[]` not declared as a name (an argument, an element, a returned value): an empty Float64Array (only a name declared with [] grows by push).
  if (node.elements.length === 0) return markPlain(arrayOfNumbers(L, "f64[]", []));
  const elements = node.elements.map((e, i) => {
    if (!e) throw L.fail(node, "array hole", `The array literal has a hole at [${i}].`, "Write every element.");
    return e;
  });
  if (elements.some((e) => e.type === "SpreadElement")) {
    return concatenation(L, node, elements.map((e) => {
      const spread = e.type === "SpreadElement";
      return { val: lowerExpr(L, spread ? e.argument : e, scope), spread, at: e };
    }));
  }
  const items = elements.map((e) => lowerExpr(L, e as ESTree.Expression, scope));
  if (items.every((v) => v.k === "temp" && v.t.type === "num")) {
    return markPlain(arrayOfNumbers(L, "f64[]", items.map((item) => (item as Extract<Val, { k: "temp" }>).t)));
  }
  const fields = new Map<string, Binding>();
  items.forEach((item, i) => {
    if (item.k === "tuple") throw L.fail(node.elements[i]!, "pair in an array", "A derivative's [value, gradient] pair cannot be an array element.", "Destructure it first.");
    fields.set(String(i), bindValue(L, `item${i}`, item, true));
  });
  return madeList(L, { k: "obj", fields, list: true });
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
export function staticList(node: ESTree.Node, scope: Scope): ListBinding | undefined {
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

/** Element i of a typed array or a view (read now, undefined past its end), of a list, or of a derivative's pair. */
export function arrayItem(L: Lowerer, val: Val, i: number, at: ESTree.Node): Val {
  if (val.k === "tuple" && val.items[i]) return val.items[i];
  if (val.k === "arr") return { k: "temp", t: L.b.load(val.v, L.b.num(i)) };
  if (val.k === "view") return { k: "temp", t: loadElement(L, val, L.b.num(i)) };
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
    return markPlain(arrayOfNumbers(L, "f64[]", results.map((r) => (r as Extract<Val, { k: "temp" }>).t)));
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
  if (val.k === "arr" && fnArg) return markPlain(lowerArrayMethod(L, mapped(), val.v, "map", scope, "f64[]"));
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
