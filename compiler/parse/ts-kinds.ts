// Parameter kinds from TypeScript types, for the build path (the runtime path reads them off values).
import type * as ESTree from "acorn";
import type { Node, ParameterDeclaration, Type } from "ts-morph";
import { refuse } from "../errors.js";
import type { ArrayElem, Kind } from "../kinds.js";
import type { SourceText } from "./source.js";
import { displayPath, type TsFunctionLike } from "./typescript.js";

const HINT = "Parameters must be number, Float64Array, Float32Array, or an object type whose fields are those.";

/** One kind per parameter of `fnDecl`, read from its declared (or inferred) types. */
export function kindsFromSignature(fnDecl: TsFunctionLike, source?: SourceText): Kind[] {
  const src = source ?? sourceOf(fnDecl);
  if (fnDecl.getTypeParameters().length > 0) {
    throw refuse(src, spanOf(fnDecl), "generic function", "gradc cannot specialise a generic function from its signature.", "Give its parameters concrete types.");
  }
  return fnDecl.getParameters().filter((p) => p.getName() !== "this").map((p) => parameterKind(p, src));
}

function parameterKind(p: ParameterDeclaration, source: SourceText): Kind {
  const name = p.getName();
  if (p.isRestParameter()) throw refuse(source, spanOf(p), "rest parameter", `Rest parameter '${name}' cannot be differentiated.`, HINT);
  const type = p.getType();
  const kind = kindOfType(type, p);
  if (typeof kind === "string") {
    const shown = p.getTypeNode()?.getText() ?? type.getText(p);
    throw refuse(source, spanOf(p), "parameter type", `Parameter '${name}' has type '${shown}': ${kind}.`, HINT);
  }
  return kind;
}

/** A kind, or why the type has none. */
function kindOfType(type: Type, at: Node): Kind | string {
  const leaf = leafKind(type);
  if (leaf) return leaf;
  if (type.isAny() || type.isUnknown()) return "its type is not known (add a type annotation)";
  if (type.isArray() || type.isTuple()) return "plain arrays are not supported (use Float64Array or Float32Array)";
  if (type.isUnion() || type.isIntersection() && type.getProperties().length === 0) return "union types are not supported";
  if (!type.isObject() || type.getCallSignatures().length > 0 || type.getConstructSignatures().length > 0) return "not a number, typed array or object of those";
  const fields: { name: string; kind: Kind }[] = [];
  for (const prop of type.getProperties()) {
    const fieldType = prop.getTypeAtLocation(at);
    const kind = leafKind(fieldType);
    if (!kind) return `field '${prop.getName()}' has type '${fieldType.getText(at)}' (fields must be number, Float64Array or Float32Array)`;
    fields.push({ name: prop.getName(), kind });
  }
  return { k: "obj", fields };
}

/** number, Float64Array or Float32Array. */
function leafKind(type: Type): Kind | undefined {
  if (type.isNumber() || type.isNumberLiteral()) return { k: "num" };
  const elem = typedArrayElem(type);
  return elem ? { k: "arr", elem } : undefined;
}

function typedArrayElem(type: Type): ArrayElem | undefined {
  const name = type.getSymbol()?.getName();
  return name === "Float64Array" ? "f64" : name === "Float32Array" ? "f32" : undefined;
}

function sourceOf(node: Node): SourceText {
  const sf = node.getSourceFile();
  return { file: displayPath(sf.getFilePath()), text: sf.getFullText() };
}

/** A position-only node for diagnostics. */
function spanOf(node: Node): ESTree.Node {
  return { type: "TSNode", start: node.getStart(), end: node.getEnd() };
}
