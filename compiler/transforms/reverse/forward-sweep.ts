// The forward sweep of reverse mode: the original code, plus saves of overwritten
// values the backward sweep reads, and records of the control flow taken (only
// where they cannot be recomputed).
import type { Block, For, Instr, Var } from "../../ir/types.js";
import { ReverseState } from "./state.js";
import { refsActive } from "../activity.js";

export class ForwardSweep extends ReverseState {
  protected forward(block: Block, depth: number): void {
    for (const i of block) {
      this.b.loc = i.loc;
      this.forwardInstr(i, depth);
    }
  }

  protected forwardInstr(i: Instr, depth: number): void {
    const b = this.b;
    switch (i.k) {
      case "set":
        if (this.saves.has(i)) this.push(b.get(i.v));
        b.emit(i);
        return;
      case "store":
        if (this.saves.has(i)) this.push(b.load(i.arr, i.idx));
        b.emit(i);
        return;
      case "alloc":
        if (depth > 0 && this.needs.vars.has(i.v.id)) b.emit({ k: "pushref", v: i.v, tape: this.tape });
        if (depth > 0 && this.activeVar(i.v)) b.emit({ k: "pushref", v: this.adjoint(i.v), tape: this.tape });
        b.emit(i);
        if (this.activeVar(i.v)) b.emit({ k: "alloc", v: this.adjoint(i.v), n: b.len(i.v) });
        return;
      case "ref":
        // The reference replaced is restored in the backward sweep; the derivative array follows.
        if (this.needs.vars.has(i.v.id)) b.emit({ k: "pushref", v: i.v, tape: this.tape });
        if (this.activeVar(i.v)) b.emit({ k: "pushref", v: this.adjoint(i.v), tape: this.tape });
        b.emit(i);
        if (this.activeVar(i.v)) b.emit({ k: "ref", v: this.adjoint(i.v), from: this.adjoint(i.from) });
        return;
      case "pushref":
        return this.forwardPushref(i);
      case "popref":
        return this.forwardPopref(i);
      case "fill":
        if (this.saves.has(i)) this.forEachElement(i.arr, false, (j) => this.push(this.b.load(i.arr, j)));
        b.emit(i);
        return;
      case "call":
        // A kernel overwriting an array the backward sweep reads: a copy goes on the tape first.
        if (this.saves.has(i)) this.saveArray(i.out!);
        b.emit(i);
        return;
      case "if":
        return this.forwardIf(i, depth);
      case "for":
        return this.forwardFor(i, depth);
      case "while":
        return this.forwardWhile(i, depth);
      default:
        b.emit(i);
    }
  }

  /**
   * Derivative code as input (reverse over reverse) keeps references on its tapes: the
   * derivative array of each goes, in step, on the adjoint tape of the same tape.
   */
  private forwardPushref(i: Extract<Instr, { k: "pushref" }>): void {
    this.b.emit(i);
    if (refsActive(this.act)) this.b.emit({ k: "pushref", v: this.adjoint(i.v), tape: this.adjointTapeOf(i.tape) });
  }

  /** A popped reference replaces v's as `ref` does: the one replaced is restored in the backward sweep. */
  private forwardPopref(i: Extract<Instr, { k: "popref" }>): void {
    const b = this.b;
    if (this.needs.vars.has(i.v.id)) b.emit({ k: "pushref", v: i.v, tape: this.tape });
    if (this.activeVar(i.v)) b.emit({ k: "pushref", v: this.adjoint(i.v), tape: this.tape });
    b.emit(i);
    if (refsActive(this.act)) b.emit({ k: "popref", v: this.adjoint(i.v), tape: this.adjointTapeOf(i.tape) });
  }

  protected saveArray(arr: Var): void {
    const copy = this.b.newVar(`${arr.name}_saved`, arr.type);
    this.b.emit({ k: "alloc", v: copy, n: this.b.len(arr), copyOf: arr });
    this.b.emit({ k: "pushref", v: copy, tape: this.tape });
  }

  /** Branch taken: pushed at the end of each branch inside loops, else kept in a variable. */
  protected forwardIf(i: Extract<Instr, { k: "if" }>, depth: number): void {
    if (this.condsRecomputed.has(i)) {
      this.b.emit({ ...i, then: this.sweep(() => this.forward(i.then, depth)), else: this.sweep(() => this.forward(i.else, depth)) });
      return;
    }
    const rec = depth === 0 ? this.b.newVar("took_then", "bool") : undefined;
    const branch = (blk: Block, taken: boolean) => this.sweep(() => {
      this.forward(blk, depth);
      if (rec) this.b.set(rec, this.b.bool(taken));
      else this.push(this.b.num(taken ? 1 : 0));
    });
    this.b.emit({ ...i, then: branch(i.then, true), else: branch(i.else, false) });
    this.ifRecords.set(i, rec);
  }


  protected forwardFor(i: For, depth: number): void {
    const b = this.b;
    if (this.boundsRecomputed.has(i)) {
      const body = this.sweep(() => this.forward(i.body, depth + 1));
      this.reserveTape(i, body);
      b.emit({ ...i, body });
      return;
    }
    const startDef = this.defs.get(i.start.id);
    const start = startDef?.k === "const" ? (startDef.value as number) : b.newVar(`${i.index.name}_start`, "num");
    const end = b.newVar(`${i.index.name}_end`, "num");
    if (typeof start !== "number") b.set(start, i.start);
    const computable = !i.exit && Math.abs(i.step) === 1;
    if (computable) b.set(end, this.finalIndex(i, i.start, i.end));
    const body = this.sweep(() => this.forward(i.body, depth + 1));
    b.emit({ ...i, body });
    if (!computable) b.set(end, b.get(i.index));
    if (depth > 0) {
      if (typeof start !== "number") this.push(b.get(start));
      this.push(b.get(end));
    }
    this.forRecords.set(i, { start, end });
  }

  /** Before a loop of known length, room on the tape for the values its body pushes each iteration. */
  protected reserveTape(i: For, body: Block): void {
    const perIteration = body.filter((x) => x.k === "push").length;
    if (perIteration === 0) return;
    const b = this.b;
    const final = this.finalIndex(i, i.start, i.end);
    const trips = i.step > 0 ? b.op("sub", final, i.start) : b.op("sub", i.start, final);
    b.emit({ k: "reserve", n: b.op("mul", trips, b.num(perIteration)), tape: this.tape });
  }

  protected forwardWhile(i: Extract<Instr, { k: "while" }>, depth: number): void {
    const b = this.b;
    const count = b.newVar("iterations", "num");
    b.set(count, b.num(0));
    const body = this.sweep(() => {
      this.forward(i.body, depth + 1);
      this.b.set(count, this.b.op("add", this.b.get(count), this.b.num(1)));
    });
    b.emit({ ...i, body });
    if (depth > 0) this.push(b.get(count));
    this.whileCounts.set(i, count);
  }
}
