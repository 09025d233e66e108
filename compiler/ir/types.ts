// The IR: typed SSA values ("temps", each defined once) plus named mutable slots
// ("vars", like allocas), in structured control flow.
//
// Grammar
//   Func  := name, params: Var[], body: Block, result: Var
//   Block := Instr[]
//   Instr := const | op | get | set | load | store | len | alloc | ref | fill
//          | if | for | while | push | pop | pushref | popref | reserve | call | throw
//          | invoke (only in emitted code: transforms/outline.ts)
//
// Invariants (checked by verify): a temp is used only in the block that defines it,
// after its definition; and in front-end output, nothing between a temp's definition
// and its use overwrites what the temp read. So every temp can be recomputed where it
// is used, which is what reverse mode does in its backward sweep.

import type { SourceText } from "../parse/source.js";

export type Type = "num" | "bool" | "f64[]" | "f32[]";

export const isArrayType = (t: Type): t is "f64[]" | "f32[]" => t === "f64[]" || t === "f32[]";

export interface Var {
  id: number;
  /** Name from the source (or derived from it, like `x_bar`). */
  name: string;
  type: Type;
  /** Index of the function parameter this var holds, if any. */
  param?: number;
  /** Field path within an object parameter this var holds (["o", "c"] for `p.o.c`). */
  path?: string[];
  /** For derivative outputs: the var this one is the adjoint of. */
  adjointOf?: Var;
  /** For tangent params (inputs for wrt params, output buffers otherwise): their primal. */
  tangentOf?: Var;
  /** For the cotangent param of vector-Jacobian products: the result it weighs. */
  cotangentOf?: Var;
}

export interface Temp {
  id: number;
  type: Type;
}

/** Source line a group of instructions came from (for comments in emitted code). */
export interface Loc {
  line: number;
  /** Source text of the statement, shortened, for comments. */
  text?: string;
  /** Set on derivative code that propagates the adjoints of this statement. */
  adjoint?: boolean;
  /** A comment for code the compiler adds, printed instead of the line reference. */
  note?: string;
  /** The source `line` refers to and the statement's offset in it: transforms refuse at this position. */
  source?: SourceText;
  offset?: number;
}

interface Base {
  loc?: Loc;
}

export interface Const extends Base { k: "const"; dst: Temp; value: number | boolean }
export interface Op extends Base { k: "op"; dst: Temp; op: string; args: Temp[] }
export interface Get extends Base { k: "get"; dst: Temp; v: Var }
export interface Set extends Base { k: "set"; v: Var; src: Temp }
export interface Load extends Base { k: "load"; dst: Temp; arr: Var; idx: Temp }
export interface Store extends Base { k: "store"; arr: Var; idx: Temp; src: Temp }
export interface Len extends Base { k: "len"; dst: Temp; arr: Var }
/** `v = new Float64Array(n)`, or a copy of `copyOf` when given (then `n` is its length). */
export interface Alloc extends Base { k: "alloc"; v: Var; n: Temp; copyOf?: Var }
/**
 * `v = from` for arrays: v names the array `from` names (a reassigned array variable).
 * The front end emits it only where `from` is not used again before it is itself
 * reassigned (lower/moves.ts), so no array is reachable through two live names.
 */
export interface Ref extends Base { k: "ref"; v: Var; from: Var }
export interface Fill extends Base { k: "fill"; arr: Var; src: Temp }
export interface If extends Base { k: "if"; cond: Temp; then: Block; else: Block }
/**
 * Counted loop: `for (index = start; index <cmp> end && !exit; index += step) body`.
 * `index` is set only by the loop; `end` is evaluated once, before the loop.
 */
export interface For extends Base {
  k: "for";
  index: Var;
  start: Temp;
  end: Temp;
  step: number;
  cmp: "<" | "<=" | ">" | ">=";
  /** Bool var that stops the loop when set (lowered break / return). */
  exit?: Var;
  body: Block;
  /**
   * Reverse mode recomputes instead of recording: "loop" for a loop marked
   * `// @checkpoint` (schedule from the request), "call" for the one-iteration loop
   * around a call of a `checkpoint(fn)` function (its entry state is kept, its
   * internals recomputed).
   */
  checkpoint?: "loop" | "call";
}
/** `while (cond) body`, the condition computed by the pure block `test` into `cond`. */
export interface While extends Base { k: "while"; test: Block; cond: Temp; body: Block }
/**
 * Tape operations: values saved by the forward sweep for the backward sweep. Each
 * derivative transform uses tapes numbered above those in its input, so derivative
 * code can itself be differentiated. A push marked `room` has its room made by a
 * reserve before its loop, so it is printed without a check for a full tape.
 */
export interface Push extends Base { k: "push"; src: Temp; tape: number; room?: true; pair?: number }
export interface Pop extends Base { k: "pop"; dst: Temp; tape: number; pair?: number }

/**
 * The pushes and pops of one saved value share a `pair` (a number from newPair, unique in
 * the process): each pop of a pair takes what a push of the same pair put there. When no
 * pop of a pair is read, simplify removes all its pushes and pops, which leaves the tape
 * in step. Pushes and pops without a pair always stay.
 */
let lastPair = 0;

export function newPair(): number {
  return ++lastPair;
}

/** Makes room on the tape for `n` more values (before a loop of known length). */
export interface Reserve extends Base { k: "reserve"; n: Temp; tape: number }
/** Saves/restores an array reference (arrays allocated inside loops). */
export interface PushRef extends Base { k: "pushref"; v: Var; tape: number }
export interface PopRef extends Base { k: "popref"; v: Var; tape: number }
/**
 * A call of a runtime kernel (compiler/ops/kernels.ts): reads the arrays `ins` and
 * the numbers `args` (in the order the kernel record's signature gives), writes
 * `out` when the kernel has one (adding to it when `accumulate`), and defines `dst`
 * when it returns a number. `dst` is only present when defined.
 */
export interface Call extends Base {
  k: "call";
  kernel: string;
  out?: Var;
  ins: Var[];
  args: Temp[];
  dst?: Temp;
  accumulate?: boolean;
}

/**
 * `throw new Error(message)` (or another built-in error class): input validation in the
 * source. Derivative code keeps it where the primal has it, in the forward sweep; the
 * backward sweep is never reached past it.
 */
export interface Throw extends Base { k: "throw"; error: string; message?: string }

/**
 * A call of a function outlined from this one (transforms/outline.ts, the last step
 * before printing, so no transform sees it): passes `args`, then sets each of `outs`
 * from what `piece` wrote to its output buffers (or from its return value when
 * `returns`). `piece` writes nothing else the caller reads but arrays and the tapes.
 */
export interface Invoke extends Base {
  k: "invoke";
  piece: Func;
  args: Var[];
  outs: Var[];
  /** Module-level buffers the piece writes its outputs to (see outputSlots in emit/js.ts). */
  buffers: { scalars?: string; refs?: string };
  /** The piece returns its one output (a number) instead of writing a buffer. */
  returns: boolean;
}

export type Instr =
  | Const | Op | Get | Set | Load | Store | Len | Alloc | Ref | Fill
  | If | For | While | Push | Pop | PushRef | PopRef | Reserve | Call | Throw | Invoke;

export type Block = Instr[];

export interface Func {
  name: string;
  params: Var[];
  body: Block;
  /** Var holding the returned value. */
  result: Var;
  /** Extra values returned after `result` (derivative outputs). */
  outputs?: Var[];
}

/** Instructions that only compute a temp; everything else is a group's effect. */
export function isPure(i: Instr): i is Const | Op | Get | Load | Len | Pop {
  return i.k === "const" || i.k === "op" || i.k === "get" || i.k === "load" || i.k === "len" || i.k === "pop";
}

export function definedTemp(i: Instr): Temp | undefined {
  return (i as { dst?: Temp }).dst;
}

/** Whether the instruction defines a temp (a kernel call only when it returns a number). */
export function hasDst(i: Instr): i is Instr & { dst: Temp } {
  return (i as { dst?: Temp }).dst !== undefined;
}

/** Temps an instruction reads (not counting nested blocks). */
export function usedTemps(i: Instr): readonly Temp[] {
  switch (i.k) {
    case "op": case "call": return i.args;
    case "set": case "push": return [i.src];
    case "load": return [i.idx];
    case "store": return [i.idx, i.src];
    case "alloc": case "reserve": return [i.n];
    case "fill": return [i.src];
    case "if": return [i.cond];
    case "for": return [i.start, i.end];
    default: return NO_TEMPS;
  }
}

const NO_TEMPS: readonly Temp[] = Object.freeze([]);

/** Fields of an instruction that hold vars (not in nested blocks). */
export const VAR_FIELDS = ["v", "arr", "index", "exit", "copyOf", "out", "from"] as const;

/** Vars an instruction refers to itself (not in nested blocks), in the order of VAR_FIELDS. */
export function varsOf(i: Instr): Var[] {
  const out: Var[] = [];
  forEachVar(i, (v) => out.push(v));
  return out;
}

/** Calls `see` with each var varsOf lists, in that order, without building the list. */
export function forEachVar(i: Instr, see: (v: Var) => void): void {
  switch (i.k) {
    case "get": case "set": case "pushref": case "popref": return see(i.v);
    case "alloc": see(i.v); if (i.copyOf) see(i.copyOf); return;
    case "ref": see(i.v); return see(i.from);
    case "load": case "store": case "len": case "fill": return see(i.arr);
    case "for": see(i.index); if (i.exit) see(i.exit); return;
    case "call": if (i.out) see(i.out); for (const v of i.ins) see(v); return;
    default: return;
  }
}

/** Vars whose values an instruction reads itself (not in nested blocks). */
export function varsRead(i: Instr): Var[] {
  switch (i.k) {
    case "get": case "pushref": return [i.v];
    case "load": case "len": return [i.arr];
    case "alloc": return i.copyOf ? [i.copyOf] : [];
    case "ref": return [i.from];
    case "call": return i.accumulate && i.out ? [...i.ins, i.out] : i.ins;
    case "for": return i.exit ? [i.exit] : [];
    default: return [];
  }
}

/** Replaces the vars an instruction refers to (not in nested blocks), in place. */
export function mapVars(i: Instr, fn: (v: Var) => Var): void {
  const r = i as unknown as Record<string, Var | undefined>;
  for (const key of VAR_FIELDS) if (r[key]) r[key] = fn(r[key]!);
  if (i.k === "call") i.ins = i.ins.map(fn);
}

/** Whether the instruction holds nested blocks. */
export function isControl(i: Instr): i is If | For | While {
  return i.k === "if" || i.k === "for" || i.k === "while";
}

/** Nested blocks of a control instruction. */
export function childBlocks(i: Instr): readonly Block[] {
  switch (i.k) {
    case "if": return [i.then, i.else];
    case "for": return [i.body];
    case "while": return [i.test, i.body];
    default: return NO_BLOCKS;
  }
}

const NO_BLOCKS: readonly Block[] = Object.freeze([]);

/** Calls `fn` on every instruction, depth first, in program order. */
/** The highest tape number used in a block (-1 when none). */
export function maxTape(block: Block): number {
  let max = -1;
  walk(block, (i) => { if ("tape" in i && i.tape > max) max = i.tape; });
  return max;
}

/** How many entries `f`'s value has when its code fixes it (an array allocated once with a constant length). */
export function resultLength(f: Func): number | undefined {
  if (f.result.type === "num") return 1;
  let assigned = 0;
  walk(f.body, (i) => { if ((i.k === "alloc" || i.k === "ref" || i.k === "popref") && i.v === f.result) assigned++; });
  const alloc = assigned === 1 ? f.body.find((i): i is Alloc => i.k === "alloc" && i.v === f.result && !i.copyOf) : undefined;
  const n = alloc && f.body.find((i) => i.k === "const" && i.dst.id === alloc.n.id);
  return n && n.k === "const" && typeof n.value === "number" && n.value >= 1 ? n.value : undefined;
}

/** Whether `pred` holds for an instruction of `block` (nested ones included); stops at the first. */
export function anyInstr(block: Block, pred: (i: Instr) => boolean): boolean {
  for (const i of block) {
    if (pred(i)) return true;
    if (i.k === "if" && (anyInstr(i.then, pred) || anyInstr(i.else, pred))) return true;
    if (i.k === "for" && anyInstr(i.body, pred)) return true;
    if (i.k === "while" && (anyInstr(i.test, pred) || anyInstr(i.body, pred))) return true;
  }
  return false;
}

export function walk(block: Block, fn: (i: Instr, depth: number) => void, depth = 0): void {
  for (const i of block) {
    fn(i, depth);
    if (i.k === "if") { walk(i.then, fn, depth + 1); walk(i.else, fn, depth + 1); }
    else if (i.k === "for") walk(i.body, fn, depth + 1);
    else if (i.k === "while") { walk(i.test, fn, depth + 1); walk(i.body, fn, depth + 1); }
  }
}
