// Calls of functions with custom rules (customJvp/customVjp, runtime/custom.ts): the value
// is f's, inlined as any call; the derivative is the rule's. The call becomes one op of its
// own, `custom(fx, x1, …, xn)`, whose value is fx and whose partials (reverse mode) and
// tangent (forward mode) are the rule's IR, inlined where the transforms ask for them — so
// derivative code holds the rule, and differentiating that code again (second order)
// differentiates the rule.
import type * as ESTree from "acorn";
import type { Builder, Factor } from "../ir/builder.js";
import { cloneBlock } from "../ir/rewrite.js";
import { walk, type Func, type Temp, type Var } from "../ir/types.js";
import { verify } from "../ir/verify.js";
import type { Kind } from "../kinds.js";
import { defineCustomOp } from "../ops/table.js";
import type { BlackBox, CustomRuleFn } from "../parse/source.js";
import { accumulator, addAt, addTo, defineCustomKernel, hold, loop, type KernelParam, type RuleCtx } from "../ops/kernels/record.js";
import { temp, type Lowerer, type Val } from "./context.js";
import { lowerExpr } from "./expr.js";
import type { Scope } from "./scope.js";
import { baseOf, copyOf, lengthOf } from "./views.js";
import { lowerFunction } from "./index.js";
import type { FnBinding } from "./scope.js";

let nextCustom = 1;

/** Black boxes called by run-time derivative code, as `externs[k](…)` (compiled with this array as `externs`). */
export const EXTERNS: Function[] = [];
export const EXTERNS_NAME = "externs";
const externIndex = new Map<Function, number>();

/** `f(x…)` for a black box f called at run time: an op of its own, never differentiated (its derivative is the rule's). */
function externCall(L: Lowerer, name: string, f: Function, xs: Temp[]): Temp {
  const k = externIndexOf(f);
  const op = `extern${k}_${name}`;
  defineCustomOp({ name: op, args: xs.map(() => "num"), result: "num", js: (a) => `${EXTERNS_NAME}[${k}](${a.join(", ")})`, eval: (...x) => f(...x) as number, custom: true });
  return L.b.op(op, ...xs);
}

/** f's place in EXTERNS. */
function externIndexOf(f: Function): number {
  let k = externIndex.get(f);
  if (k === undefined) {
    externIndex.set(f, (k = EXTERNS.length));
    EXTERNS.push(f);
  }
  return k;
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
    throw L.fail(call, "argument count", `'${fn.name}' (made by ${what}) takes ${n} argument(s), each a number or a typed array, and is called with ${args.filter(Boolean).length}.`, "Pass every parameter.");
  }
  args.forEach((a, i) => {
    const ok = (a!.k === "temp" && a!.t.type === "num") || a!.k === "arr" || a!.k === "view";
    if (!ok) {
      throw L.fail(call, `${what} argument`, `'${fn.name}' (made by ${what}) takes numbers and typed arrays, and argument ${i + 1} is ${a!.k === "obj" ? "an object" : a!.k === "temp" ? "a boolean" : a!.k === "fn" ? "a function" : "a pair of values"}.`,
        "Pass its fields or parts as arguments of their own.");
    }
  });
  if (args.some((a) => a!.k !== "temp")) return lowerCustomArrayCall(L, fn, custom, args as Val[], call, inline);
  const xs = args.map((a) => (a as Extract<Val, { k: "temp" }>).t);
  const value: Val = custom.extern ? { k: "temp", t: externCall(L, fn.name, custom.extern, xs) }
    : custom.blackBox ? { k: "temp", t: blackBoxCall(L, custom.blackBox, xs) } : inline(fn);
  if (value.k !== "temp" || value.t.type !== "num") throw L.fail(call, `${what} result`, `'${fn.name}' (made by ${what}) must return a number.`, "");
  const fx = temp(value, L, call);
  const kinds = xs.map((): Kind => ({ k: "num" }));
  const rule = verify(lowerFunction(custom.rule, custom.kind === "jvp" ? [...kinds, ...kinds] : [...kinds, { k: "num" }], L.resolve));
  checkRuleResult(L, fn.name, custom.kind, kinds, rule, call);
  const op = `custom${nextCustom++}_${fn.name}`;
  defineCustomOp({
    name: op, args: Array.from({ length: n + 1 }, () => "num"), result: "num", js: (a) => a[0], eval: (v) => v, custom: true,
    // The value fx is f's: not differentiated (its derivative is the rule's).
    partials: (b, [, ...x]) => [undefined, ...partials(b, custom.kind, rule, x, fn.name)],
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

/**
 * `f(x…)` for f made by customJvp/customVjp with typed-array arguments: a call of a kernel
 * record of its own (ops/kernels/record.ts) whose value is f's and whose rules inline the
 * user's rule (array operands mapped to the call's arrays). Array arguments are passed as
 * they are (the rule reads a view as a copy of its elements); f must return a number.
 */
function lowerCustomArrayCall(L: Lowerer, fn: FnBinding, custom: CustomRuleFn, args: Val[], call: ESTree.Node, inline: (fn: FnBinding) => Val): Val {
  const what = custom.kind === "jvp" ? "customJvp" : "customVjp";
  const value = custom.extern || custom.blackBox ? undefined : inlineReading(L, fn, custom, args, call, inline);
  if (value && (value.k !== "temp" || value.t.type !== "num")) {
    throw L.fail(call, `${what} result`, `'${fn.name}' (made by ${what}) must return a number${value.k === "arr" ? ": a typed-array result is not supported yet" : ""}.`,
      value.k === "arr" ? "Give each entry of the result a function of its own, or write f so that gradc differentiates it." : "");
  }
  const operands = args.map((a) => (a.k === "view" ? copyOf(L, baseOf(a).type as "f64[]" | "f32[]", a) : a)) as Extract<Val, { k: "temp" | "arr" }>[];
  const kinds: Kind[] = operands.map((a) => (a.k === "arr" ? { k: "arr", elem: a.v.type === "f32[]" ? "f32" : "f64" } : { k: "num" }));
  const rule = verify(lowerFunction(custom.rule, custom.kind === "jvp" ? [...kinds, ...kinds] : [...kinds, { k: "num" }], L.resolve));
  checkRuleResult(L, fn.name, custom.kind, kinds, rule, call);
  const name = `custom${nextCustom++}_${fn.name}`;
  const params = operands.map((a, i): KernelParam => ({ name: paramName(fn, i), kind: a.k === "arr" ? "arr" : "num" }));
  const callee = custom.extern ? `${EXTERNS_NAME}[${externIndexOf(custom.extern)}]` : custom.blackBox?.local;
  defineCustomKernel({
    name, out: false, accumulate: false, returnsNumber: true, custom: true,
    params: callee === undefined ? [{ name: "(value)", kind: "num" }, ...params] : params,
    diff: params.map((p) => p.name),
    js: callee === undefined ? (texts) => texts[0] : (texts) => `${callee}(${texts.join(", ")})`,
    ...(custom.blackBox && { blackBox: custom.blackBox }),
    vjp: (r) => customVjpRule(r, custom.kind, rule, params, fn.name),
    jvp: (r) => customJvpRule(r, custom.kind, rule, params),
  });
  const ins = operands.flatMap((a) => (a.k === "arr" ? [a.v] : []));
  const nums = operands.flatMap((a) => (a.k === "temp" ? [a.t] : []));
  const dst = L.b.temp("num");
  L.b.emit({ k: "call", kernel: name, ins, args: value ? [temp(value, L, call), ...nums] : nums, dst });
  // The number goes through a var: the call is not recomputed where the value is used.
  const v = L.b.newVar(fn.name, "num");
  L.b.set(v, dst);
  return { k: "temp", t: L.b.get(v) };
}

/** f's parameter `i` by its name (`x${i}` for a pattern). */
function paramName(fn: FnBinding, i: number): string {
  const p = fn.node.params[i];
  return p?.type === "Identifier" ? p.name : `x${i}`;
}

/** f inlined, refused if it writes into one of its array arguments (the rule reads them after f). */
function inlineReading(L: Lowerer, fn: FnBinding, custom: CustomRuleFn, args: Val[], call: ESTree.Node, inline: (fn: FnBinding) => Val): Val {
  const arrays = new Set(args.flatMap((a) => (a.k === "arr" || a.k === "view" ? [baseOf(a).id] : [])));
  const block = L.b.block;
  const from = block.length;
  const value = inline(fn);
  let writes = false;
  walk(block.slice(from), (i) => {
    const target = i.k === "store" || i.k === "fill" ? i.arr : i.k === "call" ? i.out : i.k === "alloc" || i.k === "ref" ? i.v : undefined;
    if (target && arrays.has(target.id)) writes = true;
  });
  if (writes) {
    throw L.fail(call, "custom rule", `'${fn.name}' (made by ${custom.kind === "jvp" ? "customJvp" : "customVjp"}) writes into an array argument, which its rule then reads changed.`,
      "Copy the argument inside the function (x.slice()) and write the copy.");
  }
  return value;
}

/** Refuses a rule whose result has the wrong type: a JVP rule returns a number; a VJP rule the cotangent(s). */
function checkRuleResult(L: Lowerer, name: string, kind: "jvp" | "vjp", kinds: Kind[], rule: Func, call: ESTree.Node): void {
  const one = kinds.length === 1;
  const wanted = kind === "jvp" || (one && kinds[0].k === "num") ? "num" : "arr";
  const got = rule.result.type === "num" ? "num" : rule.result.type === "bool" ? "bool" : "arr";
  if (got === wanted) return;
  throw L.fail(call, `custom${kind === "jvp" ? "Jvp" : "Vjp"} rule`, kind === "jvp"
    ? `The JVP rule of '${name}' must return the tangent of its result, a number.`
    : one ? `The VJP rule of '${name}' must return the cotangent of its argument, ${kinds[0].k === "num" ? "a number" : "a Float64Array as long as the argument"}.`
      : `The VJP rule of '${name}' must return the cotangents of its ${kinds.length} arguments in one Float64Array: one entry for each number argument and one per element for each array, in parameter order.`, "");
}

/** The cotangents of a VJP rule for ȳ, or ∂f/∂x from a JVP rule along each basis direction (one rule call per entry). */
function customVjpRule(r: RuleCtx, kind: "jvp" | "vjp", rule: Func, params: KernelParam[], name: string): void {
  const b = r.b;
  const gs = hold(b, r.gs!, "g");
  const xs = params.map((p) => (p.kind === "arr" ? r.arr(p.name) : hold(b, r.num(p.name), p.name)));
  const active = (p: KernelParam) => (p.kind === "arr" ? r.bar(p.name) !== undefined : r.activeNum(p.name));
  if (kind === "vjp") {
    const result = ruleResult(b, rule, [...xs, gs].map((x) => operandOf(b, x)));
    if (params.length === 1) {
      const p = params[0];
      if (p.kind === "num") {
        if (active(p)) r.addNum(p.name, b.get(result));
        return;
      }
      checkLength(b, result, b.len(xs[0] as Var), name);
      const bar = r.bar(p.name);
      if (bar) loop(b, b.len(xs[0] as Var), (ib, i) => addAt(ib, bar, i, ib.load(result, i)), "j");
      return;
    }
    const offsets = offsetsOf(b, params, xs);
    checkLength(b, result, b.get(offsets[params.length]), name);
    params.forEach((p, k) => {
      if (!active(p)) return;
      if (p.kind === "num") return r.addNum(p.name, b.load(result, b.get(offsets[k])));
      const bar = r.bar(p.name)!;
      loop(b, b.len(xs[k] as Var), (ib, i) => addAt(ib, bar, i, ib.load(result, ib.op("add", ib.get(offsets[k]), i))), "j");
    });
    return;
  }
  // A JVP rule: tangents zero but for one entry.
  const tangents = params.map((p, k) => (p.kind === "arr" ? zeros(b, xs[k] as Var) : undefined));
  const tangentArgs = (ib: Builder, one: number | undefined) =>
    params.map((p, k) => (p.kind === "arr" ? operandOf(ib, tangents[k]!) : ib.num(k === one ? 1 : 0)));
  params.forEach((p, k) => {
    if (!active(p)) return;
    if (p.kind === "num") {
      const d = inlineRule(b, rule, [...xs.map((x) => operandOf(b, x)), ...tangentArgs(b, k)]);
      return r.addNum(p.name, b.op("mul", b.get(gs), d));
    }
    const bar = r.bar(p.name)!;
    const t = tangents[k]!;
    loop(b, b.len(t), (ib, i, index) => {
      ib.store(t, i, ib.num(1));
      const d = inlineRule(ib, rule, [...xs.map((x) => operandOf(ib, x)), ...tangentArgs(ib, undefined)]);
      const j = ib.get(index);
      addAt(ib, bar, j, ib.op("mul", ib.get(gs), d));
      ib.store(t, j, ib.num(0));
    }, "j");
  });
}

/** The tangent of f's result: the JVP rule on the tangents, or Σᵢ (vjp(x, 1))ᵢ·ẋᵢ. */
function customJvpRule(r: RuleCtx, kind: "jvp" | "vjp", rule: Func, params: KernelParam[]): Temp {
  const b = r.b;
  const xs = params.map((p) => (p.kind === "arr" ? r.arr(p.name) : hold(b, r.num(p.name), p.name)));
  if (kind === "jvp") {
    const dots = params.map((p, k) => (p.kind === "arr" ? r.dot(p.name) ?? zeros(b, xs[k] as Var) : hold(b, r.dotNum(p.name) ?? b.num(0), `${p.name}_dot`)));
    return inlineRule(b, rule, [...xs, ...dots].map((x) => operandOf(b, x)));
  }
  const result = ruleResult(b, rule, [...xs, hold(b, b.num(1), "one")].map((x) => operandOf(b, x)));
  const t = accumulator(b, 0, "t");
  const offsets = params.length === 1 ? undefined : offsetsOf(b, params, xs);
  params.forEach((p, k) => {
    const at = (ib: Builder, i: Temp) => (offsets ? ib.op("add", ib.get(offsets[k]), i) : i);
    if (p.kind === "num") {
      const d = r.dotNum(p.name);
      if (d) addTo(b, t, b.op("mul", offsets ? b.load(result, b.get(offsets[k])) : b.get(result), d));
      return;
    }
    const dot = r.dot(p.name);
    if (dot) loop(b, b.len(dot), (ib, i) => addTo(ib, t, ib.op("mul", ib.load(result, at(ib, i)), ib.load(dot, i))), "j");
  });
  return b.get(t);
}

/** Where each argument's cotangents start in a VJP rule's result, and (last) their total. */
function offsetsOf(b: Builder, params: KernelParam[], xs: Var[]): Var[] {
  const offsets: Var[] = [];
  let at: Temp = b.num(0);
  params.forEach((p, k) => {
    offsets.push(hold(b, at, `at${k}`));
    at = b.op("add", at, p.kind === "arr" ? b.len(xs[k]) : b.num(1));
  });
  offsets.push(hold(b, at, "count"));
  return offsets;
}

/** Throws (in derivative code) when a VJP rule's result is not as long as the cotangents it holds. */
function checkLength(b: Builder, result: Var, n: Temp, name: string): void {
  const wrong = b.op("ne", b.len(result), n);
  b.emit({ k: "if", cond: wrong, then: b.nested((tb) => tb.emit({ k: "throw", error: "RangeError", message: `the VJP rule of '${name}' returned an array whose length is not the number of entries of its arguments` })), else: [] });
}

function zeros(b: Builder, like: Var): Var {
  const z = b.newVar(`${like.name}_zero`, like.type === "f32[]" ? "f64[]" : like.type);
  b.emit({ k: "alloc", v: z, n: b.len(like) });
  return z;
}

/** A rule operand: an array var as it is, a number var read. */
function operandOf(b: Builder, v: Var): Var | Temp {
  return v.type === "num" ? b.get(v) : v;
}

/** ∂f/∂xᵢ at x: the JVP rule along eᵢ, or the VJP rule's cotangents for ȳ = 1. */
function partials(b: Builder, kind: "jvp" | "vjp", rule: Func, x: Temp[], name: string): Factor[] {
  if (kind === "jvp") return x.map((_, i) => inlineRule(b, rule, [...x, ...x.map((_, j) => b.num(i === j ? 1 : 0))]));
  const result = ruleResult(b, rule, [...x, b.num(1)]);
  if (x.length === 1 && result.type === "num") return [b.get(result)];
  checkLength(b, result, b.num(x.length), name);
  return x.map((_, i) => b.load(result, b.num(i)));
}

function inlineRule(b: Builder, rule: Func, args: (Temp | Var)[]): Temp {
  return b.get(ruleResult(b, rule, args));
}

/** Copies the rule's IR into `b` with its parameters set to `args`; the var holding its result. */
function ruleResult(b: Builder, rule: Func, args: (Temp | Var)[]): Var {
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
  rule.params.forEach((p, i) => {
    const a = args[i];
    // An array parameter is the caller's array (a rule that writes one works on a copy made on entry).
    if ("name" in a) vars.set(p.id, a);
    else b.set(mapVar(p), a);
  });
  for (const i of cloneBlock(rule.body, mapVar, mapTemp)) b.emit(i);
  return mapVar(rule.result);
}
