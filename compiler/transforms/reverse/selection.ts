// Selections: a top-level loop that only keeps a running maximum or minimum,
//   for (i …) m = Math.max(m, e(i));        or        for (i …) if (e(i) > m) m = e(i);
// passes m's adjoint to one iteration alone, the last that took its candidate `e` (the
// partials of max and min send a tie to their first argument). So the forward sweep
// records that iteration's index instead of saving m each iteration, and the backward
// sweep runs the adjoint of `e` once, at that index, instead of reversing the loop.
import type { Builder } from "../../ir/builder.js";
import type { Facts } from "../../ir/facts.js";
import { usedTemps, type Block, type For, type Func, type Instr, type Op, type Temp, type Var } from "../../ir/types.js";
import type { Activity } from "../activity.js";
import type { Sweeper } from "./sweeper.js";

export interface Selection {
  /** The running value and its write in the loop. */
  m: Var;
  write: Extract<Instr, { k: "set" }>;
  /** The value taken: an argument of `keep`, or what the branch writes. */
  candidate: Temp;
  /** `m = max(m, e)` or `min`: the op, not differentiated (its adjoint goes to the index kept). */
  keep?: Op;
  /** The branch that takes the candidate, for `if (…) m = e`. */
  branch?: Extract<Instr, { k: "if" }>;
  /** The instructions computing the candidate, swept backward at the index kept. */
  expression: Instr[];
}

const PURE = new Set<Instr["k"]>(["const", "get", "load", "op", "len"]);
const COMPARISONS = new Set(["lt", "le", "gt", "ge", "eq", "ne"]);

/** The top-level loops of `f` that are selections, with what they select. */
export function findSelections(f: Func, facts: Facts, act: Activity): Map<For, Selection> {
  const out = new Map<For, Selection>();
  for (const loop of f.body) {
    if (loop.k !== "for" || loop.exit || loop.checkpoint) continue;
    const found = keptByOp(loop.body, facts) ?? keptByBranch(loop.body);
    if (found && act.vars.has(found.m.id)) out.set(loop, found);
  }
  return out;
}

/** `m = Math.max(m, e)` (or min, either order) as the body's last instruction, after pure ones only. */
function keptByOp(body: Block, { defs, uses }: Facts): Selection | undefined {
  const write = body.at(-1);
  if (write?.k !== "set" || write.v.type !== "num" || !body.slice(0, -1).every((i) => PURE.has(i.k))) return undefined;
  const keep = defs.get(write.src.id);
  if (keep?.k !== "op" || (keep.op !== "max" && keep.op !== "min") || !body.includes(keep) || uses.get(keep.dst.id) !== 1) return undefined;
  const reads = readsOf(body, write.v);
  if (reads.length !== 1 || uses.get(reads[0].id) !== 1) return undefined;
  const k = keep.args.indexOf(reads[0]);
  if (k < 0 || keep.args[0] === keep.args[1]) return undefined;
  return { m: write.v, write, candidate: keep.args[1 - k], keep, expression: body.filter((i) => i !== keep && i !== write) };
}

/** `if (cond) m = e` as the body's last instruction, m read only by comparisons. */
function keptByBranch(body: Block): Selection | undefined {
  const branch = body.at(-1);
  if (branch?.k !== "if" || branch.else.length || !body.slice(0, -1).every((i) => PURE.has(i.k))) return undefined;
  const write = branch.then.at(-1);
  if (write?.k !== "set" || write.v.type !== "num" || !branch.then.slice(0, -1).every((i) => PURE.has(i.k))) return undefined;
  const reads = new Set(readsOf([...body, ...branch.then], write.v).map((t) => t.id));
  const all = [...body.slice(0, -1), ...branch.then];
  const onlyCompared = all.every((i) => !usedTemps(i).some((t) => reads.has(t.id)) || (i.k === "op" && COMPARISONS.has(i.op)));
  if (!onlyCompared || reads.has(write.src.id)) return undefined;
  return { m: write.v, write, candidate: write.src, branch, expression: all.filter((i) => i !== write) };
}

function readsOf(block: Block, v: Var): Temp[] {
  return block.flatMap((i) => (i.k === "get" && i.v === v ? [i.dst] : []));
}

/** The loop, recording in a var the index of the last iteration that took its candidate (-1: none). */
export function forwardSelection(s: Sweeper, b: Builder, i: For): void {
  const sel = s.plan.selections.get(i)!;
  const at = b.newVar(`${sel.m.name}_at`, "num");
  s.selectedAt.set(i, at);
  b.set(at, b.num(-1));
  const body = b.nested((bb) => {
    for (const x of i.body) {
      if (x === sel.branch) {
        const then = bb.nested((tb) => tb.set(at, tb.get(i.index)));
        bb.emit({ ...x, then: [...then, ...x.then] });
        continue;
      }
      if (x === sel.write) bb.emit({ k: "if", cond: taken(bb, sel), then: bb.nested((tb) => tb.set(at, tb.get(i.index))), else: [] });
      bb.emit(x);
    }
  });
  b.emit({ ...i, body });
}

/** Whether `m = max(m, e)` takes e: the partials send a tie to the first argument. */
function taken(b: Builder, sel: Selection): Temp {
  const [first, second] = sel.keep!.args;
  const firstWins = b.op(sel.keep!.op === "max" ? "ge" : "le", first, second);
  return first === sel.candidate ? firstWins : b.op("not", firstWins);
}

/** m's adjoint to the candidate at the recorded index, through the candidate's expression; m's own then 0. */
export function backwardSelection(s: Sweeper, b: Builder, i: For, depth: number): void {
  const sel = s.plan.selections.get(i)!;
  const at = s.selectedAt.get(i)!;
  const bar = s.adjoint(sel.m);
  const then = b.nested((tb) => {
    const index = tb.newVar(i.index.name, "num");
    tb.set(index, tb.get(at));
    s.renamed.set(i.index.id, index);
    s.tempAdj.set(sel.candidate.id, tb.get(bar));
    s.enclosedBy(i.index, index, () => s.backward(tb, sel.expression, depth + 1));
    tb.set(bar, tb.num(0));
  });
  b.emit({ k: "if", cond: b.op("ge", b.get(at), b.num(0)), then, else: [] });
}
