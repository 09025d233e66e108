// Parameter names and wrt keys of corpus functions, shared by the tests that run the corpus.
import * as acorn from "acorn";
import type { CorpusCase, WrtKey } from "./index.js";

export function paramNames(fn: Function): string[] {
  const program = acorn.parse(`(${fn.toString()})`, { ecmaVersion: "latest" });
  const stmt = program.body[0];
  if (stmt.type !== "ExpressionStatement") throw new Error("not a function");
  const f = stmt.expression;
  if (f.type !== "FunctionExpression" && f.type !== "ArrowFunctionExpression") throw new Error("not a function");
  return f.params.map((p) => (p.type === "Identifier" ? p.name : ""));
}

/** Index of parameter `key` (a name or an index) of `fn`. */
export function paramIndex(fn: Function, key: WrtKey): number {
  const i = typeof key === "number" ? key : paramNames(fn).indexOf(key);
  if (i < 0) throw new Error(`no parameter '${key}'`);
  return i;
}

/** The wrt keys of a case, as a list (default: the first parameter). */
export function wrtKeys(c: CorpusCase): WrtKey[] {
  return c.wrt === undefined ? [0] : Array.isArray(c.wrt) ? c.wrt : [c.wrt];
}
