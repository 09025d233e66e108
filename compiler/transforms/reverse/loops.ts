// How each loop strategy of the plan (plan.ts) is swept: one record per strategy, its
// forward handler (what the forward sweep emits for the loop) and its backward handler.
import type { Builder } from "../../ir/builder.js";
import type { For } from "../../ir/types.js";
import { backwardRecorded, backwardRecomputedBounds } from "./backward-sweep.js";
import { backwardCheckpointCall, backwardRevolve, backwardSqrt, forwardCheckpointCall, forwardRevolve, forwardSqrt } from "./checkpoint.js";
import { forwardRecorded, forwardRecomputedBounds } from "./forward-sweep.js";
import type { LoopStrategy } from "./plan.js";
import type { Sweeper } from "./sweeper.js";
import { backwardSelection, forwardSelection } from "./selection.js";

type LoopHandler = (s: Sweeper, b: Builder, loop: For, depth: number) => void;

export const LOOPS: Record<LoopStrategy["kind"], { forward: LoopHandler; backward: LoopHandler }> = {
  recorded: { forward: forwardRecorded, backward: backwardRecorded },
  recomputedBounds: { forward: forwardRecomputedBounds, backward: backwardRecomputedBounds },
  sqrt: { forward: forwardSqrt, backward: backwardSqrt },
  revolve: { forward: forwardRevolve, backward: backwardRevolve },
  call: { forward: forwardCheckpointCall, backward: backwardCheckpointCall },
  selection: { forward: forwardSelection, backward: backwardSelection },
};
