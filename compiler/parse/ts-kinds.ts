// Parameter kinds from TypeScript types, for the build path (the runtime path reads them off values).
import type * as ESTree from "acorn";
import { ts, type Node, type ParameterDeclaration, type Type } from "ts-morph";
import { refuse } from "../errors.js";
import { INT_ARRAYS, type IntElem, type Kind } from "../kinds.js";
import type { SourceText } from "./source.js";
import { displayPath, isJsModule, type TsFunctionLike } from "./typescript.js";

const HINT = "Parameters must be number, Float64Array, Float32Array, integer typed arrays or boolean (data, not differentiated), or object types whose fields are those (or objects of them).";

const JS_HINT = "A type is number, Float64Array, Float32Array, an integer typed array or boolean (data), or an object type of those such as {{ W: Float64Array, b: number }} (or a @typedef of one).";

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
  if (p.hasQuestionToken() && !p.hasInitializer()) {
    throw refuse(source, spanOf(p), "optional parameter", `Parameter '${name}' is optional without a default value: left out, it would be undefined, which is not a number.`,
      `Give it a default value (${name} = …), which gradc applies when the argument is left out, or make it required.`);
  }
  const type = p.getType();
  const kind = kindOfType(type, p);
  if (p.hasInitializer() && typeof kind !== "string") return defaulted(p, kind, source);
  const js = isJsModule(p.getSourceFile().getFilePath());
  const jsDocType = js ? ts.getJSDocType(p.compilerNode) : undefined;
  if (typeof kind === "string" && js && !jsDocType && type.isAny()) {
    throw refuse(source, spanOf(p), "parameter type", `Parameter '${name}' has no type: in a JavaScript module gradc reads parameter types from JSDoc.`,
      `Add a JSDoc comment above the function, e.g. /** @param {Float64Array} ${name} */. ${JS_HINT}`);
  }
  if (typeof kind === "string") {
    const shown = p.getTypeNode()?.getText() ?? jsDocType?.getText() ?? type.getText(p);
    throw refuse(source, spanOf(p), "parameter type", `Parameter '${name}' has type '${shown}': ${kind}.`, HINT);
  }
  return kind;
}

/**
 * A parameter with a default value: the entry takes it as optional and the derivative
 * code applies the default when it is undefined. Only numbers and booleans: an array or
 * object default would be a value the derivative code creates when the argument is absent.
 */
function defaulted(p: ParameterDeclaration, kind: Kind, source: SourceText): Kind {
  if (kind.k === "num" || kind.k === "bool") return kind;
  throw refuse(source, spanOf(p), "default value", `Parameter '${p.getName()}' has a default value, and is ${kind.k === "obj" ? "an object" : "a typed array"}: gradc build supports default values for numbers and booleans.`,
    "Make the parameter required and pass the array (or object), or create it inside the function.");
}

/** A kind, or why the type has none. */
function kindOfType(type: Type, at: Node): Kind | string {
  const leaf = leafKind(type);
  if (leaf) return leaf;
  if (type.isAny() || type.isUnknown()) return "its type is not known (add a type annotation)";
  if (type.isArray() || type.isTuple()) return "plain arrays are not supported (use Float64Array or Float32Array)";
  if (type.isUnion() || type.isIntersection() && type.getProperties().length === 0) return "union types are not supported";
  if (!type.isObject() || type.getCallSignatures().length > 0 || type.getConstructSignatures().length > 0) return "not a number, boolean, typed array or object of those";
  const fields: { name: string; kind: Kind }[] = [];
  for (const prop of type.getProperties()) {
    const fieldType = prop.getTypeAtLocation(at);
    const kind = kindOfType(fieldType, at);
    if (typeof kind === "string") return `field '${prop.getName()}' has type '${fieldType.getText(at)}': ${kind}`;
    fields.push({ name: prop.getName(), kind });
  }
  return { k: "obj", fields };
}

/** number, boolean, or a typed array. */
function leafKind(type: Type): Kind | undefined {
  if (type.isNumber() || type.isNumberLiteral()) return { k: "num" };
  if (type.isBoolean() || type.isBooleanLiteral()) return { k: "bool" };
  const name = type.getSymbol()?.getName();
  if (name === "Float64Array") return { k: "arr", elem: "f64" };
  if (name === "Float32Array") return { k: "arr", elem: "f32" };
  const int = (Object.keys(INT_ARRAYS) as IntElem[]).find((e) => INT_ARRAYS[e] === name);
  return int ? { k: "int", elem: int } : undefined;
}

function sourceOf(node: Node): SourceText {
  const sf = node.getSourceFile();
  return { file: displayPath(sf.getFilePath()), text: sf.getFullText() };
}

/** A position-only node for diagnostics. */
function spanOf(node: Node): ESTree.Node {
  return { type: "TSNode", start: node.getStart(), end: node.getEnd() };
}
