// Statements: declarations, assignments and structured control flow. Early exits
// (return, break, continue) become flags plus guards around what follows them.
import type * as ESTree from "acorn";
import { isArrayType, type Temp, type Var } from "../ir/types.js";
import { lowerAssignment, lowerUpdate } from "./assign.js";
import { declare, declareUnset, hoistVars } from "./declare.js";
import { temp, type LoopCtx, type Lowerer, type Val } from "./context.js";
import { anyExit, hasExit, hasNonTailReturn } from "./exits.js";
import { lowerBool, lowerExpr, unsupportedExpr } from "./expr.js";
import { lowerLoop } from "./loops.js";
import { lowerSwitch } from "./switch.js";
import { bindingVal } from "./names.js";
import { destructureArray } from "./lists.js";
import { Scope, type Binding } from "./scope.js";
import { bindView, refuseView } from "./views.js";
import { bindArray, reassigned } from "./moves.js";
import { bindObject } from "./rebind.js";

/** Binds one parameter pattern of an inlined function to an argument value. */
export function bindParam(L: Lowerer, p: ESTree.Pattern, arg: Val, scope: Scope): void {
  if (p.type === "Identifier") {
    scope.declare(p.name, bindValue(L, p.name, arg, false, true));
    return;
  }
  if (p.type === "ObjectPattern" && arg.k === "obj") {
    destructure(L, p, arg.fields, scope);
    return;
  }
  if (p.type === "ArrayPattern") {
    destructureArray(L, p, arg, false, (name, b) => scope.declare(name, b));
    return;
  }
  throw L.fail(p, "parameter pattern", "This parameter form is not supported.", "Use a plain name or { a, b } for an object.");
}

/** `param`: a helper's parameter (it may share the argument's var unless it reassigns it). */
export function bindValue(L: Lowerer, name: string, val: Val, isConst: boolean, param = false): Binding {
  if (val.k === "arr") return bindArray(L, name, val, param);
  if (val.k === "view") return bindView(L, val, name, param);
  if (val.k === "obj") return bindObject(L, name, val, isConst);
  if (val.k === "fn") return val.fn;
  // A tuple's numbers go to variables now: its temps cannot outlive this statement.
  if (val.k === "tuple") return { k: "tuple", items: val.items.map((item, i) => bindValue(L, `${name}_${i}`, item, true)) };
  // A number known when compiling (a list method's index) stays known, as an unrolled loop's index is.
  if (val.known !== undefined && !reassigned(L, name)) return { k: "scalar", v: L.b.newVar(name, "num"), isConst: true, value: val.known };
  const v = L.b.newVar(name, val.t.type);
  L.b.set(v, val.t);
  return { k: "scalar", v, isConst };
}

/** The value of a field read out of an object: a scalar is read now, arrays and objects alias. */
export function fieldValue(L: Lowerer, field: Binding): Val {
  return bindingVal(L, field);
}

/**
 * `{ a, b: name, c = 2 }` of an object. A field the object does not have takes its
 * default, or without one is undefined (as a `let` without a value: NaN in arithmetic,
 * replaced by `??`; when the name is never assigned, known to be undefined when
 * compiling, so `c ? … : …` and `c ?? …` choose their side then); a field it has is
 * used as it is (its values are never undefined).
 */
export function destructure(L: Lowerer, p: ESTree.ObjectPattern, fields: Map<string, Binding>, scope: Scope): void {
  for (const prop of p.properties) {
    const target = prop.type === "Property" && prop.value.type === "AssignmentPattern" ? prop.value.left : prop.type === "Property" ? prop.value : undefined;
    if (prop.type !== "Property" || prop.computed || prop.key.type !== "Identifier" || target?.type !== "Identifier") {
      throw L.fail(prop, "destructuring pattern", "Only { a, b: name, c = default } destructuring of objects is supported.", "");
    }
    const field = fields.get(prop.key.name);
    const fallback = prop.value.type === "AssignmentPattern" ? prop.value.right : undefined;
    if (!field && !fallback) {
      const binding = declareUnset(L, target.name, scope);
      if (!reassigned(L, target.name)) binding.absent = true;
      continue;
    }
    // A destructured scalar is a copy; arrays and objects alias.
    const val = field ? fieldValue(L, field) : lowerExpr(L, fallback!, scope);
    scope.declare(target.name, bindValue(L, target.name, val, false));
  }
}

/** Lowers a function body (block or expression) in the current function context. */
export function lowerBody(L: Lowerer, node: ESTree.Function, scope: Scope): void {
  if (node.body.type !== "BlockStatement") {
    setReturn(L, node.body, lowerExpr(L, node.body, scope));
    return;
  }
  if (hasNonTailReturn(node.body.body, true)) {
    L.fn.done = L.flag("done");
    L.b.set(L.fn.done, L.b.bool(false));
  }
  const body = (L.fn.vars = new Scope(scope));
  hoistVars(L, node.body.body, body);
  lowerBlock(L, node.body.body, body, true);
}

/** Lowers statements; function declarations are visible in the whole block (hoisted). */
export function lowerBlock(L: Lowerer, stmts: ESTree.Statement[], scope: Scope, tail: boolean): void {
  for (const s of stmts) {
    if (s.type === "FunctionDeclaration") {
      scope.declare(s.id.name, { k: "fn", name: s.id.name, node: s, source: L.fn.source, scope });
    }
  }
  lowerStatements(L, stmts, 0, scope, tail);
}

function lowerStatements(L: Lowerer, stmts: ESTree.Statement[], from: number, scope: Scope, tail: boolean): void {
  for (let i = from; i < stmts.length; i++) {
    const s = stmts[i];
    const last = i === stmts.length - 1;
    lowerStatement(L, s, scope, tail && last);
    if (!last && anyExit(s)) {
      const guard = exitGuard(L, s);
      if (guard) {
        const rest = L.block(() => lowerStatements(L, stmts, i + 1, scope, tail));
        L.b.emit({ k: "if", cond: guard, then: rest, else: [] });
        return;
      }
    }
  }
}

/** `!(flags that s may have set)`, or undefined when s cannot skip what follows. */
function exitGuard(L: Lowerer, s: ESTree.Statement): Temp | undefined {
  const loop = L.fn.loops[L.fn.loops.length - 1];
  const flags: Var[] = [];
  if (hasExit(s, "return") && L.fn.done) flags.push(L.fn.done);
  if (hasExit(s, "break") && loop?.brk) flags.push(loop.brk);
  if (hasExit(s, "continue") && loop?.cont) flags.push(loop.cont);
  if (flags.length === 0) return undefined;
  const any = flags.map((f) => L.b.get(f)).reduce((a, b) => L.b.op("or", a, b));
  return L.b.op("not", any);
}

export function lowerStatement(L: Lowerer, s: ESTree.Statement, scope: Scope, tail: boolean): void {
  L.setLoc(s);
  switch (s.type) {
    case "VariableDeclaration":
      return declare(L, s, scope);
    case "ExpressionStatement":
      return expressionStatement(L, s.expression, scope);
    case "IfStatement": {
      const cond = lowerBool(L, s.test, scope);
      const then = L.block(() => lowerStatement(L, s.consequent, new Scope(scope), tail));
      const els = s.alternate ? L.block(() => lowerStatement(L, s.alternate!, new Scope(scope), tail)) : [];
      L.b.emit({ k: "if", cond, then, else: els });
      return;
    }
    case "BlockStatement":
      return lowerBlock(L, s.body, new Scope(scope), tail);
    case "ReturnStatement":
      return lowerReturn(L, s, scope, tail);
    case "BreakStatement":
    case "ContinueStatement":
      return jump(L, s);
    case "ForStatement":
    case "ForOfStatement":
    case "WhileStatement":
    case "DoWhileStatement":
      return lowerLoop(L, s, scope);
    case "SwitchStatement":
      return lowerSwitch(L, s, scope, tail);
    case "ThrowStatement":
      return lowerThrow(L, s, scope);
    case "FunctionDeclaration":
    case "EmptyStatement":
      return;
    default:
      throw unsupportedStatement(L, s);
  }
}

/**
 * An expression evaluated for its effects. Minifiers write statements as expressions:
 * `a, b;` is two statements, `c ? a : b;` an if/else, `c && a;` and `c || a;` an if.
 */
function expressionStatement(L: Lowerer, e: ESTree.Expression, scope: Scope): void {
  const statement = (x: ESTree.Expression) => () => expressionStatement(L, x, scope);
  switch (e.type) {
    case "AssignmentExpression":
      return void lowerAssignment(L, e, scope);
    case "UpdateExpression":
      return void lowerUpdate(L, e, scope);
    case "SequenceExpression":
      return e.expressions.forEach((x) => expressionStatement(L, x, scope));
    case "ConditionalExpression":
      return branch(L, lowerBool(L, e.test, scope), statement(e.consequent), statement(e.alternate));
    case "LogicalExpression":
      if (e.operator === "??") break;
      if (e.operator === "&&") return branch(L, lowerBool(L, e.left, scope), statement(e.right));
      return branch(L, lowerBool(L, e.left, scope), undefined, statement(e.right));
    case "UnaryExpression":
      if (e.operator === "void") return expressionStatement(L, e.argument, scope);
      break;
  }
  lowerExpr(L, e, scope);
}

function branch(L: Lowerer, cond: Temp, then?: () => void, els?: () => void): void {
  L.b.emit({ k: "if", cond, then: then ? L.block(then) : [], else: els ? L.block(els) : [] });
}

/** A returned number is assigned to the function's result var; a returned array is the result. */
function setReturn(L: Lowerer, node: ESTree.Node, val: Val, tail = true): void {
  const fn = L.fn;
  if (val.k === "view") throw refuseView(L, node, "be returned (the result must be a whole array)");
  if (val.k === "fn" || fn.retFn) {
    if (val.k !== "fn" || fn.ret || !tail) {
      throw L.fail(node, "function value chosen at run time", val.k === "fn" && !fn.ret && !tail
        ? "This function returns a function from inside a branch or loop: which one it returns is known only at run time, and gradc inlines every call, so it must know which function each call calls."
        : "The function returns a function on one path and a value on another.",
        "Return one function, at the end of the body (const step = (x) => …; return step).");
    }
    fn.retFn = val.fn;
    return;
  }
  if (val.k === "obj" || fn.retObj) {
    if (val.k !== "obj" || fn.ret || fn.retObj || !tail || L.fns.length === 1) {
      throw L.fail(node, "returned list", L.fns.length === 1 ? "The differentiated function returns an Array of arrays or objects (or an object): it must return a number or one array."
        : "A helper returns an Array of arrays or objects (or an object) from inside a branch or loop, or besides another value: gradc must know what each call returns when it compiles.",
        L.fns.length === 1 ? "Return a number (the loss), or a Float64Array for jvp, vjp and jacobian." : "Return it once, at the end of the helper's body.");
    }
    fn.retObj = val;
    return;
  }
  if (val.k === "arr") {
    if (fn.ret && fn.ret !== val.v) {
      throw L.fail(node, "different returned arrays", "The function returns different arrays (or an array and a number) on different paths.",
        "Return one array: fill it on every path and return it at the end.");
    }
    fn.ret = val.v;
    return;
  }
  const t = temp(val, L, node);
  if (fn.ret && isArrayType(fn.ret.type)) throw L.fail(node, "mixed return types", "The function returns both an array and a number.", "");
  if (!fn.ret) fn.ret = L.b.newVar("result", t.type);
  if (fn.ret.type !== t.type) throw L.fail(node, "mixed return types", "The function returns both numbers and booleans.", "");
  L.b.set(fn.ret, t);
}

function lowerReturn(L: Lowerer, s: ESTree.ReturnStatement, scope: Scope, tail: boolean): void {
  if (s.argument) setReturn(L, s.argument, lowerExpr(L, s.argument, scope), tail);
  if (tail) return;
  const fn = L.fn;
  if (!fn.done) throw new Error("gradc internal error: non-tail return without a done flag");
  L.b.set(fn.done, L.b.bool(true));
  for (const loop of fn.loops) if (loop.brk) L.b.set(loop.brk, L.b.bool(true));
}

function jump(L: Lowerer, s: ESTree.BreakStatement | ESTree.ContinueStatement): void {
  const what = s.type === "BreakStatement" ? "break" : "continue";
  if (s.label) throw L.fail(s, `labeled ${what}`, `A labeled ${what} is not supported.`, "Use a flag variable, or move the inner loop into a function and return from it.");
  const loop: LoopCtx | undefined = L.fn.loops[L.fn.loops.length - 1];
  const flag = what === "break" ? loop?.brk : loop?.cont;
  if (!flag) throw L.fail(s, what, `'${what}' outside a loop.`, "");
  L.b.set(flag, L.b.bool(true));
}

const ERRORS = new Set(["Error", "TypeError", "RangeError"]);

/**
 * `throw new Error("message")` (also TypeError, RangeError, without `new`, without a
 * message): the derivative code throws the same error at the same point.
 */
function lowerThrow(L: Lowerer, s: ESTree.ThrowStatement, scope: Scope): void {
  const e = s.argument;
  const ctor = (e.type === "NewExpression" || e.type === "CallExpression") && e.callee.type === "Identifier" ? e.callee.name : undefined;
  const args = ctor ? (e as ESTree.NewExpression).arguments : [];
  const message = args[0];
  const literal = message?.type === "Literal" && typeof message.value === "string";
  if (!ctor || !ERRORS.has(ctor) || scope.lookup(ctor) || args.length > 1 || (message && !literal)) {
    throw L.fail(s, "throw", "Only `throw new Error(\"message\")` (or TypeError, RangeError) with a string literal message is supported in differentiated code.",
      "Throw one of those errors with a fixed message, or validate inputs before calling the function.");
  }
  L.b.emit({ k: "throw", error: ctor, ...(literal ? { message: (message as ESTree.Literal).value as string } : {}) });
}

export function unsupportedStatement(L: Lowerer, s: ESTree.Node): Error {
  const names: Record<string, [string, string]> = {
    TryStatement: ["try/catch", "Derivative code cannot catch exceptions; validate inputs before calling."],
    LabeledStatement: ["label", "Use a flag variable instead of labels."],
    ForInStatement: ["for...in", "Loop over indices with for (let i = 0; i < a.length; i++)."],
    ClassDeclaration: ["class", "Use plain functions."],
    WithStatement: ["with", ""],
    DebuggerStatement: ["debugger", "Remove it."],
  };
  const entry = names[s.type];
  if (!entry) return unsupportedExpr(L, s);
  const [construct, hint] = entry;
  return L.fail(s, construct, `'${construct}' is not supported in differentiated code.`, hint);
}
