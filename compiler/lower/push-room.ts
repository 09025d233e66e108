// Room for pushes made before a loop: a counted loop whose pushes of numbers into a
// growing array (list-growth.ts) are not inside a loop nested in it gets the room for
// one element per push and iteration once, before it, and its pushes no longer check
// whether the array is full — no array is allocated in the loop (cheaper, and reverse
// mode over such derivative code needs none).
import { Effects } from "../ir/effects.js";
import { childBlocks, hasDst, varsOf, type Block, type Instr } from "../ir/types.js";
import type { Lowerer } from "./context.js";
import { growthChecks, moveInto, type Growing } from "./list-growth.js";

/**
 * Before a counted loop whose pushes of numbers into an array are not inside a loop
 * nested in it (only in branches), room for one element per push and iteration is made
 * once, and the pushes in the loop no longer check: no array is allocated in the loop.
 */
export function makeRoom(L: Lowerer, block: Block): void {
  for (let k = 0; k < block.length; k++) {
    const i = block[k];
    if (i.k === "for") {
      const checks = new Map<Growing, { block: Block; instr: Instr }[]>();
      const direct = directChecks(i.body, checks);
      const bounds = boundReads(block, k);
      const ready = [...checks].filter(([g, found]) => direct.has(g) && !bounds.has(g.storage.id) && !movedElsewhere(i.body, g, found.map((f) => f.instr)));
      if (ready.length > 0) {
        L.b.loc = i.loc;
        const room = L.block(() => { for (const [g, found] of ready) reserve(L, g, i, found.length, firstUse(block, k, g)); });
        for (const [, found] of ready) for (const f of found) f.block.splice(f.block.indexOf(f.instr), 1);
        k = block.indexOf(i);
        block.splice(k, 0, ...room);
        k += room.length;
      }
    }
    if (i.k === "if") { makeRoom(L, i.then); makeRoom(L, i.else); }
    else if (i.k === "for") makeRoom(L, i.body);
    else if (i.k === "while") { makeRoom(L, i.test); makeRoom(L, i.body); }
  }
}

/** The growth checks in a loop body, by array; the arrays all of whose checks are outside nested loops. */
function directChecks(body: Block, checks: Map<Growing, { block: Block; instr: Instr }[]>): Set<Growing> {
  const nested = new Set<Growing>();
  const visitBlock = (block: Block, inLoop: boolean): void => {
    for (const i of block) {
      const g = growthChecks.get(i);
      if (g) {
        if (inLoop) nested.add(g);
        else checks.set(g, [...(checks.get(g) ?? []), { block, instr: i }]);
        continue;
      }
      if (i.k === "if") { visitBlock(i.then, inLoop); visitBlock(i.else, inLoop); }
      else if (i.k === "for") visitBlock(i.body, true);
      else if (i.k === "while") { visitBlock(i.test, true); visitBlock(i.body, true); }
    }
  };
  visitBlock(body, false);
  return new Set([...checks.keys()].filter((g) => !nested.has(g)));
}

/** Whether the loop body makes the array (declared inside it) or moves it other than by the given growth checks (a cut to its length). */
function movedElsewhere(body: Block, g: Growing, own: Instr[]): boolean {
  let moved = false;
  const visitBlock = (block: Block): void => {
    for (const i of block) {
      if (own.includes(i)) continue;
      if ((i.k === "ref" || i.k === "alloc") && i.v === g.storage) moved = true;
      if (i.k === "if") { visitBlock(i.then); visitBlock(i.else); }
      else if (i.k === "for") visitBlock(i.body);
      else if (i.k === "while") { visitBlock(i.test); visitBlock(i.body); }
    }
  };
  visitBlock(body);
  return moved;
}

/** What the bounds of the loop at `block[k]` read (room is made only for arrays they do not read: moving one would change them). */
function boundReads(block: Block, k: number): Set<number> {
  const loop = block[k] as Extract<Instr, { k: "for" }>;
  const defs = new Map<number, Instr>();
  for (const i of block.slice(0, k)) if (hasDst(i)) defs.set(i.dst.id, i);
  const effects = new Effects(defs);
  return new Set([...effects.readsOf(loop.start), ...effects.readsOf(loop.end)]);
}

/**
 * Whether the loop at `block[k]` is the first use of g's storage: it was made empty in
 * this block and nothing since mentions it (then the room is its first allocation, and
 * the empty one goes).
 */
function firstUse(block: Block, k: number, g: Growing): boolean {
  const at = block.indexOf(g.alloc);
  if (at < 0 || at > k) return false;
  let mentioned = false;
  const visitBlock = (instrs: Block): void => {
    for (const i of instrs) {
      if (varsOf(i).includes(g.storage)) mentioned = true;
      for (const c of childBlocks(i)) visitBlock(c);
    }
  };
  visitBlock(block.slice(at + 1, k));
  if (mentioned) return false;
  block.splice(at, 1);
  return true;
}

/** Room for `count` pushes in each iteration of `loop`: at most its trip count, times count, more elements. */
function reserve(L: Lowerer, g: Growing, loop: Extract<Instr, { k: "for" }>, count: number, first: boolean): void {
  const b = L.b;
  const diff = b.op("sub", loop.end, loop.start);
  const span = loop.step === 1 ? diff : b.op("div", diff, b.num(loop.step));
  const inclusive = loop.cmp === "<=" || loop.cmp === ">=";
  const trips = b.op("max", b.num(0), inclusive ? b.op("add", b.op("floor", span), b.num(1)) : b.op("ceil", span));
  const need = b.op("add", b.get(g.length), count === 1 ? trips : b.op("mul", trips, b.num(count)));
  if (first) return void b.emit({ k: "alloc", v: g.storage, n: need });
  const short = b.op("gt", need, b.len(g.storage));
  const needed = b.newVar(`${g.storage.name}_room`, "num");
  b.set(needed, need);
  // Twice the room at least: made again in an outer loop, it stays amortised O(1) a push.
  const then = L.block(() => moveInto(L, g, L.b.op("max", L.b.get(needed), L.b.op("add", L.b.op("mul", L.b.len(g.storage), L.b.num(2)), L.b.num(8)))));
  b.emit({ k: "if", cond: short, then, else: [] });
}
