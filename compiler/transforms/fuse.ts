// Loop fusion for reverse mode. When a top-level loop's backward iterations only
// accumulate adjoints (no tape, no adjoint read that a later iteration would change)
// and the adjoints they start from are known before the loop runs (`s += term(i);
// return s`: s's adjoint is 1), each backward iteration can run right after its
// forward one: one loop instead of two, as a hand-written gradient does.
import { Effects } from "../ir/effects.js";
import { substituteVar } from "../ir/rewrite.js";
import { anyInstr, hasDst, varsOf, walk, type Block, type For, type Instr, type Temp, type Var } from "../ir/types.js";

export interface Sweeps {
  /** Forward code of each top-level instruction. */
  forward: Block[];
  /** Backward code of each top-level instruction (same indices). */
  backward: Block[];
  /** Code that starts the backward sweep (the result's adjoint = 1). */
  seed: Block;
}

export interface FuseContext {
  /** Ids of adjoint vars and arrays. */
  adjoints: Set<number>;
  /** Sets of loop vars that the backward sweep recomputes, by var id. */
  recomputed: Set<number>;
  /** The var that counts the backward loop of a forward loop. */
  backwardIndex(loop: For): Var | undefined;
}

/** Fused body, or undefined when no top-level loop qualifies. */
export function fuseTopLoop(s: Sweeps, ctx: FuseContext): Block | undefined {
  if (usesTape([...s.forward, ...s.backward, s.seed])) return undefined;
  for (let k = s.forward.length - 1; k >= 0; k--) {
    const fused = tryFuse(s, k, ctx);
    if (fused) return fused;
  }
  return undefined;
}

function containsThrow(block: Block): boolean {
  return anyInstr(block, (i) => i.k === "throw");
}

function usesTape(blocks: Block[]): boolean {
  return blocks.some((b) => anyInstr(b, (i) => i.k === "push" || i.k === "pop" || i.k === "pushref" || i.k === "popref" || i.k === "ref"));
}

function tryFuse(s: Sweeps, k: number, ctx: FuseContext): Block | undefined {
  const fwdLoop = s.forward[k].find((i): i is For => i.k === "for");
  const bwdLoop = s.backward[k].find((i): i is For => i.k === "for");
  if (!fwdLoop || !bwdLoop || ctx.backwardIndex(fwdLoop) !== bwdLoop.index) return undefined;
  const after = s.backward.slice(k + 1).reverse().flat();
  const laterForward = s.forward.slice(k).flat();
  // A throw in the loop or after it must find the adjoints untouched, as without fusion.
  if (containsThrow(laterForward)) return undefined;
  const effects = effectsOf([...laterForward, ...after, ...bwdLoop.body]);
  const written = effects.blockWrites(laterForward);
  // What the backward code after the loop computes must not depend on the loop or later code.
  if (readsOf(after, effects).some((l) => !ctx.adjoints.has(l) && written.has(l))) return undefined;
  // Nor on an array allocated after it (a returned array and its adjoint).
  if (usesAllocated([...s.seed, ...after], s.forward.slice(k + 1).flat(), s.forward.slice(0, k + 1).flat())) return undefined;
  if (!accumulatesOnly(bwdLoop, fwdLoop, ctx, effects)) return undefined;
  const body = bwdLoop.body.filter((i) => !(i.k === "set" && ctx.recomputed.has(i.v.id)));
  substituteVar(body, bwdLoop.index, fwdLoop.index);
  const fused: For = { ...fwdLoop, body: [...fwdLoop.body, ...body] };
  const forwardK = s.forward[k].map((i) => (i === fwdLoop ? fused : i));
  // Values the backward loop's header computed may serve the backward code before it.
  const header = s.backward[k].filter((i) => i !== bwdLoop);
  if (!header.every((i) => hasDst(i))) return undefined;
  return [
    ...s.forward.slice(0, k).flat(), ...s.seed, ...after, ...forwardK,
    ...s.forward.slice(k + 1).flat(), ...header, ...s.backward.slice(0, k).reverse().flat(),
  ];
}

/** Whether `block` uses an array that `later` allocates and `before` does not. */
function usesAllocated(block: Block, later: Block, before: Block): boolean {
  const allocated = new Set<number>();
  walk(later, (i) => { if (i.k === "alloc") allocated.add(i.v.id); });
  walk(before, (i) => { if (i.k === "alloc") allocated.delete(i.v.id); });
  let uses = false;
  walk(block, (i) => { for (const v of varsOf(i)) if (allocated.has(v.id)) uses = true; });
  return uses;
}

function effectsOf(blocks: Block): Effects {
  const defs = new Map<number, Instr>();
  walk(blocks, (i) => { if (hasDst(i)) defs.set(i.dst.id, i); });
  return new Effects(defs);
}

function readsOf(block: Block, effects: Effects): number[] {
  const out: number[] = [];
  walk(block, (i) => {
    if (hasDst(i)) for (const l of effects.readsOf(i.dst)) out.push(l);
  });
  return out;
}

/**
 * The backward body writes adjoints only by accumulation (`a[j] += e`, `v += e`),
 * reads other adjoints only if nothing in it writes them, reads no primal value the
 * forward body changes, and has no nested control flow.
 */
function accumulatesOnly(bwd: For, fwd: For, ctx: FuseContext, effects: Effects): boolean {
  const fwdWrites = effects.blockWrites(fwd.body);
  const bwdWrites = effects.blockWrites(bwd.body);
  const accumulationReads = new Set<number>();
  for (const i of bwd.body) {
    if (i.k === "if" || i.k === "for" || i.k === "while" || i.k === "call") return false;
    if (i.k === "set") {
      if (ctx.recomputed.has(i.v.id)) continue;
      const acc = accumulation(i.src, (d) => d.k === "get" && d.v === i.v, effects);
      if (!ctx.adjoints.has(i.v.id) || !acc) return false;
      accumulationReads.add(acc.id);
    } else if (i.k === "store") {
      const acc = accumulation(i.src, (d) => d.k === "load" && d.arr === i.arr && d.idx === i.idx, effects);
      if (!ctx.adjoints.has(i.arr.id) || !acc) return false;
      accumulationReads.add(acc.id);
    } else if (!(hasDst(i))) {
      return false;
    }
  }
  for (const i of bwd.body) {
    if (!(hasDst(i)) || accumulationReads.has(i.dst.id)) continue;
    const loc = i.k === "get" ? i.v.id : i.k === "load" || i.k === "len" ? i.arr.id : undefined;
    if (loc === undefined) continue;
    if (ctx.adjoints.has(loc) ? bwdWrites.has(loc) : fwdWrites.has(loc) && !ctx.recomputed.has(loc) && loc !== fwd.index.id) return false;
  }
  return true;
}

/** If `src` is `read + e` with `read` matching, the read's temp. */
function accumulation(src: Temp, isRead: (d: Instr) => boolean, effects: Effects): Temp | undefined {
  const d = effects.definition(src);
  if (d?.k !== "op" || d.op !== "add") return undefined;
  const first = effects.definition(d.args[0]);
  return first && isRead(first) ? d.args[0] : undefined;
}
