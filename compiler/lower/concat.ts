// Concatenation: `.flat()` and `.flatMap(cb)` of lists and spread elements in array
// literals (`[...a, ...b, 1]`): number arrays and numbers make a Float64Array, lists a
// list. `.flat()` spreads an Array but keeps a typed array whole, and gradc's arrays are
// Float64Arrays either way, so the vars holding JavaScript Arrays are tracked (plain):
// `number[]` arguments, literals, their copies and maps; flattening anything else is
// refused.
import type * as ESTree from "acorn";
import { refuse } from "../errors.js";
import type { Temp, Var } from "../ir/types.js";
import type { SourceText } from "../parse/source.js";
import { UNNAMED_ARRAY } from "./call.js";
import type { Lowerer, Val } from "./context.js";
import type { Binding } from "./scope.js";
import { bindValue, fieldValue } from "./stmt.js";
import { baseOf, lengthOf, type ArrayVal } from "./views.js";
import { cut, madeList, newGrowing, pushNumber } from "./list-growth.js";
import { inline } from "./call.js";
import { lowerExpr } from "./expr.js";
import type { Scope } from "./scope.js";

type ListVal = Extract<Val, { k: "obj" }>;

/** Array vars holding a JavaScript Array (number[] arguments, literals, their copies and maps), not a typed array. */
const plainArrays = new WeakSet<Var>();
/** Array vars that were plain and were then assigned an array that may not be. */
const tainted = new WeakSet<Var>();
/** The vars a var's value was taken or copied from: plain only while each of them is. */
const sources = new WeakMap<Var, Var[]>();
/** Vars whose plainness a .flat() relied on, checked when lowering ends (a later assignment may taint them). */
const reliedOn = new WeakMap<Lowerer, { v: Var; source: SourceText; node: ESTree.Node }[]>();

function taken(v: Var, from: Var): void {
  sources.set(v, [...(sources.get(v) ?? []), from]);
}

function taintedNow(v: Var, seen = new Set<Var>()): boolean {
  if (tainted.has(v)) return true;
  if (seen.has(v)) return false;
  seen.add(v);
  return (sources.get(v) ?? []).some((s) => taintedNow(s, seen));
}

export function markPlain<V extends Val>(val: V): V {
  if (val.k === "arr") plainArrays.add(val.v);
  return val;
}

/** A copy or map of `from`: plain when `from` is. */
export function plainLike<V extends Val>(from: Var, val: V): V {
  if (!plainArrays.has(from) || tainted.has(from) || val.k !== "arr") return val;
  taken(val.v, from);
  return markPlain(val);
}

/** `v = from` (a reassigned array variable): v stays plain only while every array it is given is. */
export function followPlain(v: Var, from: Var): void {
  if (plainArrays.has(from) && !tainted.has(from)) {
    if (!tainted.has(v)) plainArrays.add(v);
    taken(v, from);
  } else tainted.add(v);
}

/** Whether `v` holds a JavaScript Array as far as is known here (no reliance recorded). */
export function isJsArray(v: Var): boolean {
  return plainArrays.has(v) && !taintedNow(v);
}

function isPlain(L: Lowerer, v: Var, node: ESTree.Node): boolean {
  if (!plainArrays.has(v) || taintedNow(v)) return false;
  reliedOn.set(L, [...(reliedOn.get(L) ?? []), { v, source: L.fn.source, node }]);
  return true;
}

export function checkPlainReliance(L: Lowerer): void {
  const bad = (reliedOn.get(L) ?? []).find((r) => taintedNow(r.v));
  if (bad) {
    throw refuse(bad.source, bad.node, ".flat()", `'${bad.v.name}' (or the array it was taken from) is assigned a typed array somewhere, and .flat() spreads an Array of numbers but keeps a typed array whole: which one it meets is known only at run time.`,
      "Keep the variable an Array (number[]) on every assignment, or concatenate with spread ([...a, ...b]), which spreads both.");
  }
}

type Part = { k: "num"; v: Var } | { k: "arr"; a: ArrayVal };

/** The elements of `items` spread or listed: numbers and number arrays make a Float64Array, arrays and objects a list. */
export function concatenation(L: Lowerer, node: ESTree.Node, items: { val: Val; spread: boolean; at: ESTree.Node }[]): Val {
  const flatItems: { val: Val; spread: boolean; at: ESTree.Node }[] = [];
  for (const it of items) {
    if (it.spread && it.val.k === "obj" && it.val.list) {
      for (const f of it.val.fields.values()) flatItems.push({ val: fieldValue(L, f), spread: false, at: it.at });
    } else flatItems.push(it);
  }
  const numeric = flatItems.every((it) => (it.spread ? it.val.k === "arr" || it.val.k === "view" : it.val.k === "temp" && it.val.t.type === "num"));
  if (numeric) {
    return concatNumbers(L, flatItems.map((it) => (it.spread ? { k: "arr", a: it.val as ArrayVal } : held(L, (it.val as Extract<Val, { k: "temp" }>).t))));
  }
  const bad = flatItems.find((it) => it.spread || it.val.k === "temp");
  if (bad && flatItems.some((it) => !it.spread && it.val.k !== "temp")) {
    throw L.fail(bad.at, "spread element", bad.spread
      ? "This spread element (a number array) next to arrays or objects would make an Array whose length is known only at run time, of mixed elements."
      : "An Array mixing numbers with arrays or objects (after spreading) is not supported here.",
      "Spread number arrays with numbers ([...a, ...b, 1]), or lists with arrays ([...rows, row]).");
  }
  const fields = new Map<string, Binding>();
  flatItems.forEach((it, i) => {
    if (it.val.k === "tuple") throw L.fail(it.at, "pair in an array", "A derivative's [value, gradient] pair cannot be an array element.", "Destructure it first.");
    fields.set(String(i), bindValue(L, `item${i}`, it.val, true));
  });
  return madeList(L, { k: "obj", fields, list: true });
}

function held(L: Lowerer, t: Temp): Part {
  if (t.type !== "num") throw new Error("gradc internal error: a boolean in a concatenation");
  const v = L.b.newVar("value", "num");
  L.b.set(v, t);
  return { k: "num", v };
}

/** A new Float64Array of the parts, one after another. */
function concatNumbers(L: Lowerer, parts: Part[]): Val {
  const b = L.b;
  let n = b.num(parts.filter((p) => p.k === "num").length);
  for (const p of parts) if (p.k === "arr") n = b.op("add", n, lengthOf(L, p.a));
  const out = b.newVar(UNNAMED_ARRAY, "f64[]");
  b.emit({ k: "alloc", v: out, n });
  const at = b.newVar("at", "num");
  b.set(at, b.num(0));
  for (const p of parts) {
    if (p.k === "num") {
      b.store(out, b.get(at), b.get(p.v));
      b.set(at, b.op("add", b.get(at), b.num(1)));
      continue;
    }
    const j = b.newVar("j", "num");
    const body = L.block(() => {
      const src = p.a.k === "arr" ? L.b.get(j) : L.b.op("add", L.b.get(p.a.offset), L.b.get(j));
      L.b.store(out, L.b.op("add", L.b.get(at), L.b.get(j)), L.b.load(baseOf(p.a), src));
    });
    b.emit({ k: "for", index: j, start: b.num(0), end: lengthOf(L, p.a), step: 1, cmp: "<", body });
    b.set(at, b.op("add", b.get(at), lengthOf(L, p.a)));
  }
  return markPlain({ k: "arr", v: out });
}

/** `xs.flat(depth?)` of a list: its elements' elements, depth levels down (1 when not given). */
export function flatList(L: Lowerer, node: ESTree.CallExpression, list: ListVal, depthOf: (n: ESTree.Node) => number | undefined): Val {
  const [arg, ...rest] = node.arguments;
  const depth = arg ? (arg.type === "SpreadElement" ? undefined : depthOf(arg)) : 1;
  if (depth === undefined || rest.length > 0) throw L.fail(node, ".flat()", "The depth of .flat must be known when compiling.", "Write .flat() or .flat(2).");
  return flatten(L, node, list, depth);
}

function flatten(L: Lowerer, node: ESTree.Node, val: Val, depth: number): Val {
  if (depth < 1 || !(val.k === "obj" && val.list)) return val;
  const items = [...val.fields.values()].map((f) => {
    const v = fieldValue(L, f);
    const inner = v.k === "obj" && v.list ? flatten(L, node, v, depth - 1) : v;
    if ((inner.k === "arr" && !isPlain(L, inner.v, node)) || inner.k === "view") {
      throw L.fail(node, ".flat()", "An element of this Array may be a typed array, which .flat() keeps whole (it spreads only Arrays), and gradc cannot tell which it is here.",
        "Flatten Arrays of number[] (arguments, literals, their maps and slices), or concatenate with spread ([...a, ...b]), which spreads typed arrays too.");
    }
    return { val: inner, spread: inner.k === "arr" || (inner.k === "obj" && inner.list === true), at: node };
  });
  return concatenation(L, node, items);
}

/** `xs.flatMap(cb)` of a list: the callbacks' results (arrays, or single values) one after another. */
export function flatMapList(L: Lowerer, mapped: Val, node: ESTree.Node): Val {
  return mapped.k === "obj" && mapped.list ? flatten(L, node, mapped, 1) : mapped;
}

/**
 * `a.flatMap(cb)` of a number[] (a plain Array: a typed array has no flatMap): a loop
 * calling cb with (element, index, array) that pushes a number it returns, or each
 * element of a number array it returns, onto a growing array, cut to its length after.
 */
export function flatMapNumbers(L: Lowerer, node: ESTree.CallExpression, arr: Var, scope: Scope): Val {
  if (!isPlain(L, arr, node)) {
    throw L.fail(node.callee, ".flatMap()", `'${arr.name}' may be a typed array here, which has no .flatMap.`, "Call .flatMap on a number[] (an argument, a literal, their maps and copies), or concatenate with a loop and push.");
  }
  const [cbNode, ...rest] = node.arguments;
  const cb = cbNode && cbNode.type !== "SpreadElement" ? lowerExpr(L, cbNode, scope) : undefined;
  if (!cb || cb.k !== "fn" || rest.length > 0) throw L.fail(node, ".flatMap()", ".flatMap takes one argument here, the callback.", "Pass an arrow: .flatMap((v, i) => [v, v * v]).");
  const b = L.b;
  const out = newGrowing(L, `${arr.name}_flat`);
  const index = b.newVar("i", "num");
  const body = L.block(() => {
    const args: Val[] = [{ k: "temp", t: L.b.load(arr, L.b.get(index)) }, { k: "temp", t: L.b.get(index) }, { k: "arr", v: arr }];
    const r = inline(L, cb.fn, args.slice(0, cb.fn.node.params.length), node);
    if (r.k === "temp" && r.t.type === "num") return pushNumber(L, out, r.t);
    if (r.k !== "arr" || !isPlain(L, r.v, node)) {
      throw L.fail(cbNode, ".flatMap()", "The callback of .flatMap returns something other than a number or an Array of numbers (a typed array, which .flatMap keeps whole, an Array of arrays, an object).", "Return a number or a number[] ([a, b], or a map of a number[]).");
    }
    const j = L.b.newVar("j", "num");
    const each = L.block(() => pushNumber(L, out, L.b.load(r.v, L.b.get(j))));
    L.b.emit({ k: "for", index: j, start: L.b.num(0), end: L.b.len(r.v), step: 1, cmp: "<", body: each });
  });
  b.emit({ k: "for", index, start: b.num(0), end: b.len(arr), step: 1, cmp: "<", body });
  return cut(L, out);
}
