// Checkpointing on generated programs: every `for (` loop of a program (in the loss
// and in its helpers) marked `// @checkpoint`, each alone and then all together,
// must give, for each wrt, the un-checkpointed value exactly and the un-checkpointed
// gradient to a relative 1e-12 under every schedule. A variant gradc refuses with a
// GradcError that mentions checkpointing (a loop with break/return, a non-counted
// loop, a bound the body may change) is skipped and counted. Used by
// test/fuzz.test.ts and `node test/fuzz/run.mjs --checkpoint`.
import { GradcError, valueAndGrad } from "../../index.js";
import { maxRelError } from "../../runtime/numeric.js";
import { makeRng, seedOf } from "../corpus/rng.js";
import { copyArgs, showArgs, type Failure } from "./check.js";
import { buildProgram, F32_MARK, generateProgram, makeArgs, PARAMS, type FuzzArgs, type FuzzProgram, type GenOptions } from "./generate.js";

export type Schedule = "sqrt" | "binomial" | { snapshots: number };
export const SCHEDULES: readonly Schedule[] = ["sqrt", "binomial", { snapshots: 1 }, { snapshots: 2 }];
/** Checkpointed vs recorded gradient: the corpus's standard (test/checkpoint-corpus.test.ts). */
export const CHECKPOINT_TOL = 1e-12;
/** Entries smaller than this in both gradients count as equal (a tiny absolute floor). */
export const ABS_FLOOR = 1e-300;

/** A `for (` loop: in the loss (unit -1) or in helper `unit`, at a character offset of its source. */
export interface LoopSite {
  unit: number;
  start: number;
}

export interface CheckpointResult {
  prog: FuzzProgram;
  failures: (Failure & { schedule?: string; variant?: string; marked?: FuzzProgram })[];
  /** Loops found. */
  loops: number;
  /** Variants (sets of marked loops) tried. */
  variants: number;
  /** (variant, wrt, schedule) gradients compared. */
  checked: number;
  /** (variant, wrt) pairs gradc refused to checkpoint. */
  refused: number;
  /** First lines of the refusals, for reports. */
  refusals: string[];
}

export interface CheckpointOptions {
  /** Only these wrt indices (default all three). */
  wrts?: number[];
  /** Only these schedules (default SCHEDULES). */
  schedules?: readonly Schedule[];
  /** Only try the "all loops" variant and at most this many single-loop variants (default: all). */
  maxSingles?: number;
  /** Check at this point instead of the seeded one (for reducing). */
  at?: FuzzArgs;
  gen?: GenOptions;
}

const showSchedule = (s: Schedule) => (typeof s === "string" ? s : `{ snapshots: ${s.snapshots} }`);

/** Positions of the `for (` statements (at the start of a line) in a source text. */
export function loopStarts(src: string): number[] {
  return [...src.matchAll(/(^|\n)([ \t]*)for \(/g)].map((m) => m.index! + m[1].length);
}

export function loopSites(prog: FuzzProgram): LoopSite[] {
  return [
    ...loopStarts(prog.source).map((start) => ({ unit: -1, start })),
    ...prog.helpers.flatMap((h, unit) => loopStarts(h.source).map((start) => ({ unit, start }))),
  ];
}

function markText(src: string, starts: number[]): string {
  let out = src;
  for (const at of [...starts].sort((a, b) => b - a)) {
    const indent = /^[ \t]*/.exec(out.slice(at))![0];
    out = `${out.slice(0, at)}${indent}// @checkpoint\n${out.slice(at)}`;
  }
  return out;
}

/** The program with `// @checkpoint` on the line before each loop of `sites`. */
export function markProgram(prog: FuzzProgram, sites: LoopSite[]): FuzzProgram {
  const at = (unit: number) => sites.filter((s) => s.unit === unit).map((s) => s.start);
  const source = markText(prog.source, at(-1));
  const helpers = prog.helpers.map((h, i) => ({ name: h.name, source: markText(h.source, at(i)) }));
  const text = [...(prog.f32 ? [F32_MARK] : []), ...helpers.map((h) => h.source), `const loss = ${source};`].join("\n\n");
  return { seed: prog.seed, f32: prog.f32, source, helpers, text };
}

/** Elementwise |a − b| / max(|a|, |b|, ABS_FLOOR), max over numbers, arrays and { a, b } objects. */
export function relDiff(a: unknown, b: unknown): number {
  if (typeof a === "number") {
    if (a === b) return 0;
    const d = Math.abs(a - (b as number)) / Math.max(Math.abs(a), Math.abs(b as number), ABS_FLOOR);
    return Number.isNaN(d) ? Infinity : d;
  }
  if (ArrayBuffer.isView(a)) {
    const bb = b as Float64Array;
    if (!ArrayBuffer.isView(bb) || bb.length !== (a as Float64Array).length) return Infinity;
    return Math.max(0, ...Array.from(a as Float64Array, (x, i) => relDiff(x, bb[i])));
  }
  if (a && typeof a === "object") {
    if (!b || typeof b !== "object") return Infinity;
    return Math.max(0, ...Object.keys(a).map((k) => relDiff((a as any)[k], (b as any)[k])));
  }
  return Infinity;
}

function show(v: unknown): string {
  if (typeof v === "number") return String(v);
  if (ArrayBuffer.isView(v)) return `[${Array.from(v as Float64Array).join(", ")}]`;
  if (v && typeof v === "object") return `{ ${Object.entries(v).map(([k, x]) => `${k}: ${show(x)}`).join(", ")} }`;
  return String(v);
}

/** The error's first line, and for a crash the top of its stack (not an IR dump in the message). */
function errText(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  if (e instanceof GradcError) return `${e.name}: ${e.message}`;
  const at = (e.stack ?? "").split("\n").filter((l) => /^\s+at /.test(l)).slice(0, 4);
  return [`${e.name}: ${e.message.split("\n")[0]}`, ...at].join("\n");
}
/** A refusal to checkpoint (skipped): a GradcError whose message mentions checkpointing. */
const isCheckpointRefusal = (e: unknown) => e instanceof GradcError && /checkpoint/i.test(e.message);

type VG = (...a: unknown[]) => [number, unknown];

export function checkCheckpointSeed(seed: number, opts: CheckpointOptions = {}): CheckpointResult {
  return checkCheckpoint(generateProgram(seed, opts.gen), opts);
}

export function checkCheckpoint(prog: FuzzProgram, opts: CheckpointOptions = {}): CheckpointResult {
  const sites = loopSites(prog);
  const res: CheckpointResult = { prog, failures: [], loops: sites.length, variants: 0, checked: 0, refused: 0, refusals: [] };
  if (!sites.length) return res;
  const singles = sites.slice(0, opts.maxSingles ?? sites.length).map((s) => [s]);
  const schedules = opts.schedules ?? SCHEDULES;
  let base;
  try {
    base = buildProgram(prog);
  } catch (e) {
    res.failures.push({ kind: "invalid-program", wrt: "-", message: `cannot build: ${errText(e)}` });
    return res;
  }
  // the point and the recorded gradient, per wrt
  const refs: { wi: number; args: FuzzArgs; value: number; g: unknown }[] = [];
  for (let wi = 0; wi < PARAMS.length; wi++) {
    if (opts.wrts && !opts.wrts.includes(wi)) continue;
    const args = opts.at ? copyArgs(opts.at) : makeArgs(makeRng(seedOf(`fuzz:${prog.seed}:checkpoint:${PARAMS[wi]}`)), prog.f32);
    try {
      const want = base.f(...copyArgs(args));
      if (typeof want !== "number" || !Number.isFinite(want)) throw new Error(`loss returned ${want}`);
    } catch (e) {
      res.failures.push({ kind: "invalid-program", wrt: PARAMS[wi], message: `loss at the point: ${errText(e)}`, args });
      return res;
    }
    try {
      const [value, g] = (valueAndGrad(base.f, { wrt: wi, functions: base.functions }) as VG)(...copyArgs(args));
      refs.push({ wi, args, value, g });
    } catch (e) {
      // not a checkpointing problem: the plain fuzzer reports these
      res.failures.push({ kind: e instanceof GradcError ? "refused" : "crash", wrt: `${PARAMS[wi]} (unmarked)`, message: errText(e), args });
    }
  }
  // each loop alone, then all the loops gradc accepted alone together
  const accepted: LoopSite[] = [];
  const runVariant = (v: LoopSite[], variant: string) => {
    res.variants++;
    const marked = markProgram(prog, v);
    const built = buildProgram(marked);
    let refused = false;
    for (const ref of refs) {
      const wrt = PARAMS[ref.wi];
      for (const schedule of schedules) {
        const fail = (kind: Failure["kind"], message: string) =>
          res.failures.push({ kind, wrt, message, args: ref.args, schedule: showSchedule(schedule), variant, marked });
        const callArgs = copyArgs(ref.args);
        let value: number, g: unknown;
        try {
          const vg = valueAndGrad(built.f, { wrt: ref.wi, functions: built.functions, checkpoint: schedule }) as VG;
          [value, g] = vg(...callArgs);
        } catch (e) {
          if (isCheckpointRefusal(e)) {
            refused = true;
            res.refused++;
            res.refusals.push((e as Error).message.split("\n")[0]);
            break; // the same refusal under every schedule
          }
          fail(e instanceof GradcError ? "refused" : "crash", errText(e));
          continue;
        }
        res.checked++;
        if (maxRelError(callArgs, ref.args) !== 0) fail("wrote-arguments", "valueAndGrad changed its arguments");
        if (value !== ref.value) fail("value", `value ${value}, un-checkpointed ${ref.value}`);
        const d = relDiff(g, ref.g);
        if (!(d < CHECKPOINT_TOL)) fail("gradient", `relative difference ${d.toExponential(2)}\n  checkpointed:    ${show(g)}\n  un-checkpointed: ${show(ref.g)}`);
      }
    }
    return !refused;
  };
  for (const [k, v] of singles.entries()) if (runVariant(v, `loop ${k + 1} of ${sites.length}`)) accepted.push(v[0]);
  if (accepted.length > 1) runVariant(accepted, accepted.length === sites.length ? "all loops" : `loops ${accepted.map((s) => sites.indexOf(s) + 1).join(",")} of ${sites.length} (all accepted)`);
  return res;
}

/**
 * For the reducer: the program as given (its loops already marked), one wrt, one
 * schedule, at one point: the checkpointed value and gradient against the same
 * program compiled without the checkpoint option.
 */
export function checkMarked(prog: FuzzProgram, wi: number, schedule: Schedule, at: FuzzArgs): Failure[] {
  const wrt = PARAMS[wi];
  let built;
  try {
    built = buildProgram(prog);
    const want = built.f(...copyArgs(at));
    if (typeof want !== "number" || !Number.isFinite(want)) return [];
  } catch {
    return [];
  }
  let ref: [number, unknown];
  try {
    ref = (valueAndGrad(built.f, { wrt: wi, functions: built.functions }) as VG)(...copyArgs(at));
  } catch {
    return []; // the reduction broke the plain compile: not this failure
  }
  const out: Failure[] = [];
  const callArgs = copyArgs(at);
  try {
    const [value, g] = (valueAndGrad(built.f, { wrt: wi, functions: built.functions, checkpoint: schedule }) as VG)(...callArgs);
    if (maxRelError(callArgs, at) !== 0) out.push({ kind: "wrote-arguments", wrt, message: "valueAndGrad changed its arguments", args: at });
    if (value !== ref[0]) out.push({ kind: "value", wrt, message: `value ${value}, un-checkpointed ${ref[0]}`, args: at });
    const d = relDiff(g, ref[1]);
    if (!(d < CHECKPOINT_TOL)) out.push({ kind: "gradient", wrt, message: `relative difference ${d.toExponential(2)}\n  checkpointed:    ${show(g)}\n  un-checkpointed: ${show(ref[1])}`, args: at });
  } catch (e) {
    if (isCheckpointRefusal(e)) return [];
    out.push({ kind: e instanceof GradcError ? "refused" : "crash", wrt, message: errText(e), args: at });
  }
  return out;
}

export function parseSchedule(s: string): Schedule {
  if (s === "sqrt" || s === "binomial") return s;
  const m = /snapshots:\s*(\d+)/.exec(s);
  if (m) return { snapshots: Number(m[1]) };
  throw new Error(`unknown schedule ${s}`);
}

export function formatCheckpointFailures(res: CheckpointResult): string {
  const lines = [`seed ${res.prog.seed} (checkpointing, ${res.loops} loops):`];
  let lastMarked: FuzzProgram | undefined;
  for (const fl of res.failures) {
    lines.push(`  [${fl.kind}] wrt ${fl.wrt}${fl.schedule ? `, schedule ${fl.schedule}` : ""}${fl.variant ? `, ${fl.variant}` : ""}: ${fl.message}`);
    if (fl.args) lines.push(`  args: ${showArgs(fl.args)}`);
    if (fl.marked) lastMarked = fl.marked;
  }
  lines.push("  program" + (lastMarked ? " (last failing variant's marks)" : "") + ":", ...(lastMarked ?? res.prog).text.split("\n").map((l) => `    ${l}`));
  return lines.join("\n");
}
