// Small rewriting utilities over IR blocks.
import { walk, type Block, type Var } from "./types.js";

/** Replaces every reference to var `from` by `to`, in place. */
export function substituteVar(block: Block, from: Var, to: Var): void {
  walk(block, (i) => {
    const r = i as unknown as Record<string, unknown>;
    for (const key of ["v", "arr", "copyOf", "index", "exit"]) if (r[key] === from) r[key] = to;
  });
}
