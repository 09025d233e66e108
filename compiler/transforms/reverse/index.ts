// Reverse mode: Func -> Func. The result runs a forward sweep (the original code,
// saving what it overwrites that the backward sweep will read, and recording the
// control flow taken) and then a backward sweep that visits the instructions in
// reverse, restoring saved values, recomputing the temps the rules need and
// accumulating adjoints. Tape push/pop are IR instructions, so the output can be
// transformed again.
import type { Ids } from "../../ir/builder.js";
import { isArrayType, type Block, type Func, type Var } from "../../ir/types.js";
import { fuseTopLoop } from "../fuse.js";
import { BackwardSweep } from "./backward-sweep.js";

export function reverse(f: Func, wrt: Var[], ids: Ids): Func {
  return new Reverser(f, wrt, ids).run();
}

class Reverser extends BackwardSweep {
  run(): Func {
    const top = this.f.body;
    const forward = top.map((i) => this.sweep(() => {
      this.b.loc = i.loc;
      this.forwardInstr(i, 0);
    }));
    const seed = this.sweep(() => this.b.set(this.adjoint(this.f.result), this.b.num(1)));
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
      params: [...this.f.params, ...outParams],
      body: [...prelude, ...sweeps],
      result: this.f.result,
      outputs,
    };
  }
}
