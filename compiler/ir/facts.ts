// Facts about one function that several analyses read: every instruction in program
// order, each temp's definition and number of uses, how often each var is set, the
// loops and branches, and the effects (what each temp's value reads, what each
// instruction writes; cached as asked). Built in one walk; valid while the function
// is not changed.
import { Effects } from "./effects.js";
import { hasDst, usedTemps, walk, type For, type Func, type Instr } from "./types.js";

export interface Facts {
  readonly instrs: readonly Instr[];
  /** Not to be changed (a Map for the APIs that take one). */
  readonly defs: Map<number, Instr>;
  readonly uses: ReadonlyMap<number, number>;
  /** Number of `set`s of each var. */
  readonly setCount: ReadonlyMap<number, number>;
  readonly loops: readonly For[];
  readonly ifs: readonly Extract<Instr, { k: "if" }>[];
  readonly effects: Effects;
}

export function factsOf(f: Func): Facts {
  const instrs: Instr[] = [];
  const defs = new Map<number, Instr>();
  const uses = new Map<number, number>();
  const setCount = new Map<number, number>();
  const loops: For[] = [];
  const ifs: Extract<Instr, { k: "if" }>[] = [];
  walk(f.body, (i) => {
    instrs.push(i);
    if (hasDst(i)) defs.set(i.dst.id, i);
    for (const u of usedTemps(i)) uses.set(u.id, (uses.get(u.id) ?? 0) + 1);
    if (i.k === "set") setCount.set(i.v.id, (setCount.get(i.v.id) ?? 0) + 1);
    if (i.k === "for") loops.push(i);
    if (i.k === "if") ifs.push(i);
  });
  return { instrs, defs, uses, setCount, loops, ifs, effects: new Effects(defs) };
}
