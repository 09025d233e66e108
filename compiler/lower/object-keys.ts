// `for (const k of Object.keys(o).sort())` (and `.entries()` of it, `[i, k]`) over an
// object parameter: its fields are known when gradc specialises, so the loop is unrolled,
// one copy of the body per key, `k` standing for the key (`o[k]` reads that field).
// Only sorted keys: the order of an object's keys is not part of its signature (a call
// with the same fields in another order reuses the specialisation).
import type * as ESTree from "acorn";
import type { LoopCtx, Lowerer } from "./context.js";
import { lowerExpr } from "./expr.js";
import { Scope } from "./scope.js";
import { lowerStatement } from "./stmt.js";

/** `Object.keys(o)`, `.sort()`, `.entries()` read from the syntax; undefined for anything else. */
interface KeyLoop {
  object: ESTree.Expression;
  sorted: boolean;
  entries: boolean;
  call: ESTree.CallExpression;
}

function isMethodCall(node: ESTree.Node, name: string): node is ESTree.CallExpression & { callee: ESTree.MemberExpression } {
  const e = node as ESTree.AnyNode;
  return e.type === "CallExpression" && e.callee.type === "MemberExpression" && !e.callee.computed &&
    e.callee.property.type === "Identifier" && e.callee.property.name === name;
}

export function keyLoop(right: ESTree.Expression, scope: Scope): KeyLoop | undefined {
  let e: ESTree.Expression = right;
  const entries = isMethodCall(e, "entries") && e.arguments.length === 0 && !isObjectCall(e, scope);
  if (entries) e = (e as ESTree.CallExpression & { callee: ESTree.MemberExpression }).callee.object as ESTree.Expression;
  const sorted = isMethodCall(e, "sort") && e.arguments.length === 0;
  if (sorted) e = (e as ESTree.CallExpression & { callee: ESTree.MemberExpression }).callee.object as ESTree.Expression;
  if (!isObjectCall(e, scope)) return undefined;
  const call = e as ESTree.CallExpression;
  return { object: call.arguments[0] as ESTree.Expression, sorted, entries, call };
}

/** `Object.keys(o)`, `Object.values(o)`, `Object.entries(o)` with Object the global. */
function isObjectCall(node: ESTree.Node, scope: Scope): boolean {
  const e = node as ESTree.AnyNode;
  if (e.type !== "CallExpression" || e.callee.type !== "MemberExpression" || e.callee.computed) return false;
  const { object, property } = e.callee;
  return object.type === "Identifier" && object.name === "Object" && !scope.lookup("Object") && property.type === "Identifier" &&
    ["keys", "values", "entries"].includes(property.name);
}

export function lowerKeyLoop(L: Lowerer, s: ESTree.ForOfStatement, loop: KeyLoop, outer: Scope, ctx: LoopCtx): void {
  const method = ((loop.call.callee as ESTree.MemberExpression).property as ESTree.Identifier).name;
  if (method !== "keys" || !loop.sorted || loop.call.arguments.length !== 1 || loop.call.arguments[0].type === "SpreadElement") {
    throw L.fail(loop.call, `Object.${method}`, `Iterating Object.${method}(…) is supported as for (const k of Object.keys(o).sort()) only: the order of an object's keys is not part of its signature, so gradc may not know it.`,
      "Sort the keys and read the fields by key: for (const k of Object.keys(o).sort()) … o[k] (or .entries() of the sorted keys for their index).");
  }
  const obj = lowerExpr(L, loop.object, outer);
  if (obj.k !== "obj") throw L.fail(loop.object, "Object.keys", "Object.keys takes an object parameter (or a field holding an object) here.", "");
  const left = s.left;
  const decl = left.type === "VariableDeclaration" && left.declarations.length === 1 ? left.declarations[0].id : undefined;
  const names = decl?.type === "Identifier" && !loop.entries ? { key: decl.name }
    : decl?.type === "ArrayPattern" && loop.entries && decl.elements.length === 2 && decl.elements.every((e) => !e || e.type === "Identifier")
      ? { index: (decl.elements[0] as ESTree.Identifier | null)?.name, key: (decl.elements[1] as ESTree.Identifier | null)?.name }
      : undefined;
  if (!names) {
    throw L.fail(left, "for...of target", loop.entries ? "Destructure the entries into two names: for (const [i, k] of …)." : "Declare the loop variable: for (const k of …).", "");
  }
  [...obj.fields.keys()].sort().forEach((key, i) => {
    const scope = new Scope(outer);
    if (names.key) scope.declare(names.key, { k: "key", key });
    if (names.index) {
      const v = L.b.newVar(names.index, "num");
      L.b.set(v, L.b.num(i));
      scope.declare(names.index, { k: "scalar", v, isConst: true });
    }
    const body = L.block(() => {
      if (ctx.cont) L.b.set(ctx.cont, L.b.bool(false));
      lowerStatement(L, s.body, scope, false);
    });
    // After a break, the remaining copies do not run.
    if (ctx.brk) L.b.emit({ k: "if", cond: L.b.op("not", L.b.get(ctx.brk)), then: body, else: [] });
    else L.b.block.push(...body);
  });
}
