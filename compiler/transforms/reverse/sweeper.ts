// The sweeper of reverse mode: carries out a ReversePlan. It holds what the sweeps build
// as they go (the adjoint vars, the records of control flow, the adjoints held in temps,
// the backward sweep's recomputed values) and the helpers the handlers share; it sweeps
// a block by handing each instruction to the handler `dispatch` names (sweeps.ts).
// Every handler is given the builder it writes to.
import { Builder, type Ids } from "../../ir/builder.js";
import { newPair, type Block, type For, type Instr, type Loc, type Temp, type Var } from "../../ir/types.js";
import type { ReversePlan } from "./plan.js";

/** The handler of each instruction in each sweep. */
export interface Dispatch {
  forwardInstr(s: Sweeper, b: Builder, i: Instr, depth: number): void;
  backwardInstr(s: Sweeper, b: Builder, i: Instr, depth: number): void;
}

/** The snapshot of a loop: scalars and arrays its body writes and may read before writing. */
export interface LoopState {
  scalars: Var[];
  arrays: Var[];
}

/** Run-time shape of a checkpointed loop: first index, trip count, segment length. */
export interface Segments {
  start: Var;
  trips: Var;
  size: Var;
}

/** Run-time data of a binomially checkpointed loop. */
export interface Revolve {
  state: LoopState;
  start: Var;
  trips: Var;
  slots: Var;
  /** Position in the schedule (triples [action, a, b], see runtime/revolve.ts; float32 holds them exactly). */
  pc: Var;
  schedule: Var;
  /** Snapshot storage: one array for the scalars, one per state array. */
  scalarSlots: Var[];
  arraySlots: Map<Var, Var>;
}

const adjointLocs = new WeakMap<Loc, Loc>();

/** `loc` marked as the adjoint code of its statement: one such loc per loc, shared by the statement's instructions. */
export function adjointLoc(loc: Loc): Loc {
  let adjoint = adjointLocs.get(loc);
  if (!adjoint) adjointLocs.set(loc, (adjoint = { ...loc, adjoint: true }));
  return adjoint;
}

export class Sweeper {
  /** Builds vars (never instructions): every builder of the sweeps shares its ids. */
  private readonly vars: Builder;
  readonly adjVars = new Map<number, Var>();
  /** Per branch recorded at the top level, the var holding the branch taken (inside loops: the tape). */
  readonly ifRecords = new Map<Instr, Var | undefined>();
  readonly forRecords = new Map<Instr, { start: Var | number; end: Var }>();
  readonly whileCounts = new Map<Instr, Var>();
  /** Per selection loop, the var holding the index it kept (see selection.ts). */
  readonly selectedAt = new Map<Instr, Var>();
  /** Loop indices of the forward sweep and the vars that count the backward loops. */
  readonly renamed = new Map<number, Var>();
  /** Loops being reversed around the current point: their forward index and the backward loop's. */
  readonly enclosing: [Var, Var][] = [];
  /** Values of primal temps at this point of the backward sweep (per block). */
  env = new Map<number, Temp>();
  readonly tempAdj = new Map<number, Temp>();
  /** Reads whose adjoint an increment keeps (see backwardSet). */
  readonly skipAdjoint = new Set<number>();
  /** Adjoints of the plan's block-local vars, in temps. */
  readonly varAdj = new Map<number, Temp>();
  readonly segments = new Map<For, Segments>();
  readonly revolves = new Map<For, Revolve>();
  /** The tape pair of each value an instruction saves, by role (see save and restore). */
  private readonly pairs = new Map<Instr, Map<string, number>>();

  constructor(readonly plan: ReversePlan, readonly ids: Ids, readonly dispatch: Dispatch) {
    this.vars = new Builder(ids);
  }

  newVar(name: string, type: Var["type"]): Var {
    return this.vars.newVar(name, type);
  }

  forward(b: Builder, block: Block, depth: number): void {
    for (const i of block) {
      b.loc = i.loc;
      this.dispatch.forwardInstr(this, b, i, depth);
      const taped = this.plan.tapedAfter.get(i);
      if (!taped) continue;
      b.loc = { ...i.loc, line: i.loc?.line ?? 0, note: `${taped.map((v) => v.name).join(", ")} of this iteration, for the backward sweep` };
      for (const v of taped) this.save(b, b.get(v), i, `v${v.id}`);
    }
  }

  backward(b: Builder, block: Block, depth: number, prelude?: (b: Builder) => void): void {
    const savedEnv = this.env;
    this.env = new Map();
    prelude?.(b);
    for (let k = block.length - 1; k >= 0; k--) {
      const i = block[k];
      b.loc = i.loc && adjointLoc(i.loc);
      const taped = this.plan.tapedAfter.get(i) ?? [];
      for (let n = taped.length - 1; n >= 0; n--) b.set(taped[n], this.restore(b, taped[n].type, i, `v${taped[n].id}`));
      this.dispatch.backwardInstr(this, b, i, depth);
    }
    this.env = savedEnv;
  }

  adjoint(v: Var): Var {
    let bar = this.adjVars.get(v.id);
    if (!bar) {
      bar = this.newVar(`${v.name}_bar`, v.type === "f32[]" ? "f32[]" : v.type === "f64[]" ? "f64[]" : "num");
      this.adjVars.set(v.id, bar);
    }
    return bar;
  }

  activeVar(v: Var): boolean {
    return this.plan.act.vars.has(v.id);
  }

  /**
   * The tape carrying adjoints of the values on the input's tape `t` (reverse over
   * reverse): one per input tape, since the input's tapes are pushed and popped
   * interleaved, and each of them only is last in, first out.
   */
  adjointTapeOf(t: number): number {
    return this.plan.tape + 1 + t;
  }

  push(b: Builder, src: Temp, tape = this.plan.tape): void {
    b.emit({ k: "push", src, tape });
  }

  pop(b: Builder, type: Temp["type"], tape = this.plan.tape): Temp {
    return b.emit({ k: "pop", dst: b.temp(type), tape }).dst;
  }

  /** Pushes what the backward sweep's `restore(b, type, of, role)` pops (their `pair`). */
  save(b: Builder, src: Temp, of: Instr, role: string): void {
    b.emit({ k: "push", src, tape: this.plan.tape, pair: this.pairOf(of, role) });
  }

  restore(b: Builder, type: Temp["type"], of: Instr, role: string): Temp {
    return b.emit({ k: "pop", dst: b.temp(type), tape: this.plan.tape, pair: this.pairOf(of, role) }).dst;
  }

  /** The pair of the value that instruction `of` saves as `role` (see newPair). */
  private pairOf(of: Instr, role: string): number {
    let roles = this.pairs.get(of);
    if (!roles) this.pairs.set(of, (roles = new Map()));
    let pair = roles.get(role);
    if (pair === undefined) roles.set(role, (pair = newPair()));
    return pair;
  }

  /** Index value after a loop of unit step without early exit, from its bounds. */
  finalIndex(b: Builder, i: For, start: Temp, end: Temp): Temp {
    const one = b.num(1);
    switch (i.cmp) {
      case "<": return b.op("max", start, end);
      case "<=": return b.op("max", start, b.op("add", end, one));
      case ">": return b.op("min", start, end);
      case ">=": return b.op("min", start, b.op("sub", end, one));
    }
  }

  /** `for (j = 0; j < arr.length; j++) body(j)`, or counting down when `down`. */
  forEachElement(b: Builder, arr: Var, down: boolean, body: (b: Builder, j: Temp) => void): void {
    const j = b.newVar("j", "num");
    const n = b.len(arr);
    const inner = b.nested((ib) => body(ib, ib.get(j)));
    if (down) {
      const last = b.op("sub", n, b.num(1));
      b.emit({ k: "for", index: j, start: last, end: b.num(0), step: -1, cmp: ">=", body: inner });
    } else {
      b.emit({ k: "for", index: j, start: b.num(0), end: n, step: 1, cmp: "<", body: inner });
    }
  }

  enclosedBy(forwardIndex: Var, backwardIndex: Var, build: () => void): void {
    this.enclosing.push([forwardIndex, backwardIndex]);
    try {
      build();
    } finally {
      this.enclosing.pop();
    }
  }

  /**
   * Before code of the forward sweep runs again inside the backward sweep (checkpointed
   * loops): the enclosing loops' indices take the values of the iterations being reversed.
   */
  syncEnclosingIndices(b: Builder): void {
    for (const [forwardIndex, backwardIndex] of this.enclosing) b.set(forwardIndex, b.get(backwardIndex));
  }
}
