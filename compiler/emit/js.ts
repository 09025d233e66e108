// IR -> JavaScript (or TypeScript) function text. Single-use temps are folded into
// the expression that uses them when nothing in between overwrites what they read,
// so the output reads like hand-written code; other temps become consts.
import { opDef } from "../ops/table.js";
import { kernelDef } from "../ops/kernels/index.js";
import { BlockWrites, Effects } from "../ir/effects.js";
import { append } from "../ir/id-table.js";
import { forEachVar, hasDst, isArrayType, usedTemps, walk, type Block, type Call, type Func, type Instr, type Loc, type Temp, type Var } from "../ir/types.js";
import { planDeclarations, type Declarations } from "./declare.js";
import { Names } from "./names.js";

export interface EmitFunctionOptions {
  ts: boolean;
  names: Names;
  /** Name of the emitted function. */
  name: string;
  /** Whether the function returns its result var (false: returns nothing). */
  returnValue: boolean;
  /** The module-level name of tape k (default tapeName). */
  tape?: (k: number) => string;
  /** Told of every source-line comment printed, in order (for source maps). */
  onComment?: (comment: string, loc: Loc) => void;
}

export function emitFunction(f: Func, opts: EmitFunctionOptions): string {
  return new FunctionEmitter(f, opts).emit();
}

class FunctionEmitter {
  private readonly defs = new Map<number, Instr>();
  private readonly uses = new Map<number, number>();
  private readonly effects: Effects;
  private readonly inlined = new Set<number>();
  private readonly tempNames = new Map<number, string>();
  private readonly lines: string[] = [];
  private lastComment = "";
  /** The loc whose comment is lastComment (the same loc prints nothing new). */
  private lastCommentLoc: Loc | undefined;
  private decls!: Declarations;

  private readonly tape: (k: number) => string;
  /** The tapes this function pushes to or pops from, in order. */
  private readonly tapes: number[];
  /** The local stack (values and index) of each tape this function pushes to or pops from. */
  private readonly stacks = new Map<number, { values: string; top: string }>();
  /** The last tape operation printed before the current point (see tapeSync). */
  private lastTapeOp: "push" | "pop" | "unknown" = "unknown";

  constructor(private readonly f: Func, private readonly o: EmitFunctionOptions) {
    this.tape = o.tape ?? tapeName;
    const tapes = new Set<number>();
    walk(f.body, (i) => {
      if (hasDst(i)) this.defs.set(i.dst.id, i);
      for (const u of usedTemps(i)) this.uses.set(u.id, (this.uses.get(u.id) ?? 0) + 1);
      if (i.k === "push" || i.k === "pop" || i.k === "reserve") tapes.add(i.tape);
    });
    this.tapes = [...tapes].sort((a, b) => a - b);
    this.effects = new Effects(this.defs);
  }

  /**
   * Names each tape's local stack, `stack` with index `top` (tape1's `stack1` and `top1`,
   * …), after the function's vars have theirs: a loss's own `top` keeps its name.
   */
  private nameStacks(): void {
    walk(this.f.body, (i) => forEachVar(i, (v) => this.o.names.of(v)));
    for (const k of this.tapes) {
      const t = this.tape(k);
      this.stacks.set(k, { values: this.o.names.claim(t.replace(/^tape/, "stack")), top: this.o.names.claim(t.replace(/^tape/, "top")) });
    }
  }

  private stack(k: number): { values: string; top: string } {
    return this.stacks.get(k)!;
  }

  /** Hands each local stack's index back to its tape (runtime/tape.ts). */
  private tapeSync(depth: number): void {
    for (const [k, s] of this.stacks) this.out(depth, `${this.tape(k)}.sync(${s.top});`);
  }

  /** Takes each local stack from its tape again, after a call that may have used it. */
  private tapeReload(depth: number): void {
    for (const [k, s] of this.stacks) this.out(depth, `${s.values} = ${this.tape(k)}.values; ${s.top} = ${this.tape(k)}.top;`);
    this.lastTapeOp = "unknown";
  }

  /** Whether a pop is folded into what `i` computes. */
  private readsInlinedPop(i: Instr): boolean {
    return usedTemps(i).some((t) => {
      if (!this.inlined.has(t.id)) return false;
      const d = this.defs.get(t.id)!;
      return d.k === "pop" || this.readsInlinedPop(d);
    });
  }

  /** Before a pop: a sync when the tape op before it may have been a push, so Tape.peakBytes sees every peak. */
  private beforePop(depth: number): void {
    if (this.lastTapeOp !== "pop") this.tapeSync(depth);
    this.lastTapeOp = "pop";
  }

  emit(): string {
    const { f, o } = this;
    const n = (v: Var) => o.names.of(v);
    const params = f.params.map((p) => (o.ts ? `${n(p)}: ${tsType(p)}` : n(p)));
    this.nameStacks();
    const slots = outputSlots(f);
    if (slots.scalars) params.push(o.ts ? "scalars: Float64Array" : "scalars");
    if (slots.refs) params.push(o.ts ? "refs: (Float64Array | Float32Array)[]" : "refs");
    const keep = [...(o.returnValue ? [f.result] : []), ...(f.outputs ?? [])];
    this.decls = planDeclarations(f, keep);
    const locals = this.decls.hoisted;
    this.block(f.body, 1);
    if (this.stacks.size) this.tapeSync(1);
    const stacks = [...this.stacks].map(([k, st]) => `  let ${st.values} = ${this.tape(k)}.values, ${st.top} = ${this.tape(k)}.top;`);
    const decls = [...locals.map((v) => `  let ${this.declaration(v)};`), ...stacks];
    const outs = (f.outputs ?? []).map((v, k) => `  ${slots.at[k]} = ${n(v)}${v.type === "bool" ? " ? 1 : 0" : ""};`);
    const ret = o.ts ? (o.returnValue ? `: ${tsType(f.result)}` : ": void") : "";
    const tail = o.returnValue ? [`  return ${n(f.result)};`] : [];
    return [`function ${o.name}(${params.join(", ")})${ret} {`, ...decls, ...this.lines, ...outs, ...tail, "}"].join("\n");
  }

  private declaration(v: Var): string {
    const name = this.o.names.of(v);
    if (v.type === "num") return `${name} = 0`;
    if (v.type === "bool") return `${name} = false`;
    return this.o.ts ? `${name}!: ${tsType(v)}` : name;
  }

  // ---- statements ----------------------------------------------------------

  private block(block: Block, depth: number): void {
    this.planInlining(block);
    for (const i of block) this.statement(i, depth);
  }

  private out(depth: number, text: string): void {
    this.lines.push("  ".repeat(depth) + text);
  }

  private comment(i: Instr, depth: number): void {
    if (!i.loc || i.loc === this.lastCommentLoc) return;
    const text = i.loc.note ?? `${i.loc.adjoint ? "adjoint of " : ""}line ${i.loc.line}${i.loc.text ? `: ${i.loc.text}` : ""}`;
    this.lastCommentLoc = i.loc;
    if (text === this.lastComment) return;
    this.lastComment = text;
    const comment = `// ${text.replace(/\*\//g, "* /")}`;
    this.o.onComment?.(comment, i.loc);
    this.out(depth, comment);
  }

  private statement(i: Instr, depth: number): void {
    const e = (t: Temp) => this.expr(t);
    const n = (v: Var) => this.o.names.of(v);
    if (i.k === "call" && (i.out || !this.uses.get(i.dst!.id))) {
      // A kernel writing an array is a statement (its number result, if used, a const).
      this.comment(i, depth);
      if (this.readsInlinedPop(i)) this.beforePop(depth);
      if (!i.dst || !this.uses.get(i.dst.id)) return this.out(depth, `${this.callExpr(i)};`);
      const name = this.o.names.temp();
      this.tempNames.set(i.dst.id, name);
      return this.out(depth, `const ${name} = ${this.callExpr(i)};`);
    }
    if (hasDst(i)) {
      if (this.inlined.has(i.dst.id)) return;
      if (!this.uses.get(i.dst.id) && i.k !== "pop") return;
      this.comment(i, depth);
      if (i.k === "pop" || this.readsInlinedPop(i)) this.beforePop(depth);
      // A value popped that nothing reads (outside a tape pair, which simplify drops whole) only moves the top.
      if (i.k === "pop" && !this.uses.get(i.dst.id)) return this.out(depth, `--${this.stack(i.tape).top};`);
      const name = this.o.names.temp();
      this.tempNames.set(i.dst.id, name);
      this.out(depth, `const ${name} = ${this.defExpr(i)};`);
      return;
    }
    this.comment(i, depth);
    if (this.readsInlinedPop(i)) this.beforePop(depth);
    switch (i.k) {
      case "set": return this.out(depth, this.declare(i) + this.assignment(n(i.v), i.src, i.v));
      case "store": return this.out(depth, this.assignment(`${n(i.arr)}[${e(i.idx)}]`, i.src, undefined, i));
      case "alloc": return this.out(depth, `${this.declare(i)}${n(i.v)}${this.declare(i) && this.o.ts ? `: ${tsType(i.v)}` : ""} = ${this.alloc(i)};`);
      case "ref": return this.out(depth, `${this.declare(i)}${n(i.v)} = ${n(i.from)};`);
      case "fill": return this.out(depth, `${n(i.arr)}.fill(${e(i.src)});`);
      case "throw": return this.out(depth, `throw new ${i.error}(${i.message === undefined ? "" : JSON.stringify(i.message)});`);
      case "push": return this.push(i, depth);
      case "pushref":
        this.lastTapeOp = "push";
        return this.out(depth, `${this.tape(i.tape)}.pushRef(${n(i.v)});`);
      case "reserve": {
        const { values, top } = this.stack(i.tape);
        return this.out(depth, `${values} = ${this.tape(i.tape)}.room(${top}, ${e(i.n)});`);
      }
      case "popref":
        this.beforePop(depth);
        return this.out(depth, `${n(i.v)} = ${this.tape(i.tape)}.popRef()${this.o.ts ? ` as ${tsType(i.v)}` : ""};`);
      case "if": return this.ifStatement(i, depth);
      case "for": return this.forStatement(i, depth);
      case "while": return this.whileStatement(i, depth);
      case "invoke": return this.invoke(i, depth);
    }
  }

  /** `values[top++] = x` on the local stack, after making room if it is full (unless made before its loop). */
  private push(i: Extract<Instr, { k: "push" }>, depth: number): void {
    const { values, top } = this.stack(i.tape);
    const x = i.src.type === "bool" ? `${this.expr(i.src)} ? 1 : 0` : this.expr(i.src);
    if (!i.room) this.out(depth, `if (${top} === ${values}.length) ${values} = ${this.tape(i.tape)}.room(${top}, 1);`);
    this.out(depth, `${values}[${top}++] = ${x};`);
    this.lastTapeOp = "push";
  }

  /** A call of an outlined piece, then its outputs read back from its buffers. */
  private invoke(i: Extract<Instr, { k: "invoke" }>, depth: number): void {
    const n = (v: Var) => this.o.names.of(v);
    const { scalars, refs } = i.buffers;
    const call = `${i.piece.name}(${[...i.args.map(n), ...(scalars ? [scalars] : []), ...(refs ? [refs] : [])].join(", ")})`;
    this.tapeSync(depth);
    if (i.returns) {
      this.out(depth, `${n(i.outs[0])} = ${call};`);
      return this.tapeReload(depth);
    }
    this.out(depth, `${call};`);
    this.tapeReload(depth);
    const slots = outputSlots(i.piece, scalars, refs);
    i.outs.forEach((v, k) => {
      const value = v.type === "bool" ? `${slots.at[k]} !== 0` : isArrayType(v.type) && this.o.ts ? `${slots.at[k]} as ${tsType(v)}` : slots.at[k];
      this.out(depth, `${n(v)} = ${value};`);
    });
  }

  private declare(i: Instr): string {
    const kw = this.decls.at.get(i);
    return kw ? `${kw} ` : "";
  }

  /** `x = e`, shortened to `x += e` (and -=, *=) when e starts by reading x itself. */
  private assignment(target: string, src: Temp, v?: Var, store?: Extract<Instr, { k: "store" }>): string {
    const d = this.defs.get(src.id);
    if (d?.k === "op" && this.inlined.has(src.id) && ["add", "sub", "mul"].includes(d.op)) {
      const first = this.defs.get(d.args[0].id);
      const same = first && this.inlined.has(d.args[0].id) &&
        ((v && first.k === "get" && first.v === v) ||
         (store && first.k === "load" && first.arr === store.arr && first.idx === store.idx));
      if (same) return `${target} ${{ add: "+", sub: "-", mul: "*" }[d.op]}= ${this.expr(d.args[1])};`;
    }
    return `${target} = ${this.expr(src)};`;
  }

  private alloc(i: Extract<Instr, { k: "alloc" }>): string {
    const ctor = i.v.type === "f32[]" ? "Float32Array" : "Float64Array";
    if (!i.copyOf) return `new ${ctor}(${this.expr(i.n)})`;
    const src = this.o.names.of(i.copyOf);
    return i.copyOf.type === i.v.type ? `${src}.slice()` : `new ${ctor}(${src})`;
  }

  private ifStatement(i: Extract<Instr, { k: "if" }>, depth: number): void {
    const c = this.expr(i.cond);
    if (i.then.length === 0 && i.else.length === 0) return;
    if (i.then.length === 0) {
      const before = this.lastTapeOp;
      this.out(depth, `if (!(${c})) {`);
      this.nested(i.else, depth);
      this.out(depth, "}");
      if (before !== this.lastTapeOp) this.lastTapeOp = "unknown";
      return;
    }
    this.out(depth, `if (${c}) {`);
    const before = this.lastTapeOp;
    this.nested(i.then, depth);
    const afterThen = this.lastTapeOp;
    this.lastTapeOp = before;
    if (i.else.length) {
      this.out(depth, "} else {");
      this.nested(i.else, depth);
    }
    this.out(depth, "}");
    if (afterThen !== this.lastTapeOp) this.lastTapeOp = "unknown";
  }

  /** A nested block repeats no comment its statement just printed; after it, comments start afresh. */
  private nested(block: Block, depth: number): void {
    this.block(block, depth + 1);
    this.lastComment = "";
    this.lastCommentLoc = undefined;
  }

  private forStatement(i: Extract<Instr, { k: "for" }>, depth: number): void {
    const idx = this.o.names.of(i.index);
    const start = this.expr(i.start);
    // The bound is evaluated once: keep it inline only if the body cannot change it.
    const bodyWrites = this.effects.writesOf(i);
    let end = this.expr(i.end);
    if (this.inlined.has(i.end.id) && [...this.effects.readsOf(i.end)].some((l) => bodyWrites.has(l))) {
      const name = this.o.names.temp();
      this.out(depth, `const ${name} = ${end};`);
      end = name;
    }
    const exit = i.exit ? ` && !${this.o.names.of(i.exit)}` : "";
    const step = i.step === 1 ? `${idx}++` : i.step === -1 ? `${idx}--` : i.step > 0 ? `${idx} += ${i.step}` : `${idx} -= ${-i.step}`;
    const kw = this.decls.loops.has(i) ? "let " : "";
    const popsOnly = this.beforeLoop(i.body, depth);
    this.out(depth, `for (${kw}${idx} = ${start}; ${idx} ${i.cmp} ${end}${exit}; ${step}) {`);
    this.loopBody(i.body, depth, popsOnly);
    this.out(depth, "}");
  }

  /**
   * Whether a loop's tape ops are all pops. Then the sync before its first pop is printed
   * before the loop, and none inside: each iteration's first pop follows a pop.
   */
  private beforeLoop(body: Block, depth: number): boolean {
    let pops = false, others = false;
    walk(body, (x) => {
      if (x.k === "pop" || x.k === "popref") pops = true;
      if (x.k === "push" || x.k === "pushref" || x.k === "reserve" || x.k === "invoke") others = true;
    });
    if (pops && !others) this.beforePop(depth);
    return pops && !others;
  }

  /** A loop's body: its first tape op may follow its last one (a pop, when it only pops). */
  private loopBody(body: Block, depth: number, popsOnly: boolean): void {
    this.lastTapeOp = popsOnly ? "pop" : "unknown";
    this.nested(body, depth);
    this.lastTapeOp = popsOnly ? "pop" : "unknown";
  }

  private whileStatement(i: Extract<Instr, { k: "while" }>, depth: number): void {
    this.planInlining(i.test);
    const simple = i.test.every((t) => hasDst(t) && (t.dst === i.cond || this.inlined.has(t.dst.id)));
    const popsOnly = this.beforeLoop(i.body, depth);
    if (simple) {
      this.out(depth, `while (${this.expr(i.cond)}) {`);
      this.loopBody(i.body, depth, popsOnly);
      this.out(depth, "}");
      return;
    }
    this.out(depth, "while (true) {");
    this.lastTapeOp = popsOnly ? "pop" : "unknown";
    for (const t of i.test) this.statement(t, depth + 1);
    this.out(depth + 1, `if (!(${this.expr(i.cond)})) break;`);
    this.loopBody(i.body, depth, popsOnly);
    this.out(depth, "}");
  }

  // ---- expressions ---------------------------------------------------------

  private expr(t: Temp): string {
    const name = this.tempNames.get(t.id);
    if (name) return name;
    const d = this.defs.get(t.id);
    if (!d) throw new Error(`gradc internal error: %${t.id} has no definition`);
    return this.defExpr(d);
  }

  private defExpr(d: Instr): string {
    const n = (v: Var) => this.o.names.of(v);
    switch (d.k) {
      case "const": return literal(d.value);
      case "op": return opDef(d.op).js(d.args.map((a) => this.expr(a)));
      case "get": return n(d.v);
      case "load": return `${n(d.arr)}[${this.expr(d.idx)}]`;
      case "len": return `${n(d.arr)}.length`;
      case "pop": {
        const { values, top } = this.stack(d.tape);
        return d.dst.type === "bool" ? `${values}[--${top}] !== 0` : `${values}[--${top}]`;
      }
      case "call": return this.callExpr(d);
      default: throw new Error(`gradc internal error: ${d.k} has no value`);
    }
  }

  /** `kernels.name(out, operands…)`, trailing operands equal to their defaults left out. */
  private callExpr(i: Call): string {
    const def = kernelDef(i.kernel)!;
    let ins = 0, args = 0;
    const texts = def.params.map((p) => {
      if (p.kind === "arr") return { text: this.o.names.of(i.ins[ins++]), isDefault: false };
      const t = i.args[args++];
      const d = this.defs.get(t.id);
      return { text: this.expr(t), isDefault: d?.k === "const" && d.value === p.default };
    });
    if (i.accumulate) texts.push({ text: "true", isDefault: false });
    while (texts.length && texts[texts.length - 1].isDefault) texts.pop();
    const all = [...(i.out ? [this.o.names.of(i.out)] : []), ...texts.map((t) => t.text)];
    return def.js ? def.js(all) : `${KERNELS}.${i.kernel}(${all.join(", ")})`;
  }

  // ---- inlining ------------------------------------------------------------

  /** Decides which temps of this block are folded into their uses. */
  private planInlining(block: Block): void {
    const users = usersIn(block);
    const writes = new BlockWrites(block, this.effects);
    block.forEach((i, at) => {
      if (!(hasDst(i)) || (i.k === "call" && i.out)) return;
      const uses = this.uses.get(i.dst.id) ?? 0;
      if (uses === 0) return;
      if (uses > 1 && !this.cheap(i.dst, 2)) return;
      const here = users.get(i.dst.id) ?? [];
      if (here.length !== uses) return; // used in a nested block
      if (writes.unchangedBetween(this.effects.readsOf(i.dst), at, here[here.length - 1])) this.inlined.add(i.dst.id);
    });
  }

  /** Constants, variable reads and small sums of them: fine to repeat at each use. */
  private cheap(t: Temp, depth: number): boolean {
    const d = this.defs.get(t.id);
    if (!d) return false;
    if (d.k === "const" || d.k === "get" || d.k === "len") return true;
    if (d.k === "op" && depth > 0 && (d.op === "add" || d.op === "sub" || d.op === "neg")) {
      return d.args.every((a) => this.cheap(a, depth - 1));
    }
    return false;
  }
}

/** Positions of the instructions of `block` using each temp (not in nested blocks), once per use. */
function usersIn(block: Block): Map<number, number[]> {
  const out = new Map<number, number[]>();
  block.forEach((i, at) => {
    for (const u of usedTemps(i)) append(out, u.id, at);
  });
  return out;
}

/** The name generated code calls runtime kernels through (`import * as kernels from "gradc/runtime"`). */
export const KERNELS = "kernels";

/** The module-level name of tape k. */
export function tapeName(k: number): string {
  return k === 0 ? "tape" : `tape${k}`;
}

/** Where each output of `f` is written: `scalars[i]` for numbers, `refs[i]` for arrays (under those names). */
export function outputSlots(f: Func, scalarsName = "scalars", refsName = "refs"): { at: string[]; scalars: number; refs: number } {
  let scalars = 0;
  let refs = 0;
  const at = (f.outputs ?? []).map((v) => (isArrayType(v.type) ? `${refsName}[${refs++}]` : `${scalarsName}[${scalars++}]`));
  return { at, scalars, refs };
}

function literal(value: number | boolean): string {
  if (typeof value === "boolean") return String(value);
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "Infinity";
  if (value === -Infinity) return "(-Infinity)";
  if (Object.is(value, -0)) return "(-0)";
  return value < 0 ? `(${value})` : String(value);
}

export function tsType(v: Var): string {
  switch (v.type) {
    case "num": return "number";
    case "bool": return "boolean";
    case "f64[]": return "Float64Array";
    case "f32[]": return "Float32Array";
  }
}

