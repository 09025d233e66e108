// Expressions: each lowers to a temp (numbers, booleans), an array or an object.
import type * as ESTree from "acorn";
import { hasDst, type Temp } from "../ir/types.js";
import { lowerArrayAssignment, lowerAssignment, lowerUpdate } from "./assign.js";
import { lowerCall, lowerNew, mathFunctionValue } from "./call.js";
import { temp, type Lowerer, type Val } from "./context.js";
import { CONSTANTS, moduleBindingOf } from "./constants.js";
import { lookupName, propertyKey } from "./names.js";
import type { Binding, Scope } from "./scope.js";
import { bindValue } from "./stmt.js";
import { isNullish, undefinedComparison, undefinedValue } from "./undefined.js";
import { arrayLiteral, listElement, listLength, staticIndex } from "./lists.js";
import { dynamicListRead } from "./list-index.js";
import { opDef } from "../ops/table.js";
import { lengthOf, loadElement } from "./views.js";
import { growingRead, listPastEnd } from "./list-growth.js";

const BINARY: Record<string, string> = {
  "+": "add", "-": "sub", "*": "mul", "/": "div", "%": "mod", "**": "pow",
  "<": "lt", "<=": "le", ">": "gt", ">=": "ge",
  "===": "eq", "==": "eq", "!==": "ne", "!=": "ne",
  "|": "bitOr", "&": "bitAnd", "^": "bitXor", "<<": "shiftLeft", ">>": "shiftRight", ">>>": "shiftRightUnsigned",
};

export function lowerExpr(L: Lowerer, node: ESTree.Expression, scope: Scope): Val {
  switch (node.type) {
    case "Literal":
      return literal(L, node);
    case "Identifier":
      return lookupName(L, node, scope);
    case "MemberExpression":
      return member(L, node, scope);
    case "BinaryExpression":
      return { k: "temp", t: binary(L, node, scope) };
    case "LogicalExpression":
      if (node.operator === "??") return nullish(L, node, scope);
      return { k: "temp", t: logical(L, node, scope) };
    case "UnaryExpression":
      return { k: "temp", t: unary(L, node, scope) };
    case "ConditionalExpression":
      return conditional(L, node, scope);
    case "CallExpression":
      return lowerCall(L, node, scope);
    case "NewExpression":
      return lowerNew(L, node, scope);
    case "AssignmentExpression":
      return lowerArrayAssignment(L, node, scope) ?? { k: "temp", t: lowerAssignment(L, node, scope) };
    case "UpdateExpression":
      return { k: "temp", t: lowerUpdate(L, node, scope) };
    case "SequenceExpression":
      return sequence(L, node, scope);
    case "ObjectExpression":
      return objectLiteral(L, node, scope);
    case "ArrowFunctionExpression":
    case "FunctionExpression":
      return { k: "fn", fn: { k: "fn", name: node.type === "FunctionExpression" && node.id ? node.id.name : "callback", node, source: L.fn.source, scope } };
    case "ArrayExpression":
      return arrayLiteral(L, node, scope);
    case "ParenthesizedExpression" as string:
      return lowerExpr(L, (node as unknown as { expression: ESTree.Expression }).expression, scope);
    default:
      throw unsupportedExpr(L, node);
  }
}

/** `a, b, c`: evaluated left to right, the value of the last (the others for their effects). */
function sequence(L: Lowerer, node: ESTree.SequenceExpression, scope: Scope): Val {
  const last = node.expressions.length - 1;
  node.expressions.slice(0, last).forEach((e) => lowerEffect(L, e, scope));
  return lowerExpr(L, node.expressions[last], scope);
}

/** An expression whose value is not used (`void e`, a sequence's leading operands). */
export function lowerEffect(L: Lowerer, node: ESTree.Expression, scope: Scope): void {
  if (node.type === "UnaryExpression" && node.operator === "void") return lowerEffect(L, node.argument, scope);
  if (node.type === "Literal" || node.type === "Identifier") return;
  lowerExpr(L, node, scope);
}

/** Lowers an expression that must be a number or boolean. */
export function lowerScalar(L: Lowerer, node: ESTree.Expression, scope: Scope): Temp {
  return temp(lowerExpr(L, node, scope), L, node);
}

/** Lowers an expression that must be a number. */
export function lowerNum(L: Lowerer, node: ESTree.Expression, scope: Scope): Temp {
  return asNum(L, lowerScalar(L, node, scope), node);
}

function asNum(L: Lowerer, t: Temp, node: ESTree.Node): Temp {
  if (t.type !== "num") throw L.fail(node, "boolean arithmetic", "A boolean is used where a number is expected.", "Use a ternary (c ? 1 : 0) to turn it into a number.");
  return t;
}

/** Lowers an expression that must be a boolean (conditions). */
export function lowerBool(L: Lowerer, node: ESTree.Expression, scope: Scope): Temp {
  const known = staticTruth(node, scope);
  return known !== undefined ? L.b.bool(known) : truthy(L, lowerScalar(L, node, scope));
}

/**
 * A name's truthiness when it is known while compiling: one holding an array, object or
 * function is truthy (`where ? x.filter(…) : x`, `if (opts)`); an absent field is
 * undefined, falsy.
 */
function staticTruth(node: ESTree.Node, scope: Scope): boolean | undefined {
  const b = node.type === "Identifier" ? scope.lookup((node as ESTree.Identifier).name) : undefined;
  if (!b) return undefined;
  return b.k !== "scalar" ? true : b.absent ? false : undefined;
}

/** A number or boolean as a condition. */
export function truthy(L: Lowerer, t: Temp): Temp {
  if (t.type === "bool") return t;
  // A number used as a condition is true when non-zero (and not NaN).
  const zero = L.b.num(0);
  const ne = L.b.op("ne", t, zero);
  return L.b.op("and", ne, L.b.op("eq", t, t));
}

function literal(L: Lowerer, node: ESTree.Literal): Val {
  if (typeof node.value === "number") return { k: "temp", t: L.b.num(node.value) };
  if (typeof node.value === "boolean") return { k: "temp", t: L.b.bool(node.value) };
  const what = typeof node.value === "string" ? "string" : node.value === null ? "null" : "literal";
  throw L.fail(node, what, `A ${what} cannot be differentiated.`, "Only numbers, booleans and typed arrays are supported.");
}

function member(L: Lowerer, node: ESTree.MemberExpression, scope: Scope): Val {
  if (node.optional) throw L.fail(node, "optional chaining", "Optional chaining (?.) is not supported.", "Use a plain property access.");
  const obj = node.object;
  if (obj.type === "Identifier" && !node.computed && node.property.type === "Identifier" && !scope.lookup(obj.name) && !moduleBindingOf(obj)) {
    const table = CONSTANTS[obj.name];
    const value = table?.[node.property.name];
    if (value !== undefined) return { k: "temp", t: L.b.num(value) };
    const fn = obj.name === "Math" ? mathFunctionValue(L, node) : undefined;
    if (fn) return fn;
    if (table) {
      throw L.fail(node.property, `${obj.name}.${node.property.name}`, `${obj.name}.${node.property.name} is not supported here.`,
        `The ${obj.name} constants are ${Object.keys(table).map((k) => `${obj.name}.${k}`).join(", ")}.`);
    }
  }
  if (obj.type === "Super") throw L.fail(obj, "super", "`super` is not supported.", "");
  const dynamic = dynamicListRead(L, node, scope) ?? growingRead(L, node, scope);
  if (dynamic) return dynamic;
  const base = lowerExpr(L, obj, scope);
  if (node.computed && base.k === "tuple") {
    const idx = node.property;
    const item = idx.type === "Literal" && typeof idx.value === "number" ? base.items[idx.value] : undefined;
    if (!item) throw L.fail(idx, "tuple index", "Index a derivative's result with a constant: [0] or [1].", "");
    return item;
  }
  // A constant key of an object: p["init h"], p[0].
  const keyBinding = node.computed && node.property.type === "Identifier" ? scope.lookup(node.property.name) : undefined;
  const key = node.computed && base.k === "obj"
    ? keyBinding?.k === "key" ? keyBinding.key : propertyKey(node.property as ESTree.Expression, true)
    : undefined;
  if (node.computed && key === undefined) {
    if (base.k === "obj" && base.list) return listElement(L, base, node.property as ESTree.Expression, scope);
    if (base.k === "obj") throw L.fail(node.property, "computed key", "An object's fields are read with constant keys: p.a, p[\"a b\"], p[0].", "Use a typed array for values indexed by a variable.");
    if (base.k !== "arr" && base.k !== "view") throw L.fail(node, "computed property", "Only typed arrays can be indexed with [].", "Use a Float64Array or Float32Array.");
    const idx = lowerNum(L, node.property as ESTree.Expression, scope);
    return { k: "temp", t: loadElement(L, base, idx) };
  }
  const name = key ?? (node.property as ESTree.Identifier).name;
  if (base.k === "arr" || base.k === "view") {
    if (name === "length") return { k: "temp", t: lengthOf(L, base) };
    throw L.fail(node.property, `.${name}`, `Typed-array property .${name} is not supported.`, "Supported: .length, .fill(v), .slice(), .subarray(), .set().");
  }
  if (base.k === "obj") {
    if (base.list && name === "length") return listLength(L, base);
    const field = base.fields.get(name);
    if (!field && base.list && /^\d+$/.test(name)) throw listPastEnd(L, base, name, obj.type === "Identifier" ? obj.name : "the Array", node.property);
    if (!field) throw L.fail(node.property, `.${name}`, `The object has no field '${name}'.`, `Its fields are: ${[...base.fields.keys()].join(", ")}.`);
    if (field.k === "scalar") return { k: "temp", t: L.b.get(field.v) };
    if (field.k === "arr") return { k: "arr", v: field.v };
    if (field.k === "obj" || field.k === "view") return field;
  }
  const what = obj.type === "Identifier" ? `'${obj.name}'` : "This value";
  throw L.fail(node, "property access", `${what} is a number here, and a number has no property .${name}.`,
    obj.type === "Identifier" ? `If '${obj.name}' should be an array, pass a Float64Array or Float32Array.` : "");
}

function binary(L: Lowerer, node: ESTree.BinaryExpression, scope: Scope): Temp {
  const op = BINARY[node.operator];
  if (!op) {
    throw L.fail(node, `operator ${node.operator}`, `The operator '${node.operator}' is not supported.`,
      "Use arithmetic (+ - * / % **), the bitwise operators (| & ^ ~ << >> >>>) and comparisons.");
  }
  if (node.left.type === "PrivateIdentifier") throw L.fail(node.left, "private field", "Private fields are not supported.", "");
  const unset = op === "eq" || op === "ne" ? undefinedComparison(L, node, scope) : undefined;
  if (unset) return unset;
  const known = knownComparison(L, op, node, scope);
  if (known) return known;
  const left = lowerScalar(L, node.left, scope);
  if ((op === "eq" || op === "ne") && left.type === "bool") return booleanEquality(L, left, node.right, scope, op === "ne");
  const a = asNum(L, left, node.left);
  // x ** 2 is x * x (the same number in IEEE arithmetic), and so is its derivative code.
  if (op === "pow" && node.right.type === "Literal" && node.right.value === 2) return L.b.op("mul", a, a);
  const b = lowerNum(L, node.right, scope);
  return L.b.op(op, a, b);
}

/** A comparison of two numbers known when compiling (`i === j` of unrolled indices): a constant, as TypeScript wants it. */
function knownComparison(L: Lowerer, op: string, node: ESTree.BinaryExpression, scope: Scope): Temp | undefined {
  if (opDef(op).result !== "bool") return undefined;
  const a = staticIndex(L, node.left, scope), b = a === undefined ? undefined : staticIndex(L, node.right, scope);
  return b === undefined ? undefined : L.b.bool(!!opDef(op).eval(a!, b));
}

/** `flag === true`, `a !== b` of two booleans. */
function booleanEquality(L: Lowerer, a: Temp, right: ESTree.Expression, scope: Scope, negate: boolean): Temp {
  const b = lowerScalar(L, right, scope);
  if (b.type !== "bool") throw L.fail(right, "boolean compared with a number", "A boolean is compared with a number (always unequal with === in JavaScript).", "Compare booleans with booleans, numbers with numbers.");
  const same = L.b.op("or", L.b.op("and", a, b), L.b.op("and", L.b.op("not", a), L.b.op("not", b)));
  return negate ? L.b.op("not", same) : same;
}

/**
 * `a ?? b`. Numbers, booleans, typed arrays and objects are never null or undefined, so
 * for a variable, a parameter (once its default applies), a field or a literal the
 * result is `a` and `b` is not evaluated. A variable declared without a value (`let x;`)
 * is undefined until assigned: the result is `b` while it still is. Anything else on the
 * left (an element read, undefined out of bounds; a call, undefined when it returns
 * nothing) is refused.
 */
function nullish(L: Lowerer, node: ESTree.LogicalExpression, scope: Scope): Val {
  const left = node.left;
  if (isNullish(left, scope)) return lowerExpr(L, node.right, scope);
  const binding = left.type === "Identifier" ? scope.lookup(left.name) : undefined;
  if (binding?.k === "scalar" && binding.absent) return lowerExpr(L, node.right, scope);
  if (binding?.k === "scalar" && binding.unset) {
    const unset = binding.unset;
    const v = L.b.newVar(left.type === "Identifier" ? left.name : "value", binding.v.type);
    const then = L.block(() => {
      const b = lowerScalar(L, node.right, scope);
      if (b.type !== v.type) throw L.fail(node, "mixed ??", "The two sides of ?? have different types.", "Make both numbers or both booleans.");
      L.b.set(v, b);
    });
    const els = L.block(() => L.b.set(v, L.b.get(binding.v)));
    L.b.emit({ k: "if", cond: L.b.get(unset), then, else: els });
    return { k: "temp", t: L.b.get(v) };
  }
  if (left.type === "Identifier" || left.type === "Literal" || isFieldRead(left, scope)) return lowerExpr(L, left, scope);
  const what = left.type === "MemberExpression" ? "an element read (undefined out of bounds)" : left.type === "CallExpression" ? "a call (undefined when the function returns nothing)" : "this expression";
  throw L.fail(left, "operator ??", `The left side of ?? is ${what}: gradc cannot tell whether it is undefined.`,
    "Numbers are never null or undefined: drop the fallback; for a bounds check compare the index with .length (i < a.length ? a[i] : fallback).");
}

/** `p.a`, `p["a b"].c`, `vg[1]`: a field of an object (or part of a pair), which always holds a value. */
function isFieldRead(e: ESTree.Node, scope: Scope): boolean {
  if (e.type !== "MemberExpression") return false;
  const m = e as ESTree.MemberExpression;
  if (m.optional || (m.computed && m.property.type !== "Literal")) return false;
  if (m.object.type === "Identifier") {
    const b = scope.lookup(m.object.name);
    return b?.k === "obj" || b?.k === "tuple";
  }
  return isFieldRead(m.object, scope);
}

function logical(L: Lowerer, node: ESTree.LogicalExpression, scope: Scope): Temp {
  const and = node.operator === "&&";
  const a = lowerBool(L, node.left, scope);
  let b!: Temp;
  const right = L.block(() => { b = lowerBool(L, node.right, scope); });
  if (right.every((i) => hasDst(i))) {
    L.b.block.push(...right);
    return L.b.op(and ? "and" : "or", a, b);
  }
  // The right side assigns (an inlined call, a branching ternary): evaluate it only when JavaScript would.
  const v = L.b.newVar(and ? "both" : "either", "bool");
  L.b.set(v, a);
  right.push({ k: "set", v, src: b, loc: L.b.loc });
  const cond = and ? L.b.get(v) : L.b.op("not", L.b.get(v));
  L.b.emit({ k: "if", cond, then: right, else: [] });
  return L.b.get(v);
}

function unary(L: Lowerer, node: ESTree.UnaryExpression, scope: Scope): Temp {
  switch (node.operator) {
    case "-":
      return L.b.op("neg", lowerNum(L, node.argument, scope));
    case "+":
      return lowerNum(L, node.argument, scope);
    case "!":
      return L.b.op("not", lowerBool(L, node.argument, scope));
    case "~":
      return L.b.op("bitNot", lowerNum(L, node.argument, scope));
    case "void":
      throw undefinedValue(L, node);
    default:
      throw L.fail(node, `operator ${node.operator}`, `The operator '${node.operator}' is not supported.`, "");
  }
}

/**
 * `c ? a : b`. When each side is a plain read (a constant, a variable, an element),
 * both are evaluated and a select picks one: the unused side only ever meets a zero
 * adjoint or tangent directly. Otherwise a branch assigns a temporary variable, so
 * an unused side (say `y[i - 1] * x[i]` at i = 0, or `Math.sqrt(x)` for x < 0) is
 * never evaluated and cannot turn a derivative into NaN (0 × NaN).
 */
function conditional(L: Lowerer, node: ESTree.ConditionalExpression, scope: Scope): Val {
  const known = staticTruth(node.test, scope);
  if (known !== undefined) return lowerExpr(L, known ? node.consequent : node.alternate, scope);
  const fn = [node.consequent, node.alternate].find((e) => isFunction(e, scope));
  if (fn) {
    throw L.fail(node, "function value chosen at run time", "Which function this ternary gives depends on a condition known only at run time, and gradc inlines every call, so it must know which function each call calls.",
      "Call the functions in the branches instead: c ? f(x) : g(x).");
  }
  const c = lowerBool(L, node.test, scope);
  let a!: Temp, b!: Temp;
  const thenBlock = L.block(() => { a = lowerScalar(L, node.consequent, scope); });
  const elseBlock = L.block(() => { b = lowerScalar(L, node.alternate, scope); });
  if (a.type !== b.type) throw L.fail(node, "mixed ternary", "The two sides of the ternary have different types.", "Make both numbers or both booleans.");
  const read = (blk: typeof thenBlock, t: Temp) =>
    blk.some((i) => hasDst(i) && i.dst === t && (i.k === "const" || i.k === "get" || i.k === "load" || i.k === "len")) &&
    blk.every((i) => hasDst(i));
  if (read(thenBlock, a) && read(elseBlock, b) && a.type === "num") {
    L.b.block.push(...thenBlock, ...elseBlock);
    return { k: "temp", t: L.b.op("select", c, a, b) };
  }
  const v = L.b.newVar("cond", a.type);
  thenBlock.push({ k: "set", v, src: a, loc: L.b.loc });
  elseBlock.push({ k: "set", v, src: b, loc: L.b.loc });
  L.b.emit({ k: "if", cond: c, then: thenBlock, else: elseBlock });
  return { k: "temp", t: L.b.get(v) };
}

/**
 * `{ a, b: x * 2, "k k": w, ...p }`: an object of fields, as a parameter object is. A
 * number is copied into the field when the literal is evaluated; arrays, objects and
 * functions are shared, as in JavaScript. Its fields are not assigned later.
 */
function objectLiteral(L: Lowerer, node: ESTree.ObjectExpression, scope: Scope): Val {
  const fields = new Map<string, Binding>();
  for (const prop of node.properties) {
    if (prop.type === "SpreadElement") {
      const from = lowerExpr(L, prop.argument, scope);
      if (from.k !== "obj" || from.list) throw L.fail(prop, "object spread", "Only an object can be spread into an object literal here.", "");
      for (const [name, b] of from.fields) fields.set(name, b.k === "scalar" ? bindValue(L, name, { k: "temp", t: L.b.get(b.v) }, true) : b);
      continue;
    }
    const key = propertyKey(prop.key, prop.computed);
    if (key === undefined || prop.kind !== "init" || prop.method) {
      throw L.fail(prop, "object literal property", "An object literal's properties are read here as `name: value`, `name` or `...other`, with constant keys.", "Write the property as name: value.");
    }
    fields.set(key, bindValue(L, key, lowerExpr(L, prop.value as ESTree.Expression, scope), true));
  }
  return { k: "obj", fields };
}

/** An arrow, a function expression, or a name bound to a function. */
function isFunction(e: ESTree.Expression, scope: Scope): boolean {
  if (e.type === "ArrowFunctionExpression" || e.type === "FunctionExpression") return true;
  return e.type === "Identifier" && scope.lookup(e.name)?.k === "fn";
}

export function unsupportedExpr(L: Lowerer, node: ESTree.Node): Error {
  const names: Record<string, [string, string]> = {
    TemplateLiteral: ["template string", "Strings cannot be differentiated."],
    ThisExpression: ["this", "Pass what you need as parameters."],
    AssignmentExpression: ["assignment inside an expression", "Make the assignment its own statement."],
    UpdateExpression: ["++/-- inside an expression", "Make the increment its own statement."],
    SequenceExpression: ["comma operator", "Split it into statements."],
    AwaitExpression: ["await", "Derivative code is synchronous."],
    YieldExpression: ["yield", "Generators are not supported."],
    TaggedTemplateExpression: ["tagged template", ""],
    ClassExpression: ["class", ""],
    ChainExpression: ["optional chaining", "Use a plain property access."],
    ImportExpression: ["import()", ""],
    MetaProperty: ["meta property", ""],
  };
  const [construct, hint] = names[node.type] ?? [node.type.replace(/^TS/, "TypeScript "), ""];
  return L.fail(node, construct, `${construct[0].toUpperCase()}${construct.slice(1)} is not supported in differentiated code.`, hint);
}
