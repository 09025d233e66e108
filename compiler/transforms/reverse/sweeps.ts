// Which handler sweeps each instruction: per instruction kind, its forward handler and
// its backward one; a counted loop goes to the pair of its strategy in the plan (loops.ts).
import type { Builder } from "../../ir/builder.js";
import type { Instr } from "../../ir/types.js";
import * as fwd from "./forward-sweep.js";
import * as bwd from "./backward-sweep.js";
import { LOOPS } from "./loops.js";
import type { Dispatch, Sweeper } from "./sweeper.js";

function forwardInstr(s: Sweeper, b: Builder, i: Instr, depth: number): void {
  switch (i.k) {
    case "set": return fwd.forwardSet(s, b, i);
    case "store": return fwd.forwardStore(s, b, i);
    case "alloc": return fwd.forwardAlloc(s, b, i, depth);
    case "ref": return fwd.forwardRef(s, b, i);
    case "pushref": return fwd.forwardPushref(s, b, i);
    case "popref": return fwd.forwardPopref(s, b, i);
    case "fill": return fwd.forwardFill(s, b, i);
    case "call": return fwd.forwardCall(s, b, i);
    case "if": return fwd.forwardIf(s, b, i, depth);
    case "for": return LOOPS[s.plan.loops.get(i)!.kind].forward(s, b, i, depth);
    case "while": return fwd.forwardWhile(s, b, i, depth);
    default: b.emit(i);
  }
}

function backwardInstr(s: Sweeper, b: Builder, i: Instr, depth: number): void {
  switch (i.k) {
    case "set": return bwd.backwardSet(s, b, i);
    case "store": return bwd.backwardStore(s, b, i);
    case "alloc": return bwd.backwardAlloc(s, b, i, depth);
    case "ref": return bwd.backwardRef(s, b, i);
    case "popref": return bwd.backwardPopref(s, b, i);
    case "fill": return bwd.backwardFill(s, b, i);
    case "if": return bwd.backwardIf(s, b, i, depth);
    case "for": return LOOPS[s.plan.loops.get(i)!.kind].backward(s, b, i, depth);
    case "while": return bwd.backwardWhile(s, b, i, depth);
    case "call": return bwd.backwardCall(s, b, i);
    default: return bwd.propagate(s, b, i);
  }
}

export const SWEEPS: Dispatch = { forwardInstr, backwardInstr };
