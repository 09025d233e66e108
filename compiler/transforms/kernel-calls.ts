// What the transforms need to know about a kernel call: its record, which operands
// are differentiable, what its VJP rule reads, and the context its rules run in.
import { Builder } from "../ir/builder.js";
import { kernelDef, operandIndex, type KernelDef, type RuleCtx } from "../ops/kernels/index.js";
import { walk, varsOf, type Call, type Instr, type Temp, type Var } from "../ir/types.js";


export function kernelOf(i: Call): KernelDef {
  const def = kernelDef(i.kernel);
  if (!def) throw new Error(`gradc internal error: no kernel record '${i.kernel}'`);
  return def;
}

/** The call's operand for parameter `name`. */
export function operand(i: Call, name: string): Var | Temp {
  const { list, index } = operandIndex(kernelOf(i), name);
  return list === "ins" ? i.ins[index] : i.args[index];
}

/** Differentiable operands, by parameter name: array inputs and number inputs. */
export function diffOperands(i: Call): { arrays: [string, Var][]; nums: [string, Temp][] } {
  const def = kernelOf(i);
  const arrays: [string, Var][] = [];
  const nums: [string, Temp][] = [];
  for (const name of def.diff) {
    const o = operand(i, name);
    if ("name" in o) arrays.push([name, o]);
    else nums.push([name, o]);
  }
  return { arrays, nums };
}

/**
 * Whether the call writes over exactly its record's `inPlace` input (`relu(h, h, n)`):
 * then its rules can write that input's adjoint or tangent over the output's.
 */
export function inPlaceByRule(i: Call): boolean {
  const name = kernelOf(i).inPlace;
  return !!i.out && !i.accumulate && name !== undefined && operand(i, name) === i.out && i.ins.filter((v) => v === i.out).length === 1;
}

/** Names of the differentiable operands that are active. */
export function activeCallInputs(i: Call, act: { vars: Set<number>; temps: Set<number> }): Set<string> {
  const { arrays, nums } = diffOperands(i);
  return new Set([
    ...arrays.filter(([, v]) => act.vars.has(v.id)).map(([n]) => n),
    ...nums.filter(([, t]) => act.temps.has(t.id)).map(([n]) => n),
  ]);
}

/** Compile-time constants among a call's number operands (from their definitions). */
export function constantOf(defs: Map<number, Instr>, t: Temp): number | boolean | undefined {
  const d = defs.get(t.id);
  return d?.k === "const" ? d.value : undefined;
}

/** Base of a rule context: operands by name; the rest is filled in by each transform. */
export function baseCtx(b: Builder, i: Call, defs: Map<number, Instr>, num: (t: Temp) => Temp): RuleCtx {
  const def = kernelOf(i);
  return {
    b, call: i, def,
    arr: (name) => operand(i, name) as Var,
    num: (name) => num(operand(i, name) as Temp),
    out: () => {
      if (!i.out) throw new Error(`gradc internal error: kernel ${i.kernel} has no out`);
      return i.out;
    },
    constant: (name) => constantOf(defs, operand(i, name) as Temp),
    bar: () => undefined,
    activeNum: () => false,
    addNum: () => undefined,
    dot: () => undefined,
    dotNum: () => undefined,
  };
}

/**
 * The primal arrays the VJP rule reads, for the active inputs `active` (found by
 * running the rule on stand-in adjoints): the inputs it reads, and whether it reads
 * `out` (the result).
 */
export function vjpReads(i: Call, defs: Map<number, Instr>, active: Set<string>): { ins: Var[]; out: boolean } {
  const def = kernelOf(i);
  const b = new Builder({ next: 1e9 });
  const standIns = new Map<Var, Var>();
  const stand = (v: Var) => standIns.get(v) ?? (standIns.set(v, { id: b.ids.next++, name: v.name, type: v.type }), standIns.get(v)!);
  const outStand = i.out && { id: b.ids.next++, name: "out", type: i.out.type };
  const ctx = baseCtx(b, i, defs, (t) => t);
  ctx.arr = (name) => stand(operand(i, name) as Var);
  ctx.out = () => outStand!;
  ctx.g = i.out && { id: b.ids.next++, name: "g", type: i.out.type };
  ctx.gs = i.dst && b.temp("num");
  ctx.bar = (name) => (active.has(name) ? b.newVar("bar", (operand(i, name) as Var).type) : undefined);
  ctx.activeNum = (name) => active.has(name);
  def.vjp?.(ctx);
  const used = new Set<Var>();
  walk(b.block, (x) => { for (const v of varsOf(x)) used.add(v); });
  return {
    ins: [...standIns].filter(([, s]) => used.has(s)).map(([v]) => v),
    out: !!outStand && used.has(outStand),
  };
}
