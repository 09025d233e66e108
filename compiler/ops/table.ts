// The op table: one record per primitive. Each record gives the op's types, its
// JavaScript form, its evaluation (for folding and tests), its partial derivatives
// written with the IR builder (so derivative code can be differentiated again) and
// the domain its rule is checked on. Both reverse mode (adjoint = g * partial) and
// forward mode (tangent = sum of partial * tangent) read the same partials.
//
// Singular points, one rule for every mode: where a partial's formula gives 0/0 or ±∞
// (atan2 at the origin, sqrt at 0, division by 0, …), the record selects a finite,
// documented value instead (0, unless a finite limit exists), so a zero tangent or a
// zero adjoint contributes exactly 0 — forward and reverse read the same partials and
// agree there. The guard is a compare and a select, only on the records whose formula
// can be singular; the selected value is a constant, so the partial's own derivative
// (second order) is 0 at that point too. Each record lists its singular points with the
// partials used there (`singular`); test/singular-points.test.ts checks them all.
import type { Builder, Factor } from "../ir/builder.js";
import type { Temp, Type } from "../ir/types.js";
import type { BlackBox } from "../parse/source.js";

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
  /**
   * Points where the partials' formula is singular (0/0, ±∞) or the function has a
   * kink, with the partials used there (finite: a zero tangent or adjoint contributes
   * exactly 0). Required (possibly empty) on every record with partials.
   */
  singular?: Singular[];
  /**
   * The op stops the derivative: its value is its argument, its derivative 0 in every
   * mode by definition, not the derivative of its value (stopGradient). Such a record has
   * no partials, and allOps() leaves it out: the central-difference checks of the table
   * test do not apply to it (test/language.test.ts checks it in every mode).
   */
  stopsGradient?: true;
  /**
   * A record made while lowering for a function with a custom rule (customJvp/customVjp):
   * its partials inline the user's rule. Left out of allOps(), like the gradient stops
   * (test/custom-rules.test.ts checks them).
   */
  custom?: true;
  /** A call of a black box on the build path (lower/custom.ts): never folded; the generated module imports it. */
  blackBox?: BlackBox;
}

export interface Singular {
  at: number[];
  partials: number[];
}

const ops = new Map<string, OpDef>();

export function opDef(name: string): OpDef {
  const def = ops.get(name);
  if (!def) throw new Error(`gradc internal error: no op '${name}' in the op table`);
  return def;
}

/** The records whose partials are the derivatives of their values (every record but the gradient stops). */
export function allOps(): OpDef[] {
  return [...ops.values()].filter((d) => !d.stopsGradient && !d.custom);
}

/** Registers the op of a custom rule (made while lowering, under a name of its own). */
export function defineCustomOp(d: OpDef & { custom: true }): void {
  ops.set(d.name, d);
}

/** The records that stop the derivative (value: the argument; derivative: 0). */
export function gradientStops(): OpDef[] {
  return [...ops.values()].filter((d) => d.stopsGradient);
}

function def(d: OpDef): void {
  ops.set(d.name, d);
}

const NUM1: Type[] = ["num"];
const NUM2: Type[] = ["num", "num"];
const call = (fn: string) => (a: string[]) => `${fn}(${a.join(", ")})`;
const infix = (sym: string) => (a: string[]) => `(${a[0]} ${sym} ${a[1]})`;

/** A unary Math function with derivative `d(b, x, y)`, singular at `singular` (x, partial). */
function unary(
  name: string, d: (b: Builder, x: Temp, y: Temp) => Factor, domain: [number, number],
  singular: [number, number][] = [],
): void {
  const fn = (Math as unknown as Record<string, (x: number) => number>)[name];
  def({
    name, args: NUM1, result: "num", js: call(`Math.${name}`), eval: fn,
    partials: (b, [x], y) => [d(b, x, y)], domain: [domain],
    singular: singular.map(([at, p]) => ({ at: [at], partials: [p] })),
  });
}

/** `value` where `cond` holds (a singular point of the formula), `formula` elsewhere. */
function guard(b: Builder, cond: Temp, value: number, formula: Temp): Temp {
  return b.op("select", cond, b.num(value), formula);
}

/** `num / den`, 0 where `den` is 0 (the singular point of every `c / f(x)` partial). */
function safeDiv(b: Builder, num: Factor, den: Temp): Temp {
  return guard(b, b.op("eq", den, b.num(0)), 0, b.op("div", b.factor(num), den));
}

/** A piecewise-constant unary Math function: derivative 0 wherever it exists. */
function step(name: string, domain: [number, number]): void {
  const fn = (Math as unknown as Record<string, (x: number) => number>)[name];
  def({ name, args: NUM1, result: "num", js: call(`Math.${name}`), eval: fn, domain: [domain] });
}

// Arithmetic.
def({ name: "add", args: NUM2, result: "num", js: infix("+"), eval: (a, b) => a + b,
  partials: () => [1, 1], domain: [[-3, 3], [-3, 3]], singular: [] });
def({ name: "sub", args: NUM2, result: "num", js: infix("-"), eval: (a, b) => a - b,
  partials: () => [1, -1], domain: [[-3, 3], [-3, 3]], singular: [] });
def({ name: "mul", args: NUM2, result: "num", js: infix("*"), eval: (a, b) => a * b,
  partials: (_b, [x, y]) => [y, x], domain: [[-3, 3], [-3, 3]], singular: [] });
// a / 0: both partials 0 (the formulas give ±∞ or NaN; the value is ±∞ or NaN).
def({ name: "div", args: NUM2, result: "num", js: infix("/"), eval: (a, b) => a / b,
  partials: (b, [, d], q) => [safeDiv(b, 1, d), safeDiv(b, b.op("neg", q), d)],
  domain: [[-3, 3], [0.5, 3]],
  singular: [{ at: [1, 0], partials: [0, 0] }, { at: [0, 0], partials: [0, 0] }, { at: [-2, 0], partials: [0, 0] }] });
// x % 0 (NaN): the partial in m is 0 instead of -trunc(x / 0) = ∓∞ (or NaN at x = 0).
def({ name: "mod", args: NUM2, result: "num", js: infix("%"), eval: (a, b) => a % b,
  partials: (b, [x, m]) => [1, guard(b, b.op("eq", m, b.num(0)), 0, b.op("neg", b.op("trunc", b.op("div", x, m))))],
  domain: [[0.1, 0.9], [1.2, 3]],
  singular: [{ at: [1, 0], partials: [1, 0] }, { at: [0, 0], partials: [1, 0] }] });
def({ name: "neg", args: NUM1, result: "num", js: (a) => `(-${a[0]})`, eval: (a) => -a,
  partials: () => [-1], domain: [[-3, 3]], singular: [] });
// x ** e. d/dx = e·x^(e-1) is singular only at x = 0 with e < 1 (∞, or 0·∞ at e = 0):
// 0 there; at x = 0 with e >= 1 the formula is finite and used (1 at e = 1, 0 above), so
// x ** 2 keeps its second derivative 2 at 0. d/de = y·log(x) is singular for x <= 0: 0
// there (exact at x = 0, e > 0, where 0 ** e is 0 for all e). The formulas run on x = 1
// at those points so that their intermediates stay finite (reverse over reverse).
def({ name: "pow", args: NUM2, result: "num", js: infix("**"), eval: (a, b) => a ** b,
  partials: (b, [x, e], y) => {
    const one = b.num(1);
    const bad = b.op("and", b.op("eq", x, b.num(0)), b.op("lt", e, one));
    const dx = b.op("mul", e, b.op("pow", b.op("select", bad, one, x), b.op("sub", e, one)));
    const nonpos = b.op("le", x, b.num(0));
    const de = b.op("mul", y, b.op("log", b.op("select", nonpos, one, x)));
    return [guard(b, bad, 0, dx), guard(b, nonpos, 0, de)];
  }, domain: [[0.2, 3], [-2, 2]],
  singular: [
    { at: [0, 0.5], partials: [0, 0] }, { at: [0, 0], partials: [0, 0] }, { at: [0, -1], partials: [0, 0] },
    { at: [0, 1], partials: [1, 0] }, { at: [0, 2], partials: [0, 0] }, { at: [0, 3], partials: [0, 0] },
    { at: [-2, 2], partials: [-4, 0] }, { at: [-2, 3], partials: [12, 0] },
  ] });
// atan2 at the origin: both partials 0 (x/r², -y/r² are 0/0; the value jumps there).
def({ name: "atan2", args: NUM2, result: "num", js: call("Math.atan2"), eval: Math.atan2,
  partials: (b, [y, x]) => {
    const r2 = b.op("add", b.op("mul", x, x), b.op("mul", y, y));
    return [safeDiv(b, x, r2), safeDiv(b, b.op("neg", y), r2)];
  }, domain: [[-3, 3], [0.5, 3]],
  singular: [{ at: [0, 0], partials: [0, 0] }] });
// hypot at 0: partials 0 (x/h is 0/0), as abs'(0) = 0.
def({ name: "hypot", args: NUM2, result: "num", js: call("Math.hypot"), eval: Math.hypot,
  partials: (b, [x, y], h) => [safeDiv(b, x, h), safeDiv(b, y, h)],
  domain: [[0.5, 3], [-3, -0.5]],
  singular: [{ at: [0, 0], partials: [0, 0] }] });
// Math.hypot(a, b, c) is not Math.hypot(Math.hypot(a, b), c) to the last bit: its own record.
def({ name: "hypot3", args: ["num", "num", "num"], result: "num", js: call("Math.hypot"), eval: Math.hypot,
  partials: (b, [x, y, z], h) => [x, y, z].map((c) => safeDiv(b, c, h)),
  domain: [[0.5, 3], [-3, -0.5], [0.2, 1]],
  singular: [{ at: [0, 0, 0], partials: [0, 0, 0] }] });
// Ties send the whole adjoint to the first argument (documented convention).
def({ name: "max", args: NUM2, result: "num", js: call("Math.max"), eval: Math.max,
  partials: (b, [x, y]) => {
    const first = b.op("ge", x, y);
    return [b.op("select", first, b.num(1), b.num(0)), b.op("select", first, b.num(0), b.num(1))];
  }, domain: [[-3, 3], [-3, 3]], singular: [{ at: [1, 1], partials: [1, 0] }, { at: [0, 0], partials: [1, 0] }] });
def({ name: "min", args: NUM2, result: "num", js: call("Math.min"), eval: Math.min,
  partials: (b, [x, y]) => {
    const first = b.op("le", x, y);
    return [b.op("select", first, b.num(1), b.num(0)), b.op("select", first, b.num(0), b.num(1))];
  }, domain: [[-3, 3], [-3, 3]], singular: [{ at: [1, 1], partials: [1, 0] }, { at: [0, 0], partials: [1, 0] }] });
def({ name: "select", args: ["bool", "num", "num"], result: "num",
  js: (a) => `(${a[0]} ? ${a[1]} : ${a[2]})`, eval: (c, a, b) => (c ? a : b),
  partials: (b, [c]) => [undefined, b.op("select", c, b.num(1), b.num(0)), b.op("select", c, b.num(0), b.num(1))],
  jvp: (b, [, da, db], [c]) => b.op("select", c, da ?? b.num(0), db ?? b.num(0)),
  domain: [[-1, 1], [-3, 3], [-3, 3]], singular: [] });

// Elementary functions. Where a derivative formula is ±∞ or 0/0 (asin/acos at ±1,
// log at 0, sqrt and cbrt at 0, acosh at 1, atanh at ±1) the partial is 0 (safeDiv).
unary("sin", (b, x) => b.op("cos", x), [-3, 3]);
unary("cos", (b, x) => b.op("neg", b.op("sin", x)), [-3, 3]);
unary("tan", (b, _x, y) => b.op("add", b.num(1), b.op("mul", y, y)), [-1.2, 1.2]);
const oneMinusSq = (b: Builder, x: Temp) => b.op("mul", b.op("sub", b.num(1), x), b.op("add", b.num(1), x));
unary("asin", (b, x) => safeDiv(b, 1, b.op("sqrt", oneMinusSq(b, x))), [-0.9, 0.9], [[1, 0], [-1, 0]]);
unary("acos", (b, x) => safeDiv(b, -1, b.op("sqrt", oneMinusSq(b, x))), [-0.9, 0.9], [[1, 0], [-1, 0]]);
unary("atan", (b, x) => b.op("div", b.num(1), b.op("add", b.num(1), b.op("mul", x, x))), [-3, 3]);
unary("sinh", (b, x) => b.op("cosh", x), [-3, 3]);
unary("cosh", (b, x) => b.op("sinh", x), [-3, 3]);
unary("tanh", (b, _x, y) => b.op("sub", b.num(1), b.op("mul", y, y)), [-3, 3]);
// 1/sqrt(x² + 1) is finite everywhere (0 where x² overflows, the limit).
unary("asinh", (b, x) => b.op("div", b.num(1), b.op("sqrt", b.op("add", b.op("mul", x, x), b.num(1)))), [-3, 3]);
unary("acosh", (b, x) => safeDiv(b, 1, b.op("sqrt", b.op("mul", b.op("sub", x, b.num(1)), b.op("add", x, b.num(1))))),
  [1.1, 4], [[1, 0]]);
unary("atanh", (b, x) => safeDiv(b, 1, oneMinusSq(b, x)), [-0.9, 0.9], [[1, 0], [-1, 0]]);
unary("exp", (_b, _x, y) => y, [-3, 3]);
unary("expm1", (b, _x, y) => b.op("add", y, b.num(1)), [-3, 3]);
unary("log", (b, x) => safeDiv(b, 1, x), [0.1, 5], [[0, 0]]);
unary("log1p", (b, x) => safeDiv(b, 1, b.op("add", x, b.num(1))), [-0.9, 5], [[-1, 0]]);
unary("log2", (b, x) => safeDiv(b, 1 / Math.LN2, x), [0.1, 5], [[0, 0]]);
unary("log10", (b, x) => safeDiv(b, 1 / Math.LN10, x), [0.1, 5], [[0, 0]]);
unary("sqrt", (b, _x, y) => safeDiv(b, 0.5, y), [0.1, 5], [[0, 0]]);
unary("cbrt", (b, _x, y) => safeDiv(b, 1 / 3, b.op("mul", y, y)), [0.1, 5], [[0, 0]]);
// abs'(0) = sign(0) = 0 (documented convention).
unary("abs", (b, x) => b.op("sign", x), [0.1, 3], [[0, 0]]);
step("sign", [0.1, 3]);
step("floor", [0.1, 0.9]);
step("ceil", [0.1, 0.9]);
step("round", [0.1, 0.4]);
step("trunc", [0.1, 0.9]);
// Math.clz32 and Math.imul read their arguments as 32-bit integers: piecewise constant,
// derivative 0 (exact wherever it exists), for index and hash arithmetic.
step("clz32", [1.1, 1.9]);
def({ name: "imul", args: NUM2, result: "num", js: call("Math.imul"), eval: Math.imul, domain: [[1.1, 1.9], [2.1, 2.9]] });
// The bitwise operators convert their operands to 32-bit integers the same way: piecewise
// constant, derivative 0 (`x | 0` truncates, as C's int conversion does).
const bitwise = (name: string, sym: string, f: (a: number, b: number) => number) =>
  def({ name, args: NUM2, result: "num", js: infix(sym), eval: f, domain: [[1.1, 1.9], [2.1, 2.9]] });
bitwise("bitOr", "|", (a, b) => a | b);
bitwise("bitAnd", "&", (a, b) => a & b);
bitwise("bitXor", "^", (a, b) => a ^ b);
bitwise("shiftLeft", "<<", (a, b) => a << b);
bitwise("shiftRight", ">>", (a, b) => a >> b);
bitwise("shiftRightUnsigned", ">>>", (a, b) => a >>> b);
def({ name: "bitNot", args: NUM1, result: "num", js: (a) => `(~${a[0]})`, eval: (a) => ~a, domain: [[1.1, 1.9]] });
// Math.fround rounds to the nearest float32: a staircase whose steps are float32's
// spacing. Its derivative is taken as 1, as for rounding a value on its way into a
// Float32Array (the gradient passes through the rounding unchanged). The rule is checked
// where the steps (at most 4.5e-13 there) are far below the central-difference step.
def({ name: "fround", args: NUM1, result: "num", js: call("Math.fround"), eval: Math.fround,
  partials: () => [1], domain: [[1e-7, 4e-6]], singular: [] });

// stopGradient(x) (from "gradc"): the value x, the derivative 0 in every mode and at every
// order (no partials: its result is never active), so x is treated as a constant there.
def({ name: "stopGradient", args: NUM1, result: "num", js: (a) => a[0], eval: (x) => x, stopsGradient: true });

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
// Whether a parameter with a default value was left out (build path: the derivative code
// applies the default then). Its argument is the parameter, a number or a boolean.
for (const type of ["num", "bool"] as const) {
  def({ name: type === "num" ? "isUndefined" : "isUndefinedBool", args: [type], result: "bool", js: (a) => `(${a[0]} === undefined)`, eval: (a) => a === undefined });
}
