// Runtime front-end: parses `fn.toString()` with acorn (the JavaScript a bundler or test
// runner left after stripping types). Method shorthand is rewritten as `function NAME(...)`.
import * as acorn from "acorn";
import type * as ESTree from "acorn";
import { GradcError, refuse, syntaxError } from "../errors.js";
import type { SourceFn, SourceText } from "./source.js";

const OPTIONS: acorn.Options = { ecmaVersion: "latest", sourceType: "script" };
const CLASS_OPEN = "(class {\n";

/** Parses the source of a live function into a node lowering accepts. */
export function parseFunctionSource(fn: Function): SourceFn {
  const text = Function.prototype.toString.call(fn);
  const name = fn.name || "anonymous";
  if (/\{\s*\[native code\]\s*\}\s*$/.test(text)) {
    throw new GradcError("native function", `'${name}' is a built-in or bound function, so its source is not available. Pass the original function.`, `<function ${name}>`, undefined, "");
  }
  return parseFunctionText(text, name);
}

/** Parses a function's source text (what `fn.toString()` gives): a function, an arrow or a method. */
export function parseFunctionText(text: string, name: string): SourceFn {
  const original: SourceText = { file: `<function ${name}>`, text, runtime: true };
  const direct = parseWhole(text);
  const { node, source } = direct.expr ? { node: direct.expr, source: original } : methodAsFunction(text, name, original, direct.error);
  checkFunction(node, source);
  return { name, node, source };
}

/** An error acorn threw: its message without the "(line:col)" it appends, and the offset it points at. */
interface AcornError {
  message: string;
  pos: number;
}

function acornError(e: unknown, shift = 0, length = Infinity): AcornError {
  if (!(e instanceof SyntaxError)) throw e;
  const raw = (e as { pos?: number }).pos ?? 0;
  return { message: e.message.replace(/\s*\(\d+:\d+\)$/, ""), pos: Math.max(0, Math.min(length, raw - shift)) };
}

/**
 * The expression spanning all of `text`; or, when `text` is not a single expression
 * (a method), nothing, with the syntax error if acorn stopped on one.
 */
function parseWhole(text: string): { expr?: ESTree.Expression; error?: AcornError } {
  try {
    const expr = acorn.parseExpressionAt(text, 0, OPTIONS);
    return text.slice(expr.end).trim() === "" ? { expr } : {};
  } catch (e) {
    return { error: acornError(e, 0, text.length) };
  }
}

/** Refuses what is not a plain function or arrow. */
function checkFunction(node: ESTree.Expression, source: SourceText): asserts node is ESTree.FunctionExpression | ESTree.ArrowFunctionExpression {
  if (node.type === "ClassExpression") throw refuse(source, node, "class", "A class cannot be differentiated.", "Pass a function or an arrow function.");
  if (node.type !== "FunctionExpression" && node.type !== "ArrowFunctionExpression") {
    throw refuse(source, node, node.type, "Expected a function.", "Pass a function or an arrow function.");
  }
  if (node.async) throw refuse(source, node, "async function", "Async functions cannot be differentiated.", "Make the loss function synchronous.");
  if (node.generator) throw refuse(source, node, "generator", "Generator functions cannot be differentiated.", "Pass a plain function.");
}

/** `foo(x) { ... }` (object or class method) parsed as `function foo(x) { ... }`. */
function methodAsFunction(text: string, name: string, original: SourceText, direct: AcornError | undefined): { node: ESTree.Expression; source: SourceText } {
  const method = parseMethod(text, original, direct);
  const whole = { type: "Method", start: 0, end: text.length };
  if (method.kind === "get" || method.kind === "set") {
    throw refuse(original, whole, "accessor", "A getter or setter cannot be differentiated.", "Pass a plain function.");
  }
  checkFunction({ ...method.value, start: 0, end: text.length }, original);
  const paramsAt = method.value.start - CLASS_OPEN.length;
  const id = /^[A-Za-z_$][\w$]*$/.test(name) ? name : "";
  const rewritten = `function ${id}${text.slice(paramsAt)}`;
  const source: SourceText = { file: `<function ${name}>`, text: rewritten, runtime: true };
  const node = parseWhole(rewritten).expr;
  if (!node) throw refuse(original, undefined, "syntax", `Cannot read the source of '${name}'.`, "Pass a function or an arrow function.");
  return { node, source };
}

/**
 * `text` as the only member of a class. When that does not parse either, the syntax error
 * reported is the one found furthest into the text: as a function or arrow (`direct`) or
 * as a method.
 */
function parseMethod(text: string, source: SourceText, direct: AcornError | undefined): ESTree.MethodDefinition {
  let program: ESTree.Program;
  try {
    program = acorn.parse(`${CLASS_OPEN}${text}\n})`, OPTIONS);
  } catch (e) {
    const asMethod = acornError(e, CLASS_OPEN.length, text.length);
    const error = direct && direct.pos >= asMethod.pos ? direct : asMethod;
    throw syntaxError(source, error.pos, `${error.message}.`);
  }
  const stmt = program.body[0] as ESTree.ExpressionStatement;
  const members = (stmt.expression as ESTree.ClassExpression).body.body;
  const method = members[0];
  if (members.length !== 1 || method.type !== "MethodDefinition") {
    throw refuse(source, undefined, "syntax", "The source is not a single function.", "Pass a function or an arrow function.");
  }
  return method;
}
