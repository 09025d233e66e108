// Checks the IR's invariants: after every pass in tests and the fuzzer, after the last otherwise.
import { printFunc } from "./print.js";
import { Effects } from "./effects.js";
import { hasDst, isArrayType, isPure, usedTemps, walk, type Block, type Func, type Instr, type Temp } from "./types.js";

export class IRError extends Error {}

/**
 * Every temp is defined once, before its uses, in the block that uses it; types
 * match; array instructions act on arrays. See VerifyOptions.fresh for the stronger rule.
 */
export interface VerifyOptions {
  /**
   * Also require that no temp is used after an effect that may change what it read
   * (true of front-end output after normalize; derivative code only keeps the weaker
   * rule that temps stay in their block).
   */
  fresh?: boolean;
}

/**
 * Whether every pass's output is verified, not only the last (GRADC_VERIFY=1: the
 * tests and the fuzzer set it, to find the pass that broke an invariant).
 */
const everyPass = typeof process !== "undefined" && process.env?.GRADC_VERIFY === "1";

/** `f`, verified when every pass is (see everyPass); the last pass's output is always verified. */
export function verifyPass(f: Func, opts: VerifyOptions = {}): Func {
  return everyPass ? verify(f, opts) : f;
}

export function verify(f: Func, opts: VerifyOptions = {}): Func {
  // Maps, not id-indexed tables: an outlined piece holds few ids, some of them large.
  const defined = new Set<number>();
  // Where each temp is defined: the serial number of its block and its position there.
  const defBlock = new Map<number, number>();
  const defAt = new Map<number, number>();
  let blocks = 0;
  const defs = new Map<number, Instr>();
  if (opts.fresh) walk(f.body, (i) => { if (hasDst(i)) defs.set(i.dst.id, i); });
  const effects = new Effects(defs);
  const fail = (msg: string): never => {
    throw new IRError(`IR verify failed in ${f.name}: ${msg}\n${printFunc(f)}`);
  };
  const checkBlock = (block: Block) => {
    const serial = blocks++;
    const written = new Map<number, number>(); // location -> position of its last write so far
    for (let at = 0; at < block.length; at++) {
      const i = block[at];
      for (const u of usedTemps(i)) {
        const def = defBlock.get(u.id) === serial ? defAt.get(u.id) : undefined;
        if (def === undefined) fail(`%${u.id} used outside the block that defines it (${i.k})`);
        else if (opts.fresh && overwrittenSince(effects.readsOf(u), written, def)) fail(`%${u.id} is used after what it read was overwritten (${i.k})`);
      }
      if (opts.fresh) for (const l of effects.written(i)) written.set(l, at);
      checkTypes(i, fail);
      if (hasDst(i)) {
        if (defined.has(i.dst.id)) fail(`%${i.dst.id} defined twice`);
        defined.add(i.dst.id);
        defBlock.set(i.dst.id, serial);
        defAt.set(i.dst.id, at);
      }
      if (i.k === "while") {
        checkBlock(i.test);
        if (!i.test.every(isPure)) fail("while test block has an effect");
        if (!i.test.some((t) => hasDst(t) && t.dst.id === i.cond.id)) fail("while condition not defined by its test block");
        checkBlock(i.body);
      } else if (i.k === "if") {
        checkBlock(i.then);
        checkBlock(i.else);
      } else if (i.k === "for") checkBlock(i.body);
    }
  };
  checkBlock(f.body);
  if (f.result.type === "bool") fail("result is a boolean");
  return f;
}

/** Whether a location in `reads` was written after position `def`. */
function overwrittenSince(reads: ReadonlySet<number>, written: Map<number, number>, def: number): boolean {
  for (const l of reads) if (written.get(l)! > def) return true;
  return false;
}

function checkTypes(i: Instr, fail: (m: string) => never): void {
  const num = (t: Temp, what: string) => t.type === "num" || fail(`${what} of ${i.k} is ${t.type}, not num`);
  switch (i.k) {
    case "set":
      if (i.v.type !== i.src.type) fail(`set ${i.v.name}: ${i.src.type} into ${i.v.type}`);
      break;
    case "load": case "store": case "len": case "fill":
      if (!isArrayType(i.arr.type)) fail(`${i.k} on non-array ${i.arr.name}`);
      if (i.k === "load" || i.k === "store") num(i.idx, "index");
      break;
    case "ref":
      if (!isArrayType(i.v.type) || i.v.type !== i.from.type) fail(`ref ${i.v.name}: ${i.from.type} into ${i.v.type}`);
      break;
    case "if":
      if (i.cond.type !== "bool") fail("if condition is not bool");
      break;
    case "call":
      if (i.out && !isArrayType(i.out.type)) fail(`call ${i.kernel}: out ${i.out.name} is not an array`);
      for (const v of i.ins) if (!isArrayType(v.type)) fail(`call ${i.kernel}: ${v.name} is not an array`);
      break;
    case "for":
      num(i.start, "start");
      num(i.end, "end");
      break;
  }
}
