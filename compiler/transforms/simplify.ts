// Clean-up after a transform: folds constant ops, applies the algebraic rewrites of
// rewrites.ts, and removes dead code (unused temps, writes nobody reads, empty branches,
// loops that cannot run) until nothing changes.
import { opDef } from "../ops/table.js";
import { Builder, idsAfter, type Ids } from "../ir/builder.js";
import { Effects, ownWrite } from "../ir/effects.js";
import { hasDst, isControl, usedTemps, varsRead, walk, type Block, type For, type Func, type If, type While, type Instr, type Op, type Temp, type Var } from "../ir/types.js";
import { IdInts, IdSet } from "../ir/id-table.js";
import { deadSets } from "../ir/liveness.js";
import { replaceUses } from "./normalize.js";
import { COMMUTATIVE, rewrite, type NewOp, type Operands } from "./rewrites.js";

export interface SimplifyOptions {
  /** Whether the function's value is still returned (false for gradient-only code). */
  keepResult: boolean;
  /** Params (by id) whose contents after the call are not wanted: scratch buffers. */
  scratch?: ReadonlySet<number>;
}

/**
 * Rounds of folding and sweeping until a sweep removes no write: only a removed write
 * (a set, a store, a call, control flow) can let folding know more, or make the temps
 * it read dead.
 */
export function simplify(f: Func, opts: SimplifyOptions): Func {
  let body = f.body;
  const ids = idsAfter(f);
  // What control flow writes, kept across rounds: an instruction never changes once in a
  // block (fold and sweep copy what they change), and most stay the same from round to round.
  const effects = new Effects(new Map());
  for (let again = true; again; ) {
    body = fold(body, ids, f.params, effects);
    const removed = { writes: 0 };
    body = sweep(body, liveness(f, body, opts, ids), deadSets(body, wantedAtEnd(f, opts)), removed);
    again = removed.writes > 0;
  }
  return { ...f, body };
}

type Value = number | boolean;

const NO_VALUES: ReadonlyMap<number, Value> = new Map();
const NO_VARS: ReadonlySet<number> = new Set();

/**
 * Folds constants: ops on constants, reads of variables known to hold a constant
 * (`result_bar = 1` then `result_bar * g`), the identities x + 0, x - 0, x * 1 and the
 * rewrites of rewrites.ts; a loop that cannot run becomes the set of its index.
 */
function fold(body: Block, ids: Ids, params: readonly Var[], effects: Effects): Block {
  const folder = new Folder(ids, params, effects, setOnce(body));
  return folder.block(body, new Known());
}

/** Vars set (an array: allocated or made to name another) exactly once in `body`, and never a loop's index. */
function setOnce(body: Block): Set<number> {
  const sets = new Map<number, number>();
  const indices = new Set<number>();
  walk(body, (i) => {
    if (i.k === "set" || i.k === "alloc" || i.k === "ref" || i.k === "popref") sets.set(i.v.id, (sets.get(i.v.id) ?? 0) + 1);
    if (i.k === "for") indices.add(i.index.id);
  });
  return new Set([...sets].flatMap(([v, n]) => (n === 1 && !indices.has(v) ? [v] : [])));
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

/** The nested blocks of a control instruction, by field. */
interface NestedBlocks {
  then?: Block;
  else?: Block;
  body?: Block;
  test?: Block;
}

/** Rewrites of one op applied in a row at most (each row makes the op simpler). */
const REWRITE_DEPTH = 8;

class Folder implements Operands {
  private readonly consts = new Map<number, Value>();
  private readonly alias = new Map<number, Temp>();
  /** Ops kept so far and lengths, by their result. */
  private readonly ops = new Map<number, Op>();
  private readonly lengths = new Set<number>();
  private readonly ranges = new Map<number, Range>();
  /** Constants a rewrite adds, emitted before the op that reads them. */
  private readonly added: Instr[] = [];
  /**
   * Vars set once, at the top level, to the temp they hold from there on, and the reads
   * of them after it: such a read is that temp's value, for `same` and ranges (a length
   * kept in `const n = x.length` is known ≥ 0 where n is read).
   */
  private readonly copies = new Map<number, Temp>();
  private readonly copyOf = new Map<number, Temp>();
  /** Arrays allocated once, at the top level, and the length they were given there. */
  private readonly allocated = new Map<number, Temp>();
  private depth = 0;

  constructor(private readonly ids: Ids, private readonly params: readonly Var[], private readonly effects: Effects, private readonly setOnce: ReadonlySet<number>) {}

  /** The folded block (`input` itself when nothing in it changes). */
  block(input: Block, vars: Known): Block {
    this.depth++;
    try {
      return this.foldBlock(input, vars);
    } finally {
      this.depth--;
    }
  }

  private foldBlock(input: Block, vars: Known): Block {
    const out: Block = [];
    let changed = false;
    // One length per array in a block, until something writes the array.
    const lengths = new Map<number, Temp>();
    for (const original of input) {
      // Copied only when changed: a renamed operand (or, for control flow, new blocks: see withBlocks).
      let i = original;
      if (this.readsAlias(i)) {
        i = { ...original } as Instr;
        replaceUses(i, this.renamed);
      }
      const folded = this.instr(i, original, vars);
      if (this.added.length) {
        out.push(...this.added);
        this.added.length = 0;
        changed = true;
      }
      if (folded?.k === "len" && lengths.has(folded.arr.id)) {
        this.alias.set(folded.dst.id, lengths.get(folded.arr.id)!);
        changed = true;
        continue;
      }
      if (lengths.size) for (const l of this.effects.written(original)) lengths.delete(l);
      if (folded?.k === "len") lengths.set(folded.arr.id, folded.dst);
      if (folded) out.push(folded);
      changed ||= folded !== original;
    }
    return changed ? out : input;
  }

  /** `i` with its blocks replaced by `blocks` (a copy of it, unless it is a copy already or they are the same). */
  private withBlocks<I extends If | For | While>(i: I, original: Instr, blocks: NestedBlocks): I {
    const r = i as NestedBlocks;
    const same = r.then === blocks.then && r.else === blocks.else && r.body === blocks.body && r.test === blocks.test;
    if (same) return i;
    return Object.assign(i === original ? { ...i } : i, blocks);
  }

  private readonly renamed = (t: Temp): Temp => this.alias.get(t.id) ?? t;

  /** Whether `i` reads a temp that folding replaced by another. */
  private readsAlias(i: Instr): boolean {
    if (this.alias.size === 0) return false;
    for (const t of usedTemps(i)) if (this.alias.has(t.id)) return true;
    return false;
  }

  /** `original` is `i` before renaming: it writes the same (and its writes are cached). */
  private instr(i: Instr, original: Instr, vars: Known): Instr | undefined {
    switch (i.k) {
      case "const":
        this.consts.set(i.dst.id, i.value);
        return i;
      case "get": {
        const value = vars.get(i.v.id);
        const copied = this.copies.get(i.v.id);
        if (copied) this.copyOf.set(i.dst.id, copied);
        return value !== undefined ? this.constant(i.dst, value, i) : i;
      }
      case "op":
        return this.foldOp(i);
      case "len": {
        // The length of an array allocated once at the top level, read there: the length it was given.
        const given = this.depth === 1 ? this.allocated.get(i.arr.id) : undefined;
        if (given) {
          this.alias.set(i.dst.id, given);
          return undefined;
        }
        this.lengths.add(i.dst.id);
        return this.primalLength(i);
      }
      case "alloc":
        if (this.depth === 1 && this.setOnce.has(i.v.id)) this.allocated.set(i.v.id, this.renamed(i.n));
        vars.delete(i.v.id);
        return i;
      case "set":
        if (this.consts.has(i.src.id)) vars.set(i.v.id, this.consts.get(i.src.id)!);
        else vars.delete(i.v.id);
        if (this.depth === 1 && this.setOnce.has(i.v.id)) this.copies.set(i.v.id, this.held(i.src));
        return i;
      case "if": case "for": case "while": {
        const written = this.effects.writesOf(original);
        let kept: Instr = i;
        // A branch starts from the state before the if; a loop's body from any iteration's end.
        if (i.k === "if") kept = this.withBlocks(i, original, { then: this.block(i.then, vars.inner(NO_VARS)), else: this.block(i.else, vars.inner(NO_VARS)) });
        if (i.k === "for" && this.cannotRun(i)) {
          vars.delete(i.index.id);
          return { k: "set", v: i.index, src: i.start, loc: i.loc };
        }
        const restored = i.k === "if" ? NO_VALUES : this.restoredBy(i.body, written, vars);
        const inner = () => {
          const view = vars.inner(written);
          for (const [v, value] of restored) view.set(v, value);
          return view;
        };
        if (i.k === "for") kept = this.withBlocks(i, original, { body: this.block(i.body, inner()) });
        if (i.k === "while") {
          const view = inner();
          kept = this.withBlocks(i, original, { test: this.block(i.test, view.inner(NO_VARS)), body: this.block(i.body, view) });
        }
        for (const v of written) if (!restored.has(v)) vars.delete(v);
        return kept;
      }
      default: {
        const w = ownWrite(i);
        if (w !== undefined) vars.delete(w);
        return i;
      }
    }
  }

  /**
   * Vars a loop body leaves holding the constant they held before the loop: the last
   * instruction of the body that writes one sets it to that constant (`u_bar = 0` after
   * reading the adjoint `u_bar` collected in the iteration). Such a var holds it at the
   * start of every iteration and after the loop (the IR has no `continue`: a body runs
   * to its end or the function throws).
   */
  private restoredBy(body: Block, written: ReadonlySet<number>, vars: Known): ReadonlyMap<number, Value> {
    const candidates = new Map<number, Value>();
    for (const v of written) {
      const value = vars.get(v);
      if (value !== undefined) candidates.set(v, value);
    }
    if (candidates.size === 0) return NO_VALUES;
    const consts = new Map<number, Value>();
    const last = new Map<number, Value | undefined>();
    for (const i of body) {
      if (i.k === "const") consts.set(i.dst.id, i.value);
      for (const v of this.effects.written(i)) {
        if (!candidates.has(v)) continue;
        last.set(v, i.k === "set" ? consts.get(i.src.id) ?? this.consts.get(i.src.id) : undefined);
      }
    }
    const restored = new Map<number, Value>();
    for (const [v, value] of candidates) if (last.has(v) && Object.is(last.get(v), value)) restored.set(v, value);
    return restored;
  }

  private constant(dst: Temp, value: Value, from: Instr): Instr {
    this.consts.set(dst.id, value);
    return { k: "const", dst, value, loc: from.loc };
  }

  private foldOp(i: Op, depth = 0): Instr | undefined {
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
    const found = depth < REWRITE_DEPTH ? rewrite(i, this) : undefined;
    if (!found) {
      this.ops.set(i.dst.id, i);
      return i;
    }
    if (!("op" in found.to)) return same(found.to);
    return this.foldOp(this.rewritten(i, found.to), depth + 1);
  }

  /** `to` as an op defining `i`'s result (the constants and ops it reads added before it, folded). */
  private rewritten(i: Op, to: NewOp): Op {
    const b = new Builder(this.ids);
    b.loc = i.loc;
    const operand = (x: Temp | number | NewOp): Temp => {
      if (typeof x === "number") return b.num(x);
      if ("id" in x) return x;
      return b.op(x.op, ...x.args.map(operand));
    };
    const args = to.args.map(operand);
    for (const k of b.block) {
      replaceUses(k, this.renamed);
      const folded = this.instr(k, k, new Known());
      if (folded) this.added.push(folded);
    }
    return { k: "op", dst: i.dst, op: to.op, args: args.map(this.renamed), loc: i.loc };
  }

  /**
   * The length of a gradient buffer (or of its tangent) as its primal's: callers pass
   * buffers of that length. Then reading the length does not keep the buffer.
   */
  private primalLength(i: Extract<Instr, { k: "len" }>): Instr {
    const primal = i.arr.adjointOf ?? i.arr.tangentOf?.adjointOf;
    return primal && this.params.includes(i.arr) && this.params.includes(primal) ? { ...i, arr: primal } : i;
  }

  /** A counted loop whose test fails on entry: constant bounds past each other, or `j < j`. */
  private cannotRun(i: For): boolean {
    const start = this.consts.get(i.start.id), end = this.consts.get(i.end.id);
    const strict = i.cmp === "<" || i.cmp === ">";
    if (strict && this.same(i.start, i.end)) return true;
    if (typeof start !== "number" || typeof end !== "number") return false;
    return !(i.cmp === "<" ? start < end : i.cmp === "<=" ? start <= end : i.cmp === ">" ? start > end : start >= end);
  }

  constantOf(t: Temp): number | boolean | undefined {
    return this.consts.get(t.id);
  }

  op(t: Temp): Op | undefined {
    return this.ops.get(t.id);
  }

  /** The temp whose value `t` holds: itself, or what a var set once held when `t` read it. */
  private held(t: Temp): Temp {
    return this.copyOf.get(t.id) ?? t;
  }

  same(x: Temp, y: Temp): boolean {
    const [a, b] = [this.held(x), this.held(y)];
    if (this.sameOperand(a, b)) return true;
    const da = this.ops.get(a.id), db = this.ops.get(b.id);
    if (!da || !db || da.op !== db.op || da.args.length !== db.args.length || opDef(da.op).blackBox) return false;
    const equal = (xs: Temp[], ys: Temp[]) => xs.every((x, k) => this.sameOperand(x, ys[k]));
    return equal(da.args, db.args) || (COMMUTATIVE.has(da.op) && equal(da.args, [...db.args].reverse()));
  }

  /** One temp, or two constants of one value. */
  private sameOperand(a: Temp, b: Temp): boolean {
    const ca = this.consts.get(a.id);
    return a.id === b.id || (ca !== undefined && Object.is(ca, this.consts.get(b.id)));
  }

  /**
   * Whether `t` is known ≥ 0 and neither -0 nor NaN: a length, a constant, a sum, min,
   * floor or ceiling of such values, or a max of one with a value known not to be NaN.
   */
  nonNegative(t: Temp): boolean {
    return this.range(t).nonNegative;
  }

  integer(t: Temp): boolean {
    return this.range(t).integer;
  }

  /** What is known of `t`'s value: |t| ≤ bound (Infinity: maybe not finite, or NaN), t ≥ 0. */
  private range(read: Temp): Range {
    const t = this.held(read);
    let r = this.ranges.get(t.id);
    if (!r) this.ranges.set(t.id, (r = this.rangeOf(t)));
    return r;
  }

  private rangeOf(t: Temp): Range {
    const c = this.consts.get(t.id);
    if (typeof c === "number") return { bound: Number.isFinite(c) ? Math.abs(c) : Infinity, nonNegative: c > 0 || Object.is(c, 0), integer: Number.isSafeInteger(c) };
    if (this.lengths.has(t.id)) return LENGTH;
    const d = this.ops.get(t.id);
    if (!d) return UNKNOWN;
    const [a, b] = d.args.map((x) => this.range(x));
    const integers = (bound: number, nonNegative: boolean): Range => ({ bound, nonNegative, integer: a.integer && b.integer && bound <= Number.MAX_SAFE_INTEGER });
    switch (d.op) {
      case "add": return integers(a.bound + b.bound, a.nonNegative && b.nonNegative);
      case "sub": return integers(a.bound + b.bound, false);
      case "mul": return integers(a.bound < Infinity && b.bound < Infinity ? a.bound * b.bound : Infinity, false);
      case "min": return integers(Math.max(a.bound, b.bound), a.nonNegative && b.nonNegative);
      // A number ≥ 0 against one that is not NaN.
      case "max": return integers(Math.max(a.bound, b.bound), (a.nonNegative && (b.nonNegative || b.bound < Infinity)) || (b.nonNegative && a.bound < Infinity));
      case "floor": case "ceil": case "trunc": return { bound: a.bound + 1, nonNegative: a.nonNegative, integer: a.bound < Infinity };
      default: return UNKNOWN;
    }
  }
}

/** A value range (see Folder.range). */
interface Range {
  /** |value| ≤ bound (Infinity: maybe not finite, or NaN). */
  bound: number;
  /** value ≥ 0, and not -0 or NaN. */
  nonNegative: boolean;
  /** An integer within ±2^53, where sums and differences of such numbers are exact. */
  integer: boolean;
}

const UNKNOWN: Range = { bound: Infinity, nonNegative: false, integer: false };
/** A typed array's length: an integer in [0, 2^51] (its byteLength is below 2^53, 4 or 8 bytes an entry; an Array's is below 2^32). */
const LENGTH: Range = { bound: 2 ** 51, nonNegative: true, integer: true };

/**
 * What is live, by marking from the roots (outputs, the result when kept, the
 * caller's arrays, the tape) until nothing changes: an instruction is live when it
 * writes a live var, touches the tape, or (for control flow) holds a live one; what
 * a live instruction reads is live. An accumulator that only feeds itself is dead.
 */
interface Liveness {
  temps: IdSet;
  vars: IdSet;
  /** Tape pairs (see newPair) with a pop whose value is read: all their pushes and pops stay. */
  pairs: Set<number>;
  /** Tapes something live pushes onto: their reserves stay. */
  tapes: Set<number>;
}

function liveness(f: Func, body: Block, opts: SimplifyOptions, ids: Ids): Liveness {
  const capacity = ids.next;
  const live: Liveness = { temps: new IdSet(capacity), vars: new IdSet(capacity), pairs: new Set(), tapes: new Set() };
  const pairMembers = new Map<number, number[]>(); // pair -> its pushes and pops
  // Instructions in program order, each with its enclosing one (-1 at the top).
  const instrs: Instr[] = [];
  const parent: number[] = [];
  const defs = new IdInts(capacity); // temp id -> instruction
  // The instructions live when a var is (see isLive), as a list through `nextWriter`: var id -> last one.
  const lastWriter = new IdInts(capacity);
  const nextWriter: number[] = [];
  const work: number[] = [];
  const index = (block: Block, up: number) => {
    for (const i of block) {
      const n = instrs.push(i) - 1;
      parent.push(up);
      if (hasDst(i)) defs.set(i.dst.id, n);
      const v = ownWrite(i); // the tape (-1) is never a var
      nextWriter.push(-1);
      if (v !== undefined && v >= 0) {
        nextWriter[n] = lastWriter.get(v);
        lastWriter.set(v, n);
      }
      if (isRoot(i)) work.push(n);
      const pair = pairOf(i);
      if (pair !== undefined) (pairMembers.get(pair) ?? pairMembers.set(pair, []).get(pair)!).push(n);
      if (i.k === "if") { index(i.then, n); index(i.else, n); }
      else if (i.k === "for") index(i.body, n);
      else if (i.k === "while") { index(i.test, n); index(i.body, n); }
    }
  };
  index(body, -1);
  const active = new Uint8Array(instrs.length);
  const markVar = (id: number) => {
    if (live.vars.has(id)) return;
    live.vars.add(id);
    for (let w = lastWriter.get(id); w >= 0; w = nextWriter[w]) work.push(w);
  };
  const markTemp = (t: Temp) => {
    if (live.temps.has(t.id)) return;
    live.temps.add(t.id);
    if (defs.has(t.id)) work.push(defs.get(t.id));
  };
  for (const v of f.outputs ?? []) markVar(v.id);
  for (const p of f.params) if (!opts.scratch?.has(p.id)) markVar(p.id);
  if (opts.keepResult) markVar(f.result.id);
  // A live instruction makes what it reads live, and its enclosing instructions.
  const drain = () => { while (work.length) activate(work.pop()!); };
  const activate = (n: number) => {
    if (active[n]) return;
    active[n] = 1;
    const i = instrs[n];
    const pair = pairOf(i);
    if (pair !== undefined && !live.pairs.has(pair)) {
      live.pairs.add(pair);
      work.push(...pairMembers.get(pair)!);
    }
    for (const t of usedTemps(i)) markTemp(t);
    for (const v of varsRead(i)) markVar(v.id);
    if (i.k === "while") for (const t of i.test) if (hasDst(t)) markTemp(t.dst);
    if (parent[n] >= 0) work.push(parent[n]);
  };
  drain();
  // Room on a tape is made only where something is still pushed onto it.
  instrs.forEach((i, n) => { if (i.k === "push" && active[n]) live.tapes.add(i.tape); });
  instrs.forEach((i, n) => { if (i.k === "reserve" && live.tapes.has(i.tape)) work.push(n); });
  drain();
  return live;
}

/** Instructions live whatever else is: pushes and pops outside a pair, saved references, throws. */
function isRoot(i: Instr): boolean {
  switch (i.k) {
    case "push": case "pop": return i.pair === undefined;
    case "pushref": case "throw": return true;
    default: return false;
  }
}

/** The tape pair of a push or pop (see newPair). */
function pairOf(i: Instr): number | undefined {
  return i.k === "push" || i.k === "pop" ? i.pair : undefined;
}

function isLive(i: Instr, live: Liveness): boolean {
  if (isRoot(i)) return true;
  const pair = pairOf(i);
  if (pair !== undefined) return live.pairs.has(pair);
  switch (i.k) {
    case "reserve": return live.tapes.has(i.tape);
    case "set": case "alloc": case "popref": case "ref": return live.vars.has(i.v.id);
    case "store": case "fill": return live.vars.has(i.arr.id);
    // A loop sets its index: its value after the loop is the trip count's bound.
    case "for": return live.vars.has(i.index.id);
    case "call": return (!!i.out && live.vars.has(i.out.id)) || (!!i.dst && live.temps.has(i.dst.id));
    default: return hasDst(i) && live.temps.has(i.dst.id);
  }
}

/** Vars whose value after the body is used: by the caller (params, outputs) or returned. */
function wantedAtEnd(f: Func, opts: SimplifyOptions): Set<number> {
  const out = new Set<number>([...f.params.filter((p) => !opts.scratch?.has(p.id)), ...(f.outputs ?? [])].map((v) => v.id));
  if (opts.keepResult) out.add(f.result.id);
  return out;
}

/** Removes dead code: what liveness finds dead, and the sets in `unread`. */
function sweep(block: Block, live: Liveness, unread: ReadonlySet<Instr>, removed: { writes: number }): Block {
  const out: Block = [];
  let changed = false;
  for (const i of block) {
    const kept = isControl(i) ? sweepInside(i, live, unread, removed) : i;
    if (!unread.has(i) && !dead(kept, live)) out.push(kept);
    else if (!hasDst(i) || i.k === "call") removed.writes++;
    changed ||= kept !== i || out[out.length - 1] !== i;
  }
  return changed ? out : block;
}

/** A control instruction with its blocks swept (itself when they keep everything). */
function sweepInside(i: If | For | While, live: Liveness, unread: ReadonlySet<Instr>, removed: { writes: number }): Instr {
  const inner = (b: Block) => sweep(b, live, unread, removed);
  if (i.k === "if") {
    const then = inner(i.then), otherwise = inner(i.else);
    return then === i.then && otherwise === i.else ? i : { ...i, then, else: otherwise };
  }
  const body = inner(i.body);
  return body === i.body ? i : { ...i, body };
}

function dead(i: Instr, live: Liveness): boolean {
  switch (i.k) {
    case "if": return i.then.length === 0 && i.else.length === 0;
    case "for": return i.body.length === 0 && !isLive(i, live);
    case "while": return i.body.length === 0;
    default: return !isLive(i, live);
  }
}
