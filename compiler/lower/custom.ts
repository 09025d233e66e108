// Calls of functions with custom rules (customJvp/customVjp, runtime/custom.ts): the value
// is f's, inlined as any call; the derivative is the rule's. The call becomes one op of its
// own, `custom(fx, x1, …, xn)`, whose value is fx and whose partials (reverse mode) and
// tangent (forward mode) are the rule's IR, inlined where the transforms ask for them — so
// derivative code holds the rule, and differentiating that code again (second order)
// differentiates the rule.
import type * as ESTree from "acorn";
import type { Builder, Factor } from "../ir/builder.js";
import { cloneBlock } from "../ir/rewrite.js";
import type { Func, Temp, Var } from "../ir/types.js";
import { verify } from "../ir/verify.js";
import type { Kind } from "../kinds.js";
import { defineCustomOp } from "../ops/table.js";
import type { BlackBox, CustomRuleFn } from "../parse/source.js";
import { hold, loop } from "../ops/kernels/record.js";
import { temp, type Lowerer, type Val } from "./context.js";
import { lowerExpr } from "./expr.js";
import type { Scope } from "./scope.js";
import { baseOf, lengthOf } from "./views.js";
import { lowerFunction } from "./index.js";
import type { FnBinding } from "./scope.js";

let nextCustom = 1;

/** Black boxes called by run-time derivative code, as `externs[k](…)` (compiled with this array as `externs`). */
export const EXTERNS: Function[] = [];
export const EXTERNS_NAME = "externs";
const externIndex = new Map<Function, number>();

/** `f(x…)` for a black box f called at run time: an op of its own, never differentiated (its derivative is the rule's). */
function externCall(L: Lowerer, name: string, f: Function, xs: Temp[]): Temp {
  let k = externIndex.get(f);
  if (k === undefined) {
    externIndex.set(f, (k = EXTERNS.length));
    EXTERNS.push(f);
  }
  const op = `extern${k}_${name}`;
  defineCustomOp({ name: op, args: xs.map(() => "num"), result: "num", js: (a) => `${EXTERNS_NAME}[${k}](${a.join(", ")})`, eval: (...x) => f(...x) as number, custom: true });
  return L.b.op(op, ...xs);
}

/**
 * `f(x…)` for a black box f of the build path: `local(x…)` in generated code, which imports
 * it (emit/module.ts). Never folded: gradc does not have the function.
 */
function blackBoxCall(L: Lowerer, box: BlackBox, xs: Temp[]): Temp {
  const op = `blackBox${nextCustom++}_${box.local}`;
  defineCustomOp({ name: op, args: xs.map(() => "num"), result: "num", js: (a) => `${box.local}(${a.join(", ")})`, eval: () => NaN, custom: true, blackBox: box });
  return L.b.op(op, ...xs);
}

/** `f(x…)` for f made by customJvp/customVjp: f's value, the rule's derivatives. */
export function lowerCustomCall(L: Lowerer, fn: FnBinding, custom: CustomRuleFn, args: (Val | undefined)[], call: ESTree.Node, inline: (fn: FnBinding) => Val): Val {
  const n = fn.node.params.length;
  const what = custom.kind === "jvp" ? "customJvp" : "customVjp";
  if (args.length !== n || args.some((a) => a === undefined)) {
    throw L.fail(call, "argument count", `'${fn.name}' (made by ${what}) takes ${n} argument(s), each a number, and is called with ${args.filter(Boolean).length}.`, "Pass every parameter.");
  }
  const xs = args.map((a, i) => {
    if (a!.k !== "temp" || a!.t.type !== "num") {
      throw L.fail(call, `${what} argument`, `'${fn.name}' (made by ${what}) takes numbers, and argument ${i + 1} is ${a!.k === "arr" ? "a typed array" : a!.k === "obj" ? "an object" : a!.k === "temp" ? "a boolean" : "a pair of values"}.`,
        "Functions with custom rules take and return numbers: call one per element for an array.");
    }
    return a!.t;
  });
  const value: Val = custom.extern ? { k: "temp", t: externCall(L, fn.name, custom.extern, xs) }
    : custom.blackBox ? { k: "temp", t: blackBoxCall(L, custom.blackBox, xs) } : inline(fn);
  if (value.k !== "temp" || value.t.type !== "num") throw L.fail(call, `${what} result`, `'${fn.name}' (made by ${what}) must return a number.`, "");
  const fx = temp(value, L, call);
  const num: Kind = { k: "num" };
  const rule = verify(lowerFunction(custom.rule, Array.from({ length: custom.kind === "jvp" ? 2 * n : n + 1 }, () => num), L.resolve));
  const wanted = custom.kind === "jvp" || n === 1 ? "num" : "f64[]";
  if (rule.result.type !== wanted && !(wanted === "f64[]" && rule.result.type === "f32[]")) {
    throw L.fail(call, `${what} rule`, custom.kind === "jvp"
      ? `The JVP rule of '${fn.name}' must return the tangent of its result, a number.`
      : `The VJP rule of '${fn.name}' must return ${n === 1 ? "the cotangent of its argument, a number" : `the cotangents of its ${n} arguments, a Float64Array of ${n} entries`}.`, "");
  }
  const op = `custom${nextCustom++}_${fn.name}`;
  defineCustomOp({
    name: op, args: Array.from({ length: n + 1 }, () => "num"), result: "num", js: (a) => a[0], eval: (v) => v, custom: true,
    // The value fx is f's: not differentiated (its derivative is the rule's).
    partials: (b, [, ...x]) => [undefined, ...partials(b, custom.kind, rule, x)],
    ...(custom.kind === "jvp" && { jvp: (b: Builder, [, ...dots]: (Temp | undefined)[], [, ...x]: Temp[]) => inlineRule(b, rule, [...x, ...dots.map((d) => d ?? b.num(0))]) }),
    singular: [],
  });
  return { k: "temp", t: L.b.op(op, fx, ...xs) };
}

/**
 * `stopGradient(x)`: x, with derivative 0 (an op without partials: never active). For a
 * typed array (or a view), a new array of its elements, each stopped — as at run time,
 * where stopGradient returns a copy of an array.
 */
export function lowerStopGradient(L: Lowerer, node: ESTree.CallExpression, scope: Scope): Val {
  const [arg] = node.arguments;
  if (node.arguments.length !== 1 || arg.type === "SpreadElement") {
    throw L.fail(node, "stopGradient", `stopGradient takes one argument (a number or a typed array), not ${node.arguments.length}.`, "");
  }
  const value = lowerExpr(L, arg, scope);
  if (value.k === "temp" && value.t.type === "num") return { k: "temp", t: L.b.op("stopGradient", value.t) };
  if (value.k !== "arr" && value.k !== "view") {
    const what = value.k === "temp" ? "a boolean" : value.k === "obj" ? "an object" : value.k === "fn" ? "a function" : "a pair of values";
    throw L.fail(arg, "stopGradient", `stopGradient takes a number or a typed array, and this is ${what}.`, value.k === "obj" ? "Apply it to each field." : "");
  }
  const base = baseOf(value);
  const copy = L.b.newVar(arg.type === "Identifier" ? `${arg.name}_stopped` : "stopped", base.type);
  const n = hold(L.b, lengthOf(L, value), "n");
  L.b.emit({ k: "alloc", v: copy, n: L.b.get(n) });
  loop(L.b, L.b.get(n), (b, i) => {
    const at = value.k === "view" ? b.op("add", b.get(value.offset), i) : i;
    b.store(copy, i, b.op("stopGradient", b.load(base, at)));
  }, "j");
  return { k: "arr", v: copy };
}

/** ∂f/∂xᵢ at x: the JVP rule along eᵢ, or the VJP rule's cotangents for ȳ = 1. */
function partials(b: Builder, kind: "jvp" | "vjp", rule: Func, x: Temp[]): Factor[] {
  if (kind === "jvp") return x.map((_, i) => inlineRule(b, rule, [...x, ...x.map((_, j) => b.num(i === j ? 1 : 0))]));
  const result = ruleResult(b, rule, [...x, b.num(1)]);
  if (x.length === 1 && result.type === "num") return [b.get(result)];
  return x.map((_, i) => b.load(result, b.num(i)));
}

function inlineRule(b: Builder, rule: Func, args: Temp[]): Temp {
  return b.get(ruleResult(b, rule, args));
}

/** Copies the rule's IR into `b` with its parameters set to `args`; the var holding its result. */
function ruleResult(b: Builder, rule: Func, args: Temp[]): Var {
  const vars = new Map<number, Var>();
  const temps = new Map<number, Temp>();
  const mapVar = (v: Var): Var => {
    let m = vars.get(v.id);
    if (!m) vars.set(v.id, (m = b.newVar(v.name, v.type)));
    return m;
  };
  const mapTemp = (t: Temp): Temp => {
    let m = temps.get(t.id);
    if (!m) temps.set(t.id, (m = b.temp(t.type)));
    return m;
  };
  rule.params.forEach((p, i) => b.set(mapVar(p), args[i]));
  for (const i of cloneBlock(rule.body, mapVar, mapTemp)) b.emit(i);
  return mapVar(rule.result);
}
