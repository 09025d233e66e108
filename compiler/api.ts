// The runtime API: grad(f) and valueAndGrad(f) compile f on first call, with no
// build step: parse f.toString() with acorn, specialise on the kinds of the
// arguments, emit JavaScript, and cache it per argument signature.
import { maxRelError, numericGradient, type NumericValue } from "../runtime/numeric.js";
import { Tape } from "../runtime/tape.js";
import { CUSTOM_RULE, stopGradient, type CustomRule } from "../runtime/custom.js";
import { batchError, cotangentError, moduleValueError, outError, outputError, vectorError } from "../runtime/checks.js";
import { describeValue, usageError } from "../runtime/errors.js";
import { CHECK_FUNCTIONS } from "./emit/checks.js";
import { derivativeBody } from "./emit/module.js";
import { KERNELS } from "./emit/js.js";
import { EXTERNS, EXTERNS_NAME } from "./lower/custom.js";
import * as kernels from "../runtime/kernels/index.js";
import { GradcError, refuse } from "./errors.js";
import { kindKey, kindOf, kindTest, type Kind } from "./kinds.js";
import { parseFunctionSource, parseFunctionText } from "./parse/acorn.js";
import { isMode, MODES } from "./modes.js";
import { mathFunctionName, mathFunctionText, notComposable, PAIR_HINT, wrapperParams } from "./derived.js";
import { checkClosure, closureIdentity, closureKey, closureKind, closureValues } from "./closure-option.js";
import { checkedSchedule, parameterNames, resolveWrt } from "./request-options.js";
import type { ResolveFn, SourceFn } from "./parse/source.js";
import type { JacobianMode, Mode } from "./request.js";
import type { GradCheckOptions, GradCheckReport, GradOptions, JacobianOptions, OutputOptions, ScalarFn, Shaped, VectorFn, WrtOf, WrtSpec } from "./api-types.js";

/**
 * `(...args) => gradient`, shaped like the wrt argument(s). With `output: k`, f may return
 * a typed array: the gradient is that of its entry k (negative: from the end), and no
 * other entry's adjoint is computed.
 */
export function grad<F extends VectorFn, const W extends WrtOf<F> | undefined = undefined>(f: F, opts: OutputOptions<W>): (...args: Parameters<F>) => Shaped<F, W>;
export function grad<F extends ScalarFn, const W extends WrtOf<F> | undefined = undefined>(f: F, opts?: GradOptions<W>): (...args: Parameters<F>) => Shaped<F, W>;
export function grad(f: VectorFn, opts: GradOptions = {}): unknown {
  return derivative(f, opts, "grad");
}

/** `(...args) => [value, gradient]` (with `output: k`, the value is entry k of f's result). */
export function valueAndGrad<F extends VectorFn, const W extends WrtOf<F> | undefined = undefined>(f: F, opts: OutputOptions<W>): (...args: Parameters<F>) => [number, Shaped<F, W>];
export function valueAndGrad<F extends ScalarFn, const W extends WrtOf<F> | undefined = undefined>(f: F, opts?: GradOptions<W>): (...args: Parameters<F>) => [number, Shaped<F, W>];
export function valueAndGrad(f: VectorFn, opts: GradOptions = {}): unknown {
  return derivative(f, opts, "valueAndGrad");
}

/** `(...args, tangent) => [value, J·tangent]` (forward mode). */
export function jvp<F extends VectorFn, const W extends WrtOf<F> | undefined = undefined>(f: F, opts: GradOptions<W> = {}): (...args: [...Parameters<F>, tangent: Shaped<F, W>]) => [ReturnType<F>, ReturnType<F>] {
  return derivative(f, opts, "jvp") as never;
}

/** `(...args) => [value, pullback]`, `pullback(cotangent)` returning gradients shaped as `grad` returns them. */
export function vjp<F extends VectorFn, const W extends WrtOf<F> | undefined = undefined>(f: F, opts: GradOptions<W> = {}): (...args: Parameters<F>) => [ReturnType<F>, (cotangent: ReturnType<F>) => Shaped<F, W>] {
  return derivative(f, opts, "vjp") as never;
}

/** `(...args) => Float64Array`, the m×n Jacobian, row-major. */
export function jacobian<F extends VectorFn, const W extends WrtOf<F> | undefined = undefined>(f: F, opts: JacobianOptions<W> = {}): (...args: Parameters<F>) => Float64Array {
  return derivative(f, opts, "jacobian", (opts as JacobianOptions | undefined)?.mode ?? "auto") as never;
}

/**
 * `(...args, count) => Float64Array`: `count` Jacobians in one call. Every typed-array
 * argument holds `count` items of equal length one after another (numbers and booleans
 * are the same for every item); item b's m×n Jacobian (row-major) is block b of the
 * result, `count·m·n` entries. `mode` as for jacobian.
 */
export function batchJacobian<F extends VectorFn, const W extends WrtOf<F> | undefined = undefined>(f: F, opts: JacobianOptions<W> = {}): (...args: [...Parameters<F>, count: number]) => Float64Array {
  return derivative(f, opts, "batchJacobian", (opts as JacobianOptions | undefined)?.mode ?? "auto") as never;
}

/**
 * `(...args, v) => [gradient, H·v]`, both from one forward-over-reverse sweep; with
 * `out: [g, hv]` (two buffers shaped like the gradient) they are filled and `out` returned.
 */
export function gradAndHvp<F extends ScalarFn, const W extends WrtOf<F> | undefined = undefined>(f: F, opts: GradOptions<W> = {}): (...args: [...Parameters<F>, v: Shaped<F, W>]) => [Shaped<F, W>, Shaped<F, W>] {
  return derivative(f, opts, "gradAndHvp") as never;
}

/** `(...args, v) => H·v` (forward over reverse), shaped like the wrt argument(s). */
export function hvp<F extends ScalarFn, const W extends WrtOf<F> | undefined = undefined>(f: F, opts: GradOptions<W> = {}): (...args: [...Parameters<F>, v: Shaped<F, W>]) => Shaped<F, W> {
  return derivative(f, opts, "hvp") as never;
}

/** `(...args) => Float64Array`, the n×n Hessian, row-major. */
export function hessian<F extends ScalarFn, const W extends WrtOf<F> | undefined = undefined>(f: F, opts: GradOptions<W> = {}): (...args: Parameters<F>) => Float64Array {
  return derivative(f, opts, "hessian") as never;
}

interface Specialisation {
  match: (...args: unknown[]) => boolean;
  entry: (...args: unknown[]) => unknown;
}

const OPTIONS = ["wrt", "out", "functions", "closure", "checkpoint"];
const JACOBIAN_MODES = ["forward", "reverse", "auto"];

/** Options checked when the derivative is made: an object of known names with values of the right kinds. */
function checkOptions(f: unknown, opts: unknown, mode: Mode | "gradCheck"): void {
  if (typeof f !== "function") throw usageError("not a function", `${mode}(f) takes the function to differentiate, not ${describeValue(f)}.`);
  if (opts === undefined) return;
  if (typeof opts !== "object" || opts === null || Array.isArray(opts)) {
    throw usageError("options", `${mode}(f, opts): opts must be an object such as { wrt: "x" }, not ${describeValue(opts)}.`);
  }
  const known = mode === "gradCheck" ? ["wrt", "functions", "closure", "h"] : [...OPTIONS, ...MODES[mode].options];
  for (const name in opts) {
    if (!known.includes(name)) {
      throw usageError("unknown option", `${mode}(f, opts): unknown option '${name}'${suggest(name, known)}; the options are ${known.join(", ")}.`);
    }
  }
  const o = opts as Record<string, unknown>;
  if ((mode === "jacobian" || mode === "batchJacobian") && o.mode !== undefined && !JACOBIAN_MODES.includes(o.mode as string)) {
    throw usageError("jacobian mode", `${mode}(f, opts): mode must be "forward", "reverse" or "auto", not ${JSON.stringify(o.mode) ?? describeValue(o.mode)}.`);
  }
  if (o.output !== undefined && !Number.isInteger(o.output)) {
    throw usageError("output", `${mode}(f, opts): output must be an integer, the index of the result's entry to differentiate (negative: from the end, -1 the last), not ${describeValue(o.output)}.`);
  }
  const fns = o.functions;
  if (fns !== undefined) {
    if (typeof fns !== "object" || fns === null) throw usageError("functions", `${mode}(f, opts): functions must be an object { name: fn }, not ${describeValue(fns)}.`);
    for (const name in fns) {
      const g = (fns as Record<string, unknown>)[name];
      if (typeof g !== "function") throw usageError("functions", `${mode}(f, opts): functions.${name} must be a function, not ${describeValue(g)}.`);
    }
  }
  checkClosure(o.closure, mode);
  if (o.out !== undefined && (typeof o.out !== "object" || o.out === null)) {
    throw usageError("out", `${mode}(f, opts): out must be a buffer shaped like the result (a typed array, an object of them, or an array of those), not ${describeValue(o.out)}.`);
  }
  if (mode === "gradCheck" && o.h !== undefined && !(typeof o.h === "number" && o.h > 0)) {
    throw usageError("h", `gradCheck(f, args, opts): h must be a positive number, not ${describeValue(o.h)}.`);
  }
}

/** " (did you mean 'wrt'?)" for a name close to a known one. */
function suggest(name: string, known: string[]): string {
  const sorted = (w: string) => [...w.toLowerCase()].sort().join("");
  const close = known.find((k) => sorted(k) === sorted(name) || k.toLowerCase() === name.toLowerCase() || (k.length > 3 && name.toLowerCase().startsWith(k.slice(0, 3).toLowerCase())));
  return close ? ` (did you mean '${close}'?)` : "";
}

/**
 * The returned function has f's arity, checks the argument kinds of its last
 * specialisation with a few typeof/instanceof tests, and calls it; anything else
 * goes through the cache (and a compile on a new signature).
 */
function derivative(f: VectorFn, opts: GradOptions, mode: Mode, jacobianMode?: JacobianMode): (...args: any[]) => unknown {
  checkOptions(f, opts, mode);
  opts ??= {};
  // Everything is cached on f itself: `grad(f)` called again (say, inside a loop) returns the same function.
  const output = (opts as OutputOptions).output;
  const request = `${mode}|${jacobianMode ?? ""}|${output ?? ""}|${JSON.stringify(opts.wrt ?? null)}|${functionsKey(opts.functions)}|${closureKey(closureValues(opts.closure))}|${JSON.stringify(checkedSchedule(opts.checkpoint, (m) => usageError("checkpoint", m)) ?? null)}`;
  let cache = compiled.get(f);
  if (!cache) compiled.set(f, (cache = { modules: new Map(), derivatives: new Map() }));
  // A derivative reads its opts.closure object on every call: one derivative per object.
  const made = `${request}|${closureIdentity(opts.closure)}`;
  let byOut = cache.derivatives.get(made);
  if (!byOut) cache.derivatives.set(made, (byOut = { withOut: new WeakMap() }));
  const out = opts.out;
  const known = typeof out === "object" && out !== null ? byOut.withOut.get(out) : out === undefined ? byOut.plain : undefined;
  if (known) return known;
  const d = makeDerivative(f, opts, mode, request, cache.modules, jacobianMode);
  if (typeof out === "object" && out !== null) byOut.withOut.set(out, d);
  else if (out === undefined) byOut.plain = d;
  return d;
}

function makeDerivative(
  f: VectorFn, opts: GradOptions, mode: Mode, request: string,
  modules: Map<string, string>, jacobianMode?: JacobianMode,
): (...args: any[]) => unknown {
  const fn = sourceOf(f);
  const resolve = functionResolver(reachableFunctions(f, opts.functions ?? {}));
  const { wrt, list } = wrtOf(fn, opts.wrt);
  const closure = closureValues(opts.closure);
  const closureData = closure?.data ?? [];
  const arity = fn.node.params.length;
  const mine = new Map<string, Specialisation>();
  // What the arguments of the first call were, for messages when a later call differs.
  let first: string[] | undefined;
  const call = `${mode}(${fn.name})`;
  const specialise = (args: unknown[]): Specialisation => {
    const now = args.map(describeValue);
    first ??= now;
    try {
      const kinds = args.map((a, i) => (i < arity ? checkedKind(fn, a, i) : closureKind(fn, closureData[i - arity], a)));
      const left = wrt.find((w) => kinds[w].k === "absent");
      if (left !== undefined) {
        throw usageError("wrt", `${call}: wrt names ${paramLabel(fn, left)}, but this call leaves it out (so it takes its default value): pass ${paramLabel(fn, left)} to get the derivative with respect to it.`);
      }
      const key = `${request}|${kinds.map(kindKey).join("|")}`;
      let spec = mine.get(key);
      if (!spec) {
        // The generated text is shared; each derivative function instantiates its own code.
        let body = modules.get(key);
        if (body === undefined) modules.set(key, (body = derivativeBody({ fn, resolve, kinds, wrt, wrtIsList: list, mode, jacobianMode, checkpoint: opts.checkpoint, output: (opts as OutputOptions).output, closure })));
        const entry = instantiate(body);
        spec = { entry, match: matcher(kinds) };
        mine.set(key, spec);
      }
      if (opts.out !== undefined && !list && kinds[wrt[0]].k === "num" && (MODES[mode].out === "wrt" || MODES[mode].out === "pair")) {
        const what = mode === "hvp" ? "Hessian-vector product" : mode === "gradAndHvp" ? "gradient (and H·v)" : "gradient";
        throw usageError("out", `${call}: out is given, but the ${what} with respect to ${paramName(fn, wrt[0])} is a number: there is no buffer to fill (leave out out).`);
      }
      return spec;
    } catch (caught) {
      const e = caught instanceof GradcError ? renamedHelper(caught, fn, opts.functions) : caught;
      // A call whose arguments differ from the first call's: say so, with why this one cannot be compiled.
      const changed = now.findIndex((d, i) => kindPart(first![i]) !== kindPart(d));
      if (e instanceof GradcError && changed >= 0) {
        const name = changed < arity ? paramLabel(fn, changed) : `opts.closure.${closureData[changed - arity]}`;
        throw new GradcError(e.construct, `argument ${name} was ${first[changed]} at the first call, now ${now[changed]}. ${e.detail}`, e.file, e.position, e.frame);
      }
      throw e;
    }
  };
  // opts.closure's data, read on every call, is passed after f's arguments.
  const reads = closureData.map((n, k) => `c${k} = closure[${JSON.stringify(n)}]`);
  const params = [...fn.node.params.map((_, i) => `a${i}`), ...closureData.map((_, k) => `c${k}`)].join(", ");
  const own = fn.node.params.map((_, i) => `a${i}`).join(", ");
  // A tangent or vector after f's arguments (jvp, hvp).
  const all = [params, ...Array.from({ length: MODES[mode].extra }, (_, i) => `e${i}`)].filter(Boolean).join(", ");
  const name = `${safeName(fn.name)}_${mode}`;
  // match/entry live in the closure: a call is one kind check and one direct call. The
  // entry checks out, the tangent or direction and the cotangent itself. A number-valued
  // jvp has no out to fill: that is reported after the call.
  const invoke = `entry(${all ? `${all}, ` : ""}out)`;
  const scalarJvpOut = mode === "jvp" && opts.out !== undefined;
  const signature = [own, ...Array.from({ length: MODES[mode].extra }, (_, i) => `e${i}`)].filter(Boolean).join(", ");
  const body = `let match = () => false, entry;
return function ${name}(${signature}) {
${reads.length ? `  const ${reads.join(", ")};\n` : ""}  if (!match(${params})) ({ match, entry } = specialise([${params}]));
${scalarJvpOut ? `  const r = ${invoke};\n  if (typeof r[1] === "number") noTangentOut();\n  return r;` : `  return ${invoke};`}
};`;
  const noTangentOut = () => {
    throw usageError("out", `${call}: out is ${describeValue(opts.out)}, but the tangent of the result is a number (there is no buffer to fill: leave out out).`);
  };
  // Its own code per derivative, so its call sites stay monomorphic.
  const d = compileFunction(["specialise", "out", "noTangentOut", "closure"], body)(specialise, opts.out, noTangentOut, opts.closure);
  // What it is, so that differentiating it composes derivatives (grad(grad(f))).
  const made: Derived = { f, mode, wrt, list, jacobianMode, output: (opts as OutputOptions).output, functions: opts.functions ?? {} };
  Object.defineProperty(d, DERIVED, { value: made });
  return d;
}

const DERIVED = Symbol("gradc.derived");

/** A derivative made by gradc's API: of f, in mode, with respect to wrt, f's helpers in functions. */
interface Derived {
  f: Function;
  mode: Mode;
  wrt: number[];
  list: boolean;
  jacobianMode?: JacobianMode;
  /** grad's `output` option. */
  output?: number;
  functions: Record<string, Function>;
}

/** The rule customJvp/customVjp attached to f, if any. */
function customOf(f: unknown): CustomRule | undefined {
  return typeof f === "function" ? (f as unknown as Record<symbol, CustomRule | undefined>)[CUSTOM_RULE] : undefined;
}

function derivedOf(f: unknown): Derived | undefined {
  return typeof f === "function" ? (f as unknown as Record<symbol, Derived | undefined>)[DERIVED] : undefined;
}

/**
 * The source gradc differentiates for f: f's own; for a Math function, `function tanh(x) {
 * return Math.tanh(x); }`; for a derivative gradc made, `function grad_f(x) { return grad(f,
 * { wrt: 0 })(x); }`, whose f is found among reachableFunctions (compiler/derived.ts).
 */
function sourceOf(f: Function): SourceFn {
  const math = mathFunctionName(f);
  if (math) return parseFunctionText(mathFunctionText(math), math);
  const custom = customOf(f);
  if (custom) {
    // Differentiated itself: the function calling it, so that the call takes the rule.
    const local = localName(f);
    const params = wrapperParams((readableSource(custom.f) ?? blackBoxSource(custom.f, local)).node, "grad", new Set([local])).join(", ");
    return parseFunctionText(`function ${local}_custom(${params}) { return ${local}(${params}); }`, local);
  }
  const d = derivedOf(f);
  if (!d) return parsed(f);
  const why = notComposable(d.mode, localName(d.f));
  if (why) throw usageError(`derivative of ${d.mode}`, `${why} ${PAIR_HINT}`);
  if (d.output !== undefined) {
    throw usageError(`derivative of ${d.mode} with output`, `${d.mode}(${localName(d.f)}, { output: ${d.output} }) cannot be differentiated again yet: write a function returning entry ${d.output} of the result as a number, and differentiate its ${d.mode}.`);
  }
  const inner = sourceOf(d.f);
  const local = localName(d.f);
  const params = wrapperParams(inner.node, d.mode, new Set([local, d.mode])).join(", ");
  const wrt = JSON.stringify(d.list ? d.wrt : d.wrt[0]);
  return parseFunctionText(`function ${d.mode}_${local}(${params}) { return ${d.mode}(${local}, { wrt: ${wrt} })(${params}); }`, `${d.mode}_${local}`);
}

/** f's source, or undefined for a function whose source is not readable (native, bound, WebAssembly). */
function readableSource(f: Function): SourceFn | undefined {
  try {
    return sourceOf(f);
  } catch (e) {
    if (e instanceof GradcError && e.construct === "native function") return undefined;
    throw e;
  }
}

/** A stand-in for a black box's source: `function name(x0, …) {}` with its arity (f.length). */
function blackBoxSource(f: Function, name: string): SourceFn {
  const params = Array.from({ length: f.length }, (_, i) => `x${i}`).join(", ");
  return { ...parseFunctionText(`function ${safeName(name)}(${params}) { return NaN; }`, name), name };
}

/** The name a derivative's wrapper calls its target by. */
function localName(f: Function): string {
  const name = mathFunctionName(f) ?? f.name;
  return /^[A-Za-z_$][\w$]*$/.test(name) && !isMode(name) && name !== "Math" ? name : "f";
}

/**
 * The functions a compile may call by name: opts.functions, and for derivatives gradc made
 * (f itself, or one given in opts.functions) their targets and their own opts.functions.
 * Two different functions under one name are refused: gradc would not know which is meant.
 */
function reachableFunctions(f: Function, functions: Record<string, Function>): Record<string, Function> {
  const all: Record<string, Function> = {};
  const add = (name: string, g: Function): void => {
    if (Object.prototype.hasOwnProperty.call(all, name)) {
      if (all[name] === g) return;
      throw usageError("functions", `Two different functions are called '${name}' here (in opts.functions and in a derivative made by gradc that f uses): rename one of them, or pass it under another name.`);
    }
    all[name] = g;
    reach(g);
  };
  const reach = (g: Function): void => {
    if (customOf(g) && g === f) add(localName(g), g);
    const d = derivedOf(g);
    if (!d) return;
    add(localName(d.f), d.f);
    for (const [name, h] of Object.entries(d.functions)) add(name, h);
  };
  reach(f);
  for (const [name, g] of Object.entries(functions)) add(name, g);
  return all;
}

type Derivative = (...args: any[]) => unknown;

interface Compiled {
  /** Generated module text by request and argument kinds. */
  modules: Map<string, string>;
  /** Derivative functions by request, then by `out` buffer (held weakly). */
  derivatives: Map<string, { plain?: Derivative; withOut: WeakMap<object, Derivative> }>;
}

const compiled = new WeakMap<Function, Compiled>();
const sources = new WeakMap<Function, SourceFn>();
const functionIds = new WeakMap<Function, number>();
let nextFunctionId = 1;

function parsed(f: Function): SourceFn {
  let fn = sources.get(f);
  if (!fn) sources.set(f, (fn = parseFunctionSource(f)));
  return fn;
}

/** Identity of the opts.functions a compile depended on. */
function functionsKey(functions: Record<string, Function> | undefined): string {
  if (!functions) return "";
  return Object.keys(functions).sort().map((name) => {
    const f = functions[name];
    let id = functionIds.get(f);
    if (id === undefined) functionIds.set(f, (id = nextFunctionId++));
    return `${name}:${id}`;
  }).join(",");
}


/** A function of the argument list that is true when the arguments have these kinds. */
function matcher(kinds: Kind[]): (...args: unknown[]) => boolean {
  const params = kinds.map((_, i) => `a${i}`);
  return compileFunction(params, `return ${kinds.map((k, i) => kindTest(k, params[i])).join(" && ") || "true"};`) as (...args: unknown[]) => boolean;
}

/** A parameter's name (`#2` for a pattern), and as messages quote it (`'x'`, `#2`). */
function paramName(fn: SourceFn, index: number): string {
  return parameterNames(fn.node)[index] ?? `#${index + 1}`;
}

function paramLabel(fn: SourceFn, index: number): string {
  const name = paramName(fn, index);
  return name.startsWith("#") ? name : `'${name}'`;
}

/** The kind part of a value description ("a Float64Array(3)" → "a Float64Array"): lengths alone do not make a new signature. */
function kindPart(d: string): string {
  return d.replace(/\(\d+\)$/, "");
}

function checkedKind(fn: SourceFn, value: unknown, index: number): Kind {
  const p = fn.node.params[index];
  // Left out (or undefined) where the parameter has a default value: that specialisation computes the default.
  if (value === undefined && p?.type === "AssignmentPattern") return { k: "absent" };
  const kind = kindOf(value);
  if (typeof kind === "string") {
    const name = paramLabel(fn, index);
    if (value === undefined) {
      const names = fn.node.params.map((_, i) => paramName(fn, i));
      throw refuse(fn.source, p ?? fn.node, "missing argument", `Argument ${name} of ${fn.name} is missing (${fn.name} takes ${names.join(", ")}).`, fn.node.params.some((q) => q.type === "AssignmentPattern") ? "Pass every parameter that has no default value." : "Pass every parameter.");
    }
    throw refuse(fn.source, p ?? fn.node, "argument kind", `Argument ${name} of ${fn.name} is ${kind}.`,
      "Arguments must be numbers, number[], Float64Array, Float32Array, integer typed arrays, booleans or boolean[] (data, not differentiated), or Arrays and objects of those (nested too).");
  }
  return kind;
}

function wrtOf(fn: SourceFn, spec: WrtSpec | undefined): { wrt: number[]; list: boolean } {
  return resolveWrt(spec, fn.name, parameterNames(fn.node), (message, name) =>
    usageError("wrt", name === undefined ? message : `${message} ${transformedHint(fn, "wrt by index (wrt: 0 for the first parameter)")}`));
}

/** What to say when a name f should have is missing: f's source may have been renamed by a tool. */
function transformedHint(fn: SourceFn, instead: string): string {
  const names = fn.node.params.map((p, i) => (p.type === "Identifier" ? p.name : `#${i}`));
  return `If ${fn.name} was written with that name, its source looks transformed (renamed parameters and functions, e.g. by a minifier or by esbuild/tsx): ` +
    `it has the parameters ${names.join(", ") || "(none)"}. Pass ${instead}, keep the names (turn off identifier minification, or esbuild's keepNames for function names), or compile with the build path (gradc build).`;
}

/** An unknown helper while opts.functions names others: likely renamed by a tool. */
function renamedHelper(e: GradcError, fn: SourceFn, functions: Record<string, Function> | undefined): GradcError {
  const given = Object.keys(functions ?? {});
  const name = /^unknown function (.+)$/.exec(e.construct)?.[1];
  if (!name || given.length === 0) return e;
  const detail = `${e.detail} opts.functions has ${given.join(", ")}, but not '${name}'. ${transformedHint(fn, `each helper under the name the source calls it by ({ ${name}: helper })`)}`;
  return new GradcError(e.construct, detail, e.file, e.position, e.frame);
}

/** A derivative's entry from its generated body (derivativeBody), passed what the body expects: Tape, the kernels, the externs and the checks. */
export function instantiate(body: string): (...args: unknown[]) => unknown {
  return compileFunction(["Tape", KERNELS, EXTERNS_NAME, ...CHECK_FUNCTIONS], body)(Tape, kernels, EXTERNS, outError, vectorError, cotangentError, batchError, outputError, moduleValueError);
}

/**
 * `new Function(...params, body)`: the run-time path's only use of eval. Under a
 * Content-Security-Policy without 'unsafe-eval' it throws an EvalError, reported as
 * a GradcError saying what to use instead.
 */
export function compileFunction(params: string[], body: string): Function {
  try {
    return new Function(...params, body);
  } catch (e) {
    if (!(e instanceof EvalError)) throw e;
    throw new GradcError("eval (Content-Security-Policy)",
      `The run-time path (grad(f) and the like) compiles derivatives with new Function, which this page's Content-Security-Policy forbids (no 'unsafe-eval'): ${e.message.replace(/\.?\s*$/, "")}. ` +
      "Compile them ahead of time with the build path (gradc build, or the bundler plugin) and import the generated module instead.", "gradc", undefined, "");
  }
}

const CHECKPOINTED = Symbol("gradc.checkpoint");

/**
 * Marks `fn` for checkpointing: a differentiated function that calls the returned
 * function keeps only the state it enters with, and recomputes its internals during
 * the backward sweep instead of recording them. The returned function computes the
 * same as `fn`; pass it in `functions` for run-time compiles (at build time, declare
 * `const name = checkpoint(function … )` at the top level of the module).
 */
export function checkpoint<F extends (...args: any[]) => any>(fn: F): F {
  const marked = function (this: unknown, ...args: unknown[]) {
    return fn.apply(this, args);
  } as unknown as F;
  Object.defineProperty(marked, CHECKPOINTED, { value: fn });
  Object.defineProperty(marked, "name", { value: fn.name });
  return marked;
}

/** Runtime kernels by identity: passed in opts.functions, they are calls of kernels, not inlined. */
const KERNEL_NAMES = new Map<unknown, string>(Object.entries(kernels).map(([name, f]) => [f, name]));

function functionResolver(functions: Record<string, Function>): ResolveFn {
  const byName = new Map<string, SourceFn>();
  return (name) => {
    const f = Object.prototype.hasOwnProperty.call(functions, name) ? functions[name] : undefined;
    if (typeof f !== "function") return undefined;
    if (f === stopGradient) {
      // Recognised by its name inside f: lowering takes an unresolved `stopGradient(…)` for it.
      if (name === "stopGradient") return undefined;
      throw usageError("functions", `opts.functions.${name} is gradc's stopGradient: call it by its own name inside the function, stopGradient(…), where gradc recognises it (leave it out of opts.functions).`);
    }
    const kernel = KERNEL_NAMES.get(f);
    if (kernel) return { kernel };
    if (mathFunctionName(f) || derivedOf(f)) return { ...sourceOf(f), name };
    const custom = customOf(f);
    if (custom) {
      const rule = { ...sourceOf(custom.rule), name: `${name}_${custom.kind}` };
      const readable = readableSource(custom.f);
      if (readable) return { ...readable, name, custom: { kind: custom.kind, rule } };
      // A black box: called, never read; its parameters are only counted.
      return { ...blackBoxSource(custom.f, name), custom: { kind: custom.kind, rule, extern: custom.f } };
    }
    const inner = (f as unknown as Record<symbol, Function | undefined>)[CHECKPOINTED];
    if (inner) return { ...parsed(inner as ScalarFn), name, checkpoint: true };
    let p = byName.get(name);
    if (!p) {
      p = { ...parsed(f), name };
      byName.set(name, p);
    }
    return p;
  };
}

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_$]/g, "_") || "f";
}

/** Compares gradc's gradient of f at `args` with central differences, per wrt parameter. */
export function gradCheck<F extends ScalarFn, const W extends WrtOf<F> | undefined = undefined>(f: F, args: Parameters<F>, opts: GradCheckOptions<W> = {}): GradCheckReport {
  checkOptions(f, opts, "gradCheck");
  if (!Array.isArray(args)) throw usageError("arguments", `gradCheck(f, args): args must be an array of f's arguments, not ${describeValue(args)}.`);
  const fn = sourceOf(f);
  const { wrt, list } = wrtOf(fn, opts.wrt);
  const [value, g] = valueAndGrad(f, { wrt: opts.wrt, functions: opts.functions })(...args);
  const grads = list ? (g as unknown[]) : [g];
  const errors: Record<string, number> = {};
  wrt.forEach((w, j) => {
    const p = fn.node.params[w];
    const name = p.type === "Identifier" ? p.name : `#${w}`;
    const numeric: NumericValue = numericGradient(f, args, w, { h: opts.h });
    errors[name] = maxRelError(grads[j], numeric);
  });
  return { value, errors, maxError: Math.max(...Object.values(errors)) };
}
