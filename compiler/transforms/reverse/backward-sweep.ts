// The backward sweep of reverse mode: instructions visited in reverse, restoring
// saved values, recomputing the temps the op rules need, accumulating adjoints.
import { Builder, type Factor, type Ids } from "../../ir/builder.js";
import { opDef } from "../../ops/table.js";
import { childBlocks, hasDst, walk, type Block, type Call, type For, type Func, type Instr, type Temp, type Var } from "../../ir/types.js";
import { emitKernel, loop } from "../../ops/kernels/index.js";
import { activeCallInputs, baseCtx, inPlaceByRule, kernelOf, operand } from "../kernel-calls.js";
import { diffArgs, tapeLocation } from "../activity.js";
import { ForwardSweep } from "./forward-sweep.js";
import type { CheckpointSpec } from "../../request.js";
import { refuseAt } from "../../errors.js";

export class BackwardSweep extends ForwardSweep {
  protected env = new Map<number, Temp>();
  protected readonly tempAdj = new Map<number, Temp>();
  /** Reads whose adjoint an increment keeps (see backwardSet). */
  protected readonly skipAdjoint = new Set<number>();
  /** Vars whose adjoint lives in temps (see backwardSet), and those temps. */
  protected readonly blockLocal: Set<number>;
  protected readonly varAdj = new Map<number, Temp>();

  constructor(f: Func, wrt: Var[], ids: Ids, schedule?: CheckpointSpec) {
    super(f, wrt, ids, schedule);
    this.blockLocal = blockLocalVars(f);
  }

  protected backward(block: Block, depth: number, prelude?: () => void): void {
    const savedEnv = this.env;
    this.env = new Map();
    prelude?.();
    for (let k = block.length - 1; k >= 0; k--) {
      const i = block[k];
      this.b.loc = i.loc && { ...i.loc, adjoint: true };
      this.backwardInstr(i, depth);
    }
    this.env = savedEnv;
  }

  protected backwardInstr(i: Instr, depth: number): void {
    switch (i.k) {
      case "set":
        return this.backwardSet(i);
      case "store":
        return this.backwardStore(i);
      case "alloc":
        return this.backwardAlloc(i, depth);
      case "ref":
        return this.backwardRef(i);
      case "popref":
        return this.backwardPopref(i);
      case "fill":
        return this.backwardFill(i);
      case "if":
        return this.backwardIf(i, depth);
      case "for":
        return this.backwardFor(i, depth);
      case "while":
        return this.backwardWhile(i, depth);
      case "call":
        return this.backwardCall(i);
      default:
        return this.propagate(i);
    }
  }

  /**
   * `v = src`: the adjoint of v moves to src and v's is reset. Increments `v = v + e`
   * (and `v - e`) keep v's adjoint and add it to e's. Locals whose uses all follow
   * their single assignment in the same block carry their adjoint in temps.
   */
  protected backwardSet(i: Extract<Instr, { k: "set" }>): void {
    const b = this.b;
    if (this.saves.has(i)) b.set(i.v, this.pop(i.v.type));
    if (!this.activeVar(i.v)) return;
    if (this.blockLocal.has(i.v.id)) {
      const g = this.varAdj.get(i.v.id);
      this.varAdj.delete(i.v.id);
      if (g) this.addAdjoint(i.src, g);
      return;
    }
    const bar = this.adjoint(i.v);
    const inc = this.increment(i);
    if (inc) {
      const g = b.get(bar);
      this.addAdjoint(inc.other, inc.negate ? b.op("neg", g) : g);
      return;
    }
    const g = b.get(bar);
    b.set(bar, b.num(0));
    this.addAdjoint(i.src, g);
  }

  /** `v = v + e` or `v = v - e` where the read of v serves only this update. */
  protected increment(i: Extract<Instr, { k: "set" }>): { other: Temp; negate: boolean } | undefined {
    const d = this.defs.get(i.src.id);
    if (d?.k !== "op" || (d.op !== "add" && d.op !== "sub")) return undefined;
    const first = this.defs.get(d.args[0].id);
    if (first?.k !== "get" || first.v !== i.v || this.uses.get(first.dst.id) !== 1 || this.uses.get(i.src.id) !== 1) return undefined;
    this.skipAdjoint.add(first.dst.id);
    return { other: d.args[1], negate: d.op === "sub" };
  }

  protected backwardStore(i: Extract<Instr, { k: "store" }>): void {
    const b = this.b;
    const saved = this.saves.has(i);
    const active = this.activeVar(i.arr);
    if (!saved && !active) return;
    const idx = this.value(i.idx);
    if (saved) b.store(i.arr, idx, this.pop("num"));
    if (!active) return;
    const bar = this.adjoint(i.arr);
    const g = b.load(bar, idx);
    b.store(bar, idx, b.num(0));
    this.addAdjoint(i.src, g);
  }

  protected backwardAlloc(i: Extract<Instr, { k: "alloc" }>, depth: number): void {
    const active = this.activeVar(i.v);
    if (active && i.copyOf && this.activeVar(i.copyOf)) {
      const src = this.adjoint(i.copyOf);
      const bar = this.adjoint(i.v);
      this.forEachElement(bar, false, (j) => {
        this.b.store(src, j, this.b.op("add", this.b.load(src, j), this.b.load(bar, j)));
      });
    }
    if (depth > 0 && active) this.b.emit({ k: "popref", v: this.adjoint(i.v), tape: this.tape });
    if (depth > 0 && this.needs.vars.has(i.v.id)) this.b.emit({ k: "popref", v: i.v, tape: this.tape });
  }

  /** `v = from` undone: from names the array again (its derivative array too), v the one before. */
  protected backwardRef(i: Extract<Instr, { k: "ref" }>): void {
    const b = this.b;
    if (this.activeVar(i.v)) {
      b.emit({ k: "ref", v: this.adjoint(i.from), from: this.adjoint(i.v) });
      b.emit({ k: "popref", v: this.adjoint(i.v), tape: this.tape });
    }
    if (this.needs.vars.has(i.from.id)) b.emit({ k: "ref", v: i.from, from: i.v });
    if (this.needs.vars.has(i.v.id)) b.emit({ k: "popref", v: i.v, tape: this.tape });
  }

  /** A reference popped by the input (see forwardPopref) undone: v and its derivative array name what they did before. */
  private backwardPopref(i: Extract<Instr, { k: "popref" }>): void {
    if (this.activeVar(i.v)) this.b.emit({ k: "popref", v: this.adjoint(i.v), tape: this.tape });
    if (this.needs.vars.has(i.v.id)) this.b.emit({ k: "popref", v: i.v, tape: this.tape });
  }

  protected backwardFill(i: Extract<Instr, { k: "fill" }>): void {
    const b = this.b;
    if (this.activeVar(i.arr)) {
      const bar = this.adjoint(i.arr);
      if (this.act.temps.has(i.src.id)) {
        const total = b.newVar(`${i.arr.name}_fill_bar`, "num");
        b.set(total, b.num(0));
        this.forEachElement(bar, false, (j) => this.b.set(total, this.b.op("add", this.b.get(total), this.b.load(bar, j))));
        this.addAdjoint(i.src, b.get(total));
      }
      b.emit({ k: "fill", arr: bar, src: b.num(0) });
    }
    if (this.saves.has(i)) {
      this.forEachElement(i.arr, true, (j) => this.b.store(i.arr, j, this.pop("num")));
    }
  }

  /**
   * A kernel call: its VJP rule adds the adjoints of the active inputs from out's
   * adjoint (and the number result's), then out's adjoint is reset where the call
   * wrote (unless it accumulated). An array saved before the call is restored before
   * the rule when the rule reads the inputs, after it when it reads the result.
   */
  protected backwardCall(i: Call): void {
    const b = this.b;
    const reads = this.needs.callReads.get(i);
    const restoreFirst = this.saves.has(i) && !reads?.out;
    if (restoreFirst) this.restoreArray(i.out!);
    const active = activeCallInputs(i, this.act);
    const outBar = i.out && this.activeVar(i.out) ? this.adjoint(i.out) : undefined;
    const gs = i.dst && this.act.temps.has(i.dst.id) ? this.tempAdj.get(i.dst.id) : undefined;
    const ctx = baseCtx(b, i, this.defs, (t) => this.value(t));
    const reset = () => {
      if (!outBar || i.accumulate || this.firstWrites.has(i)) return;
      const size = kernelOf(i).size;
      if (size) this.zeroRange(outBar, size(ctx));
      else b.emit({ k: "fill", arr: outBar, src: b.num(0) });
    };
    const def = kernelOf(i);
    // In place, with a rule that can write the input's adjoint over out's: nothing to copy or reset.
    const overwrite = !!outBar && inPlaceByRule(i) && active.has(def.inPlace!);
    if (active.size > 0 && (outBar || gs)) {
      let g = outBar;
      // Otherwise written in place: the rule reads a copy of out's adjoint, which is reset first.
      if (outBar && i.ins.includes(i.out!) && !i.accumulate && !overwrite) {
        g = b.newVar(`${i.out!.name}_bar_in`, outBar.type);
        b.emit({ k: "alloc", v: g, n: b.len(outBar), copyOf: outBar });
        reset();
      }
      ctx.g = g;
      ctx.gs = gs ?? b.num(0);
      ctx.bar = (name) => (active.has(name) ? this.adjoint(operand(i, name) as Var) : undefined);
      ctx.activeNum = (name) => active.has(name);
      ctx.addNum = (name, t) => this.addAdjoint(operand(i, name) as Temp, t);
      ctx.overwrite = overwrite;
      if (!def.vjp) throw refuseAt(i.loc, `kernel ${i.kernel}`, `The kernel ${i.kernel} has no reverse-mode (VJP) rule.`, "Differentiate in forward mode (jvp), or write the computation out as loops.");
      def.vjp(ctx);
      if (g === outBar && !overwrite) reset();
    } else {
      reset();
    }
    if (this.saves.has(i) && !restoreFirst) this.restoreArray(i.out!);
  }

  private restoreArray(arr: Var): void {
    const saved = this.b.newVar(`${arr.name}_saved`, arr.type);
    this.b.emit({ k: "popref", v: saved, tape: this.tape });
    emitKernel(this.b, "copy", [arr, saved, this.b.len(saved)]);
  }

  /** `arr[0 .. n) = 0`. */
  private zeroRange(arr: Var, n: Temp): void {
    loop(this.b, n, (ib, j) => ib.store(arr, j, ib.num(0)), "j");
  }

  protected backwardIf(i: Extract<Instr, { k: "if" }>, depth: number): void {
    const rec = this.ifRecords.get(i);
    const cond = this.condsRecomputed.has(i) ? this.value(i.cond)
      : rec ? this.b.get(rec) : this.pop("bool");
    const then = this.sweep(() => this.backward(i.then, depth));
    const els = this.sweep(() => this.backward(i.else, depth));
    this.b.emit({ k: "if", cond, then, else: els });
  }

  protected backwardFor(i: For, depth: number): void {
    const b = this.b;
    let last: Temp, first: Temp;
    if (this.boundsRecomputed.has(i)) {
      first = this.value(i.start);
      last = b.op("sub", this.finalIndex(i, first, this.value(i.end)), b.num(i.step));
    } else {
      const rec = this.forRecords.get(i)!;
      if (depth > 0) {
        b.set(rec.end, this.pop("num"));
        if (typeof rec.start !== "number") b.set(rec.start, this.pop("num"));
      }
      last = b.op("sub", b.get(rec.end), b.num(i.step));
      first = typeof rec.start === "number" ? b.num(rec.start) : b.get(rec.start);
    }
    // The backward loop counts with its own index, so the forward loop can be removed when dead.
    const index = b.newVar(i.index.name, "num");
    this.renamed.set(i.index.id, index);
    const body = this.sweep(() => this.enclosedBy(i.index, index, () => this.backward(i.body, depth + 1, () => this.recomputeVars(i))));
    b.emit({ k: "for", index, start: last, end: first, step: -i.step, cmp: i.step > 0 ? ">=" : "<=", body });
  }

  /** Loops being reversed around the current point: their forward index and the backward loop's. */
  protected readonly enclosing: [Var, Var][] = [];

  protected enclosedBy(forwardIndex: Var, backwardIndex: Var, build: () => void): void {
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
  protected syncEnclosingIndices(): void {
    for (const [forwardIndex, backwardIndex] of this.enclosing) this.b.set(forwardIndex, this.b.get(backwardIndex));
  }

  /** Recomputes, at the start of a backward iteration, the loop's vars that were not taped. */
  protected recomputeVars(loop: For): void {
    for (const [v, r] of this.recompute) {
      if (r.loop === loop && this.needs.vars.has(v)) this.b.set(r.set.v, this.value(r.set.src));
    }
  }

  protected backwardWhile(i: Extract<Instr, { k: "while" }>, depth: number): void {
    const b = this.b;
    const count = this.whileCounts.get(i)!;
    if (depth > 0) b.set(count, this.pop("num"));
    const k = b.newVar("iteration", "num");
    const body = this.sweep(() => this.backward(i.body, depth + 1));
    b.emit({ k: "for", index: k, start: b.num(0), end: b.get(count), step: 1, cmp: "<", body });
  }

  /**
   * Tape operations of derivative code being differentiated: the adjoint of a popped
   * value travels back, on the adjoint tape, to the value that was pushed.
   */
  private backwardTape(i: Extract<Instr, { k: "push" | "pop" }>): void {
    if (!this.act.vars.has(tapeLocation(i.tape))) return;
    if (i.k === "pop") return this.push(this.tempAdj.get(i.dst.id) ?? this.b.num(0), this.adjointTapeOf(i.tape));
    this.addAdjoint(i.src, this.pop("num", this.adjointTapeOf(i.tape)));
  }

  /** Adjoint of a pure instruction, once all its uses (later in the block) have contributed. */
  protected propagate(i: Instr): void {
    if (i.k === "push" || i.k === "pop") return this.backwardTape(i);
    if (!(hasDst(i))) return;
    const g = this.tempAdj.get(i.dst.id);
    if (!g || !this.act.temps.has(i.dst.id)) return;
    const b = this.b;
    switch (i.k) {
      case "op": {
        const def = opDef(i.op);
        const diff = diffArgs(i.op);
        const active = i.args.map((a, k) => diff[k] && this.act.temps.has(a.id));
        if (!active.some(Boolean)) return;
        // Values the active partials do not read stand in as NaN: their partials are dead code.
        const placeholder = (t: Temp) => b.emit({ k: "const", dst: b.temp(t.type), value: t.type === "bool" ? false : NaN }).dst;
        const args = i.args.map((a) => (this.needs.temps.has(a.id) ? this.value(a) : placeholder(a)));
        const y = this.needs.temps.has(i.dst.id) ? this.value(i.dst) : placeholder(i.dst);
        const parts = def.partials!(b, args, y);
        // An argument used twice (x * x) gets one contribution, scaled by the summed partials.
        const total = new Map<number, { arg: Temp; part: Factor }>();
        i.args.forEach((a, k) => {
          const part = parts[k];
          if (!active[k] || part === undefined) return;
          const prev = total.get(a.id);
          total.set(a.id, { arg: a, part: prev ? addFactors(b, prev.part, part) : part });
        });
        for (const { arg, part } of total.values()) {
          const contribution = b.scale(g, part);
          if (contribution) this.addAdjoint(arg, contribution);
        }
        return;
      }
      case "get": {
        if (this.blockLocal.has(i.v.id)) {
          const prev = this.varAdj.get(i.v.id);
          this.varAdj.set(i.v.id, prev ? b.op("add", prev, g) : g);
          return;
        }
        const bar = this.adjoint(i.v);
        b.set(bar, b.op("add", b.get(bar), g));
        return;
      }
      case "load": {
        const bar = this.adjoint(i.arr);
        const idx = this.value(i.idx);
        b.store(bar, idx, b.op("add", b.load(bar, idx), g));
        return;
      }
    }
  }

  protected addAdjoint(t: Temp, g: Temp): void {
    if (!this.act.temps.has(t.id) || this.skipAdjoint.has(t.id)) return;
    const prev = this.tempAdj.get(t.id);
    this.tempAdj.set(t.id, prev ? this.b.op("add", prev, g) : g);
  }

  /** The value of a primal temp at this point of the backward sweep, recomputed if need be. */
  protected value(t: Temp): Temp {
    const known = this.env.get(t.id);
    if (known) return known;
    const d = this.defs.get(t.id);
    if (!d || !this.needs.temps.has(t.id)) {
      throw new Error(`gradc internal error: backward sweep needs %${t.id}, which the to-be-recorded analysis missed`);
    }
    const b = this.b;
    let out: Temp;
    switch (d.k) {
      case "const": out = b.emit({ k: "const", dst: b.temp(t.type), value: d.value }).dst; break;
      case "get": out = b.get(this.renamed.get(d.v.id) ?? d.v); break;
      case "len": out = b.len(d.arr); break;
      case "load": out = b.load(d.arr, this.value(d.idx)); break;
      case "op": out = b.op(d.op, ...d.args.map((a) => this.value(a))); break;
      case "call": {
        if (d.out) throw new Error(`gradc internal error: cannot recompute the result of kernel ${d.kernel}, which writes an array`);
        const call: Call = { ...d, args: d.args.map((a) => this.value(a)), dst: b.temp("num") };
        out = b.emit(call).dst!;
        break;
      }
      default: throw new Error(`gradc internal error: cannot recompute a ${d.k}`);
    }
    this.env.set(t.id, out);
    return out;
  }
}

/** Vars set once, never a parameter, read only after that set and in the same block. */
function blockLocalVars(f: Func): Set<number> {
  const sets = new Map<number, number>();
  walk(f.body, (i) => { if (i.k === "set") sets.set(i.v.id, (sets.get(i.v.id) ?? 0) + 1); });
  const out = new Set<number>();
  const bad = new Set<number>();
  const visit = (block: Block) => {
    const setHere = new Set<number>();
    for (const i of block) {
      if (i.k === "get") (setHere.has(i.v.id) ? out : bad).add(i.v.id);
      if (i.k === "set" && sets.get(i.v.id) === 1 && i.v.param === undefined) setHere.add(i.v.id);
      for (const c of childBlocks(i)) visit(c);
    }
  };
  visit(f.body);
  for (const v of bad) out.delete(v);
  return out;
}

function addFactors(b: Builder, x: Factor, y: Factor): Factor {
  if (typeof x === "number" && typeof y === "number") return x + y;
  if (x === y) return b.op("mul", b.num(2), x as Temp);
  return b.op("add", b.factor(x), b.factor(y));
}
