// Builds IR instructions into a block. Used by the front-end, by the op table's
// derivative rules and by the transforms, so everything they produce is plain IR.
import { opDef } from "../ops/table.js";
import { forEachVar, hasDst, type Block, type Func, type Instr, type Loc, type Temp, type Type, type Var } from "./types.js";

/** Id source shared by every builder working on one function. */
export interface Ids {
  next: number;
}

/** An id source continuing after every id used in `f`. */
export function idsAfter(f: Func): Ids {
  let max = f.result.id;
  for (const p of f.params) max = Math.max(max, p.id);
  return { next: Math.max(max, maxIdIn(f.body)) + 1 };
}

/** The largest temp or var id an instruction of `block` (nested ones included) defines or refers to (0 when none). */
function maxIdIn(block: Block): number {
  let max = 0;
  for (const i of block) {
    max = Math.max(max, ownMaxId(i));
    if (i.k === "if") max = Math.max(max, maxIdIn(i.then), maxIdIn(i.else));
    else if (i.k === "for") max = Math.max(max, maxIdIn(i.body));
    else if (i.k === "while") max = Math.max(max, maxIdIn(i.test), maxIdIn(i.body));
  }
  return max;
}

/** The largest id among the temp an instruction defines and the vars it refers to (varsOf's). */
function ownMaxId(i: Instr): number {
  let max = hasDst(i) ? i.dst.id : 0;
  forEachVar(i, (v) => { if (v.id > max) max = v.id; });
  return max;
}

/** A derivative factor: a temp, or a constant known at compile time. */
export type Factor = Temp | number;

export class Builder {
  block: Block = [];
  loc: Loc | undefined;

  constructor(readonly ids: Ids) {}

  temp(type: Type): Temp {
    return { id: this.ids.next++, type };
  }

  newVar(name: string, type: Type, param?: number): Var {
    const v: Var = { id: this.ids.next++, name, type };
    if (param !== undefined) v.param = param;
    return v;
  }

  emit<I extends Instr>(i: I): I {
    if (this.loc && !i.loc) i.loc = this.loc;
    this.block.push(i);
    return i;
  }

  num(value: number): Temp {
    return this.emit({ k: "const", dst: this.temp("num"), value }).dst;
  }

  bool(value: boolean): Temp {
    return this.emit({ k: "const", dst: this.temp("bool"), value }).dst;
  }

  /** A constant factor becomes a const temp. */
  factor(f: Factor): Temp {
    return typeof f === "number" ? this.num(f) : f;
  }

  op(op: string, ...args: Temp[]): Temp {
    const dst = this.temp(opDef(op).result);
    return this.emit({ k: "op", dst, op, args }).dst;
  }

  get(v: Var): Temp {
    return this.emit({ k: "get", dst: this.temp(v.type), v }).dst;
  }

  set(v: Var, src: Temp): void {
    this.emit({ k: "set", v, src });
  }

  load(arr: Var, idx: Temp): Temp {
    return this.emit({ k: "load", dst: this.temp("num"), arr, idx }).dst;
  }

  store(arr: Var, idx: Temp, src: Temp): void {
    this.emit({ k: "store", arr, idx, src });
  }

  len(arr: Var): Temp {
    return this.emit({ k: "len", dst: this.temp("num"), arr }).dst;
  }

  /** `g * f`, folding the constant factors 1, -1 and 0. */
  scale(g: Temp, f: Factor): Temp | undefined {
    if (f === 0) return undefined;
    if (f === 1) return g;
    if (f === -1) return this.op("neg", g);
    return this.op("mul", g, this.factor(f));
  }

  /** `a + b` where either may be absent. */
  sum(a: Temp | undefined, b: Temp | undefined): Temp | undefined {
    if (!a) return b;
    if (!b) return a;
    return this.op("add", a, b);
  }

  /** Builds a nested block with the same ids and location. */
  nested(build: (b: Builder) => void): Block {
    const inner = new Builder(this.ids);
    inner.loc = this.loc;
    build(inner);
    return inner.block;
  }
}

/**
 * Runs `build` with `holder.b` set to a fresh builder (same ids and source location)
 * and returns the block it built; `holder.b` is restored afterwards.
 */
export function buildBlock(holder: { b: Builder }, build: () => void): Block {
  const saved = holder.b;
  holder.b = new Builder(saved.ids);
  holder.b.loc = saved.loc;
  try {
    build();
    return holder.b.block;
  } finally {
    holder.b = saved;
  }
}
