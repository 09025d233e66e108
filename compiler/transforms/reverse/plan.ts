// The plan of reverse mode: every decision the sweeps follow, made once before they run
// and not changed by them. What is active, what the backward sweep needs, which writes
// save what they overwrite, which vars are recomputed instead of taped, which branch
// conditions are re-evaluated, and how each counted loop is reversed. Store-or-recompute
// decisions are written here; the sweeps only carry them out.
import { factsOf, type Facts } from "../../ir/facts.js";
import { childBlocks, maxTape, varsOf, walk, type Block, type For, type Func, type Instr, type Temp, type Var } from "../../ir/types.js";
import { saveRatherThanRecompute } from "./costs.js";
import { iterationValues } from "./iteration-values.js";
import { findSelections, type Selection } from "./selection.js";
import { analyzeActivity, type Activity } from "../activity.js";
import { refuseAt } from "../../errors.js";
import type { CheckpointSpec } from "../../request.js";
import { analyzeNeeds, findRecomputable, findRecomputableBounds, findRecomputableConditions, findSaves, type Needs, type Recompute } from "../tbr.js";

/**
 * How a counted loop is reversed (one record per loop; while loops are always recorded).
 * - recorded: the forward loop records its bounds (inside loops, on the tape);
 * - recomputedBounds: the backward loop's range is computed again from the bounds;
 * - sqrt: checkpointed in segments of ⌈√T⌉ iterations (`// @checkpoint`, schedule "sqrt");
 * - revolve: binomial checkpointing with `snapshots` slots (⌈√T⌉ when not given);
 * - call: a `checkpoint(fn)` call, kept as its entry state and run again;
 * - selection: a top-level running max or min, swept once at the index it kept (selection.ts).
 */
export type LoopStrategy =
  | { readonly kind: "recorded" }
  | { readonly kind: "recomputedBounds" }
  | { readonly kind: "sqrt" }
  | { readonly kind: "revolve"; readonly snapshots?: number }
  | { readonly kind: "call" }
  | { readonly kind: "selection" };

export type Checkpointed = Extract<LoopStrategy, { kind: "sqrt" | "revolve" | "call" }>["kind"];

export interface ReversePlan {
  readonly f: Func;
  readonly wrt: readonly Var[];
  readonly act: Activity;
  /** Vars recomputed at the start of each backward iteration instead of being taped. */
  readonly recompute: ReadonlyMap<number, Recompute>;
  /** Branches whose condition the backward sweep re-evaluates instead of recording. */
  readonly condsRecomputed: ReadonlySet<Instr>;
  /** What the backward sweep reads: temps, locations, kernel rules' arrays, rerun loops' reads. */
  readonly needs: Needs;
  /** Writes that save the value they overwrite on the tape. */
  readonly saves: ReadonlySet<Instr>;
  /**
   * Sets whose value the backward sweep reads from their var instead of computing it
   * again: saved ones just before restoring it (see readsBeforeRestore), and the sets of
   * the vars in tapedAfter (their var holds the value through the reversed iteration).
   */
  readonly readBeforeRestore: ReadonlySet<Instr>;
  /**
   * Vars a loop iteration sets and reads (iteration-values.ts), by the instruction of the
   * body that reads them last: pushed after it, popped before its adjoint; their sets save nothing.
   */
  readonly tapedAfter: ReadonlyMap<Instr, readonly Var[]>;
  /**
   * Per set or store, the values its expression computes that the forward sweep saves
   * for the backward sweep, in the order pushed (see tapedValues).
   */
  readonly taped: ReadonlyMap<Instr, readonly Temp[]>;
  /** Top-level kernel calls that first write a local `out`: their adjoint needs no reset after them. */
  readonly firstWrites: ReadonlySet<Instr>;
  /** Vars set once and read only after in the same block: their adjoints live in temps. */
  readonly blockLocal: ReadonlySet<number>;
  readonly loops: ReadonlyMap<For, LoopStrategy>;
  /** The loops swept as selections, with what they select. */
  readonly selections: ReadonlyMap<For, Selection>;
  /** The tape the derivative saves on (above the input's own tapes). */
  readonly tape: number;
  /** Definitions and uses of the input's temps, its loops, branches and effects. */
  readonly facts: Facts;
}

export function planReverse(f: Func, wrt: Var[], schedule?: CheckpointSpec): ReversePlan {
  const facts = factsOf(f);
  const act = analyzeActivity(f, wrt);
  const selections = findSelections(f, facts, act);
  // A selection stays one only if its loop saves nothing each iteration; dropping one may
  // make the backward sweep need more, so the plan is made again until all hold.
  for (;;) {
    const plan = planWith(f, wrt, facts, act, selections, schedule);
    const broken = [...selections].filter(([, sel]) => !selectionHolds(plan, sel));
    if (broken.length === 0) return plan;
    for (const [loop] of broken) selections.delete(loop);
  }
}

function planWith(f: Func, wrt: Var[], facts: Facts, act: Activity, selections: ReadonlyMap<For, Selection>, schedule?: CheckpointSpec): ReversePlan {
  const bounds = findRecomputableBounds(facts);
  const loops = loopStrategies(facts, bounds, selections, schedule);
  const checkpointed = new Set([...loops].flatMap(([loop, s]) => (isCheckpointed(s) ? [loop] : [])));
  for (const loop of checkpointed) refuseReassignedArrays(loop);
  const recompute = findRecomputable(facts);
  const condsRecomputed = findRecomputableConditions(facts);
  const selected = new Set<Instr>([...selections.values()].flatMap((sel) => (sel.keep ? [sel.keep] : [])));
  const needs = analyzeNeeds(facts, act, recompute, new Set<Instr>([...bounds, ...condsRecomputed]), checkpointed, selected);
  const saves = findSaves(f, needs, recompute);
  const swept = (loop: For) => ["recorded", "recomputedBounds"].includes(loops.get(loop)!.kind);
  const { after: tapedAfter, sets: perIteration } = iterationValues(f, facts, saves, swept);
  for (const i of perIteration) saves.delete(i);
  const readBeforeRestore = readsBeforeRestore(f, facts, needs, saves);
  for (const i of perIteration) readBeforeRestore.add(i);
  return Object.freeze({
    f, wrt, act, recompute, condsRecomputed, needs, saves, readBeforeRestore, tapedAfter,
    taped: tapedValues(f, facts, act, needs, readBeforeRestore),
    firstWrites: firstWritesOf(f),
    blockLocal: blockLocalVars(f, facts),
    loops, selections: new Map(selections), tape: maxTape(f.body) + 1, facts,
  });
}

/** Whether the selection's write of m is left as it is: not saved, taped or recomputed, nor its branch recorded. */
function selectionHolds(plan: ReversePlan, sel: Selection): boolean {
  const { write } = sel;
  return !plan.saves.has(write) && !plan.taped.has(write) && !plan.readBeforeRestore.has(write) && !plan.recompute.has(sel.m.id);
}

export function isCheckpointed(s: LoopStrategy): s is Extract<LoopStrategy, { kind: Checkpointed }> {
  return s.kind === "sqrt" || s.kind === "revolve" || s.kind === "call";
}

function loopStrategies({ loops }: Facts, bounds: Set<For>, selections: ReadonlyMap<For, Selection>, schedule?: CheckpointSpec): Map<For, LoopStrategy> {
  const out = new Map<For, LoopStrategy>();
  for (const i of loops) {
    if (selections.has(i)) out.set(i, { kind: "selection" });
    else if (i.checkpoint === "call") out.set(i, { kind: "call" });
    else if (i.checkpoint === "loop" && schedule === "sqrt") out.set(i, { kind: "sqrt" });
    else if (i.checkpoint === "loop" && schedule !== undefined) out.set(i, { kind: "revolve", snapshots: typeof schedule === "object" ? schedule.snapshots : undefined });
    else out.set(i, { kind: bounds.has(i) ? "recomputedBounds" : "recorded" });
  }
  return out;
}

/** A checkpointed loop's snapshots hold array contents, not which array each name refers to. */
function refuseReassignedArrays(loop: For): void {
  walk(loop.body, (i) => {
    if (i.k !== "ref") return;
    throw refuseAt(i.loc ?? loop.loc, "array reassignment in a checkpointed loop",
      `'${i.v.name}' is assigned another array inside a loop marked // @checkpoint (or a checkpoint(fn) call), whose snapshots keep array contents, not references.`,
      `Copy into the array instead (${i.v.name}.set(${i.from.name})), or drop the checkpoint mark for this loop.`);
  });
}

/**
 * Store or recompute, for the value `v = e` wrote when the backward sweep needs e: where
 * every write of v that may run after this one is saved, each is undone before the
 * backward sweep gets back here, so v holds e's value just before its restore. Reading
 * v costs less than any op, load or call (a `tanh` whose derivative reads its result is
 * not computed again). Writes in an earlier top-level statement run before.
 */
function readsBeforeRestore(f: Func, { defs }: Facts, needs: Needs, saves: ReadonlySet<Instr>): Set<Instr> {
  const lastUnsaved = new Map<number, number>(); // var -> top-level statement of its last unsaved write
  const candidates: [Extract<Instr, { k: "set" }>, number][] = [];
  f.body.forEach((top, k) => walk([top], (i) => {
    const written = i.k === "for" ? i.index : i.k === "set" && !saves.has(i) ? i.v : undefined;
    if (written) lastUnsaved.set(written.id, k);
    if (i.k === "set" && saves.has(i) && i.v.type === "num" && needs.temps.has(i.src.id)) candidates.push([i, k]);
  }));
  const out = new Set<Instr>();
  for (const [i, k] of candidates) {
    if ((lastUnsaved.get(i.v.id) ?? -1) >= k) continue;
    const d = defs.get(i.src.id);
    if (d?.k === "op" || d?.k === "load" || (d?.k === "call" && !d.out)) out.add(i);
  }
  return out;
}

/**
 * Store or recompute, for the values a set or store in a loop computes in its expression
 * only (each used once, defined in its block): an op the cost table says is dearer than a
 * push and a pop (exp, log, tanh, …) and that the backward sweep needs is saved where
 * the write runs, and popped where the backward sweep undoes it (unless a fused loop,
 * which computes it once, is possible without: see reverse/index.ts). Outside loops the
 * backward sweep's copy of the value is merged with the forward sweep's (cse).
 */
function tapedValues(f: Func, { defs, uses }: Facts, act: Activity, needs: Needs, readBefore: ReadonlySet<Instr>): Map<Instr, Temp[]> {
  const out = new Map<Instr, Temp[]>();
  const visit = (block: Block, inLoop: boolean) => {
    const here = new Set(block);
    for (const i of block) {
      childBlocks(i).forEach((c) => visit(c, inLoop || i.k === "for" || i.k === "while"));
      if (!inLoop || (i.k !== "set" && i.k !== "store") || !act.vars.has((i.k === "set" ? i.v : i.arr).id)) continue;
      const found: Temp[] = [];
      const collect = (t: Temp, root: boolean) => {
        const d = defs.get(t.id);
        if (d?.k !== "op" || !here.has(d) || (!root && uses.get(t.id) !== 1)) return;
        d.args.forEach((a) => collect(a, false));
        if (needs.temps.has(t.id) && saveRatherThanRecompute(d.op) && !(root && readBefore.has(i))) found.push(t);
      };
      if (uses.get(i.src.id) === 1) collect(i.src, true);
      if (found.length) out.set(i, found);
    }
  };
  visit(f.body, false);
  return out;
}

function firstWritesOf(f: Func): Set<Instr> {
  const out = new Set<Instr>();
  const touched = new Set<Var>();
  for (const i of f.body) {
    if (i.k === "call" && i.out && i.out.param === undefined && !touched.has(i.out) && !i.ins.includes(i.out)) out.add(i);
    walk([i], (x) => { if (!(x.k === "alloc" && !x.copyOf)) for (const v of varsOf(x)) touched.add(v); });
  }
  return out;
}

/** Vars set once, never a parameter, read only after that set and in the same block. */
function blockLocalVars(f: Func, { setCount }: Facts): Set<number> {
  const out = new Set<number>();
  const bad = new Set<number>();
  const visit = (block: Block) => {
    const setHere = new Set<number>();
    for (const i of block) {
      if (i.k === "get") (setHere.has(i.v.id) ? out : bad).add(i.v.id);
      if (i.k === "set" && setCount.get(i.v.id) === 1 && i.v.param === undefined) setHere.add(i.v.id);
      for (const c of childBlocks(i)) visit(c);
    }
  };
  visit(f.body);
  for (const v of bad) out.delete(v);
  return out;
}
