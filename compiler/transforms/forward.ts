// Forward mode (JVP): Func -> Func. Every active value carries `width` tangents
// (directions) computed next to it from the op table's partials (dual-number
// semantics, vector mode); control flow is copied. A scalar's tangents are `width`
// vars or temps; an array's tangents are one array of `length * width` entries,
// direction k of element i at `i * width + k`. Works on derivative code too: a
// pushed value carries its tangents on the tape, which is how forward over reverse
// gives Hessian-vector products.
import { Builder, buildBlock, type Ids } from "../ir/builder.js";
import { opDef } from "../ops/table.js";
import { hasDst, isArrayType, newPair, walk, type Block, type Call, type Func, type Instr, type Temp, type Var } from "../ir/types.js";
import { loop } from "../ops/kernels/index.js";
import { activeCallInputs, baseCtx, inPlaceByRule, kernelOf, operand } from "./kernel-calls.js";
import { analyzeActivity, diffArgs, tapeLocation, type Activity } from "./activity.js";
import { refuseAt } from "../errors.js";

export interface ForwardOptions {
  /** Number of directions propagated together (default 1). */
  width?: number;
}

/**
 * Tangent inputs are params `<wrt>_dot` (width of them for a scalar); active array
 * params that are not wrt (the output buffers of derivative code) get tangent output
 * buffers. The tangents of the result and of `f.outputs` are appended to the outputs.
 */
export function forward(f: Func, wrt: Var[], ids: Ids, opts: ForwardOptions = {}): Func {
  return new Forward(f, wrt, ids, opts.width ?? 1).run();
}

class Forward {
  private readonly act: Activity;
  private readonly scalarDots = new Map<number, Var[]>();
  private readonly arrayDots = new Map<number, Var>();
  private readonly tangents = new Map<number, Temp[]>();
  /** Per pair of the input's tape (see newPair), the pairs of its tangents, one per direction. */
  private readonly tangentPairs = new Map<number, number[]>();
  private readonly defs = new Map<number, Instr>();
  b: Builder;

  constructor(private readonly f: Func, private readonly wrt: Var[], ids: Ids, private readonly width: number) {
    this.b = new Builder(ids);
    this.act = analyzeActivity(f, wrt, [...(f.outputs ?? []), ...f.params.filter((p) => p.adjointOf)]);
    walk(f.body, (i) => { if (hasDst(i)) this.defs.set(i.dst.id, i); });
  }

  run(): Func {
    const { f } = this;
    const tangentParams: Var[] = [];
    const prelude = this.nested(() => {
      for (const p of f.params) {
        // Every wrt param takes tangents (unused when inactive): a stable signature.
        if (!this.active(p) && !this.wrt.includes(p)) continue;
        const dots = this.dotVars(p);
        for (const d of dots) d.tangentOf = p;
        if (this.wrt.includes(p) || isArrayType(p.type)) tangentParams.push(...dots);
        else for (const d of dots) this.b.set(d, this.b.num(0));
      }
    });
    const body = this.block(f.body);
    const outs = [f.result, ...(f.outputs ?? [])].map((v) => this.outputTangents(v));
    return {
      name: `${f.name}_jvp`,
      params: [...f.params, ...tangentParams],
      body: [...prelude, ...body, ...outs.flatMap((o) => o.init)],
      result: f.result,
      outputs: [...(f.outputs ?? []), ...outs.flatMap((o) => o.vars)],
    };
  }

  /** Tangent vars of an output (zeros when the output is inactive). */
  private outputTangents(v: Var): { vars: Var[]; init: Block } {
    const vars = this.dotVars(v);
    for (const d of vars) d.tangentOf = v;
    if (this.active(v)) return { vars, init: [] };
    const init = this.nested(() => {
      for (const d of vars) {
        if (isArrayType(v.type)) this.b.emit({ k: "alloc", v: d, n: this.b.op("mul", this.b.len(v), this.b.num(this.width)) });
        else this.b.set(d, this.b.num(0));
      }
    });
    return { vars, init };
  }

  private active(v: Var): boolean {
    return this.act.vars.has(v.id);
  }

  /** The tangent vars of a var: `width` scalars, or one interleaved array. */
  private dotVars(v: Var): Var[] {
    if (isArrayType(v.type)) {
      let a = this.arrayDots.get(v.id);
      if (!a) {
        a = this.b.newVar(`${v.name}_dot`, v.type);
        this.arrayDots.set(v.id, a);
      }
      return [a];
    }
    let s = this.scalarDots.get(v.id);
    if (!s) {
      s = Array.from({ length: this.width }, (_, k) => this.b.newVar(this.width === 1 ? `${v.name}_dot` : `${v.name}_dot${k}`, "num"));
      this.scalarDots.set(v.id, s);
    }
    return s;
  }

  private arrayDot(v: Var): Var {
    return this.dotVars(v)[0];
  }

  /** Tangent k of a temp (zero for inactive temps). */
  private tangent(t: Temp, k: number): Temp {
    return this.tangents.get(t.id)?.[k] ?? this.b.num(0);
  }

  /** The pair of tangent k of the values of `pair` (none when they have none). */
  private tangentPair(pair: number | undefined, k: number): number | undefined {
    if (pair === undefined) return undefined;
    let pairs = this.tangentPairs.get(pair);
    if (!pairs) this.tangentPairs.set(pair, (pairs = this.directions(() => newPair())));
    return pairs[k];
  }

  private directions<T>(fn: (k: number) => T): T[] {
    return Array.from({ length: this.width }, (_, k) => fn(k));
  }

  /** Index of direction k of element `idx` in an interleaved tangent array. */
  private slot(idx: Temp, k: number): Temp {
    if (this.width === 1) return idx;
    return this.b.op("add", this.b.op("mul", idx, this.b.num(this.width)), this.b.num(k));
  }

  private nested(build: () => void): Block {
    return buildBlock(this, build);
  }

  private block(block: Block): Block {
    return this.nested(() => {
      for (const i of block) {
        this.b.loc = i.loc;
        this.instr(i);
      }
    });
  }

  private instr(i: Instr): void {
    const b = this.b;
    switch (i.k) {
      case "if":
        b.emit({ ...i, then: this.block(i.then), else: this.block(i.else) });
        return;
      case "for":
        b.emit({ ...i, body: this.block(i.body) });
        return;
      case "while":
        b.emit({ ...i, test: this.block(i.test), body: this.block(i.body) });
        return;
      case "pop":
        // Pushed as the value then its tangents: the tangents come off first, last one first.
        if (this.tapeActive(i.tape)) {
          const popped = this.directions((k) => b.emit({ k: "pop", dst: b.temp("num"), tape: i.tape, pair: this.tangentPair(i.pair, this.width - 1 - k) }).dst).reverse();
          this.tangents.set(i.dst.id, popped);
        }
        b.emit(i);
        return;
      case "popref":
        if (this.active(i.v)) b.emit({ k: "popref", v: this.arrayDot(i.v), tape: i.tape });
        b.emit(i);
        return;
      case "reserve":
        b.emit(this.tapeActive(i.tape) ? { k: "reserve", n: b.op("mul", i.n, b.num(this.width + 1)), tape: i.tape } : i);
        return;
      case "call":
        return this.call(i);
    }
    b.emit(i);
    this.tangentOf(i);
  }

  /** Emits the tangents of instruction `i` (already emitted). */
  private tangentOf(i: Instr): void {
    const b = this.b;
    switch (i.k) {
      case "op":
        if (this.act.temps.has(i.dst.id)) this.tangents.set(i.dst.id, this.opTangents(i));
        return;
      case "get":
        if (this.act.temps.has(i.dst.id) && this.active(i.v)) this.tangents.set(i.dst.id, this.dotVars(i.v).map((d) => b.get(d)));
        return;
      case "load":
        if (this.act.temps.has(i.dst.id) && this.active(i.arr)) {
          const dot = this.arrayDot(i.arr);
          this.tangents.set(i.dst.id, this.directions((k) => b.load(dot, this.slot(i.idx, k))));
        }
        return;
      case "set":
        if (this.active(i.v)) this.dotVars(i.v).forEach((d, k) => b.set(d, this.tangent(i.src, k)));
        return;
      case "store":
        if (this.active(i.arr)) {
          const dot = this.arrayDot(i.arr);
          this.directions((k) => b.store(dot, this.slot(i.idx, k), this.tangent(i.src, k)));
        }
        return;
      case "fill":
        if (this.active(i.arr)) this.fillTangent(i.arr, i.src);
        return;
      case "alloc":
        if (!this.active(i.v)) return;
        if (i.copyOf && this.active(i.copyOf)) b.emit({ k: "alloc", v: this.arrayDot(i.v), n: b.len(this.arrayDot(i.copyOf)), copyOf: this.arrayDot(i.copyOf) });
        // Sized from the length the alloc was given, not read back from the array: reading
        // it would keep an array nothing else needs (a VJP's own adjoint under vjpRowsIR).
        else b.emit({ k: "alloc", v: this.arrayDot(i.v), n: this.width === 1 ? i.n : b.op("mul", i.n, b.num(this.width)) });
        return;
      case "push":
        if (this.tapeActive(i.tape)) this.directions((k) => b.emit({ k: "push", src: this.tangent(i.src, k), tape: i.tape, room: i.room, pair: this.tangentPair(i.pair, k) }));
        return;
      case "pushref":
        if (this.active(i.v)) b.emit({ k: "pushref", v: this.arrayDot(i.v), tape: i.tape });
        return;
      case "ref":
        if (this.active(i.v)) b.emit({ k: "ref", v: this.arrayDot(i.v), from: this.arrayDot(i.from) });
        return;
    }
  }

  /** Tangents of an op: for each direction, the sum of partial × argument tangent. */
  private opTangents(i: Extract<Instr, { k: "op" }>): Temp[] {
    const b = this.b;
    const def = opDef(i.op);
    if (def.jvp) return this.directions((k) => def.jvp!(b, i.args.map((a) => this.tangents.get(a.id)?.[k]), i.args));
    const diff = diffArgs(i.op);
    const parts = def.partials!(b, i.args, i.dst);
    return this.directions((k) => {
      let sum: Temp | undefined;
      i.args.forEach((a, n) => {
        const part = parts[n];
        if (!diff[n] || part === undefined || !this.tangents.has(a.id)) return;
        sum = b.sum(sum, b.scale(this.tangents.get(a.id)![k], part));
      });
      return sum ?? b.num(0);
    });
  }

  /**
   * A kernel call and its tangents, from the kernel's JVP rule. Written in place, the
   * rule reads copies of the input and its tangent taken before the call.
   */
  private call(i: Call): void {
    const b = this.b;
    const active = activeCallInputs(i, this.act);
    const outActive = !!i.out && this.active(i.out);
    const dstActive = !!i.dst && this.act.temps.has(i.dst.id);
    if (!outActive && !dstActive) return void b.emit(i);
    if (this.width !== 1) {
      throw refuseAt(i.loc, `kernel ${i.kernel}`, `The kernel call ${i.kernel} propagates one tangent direction at a time, and ${this.width} are asked for at once.`,
        "Use reverse mode (grad, or jacobian with mode \"reverse\"), or one jvp per direction.");
    }
    const copies = new Map<Var, Var>();
    if (i.out && i.ins.includes(i.out) && active.size > 0) {
      const keep = (v: Var) => {
        const c = b.newVar(`${v.name}_in`, v.type);
        b.emit({ k: "alloc", v: c, n: b.len(v), copyOf: v });
        return c;
      };
      copies.set(i.out, keep(i.out));
      // A rule for in-place calls reads each tangent entry before writing it: no copy needed.
      if (this.active(i.out) && !inPlaceByRule(i)) copies.set(this.arrayDot(i.out), keep(this.arrayDot(i.out)));
    }
    b.emit(i);
    const ctx = baseCtx(b, i, this.defs, (t) => t);
    const def = kernelOf(i);
    const arr = ctx.arr;
    ctx.arr = (name) => { const v = arr(name); return copies.get(v) ?? v; };
    ctx.outDot = outActive ? this.arrayDot(i.out!) : undefined;
    ctx.dot = (name) => {
      if (!active.has(name)) return undefined;
      const d = this.arrayDot(operand(i, name) as Var);
      return copies.get(d) ?? d;
    };
    ctx.dotNum = (name) => (active.has(name) ? this.tangent(operand(i, name) as Temp, 0) : undefined);
    let t: Temp | void = undefined;
    if (active.size > 0) {
      if (!def.jvp) throw refuseAt(i.loc, `kernel ${i.kernel}`, `The kernel ${i.kernel} has no forward-mode (JVP) rule.`, "Use reverse mode (grad or vjp), or write the computation out as loops.");
      t = def.jvp(ctx);
    } else if (outActive && !i.accumulate) {
      // Overwritten by constants: the tangent of what the call wrote is zero.
      if (def.size) loop(b, def.size(ctx), (ib, j) => ib.store(ctx.outDot!, j, ib.num(0)), "j");
      else b.emit({ k: "fill", arr: ctx.outDot!, src: b.num(0) });
    }
    if (dstActive) this.tangents.set(i.dst!.id, [t ?? b.num(0)]);
  }

  /** `a.fill(v)`: every element's tangents become v's. */
  private fillTangent(arr: Var, src: Temp): void {
    const b = this.b;
    const dot = this.arrayDot(arr);
    if (!this.tangents.has(src.id)) {
      b.emit({ k: "fill", arr: dot, src: b.num(0) });
      return;
    }
    // Temps stay in their block: the tangents reach the loop body through vars.
    const values = this.directions((k) => {
      const v = b.newVar(`${arr.name}_fill_dot`, "num");
      b.set(v, this.tangent(src, k));
      return v;
    });
    const j = b.newVar("j", "num");
    const n = b.len(arr);
    const body = this.nested(() => this.directions((k) => this.b.store(dot, this.slot(this.b.get(j), k), this.b.get(values[k]))));
    b.emit({ k: "for", index: j, start: b.num(0), end: n, step: 1, cmp: "<", body });
  }

  private tapeActive(tape: number): boolean {
    return this.act.vars.has(tapeLocation(tape));
  }
}
