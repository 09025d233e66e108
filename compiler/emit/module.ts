// A derivative module: core function(s) emitted from IR, plus the exported entry
// with the public call contract of the requested derivative (see entry.ts and
// entries.ts).
import type * as ESTree from "acorn";
import { walk, type Func } from "../ir/types.js";
import { gradientIR, hvpIR, jvpIR, primalIR, vjpIR } from "../pipeline.js";
import { refuse } from "../errors.js";
import { dataField, describeKind, pathAccess, type Kind } from "../kinds.js";
import type { EmitOptions, GradRequest } from "../request.js";
import { CHECK_FUNCTIONS } from "./checks.js";
import { ENTRY_LOCALS, entryFor, JACOBIAN_WIDTH, type Cores } from "./entries.js";
import { emitFunction, KERNELS, outputSlots } from "./js.js";
import { Names } from "./names.js";

export interface ModuleParts {
  /** Module body: state, the core functions and the entry (not exported here). */
  body: string;
  usesTape: boolean;
  /** Whether it calls runtime kernels (through `kernels.`). */
  usesKernels: boolean;
  /** Which of the runtime's check functions its entry calls (CHECK_FUNCTIONS). */
  checks: string[];
}

/** Full module text (TypeScript or JavaScript ESM), unformatted. */
export function emitGradModule(req: GradRequest, opts: EmitOptions): string {
  const parts = emitGradParts(req, opts);
  const runtime = opts.runtimeImport ?? "gradc/runtime";
  const imports = [
    ...(parts.usesTape ? [`import { Tape } from "${runtime}";`] : []),
    ...(parts.usesKernels ? [`import * as ${KERNELS} from "${runtime}";`] : []),
    ...(parts.checks.length ? [`import { ${[...parts.checks, ...(opts.lang === "ts" ? ["type EntrySpec"] : [])].join(", ")} } from "${runtime}";`] : []),
  ];
  const head = imports.length ? `${imports.join("\n")}\n\n` : "";
  return head + parts.body.replace(`\nfunction ${opts.exportName}(`, `\nexport function ${opts.exportName}(`);
}

export function emitGradParts(req: GradRequest, opts: EmitOptions): ModuleParts {
  refuseDataWrt(req);
  const ts = opts.lang === "ts";
  const moduleNames = new Names();
  moduleNames.reserve(opts.exportName);
  for (const name of [...CHECK_FUNCTIONS, "EntrySpec"]) moduleNames.reserve(name);
  const state: string[] = [];
  const texts: string[] = [];
  // Each core function: a module-level name, buffers for its outputs, its text.
  const core = (role: string, f: Func, returnValue: boolean) => {
    const name = moduleNames.claim(`${req.fn.name}_${role}`);
    const slots = outputSlots(f);
    const scalars = slots.scalars ? moduleNames.claim(`${name}_scalars`) : "";
    const refs = slots.refs ? moduleNames.claim(`${name}_refs`) : "";
    if (scalars) state.push(`const ${scalars} = new Float64Array(${slots.scalars});`);
    if (refs) state.push(`const ${refs}${ts ? ": (Float64Array | Float32Array)[]" : ""} = [];`);
    texts.push(emitFunction(f, { ts, names: moduleNames.fork(), name, returnValue }));
    return { name, func: f, scalars, refs };
  };
  const cores = buildCores(req, core);
  const entryNames = moduleNames.fork();
  for (const local of ENTRY_LOCALS) entryNames.reserve(local);
  const args = paramNames(req).map((n) => entryNames.claim(n));
  const entry = entryFor(req, cores, { req, ts, names: entryNames, state, args }, opts.exportName);
  const tapes = new Set(texts.flatMap((t) => [...t.matchAll(/\b(tape\d*)\./g)].map((m) => m[1])));
  state.unshift(...[...tapes].sort().map((t) => `const ${t} = new Tape();`));
  const usesTape = tapes.size > 0;
  const usesKernels = texts.some((t) => t.includes(`${KERNELS}.`));
  const checks = CHECK_FUNCTIONS.filter((f) => entry.includes(`${f}(`));
  return { body: [header(req), ...state, "", ...texts.flatMap((t) => [t, ""]), entry].join("\n") + "\n", usesTape, usesKernels, checks };
}

/** Integer typed arrays and booleans are data: asking for a derivative with respect to one is an error. */
function refuseDataWrt(req: GradRequest): void {
  for (const w of req.wrt) {
    const kind = req.kinds[w];
    const name = paramNames(req)[w];
    const node = req.fn.node.params[w];
    const hint = "Integer typed arrays (Int32Array, Uint8Array, ...) and booleans are non-differentiable data: differentiate with respect to a number, a Float64Array/Float32Array, or an object of those.";
    const construct = (k: Kind) => (k.k === "bool" ? "wrt boolean" : "wrt integer array");
    if (kind.k === "int" || kind.k === "bool") {
      throw refuse(req.fn.source, node, construct(kind), `wrt '${name}' of ${req.fn.name} is ${describeKind(kind)}.`, hint);
    }
    const field = dataField(kind);
    if (field) {
      throw refuse(req.fn.source, node, construct(field.kind), `wrt '${name}' of ${req.fn.name} has field ${pathAccess(name, field.path)}, ${describeKind(field.kind)}.`,
        `${hint} Pass it as an argument of its own.`);
    }
  }
}

type CoreMaker = (role: string, f: Func, returnValue: boolean) => Cores[keyof Cores];

function buildCores(req: GradRequest, core: CoreMaker): Cores {
  switch (req.mode) {
    case "grad":
    case "valueAndGrad":
      return { gradient: core("grad", gradientIR(req), req.mode === "valueAndGrad") };
    case "vjp":
      return { primal: core("value", primalIR(req), true), vjp: core("vjp", vjpIR(req), false) };
    case "jvp":
      return { jvp: core("jvp", jvpIR(req), true) };
    case "hvp":
    case "hessian":
      return { hvp: core("hvp", hvpIR(req), false) };
    case "jacobian": {
      const mode = req.jacobianMode ?? "auto";
      const cores: Cores = { primal: core("value", primalIR(req), true) };
      if (mode !== "reverse") {
        // Kernel calls carry one tangent direction: then one column per sweep.
        const width = callsKernels(cores.primal!.func) ? 1 : JACOBIAN_WIDTH;
        cores.jvp = { ...core("jvp", jvpIR(req, width), true)!, width };
      }
      if (mode !== "forward") cores.vjp = core("vjp", vjpIR(req), false);
      return cores;
    }
  }
}

const TITLES: Record<GradRequest["mode"], string> = {
  grad: "Gradient", valueAndGrad: "Value and gradient", jvp: "Jacobian-vector product",
  vjp: "Vector-Jacobian product", hvp: "Hessian-vector product", hessian: "Hessian", jacobian: "Jacobian",
};

function header(req: GradRequest): string {
  const file = req.fn.source.file.split(/[\\/]/).pop();
  const wrt = req.wrt.map((w) => paramText(req, w)).join(", ");
  return `// ${TITLES[req.mode]} of ${req.fn.name} (${file}) with respect to ${wrt}.`;
}

/** A parameter as written in the source (a destructuring pattern keeps its braces). */
function paramText(req: GradRequest, index: number): string {
  const p = req.fn.node.params[index];
  return req.fn.source.text.slice(p.start, p.end).replace(/\s+/g, " ").replace(/:.*$/, "");
}

/** Source names of the parameters (patterns get `argN`). */
export function paramNames(req: GradRequest): string[] {
  return req.fn.node.params.map((p: ESTree.Pattern, i: number) => (p.type === "Identifier" ? p.name : `arg${i}`));
}

function callsKernels(f: Func): boolean {
  let found = false;
  walk(f.body, (i) => { if (i.k === "call") found = true; });
  return found;
}
