// Calls of functions with custom rules (customJvp/customVjp, runtime/custom.ts): the value
// is f's, inlined as any call (or a call of a black box gradc cannot read); the derivative
// is the rule's. Over numbers the call becomes one op of its own, `custom(fx, x1, …, xn)`,
// whose value is fx and whose partials (reverse mode) and tangent (forward mode) are the
// rule's IR, inlined where the transforms ask for them; with typed arrays (arguments or
// result) it becomes a call of a kernel record of its own, whose VJP and JVP rules inline
// the rule's IR likewise. So derivative code holds the rule, and differentiating that code
// again (second order) differentiates the rule. Also stopGradient.
import type * as ESTree from "acorn";
import type { Builder, Factor } from "../ir/builder.js";
import { cloneBlock } from "../ir/rewrite.js";
import { walk, type Func, type Temp, type Var } from "../ir/types.js";
import { verify } from "../ir/verify.js";
import type { Kind } from "../kinds.js";
import { defineCustomOp } from "../ops/table.js";
import type { BlackBox, CustomRuleFn } from "../parse/source.js";
import { accumulator, addAt, addTo, defineCustomKernel, hold, loop, type KernelParam, type RuleCtx } from "../ops/kernels/record.js";
import type { Lowerer, Val } from "./context.js";
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
  const readable = !custom.extern && !custom.blackBox;
  const value = readable ? inlineReading(L, fn, custom, args as Val[], call, inline) : undefined;
  if (value && !(value.k === "temp" && value.t.type === "num") && value.k !== "arr" && value.k !== "view") {
    throw L.fail(call, `${what} result`, `'${fn.name}' (made by ${what}) must return a number or a typed array.`, "");
  }
  if (args.some((a) => a!.k !== "temp") || (value && value.k !== "temp")) return lowerCustomArrayCall(L, fn, custom, args as Val[], value, call);
  const xs = args.map((a) => (a as Extract<Val, { k: "temp" }>).t);
  const fx = value ? (value as Extract<Val, { k: "temp" }>).t
    : custom.extern ? externCall(L, fn.name, custom.extern, xs) : blackBoxCall(L, custom.blackBox!, xs);
  const kinds = xs.map((): Kind => ({ k: "num" }));
  const rule = verify(lowerFunction(custom.rule, custom.kind === "jvp" ? [...kinds, ...kinds] : [...kinds, { k: "num" }], L.resolve));
  checkRuleResult(L, fn.name, custom.kind, kinds, false, rule, call);
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
function lowerCustomArrayCall(L: Lowerer, fn: FnBinding, custom: CustomRuleFn, args: Val[], value: Val | undefined, call: ESTree.Node): Val {
  const operands = args.map((a) => (a.k === "view" ? copyOf(L, baseOf(a).type as "f64[]" | "f32[]", a) : a)) as Extract<Val, { k: "temp" | "arr" }>[];
  const result = value && (value.k === "view" ? copyOf(L, "f64[]", value) : value) as Extract<Val, { k: "temp" | "arr" }> | undefined;
  const vector = result?.k === "arr";
  const kinds: Kind[] = operands.map((a) => (a.k === "arr" ? { k: "arr", elem: a.v.type === "f32[]" ? "f32" : "f64" } : { k: "num" }));
  const resultKind: Kind = vector ? { k: "arr", elem: "f64" } : { k: "num" };
  const rule = verify(lowerFunction(custom.rule, custom.kind === "jvp" ? [...kinds, ...kinds] : [...kinds, resultKind], L.resolve));
  checkRuleResult(L, fn.name, custom.kind, kinds, vector, rule, call);
  const name = `custom${nextCustom++}_${fn.name}`;
  const params = operands.map((a, i): KernelParam => ({ name: paramName(fn, i), kind: a.k === "arr" ? "arr" : "num" }));
  const callee = custom.extern ? `${EXTERNS_NAME}[${externIndexOf(custom.extern)}]` : custom.blackBox?.local;
  defineCustomKernel({
    name, out: vector, accumulate: false, returnsNumber: !vector, custom: true,
    params: result ? [{ name: "(value)", kind: vector ? "arr" : "num" }, ...params] : params,
    diff: params.map((p) => p.name),
    // f's value: the number, or the array copied into out; a black box's call.
    js: vector ? (texts) => `${texts[0]}.set(${texts[1]})` : result ? (texts) => texts[0] : (texts) => `${callee}(${texts.join(", ")})`,
    ...(vector && { size: (r: RuleCtx) => r.b.len(r.out()) }),
    ...(custom.blackBox && { blackBox: custom.blackBox }),
    vjp: (r) => customVjpRule(r, custom.kind, rule, params, vector ? { g: r.g!, vector } : { g: hold(r.b, r.gs!, "g"), vector }, fn.name),
    jvp: (r) => customJvpRule(r, custom.kind, rule, params, vector, fn.name),
  });
  const ins = [...(vector ? [(result as Extract<Val, { k: "arr" }>).v] : []), ...operands.flatMap((a) => (a.k === "arr" ? [a.v] : []))];
  const nums = [...(result?.k === "temp" ? [result.t] : []), ...operands.flatMap((a) => (a.k === "temp" ? [a.t] : []))];
  if (vector) {
    const out = L.b.newVar(fn.name, "f64[]");
    L.b.emit({ k: "alloc", v: out, n: L.b.len((result as Extract<Val, { k: "arr" }>).v) });
    L.b.emit({ k: "call", kernel: name, out, ins, args: nums });
    return { k: "arr", v: out };
  }
  const dst = L.b.temp("num");
  L.b.emit({ k: "call", kernel: name, ins, args: nums, dst });
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

/** Refuses a rule whose result has the wrong type: a JVP rule returns the tangent of f's result; a VJP rule the cotangent(s). */
function checkRuleResult(L: Lowerer, name: string, kind: "jvp" | "vjp", kinds: Kind[], vector: boolean, rule: Func, call: ESTree.Node): void {
  const one = kinds.length === 1;
  const wanted = kind === "jvp" ? (vector ? "arr" : "num") : one && kinds[0].k === "num" ? "num" : "arr";
  const got = rule.result.type === "num" ? "num" : rule.result.type === "bool" ? "bool" : "arr";
  if (got === wanted) return;
  throw L.fail(call, `custom${kind === "jvp" ? "Jvp" : "Vjp"} rule`, kind === "jvp"
    ? `The JVP rule of '${name}' must return the tangent of its result, ${vector ? "a Float64Array as long as the result" : "a number"}.`
    : one ? `The VJP rule of '${name}' must return the cotangent of its argument, ${kinds[0].k === "num" ? "a number" : "a Float64Array as long as the argument"}.`
      : `The VJP rule of '${name}' must return the cotangents of its ${kinds.length} arguments in one Float64Array: one entry for each number argument and one per element for each array, in parameter order.`, "");
}

/**
 * What the rules of a call see of f's result: its adjoint and tangent, a number (`g`) or,
 * for a typed-array result, an array (`g` the adjoint array, `outDot` the tangent's).
 */
interface Output {
  g: Var;
  outDot?: Var;
  vector: boolean;
}

/** ḡ·d for the rule's output d (a number, or an array as long as f's result). */
function weigh(b: Builder, out: Output, d: Var, name: string): Temp {
  if (!out.vector) return b.op("mul", b.get(out.g), b.get(d));
  checkLength(b, d, b.len(out.g), name, "JVP");
  const s = accumulator(b, 0, "s");
  loop(b, b.len(out.g), (ib, i) => addTo(ib, s, ib.op("mul", ib.load(out.g, i), ib.load(d, i))), "k");
  return b.get(s);
}

/** The cotangents of a VJP rule for ḡ, or ∂f/∂x from a JVP rule along each basis direction (one rule call per entry). */
function customVjpRule(r: RuleCtx, kind: "jvp" | "vjp", rule: Func, params: KernelParam[], out: Output, name: string): void {
  const b = r.b;
  const xs = params.map((p) => (p.kind === "arr" ? r.arr(p.name) : hold(b, r.num(p.name), p.name)));
  const active = (p: KernelParam) => (p.kind === "arr" ? r.bar(p.name) !== undefined : r.activeNum(p.name));
  if (kind === "vjp") {
    const result = ruleResult(b, rule, [...xs, out.g].map((x) => operandOf(b, x)));
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
      return r.addNum(p.name, weigh(b, out, ruleResult(b, rule, [...xs.map((x) => operandOf(b, x)), ...tangentArgs(b, k)]), name));
    }
    const bar = r.bar(p.name)!;
    const t = tangents[k]!;
    loop(b, b.len(t), (ib, i, index) => {
      ib.store(t, i, ib.num(1));
      const d = weigh(ib, out, ruleResult(ib, rule, [...xs.map((x) => operandOf(ib, x)), ...tangentArgs(ib, undefined)]), name);
      const j = ib.get(index);
      addAt(ib, bar, j, d);
      ib.store(t, j, ib.num(0));
    }, "j");
  });
}

/**
 * The tangent of f's result: the JVP rule on the tangents, or Σᵢ (vjp(x, ḡ))ᵢ·ẋᵢ with ḡ = 1
 * (for a typed-array result, with ḡ = eⱼ for each entry j of it, written into outDot).
 */
function customJvpRule(r: RuleCtx, kind: "jvp" | "vjp", rule: Func, params: KernelParam[], vector: boolean, name: string): Temp | void {
  const b = r.b;
  const xs = params.map((p) => (p.kind === "arr" ? r.arr(p.name) : hold(b, r.num(p.name), p.name)));
  const dots = params.map((p, k) => (p.kind === "arr" ? r.dot(p.name) ?? zeros(b, xs[k] as Var) : hold(b, r.dotNum(p.name) ?? b.num(0), `${p.name}_dot`)));
  if (kind === "jvp") {
    const t = ruleResult(b, rule, [...xs, ...dots].map((x) => operandOf(b, x)));
    if (!vector) return b.get(t);
    checkLength(b, t, b.len(r.outDot!), name, "JVP");
    const outDot = r.outDot!;
    loop(b, b.len(outDot), (ib, i) => ib.store(outDot, i, ib.load(t, i)), "j");
    return;
  }
  const along = (ib: Builder, seed: Var) => contract(ib, ruleResult(ib, rule, [...xs, seed].map((x) => operandOf(ib, x))), params, xs, dots, name);
  if (!vector) return along(b, hold(b, b.num(1), "one"));
  const outDot = r.outDot!;
  const e = zeros(b, outDot);
  loop(b, b.len(outDot), (ib, i, index) => {
    ib.store(e, i, ib.num(1));
    const t = along(ib, e);
    const j = ib.get(index);
    ib.store(outDot, j, t);
    ib.store(e, j, ib.num(0));
  }, "j");
}

/** Σᵢ cotangentᵢ·ẋᵢ over a VJP rule's result (one cotangent, or all of them in parameter order). */
function contract(b: Builder, result: Var, params: KernelParam[], xs: Var[], dots: Var[], name: string): Temp {
  const t = accumulator(b, 0, "t");
  const offsets = params.length === 1 ? undefined : offsetsOf(b, params, xs);
  if (offsets) checkLength(b, result, b.get(offsets[params.length]), name);
  params.forEach((p, k) => {
    const at = (ib: Builder, i: Temp) => (offsets ? ib.op("add", ib.get(offsets[k]), i) : i);
    if (p.kind === "num") {
      addTo(b, t, b.op("mul", offsets ? b.load(result, b.get(offsets[k])) : b.get(result), b.get(dots[k])));
      return;
    }
    const dot = dots[k];
    loop(b, b.len(dot), (ib, i) => addTo(ib, t, ib.op("mul", ib.load(result, at(ib, i)), ib.load(dot, i))), "j");
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

/** Throws (in derivative code) when a rule's array result has not the length it must have. */
function checkLength(b: Builder, result: Var, n: Temp, name: string, kind: "VJP" | "JVP" = "VJP"): void {
  const wrong = b.op("ne", b.len(result), n);
  const message = kind === "VJP" ? `the VJP rule of '${name}' returned an array whose length is not the number of entries of its arguments`
    : `the JVP rule of '${name}' returned an array whose length is not that of the result`;
  b.emit({ k: "if", cond: wrong, then: b.nested((tb) => tb.emit({ k: "throw", error: "RangeError", message })), else: [] });
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
