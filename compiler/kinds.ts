// Argument kinds: what a compiled derivative is specialised on.
import { article, isPlainKey, propAccess } from "../runtime/errors.js";

export { article, isPlainKey, propAccess };

export type ArrayElem = "f64" | "f32";

/** Element types of integer typed arrays: data arguments (labels, indices, masks), never differentiated. */
export type IntElem = "i8" | "i16" | "i32" | "u8" | "u16" | "u32" | "u8c";

/**
 * `absent`: an argument left out (undefined) of a run-time call, for a parameter with a
 * default value: that specialisation computes the default.
 */
export type Kind =
  | { k: "num" }
  | { k: "bool" }
  | { k: "arr"; elem: ArrayElem }
  | { k: "int"; elem: IntElem }
  /** A plain Array of numbers (`number[]`, differentiated like a Float64Array) or of booleans (data). */
  | { k: "plain"; elem: "num" | "bool" }
  /**
   * An object, or with `list` a plain Array of other values (typed arrays, arrays, objects;
   * `[Float64Array, number]`): its fields are the indices "0".."n-1", so a specialisation
   * is per length and per element kind.
   */
  | { k: "obj"; fields: { name: string; kind: Kind }[]; list?: true }
  | { k: "absent" };

/** Constructor name of each integer typed array. */
export const INT_ARRAYS: Record<IntElem, string> = {
  i8: "Int8Array", i16: "Int16Array", i32: "Int32Array",
  u8: "Uint8Array", u16: "Uint16Array", u32: "Uint32Array", u8c: "Uint8ClampedArray",
};

/** Kind of a runtime value, or a description of why it is not differentiable. */
export function kindOf(value: unknown): Kind | string {
  if (typeof value === "number") return { k: "num" };
  if (typeof value === "boolean") return { k: "bool" };
  if (value instanceof Float64Array) return { k: "arr", elem: "f64" };
  if (value instanceof Float32Array) return { k: "arr", elem: "f32" };
  const int = intElemOf(value);
  if (int) return { k: "int", elem: int };
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} (typed arrays of numbers only: Float64Array, Float32Array, or integer arrays as data)`;
  if (Array.isArray(value)) return arrayKind(value);
  if (value !== null && typeof value === "object") {
    const fields: { name: string; kind: Kind }[] = [];
    for (const name of Object.keys(value)) {
      const kind = kindOf((value as Record<string, unknown>)[name]);
      if (typeof kind === "string") return `field '${name}': ${kind}`;
      fields.push({ name, kind });
    }
    return { k: "obj", fields };
  }
  return `a ${value === null ? "null" : typeof value}`;
}

/** A plain Array: of numbers (`number[]`), of booleans, or a list of other kinds, one per element. */
function arrayKind(value: unknown[]): Kind | string {
  if (isNumberArray(value)) return { k: "plain", elem: "num" };
  if (value.every((e) => typeof e === "boolean")) return { k: "plain", elem: "bool" };
  const fields: { name: string; kind: Kind }[] = [];
  for (let i = 0; i < value.length; i++) {
    if (!(i in value)) return `an Array with a hole at [${i}]`;
    const kind = kindOf(value[i]);
    if (typeof kind === "string") return `an Array whose element [${i}] is ${kind}`;
    fields.push({ name: String(i), kind });
  }
  return { k: "obj", fields, list: true };
}

function isNumberArray(value: unknown[]): boolean {
  for (let i = 0; i < value.length; i++) if (typeof value[i] !== "number") return false;
  return true;
}

function intElemOf(value: unknown): IntElem | undefined {
  if (value instanceof Int32Array) return "i32";
  if (value instanceof Uint8Array) return "u8";
  if (value instanceof Int8Array) return "i8";
  if (value instanceof Int16Array) return "i16";
  if (value instanceof Uint16Array) return "u16";
  if (value instanceof Uint32Array) return "u32";
  if (value instanceof Uint8ClampedArray) return "u8c";
  return undefined;
}

/** Constructor name of a typed-array kind. */
export function arrayClass(kind: { k: "arr"; elem: ArrayElem } | { k: "int"; elem: IntElem }): string {
  return kind.k === "int" ? INT_ARRAYS[kind.elem] : kind.elem === "f64" ? "Float64Array" : "Float32Array";
}

/** How a value of this kind is described to users: "a number", "a Float64Array", "an object { a, b }". */
export function describeKind(kind: Kind): string {
  switch (kind.k) {
    case "num": return "a number";
    case "bool": return "a boolean";
    case "arr": case "int": return article(arrayClass(kind));
    case "plain": return kind.elem === "num" ? "a number[]" : "a boolean[]";
    case "obj":
      if (kind.list) return `an Array of ${kind.fields.length} [${kind.fields.map((f) => describeKind(f.kind).replace(/^an? /, "")).join(", ")}]`;
      return `an object { ${kind.fields.map((f) => JSON.stringify(f.name)).join(", ")} }`;
    case "absent": return "left out (undefined)";
  }
}


/** Stable text key of a kind, used for caching compiled specialisations. */
export function kindKey(kind: Kind): string {
  switch (kind.k) {
    case "num":
      return "n";
    case "bool":
      return "b";
    case "arr":
    case "int":
      return kind.elem;
    case "plain":
      return kind.elem === "num" ? "n[]" : "b[]";
    case "obj":
      if (kind.list) return `[${kind.fields.map((f) => kindKey(f.kind)).join(",")}]`;
      return `{${kind.fields.map((f) => `${JSON.stringify(f.name)}:${kindKey(f.kind)}`).join(",")}}`;
    case "absent":
      return "u";
  }
}


/**
 * A JavaScript condition that `x` has kind `k` (the run-time API's dispatch on argument
 * kinds). With `like`, that `x` is shaped like argument `like.arg` of that kind (an out
 * buffer, a tangent): the same lengths, and with `exact` the same float type; data
 * (integer arrays, booleans) is never such a value. With `ts`, the condition is TypeScript
 * for a value typed like the argument (a test that the type rules out is on `unknown`).
 */
export function kindTest(k: Kind, x: string, like?: { arg: string; exact: boolean; ts?: boolean }): string {
  switch (k.k) {
    case "num": return `typeof ${x} === "number"`;
    case "bool": return like ? "false" : `typeof ${x} === "boolean"`;
    case "int": return like ? "false" : `${x} instanceof ${arrayClass(k)}`;
    case "arr": {
      const u = like?.ts ? `(${x} as unknown)` : x;
      const type = !like || like.exact ? `${x} instanceof ${arrayClass(k)}` : `(${u} instanceof Float64Array || ${u} instanceof Float32Array)`;
      return like ? `${type} && ${x}.length === ${like.arg}.length` : type;
    }
    case "plain": {
      // Every element is checked: a string element would make + concatenate.
      if (like) return k.elem === "bool" ? "false" : `${plainArrayTest(x, like.exact)} && ${x}.length === ${like.arg}.length`;
      return `Array.isArray(${x}) && ${x}.every((e) => typeof e === "${k.elem === "num" ? "number" : "boolean"}")`;
    }
    case "obj": {
      if (k.list) {
        const items = k.fields.map((f) => kindTest(f.kind, `${x}[${f.name}]`, like && { ...like, arg: `${like.arg}[${f.name}]` }));
        return [`Array.isArray(${x}) && ${x}.length === ${k.fields.length}`, ...items].join(" && ");
      }
      const fields = k.fields.map((f) => kindTest(f.kind, propAccess(x, f.name), like && { ...like, arg: propAccess(like.arg, f.name) }));
      return [`typeof ${x} === "object" && ${x} !== null`, ...fields].join(" && ");
    }
    case "absent": return like ? "false" : `${x} === undefined`;
  }
}

/**
 * A value shaped like a `number[]`: out buffers (`exact`) are plain Arrays, as the gradient
 * is; a tangent or direction may also be a typed array.
 */
function plainArrayTest(x: string, exact: boolean): string {
  return exact ? `Array.isArray(${x})` : `(Array.isArray(${x}) || ArrayBuffer.isView(${x}))`;
}

/** `base.a.b` for the field path [a, b] of a nested object (`base` itself for no path). */
export function pathAccess(base: string, path: readonly string[] | undefined): string {
  return (path ?? []).reduce(propAccess, base);
}

/** The kind at a field path of `kind`. */
export function kindAt(kind: Kind, path: readonly string[] | undefined): Kind {
  let k = kind;
  for (const name of path ?? []) {
    if (k.k !== "obj") break;
    k = k.fields.find((f) => f.name === name)?.kind ?? k;
  }
  return k;
}

/** A kind that is data, never differentiated: an integer array, a boolean, a boolean[]. */
export function isData(kind: Kind): boolean {
  return kind.k === "int" || kind.k === "bool" || (kind.k === "plain" && kind.elem === "bool");
}

/** The first field (at any depth) whose kind is data, never differentiated: an integer array or a boolean. */
export function dataField(kind: Kind, path: string[] = []): { path: string[]; kind: Kind } | undefined {
  if (kind.k !== "obj") return undefined;
  for (const f of kind.fields) {
    if (isData(f.kind)) return { path: [...path, f.name], kind: f.kind };
    const inner = dataField(f.kind, [...path, f.name]);
    if (inner) return inner;
  }
  return undefined;
}

/** An object-literal key for `name` (computed for `__proto__`, so that it stays an own field). */
export function literalKey(name: string): string {
  if (name === "__proto__") return `["__proto__"]`;
  return isPlainKey(name) ? name : JSON.stringify(name);
}
