#!/usr/bin/env node
// The `gradc` command: `show` prints generated code for one function, `build` writes .grad.ts modules.
import { readFileSync, realpathSync } from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { build, type BuildOptions, type BuildResult, type Emitter } from "./build.js";
import { compileModule } from "./compile-module.js";
import { watchBuild } from "./build-watch.js";
import { gradcVersion } from "./version.js";
import { functionRequest, type WrtSpec } from "./build-sites.js";
import { GradcError } from "./errors.js";
import { isMode, MODES } from "./modes.js";
import { createProject } from "./parse/typescript.js";
import { showIR } from "./pipeline.js";
import type { JacobianMode, Mode } from "./request.js";

export const USAGE = `Usage:
  gradc show <file.ts> <function> [--wrt a,b] [--mode MODE] [--jacobian forward|reverse|auto] [--ir]
      Print the derivative module generated for <function> (or, with --ir, the compiler's IR).
      --wrt     parameters to differentiate with respect to: names or indices, comma-separated
                (default: the first parameter; a list gives an array of gradients)
      --mode    grad or reverse (default), valueAndGrad, jvp or forward, vjp, jacobian,
                batchJacobian, hvp, gradAndHvp, hessian
      --jacobian  how a jacobian is computed: forward, reverse or auto (default)
  gradc build <files or dirs...> [--out-dir DIR] [--runtime SPECIFIER] [--check] [--watch]
      Find \`export const NAME = grad(fn, { wrt })\` (or valueAndGrad, jvp, vjp, jacobian,
      batchJacobian, hvp, gradAndHvp, hessian) in modules that import them from "gradc", and write <module>.grad.ts and its
      .map next to each (or under --out-dir); for a .js/.mjs module (JSDoc-typed),
      <module>.grad.js/.grad.mjs, its .map and declarations <module>.grad.d.ts/.grad.d.mts.
      --runtime module the generated code imports the runtime from (default "gradc/runtime")
      --check   write nothing; list generated modules that are missing or out of date
                (their source or a module it imports changed) and exit 1 if there are any
      --watch   build, then rebuild whenever a module under the inputs changes
  gradc --version
  gradc --help
`;

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

const processIo: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

class UsageError extends Error {}

/** Runs the CLI; resolves to the exit code (0 ok, 1 error in the user's code, 2 bad usage). */
export async function main(argv: string[], io: Io = processIo, emit?: Emitter): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === "--help" || command === "-h" || command === "help") {
      io.out(USAGE);
      return 0;
    }
    if (command === "--version" || command === "-v") {
      io.out(`${gradcVersion()}\n`);
      return 0;
    }
    if (command === "show") return await show(rest, io, emit);
    if (command === "build") return await runBuild(rest, io, emit);
    throw new UsageError(`unknown command '${command}'`);
  } catch (error) {
    return report(error, io);
  }
}

function report(error: unknown, io: Io): number {
  if (error instanceof UsageError || isArgError(error)) {
    io.err(`gradc: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  io.err(`${describe(error)}\n`);
  return 1;
}

function isArgError(error: unknown): boolean {
  return (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") ?? false;
}

/** A GradcError's message has file:line:col and a code frame; other errors get a prefix. */
function describe(error: unknown): string {
  if (error instanceof GradcError) return error.message;
  return `gradc: ${error instanceof Error ? error.message : String(error)}`;
}

async function show(args: string[], io: Io, emit?: Emitter): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { wrt: { type: "string" }, mode: { type: "string" }, jacobian: { type: "string" }, ir: { type: "boolean" } },
  });
  if (positionals.length !== 2) throw new UsageError("show takes a file and a function name");
  const [file, fnName] = positionals;
  const mode = parseMode(values.mode);
  const jacobianMode = parseJacobianMode(values.jacobian);
  if (values.ir) {
    io.out(ensureNewline(showIR(functionRequest(createProject(), file, fnName, parseWrt(values.wrt), mode, jacobianMode))));
    return 0;
  }
  const request = { function: fnName, wrt: parseWrt(values.wrt), mode, jacobianMode };
  const compiled = await compileModule(readFileSync(file, "utf8"), file, { requests: [request], header: false, declarations: false, emit });
  if (compiled.diagnostics.length > 0) throw compiled.diagnostics[0];
  io.out(compiled.code!);
  return 0;
}

/** --mode: a derivative's name, or reverse (a gradient) / forward (a JVP). */
const MODE_ALIASES: Record<string, Mode> = { reverse: "grad", forward: "jvp" };

function parseMode(mode: string | undefined): Mode {
  if (mode === undefined) return "grad";
  const found = isMode(mode) ? mode : MODE_ALIASES[mode];
  if (!found) throw new UsageError(`--mode must be one of ${[...Object.keys(MODES), ...Object.keys(MODE_ALIASES)].join(", ")}, not '${mode}'`);
  return found;
}

function parseJacobianMode(mode: string | undefined): JacobianMode | undefined {
  if (mode === undefined || mode === "forward" || mode === "reverse" || mode === "auto") return mode;
  throw new UsageError(`--jacobian must be forward, reverse or auto, not '${mode}'`);
}

/** `w` -> "w"; `0` -> 0; `a,b` (or `a,`) -> a list. */
export function parseWrt(text: string | undefined): WrtSpec {
  if (text === undefined) return undefined;
  const items = text.split(",").map((s) => s.trim()).filter(Boolean).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  if (items.length === 0) throw new UsageError("--wrt needs a parameter name or index");
  return text.includes(",") ? items : items[0];
}

async function runBuild(args: string[], io: Io, emit?: Emitter): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { "out-dir": { type: "string" }, runtime: { type: "string" }, check: { type: "boolean" }, watch: { type: "boolean" } },
  });
  if (positionals.length === 0) throw new UsageError("build needs at least one file or directory");
  if (values.check && values.watch) throw new UsageError("--check and --watch do not go together");
  const options: BuildOptions = { outDir: values["out-dir"], runtimeImport: values.runtime, emit, check: values.check };
  if (values.watch) {
    watchBuild(positionals, options, (result) => reportBuild(result, io));
    return new Promise(() => {}); // until interrupted
  }
  return reportBuild(await build(positionals, options), io);
}

/** Prints what a build did; the exit code (1 on failures or, with --check, stale modules). */
function reportBuild(result: BuildResult, io: Io): number {
  for (const m of result.built) {
    io.out(`wrote ${relative(m.output)} (${m.exports.join(", ")}) from ${relative(m.source)}\n`);
  }
  for (const f of result.failures) io.err(`${describe(f.error)}\n`);
  for (const r of result.removed) io.err(`gradc: removed ${relative(r)}: its source changed and could not be rebuilt\n`);
  for (const s of result.stale) io.err(`stale: ${relative(s.output)} (${s.reason}): run gradc build ${relative(s.source)}\n`);
  const none = result.built.length + result.failures.length + result.stale.length === 0;
  if (none) io.out("no grad/valueAndGrad request sites found\n");
  return result.failures.length > 0 || result.stale.length > 0 ? 1 : 0;
}

function relative(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel.startsWith("..") ? file : rel;
}

function ensureNewline(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
