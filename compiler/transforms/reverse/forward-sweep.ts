// The forward sweep of reverse mode: the original code, plus saves of overwritten
// values the backward sweep reads, and records of the control flow taken (only
// where they cannot be recomputed).
import type { Builder } from "../../ir/builder.js";
import { anyInstr, type Block, type For, type Instr, type Var } from "../../ir/types.js";
import { refsActive } from "../activity.js";
import type { Sweeper } from "./sweeper.js";

type Of<K extends Instr["k"]> = Extract<Instr, { k: K }>;

export function forwardSet(s: Sweeper, b: Builder, i: Of<"set">): void {
  for (const t of s.plan.taped.get(i) ?? []) s.save(b, t, i, `t${t.id}`);
  if (s.plan.saves.has(i)) s.save(b, b.get(i.v), i, "old");
  b.emit(i);
}

export function forwardStore(s: Sweeper, b: Builder, i: Of<"store">): void {
  for (const t of s.plan.taped.get(i) ?? []) s.save(b, t, i, `t${t.id}`);
  if (s.plan.saves.has(i)) s.save(b, b.load(i.arr, i.idx), i, "old");
  b.emit(i);
}

export function forwardAlloc(s: Sweeper, b: Builder, i: Of<"alloc">, depth: number): void {
  if (depth > 0 && s.plan.needs.vars.has(i.v.id)) b.emit({ k: "pushref", v: i.v, tape: s.plan.tape });
  if (depth > 0 && s.activeVar(i.v)) b.emit({ k: "pushref", v: s.adjoint(i.v), tape: s.plan.tape });
  b.emit(i);
  if (s.activeVar(i.v)) b.emit({ k: "alloc", v: s.adjoint(i.v), n: b.len(i.v) });
}

/** The reference replaced is restored in the backward sweep; the derivative array follows. */
export function forwardRef(s: Sweeper, b: Builder, i: Of<"ref">): void {
  if (s.plan.needs.vars.has(i.v.id)) b.emit({ k: "pushref", v: i.v, tape: s.plan.tape });
  if (s.activeVar(i.v)) b.emit({ k: "pushref", v: s.adjoint(i.v), tape: s.plan.tape });
  b.emit(i);
  if (s.activeVar(i.v)) b.emit({ k: "ref", v: s.adjoint(i.v), from: s.adjoint(i.from) });
}

/**
 * Derivative code as input (reverse over reverse) keeps references on its tapes: the
 * derivative array of each goes, in step, on the adjoint tape of the same tape.
 */
export function forwardPushref(s: Sweeper, b: Builder, i: Of<"pushref">): void {
  b.emit(i);
  if (refsActive(s.plan.act)) b.emit({ k: "pushref", v: s.adjoint(i.v), tape: s.adjointTapeOf(i.tape) });
}

/** A popped reference replaces v's as `ref` does: the one replaced is restored in the backward sweep. */
export function forwardPopref(s: Sweeper, b: Builder, i: Of<"popref">): void {
  if (s.plan.needs.vars.has(i.v.id)) b.emit({ k: "pushref", v: i.v, tape: s.plan.tape });
  if (s.activeVar(i.v)) b.emit({ k: "pushref", v: s.adjoint(i.v), tape: s.plan.tape });
  b.emit(i);
  if (refsActive(s.plan.act)) b.emit({ k: "popref", v: s.adjoint(i.v), tape: s.adjointTapeOf(i.tape) });
}

export function forwardFill(s: Sweeper, b: Builder, i: Of<"fill">): void {
  if (s.plan.saves.has(i)) s.forEachElement(b, i.arr, false, (ib, j) => s.push(ib, ib.load(i.arr, j)));
  b.emit(i);
}

/** A kernel overwriting an array the backward sweep reads: a copy goes on the tape first. */
export function forwardCall(s: Sweeper, b: Builder, i: Of<"call">): void {
  if (s.plan.saves.has(i)) saveArray(s, b, i.out!);
  b.emit(i);
}

function saveArray(s: Sweeper, b: Builder, arr: Var): void {
  const copy = b.newVar(`${arr.name}_saved`, arr.type);
  b.emit({ k: "alloc", v: copy, n: b.len(arr), copyOf: arr });
  b.emit({ k: "pushref", v: copy, tape: s.plan.tape });
}

/** Branch taken: pushed at the end of each branch inside loops, else kept in a variable. */
export function forwardIf(s: Sweeper, b: Builder, i: Of<"if">, depth: number): void {
  if (s.plan.condsRecomputed.has(i)) {
    b.emit({ ...i, then: b.nested((tb) => s.forward(tb, i.then, depth)), else: b.nested((eb) => s.forward(eb, i.else, depth)) });
    return;
  }
  const rec = depth === 0 ? b.newVar("took_then", "bool") : undefined;
  const branch = (blk: Block, taken: boolean) => b.nested((bb) => {
    s.forward(bb, blk, depth);
    if (rec) bb.set(rec, bb.bool(taken));
    else s.save(bb, bb.num(taken ? 1 : 0), i, "taken");
  });
  b.emit({ ...i, then: branch(i.then, true), else: branch(i.else, false) });
  s.ifRecords.set(i, rec);
}

/** A loop whose bounds the backward sweep computes again: only room on the tape is made. */
export function forwardRecomputedBounds(s: Sweeper, b: Builder, i: For, depth: number): void {
  const body = b.nested((bb) => s.forward(bb, i.body, depth + 1));
  b.emit({ ...i, body: reserveTape(s, b, i, body) });
}

/** A loop whose bounds are recorded: its first index, and its last from the bounds or the index after it. */
export function forwardRecorded(s: Sweeper, b: Builder, i: For, depth: number): void {
  const startDef = s.plan.facts.defs.get(i.start.id);
  const start = startDef?.k === "const" ? (startDef.value as number) : b.newVar(`${i.index.name}_start`, "num");
  const end = b.newVar(`${i.index.name}_end`, "num");
  if (typeof start !== "number") b.set(start, i.start);
  const computable = !i.exit && Math.abs(i.step) === 1;
  if (computable) b.set(end, s.finalIndex(b, i, i.start, i.end));
  const body = b.nested((bb) => s.forward(bb, i.body, depth + 1));
  b.emit({ ...i, body });
  if (!computable) b.set(end, b.get(i.index));
  if (depth > 0) {
    if (typeof start !== "number") s.save(b, b.get(start), i, "start");
    s.save(b, b.get(end), i, "end");
  }
  s.forRecords.set(i, { start, end });
}

/**
 * Before a loop of known length, room on the tape for the values its body pushes each
 * iteration. When no loop nested in the body pushes, that is the most pushes along any path
 * through its branches, and each push is marked as having its room (none checks for it).
 */
function reserveTape(s: Sweeper, b: Builder, i: For, body: Block): Block {
  const tape = s.plan.tape;
  const most = mostPushes(body, tape);
  const perIteration = most ?? body.filter((x) => x.k === "push" && x.tape === tape).length;
  if (perIteration === 0) return body;
  const final = s.finalIndex(b, i, i.start, i.end);
  const trips = i.step > 0 ? b.op("sub", final, i.start) : b.op("sub", i.start, final);
  b.emit({ k: "reserve", n: b.op("mul", trips, b.num(perIteration)), tape });
  return most === undefined ? body : withRoom(body, tape);
}

/** The most pushes onto `tape` one run of `block` makes, or undefined when a loop nested in it pushes. */
function mostPushes(block: Block, tape: number): number | undefined {
  let n = 0;
  for (const x of block) {
    if (x.k === "for" || x.k === "while" || x.k === "invoke") {
      if (x.k === "invoke" || anyInstr([x], (y) => y.k === "push" && y.tape === tape)) return undefined;
      continue;
    }
    if (x.k === "push" && x.tape === tape) n++;
    if (x.k !== "if") continue;
    const then = mostPushes(x.then, tape), other = mostPushes(x.else, tape);
    if (then === undefined || other === undefined) return undefined;
    n += Math.max(then, other);
  }
  return n;
}

function withRoom(block: Block, tape: number): Block {
  return block.map((x): Instr => {
    if (x.k === "push" && x.tape === tape) return { ...x, room: true };
    if (x.k === "if") return { ...x, then: withRoom(x.then, tape), else: withRoom(x.else, tape) };
    return x;
  });
}

export function forwardWhile(s: Sweeper, b: Builder, i: Of<"while">, depth: number): void {
  const count = b.newVar("iterations", "num");
  b.set(count, b.num(0));
  const body = b.nested((bb) => {
    s.forward(bb, i.body, depth + 1);
    bb.set(count, bb.op("add", bb.get(count), bb.num(1)));
  });
  b.emit({ ...i, body });
  if (depth > 0) s.save(b, b.get(count), i, "count");
  s.whileCounts.set(i, count);
}
