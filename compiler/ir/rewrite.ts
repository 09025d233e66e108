// Small rewriting utilities over IR blocks.
import { VAR_FIELDS, walk, type Block, type Instr, type Temp, type Var } from "./types.js";

/** Replaces every reference to var `from` by `to`, in place. */
export function substituteVar(block: Block, from: Var, to: Var): void {
  walk(block, (i) => {
    const r = i as unknown as Record<string, unknown>;
    for (const key of VAR_FIELDS) if (r[key] === from) r[key] = to;
  });
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
    for (const key of VAR_FIELDS) if (copy[key]) copy[key] = mapVar(copy[key] as Var);
    if (i.k === "op") copy.args = i.args.map(mapTemp);
    for (const key of ["then", "else", "body", "test"] as const) {
      if (Array.isArray(copy[key])) copy[key] = cloneBlock(copy[key] as Block, mapVar, mapTemp);
    }
    return copy as unknown as Instr;
  });
}
