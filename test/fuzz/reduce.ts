// Test-case reducer for fuzz failures: greedily deletes statements and replaces
// expressions with a sub-expression or a constant, keeping each edit that leaves a
// failure of the same kind (same message, up to positions and numbers), until no
// edit applies. Edits are text splices at acorn node offsets.
import * as acorn from "acorn";
import { Worker } from "node:worker_threads";
import { checkProgram, type CheckOptions, type Failure } from "./check.js";
import { API_NAMES, F32_MARK, type FuzzArgs, type FuzzProgram } from "./generate.js";

// gradc is not loaded in the worker: stopGradient and the custom-rule functions are
// what they compute, and a loss taking a derivative stops at its first one.
const WORKER = `
const { workerData } = require("node:worker_threads");
const { helpers, source, args, flag, api } = workerData;
const body = helpers.map((h) => h.source).join("\\n") + "\\nreturn (" + source + ");";
const stand = api.map((n) => (n === "stopGradient" ? (v) => v : n.startsWith("custom") ? (f) => f : undefined));
try {
  new Function(...api, body)(...stand)(...args);
} catch {}
Atomics.store(flag, 0, 1);
Atomics.notify(flag, 0);
`;

/**
 * Whether the loss finishes within `ms` at `args` (run in a worker): an edit can
 * turn a counted loop into an endless one (say, by deleting its increment).
 */
export function terminates(prog: FuzzProgram, args: FuzzArgs, ms = 2000): boolean {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  // Typed arrays, booleans and nested objects survive the structured clone.
  const worker = new Worker(WORKER, { eval: true, workerData: { helpers: prog.helpers, source: prog.source, args, flag, api: API_NAMES } });
  const done = Atomics.wait(flag, 0, 0, ms) !== "timed-out" || Atomics.load(flag, 0) === 1;
  void worker.terminate();
  return done;
}

/** The inverse of FuzzProgram.text: top-level helper declarations (functions, `const ext = customJvp(…)`), then `const loss = ...;`. */
export function parseText(text: string, seed: number): FuzzProgram | undefined {
  let ast: acorn.Program;
  try {
    ast = acorn.parse(text, { ecmaVersion: "latest" });
  } catch {
    return undefined;
  }
  const helpers: { name: string; source: string }[] = [];
  let source: string | undefined;
  for (const st of ast.body) {
    if (st.type === "FunctionDeclaration" && st.id) {
      helpers.push({ name: st.id.name, source: text.slice(st.start, st.end) });
    } else if (st.type === "VariableDeclaration" && st.declarations.length === 1) {
      const d = st.declarations[0];
      if (d.id.type !== "Identifier" || !d.init) return undefined;
      if (d.id.name === "loss") source = text.slice(d.init.start, d.init.end);
      else helpers.push({ name: d.id.name, source: text.slice(st.start, st.end) });
    } else {
      return undefined;
    }
  }
  if (!source) return undefined;
  return { seed, f32: text.startsWith(F32_MARK), source, helpers, text };
}

/** What must stay the same while reducing: the kind, and the message without positions or numbers. */
export function signature(f: Failure): string {
  if (f.kind === "value" || f.kind === "gradient" || f.kind === "wrote-arguments") return `${f.kind}:${f.wrt}`;
  const first = f.message.split("\n")[0].replace(/<function [^>]*>:\d+:\d+:/g, "").replace(/\d+/g, "#");
  return `${f.kind}:${first}`;
}

interface Edit {
  start: number;
  end: number;
  text: string;
  /** Deletes or unwraps a statement (tried in the first round). */
  statement?: boolean;
}

type AnyNode = acorn.AnyNode;

const VALUE_SLOTS: Record<string, string[]> = {
  BinaryExpression: ["left", "right"],
  LogicalExpression: ["left", "right"],
  UnaryExpression: ["argument"],
  ConditionalExpression: ["test", "consequent", "alternate"],
  CallExpression: ["arguments"],
  VariableDeclarator: ["init"],
  AssignmentExpression: ["right"],
  ReturnStatement: ["argument"],
  IfStatement: ["test"],
  WhileStatement: ["test"],
  DoWhileStatement: ["test"],
  ArrowFunctionExpression: ["body"],
};
const STATEMENT_LISTS = new Set(["BlockStatement", "Program"]);
const LOOPS = new Set(["ForStatement", "WhileStatement", "DoWhileStatement", "ForOfStatement"]);

function children(node: AnyNode): [string, AnyNode][] {
  const out: [string, AnyNode][] = [];
  for (const [key, v] of Object.entries(node)) {
    if (key === "type" || key === "start" || key === "end") continue;
    if (Array.isArray(v)) {
      for (const c of v) if (c && typeof c.type === "string") out.push([key, c as AnyNode]);
    } else if (v && typeof v === "object" && typeof (v as AnyNode).type === "string") {
      out.push([key, v as AnyNode]);
    }
  }
  return out;
}

function isExpression(n: AnyNode): boolean {
  return /Expression$|^Identifier$|^Literal$/.test(n.type) && n.type !== "FunctionExpression" && n.type !== "ArrowFunctionExpression";
}

function edits(text: string): Edit[] {
  let ast: acorn.Program;
  try {
    ast = acorn.parse(text, { ecmaVersion: "latest" });
  } catch {
    return [];
  }
  const out: Edit[] = [];
  const src = (n: AnyNode) => text.slice(n.start, n.end);
  const visit = (node: AnyNode, parent: AnyNode | undefined, slot: string) => {
    // statements in a list: delete
    if (parent && STATEMENT_LISTS.has(parent.type) && slot === "body") {
      const isLoss = node.type === "VariableDeclaration" && /^const loss\b/.test(src(node));
      if (!isLoss) out.push({ start: node.start, end: node.end, text: "", statement: true });
    } else if (parent && /Statement$/.test(node.type) && node.type !== "BlockStatement" && (slot === "consequent" || slot === "alternate" || slot === "body")) {
      out.push({ start: node.start, end: node.end, text: ";", statement: true });
    }
    if (node.type === "IfStatement") {
      out.push({ start: node.start, end: node.end, text: src(node.consequent), statement: true });
      if (node.alternate) {
        out.push({ start: node.start, end: node.end, text: src(node.alternate), statement: true });
        out.push({ start: node.consequent.end, end: node.alternate.end, text: "", statement: true });
      }
    }
    if (LOOPS.has(node.type)) out.push({ start: node.start, end: node.end, text: src((node as acorn.ForStatement).body), statement: true });
    if (node.type === "BlockStatement" && node.body.length === 1 && parent && STATEMENT_LISTS.has(parent.type)) {
      out.push({ start: node.start, end: node.end, text: src(node.body[0]), statement: true });
    }
    // expressions in value positions: a sub-expression or a constant
    if (parent && isExpression(node) && VALUE_SLOTS[parent.type]?.includes(slot)) {
      const isTest = slot === "test";
      for (const c of isTest ? ["true", "false"] : ["1", "0"]) out.push({ start: node.start, end: node.end, text: c });
      for (const [, c] of children(node)) if (isExpression(c)) out.push({ start: node.start, end: node.end, text: `(${src(c)})` });
    }
    if (node.type === "MemberExpression" && node.computed) out.push({ start: node.property.start, end: node.property.end, text: "0" });
    for (const [key, c] of children(node)) visit(c, node, key);
  };
  visit(ast, undefined, "");
  // big deletions first
  return out.filter((e) => e.text.length < e.end - e.start).sort((a, b) => b.end - b.start - (a.end - a.start));
}

/**
 * Reduces `prog` while `check` still reports a failure with signature `sig`.
 * `opts` are passed to checkProgram (use `wrts` to check only the failing wrt, and
 * `at` the failing point, where each candidate is first run in a worker with a timeout).
 */
export function reduce(
  prog: FuzzProgram,
  sig: string,
  opts: CheckOptions = {},
  log?: (msg: string) => void,
  /** The check to keep failing (default: checkProgram with `opts`). */
  check: (p: FuzzProgram) => Failure[] = (p) => checkProgram(p, opts).failures,
): FuzzProgram {
  const holds = (text: string): FuzzProgram | undefined => {
    const p = parseText(text, prog.seed);
    if (!p) return undefined;
    if (opts.at && !terminates(p, opts.at)) return undefined;
    return check(p).some((f) => signature(f) === sig) ? p : undefined;
  };
  let cur = prog;
  // statement-level edits first (cheap to find, remove the most), then everything,
  // then dropping redundant parentheses
  for (const round of ["statements", "all", "parens"] as const) {
    let changed = true;
    while (changed) {
      changed = false;
      let i = 0;
      for (;;) {
        const es = round === "parens" ? parenEdits(cur.text) : edits(cur.text).filter((e) => round === "all" || e.statement);
        if (i >= es.length) break;
        const e = es[i];
        const next = cur.text.slice(0, e.start) + e.text + cur.text.slice(e.end);
        const p = holds(next);
        if (p) {
          cur = p;
          changed = true;
          log?.(`${cur.text.length} chars`);
        } else {
          i++;
        }
      }
    }
  }
  // blank lines left by deletions
  return parseText(cur.text.split("\n").filter((l) => l.trim() !== "").join("\n"), prog.seed) ?? cur;
}

/** Removing one pair of parentheses (each is kept only if the failure stays). */
function parenEdits(text: string): Edit[] {
  let ast: acorn.Program;
  try {
    ast = acorn.parse(text, { ecmaVersion: "latest", preserveParens: true });
  } catch {
    return [];
  }
  const out: Edit[] = [];
  const visit = (node: AnyNode) => {
    if (node.type === "ParenthesizedExpression") {
      out.push({ start: node.start, end: node.end, text: text.slice(node.expression.start, node.expression.end) });
    }
    for (const [, c] of children(node)) visit(c);
  };
  visit(ast);
  return out;
}
