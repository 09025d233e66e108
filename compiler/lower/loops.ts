// Loops. `for (let i = a; i < n; i++)` with an untouched index and a loop-invariant
// bound becomes a counted `for` (reversed by counting down, no tape for the index);
// every other loop becomes a `while` on a condition variable.
import type * as ESTree from "acorn";
import { Effects } from "../ir/effects.js";
import { hasDst, walk, type Block, type For, type Instr, type Temp, type Var } from "../ir/types.js";
import type { LoopCtx, Lowerer, Val } from "./context.js";
import { destructureArray, indexesList, staticIndex } from "./lists.js";
import { assignedNames, hasExit, visit } from "./exits.js";
import { lowerBool, lowerExpr, lowerNum } from "./expr.js";
import { keyLoop, lowerKeyLoop } from "./object-keys.js";
import { Scope } from "./scope.js";
import { bindValue, destructure, fieldValue, lowerStatement } from "./stmt.js";
import { lengthOf, loadInside } from "./views.js";

type LoopNode = ESTree.ForStatement | ESTree.ForOfStatement | ESTree.WhileStatement | ESTree.DoWhileStatement;

export function lowerLoop(L: Lowerer, s: LoopNode, scope: Scope): void {
  const marked = markedCheckpoint(L.fn.source.text, s.start);
  const counted = s.type === "ForStatement" ? checkpointable(countedLoop(s), s) : s.type === "ForOfStatement" && !hasExit(s.body, "break") && !hasExit(s.body, "return");
  if (marked && !counted) {
    throw L.fail(s, "@checkpoint loop", "Only counted for loops (`for (let i = a; i < n; i++)`, or for…of over a typed array) without break or return can be checkpointed.",
      "Rewrite the loop as a counted for loop, or remove the // @checkpoint comment.");
  }
  const ctx = loopContext(L, s);
  L.fn.loops.push(ctx);
  try {
    if (s.type === "ForOfStatement") return forOf(L, s, scope, ctx);
    if (s.type === "ForStatement") {
      const counted = countedLoop(s);
      if (counted) return countedFor(L, s, counted, scope, ctx);
      return generalFor(L, s, scope, ctx);
    }
    return whileLoop(L, s, scope, ctx);
  } finally {
    L.fn.loops.pop();
  }
}

/** Flags the loop needs, initialised before it. */
function loopContext(L: Lowerer, s: LoopNode): LoopCtx {
  const ctx: LoopCtx = {};
  if (hasExit(s.body, "break") || hasExit(s.body, "return")) {
    ctx.brk = L.flag("broke");
    L.b.set(ctx.brk, L.b.bool(false));
  }
  if (hasExit(s.body, "continue")) ctx.cont = L.flag("skip");
  return ctx;
}

/** The body, with the continue flag reset at its start. */
function loopBody(L: Lowerer, body: ESTree.Statement, scope: Scope, ctx: LoopCtx, prelude?: () => void): Block {
  return L.block(() => {
    if (ctx.cont) L.b.set(ctx.cont, L.b.bool(false));
    prelude?.();
    lowerStatement(L, body, scope, false);
  });
}

interface Counted {
  index: string;
  init: ESTree.Expression;
  end: ESTree.Expression;
  cmp: For["cmp"];
  step: number;
}

/** Recognises `for (let i = a; i <cmp> n; i += c)` with i untouched and n invariant in the body. */
function countedLoop(s: ESTree.ForStatement): Counted | undefined {
  const init = s.init;
  if (!init || init.type !== "VariableDeclaration" || init.kind !== "let" || init.declarations.length !== 1) return;
  const d = init.declarations[0];
  if (d.id.type !== "Identifier" || !d.init) return;
  const index = d.id.name;
  const bound = boundOf(s.test, index);
  if (!bound) return;
  const step = stepOf(s.update, index);
  if (!step) return;
  const { cmp, end } = bound;
  if ((step > 0) !== (cmp === "<" || cmp === "<=")) return;
  const assigned = assignedNames(s.body);
  if (assigned.has(index) || !invariant(end, assigned, index)) return;
  return { index, init: d.init, end, cmp, step };
}

const FLIP: Record<string, For["cmp"]> = { "<": ">", "<=": ">=", ">": "<", ">=": "<=" };

/** `i < n`, `n > i`, `i + c < n` (as `i < n - c`) and the like, as index <cmp> end. */
function boundOf(test: ESTree.Expression | null | undefined, index: string): { cmp: For["cmp"]; end: ESTree.Expression } | undefined {
  if (!test || test.type !== "BinaryExpression" || !(test.operator in FLIP)) return;
  const isIndex = (e: ESTree.Node) => e.type === "Identifier" && (e as ESTree.Identifier).name === index;
  let left = test.left as ESTree.Expression, right = test.right, cmp = test.operator as For["cmp"];
  if (!isIndex(left) && isIndex(right)) [left, right, cmp] = [right, left, FLIP[cmp]];
  if (isIndex(left)) return { cmp, end: right };
  // i + c <cmp> n  is  i <cmp> n - c
  if (left.type === "BinaryExpression" && (left.operator === "+" || left.operator === "-") && isIndex(left.left) &&
      left.right.type === "Literal" && typeof left.right.value === "number") {
    const opposite = left.operator === "+" ? "-" : "+";
    const end: ESTree.BinaryExpression = { type: "BinaryExpression", operator: opposite, left: right, right: left.right, start: right.start, end: right.end };
    return { cmp, end };
  }
  return;
}

function stepOf(update: ESTree.Expression | null | undefined, index: string): number | undefined {
  if (!update) return;
  if (update.type === "UpdateExpression" && update.argument.type === "Identifier" && update.argument.name === index) {
    return update.operator === "++" ? 1 : -1;
  }
  if (update.type === "AssignmentExpression" && update.left.type === "Identifier" && update.left.name === index &&
      update.right.type === "Literal" && typeof update.right.value === "number" && update.right.value !== 0) {
    if (update.operator === "+=") return update.right.value;
    if (update.operator === "-=") return -update.right.value;
  }
  return;
}

/** The bound reads no element, calls nothing, and no name in it is assigned in the body. */
function invariant(e: ESTree.Node, assigned: Set<string>, index: string): boolean {
  let ok = true;
  visit(e, (n) => {
    if (n.type === "CallExpression" || n.type === "AssignmentExpression" || n.type === "UpdateExpression" || n.type === "NewExpression") ok = false;
    if (n.type === "MemberExpression" && n.computed) ok = false;
    if (n.type === "Identifier" && (assigned.has(n.name) || n.name === index)) ok = false;
  });
  return ok;
}

function countedFor(L: Lowerer, s: ESTree.ForStatement, c: Counted, outer: Scope, ctx: LoopCtx): void {
  if (indexesList(s.body, c.index, outer) && staticIndex(L, c.init, outer) !== undefined && staticIndex(L, c.end, outer) !== undefined) {
    return unrolledFor(L, s, c, outer, ctx);
  }
  const scope = new Scope(outer);
  const start = lowerNum(L, c.init, scope);
  const end = lowerNum(L, c.end, scope);
  const index = L.b.newVar(c.index, "num");
  scope.declare(c.index, { k: "scalar", v: index, isConst: true });
  const body = loopBody(L, s.body, scope, ctx);
  // A function called in the body may still change the bound: then the loop is a while.
  if (boundChangedBy(body, [start, end], L.b.block)) {
    if (markedCheckpoint(L.fn.source.text, s.start)) {
      throw L.fail(s.test ?? s, "@checkpoint loop", "The loop's bound may change inside the loop, so it cannot be checkpointed.", "Compute the bound before the loop.");
    }
    return generalFor(L, s, outer, ctx);
  }
  emitFor(L, { index, start, end, step: c.step, cmp: c.cmp, body, exit: ctx.brk, checkpoint: markedCheckpoint(L.fn.source.text, s.start) ? "loop" : undefined });
}

/**
 * A counted loop whose body indexes a list by its index, with bounds known when
 * compiling (constants and lengths of lists): one copy of the body per value of the
 * index, each with the index a constant. `break` skips the copies after it.
 */
function unrolledFor(L: Lowerer, s: ESTree.ForStatement, c: Counted, outer: Scope, ctx: LoopCtx): void {
  const start = staticIndex(L, c.init, outer)!, end = staticIndex(L, c.end, outer)!;
  if (markedCheckpoint(L.fn.source.text, s.start)) throw L.fail(s, "@checkpoint loop", "This loop indexes an Array of arrays or objects by its index, so gradc unrolls it, and an unrolled loop cannot be checkpointed.", "Remove the // @checkpoint comment.");
  const values: number[] = [];
  const more = (i: number) => (c.cmp === "<" ? i < end : c.cmp === "<=" ? i <= end : c.cmp === ">" ? i > end : i >= end);
  for (let i = start; more(i); i += c.step) values.push(i);
  for (const value of values) {
    unrolledIteration(L, ctx, s.body, () => {
      const scope = new Scope(outer);
      scope.declare(c.index, { k: "scalar", v: L.b.newVar(c.index, "num"), isConst: true, value });
      return scope;
    });
  }
}

/** One copy of an unrolled loop's body, skipped once the loop has broken. */
function unrolledIteration(L: Lowerer, ctx: LoopCtx, body: ESTree.Statement, scopeOf: () => Scope): void {
  const block = loopBody(L, body, scopeOf(), ctx);
  if (!ctx.brk) return void L.b.block.push(...block);
  L.b.emit({ k: "if", cond: L.b.op("not", L.b.get(ctx.brk)), then: block, else: [] });
}

/** `for (const x of xs)` over a list, unrolled: `x` is each element in turn (`[W, b]` destructures it). */
function forOfList(L: Lowerer, s: ESTree.ForOfStatement, list: Extract<Val, { k: "obj" }>, outer: Scope, ctx: LoopCtx): void {
  const left = s.left as ESTree.VariableDeclaration;
  const target = left.declarations[0].id;
  for (const field of list.fields.values()) {
    unrolledIteration(L, ctx, s.body, () => {
      const scope = new Scope(outer);
      const item = fieldValue(L, field);
      if (target.type === "Identifier") scope.declare(target.name, bindValue(L, target.name, item, left.kind === "const"));
      else if (target.type === "ArrayPattern") destructureArray(L, target, item, left.kind === "const", (n, b) => scope.declare(n, b));
      else if (target.type === "ObjectPattern" && item.k === "obj") destructure(L, target, item.fields, scope);
      else throw L.fail(target, "for...of target", "Declare the loop variable: for (const v of a), or destructure it: const [a, b], const { W, b }.", "");
      return scope;
    });
  }
}

/** Whether the line before the statement at `start` is a `// @checkpoint` comment. */
export function markedCheckpoint(text: string, start: number): boolean {
  const lineStart = text.lastIndexOf("\n", start - 1) + 1;
  if (text.slice(lineStart, start).trim() !== "") return false;
  const prevEnd = lineStart - 1;
  if (prevEnd < 0) return false;
  const prevStart = text.lastIndexOf("\n", prevEnd - 1) + 1;
  return /^\s*\/\/\s*@checkpoint\b/.test(text.slice(prevStart, prevEnd));
}

function checkpointable(c: Counted | undefined, s: ESTree.ForStatement): boolean {
  return !!c && c.step === 1 && (c.cmp === "<" || c.cmp === "<=") && !hasExit(s.body, "break") && !hasExit(s.body, "return");
}

function boundChangedBy(body: Block, bounds: Temp[], before: Block): boolean {
  const defs = new Map<number, Instr>();
  walk([...before, ...body], (i) => { if (hasDst(i)) defs.set(i.dst.id, i); });
  const effects = new Effects(defs);
  const written = effects.blockWrites(body);
  return bounds.some((t) => [...effects.readsOf(t)].some((l) => written.has(l)));
}

function emitFor(L: Lowerer, f: Omit<For, "k" | "exit"> & { exit?: Var }): void {
  const instr: For = { k: "for", index: f.index, start: f.start, end: f.end, step: f.step, cmp: f.cmp, body: f.body };
  if (f.exit) instr.exit = f.exit;
  if (f.checkpoint) instr.checkpoint = f.checkpoint;
  L.b.emit(instr);
}

function forOf(L: Lowerer, s: ESTree.ForOfStatement, outer: Scope, ctx: LoopCtx): void {
  if (s.await) throw L.fail(s, "for await", "`for await` is not supported.", "");
  const keys = keyLoop(s.right, outer);
  if (keys) return lowerKeyLoop(L, s, keys, outer, ctx);
  const arr = lowerExpr(L, s.right, outer);
  const left = s.left;
  if (left.type !== "VariableDeclaration" || left.declarations.length !== 1) throw L.fail(left, "for...of target", "Declare the loop variable: for (const v of a).", "");
  if (arr.k === "obj" && arr.list) {
    if (markedCheckpoint(L.fn.source.text, s.start)) throw L.fail(s, "@checkpoint loop", "A for…of over an Array of arrays or objects is unrolled, and an unrolled loop cannot be checkpointed.", "Remove the // @checkpoint comment.");
    return forOfList(L, s, arr, outer, ctx);
  }
  if (arr.k !== "arr" && arr.k !== "view") throw L.fail(s.right, "for...of over a non-array", "for...of is supported over typed arrays, number[] and Arrays of arrays or objects only.", "");
  if (left.declarations[0].id.type !== "Identifier") {
    throw L.fail(left, "for...of target", "Declare the loop variable: for (const v of a).", "");
  }
  const name = left.declarations[0].id.name;
  const scope = new Scope(outer);
  const index = L.b.newVar(`${name}_index`, "num");
  const start = L.b.num(0);
  const end = lengthOf(L, arr);
  const body = loopBody(L, s.body, scope, ctx, () => {
    const v = L.b.newVar(name, "num");
    L.b.set(v, loadInside(L, arr, L.b.get(index)));
    scope.declare(name, { k: "scalar", v, isConst: left.kind === "const" });
  });
  emitFor(L, { index, start, end, step: 1, cmp: "<", body, exit: ctx.brk, checkpoint: markedCheckpoint(L.fn.source.text, s.start) ? "loop" : undefined });
}

/** `c = cond; while (c) { body; c = cond }`, or with a pure condition, `while (cond) body`. */
function whileLoop(L: Lowerer, s: ESTree.WhileStatement | ESTree.DoWhileStatement, scope: Scope, ctx: LoopCtx): void {
  emitWhile(L, s.test, scope, ctx, s.type === "DoWhileStatement", (b) => b, s.body);
}

function generalFor(L: Lowerer, s: ESTree.ForStatement, outer: Scope, ctx: LoopCtx): void {
  const scope = new Scope(outer);
  if (s.init) {
    if (s.init.type === "VariableDeclaration") lowerStatement(L, s.init, scope, false);
    else lowerStatement(L, { type: "ExpressionStatement", expression: s.init, start: s.init.start, end: s.init.end }, scope, false);
  }
  const update = s.update;
  const test: ESTree.Expression = s.test ?? { type: "Literal", value: true, raw: "true", start: s.start, end: s.start };
  emitWhile(L, test, scope, ctx, false, (body) => {
    if (!update) return body;
    const upd = L.block(() => lowerStatement(L, { type: "ExpressionStatement", expression: update, start: update.start, end: update.end }, scope, false));
    if (!ctx.brk) return [...body, ...upd];
    const notBroke = L.block(() => L.b.op("not", L.b.get(ctx.brk!)));
    const cond = notBroke[notBroke.length - 1] as { dst: Temp };
    return [...body, ...notBroke, { k: "if", cond: cond.dst, then: upd, else: [] }];
  }, s.body);
}

function emitWhile(
  L: Lowerer, testNode: ESTree.Expression, scope: Scope, ctx: LoopCtx, isDo: boolean,
  finish: (body: Block) => Block, bodyNode: ESTree.Statement,
): void {
  const cond = () => {
    const c = lowerBool(L, testNode, new Scope(scope));
    return ctx.brk ? L.b.op("and", L.b.op("not", L.b.get(ctx.brk)), c) : c;
  };
  let condTemp!: Temp;
  const test = L.block(() => { condTemp = cond(); });
  const pure = test.every((i) => hasDst(i));
  if (pure && !isDo) {
    const body = finish(loopBody(L, bodyNode, scope, ctx));
    L.b.emit({ k: "while", test, cond: condTemp, body });
    return;
  }
  const c = L.b.newVar("again", "bool");
  if (isDo) L.b.set(c, L.b.bool(true));
  else L.b.set(c, cond());
  const body = finish(loopBody(L, bodyNode, scope, ctx));
  body.push(...L.block(() => L.b.set(c, cond())));
  const testBlock = L.block(() => { condTemp = L.b.get(c); });
  L.b.emit({ k: "while", test: testBlock, cond: condTemp, body });
}
