// Front-end entry: lowers the function to differentiate, specialised on its
// argument kinds, to an IR function whose parameters are flat (objects become one
// var per field).
import type * as ESTree from "acorn";
import type { GradcError } from "../errors.js";
import { isArrayType, type Func, type Var } from "../ir/types.js";
import type { Kind } from "../kinds.js";
import { substituteVar } from "../ir/rewrite.js";
import type { ResolveFn, SourceFn } from "../parse/source.js";
import type { ClosureValues, ModuleValueFn } from "../request.js";
import { Lowerer } from "./context.js";
import { FunctionsOf, Scope, type Binding } from "./scope.js";
import { bindingVal, propertyKey } from "./names.js";
import { destructureArray } from "./lists.js";
import { parameterNames } from "../request-options.js";
import { lowerExpr, lowerScalar } from "./expr.js";
import { bindValue, lowerBody } from "./stmt.js";
import { checkMoves, markRebindable, reassigned } from "./moves.js";
import { finishGrowth } from "./list-growth.js";
import { markPlain } from "./concat.js";

export function lowerFunction(fn: SourceFn, kinds: Kind[], resolve: ResolveFn, closure?: ClosureValues, moduleValue?: ModuleValueFn): Func {
  const L = new Lowerer(resolve, closure, moduleValue);
  L.fns.push({ node: fn.node, source: fn.source, ret: undefined, loops: [] });
  if (fn.node.async || fn.node.generator) {
    throw L.fail(fn.node, fn.node.async ? "async function" : "generator", "Only plain synchronous functions can be differentiated.", "");
  }
  if (kinds.length < fn.node.params.length) {
    const names = fn.node.params.map((p, i) => (p.type === "Identifier" ? p.name : `#${i + 1}`));
    const missing = fn.node.params[kinds.length];
    throw L.fail(missing, "missing argument",
      `Argument '${names[kinds.length]}' of ${fn.name} is missing (${fn.name} takes ${names.join(", ")}; got ${kinds.length} argument${kinds.length === 1 ? "" : "s"}).`,
      "Pass every parameter.");
  }
  const scope = new Scope(fn.outer && new FunctionsOf(fn.outer));
  const params: Var[] = [];
  const data = new Set<Var>();
  fn.node.params.forEach((p, i) => bindTopParam(L, p, kinds[i], i, scope, params, data));
  bindClosureData(L, kinds, params, data);
  lowerBody(L, fn.node, scope);
  const result = L.fn.ret;
  if (!result || result.type === "bool") {
    throw L.fail(fn.node, "non-number result", `'${fn.name}' must return a number (or a typed array) on every path.`, "Return the loss as a number.");
  }
  for (const p of L.writtenParams) {
    const closed = [...L.closureData].find(([, b]) => b.k === "arr" && b.v === p);
    if (closed && L.closure?.modules?.[closed[0]]) {
      throw L.fail(fn.node, "writing a module-level array", `'${fn.name}' writes into '${closed[0]}', a module-level array, which derivative code reads as data (a constant, not differentiated).`,
        "Pass it as an argument and return what you need from it, or copy it into a local Float64Array first.");
    }
    if (closed) {
      throw L.fail(fn.node, "writing a closure value", `'${fn.name}' writes into '${closed[0]}', an array it closes over (given in opts.closure, or a variable of the function around it), which it reads as data.`,
        "Pass it as an argument and return what you need from it, or copy it into a local Float64Array first.");
    }
    if (data.has(p)) {
      throw L.fail(fn.node, "writing an integer array", `'${fn.name}' writes into its integer-array argument '${p.name}'.`,
        "Integer typed arrays are read-only data (labels, indices, masks); copy what you need into a Float64Array.");
    }
  }
  finishGrowth(L, L.b.block);
  const copies = new Map<Var, Var>();
  const body = copyWrittenParams(L, L.b.block, copies);
  // A returned parameter array that the function writes is its copy; one it only reads is copied at the end.
  const lowered = { name: fn.name, params, body, result: copies.get(result) ?? returnedParam(L, body, result) };
  checkMoves(lowered);
  return lowered;
}

/** opts.closure's arrays and objects: parameters after f's own, seen by name from f and every helper it inlines. */
function bindClosureData(L: Lowerer, kinds: Kind[], params: Var[], data: Set<Var>): void {
  const first = L.fn.node.params.length;
  L.closure?.data.forEach((name, k) => L.closureData.set(name, paramBinding(L, name, kinds[first + k], first + k, params, data)));
}

function paramName(L: Lowerer, p: ESTree.Pattern): string {
  if (p.type === "Identifier") return p.name;
  if (p.type === "ObjectPattern") return "params";
  if (p.type === "ArrayPattern") return "items";
  if (p.type === "AssignmentPattern") {
    if (p.left.type === "Identifier") return p.left.name;
    throw L.fail(p, "default value of a pattern", "A destructured parameter cannot have a default value here.", "Give the parameter a name, and destructure it in the body.");
  }
  throw L.fail(p, "rest parameter", "Rest parameters are not supported.", "Name each parameter, or pass the values in a Float64Array.");
}

function bindTopParam(L: Lowerer, p: ESTree.Pattern, kind: Kind, index: number, scope: Scope, params: Var[], data: Set<Var>): void {
  const name = paramName(L, p);
  if (p.type === "AssignmentPattern") {
    scope.declare(name, defaultedParam(L, p, name, kind, index, scope, params, data));
    return;
  }
  if (kind.k === "absent") throw missingArgument(L, p, index);
  const binding = paramBinding(L, name, kind, index, params, data);
  if (binding.k === "arr" && reassigned(L, name)) markRebindable(L, binding.v);
  if (p.type === "Identifier") {
    scope.declare(name, binding);
    return;
  }
  if (p.type === "ArrayPattern") {
    destructureArray(L, p, bindingVal(L, binding), false, (n, b) => scope.declare(n, b));
    return;
  }
  if (binding.k !== "obj" || p.type !== "ObjectPattern") {
    throw L.fail(p, "destructuring a non-object", "Only object arguments can be destructured.", "");
  }
  for (const prop of p.properties) {
    const key = prop.type === "Property" ? propertyKey(prop.key, prop.computed) : undefined;
    if (prop.type !== "Property" || key === undefined || prop.value.type !== "Identifier") {
      throw L.fail(prop, "destructuring pattern", "Only { a, b: name, \"any key\": name } destructuring is supported.", "");
    }
    const field = binding.fields.get(key);
    if (!field) throw L.fail(prop.key, `.${key}`, `The argument has no field '${key}'.`, `Its fields are: ${[...binding.fields.keys()].join(", ")}.`);
    scope.declare(prop.value.name, field);
  }
}

/**
 * `scale = 2`: a run-time call that left the argument out (kind "absent") computes the
 * default. A number or boolean parameter may still be undefined when the kinds come from
 * a signature (build path), so the derivative code applies the default when it is
 * (`if (scale === undefined) scale = 2;`). Array and object kinds come only from values
 * given at run time (the build path refuses their defaults). Defaults may use the
 * parameters before them, as in JavaScript.
 */
function defaultedParam(L: Lowerer, p: ESTree.AssignmentPattern, name: string, kind: Kind, index: number, scope: Scope, params: Var[], data: Set<Var>): Binding {
  L.setLoc(p);
  if (kind.k === "absent") return bindValue(L, name, lowerExpr(L, p.right, scope), false);
  const binding = paramBinding(L, name, kind, index, params, data);
  if (binding.k !== "scalar") return binding;
  const v = binding.v;
  const leftOut = L.b.op(v.type === "bool" ? "isUndefinedBool" : "isUndefined", L.b.get(v));
  const then = L.block(() => {
    const value = lowerScalar(L, p.right, scope);
    if (value.type !== v.type) {
      throw L.fail(p.right, "default value", `The default value of '${name}' is ${value.type === "bool" ? "a boolean" : "a number"}, but the parameter is ${v.type === "bool" ? "a boolean" : "a number"}.`, "");
    }
    L.b.set(v, value);
  });
  L.b.emit({ k: "if", cond: leftOut, then, else: [] });
  return binding;
}

function missingArgument(L: Lowerer, p: ESTree.Pattern, index: number): GradcError {
  const name = parameterNames(L.fn.node)[index] ?? `#${index + 1}`;
  return L.fail(p, "missing argument", `Argument '${name}' is missing (it has no default value).`, "Pass every parameter that has no default value.");
}

function paramBinding(L: Lowerer, name: string, kind: Kind, index: number, params: Var[], data: Set<Var>): Binding {
  switch (kind.k) {
    case "num": {
      const v = L.b.newVar(name, "num", index);
      params.push(v);
      return { k: "scalar", v, isConst: false };
    }
    case "arr": {
      const v = L.b.newVar(name, kind.elem === "f64" ? "f64[]" : "f32[]", index);
      params.push(v);
      return { k: "arr", v };
    }
    case "int": {
      // Data, not differentiated: read as numbers, like the elements of a Float64Array.
      const v = L.b.newVar(name, "f64[]", index);
      params.push(v);
      data.add(v);
      return { k: "arr", v };
    }
    case "plain": {
      // A number[] is read and differentiated as a Float64Array is (the core only indexes
      // it); a boolean[] is data, its elements read as 1 and 0.
      const v = L.b.newVar(name, "f64[]", index);
      params.push(v);
      markPlain({ k: "arr", v });
      if (kind.elem === "bool") data.add(v);
      return { k: "arr", v };
    }
    case "bool": {
      const v = L.b.newVar(name, "bool", index);
      params.push(v);
      return { k: "scalar", v, isConst: false };
    }
    case "absent":
      throw new Error(`gradc internal error: no value for the left-out argument '${name}'`);
    case "obj": {
      const fields = new Map<string, Binding>();
      for (const f of kind.fields) {
        const before = params.length;
        fields.set(f.name, paramBinding(L, `${name}_${f.name}`, f.kind, index, params, data));
        for (const v of params.slice(before)) v.path = [f.name, ...(v.path ?? [])];
      }
      return kind.list ? { k: "obj", fields, list: true } : { k: "obj", fields };
    }
  }
}

/** The result, or a copy made at the end of `body` when it is a parameter array (derivative results are never arguments). */
function returnedParam(L: Lowerer, body: Func["body"], result: Var): Var {
  if (result.param === undefined || !isArrayType(result.type)) return result;
  const copy = L.b.newVar(`${result.name}_result`, result.type);
  body.push(...L.block(() => L.b.emit({ k: "alloc", v: copy, n: L.b.len(result), copyOf: result })));
  return copy;
}

/**
 * Arrays the function writes into are copied on entry (recorded in `copies`): derivative
 * code never modifies its arguments.
 */
function copyWrittenParams(L: Lowerer, body: Func["body"], copies: Map<Var, Var>): Func["body"] {
  const prelude = L.block(() => {
    for (const p of L.writtenParams) {
      const copy = L.b.newVar(`${p.name}_copy`, p.type);
      copies.set(p, copy);
      substituteVar(body, p, copy);
      L.b.emit({ k: "alloc", v: copy, n: L.b.len(p), copyOf: p });
    }
  });
  return [...prelude, ...body];
}
