// Declarations: `const`/`let`, and `var` as minifiers and older transpilers write it
// (grouped at the top, `var s = 0, i;`, or inside loops): a `var` belongs to the whole
// function, so a name declared again, or inside a block, is one variable assigned.
import { emptyArray, isEmptyLiteral } from "./list-growth.js";
import type * as ESTree from "acorn";
import { lowerAssignment } from "./assign.js";
import type { Lowerer } from "./context.js";
import { visit } from "./exits.js";
import { lowerExpr } from "./expr.js";
import { Scope, type Binding } from "./scope.js";
import { isUndefined } from "./undefined.js";
import { bindValue, destructure } from "./stmt.js";
import { derivativeName, derivativeWrapper } from "./derivative.js";
import { isGradcFunction } from "./call.js";
import type { FnBinding } from "./scope.js";
import type { FnNode, SourceText } from "../parse/source.js";
import { destructureArray } from "./lists.js";

export function declare(L: Lowerer, s: ESTree.VariableDeclaration, scope: Scope): void {
  if (s.kind !== "let" && s.kind !== "const" && s.kind !== "var") throw L.fail(s, s.kind, `'${s.kind}' declarations are not supported.`, "");
  const isConst = s.kind === "const";
  const target = s.kind === "var" ? L.fn.vars ?? scope : scope;
  for (const d of s.declarations) {
    if (s.kind === "var" && d.id.type === "Identifier" && target.has(d.id.name)) {
      // Declared before (or hoisted): `var x = e` assigns, a bare `var x` does nothing.
      if (d.init) lowerAssignment(L, { type: "AssignmentExpression", operator: "=", left: d.id, right: d.init, start: d.start, end: d.end }, scope);
      continue;
    }
    declareOne(L, d, isConst, scope, target);
  }
}

/** One declarator, read in `scope`, its names declared in `target`. */
function declareOne(L: Lowerer, d: ESTree.VariableDeclarator, isConst: boolean, scope: Scope, target: Scope): void {
  const init = d.init;
  const custom = init && d.id.type === "Identifier" ? customFunction(L, init, scope, d.id.name) : undefined;
  if (custom && d.id.type === "Identifier") {
    target.declare(d.id.name, custom);
    return;
  }
  const fn = init && (functionValue(init, scope) ?? boundDerivative(L, init, scope));
  if (d.id.type === "Identifier" && fn) {
    target.declare(d.id.name, { k: "fn", name: d.id.name, node: fn, source: L.fn.source, scope });
    return;
  }
  if (d.id.type === "Identifier") {
    if (!init || isUndefined(init, scope)) {
      declareUnset(L, d.id.name, target);
      return;
    }
    target.declare(d.id.name, bindValue(L, d.id.name, isEmptyLiteral(init) ? emptyArray(L, init) : lowerExpr(L, init, scope), isConst));
    return;
  }
  if (d.id.type === "ArrayPattern" && init) {
    destructureArray(L, d.id, lowerExpr(L, init, scope), isConst, (name, b) => target.declare(name, b));
    return;
  }
  if (d.id.type === "ObjectPattern" && init) {
    const val = lowerExpr(L, init, scope);
    if (val.k !== "obj") throw L.fail(d.id, "destructuring", "Only objects can be destructured.", "");
    destructure(L, d.id, val.fields, target);
    return;
  }
  throw L.fail(d.id, "destructuring pattern", "This declaration form is not supported.", "Declare one name per variable, or destructure an object with { a, b }.");
}

/** `let x;` (or `let x = void 0`): until assigned it is undefined, which arithmetic and comparisons treat as NaN. */
export function declareUnset(L: Lowerer, name: string, target: Scope): Extract<Binding, { k: "scalar" }> {
  const v = L.b.newVar(name, "num");
  L.b.set(v, L.b.num(NaN));
  // Only a source that mentions undefined (or uses ??) can ask whether x still is.
  const unset = /\bvoid\b|\bundefined\b|\?\?/.test(L.fn.source.text) ? L.flag(`${name}_unset`) : undefined;
  if (unset) L.b.set(unset, L.b.bool(true));
  const binding: Extract<Binding, { k: "scalar" }> = { k: "scalar", v, isConst: false, ...(unset ? { unset } : {}) };
  target.declare(name, binding);
  return binding;
}

/**
 * A function declared as a value: an arrow or function expression, or one wrapped by
 * esbuild's keepNames (and tsx) as `__name(function (…) {…}, "g")`.
 */
function functionValue(init: ESTree.Expression, scope: Scope): ESTree.ArrowFunctionExpression | ESTree.FunctionExpression | undefined {
  if (init.type === "ArrowFunctionExpression" || init.type === "FunctionExpression") return init;
  if (init.type !== "CallExpression" || init.callee.type !== "Identifier" || scope.lookup(init.callee.name)) return undefined;
  const [fn, name] = init.arguments;
  const named = init.arguments.length === 2 && name.type === "Literal" && typeof name.value === "string";
  return named && (fn.type === "ArrowFunctionExpression" || fn.type === "FunctionExpression") ? fn : undefined;
}

/** `const safeLog = customJvp(f, rule)` (or customVjp) inside the loss: f, whose calls take their derivative from the rule. */
function customFunction(L: Lowerer, init: ESTree.Expression, scope: Scope, name: string): FnBinding | undefined {
  if (init.type !== "CallExpression") return undefined;
  const kind = isGradcFunction(L, init.callee, scope, "customJvp") ? "jvp" : isGradcFunction(L, init.callee, scope, "customVjp") ? "vjp" : undefined;
  if (!kind) return undefined;
  const [f, rule] = init.arguments;
  if (init.arguments.length !== 2 || f.type === "SpreadElement" || rule.type === "SpreadElement") {
    throw L.fail(init, `custom${kind === "jvp" ? "Jvp" : "Vjp"}`, `custom${kind === "jvp" ? "Jvp" : "Vjp"} takes two functions: f and its rule.`, "");
  }
  const fn = namedFunction(L, f, scope);
  const r = namedFunction(L, rule, scope);
  return { k: "fn", name, node: fn.node, source: fn.source, scope: fn.scope, custom: { kind, rule: { name: `${name}_${kind}`, node: r.node, source: r.source, outer: r.scope } } };
}

/** A function written inline or named (declared around, or resolved). */
function namedFunction(L: Lowerer, e: ESTree.Expression, scope: Scope): { node: FnNode; source: SourceText; scope: Scope } {
  const inline = functionValue(e, scope);
  if (inline) return { node: inline, source: L.fn.source, scope };
  const b = e.type === "Identifier" ? scope.lookup(e.name) : undefined;
  if (b?.k === "fn") return { node: b.node, source: b.source, scope: b.scope };
  const found = e.type === "Identifier" ? L.resolve(e.name, L.fn.source) : undefined;
  if (found && !("kernel" in found)) return { node: found.node, source: found.source, scope: new Scope() };
  throw L.fail(e, "custom rule", "customJvp and customVjp take functions written inline or declared by name.", L.fn.source.runtime ? "Pass named functions in opts.functions." : "");
}

/** `const d = grad(f, opts)`: d is the function `(x) => grad(f, opts)(x)`, called later (in loops too) or differentiated again. */
function boundDerivative(L: Lowerer, init: ESTree.Expression, scope: Scope): ESTree.ArrowFunctionExpression | undefined {
  return init.type === "CallExpression" && derivativeName(init.callee, scope) ? derivativeWrapper(L, init, scope).node : undefined;
}

/**
 * Declares, at the top of a function body, the `var` names first declared inside a
 * block or loop (they live in the whole function). Those declared by a statement of the
 * body itself (or the init of a `for` there) are declared when it runs, like `let`.
 */
export function hoistVars(L: Lowerer, body: ESTree.Statement[], scope: Scope): void {
  const top = new Set<ESTree.Node>();
  for (const s of body) {
    top.add(s);
    if (s.type === "ForStatement" && s.init) top.add(s.init);
  }
  const seen = new Set<string>();
  for (const s of body) {
    visit(s, (n) => {
      if (n.type !== "VariableDeclaration" || n.kind !== "var") return;
      for (const d of n.declarations) {
        for (const name of patternNames(d.id)) {
          if (!seen.has(name) && !top.has(n)) declareUnset(L, name, scope);
          seen.add(name);
        }
      }
    }, true);
  }
}

function patternNames(p: ESTree.Pattern): string[] {
  if (p.type === "Identifier") return [p.name];
  if (p.type === "ObjectPattern") return p.properties.flatMap((q) => (q.type === "Property" ? patternNames(q.value) : []));
  if (p.type === "ArrayPattern") return p.elements.flatMap((e) => (e ? patternNames(e) : []));
  return [];
}
