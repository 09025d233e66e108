// What instructions read and write: vars and arrays are locations (by var id), the
// tape is one more. Used to check that a temp still holds what it would if it were
// recomputed where it is used.
import { appendOnce } from "./id-table.js";
import { childBlocks, usedTemps, type Block, type Instr, type Temp } from "./types.js";

export const TAPE = -1;

/** The location an instruction writes itself (not in nested blocks), if any. */
export function ownWrite(i: Instr): number | undefined {
  switch (i.k) {
    case "set": case "alloc": case "popref": case "ref": return i.v.id;
    case "store": case "fill": return i.arr.id;
    case "call": return i.out?.id;
    case "pop": case "push": case "reserve": return TAPE;
    case "for": return i.index.id;
    default: return undefined;
  }
}

export class Effects {
  private readonly reads = new Map<number, ReadonlySet<number>>();
  private readonly singles = new Map<number, ReadonlySet<number>>();
  private readonly writes = new Map<Instr, ReadonlySet<number>>();

  constructor(private readonly defs: Map<number, Instr>) {}

  definition(t: Temp): Instr | undefined {
    return this.defs.get(t.id);
  }

  /**
   * Locations a temp's value depends on, through the temps it is computed from. Temps
   * that read the same locations share one set: do not change it.
   */
  readsOf(t: Temp): ReadonlySet<number> {
    let r = this.reads.get(t.id);
    if (r) return r;
    const d = this.defs.get(t.id);
    const union = new SetUnion();
    if (d?.k === "get") union.add(this.only(d.v.id));
    if (d?.k === "load" || d?.k === "len") union.add(this.only(d.arr.id));
    if (d?.k === "pop") union.add(this.only(TAPE));
    if (d?.k === "call") for (const v of d.ins) union.add(this.only(v.id));
    if (d) for (const u of usedTemps(d)) union.add(this.readsOf(u));
    r = union.result();
    this.reads.set(t.id, r);
    return r;
  }

  /** The set holding only `location`, one per location. */
  private only(location: number): ReadonlySet<number> {
    let s = this.singles.get(location);
    if (!s) this.singles.set(location, (s = new Set([location])));
    return s;
  }

  /**
   * Locations an instruction (with everything nested in it) may write. Instructions
   * that write the same locations may share one set: do not change it.
   */
  writesOf(i: Instr): ReadonlySet<number> {
    const holdsCode = i.k === "if" || i.k === "for" || i.k === "while" || i.k === "invoke";
    const own = ownWrite(i);
    if (!holdsCode) return own === undefined ? NOTHING : this.only(own);
    let w = this.writes.get(i);
    if (w) return w;
    const union = new SetUnion();
    if (own !== undefined) union.add(this.only(own));
    for (const b of childBlocks(i)) for (const j of b) union.add(this.writesOf(j));
    if (i.k === "invoke") {
      for (const v of i.outs) union.add(this.only(v.id));
      for (const j of i.piece.body) union.add(this.writesOf(j));
    }
    w = union.result();
    this.writes.set(i, w);
    return w;
  }

  /** The same as writesOf (kept for the callers that only iterate). */
  written(i: Instr): Iterable<number> {
    return this.writesOf(i);
  }

  blockWrites(block: Block): Set<number> {
    const w = new Set<number>();
    for (const i of block) for (const x of this.writesOf(i)) w.add(x);
    return w;
  }
}

const NOTHING: ReadonlySet<number> = new Set();

/** The union of sets, as one of them when it holds all the others (then nothing is copied). */
class SetUnion {
  private acc: ReadonlySet<number> = NOTHING;
  private copied?: Set<number>;

  add(s: ReadonlySet<number>): void {
    if (s.size === 0 || s === this.acc) return;
    if (this.copied) {
      for (const x of s) this.copied.add(x);
    } else if (this.acc.size === 0) {
      this.acc = s;
    } else if (!within(s, this.acc)) {
      if (within(this.acc, s)) {
        this.acc = s;
        return;
      }
      this.copied = new Set(this.acc);
      for (const x of s) this.copied.add(x);
      this.acc = this.copied;
    }
  }

  result(): ReadonlySet<number> {
    return this.acc;
  }
}

function within(a: ReadonlySet<number>, b: ReadonlySet<number>): boolean {
  if (a.size > b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

/** Where in a block each location is written (by an instruction or what is nested in it). */
export class BlockWrites {
  private readonly at = new Map<number, number[]>(); // location -> positions, ascending

  constructor(block: Block, effects: Effects) {
    block.forEach((i, k) => {
      for (const l of effects.written(i)) appendOnce(this.at, l, k);
    });
  }

  /** True if nothing strictly between positions `from` and `to` writes a location in `reads`. */
  unchangedBetween(reads: ReadonlySet<number>, from: number, to: number): boolean {
    for (const l of reads) {
      const list = this.at.get(l);
      if (list && firstAfter(list, from) < to) return false;
    }
    return true;
  }
}

/** The first entry of the ascending `list` above `x` (Infinity when none). */
function firstAfter(list: number[], x: number): number {
  let lo = 0, hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo < list.length ? list[lo] : Infinity;
}
