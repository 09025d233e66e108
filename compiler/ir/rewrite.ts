// Small rewriting utilities over IR blocks.
import { mapVars, walk, type Block, type Instr, type Temp, type Var } from "./types.js";

/** Replaces every reference to var `from` by `to`, in place. */
export function substituteVar(block: Block, from: Var, to: Var): void {
  walk(block, (i) => mapVars(i, (v) => (v === from ? to : v)));
}

const TEMP_KEYS = ["dst", "src", "idx", "n", "cond", "start", "end"] as const;

/**
 * A deep copy of `block` with vars and temps renamed by `mapVar` / `mapTemp`
 * (used to inline one function's IR into another with fresh ids).
 */
export function cloneBlock(block: Block, mapVar: (v: Var) => Var, mapTemp: (t: Temp) => Temp): Block {
  return block.map((i) => {
    const copy = { ...i } as unknown as Record<string, unknown>;
    for (const key of TEMP_KEYS) if (copy[key]) copy[key] = mapTemp(copy[key] as Temp);
    mapVars(copy as unknown as Instr, mapVar);
    if (i.k === "op" || i.k === "call") copy.args = i.args.map(mapTemp);
    for (const key of ["then", "else", "body", "test"] as const) {
      if (Array.isArray(copy[key])) copy[key] = cloneBlock(copy[key] as Block, mapVar, mapTemp);
    }
    return copy as unknown as Instr;
  });
}
