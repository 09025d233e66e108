// Checkpointed loops: the forward sweep runs the loop without recording anything and
// keeps a snapshot of the loop's state (what its body carries from one iteration to
// the next) at the start of each segment; the backward sweep, segment by segment from
// the last, restores the snapshot, runs the segment again recording as usual, and
// reverses it. Memory: one snapshot per segment plus one segment's tape.
//   "sqrt": segments of ⌈√T⌉ iterations (⌈√T⌉ snapshots, each iteration run twice);
//   "revolve": binomial checkpointing, following the Revolve schedule;
//   a `checkpoint(fn)` call (lowered to a one-iteration loop): its entry state is kept,
//   its body run again recording and reversed.
import type { Builder } from "../../ir/builder.js";
import { cloneBlock } from "../../ir/rewrite.js";
import { childBlocks, isArrayType, varsOf, varsRead, walk, type For, type Instr, type Temp, type Var } from "../../ir/types.js";
import { emitKernel, loop } from "../../ops/kernels/index.js";
import { recomputeVars } from "./backward-sweep.js";
import { refuseAt } from "../../errors.js";
import type { LoopState, Revolve, Segments, Sweeper } from "./sweeper.js";

const [ADVANCE, TAKESHOT, RESTORE, YOUTURN] = [0, 1, 2, 3];

/** A checkpointed call: its entry state, then its body recording nothing. */
export function forwardCheckpointCall(s: Sweeper, b: Builder, i: For): void {
  refuseEscapingArrays(s, i);
  saveState(s, b, i, stateOf(s, i));
  b.block.push(...primalBody(b, i));
}

/** The call again from its entry state, recording; then reversed. */
export function backwardCheckpointCall(s: Sweeper, b: Builder, i: For, depth: number): void {
  restoreState(s, b, i, stateOf(s, i));
  s.syncEnclosingIndices(b);
  s.forward(b, i.body, depth + 1);
  s.backward(b, i.body, depth + 1);
}

export function forwardSqrt(s: Sweeper, b: Builder, i: For, depth: number): void {
  refuseEscapingArrays(s, i);
  const seg = segmentsOf(s, i);
  setBounds(s, b, i, seg.start, seg.trips);
  b.set(seg.size, sqrtOf(b, seg.trips));
  const state = stateOf(s, i);
  // The loop itself, recording nothing; a snapshot at the start of each segment.
  const primal = primalBody(b, i);
  const body = b.nested((bb) => {
    const offset = bb.op("sub", bb.get(i.index), bb.get(seg.start));
    const atSegment = bb.op("eq", bb.op("mod", offset, bb.get(seg.size)), bb.num(0));
    bb.emit({ k: "if", cond: atSegment, then: bb.nested((sb) => saveState(s, sb, i, state)), else: [] });
    bb.block.push(...primal);
  });
  b.emit({ ...i, body });
  if (depth > 0) for (const v of [seg.start, seg.trips, seg.size]) s.push(b, b.get(v));
}

export function backwardSqrt(s: Sweeper, b: Builder, i: For, depth: number): void {
  const seg = segmentsOf(s, i);
  if (depth > 0) for (const v of [seg.size, seg.trips, seg.start]) b.set(v, s.pop(b, "num"));
  const state = stateOf(s, i);
  const count = b.op("ceil", b.op("div", b.get(seg.trips), b.get(seg.size)));
  const segment = b.newVar("segment", "num");
  const from = b.newVar(`${i.index.name}_from`, "num");
  const to = b.newVar(`${i.index.name}_to`, "num");
  const segmentBody = b.nested((bb) => {
    bb.set(from, bb.op("add", bb.get(seg.start), bb.op("mul", bb.get(segment), bb.get(seg.size))));
    bb.set(to, bb.op("min", bb.op("add", bb.get(from), bb.get(seg.size)), bb.op("add", bb.get(seg.start), bb.get(seg.trips))));
    restoreState(s, bb, i, state);
    s.syncEnclosingIndices(bb);
    // The segment again, recording; then reversed.
    const again = bb.nested((ab) => s.forward(ab, i.body, depth + 1));
    bb.emit({ k: "for", index: i.index, start: bb.get(from), end: bb.get(to), step: 1, cmp: "<", body: again });
    const index = bb.newVar(i.index.name, "num");
    s.renamed.set(i.index.id, index);
    const back = bb.nested((rb) => s.enclosedBy(i.index, index, () => s.backward(rb, i.body, depth + 1, (pb) => recomputeVars(s, pb, i))));
    bb.emit({ k: "for", index, start: bb.op("sub", bb.get(to), bb.num(1)), end: bb.get(from), step: -1, cmp: ">=", body: back });
  });
  b.emit({ k: "for", index: segment, start: b.op("sub", count, b.num(1)), end: b.num(0), step: -1, cmp: ">=", body: segmentBody });
}

/**
 * An array allocated inside the loop and used after it would be a different array
 * when the loop runs again in the backward sweep than the one the code after the
 * loop used (and accumulated adjoints into): refused.
 */
function refuseEscapingArrays(s: Sweeper, loop: For): void {
  const inside = new Set<Var>();
  walk(loop.body, (i) => { if (i.k === "alloc" || i.k === "popref") inside.add(i.v); });
  if (inside.size === 0) return;
  const outside = new Set<Var>();
  const visit = (block: Instr[]) => {
    for (const i of block) {
      if (i === loop) continue;
      for (const v of varsOf(i)) outside.add(v);
      for (const c of childBlocks(i)) visit(c);
    }
  };
  visit(s.plan.f.body);
  const escaping = [...inside].filter((v) => outside.has(v));
  if (escaping.length === 0) return;
  const what = loop.checkpoint === "call" ? "a checkpoint(fn) function" : "a // @checkpoint loop";
  throw refuseAt(loop.loc, "array escaping a checkpoint", `${what[0].toUpperCase()}${what.slice(1)} creates the array '${escaping[0].name}' that is used after it; checkpointing cannot recompute it.`,
    "Allocate the array before and pass it in (write into it), or return a number.");
}

/** The loop's first index and trip count, into vars. */
function setBounds(s: Sweeper, b: Builder, i: For, start: Var, trips: Var): void {
  b.set(start, i.start);
  b.set(trips, b.op("sub", s.finalIndex(b, i, i.start, i.end), i.start));
}

/** max(1, ⌈√trips⌉): sqrt's segment length and binomial's default snapshot count. */
function sqrtOf(b: Builder, trips: Var): Temp {
  return b.op("max", b.num(1), b.op("ceil", b.op("sqrt", b.get(trips))));
}

/** The primal body again, recording nothing (fresh temps: each copy defines its own). */
function primalBody(b: Builder, i: For): Instr[] {
  const fresh = new Map<number, Temp>();
  return cloneBlock(i.body, (v) => v, (t) => fresh.get(t.id) ?? (fresh.set(t.id, b.temp(t.type)), fresh.get(t.id)!));
}

/**
 * Binomial checkpointing: the forward sweep follows the Revolve schedule (runtime/revolve.ts)
 * up to its first turn, keeps the state before the last iteration in an extra slot and
 * runs that iteration; the backward sweep restores that state and carries on with the
 * schedule: advancing without recording, taking and restoring snapshots in slots, and
 * for each iteration in reverse order running it recording and reversing it.
 */
export function forwardRevolve(s: Sweeper, b: Builder, i: For, depth: number): void {
  refuseEscapingArrays(s, i);
  const r = revolveOf(s, b, i);
  setBounds(s, b, i, r.start, r.trips);
  const strategy = s.plan.loops.get(i)!;
  const snapshots = strategy.kind === "revolve" ? strategy.snapshots : undefined;
  const k = snapshots !== undefined ? b.num(snapshots) : sqrtOf(b, r.trips);
  b.set(r.slots, b.op("min", k, b.op("max", b.num(1), b.get(r.trips))));
  const run = b.nested((bb) => {
    bb.emit({ k: "alloc", v: r.schedule, n: emitKernel(bb, "revolveLength", [bb.get(r.trips), bb.get(r.slots)])! });
    emitKernel(bb, "revolveFill", [r.schedule, bb.get(r.trips), bb.get(r.slots)]);
    allocSlots(bb, r);
    bb.set(r.pc, bb.num(0));
    actions(s, bb, i, r, depth, false);
    slotCopy(bb, r, bb.get(r.slots), true);
    bb.set(i.index, bb.op("sub", bb.op("add", bb.get(r.start), bb.get(r.trips)), bb.num(1)));
    bb.block.push(...primalBody(bb, i));
  });
  b.emit({ k: "if", cond: b.op("gt", b.get(r.trips), b.num(0)), then: run, else: [] });
  if (depth > 0) for (const v of [r.start, r.trips, r.slots, r.pc]) s.push(b, b.get(v));
  // On the tape also at the top level: Tape.peakBytes then counts the schedule and the slots.
  for (const v of [r.schedule, ...r.scalarSlots, ...r.arraySlots.values()]) b.emit({ k: "pushref", v, tape: s.plan.tape });
}

export function backwardRevolve(s: Sweeper, b: Builder, i: For, depth: number): void {
  const r = revolveOf(s, b, i);
  // In the reverse order of forwardRevolve's pushes.
  for (const v of [r.schedule, ...r.scalarSlots, ...r.arraySlots.values()].reverse()) b.emit({ k: "popref", v, tape: s.plan.tape });
  if (depth > 0) for (const v of [r.start, r.trips, r.slots, r.pc].reverse()) b.set(v, s.pop(b, "num"));
  const run = b.nested((bb) => {
    slotCopy(bb, r, bb.get(r.slots), false);
    actions(s, bb, i, r, depth, true);
  });
  b.emit({ k: "if", cond: b.op("gt", b.get(r.trips), b.num(0)), then: run, else: [] });
}

/**
 * Steps through the schedule from `pc`: the forward sweep stops at the first turn,
 * the backward sweep runs to the end (turns included).
 */
function actions(s: Sweeper, b: Builder, i: For, r: Revolve, depth: number, turns: boolean): void {
  const [action, a, to] = [b.newVar("action", "num"), b.newVar(`${i.index.name}_at`, "num"), b.newVar("operand", "num")];
  const test = b.nested((tb) => {
    const more = tb.op("lt", tb.get(r.pc), tb.len(r.schedule));
    if (turns) return;
    // The turn's action code (3) is never read past the end: the schedule has one.
    tb.op("and", more, tb.op("ne", tb.load(r.schedule, tb.get(r.pc)), tb.num(YOUTURN)));
  });
  const cond = test[test.length - 1] as Extract<Instr, { k: "op" }>;
  const body = b.nested((bb) => {
    if (turns) s.syncEnclosingIndices(bb);
    const at = (k: number) => bb.load(r.schedule, bb.op("add", bb.get(r.pc), bb.num(k)));
    bb.set(action, at(0));
    bb.set(a, bb.op("add", bb.get(r.start), at(1)));
    bb.set(to, at(2));
    const when = (code: number, then: (wb: Builder) => void) => {
      const c = bb.op("eq", bb.get(action), bb.num(code));
      bb.emit({ k: "if", cond: c, then: bb.nested(then), else: [] });
    };
    when(ADVANCE, (wb) => {
      wb.emit({ k: "for", index: i.index, start: wb.get(a), end: wb.op("add", wb.get(r.start), wb.get(to)), step: 1, cmp: "<", body: wb.nested((pb) => pb.block.push(...primalBody(pb, i))) });
    });
    when(TAKESHOT, (wb) => slotCopy(wb, r, wb.get(to), true));
    when(RESTORE, (wb) => slotCopy(wb, r, wb.get(to), false));
    if (turns) {
      when(YOUTURN, (wb) => {
        wb.set(i.index, wb.get(a));
        s.forward(wb, i.body, depth + 1);
        const index = wb.newVar(i.index.name, "num");
        wb.set(index, wb.get(a));
        s.renamed.set(i.index.id, index);
        s.enclosedBy(i.index, index, () => s.backward(wb, i.body, depth + 1, (pb) => recomputeVars(s, pb, i)));
      });
    }
    bb.set(r.pc, bb.op("add", bb.get(r.pc), bb.num(3)));
  });
  b.emit({ k: "while", test, cond: cond.dst, body });
}

function revolveOf(s: Sweeper, b: Builder, i: For): Revolve {
  let r = s.revolves.get(i);
  if (!r) {
    const state = stateOf(s, i);
    const name = i.index.name;
    r = {
      state,
      start: b.newVar(`${name}_first`, "num"), trips: b.newVar(`${name}_trips`, "num"), slots: b.newVar("snapshots", "num"),
      pc: b.newVar("schedule_at", "num"), schedule: b.newVar("schedule", "f32[]"),
      scalarSlots: state.scalars.length ? [b.newVar("scalar_slots", "f64[]")] : [],
      arraySlots: new Map(state.arrays.map((v) => [v, b.newVar(`${v.name}_slots`, v.type)])),
    };
    s.revolves.set(i, r);
  }
  return r;
}

/** Room for `slots + 1` snapshots (the extra one holds the state before the last iteration). */
function allocSlots(b: Builder, r: Revolve): void {
  const count = b.op("add", b.get(r.slots), b.num(1));
  if (r.scalarSlots.length) b.emit({ k: "alloc", v: r.scalarSlots[0], n: b.op("mul", count, b.num(r.state.scalars.length)) });
  for (const [v, slots] of r.arraySlots) b.emit({ k: "alloc", v: slots, n: b.op("mul", count, b.len(v)) });
}

/** Copies the loop state into slot `slot` (`save`) or back from it. */
function slotCopy(b: Builder, r: Revolve, slot: Temp, save: boolean): void {
  const s = b.newVar("slot", "num");
  b.set(s, slot);
  r.state.scalars.forEach((v, q) => {
    const at = b.op("add", b.op("mul", b.get(s), b.num(r.state.scalars.length)), b.num(q));
    // Booleans are kept as 1 and 0.
    if (save) b.store(r.scalarSlots[0], at, v.type === "bool" ? b.op("select", b.get(v), b.num(1), b.num(0)) : b.get(v));
    else b.set(v, v.type === "bool" ? b.op("ne", b.load(r.scalarSlots[0], at), b.num(0)) : b.load(r.scalarSlots[0], at));
  });
  for (const [v, slots] of r.arraySlots) {
    const n = b.newVar(`${v.name}_length`, "num");
    b.set(n, b.len(v));
    loop(b, b.get(n), (ib, j) => {
      const at = ib.op("add", ib.op("mul", ib.get(s), ib.get(n)), j);
      if (save) ib.store(slots, at, ib.load(v, j));
      else ib.store(v, j, ib.load(slots, at));
    }, "j");
  }
}

function stateOf(s: Sweeper, i: For): LoopState {
  return loopState(i, s.plan.saves);
}

function segmentsOf(s: Sweeper, i: For): Segments {
  let seg = s.segments.get(i);
  if (!seg) {
    const name = i.index.name;
    seg = { start: s.newVar(`${name}_first`, "num"), trips: s.newVar(`${name}_trips`, "num"), size: s.newVar(`${name}_segment`, "num") };
    s.segments.set(i, seg);
  }
  return seg;
}

/** Loop `loop`'s state on the tape (a scalar its restore does not need is dropped with it: see newPair). */
function saveState(s: Sweeper, b: Builder, loop: For, state: LoopState): void {
  for (const v of state.scalars) s.save(b, b.get(v), loop, `state${v.id}`);
  for (const a of state.arrays) {
    const copy = b.newVar(`${a.name}_snapshot`, a.type);
    b.emit({ k: "alloc", v: copy, n: b.len(a), copyOf: a });
    b.emit({ k: "pushref", v: copy, tape: s.plan.tape });
  }
}

function restoreState(s: Sweeper, b: Builder, loop: For, state: LoopState): void {
  for (const a of [...state.arrays].reverse()) {
    const copy = b.newVar(`${a.name}_snapshot`, a.type);
    b.emit({ k: "popref", v: copy, tape: s.plan.tape });
    emitKernel(b, "copy", [a, copy, b.len(copy)]);
  }
  for (const v of [...state.scalars].reverse()) b.set(v, s.restore(b, v.type, loop, `state${v.id}`));
}

/**
 * What a loop carries: vars its body writes and may read, in an iteration, before that
 * iteration writes them (a scalar set first, an array allocated first, an inner loop's
 * index are the iteration's own; arrays written element by element count as read), and
 * vars whose overwritten values the backward sweep needs (`saves`: the run that records
 * must save the right values, so it must start from them).
 */
export function loopState(loop: For, saves: ReadonlySet<Instr>): LoopState {
  const written = new Set<Var>();
  const saved = new Set<Var>();
  walk(loop.body, (i) => {
    for (const v of writtenVars(i)) {
      written.add(v);
      if (saves.has(i)) saved.add(v);
    }
  });
  const exposed = new Set<Var>();
  exposedReads(loop.body, new Set([loop.index]), exposed);
  // Arrays the body allocates and never reads before allocating them are each iteration's own, saved or not.
  const allocated = new Set<Var>();
  walk(loop.body, (i) => { if (i.k === "alloc") allocated.add(i.v); });
  const carried = [...written].filter((v) => exposed.has(v) || (saved.has(v) && !allocated.has(v)));
  return { scalars: carried.filter((v) => !isArrayType(v.type)), arrays: carried.filter((v) => isArrayType(v.type)) };
}

/**
 * Adds to `exposed` the vars the block may read before assigning them, given the vars
 * `assigned` on every path so far (updated: what the block assigns on every path).
 */
function exposedReads(block: Instr[], assigned: Set<Var>, exposed: Set<Var>): void {
  for (const i of block) {
    for (const v of readVars(i)) if (!assigned.has(v)) exposed.add(v);
    if (i.k === "set" || i.k === "alloc" || i.k === "popref") assigned.add(i.v);
    if (i.k === "if") {
      const [a, b] = [new Set(assigned), new Set(assigned)];
      exposedReads(i.then, a, exposed);
      exposedReads(i.else, b, exposed);
      for (const v of a) if (b.has(v)) assigned.add(v);
    } else if (i.k === "for") {
      exposedReads(i.body, new Set([...assigned, i.index]), exposed);
    } else if (i.k === "while") {
      exposedReads([...i.test, ...i.body], new Set(assigned), exposed);
    }
  }
}

/** Vars an instruction reads; a store or a kernel's output also "reads" its array (the other entries stay). */
function readVars(i: Instr): Var[] {
  const partial = i.k === "store" || i.k === "fill" ? [i.arr] : i.k === "call" && i.out ? [i.out] : [];
  return [...varsRead(i), ...partial];
}

function writtenVars(i: Instr): Var[] {
  switch (i.k) {
    case "set": case "alloc": case "popref": return [i.v];
    case "store": case "fill": return [i.arr];
    case "call": return i.out ? [i.out] : [];
    default: return [];
  }
}
