// Typed-array methods that take a callback — map, forEach, reduce, reduceRight, some,
// every, filter — lowered to loops with the callback inlined in the body, in the order
// JavaScript calls it: once per element, from the first (the last for reduceRight), with
// (element, index, array), some/every stopping at the first element that decides.
import type * as ESTree from "acorn";
import type { Temp, Var } from "../ir/types.js";
import { UNNAMED_ARRAY, inline } from "./call.js";
import { temp, type Lowerer, type Val } from "./context.js";
import { lowerExpr, truthy } from "./expr.js";
import type { FnBinding, Scope } from "./scope.js";
import { lengthOfStorage } from "./list-growth.js";
import { plainLike } from "./concat.js";

export const CALLBACK_METHODS = new Set(["map", "forEach", "reduce", "reduceRight", "some", "every", "filter"]);

type ElemType = "f64[]" | "f32[]";

/** `made`: the type of the array map and filter make (default arr's; Array.from(a, f) makes an Array of doubles). */
export function lowerArrayMethod(L: Lowerer, node: ESTree.CallExpression, arr: Var, name: string, scope: Scope, made?: ElemType): Val {
  const reduces = name === "reduce" || name === "reduceRight";
  const [first, ...rest] = node.arguments;
  if (!first || rest.length > (reduces ? 1 : 0) || node.arguments.some((a) => a.type === "SpreadElement")) {
    const form = reduces ? `.${name}(callback, initial)` : `.${name}(callback)`;
    throw L.fail(node, `.${name}()`, `.${name} takes ${reduces ? "a callback and an initial value" : "one argument, the callback (no thisArg)"} here.`, `Write ${form}.`);
  }
  const fn = callback(L, first as ESTree.Expression, name, scope);
  const type: ElemType = made ?? (arr.type === "f32[]" ? "f32[]" : "f64[]");
  switch (name) {
    case "map":
      return plainLike(arr, map(L, node, arr, type, fn));
    case "forEach":
      eachElement(L, arr, fn, (call) => void call());
      return { k: "temp", t: L.b.num(NaN) };
    case "some":
    case "every":
      return { k: "temp", t: someOrEvery(L, node, arr, fn, name === "some") };
    case "filter":
      return plainLike(arr, filter(L, node, arr, type, fn));
    default:
      return { k: "temp", t: reduce(L, node, arr, fn, rest[0] as ESTree.Expression | undefined, name === "reduceRight", scope) };
  }
}

function callback(L: Lowerer, arg: ESTree.Expression, method: string, scope: Scope): FnBinding {
  const val = lowerExpr(L, arg, scope);
  if (val.k !== "fn") {
    throw L.fail(arg, `.${method}()`, `.${method} takes a function, and this is not one.`, `Pass an arrow: .${method}((v, i) => …).`);
  }
  if (val.fn.node.params.some((p) => p.type === "RestElement")) {
    throw L.fail(val.fn.node, "rest parameter", "A callback with a rest parameter is not supported.", "Name its parameters: (v, i, a) => ….");
  }
  return val.fn;
}

/** The name of the callback's parameter `k`, or `fallback`. */
function paramName(fn: FnBinding, k: number, fallback: string): string {
  const p = fn.node.params[k];
  return p?.type === "Identifier" && p.name !== "_" ? p.name : fallback;
}

/** Calls the callback with `lead` (reduce's accumulator) then (element, index, array), as many as it takes. */
function call(L: Lowerer, node: ESTree.Node, fn: FnBinding, arr: Var, index: Var, lead: Val[] = []): Val {
  const elem: Val = { k: "temp", t: L.b.load(arr, L.b.get(index)) };
  const args = [...lead, elem, { k: "temp", t: L.b.get(index) } as Val, { k: "arr", v: arr } as Val];
  return inline(L, fn, args.slice(0, Math.max(fn.node.params.length, lead.length)), node);
}

/** `for (let i = 0; i < arr.length; i++) body(call)`; `exit` stops it. */
function eachElement(L: Lowerer, arr: Var, fn: FnBinding, body: (call: () => Val, index: Var) => void, exit?: Var, node?: ESTree.Node): void {
  const index = L.b.newVar(paramName(fn, 1, "i"), "num");
  const end = lengthOfStorage(L, arr);
  const start = L.b.num(0);
  const block = L.block(() => body(() => call(L, node ?? fn.node, fn, arr, index), index));
  L.b.emit({ k: "for", index, start, end, step: 1, cmp: "<", body: block, ...(exit ? { exit } : {}) });
}

function number(L: Lowerer, v: Val, fn: FnBinding, what: string): Temp {
  const t = temp(v, L, fn.node);
  if (t.type !== "num") throw L.fail(fn.node, "boolean result", `The callback of ${what} returns a boolean, where a number is expected.`, "Return a number (c ? 1 : 0).");
  return t;
}

function map(L: Lowerer, node: ESTree.CallExpression, arr: Var, type: ElemType, fn: FnBinding): Val {
  const out = L.b.newVar(UNNAMED_ARRAY, type);
  L.b.emit({ k: "alloc", v: out, n: lengthOfStorage(L, arr) });
  eachElement(L, arr, fn, (value, index) => {
    const t = number(L, value(), fn, ".map");
    L.b.store(out, L.b.get(index), t);
  }, undefined, node);
  return { k: "arr", v: out };
}

/** some: stops at the first truthy result (true); every: at the first falsy one (false). The result is a boolean, not differentiated. */
function someOrEvery(L: Lowerer, node: ESTree.CallExpression, arr: Var, fn: FnBinding, some: boolean): Temp {
  const decided = L.flag(some ? "found" : "failed");
  L.b.set(decided, L.b.bool(false));
  eachElement(L, arr, fn, (value) => {
    const t = temp(value(), L, fn.node);
    const c = truthy(L, t);
    const then = L.block(() => L.b.set(decided, L.b.bool(true)));
    L.b.emit({ k: "if", cond: some ? c : L.b.op("not", c), then, else: [] });
  }, decided, node);
  const d = L.b.get(decided);
  return some ? d : L.b.op("not", d);
}

/**
 * The kept elements are copied (as read before the callback saw them) into a buffer of
 * the array's length while counting them, then into a result of the count's length.
 */
function filter(L: Lowerer, node: ESTree.CallExpression, arr: Var, type: ElemType, fn: FnBinding): Val {
  const kept = L.b.newVar("kept", type);
  L.b.emit({ k: "alloc", v: kept, n: lengthOfStorage(L, arr) });
  const count = L.b.newVar("count", "num");
  L.b.set(count, L.b.num(0));
  const index = L.b.newVar(paramName(fn, 1, "i"), "num");
  const end = lengthOfStorage(L, arr);
  const start = L.b.num(0);
  const body = L.block(() => {
    const elem = L.b.newVar(paramName(fn, 0, "v"), "num");
    L.b.set(elem, L.b.load(arr, L.b.get(index)));
    const args: Val[] = [{ k: "temp", t: L.b.get(elem) }, { k: "temp", t: L.b.get(index) }, { k: "arr", v: arr }];
    const c = truthy(L, temp(inline(L, fn, args.slice(0, fn.node.params.length), node), L, fn.node));
    const then = L.block(() => {
      L.b.store(kept, L.b.get(count), L.b.get(elem));
      L.b.set(count, L.b.op("add", L.b.get(count), L.b.num(1)));
    });
    L.b.emit({ k: "if", cond: c, then, else: [] });
  });
  L.b.emit({ k: "for", index, start, end, step: 1, cmp: "<", body });
  const out = L.b.newVar(UNNAMED_ARRAY, type);
  L.b.emit({ k: "alloc", v: out, n: L.b.get(count) });
  const j = L.b.newVar("j", "num");
  const n = L.b.get(count);
  const zero = L.b.num(0);
  const copy = L.block(() => L.b.store(out, L.b.get(j), L.b.load(kept, L.b.get(j))));
  L.b.emit({ k: "for", index: j, start: zero, end: n, step: 1, cmp: "<", body: copy });
  return { k: "arr", v: out };
}

function reduce(L: Lowerer, node: ESTree.CallExpression, arr: Var, fn: FnBinding, initNode: ESTree.Expression | undefined, right: boolean, scope: Scope): Temp {
  if (!initNode) {
    throw L.fail(node, `.${right ? "reduceRight" : "reduce"}() without an initial value`, "A reduction without an initial value throws on an empty array.",
      `Give the initial value: .${right ? "reduceRight" : "reduce"}((acc, v) => …, 0).`);
  }
  const acc = L.b.newVar(paramName(fn, 0, "acc"), "num");
  const init = lowerExpr(L, initNode, scope);
  const t = temp(init, L, initNode);
  if (t.type !== "num") throw L.fail(initNode, "boolean initial value", "The initial value of the reduction is a boolean.", "Start from a number.");
  L.b.set(acc, t);
  const index = L.b.newVar(paramName(fn, 2, "i"), "num");
  const n = lengthOfStorage(L, arr);
  const start = right ? L.b.op("sub", n, L.b.num(1)) : L.b.num(0);
  const end = right ? L.b.num(0) : n;
  const body = L.block(() => {
    const t = number(L, call(L, node, fn, arr, index, [{ k: "temp", t: L.b.get(acc) }]), fn, `.${right ? "reduceRight" : "reduce"}`);
    L.b.set(acc, t);
  });
  L.b.emit({ k: "for", index, start, end, step: right ? -1 : 1, cmp: right ? ">=" : "<", body });
  return L.b.get(acc);
}
