// Establishes the front-end invariant (types.ts): a temp used after what it read may
// have changed (say `s * helper()` where the inlined helper assigns s), or in a nested
// block, is saved in a variable right after it is computed and read back where used.
import { Builder, type Ids } from "../ir/builder.js";
import { BlockWrites, Effects } from "../ir/effects.js";
import { hasDst, childBlocks, usedTemps, walk, type Block, type Func, type Instr, type Temp, type Var } from "../ir/types.js";

/** `extra`: more temps to keep in variables (reverse mode does this for popped values). */
export function normalize(f: Func, ids: Ids, extra: Temp[] = []): Func {
  const spilled = findCrossing(f.body);
  for (const t of extra) spilled.set(t.id, t);
  if (spilled.size === 0) return f;
  const vars = new Map<number, Var>();
  const b = new Builder(ids);
  for (const t of spilled.values()) vars.set(t.id, b.newVar("saved", t.type));
  return { ...f, body: rewrite(f.body, vars, b) };
}

/** Temps used in another block, or after what they read may have been overwritten. */
function findCrossing(body: Block): Map<number, Temp> {
  const defs = new Map<number, Instr>();
  walk(body, (i) => { if (hasDst(i)) defs.set(i.dst.id, i); });
  const effects = new Effects(defs);
  const out = new Map<number, Temp>();
  const visit = (block: Block) => {
    const here = new Map<number, number>();
    const writes = new BlockWrites(block, effects);
    block.forEach((i, at) => {
      for (const u of usedTemps(i)) {
        const def = here.get(u.id);
        if (def === undefined || !writes.unchangedBetween(effects.readsOf(u), def, at)) out.set(u.id, u);
      }
      if (hasDst(i)) here.set(i.dst.id, at);
      for (const c of childBlocks(i)) visit(c);
    });
  };
  visit(body);
  return out;
}

function rewrite(block: Block, vars: Map<number, Var>, b: Builder): Block {
  const out: Block = [];
  for (const i of block) {
    const copy = { ...i } as Instr;
    replaceUses(copy, (t) => {
      const v = vars.get(t.id);
      if (!v) return t;
      const g = b.temp(t.type);
      out.push({ k: "get", dst: g, v, loc: i.loc });
      return g;
    });
    if (copy.k === "if") {
      copy.then = rewrite(copy.then, vars, b);
      copy.else = rewrite(copy.else, vars, b);
    } else if (copy.k === "for") {
      copy.body = rewrite(copy.body, vars, b);
    } else if (copy.k === "while") {
      copy.test = rewrite(copy.test, vars, b);
      copy.body = rewrite(copy.body, vars, b);
    }
    out.push(copy);
    if (hasDst(copy) && vars.has(copy.dst.id)) out.push({ k: "set", v: vars.get(copy.dst.id)!, src: copy.dst, loc: i.loc });
  }
  return out;
}

/** Applies `f` to each temp an instruction reads (not nested blocks). */
export function replaceUses(i: Instr, f: (t: Temp) => Temp): void {
  switch (i.k) {
    case "op": case "call": i.args = i.args.map(f); break;
    case "set": case "push": case "fill": i.src = f(i.src); break;
    case "load": i.idx = f(i.idx); break;
    case "store": i.idx = f(i.idx); i.src = f(i.src); break;
    case "alloc": case "reserve": i.n = f(i.n); break;
    case "if": i.cond = f(i.cond); break;
    case "for": i.start = f(i.start); i.end = f(i.end); break;
  }
}
