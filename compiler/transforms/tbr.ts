// To-be-recorded analysis: which temps the backward sweep evaluates, and so which
// vars and arrays it reads. Only those are saved before being overwritten.
import { Builder } from "../ir/builder.js";
import { opDef } from "../ops/table.js";
import { TAPE } from "../ir/effects.js";
import type { Facts } from "../ir/facts.js";
import { hasDst, usedTemps, varsRead, walk, type Block, type For, type Func, type Instr, type Temp, type Var } from "../ir/types.js";
import { fixpoint, type Activity } from "./activity.js";
import { activeCallInputs, vjpReads } from "./kernel-calls.js";

export interface Needs {
  temps: Set<number>;
  vars: Set<number>;
  /** Per active kernel call: the arrays its VJP rule reads (inputs, and whether `out`). */
  callReads: Map<Instr, { ins: Var[]; out: boolean }>;
  /** Per checkpointed loop: the locations its body reads (it runs again in the backward sweep). */
  rerunReads: Map<Instr, Set<number>>;
}

/** What each argument's partial derivative reads: argument positions, and whether the result. */
export interface PartialReads {
  args: Set<number>[];
  result: boolean[];
}

const readsCache = new Map<string, PartialReads>();

/** Traces the op's partials, built on placeholder temps, back to the arguments and result they read. */
export function partialReads(op: string): PartialReads {
  let reads = readsCache.get(op);
  if (reads) return reads;
  const def = opDef(op);
  const b = new Builder({ next: 1 });
  const args = def.args.map((type) => b.temp(type));
  const y = b.temp(def.result);
  const parts = def.partials?.(b, args, y) ?? [];
  const defs = new Map<number, Instr>();
  for (const i of b.block) if (hasDst(i)) defs.set(i.dst.id, i);
  const reach = (t: Temp, seen: Set<number>): Set<number> => {
    seen.add(t.id);
    const d = defs.get(t.id);
    if (d) for (const u of usedTemps(d)) reach(u, seen);
    return seen;
  };
  reads = { args: [], result: [] };
  // Partials computed through variables or control flow (a custom rule's inlined IR) are not
  // traced: they read every argument and the result.
  if (b.block.some((i) => i.k !== "op" && i.k !== "const")) {
    reads = { args: def.args.map(() => new Set(def.args.map((_, n) => n))), result: def.args.map(() => true) };
    readsCache.set(op, reads);
    return reads;
  }
  parts.forEach((part, k) => {
    const seen = typeof part === "object" ? reach(part, new Set()) : new Set<number>();
    reads!.args[k] = new Set(args.flatMap((a, n) => (seen.has(a.id) ? [n] : [])));
    reads!.result[k] = seen.has(y.id);
  });
  readsCache.set(op, reads);
  return reads;
}

/** A var recomputed in each backward iteration of `loop` instead of being taped. */
export interface Recompute {
  loop: For;
  set: Extract<Instr, { k: "set" }>;
}

/**
 * Vars set exactly once, at the top level of a counted loop's body, from the loop
 * index, earlier such vars, and locations the loop never writes: the backward sweep
 * recomputes them at the start of each iteration, so they are never taped.
 */
export function findRecomputable({ setCount, loops, effects }: Facts): Map<number, Recompute> {
  const out = new Map<number, Recompute>();
  for (const loop of loops) {
    const written = effects.blockWrites(loop.body);
    for (const i of loop.body) {
      if (i.k !== "set" || i.v.param !== undefined || setCount.get(i.v.id) !== 1) continue;
      const reads = [...effects.readsOf(i.src)];
      if (reads.every((l) => l === loop.index.id || out.get(l)?.loop === loop || (l !== TAPE && !written.has(l)))) {
        out.set(i.v.id, { loop, set: i });
      }
    }
  }
  return out;
}

/**
 * Counted loops without early exit and of unit step whose bounds read nothing the
 * loop writes: the backward loop's range is recomputed from the bounds, no tape.
 */
export function findRecomputableBounds({ loops, effects }: Facts): Set<For> {
  return new Set(loops.filter((loop) => {
    if (loop.exit || Math.abs(loop.step) !== 1) return false;
    const written = effects.writesOf(loop);
    const reads = [...effects.readsOf(loop.start), ...effects.readsOf(loop.end)];
    return reads.every((l) => l !== TAPE && !written.has(l));
  }));
}

/** Branches whose condition reads nothing the branch writes: re-evaluated backward, not recorded. */
export function findRecomputableConditions({ ifs, effects }: Facts): Set<Instr> {
  return new Set(ifs.filter((i) => {
    const written = effects.writesOf(i);
    return [...effects.readsOf(i.cond)].every((l) => l !== TAPE && !written.has(l));
  }));
}

export function analyzeNeeds({ instrs, defs }: Facts, act: Activity, recompute: Map<number, Recompute>, bounds: Set<Instr>, checkpointed = new Set<For>(), selected = new Set<Instr>()): Needs {
  const needs: Needs = { temps: new Set(), vars: new Set(), callReads: new Map(), rerunReads: new Map() };
  const need = (t: Temp) => needs.temps.add(t.id);
  for (const i of instrs) {
    // A selection's max or min is not differentiated: its adjoint goes to the index recorded (reverse/selection.ts).
    if (i.k === "op" && act.temps.has(i.dst.id) && !selected.has(i)) {
      // Only what the partials of the active arguments read (x * y with y constant needs y, not x).
      const reads = partialReads(i.op);
      i.args.forEach((a, k) => {
        if (!act.temps.has(a.id)) return;
        for (const n of reads.args[k] ?? []) need(i.args[n]);
        if (reads.result[k]) {
          need(i.dst);
          i.args.forEach(need);
        }
      });
    }
    if (i.k === "load" && act.temps.has(i.dst.id)) need(i.idx);
    if (i.k === "call") {
      // The backward sweep reruns nothing but the rule: it needs the operands' values.
      const active = activeCallInputs(i, act);
      if (active.size > 0 || (i.out && act.vars.has(i.out.id))) i.args.forEach(need);
      if (active.size > 0) {
        const reads = vjpReads(i, defs, active);
        needs.callReads.set(i, reads);
        for (const v of reads.ins) needs.vars.add(v.id);
        if (reads.out) needs.vars.add(i.out!.id);
      }
    }
    if (i.k === "store" && act.vars.has(i.arr.id)) need(i.idx);
    if (i.k === "for" && bounds.has(i)) {
      need(i.start);
      need(i.end);
    }
    if (i.k === "if" && bounds.has(i)) need(i.cond);
  }
  // A checkpointed loop runs again in the backward sweep: what its body reads is needed there.
  for (const loop of checkpointed) {
    const reads = new Set<number>();
    walk(loop.body, (i) => { for (const v of varsRead(i)) reads.add(v.id); });
    for (const id of reads) needs.vars.add(id);
    needs.rerunReads.set(loop, reads);
  }
  fixpoint(() => {
    const before = needs.temps.size + needs.vars.size;
    for (const i of instrs) {
      if (i.k === "store" && needs.vars.has(i.arr.id)) need(i.idx);
    }
    for (const [v, r] of recompute) if (needs.vars.has(v)) need(r.set.src);
    // `v = from` is undone by `from = v`: v's reference must be right there.
    for (const i of instrs) if (i.k === "ref" && needs.vars.has(i.from.id)) needs.vars.add(i.v.id);
    for (const id of [...needs.temps]) {
      const d = defs.get(id);
      if (!d) continue;
      if (d.k === "op") d.args.forEach(need);
      if (d.k === "get") needs.vars.add(d.v.id);
      if (d.k === "load") {
        needs.vars.add(d.arr.id);
        need(d.idx);
      }
      if (d.k === "len") needs.vars.add(d.arr.id);
      if (d.k === "call") {
        d.args.forEach(need);
        for (const v of d.ins) needs.vars.add(v.id);
      }
    }
    return needs.temps.size + needs.vars.size !== before;
  });
  return needs;
}

/**
 * Writes (set, store, fill) that must save the value they overwrite: those reached
 * by a read whose value the backward sweep needs, with no other write to the same
 * var in between (that write would have saved it). A needed read that only follows
 * the write reads the last value written, which the backward sweep finds in place.
 * Forward dataflow over "a needed read of this location may still be pending".
 */
export function findSaves(f: Func, needs: Needs, recompute: Map<number, Recompute>): Set<Instr> {
  const saves = new Set<Instr>();
  const neededRead = (i: Instr): number | undefined => {
    if (i.k === "get" && needs.temps.has(i.dst.id)) return i.v.id;
    if (i.k === "load" && needs.temps.has(i.dst.id)) return i.arr.id;
    return undefined;
  };
  const flow = (block: Block, pending: Pending): Pending => {
    for (const i of block) {
      const read = neededRead(i);
      if (read !== undefined) pending.add(read);
      const callReads = needs.callReads.get(i);
      for (const v of callReads?.ins ?? []) pending.add(v.id);
      const loc = i.k === "set" ? i.v.id : i.k === "store" || i.k === "fill" ? i.arr.id : i.k === "call" ? i.out?.id : undefined;
      if (loc !== undefined && !recompute.has(loc)) {
        if (pending.has(loc)) saves.add(i);
        // A scalar or a whole array is overwritten; one element is not, nor (for all we know) a kernel's out.
        if (i.k !== "store" && i.k !== "call") pending.delete(loc);
      }
      if (callReads?.out) pending.add(loc!);
      // `v = from`: v now names from's array, and what a needed read of it left pending.
      if (i.k === "ref") {
        pending.delete(i.v.id);
        if (pending.has(i.from.id)) pending.add(i.v.id);
      }
      if (i.k === "if") pending = pending.merge(flow(i.then, pending.branch()), flow(i.else, pending.branch()));
      if (i.k === "for" || i.k === "while") pending = loop(i, pending.toSet());
      for (const id of needs.rerunReads.get(i) ?? []) pending.add(id);
    }
    return pending;
  };
  const loop = (i: Extract<Instr, { k: "for" | "while" }>, entry: Set<number>): Pending => {
    let state = new Set(entry);
    for (;;) {
      const afterTest = i.k === "while" ? flow(i.test, Pending.of(state)).toSet() : state;
      const next = union(entry, flow(i.body, Pending.of(afterTest)).toSet(), afterTest);
      if (next.size === state.size) return Pending.of(next);
      state = next;
    }
  };
  flow(f.body, Pending.of(new Set()));
  return saves;
}

/**
 * The locations findSaves has pending. A branch of an `if` starts as a view over the
 * set before it, holding only what it adds and removes, so the branches of a long chain
 * of ifs cost what they change, not the size of the set.
 */
class Pending {
  private readonly added = new Set<number>();
  /** Members of `base` not in this set (empty without a base). */
  private readonly removed = new Set<number>();

  private constructor(private readonly base?: Pending) {}

  static of(members: Set<number>): Pending {
    const p = new Pending();
    for (const x of members) p.added.add(x);
    return p;
  }

  has(x: number): boolean {
    if (this.added.has(x)) return true;
    if (this.removed.has(x)) return false;
    return this.base?.has(x) ?? false;
  }

  add(x: number): void {
    this.added.add(x);
    this.removed.delete(x);
  }

  delete(x: number): void {
    this.added.delete(x);
    if (this.base) this.removed.add(x);
  }

  /** A view over this set for one branch of an if. */
  branch(): Pending {
    return new Pending(this);
  }

  /** This set becomes the union of two branches' sets (each a branch() of it, or any set). */
  merge(a: Pending, b: Pending): Pending {
    if (a.base !== this || b.base !== this) return Pending.of(union(a.toSet(), b.toSet()));
    for (const x of a.removed) if (b.removed.has(x)) this.delete(x);
    for (const x of a.added) this.add(x);
    for (const x of b.added) this.add(x);
    return this;
  }

  toSet(): Set<number> {
    const out = this.base ? this.base.toSet() : new Set<number>();
    for (const x of this.removed) out.delete(x);
    for (const x of this.added) out.add(x);
    return out;
  }
}

function union(...sets: Set<number>[]): Set<number> {
  const out = new Set<number>();
  for (const s of sets) for (const x of s) out.add(x);
  return out;
}
