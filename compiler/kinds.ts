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
  | { k: "obj"; fields: { name: string; kind: Kind }[] }
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
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const fields: { name: string; kind: Kind }[] = [];
    for (const name of Object.keys(value)) {
      const kind = kindOf((value as Record<string, unknown>)[name]);
      if (typeof kind === "string") return `field '${name}': ${kind}`;
      fields.push({ name, kind });
    }
    return { k: "obj", fields };
  }
  if (Array.isArray(value)) return "a plain Array (use Float64Array or Float32Array)";
  return `a ${value === null ? "null" : typeof value}`;
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
    case "obj": return `an object { ${kind.fields.map((f) => JSON.stringify(f.name)).join(", ")} }`;
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
    case "obj":
      return `{${kind.fields.map((f) => `${JSON.stringify(f.name)}:${kindKey(f.kind)}`).join(",")}}`;
    case "absent":
      return "u";
  }
}


/**
 * A JavaScript condition that `x` has kind `k` (the run-time API's dispatch on argument
 * kinds). With `like`, that `x` is shaped like argument `like.arg` of that kind (an out
 * buffer, a tangent): the same lengths, and with `exact` the same float type; data
 * (integer arrays, booleans) is never such a value.
 */
export function kindTest(k: Kind, x: string, like?: { arg: string; exact: boolean }): string {
  switch (k.k) {
    case "num": return `typeof ${x} === "number"`;
    case "bool": return like ? "false" : `typeof ${x} === "boolean"`;
    case "int": return like ? "false" : `${x} instanceof ${arrayClass(k)}`;
    case "arr": {
      const type = !like || like.exact ? `${x} instanceof ${arrayClass(k)}` : `(${x} instanceof Float64Array || ${x} instanceof Float32Array)`;
      return like ? `${type} && ${x}.length === ${like.arg}.length` : type;
    }
    case "obj": {
      const fields = k.fields.map((f) => kindTest(f.kind, propAccess(x, f.name), like && { ...like, arg: propAccess(like.arg, f.name) }));
      return [`typeof ${x} === "object" && ${x} !== null`, ...fields].join(" && ");
    }
    case "absent": return like ? "false" : `${x} === undefined`;
  }
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

/** The first field (at any depth) whose kind is data, never differentiated: an integer array or a boolean. */
export function dataField(kind: Kind, path: string[] = []): { path: string[]; kind: Kind } | undefined {
  if (kind.k !== "obj") return undefined;
  for (const f of kind.fields) {
    if (f.kind.k === "int" || f.kind.k === "bool") return { path: [...path, f.name], kind: f.kind };
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
