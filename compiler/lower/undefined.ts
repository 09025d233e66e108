// `undefined` and `void 0` (what minifiers write for it): accepted only compared with
// `===`, `!==`, `==`, `!=` (and `null` with `==`, `!=`), where no number is made of them.
import type * as ESTree from "acorn";
import type { Temp } from "../ir/types.js";
import type { Lowerer } from "./context.js";
import type { Scope } from "./scope.js";

/** `void 0`, `void <literal>` or `undefined` (not a local of that name). */
export function isUndefined(e: ESTree.Node, scope: Scope): boolean {
  const n = e as ESTree.AnyNode;
  if (n.type === "UnaryExpression") return n.operator === "void" && n.argument.type === "Literal";
  return n.type === "Identifier" && n.name === "undefined" && !scope.lookup("undefined");
}

/** `undefined`, `void 0` or `null`: what `??` replaces. */
export function isNullish(e: ESTree.Node, scope: Scope): boolean {
  return isUndefined(e, scope) || isNull(e);
}

function isNull(e: ESTree.Node): boolean {
  return e.type === "Literal" && (e as ESTree.Literal).value === null && !(e as ESTree.Literal).regex;
}

/**
 * `x === void 0` and the like, or undefined when neither side is undefined (or null for
 * `==`). A variable declared without a value is undefined until assigned; any other
 * number or boolean never is. An element read is refused: out of bounds it is undefined.
 */
export function undefinedComparison(L: Lowerer, node: ESTree.BinaryExpression, scope: Scope): Temp | undefined {
  const loose = node.operator === "==" || node.operator === "!=";
  const none = (e: ESTree.Node) => isUndefined(e, scope) || (loose && isNull(e));
  const [u, other] = none(node.right) ? [node.right, node.left] : none(node.left) ? [node.left, node.right] : [];
  if (!u || !other || other.type === "PrivateIdentifier") return undefined;
  const negate = node.operator === "!==" || node.operator === "!=";
  // `null === undefined` is false, `null == undefined` true: only the loose forms treat null as undefined.
  const strictNull = !loose && (isNull(other) || isNull(u));
  const result = strictNull ? L.b.bool(false) : isUnset(L, other, scope);
  return negate ? L.b.op("not", result) : result;
}

function isUnset(L: Lowerer, e: ESTree.Expression, scope: Scope): Temp {
  if (isUndefined(e, scope) || isNull(e)) return L.b.bool(true);
  if (e.type === "Identifier") {
    const b = scope.lookup(e.name);
    if (b?.k === "scalar" && b.unset) return L.b.get(b.unset);
    if (b?.k === "scalar") return L.b.bool(false);
  }
  if (e.type === "MemberExpression") {
    throw L.fail(e, "comparison with undefined", "An element or field is compared with undefined (a bounds or presence check).",
      "Compare the index with .length instead; gradc reads no element out of bounds.");
  }
  throw L.fail(e, "comparison with undefined", "Only a variable can be compared with undefined (void 0) here.", "Compare numbers with numbers.");
}

/** The refusal for undefined used as a value. */
export function undefinedValue(L: Lowerer, node: ESTree.Node): Error {
  const what = node.type === "UnaryExpression" ? "void 0" : "undefined";
  return L.fail(node, what, `\`${what}\` (undefined) is used as a value, but it is not a number.`,
    "Only comparisons such as x === void 0 are accepted; initialise variables with numbers.");
}
