// opts.closure: the values of names a function closes over, which its source text
// (f.toString()) shows only by name. Numbers and booleans become constants of the
// compiled code (read when the derivative is made); arrays and objects of them are data,
// read from opts.closure on every call and passed after f's own arguments, their kinds
// part of the specialisation like arguments' kinds.
import { describeValue, usageError } from "../runtime/errors.js";
import { refuse } from "./errors.js";
import { kindOf, type Kind } from "./kinds.js";
import type { SourceFn } from "./parse/source.js";
import type { ClosureValues } from "./request.js";

export type ClosureOption = Record<string, unknown>;

/** opts.closure must be an object of values (functions belong in opts.functions). */
export function checkClosure(closure: unknown, mode: string): void {
  if (closure === undefined) return;
  if (typeof closure !== "object" || closure === null || Array.isArray(closure)) {
    throw usageError("closure", `${mode}(f, opts): closure must be an object { name: value }, not ${describeValue(closure)}.`);
  }
  for (const [name, v] of Object.entries(closure)) {
    if (typeof v === "function") throw usageError("closure", `${mode}(f, opts): closure.${name} is a function: pass it in opts.functions ({ functions: { ${name} } }).`);
    if (v === undefined || v === null || typeof v === "string" || typeof v === "bigint" || typeof v === "symbol") {
      throw usageError("closure", `${mode}(f, opts): closure.${name} must be a number, a boolean, an array or an object of them, not ${describeValue(v)}.`);
    }
  }
}

/** Constants by value, data by name (sorted, the order of the entry's trailing parameters). */
export function closureValues(closure: ClosureOption | undefined): ClosureValues | undefined {
  if (!closure) return undefined;
  const constants: Record<string, number | boolean> = {};
  const data: string[] = [];
  for (const name of Object.keys(closure).sort()) {
    const v = closure[name];
    if (typeof v === "number" || typeof v === "boolean") constants[name] = v;
    else data.push(name);
  }
  return { constants, data };
}

/** Part of the request key: the constants' values and the data names (data kinds are checked per call). */
export function closureKey(c: ClosureValues | undefined): string {
  return c ? JSON.stringify([Object.entries(c.constants).map(([k, v]) => [k, typeof v === "number" && !Number.isFinite(v) ? String(v) : v]), c.data]) : "";
}

/** The kind of opts.closure[name] at a call, checked as an argument's is. */
export function closureKind(fn: SourceFn, name: string, value: unknown): Kind {
  const kind = kindOf(value);
  if (typeof kind === "string") {
    throw refuse(fn.source, fn.node, "closure value kind", `opts.closure.${name} of ${fn.name} is ${kind}.`,
      "Closure values must be numbers, booleans, number[], typed arrays, or Arrays and objects of those (nested too).");
  }
  return kind;
}

const ids = new WeakMap<object, number>();
let nextId = 1;

/** Identity of the opts.closure object a derivative reads its data from ("" when it has none). */
export function closureIdentity(closure: ClosureOption | undefined): string {
  if (!closure || closureValues(closure)!.data.length === 0) return "";
  let id = ids.get(closure);
  if (id === undefined) ids.set(closure, (id = nextId++));
  return String(id);
}
