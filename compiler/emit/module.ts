// A derivative module: core function(s) emitted from IR, plus the exported entry
// with the public call contract of the requested derivative (see entry.ts and
// entries.ts).
import { maxTape, walk, type Func, type Loc } from "../ir/types.js";
import { opDef } from "../ops/table.js";
import type { BlackBox } from "../parse/source.js";
import { MODES } from "../modes.js";
import { kernelDef } from "../ops/kernels/index.js";
import { GradcError, refuse } from "../errors.js";
import { dataField, describeKind, isData, pathAccess, type Kind } from "../kinds.js";
import type { EmitOptions, GradRequest, ModuleValue } from "../request.js";
import { parameterNames } from "../request-options.js";
import { CHECK_FUNCTIONS, usedChecks } from "./checks.js";
import { emitFunction, KERNELS, outputSlots, tapeName } from "./js.js";
import { Names } from "./names.js";
import { inlineMapComment, moduleMap, runtimeSourceName, type Origin } from "./source-map.js";
import { lineOf } from "../parse/lines.js";
import { outline, type Piece } from "../transforms/outline.js";

/** One derivative of a module: its header comment, module-level state and functions. */
export interface Part {
  header: string;
  state: string[];
  functions: { text: string; exported: boolean }[];
}

/**
 * A generated module under construction: one name manager for all its derivatives, the
 * runtime names they import, their parts. Printed once, by `print` (with imports) or
 * `body` (for the run-time path, which passes the runtime names in).
 */
export class GradModule {
  readonly names = new Names();
  /** The source-line comments printed, in order (see source-map.ts). */
  readonly origins: Origin[] = [];
  private readonly parts: Part[] = [];
  private readonly runtime = new Set<string>();
  private usesKernels = false;
  private tapes = 0;
  /** Black boxes generated code calls (lower/custom.ts), by their local name. */
  private readonly blackBoxes = new Map<string, BlackBox>();
  /** Module-level values the entries read (build path, module-values.ts), by name. */
  private readonly moduleValues = new Map<string, ModuleValue>();

  /** `exports`: the names of the entries this module will export (claimed first). */
  constructor(readonly lang: "ts" | "js", exports: string[]) {
    for (const name of [...exports, ...CHECK_FUNCTIONS, "EntrySpec"]) this.names.reserve(name);
  }

  /** Adds the derivative `req` asks for, its entry named `exportName`. */
  add(req: GradRequest, exportName: string): void {
    this.addPart(derivativePart(this, req, exportName));
  }

  addPart(part: Part): void {
    this.parts.push(part);
  }

  /** Numbers for a derivative's `count` tapes, after those of the derivatives before it. */
  claimTapes(count: number): number {
    const base = this.tapes;
    this.tapes += count;
    if (count > 0) this.runtime.add("Tape");
    return base;
  }

  use(runtimeName: string): void {
    if (runtimeName === KERNELS) this.usesKernels = true;
    else this.runtime.add(runtimeName);
  }

  /** Takes the black boxes `f` calls: their names are reserved, and those with a module imported. */
  useBlackBoxes(f: Func): void {
    walk(f.body, (i) => {
      const box = i.k === "op" ? opDef(i.op).blackBox : i.k === "call" ? kernelDef(i.kernel)?.blackBox : undefined;
      if (!box) return;
      const known = this.blackBoxes.get(box.local);
      if (known && (known.from !== box.from || known.name !== box.name)) {
        throw new GradcError("black box", `Two functions gradc cannot read are both named '${box.local}' (${describeBox(known)} and ${describeBox(box)}), and generated code calls each by its name.`, "gradc", undefined, "Import one of them under another name.");
      }
      this.blackBoxes.set(box.local, box);
      this.names.reserve(box.local);
    });
  }

  blackBoxList(): BlackBox[] {
    return [...this.blackBoxes.values()];
  }

  /** Takes the module values `req` reads: the module imports each under its own name. */
  useModuleValues(req: GradRequest): void {
    for (const value of Object.values(req.closure?.modules ?? {})) {
      const known = this.moduleValues.get(value.name);
      if (known && (known.file !== value.file || known.declared !== value.declared)) {
        throw new GradcError("module-level value", `Two module-level values are both named '${value.name}' (in ${known.file} and ${value.file}), and the generated module imports each by its name.`, "gradc", undefined, "Rename one of them.");
      }
      if (this.blackBoxes.has(value.name)) {
        throw new GradcError("module-level value", `The module-level value '${value.name}' and a function gradc cannot read have one name, and the generated module imports each by its name.`, "gradc", undefined, "Rename one of them.");
      }
      this.moduleValues.set(value.name, value);
      this.names.reserve(value.name);
    }
  }

  moduleValueList(): ModuleValue[] {
    return [...this.moduleValues.values()];
  }

  /** Module text without imports: state and functions (entries exported when `exports`). */
  body(exports = true): string {
    return this.parts.map((p) => [p.header, ...p.state, "", ...p.functions.map((f) => `${exports && f.exported ? "export " : ""}${f.text}`).join("\n\n").split("\n")].join("\n")).join("\n\n") + "\n";
  }

  /** The whole module: its runtime imports, then the body. */
  print(runtimeImport = "gradc/runtime", blackBoxImport: (box: BlackBox) => string | undefined = () => undefined, moduleValueImports: (values: ModuleValue[]) => string[] = () => []) {
    const checks = CHECK_FUNCTIONS.filter((f) => this.runtime.has(f));
    const imports = [
      ...(this.runtime.has("Tape") ? [`import { Tape } from "${runtimeImport}";`] : []),
      ...(this.usesKernels ? [`import * as ${KERNELS} from "${runtimeImport}";`] : []),
      ...(checks.length ? [`import { ${[...checks, ...(this.lang === "ts" ? ["type EntrySpec"] : [])].join(", ")} } from "${runtimeImport}";`] : []),
      ...this.blackBoxList().flatMap((box) => blackBoxImport(box) ?? []),
      ...moduleValueImports(this.moduleValueList()),
    ];
    return `${imports.length ? `${imports.join("\n")}\n\n` : ""}${this.body()}`;
  }
}

function describeBox(box: BlackBox): string {
  return box.from === undefined ? "a global" : `'${box.name}' of ${box.from}`;
}

/** Full module text (TypeScript or JavaScript ESM) for one request, unformatted. */
export function emitGradModule(req: GradRequest, opts: EmitOptions): string {
  const module = new GradModule(opts.lang, [opts.exportName]);
  module.add(req, opts.exportName);
  return module.print(opts.runtimeImport);
}

/**
 * The body of the run-time path's `new Function`: no imports (it passes Tape, kernels and
 * the check functions in), returning the entry; with a `//# sourceURL` naming it in
 * debuggers and an inline map back to the lines of the differentiated function.
 */
export function derivativeBody(req: GradRequest): string {
  const module = new GradModule("js", ["entry"]);
  module.add(req, "entry");
  const body = `${module.body(false)}return entry;\n`;
  const url = `gradc:///${req.fn.name}_${req.mode}.js`;
  // V8 puts `(function anonymous(<params>\n) {\n` before the body: two lines.
  const map = moduleMap(body, module.origins, url, runtimeSourceName, 2);
  return `${body}//# sourceURL=${url}\n${inlineMapComment(map)}\n`;
}

function derivativePart(module: GradModule, req: GradRequest, exportName: string): Part {
  refuseDataWrt(req);
  module.useModuleValues(req);
  const ts = module.lang === "ts";
  const { names } = module;
  const state: string[] = [];
  const made: { name: string; func: Func; returnValue: boolean }[] = [];
  // Each core function: a module-level name, buffers for its outputs.
  const core = (role: string, f: Func, returnValue: boolean) => {
    const name = names.claim(`${req.fn.name}_${role}`);
    const slots = outputSlots(f);
    const scalars = slots.scalars ? names.claim(`${name}_scalars`) : "";
    const refs = slots.refs ? names.claim(`${name}_refs`) : "";
    if (scalars) state.push(`const ${scalars} = new Float64Array(${slots.scalars});`);
    if (refs) state.push(`const ${refs}${ts ? ": (Float64Array | Float32Array)[]" : ""} = [];`);
    made.push({ name, func: f, returnValue });
    return { name, func: f, scalars, refs };
  };
  const mode = MODES[req.mode];
  const cores = mode.cores(req, core);
  const tapeCount = Math.max(-1, ...made.map((m) => maxTape(m.func.body))) + 1;
  const tapeBase = module.claimTapes(tapeCount);
  const tape = (k: number) => tapeName(tapeBase + k);
  const title = header(req);
  module.origins.push({ comment: title, source: req.fn.source, line: lineOf(req.fn.source.text, req.fn.node.start) });
  const onComment = (comment: string, loc: Loc) => module.origins.push({ comment, source: loc.source, line: loc.line });
  for (const m of made) module.useBlackBoxes(m.func);
  const texts = made.flatMap((m) => {
    const { main, pieces } = outline(m.func, { name: m.name, claim: (base) => names.claim(base) });
    const emit = (func: Func, name: string, returnValue: boolean) => emitFunction(func, { ts, names: names.fork(), name, returnValue, tape, onComment });
    for (const p of pieces) state.push(...pieceBuffers(p, ts));
    return [...pieces.map((p) => emit(p.func, p.func.name, p.returns)), emit(main, m.name, m.returnValue)];
  });
  if (made.some((m) => callsRuntimeKernels(m.func))) module.use(KERNELS);
  const entryNames = names.fork();
  // A module value is read through its import, named as in its module.
  const args = paramNames(req).map((n, i) => (i >= req.fn.node.params.length && req.closure?.modules?.[n] ? n : entryNames.claim(n)));
  const context = { req, ts, names: entryNames, state, args };
  const entry = mode.entry(cores, context, exportName);
  for (const f of usedChecks(context)) module.use(f);
  state.unshift(...Array.from({ length: tapeCount }, (_, k) => `const ${tape(k)} = new Tape();`));
  return { header: title, state, functions: [...texts.map((text) => ({ text, exported: false })), { text: entry, exported: true }] };
}

/** Module-level output buffers of an outlined piece. */
function pieceBuffers(p: Piece, ts: boolean): string[] {
  const slots = outputSlots(p.func);
  return [
    ...(p.buffers.scalars ? [`const ${p.buffers.scalars} = new Float64Array(${slots.scalars});`] : []),
    ...(p.buffers.refs ? [`const ${p.buffers.refs}${ts ? ": (Float64Array | Float32Array)[]" : ""} = [];`] : []),
  ];
}

/** Whether `f` calls kernels of the runtime (not only the records of custom rules). */
function callsRuntimeKernels(f: Func): boolean {
  let found = false;
  walk(f.body, (i) => { if (i.k === "call" && !kernelDef(i.kernel)?.custom) found = true; });
  return found;
}

/** Integer typed arrays and booleans are data: asking for a derivative with respect to one is an error. */
function refuseDataWrt(req: GradRequest): void {
  for (const w of req.wrt) {
    const kind = req.kinds[w];
    const name = paramNames(req)[w];
    const node = req.fn.node.params[w];
    const hint = "Integer typed arrays (Int32Array, Uint8Array, ...) and booleans are non-differentiable data: differentiate with respect to a number, a Float64Array/Float32Array, or an object of those.";
    const construct = (k: Kind) => (k.k === "bool" ? "wrt boolean" : k.k === "plain" ? "wrt boolean array" : "wrt integer array");
    if (isData(kind)) {
      throw refuse(req.fn.source, node, construct(kind), `wrt '${name}' of ${req.fn.name} is ${describeKind(kind)}.`, hint);
    }
    const field = dataField(kind);
    if (field) {
      throw refuse(req.fn.source, node, construct(field.kind), `wrt '${name}' of ${req.fn.name} has field ${pathAccess(name, field.path)}, ${describeKind(field.kind)}.`,
        `${hint} Pass it as an argument of its own.`);
    }
  }
}

function header(req: GradRequest): string {
  const file = req.fn.source.file.split(/[\\/]/).pop();
  const wrt = req.wrt.map((w) => paramText(req, w)).join(", ");
  return `// ${MODES[req.mode].title} of ${req.fn.name} (${file}) with respect to ${wrt}.`;
}

/** A parameter as written in the source (a destructuring pattern keeps its braces). */
function paramText(req: GradRequest, index: number): string {
  const param = req.fn.node.params[index];
  const p = param.type === "AssignmentPattern" ? param.left : param;
  if (p.type === "Identifier") return p.name;
  return req.fn.source.text.slice(p.start, p.end).replace(/\s+/g, " ").replace(/:.*$/, "");
}

/** Source names of the parameters (patterns get `argN`). */
export function paramNames(req: GradRequest): string[] {
  return [...parameterNames(req.fn.node).map((name, i) => name ?? `arg${i}`), ...(req.closure?.data ?? [])];
}
