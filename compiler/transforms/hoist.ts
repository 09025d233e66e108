// Branches that begin alike: the instructions both branches of an `if` start with (the
// same operation on the same vars, their temps in step) run once, before the `if`. In
// derivative code these are the saves both branches make of a var they both assign
// (`tape.push(out)` in the forward sweep) and its restore (`out = tape.pop()` in the
// backward sweep). Only plain instructions move (no control flow, no throw). Temps stay
// in their block: the moved instructions get temps of their own, and a read of a var or
// length the rest of a branch also uses stays in the branch too, as long as nothing
// moved writes what it reads.
import { idsAfter, type Ids } from "../ir/builder.js";
import { ownWrite } from "../ir/effects.js";
import { childBlocks, hasDst, usedTemps, walk, type Block, type Func, type Instr, type Temp } from "../ir/types.js";

const MOVABLE = new Set<Instr["k"]>(["const", "op", "get", "set", "load", "store", "len", "push", "pop"]);

/** Reads that may stay in a branch as well as move: they read one location and no temp. */
const REREADABLE = new Set<Instr["k"]>(["const", "get", "len"]);

export function hoistCommonPrefixes(f: Func): Func {
  const pairs = new PairUnion();
  const body = block(f.body, idsAfter(f), pairs);
  return { ...f, body: pairs.merged ? pairs.renamed(body) : body };
}

function block(input: Block, ids: Ids, pairs: PairUnion): Block {
  const out: Block = [];
  for (const original of input) {
    const i = withChildren(original, ids, pairs);
    if (i.k === "if") out.push(...hoisted(i, ids, pairs));
    else out.push(i);
  }
  return out;
}

/**
 * Tape pairs (see newPair) made one where a push or pop of each moves out as one
 * instruction: the pushes and pops of both then go or stay together. Pair 0 stands for
 * an instruction without one: a pair joined with it loses its pair everywhere.
 */
class PairUnion {
  private readonly parent = new Map<number, number>();
  merged = false;

  join(a: Instr, b: Instr): void {
    if ((a.k !== "push" && a.k !== "pop") || (b.k !== "push" && b.k !== "pop")) return;
    const [x, y] = [this.find(a.pair ?? 0), this.find(b.pair ?? 0)];
    if (x === y) return;
    this.merged = true;
    if (x === 0) this.parent.set(y, 0);
    else this.parent.set(x, y);
  }

  private find(p: number): number {
    let r = p;
    while (this.parent.has(r)) r = this.parent.get(r)!;
    return r;
  }

  /** `block` with each push's and pop's pair replaced by its joined one (copies where they change). */
  renamed(block: Block): Block {
    return block.map((i): Instr => {
      if (i.k === "push" || i.k === "pop") {
        if (i.pair === undefined) return i;
        const pair = this.find(i.pair);
        return pair === i.pair ? i : { ...i, pair: pair === 0 ? undefined : pair };
      }
      switch (i.k) {
        case "if": return { ...i, then: this.renamed(i.then), else: this.renamed(i.else) };
        case "for": return { ...i, body: this.renamed(i.body) };
        case "while": return { ...i, test: this.renamed(i.test), body: this.renamed(i.body) };
        default: return i;
      }
    });
  }
}

/**
 * The prefix both branches of `i` begin with, then `i` without it. Where it is longer so,
 * each branch's pushes first move up past the plain instructions before them (a save of
 * a var both branches assign, `out += u` and `out -= u`, is then common to both).
 */
function hoisted(i: Extract<Instr, { k: "if" }>, ids: Ids, pairs: PairUnion): Instr[] {
  const plain = { ...i };
  const raised = { ...i, then: pushesRaised(i.then), else: pushesRaised(i.else) };
  const without = prefixOf(plain, ids);
  const withRaised = raised.then === i.then && raised.else === i.else ? undefined : prefixOf(raised, ids);
  const [chosen, rest] = withRaised && withRaised.moved.length > without.moved.length ? [withRaised, raised] : [without, plain];
  for (const [a, b] of chosen.joined) pairs.join(a, b);
  return [...chosen.moved, rest];
}

/** Reads and ops: a push moves up past them (it writes the tape only). */
const PURE = new Set<Instr["k"]>(["const", "op", "get", "load", "len"]);

/**
 * `block` with each push moved up past the pure instructions before it, up to its
 * operand's definition; a push of a var's value (`get` just before it) moves with that
 * read. `block` itself when it has no push.
 */
function pushesRaised(block: Block): Block {
  if (!block.some((x) => x.k === "push")) return block;
  const out: Block = [];
  for (const x of block) {
    const previous = out.at(-1);
    const read = x.k === "push" && previous?.k === "get" && previous.dst.id === x.src.id ? out.pop()! : undefined;
    let at = out.length;
    if (x.k === "push") {
      const operand = read ? undefined : x.src.id;
      while (at > 0 && PURE.has(out[at - 1].k) && !(hasDst(out[at - 1]) && (out[at - 1] as { dst: Temp }).dst.id === operand)) at--;
    }
    out.splice(at, 0, ...(read ? [read, x] : [x]));
  }
  return out;
}

/** The instruction with its nested blocks processed (a copy when it has any). */
function withChildren(i: Instr, ids: Ids, pairs: PairUnion): Instr {
  switch (i.k) {
    case "if": return { ...i, then: block(i.then, ids, pairs), else: block(i.else, ids, pairs) };
    case "for": return { ...i, body: block(i.body, ids, pairs) };
    case "while": return { ...i, body: block(i.body, ids, pairs) };
    default: return i;
  }
}

/**
 * Moves the common prefix of `i`'s branches (`i` is a copy) out; returns it, placed at the
 * if, and the pairs of instructions (then, else) each moved instruction stands for.
 */
function prefixOf(i: Extract<Instr, { k: "if" }>, ids: Ids): { moved: Instr[]; joined: [Instr, Instr][] } {
  const renamed = new Map<number, Temp>(); // else-branch temp -> then-branch temp
  let k = 0;
  while (k < i.then.length && k < i.else.length && same(i.then[k], i.else[k], renamed)) {
    const [a, b] = [i.then[k], i.else[k]];
    if (hasDst(a) && hasDst(b)) renamed.set(b.dst.id, a.dst);
    k++;
  }
  for (; k > 0; k--) {
    const kept = keptReads(i, k, renamed);
    if (!kept) continue;
    const prefix = i.then.slice(0, k);
    const joined = prefix.map((x, n): [Instr, Instr] => [x, i.else[n]]);
    i.then = [...prefix.filter((x) => kept.has(x)), ...i.then.slice(k)];
    i.else = [...i.else.slice(0, k).filter((_, n) => kept.has(prefix[n])), ...i.else.slice(k)];
    return { moved: withFreshTemps(prefix, ids, i.loc), joined };
  }
  return { moved: [], joined: [] };
}

/**
 * The prefix's instructions (then branch) that must also stay in the branches because
 * the rest of a branch reads their temps; undefined when one of them cannot (it reads
 * temps, or a location the prefix writes).
 */
function keptReads(i: Extract<Instr, { k: "if" }>, k: number, renamed: Map<number, Temp>): Set<Instr> | undefined {
  const read = new Set<number>();
  walk(i.then.slice(k), (x) => { for (const t of usedTemps(x)) read.add(t.id); });
  walk(i.else.slice(k), (x) => { for (const t of usedTemps(x)) read.add((renamed.get(t.id) ?? t).id); });
  const prefix = i.then.slice(0, k);
  const written = new Set(prefix.flatMap((x) => { const w = ownWrite(x); return w === undefined ? [] : [w]; }));
  const kept = new Set<Instr>();
  for (const x of prefix) {
    if (!hasDst(x) || !read.has(x.dst.id)) continue;
    if (!REREADABLE.has(x.k)) return undefined;
    if (x.k === "get" && written.has(x.v.id)) return undefined;
    if (x.k === "len" && written.has(x.arr.id)) return undefined;
    kept.add(x);
  }
  return kept;
}

/** Copies of `prefix` with temps of their own, at `loc`. */
function withFreshTemps(prefix: Block, ids: Ids, loc: Instr["loc"]): Instr[] {
  const fresh = new Map<number, Temp>();
  const map = (t: Temp) => fresh.get(t.id) ?? t;
  return prefix.map((x) => {
    const copy = { ...x, loc } as Instr;
    if (hasDst(copy)) {
      const t = { id: ids.next++, type: copy.dst.type };
      fresh.set(copy.dst.id, t);
      (copy as { dst: Temp }).dst = t;
    }
    return remapTemps(copy, map);
  });
}

function remapTemps(i: Instr, map: (t: Temp) => Temp): Instr {
  switch (i.k) {
    case "op": return { ...i, args: i.args.map(map) };
    case "set": case "push": return { ...i, src: map(i.src) };
    case "load": return { ...i, idx: map(i.idx) };
    case "store": return { ...i, idx: map(i.idx), src: map(i.src) };
    default: return i;
  }
}

/** `a` (then branch) and `b` (else branch) do the same, `b`'s temps read as `renamed` maps them. */
function same(a: Instr, b: Instr, renamed: Map<number, Temp>): boolean {
  if (a.k !== b.k || !MOVABLE.has(a.k) || childBlocks(a).length > 0) return false;
  const ra = a as unknown as Record<string, unknown>;
  const rb = b as unknown as Record<string, unknown>;
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
  keys.delete("loc");
  keys.delete("dst");
  keys.delete("pair"); // one tape value either way: the two pairs are joined (PairUnion)
  for (const key of keys) if (!sameField(ra[key], rb[key], renamed)) return false;
  return !hasDst(a) || !hasDst(b) || a.dst.type === b.dst.type;
}

function sameField(x: unknown, y: unknown, renamed: Map<number, Temp>): boolean {
  if (Array.isArray(x) && Array.isArray(y)) return x.length === y.length && x.every((e, n) => sameField(e, y[n], renamed));
  if (isTemp(x) && isTemp(y)) return x.id === (renamed.get(y.id) ?? y).id;
  return x === y;
}

/** Temps are `{ id, type }`; vars carry a name too (compared by identity). */
function isTemp(x: unknown): x is Temp {
  return typeof x === "object" && x !== null && "id" in x && !("name" in x);
}
