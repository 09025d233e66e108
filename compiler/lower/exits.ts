// Which statements can leave early (return, break, continue): the lowering turns such
// exits into flags and guards, so the IR only has structured control flow.
import type * as ESTree from "acorn";
import { switchChain } from "./switch-form.js";

type Exit = "return" | "break" | "continue";

const LOOPS = new Set(["ForStatement", "ForOfStatement", "ForInStatement", "WhileStatement", "DoWhileStatement"]);

/** True if `node` contains an exit of this kind that leaves `node` itself. */
export function hasExit(n: ESTree.Node | null | undefined, kind: Exit): boolean {
  if (!n) return false;
  const node = n as ESTree.AnyNode;
  switch (node.type) {
    case "ReturnStatement":
      return kind === "return";
    case "BreakStatement":
      return kind === "break";
    case "ContinueStatement":
      return kind === "continue";
    case "FunctionDeclaration":
    case "FunctionExpression":
    case "ArrowFunctionExpression":
      return false;
    case "BlockStatement":
      return node.body.some((s) => hasExit(s, kind));
    case "IfStatement":
      return hasExit(node.consequent, kind) || hasExit(node.alternate, kind);
    case "SwitchStatement":
      // Its breaks leave the switch only.
      return kind !== "break" && node.cases.some((c) => c.consequent.some((st) => hasExit(st, kind)));
    default:
      if (LOOPS.has(node.type)) {
        return kind === "return" && hasExit((node as ESTree.ForStatement).body, kind);
      }
      return false;
  }
}

export function anyExit(node: ESTree.Node): boolean {
  return hasExit(node, "return") || hasExit(node, "break") || hasExit(node, "continue");
}

/** True if some `return` in these statements is not in tail position (so a flag is needed). */
export function hasNonTailReturn(stmts: ESTree.Statement[], tail: boolean): boolean {
  return stmts.some((s, i) => nonTail(s, tail && i === stmts.length - 1));
}

function nonTail(s: ESTree.Statement, tail: boolean): boolean {
  switch (s.type) {
    case "ReturnStatement":
      return !tail;
    case "BlockStatement":
      return hasNonTailReturn(s.body, tail);
    case "IfStatement":
      return nonTail(s.consequent, tail) || (!!s.alternate && nonTail(s.alternate, tail));
    case "SwitchStatement": {
      // As an if / else-if chain, a clause's last return may be in tail position.
      const chain = switchChain(s);
      return chain ? chain.some((g) => hasNonTailReturn(g.body, tail)) : hasExit(s, "return");
    }
    default:
      return hasExit(s, "return");
  }
}

/** Identifiers assigned (=, op=, ++, --) anywhere inside `node`, nested functions included. */
export function assignedNames(node: ESTree.Node): Set<string> {
  const out = new Set<string>();
  visit(node, (n) => {
    if (n.type === "AssignmentExpression" && n.left.type === "Identifier") out.add(n.left.name);
    if (n.type === "AssignmentExpression" && n.left.type === "ArrayPattern") for (const e of n.left.elements) if (e?.type === "Identifier") out.add(e.name);
    if (n.type === "UpdateExpression" && n.argument.type === "Identifier") out.add(n.argument.name);
  });
  return out;
}

const FUNCTIONS = new Set(["FunctionDeclaration", "FunctionExpression", "ArrowFunctionExpression"]);

/** Calls `fn` on every node below `node` (a generic walk over child nodes); `ownOnly`: not inside nested functions. */
export function visit(node: ESTree.Node, fn: (n: ESTree.AnyNode) => void, ownOnly = false): void {
  if (ownOnly && FUNCTIONS.has(node.type)) return;
  fn(node as ESTree.AnyNode);
  for (const key of Object.keys(node)) {
    if (key === "loc" || key === "range") continue;
    const child = (node as unknown as Record<string, unknown>)[key];
    if (Array.isArray(child)) {
      for (const c of child) if (c && typeof c === "object" && typeof c.type === "string") visit(c, fn, ownOnly);
    } else if (child && typeof child === "object" && typeof (child as ESTree.Node).type === "string") {
      visit(child as ESTree.Node, fn, ownOnly);
    }
  }
}
