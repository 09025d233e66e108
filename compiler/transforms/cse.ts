// Common-subexpression elimination within a block: a pure instruction that repeats
// an earlier one (same op and operands, same location read) with nothing in between
// overwriting what it read reuses the earlier temp. In reverse mode this also merges
// adjoints: `x[i] * x[i]` reads x[i] once, so its adjoint is accumulated once.
import { Effects } from "../ir/effects.js";
import { hasDst, isControl, usedTemps, walk, type Block, type Func, type Instr, type Temp } from "../ir/types.js";
import { replaceUses } from "./normalize.js";

export function cse(f: Func): Func {
  const defs = new Map<number, Instr>();
  walk(f.body, (i) => { if (hasDst(i)) defs.set(i.dst.id, i); });
  const effects = new Effects(defs);
  const renamed = new Map<number, Temp>();
  return { ...f, body: block(f.body, effects, renamed) };
}

function key(i: Instr, renamed: Map<number, Temp>): string | undefined {
  const id = (t: Temp) => (renamed.get(t.id) ?? t).id;
  switch (i.k) {
    case "const": return `c:${typeof i.value}:${i.value}`;
    case "op": {
      let k = `o:${i.op}:`;
      for (let n = 0; n < i.args.length; n++) k += n ? `,${id(i.args[n])}` : id(i.args[n]);
      return k;
    }
    case "get": return `g:${i.v.id}`;
    case "len": return `n:${i.arr.id}`;
    case "load": return `l:${i.arr.id}:${id(i.idx)}`;
    default: return undefined;
  }
}

function block(input: Block, effects: Effects, renamed: Map<number, Temp>): Block {
  const seen = new Map<string, Temp>();
  // Keys of `seen` by a location their temp read (possibly stale: checked on use).
  const byLoc = new Map<number, string[]>();
  const out: Block = [];
  const rename = (t: Temp) => renamed.get(t.id) ?? t;
  for (const original of input) {
    // Copied only when changed: a renamed operand, or (control flow) new blocks.
    let i = original;
    if (isControl(i) || readsRenamed(i, renamed)) {
      i = { ...original } as Instr;
      replaceUses(i, rename);
    }
    const k = key(i, renamed);
    if (k && hasDst(i)) {
      const prev = seen.get(k);
      if (prev && prev.type === i.dst.type) {
        renamed.set(i.dst.id, prev);
        continue;
      }
      seen.set(k, i.dst);
      for (const l of effects.readsOf(i.dst)) (byLoc.get(l) ?? byLoc.set(l, []).get(l)!).push(k);
    }
    if (i.k === "if") Object.assign(i, { then: block(i.then, effects, renamed), else: block(i.else, effects, renamed) });
    if (i.k === "for") Object.assign(i, { body: block(i.body, effects, renamed) });
    if (i.k === "while") Object.assign(i, { test: block(i.test, effects, renamed), body: block(i.body, effects, renamed) });
    for (const l of effects.written(original)) {
      const keys = byLoc.get(l);
      if (!keys) continue;
      for (const k2 of keys) {
        const t = seen.get(k2);
        if (t && effects.readsOf(t).has(l)) seen.delete(k2);
      }
      byLoc.delete(l);
    }
    out.push(i);
  }
  return out;
}



function readsRenamed(i: Instr, renamed: Map<number, Temp>): boolean {
  if (renamed.size === 0) return false;
  for (const t of usedTemps(i)) if (renamed.has(t.id)) return true;
  return false;
}
