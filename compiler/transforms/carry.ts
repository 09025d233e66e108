// Values carried across loop iterations (predictive commoning). In a counted loop of
// unit step, `a[i + 1] += e1; a[i] += e0` touches each element twice, one iteration
// apart: the first contribution waits in a local until the next iteration adds both
// at once. Likewise a read-only `x[i + 1]` is next iteration's `x[i]`: loaded once.
// The hand-written Rosenbrock gradient does exactly this; here it is general.
import { Builder, type Ids } from "../ir/builder.js";
import { Effects, TAPE } from "../ir/effects.js";
import { hasDst, usedTemps, walk, type Block, type For, type Func, type Instr, type Temp, type Var } from "../ir/types.js";

export function carryAcrossIterations(f: Func, ids: Ids): Func {
  return { ...f, body: new Carrier(f, ids).block(f.body) };
}

interface Access {
  instr: Instr;
  at: number;
  offset: number;
}

class Carrier {
  private readonly defs = new Map<number, Instr>();
  private readonly uses = new Map<number, number>();
  private readonly effects: Effects;
  private readonly b: Builder;

  constructor(f: Func, ids: Ids) {
    walk(f.body, (i) => {
      if (hasDst(i)) this.defs.set(i.dst.id, i);
      for (const u of usedTemps(i)) this.uses.set(u.id, (this.uses.get(u.id) ?? 0) + 1);
    });
    this.effects = new Effects(this.defs);
    this.b = new Builder(ids);
  }

  block(block: Block): Block {
    const out: Block = [];
    for (const i of block) {
      if (i.k === "for") out.push(...this.loop({ ...i, body: this.block(i.body) }));
      else if (i.k === "if") out.push({ ...i, then: this.block(i.then), else: this.block(i.else) });
      else if (i.k === "while") out.push({ ...i, body: this.block(i.body) });
      else out.push(i);
    }
    return out;
  }

  /** The loop, with what comes before and after it when values are carried. */
  private loop(loop: For): Block {
    // A reassigned array (ref) names another array each iteration: nothing is carried.
    if (loop.exit || Math.abs(loop.step) !== 1 || loop.body.some((i) => i.k === "if" || i.k === "for" || i.k === "while" || i.k === "call" || i.k === "ref")) return [loop];
    const written = this.effects.writesOf(loop);
    const bounds = [...this.effects.readsOf(loop.start), ...this.effects.readsOf(loop.end)];
    if (bounds.some((l) => l === TAPE || written.has(l))) return [loop];
    const before: Block = [];
    const after: Block = [];
    let body = loop.body;
    for (const arr of this.arrays(body)) {
      body = this.accumulations(loop, body, arr, before, after) ?? this.loads(loop, body, arr, before) ?? body;
    }
    return [...before, { ...loop, body }, ...after];
  }

  private arrays(body: Block): Var[] {
    const seen = new Map<number, Var>();
    for (const i of body) if (i.k === "load" || i.k === "store") seen.set(i.arr.id, i.arr);
    return [...seen.values()];
  }


  /** Accesses of `arr` in the body with their offsets, or undefined if one is not at an offset. */
  private accesses(body: Block, arr: Var, index: Var, kinds: Instr["k"][]): Access[] | undefined {
    const out: Access[] = [];
    for (const [at, i] of body.entries()) {
      const touches = ("arr" in i && i.arr === arr) || ((i.k === "alloc" || i.k === "popref") && i.v === arr);
      if (!touches) continue;
      if (!kinds.includes(i.k)) return undefined;
      const offset = indexOffset((i as { idx: Temp }).idx, index, this.defs);
      if (offset === undefined) return undefined;
      out.push({ instr: i, at, offset });
    }
    return out;
  }

  /** `arr[i + c] = arr[i + c] + e` for two offsets one iteration apart, nothing else on arr. */
  private accumulations(loop: For, body: Block, arr: Var, before: Block, after: Block): Block | undefined {
    const all = this.accesses(body, arr, loop.index, ["load", "store"]);
    const stores = all?.filter((a) => a.instr.k === "store");
    if (!all || !stores || stores.length !== 2 || all.length !== 4) return undefined;
    const first = stores.find((a) => a.offset - loop.step === stores.find((b) => b !== a)!.offset);
    if (!first) return undefined;
    const next = stores.find((a) => a !== first)!;
    const added = [first, next].map((a) => this.accumulated(a.instr as Extract<Instr, { k: "store" }>));
    if (added.some((e) => !e)) return undefined;
    const b = this.b;
    const carry = b.newVar(`${arr.name}_carry`, "num");
    before.push({ k: "set", v: carry, src: this.constant(before, 0) });
    const old = b.temp("num");
    const both = b.temp("num");
    const sum = b.temp("num");
    const nextStore = next.instr as Extract<Instr, { k: "store" }>;
    const nextLoad = (this.defs.get(nextStore.src.id) as Extract<Instr, { k: "op" }>).args[0];
    const out: Block = [{ k: "get", dst: old, v: carry }];
    for (const [at, i] of body.entries()) {
      if (at === first.at) out.push({ k: "set", v: carry, src: added[0]!, loc: i.loc });
      else if (at === next.at) {
        out.push({ k: "op", dst: both, op: "add", args: [added[1]!, old] }, { k: "op", dst: sum, op: "add", args: [nextLoad, both] }, { ...nextStore, src: sum });
      } else out.push(i);
    }
    // After the loop: the last iteration's first contribution.
    this.emitAt(after, loop, first.offset, (idx) => {
      const cur = b.temp("num");
      const total = b.temp("num");
      const g = b.temp("num");
      after.push({ k: "load", dst: cur, arr, idx }, { k: "get", dst: g, v: carry }, { k: "op", dst: total, op: "add", args: [cur, g] }, { k: "store", arr, idx, src: total });
    }, "last");
    return out;
  }

  /** `e` when a store writes `load(same element) + e` and the load serves only it. */
  private accumulated(store: Extract<Instr, { k: "store" }>): Temp | undefined {
    const d = this.defs.get(store.src.id);
    if (d?.k !== "op" || d.op !== "add" || this.uses.get(d.dst.id) !== 1) return undefined;
    const load = this.defs.get(d.args[0].id);
    if (load?.k !== "load" || load.arr !== store.arr || load.idx !== store.idx || this.uses.get(load.dst.id) !== 1) return undefined;
    return d.args[1];
  }

  /** Two reads of a read-only array one iteration apart: the later one is carried. */
  private loads(loop: For, body: Block, arr: Var, before: Block): Block | undefined {
    if (this.effects.writesOf(loop).has(arr.id)) return undefined;
    const all = this.accesses(body, arr, loop.index, ["load"]);
    if (!all || all.length !== 2) return undefined;
    const first = all.find((a) => a.offset - loop.step === all.find((b) => b !== a)!.offset);
    if (!first) return undefined;
    const next = all.find((a) => a !== first)!;
    const carried = this.b.newVar(`${arr.name}_carried`, "num");
    this.emitAt(before, loop, next.offset, (idx) => {
      const t = this.b.temp("num");
      before.push({ k: "load", dst: t, arr, idx }, { k: "set", v: carried, src: t });
    }, "first");
    const nextLoad = next.instr as Extract<Instr, { k: "load" }>;
    const out = body.map((i, at) => (at === next.at ? ({ k: "get", dst: nextLoad.dst, v: carried, loc: i.loc } as Instr) : i));
    out.push({ k: "set", v: carried, src: (first.instr as Extract<Instr, { k: "load" }>).dst });
    return out;
  }

  private constant(block: Block, value: number): Temp {
    const t = this.b.temp("num");
    block.push({ k: "const", dst: t, value });
    return t;
  }

  /** Emits `emit(index of the first or last iteration + offset)` into `block`. */
  private emitAt(block: Block, loop: For, offset: number, emit: (idx: Temp) => void, which: "first" | "last"): void {
    const b = this.b;
    let base = loop.start;
    if (which === "last") {
      // The loop ends with the index at max(start, end) (or min, counting down), one step past the last.
      const final = b.temp("num");
      const inclusive = loop.cmp === "<=" || loop.cmp === ">=";
      let end = loop.end;
      if (inclusive) {
        end = b.temp("num");
        block.push({ k: "op", dst: end, op: "add", args: [loop.end, this.constant(block, loop.step)] });
      }
      block.push({ k: "op", dst: final, op: loop.step > 0 ? "max" : "min", args: [loop.start, end] });
      base = final;
      offset -= loop.step;
    }
    const idx = b.temp("num");
    block.push({ k: "op", dst: idx, op: "add", args: [base, this.constant(block, offset)] });
    emit(idx);
  }
}

/** Offset of an index temp from a loop index: i (0), i + c, i - c, nested. */
export function indexOffset(t: Temp, index: Var, defs: Map<number, Instr>): number | undefined {
  const d = defs.get(t.id);
  if (d?.k === "get") return d.v === index ? 0 : undefined;
  if (d?.k !== "op" || (d.op !== "add" && d.op !== "sub")) return undefined;
  const base = indexOffset(d.args[0], index, defs);
  const c = defs.get(d.args[1].id);
  if (base === undefined || c?.k !== "const" || typeof c.value !== "number") return undefined;
  return d.op === "add" ? base + c.value : base - c.value;
}
