// Derivatives inside differentiated code: `grad(f, { wrt })(w, x)` (and
// valueAndGrad, jvp, hvp) compiles f's derivative to IR and inlines it, so the
// enclosing function is differentiated through it (MAML's gradient of a gradient:
// reverse over reverse; forward over reverse; forward over forward).
import { markChecked } from "./moves.js";
import { refuseView } from "./views.js";
import type * as ESTree from "acorn";
import { cloneBlock } from "../ir/rewrite.js";
import { isArrayType, type Func, type Temp, type Var } from "../ir/types.js";
import { kindAt, type Kind } from "../kinds.js";
import { isMode, MODES } from "../modes.js";
import { hvpIR, jvpIR, primalIR, vjpIR } from "../pipeline.js";
import { UNNAMED_ARRAY } from "./call.js";
import type { GradRequest, Mode, ModuleValue } from "../request.js";
import { parameterNames, resolveWrt } from "../request-options.js";
import { temp, type Lowerer, type Val } from "./context.js";
import { lowerExpr } from "./expr.js";
import { Scope, type Binding, type FnBinding } from "./scope.js";
import { bindingVal } from "./names.js";
import { callingWrapper, mathArity, mathParamNames, notComposable, PAIR_HINT, wrapperParams } from "../derived.js";
import type { SourceFn } from "../parse/source.js";
import { moduleBindingOf } from "./constants.js";
import { visit } from "./exits.js";
import { isGrowing } from "./list-growth.js";


/** The derivative named by a callee (`grad`, `ns.grad`, `(0, ns.grad)`), if it is one. */
export function derivativeName(callee: ESTree.Node, scope: Scope): string | undefined {
  let c = callee as ESTree.AnyNode;
  if (c.type === "SequenceExpression" && c.expressions.length === 2) c = c.expressions[1] as ESTree.AnyNode;
  if (c.type === "Identifier") {
    if (scope.lookup(c.name)) return undefined;
    // On the build path, a module-level name: gradc's import (also aliased), or not a derivative.
    const m = moduleBindingOf(c);
    if (m) return m.k === "import" && m.module === "gradc" && isMode(m.imported) ? m.imported : undefined;
    return isMode(c.name) ? c.name : undefined;
  }
  if (c.type === "MemberExpression" && !c.computed && c.property.type === "Identifier" && c.object.type === "Identifier") {
    const m = moduleBindingOf(c.object);
    if (m && !(m.k === "import" && m.module === "gradc" && m.imported === "*")) return undefined;
    return isMode(c.property.name) && !scope.lookup(c.object.name) ? c.property.name : undefined;
  }
  return undefined;
}

/** `D(f, opts)(...args)`: the derivative's value, computed by inlined derivative code. */
export function lowerDerivativeCall(L: Lowerer, node: ESTree.CallExpression, scope: Scope): Val {
  const outer = node.callee as ESTree.CallExpression;
  const mode = derivativeName(outer.callee, scope) as Mode;
  const { nested, extra } = MODES[mode];
  const matrix = mode === "jacobian" || mode === "hessian";
  if (!nested && !matrix && mode !== "vjp") {
    const nestable = [...Object.keys(MODES).filter((m) => MODES[m as Mode].nested), "vjp", "jacobian", "hessian"].join(", ");
    throw L.fail(outer.callee, `nested ${mode}`, `${mode} cannot be used inside differentiated code yet.`, `Use ${nestable} there.`);
  }
  const target = targetFunction(L, outer, scope);
  const { wrt, list } = wrtOption(L, outer, target.node, target.name);
  const arity = target.node.params.length;
  if (node.arguments.length !== arity + extra) {
    throw L.fail(node, "argument count", `${mode}(${target.name}) takes ${arity + extra} argument(s) here, not ${node.arguments.length}.`, "");
  }
  const vals = node.arguments.map((a) => {
    if (a.type === "SpreadElement") throw L.fail(a, "spread argument", "Spread arguments are not supported.", "");
    return lowerExpr(L, a, scope);
  });
  // What the target closes over is passed on after its arguments, as data: opts.closure's
  // data (as the entry passes it), and for a target declared here the values it reads of
  // the code around it (differentiated, as arguments are, by the enclosing derivative).
  const closed = new Map([...L.closureData, ...captured(L, target)]);
  const args = [...vals.slice(0, arity), ...[...closed.values()].map((b) => bindingVal(L, b))];
  const kinds = args.map((v, i) => kindOfVal(L, v, node.arguments[i] ?? node));
  const closure = { constants: L.closure?.constants ?? {}, data: [...closed.keys()], modules: moduleValuesAmong(L, closed) };
  const req: GradRequest = { fn: target, resolve: L.resolve, kinds, wrt, wrtIsList: list, mode, closure, moduleValue: L.moduleValue };
  if (matrix) return matrixCall(L, node, req, args);
  if (mode === "vjp") return vjpCall(L, node, req, args);
  return new Inliner(L, nested!(req), req, args, vals[arity]).result();
}

/** The module-level values among `closed` (those a captured local of the same name does not stand for). */
function moduleValuesAmong(L: Lowerer, closed: Map<string, Binding>): Record<string, ModuleValue> | undefined {
  const modules = L.closure?.modules;
  if (!modules) return undefined;
  return Object.fromEntries(Object.entries(modules).filter(([name]) => closed.get(name) === L.closureData.get(name)));
}

/** Numbers, arrays and objects of the code around it that a target declared there names (not its own parameters). */
function captured(L: Lowerer, target: SourceFn): Map<string, Binding> {
  const found = new Map<string, Binding>();
  const own = new Set(parameterNames(target.node));
  const around = target.outer;
  if (!around) return found;
  visit(target.node.body, (n) => {
    if (n.type !== "Identifier" || own.has(n.name) || found.has(n.name)) return;
    const b = around.lookup(n.name);
    if (b?.k === "view") throw capturedView(L, n as ESTree.Identifier, target, isGrowing(b));
    if (b && (b.k === "arr" || b.k === "obj" || (b.k === "scalar" && b.v?.type !== "bool"))) found.set(n.name, b);
  });
  return found;
}

/**
 * A derivative's target declared in the loss reads a view or an Array growing by push of
 * the code around it: its derivative code takes what it reads as whole arrays, and
 * gradc resolves views (a growing Array is one, of its room) as ranges of another array.
 */
function capturedView(L: Lowerer, use: ESTree.Identifier, target: SourceFn, growing: boolean): Error {
  const { name } = use;
  const what = growing ? `an Array that grows by push` : "a view (made by .subarray())";
  const why = growing ? "gradc keeps such an Array as a range of a larger buffer, with room to grow" : "gradc resolves views as ranges of the array they view";
  return L.fail(use, growing ? "growing array read by a derivative's target" : "view read by a derivative's target",
    `'${target.name}' is differentiated here and reads '${name}', ${what}, of the code around it: the derivative code of '${target.name}' takes what it reads as whole arrays, and ${why}, not whole arrays.`,
    `Copy it where '${target.name}' is declared (const ${name}Copy = ${name}.slice()${growing ? ", after the last push" : ""}) and read the copy, or pass it to '${target.name}' as an argument.`);
}

/**
 * `jacobian(f)(x…)` and `hessian(f)(x…)` inside differentiated code, for one wrt
 * parameter (a number or a typed array of n entries): the m×n (n×n) matrix, row-major,
 * one column per forward sweep (jvp along eⱼ), or one row per Hessian-vector product
 * (along eᵢ), in a loop over j (i). For the Jacobian, m comes from a first run of f.
 */
function matrixCall(L: Lowerer, call: ESTree.CallExpression, req: GradRequest, args: Val[]): Val {
  const w = req.wrt[0];
  const kind = req.kinds[w];
  if (req.wrtIsList || (kind.k !== "num" && kind.k !== "arr")) {
    throw L.fail(call, `nested ${req.mode}`, `Inside differentiated code, ${req.mode} takes one wrt parameter, a number or a typed array.`, "Differentiate with respect to each parameter separately.");
  }
  const wrtArr = args[w].k === "arr" ? (args[w] as { v: Var }).v : undefined;
  // Temps live in their block: what the loop body reads goes through variables.
  const nVar = L.b.newVar("n", "num");
  L.b.set(nVar, wrtArr ? L.b.len(wrtArr) : L.b.num(1));
  const n = L.b.get(nVar);
  const held = args.map((a) => {
    if (a.k !== "temp") return a;
    const v = L.b.newVar("arg", a.t.type);
    L.b.set(v, a.t);
    return v;
  });
  const inBody = (): Val[] => held.map((h) => ("k" in h ? h : { k: "temp", t: L.b.get(h) }));
  const direction = wrtArr && L.b.newVar("e", "f64[]");
  if (direction) L.b.emit({ k: "alloc", v: direction, n });
  const hessian = req.mode === "hessian";
  const ir = hessian ? hvpIR({ ...req, mode: "hvp" }) : jvpIR({ ...req, mode: "jvp" }, 1);
  // Rows of the result: n for the Hessian; f's length (1 for a number) for the Jacobian.
  const rows = hessian ? n : lengthOf(L, new Inliner(L, primalIR(req), req, args).value());
  const matrix = L.b.newVar(UNNAMED_ARRAY, "f64[]");
  L.b.emit({ k: "alloc", v: matrix, n: L.b.op("mul", rows, n) });
  const j = L.b.newVar(hessian ? "row" : "column", "num");
  const body = L.block(() => {
    if (direction) L.b.store(direction, L.b.get(j), L.b.num(1));
    const r = new Inliner(L, ir, { ...req, mode: hessian ? "hvp" : "jvp" }, inBody(), direction ? { k: "arr", v: direction } : { k: "temp", t: L.b.num(1) }).result();
    const out = hessian ? r : (r as { items: Val[] }).items[1];
    // Entry i of the sweep's result is matrix[i·n + j] (Jacobian column j) or matrix[j·n + i] (Hessian row j).
    const at = (i: Temp) => {
      const [jt, n] = [L.b.get(j), L.b.get(nVar)];
      return hessian ? L.b.op("add", L.b.op("mul", jt, n), i) : L.b.op("add", L.b.op("mul", i, n), jt);
    };
    if (out.k === "temp") L.b.store(matrix, at(L.b.num(0)), out.t);
    else if (out.k === "arr") {
      const i = L.b.newVar("i", "num");
      const copy = L.block(() => L.b.store(matrix, at(L.b.get(i)), L.b.load(out.v, L.b.get(i))));
      L.b.emit({ k: "for", index: i, start: L.b.num(0), end: L.b.len(out.v), step: 1, cmp: "<", body: copy });
    } else throw L.fail(call, `nested ${req.mode}`, `${req.mode} of '${req.fn.name}' inside differentiated code needs a result that is a number or a typed array.`, "");
    if (direction) L.b.store(direction, L.b.get(j), L.b.num(0));
  });
  L.b.emit({ k: "for", index: j, start: L.b.num(0), end: n, step: 1, cmp: "<", body });
  return { k: "arr", v: matrix };
}

/**
 * `vjp(f)(x…)` inside differentiated code: [f(x…), pullback], the pullback a function
 * called later with a cotangent (it runs f's VJP at x…, as the API's does). What it needs
 * of x… is kept now: numbers in variables, arrays copied (a later write to them must not
 * move the point).
 */
function vjpCall(L: Lowerer, call: ESTree.CallExpression, req: GradRequest, args: Val[]): Val {
  const value = new Inliner(L, primalIR(req), req, args).value();
  const kept = args.map((a, i): Var | Binding => {
    if (a.k === "temp") {
      const v = L.b.newVar("x", a.t.type);
      L.b.set(v, a.t);
      return v;
    }
    if (a.k === "arr") {
      const copy = L.b.newVar(a.v.name, a.v.type);
      L.b.emit({ k: "alloc", v: copy, n: L.b.len(a.v), copyOf: a.v });
      return { k: "arr", v: copy };
    }
    throw L.fail(call.arguments[i], "nested vjp", "Inside differentiated code, vjp takes numbers and typed arrays.", "Pass the fields of an object as arguments of their own.");
  });
  const span = { start: call.start, end: call.end };
  const ct: ESTree.Identifier = { type: "Identifier", name: "cotangent", ...span };
  const node: ESTree.ArrowFunctionExpression = { type: "ArrowFunctionExpression", id: null, params: [ct], body: ct, expression: true, generator: false, async: false, ...span };
  const pullback = { k: "fn" as const, name: `${req.fn.name}_pullback`, node, source: L.fn.source, scope: new Scope(), pullback: { req, args: kept } };
  return { k: "tuple", items: [value, { k: "fn", fn: pullback }] };
}

/** A call of a nested vjp's pullback: f's VJP at the kept point, along the cotangent. */
export function lowerPullback(L: Lowerer, fn: FnBinding, args: (Val | undefined)[], call: ESTree.Node): Val {
  const { req, args: kept } = fn.pullback!;
  if (args.length !== 1 || !args[0]) throw L.fail(call, "argument count", `The pullback of vjp(${req.fn.name}) takes one argument, the cotangent.`, "");
  const vals = kept.map((k): Val => ("k" in k && k.k === "arr" ? { k: "arr", v: k.v } : { k: "temp", t: L.b.get(k as Var) }));
  return new Inliner(L, vjpIR(req), req, vals, args[0]).result();
}

function lengthOf(L: Lowerer, v: Val): Temp {
  if (v.k === "arr") return L.b.len(v.v);
  if (v.k === "temp") return L.b.num(1);
  throw L.fail(undefined, "nested jacobian", "jacobian needs a function returning a number or a typed array.", "");
}

/**
 * The function a derivative differentiates: named (declared in the loss, in the project, or
 * given in opts.functions), written inline, a Math function (`grad(Math.tanh)`), or itself a
 * derivative (`grad(grad(f))`): then the wrapper `(x) => grad(f)(x)` (compiler/derived.ts).
 */
function targetFunction(L: Lowerer, call: ESTree.CallExpression, scope: Scope): SourceFn {
  const f = call.arguments[0] as ESTree.AnyNode | undefined;
  if (f?.type === "ArrowFunctionExpression" || f?.type === "FunctionExpression") return { name: "anonymous", node: f, source: L.fn.source, outer: scope };
  if (f?.type === "CallExpression" && derivativeName(f.callee, scope)) return { ...derivativeWrapper(L, f, scope), outer: scope };
  const math = f && mathMember(f, scope);
  if (math) return { name: math.name, node: callingWrapper(math.node, wrapperParams({ params: mathParams(math) }, "grad", new Set(["Math"])), math.node), source: L.fn.source };
  if (f?.type !== "Identifier") {
    throw L.fail(call, "derivative target", "Pass the function to differentiate by name, written inline, as a Math function (Math.tanh) or as a derivative (grad(f)).", "");
  }
  const b = scope.lookup(f.name);
  const found = b?.k === "fn" ? { name: f.name, node: b.node, source: b.source, outer: b.scope } : L.resolve(f.name, L.fn.source);
  if (found && "kernel" in found) throw L.fail(f, "derivative of a kernel", `'${f.name}' is a runtime kernel.`, "Differentiate a function that calls it.");
  if (!found) {
    throw L.fail(f, `unknown function ${f.name}`, `'${f.name}' is not defined inside the function.`,
      L.fn.source.runtime ? `Pass it in opts.functions: { functions: { ${f.name} } }.` : "Declare or import it in the project.");
  }
  if (L.fns.some((fn) => fn.node === found.node)) throw L.fail(f, "recursion", `'${f.name}' differentiates itself.`, "");
  // A function with a custom rule is differentiated through a call of it, which takes the rule.
  if (b?.k === "fn" ? b.custom : found.custom) return { name: f.name, node: callingWrapper(f, wrapperParams(found.node, "grad", new Set([f.name])), f), source: L.fn.source, outer: scope };
  return found;
}

/**
 * `grad(f, opts)` as a function: `(x, …) => grad(f, opts)(x, …)`, with f's parameters (and
 * the tangent or direction the derivative takes after them). Differentiating it, or calling
 * it, lowers the derivative call in its body.
 */
export function derivativeWrapper(L: Lowerer, call: ESTree.CallExpression, scope: Scope): { name: string; node: ESTree.ArrowFunctionExpression; source: SourceFn["source"] } {
  const mode = derivativeName(call.callee, scope) as Mode;
  const target = targetFunction(L, call, scope);
  const why = notComposable(mode, target.name);
  if (why) throw L.fail(call, `derivative of ${mode}`, why, PAIR_HINT);
  const avoid = new Set<string>();
  visit(call, (n) => { if (n.type === "Identifier") avoid.add(n.name); });
  return { name: `${mode}_${target.name}`, node: callingWrapper(call, wrapperParams(target.node, mode, avoid), call), source: L.fn.source };
}

/** `Math.tanh` (Math not shadowed) naming a Math function. */
function mathMember(f: ESTree.AnyNode, scope: Scope): { name: string; node: ESTree.MemberExpression } | undefined {
  if (f.type !== "MemberExpression" || f.computed || f.object.type !== "Identifier" || f.object.name !== "Math" || f.property.type !== "Identifier") return undefined;
  if (scope.lookup("Math") || moduleBindingOf(f.object)) return undefined;
  return mathArity(f.property.name) === undefined ? undefined : { name: f.property.name, node: f };
}

function mathParams(math: { name: string; node: ESTree.Node }): ESTree.Pattern[] {
  return mathParamNames(math.name).map((name): ESTree.Identifier => ({ type: "Identifier", name, start: math.node.start, end: math.node.end }));
}

/** `{ wrt: … }`, written as literals, resolved against `fn`'s parameters. */
function wrtOption(L: Lowerer, call: ESTree.CallExpression, fn: ESTree.Function, name: string): { wrt: number[]; list: boolean } {
  const opts = call.arguments[1];
  if (!opts) return resolveWrt(undefined, name, parameterNames(fn), (message) => L.fail(call, "wrt", message, ""));
  const wrtProp = opts.type === "ObjectExpression"
    ? opts.properties.find((p): p is ESTree.Property => p.type === "Property" && !p.computed && p.key.type === "Identifier" && p.key.name === "wrt")
    : undefined;
  if (!wrtProp || (opts.type === "ObjectExpression" && opts.properties.length !== 1)) {
    throw L.fail(opts, "derivative options", "Inside differentiated code, a derivative's options must be a literal { wrt: ... }.", "");
  }
  const literal = (e: ESTree.Node | null): string | number => {
    const value = e?.type === "Literal" ? (e as ESTree.Literal).value : undefined;
    if (typeof value === "number" || typeof value === "string") return value;
    throw L.fail(e ?? wrtProp, "wrt", "wrt must name a parameter (a string or an index literal).", "");
  };
  const v = wrtProp.value as ESTree.AnyNode;
  const spec = v.type === "ArrayExpression" ? v.elements.map(literal) : literal(v);
  return resolveWrt(spec, name, parameterNames(fn), (message) => L.fail(wrtProp, "wrt", message, ""));
}

function kindOfVal(L: Lowerer, v: Val, node: ESTree.Node): Kind {
  const ofBinding = (b: Binding): Kind => {
    if (b.k === "scalar") return b.v.type === "bool" ? { k: "bool" } : { k: "num" };
    if (b.k === "arr") return { k: "arr", elem: b.v.type === "f32[]" ? "f32" : "f64" };
    if (b.k === "obj") return { k: "obj", fields: [...b.fields].map(([name, f]) => ({ name, kind: ofBinding(f) })), ...(b.list ? { list: true as const } : {}) };
    throw L.fail(node, "function argument", "A function cannot be passed to a derivative here.", "");
  };
  if (v.k === "temp") {
    if (v.t.type !== "num") throw L.fail(node, "boolean argument", "Derivatives take numbers, typed arrays and objects of them.", "");
    return { k: "num" };
  }
  if (v.k === "arr") return ofBinding({ k: "arr", v: v.v });
  if (v.k === "view") throw refuseView(L, node, "be passed to a derivative");
  if (v.k === "obj") return ofBinding(v);
  throw L.fail(node, "tuple argument", "A pair of values cannot be passed here.", "Pass its parts.");
}

/** Copies derivative IR into the function being lowered, binding its params to the call's values. */
class Inliner {
  private readonly vars = new Map<number, Var>();
  private readonly temps = new Map<number, Temp>();

  constructor(private readonly L: Lowerer, private readonly ir: Func, private readonly req: GradRequest, private readonly args: Val[], private readonly vector?: Val) {}

  /** Emits the IR's body, its parameters bound to the call's values; the value of its result. */
  value(): Val {
    const { L, ir } = this;
    for (const p of ir.params) this.vars.set(p.id, this.bindParam(p));
    const body = cloneBlock(ir.body, (v) => this.mapVar(v), (t) => this.mapTemp(t));
    for (const i of body) L.b.emit(i);
    return this.valueOf(ir.result);
  }

  result(): Val {
    const { ir } = this;
    const value = this.value();
    switch (this.req.mode) {
      case "grad": case "vjp": return this.shaped((w) => this.outputFor((o) => o.adjointOf === w), (w) => this.paramFor((p) => p.adjointOf === w));
      case "valueAndGrad": return { k: "tuple", items: [value, this.shaped((w) => this.outputFor((o) => o.adjointOf === w), (w) => this.paramFor((p) => p.adjointOf === w))] };
      case "jvp": return { k: "tuple", items: [value, this.valueOf(this.outputFor((o) => o.tangentOf === ir.result)!)] };
      default: {
        // hvp: the tangents of the gradient outputs and buffers.
        const gradOut = (w: Var) => (ir.outputs ?? []).map((o) => o.tangentOf).find((g) => g?.adjointOf === w);
        return this.shaped(
          (w) => { const g = gradOut(w); return g && this.outputFor((o) => o.tangentOf === g); },
          (w) => this.paramFor((p) => p.tangentOf?.adjointOf === w),
        );
      }
    }
  }

  private mapVar(v: Var): Var {
    let m = this.vars.get(v.id);
    if (!m) {
      m = this.L.b.newVar(v.name, v.type);
      markChecked(m);
      this.vars.set(v.id, m);
    }
    return m;
  }

  private mapTemp(t: Temp): Temp {
    let m = this.temps.get(t.id);
    if (!m) {
      m = this.L.b.temp(t.type);
      this.temps.set(t.id, m);
    }
    return m;
  }

  private valueOf(v: Var): Val {
    const m = this.mapVar(v);
    return isArrayType(m.type) ? { k: "arr", v: m } : { k: "temp", t: this.L.b.get(m) };
  }

  /** What a param of the derivative IR stands for at this call. */
  private bindParam(p: Var): Var {
    const { L } = this;
    if (p.adjointOf || p.tangentOf?.adjointOf) {
      // A gradient (or Hessian-vector product) buffer: a fresh local array.
      const like = this.mapVar(p.adjointOf ?? p.tangentOf!.adjointOf!);
      const local = L.b.newVar(p.name, p.type);
      L.b.emit({ k: "alloc", v: local, n: L.b.len(like) });
      return local;
    }
    if (p.tangentOf) return this.fromVal(this.tangentVal(p.tangentOf), p);
    if (p.cotangentOf) return this.fromVal(this.vector!, p);
    return this.fromVal(this.args[p.param!], p);
  }

  /** The part of the vector argument (jvp's tangent, hvp's v) for wrt param `w`. */
  private tangentVal(w: Var): Val {
    const v = this.vector!;
    if (!this.req.wrtIsList) return v;
    if (v.k !== "tuple") throw this.L.fail(undefined, "tangent", "With a list of wrt, pass an array of tangents.", "");
    return v.items[this.req.wrt.indexOf(w.param!)];
  }

  /** A var holding the flat param `p` taken from value `v` (a field of it for object params). */
  private fromVal(v: Val, p: Var): Var {
    const { L } = this;
    let part: Val = v;
    if (v.k === "obj" && p.path !== undefined) {
      let f: Binding = { k: "obj", fields: v.fields };
      for (const name of p.path) f = (f as { fields: Map<string, Binding> }).fields.get(name)!;
      part = f.k === "arr" ? { k: "arr", v: f.v } : { k: "temp", t: L.b.get((f as { v: Var }).v) };
    }
    if (part.k === "arr") return part.v;
    const local = L.b.newVar(p.name, p.type === "bool" ? "bool" : "num");
    L.b.set(local, temp(part, L, L.fn.node));
    return local;
  }

  private outputFor(pred: (o: Var) => boolean): Var | undefined {
    return (this.ir.outputs ?? []).find(pred);
  }

  private paramFor(pred: (p: Var) => boolean): Var | undefined {
    return this.ir.params.find(pred);
  }

  /**
   * Zeros shaped like array param `p`: its derivative when the derivative code has no
   * buffer for it (hvp of a function linear in it: the simplified code computes no H·v).
   */
  private zeros(p: Var): Val {
    const { L } = this;
    const v = L.b.newVar(`${p.name}_zero`, p.type);
    L.b.emit({ k: "alloc", v, n: L.b.len(this.mapVar(p)) });
    return { k: "arr", v };
  }

  /** A value shaped like the wrt arguments, from scalar outputs and array buffers per flat wrt param. */
  private shaped(scalar: (w: Var) => Var | undefined, array: (w: Var) => Var | undefined): Val {
    const { L, ir, req } = this;
    const zero = (): Val => ({ k: "temp", t: L.b.num(0) });
    const entries = req.wrt.map((w): Val => {
      const flat = ir.params.filter((p) => p.param === w && !p.adjointOf && !p.tangentOf);
      const part = (p: Var): Val => {
        const src = isArrayType(p.type) ? array(p) : scalar(p);
        return src ? this.valueOf(src) : isArrayType(p.type) ? this.zeros(p) : zero();
      };
      const kind = req.kinds[w];
      if (kind.k !== "obj") return part(flat[0]);
      // Lists (Arrays of arrays, objects) stay lists: indexed, iterated, of known length.
      const list = (path: string[]) => { const k = kindAt(kind, path); return k.k === "obj" && k.list ? { list: true as const } : {}; };
      const fields = new Map<string, Binding>();
      for (const p of flat) {
        // The field's object, made along its path (nested objects).
        let at = fields;
        p.path!.slice(0, -1).forEach((name, depth) => {
          if (!at.has(name)) at.set(name, { k: "obj", fields: new Map(), ...list(p.path!.slice(0, depth + 1)) });
          at = (at.get(name) as { fields: Map<string, Binding> }).fields;
        });
        const key = p.path![p.path!.length - 1];
        const v = part(p);
        if (v.k === "arr") at.set(key, { k: "arr", v: v.v });
        else {
          const s = L.b.newVar(key, "num");
          L.b.set(s, temp(v, L, L.fn.node));
          at.set(key, { k: "scalar", v: s, isConst: true });
        }
      }
      return { k: "obj", fields, ...list([]) };
    });
    return req.wrtIsList ? { k: "tuple", items: entries } : entries[0];
  }
}
