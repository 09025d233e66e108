// Activity analysis: a value is active when it depends on a wrt input (varied) and
// the result depends on it (useful). Only active values get adjoints. Flow-insensitive
// over the whole function: vars and arrays are locations, temps are values.
import { opDef } from "../ops/table.js";
import { hasDst, usedTemps, varsOf, walk, type Call, type Func, type Instr, type Var } from "../ir/types.js";
import { diffOperands } from "./kernel-calls.js";
import { appendOnce } from "../ir/id-table.js";

export interface Activity {
  temps: Set<number>;
  vars: Set<number>;
}

/** Differentiable arguments of an op: those with a partial (not piecewise-constant ops, not booleans). */
export function diffArgs(op: string): boolean[] {
  const def = opDef(op);
  return def.args.map((t) => t === "num" && !!def.partials);
}

/** Pseudo-locations: each value tape, and the array-reference tapes. */
export const tapeLocation = (tape: number) => -10 - tape;
const REFS = -2;

/** Whether references on the array-reference tapes carry derivatives (reverse over derivative code). */
export const refsActive = (a: Activity) => a.vars.has(REFS);

/**
 * `outputs`: vars besides the result whose final values are wanted (default: none;
 * forward mode over derivative code asks for its adjoint outputs too).
 */
export function analyzeActivity(f: Func, wrt: Var[], outputs: Var[] = []): Activity {
  const instrs: Instr[] = [];
  walk(f.body, (i) => instrs.push(i));
  const facts = new Watchers(instrs);
  const varied = facts.solve(forwardStep, wrt.map((v) => v.id));
  const useful = facts.solve(backwardStep, [f.result.id, ...outputs.map((v) => v.id)]);
  return {
    temps: intersect(varied.temps, useful.temps),
    vars: intersect(varied.vars, useful.vars),
  };
}

/**
 * Which instructions' steps look at each temp and location, so that a fact found
 * re-runs only the steps it may change (a worklist) instead of sweeping every
 * instruction until nothing changes, which takes as many sweeps as the longest chain
 * of facts running against program order. Same least fixpoint, linear in practice.
 */
class Watchers {
  private readonly byTemp = new Map<number, number[]>();
  private readonly byLoc = new Map<number, number[]>();

  constructor(private readonly instrs: Instr[]) {
    instrs.forEach((i, n) => {
      for (const t of usedTemps(i)) appendOnce(this.byTemp, t.id, n);
      if (hasDst(i)) appendOnce(this.byTemp, i.dst.id, n);
      for (const v of varsOf(i)) appendOnce(this.byLoc, v.id, n);
      if ("tape" in i) appendOnce(this.byLoc, tapeLocation(i.tape), n);
      if (i.k === "pushref" || i.k === "popref") appendOnce(this.byLoc, REFS, n);
    });
  }

  /** The facts `step` derives from the locations `seeds`, each step run first in program order. */
  solve(step: (i: Instr, a: Activity) => boolean, seeds: number[]): Activity {
    const work: number[] = [];
    const queued = new Uint8Array(this.instrs.length);
    const wake = (lists: Map<number, number[]>) => (id: number) => {
      for (const n of lists.get(id) ?? []) if (!queued[n]) { queued[n] = 1; work.push(n); }
    };
    const a: Activity = { temps: new WatchedSet(wake(this.byTemp)), vars: new WatchedSet(wake(this.byLoc)) };
    for (const id of seeds) a.vars.add(id);
    for (let n = this.instrs.length - 1; n >= 0; n--) { queued[n] = 1; work.push(n); }
    while (work.length) {
      const n = work.pop()!;
      queued[n] = 0;
      step(this.instrs[n], a);
    }
    return a;
  }
}

/** A set that tells `onAdd` of each new member. */
class WatchedSet extends Set<number> {
  constructor(private readonly onAdd: (id: number) => void) {
    super();
  }

  override add(id: number): this {
    if (!this.has(id)) {
      super.add(id);
      this.onAdd(id);
    }
    return this;
  }
}

export function fixpoint(step: () => boolean): void {
  while (step());
}

const add = (s: Set<number>, id: number) => (s.has(id) ? false : (s.add(id), true));

function forwardStep(i: Instr, a: Activity): boolean {
  switch (i.k) {
    case "op": {
      const d = diffArgs(i.op);
      return i.args.some((x, k) => d[k] && a.temps.has(x.id)) && add(a.temps, i.dst.id);
    }
    case "get": return a.vars.has(i.v.id) && add(a.temps, i.dst.id);
    case "load": return a.vars.has(i.arr.id) && add(a.temps, i.dst.id);
    case "set": return a.temps.has(i.src.id) && add(a.vars, i.v.id);
    case "store": case "fill": return a.temps.has(i.src.id) && add(a.vars, i.arr.id);
    case "alloc": return !!i.copyOf && a.vars.has(i.copyOf.id) && add(a.vars, i.v.id);
    case "ref": return sameActivity(i, a);
    case "push": return a.temps.has(i.src.id) && add(a.vars, tapeLocation(i.tape));
    case "pop": return a.vars.has(tapeLocation(i.tape)) && add(a.temps, i.dst.id);
    case "pushref": return a.vars.has(i.v.id) && add(a.vars, REFS);
    case "popref": return a.vars.has(REFS) && add(a.vars, i.v.id);
    case "call": return forwardCall(i, a);
    default: return false;
  }
}

/** A kernel's results are varied when a differentiable input is (or, accumulating, `out` was). */
function forwardCall(i: Call, a: Activity): boolean {
  const { arrays, nums } = diffOperands(i);
  const varied = arrays.some(([, v]) => a.vars.has(v.id)) || nums.some(([, t]) => a.temps.has(t.id))
    || (!!i.accumulate && !!i.out && a.vars.has(i.out.id));
  if (!varied) return false;
  let changed = false;
  if (i.out) changed = add(a.vars, i.out.id) || changed;
  if (i.dst) changed = add(a.temps, i.dst.id) || changed;
  return changed;
}

/** A kernel's differentiable inputs are useful when a result is. */
function backwardCall(i: Call, a: Activity): boolean {
  const useful = (!!i.out && a.vars.has(i.out.id)) || (!!i.dst && a.temps.has(i.dst.id));
  if (!useful) return false;
  const { arrays, nums } = diffOperands(i);
  let changed = false;
  for (const [, v] of arrays) changed = add(a.vars, v.id) || changed;
  for (const [, t] of nums) changed = add(a.temps, t.id) || changed;
  return changed;
}

function backwardStep(i: Instr, a: Activity): boolean {
  switch (i.k) {
    case "op": {
      if (!a.temps.has(i.dst.id)) return false;
      const d = diffArgs(i.op);
      let changed = false;
      i.args.forEach((x, k) => { if (d[k]) changed = add(a.temps, x.id) || changed; });
      return changed;
    }
    case "get": return a.temps.has(i.dst.id) && add(a.vars, i.v.id);
    case "load": return a.temps.has(i.dst.id) && add(a.vars, i.arr.id);
    case "set": return a.vars.has(i.v.id) && add(a.temps, i.src.id);
    case "store": case "fill": return a.vars.has(i.arr.id) && add(a.temps, i.src.id);
    case "alloc": return !!i.copyOf && a.vars.has(i.v.id) && add(a.vars, i.copyOf.id);
    case "ref": return sameActivity(i, a);
    case "pop": return a.temps.has(i.dst.id) && add(a.vars, tapeLocation(i.tape));
    case "push": return a.vars.has(tapeLocation(i.tape)) && add(a.temps, i.src.id);
    case "popref": return a.vars.has(i.v.id) && add(a.vars, REFS);
    case "pushref": return a.vars.has(REFS) && add(a.vars, i.v.id);
    case "call": return backwardCall(i, a);
    default: return false;
  }
}

/**
 * `v = from`: both names are varied (and useful) together, so both have derivative
 * arrays or neither does, and the derivative references can follow the primal ones.
 */
function sameActivity(i: Extract<Instr, { k: "ref" }>, a: Activity): boolean {
  if (a.vars.has(i.v.id)) return add(a.vars, i.from.id);
  return a.vars.has(i.from.id) && add(a.vars, i.v.id);
}

function intersect(a: Set<number>, b: Set<number>): Set<number> {
  return new Set([...a].filter((x) => b.has(x)));
}
