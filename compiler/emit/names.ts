// Collision-free JavaScript names for vars and temps, derived from source names.
import type { Var } from "../ir/types.js";

const RESERVED = new Set([
  "break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete", "do", "else",
  "export", "extends", "finally", "for", "function", "if", "import", "in", "instanceof", "new", "return",
  "super", "switch", "this", "throw", "try", "typeof", "var", "void", "while", "with", "yield", "let",
  "static", "enum", "await", "implements", "package", "protected", "interface", "private", "public",
  "Math", "Float64Array", "Float32Array", "tape", "tape1", "tape2", "tape3", "tape4", "Tape", "kernels", "NaN", "Infinity", "undefined", "arguments", "eval",
  // Parameters every core function takes for its outputs (see js.ts).
  "scalars", "refs",
  "Int8Array", "Int16Array", "Int32Array", "Uint8Array", "Uint16Array", "Uint32Array", "Uint8ClampedArray", "Number", "Object", "Array",
]);

/** Names generated code uses for its tapes: `tape`, `tape1`, ... (see tapeName in js.ts). */
const TAPE = /^tape[0-9]*$/;

export class Names {
  private readonly used = new Set<string>(RESERVED);
  private readonly byVar = new Map<number, string>();
  private tempCount = 0;

  /** A namer for a nested scope: sees the names taken so far, and takes its own. */
  fork(): Names {
    const child = new Names();
    for (const n of this.used) child.used.add(n);
    return child;
  }

  /** Reserves an exact name (module-level helpers, entry points). */
  reserve(name: string): void {
    this.used.add(name);
  }

  claim(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_$]/g, "_").replace(/^(?=[0-9])/, "_") || "v";
    let name = clean;
    for (let n = 1; this.used.has(name) || TAPE.test(name); n++) name = `${clean}_${n}`;
    this.used.add(name);
    return name;
  }

  of(v: Var): string {
    let name = this.byVar.get(v.id);
    if (!name) {
      name = this.claim(v.name);
      this.byVar.set(v.id, name);
    }
    return name;
  }

  temp(): string {
    return this.claim(`t${++this.tempCount}`);
  }
}
