// Plain arrays. An array literal of numbers (`[1, a * a, 2]`) is a local Float64Array;
// any other array — a literal of arrays or objects, an argument that is an Array of
// typed arrays, of number[] or of objects — is a list: an object whose fields are the
// indices "0".."n-1", its length known when the function is compiled. A list is
// indexed with indices known then: constants, the index of a loop over a list (such
// loops are unrolled: one copy of the body per element) and sums of those.
import type * as ESTree from "acorn";
import type { Lowerer, Val } from "./context.js";
import { lowerExpr, lowerNum } from "./expr.js";
import { visit } from "./exits.js";
import { fieldValue, bindValue } from "./stmt.js";
import type { Binding, Scope } from "./scope.js";
import { UNNAMED_ARRAY } from "./call.js";

type ListBinding = Extract<Binding, { k: "obj" }>;

/** `[a, b, c]`: numbers make a Float64Array; arrays, objects (or a mix with numbers) make a list. */
export function arrayLiteral(L: Lowerer, node: ESTree.ArrayExpression, scope: Scope): Val {
  const items = node.elements.map((e, i) => {
    if (!e) throw L.fail(node, "array hole", `The array literal has a hole at [${i}].`, "Write every element.");
    if (e.type === "SpreadElement") throw L.fail(e, "spread element", "Spread elements (...a) in array literals are not supported.", "Write the elements, or copy with a loop.");
    return lowerExpr(L, e, scope);
  });
  if (items.length > 0 && items.every((v) => v.k === "temp" && v.t.type === "num")) {
    const v = L.b.newVar(UNNAMED_ARRAY, "f64[]");
    L.b.emit({ k: "alloc", v, n: L.b.num(items.length) });
    items.forEach((item, i) => L.b.store(v, L.b.num(i), (item as { t: import("../ir/types.js").Temp }).t));
    return { k: "arr", v };
  }
  if (items.length === 0) throw L.fail(node, "empty array literal", "An empty array literal has no length gradc can use.", "Use new Float64Array(n) for an array filled later.");
  const fields = new Map<string, Binding>();
  items.forEach((item, i) => {
    if (item.k === "tuple") throw L.fail(node.elements[i]!, "pair in an array", "A derivative's [value, gradient] pair cannot be an array element.", "Destructure it first.");
    fields.set(String(i), bindValue(L, `item${i}`, item, true));
  });
  return { k: "obj", fields, list: true };
}

/** The value of an integer expression known at compile time: a literal, an unrolled loop's index, a list's length, and + - * of those. */
export function staticIndex(L: Lowerer, node: ESTree.Node, scope: Scope): number | undefined {
  const n = node as ESTree.AnyNode;
  switch (n.type) {
    case "Literal":
      return typeof n.value === "number" ? n.value : undefined;
    case "Identifier": {
      const b = scope.lookup(n.name);
      return b?.k === "scalar" ? b.value : undefined;
    }
    case "BinaryExpression": {
      const a = staticIndex(L, n.left, scope), b = staticIndex(L, n.right, scope);
      if (a === undefined || b === undefined) return undefined;
      return n.operator === "+" ? a + b : n.operator === "-" ? a - b : n.operator === "*" ? a * b : undefined;
    }
    case "MemberExpression": {
      if (n.computed || n.property.type !== "Identifier" || n.property.name !== "length") return undefined;
      const list = staticList(n.object, scope);
      return list ? list.fields.size : undefined;
    }
    case "ParenthesizedExpression" as string:
      return staticIndex(L, (n as unknown as { expression: ESTree.Node }).expression, scope);
    default:
      return undefined;
  }
}

/** The list an expression names, found without lowering it: `xs`, `p.layers`, `p["w"]` (undefined if it is not one). */
function staticList(node: ESTree.Node, scope: Scope): ListBinding | undefined {
  const b = staticBinding(node, scope);
  return b?.k === "obj" && b.list ? b : undefined;
}

function staticBinding(node: ESTree.Node, scope: Scope): Binding | undefined {
  const n = node as ESTree.AnyNode;
  if (n.type === "Identifier") return scope.lookup(n.name);
  if (n.type !== "MemberExpression") return undefined;
  const base = staticBinding(n.object, scope);
  if (base?.k !== "obj") return undefined;
  const key = !n.computed && n.property.type === "Identifier" ? n.property.name : n.property.type === "Literal" ? String(n.property.value) : undefined;
  return key === undefined ? undefined : base.fields.get(key);
}

/** `xs.length` of a list: a constant. */
export function listLength(L: Lowerer, base: Extract<Val, { k: "obj" }>): Val {
  return { k: "temp", t: L.b.num(base.fields.size) };
}

/** `xs[i]` of a list, with an index known at compile time. */
export function listElement(L: Lowerer, base: Extract<Val, { k: "obj" }>, index: ESTree.Expression, scope: Scope): Val {
  const at = staticIndex(L, index, scope);
  if (at === undefined) {
    // Evaluate it anyway, so that an error inside it is reported first.
    lowerNum(L, index, scope);
    throw L.fail(index, "list index", `This Array of ${base.fields.size} arrays or objects is indexed by a value known only at run time: gradc keeps such an Array as ${base.fields.size} separate values and needs to know which one is meant when it compiles.`,
      "Index it with a constant, or with the index of a loop over it (for (let i = 0; i < xs.length; i++), for…of), which gradc unrolls; or pack numbers into one Float64Array and index that.");
  }
  const field = base.fields.get(String(at));
  if (!field) throw L.fail(index, "list index", `Index ${at} is outside this Array of ${base.fields.size}.`, "");
  return fieldValue(L, field);
}

/** Whether `body` indexes a list by an expression mentioning `index`: then its loop is unrolled. */
export function indexesList(body: ESTree.Node, index: string, scope: Scope): boolean {
  let found = false;
  visit(body, (n) => {
    if (found || n.type !== "MemberExpression" || !n.computed) return;
    if (!mentions(n.property, index)) return;
    if (staticList(n.object, scope)) found = true;
  });
  return found;
}

function mentions(node: ESTree.Node, name: string): boolean {
  let yes = false;
  visit(node, (n) => { if (n.type === "Identifier" && n.name === name) yes = true; });
  return yes;
}

/** `const [a, b] = v`: elements of a typed array (read now), of a list, or of a derivative's pair. */
export function destructureArray(L: Lowerer, p: ESTree.ArrayPattern, val: Val, isConst: boolean, declare: (name: string, b: Binding) => void): void {
  p.elements.forEach((e, i) => {
    if (!e) return;
    const item = arrayItem(L, val, i, e);
    if (e.type === "Identifier") return declare(e.name, bindValue(L, e.name, item, isConst));
    if (e.type === "ArrayPattern") return destructureArray(L, e, item, isConst, declare);
    throw L.fail(e, "destructuring pattern", "Destructure into plain names or nested [ ] patterns.", "");
  });
}

function arrayItem(L: Lowerer, val: Val, i: number, at: ESTree.Node): Val {
  if (val.k === "tuple" && val.items[i]) return val.items[i];
  if (val.k === "arr") return { k: "temp", t: L.b.load(val.v, L.b.num(i)) };
  if (val.k === "obj" && val.list) {
    const field = val.fields.get(String(i));
    if (field) return fieldValue(L, field);
    throw L.fail(at, "destructuring pattern", `The Array has ${val.fields.size} elements, not ${i + 1}.`, "");
  }
  throw L.fail(at, "array destructuring", val.k === "tuple" ? "The pair has two parts." : "Only arrays can be destructured with [ ].", "");
}
