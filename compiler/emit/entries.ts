// Entries per derivative: the code of the exported function for each request mode.
import { isArrayType, resultLength, type Func, type Var } from "../ir/types.js";
import { refuse } from "../errors.js";
import { arrayClass, kindAt, type Kind } from "../kinds.js";
import type { GradRequest } from "../request.js";
import { checkBatch, checkBatchOut, checkModuleValues, checkCotangent, checkMatrixOut, checkOutput, checkPairOut, checkRows, checkShapedOut, checkTangentOut, checkVector } from "./checks.js";
import { access, asCoreArray, hasDefault, locals, Outputs, sameVar, Shaped, shapedType, signature, type EntryContext } from "./entry.js";

/** Directions a forward-mode Jacobian propagates per sweep. */
export const JACOBIAN_WIDTH = 8;

export interface CoreRef {
  name: string;
  func: Func;
  /** Module-level output buffers ("" when the core has none of that kind). */
  scalars: string;
  refs: string;
  /** Directions per sweep of a vector-mode JVP core (default 1). */
  width?: number;
}

export interface Cores {
  gradient?: CoreRef;
  primal?: CoreRef;
  vjp?: CoreRef;
  jvp?: CoreRef;
  hvp?: CoreRef;
}

/** Flat params of a core that stand for the wrt arguments (fields of objects split out). */
function flatWrt(core: Func, req: GradRequest): Var[] {
  return req.wrt.flatMap((w) => core.params.filter((p) => p.param === w));
}

/** Argument `p` as the core is called with it: the user's, or a batch entry's item buffer. */
function primalArg(c: EntryContext, p: Var): string {
  const text = access((c.itemArgs ?? c.args)[p.param!], p);
  const kind = kindAt(c.req.kinds[p.param!], p.path);
  // Integer arrays are data: the core reads them as it reads a Float64Array.
  if (c.ts && kind.k === "int") return `(${text} as unknown as Float64Array)`;
  // A boolean[] as numbers: the core compares elements with 0 (false !== 0 would hold).
  if (kind.k === "plain" && kind.elem === "bool") return `Float64Array.from(${text}, Number)`;
  // A number[] is read as a Float64Array is: indexed, never written (written params are copied).
  if (kind.k === "plain") return asCoreArray(c, p, text);
  // A parameter with a default may be undefined: the core applies the default then.
  if (c.ts && hasDefault(c.req, p.param!)) return `(${text} as ${kind.k === "num" ? "number" : "boolean"})`;
  return text;
}

function call(core: CoreRef, c: EntryContext, arg: (p: Var) => string | undefined): string {
  const args = core.func.params.map((p) => arg(p) ?? primalArg(c, p));
  if (core.scalars) args.push(core.scalars);
  if (core.refs) args.push(core.refs);
  return `${core.name}(${args.join(", ")})`;
}

/** The entry's text: module values' kinds checked first (build path), then `lines`. */
function fn(name: string, params: string, ret: string, lines: string[], c: EntryContext): string {
  return `function ${name}(${params})${c.ts ? `: ${ret}` : ""} {\n${[...checkModuleValues(c, name), ...lines].join("\n")}\n}`;
}

/** Whether results shaped like wrt can go to caller buffers (not for a single number). */
function takesOut(req: GradRequest): boolean {
  return req.wrtIsList || req.kinds[req.wrt[0]].k !== "num";
}

/**
 * Returns `results` (shaped like wrt), with `value` first when given. Caller buffers
 * are filled and returned; with a value, in a new `[value, out]` pair, which V8 removes
 * when the entry is inlined (refilling one kept pair would box the value on every call).
 */
function returnShaped(c: EntryContext, lines: string[], results: string[], value: string | undefined): void {
  const { req } = c;
  const { out } = locals(c);
  const fresh = req.wrtIsList ? `[${results.join(", ")}]` : results[0];
  const withValue = (g: string) => (value ? `[${value}, ${g}]` : g);
  // A single gradient holder is `out` itself when given: nothing more to choose.
  if (!takesOut(req) || !req.wrtIsList) {
    lines.push(`  return ${withValue(fresh)};`);
    return;
  }
  lines.push(`  if (${out} === undefined) return ${withValue(fresh)};`);
  req.wrt.forEach((w, j) => { if (req.kinds[w].k === "num") lines.push(`  ${out}[${j}] = ${results[j]};`); });
  lines.push(`  return ${withValue(out)};`);
}

/** Lines computing a gradient into holders (from `out` when given), then `check` (of the value); returns the shaped results. */
function gradientLines(core: CoreRef, c: EntryContext, lines: string[], valueTo: string | undefined, extra: (p: Var) => string | undefined, check?: string): string[] {
  const { req } = c;
  const { out } = locals(c);
  const list = req.wrtIsList;
  const grad = new Shaped(c, "grad", (j) => (takesOut(req) ? (list ? `${out}?.[${j}]` : out) : undefined), lines);
  const text = call(core, c, (p) => (p.adjointOf ? grad.slot(p.adjointOf) : extra(p)));
  lines.push(valueTo ? `  const ${valueTo} = ${text};` : `  ${text};`);
  if (check) lines.push(check);
  const outs = new Outputs(core.func, core.scalars, core.refs);
  return grad.finish((w) => outs.adjointOf(w), flatWrt(core.func, req), lines);
}

export function gradEntry(core: CoreRef, c: EntryContext, name: string): string {
  const { req } = c;
  const { out, value } = locals(c);
  const vg = req.mode === "valueAndGrad";
  const lines: string[] = takesOut(req) ? [checkShapedOut(c, name)] : [];
  const selected = req.output !== undefined;
  const results = gradientLines(core, c, lines, vg || selected ? value : undefined, () => undefined, selected ? checkOutput(c, name, value) : undefined);
  returnShaped(c, lines, results, vg ? value : undefined);
  const outType = shapedType(req);
  const extra: [string, string][] = takesOut(req) ? [[`${out}?`, `: ${outType}`]] : [];
  return fn(name, signature(c, extra), vg ? `[number, ${outType}]` : outType, lines, c);
}

function resultType(f: Func): string {
  return f.result.type === "f32[]" ? "Float32Array" : f.result.type === "f64[]" ? "Float64Array" : "number";
}

export function vjpEntry(cores: Cores, c: EntryContext, name: string): string {
  const { req } = c;
  const { out, value, cotangent } = locals(c);
  const primal = cores.primal!;
  const valueType = resultType(primal.func);
  const outType = shapedType(req);
  const inner: string[] = [checkCotangent(c, name, valueType === "number")];
  const results = gradientLines(cores.vjp!, c, inner, undefined, (p) => (p.cotangentOf ? cotangent : undefined));
  returnShaped(c, inner, results, undefined);
  const pullback = `(${cotangent}${c.ts ? `: ${valueType}` : ""})${c.ts ? `: ${outType}` : ""} => {\n${inner.map((l) => `  ${l}`).join("\n")}\n  }`;
  const lines = takesOut(req) ? [checkShapedOut(c, name)] : [];
  lines.push(`  const ${value} = ${call(primal, c, () => undefined)};`, `  return [${value}, ${pullback}];`);
  const extra: [string, string][] = takesOut(req) ? [[`${out}?`, `: ${outType}`]] : [];
  return fn(name, signature(c, extra), `[${valueType}, (cotangent: ${valueType}) => ${outType}]`, lines, c);
}

/** The argument holding the tangent (or vector) for wrt entry of flat var `w`. */
function shapedArg(c: EntryContext, base: string, w: Var): string {
  const j = c.req.wrt.indexOf(w.param!);
  return asCoreArray(c, w, access(c.req.wrtIsList ? `${base}[${j}]` : base, w));
}

export function jvpEntry(core: CoreRef, c: EntryContext, name: string): string {
  const { out, value, tangent, tangentOut } = locals(c);
  const valueType = resultType(core.func);
  const lines: string[] = [checkVector(c, name, tangent)];
  lines.push(`  const ${value} = ${call(core, c, (p) => (p.tangentOf ? shapedArg(c, tangent, p.tangentOf) : undefined))};`);
  const slot = new Outputs(core.func, core.scalars, core.refs).tangentOf(core.func.result)!;
  if (valueType === "number") {
    lines.push(`  return [${value}, ${slot}];`);
  } else {
    lines.push(`  const ${tangentOut} = ${slot}${c.ts ? ` as ${valueType}` : ""};`);
    lines.push(`  if (${out} === undefined) return [${value}, ${tangentOut}];`, checkTangentOut(c, name, tangentOut), `  ${out}.set(${tangentOut});`);
    lines.push(`  return [${value}, ${out}];`);
  }
  const extra: [string, string][] = [[tangent, `: ${shapedType(c.req)}`]];
  if (valueType !== "number") extra.push([`${out}?`, `: ${valueType}`]);
  return fn(name, signature(c, extra), `[${valueType}, ${valueType}]`, lines, c);
}

/** Lines running the HVP core for vector `v`; returns the shaped gradient and Hv results. */
function hvpLines(core: CoreRef, c: EntryContext, lines: string[], v: string, given: (j: number) => string | undefined,
  gradGiven?: (j: number) => string | undefined): { grad: string[]; hv: string[] } {
  const { req } = c;
  // The gradient's buffers only when the core still takes them (or gradAndHvp returns them).
  const gradBuffers = !!gradGiven || core.func.params.some((p) => p.adjointOf);
  const grad = gradBuffers ? new Shaped(c, "grad", gradGiven ?? (() => undefined), lines) : undefined;
  const hv = new Shaped(c, "hvp", given, lines);
  lines.push(`  ${call(core, c, (p) => {
    if (p.adjointOf) return grad!.slot(p.adjointOf);
    if (p.tangentOf?.adjointOf) return hv.slot(p.tangentOf.adjointOf);
    if (p.tangentOf) return shapedArg(c, v, p.tangentOf);
    return undefined;
  })};`);
  const outs = new Outputs(core.func, core.scalars, core.refs);
  const gradOf = (w: Var) => (core.func.outputs ?? []).map((o) => o.tangentOf).find((g) => sameVar(g?.adjointOf, w));
  const flat = flatWrt(core.func, req);
  // The gradient only when it is returned (gradAndHvp).
  return {
    grad: gradGiven ? grad!.finish((w) => outs.adjointOf(w), flat, lines) : [],
    hv: hv.finish((w) => { const g = gradOf(w); return g && outs.tangentOf(g); }, flat, lines),
  };
}

export function hvpEntry(core: CoreRef, c: EntryContext, name: string): string {
  const { req } = c;
  const { out, v } = locals(c);
  const lines: string[] = [checkVector(c, name, v)];
  if (takesOut(req)) lines.push(checkShapedOut(c, name));
  const { hv } = hvpLines(core, c, lines, v, (j) => (takesOut(req) ? (req.wrtIsList ? `${out}?.[${j}]` : out) : undefined));
  returnShaped(c, lines, hv, undefined);
  const type = shapedType(req);
  const extra: [string, string][] = [[v, `: ${type}`]];
  if (takesOut(req)) extra.push([`${out}?`, `: ${type}`]);
  return fn(name, signature(c, extra), type, lines, c);
}

/**
 * `[gradient, H·v]` from one forward-over-reverse sweep; with `out` (a pair of buffers
 * shaped like the gradient) they are filled and `out` itself is returned.
 */
export function gradAndHvpEntry(core: CoreRef, c: EntryContext, name: string): string {
  const { req } = c;
  const { out, v } = locals(c);
  const lines: string[] = [checkVector(c, name, v)];
  if (takesOut(req)) lines.push(checkPairOut(c, name));
  const part = (half: number) => (j: number) => (takesOut(req) ? (req.wrtIsList ? `${out}?.[${half}][${j}]` : `${out}?.[${half}]`) : undefined);
  const { grad, hv } = hvpLines(core, c, lines, v, part(1), part(0));
  const fresh = (results: string[]) => (req.wrtIsList ? `[${results.join(", ")}]` : results[0]);
  if (!takesOut(req)) {
    lines.push(`  return [${fresh(grad)}, ${fresh(hv)}];`);
  } else {
    lines.push(`  if (${out} === undefined) return [${fresh(grad)}, ${fresh(hv)}];`);
    if (req.wrtIsList) {
      req.wrt.forEach((w, j) => { if (req.kinds[w].k === "num") lines.push(`  ${out}[0][${j}] = ${grad[j]};`, `  ${out}[1][${j}] = ${hv[j]};`); });
    }
    lines.push(`  return ${out};`);
  }
  const type = shapedType(req);
  const extra: [string, string][] = [[v, `: ${type}`]];
  if (takesOut(req)) extra.push([`${out}?`, `: [${type}, ${type}]`]);
  return fn(name, signature(c, extra), `[${type}, ${type}]`, lines, c);
}

/** `const n = ...` counting the scalar inputs of the wrt arguments; returns per-var size expressions. */
function flatSizes(c: EntryContext, flat: Var[], lines: string[]): string[] {
  const sizes = flat.map((w) => (isArrayType(w.type) ? `${primalArg(c, w)}.length` : "1"));
  lines.push(`  const ${locals(c).n} = ${sizes.join(" + ") || "0"};`);
  return sizes;
}

export function hessianEntry(core: CoreRef, c: EntryContext, name: string): string {
  const { req } = c;
  const { out, n, H, v, row, e } = locals(c);
  const lines: string[] = [];
  const flat = flatWrt(core.func, req);
  const sizes = flatSizes(c, flat, lines);
  lines.push(checkMatrixOut(c, name, `${n} * ${n}`), `  const ${H} = ${out} ?? new Float64Array(${n} * ${n});`);
  // The direction: a unit vector shaped like the wrt arguments, moved along by `seed`.
  const dir = new Shaped(c, "direction", () => undefined, lines);
  const entries = req.wrt.map((w, j) => (req.kinds[w].k === "num" ? "0" : dir.holders[j]));
  const vType = c.ts ? `: ${shapedType(req)}` : "";
  lines.push(req.wrtIsList ? `  const ${v}${vType} = [${entries.join(", ")}];` : `  ${entries[0] === "0" ? "let" : "const"} ${v} = ${entries[0]};`);
  const body: string[] = [];
  const { hv } = hvpLines(core, c, body, v, () => undefined);
  lines.push(`  let ${row} = 0;`);
  flat.forEach((w, i) => {
    const slot = setDirection(c, dir, w);
    lines.push(`  for (let ${e} = 0; ${e} < ${isArrayType(w.type) ? sizes[i] : "1"}; ${e}++) {`, `    ${slot.set(e, "1")}`, ...body.map((l) => `  ${l}`));
    lines.push(...copyRow(c, flat, sizes, hv).map((l) => `    ${l}`));
    lines.push(`    ${slot.set(e, "0")}`, `    ${row}++;`, "  }");
  });
  lines.push(`  return ${H};`);
  return fn(name, signature(c, [[`${out}?`, ": Float64Array"]]), "Float64Array", lines, c);
}

/** Setting one entry of the direction vector for flat var `w`. */
function setDirection(c: EntryContext, dir: Shaped, w: Var): { set: (e: string, value: string) => string } {
  const j = c.req.wrt.indexOf(w.param!);
  const kind = c.req.kinds[w.param!];
  if (isArrayType(w.type)) return { set: (e, value) => `${dir.slot(w)}[${e}] = ${value};` };
  if (kind.k === "obj") return { set: (_e, value) => `${access(dir.holders[j], w)} = ${value};` };
  // A number wrt: its direction lives in the list (or is v itself).
  const { v } = locals(c);
  return { set: (_e, value) => (c.req.wrtIsList ? `${v}[${j}] = ${value};` : `${v} = ${value};`) };
}

/** Copies a flattened Hv (shaped results) into row `row` of H. */
function copyRow(c: EntryContext, flat: Var[], sizes: string[], hv: string[]): string[] {
  const { n, H, row, col, k } = locals(c);
  const lines: string[] = [`let ${col} = ${row} * ${n};`];
  flat.forEach((w, i) => {
    const j = c.req.wrt.indexOf(w.param!);
    const src = access(hv[j], w);
    if (isArrayType(w.type)) lines.push(`for (let ${k} = 0; ${k} < ${sizes[i]}; ${k}++) ${H}[${col}++] = ${src}[${k}];`);
    else lines.push(`${H}[${col}++] = ${src};`);
  });
  return lines;
}

/**
 * A module-level buffer reused across calls while its length stays `size` (a new one
 * when it changes): `const local = …`. Seeds and cotangents are zero between sweeps;
 * `zero` clears them once per call in case an earlier call threw mid-sweep.
 */
function reusedBuffer(c: EntryContext, entry: string, local: string, cls: string, size: string, zero = false): string[] {
  const line = `  const ${local} = ${reused(c, entry, local, cls, size)};`;
  return zero ? [line, `  ${local}.fill(0);`] : [line];
}

/** The expression of a reused buffer (declaring its module-level holder). */
function reused(c: EntryContext, entry: string, local: string, cls: string, size: string): string {
  const held = c.names.claim(`${entry}_${local}`);
  c.state.push(`let ${held}${c.ts ? `: ${cls} | undefined` : ""};`);
  return `${held} !== undefined && ${held}.length === ${size} ? ${held} : (${held} = new ${cls}(${size}))`;
}

/** Setup lines (before any sweep) and the lines computing one Jacobian into J at offset `base`. */
interface JacobianLines { setup: string[]; sweeps: string[] }

/**
 * `const m = …`: 1 for a number-valued f; the length f's code fixes; else out's length
 * over n when out is given (checked against f's value at the first sweep), or the length
 * of f's value.
 */
function jacobianRows(cores: Cores, c: EntryContext, lines: string[], perItem: string): boolean {
  const { out, m, n } = locals(c);
  const primal = cores.primal!;
  if (primal.func.result.type === "num") {
    lines.push(`  const ${m} = 1;`);
    return false;
  }
  // A length f's code fixes needs no run of f.
  const fixed = resultLength(primal.func);
  if (fixed !== undefined) {
    lines.push(`  const ${m} = ${fixed};`);
    return true;
  }
  const value = call(primal, c, () => undefined);
  lines.push(`  const ${m} = ${out} !== undefined && ${out}.length > 0 && ${n} > 0 ? ${out}.length / ${perItem} : ${value}.length;`);
  return true;
}

/**
 * The setup and sweeps of the request's jacobianMode, the sweeps inside `wrap` (a batch's
 * loop over items); auto chooses once per call (forward when n <= m) and prepares only
 * the sweep it runs.
 */
function jacobianLines(cores: Cores, c: EntryContext, name: string, flat: Var[], sizes: string[], check: ((first: string) => string) | false, base: string, wrap: (sweeps: string[]) => string[] = (l) => l): string[] {
  const { n, m } = locals(c);
  const mode = c.req.jacobianMode ?? "auto";
  const fwd = cores.jvp ? jacobianForward(cores.jvp, c, name, flat, sizes, check, base) : { setup: [], sweeps: [] };
  const rev = cores.vjp ? jacobianReverse(cores.vjp, c, name, flat, sizes, check, base) : { setup: [], sweeps: [] };
  const lines = (j: JacobianLines) => [...j.setup, ...wrap(j.sweeps)];
  if (mode !== "auto") return lines(mode === "forward" ? fwd : rev);
  const indent = (l: string) => `  ${l}`;
  return [`  if (${n} <= ${m}) {`, ...lines(fwd).map(indent), "  } else {", ...lines(rev).map(indent), "  }"];
}

export function jacobianEntry(cores: Cores, c: EntryContext, name: string): string {
  const { out, n, m, J } = locals(c);
  const lines: string[] = [];
  const flat = flatWrt(cores.primal!.func, c.req);
  const sizes = flatSizes(c, flat, lines);
  const fromOut = jacobianRows(cores, c, lines, n);
  lines.push(checkMatrixOut(c, name, `${m} * ${n}`, m), `  const ${J} = ${out} ?? new Float64Array(${m} * ${n});`);
  lines.push(...jacobianLines(cores, c, name, flat, sizes, fromOut && checkRows(c, name, locals(c).value), ""), `  return ${J};`);
  return fn(name, signature(c, [[`${out}?`, ": Float64Array"]]), "Float64Array", lines, c);
}

/**
 * `count` Jacobians in one call: every typed-array argument holds `count` items of equal
 * length one after another (numbers and booleans are the same for every item); item b's
 * m×n Jacobian is block b of out (count·m·n entries, row-major blocks).
 */
export function batchJacobianEntry(cores: Cores, c: EntryContext, name: string): string {
  const { req } = c;
  const { out, n, m, J, count, b, base, k, copyItem } = locals(c);
  // Module values (after f's parameters) are the same for every item.
  const own = req.kinds.slice(0, req.fn.node.params.length);
  const other = own.findIndex((kind) => kind.k === "obj" || kind.k === "plain");
  if (other >= 0) {
    const what = req.kinds[other].k === "obj" ? "an object or a list" : "a plain array";
    throw refuse(req.fn.source, req.fn.node.params[other], `batchJacobian of ${what}`,
      `batchJacobian takes numbers, booleans and typed arrays; argument '${c.args[other]}' of ${req.fn.name} is ${what}.`, "Pass its items as typed arrays of their own.");
  }
  const arrays = own.map((kind, i) => (kind.k === "arr" || kind.k === "int" ? i : -1)).filter((i) => i >= 0);
  const lines: string[] = [checkBatch(c, name, arrays.map((i) => c.args[i]))];
  lines.push(`  if (${count} === 0) {`, `  ${checkBatchOut(c, name, "0", "0")}`, `    return ${out} ?? new Float64Array(0);`, "  }");
  const items = [...c.args];
  const copies: string[] = [];
  for (const i of arrays) {
    const arg = c.args[i];
    items[i] = c.names.claim(`${arg}_item`);
    const size = c.names.claim(`${arg}_size`);
    lines.push(`  const ${size} = ${arg}.length / ${count};`);
    lines.push(...reusedBuffer(c, name, items[i], arrayClass(req.kinds[i] as Kind & { k: "arr" | "int" }), size));
    copies.push(`    for (let ${k} = 0; ${k} < ${size}; ${k}++) ${items[i]}[${k}] = ${arg}[${b} * ${size} + ${k}];`);
  }
  c.itemArgs = items;
  // The items of b into the item buffers.
  const typedB = c.ts ? `${b}: number` : b;
  lines.push(`  function ${copyItem}(${typedB})${c.ts ? ": void" : ""} {`, ...copies, "  }");
  const flat = flatWrt(cores.primal!.func, req);
  const sizes = flatSizes(c, flat, lines);
  lines.push(`  ${copyItem}(0);`);
  const fromOut = jacobianRows(cores, c, lines, `(${count} * ${n})`);
  lines.push(checkBatchOut(c, name, `${count} * ${m} * ${n}`, m), `  const ${J} = ${out} ?? new Float64Array(${count} * ${m} * ${n});`);
  const eachItem = (sweeps: string[]) => [
    `  for (let ${b} = 0; ${b} < ${count}; ${b}++) {`, `    if (${b} > 0) ${copyItem}(${b});`, `    const ${base} = ${b} * ${m} * ${n};`,
    ...sweeps.map((l) => `  ${l}`), "  }",
  ];
  lines.push(...jacobianLines(cores, c, name, flat, sizes, fromOut && checkRows(c, name, locals(c).value, count), base, eachItem), `  return ${J};`);
  return fn(name, signature(c, [[count, ": number"], [`${out}?`, ": Float64Array"]]), "Float64Array", lines, c);
}

/** `base + i` (just `i` without a base). */
const offset = (base: string, i: string) => (base ? `${base} + ${i}` : i);

/** Forward Jacobian: `width` columns per sweep of the vector-mode JVP core. */
function jacobianForward(core: CoreRef, c: EntryContext, name: string, flat: Var[], sizes: string[], check: ((first: string) => string) | false, base: string): JacobianLines {
  const f = core.func;
  const { n, m, J, col, k, r, dots, seedAt, index, direction, amount, value } = locals(c);
  const width = core.width ?? 1;
  const setup: string[] = [];
  const lines: string[] = [];
  // Seeds: one interleaved tangent array per array input, `width` numbers per scalar input.
  const seeds = new Map<string, string>();
  const key = (v: Var) => `${v.param}:${JSON.stringify(v.path ?? [])}`;
  flat.forEach((w, i) => {
    const s = c.names.claim(`${w.name}_seed`);
    seeds.set(key(w), s);
    setup.push(...reusedBuffer(c, name, s, "Float64Array", isArrayType(w.type) ? `${sizes[i]} * ${width}` : `${width}`, true));
  });
  const args = (p: Var): string | undefined => {
    if (!p.tangentOf) return undefined;
    const s = seeds.get(key(p.tangentOf))!;
    if (isArrayType(p.tangentOf.type)) return s;
    return `${s}[${f.params.filter((q) => q.tangentOf === p.tangentOf).indexOf(p)}]`;
  };
  const outs = new Outputs(f, core.scalars, core.refs);
  const scalarResult = f.result.type === "num";
  const seedEach = (amount: string) => `    for (let ${k} = 0; ${k} < ${width} && ${col} + ${k} < ${n}; ${k}++) ${seedAt}(${col} + ${k}, ${k}, ${amount});`;
  lines.push(`  for (let ${col} = 0; ${col} < ${n}; ${col} += ${width}) {`, seedEach("1"));
  // The seeds are back to zero before anything can throw.
  lines.push(check ? `    const ${value} = ${call(core, c, args)};` : `    ${call(core, c, args)};`, seedEach("0"));
  if (check) lines.push(`    ${check(`${col} === 0`)}`);
  if (scalarResult) {
    for (let d = 0; d < width; d++) lines.push(`    if (${col} + ${d} < ${n}) ${J}[${offset(base, `${col} + ${d}`)}] = ${outs.tangentOf(f.result, d)};`);
  } else {
    lines.push(`    const ${dots} = ${outs.tangentOf(f.result)};`);
    lines.push(`    for (let ${r} = 0; ${r} < ${m}; ${r}++) for (let ${k} = 0; ${k} < ${width} && ${col} + ${k} < ${n}; ${k}++) ${J}[${offset(base, `${r} * ${n} + ${col} + ${k}`)}] = ${dots}[${r} * ${width} + ${k}];`);
  }
  lines.push("  }");
  // seedAt(index, direction, amount): direction `direction` gets `amount` at flat input `index`.
  const cases = flat.map((w, i) => {
    const s = seeds.get(key(w))!;
    const set = isArrayType(w.type) ? `${s}[${index} * ${width} + ${direction}] = ${amount}` : `${s}[${direction}] = ${amount}`;
    return `    if (${index} < ${sizes[i]}) { ${set}; return; }\n    ${index} -= ${sizes[i]};`;
  });
  const typed = [index, direction, amount].map((p) => (c.ts ? `${p}: number` : p)).join(", ");
  return { setup: [...setup, `  function ${seedAt}(${typed}) {\n${cases.join("\n")}\n  }`], sweeps: lines };
}

/**
 * Reverse Jacobian: `width` rows per sweep of the rows core (vjpRowsIR): lane d of the
 * cotangent's tangent seeds row r + d, and lane d of each adjoint's tangent is that row.
 */
function jacobianReverse(core: CoreRef, c: EntryContext, name: string, flat: Var[], sizes: string[], check: ((first: string) => string) | false, base: string): JacobianLines {
  const f = core.func;
  const { req } = c;
  const { n, m, J, r, col, k, cotangent, value, lanes } = locals(c);
  const width = core.width ?? 1;
  const setup: string[] = [];
  const lines: string[] = [];
  const scalarResult = f.result.type === "num";
  const arrayType = (t: Var["type"]) => (t === "f32[]" ? "Float32Array" : "Float64Array");
  // The product's own gradient buffers, when the core still takes them (it clears them).
  const grad = f.params.some((p) => p.adjointOf) ? new Shaped(c, "row", () => undefined, setup, (j, holder) => {
    const kind = req.kinds[req.wrt[j]];
    return kind.k === "arr" ? reused(c, name, holder, arrayClass(kind), `${(c.itemArgs ?? c.args)[req.wrt[j]]}.length`) : undefined;
  }) : undefined;
  // Per array wrt, its rows: `width` numbers per entry, lane d row r + d.
  const rows: [Var, string][] = [];
  for (const p of f.params) {
    const w = p.tangentOf?.adjointOf;
    if (!w || !isArrayType(p.type)) continue;
    const buffer = c.names.claim(`${p.tangentOf!.name}_rows`);
    setup.push(...reusedBuffer(c, name, buffer, arrayType(p.type), `${primalArg(c, w)}.length * ${width}`));
    rows.push([w, buffer]);
  }
  const rowsOf = (w: Var) => rows.find(([x]) => sameVar(x, w))?.[1];
  const cotangentParam = f.params.find((p) => p.cotangentOf);
  if (!scalarResult) {
    setup.push(...reusedBuffer(c, name, lanes, arrayType(f.result.type), `${m} * ${width}`, true));
    if (cotangentParam) setup.push(...reusedBuffer(c, name, cotangent, arrayType(f.result.type), m, true));
  }
  const args = (p: Var): string | undefined => {
    if (p.cotangentOf) return scalarResult ? "0" : cotangent;
    if (p.tangentOf?.cotangentOf) return scalarResult ? "1" : lanes;
    if (p.adjointOf) return grad!.slot(p.adjointOf);
    const w = p.tangentOf?.adjointOf;
    return w && rowsOf(w);
  };
  const outs = new Outputs(f, core.scalars, core.refs);
  const adjointOut = (w: Var) => (f.outputs ?? []).map((o) => o.tangentOf).find((g) => sameVar(g?.adjointOf, w));
  const seedEach = (amount: string) => `    for (let ${k} = 0; ${k} < ${width} && ${r} + ${k} < ${m}; ${k}++) ${lanes}[(${r} + ${k}) * ${width} + ${k}] = ${amount};`;
  lines.push(`  for (let ${r} = 0; ${r} < ${m}; ${r} += ${width}) {`);
  if (!scalarResult) lines.push(seedEach("1"));
  const text = call(core, c, args);
  lines.push(check ? `    const ${value} = ${text};` : `    ${text};`);
  if (!scalarResult) lines.push(seedEach("0"));
  if (check) lines.push(`    ${check(`${r} === 0`)}`);
  for (let d = 0; d < width; d++) {
    const indent = d === 0 ? "    " : "      ";
    if (d > 0) lines.push(`    if (${r} + ${d} < ${m}) {`);
    lines.push(`${indent}${d === 0 ? "let " : ""}${col} = ${offset(base, `(${r}${d ? ` + ${d}` : ""}) * ${n}`)};`);
    flat.forEach((w, i) => {
      if (isArrayType(w.type)) {
        const src = rowsOf(w);
        lines.push(`${indent}for (let ${k} = 0; ${k} < ${sizes[i]}; ${k}++) ${J}[${col}++] = ${src ? `${src}[${k} * ${width} + ${d}]` : "0"};`);
      } else {
        const g = adjointOut(w);
        lines.push(`${indent}${J}[${col}++] = ${(g && outs.tangentOf(g, d)) ?? "0"};`);
      }
    });
    if (d > 0) lines.push("    }");
  }
  lines.push("  }");
  return { setup, sweeps: lines };
}
