// `a.sort(compare)` and `a.toSorted(compare)` on typed arrays, with the numeric
// comparators `(x, y) => x - y` (ascending) and `(x, y) => y - x` (descending). The
// runtime's sortOrder kernel (not differentiable) gives the indices in sorted order, and
// the sorted array is a gather, `sorted[i] = a[order[i]]`, differentiated like any loop:
// the adjoint of each sorted entry goes back to the entry it came from. Ties keep index
// order (a stable sort), so at a tie the derivative is that of the order used; NaN sorts last.
import type * as ESTree from "acorn";
import type { Var } from "../ir/types.js";
import { emitKernel } from "../ops/kernels/index.js";
import { UNNAMED_ARRAY } from "./call.js";
import type { Lowerer, Val } from "./context.js";
import { baseOf, copyOf, lengthOf, storeElement, type ArrayVal } from "./views.js";

export const SORT_METHODS = new Set(["sort", "toSorted"]);

export function sortMethod(L: Lowerer, node: ESTree.CallExpression, a: ArrayVal, name: string): Val {
  const descending = comparatorOrder(L, node, name);
  const type = baseOf(a).type as "f64[]" | "f32[]";
  // In place, the entries are gathered from a copy; toSorted reads a itself (a view is copied first).
  const src = name === "sort" || a.k === "view" ? (copyOf(L, type, a) as Extract<Val, { k: "arr" }>).v : a.v;
  const n = L.b.newVar("n", "num");
  L.b.set(n, lengthOf(L, a));
  const order = L.b.newVar("order", "f64[]");
  L.b.emit({ k: "alloc", v: order, n: L.b.get(n) });
  emitKernel(L.b, "sortOrder", [order, src, L.b.get(n), descending]);
  const sorted: ArrayVal = name === "sort" ? a : { k: "arr", v: L.b.newVar(UNNAMED_ARRAY, type) };
  if (sorted !== a) L.b.emit({ k: "alloc", v: (sorted as { v: Var }).v, n: L.b.get(n) });
  const index = L.b.newVar("i", "num");
  const body = L.block(() => {
    const i = L.b.get(index);
    storeElement(L, sorted, i, L.b.load(src, L.b.load(order, i)));
  });
  L.b.emit({ k: "for", index, start: L.b.num(0), end: L.b.get(n), step: 1, cmp: "<", body });
  return sorted;
}

/** Whether the comparator sorts descending: `(x, y) => x - y` is ascending, `(x, y) => y - x` descending. */
function comparatorOrder(L: Lowerer, node: ESTree.CallExpression, name: string): boolean {
  const [cmp, ...rest] = node.arguments;
  const hint = `Pass a numeric comparator: .${name}((a, b) => a - b) ascending, .${name}((a, b) => b - a) descending.`;
  if (!cmp) {
    throw L.fail(node, `.${name}()`, `.${name}() without a comparator sorts a plain Array's numbers as strings (a typed array's as numbers), and gradc cannot tell the two apart in JavaScript.`, hint);
  }
  const order = rest.length === 0 ? numericComparator(cmp) : undefined;
  if (order === undefined) throw L.fail(cmp, `.${name}()`, `gradc sorts with the comparators (a, b) => a - b and (a, b) => b - a only.`, hint);
  return order === "descending";
}

function numericComparator(node: ESTree.Node): "ascending" | "descending" | undefined {
  const cmp = node as ESTree.AnyNode;
  if (cmp.type !== "ArrowFunctionExpression" && cmp.type !== "FunctionExpression") return undefined;
  const [p, q] = cmp.params;
  if (cmp.params.length !== 2 || p.type !== "Identifier" || q.type !== "Identifier" || p.name === q.name) return undefined;
  const body = returned(cmp.body) as ESTree.AnyNode | undefined;
  if (body?.type !== "BinaryExpression" || body.operator !== "-" || body.left.type !== "Identifier" || body.right.type !== "Identifier") return undefined;
  if (body.left.name === p.name && body.right.name === q.name) return "ascending";
  if (body.left.name === q.name && body.right.name === p.name) return "descending";
  return undefined;
}

/** The expression a function body returns: an arrow's expression, or a block's single `return e;`. */
function returned(node: ESTree.Node): ESTree.Node | undefined {
  const body = node as ESTree.AnyNode;
  if (body.type !== "BlockStatement") return body;
  const [only] = body.body;
  return body.body.length === 1 && only.type === "ReturnStatement" && only.argument ? only.argument : undefined;
}
