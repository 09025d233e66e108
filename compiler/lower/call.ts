// Calls: Math functions become ops, typed-array methods become array instructions,
// calls to the user's own functions are inlined (so their derivatives are exact and
// cost no call), everything else is refused.
import { growingPush, growingReceiver } from "./list-growth.js";
import { flatMapNumbers, markPlain } from "./concat.js";
import type * as ESTree from "acorn";
import { isArrayType, type Temp } from "../ir/types.js";
import { moduleBindingOf } from "./constants.js";
import { temp, type Lowerer, type Val } from "./context.js";
import { derivativeName, lowerDerivativeCall, lowerPullback } from "./derivative.js";
import { lowerKernelCall } from "./kernel.js";
import { lowerCustomCall, lowerStopGradient } from "./custom.js";
import { lowerExpr, lowerNum } from "./expr.js";
import { CALLBACK_METHODS, lowerArrayMethod } from "./methods.js";
import { arrayFrom, listMethod } from "./lists.js";
import { dynamicListCall, dynamicRowMethod } from "./list-index.js";
import { isClosed, outerName } from "./names.js";
import { isUndefined } from "./undefined.js";
import { Scope, type Binding } from "./scope.js";
import { bindParam, bindValue, lowerBody } from "./stmt.js";
import { arrayMethod, copyOf, typedArrayFrom, typedArrayOf } from "./views.js";
import { SORT_METHODS, sortMethod } from "./sort.js";

const MATH_OPS = new Set([
  "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "exp", "expm1",
  "log", "log1p", "log2", "log10", "sqrt", "cbrt", "abs", "sign", "floor", "ceil", "round", "trunc", "fround", "clz32",
]);
const MATH_BINARY = new Set(["atan2", "pow", "imul"]);
const MATH_FOLDED = new Set(["min", "max", "hypot"]);

/** Name given to arrays made by an expression, until a declaration names them. */
export const UNNAMED_ARRAY = "arr";

export function lowerCall(L: Lowerer, node: ESTree.CallExpression, scope: Scope): Val {
  const callee = node.callee;
  if (node.optional) throw L.fail(node, "optional call", "Optional calls (?.()) are not supported.", "");
  if (callee.type === "CallExpression" && derivativeName(callee.callee, scope)) return lowerDerivativeCall(L, node, scope);
  if (isStopGradient(L, callee, scope)) return lowerStopGradient(L, node, scope);
  const builtin = constructorMethod(callee, scope);
  if (builtin?.ctor === "Array" && builtin.method === "from") return arrayFrom(L, node, scope);
  const type = builtin?.ctor === "Float64Array" ? "f64[]" : builtin?.ctor === "Float32Array" ? "f32[]" : undefined;
  if (type && builtin!.method === "from") return typedArrayFrom(L, node, type, scope);
  if (type && builtin!.method === "of") return typedArrayOf(L, node, type, scope);
  const imported = importedCallee(L, callee, scope);
  if (imported) return userCall(L, node, imported, scope, true);
  if (callee.type === "MemberExpression" && !callee.computed && callee.property.type === "Identifier") {
    const obj = callee.object;
    if (obj.type === "Identifier" && obj.name === "Math" && !scope.lookup("Math") && !moduleBindingOf(obj)) {
      return { k: "temp", t: mathCall(L, node, callee.property.name, scope) };
    }

    return dynamicRowMethod(L, node, scope) ?? method(L, node, callee.object as ESTree.Expression, callee.property.name, scope);
  }
  if (callee.type === "Identifier") return userCall(L, node, callee, scope, false);
  const throughIndex = dynamicListCall(L, node, (at) => callArgs(L, node, at), scope);
  if (throughIndex) return throughIndex;
  // `makeStep(a)(x)`, `((v) => v * 2)(x)`: a callee that is a function known here.
  const target = callee.type === "Super" ? undefined : lowerExpr(L, callee, scope);
  if (target?.k === "fn") return inline(L, target.fn, callArgs(L, node, scope), node);
  throw L.fail(node, "indirect call", "Only calls to functions known where they are called are supported.", "Call the function by its name.");
}

/** `Array.from`, `Float64Array.of`, …: a static method of a global constructor (not a local or module binding of that name). */
function constructorMethod(callee: ESTree.Node, scope: Scope): { ctor: string; method: string } | undefined {
  const m = callee as ESTree.AnyNode;
  if (m.type !== "MemberExpression" || m.computed || m.object.type !== "Identifier" || m.property.type !== "Identifier") return undefined;
  const ctor = m.object;
  if (!["Array", "Float64Array", "Float32Array"].includes(ctor.name) || scope.lookup(ctor.name) || moduleBindingOf(ctor)) return undefined;
  return { ctor: ctor.name, method: m.property.name };
}

/** The arguments of a call; one written `undefined` (or `void 0`) is left out: the parameter's default applies. */
function callArgs(L: Lowerer, node: ESTree.CallExpression, scope: Scope): (Val | undefined)[] {
  return node.arguments.map((a) => {
    if (a.type === "SpreadElement") throw L.fail(a, "spread argument", "Spread arguments are not supported.", "");
    return isUndefined(a, scope) ? undefined : lowerExpr(L, a, scope);
  });
}

/**
 * gradc's `stopGradient`: on the build path a name imported from "gradc" as it (or a
 * namespace import of "gradc"); at run time, where f's source shows names only, the name
 * `stopGradient` itself when it is not a local nor another function given in
 * opts.functions (also as bundlers write imports, `ns.stopGradient`, `(0, ns.stopGradient)`).
 */
function isStopGradient(L: Lowerer, callee: ESTree.Node, scope: Scope): boolean {
  return isGradcFunction(L, callee, scope, "stopGradient");
}

/** Whether `callee` names gradc's export `name` (stopGradient, customJvp, customVjp), as isStopGradient says. */
export function isGradcFunction(L: Lowerer, callee: ESTree.Node, scope: Scope, name: string): boolean {
  let c = callee as ESTree.AnyNode;
  if (c.type === "SequenceExpression" && c.expressions.length === 2 && c.expressions[0].type === "Literal") c = c.expressions[1] as ESTree.AnyNode;
  if (c.type === "Identifier") {
    if (scope.lookup(c.name)) return false;
    const m = moduleBindingOf(c);
    if (m) return m.k === "import" && m.module === "gradc" && m.imported === name;
    return !!L.fn.source.runtime && c.name === name && !L.resolve(c.name, L.fn.source);
  }
  if (c.type !== "MemberExpression" || c.computed || c.property.type !== "Identifier" || c.property.name !== name) return false;
  if (c.object.type !== "Identifier" || scope.lookup(c.object.name)) return false;
  const m = moduleBindingOf(c.object);
  if (m) return m.k === "import" && m.module === "gradc" && m.imported === "*";
  return !!L.fn.source.runtime;
}

/**
 * `Math.sin` as a value (`x.map(Math.sin)`): the arrow `(a) => Math.sin(a)`, taking as many
 * arguments as the Math function reads (Math.pow two), so extra ones are ignored as in
 * JavaScript. Undefined for the variadic min, max and hypot, which would read them all.
 */
export function mathFunctionValue(L: Lowerer, member: ESTree.MemberExpression): Val | undefined {
  const name = (member.property as ESTree.Identifier).name;
  const arity = MATH_OPS.has(name) ? 1 : MATH_BINARY.has(name) ? 2 : 0;
  if (!arity) return undefined;
  const at = { start: member.start, end: member.end };
  const param = (k: number): ESTree.Identifier => ({ type: "Identifier", name: `x${k}`, ...at });
  const params = Array.from({ length: arity }, (_, k) => param(k));
  const body: ESTree.CallExpression = { type: "CallExpression", callee: member, arguments: params.map((p) => param(Number(p.name.slice(1)))), optional: false, ...at };
  const node: ESTree.ArrowFunctionExpression = { type: "ArrowFunctionExpression", id: null, params, body, expression: true, async: false, generator: false, ...at };
  return { k: "fn", fn: { k: "fn", name: `Math.${name}`, node, source: L.fn.source, scope: new Scope() } };
}

/**
 * `Math.max(...a)`, `Math.min(...a)` of an array: folded over its elements in a loop from
 * -Infinity (Infinity for min), the value JavaScript gives an empty array.
 */
function spreadMinMax(L: Lowerer, node: ESTree.CallExpression, name: string, scope: Scope): Temp | undefined {
  const [arg] = node.arguments;
  if ((name !== "max" && name !== "min") || node.arguments.length !== 1 || arg.type !== "SpreadElement") return undefined;
  const arr = lowerExpr(L, arg.argument, scope);
  if (arr.k !== "arr") throw L.fail(arg, "spread argument", `Math.${name}(...a) takes an array of numbers here.`, "");
  const acc = L.b.newVar(name === "max" ? "largest" : "smallest", "num");
  L.b.set(acc, L.b.num(name === "max" ? -Infinity : Infinity));
  const index = L.b.newVar("i", "num");
  const end = L.b.len(arr.v);
  const start = L.b.num(0);
  const body = L.block(() => L.b.set(acc, L.b.op(name, L.b.get(acc), L.b.load(arr.v, L.b.get(index)))));
  L.b.emit({ k: "for", index, start, end, step: 1, cmp: "<", body });
  return L.b.get(acc);
}

function mathCall(L: Lowerer, node: ESTree.CallExpression, name: string, scope: Scope): Temp {
  const spread = spreadMinMax(L, node, name, scope);
  if (spread) return spread;
  const args = node.arguments.map((a) => {
    if (a.type === "SpreadElement") throw L.fail(a, "spread argument", "Spread arguments are not supported here.", "Math.max(...a) and Math.min(...a) of one array are; for the rest, pass the numbers.");
    return lowerNum(L, a, scope);
  });
  const arity = (n: number) => {
    if (args.length !== n) throw L.fail(node, `Math.${name}`, `Math.${name} takes ${n} argument(s) here, not ${args.length}.`, "");
  };
  if (MATH_OPS.has(name)) {
    arity(1);
    return L.b.op(name, args[0]);
  }
  if (MATH_BINARY.has(name)) {
    arity(2);
    return L.b.op(name, args[0], args[1]);
  }
  if (MATH_FOLDED.has(name)) {
    if (args.length < 1) throw L.fail(node, `Math.${name}`, `Math.${name} needs at least one argument here.`, "");
    if (name === "hypot" && args.length === 1) return L.b.op("abs", args[0]);
    if (name === "hypot" && args.length === 3) return L.b.op("hypot3", args[0], args[1], args[2]);
    if (name === "hypot" && args.length > 3) {
      throw L.fail(node, "Math.hypot", "Math.hypot with more than three arguments is not supported.",
        "Nesting calls (Math.hypot(Math.hypot(a, b, c), d)) rounds differently; write Math.sqrt(a * a + ...) if that is what you mean.");
    }
    return args.reduce((acc, x) => L.b.op(name, acc, x));
  }
  if (name === "random") {
    throw L.fail(node.callee, "Math.random", "Math.random is not a function of the inputs (it gives a new number on each call), so the function has no derivative.",
      "Pass random numbers in as an argument: draw them outside the function (a number, or a Float64Array of noise) and differentiate with respect to the other arguments.");
  }
  throw L.fail(node.callee, `Math.${name}`, `Math.${name} is not supported.`,
    `Supported: ${[...MATH_OPS, ...MATH_BINARY, ...MATH_FOLDED].join(", ")}.`);
}

function method(L: Lowerer, node: ESTree.CallExpression, objNode: ESTree.Expression, name: string, scope: Scope): Val {
  if (name === "fill" && objNode.type === "NewExpression" && objNode.callee.type === "Identifier" && objNode.callee.name === "Array" && !scope.lookup("Array")) {
    return filledArray(L, node, objNode, scope);
  }
  const pushed = name === "push" ? growingPush(L, node, objNode, scope) : undefined;
  if (pushed) return pushed;
  const obj = growingReceiver(L, node, objNode, name, scope) ?? lowerExpr(L, objNode, scope);
  if (obj.k === "obj" && obj.list) return listMethod(L, node, obj, name, scope);
  // A function held by an object (`opts.f(x)`): inlined like any call.
  const held = obj.k === "obj" ? obj.fields.get(name) : undefined;
  if (held?.k === "fn") return inline(L, held, callArgs(L, node, scope), node);
  if (obj.k !== "arr" && obj.k !== "view") {
    throw L.fail(node.callee, `method .${name}()`, `Method calls (.${name}) are only supported on typed arrays.`, "");
  }
  if (name === "flatMap" && obj.k === "arr") return flatMapNumbers(L, node, obj.v, scope);
  const handled = arrayMethod(L, node, obj, name, scope);
  if (handled) return handled;
  if (CALLBACK_METHODS.has(name) && obj.k === "arr") return lowerArrayMethod(L, node, obj.v, name, scope);
  if (SORT_METHODS.has(name)) return sortMethod(L, node, obj, name);
  if (obj.k === "view") throw unsupportedMethod(L, node, name);
  if (name === "fill" && node.arguments.length === 1) {
    const value = lowerNum(L, node.arguments[0] as ESTree.Expression, scope);
    if (obj.v.param !== undefined) L.writtenParams.add(obj.v);
    L.b.emit({ k: "fill", arr: obj.v, src: value });
    return obj;
  }
  throw unsupportedMethod(L, node, name);
}

function unsupportedMethod(L: Lowerer, node: ESTree.CallExpression, name: string): Error {
  return L.fail(node.callee, `.${name}()`, `The typed-array method .${name}(${node.arguments.length ? "..." : ""}) is not supported.`,
    `Supported: .fill(value), .slice(start?, end?), .subarray(start?, end?), .set(array, offset?), .sort(compare), .toSorted(compare), .length, and on whole arrays with a callback .${[...CALLBACK_METHODS].join(", .")}; write loops for the rest.`);
}

export function lowerNew(L: Lowerer, node: ESTree.NewExpression, scope: Scope): Val {
  const ctor = node.callee.type === "Identifier" ? node.callee.name : "";
  if (ctor === "Array" && !scope.lookup(ctor)) {
    throw L.fail(node, "new Array", "new Array(n) has n empty slots, which read as undefined (not a number).", "Fill it where it is made: new Array(n).fill(0), or use new Float64Array(n) (zeros).");
  }
  const named = ctor === "Float64Array" ? "f64[]" : ctor === "Float32Array" ? "f32[]" : undefined;
  const type = named && !scope.lookup(ctor) ? named : constructorOf(L, node.callee, scope);
  if (!type) {
    const written = L.fn.source.text.slice(node.callee.start, node.callee.end);
    throw L.fail(node, `new ${ctor || "expression"}`, `Creating objects with new ${written} is not supported.`,
      "Only new Float64Array(n), new Float32Array(n) and new x.constructor(n) of a typed array x (or a copy of a typed array) are.");
  }
  if (node.arguments.length !== 1 || node.arguments[0].type === "SpreadElement") {
    throw L.fail(node, `new ${ctor}`, `new ${ctor} takes exactly one argument here (a length or a typed array).`, "");
  }
  const arg = lowerExpr(L, node.arguments[0], scope);
  if (arg.k === "arr" || arg.k === "view") return copyOf(L, type, arg);
  const n = temp(arg, L, node.arguments[0]);
  const v = L.b.newVar(UNNAMED_ARRAY, type);
  L.b.emit({ k: "alloc", v, n });
  return { k: "arr", v };
}

/** The element type `x.constructor` names for a typed array x (`new x.constructor(n)`: an array of x's type). */
function constructorOf(L: Lowerer, callee: ESTree.Node, scope: Scope): "f64[]" | "f32[]" | undefined {
  const c = callee as ESTree.AnyNode;
  if (c.type !== "MemberExpression" || c.computed || c.property.type !== "Identifier" || c.property.name !== "constructor") return undefined;
  const of = lowerExpr(L, c.object as ESTree.Expression, scope);
  const type = of.k === "arr" ? of.v.type : of.k === "view" ? of.base.type : undefined;
  return type === "f64[]" || type === "f32[]" ? type : undefined;
}

/** `new Array(n).fill(v)`: a number[] of n entries v, as a local Float64Array. */
function filledArray(L: Lowerer, node: ESTree.CallExpression, made: ESTree.NewExpression, scope: Scope): Val {
  const [arg] = made.arguments;
  if (made.arguments.length !== 1 || arg.type === "SpreadElement" || node.arguments.length !== 1 || node.arguments[0].type === "SpreadElement") {
    throw L.fail(made, "new Array", "new Array(n).fill(v) takes one length and one value here.", "Write an array literal [a, b, c] for given elements.");
  }
  const n = lowerNum(L, arg, scope);
  const v = L.b.newVar(UNNAMED_ARRAY, "f64[]");
  L.b.emit({ k: "alloc", v, n });
  L.b.emit({ k: "fill", arr: v, src: lowerNum(L, node.arguments[0], scope) });
  return markPlain({ k: "arr", v });
}

/**
 * A call of an imported function as bundlers and test runners rewrite it:
 * `(0, module.name)(...)` or `module.name(...)`, with `module` not a local name.
 */
function importedCallee(L: Lowerer, callee: ESTree.Node, scope: Scope): ESTree.Identifier | undefined {
  let c = callee as ESTree.AnyNode;
  if (c.type === "SequenceExpression" && c.expressions.length === 2 && c.expressions[0].type === "Literal") {
    c = c.expressions[1] as ESTree.AnyNode;
  }
  if (c.type !== "MemberExpression" || c.computed || c.property.type !== "Identifier") return undefined;
  const ns = c.object;
  if (ns.type !== "Identifier" || scope.lookup(ns.name) || ns.name === "Math" || isClosed(L, ns.name)) return undefined;
  return c.property;
}

function userCall(L: Lowerer, node: ESTree.CallExpression, callee: ESTree.Identifier, scope: Scope, imported: boolean): Val {
  let fn = imported ? undefined : scope.lookup(callee.name);
  if (!fn) {
    const found = L.resolve(callee.name, L.fn.source);
    if (found && "kernel" in found) return lowerKernelCall(L, node, found.kernel, scope);
    if (found) fn = { k: "fn", name: found.name, node: found.node, source: found.source, scope: new Scope(), checkpoint: found.checkpoint, custom: found.custom };
  }
  if (!fn && L.fns.some((f) => fnName(f.node) === callee.name)) {
    throw L.fail(node, "recursion", `'${callee.name}' calls itself.`, "Rewrite the recursion as a loop.");
  }
  if (!fn) {
    if (L.fn.source.runtime) {
      throw L.fail(callee, `unknown function ${callee.name}`, `'${callee.name}' is not defined inside the function.`,
        `Pass it in opts.functions: grad(f, { functions: { ${callee.name} } }). If it is a local of the function that made this one (a factory's inner function), ` +
        `take the derivative inside that function, where '${callee.name}' can be passed, or differentiate through a call of the factory: grad((x) => makeF(a)(x), { functions: { makeF } }).`);
    }
    throw outerName(L, callee);
  }
  if (fn.k !== "fn") throw L.fail(callee, "call of a non-function", `'${callee.name}' is not a function.`, "");
  const open = L.fns.findIndex((f) => f.node === fn.node);
  if (open >= 0 && !callbackReentry(L, open, fn.node, node)) {
    throw L.fail(node, "recursion", `'${callee.name}' calls itself (directly or through other functions).`,
      "Rewrite the recursion as a loop.");
  }
  return inline(L, fn, callArgs(L, node, scope), node);
}

/**
 * A call of `callee`, which is being inlined from frame `open` on, that is no recursion:
 * made by a callback written outside `callee`, in a caller below that frame (`g(h, (v) =>
 * g(a, k, v))`: the inner call has a callback of its own), at a call site not being
 * inlined already (a callback that passes itself on would never end).
 */
function callbackReentry(L: Lowerer, open: number, callee: ESTree.Node, call: ESTree.Node): boolean {
  const here = L.fn;
  const inside = (inner: ESTree.Node, outer: ESTree.Node) => outer.start <= inner.start && inner.end <= outer.end;
  return here.node !== callee && !(here.source === L.fns[open].source && inside(here.node, callee)) &&
    L.fns.slice(0, open).some((f) => f.source === here.source && inside(here.node, f.node)) &&
    !L.fns.some((f) => f.call === call);
}

/**
 * Inlines a call: binds the arguments to fresh variables and lowers the body in place.
 * An argument left out (undefined) takes the parameter's default value, computed in the
 * callee's scope after the parameters before it, as in JavaScript.
 */
export function inline(L: Lowerer, fn: Extract<Binding, { k: "fn" }>, args: (Val | undefined)[], call: ESTree.Node): Val {
  const { node, custom } = fn;
  if (custom) return lowerCustomCall(L, fn, custom, args, call, (f) => inline(L, { ...f, custom: undefined }, args, call));
  if (fn.pullback) return lowerPullback(L, fn, args, call);
  if (node.async || node.generator) {
    throw L.fail(call, node.async ? "async function" : "generator", `'${fn.name}' is ${node.async ? "async" : "a generator"}.`, "Only plain synchronous functions can be differentiated.");
  }
  // Extra arguments are evaluated and ignored, as in JavaScript (a callback may take fewer).
  const missing = node.params.findIndex((p, i) => args[i] === undefined && p.type !== "AssignmentPattern" && p.type !== "RestElement");
  if (missing >= 0) {
    const defaults = node.params.some((p) => p.type === "AssignmentPattern");
    throw L.fail(call, "argument count", `'${fn.name}' takes ${node.params.length} argument(s) but is called with ${args.length}${missing >= 0 && missing < args.length ? ` (argument ${missing + 1} undefined)` : ""}.`,
      defaults ? "Pass every parameter that has no default value." : "Pass every parameter.");
  }
  const scope = new Scope(fn.scope);
  L.fns.push({ node, source: fn.source, ret: undefined, loops: [], call });
  try {
    node.params.forEach((p, i) => {
      if (p.type === "RestElement") return bindRest(L, p, args.slice(i), scope);
      if (p.type !== "AssignmentPattern") return bindParam(L, p, args[i]!, scope);
      bindParam(L, p.left, args[i] ?? lowerExpr(L, p.right, scope), scope);
    });
    if (fn.checkpoint) {
      // One iteration marked for reverse mode: its entry state is kept and its body recomputed.
      const body = L.block(() => lowerBody(L, node, scope));
      const index = L.b.newVar(`${fn.name}_call`, "num");
      // Refusals about the checkpointed call point at the call (in the caller's source).
      const caller = L.fns[L.fns.length - 2]?.source;
      const loc = L.b.loc && caller ? { ...L.b.loc, source: caller, offset: call.start } : undefined;
      L.b.emit({ k: "for", index, start: L.b.num(0), end: L.b.num(1), step: 1, cmp: "<", body, checkpoint: "call", ...(loc ? { loc } : {}) });
    } else {
      lowerBody(L, node, scope);
    }
    const ret = L.fn.ret;
    if (L.fn.retFn) return { k: "fn", fn: L.fn.retFn };
    if (L.fn.retObj) return L.fn.retObj;
    if (!ret) return { k: "temp", t: L.b.num(NaN) };
    if (isArrayType(ret.type)) return { k: "arr", v: ret };
    return { k: "temp", t: L.b.get(ret) };
  } finally {
    L.fns.pop();
  }
}

/**
 * `...xs`: the remaining arguments gathered, numbers into a new Float64Array, arrays,
 * objects and functions (with numbers among them) into a list, as an array literal of
 * them would be.
 */
function bindRest(L: Lowerer, p: ESTree.RestElement, args: (Val | undefined)[], scope: Scope): void {
  if (p.argument.type !== "Identifier") throw L.fail(p, "rest pattern", "Destructuring a rest parameter is not supported.", "Name it: ...xs.");
  const name = p.argument.name;
  args.forEach((a, k) => {
    if (!a || a.k === "tuple" || (a.k === "temp" && a.t.type !== "num")) {
      throw L.fail(p, "rest parameter", `A rest parameter gathers numbers, arrays, objects and functions, and argument ${k + 1} of its part is ${a ? (a.k === "tuple" ? "a derivative's pair" : "a boolean") : "undefined"}.`, a?.k === "tuple" ? "Destructure the pair first." : "Pass numbers or arrays.");
    }
  });
  if (args.some((a) => a!.k !== "temp")) {
    const fields = new Map<string, Binding>(args.map((a, k) => [String(k), bindValue(L, `${name}${k}`, a!, true, true)]));
    return scope.declare(name, { k: "obj", fields, list: true });
  }
  const xs = L.b.newVar(name, "f64[]");
  L.b.emit({ k: "alloc", v: xs, n: L.b.num(args.length) });
  args.forEach((a, k) => L.b.store(xs, L.b.num(k), (a as Extract<Val, { k: "temp" }>).t));
  scope.declare(name, { k: "arr", v: xs });
}

function fnName(node: ESTree.Function): string | undefined {
  return node.id?.name;
}
