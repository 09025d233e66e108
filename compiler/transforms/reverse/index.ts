// Reverse mode: Func -> Func. The result runs a forward sweep (the original code,
// saving what it overwrites that the backward sweep will read, and recording the
// control flow taken) and then a backward sweep that visits the instructions in
// reverse, restoring saved values, recomputing the temps the rules need and
// accumulating adjoints. Tape push/pop are IR instructions, so the output can be
// transformed again.
import type { Ids } from "../../ir/builder.js";
import { isArrayType, walk, type Block, type Func, type Temp, type Var } from "../../ir/types.js";
import { normalize } from "../normalize.js";
import { fuseTopLoop } from "../fuse.js";
import { CheckpointSweep } from "./checkpoint.js";
import type { CheckpointSpec } from "../../request.js";

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
  return new Reverser(keepPoppedValues(f, ids), wrt, ids, opts.checkpoint).run(opts);
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

class Reverser extends CheckpointSweep {
  run(opts: ReverseOptions): Func {
    const top = this.f.body;
    const forward = top.map((i) => this.sweep(() => {
      this.b.loc = i.loc;
      this.forwardInstr(i, 0);
    }));
    const cotangent = opts.cotangent || isArrayType(this.f.result.type) ? this.b.newVar("cotangent", this.f.result.type) : undefined;
    if (cotangent) cotangent.cotangentOf = this.f.result;
    const final = this.finalResult();
    const seed = [...final.keep, ...this.sweep(() => this.seed(cotangent))];
    const backward: Block[] = [];
    for (let k = top.length - 1; k >= 0; k--) {
      backward[k] = this.sweep(() => {
        const loc = top[k].loc;
        this.b.loc = loc && { ...loc, adjoint: true };
        this.backwardInstr(top[k], 0);
      });
    }
    const sweeps = fuseTopLoop({ forward, backward, seed }, {
      adjoints: new Set([...this.adjVars.values()].map((v) => v.id)),
      recomputed: new Set(this.recompute.keys()),
      backwardIndex: (loop) => this.renamed.get(loop.index.id),
    }) ?? [...forward.flat(), ...seed, ...backward.slice().reverse().flat()];
    const outputs: Var[] = [];
    const outParams: Var[] = [];
    const prelude = this.sweep(() => {
      for (const p of this.wrt) {
        const bar = this.adjoint(p);
        bar.adjointOf = p;
        if (isArrayType(p.type)) {
          outParams.push(bar);
          this.b.emit({ k: "fill", arr: bar, src: this.b.num(0) });
        } else {
          outputs.push(bar);
        }
      }
      for (const bar of this.adjVars.values()) {
        if (!isArrayType(bar.type) && bar.type === "num") this.b.set(bar, this.b.num(0));
      }
    });
    return {
      name: `${this.f.name}_grad`,
      params: [...this.f.params, ...(cotangent ? [cotangent] : []), ...outParams],
      body: [...prelude, ...sweeps],
      result: final.result,
      outputs,
    };
  }

  /**
   * A returned array the function reassigns: the backward sweep restores the references,
   * so the one returned is kept as the forward sweep leaves it.
   */
  private finalResult(): { keep: Block; result: Var } {
    const result = this.f.result;
    let reassigned = false;
    walk(this.f.body, (i) => { if (i.k === "ref" && i.v === result) reassigned = true; });
    if (!reassigned) return { keep: [], result };
    const final = this.b.newVar(`${result.name}_final`, result.type);
    return { keep: [{ k: "ref", v: final, from: result }], result: final };
  }

  /** The result's adjoint: 1, or the cotangent (added element by element for an array result). */
  private seed(cotangent: Var | undefined): void {
    const b = this.b;
    const result = this.f.result;
    if (!this.activeVar(result)) return;
    const bar = this.adjoint(result);
    if (!cotangent) return b.set(bar, b.num(1));
    if (!isArrayType(result.type)) return b.set(bar, b.get(cotangent));
    this.forEachElement(bar, false, (j) => this.b.store(bar, j, this.b.op("add", this.b.load(bar, j), this.b.load(cotangent, j))));
  }
}
