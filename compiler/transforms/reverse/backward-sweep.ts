// The backward sweep of reverse mode: instructions visited in reverse, restoring
// saved values, recomputing the temps the op rules need, accumulating adjoints.
import type { Builder, Factor } from "../../ir/builder.js";
import { opDef } from "../../ops/table.js";
import { hasDst, type Call, type For, type Instr, type Temp, type Var } from "../../ir/types.js";
import { emitKernel, loop } from "../../ops/kernels/index.js";
import { activeCallInputs, baseCtx, inPlaceByRule, kernelOf, operand } from "../kernel-calls.js";
import { diffArgs, tapeLocation } from "../activity.js";
import { refuseAt } from "../../errors.js";
import type { Sweeper } from "./sweeper.js";

type Of<K extends Instr["k"]> = Extract<Instr, { k: K }>;

/**
 * `v = src`: the adjoint of v moves to src and v's is reset. Increments `v = v + e`
 * (and `v - e`) keep v's adjoint and add it to e's. Locals whose uses all follow
 * their single assignment in the same block carry their adjoint in temps.
 */
export function backwardSet(s: Sweeper, b: Builder, i: Of<"set">): void {
  if (s.plan.readBeforeRestore.has(i)) s.env.set(i.src.id, b.get(i.v));
  if (s.plan.saves.has(i)) b.set(i.v, s.restore(b, i.v.type, i, "old"));
  popTaped(s, b, i);
  if (!s.activeVar(i.v)) return;
  if (s.plan.blockLocal.has(i.v.id)) {
    const g = s.varAdj.get(i.v.id);
    s.varAdj.delete(i.v.id);
    if (g) addAdjoint(s, b, i.src, g);
    return;
  }
  const bar = s.adjoint(i.v);
  const inc = increment(s, i);
  if (inc) {
    const g = b.get(bar);
    addAdjoint(s, b, inc.other, inc.negate ? b.op("neg", g) : g);
    return;
  }
  const g = b.get(bar);
  b.set(bar, b.num(0));
  addAdjoint(s, b, i.src, g);
}

/** The values the forward sweep saved for this write's rules (the plan's `taped`), last pushed first. */
function popTaped(s: Sweeper, b: Builder, i: Instr): void {
  for (const t of [...(s.plan.taped.get(i) ?? [])].reverse()) s.env.set(t.id, s.restore(b, t.type, i, `t${t.id}`));
}

/** `v = v + e` or `v = v - e` where the read of v serves only this update. */
function increment(s: Sweeper, i: Of<"set">): { other: Temp; negate: boolean } | undefined {
  const { defs, uses } = s.plan.facts;
  const d = defs.get(i.src.id);
  if (d?.k !== "op" || (d.op !== "add" && d.op !== "sub")) return undefined;
  const first = defs.get(d.args[0].id);
  if (first?.k !== "get" || first.v !== i.v || uses.get(first.dst.id) !== 1 || uses.get(i.src.id) !== 1) return undefined;
  s.skipAdjoint.add(first.dst.id);
  return { other: d.args[1], negate: d.op === "sub" };
}

export function backwardStore(s: Sweeper, b: Builder, i: Of<"store">): void {
  const saved = s.plan.saves.has(i);
  const active = s.activeVar(i.arr);
  if (!saved && !active) return;
  const idx = value(s, b, i.idx);
  if (saved) b.store(i.arr, idx, s.restore(b, "num", i, "old"));
  popTaped(s, b, i);
  if (!active) return;
  const bar = s.adjoint(i.arr);
  const g = b.load(bar, idx);
  b.store(bar, idx, b.num(0));
  addAdjoint(s, b, i.src, g);
}

export function backwardAlloc(s: Sweeper, b: Builder, i: Of<"alloc">, depth: number): void {
  const active = s.activeVar(i.v);
  if (active && i.copyOf && s.activeVar(i.copyOf)) {
    const src = s.adjoint(i.copyOf);
    const bar = s.adjoint(i.v);
    s.forEachElement(b, bar, false, (ib, j) => ib.store(src, j, ib.op("add", ib.load(src, j), ib.load(bar, j))));
  }
  if (depth > 0 && active) b.emit({ k: "popref", v: s.adjoint(i.v), tape: s.plan.tape });
  if (depth > 0 && s.plan.needs.vars.has(i.v.id)) b.emit({ k: "popref", v: i.v, tape: s.plan.tape });
}

/** `v = from` undone: from names the array again (its derivative array too), v the one before. */
export function backwardRef(s: Sweeper, b: Builder, i: Of<"ref">): void {
  if (s.activeVar(i.v)) {
    b.emit({ k: "ref", v: s.adjoint(i.from), from: s.adjoint(i.v) });
    b.emit({ k: "popref", v: s.adjoint(i.v), tape: s.plan.tape });
  }
  if (s.plan.needs.vars.has(i.from.id)) b.emit({ k: "ref", v: i.from, from: i.v });
  if (s.plan.needs.vars.has(i.v.id)) b.emit({ k: "popref", v: i.v, tape: s.plan.tape });
}

/** A reference popped by the input (see forwardPopref) undone: v and its derivative array name what they did before. */
export function backwardPopref(s: Sweeper, b: Builder, i: Of<"popref">): void {
  if (s.activeVar(i.v)) b.emit({ k: "popref", v: s.adjoint(i.v), tape: s.plan.tape });
  if (s.plan.needs.vars.has(i.v.id)) b.emit({ k: "popref", v: i.v, tape: s.plan.tape });
}

export function backwardFill(s: Sweeper, b: Builder, i: Of<"fill">): void {
  if (s.activeVar(i.arr)) {
    const bar = s.adjoint(i.arr);
    if (s.plan.act.temps.has(i.src.id)) {
      const total = b.newVar(`${i.arr.name}_fill_bar`, "num");
      b.set(total, b.num(0));
      s.forEachElement(b, bar, false, (ib, j) => ib.set(total, ib.op("add", ib.get(total), ib.load(bar, j))));
      addAdjoint(s, b, i.src, b.get(total));
    }
    b.emit({ k: "fill", arr: bar, src: b.num(0) });
  }
  if (s.plan.saves.has(i)) s.forEachElement(b, i.arr, true, (ib, j) => ib.store(i.arr, j, s.pop(ib, "num")));
}

/**
 * A kernel call: its VJP rule adds the adjoints of the active inputs from out's
 * adjoint (and the number result's), then out's adjoint is reset where the call
 * wrote (unless it accumulated). An array saved before the call is restored before
 * the rule when the rule reads the inputs, after it when it reads the result.
 */
export function backwardCall(s: Sweeper, b: Builder, i: Call): void {
  const reads = s.plan.needs.callReads.get(i);
  const saved = s.plan.saves.has(i);
  const restoreFirst = saved && !reads?.out;
  if (restoreFirst) restoreArray(s, b, i.out!);
  const active = activeCallInputs(i, s.plan.act);
  const outBar = i.out && s.activeVar(i.out) ? s.adjoint(i.out) : undefined;
  const gs = i.dst && s.plan.act.temps.has(i.dst.id) ? s.tempAdj.get(i.dst.id) : undefined;
  const ctx = baseCtx(b, i, s.plan.facts.defs, (t) => value(s, b, t));
  const reset = () => {
    if (!outBar || i.accumulate || s.plan.firstWrites.has(i)) return;
    const size = kernelOf(i).size;
    if (size) zeroRange(b, outBar, size(ctx));
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
    ctx.bar = (name) => (active.has(name) ? s.adjoint(operand(i, name) as Var) : undefined);
    ctx.activeNum = (name) => active.has(name);
    ctx.addNum = (name, t) => addAdjoint(s, b, operand(i, name) as Temp, t);
    ctx.overwrite = overwrite;
    if (!def.vjp) throw refuseAt(i.loc, `kernel ${i.kernel}`, `The kernel ${i.kernel} has no reverse-mode (VJP) rule.`, "Differentiate in forward mode (jvp), or write the computation out as loops.");
    def.vjp(ctx);
    if (g === outBar && !overwrite) reset();
  } else {
    reset();
  }
  if (saved && !restoreFirst) restoreArray(s, b, i.out!);
}

function restoreArray(s: Sweeper, b: Builder, arr: Var): void {
  const saved = b.newVar(`${arr.name}_saved`, arr.type);
  b.emit({ k: "popref", v: saved, tape: s.plan.tape });
  emitKernel(b, "copy", [arr, saved, b.len(saved)]);
}

/** `arr[0 .. n) = 0`. */
function zeroRange(b: Builder, arr: Var, n: Temp): void {
  loop(b, n, (ib, j) => ib.store(arr, j, ib.num(0)), "j");
}

export function backwardIf(s: Sweeper, b: Builder, i: Of<"if">, depth: number): void {
  const rec = s.ifRecords.get(i);
  const cond = s.plan.condsRecomputed.has(i) ? value(s, b, i.cond)
    : rec ? b.get(rec) : s.restore(b, "bool", i, "taken");
  const then = b.nested((tb) => s.backward(tb, i.then, depth));
  const els = b.nested((eb) => s.backward(eb, i.else, depth));
  b.emit({ k: "if", cond, then, else: els });
}

/** A loop whose bounds nothing changes: the backward loop's range from the bounds again. */
export function backwardRecomputedBounds(s: Sweeper, b: Builder, i: For, depth: number): void {
  const first = value(s, b, i.start);
  const last = b.op("sub", s.finalIndex(b, i, first, value(s, b, i.end)), b.num(i.step));
  reversedLoop(s, b, i, depth, last, first);
}

/** A loop whose bounds the forward sweep recorded (inside loops, on the tape). */
export function backwardRecorded(s: Sweeper, b: Builder, i: For, depth: number): void {
  const rec = s.forRecords.get(i)!;
  if (depth > 0) {
    b.set(rec.end, s.restore(b, "num", i, "end"));
    if (typeof rec.start !== "number") b.set(rec.start, s.restore(b, "num", i, "start"));
  }
  const last = b.op("sub", b.get(rec.end), b.num(i.step));
  const first = typeof rec.start === "number" ? b.num(rec.start) : b.get(rec.start);
  reversedLoop(s, b, i, depth, last, first);
}

/** The loop's body reversed, from index `last` down to `first`. */
function reversedLoop(s: Sweeper, b: Builder, i: For, depth: number, last: Temp, first: Temp): void {
  // The backward loop counts with its own index, so the forward loop can be removed when dead.
  const index = b.newVar(i.index.name, "num");
  s.renamed.set(i.index.id, index);
  const body = b.nested((bb) => s.enclosedBy(i.index, index, () => s.backward(bb, i.body, depth + 1, (pb) => recomputeVars(s, pb, i))));
  b.emit({ k: "for", index, start: last, end: first, step: -i.step, cmp: i.step > 0 ? ">=" : "<=", body });
}

/** Recomputes, at the start of a backward iteration, the loop's vars that were not taped. */
export function recomputeVars(s: Sweeper, b: Builder, loop: For): void {
  for (const [v, r] of s.plan.recompute) {
    if (r.loop === loop && s.plan.needs.vars.has(v)) b.set(r.set.v, value(s, b, r.set.src));
  }
}

export function backwardWhile(s: Sweeper, b: Builder, i: Of<"while">, depth: number): void {
  const count = s.whileCounts.get(i)!;
  if (depth > 0) b.set(count, s.restore(b, "num", i, "count"));
  const k = b.newVar("iteration", "num");
  const body = b.nested((bb) => s.backward(bb, i.body, depth + 1));
  b.emit({ k: "for", index: k, start: b.num(0), end: b.get(count), step: 1, cmp: "<", body });
}

/**
 * Tape operations of derivative code being differentiated: the adjoint of a popped
 * value travels back, on the adjoint tape, to the value that was pushed.
 */
function backwardTape(s: Sweeper, b: Builder, i: Of<"push" | "pop">): void {
  if (!s.plan.act.vars.has(tapeLocation(i.tape))) return;
  if (i.k === "pop") return s.push(b, s.tempAdj.get(i.dst.id) ?? b.num(0), s.adjointTapeOf(i.tape));
  addAdjoint(s, b, i.src, s.pop(b, "num", s.adjointTapeOf(i.tape)));
}

/** Adjoint of a pure instruction, once all its uses (later in the block) have contributed. */
export function propagate(s: Sweeper, b: Builder, i: Instr): void {
  if (i.k === "push" || i.k === "pop") return backwardTape(s, b, i);
  if (!(hasDst(i))) return;
  const g = s.tempAdj.get(i.dst.id);
  const { act, needs } = s.plan;
  if (!g || !act.temps.has(i.dst.id)) return;
  switch (i.k) {
    case "op": {
      const def = opDef(i.op);
      const diff = diffArgs(i.op);
      const active = i.args.map((a, k) => diff[k] && act.temps.has(a.id));
      if (!active.some(Boolean)) return;
      // Values the active partials do not read stand in as NaN: their partials are dead code.
      const placeholder = (t: Temp) => b.emit({ k: "const", dst: b.temp(t.type), value: t.type === "bool" ? false : NaN }).dst;
      const args = i.args.map((a) => (needs.temps.has(a.id) ? value(s, b, a) : placeholder(a)));
      const y = needs.temps.has(i.dst.id) ? value(s, b, i.dst) : placeholder(i.dst);
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
        if (contribution) addAdjoint(s, b, arg, contribution);
      }
      return;
    }
    case "get": {
      if (s.plan.blockLocal.has(i.v.id)) {
        const prev = s.varAdj.get(i.v.id);
        s.varAdj.set(i.v.id, prev ? b.op("add", prev, g) : g);
        return;
      }
      const bar = s.adjoint(i.v);
      b.set(bar, b.op("add", b.get(bar), g));
      return;
    }
    case "load": {
      const bar = s.adjoint(i.arr);
      const idx = value(s, b, i.idx);
      b.store(bar, idx, b.op("add", b.load(bar, idx), g));
      return;
    }
  }
}

function addAdjoint(s: Sweeper, b: Builder, t: Temp, g: Temp): void {
  if (!s.plan.act.temps.has(t.id) || s.skipAdjoint.has(t.id)) return;
  const prev = s.tempAdj.get(t.id);
  s.tempAdj.set(t.id, prev ? b.op("add", prev, g) : g);
}

/** The value of a primal temp at this point of the backward sweep, recomputed if need be. */
function value(s: Sweeper, b: Builder, t: Temp): Temp {
  const known = s.env.get(t.id);
  if (known) return known;
  const d = s.plan.facts.defs.get(t.id);
  if (!d || !s.plan.needs.temps.has(t.id)) {
    throw new Error(`gradc internal error: backward sweep needs %${t.id}, which the to-be-recorded analysis missed`);
  }
  let out: Temp;
  switch (d.k) {
    case "const": out = b.emit({ k: "const", dst: b.temp(t.type), value: d.value }).dst; break;
    case "get": out = b.get(s.renamed.get(d.v.id) ?? d.v); break;
    case "len": out = b.len(d.arr); break;
    case "load": out = b.load(d.arr, value(s, b, d.idx)); break;
    case "op": out = b.op(d.op, ...d.args.map((a) => value(s, b, a))); break;
    case "call": {
      if (d.out) throw new Error(`gradc internal error: cannot recompute the result of kernel ${d.kernel}, which writes an array`);
      const call: Call = { ...d, args: d.args.map((a) => value(s, b, a)), dst: b.temp("num") };
      out = b.emit(call).dst!;
      break;
    }
    default: throw new Error(`gradc internal error: cannot recompute a ${d.k}`);
  }
  s.env.set(t.id, out);
  return out;
}

function addFactors(b: Builder, x: Factor, y: Factor): Factor {
  if (typeof x === "number" && typeof y === "number") return x + y;
  if (x === y) return b.op("mul", b.num(2), x as Temp);
  return b.op("add", b.factor(x), b.factor(y));
}
