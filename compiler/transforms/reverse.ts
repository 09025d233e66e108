// Reverse mode: Func -> Func. The result runs a forward sweep (the original code,
// saving what it overwrites that the backward sweep will read, and recording the
// control flow taken) and then a backward sweep that visits the instructions in
// reverse, restoring saved values, recomputing the temps the rules need and
// accumulating adjoints. Tape push/pop are IR instructions, so the output can be
// transformed again.
import { Builder, type Factor, type Ids } from "../ir/builder.js";
import { opDef } from "../ops/table.js";
import { childBlocks, isArrayType, usedTemps, walk, type Block, type For, type Func, type Instr, type Temp, type Var } from "../ir/types.js";
import { analyzeActivity, diffArgs, type Activity } from "./activity.js";
import { fuseTopLoop } from "./fuse.js";
import { analyzeNeeds, findRecomputable, findRecomputableBounds, findRecomputableConditions, findSaves, type Needs, type Recompute } from "./tbr.js";

export function reverse(f: Func, wrt: Var[], ids: Ids): Func {
  return new Reverser(f, wrt, ids).run();
}

class Reverser {
  private readonly act: Activity;
  private readonly recompute: Map<number, Recompute>;
  /** Counted loops whose bounds the backward sweep recomputes instead of recording. */
  private readonly boundsRecomputed: Set<For>;
  /** Branches whose condition the backward sweep re-evaluates instead of recording. */
  private readonly condsRecomputed: Set<Instr>;
  /** Writes that save the value they overwrite on the tape. */
  private readonly saves: Set<Instr>;
  private readonly needs: Needs;
  private readonly defs = new Map<number, Instr>();
  private readonly adjVars = new Map<number, Var>();
  private readonly tempAdj = new Map<number, Temp>();
  private b: Builder;
  private env = new Map<number, Temp>();
  /** Temps used once (for recognising increments), and reads whose adjoint an increment keeps. */
  private readonly uses = new Map<number, number>();
  private readonly skipAdjoint = new Set<number>();
  /** Vars whose adjoint lives in temps (see backwardSet), and those temps. */
  private readonly blockLocal: Set<number>;
  private readonly varAdj = new Map<number, Temp>();
  /** Loop indices of the forward sweep and the vars that count the backward loops. */
  private readonly renamed = new Map<number, Var>();

  constructor(private readonly f: Func, private readonly wrt: Var[], private readonly ids: Ids) {
    this.b = new Builder(ids);
    this.act = analyzeActivity(f, wrt);
    this.recompute = findRecomputable(f);
    this.boundsRecomputed = findRecomputableBounds(f);
    this.condsRecomputed = findRecomputableConditions(f);
    this.needs = analyzeNeeds(f, this.act, this.recompute, new Set<Instr>([...this.boundsRecomputed, ...this.condsRecomputed]));
    this.saves = findSaves(f, this.needs, this.recompute);
    walk(f.body, (i) => {
      if ("dst" in i) this.defs.set(i.dst.id, i);
      for (const u of usedTemps(i)) this.uses.set(u.id, (this.uses.get(u.id) ?? 0) + 1);
    });
    this.blockLocal = blockLocalVars(f);
  }

  run(): Func {
    const top = this.f.body;
    const forward = top.map((i) => this.sweep(() => {
      this.b.loc = i.loc;
      this.forwardInstr(i, 0);
    }));
    const seed = this.sweep(() => this.b.set(this.adjoint(this.f.result), this.b.num(1)));
    const backward: Block[] = [];
    for (let k = top.length - 1; k >= 0; k--) {
      backward[k] = this.sweep(() => {
        const loc = top[k].loc;
        this.b.loc = loc && { ...loc, adjoint: true };
        this.backwardInstr(top[k], 0);
      });
    }
    const sweeps = fuseTopLoop({ forward, backward, seed }, {
      adjoints: new Set([...this.adjVars.values()].map((v) => v.id)),
      recomputed: new Set(this.recompute.keys()),
      backwardIndex: (loop) => this.renamed.get(loop.index.id),
    }) ?? [...forward.flat(), ...seed, ...backward.slice().reverse().flat()];
    const outputs: Var[] = [];
    const outParams: Var[] = [];
    const prelude = this.sweep(() => {
      for (const p of this.wrt) {
        const bar = this.adjoint(p);
        bar.adjointOf = p;
        if (isArrayType(p.type)) {
          outParams.push(bar);
          this.b.emit({ k: "fill", arr: bar, src: this.b.num(0) });
        } else {
          outputs.push(bar);
        }
      }
      for (const bar of this.adjVars.values()) {
        if (!isArrayType(bar.type) && bar.type === "num") this.b.set(bar, this.b.num(0));
      }
    });
    return {
      name: `${this.f.name}_grad`,
      params: [...this.f.params, ...outParams],
      body: [...prelude, ...sweeps],
      result: this.f.result,
      outputs,
    };
  }

  private sweep(build: () => void): Block {
    const saved = this.b;
    this.b = new Builder(this.ids);
    try {
      build();
      return this.b.block;
    } finally {
      this.b = saved;
    }
  }

  private adjoint(v: Var): Var {
    let bar = this.adjVars.get(v.id);
    if (!bar) {
      bar = this.b.newVar(`${v.name}_bar`, v.type === "f32[]" ? "f32[]" : v.type === "f64[]" ? "f64[]" : "num");
      this.adjVars.set(v.id, bar);
    }
    return bar;
  }

  private activeVar(v: Var): boolean {
    return this.act.vars.has(v.id);
  }

  // ---- forward sweep -------------------------------------------------------

  private forward(block: Block, depth: number): void {
    for (const i of block) {
      this.b.loc = i.loc;
      this.forwardInstr(i, depth);
    }
  }

  private forwardInstr(i: Instr, depth: number): void {
    const b = this.b;
    switch (i.k) {
      case "set":
        if (this.saves.has(i)) b.emit({ k: "push", src: b.get(i.v) });
        b.emit(i);
        return;
      case "store":
        if (this.saves.has(i)) b.emit({ k: "push", src: b.load(i.arr, i.idx) });
        b.emit(i);
        return;
      case "alloc":
        if (depth > 0 && this.needs.vars.has(i.v.id)) b.emit({ k: "pushref", v: i.v });
        if (depth > 0 && this.activeVar(i.v)) b.emit({ k: "pushref", v: this.adjoint(i.v) });
        b.emit(i);
        if (this.activeVar(i.v)) b.emit({ k: "alloc", v: this.adjoint(i.v), n: b.len(i.v) });
        return;
      case "fill":
        if (this.saves.has(i)) this.forEachElement(i.arr, false, (j) => this.b.emit({ k: "push", src: this.b.load(i.arr, j) }));
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

  /** Branch taken: pushed at the end of each branch inside loops, else kept in a variable. */
  private forwardIf(i: Extract<Instr, { k: "if" }>, depth: number): void {
    if (this.condsRecomputed.has(i)) {
      this.b.emit({ ...i, then: this.sweep(() => this.forward(i.then, depth)), else: this.sweep(() => this.forward(i.else, depth)) });
      return;
    }
    const rec = depth === 0 ? this.b.newVar("took_then", "bool") : undefined;
    const branch = (blk: Block, taken: boolean) => this.sweep(() => {
      this.forward(blk, depth);
      if (rec) this.b.set(rec, this.b.bool(taken));
      else this.b.emit({ k: "push", src: this.b.num(taken ? 1 : 0) });
    });
    this.b.emit({ ...i, then: branch(i.then, true), else: branch(i.else, false) });
    this.ifRecords.set(i, rec);
  }

  private readonly ifRecords = new Map<Instr, Var | undefined>();
  private readonly forRecords = new Map<Instr, { start: Var | number; end: Var }>();
  private readonly whileCounts = new Map<Instr, Var>();

  private forwardFor(i: For, depth: number): void {
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
      if (typeof start !== "number") b.emit({ k: "push", src: b.get(start) });
      b.emit({ k: "push", src: b.get(end) });
    }
    this.forRecords.set(i, { start, end });
  }

  /** Before a loop of known length, room on the tape for the values its body pushes each iteration. */
  private reserveTape(i: For, body: Block): void {
    const perIteration = body.filter((x) => x.k === "push").length;
    if (perIteration === 0) return;
    const b = this.b;
    const final = this.finalIndex(i, i.start, i.end);
    const trips = i.step > 0 ? b.op("sub", final, i.start) : b.op("sub", i.start, final);
    b.emit({ k: "reserve", n: b.op("mul", trips, b.num(perIteration)) });
  }

  /** Index value after a loop of unit step without early exit, from its bounds. */
  private finalIndex(i: For, start: Temp, end: Temp): Temp {
    const b = this.b;
    const one = b.num(1);
    switch (i.cmp) {
      case "<": return b.op("max", start, end);
      case "<=": return b.op("max", start, b.op("add", end, one));
      case ">": return b.op("min", start, end);
      case ">=": return b.op("min", start, b.op("sub", end, one));
    }
  }

  private forwardWhile(i: Extract<Instr, { k: "while" }>, depth: number): void {
    const b = this.b;
    const count = b.newVar("iterations", "num");
    b.set(count, b.num(0));
    const body = this.sweep(() => {
      this.forward(i.body, depth + 1);
      this.b.set(count, this.b.op("add", this.b.get(count), this.b.num(1)));
    });
    b.emit({ ...i, body });
    if (depth > 0) b.emit({ k: "push", src: b.get(count) });
    this.whileCounts.set(i, count);
  }

  /** `for (j = 0; j < arr.length; j++) body(j)`, or counting down when `down`. */
  private forEachElement(arr: Var, down: boolean, body: (j: Temp) => void): void {
    const b = this.b;
    const j = b.newVar("j", "num");
    const n = b.len(arr);
    const inner = this.sweep(() => body(this.b.get(j)));
    if (down) {
      const last = b.op("sub", n, b.num(1));
      b.emit({ k: "for", index: j, start: last, end: b.num(0), step: -1, cmp: ">=", body: inner });
    } else {
      b.emit({ k: "for", index: j, start: b.num(0), end: n, step: 1, cmp: "<", body: inner });
    }
  }

  // ---- backward sweep ------------------------------------------------------

  private backward(block: Block, depth: number, prelude?: () => void): void {
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

  private backwardInstr(i: Instr, depth: number): void {
    const b = this.b;
    switch (i.k) {
      case "set":
        return this.backwardSet(i);
      case "store":
        return this.backwardStore(i);
      case "alloc":
        return this.backwardAlloc(i, depth);
      case "fill":
        return this.backwardFill(i);
      case "if":
        return this.backwardIf(i, depth);
      case "for":
        return this.backwardFor(i, depth);
      case "while":
        return this.backwardWhile(i, depth);
      default:
        return this.propagate(i);
    }
  }

  /**
   * `v = src`: the adjoint of v moves to src and v's is reset. Increments `v = v + e`
   * (and `v - e`) keep v's adjoint and add it to e's. Locals whose uses all follow
   * their single assignment in the same block carry their adjoint in temps.
   */
  private backwardSet(i: Extract<Instr, { k: "set" }>): void {
    const b = this.b;
    if (this.saves.has(i)) b.set(i.v, b.emit({ k: "pop", dst: b.temp(i.v.type) }).dst);
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
  private increment(i: Extract<Instr, { k: "set" }>): { other: Temp; negate: boolean } | undefined {
    const d = this.defs.get(i.src.id);
    if (d?.k !== "op" || (d.op !== "add" && d.op !== "sub")) return undefined;
    const first = this.defs.get(d.args[0].id);
    if (first?.k !== "get" || first.v !== i.v || this.uses.get(first.dst.id) !== 1 || this.uses.get(i.src.id) !== 1) return undefined;
    this.skipAdjoint.add(first.dst.id);
    return { other: d.args[1], negate: d.op === "sub" };
  }

  private backwardStore(i: Extract<Instr, { k: "store" }>): void {
    const b = this.b;
    const saved = this.saves.has(i);
    const active = this.activeVar(i.arr);
    if (!saved && !active) return;
    const idx = this.value(i.idx);
    if (saved) b.store(i.arr, idx, b.emit({ k: "pop", dst: b.temp("num") }).dst);
    if (!active) return;
    const bar = this.adjoint(i.arr);
    const g = b.load(bar, idx);
    b.store(bar, idx, b.num(0));
    this.addAdjoint(i.src, g);
  }

  private backwardAlloc(i: Extract<Instr, { k: "alloc" }>, depth: number): void {
    const active = this.activeVar(i.v);
    if (active && i.copyOf && this.activeVar(i.copyOf)) {
      const src = this.adjoint(i.copyOf);
      const bar = this.adjoint(i.v);
      this.forEachElement(bar, false, (j) => {
        this.b.store(src, j, this.b.op("add", this.b.load(src, j), this.b.load(bar, j)));
      });
    }
    if (depth > 0 && active) this.b.emit({ k: "popref", v: this.adjoint(i.v) });
    if (depth > 0 && this.needs.vars.has(i.v.id)) this.b.emit({ k: "popref", v: i.v });
  }

  private backwardFill(i: Extract<Instr, { k: "fill" }>): void {
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
      this.forEachElement(i.arr, true, (j) => this.b.store(i.arr, j, this.b.emit({ k: "pop", dst: this.b.temp("num") }).dst));
    }
  }

  private backwardIf(i: Extract<Instr, { k: "if" }>, depth: number): void {
    const rec = this.ifRecords.get(i);
    const cond = this.condsRecomputed.has(i) ? this.value(i.cond)
      : rec ? this.b.get(rec) : this.b.emit({ k: "pop", dst: this.b.temp("bool") }).dst;
    const then = this.sweep(() => this.backward(i.then, depth));
    const els = this.sweep(() => this.backward(i.else, depth));
    this.b.emit({ k: "if", cond, then, else: els });
  }

  private backwardFor(i: For, depth: number): void {
    const b = this.b;
    let last: Temp, first: Temp;
    if (this.boundsRecomputed.has(i)) {
      first = this.value(i.start);
      last = b.op("sub", this.finalIndex(i, first, this.value(i.end)), b.num(i.step));
    } else {
      const rec = this.forRecords.get(i)!;
      if (depth > 0) {
        b.set(rec.end, b.emit({ k: "pop", dst: b.temp("num") }).dst);
        if (typeof rec.start !== "number") b.set(rec.start, b.emit({ k: "pop", dst: b.temp("num") }).dst);
      }
      last = b.op("sub", b.get(rec.end), b.num(i.step));
      first = typeof rec.start === "number" ? b.num(rec.start) : b.get(rec.start);
    }
    // The backward loop counts with its own index, so the forward loop can be removed when dead.
    const index = b.newVar(i.index.name, "num");
    this.renamed.set(i.index.id, index);
    const body = this.sweep(() => this.backward(i.body, depth + 1, () => this.recomputeVars(i)));
    b.emit({ k: "for", index, start: last, end: first, step: -i.step, cmp: i.step > 0 ? ">=" : "<=", body });
  }

  /** Recomputes, at the start of a backward iteration, the loop's vars that were not taped. */
  private recomputeVars(loop: For): void {
    for (const [v, r] of this.recompute) {
      if (r.loop === loop && this.needs.vars.has(v)) this.b.set(r.set.v, this.value(r.set.src));
    }
  }

  private backwardWhile(i: Extract<Instr, { k: "while" }>, depth: number): void {
    const b = this.b;
    const count = this.whileCounts.get(i)!;
    if (depth > 0) b.set(count, b.emit({ k: "pop", dst: b.temp("num") }).dst);
    const k = b.newVar("iteration", "num");
    const body = this.sweep(() => this.backward(i.body, depth + 1));
    b.emit({ k: "for", index: k, start: b.num(0), end: b.get(count), step: 1, cmp: "<", body });
  }

  /** Adjoint of a pure instruction, once all its uses (later in the block) have contributed. */
  private propagate(i: Instr): void {
    if (!("dst" in i)) return;
    const g = this.tempAdj.get(i.dst.id);
    if (!g || !this.act.temps.has(i.dst.id)) return;
    const b = this.b;
    switch (i.k) {
      case "op": {
        const def = opDef(i.op);
        const diff = diffArgs(i.op);
        const active = i.args.map((a, k) => diff[k] && this.act.temps.has(a.id));
        if (!active.some(Boolean)) return;
        const args = i.args.map((a) => (this.needs.temps.has(a.id) ? this.value(a) : a));
        const y = this.needs.temps.has(i.dst.id) ? this.value(i.dst) : i.dst;
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

  private addAdjoint(t: Temp, g: Temp): void {
    if (!this.act.temps.has(t.id) || this.skipAdjoint.has(t.id)) return;
    const prev = this.tempAdj.get(t.id);
    this.tempAdj.set(t.id, prev ? this.b.op("add", prev, g) : g);
  }

  /** The value of a primal temp at this point of the backward sweep, recomputed if need be. */
  private value(t: Temp): Temp {
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
