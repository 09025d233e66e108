// Outlining, the last step before printing: V8's optimising compiler takes functions of
// up to 60 KB of bytecode, and runs a larger one in its interpreter. So in a derivative
// function larger than a budget, the largest blocks (a long loop body, in the forward
// sweep and in the backward sweep) are cut at statement boundaries into runs, and each
// run becomes a function of its own, named after the function and the source lines it
// covers (`loss_grad_lines_5_16`, `loss_grad_adjoint_lines_16_5`). The numbers pieces
// share live in one array, `frame` (see `finish`); arrays, loop indices and booleans a
// piece takes as parameters, and what of those it changes it writes to its output
// buffers, which the caller reads back. Temps used across a cut are kept in vars.
// Functions within the budget are left as they are. No transform runs after this one,
// so nothing differentiates an `invoke`.
import { idsAfter, type Ids } from "../ir/builder.js";
import { childBlocks, hasDst, isArrayType, usedTemps, walk, type Block, type Func, type Instr, type Invoke, type Loc, type Temp, type Var } from "../ir/types.js";
import { liveAtBlockEnds, liveBefore } from "../ir/liveness.js";
import { verify } from "../ir/verify.js";

export interface OutlineOptions {
  /** Name of the function as printed (pieces are named after it). */
  name: string;
  /** Most instructions (see `size`) a printed function holds. */
  budget?: number;
  /** A module-level name, free of collisions, for a piece or one of its buffers. */
  claim: (base: string) => string;
}

/** A function outlined from another: its IR and the buffers it writes its outputs to. */
export interface Piece {
  func: Func;
  buffers: Invoke["buffers"];
  returns: boolean;
}

/**
 * Instructions a function holds before it is outlined: about 8 bytes of V8 bytecode
 * each, so a function of this many (10 KB) stays well below the 60 KB V8 optimises.
 * Smaller pieces are optimised sooner (V8 compiles them one at a time, in the
 * background) and the calls between them cost little: with 2,500 the 400-statement
 * chain of bench/size.mjs ran 2 to 3 times slower after the same warm-up.
 */
export const OUTLINE_BUDGET = 1200;

/** `f` split into functions of at most `budget` instructions: the main one and its pieces. */
export function outline(f: Func, opts: OutlineOptions): { main: Func; pieces: Piece[] } {
  const budget = opts.budget ?? budgetFromEnvironment() ?? OUTLINE_BUDGET;
  if (size(f.body) <= budget) return { main: f, pieces: [] };
  const o = new Outliner(f, opts, budget);
  return o.finish({ ...f, body: o.shrink(f.body, budget, o.liveAtEnd(f.body)) });
}

/** GRADC_OUTLINE_BUDGET, when set: tests outline small functions with a small budget. */
function budgetFromEnvironment(): number | undefined {
  const text = typeof process === "undefined" ? undefined : process.env.GRADC_OUTLINE_BUDGET;
  return text ? Number(text) : undefined;
}

/** Instructions in a block, nested ones included; a call of a piece counts its operands. */
export function size(block: Block): number {
  let n = 0;
  for (const i of block) n += instrSize(i);
  return n;
}

const sizes = new WeakMap<Instr, number>();

function instrSize(i: Instr): number {
  if (i.k !== "if" && i.k !== "for" && i.k !== "while" && i.k !== "invoke") return 1;
  let n = sizes.get(i);
  if (n !== undefined) return n;
  switch (i.k) {
    case "if": n = 1 + size(i.then) + size(i.else); break;
    case "for": n = 1 + size(i.body); break;
    case "while": n = 1 + size(i.test) + size(i.body); break;
    case "invoke": n = 1 + Math.ceil((i.args.length + i.outs.length) / 2); break;
    default: n = 1;
  }
  sizes.set(i, n);
  return n;
}

class Outliner {
  /** The calls of pieces made so far. */
  private readonly calls: Invoke[] = [];
  private readonly ids: Ids;
  /** The result of a piece that returns nothing. */
  private readonly none: Var;
  /** Places each var is accessed in the function (result and outputs count as one more). */
  private readonly accessCount = new Map<number, number>();
  /** The vars live at the end of each block of the function. */
  private readonly blockEnds: WeakMap<Block, ReadonlySet<number>>;

  constructor(f: Func, private readonly opts: OutlineOptions, private readonly budget: number) {
    this.ids = idsAfter(f);
    this.none = { id: this.ids.next++, name: "none", type: "num" };
    for (const v of [f.result, ...(f.outputs ?? [])]) this.count(v, 1);
    const countOne = (v: Var) => this.count(v, 1);
    walk(f.body, (i) => eachAccess(i, countOne));
    this.blockEnds = liveAtBlockEnds(f.body, new Set([...f.params, f.result, ...(f.outputs ?? [])].map((v) => v.id)));
  }

  liveAtEnd(block: Block): ReadonlySet<number> {
    return this.blockEnds.get(block)!;
  }

  private count(v: Var, n: number): void {
    this.accessCount.set(v.id, (this.accessCount.get(v.id) ?? 0) + n);
  }

  /** `block` with at most `limit` instructions: its large statements shrunk, then cut into pieces; `liveAfter` what is live after it. */
  shrink(block: Block, limit: number, liveAfter: ReadonlySet<number>): Block {
    if (size(block) <= limit) return block;
    const inner = block.map((i) => (instrSize(i) > limit ? this.shrinkInside(i) : i));
    if (size(inner) <= limit) return inner;
    const calls = this.split(inner, limit, liveAfter);
    return size(calls) < size(inner) ? this.shrink(calls, limit, liveAfter) : calls;
  }

  /** A copy of a control statement whose blocks are shrunk so that it fits the budget. */
  private shrinkInside(i: Instr): Instr {
    const b = this.budget;
    const shrunk = (block: Block, limit: number) => this.shrink(block, limit, this.liveAtEnd(block));
    switch (i.k) {
      case "if": return { ...i, then: shrunk(i.then, b >> 1), else: shrunk(i.else, b >> 1) };
      case "for": return { ...i, body: shrunk(i.body, b - 1) };
      case "while": return { ...i, body: shrunk(i.body, Math.max(b >> 1, b - 1 - size(i.test))) };
      default: return i;
    }
  }

  /** The block as calls of pieces, each of at most `limit` instructions, cut at statement boundaries where possible. */
  private split(block: Block, limit: number, liveAfter: ReadonlySet<number>): Block {
    const runs = this.keepTempsInVars(block, cuts(block, limit));
    // What is live after each run, from the last run back.
    const after: ReadonlySet<number>[] = [];
    let live = new Set(liveAfter);
    for (let r = runs.length - 1; r >= 0; r--) {
      after[r] = new Set(live);
      live = liveBefore(runs[r], live);
    }
    return runs.map((run, r) => this.invoke(run, after[r]));
  }

  /**
   * The block cut before each position of `at` into runs; a temp defined in one run and
   * used in another is set to a var where it is defined and read from it at the start
   * of each other run using it.
   */
  private keepTempsInVars(block: Block, at: number[]): Block[] {
    const bounds = [0, ...at, block.length];
    const slices = bounds.slice(1).map((end, r) => block.slice(bounds[r], end));
    const runOf = new Map<number, number>();
    const held = new Map<number, Var>();
    const constants = new Map<number, Instr & { k: "const" }>();
    slices.forEach((run, r) => {
      for (const i of run) {
        for (const t of usedTemps(i)) {
          if (runOf.get(t.id) !== r && !held.has(t.id) && !constants.has(t.id)) held.set(t.id, { id: this.ids.next++, name: "kept", type: t.type });
        }
        if (hasDst(i)) runOf.set(i.dst.id, r);
        if (i.k === "const") constants.set(i.dst.id, i);
      }
    });
    return slices.map((run, r) => {
      const renamed = new Map<number, Temp>();
      const reads: Instr[] = [];
      const body = run.flatMap((i): Instr[] => {
        for (const t of usedTemps(i)) {
          if (runOf.get(t.id) === r || renamed.has(t.id)) continue;
          const here: Temp = { id: this.ids.next++, type: t.type };
          renamed.set(t.id, here);
          const k = constants.get(t.id);
          reads.push(k ? { ...k, dst: here, loc: undefined } : { k: "get", dst: here, v: this.held(held, t) });
        }
        const own = renamed.size ? withTemps(i, renamed) : i;
        return hasDst(i) && held.has(i.dst.id) ? [own, { k: "set", v: this.held(held, i.dst), src: i.dst, loc: i.loc }] : [own];
      });
      return [...reads, ...body];
    });
  }

  private held(held: Map<number, Var>, t: Temp): Var {
    const v = held.get(t.id)!;
    this.count(v, 1);
    return v;
  }

  /**
   * A call of a new piece holding `run`, after which `liveAfter` is live: the numbers it
   * takes are those live at its start, those it gives back those it writes that are live
   * after it. Other vars go in when it may read them and out when it writes them and they
   * are accessed outside it too.
   */
  private invoke(run: Block, liveAfter: ReadonlySet<number>): Invoke {
    const liveAtStart = liveBefore(run, new Set(liveAfter));
    const { inputs, written } = this.inputsOf(run, (v) => v.type !== "num" || liveAtStart.has(v.id));
    const inside = new Map<number, number>();
    countAccesses(run, inside);
    const isInput = new Set(inputs.map((v) => v.id));
    const usedAfter = (v: Var) => (v.type === "num" ? liveAfter.has(v.id) : isInput.has(v.id) || (this.accessCount.get(v.id) ?? 0) > (inside.get(v.id) ?? 0));
    const outs = [...written.values()].filter(usedAfter);
    for (const v of [...inputs, ...outs]) this.count(v, 1);
    const name = this.opts.claim(pieceName(this.opts.name, run));
    const func: Func = { name, params: inputs, body: run, result: this.none, outputs: outs };
    const call: Invoke = { k: "invoke", piece: func, args: inputs, outs, buffers: {}, returns: false };
    this.calls.push(call);
    return call;
  }

  /**
   * The numbers passed between pieces kept in one array, `frame`, allocated by the main
   * function: a piece reads those it needs from it into locals on entry and writes back
   * those it changed on exit, so the caller holds none of them across calls (a function
   * calling pieces itself reads and writes the frame in place). What else a piece reads
   * (arrays, loop indices, booleans) it takes as parameters.
   */
  finish(main: Func): { main: Func; pieces: Piece[] } {
    // Loop indices, and the main function's parameters and outputs, stay what they are.
    const indices = new Set([...main.params, main.result, ...(main.outputs ?? [])].map((v) => v.id));
    for (const body of [main.body, ...this.calls.map((c) => c.piece.body)]) walk(body, (i) => { if (i.k === "for") indices.add(i.index.id); });
    const slots = new Map<number, number>();
    for (const c of this.calls) {
      for (const v of [...c.args, ...c.outs]) if (v.type === "num" && !indices.has(v.id) && !slots.has(v.id)) slots.set(v.id, slots.size);
    }
    const frame: Var = { id: this.ids.next++, name: "frame", type: "f64[]" };
    const framed = (v: Var) => slots.has(v.id);
    const ids = this.ids;
    const slot = (v: Var): [Instr & { k: "const" }, Temp] => {
      const k: Temp = { id: ids.next++, type: "num" };
      return [{ k: "const", dst: k, value: slots.get(v.id)! }, k];
    };
    /** Reads and writes of framed vars made reads and writes of the frame. */
    const inPlace = (block: Block): Block => block.flatMap((i): Instr[] => {
      if (i.k === "get" && framed(i.v)) { const [c, k] = slot(i.v); return [c, { k: "load", dst: i.dst, arr: frame, idx: k, loc: i.loc }]; }
      if (i.k === "set" && framed(i.v)) { const [c, k] = slot(i.v); return [c, { k: "store", arr: frame, idx: k, src: i.src, loc: i.loc }]; }
      switch (i.k) {
        case "if": return [{ ...i, then: inPlace(i.then), else: inPlace(i.else) }];
        case "for": return [{ ...i, body: inPlace(i.body) }];
        case "while": return [{ ...i, test: inPlace(i.test), body: inPlace(i.body) }];
        default: return [i];
      }
    });
    const pieces = this.calls.map((c): Piece => {
      const f = c.piece;
      const callsPieces = f.body.some(function has(i: Instr): boolean { return i.k === "invoke" || childBlocks(i).some((b) => b.some(has)); });
      const load = (v: Var): Instr[] => { const [k, at] = slot(v); const t: Temp = { id: ids.next++, type: "num" }; return [k, { k: "load", dst: t, arr: frame, idx: at }, { k: "set", v, src: t }]; };
      const store = (v: Var): Instr[] => { const [k, at] = slot(v); const t: Temp = { id: ids.next++, type: "num" }; return [{ k: "get", dst: t, v }, k, { k: "store", arr: frame, idx: at, src: t }]; };
      const body = callsPieces ? inPlace(f.body) : [...c.args.filter(framed).flatMap(load), ...f.body, ...c.outs.filter(framed).flatMap(store)];
      const outs = c.outs.filter((v) => !framed(v));
      const returns = outs.length === 1 && outs[0].type === "num";
      const params = [...(slots.size ? [frame] : []), ...c.args.filter((v) => !framed(v))];
      const func = verify({ name: f.name, params, body, result: returns ? outs[0] : this.none, outputs: returns ? undefined : outs });
      const buffers: Invoke["buffers"] = {};
      if (!returns && outs.some((v) => !isArrayType(v.type))) buffers.scalars = this.opts.claim(`${f.name}_scalars`);
      if (!returns && outs.some((v) => isArrayType(v.type))) buffers.refs = this.opts.claim(`${f.name}_refs`);
      Object.assign(c, { piece: func, args: params, outs, buffers, returns });
      return { func, buffers, returns };
    });
    if (slots.size === 0) return { main, pieces };
    const n: Temp = { id: ids.next++, type: "num" };
    const alloc: Block = [{ k: "const", dst: n, value: slots.size }, { k: "alloc", v: frame, n, loc: { line: 0, note: "numbers the outlined functions below share" } }];
    return { main: verify({ ...main, body: [...alloc, ...inPlace(main.body)] }), pieces };
  }

  /**
   * Vars `run` may read before it assigns them that `live` accepts (its parameters), in
   * order of first access, and every var it writes (numbers and reassigned arrays).
   */
  private inputsOf(run: Block, live: (v: Var) => boolean): { inputs: Var[]; written: Map<number, Var> } {
    const assigned = new Set<number>();
    const inputs = new Map<number, Var>();
    const written = new Map<number, Var>();
    const read = (v: Var) => { if (!assigned.has(v.id) && !inputs.has(v.id) && live(v)) inputs.set(v.id, v); };
    for (const i of run) {
      const own = accesses(i);
      for (const [v, isWrite] of own) if (!isWrite) read(v);
      if (i.k === "for") assigned.add(i.index.id);
      // Inside nested blocks a write may not happen: everything they access counts as read.
      const inner = new Map<number, Var>();
      for (const b of childBlocks(i)) collectVars(b, inner);
      for (const v of inner.values()) read(v);
      for (const [v, isWrite] of own) if (isWrite) { assigned.add(v.id); written.set(v.id, v); }
      for (const b of childBlocks(i)) collectWrites(b, written);
    }
    return { inputs: [...inputs.values()], written };
  }
}

/** Positions to cut `block` at so that each run holds at most `limit` instructions, at statement boundaries where one is close. */
function cuts(block: Block, limit: number): number[] {
  const out: number[] = [];
  let start = 0, used = 0, boundary = -1;
  block.forEach((i, k) => {
    const n = instrSize(i);
    if (k > start && startsStatement(block, k)) boundary = k;
    if (used + n > limit && k > start) {
      const at = boundary > start && used - sizeBetween(block, start, boundary) < limit ? boundary : k;
      out.push(at);
      used = sizeBetween(block, at, k);
      start = at;
      boundary = -1;
    }
    used += n;
  });
  return out;
}

function sizeBetween(block: Block, from: number, to: number): number {
  let n = 0;
  for (let k = from; k < to; k++) n += instrSize(block[k]);
  return n;
}

/** Whether the instruction at `k` begins the code of another source statement than the one before it. */
function startsStatement(block: Block, k: number): boolean {
  const a = block[k - 1].loc, b = block[k].loc;
  return b !== undefined && (a === undefined || (a !== b && locKey(a) !== locKey(b)));
}

const locKey = (l: Loc) => `${l.adjoint ? "a" : ""}${l.line}:${l.note ?? l.text ?? ""}`;

/** `base_lines_5_16` (the adjoint of lines 5 to 16: `base_adjoint_lines_16_5`), from the source lines `run` covers. */
function pieceName(base: string, run: Block): string {
  const span = linesOf(run);
  if (!span) return `${base}_part`;
  const { lo, hi, adjoint } = span;
  const range = lo === hi ? `line_${lo}` : adjoint ? `lines_${hi}_${lo}` : `lines_${lo}_${hi}`;
  return `${base}_${adjoint ? "adjoint_" : ""}${range}`;
}

/** The source lines a block's instructions come from, and whether all of them are adjoint code. */
interface LineSpan {
  lo: number;
  hi: number;
  adjoint: boolean;
}

/** The span of each piece's body, computed once: a run of calls of pieces may be cut again. */
const pieceLines = new WeakMap<Func, LineSpan | undefined>();

/** The span of `block`'s lines, nested blocks and called pieces included (undefined when none has a line). */
function linesOf(block: Block): LineSpan | undefined {
  const span: LineSpan = { lo: Infinity, hi: -Infinity, adjoint: true };
  const see = (lo: number, hi: number, adjoint: boolean) => {
    span.lo = Math.min(span.lo, lo);
    span.hi = Math.max(span.hi, hi);
    span.adjoint &&= adjoint;
  };
  const visit = (b: Block) => {
    for (const i of b) {
      if (i.loc && i.loc.line > 0) see(i.loc.line, i.loc.line, !!i.loc.adjoint);
      for (const c of childBlocks(i)) visit(c);
      if (i.k === "invoke") {
        if (!pieceLines.has(i.piece)) pieceLines.set(i.piece, linesOf(i.piece.body));
        const inner = pieceLines.get(i.piece);
        if (inner) see(inner.lo, inner.hi, inner.adjoint);
      }
    }
  };
  visit(block);
  return span.lo <= span.hi ? span : undefined;
}

/** Vars an instruction accesses itself (not in nested blocks), with whether it assigns them. */
function accesses(i: Instr): [Var, boolean][] {
  const out: [Var, boolean][] = [];
  eachAccess(i, (v, isWrite) => out.push([v, isWrite]));
  return out;
}

/** Calls `fn` on each var an instruction accesses itself (not in nested blocks), in the order of `accesses`. */
function eachAccess(i: Instr, fn: (v: Var, isWrite: boolean) => void): void {
  switch (i.k) {
    case "get": case "pushref": return fn(i.v, false);
    case "set": case "popref": return fn(i.v, true);
    case "alloc":
      if (i.copyOf) fn(i.copyOf, false);
      return fn(i.v, true);
    case "ref":
      fn(i.from, false);
      return fn(i.v, true);
    case "load": case "len": case "store": case "fill": return fn(i.arr, false);
    case "call":
      if (i.out) fn(i.out, false);
      for (const v of i.ins) fn(v, false);
      return;
    case "for":
      if (i.exit) fn(i.exit, false);
      return fn(i.index, true);
    case "invoke":
      for (const v of i.args) fn(v, false);
      for (const v of i.outs) fn(v, true);
      return;
  }
}

function collectVars(block: Block, into: Map<number, Var>): void {
  const add = (v: Var) => { into.set(v.id, v); };
  walk(block, (i) => eachAccess(i, add));
}

function collectWrites(block: Block, into: Map<number, Var>): void {
  const add = (v: Var, isWrite: boolean) => { if (isWrite) into.set(v.id, v); };
  walk(block, (i) => eachAccess(i, add));
}

function countAccesses(block: Block, into: Map<number, number>): void {
  const countOne = (v: Var) => { into.set(v.id, (into.get(v.id) ?? 0) + 1); };
  const visit = (b: Block) => {
    for (const i of b) {
      if (i.k === "invoke") for (const [id, n] of accessesInPiece(i.piece)) into.set(id, (into.get(id) ?? 0) + n);
      else eachAccess(i, countOne);
      for (const c of childBlocks(i)) visit(c);
    }
  };
  visit(block);
}

/** Accesses of each var in a piece's body, counted once per piece: a run of calls of pieces may be cut again. */
const pieceAccesses = new WeakMap<Func, Map<number, number>>();

function accessesInPiece(piece: Func): Map<number, number> {
  let counts = pieceAccesses.get(piece);
  if (!counts) {
    counts = new Map();
    countAccesses(piece.body, counts);
    pieceAccesses.set(piece, counts);
  }
  return counts;
}

/** A copy of `i` reading `renamed` temps in place of the originals. */
function withTemps(i: Instr, renamed: Map<number, Temp>): Instr {
  const r = (t: Temp) => renamed.get(t.id) ?? t;
  switch (i.k) {
    case "op": case "call": return { ...i, args: i.args.map(r) } as Instr;
    case "set": case "push": case "fill": return { ...i, src: r(i.src) };
    case "load": return { ...i, idx: r(i.idx) };
    case "store": return { ...i, idx: r(i.idx), src: r(i.src) };
    case "alloc": case "reserve": return { ...i, n: r(i.n) };
    case "if": return { ...i, cond: r(i.cond) };
    case "for": return { ...i, start: r(i.start), end: r(i.end) };
    default: return i;
  }
}
