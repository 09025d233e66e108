// Clean-up after a transform: folds constant ops and removes dead code (unused temps,
// writes nobody reads, empty branches and loops) until nothing changes.
import { opDef } from "../ops/table.js";
import { usedTemps, walk, type Block, type Func, type Instr } from "../ir/types.js";

export interface SimplifyOptions {
  /** Whether the function's value is still returned (false for gradient-only code). */
  keepResult: boolean;
}

export function simplify(f: Func, opts: SimplifyOptions): Func {
  let body = fold(f.body);
  for (let changed = true; changed; ) {
    const before = size(body);
    body = sweep(body, liveness(f, body, opts));
    changed = size(body) !== before;
  }
  return { ...f, body };
}

function size(block: Block): number {
  let n = 0;
  walk(block, () => n++);
  return n;
}

/** Folds ops whose arguments are all constants. */
function fold(block: Block): Block {
  const consts = new Map<number, number | boolean>();
  walk(block, (i) => {
    if (i.k === "const") consts.set(i.dst.id, i.value);
    if (i.k === "op" && i.args.every((a) => consts.has(a.id))) {
      const value = opDef(i.op).eval(...i.args.map((a) => Number(consts.get(a.id))));
      consts.set(i.dst.id, value);
      Object.assign(i, { k: "const", value, args: undefined, op: undefined });
    }
  });
  return block;
}

interface Liveness {
  tempUses: Map<number, number>;
  readVars: Set<number>;
}

function liveness(f: Func, body: Block, opts: SimplifyOptions): Liveness {
  const tempUses = new Map<number, number>();
  const readVars = new Set<number>();
  for (const v of f.outputs ?? []) readVars.add(v.id);
  for (const p of f.params) if (p.adjointOf) readVars.add(p.id);
  if (opts.keepResult) readVars.add(f.result.id);
  walk(body, (i) => {
    for (const u of usedTemps(i)) tempUses.set(u.id, (tempUses.get(u.id) ?? 0) + 1);
    for (const v of varsRead(i)) readVars.add(v);
  });
  return { tempUses, readVars };
}

function varsRead(i: Instr): number[] {
  switch (i.k) {
    case "get": return [i.v.id];
    case "load": case "len": return [i.arr.id];
    case "alloc": return i.copyOf ? [i.copyOf.id] : [];
    case "pushref": return [i.v.id];
    case "for": return i.exit ? [i.exit.id] : [];
    default: return [];
  }
}

function sweep(block: Block, live: Liveness): Block {
  const out: Block = [];
  for (const i of block) {
    if (dead(i, live)) continue;
    if (i.k === "if") out.push({ ...i, then: sweep(i.then, live), else: sweep(i.else, live) });
    else if (i.k === "for") out.push({ ...i, body: sweep(i.body, live) });
    else if (i.k === "while") out.push({ ...i, body: sweep(i.body, live) });
    else out.push(i);
  }
  return out;
}

function dead(i: Instr, live: Liveness): boolean {
  if ("dst" in i) return i.k !== "pop" && !live.tempUses.get(i.dst.id);
  switch (i.k) {
    case "set": case "alloc": return !live.readVars.has(i.v.id) && !i.v.param;
    case "store": case "fill": return !live.readVars.has(i.arr.id) && i.arr.param === undefined;
    case "if": return i.then.length === 0 && i.else.length === 0;
    case "for": return i.body.length === 0 && !live.readVars.has(i.index.id);
    default: return false;
  }
}
