// Store or recompute, for a var a loop iteration sets once and reads only after, in the
// same iteration (`const u = Math.sin(…)` in a loop body, read by the branch after it):
// saving the value each set overwrites would carry the previous iteration's value into
// the next, in the primal code and in outlined pieces. Instead the forward sweep pushes
// the iteration's value after the last statement of the body that reads it, and the
// backward sweep pops it before that statement's adjoint: from there back to the set,
// the var holds it. The same tape, no value carried across iterations.
import type { Facts } from "../../ir/facts.js";
import { hasDst, usedTemps, walk, type Block, type For, type Func, type Instr, type Set as SetInstr, type Var } from "../../ir/types.js";

export interface IterationValues {
  /** The vars to push after each instruction (and pop before its adjoint). */
  after: Map<Instr, Var[]>;
  /** Their sets, which save nothing. */
  sets: Set<Instr>;
}

/**
 * The saved sets at the top level of a loop body (of a loop `swept` accepts) whose var
 * the function sets nowhere else and reads only after them in that body.
 */
export function iterationValues(f: Func, { loops, setCount }: Facts, saves: ReadonlySet<Instr>, swept: (loop: For) => boolean): IterationValues {
  const reads = readCounts(f.body);
  const found: IterationValues = { after: new Map(), sets: new Set() };
  const wanted = (i: SetInstr) => saves.has(i) && setCount.get(i.v.id) === 1 && i.v.param === undefined && (i.v.type === "num" || i.v.type === "bool");
  for (const loop of loops) if (swept(loop)) localSets(loop.body, reads, wanted, found);
  return found;
}

/** Gets of each var in `body`. */
function readCounts(body: Block): Map<number, number> {
  const counts = new Map<number, number>();
  walk(body, (i) => { if (i.k === "get") counts.set(i.v.id, (counts.get(i.v.id) ?? 0) + 1); });
  return counts;
}

/** Adds to `found` the sets of `block` that `wanted` accepts whose var every get in the function reads after them in `block`. */
function localSets(block: Block, reads: ReadonlyMap<number, number>, wanted: (i: SetInstr) => boolean, found: IterationValues): void {
  const reach = reaches(block);
  const since = new Map<number, { set: SetInstr; reads: number; last: number }>();
  block.forEach((top, k) => {
    walk([top], (i) => {
      const s = i.k === "get" ? since.get(i.v.id) : undefined;
      if (!s) return;
      s.reads++;
      s.last = Math.max(s.last, reach[k]);
    });
    if (top.k === "set" && wanted(top)) since.set(top.v.id, { set: top, reads: 0, last: -1 });
  });
  for (const { set, reads: n, last } of since.values()) {
    if (last < 0 || n !== reads.get(set.v.id)) continue;
    found.sets.add(set);
    const vars = found.after.get(block[last]);
    if (vars) vars.push(set.v);
    else found.after.set(block[last], [set.v]);
  }
}

/**
 * Per position of `block`, the last position whose instruction reads what it computes,
 * through the temps computed from it (a temp is used only in its own block): a get's
 * value is last read by the statement that uses it, whose adjoint the backward sweep
 * computes it for.
 */
function reaches(block: Block): number[] {
  const defAt = new Map<number, number>();
  const users: number[][] = block.map(() => []);
  block.forEach((i, k) => {
    for (const t of usedTemps(i)) {
      const d = defAt.get(t.id);
      if (d !== undefined) users[d].push(k);
    }
    if (hasDst(i)) defAt.set(i.dst.id, k);
  });
  const reach = block.map((_, k) => k);
  for (let k = block.length - 1; k >= 0; k--) for (const u of users[k]) reach[k] = Math.max(reach[k], reach[u]);
  return reach;
}
