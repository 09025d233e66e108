// Kernel records: one per runtime kernel (runtime/kernels) that differentiated code
// may call. A record gives the kernel's signature, the size of what it writes, and
// its VJP and JVP rules, written with the IR builder: calls of other kernels (the
// linear ones: matmul, transposes, broadcasts) or plain loops over scalar ops. So
// derivative code is again IR that the transforms accept, and second order works
// through every kernel whose rules only use kernels with rules.
import { Builder } from "../../ir/builder.js";
import type { Call, Temp, Var } from "../../ir/types.js";
import type { BlackBox } from "../../parse/source.js";

/** One parameter after `out`: an array, a number, or a boolean option (with its default). */
export interface KernelParam {
  name: string;
  kind: "arr" | "num" | "bool";
  default?: number | boolean;
}

export interface KernelDef {
  name: string;
  /** Whether the first parameter is an output array the kernel writes. */
  out: boolean;
  params: KernelParam[];
  /** Whether the kernel takes a trailing `accumulate` flag (adds into `out`). */
  accumulate: boolean;
  /** Whether it returns a number (full reductions, losses). */
  returnsNumber: boolean;
  /** Inputs the result depends on differentiably (arrays and numbers, by name). */
  diff: string[];
  /** Entries of `out` written, from the call's operands (absent: all of `out`). */
  size?: (r: RuleCtx) => Temp;
  /** Adds the adjoints of the active inputs (`r.bar(name)`) from `r.g` / `r.gs`. */
  vjp?: (r: RuleCtx) => void;
  /** Writes the tangent of `out` into `r.outDot`; returns the tangent of the number result. */
  jvp?: (r: RuleCtx) => Temp | void;
  /**
   * The input whose adjoint the VJP rule can write over `r.g` when a call is in place
   * (`out` is that input): the rule reads each entry of ḡ before it writes that entry
   * of x̄, and writes instead of adding when `r.overwrite`. Likewise its JVP rule reads
   * each entry of that input's tangent before writing the same entry of out's.
   */
  inPlace?: string;
  /** Inputs `out` may be, as the runtime kernel allows (default: the `inPlace` input, if any). */
  aliases?: string[];
  /** Sample operands for the table test (see test/kernels-rules.test.ts). */
  sample?: KernelSample;
  /**
   * A record made while lowering a call of a function with a custom rule over typed arrays
   * (lower/custom.ts): not a runtime kernel, left out of allKernels(); `js` prints the call
   * from its operands, and `blackBox` is the function it calls on the build path.
   */
  custom?: true;
  js?: (operands: string[]) => string;
  blackBox?: BlackBox;
}

/** Shapes and value ranges the table test calls a kernel with. */
export interface KernelSample {
  /** Lengths of the array inputs (and of out, under "out"). */
  sizes: Record<string, number>;
  /** Values of the number and boolean operands. */
  nums?: Record<string, number | boolean>;
  /** Entry range per array input (default [-2, 2]). */
  ranges?: Record<string, [number, number]>;
  /** Array inputs holding integer labels in [0, n). */
  labels?: Record<string, number>;
}

/** Operand of a kernel call built by a rule: a var for arrays, a temp or constant for numbers. */
export type Operand = Var | Temp | number | boolean;

/**
 * What a rule sees: the primal call's operands by name, the adjoints or tangents,
 * and helpers to emit kernel calls and loops.
 */
export interface RuleCtx {
  b: Builder;
  call: Call;
  def: KernelDef;
  arr(name: string): Var;
  num(name: string): Temp;
  out(): Var;
  /**
   * VJP: adjoint array of `out` (read only; absent when a kernel that also returns a
   * number has an unused `out`), adjoint of the number result.
   */
  g?: Var;
  gs?: Temp;
  /** VJP of an in-place call: the `inPlace` input's adjoint is `g` itself, to be overwritten. */
  overwrite?: boolean;
  /** VJP: the adjoint array to add input `name`'s adjoint into (undefined when inactive). */
  bar(name: string): Var | undefined;
  /** VJP: whether number input `name` is active; adds `t` to its adjoint. */
  activeNum(name: string): boolean;
  addNum(name: string, t: Temp): void;
  /** The compile-time value of a number or boolean operand, when it is a constant. */
  constant(name: string): number | boolean | undefined;
  /** JVP: tangent of an array input (undefined when constant), of a number input, and of out. */
  dot(name: string): Var | undefined;
  dotNum(name: string): Temp | undefined;
  outDot?: Var;
}

const kernels = new Map<string, KernelDef>();

/** Declares a kernel from a compact signature: `"a: arr, b: arr, m, k, n, transA: bool = false"`. */
export function kernel(spec: Omit<KernelDef, "params" | "out" | "accumulate" | "returnsNumber"> & {
  sig: string; out?: boolean; accumulate?: boolean; returnsNumber?: boolean;
}): void {
  const params = spec.sig.split(",").map((s) => s.trim()).filter(Boolean).map(parseParam);
  const { sig: _sig, ...rest } = spec;
  kernels.set(spec.name, { ...rest, params, out: spec.out ?? true, accumulate: spec.accumulate ?? false, returnsNumber: spec.returnsNumber ?? false });
}

function parseParam(s: string): KernelParam {
  const m = /^(\w+)\s*(?::\s*(arr|num|bool))?\s*(?:=\s*(.+))?$/.exec(s);
  if (!m) throw new Error(`gradc internal error: bad kernel parameter '${s}'`);
  const kind = (m[2] ?? "num") as KernelParam["kind"];
  const p: KernelParam = { name: m[1], kind };
  if (m[3] !== undefined) p.default = kind === "bool" ? m[3] === "true" : Number(m[3]);
  return p;
}

export function kernelDef(name: string): KernelDef | undefined {
  return kernels.get(name);
}

/** The runtime kernels (not the records of custom rules). */
export function allKernels(): KernelDef[] {
  return [...kernels.values()].filter((k) => !k.custom);
}

/** Registers the record of a call with a custom rule (made while lowering, under a name of its own). */
export function defineCustomKernel(d: KernelDef & { custom: true }): void {
  kernels.set(d.name, d);
}

/** Position of parameter `name` among the call's `ins` (arrays) or `args` (numbers). */
export function operandIndex(def: KernelDef, name: string): { list: "ins" | "args"; index: number } {
  let ins = 0, args = 0;
  for (const p of def.params) {
    if (p.name === name) return p.kind === "arr" ? { list: "ins", index: ins } : { list: "args", index: args };
    if (p.kind === "arr") ins++;
    else args++;
  }
  throw new Error(`gradc internal error: kernel ${def.name} has no parameter '${name}'`);
}

/** Emits a call of kernel `name` with operands in signature order (out first when it has one). */
export function emitKernel(b: Builder, name: string, operands: Operand[], accumulate = false): Temp | undefined {
  const def = kernels.get(name);
  if (!def) throw new Error(`gradc internal error: no kernel '${name}'`);
  const ops = [...operands];
  const out = def.out ? (ops.shift() as Var) : undefined;
  const ins: Var[] = [];
  const args: Temp[] = [];
  def.params.forEach((p, k) => {
    const o = ops[k] ?? p.default;
    if (o === undefined) throw new Error(`gradc internal error: kernel ${name} needs '${p.name}'`);
    if (p.kind === "arr") ins.push(o as Var);
    else args.push(typeof o === "number" ? b.num(o) : typeof o === "boolean" ? b.bool(o) : (o as Temp));
  });
  const call: Call = { k: "call", kernel: name, ins, args };
  if (out) call.out = out;
  if (accumulate) call.accumulate = true;
  if (def.returnsNumber) call.dst = b.temp("num");
  b.emit(call);
  return call.dst;
}

/** `for (i = 0; i < n; i++) body(builder of the body, i)` with a fresh index var. */
export function loop(b: Builder, n: Temp, body: (ib: Builder, i: Temp, index: Var) => void, name = "i"): void {
  const index = b.newVar(name, "num");
  const inner = b.nested((ib) => body(ib, ib.get(index), index));
  b.emit({ k: "for", index, start: b.num(0), end: n, step: 1, cmp: "<", body: inner });
}


/** A var holding `t`, so loop bodies (which may not use outer temps) can read it. */
export function hold(b: Builder, t: Temp, name: string): Var {
  const v = b.newVar(name, t.type);
  b.set(v, t);
  return v;
}

/** `arr[i] += t` (or `arr[i] = t` when not `add`). */
export function addAt(b: Builder, arr: Var, i: Temp, t: Temp, add = true): void {
  b.store(arr, i, add ? b.op("add", b.load(arr, i), t) : t);
}

/** `for (i = start; i >= 0; i--) body(builder, i)`: a loop counting down to 0. */
export function loopDown(b: Builder, start: Temp, body: (ib: Builder, i: Temp) => void, name = "i"): void {
  const index = b.newVar(name, "num");
  const inner = b.nested((ib) => body(ib, ib.get(index)));
  b.emit({ k: "for", index, start, end: b.num(0), step: -1, cmp: ">=", body: inner });
}

/**
 * Row-major traversal of a rows×cols matrix: `perRow(builder, i)` runs at the start of
 * each row (its result vars are visible in the row's cells), `cell(builder, i, j, at)`
 * for each entry, `at = i * cols + j`. Returns nothing; rows/cols are held in vars.
 */
export function rowsLoop(b: Builder, rows: Temp, cols: Temp, row: (rb: Builder, i: Var, cells: (cell: (cb: Builder, i: Temp, j: Temp, at: Temp) => void) => void) => void): void {
  const colsV = hold(b, cols, "cols");
  const iV = b.newVar("i", "num");
  const body = b.nested((rb) => {
    row(rb, iV, (cell) => {
      const jV = rb.newVar("j", "num");
      const inner = rb.nested((cb) => {
        const i = cb.get(iV), j = cb.get(jV);
        cell(cb, i, j, cb.op("add", cb.op("mul", i, cb.get(colsV)), j));
      });
      rb.emit({ k: "for", index: jV, start: rb.num(0), end: rb.get(colsV), step: 1, cmp: "<", body: inner });
    });
  });
  b.emit({ k: "for", index: iV, start: b.num(0), end: rows, step: 1, cmp: "<", body });
}

/** A number var set to `init`, for sums built up in loops. */
export function accumulator(b: Builder, init: number, name = "s"): Var {
  const v = b.newVar(name, "num");
  b.set(v, b.num(init));
  return v;
}

/** `v += t`. */
export function addTo(b: Builder, v: Var, t: Temp): void {
  b.set(v, b.op("add", b.get(v), t));
}
