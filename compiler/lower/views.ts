// Views and copies of typed arrays. `x.subarray(a, b)` is a view: resolved statically as
// (base, offset, length), so `v[i]` is `base[offset + i]` and a write through one name
// is seen through every other, in the primal and (the same elements) in the adjoint.
// Copies (`slice`, `Float64Array.from`, `new Float64Array(x)`, `y.set(x, offset)`) are
// loops over elements, differentiated like any other. Ranges follow the specification:
// arguments truncated to integers (NaN is 0), negative ones counted from the end, clamped
// to the array; an index outside a view reads undefined and a write there does nothing.
import type * as ESTree from "acorn";
import type { Temp, Var } from "../ir/types.js";
import { UNNAMED_ARRAY } from "./call.js";
import type { Lowerer, Val } from "./context.js";
import { lowerExpr, lowerNum } from "./expr.js";
import type { Scope } from "./scope.js";
import { rebindableHere } from "./moves.js";
import { refuseAt } from "../errors.js";
import { plainLike } from "./concat.js";

export type ArrayVal = Extract<Val, { k: "arr" | "view" }>;
type ArrayType = "f64[]" | "f32[]";

/** The array a value's elements live in. */
export const baseOf = (a: ArrayVal): Var => (a.k === "arr" ? a.v : a.base);

export function lengthOf(L: Lowerer, a: ArrayVal): Temp {
  return a.k === "arr" ? L.b.len(a.v) : L.b.get(a.length);
}

/** The index in the base array of element `i`: `offset + i`, or -1 (no element) outside the view. */
export function elementIndex(L: Lowerer, a: ArrayVal, i: Temp): Temp {
  if (a.k === "arr") return i;
  const b = L.b;
  const inside = b.op("and", b.op("le", b.num(0), i), b.op("lt", i, b.get(a.length)));
  return b.op("select", inside, b.op("add", b.get(a.offset), i), b.num(-1));
}

export function loadElement(L: Lowerer, a: ArrayVal, i: Temp): Temp {
  return L.b.load(baseOf(a), elementIndex(L, a, i));
}

export function storeElement(L: Lowerer, a: ArrayVal, i: Temp, value: Temp): void {
  storeInside(L, a, elementIndex(L, a, i), value);
}

/** The index in the base array of element `i`, known to be inside the view (loops over its length). */
function insideIndex(L: Lowerer, a: ArrayVal, i: Temp): Temp {
  return a.k === "arr" ? i : L.b.op("add", L.b.get(a.offset), i);
}

/** Element `i` of `a`, for an `i` inside it: no bounds check. */
export function loadInside(L: Lowerer, a: ArrayVal, i: Temp): Temp {
  return L.b.load(baseOf(a), insideIndex(L, a, i));
}

/** Writes the base array at `baseIndex` (a parameter array written is copied on entry). */
function storeInside(L: Lowerer, a: ArrayVal, baseIndex: Temp, value: Temp): void {
  const base = baseOf(a);
  if (base.param !== undefined) L.writtenParams.add(base);
  L.b.store(base, baseIndex, value);
}

/** `for (j = 0; j < n; j++) body(j)`. */
function eachIndex(L: Lowerer, n: Temp, name: string, body: (j: Temp) => void): void {
  const index = L.b.newVar(name, "num");
  const inner = L.block(() => body(L.b.get(index)));
  L.b.emit({ k: "for", index, start: L.b.num(0), end: n, step: 1, cmp: "<", body: inner });
}

/** ToIntegerOrInfinity: truncated, NaN as 0. */
function integer(L: Lowerer, x: Temp): Temp {
  const b = L.b;
  return b.op("select", b.op("eq", x, x), b.op("trunc", x), b.num(0));
}

/** A relative index (negative from the end) clamped to [0, len]. */
function clampIndex(L: Lowerer, x: Temp, len: Temp): Temp {
  const b = L.b;
  const k = integer(L, x);
  const zero = b.num(0);
  return b.op("select", b.op("lt", k, zero), b.op("max", b.op("add", len, k), zero), b.op("min", k, len));
}

/** `(begin, count)` of `a.slice(start, end)` / `a.subarray(start, end)`, held in vars. */
function range(L: Lowerer, a: ArrayVal, args: ESTree.Expression[], scope: Scope): { begin: Var; count: Var } {
  const len = lengthOf(L, a);
  const begin = L.b.newVar(`${baseOf(a).name}_begin`, "num");
  const count = L.b.newVar(`${baseOf(a).name}_count`, "num");
  const start = args[0] ? clampIndex(L, lowerNum(L, args[0], scope), len) : L.b.num(0);
  L.b.set(begin, start);
  const end = args[1] ? clampIndex(L, lowerNum(L, args[1], scope), len) : len;
  L.b.set(count, L.b.op("max", L.b.op("sub", end, L.b.get(begin)), L.b.num(0)));
  return { begin, count };
}

/**
 * A view bound to a name (declared, or a parameter): refused when its base may be
 * reassigned while the name lives, since a view keeps the array it was made from. A
 * view used at once (an argument of a helper that cannot reach the base's name) is fine.
 */
export function bindView(L: Lowerer, v: Extract<Val, { k: "view" }>, name: string, param: boolean): Extract<Val, { k: "view" }> {
  if (rebindableHere(L, v.base)) {
    throw refuseAt(L.b.loc, "view of a reassigned array", `'${v.base.name}' is reassigned in this function, and the view '${name}' keeps the array it was made from, whatever the name refers to later.`,
      `Make the view where it is used (f(${v.base.name}.subarray(…))), or copy the range (${v.base.name}.slice(start, end)).`);
  }
  return param ? v : nameView(v, name);
}

/** A view declared as `name`: its offset and length vars are named after it. */
function nameView(v: Extract<Val, { k: "view" }>, name: string): Extract<Val, { k: "view" }> {
  if (v.offset.name === `${v.base.name}_begin`) v.offset.name = `${name}_offset`;
  if (v.length.name === `${v.base.name}_count`) v.length.name = `${name}_length`;
  return v;
}

/** `a.subarray(start?, end?)`: a view of a's base. */
function subarray(L: Lowerer, a: ArrayVal, args: ESTree.Expression[], scope: Scope): ArrayVal {
  const { begin, count } = range(L, a, args, scope);
  if (a.k === "view") L.b.set(begin, L.b.op("add", L.b.get(a.offset), L.b.get(begin)));
  return { k: "view", base: baseOf(a), offset: begin, length: count };
}

/** A new array of `type` holding a copy of `a`'s elements. */
export function copyOf(L: Lowerer, type: ArrayType, a: ArrayVal): Val {
  const v = L.b.newVar(UNNAMED_ARRAY, type);
  if (a.k === "arr") {
    L.b.emit({ k: "alloc", v, n: L.b.len(a.v), copyOf: a.v });
    return { k: "arr", v };
  }
  L.b.emit({ k: "alloc", v, n: L.b.get(a.length) });
  const copy: Val = { k: "arr", v };
  eachIndex(L, L.b.get(a.length), "j", (j) => L.b.store(v, j, loadInside(L, a, j)));
  return copy;
}

/** `a.slice(start, end)`: a copy of that range. */
function slice(L: Lowerer, a: ArrayVal, args: ESTree.Expression[], scope: Scope): Val {
  const type = baseOf(a).type as ArrayType;
  return plainLike(baseOf(a), copyOf(L, type, args.length === 0 ? a : subarray(L, a, args, scope)));
}

/**
 * `y.set(x, offset)`: y[offset + j] = x[j]. From a range of the same array, the source is
 * copied first (JavaScript copies as if through a temporary). An x that does not fit
 * throws JavaScript's RangeError, in the primal and in every derivative.
 */
function set(L: Lowerer, y: ArrayVal, args: ESTree.Expression[], scope: Scope): Val {
  const src = lowerExpr(L, args[0], scope);
  if (src.k !== "arr" && src.k !== "view") {
    throw L.fail(args[0], ".set()", "The source of .set() must be a typed array (or a view of one).", "");
  }
  const from = baseOf(src) === baseOf(y) ? copyOf(L, baseOf(src).type as ArrayType, src) as ArrayVal : src;
  const at = L.b.newVar("offset", "num");
  L.b.set(at, args[1] ? integer(L, lowerNum(L, args[1], scope)) : L.b.num(0));
  const end = L.b.op("add", L.b.get(at), lengthOf(L, from));
  const outside = L.b.op("or", L.b.op("lt", L.b.get(at), L.b.num(0)), L.b.op("gt", end, lengthOf(L, y)));
  L.b.emit({ k: "if", cond: outside, then: L.block(() => L.b.emit({ k: "throw", error: "RangeError", message: "offset is out of bounds" })), else: [] });
  // Inside both arrays: checked just above.
  eachIndex(L, lengthOf(L, from), "j", (j) => {
    const value = loadInside(L, from, j);
    storeInside(L, y, insideIndex(L, y, L.b.op("add", L.b.get(at), j)), value);
  });
  return { k: "temp", t: L.b.num(NaN) };
}

/** `a.fill(value)` on a view: each of its elements. */
function fillView(L: Lowerer, a: Extract<Val, { k: "view" }>, valueNode: ESTree.Expression, scope: Scope): Val {
  const value = L.b.newVar("fill", "num");
  L.b.set(value, lowerNum(L, valueNode, scope));
  eachIndex(L, L.b.get(a.length), "j", (j) => storeInside(L, a, insideIndex(L, a, j), L.b.get(value)));
  return a;
}

/** Typed-array methods on arrays and views: undefined when `name` is not one of them. */
export function arrayMethod(L: Lowerer, node: ESTree.CallExpression, a: ArrayVal, name: string, scope: Scope): Val | undefined {
  const args = node.arguments.map((x) => {
    if (x.type === "SpreadElement") throw L.fail(x, "spread argument", "Spread arguments are not supported.", "");
    return x;
  });
  if (name === "subarray" && args.length <= 2) return subarray(L, a, args, scope);
  if (name === "slice" && args.length <= 2) return slice(L, a, args, scope);
  if (name === "set" && (args.length === 1 || args.length === 2)) return set(L, a, args, scope);
  if (name === "fill" && args.length === 1 && a.k === "view") return fillView(L, a, args[0], scope);
  return undefined;
}

/** `Float64Array.of(a, b, …)` / `Float32Array.of(…)`: a new array of those numbers. */
export function typedArrayOf(L: Lowerer, node: ESTree.CallExpression, type: ArrayType, scope: Scope): Val {
  const items = node.arguments.map((a) => {
    if (a.type === "SpreadElement") throw L.fail(a, "spread argument", "Spread arguments are not supported here.", "Copy the array instead: Float64Array.from(a).");
    return lowerNum(L, a, scope);
  });
  return arrayOfNumbers(L, type, items);
}

/** A new array holding `items` (an array literal of numbers, `Float64Array.of`). */
export function arrayOfNumbers(L: Lowerer, type: ArrayType, items: Temp[]): Extract<Val, { k: "arr" }> {
  const v = L.b.newVar(UNNAMED_ARRAY, type);
  L.b.emit({ k: "alloc", v, n: L.b.num(items.length) });
  items.forEach((t, i) => L.b.store(v, L.b.num(i), t));
  return { k: "arr", v };
}

/** `Float64Array.from(x)` / `Float32Array.from(x)` of a typed array: a copy. */
export function typedArrayFrom(L: Lowerer, node: ESTree.CallExpression, type: ArrayType, scope: Scope): Val {
  const ctor = type === "f64[]" ? "Float64Array" : "Float32Array";
  const [arg] = node.arguments;
  if (node.arguments.length !== 1 || arg.type === "SpreadElement") {
    throw L.fail(node, `${ctor}.from`, `${ctor}.from takes one argument here (a typed array), not ${node.arguments.length}.`,
      `For a mapped copy, copy first and write a loop: const c = ${ctor}.from(x); for (let i = 0; i < c.length; i++) c[i] = f(c[i]).`);
  }
  const src = lowerExpr(L, arg, scope);
  if (src.k !== "arr" && src.k !== "view") {
    throw L.fail(arg, `${ctor}.from`, `${ctor}.from takes a typed array here.`, `For a new array of n zeros, write new ${ctor}(n).`);
  }
  return copyOf(L, type, src);
}

/** A view where a whole array is needed (a kernel, a derivative, a returned array): refused with the reason. */
export function refuseView(L: Lowerer, node: ESTree.Node, what: string): Error {
  return L.fail(node, "view (subarray)", `A view made by .subarray() cannot ${what}: gradc resolves views statically, inside the function, as ranges of the array they view.`,
    "Copy the range with .slice(start, end) (or pass the whole array and the offset).");
}
