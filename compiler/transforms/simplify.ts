// Clean-up after a transform: folds constant ops and removes dead code (unused temps,
// writes nobody reads, empty branches and loops) until nothing changes.
import { opDef } from "../ops/table.js";
import { Effects, ownWrite } from "../ir/effects.js";
import { hasDst, childBlocks, usedTemps, varsRead, walk, type Block, type Func, type Instr, type Temp } from "../ir/types.js";
import { IdInts, IdSet } from "../ir/id-table.js";
import { replaceUses } from "./normalize.js";

export interface SimplifyOptions {
  /** Whether the function's value is still returned (false for gradient-only code). */
  keepResult: boolean;
}

export function simplify(f: Func, opts: SimplifyOptions): Func {
  let body = f.body;
  for (let n = size(body), before = -1; n !== before; ) {
    before = n;
    body = sweep(fold(body), liveness(f, body, opts), wantedAtEnd(f, opts), new Map());
    n = size(body);
  }
  return { ...f, body };
}

function size(block: Block): number {
  let n = 0;
  walk(block, () => n++);
  return n;
}

type Value = number | boolean;

/**
 * Folds constants: ops on constants, reads of variables known to hold a constant
 * (`result_bar = 1` then `result_bar * g`), and the identities x + 0, x - 0, x * 1.
 */
function fold(body: Block): Block {
  const folder = new Folder();
  return folder.block(body, new Known());
}

/**
 * Vars known to hold a constant at a point of the code. A nested block's view starts
 * as its enclosing one's minus the vars the control instruction writes, without copying
 * it: lookups go up the chain (as deep as the nesting), changes stay in the inner view.
 */
class Known {
  /** Changes made here: a value, or undefined for a var no longer known. */
  private readonly own = new Map<number, Value | undefined>();

  constructor(private readonly outer?: Known, private readonly hidden?: ReadonlySet<number>) {}

  get(id: number): Value | undefined {
    for (let k: Known | undefined = this; k; k = k.outer) {
      if (k.own.has(id)) return k.own.get(id);
      if (k.hidden?.has(id)) return undefined;
    }
    return undefined;
  }

  set(id: number, value: Value): void {
    this.own.set(id, value);
  }

  delete(id: number): void {
    this.own.set(id, undefined);
  }

  /** The view inside a nested block of an instruction that writes `written`. */
  inner(written: ReadonlySet<number>): Known {
    return new Known(this, written);
  }
}

class Folder {
  private readonly consts = new Map<number, Value>();
  private readonly alias = new Map<number, Temp>();
  private readonly effects = new Effects(new Map());

  block(input: Block, vars: Known): Block {
    const out: Block = [];
    for (const original of input) {
      // Copied only when changed: a renamed operand, or (control flow) new blocks.
      let i = original;
      if (childBlocks(i).length || usedTemps(i).some((t) => this.alias.has(t.id))) {
        i = { ...original } as Instr;
        replaceUses(i, (t) => this.alias.get(t.id) ?? t);
      }
      const folded = this.instr(i, original, vars);
      if (folded) out.push(folded);
    }
    return out;
  }

  /** `original` is `i` before renaming: it writes the same (and its writes are cached). */
  private instr(i: Instr, original: Instr, vars: Known): Instr | undefined {
    switch (i.k) {
      case "const":
        this.consts.set(i.dst.id, i.value);
        return i;
      case "get": {
        const value = vars.get(i.v.id);
        return value !== undefined ? this.constant(i.dst, value, i) : i;
      }
      case "op":
        return this.op(i);
      case "set":
        if (this.consts.has(i.src.id)) vars.set(i.v.id, this.consts.get(i.src.id)!);
        else vars.delete(i.v.id);
        return i;
      case "if": case "for": case "while": {
        const written = this.effects.writesOf(original);
        if (i.k === "if") Object.assign(i, { then: this.block(i.then, vars.inner(written)), else: this.block(i.else, vars.inner(written)) });
        if (i.k === "for") Object.assign(i, { body: this.block(i.body, vars.inner(written)) });
        if (i.k === "while") {
          const inner = vars.inner(written);
          Object.assign(i, { test: this.block(i.test, inner.inner(new Set())), body: this.block(i.body, inner) });
        }
        for (const v of written) vars.delete(v);
        return i;
      }
      default: {
        const w = ownWrite(i);
        if (w !== undefined) vars.delete(w);
        return i;
      }
    }
  }

  private constant(dst: Temp, value: Value, from: Instr): Instr {
    this.consts.set(dst.id, value);
    return { k: "const", dst, value, loc: from.loc };
  }

  private op(i: Extract<Instr, { k: "op" }>): Instr | undefined {
    const c = (t: Temp) => this.consts.get(t.id);
    if (i.args.every((a) => this.consts.has(a.id)) && !opDef(i.op).blackBox) {
      return this.constant(i.dst, opDef(i.op).eval(...i.args.map((a) => Number(c(a)))), i);
    }
    const [a, b] = i.args;
    const same = (t: Temp) => { this.alias.set(i.dst.id, t); return undefined; };
    if (i.op === "add" && c(b) === 0) return same(a);
    if (i.op === "add" && c(a) === 0) return same(b);
    if (i.op === "sub" && c(b) === 0) return same(a);
    if (i.op === "mul" && c(b) === 1) return same(a);
    if (i.op === "mul" && c(a) === 1) return same(b);
    if (i.op === "pow" && c(b) === 1) return same(a);
    if (i.op === "select" && c(a) !== undefined) return same(c(a) ? i.args[1] : i.args[2]);
    return i;
  }
}

/**
 * What is live, by marking from the roots (outputs, the result when kept, the
 * caller's arrays, the tape) until nothing changes: an instruction is live when it
 * writes a live var, touches the tape, or (for control flow) holds a live one; what
 * a live instruction reads is live. An accumulator that only feeds itself is dead.
 */
interface Liveness {
  temps: IdSet;
  vars: IdSet;
}

function liveness(f: Func, body: Block, opts: SimplifyOptions): Liveness {
  const live: Liveness = { temps: new IdSet(), vars: new IdSet() };
  // Instructions in program order, each with its enclosing one (-1 at the top).
  const instrs: Instr[] = [];
  const parent: number[] = [];
  const defs = new IdInts(); // temp id -> instruction
  const writers = new Map<number, number[]>(); // var id -> instructions live when it is (see isLive)
  const work: number[] = [];
  const index = (block: Block, up: number) => {
    for (const i of block) {
      const n = instrs.push(i) - 1;
      parent.push(up);
      if (hasDst(i)) defs.set(i.dst.id, n);
      const v = ownWrite(i); // the tape (-1) is never a var
      if (v !== undefined && v >= 0) {
        const list = writers.get(v);
        if (list) list.push(n);
        else writers.set(v, [n]);
      }
      if (i.k === "push" || i.k === "pop" || i.k === "pushref" || i.k === "reserve" || i.k === "throw") work.push(n);
      for (const b of childBlocks(i)) index(b, n);
    }
  };
  index(body, -1);
  const active = new Uint8Array(instrs.length);
  const markVar = (id: number) => {
    if (live.vars.has(id)) return;
    live.vars.add(id);
    for (const w of writers.get(id) ?? []) work.push(w);
  };
  const markTemp = (t: Temp) => {
    if (live.temps.has(t.id)) return;
    live.temps.add(t.id);
    if (defs.has(t.id)) work.push(defs.get(t.id));
  };
  for (const v of f.outputs ?? []) markVar(v.id);
  for (const p of f.params) markVar(p.id);
  if (opts.keepResult) markVar(f.result.id);
  // A live instruction makes what it reads live, and its enclosing instructions.
  while (work.length) {
    const n = work.pop()!;
    if (active[n]) continue;
    active[n] = 1;
    const i = instrs[n];
    usedTemps(i).forEach(markTemp);
    for (const v of varsRead(i)) markVar(v.id);
    if (i.k === "while") for (const t of i.test) if (hasDst(t)) markTemp(t.dst);
    if (parent[n] >= 0) work.push(parent[n]);
  }
  return live;
}

function isLive(i: Instr, live: Liveness): boolean {
  switch (i.k) {
    case "set": case "alloc": case "popref": case "ref": return live.vars.has(i.v.id);
    case "store": case "fill": return live.vars.has(i.arr.id);
    case "push": case "pop": case "pushref": case "reserve": case "throw": return true;
    // A loop sets its index: its value after the loop is the trip count's bound.
    case "for": return live.vars.has(i.index.id);
    case "call": return (!!i.out && live.vars.has(i.out.id)) || (!!i.dst && live.temps.has(i.dst.id));
    default: return hasDst(i) && live.temps.has(i.dst.id);
  }
}

/** Vars whose value after the body is used: by the caller (params, outputs) or returned. */
function wantedAtEnd(f: Func, opts: SimplifyOptions): Set<number> {
  const out = new Set<number>([...f.params, ...(f.outputs ?? [])].map((v) => v.id));
  if (opts.keepResult) out.add(f.result.id);
  return out;
}

/**
 * Removes dead code; `atEnd` is given for the function's top-level block. `reads`
 * caches the vars read inside each control instruction.
 */
function sweep(block: Block, live: Liveness, atEnd: Set<number> | undefined, reads: Map<Instr, number[]>): Block {
  const out: Block = [];
  const overwritten = deadStores(block, atEnd, reads);
  for (const i of block) {
    if (overwritten.has(i)) continue;
    let kept = i;
    if (i.k === "if") kept = { ...i, then: sweep(i.then, live, undefined, reads), else: sweep(i.else, live, undefined, reads) };
    else if (i.k === "for") kept = { ...i, body: sweep(i.body, live, undefined, reads) };
    else if (i.k === "while") kept = { ...i, body: sweep(i.body, live, undefined, reads) };
    if (!dead(kept, live)) out.push(kept);
  }
  return out;
}

/**
 * Sets in this block that a later set of the same var replaces before anything reads
 * it, and, at the end of the function, sets of vars not wanted after it.
 */
function deadStores(block: Block, atEnd: Set<number> | undefined, reads: Map<Instr, number[]>): Set<Instr> {
  const out = new Set<Instr>();
  const pending = new Map<number, Instr>();
  for (const i of block) {
    for (const v of readsWithin(i, reads)) pending.delete(v);
    if (i.k !== "set" && i.k !== "if" && i.k !== "for" && i.k !== "while") continue;
    if (i.k !== "set") {
      pending.clear();
      continue;
    }
    const prev = pending.get(i.v.id);
    if (prev) out.add(prev);
    pending.set(i.v.id, i);
  }
  if (atEnd) for (const [v, i] of pending) if (!atEnd.has(v)) out.add(i);
  return out;
}

/** Ids of the vars `i` and everything nested in it read. */
function readsWithin(i: Instr, cache: Map<Instr, number[]>): number[] {
  const own = varsRead(i).map((v) => v.id);
  if (i.k !== "if" && i.k !== "for" && i.k !== "while") return own;
  let r = cache.get(i);
  if (r) return r;
  const all = new Set(own);
  for (const b of childBlocks(i)) for (const j of b) for (const v of readsWithin(j, cache)) all.add(v);
  cache.set(i, (r = [...all]));
  return r;
}

function dead(i: Instr, live: Liveness): boolean {
  switch (i.k) {
    case "if": return i.then.length === 0 && i.else.length === 0;
    case "for": return i.body.length === 0 && !isLive(i, live);
    case "while": return i.body.length === 0;
    default: return !isLive(i, live);
  }
}
