// Diagnostics: every refusal names the construct, where it is, and what to do instead.
import type * as ESTree from "acorn";
import type { Loc } from "./ir/types.js";
import type { SourceText } from "./parse/source.js";

import { GradcError, type Position } from "../runtime/errors.js";
import { positionAt } from "./parse/lines.js";

export { GradcError, type Position };

/** Two lines of context around `pos`, with a caret under the column. */
export function codeFrame(text: string, pos: Position): string {
  const lines = text.split("\n");
  const first = Math.max(1, pos.line - 2);
  const last = Math.min(lines.length, pos.line + 1);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const mark = n === pos.line ? ">" : " ";
    out.push(`${mark} ${String(n).padStart(width)} | ${lines[n - 1]}`);
    if (n === pos.line) out.push(`  ${" ".repeat(width)} | ${" ".repeat(pos.column - 1)}^`);
  }
  return out.join("\n");
}

/**
 * Builds the error for `node`. `construct` is a short name of what was refused
 * ("Math.random", "recursion", ...); `hint` says what to do instead.
 */
export function refuse(
  source: SourceText,
  node: ESTree.Node | undefined,
  construct: string,
  message: string,
  hint: string,
): GradcError {
  const pos = node ? positionAt(source.text, node.start) : undefined;
  const frame = pos ? codeFrame(source.text, pos) : "";
  const detail = `${message} ${hint}`.trim();
  return new GradcError(construct, detail, source.file, pos, frame);
}

/**
 * A refusal raised after lowering (in a transform), at the statement an IR
 * instruction came from: `loc.source` and `loc.offset` are set by lowering.
 */
export function refuseAt(loc: Loc | undefined, construct: string, message: string, hint: string): GradcError {
  const detail = `${message} ${hint}`.trim();
  if (!loc?.source) {
    return new GradcError(construct, loc ? `line ${loc.line}: ${detail}` : detail, "gradc", undefined, "");
  }
  const offset = loc.offset ?? offsetOfLine(loc.source.text, loc.line);
  return refuse(loc.source, { type: "Statement", start: offset, end: offset }, construct, message, hint);
}

function offsetOfLine(text: string, line: number): number {
  let offset = 0;
  for (let n = 1; n < line; n++) {
    const next = text.indexOf("\n", offset);
    if (next < 0) break;
    offset = next + 1;
  }
  return offset;
}

/** A syntax error the parser reported at `offset`: the parser's own message, with position and code frame. */
export function syntaxError(source: SourceText, offset: number, message: string): GradcError {
  const pos = positionAt(source.text, offset);
  return new GradcError("syntax error", `Syntax error: ${message}`, source.file, pos, codeFrame(source.text, pos));
}
