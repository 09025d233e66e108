// Reverse mode: Func -> Func. planReverse (plan.ts) decides what is active, saved,
// recomputed and how each loop is reversed; the sweeper (sweeper.ts, with the handlers
// sweeps.ts names per instruction) then builds a forward sweep (the original code,
// saving what it overwrites that the backward sweep will read, and recording the
// control flow taken) and a backward sweep that visits the instructions in reverse,
// restoring saved values, recomputing the temps the rules need and accumulating
// adjoints. Tape push/pop are IR instructions, so the output can be transformed again.
import { Builder, type Ids } from "../../ir/builder.js";
import { isArrayType, walk, type Block, type Func, type Temp, type Var } from "../../ir/types.js";
import { normalize } from "../normalize.js";
import { fuseTopLoop } from "../fuse.js";
import type { CheckpointSpec } from "../../request.js";
import { planReverse } from "./plan.js";
import { adjointLoc, Sweeper } from "./sweeper.js";
import { SWEEPS } from "./sweeps.js";

export interface ReverseOptions {
  /**
   * Take the result's cotangent as a parameter (vector-Jacobian products); without
   * it the result's adjoint starts at 1 (gradients of scalar functions).
   */
  cotangent?: boolean;
  /** Schedule for loops marked `// @checkpoint` (see checkpoint.ts). */
  checkpoint?: CheckpointSpec;
}

export function reverse(f: Func, wrt: Var[], ids: Ids, opts: ReverseOptions = {}): Func {
  const input = keepPoppedValues(f, ids);
  const plan = planReverse(input, wrt, opts.checkpoint);
  // Values the plan saves would keep a top-level loop's two sweeps apart; where nothing
  // else is saved, the loop fused, computing each value once, is better.
  if (plan.saves.size === 0 && plan.taped.size > 0) {
    const fused = assemble(new Sweeper({ ...plan, taped: new Map() }, ids, SWEEPS), opts, true);
    if (fused) return fused;
  }
  return assemble(new Sweeper(plan, ids, SWEEPS), opts)!;
}

/**
 * Derivative code as input (reverse over reverse): a popped value cannot be
 * recomputed, so it goes to a variable, which the forward sweep saves like any other.
 */
function keepPoppedValues(f: Func, ids: Ids): Func {
  const popped: Temp[] = [];
  walk(f.body, (i) => { if (i.k === "pop") popped.push(i.dst); });
  return popped.length ? normalize(f, ids, popped) : f;
}

/** Both sweeps of each top-level instruction, the seed between them, and the adjoints' initial values before (undefined: `fusedOnly` and no loop fused). */
function assemble(s: Sweeper, opts: ReverseOptions, fusedOnly = false): Func | undefined {
  const f = s.plan.f;
  const top = f.body;
  const b = new Builder(s.ids);
  const forward = top.map((i) => b.nested((fb) => {
    fb.loc = i.loc;
    SWEEPS.forwardInstr(s, fb, i, 0);
  }));
  const cotangent = opts.cotangent || isArrayType(f.result.type) ? s.newVar("cotangent", f.result.type) : undefined;
  if (cotangent) cotangent.cotangentOf = f.result;
  const final = finalResult(s);
  const seed = [...final.keep, ...b.nested((sb) => seedAdjoint(s, sb, cotangent))];
  const backward: Block[] = [];
  for (let k = top.length - 1; k >= 0; k--) {
    backward[k] = b.nested((bb) => {
      const loc = top[k].loc;
      bb.loc = loc && adjointLoc(loc);
      SWEEPS.backwardInstr(s, bb, top[k], 0);
    });
  }
  const fused = fuseTopLoop({ forward, backward, seed }, {
    adjoints: new Set([...s.adjVars.values()].map((v) => v.id)),
    recomputed: new Set(s.plan.recompute.keys()),
    backwardIndex: (loop) => s.renamed.get(loop.index.id),
  });
  if (!fused && fusedOnly) return undefined;
  const sweeps = fused ?? [...forward.flat(), ...seed, ...backward.slice().reverse().flat()];
  const outputs: Var[] = [];
  const outParams: Var[] = [];
  const prelude = b.nested((pb) => {
    for (const p of s.plan.wrt) {
      const bar = s.adjoint(p);
      bar.adjointOf = p;
      if (isArrayType(p.type)) {
        outParams.push(bar);
        pb.emit({ k: "fill", arr: bar, src: pb.num(0) });
      } else {
        outputs.push(bar);
      }
    }
    for (const bar of s.adjVars.values()) {
      if (!isArrayType(bar.type) && bar.type === "num") pb.set(bar, pb.num(0));
    }
  });
  return {
    name: `${f.name}_grad`,
    params: [...f.params, ...(cotangent ? [cotangent] : []), ...outParams],
    body: [...prelude, ...sweeps],
    result: final.result,
    outputs,
  };
}

/**
 * A returned array the function reassigns: the backward sweep restores the references,
 * so the one returned is kept as the forward sweep leaves it.
 */
function finalResult(s: Sweeper): { keep: Block; result: Var } {
  const result = s.plan.f.result;
  let reassigned = false;
  walk(s.plan.f.body, (i) => { if (i.k === "ref" && i.v === result) reassigned = true; });
  if (!reassigned) return { keep: [], result };
  const final = s.newVar(`${result.name}_final`, result.type);
  return { keep: [{ k: "ref", v: final, from: result }], result: final };
}

/** The result's adjoint: 1, or the cotangent (added element by element for an array result). */
function seedAdjoint(s: Sweeper, b: Builder, cotangent: Var | undefined): void {
  const result = s.plan.f.result;
  if (!s.activeVar(result)) return;
  const bar = s.adjoint(result);
  if (!cotangent) return b.set(bar, b.num(1));
  if (!isArrayType(result.type)) return b.set(bar, b.get(cotangent));
  s.forEachElement(b, bar, false, (ib, j) => ib.store(bar, j, ib.op("add", ib.load(bar, j), ib.load(cotangent, j))));
}
