// Constants: the global and Math/Number constants, and module-level `const` bindings of
// the build path (`const scale = 3;`, `const EPS = 1e-8`, `const N = 2 ** 4`), which are
// inlined as numbers when they are constant expressions: numeric literals, other such
// constants, Math and Number constants, arithmetic and pure Math functions. A module-level
// array or object is data the entry passes in (moduleData); anything else at module
// level is refused, saying why.
import type * as ESTree from "acorn";
import type { ModuleBinding, ModuleIdentifier } from "../parse/ts-estree.js";
import type { Lowerer } from "./context.js";
import type { ModuleValue } from "../request.js";
import { lineOf } from "../parse/lines.js";

/** Global names that are numbers. */
export const GLOBALS: Record<string, number> = { Infinity, NaN };

/** `Math.PI`, `Number.EPSILON`, …: every numeric constant of Math and Number. */
export const CONSTANTS: Record<string, Record<string, number>> = {
  Math: { PI: Math.PI, E: Math.E, LN2: Math.LN2, LN10: Math.LN10, LOG2E: Math.LOG2E, LOG10E: Math.LOG10E, SQRT2: Math.SQRT2, SQRT1_2: Math.SQRT1_2 },
  Number: {
    EPSILON: Number.EPSILON, MAX_VALUE: Number.MAX_VALUE, MIN_VALUE: Number.MIN_VALUE,
    MAX_SAFE_INTEGER: Number.MAX_SAFE_INTEGER, MIN_SAFE_INTEGER: Number.MIN_SAFE_INTEGER,
    POSITIVE_INFINITY: Infinity, NEGATIVE_INFINITY: -Infinity, NaN,
  },
};

/** Math functions that are functions of their arguments (all but Math.random), for constant initializers. */
const PURE_MATH = new Set(Object.getOwnPropertyNames(Math).filter((name) => typeof (Math as unknown as Record<string, unknown>)[name] === "function" && name !== "random"));

const ARITHMETIC: Record<string, (a: number, b: number) => number> = {
  "+": (a, b) => a + b, "-": (a, b) => a - b, "*": (a, b) => a * b, "/": (a, b) => a / b, "%": (a, b) => a % b, "**": (a, b) => a ** b,
};

/** The module-level binding an identifier names, when lowering found no local of that name. */
export function moduleBindingOf(node: ESTree.Identifier): ModuleBinding | undefined {
  return (node as ModuleIdentifier).module;
}

/**
 * Lowering met a module-level array or object its request does not pass yet: the build
 * path adds it to the request's data and lowers again (module-values.ts).
 */
export class ModuleValueNeeded extends Error {
  constructor(readonly value: ModuleValue) {
    super(`gradc internal error: module-level '${value.name}' read outside the build path's discovery of module values`);
  }
}

/**
 * On the build path, the module-level array or object `use` reads, as the request's
 * moduleValue callback tells it (undefined for a constant number, a function, an import:
 * moduleConstant takes those).
 */
export function moduleData(L: Lowerer, use: ESTree.Identifier, binding: ModuleBinding): ModuleValue | undefined {
  if (binding.k !== "variable" || !L.moduleValue) return undefined;
  const value = binding.kind === "const" ? evaluate(binding, new Set()) : undefined;
  if (typeof value === "number" || value?.fn) return undefined;
  return L.moduleValue(binding, use, L.fn.source);
}

/** The value of a module-level constant `use` refers to; refuses anything else, saying why. */
export function moduleConstant(L: Lowerer, use: ESTree.Identifier, binding: ModuleBinding): number {
  const { name } = binding;
  const line = lineOf(L.fn.source.text, binding.declared);
  const pass = `pass ${name} as an argument`;
  if (binding.k === "import") {
    const what = binding.imported === "*" ? "a namespace import" : "imported";
    throw L.fail(use, "imported value", `'${name}' is ${what} from "${binding.module}" (line ${line}): gradc inlines only numeric constants declared in the module that uses them.`,
      `Declare it in this module (const ${name} = …), or ${pass}.`);
  }
  if (binding.k === "other") {
    throw L.fail(use, "module-level value", `'${name}' is ${binding.what} (line ${line}), not a number gradc can inline.`, `${capital(pass)}.`);
  }
  if (binding.kind !== "const") {
    throw L.fail(use, `module-level ${binding.kind}`,
      `'${name}' is a module-level ${binding.kind} (line ${line}): gradc inlines module-level values into the derivative when it compiles, and a ${binding.kind} can change after that.`,
      `Declare it with const and a number (const ${name} = …) if it never changes, or ${pass}.`);
  }
  const value = evaluate(binding, new Set());
  if (typeof value === "number") return value;
  if (value.fn) throw L.fail(use, "function value", `The function '${name}' is used as a value.`, "Only calls to functions are supported.");
  throw L.fail(use, "module-level const",
    `'${name}' is a module-level const (line ${line}) whose value is not a constant number: ${value.why}.`,
    `gradc inlines module-level consts whose values are numbers, or expressions of numbers, other such consts, Math and Number constants, arithmetic and Math functions; ${pass} instead.`);
}

/** Why a value is not a constant number (`fn`: it is a function). */
interface NotConstant {
  why: string;
  fn?: boolean;
}

const values = new WeakMap<ModuleBinding, number | NotConstant>();

function evaluate(binding: Extract<ModuleBinding, { k: "variable" }>, seen: Set<ModuleBinding>): number | NotConstant {
  const known = values.get(binding);
  if (known !== undefined) return known;
  if (seen.has(binding)) return { why: `its value refers to itself (through ${[...seen].map((b) => b.name).join(", ")})` };
  seen.add(binding);
  const init = binding.init();
  const value: number | NotConstant = !init ? { why: "it is declared without a value" }
    : init.type === "ArrowFunctionExpression" || init.type === "FunctionExpression" ? { why: "it is a function", fn: true }
    : constantValue(init, seen);
  seen.delete(binding);
  values.set(binding, value);
  return value;
}

function constantValue(e: ESTree.Expression, seen: Set<ModuleBinding>): number | NotConstant {
  const sub = (x: ESTree.Node) => constantValue(x as ESTree.Expression, seen);
  switch (e.type) {
    case "Literal":
      return typeof e.value === "number" ? e.value : { why: `${describeLiteral(e)} is not a number` };
    case "Identifier": {
      const b = moduleBindingOf(e);
      if (b?.k === "variable" && b.kind === "const") {
        const v = evaluate(b, seen);
        return typeof v === "number" ? v : { why: `it uses '${e.name}', whose value is not a constant number (${v.why})` };
      }
      if (b) return { why: `it uses '${e.name}', which is ${b.k === "variable" ? `a module-level ${b.kind}` : b.k === "import" ? "imported" : b.what}` };
      if (e.name in GLOBALS) return GLOBALS[e.name];
      return { why: `it uses '${e.name}', which is not a module-level const` };
    }
    case "MemberExpression": {
      const table = !e.computed && e.object.type === "Identifier" && !moduleBindingOf(e.object) ? CONSTANTS[e.object.name] : undefined;
      const value = table && e.property.type === "Identifier" ? table[e.property.name] : undefined;
      return value ?? { why: "it reads a property (only Math and Number constants are constant)" };
    }
    case "UnaryExpression": {
      if (e.operator !== "-" && e.operator !== "+") return { why: `it uses the operator '${e.operator}'` };
      const a = sub(e.argument);
      return typeof a === "number" ? (e.operator === "-" ? -a : a) : a;
    }
    case "BinaryExpression": {
      const f = ARITHMETIC[e.operator];
      if (!f) return { why: `it uses the operator '${e.operator}'` };
      const a = sub(e.left);
      if (typeof a !== "number") return a;
      const b = sub(e.right);
      return typeof b === "number" ? f(a, b) : b;
    }
    case "CallExpression": {
      const c = e.callee;
      const math = c.type === "MemberExpression" && !c.computed && c.object.type === "Identifier" && c.object.name === "Math" && !moduleBindingOf(c.object) && c.property.type === "Identifier" ? c.property.name : undefined;
      if (math === "random") return { why: "it calls Math.random (not a function of anything: a new number on each call)" };
      if (!math || !PURE_MATH.has(math)) return { why: `it calls ${math ? `Math.${math}` : "a function"} (only Math functions are evaluated when gradc compiles)` };
      const args: number[] = [];
      for (const a of e.arguments) {
        const v = a.type === "SpreadElement" ? { why: "it spreads arguments" } : sub(a);
        if (typeof v !== "number") return v;
        args.push(v);
      }
      return (Math as unknown as Record<string, (...xs: number[]) => number>)[math](...args);
    }
    case "ArrayExpression":
      return { why: "it is an array literal" };
    case "ObjectExpression":
      return { why: "it is an object literal" };
    case "NewExpression":
      return { why: `it creates ${e.callee.type === "Identifier" ? `a ${e.callee.name}` : "an object"} (arrays are passed in as arguments)` };
    default:
      return { why: `it is ${e.type.replace(/^TS/, "TypeScript ").replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase()}` };
  }
}

function describeLiteral(e: ESTree.Literal): string {
  if (typeof e.value === "string") return "a string";
  if (typeof e.value === "boolean") return `the boolean ${e.value}`;
  if (e.value === null) return "null";
  return "this literal";
}

function capital(s: string): string {
  return s[0].toUpperCase() + s.slice(1);
}
