// The one error class of gradc, and how run-time values are described in its messages.
// In the runtime so that generated modules throw the same class as the compiler.

export interface Position {
  line: number; // 1-based
  column: number; // 1-based
}

/** An error in the user's code that gradc refuses to differentiate, or in how a derivative is called. */
export class GradcError extends Error {
  constructor(
    readonly construct: string,
    readonly detail: string,
    readonly file: string,
    readonly position: Position | undefined,
    readonly frame: string,
  ) {
    const where = position ? `${file}:${position.line}:${position.column}` : file;
    super(`${where}: ${detail}${frame ? `\n\n${frame}` : ""}`);
    this.name = "GradcError";
  }
}

/** An error in how gradc's API was called (not in the differentiated code). */
export function usageError(construct: string, detail: string): GradcError {
  return new GradcError(construct, detail, "gradc", undefined, "");
}

/** "a Float64Array", "an Int32Array". */
export function article(noun: string): string {
  return `${/^[AEIOaeio]/.test(noun) ? "an" : "a"} ${noun}`;
}

/** How a run-time value is described in messages: "a number", "a Float64Array(3)", "an object { a, b }", "undefined". */
export function describeValue(v: unknown): string {
  if (v === undefined) return "undefined (missing)";
  if (v === null) return "null";
  if (typeof v === "number") return "a number";
  if (typeof v === "function") return "a function";
  if (ArrayBuffer.isView(v)) return `${article(v.constructor.name)}(${(v as unknown as { length: number }).length})`;
  if (Array.isArray(v)) return `an Array(${v.length})`;
  if (typeof v === "object") return `an object { ${Object.keys(v).map((k) => JSON.stringify(k)).join(", ")} }`;
  return `${article(typeof v)} (${String(v).slice(0, 20)})`;
}

/** Whether `name` can follow a dot (`o.name`) and stand unquoted as an object-literal key. */
export function isPlainKey(name: string): boolean {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) && name !== "__proto__";
}

/** `base.name`, `base[3]` for an index, or `base["name"]` when the key is not an identifier. */
export function propAccess(base: string, name: string): string {
  if (/^(0|[1-9][0-9]{0,8})$/.test(name)) return `${base}[${name}]`;
  return isPlainKey(name) ? `${base}.${name}` : `${base}[${JSON.stringify(name)}]`;
}
