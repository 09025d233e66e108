// Forward mode (JVP): Func -> Func. Every active value carries a tangent computed
// next to it from the op table's partials (dual-number semantics); control flow is
// copied. Works on derivative code too: a pushed value carries its tangent on the
// tape, which is how forward over reverse gives Hessian-vector products.
import { Builder, type Ids } from "../ir/builder.js";
import { opDef } from "../ops/table.js";
import { isArrayType, type Block, type Func, type Instr, type Temp, type Var } from "../ir/types.js";
import { analyzeActivity, diffArgs, type Activity } from "./activity.js";

/**
 * Tangent inputs are params `<wrt>_dot`; active params that are not wrt (the output
 * buffers of derivative code) get tangent output buffers. The result's tangent and
 * those of `f.outputs` are appended to the outputs.
 */
export function forward(f: Func, wrt: Var[], ids: Ids): Func {
  return new Forward(f, wrt, ids).run();
}

class Forward {
  private readonly act: Activity;
  private readonly dots = new Map<number, Var>();
  private readonly tangents = new Map<number, Temp>();
  private b: Builder;

  constructor(private readonly f: Func, private readonly wrt: Var[], private readonly ids: Ids) {
    this.b = new Builder(ids);
    this.act = analyzeActivity(f, wrt, [...(f.outputs ?? []), ...f.params.filter((p) => p.adjointOf)]);
  }

  run(): Func {
    const { f } = this;
    const tangentParams: Var[] = [];
    const prelude = this.nested(() => {
      for (const p of f.params) {
        if (!this.active(p)) continue;
        const dot = this.dot(p);
        dot.tangentOf = p;
        if (this.wrt.includes(p) || isArrayType(p.type)) tangentParams.push(dot);
        else this.b.set(dot, this.b.num(0));
      }
    });
    const body = this.block(f.body);
    const outs = [f.result, ...(f.outputs ?? [])].map((v) => this.outputTangent(v));
    return {
      name: `${f.name}_jvp`,
      params: [...f.params, ...tangentParams],
      body: [...prelude, ...body, ...outs.flatMap((o) => o.init)],
      result: f.result,
      outputs: [...(f.outputs ?? []), ...outs.map((o) => o.v)],
    };
  }

  /** The tangent var of an output (a zero var when the output is inactive). */
  private outputTangent(v: Var): { v: Var; init: Block } {
    if (this.active(v)) return { v: this.dot(v), init: [] };
    const zero = this.b.newVar(`${v.name}_dot`, "num");
    return { v: zero, init: this.nested(() => this.b.set(zero, this.b.num(0))) };
  }

  private active(v: Var): boolean {
    return this.act.vars.has(v.id);
  }

  private dot(v: Var): Var {
    let d = this.dots.get(v.id);
    if (!d) {
      d = this.b.newVar(`${v.name}_dot`, v.type === "bool" ? "num" : v.type);
      this.dots.set(v.id, d);
    }
    return d;
  }

  /** Tangent of a temp: a temp, or a zero constant for inactive ones. */
  private tangent(t: Temp): Temp {
    return this.tangents.get(t.id) ?? this.b.num(0);
  }

  private nested(build: () => void): Block {
    const saved = this.b;
    this.b = new Builder(this.ids);
    this.b.loc = saved.loc;
    try {
      build();
      return this.b.block;
    } finally {
      this.b = saved;
    }
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
        // Pushed as value then tangent: the tangent comes off first.
        if (this.tapeActive()) this.tangents.set(i.dst.id, b.emit({ k: "pop", dst: b.temp("num") }).dst);
        b.emit(i);
        return;
      case "popref":
        if (this.active(i.v)) b.emit({ k: "popref", v: this.dot(i.v) });
        b.emit(i);
        return;
      case "reserve":
        b.emit(this.tapeActive() ? { k: "reserve", n: b.op("mul", i.n, b.num(2)) } : i);
        return;
    }
    b.emit(i);
    this.tangentOf(i);
  }

  /** Emits the tangent of instruction `i` (already emitted). */
  private tangentOf(i: Instr): void {
    const b = this.b;
    switch (i.k) {
      case "op": {
        if (!this.act.temps.has(i.dst.id)) return;
        const diff = diffArgs(i.op);
        const parts = opDef(i.op).partials!(b, i.args, i.dst);
        let sum: Temp | undefined;
        i.args.forEach((a, k) => {
          const part = parts[k];
          if (!diff[k] || part === undefined || !this.tangents.has(a.id)) return;
          sum = b.sum(sum, b.scale(this.tangents.get(a.id)!, part));
        });
        this.tangents.set(i.dst.id, sum ?? b.num(0));
        return;
      }
      case "get":
        if (this.act.temps.has(i.dst.id) && this.active(i.v)) this.tangents.set(i.dst.id, b.get(this.dot(i.v)));
        return;
      case "load":
        if (this.act.temps.has(i.dst.id) && this.active(i.arr)) this.tangents.set(i.dst.id, b.load(this.dot(i.arr), i.idx));
        return;
      case "set":
        if (this.active(i.v)) b.set(this.dot(i.v), this.tangent(i.src));
        return;
      case "store":
        if (this.active(i.arr)) b.store(this.dot(i.arr), i.idx, this.tangent(i.src));
        return;
      case "fill":
        if (this.active(i.arr)) b.emit({ k: "fill", arr: this.dot(i.arr), src: this.tangent(i.src) });
        return;
      case "alloc":
        if (!this.active(i.v)) return;
        if (i.copyOf && this.active(i.copyOf)) b.emit({ k: "alloc", v: this.dot(i.v), n: b.len(i.v), copyOf: this.dot(i.copyOf) });
        else b.emit({ k: "alloc", v: this.dot(i.v), n: b.len(i.v) });
        return;
      case "push":
        if (this.tapeActive()) b.emit({ k: "push", src: this.tangent(i.src) });
        return;
      case "pushref":
        if (this.active(i.v)) b.emit({ k: "pushref", v: this.dot(i.v) });
        return;
    }
  }

  private tapeActive(): boolean {
    return this.act.vars.has(-1);
  }
}
