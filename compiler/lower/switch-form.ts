// The shape of a `switch`, read from the syntax alone (the exit analysis needs it before
// lowering): when no clause falls through into another's statements and the only
// `break`s end a clause, it is an if / else-if chain (the clauses with the default last);
// otherwise the general form runs the clauses in order from the one that matched.
import type * as ESTree from "acorn";
import { hasExit, visit } from "./exits.js";

/** Consecutive clauses sharing their statements (`case 0: case 1: …`), the trailing `break` dropped. */
export interface SwitchGroup {
  tests: ESTree.Expression[];
  isDefault: boolean;
  body: ESTree.Statement[];
}

const LEAVES = new Set(["BreakStatement", "ReturnStatement", "ThrowStatement", "ContinueStatement"]);

/** The groups of a switch that reads as an if / else-if chain, or undefined. */
export function switchChain(s: ESTree.SwitchStatement): SwitchGroup[] | undefined {
  // Tests are evaluated in order until one matches: the chain may skip some, so they must have no effects.
  if (!s.cases.every((c) => !c.test || pure(c.test))) return undefined;
  const groups: SwitchGroup[] = [];
  let tests: ESTree.Expression[] = [];
  let isDefault = false;
  for (const [k, c] of s.cases.entries()) {
    if (c.test) tests.push(c.test);
    else isDefault = true;
    const last = k === s.cases.length - 1;
    if (c.consequent.length === 0 && !last) continue;
    const body = c.consequent;
    const end = body[body.length - 1];
    if (!last && (!end || !LEAVES.has(end.type))) return undefined;
    const own = end?.type === "BreakStatement" && !end.label ? body.slice(0, -1) : body;
    if (own.some((st) => hasExit(st, "break"))) return undefined;
    groups.push({ tests, isDefault, body: own });
    tests = [];
    isDefault = false;
  }
  return groups;
}

/** A test without effects: no call, assignment, increment or `new`. */
function pure(e: ESTree.Expression): boolean {
  let ok = true;
  visit(e, (n) => {
    if (n.type === "CallExpression" || n.type === "AssignmentExpression" || n.type === "UpdateExpression" || n.type === "NewExpression") ok = false;
  });
  return ok;
}
