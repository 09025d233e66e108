// Identifiers: locals and parameters from the scope, module-level constants (build
// path), the global constants, and a clear refusal for anything else defined outside
// the differentiated code.
import type * as ESTree from "acorn";
import { GLOBALS, moduleBindingOf, moduleConstant, moduleData, ModuleValueNeeded } from "./constants.js";
import type { Lowerer, Val } from "./context.js";
import { Scope, type Binding } from "./scope.js";
import { wholeGrowing } from "./list-growth.js";

export function bindingVal(L: Lowerer, b: Binding): Val {
  switch (b.k) {
    case "scalar":
      return { k: "temp", t: b.value !== undefined ? L.b.num(b.value) : L.b.get(b.v) };
    case "arr":
      return { k: "arr", v: b.v };
    case "view":
      return b;
    case "obj":
      return b;
    case "tuple":
      return { k: "tuple", items: b.items.map((i) => bindingVal(L, i)) };
    case "fn":
      return { k: "fn", fn: b };
    case "key":
      throw new Error(`gradc internal error: the key '${b.key}' read as a value`);
  }
}

export function lookupName(L: Lowerer, node: ESTree.Identifier, scope: Scope): Val {
  const b = scope.lookup(node.name);
  if (b?.k === "key") {
    throw L.fail(node, "object key", `'${node.name}' is a key of an object (the string "${b.key}"), and strings cannot be differentiated.`,
      `Use it to read the field: o[${node.name}].`);
  }
  if (b) return wholeGrowing(L, node, b) ?? bindingVal(L, b);
  // A function passed by name (a callback): declared in the module, imported, or in opts.functions.
  const found = L.resolve(node.name, L.fn.source);
  if (found && !("kernel" in found)) return { k: "fn", fn: { k: "fn", name: found.name, node: found.node, source: found.source, scope: new Scope(), checkpoint: found.checkpoint } };
  if (found) {
    throw L.fail(node, "function value", `'${node.name}' is a runtime kernel, and kernels can only be called by name.`,
      `Wrap it in an arrow that calls it: (…args) => ${node.name}(…args).`);
  }
  const closed = closureValue(L, node);
  if (closed) return closed;
  const module = moduleBindingOf(node);
  if (module) {
    const data = moduleData(L, node, module);
    if (data) throw new ModuleValueNeeded(data);
    return { k: "temp", t: L.b.num(moduleConstant(L, node, module)) };
  }
  if (node.name in GLOBALS) return { k: "temp", t: L.b.num(GLOBALS[node.name]) };
  if (node.name === "arguments") throw L.fail(node, "arguments", "`arguments` is not supported.", "Name the parameters.");
  if (node.name === "undefined") throw L.fail(node, "undefined", "`undefined` is not a number.", "Initialise variables with numbers (only comparisons such as x === undefined are accepted).");
  throw outerName(L, node);
}

/** Whether `name` is given in opts.closure (as data or a constant). */
export function isClosed(L: Lowerer, name: string): boolean {
  return L.closureData.has(name) || (!!L.closure && Object.prototype.hasOwnProperty.call(L.closure.constants, name));
}

/** Whether `node` names the module value of its name the request passes, if the request passes one. */
function sameModuleValue(L: Lowerer, node: ESTree.Identifier): boolean {
  const value = L.closure?.modules?.[node.name];
  const binding = moduleBindingOf(node);
  return !value || (binding?.k === "variable" && binding.file === value.file && binding.declared === value.declared);
}

/** A name given in opts.closure: a constant, or data read through the entry's trailing parameters. */
function closureValue(L: Lowerer, node: ESTree.Identifier): Val | undefined {
  const { name } = node;
  const data = L.closureData.get(name);
  if (data && !sameModuleValue(L, node)) {
    const value = L.closure!.modules![name];
    throw L.fail(node, "module-level value", `'${name}' here is not the module-level '${name}' of ${value.file} this derivative reads as data: two values of one name.`,
      "Rename one of them.");
  }
  if (data) return bindingVal(L, data);
  const c = L.closure;
  if (!c) return undefined;
  if (Object.prototype.hasOwnProperty.call(c.constants, name)) {
    const v = c.constants[name];
    return { k: "temp", t: typeof v === "boolean" ? L.b.bool(v) : L.b.num(v) };
  }
  return undefined;
}

export function outerName(L: Lowerer, node: ESTree.Identifier): Error {
  const { name } = node;
  if (L.closureData.has(name)) {
    return L.fail(node, "assigning a closure value", `'${name}' is closed over (given in opts.closure, or a variable of the function around it): it is read as data, and cannot be assigned here.`,
      `Declare a local copy (let ${name}2 = ${name}), or return the new value and assign it outside.`);
  }
  if (L.fn.source.runtime) {
    // f.toString() has the names f closes over, never their values.
    return L.fail(node, "closure over outer state",
      `'${name}' is defined outside the differentiated function: gradc compiles the function from its source text (f.toString()), which shows the names of the variables it closes over but not their values.`,
      `Give its value in opts.closure ({ closure: { ${name} } }: a number or boolean becomes a constant, an array or object is read on every call, not differentiated), pass it as an argument (wrt picks what is differentiated), or write it inside the function (const ${name} = …); if it is a function, pass it in opts.functions ({ ${name} }).`);
  }
  return L.fail(node, "closure over outer state",
    `'${name}' is defined outside the differentiated function.`,
    "Pass it as an argument, declare it in the module as a const (a number, or an array or object of numbers), or import or declare it as a function in the project.");
}

/** The field name of a property key: `a`, `"init h"`, `0`, `["a"]` (undefined for other computed keys). */
export function propertyKey(key: ESTree.Expression | ESTree.PrivateIdentifier, computed: boolean): string | undefined {
  if (key.type === "Identifier" && !computed) return key.name;
  if (key.type === "Literal" && (typeof key.value === "string" || typeof key.value === "number")) return String(key.value);
  return undefined;
}
