// Selections: a top-level loop that only keeps a running maximum or minimum,
//   for (i …) m = Math.max(m, e(i));
// passes m's adjoint to one iteration alone, the last whose `e` was taken (the partials
// of max and min send a tie to the first argument). So the forward sweep records that
// iteration's index instead of saving m each iteration, and the backward sweep runs the
// adjoint of `e` once, at that index, instead of reversing the loop.
import type { Builder } from "../../ir/builder.js";
import type { Facts } from "../../ir/facts.js";
import type { Block, For, Func, Instr, Op, Temp, Var } from "../../ir/types.js";
import type { Activity } from "../activity.js";
import type { Sweeper } from "./sweeper.js";

export interface Selection {
  /** The running value, and the op keeping it. */
  m: Var;
  keep: Op;
  /** Which argument of `keep` is the candidate `e` (the other reads m). */
  candidate: 0 | 1;
}

const PURE = new Set<Instr["k"]>(["const", "get", "load", "op", "len"]);

/** The top-level loops of `f` that are selections, with what they select. */
export function findSelections(f: Func, { defs, uses }: Facts, act: Activity): Map<For, Selection> {
  const out = new Map<For, Selection>();
  for (const loop of f.body) {
    if (loop.k !== "for" || loop.exit || loop.checkpoint) continue;
    const found = selectionOf(loop.body, defs, uses);
    if (found && act.vars.has(found.m.id)) out.set(loop, found);
  }
  return out;
}

function selectionOf(body: Block, defs: Map<number, Instr>, uses: ReadonlyMap<number, number>): Selection | undefined {
  const last = body.at(-1);
  if (last?.k !== "set" || last.v.type !== "num" || !body.slice(0, -1).every((i) => PURE.has(i.k))) return undefined;
  const keep = defs.get(last.src.id);
  if (keep?.k !== "op" || (keep.op !== "max" && keep.op !== "min") || !body.includes(keep) || uses.get(keep.dst.id) !== 1) return undefined;
  const reads = body.filter((i) => i.k === "get" && i.v === last.v);
  if (reads.length !== 1 || uses.get((reads[0] as Extract<Instr, { k: "get" }>).dst.id) !== 1) return undefined;
  const read = (reads[0] as Extract<Instr, { k: "get" }>).dst;
  const candidate = keep.args[0] === read ? 1 : keep.args[1] === read ? 0 : undefined;
  return candidate === undefined ? undefined : { m: last.v, keep, candidate };
}

/** The loop, recording in a var the index of the last iteration whose candidate was taken (-1: none). */
export function forwardSelection(s: Sweeper, b: Builder, i: For): void {
  const sel = s.plan.selections.get(i)!;
  const at = b.newVar(`${sel.m.name}_at`, "num");
  s.selectedAt.set(i, at);
  b.set(at, b.num(-1));
  const body = b.nested((bb) => {
    for (const x of i.body) {
      if (x === i.body.at(-1)) {
        const [first, second] = sel.keep.args;
        const firstWins = bb.op(sel.keep.op === "max" ? "ge" : "le", first, second);
        const taken = sel.candidate === 0 ? firstWins : bb.op("not", firstWins);
        bb.emit({ k: "if", cond: taken, then: bb.nested((tb) => tb.set(at, tb.get(i.index))), else: [] });
      }
      bb.emit(x);
    }
  });
  b.emit({ ...i, body });
}

/** m's adjoint to the candidate at the recorded index, through the candidate's expression; m's own then 0. */
export function backwardSelection(s: Sweeper, b: Builder, i: For, depth: number): void {
  const sel = s.plan.selections.get(i)!;
  const at = s.selectedAt.get(i)!;
  const bar = s.adjoint(sel.m);
  const taken = b.op("ge", b.get(at), b.num(0));
  const then = b.nested((tb) => {
    const index = tb.newVar(i.index.name, "num");
    tb.set(index, tb.get(at));
    s.renamed.set(i.index.id, index);
    const candidate: Temp = sel.keep.args[sel.candidate];
    s.tempAdj.set(candidate.id, tb.get(bar));
    const expression = i.body.filter((x) => x !== sel.keep && x !== i.body.at(-1));
    s.enclosedBy(i.index, index, () => s.backward(tb, expression, depth + 1));
    tb.set(bar, tb.num(0));
  });
  b.emit({ k: "if", cond: taken, then, else: [] });
}
