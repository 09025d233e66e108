// Parameter kinds from TypeScript types, for the build path (the runtime path reads them off values).
import type * as ESTree from "acorn";
import { ts, type Node, type ParameterDeclaration, type Type } from "ts-morph";
import { refuse } from "../errors.js";
import { INT_ARRAYS, type IntElem, type Kind } from "../kinds.js";
import type { SourceText } from "./source.js";
import { displayPath, isJsModule, type TsFunctionLike } from "./typescript.js";

const HINT = "Parameters must be number, number[], Float64Array, Float32Array, integer typed arrays, boolean or boolean[] (data, not differentiated), tuples of those ([Float64Array, number]), or object types whose fields are those (or objects of them).";

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
export function kindOfType(type: Type, at: Node): Kind | string {
  const leaf = leafKind(type);
  if (leaf) return leaf;
  if (type.isAny() || type.isUnknown()) return "its type is not known (add a type annotation)";
  if (type.isArray()) return arrayOfType(type, at);
  if (type.isTuple()) return tupleKind(type, at);
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

/**
 * `number[]` (differentiated like a Float64Array) and `boolean[]` (data). An Array of
 * other values is specialised on its length, which a type like `Float64Array[]` does
 * not give: a tuple type does.
 */
function arrayOfType(type: Type, at: Node): Kind | string {
  const elem = type.getArrayElementTypeOrThrow();
  if (elem.isNumber() || elem.isNumberLiteral()) return { k: "plain", elem: "num" };
  if (elem.isBoolean() || elem.isBooleanLiteral()) return { k: "plain", elem: "bool" };
  const kind = kindOfType(elem, at);
  if (typeof kind === "string") return `its elements have type '${elem.getText(at)}': ${kind}`;
  return `an Array of ${elem.getText(at)} has a length gradc must know when it compiles, and '${type.getText(at)}' does not give it: ` +
    `write a tuple type ([${elem.getText(at)}, ${elem.getText(at)}] for two) or use the run-time grad(f), which specialises on the length it is called with`;
}

/** `[Float64Array, number]`: a list of that many elements of those kinds. */
function tupleKind(type: Type, at: Node): Kind | string {
  const fields: { name: string; kind: Kind }[] = [];
  const elems = type.getTupleElements();
  for (let i = 0; i < elems.length; i++) {
    const kind = kindOfType(elems[i], at);
    if (typeof kind === "string") return `element [${i}] has type '${elems[i].getText(at)}': ${kind}`;
    fields.push({ name: String(i), kind });
  }
  return { k: "obj", fields, list: true };
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
