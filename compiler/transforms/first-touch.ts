// Zeroing on first touch. Derivative code zeroes an adjoint array and then, often,
// a single loop adds one contribution to each element in turn: `a.fill(0)` followed
// by `for (i ...) a[i + c] += e`. Then the loop can store `a[i + c] = e` and only the
// elements it does not reach need zeroing: one pass over the array instead of two,
// and no reads of it, as hand-written gradient code does. Likewise a kernel call
// adding into an array that holds zeros (just filled, or fresh) writes instead
// (`accumulate` false), and only the entries past the ones it writes are zeroed.
import { Builder, type Ids } from "../ir/builder.js";
import { Effects, TAPE } from "../ir/effects.js";
import { indexOffset } from "./carry.js";
import { baseCtx, kernelOf } from "./kernel-calls.js";
import { anyInstr, hasDst, usedTemps, varsOf, walk, type Block, type Call, type For, type Func, type Instr, type Temp, type Var } from "../ir/types.js";

export function zeroOnFirstTouch(f: Func, ids: Ids): Func {
  const defs = new Map<number, Instr>();
  const uses = new Map<number, number>();
  const gets = new Map<number, number>();
  walk(f.body, (i) => {
    if (hasDst(i)) defs.set(i.dst.id, i);
    for (const u of usedTemps(i)) uses.set(u.id, (uses.get(u.id) ?? 0) + 1);
    if (i.k === "get") gets.set(i.v.id, (gets.get(i.v.id) ?? 0) + 1);
  });
  const ctx = { defs, uses, gets, effects: new Effects(defs), b: new Builder(ids) };
  let body = firstKernelWrites(f.body, ctx);
  for (const fill of body.filter((i): i is Extract<Instr, { k: "fill" }> => i.k === "fill")) {
    body = rewrite(body, fill, ctx) ?? body;
  }
  return { ...f, body };
}

interface Ctx {
  defs: Map<number, Instr>;
  uses: Map<number, number>;
  /** Reads of each var (get instructions), by var id. */
  gets: Map<number, number>;
  effects: Effects;
  b: Builder;
}

/** The top-level block with `fill` moved into the loop that first touches its array, if one does. */
function rewrite(body: Block, fill: Extract<Instr, { k: "fill" }>, ctx: Ctx): Block | undefined {
  const zero = ctx.defs.get(fill.src.id);
  if (zero?.k !== "const" || zero.value !== 0) return undefined;
  const arr = fill.arr;
  const from = body.indexOf(fill);
  const at = body.findIndex((i, k) => k > from && touches(i, arr, ctx));
  const loop = body[at];
  if (loop?.k !== "for" || Math.abs(loop.step) !== 1 || loop.exit) return undefined;
  const written = ctx.effects.writesOf(loop);
  if ([...ctx.effects.readsOf(loop.start), ...ctx.effects.readsOf(loop.end)].some((l) => l === TAPE || written.has(l))) return undefined;
  const acc = singleAccumulation(loop, arr, ctx);
  if (!acc) return undefined;
  const b = ctx.b;
  // The loop writes a[first .. last - 1]; zero a[0 .. first - 1] and a[last .. length - 1].
  const pre = new Builder(b.ids);
  pre.loc = { line: loop.loc?.line ?? 0, note: `${arr.name}: zero the elements the next loop does not write` };
  const n = pre.len(arr);
  const clamp = (t: Temp) => pre.op("min", n, pre.op("max", pre.num(0), t));
  // Indices the loop visits: [start, end) counting up, (end, start] counting down.
  const inclusive = loop.cmp === "<=" || loop.cmp === ">=";
  const up = loop.step > 0;
  const low = up ? loop.start : inclusive ? loop.end : pre.op("add", loop.end, pre.num(1));
  const high = up ? (inclusive ? pre.op("add", loop.end, pre.num(1)) : loop.end) : pre.op("add", loop.start, pre.num(1));
  const first = clamp(pre.op("add", low, pre.num(acc.offset)));
  const last = pre.op("max", first, clamp(pre.op("add", high, pre.num(acc.offset))));
  zeroRange(pre, arr, pre.num(0), first);
  zeroRange(pre, arr, last, n);
  const store: Instr = { ...acc.store, src: acc.added };
  const newLoop: For = { ...loop, body: loop.body.map((i) => (i === acc.store ? store : i)) };
  return [...body.slice(0, from), ...body.slice(from + 1, at), ...pre.block, newLoop, ...body.slice(at + 1)];
}

function zeroRange(b: Builder, arr: Var, from: Temp, to: Temp): void {
  const j = b.newVar("j", "num");
  const body = b.nested((inner) => inner.store(arr, inner.get(j), inner.num(0)));
  b.emit({ k: "for", index: j, start: from, end: to, step: 1, cmp: "<", body });
}

function touches(i: Instr, arr: Var, ctx: Ctx): boolean {
  return anyInstr([i], (j) => varsOf(j).includes(arr)) || ctx.effects.writesOf(i).has(arr.id);
}

/** The loop body's only access to `arr`: `arr[i + c] = arr[i + c] + e` in its top-level code (branches and loops around it leave arr alone). */
function singleAccumulation(loop: For, arr: Var, ctx: Ctx): { store: Extract<Instr, { k: "store" }>; added: Temp; offset: number } | undefined {
  const accesses = loop.body.filter((i) => touches(i, arr, ctx));
  const store = accesses.find((i): i is Extract<Instr, { k: "store" }> => i.k === "store");
  if (!store || accesses.length !== 2) return undefined;
  const sum = ctx.defs.get(store.src.id);
  if (sum?.k !== "op" || sum.op !== "add" || ctx.uses.get(sum.dst.id) !== 1) return undefined;
  const load = ctx.defs.get(sum.args[0].id);
  if (load?.k !== "load" || load.arr !== arr || load.idx !== store.idx || ctx.uses.get(load.dst.id) !== 1 || !accesses.includes(load)) return undefined;
  const offset = indexOffset(store.idx, loop.index, ctx.defs);
  return offset === undefined ? undefined : { store, added: sum.args[1], offset };
}


/**
 * `block` with each kernel call that first adds into an array holding zeros (a fill with 0
 * or a fresh alloc earlier in the block, nothing touching the array in between) writing
 * instead: the fill goes, and the entries past those the kernel writes are zeroed. Zeroing
 * an array that holds zeros already (a fresh one) is left out.
 */
function firstKernelWrites(block: Block, ctx: Ctx): Block {
  const zeros = new Map<number, Extract<Instr, { k: "fill" | "alloc" }>>();
  const out: Block = [];
  for (const original of block) {
    let i = original;
    if (i.k === "if") i = { ...i, then: firstKernelWrites(i.then, ctx), else: firstKernelWrites(i.else, ctx) };
    else if (i.k === "for") i = { ...i, body: firstKernelWrites(i.body, ctx) };
    else if (i.k === "while") i = { ...i, body: firstKernelWrites(i.body, ctx) };
    const zeroed = i.k === "call" && i.out && i.accumulate && !i.ins.includes(i.out) ? zeros.get(i.out.id) : undefined;
    if (zeroed && i.k === "call") {
      const { accumulate: _added, ...written } = i;
      if (zeroed.k === "fill") {
        out.splice(out.indexOf(zeroed), 1);
        out.push(...zeroPastWritten(written, ctx));
      }
      out.push(written);
      zeros.delete(i.out!.id);
      continue;
    }
    const zeroing = zeroedArray(i, ctx);
    if (zeroing && zeros.has(zeroing.id)) continue;
    for (const [id, z] of zeros) if (touches(i, z.k === "fill" ? z.arr : z.v, ctx)) zeros.delete(id);
    if (i.k === "fill" && isZero(i.src, ctx)) zeros.set(i.arr.id, i);
    if (i.k === "alloc" && !i.copyOf) zeros.set(i.v.id, i);
    out.push(i);
  }
  return out;
}

function isZero(t: Temp, ctx: Ctx): boolean {
  const d = ctx.defs.get(t.id);
  return d?.k === "const" && Object.is(d.value, 0);
}

/**
 * `out[size .. length) = 0` for the entries a call does not write (none when it writes all
 * of `out`). A negative size starts the loop below 0, where stores do nothing.
 */
function zeroPastWritten(call: Call, ctx: Ctx): Block {
  const size = kernelOf(call).size;
  if (!size) return [];
  const b = new Builder(ctx.b.ids);
  b.loc = { line: call.loc?.line ?? 0, note: `${call.out!.name}: zero the entries ${call.kernel} does not write` };
  const written = size(baseCtx(b, call, ctx.defs, (t) => t));
  zeroRange(b, call.out!, written, b.len(call.out!));
  return b.block;
}

/** The array `i` only stores zeros into: `a.fill(0)`, or a loop `a[j] = 0` whose index is read nowhere else. */
function zeroedArray(i: Instr, ctx: Ctx): Var | undefined {
  if (i.k === "fill") return isZero(i.src, ctx) ? i.arr : undefined;
  if (i.k !== "for" || i.exit) return undefined;
  const stores = i.body.filter((j): j is Extract<Instr, { k: "store" }> => j.k === "store");
  const arr = stores[0]?.arr;
  const onlyZeros = i.body.every((j) => j.k === "const" || j.k === "get" || j.k === "op" || (j.k === "store" && j.arr === arr && isZero(j.src, ctx)));
  const indexReads = i.body.filter((j) => j.k === "get" && j.v === i.index).length;
  return arr && onlyZeros && indexReads === (ctx.gets.get(i.index.id) ?? 0) ? arr : undefined;
}
