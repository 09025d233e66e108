// Argument kinds: what a compiled derivative is specialised on.

export type ArrayElem = "f64" | "f32";

export type Kind =
  | { k: "num" }
  | { k: "arr"; elem: ArrayElem }
  | { k: "obj"; fields: { name: string; kind: Kind }[] };

/** Kind of a runtime value, or a description of why it is not differentiable. */
export function kindOf(value: unknown): Kind | string {
  if (typeof value === "number") return { k: "num" };
  if (value instanceof Float64Array) return { k: "arr", elem: "f64" };
  if (value instanceof Float32Array) return { k: "arr", elem: "f32" };
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const fields: { name: string; kind: Kind }[] = [];
    for (const name of Object.keys(value)) {
      const kind = kindOf((value as Record<string, unknown>)[name]);
      if (typeof kind === "string") return `field '${name}': ${kind}`;
      if (kind.k === "obj") return `field '${name}' is a nested object (only numbers and typed arrays may be fields)`;
      fields.push({ name, kind });
    }
    return { k: "obj", fields };
  }
  if (Array.isArray(value)) return "a plain Array (use Float64Array or Float32Array)";
  return `a ${value === null ? "null" : typeof value}`;
}

/** Stable text key of a kind, used for caching compiled specialisations. */
export function kindKey(kind: Kind): string {
  switch (kind.k) {
    case "num":
      return "n";
    case "arr":
      return kind.elem;
    case "obj":
      return `{${kind.fields.map((f) => `${f.name}:${kindKey(f.kind)}`).join(",")}}`;
  }
}
