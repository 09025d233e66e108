// The derivative modes, one record each: what the API function is called, what its
// generated code says it is, the arguments its derivative takes after f's own, what `out`
// is shaped like, whether it can be called inside differentiated code (and the IR it
// inlines there), which core functions its entry calls and how that entry is printed.
import type { Cores, CoreRef } from "./emit/entries.js";
import { batchJacobianEntry, gradAndHvpEntry, gradEntry, hessianEntry, hvpEntry, JACOBIAN_WIDTH, jacobianEntry, jvpEntry, vjpEntry } from "./emit/entries.js";
import type { EntryContext } from "./emit/entry.js";
import { resultLength, walk, type Func } from "./ir/types.js";
import { gradientIR, hvpIR, jvpIR, primalIR, vjpIR, vjpRowsIR, wrtVars } from "./pipeline.js";
import type { GradRequest, Mode } from "./request.js";

/** Makes a core function of the module: its role in the name, its IR, whether it returns its result. */
export type CoreMaker = (role: string, f: Func, returnValue: boolean) => CoreRef;

export interface ModeRecord {
  /** "Gradient": how the generated module's header names it. */
  title: string;
  /** Arguments the derivative takes after f's own (jvp's tangent, hvp's direction). */
  extra: number;
  /** Options it takes besides wrt, out, functions and checkpoint. */
  options: string[];
  /** `out` is shaped like the wrt arguments, like f's result, a pair of wrt-shaped buffers, or is the row-major matrix. */
  out: "wrt" | "result" | "pair" | "matrix";
  /** The IR inlined where differentiated code calls it (absent: it cannot be called there). */
  nested?: (req: GradRequest) => Func;
  cores(req: GradRequest, core: CoreMaker): Cores;
  entry(cores: Cores, c: EntryContext, name: string): string;
}

// With `output`, the value (entry k of f's result) comes back too: undefined says there is no entry k.
const gradient = (req: GradRequest, core: CoreMaker): Cores => ({ gradient: core("grad", gradientIR(req), req.mode === "valueAndGrad" || req.output !== undefined) });
const hessianVector = (req: GradRequest, core: CoreMaker): Cores => ({ hvp: core("hvp", hvpIR(req), false) });

export const MODES: Record<Mode, ModeRecord> = {
  grad: { title: "Gradient", extra: 0, options: ["output"], out: "wrt", nested: gradientIR, cores: gradient, entry: (cores, c, name) => gradEntry(cores.gradient!, c, name) },
  valueAndGrad: { title: "Value and gradient", extra: 0, options: ["output"], out: "wrt", nested: gradientIR, cores: gradient, entry: (cores, c, name) => gradEntry(cores.gradient!, c, name) },
  jvp: {
    title: "Jacobian-vector product", extra: 1, options: [], out: "result", nested: (req) => jvpIR(req),
    cores: (req, core) => ({ jvp: core("jvp", jvpIR(req), true) }),
    entry: (cores, c, name) => jvpEntry(cores.jvp!, c, name),
  },
  vjp: {
    title: "Vector-Jacobian product", extra: 0, options: [], out: "wrt",
    cores: (req, core) => ({ primal: core("value", primalIR(req), true), vjp: core("vjp", vjpIR(req), false) }),
    entry: vjpEntry,
  },
  hvp: { title: "Hessian-vector product", extra: 1, options: [], out: "wrt", nested: hvpIR, cores: hessianVector, entry: (cores, c, name) => hvpEntry(cores.hvp!, c, name) },
  gradAndHvp: {
    title: "Gradient and Hessian-vector product", extra: 1, options: [], out: "pair", cores: hessianVector,
    entry: (cores, c, name) => gradAndHvpEntry(cores.hvp!, c, name),
  },
  hessian: { title: "Hessian", extra: 0, options: [], out: "matrix", cores: hessianVector, entry: (cores, c, name) => hessianEntry(cores.hvp!, c, name) },
  jacobian: { title: "Jacobian", extra: 0, options: ["mode"], out: "matrix", cores: jacobianCores, entry: jacobianEntry },
  // (...args, count, out?): `count` Jacobians of consecutive items of the array arguments.
  batchJacobian: { title: "Jacobians of a batch", extra: 1, options: ["mode"], out: "matrix", cores: jacobianCores, entry: batchJacobianEntry },
};

/** The API functions by name (and `gradc show --mode`). */
export function isMode(name: string): name is Mode {
  return Object.prototype.hasOwnProperty.call(MODES, name);
}

/** Forward columns, reverse rows, or both (picked per call), as the request's jacobianMode says. */
function jacobianCores(req: GradRequest, core: CoreMaker): Cores {
  const mode = req.jacobianMode ?? "auto";
  const primal = primalIR(req);
  // The entry runs f only to learn m: not when f's code fixes it (then f is not emitted).
  const fixed = resultLength(primal);
  const cores: Cores = { primal: fixed === undefined ? core("value", primal, true) : { name: "", func: primal, scalars: "", refs: "" } };
  // Kernel calls carry one tangent direction: then one column (or row) per sweep.
  const width = callsKernels(primal) ? 1 : JACOBIAN_WIDTH;
  // As many columns a sweep as there are inputs when they are all numbers, up to `width`.
  const inputs = wrtVars(primal, req.wrt);
  const columns = inputs.every((v) => v.type === "num") ? Math.max(1, Math.min(width, inputs.length)) : width;
  if (mode !== "reverse") cores.jvp = { ...core("jvp", jvpIR(req, columns), true), width: columns };
  // `width` rows per backward sweep (fewer when f's value has fewer entries, one for a
  // number); the sweep returns f's value, whose length checks the m that `out` gave.
  const rows = Math.min(width, fixed ?? width);
  if (mode !== "forward") cores.vjp = { ...core("vjp", vjpRowsIR(req, rows), true), width: rows };
  return cores;
}

/** Whether `f` calls runtime kernels. */
export function callsKernels(f: Func): boolean {
  let found = false;
  walk(f.body, (i) => { if (i.k === "call") found = true; });
  return found;
}
