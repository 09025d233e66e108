// Shared state of the reverse transform: the analyses that decide what is taped or
// recomputed, the adjoint vars, the records of control flow, and the builder that
// the sweeps write to.
import { Builder, buildBlock, type Ids } from "../../ir/builder.js";
import { hasDst, maxTape, usedTemps, varsOf, walk, type Block, type For, type Func, type Instr, type Temp, type Var } from "../../ir/types.js";
import { analyzeActivity, type Activity } from "../activity.js";
import { refuseAt } from "../../errors.js";
import type { CheckpointSpec } from "../../request.js";
import { analyzeNeeds, findRecomputable, findRecomputableBounds, findRecomputableConditions, findSaves, type Needs, type Recompute } from "../tbr.js";

export class ReverseState {
  protected readonly act: Activity;
  protected readonly recompute: Map<number, Recompute>;
  /** Counted loops whose bounds the backward sweep recomputes instead of recording. */
  protected readonly boundsRecomputed: Set<For>;
  /** Branches whose condition the backward sweep re-evaluates instead of recording. */
  protected readonly condsRecomputed: Set<Instr>;
  /** Writes that save the value they overwrite on the tape. */
  protected readonly saves: Set<Instr>;
  protected readonly needs: Needs;
  protected readonly defs = new Map<number, Instr>();
  protected readonly adjVars = new Map<number, Var>();
  b: Builder;
  /** Number of uses of each temp. */
  protected readonly uses = new Map<number, number>();
  /** Loop indices of the forward sweep and the vars that count the backward loops. */
  protected readonly renamed = new Map<number, Var>();

  /** The tape this transform saves on. */
  protected readonly tape: number;

  /** Loops recomputed from snapshots instead of recorded (see checkpoint.ts). */
  protected readonly checkpointed: Set<For>;

  constructor(readonly f: Func, readonly wrt: Var[], readonly ids: Ids, readonly schedule?: CheckpointSpec) {
    this.b = new Builder(ids);
    this.checkpointed = new Set();
    walk(f.body, (i) => { if (i.k === "for" && (i.checkpoint === "call" || (i.checkpoint === "loop" && schedule))) this.checkpointed.add(i); });
    for (const loop of this.checkpointed) refuseReassignedArrays(loop);
    this.tape = maxTape(f.body) + 1;
    this.act = analyzeActivity(f, wrt);
    this.recompute = findRecomputable(f);
    this.boundsRecomputed = findRecomputableBounds(f);
    this.condsRecomputed = findRecomputableConditions(f);
    this.needs = analyzeNeeds(f, this.act, this.recompute, new Set<Instr>([...this.boundsRecomputed, ...this.condsRecomputed]), this.checkpointed);
    this.saves = findSaves(f, this.needs, this.recompute);
    this.firstWrites = firstWritesOf(f);
    walk(f.body, (i) => {
      if (hasDst(i)) this.defs.set(i.dst.id, i);
      for (const u of usedTemps(i)) this.uses.set(u.id, (this.uses.get(u.id) ?? 0) + 1);
    });
  }

  /**
   * Top-level kernel calls that are the first use of their local `out` after its
   * allocation: the backward sweep reads out's adjoint no more after them, so they
   * need not reset it.
   */
  protected readonly firstWrites: Set<Instr>;

  protected readonly ifRecords = new Map<Instr, Var | undefined>();
  protected readonly forRecords = new Map<Instr, { start: Var | number; end: Var }>();
  protected readonly whileCounts = new Map<Instr, Var>();

  protected sweep(build: () => void): Block {
    return buildBlock(this, build);
  }

  protected adjoint(v: Var): Var {
    let bar = this.adjVars.get(v.id);
    if (!bar) {
      bar = this.b.newVar(`${v.name}_bar`, v.type === "f32[]" ? "f32[]" : v.type === "f64[]" ? "f64[]" : "num");
      this.adjVars.set(v.id, bar);
    }
    return bar;
  }

  protected activeVar(v: Var): boolean {
    return this.act.vars.has(v.id);
  }

  /** Index value after a loop of unit step without early exit, from its bounds. */
  protected finalIndex(i: For, start: Temp, end: Temp): Temp {
    const b = this.b;
    const one = b.num(1);
    switch (i.cmp) {
      case "<": return b.op("max", start, end);
      case "<=": return b.op("max", start, b.op("add", end, one));
      case ">": return b.op("min", start, end);
      case ">=": return b.op("min", start, b.op("sub", end, one));
    }
  }

  /** `for (j = 0; j < arr.length; j++) body(j)`, or counting down when `down`. */
  protected forEachElement(arr: Var, down: boolean, body: (j: Temp) => void): void {
    const b = this.b;
    const j = b.newVar("j", "num");
    const n = b.len(arr);
    const inner = this.sweep(() => body(this.b.get(j)));
    if (down) {
      const last = b.op("sub", n, b.num(1));
      b.emit({ k: "for", index: j, start: last, end: b.num(0), step: -1, cmp: ">=", body: inner });
    } else {
      b.emit({ k: "for", index: j, start: b.num(0), end: n, step: 1, cmp: "<", body: inner });
    }
  }

  /**
   * The tape carrying adjoints of the values on the input's tape `t` (reverse over
   * reverse): one per input tape, since the input's tapes are pushed and popped
   * interleaved, and each of them only is last in, first out.
   */
  protected adjointTapeOf(t: number): number {
    return this.tape + 1 + t;
  }

  protected push(src: Temp, tape = this.tape): void {
    this.b.emit({ k: "push", src, tape });
  }

  protected pop(type: Temp["type"], tape = this.tape): Temp {
    return this.b.emit({ k: "pop", dst: this.b.temp(type), tape }).dst;
  }
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

function firstWritesOf(f: Func): Set<Instr> {
  const out = new Set<Instr>();
  const touched = new Set<Var>();
  for (const i of f.body) {
    if (i.k === "call" && i.out && i.out.param === undefined && !touched.has(i.out) && !i.ins.includes(i.out)) out.add(i);
    walk([i], (x) => { if (!(x.k === "alloc" && !x.copyOf)) for (const v of varsOf(x)) touched.add(v); });
  }
  return out;
}
