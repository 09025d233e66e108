// Assignments: `x = e`, `x op= e`, `a[i] = e`, `++`/`--`, as statements or inside an
// expression (what minifiers write: `return s += x, s * 2`); each yields the value
// JavaScript gives it (the assigned value, or the old one for postfix `x++`).
import type * as ESTree from "acorn";
import { Effects } from "../ir/effects.js";
import { hasDst, type Instr, type Temp, type Var } from "../ir/types.js";
import { temp, type Lowerer, type Val } from "./context.js";
import { assignArray } from "./moves.js";
import { lowerExpr, lowerNum, lowerScalar, truthy } from "./expr.js";
import { outerName } from "./names.js";
import { dynamicListStore } from "./list-index.js";
import { assignObject, assignPattern } from "./rebind.js";
import type { Scope } from "./scope.js";
import { baseOf, loadElement, storeElement } from "./views.js";
import { assignEmpty, checkWritable, growingTarget } from "./list-growth.js";

const COMPOUND: Record<string, string> = {
  "+=": "add", "-=": "sub", "*=": "mul", "/=": "div", "%=": "mod", "**=": "pow",
  "|=": "bitOr", "&=": "bitAnd", "^=": "bitXor", "<<=": "shiftLeft", ">>=": "shiftRight", ">>>=": "shiftRightUnsigned",
};

/** `name = e` for a name holding an array, a list or an object: the value assigned (undefined for other assignments). */
export function lowerArrayAssignment(L: Lowerer, e: ESTree.AssignmentExpression, scope: Scope): Val | undefined {
  if (e.left.type === "ArrayPattern") return assignPattern(L, e as ESTree.AssignmentExpression & { left: ESTree.ArrayPattern }, scope);
  if (e.left.type !== "Identifier") return undefined;
  const b = scope.lookup(e.left.name);
  const emptied = assignEmpty(L, e, b, scope);
  if (emptied) return emptied;
  if (b?.k === "view") {
    throw L.fail(e.left, "reassigning a view", `'${e.left.name}' is a view (.subarray()) and cannot be reassigned.`, "Declare a new const for each view.");
  }
  if (b?.k === "obj" && !LOGICAL.has(e.operator)) return assignObject(L, e as ESTree.AssignmentExpression & { left: ESTree.Identifier }, b, lowerExpr(L, e.right, scope));
  if (b?.k !== "arr") return undefined;
  if (e.operator !== "=") throw L.fail(e, `operator ${e.operator}`, `'${e.left.name}' holds an array: '${e.operator}' does not apply to it.`, "Write a loop over its elements.");
  assignArray(L, e.left, b, lowerExpr(L, e.right, scope), e);
  return { k: "arr", v: b.v };
}

/** `target = rhs` or `target op= rhs`; yields the assigned value. */
export function lowerAssignment(L: Lowerer, e: ESTree.AssignmentExpression, scope: Scope): Temp {
  if (lowerArrayAssignment(L, e, scope)) return L.b.num(NaN);
  if (LOGICAL.has(e.operator)) return logicalAssignment(L, e, scope);
  const op = e.operator === "=" ? undefined : COMPOUND[e.operator];
  if (e.operator !== "=" && !op) throw L.fail(e, `operator ${e.operator}`, `The assignment operator '${e.operator}' is not supported.`, "");
  // A number is required for arithmetic and for an element; a plain variable may hold a boolean.
  const rhs = (num: boolean) => (num || op ? lowerNum(L, e.right, scope) : temp(lowerExpr(L, e.right, scope), L, e.right));
  return assignTo(L, e.left, op, rhs, scope, e);
}

const LOGICAL = new Set(["??=", "||=", "&&="]);

/**
 * `x ??= e`, `x ||= e`, `x &&= e` of a variable: `e` is evaluated and assigned only when
 * JavaScript would — `??=` while x is undefined (a `let` without a value, a field its
 * object does not have; numbers never are), `||=` when x is falsy, `&&=` when truthy —
 * and the expression's value is x's afterwards.
 */
function logicalAssignment(L: Lowerer, e: ESTree.AssignmentExpression, scope: Scope): Temp {
  const target = e.left;
  const b = target.type === "Identifier" ? scope.lookup(target.name) : undefined;
  if (target.type !== "Identifier" || b?.k !== "scalar") {
    throw L.fail(e, `operator ${e.operator}`, `'${e.operator}' is supported on a variable holding a number or boolean.`, `Write it out: if (…) x = ….`);
  }
  const cond = e.operator === "??=" ? (b.unset ? L.b.get(b.unset) : undefined)
    : e.operator === "||=" ? L.b.op("not", truthy(L, L.b.get(b.v))) : truthy(L, L.b.get(b.v));
  if (cond) {
    const then = L.block(() => assignTo(L, target, undefined, () => lowerScalar(L, e.right, scope), scope, e));
    L.b.emit({ k: "if", cond, then, else: [] });
  }
  return L.b.get(b.v);
}

/** `x++`, `--a[i]`: yields the new value (prefix) or the old one (postfix). */
export function lowerUpdate(L: Lowerer, e: ESTree.UpdateExpression, scope: Scope): Temp {
  let old!: Temp;
  const op = e.operator === "++" ? "add" : "sub";
  const updated = assignTo(L, e.argument, op, () => L.b.num(1), scope, e, (t) => { old = t; });
  return e.prefix ? updated : old;
}

/**
 * The index of a store into `arr`. One that reads `arr` itself (`a[a[0] > 0 ? 1 : 0] = …`)
 * is kept in a var: recomputed after the store it would read the new contents, so the
 * backward sweep would find another index (the var is recorded like any other).
 */
function storeIndex(L: Lowerer, arr: Var, idx: Temp): Temp {
  const defs = new Map<number, Instr>();
  for (const i of L.b.block) if (hasDst(i)) defs.set(i.dst.id, i);
  if (!new Effects(defs).readsOf(idx).has(arr.id)) return idx;
  const v = L.b.newVar(`${arr.name}_index`, "num");
  L.b.set(v, idx);
  return L.b.get(v);
}

/**
 * `target = rhs()` or, with `op`, `target = target op rhs()`; returns the assigned value.
 * `before` sees the target's value before a compound assignment.
 */
function assignTo(
  L: Lowerer, targetNode: ESTree.Node, op: string | undefined, rhs: (num: boolean) => Temp, scope: Scope, node: ESTree.Node,
  before?: (old: Temp) => void,
): Temp {
  const target = targetNode as ESTree.AnyNode;
  if (target.type === "Identifier") {
    const b = scope.lookup(target.name);
    if (!b) throw outerName(L, target);
    if (b.k !== "scalar") {
      throw L.fail(target, "reassigning an array or object", `'${target.name}' holds ${b.k === "arr" ? "an array" : "an object or function"} and cannot be reassigned.`, "Write into its elements, or declare a new variable.");
    }
    if (b.isConst) throw L.fail(target, "assignment to const", `'${target.name}' is a const.`, "Declare it with let.");
    const old = op ? L.b.get(b.v) : undefined;
    if (old) before?.(old);
    const t = old ? L.b.op(op!, old, rhs(true)) : rhs(false);
    if (t.type !== b.v.type) throw L.fail(node, "type change", `'${target.name}' changes between number and boolean.`, "Keep each variable one type.");
    L.b.set(b.v, t);
    if (b.unset) L.b.set(b.unset, L.b.bool(false));
    return t;
  }
  if (target.type === "MemberExpression" && target.computed) {
    const row = dynamicListStore(L, target, !!op, (old) => {
      if (old) before?.(old);
      return old ? L.b.op(op!, old, rhs(true)) : rhs(true);
    }, scope);
    if (row) return row;
    const arr = growingTarget(target.object, scope) ?? lowerExpr(L, target.object as ESTree.Expression, scope);
    if (arr.k !== "arr" && arr.k !== "view") throw L.fail(target, "indexed assignment", "Only typed-array elements can be assigned with [].", "");
    const idx = storeIndex(L, baseOf(arr), lowerNum(L, target.property as ESTree.Expression, scope));
    checkWritable(L, arr, idx);
    const old = op ? loadElement(L, arr, idx) : undefined;
    if (old) before?.(old);
    const value = old ? L.b.op(op!, old, rhs(true)) : rhs(true);
    storeElement(L, arr, idx, value);
    return value;
  }
  if (target.type === "MemberExpression") {
    throw L.fail(target, "assignment to a field", "Assigning to an object's field is not supported.", "Keep the value in a local variable, or write into a typed-array field's elements.");
  }
  throw L.fail(target, "assignment target", "This assignment target is not supported.", "");
}
