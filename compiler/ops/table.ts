// The op table: one record per primitive. Each record gives the op's types, its
// JavaScript form, its evaluation (for folding and tests), its partial derivatives
// written with the IR builder (so derivative code can be differentiated again) and
// the domain its rule is checked on. Both reverse mode (adjoint = g * partial) and
// forward mode (tangent = sum of partial * tangent) read the same partials.
import type { Builder, Factor } from "../ir/builder.js";
import type { Temp, Type } from "../ir/types.js";

export interface OpDef {
  name: string;
  args: Type[];
  result: Type;
  /** JavaScript expression from the argument expressions. */
  js: (a: string[]) => string;
  eval: (...xs: number[]) => number | boolean;
  /**
   * Partial derivative of the result w.r.t. each argument, at args `x` with result `y`
   * (undefined for arguments that are not numbers). Absent: the op is piecewise
   * constant (floor, sign, comparisons) and its result is never active.
   */
  partials?: (b: Builder, x: Temp[], y: Temp) => (Factor | undefined)[];
  /**
   * Tangent of the result from the arguments' tangents (undefined: zero), when it
   * is not the sum of partial × tangent: select passes on the chosen side's tangent
   * alone, so an unused side (an out-of-range read) cannot make it NaN.
   */
  jvp?: (b: Builder, dots: (Temp | undefined)[], x: Temp[]) => Temp;
  /** Interval per argument where the rule is checked against central differences. */
  domain?: [number, number][];
}

const ops = new Map<string, OpDef>();

export function opDef(name: string): OpDef {
  const def = ops.get(name);
  if (!def) throw new Error(`gradc internal error: no op '${name}' in the op table`);
  return def;
}

export function allOps(): OpDef[] {
  return [...ops.values()];
}

function def(d: OpDef): void {
  ops.set(d.name, d);
}

const NUM1: Type[] = ["num"];
const NUM2: Type[] = ["num", "num"];
const call = (fn: string) => (a: string[]) => `${fn}(${a.join(", ")})`;
const infix = (sym: string) => (a: string[]) => `(${a[0]} ${sym} ${a[1]})`;

/** A unary Math function with derivative `d(b, x, y)`. */
function unary(name: string, d: (b: Builder, x: Temp, y: Temp) => Factor, domain: [number, number]): void {
  const fn = (Math as unknown as Record<string, (x: number) => number>)[name];
  def({
    name, args: NUM1, result: "num", js: call(`Math.${name}`), eval: fn,
    partials: (b, [x], y) => [d(b, x, y)], domain: [domain],
  });
}

/** A piecewise-constant unary Math function: derivative 0 wherever it exists. */
function step(name: string, domain: [number, number]): void {
  const fn = (Math as unknown as Record<string, (x: number) => number>)[name];
  def({ name, args: NUM1, result: "num", js: call(`Math.${name}`), eval: fn, domain: [domain] });
}

// Arithmetic.
def({ name: "add", args: NUM2, result: "num", js: infix("+"), eval: (a, b) => a + b,
  partials: () => [1, 1], domain: [[-3, 3], [-3, 3]] });
def({ name: "sub", args: NUM2, result: "num", js: infix("-"), eval: (a, b) => a - b,
  partials: () => [1, -1], domain: [[-3, 3], [-3, 3]] });
def({ name: "mul", args: NUM2, result: "num", js: infix("*"), eval: (a, b) => a * b,
  partials: (_b, [x, y]) => [y, x], domain: [[-3, 3], [-3, 3]] });
def({ name: "div", args: NUM2, result: "num", js: infix("/"), eval: (a, b) => a / b,
  partials: (b, [, d], q) => [b.op("div", b.num(1), d), b.op("neg", b.op("div", q, d))],
  domain: [[-3, 3], [0.5, 3]] });
def({ name: "mod", args: NUM2, result: "num", js: infix("%"), eval: (a, b) => a % b,
  partials: (b, [x, m]) => [1, b.op("neg", b.op("trunc", b.op("div", x, m)))],
  domain: [[0.1, 0.9], [1.2, 3]] });
def({ name: "neg", args: NUM1, result: "num", js: (a) => `(-${a[0]})`, eval: (a) => -a,
  partials: () => [-1], domain: [[-3, 3]] });
def({ name: "pow", args: NUM2, result: "num", js: infix("**"), eval: (a, b) => a ** b,
  partials: (b, [x, e], y) => [
    b.op("mul", e, b.op("pow", x, b.op("sub", e, b.num(1)))),
    b.op("mul", y, b.op("log", x)),
  ], domain: [[0.2, 3], [-2, 2]] });
def({ name: "atan2", args: NUM2, result: "num", js: call("Math.atan2"), eval: Math.atan2,
  partials: (b, [y, x]) => {
    const r2 = b.op("add", b.op("mul", x, x), b.op("mul", y, y));
    return [b.op("div", x, r2), b.op("neg", b.op("div", y, r2))];
  }, domain: [[-3, 3], [0.5, 3]] });
def({ name: "hypot", args: NUM2, result: "num", js: call("Math.hypot"), eval: Math.hypot,
  partials: (b, [x, y], h) => [b.op("div", x, h), b.op("div", y, h)], domain: [[0.5, 3], [-3, -0.5]] });
// Math.hypot(a, b, c) is not Math.hypot(Math.hypot(a, b), c) to the last bit: its own record.
def({ name: "hypot3", args: ["num", "num", "num"], result: "num", js: call("Math.hypot"), eval: Math.hypot,
  partials: (b, [x, y, z], h) => [b.op("div", x, h), b.op("div", y, h), b.op("div", z, h)],
  domain: [[0.5, 3], [-3, -0.5], [0.2, 1]] });
// Ties send the whole adjoint to the first argument (documented convention).
def({ name: "max", args: NUM2, result: "num", js: call("Math.max"), eval: Math.max,
  partials: (b, [x, y]) => {
    const first = b.op("ge", x, y);
    return [b.op("select", first, b.num(1), b.num(0)), b.op("select", first, b.num(0), b.num(1))];
  }, domain: [[-3, 3], [-3, 3]] });
def({ name: "min", args: NUM2, result: "num", js: call("Math.min"), eval: Math.min,
  partials: (b, [x, y]) => {
    const first = b.op("le", x, y);
    return [b.op("select", first, b.num(1), b.num(0)), b.op("select", first, b.num(0), b.num(1))];
  }, domain: [[-3, 3], [-3, 3]] });
def({ name: "select", args: ["bool", "num", "num"], result: "num",
  js: (a) => `(${a[0]} ? ${a[1]} : ${a[2]})`, eval: (c, a, b) => (c ? a : b),
  partials: (b, [c]) => [undefined, b.op("select", c, b.num(1), b.num(0)), b.op("select", c, b.num(0), b.num(1))],
  jvp: (b, [, da, db], [c]) => b.op("select", c, da ?? b.num(0), db ?? b.num(0)),
  domain: [[-1, 1], [-3, 3], [-3, 3]] });

// Elementary functions.
unary("sin", (b, x) => b.op("cos", x), [-3, 3]);
unary("cos", (b, x) => b.op("neg", b.op("sin", x)), [-3, 3]);
unary("tan", (b, _x, y) => b.op("add", b.num(1), b.op("mul", y, y)), [-1.2, 1.2]);
unary("asin", (b, x) => b.op("div", b.num(1), b.op("sqrt", b.op("sub", b.num(1), b.op("mul", x, x)))), [-0.9, 0.9]);
unary("acos", (b, x) => b.op("div", b.num(-1), b.op("sqrt", b.op("sub", b.num(1), b.op("mul", x, x)))), [-0.9, 0.9]);
unary("atan", (b, x) => b.op("div", b.num(1), b.op("add", b.num(1), b.op("mul", x, x))), [-3, 3]);
unary("sinh", (b, x) => b.op("cosh", x), [-3, 3]);
unary("cosh", (b, x) => b.op("sinh", x), [-3, 3]);
unary("tanh", (b, _x, y) => b.op("sub", b.num(1), b.op("mul", y, y)), [-3, 3]);
unary("exp", (_b, _x, y) => y, [-3, 3]);
unary("expm1", (b, _x, y) => b.op("add", y, b.num(1)), [-3, 3]);
unary("log", (b, x) => b.op("div", b.num(1), x), [0.1, 5]);
unary("log1p", (b, x) => b.op("div", b.num(1), b.op("add", x, b.num(1))), [-0.9, 5]);
unary("log2", (b, x) => b.op("div", b.num(1 / Math.LN2), x), [0.1, 5]);
unary("log10", (b, x) => b.op("div", b.num(1 / Math.LN10), x), [0.1, 5]);
unary("sqrt", (b, _x, y) => b.op("div", b.num(0.5), y), [0.1, 5]);
unary("cbrt", (b, _x, y) => b.op("div", b.num(1 / 3), b.op("mul", y, y)), [0.1, 5]);
// abs'(0) = sign(0) = 0 (documented convention).
unary("abs", (b, x) => b.op("sign", x), [0.1, 3]);
step("sign", [0.1, 3]);
step("floor", [0.1, 0.9]);
step("ceil", [0.1, 0.9]);
step("round", [0.1, 0.4]);
step("trunc", [0.1, 0.9]);

// Comparisons and logic: boolean results, never active.
const cmp = (name: string, sym: string, f: (a: number, b: number) => boolean) =>
  def({ name, args: NUM2, result: "bool", js: infix(sym), eval: f });
cmp("lt", "<", (a, b) => a < b);
cmp("le", "<=", (a, b) => a <= b);
cmp("gt", ">", (a, b) => a > b);
cmp("ge", ">=", (a, b) => a >= b);
cmp("eq", "===", (a, b) => a === b);
cmp("ne", "!==", (a, b) => a !== b);
def({ name: "and", args: ["bool", "bool"], result: "bool", js: infix("&&"), eval: (a, b) => !!a && !!b });
def({ name: "or", args: ["bool", "bool"], result: "bool", js: infix("||"), eval: (a, b) => !!a || !!b });
def({ name: "not", args: ["bool"], result: "bool", js: (a) => `(!${a[0]})`, eval: (a) => !a });
