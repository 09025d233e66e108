// A derivative module: the gradient core function emitted from IR, plus the exported
// entry with the public call contract (objects in and out, `out` buffers, value).
import type * as ESTree from "acorn";
import { isArrayType, type Func, type Var } from "../ir/types.js";
import type { Kind } from "../kinds.js";
import { gradientIR } from "../pipeline.js";
import type { EmitOptions, GradRequest } from "../request.js";
import { emitFunction } from "./js.js";
import { Names } from "./names.js";

export interface ModuleParts {
  /** Module body: state, the core function and the exported entry (not exported here). */
  body: string;
  usesTape: boolean;
}

/** Full module text (TypeScript or JavaScript ESM), unformatted. */
export function emitGradModule(req: GradRequest, opts: EmitOptions): string {
  const parts = emitGradParts(req, opts);
  const runtime = opts.runtimeImport ?? "gradc/runtime";
  const head = parts.usesTape ? `import { Tape } from "${runtime}";\n\n` : "";
  return head + parts.body.replace(`\nfunction ${opts.exportName}(`, `\nexport function ${opts.exportName}(`);
}

export function emitGradParts(req: GradRequest, opts: EmitOptions): ModuleParts {
  const g = gradientIR(req);
  const ts = opts.lang === "ts";
  // Module-level names first; each function then names its own locals.
  const moduleNames = new Names();
  moduleNames.reserve(opts.exportName);
  const core = moduleNames.claim(`${req.fn.name}_grad`);
  const scalars = (g.outputs ?? []).length ? moduleNames.claim(`${req.fn.name}_scalars`) : undefined;
  const pairName = `${opts.exportName}_pair`;
  moduleNames.reserve(pairName);
  const coreText = emitFunction(g, { ts, names: moduleNames.fork(), name: core, scalarsParam: scalars ? "scalars" : undefined, returnValue: req.mode === "valueAndGrad" });
  const usesTape = /\btape\./.test(coreText);
  const state: string[] = [];
  if (usesTape) state.push("const tape = new Tape();");
  if (scalars) state.push(`const ${scalars} = new Float64Array(${g.outputs!.length});`);
  const entry = emitEntry(req, g, { ts, core, scalars, exportName: opts.exportName, names: moduleNames.fork(), state });
  const file = req.fn.source.file.split(/[\\/]/).pop();
  const wrt = req.wrt.map((w) => paramText(req, w)).join(", ");
  const header = `// ${req.mode === "valueAndGrad" ? "Value and gradient" : "Gradient"} of ${req.fn.name} (${file}) with respect to ${wrt}.`;
  return { body: [header, ...state, "", coreText, "", entry].join("\n") + "\n", usesTape };
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

interface EntryOptions {
  ts: boolean;
  core: string;
  scalars?: string;
  exportName: string;
  names: Names;
  /** Module-level declarations the entry adds. */
  state: string[];
}

function kindType(kind: Kind): string {
  switch (kind.k) {
    case "num": return "number";
    case "arr": return kind.elem === "f64" ? "Float64Array" : "Float32Array";
    case "obj": return `{ ${kind.fields.map((f) => `${f.name}: ${kindType(f.kind)}`).join("; ")} }`;
  }
}

/** A fresh gradient buffer shaped like argument `arg` of kind `kind`. */
function freshGradient(kind: Kind, arg: string): string {
  switch (kind.k) {
    case "num": return "0";
    case "arr": return `new ${kind.elem === "f64" ? "Float64Array" : "Float32Array"}(${arg}.length)`;
    case "obj": return `{ ${kind.fields.map((f) => `${f.name}: ${freshGradient(f.kind, `${arg}.${f.name}`)}`).join(", ")} }`;
  }
}

function emitEntry(req: GradRequest, g: Func, o: EntryOptions): string {
  const names = paramNames(req).map((n) => o.names.claim(n));
  const list = req.wrtIsList;
  const gradTypes = req.wrt.map((w) => kindType(req.kinds[w]));
  const outType = list ? `[${gradTypes.join(", ")}]` : gradTypes[0];
  const lines: string[] = [];
  // One gradient holder per wrt entry: the caller's `out` buffer or a new one.
  const holders = req.wrt.map((w, j) => {
    const kind = req.kinds[w];
    const holder = o.names.claim(`${names[w]}_grad`);
    if (kind.k === "num") return holder;
    const given = list ? `out?.[${j}]` : "out";
    lines.push(`  const ${holder} = ${given} ?? ${freshGradient(kind, names[w])};`);
    return holder;
  });
  const wrtIndex = (v: Var) => req.wrt.indexOf(v.param!);
  const access = (base: string, v: Var) => (v.field ? `${base}.${v.field}` : base);
  const args = g.params.map((p) => {
    const target = p.adjointOf;
    return target ? access(holders[wrtIndex(target)], target) : access(names[p.param!], p);
  });
  if (o.scalars) args.push(o.scalars);
  const call = `${o.core}(${args.join(", ")})`;
  lines.push(req.mode === "valueAndGrad" ? `  const value = ${call};` : `  ${call};`);
  // Scalar gradients come back in the scalars buffer.
  const scalarOf = new Map((g.outputs ?? []).map((v, k) => [v.adjointOf!, `${o.scalars}[${k}]`]));
  const results = req.wrt.map((w, j) => {
    const kind = req.kinds[w];
    const vars = [...scalarOf.keys()].filter((v) => v.param === w);
    if (kind.k === "num") return vars.length ? scalarOf.get(vars[0])! : "0";
    for (const v of vars) lines.push(`  ${holders[j]}.${v.field} = ${scalarOf.get(v)};`);
    if (kind.k === "obj") {
      for (const f of kind.fields) {
        const covered = vars.some((v) => v.field === f.name) || g.params.some((p) => p.adjointOf?.param === w && p.adjointOf.field === f.name);
        if (!covered && f.kind.k === "num") lines.push(`  ${holders[j]}.${f.name} = 0;`);
      }
    }
    return holders[j];
  });
  const fresh = list ? `[${results.join(", ")}]` : results[0];
  const vg = req.mode === "valueAndGrad";
  const hasOut = list || req.kinds[req.wrt[0]].k !== "num";
  if (!hasOut) {
    lines.push(`  return ${vg ? `[value, ${fresh}]` : fresh};`);
  } else {
    // With caller buffers nothing is allocated: they are filled and returned.
    lines.push(`  if (out === undefined) return ${vg ? `[value, ${fresh}]` : fresh};`);
    if (list) req.wrt.forEach((w, j) => { if (req.kinds[w].k === "num") lines.push(`  out[${j}] = ${results[j]};`); });
    if (vg) {
      const pair = `${o.exportName}_pair`;
      o.state.push(`let ${pair}${o.ts ? `: [number, ${outType}] | undefined` : ""};`);
      lines.push(`  if (${pair} === undefined) ${pair} = [value, out];`, `  else {`, `    ${pair}[0] = value;`, `    ${pair}[1] = out;`, `  }`, `  return ${pair};`);
    } else {
      lines.push("  return out;");
    }
  }
  const params = req.kinds.map((k, i) => (o.ts ? `${names[i]}: ${kindType(k)}` : names[i]));
  if (hasOut) params.push(o.ts ? `out?: ${outType}` : "out");
  const ret = o.ts ? `: ${req.mode === "valueAndGrad" ? `[number, ${outType}]` : outType}` : "";
  return `function ${o.exportName}(${params.join(", ")})${ret} {\n${lines.join("\n")}\n}`;
}

export { isArrayType };
