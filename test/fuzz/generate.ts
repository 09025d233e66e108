// Seeded generator of random, well-formed loss functions as JavaScript source text.
//
// Every program is `loss(x, w, p, q, on)` with x a Float64Array, w a number,
// p = { a: Float64Array, b: number, "s k": number, o: { c: number, v: Float64Array } }
// (a string key and a nested object), and as data never differentiated
// q = { lab: Int32Array, mask: Uint8Array } (labels indexing p's arrays, a 0/1 mask)
// and a boolean `on`. It stays inside the language README.md lists
// as supported: scalar locals reassigned many times (also with nonlinear
// self-updates), element overwrites in loops reading guarded neighbours, nested
// loops with run-time bounds, data-dependent if/else and ternaries, switch (fallthrough,
// labels sharing a clause, default, switch (true)), chained and embedded assignment,
// break/continue/early return in loops, while, do...while, for...of, local arrays
// and .fill, nested helper functions and arrows (with early returns and loops) and
// helpers passed through opts.functions; and with the weights of WEIGHTS: array
// literals and `Array.from`/`new Array(n).fill`/`.map` arrays (plain `number[]`),
// partial views and copies and `.set`, array destructuring, lists of arrays and
// numbers (constant indices, `for…of` and counted loops over them, destructured),
// object literals (nested, spread, string keys, shorthand, function fields) passed to
// helpers, `let` arrays reassigned (recurrences, swapped buffers, copies), derivatives
// taken inside the loss (`grad`, a bound `const d = grad(g)`, `valueAndGrad`, `jvp`,
// `hvp`, `hessian`, `vjp` and its pullback, `grad(grad(g))`, `grad(Math.tanh)`) of
// helpers that read nothing around them, `customJvp`/`customVjp` functions (declared
// in the loss or passed in opts.functions, their rules f's exact derivative) and
// `stopGradient` where its derivative 0 is the true one (conditions, inactive
// values, `stopGradient(e) - stopGradient(e)`); helpers with rest parameters, callback
// parameters and options objects with defaults, helpers returning functions, lists of
// functions called `fs[k](…)` with k known only at run time, logical assignments
// (gen-functions.ts); growing arrays, spread / flat / flatMap, sort and toSorted with
// numeric comparators, for…of over pairs, rows `ls[k][j]` read and written with k known
// only at run time (gen-arrays.ts). scope.ts holds the names in scope and what each
// may be used for.
//
// Values are kept bounded so central differences are reliable: every nonlinear
// function gets an argument in a safe range (log/sqrt/pow of a positive number
// bounded away from 0, division by something >= 0.5, exp of a squashed value),
// scalar self-updates are contractive or squashed, and the few non-smooth
// functions (abs, min, max, floor, ...) never see a tie by construction — a
// random point sits on a kink with probability ~0, and the test's stability check
// skips points that sit within a finite-difference step of a switch.
//
// Indices are always in bounds: every index expression is derived from a loop
// variable known to range over an array of the same length, or is reduced with
// `% a.length` / Math.min, or is a guarded neighbour (`j > 0 ? h[j - 1] : c`).
import * as gradc from "../../index.js";
import { makeRng, type Rng } from "../corpus/rng.js";
import { concatInits, growArray, pairsLoop, pushStmt, rowElement, rowLists, rowWrite, sortedCopy, sortStmt } from "./gen-arrays.js";
import { callbackArg, functionList, logicalAssign, makerStmt, optionsArg, optionsParam } from "./gen-functions.js";
import { child, cmp, emptyScope, shadow, type ArrRef, type FnRef, type FnState, type IdxRef, type IntRef, type ListRef, type Loop, type NumRef, type LambdaParam, type ParamKind, type Scope } from "./scope.js";

/**
 * Relative weights (multipliers of each construct's base weight; 0 leaves it out) of the
 * constructs beyond the core of scalars, loops, branches, typed arrays and helpers.
 */
export const WEIGHTS = {
  /** `const h = [e, e, e]`: a plain array. */
  arrayLiteral: 1,
  /** `new Array(n).fill(v)`, `Array.from(a)`, `Array.from(a, f)`, `Array.from({ length: n }, f)`, `a.map(f)`. */
  arrayFrom: 1,
  /** `a.subarray(a.length >> 1)`, `a.subarray(0, 1)`: views of part of an array. */
  partialView: 1,
  /** `a.slice(-1)`, `a.slice(0, 1)`, `a.slice(a.length >> 1)`. */
  partialCopy: 1,
  /** `h.set(a)`, `h.set(a.subarray(0, 1), i)`. */
  set: 1,
  /** `const [d0, , d2] = h`. */
  destructure: 1,
  /** `const ls = [h, a, e]` and its uses. */
  list: 1,
  /** `const ob = { ...p, b: e, n: { c: e, v: h }, f: (z) => … }` and its uses. */
  objectLiteral: 1,
  /** A local array declared with `let` (a chance per local array, times 0.3). */
  letArray: 1,
  /** `h = next`, swapped buffers, `h = Float64Array.from(a)`. */
  reassignArray: 1,
  /** `grad(g)(…)`, `const d = grad(g)`, valueAndGrad, jvp, hvp, hessian, vjp inside the loss (costly: each plain run of the loss runs them). */
  nestedDerivative: 0.5,
  /** `grad(grad(g))(…)` of a helper with a loop (third-order reverse mode when the loss is differentiated). */
  gradOfGradLoop: 1,
  /** `Array.from(a, f)` of a Float32Array (f32 programs: an Array of doubles, as in JavaScript). */
  arrayFromF32Map: 1,
  /**
   * `hvp(g)(a, b, v)` inside the loss of a helper with two array parameters (H·v with
   * respect to an array g is linear in is zeros as long as it).
   */
  hvpTwoArrays: 1,
  /** customJvp / customVjp functions. */
  customRule: 1,
  /** stopGradient. */
  stopGradient: 1,
  /** `Math.max(...h)`, `Math.min(...h)`. */
  spreadMinMax: 1,
  /** `i >> 1`, `i | 0`, `i ^ 1`, `Math.imul`, `Math.clz32` on indices, `(e | 0)` truncating. */
  integerOps: 1,
  /** `for (let i = 0, j = n - 1; …; i++, j--)`. */
  commaFor: 1,
  /** `let t; if (c) t = e; … t ?? e`. */
  nullish: 1,
  /** `Infinity`, `Number.EPSILON`, `Number.MAX_VALUE`. */
  constants: 1,
  /** `h.reduce`, `reduceRight`, `some`, `every`, `filter(…).length`, `forEach`. */
  callbacks: 1,
  /** `if (x.length > 1000) throw new RangeError("…")` (never taken). */
  throwGuard: 1,
  /** `for (const k of Object.keys(o).sort())` and `.entries()` over an object of numbers. */
  objectKeys: 1,
  /** A helper's last number parameter with a default value, left out in some calls. */
  defaultParam: 1,
  /** A helper's rest parameter, `...zs` of numbers or of arrays (called with at least one). */
  restParam: 1,
  /** A helper's callback parameter, passed an arrow, a Math function or a helper's name at the call site. */
  callbackParam: 1,
  /** `function mk(u) { return (z) => …; }`, `const st = mk(e)` and calls of st. */
  returnsFunction: 1,
  /** `const fs = [(z) => …, Math.sin]` called as `fs[k](e)`, and `ls[k][j]` read and written, with k known only at run time. */
  runtimeIndex: 1,
  /** `for (const [r, c] of [[h, e], [a, e]])`, and of `{ v, c }` objects. */
  pairs: 1,
  /** `const z = []; … z.push(e)` (in loops and branches), then z used as an array. */
  growArray: 1,
  /** `[...a, e, ...b]`, `[h, [e]].flat()`, `h.flatMap(f)`. */
  concat: 1,
  /** `a.toSorted(cmp)`, `Array.from(a).sort(cmp)`, `h.sort(cmp)` with `(a, b) => a - b` or `b - a`. */
  sort: 1,
  /** A helper's options parameter `{ eps = 0.5, scale, where } = {}`, passed some fields or left out. */
  optionsParam: 1,
  /** `t ||= e`, `t &&= e`, `t ??= e`, `c ||= cond`. */
  logicalAssign: 1,
  /** `let m = a[0]; for (…) m = Math.max(m, e)` or `if (e > m) m = e` (min too): a running extreme. */
  runningExtreme: 1,
};
export type Construct = keyof typeof WEIGHTS;

/** The gradc functions a generated program may call, in scope of its text. */
const API = { grad: gradc.grad, valueAndGrad: gradc.valueAndGrad, jvp: gradc.jvp, vjp: gradc.vjp, hvp: gradc.hvp, hessian: gradc.hessian, customJvp: gradc.customJvp, customVjp: gradc.customVjp, stopGradient: gradc.stopGradient };
export const API_NAMES = Object.keys(API) as (keyof typeof API)[];
const API_CALL = new RegExp(`\\b(${API_NAMES.join("|")})\\(`);

/** The differentiable parameters of every generated loss, in order (`wrt` indices 0, 1, 2); q and on follow. */
export const PARAMS = ["x", "w", "p"] as const;

export interface FuzzProgram {
  seed: number;
  /** x is a Float32Array and some local arrays are too (checked with float32 tolerances). */
  f32: boolean;
  /** Source of the loss function, as `f.toString()` gives it. */
  source: string;
  /** Helpers the loss calls by name, passed through opts.functions. */
  helpers: { name: string; source: string }[];
  /** Everything needed to reproduce: the helpers, then the loss. */
  text: string;
  /** The program as a TypeScript module exporting `loss` (generated programs only). */
  tsText?: string;
}

export interface BuiltProgram {
  f: (...args: any[]) => number;
  functions: Record<string, Function>;
}

/** Evaluates the generated text: the helpers are in scope of the loss, as in a module. */
export function buildProgram(prog: FuzzProgram): BuiltProgram {
  const names = prog.helpers.map((h) => h.name);
  const body = `${prog.helpers.map((h) => h.source).join("\n")}\nreturn [${["(" + prog.source + ")", ...names].join(", ")}];`;
  const [f, ...fns] = new Function(...API_NAMES, body)(...Object.values(API)) as [(...args: any[]) => number, ...Function[]];
  const functions: Record<string, Function> = {};
  names.forEach((n, i) => (functions[n] = fns[i]));
  return { f, functions };
}

export interface FuzzParams {
  a: Float64Array;
  b: number;
  "s k": number;
  o: { c: number; v: Float64Array };
}
export interface FuzzData {
  lab: Int32Array;
  mask: Uint8Array;
}
export type FuzzArgs = [Float64Array | Float32Array, number, FuzzParams, FuzzData, boolean];

/**
 * A random point: x of length 1..5 (a Float32Array for f32 programs), p.a and p.o.v
 * of length 1..4, entries and scalars in [-1, 1]; q.lab and q.mask as long as x,
 * labels in 0..p.a.length-1, mask entries 0 or 1.
 */
export function makeArgs(rng: Rng, f32 = false): FuzzArgs {
  const n = rng.int(1, 5);
  const x = f32 ? rng.f32(n, -1, 1) : rng.f64(n, -1, 1);
  const w = rng.uniform(-1, 1);
  const m = rng.int(1, 4);
  const p = { a: rng.f64(m, -1, 1), b: rng.uniform(-1, 1), "s k": rng.uniform(-1, 1), o: { c: rng.uniform(-1, 1), v: rng.f64(m, -1, 1) } };
  const q = { lab: Int32Array.from({ length: n }, () => rng.int(0, m - 1)), mask: Uint8Array.from({ length: n }, () => rng.int(0, 1)) };
  return [x, w, p, q, rng.next() < 0.5];
}

export interface GenOptions {
  /** Rough number of statements in the loss body (default: random 6..18). */
  size?: number;
  /**
   * Constructs to leave out, to hunt for other bugs while known ones are open:
   * "fill-param" (.fill on a parameter array), "ternary-in-logical" (a ternary
   * on the right of && / ||), "call-in-logical" (a helper call there), "hypot3"
   * (Math.hypot with three arguments), "index-reads-array" (an element write whose
   * index reads the array written).
   */
  avoid?: string[];
  /** x is a Float32Array, and some local arrays are Float32Array. */
  f32?: boolean;
  /** Weights of constructs, overriding WEIGHTS. */
  weights?: Partial<Record<Construct, number>>;
}

export class Gen {
  counter = 0;
  fuel = 0;
  fn: FnState = { loops: [], isMain: true };
  blockDepth = 0;
  /** > 0 while generating an expression in which helper calls are not allowed. */
  noCalls = 0;
  /** > 0 while generating an expression in which ternaries are not allowed. */
  noTernary = 0;
  noIndexTernary = 0;
  lossIsArrow = false;
  /** Helpers being generated around the current point. */
  helperDepth = 0;
  readonly helpers: { name: string; source: string }[] = [];
  /** Object literals with a function field (a function cannot be passed to a derivative). */
  readonly withFunctions = new Set<string>();
  /** Parameter lists (see signature()). */
  readonly sigs: { js: string; ts: string }[] = [];

  constructor(readonly rng: Rng, readonly opts: GenOptions) {}

  avoids(feature: string): boolean {
    return this.opts.avoid?.includes(feature) ?? false;
  }
  /** `base` times the weight of `c`. */
  w(c: Construct, base = 1): number {
    return base * (this.opts.weights?.[c] ?? WEIGHTS[c]);
  }

  // --- small random helpers ---------------------------------------------------

  chance(p: number): boolean {
    return this.rng.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rng.next() * xs.length)];
  }
  /** Picks among [weight, thunk] pairs with positive weight. */
  choose<T>(options: [number, () => T][]): T {
    const live = options.filter(([w]) => w > 0);
    let total = 0;
    for (const [w] of live) total += w;
    let r = this.rng.next() * total;
    for (const [w, f] of live) {
      r -= w;
      if (r < 0) return f();
    }
    return live[live.length - 1][1]();
  }
  fresh(prefix: string): string {
    return `${prefix}${this.counter++}`;
  }
  /**
   * The name of a new declaration in `sc`: fresh, or sometimes an outer name it then
   * shadows (a scalar, array, index or flag of an enclosing block, even a parameter),
   * never one that its initialiser `init` reads.
   */
  declName(sc: Scope, prefix: string, init: string): string {
    if (sc.atStart && this.chance(0.15)) {
      const names = [
        ...sc.nums.map((v) => v.name),
        ...sc.arrs.map((v) => v.name),
        ...sc.idxs.filter((v) => !v.pinned).map((v) => v.name),
        ...sc.bools.map((v) => v.name),
      ].filter((n) =>
        /^[A-Za-z_$][\w$]*$/.test(n) && !sc.declared.has(n) && !sc.fns.some((f) => f.name === n) && n !== this.fn.retArr &&
        // the initialiser would read the new, uninitialised binding
        !new RegExp(`\\b${n}\\b`).test(init));
      if (names.length) {
        const name = this.pick(names);
        shadow(sc, name);
        sc.declared.add(name);
        return name;
      }
    }
    const name = this.fresh(prefix);
    sc.declared.add(name);
    return name;
  }
  /** A literal with 2 decimals in [lo, hi], never 0. */
  lit(lo = 0.1, hi = 1.5): string {
    const v = Math.round(this.rng.uniform(lo, hi) * 100) / 100;
    return (v === 0 ? 0.25 : v).toFixed(2);
  }
  signedLit(): string {
    const v = this.lit();
    return this.chance(0.3) ? `(-${v})` : v;
  }

  // --- index expressions --------------------------------------------------------

  /** An in-bounds index expression for `arr`. */
  index(sc: Scope, arr: ArrRef): string {
    const same = sc.idxs.filter((i) => i.len === arr.len);
    const any = sc.idxs;
    const len = `${arr.name}.length`;
    const labels = sc.ints.filter((l) => l.values === arr.len);
    return this.choose<string>([
      [same.length ? 8 : 0, () => this.pick(same).name],
      [labels.length ? 2 : 0, () => { const l = this.pick(labels); return `${l.name}[${this.intIndex(sc, l)}]`; }],
      [same.length ? 1 : 0, () => `${len} - 1 - ${this.pick(same).name}`],
      [same.some((i) => i.ge1) ? 2 : 0, () => `${this.pick(same.filter((i) => i.ge1)).name} - 1`],
      [any.length ? 2 : 0, () => `${this.pick(any).name} % ${len}`],
      [any.length ? 1 : 0, () => `(${this.pick(any).name} + ${this.rng.int(1, 3)}) % ${len}`],
      [any.length ? 1 : 0, () => `Math.min(${this.pick(any).name}, ${len} - 1)`],
      [any.length >= 2 ? 1 : 0, () => `(${this.pick(any).name} + ${this.pick(any).name}) % ${len}`],
      [1, () => "0"],
      [same.length ? this.w("integerOps", 0.5) : 0, () => `${this.pick(same).name} >> 1`],
      [same.length ? this.w("integerOps", 0.3) : 0, () => `(${this.pick(same).name} | 0)`],
      [any.length ? this.w("integerOps", 0.3) : 0, () => `Math.imul(${this.pick(any).name}, ${this.rng.int(2, 3)}) % ${len}`],
      [1, () => `${len} - 1`],
      [this.noTernary || this.noIndexTernary ? 0 : 0.8, () => {
        this.noIndexTernary++;
        try {
          return `${this.cond(sc, 0)} ? ${this.index(sc, arr)} : ${this.index(sc, arr)}`;
        } finally {
          this.noIndexTernary--;
        }
      }],
    ]);
  }

  /** An index into integer array `l`: a loop index of its length class, or 0. */
  intIndex(sc: Scope, l: IntRef): string {
    const same = sc.idxs.filter((i) => i.len === l.len);
    return same.length && this.chance(0.8) ? this.pick(same).name : "0";
  }

  /** An index below `len` (a list's length) known only at run time, as a rule: from a loop counter, the data, a flag. */
  runtimeIndex(sc: Scope, len: string): string {
    return this.choose<string>([
      [sc.idxs.length ? 3 : 0, () => `${this.pick(sc.idxs).name} % ${len}`],
      [sc.ints.length ? 2 : 0, () => { const l = this.pick(sc.ints); return `${l.name}[${this.intIndex(sc, l)}] % ${len}`; }],
      [sc.bools.length ? 1 : 0, () => `${this.pick(sc.bools).name} ? ${len} - 1 : 0`],
      [sc.idxs.length ? 1 : 0, () => `Math.min(${this.pick(sc.idxs).name}, ${len} - 1)`],
      [0.5, () => `${len} - 1`],
    ]);
  }

  /** The index of an element write (its data-dependent choice may read any array). */
  targetIndex(sc: Scope, arr: ArrRef): string {
    if (!this.avoids("index-reads-array") && !this.noTernary && this.chance(0.1)) {
      // the element to write chosen by comparing elements of the same array (argmax-like)
      const same = sc.idxs.filter((i) => i.len === arr.len).map((i) => i.name);
      const cands = [...same, "0", `${arr.name}.length - 1`];
      const i = this.pick(cands);
      const j = this.pick(cands);
      return `${cmp(`${arr.name}[${i}]`, this.pick([">", "<"]), `${arr.name}[${j}]`)} ? ${i} : ${j}`;
    }
    if (!this.avoids("index-reads-array")) return this.index(sc, arr);
    this.noIndexTernary++;
    try {
      return this.index(sc, arr);
    } finally {
      this.noIndexTernary--;
    }
  }

  /**
   * A parameter list, as a placeholder that the JavaScript text replaces with the
   * names and the TypeScript text with annotated names.
   */
  signature(names: string[], types: string[]): string {
    const id = this.sigs.length;
    // `u = 1.5` is typed `u: number = 1.5`, `{ eps = 0.5 } = {}` is `{ eps = 0.5 }: T = {}`
    const typed = (n: string, t: string) => (n.endsWith("} = {}") ? `${n.slice(0, -5)}: ${t} = {}` : n.includes(" = ") ? n.replace(" = ", `: ${t} = `) : `${n}: ${t}`);
    this.sigs.push({ js: names.join(", "), ts: names.map((n, i) => typed(n, types[i])).join(", ") });
    return `/*@sig${id}*/`;
  }

  /**
   * A callback's parameter list and the scope of its body: `sc` and its parameters —
   * numbers ("num"), indices of arrays of class `{ idx }`, an unnamed `_`, or a number
   * the body uses by name only ("acc": an accumulator, a comparator's operand).
   */
  lambda(sc: Scope, params: LambdaParam[]): { inner: Scope; names: string[]; head: string } {
    const inner = child(sc);
    const names = params.map((k) => {
      if (k === "_") return "_";
      const name = this.fresh(k === "num" ? "v" : k === "acc" ? "acc" : "i");
      if (k === "num") inner.nums.push({ name, mutable: false });
      else if (k !== "acc") inner.idxs.push({ name, len: k.idx, ge1: false });
      return name;
    });
    return { inner, names, head: `(${this.signature(names, params.map((k) => (k === "_" ? "unknown" : "number")))})` };
  }

  /** The TypeScript type of an array parameter (x, or a helper's, which may be passed x). */
  arrType(isX = false): string {
    if (!this.opts.f32) return "Float64Array";
    return isX ? "Float32Array" : "Float64Array | Float32Array";
  }

  /** A read of an array element, sometimes of a guarded neighbour. */
  read(sc: Scope): string {
    const arr = this.pick(sc.arrs);
    const same = sc.idxs.filter((i) => i.len === arr.len);
    if (same.length && !this.noTernary && this.chance(0.2)) {
      const i = this.pick(same).name;
      return this.chance(0.5)
        ? `(${i} > 0 ? ${arr.name}[${i} - 1] : ${this.signedLit()})`
        : `(${arr.name}.length > ${i} + 1 ? ${arr.name}[${i} + 1] : ${this.signedLit()})`;
    }
    return `${arr.name}[${this.index(sc, arr)}]`;
  }

  // --- numeric expressions -------------------------------------------------------

  leaf(sc: Scope): string {
    const wholes = sc.arrs.filter((a) => !a.view);
    return this.choose<string>([
      [2, () => this.signedLit()],
      [sc.nums.length ? 6 : 0, () => this.pick(sc.nums).name],
      // spread over a whole array (over a view it is refused)
      [wholes.length ? this.w("spreadMinMax", 0.4) : 0, () => `Math.${this.pick(["max", "min"])}(...${this.pick(wholes).name})`],
      [sc.idxs.length ? this.w("integerOps", 0.2) : 0, () => `${this.lit(0.05, 0.3)} * (${this.pick(sc.idxs).name} ^ 1)`],
      [sc.idxs.length ? this.w("integerOps", 0.2) : 0, () => `${this.lit(0.01, 0.05)} * Math.clz32(${this.pick(sc.idxs).name} + 1)`],
      [this.w("constants", 0.2), () => `${this.lit()} + Number.EPSILON`],
      [this.w("constants", 0.1), () => `Number.MAX_VALUE * 0`],
      [wholes.length && !this.noTernary ? this.w("callbacks", 0.2) : 0, () => {
        const a = this.pick(wholes);
        const { inner, head } = this.lambda(sc, ["num"]);
        this.noTernary++;
        try {
          return `${this.lit(0.1, 0.5)} * ${a.name}.filter(${head} => ${this.cond(inner, 0)}).length`;
        } finally {
          this.noTernary--;
        }
      }],
      [sc.arrs.length ? 5 : 0, () => this.read(sc)],
      [rowLists(sc).length ? this.w("runtimeIndex", 1.5) : 0, () => rowElement(this, sc, this.pick(rowLists(sc)))],
      [sc.idxs.length ? 1 : 0, () => `${this.lit(0.05, 0.3)} * ${this.pick(sc.idxs).name}`],
      [sc.ints.length ? 1 : 0, () => { const l = this.pick(sc.ints); return `${this.lit(0.05, 0.5)} * ${l.name}[${this.intIndex(sc, l)}]`; }],
      [sc.arrs.length ? 0.5 : 0, () => `${this.lit(0.05, 0.3)} * ${this.pick(sc.arrs).name}.length`],
      [0.3, () => this.pick(["Math.PI", "Math.E", "Math.SQRT2", "Math.LN2"]) + ` * ${this.lit(0.1, 0.5)}`],
    ]);
  }

  /** A bounded numeric expression of nesting depth at most d. */
  num(sc: Scope, d: number): string {
    if (d <= 0 || this.chance(0.25)) return this.leaf(sc);
    const e = () => this.num(sc, d - 1);
    const pure = this.noCalls ? [] : sc.fns.filter((f) => !f.effects && f.returnsArr === undefined && this.canCall(sc, f));
    const targets = this.derivativeTargets(sc).filter((f) => f.params[0] === "num");
    return this.choose<string>([
      [this.w("constants", 0.2), () => `Math.${this.pick(["min(Infinity", "max(-Infinity"])}, ${e()})`],
      [this.w("integerOps", 0.15), () => `((${this.lit(1, 3)} * Math.tanh(${e()})) | 0) * ${e()}`],
      [sc.arrs.some((a) => !a.view) ? this.w("callbacks", 0.5) : 0, () => this.reduceExpr(sc, d)],
      [targets.length ? this.w("nestedDerivative", 2) : 0, () => this.derivativeExpr(sc, this.pick(targets), d - 1)],
      [this.noCalls ? 0 : this.w("nestedDerivative", 0.15), () => `grad(Math.${this.pick(["tanh", "sin", "cos", "atan"])})(${e()})`],
      // stopGradient where its derivative 0 is the true one
      [this.w("stopGradient", 0.15), () => { const a = e(); return `(stopGradient(${a}) - stopGradient(${a}) + ${e()})`; }],
      [sc.idxs.length ? this.w("stopGradient", 0.1) : 0, () => `stopGradient(${this.lit(0.05, 0.3)} * ${this.pick(sc.idxs).name})`],
      [4, () => `${e()} + ${e()}`],
      [2, () => `${e()} - ${e()}`],
      [3, () => `${e()} * ${e()}`],
      [1, () => `-(${e()})`],
      [1, () => `${this.lit()} * (${e()})`],
      [4, () => `Math.${this.pick(["tanh", "sin", "cos", "atan"])}(${e()})`],
      [1, () => { const a = e(); return `(${a}) / (1 + (${a}) * (${a}))`; }],
      [1.5, () => `(${e()}) / (${this.lit(1.2, 2)} + Math.${this.pick(["sin", "cos", "tanh"])}(${e()}))`],
      [1, () => { const a = e(); return `(${e()}) / (${this.lit(0.5, 1.5)} + (${a}) * (${a}))`; }],
      [1.5, () => `Math.exp(${this.lit(0.2, 0.8)} * Math.tanh(${e()}))`],
      [0.5, () => `Math.expm1(${this.lit(0.2, 0.8)} * Math.sin(${e()}))`],
      [1, () => `Math.log(${this.lit(1.3, 2)} + Math.${this.pick(["tanh", "sin", "cos"])}(${e()}))`],
      [1, () => { const a = e(); return `Math.log1p((${a}) * (${a}))`; }],
      [0.5, () => `Math.${this.pick(["log2", "log10"])}(${this.lit(1.5, 3)} + Math.cos(${e()}))`],
      [1, () => { const a = e(); return `Math.sqrt(${this.lit(0.3, 1.5)} + (${a}) * (${a}))`; }],
      [0.5, () => `Math.cbrt(${this.lit(1.2, 2)} + Math.sin(${e()}))`],
      [1, () => `Math.pow(${this.lit(1.1, 1.8)} + Math.tanh(${e()}), ${this.lit(0.5, 2.5)})`],
      [0.7, () => `(${this.lit(1.2, 2)} + Math.cos(${e()})) ** ${this.lit(0.5, 2.5)}`],
      [0.7, () => `(${e()}) ** 2`],
      [0.5, () => `Math.${this.pick(["asin", "acos"])}(${this.lit(0.3, 0.9)} * Math.tanh(${e()}))`],
      [0.5, () => `Math.${this.pick(["sinh", "cosh"])}(Math.tanh(${e()}))`],
      [0.5, () => `Math.asinh(${e()})`],
      [0.3, () => { const a = e(); return `Math.acosh(${this.lit(1.2, 2)} + (${a}) * (${a}))`; }],
      [0.3, () => `Math.atanh(${this.lit(0.3, 0.9)} * Math.tanh(${e()}))`],
      [0.5, () => `Math.tan(${this.lit(0.2, 1.2)} * Math.sin(${e()}))`],
      [0.7, () => `Math.atan2(${e()}, ${this.lit(1.2, 2)} + Math.cos(${e()}))`],
      // Ops at points where their partials are singular (0/0, ±∞): an element of a
      // fresh array read before it is written is an inactive 0.
      [sc.arrs.length ? 0.4 : 0, () => { const r = this.read(sc); return `Math.atan2(${r}, ${r})`; }],
      [sc.arrs.length ? 0.3 : 0, () => { const r = this.read(sc); return `Math.hypot(${r}, ${r})`; }],
      [sc.arrs.length ? 0.3 : 0, () => { const r = this.read(sc); return `Math.sqrt((${r}) * (${r}))`; }],
      [0.5, () => this.avoids("hypot3") ? `Math.hypot(${e()}, ${this.lit(0.3, 1)})` : `Math.hypot(${e()}, ${e()}, ${this.lit(0.3, 1)})`],
      // Non-smooth functions: ties have probability ~0 at random points.
      [0.7, () => `Math.${this.pick(["max", "min"])}(${e()}, ${e()} + ${this.lit(0.05, 0.5)})`],
      [0.2, () => `Math.${this.pick(["max", "min"])}(${e()}, ${e()} + ${this.lit(0.05, 0.5)}, ${e()} - ${this.lit(0.05, 0.5)})`],
      [0.4, () => `Math.abs(${e()} + ${this.lit(0.05, 0.5)})`],
      [0.3, () => `Math.${this.pick(["floor", "ceil", "round", "trunc", "sign"])}(${this.lit(1, 3)} * Math.tanh(${e()})) * ${e()}`],
      [0.2, () => `(${e()} + ${this.lit(3, 5)}) % ${this.lit(0.7, 2)}`],
      [this.noTernary ? 0 : 1.5, () => `(${this.cond(sc, d - 1)} ? ${e()} : ${e()})`],
      [pure.length ? 2 : 0, () => this.call(sc, this.pick(pure), d - 1)],
    ]);
  }

  canCall(sc: Scope, f: FnRef): boolean {
    if (f.params.includes("obj") && !sc.objs.some((o) => !f.derivative || !this.withFunctions.has(o))) return false;
    if (f.rest === "arr" && !sc.arrs.length) return false;
    return f.params.every((k, i) => k !== "arr" || this.argArrays(sc, f, i).length > 0);
  }

  /** `h.reduce((acc, v, i) => …, init)` or reduceRight, contractive in acc. */
  reduceExpr(sc: Scope, d: number): string {
    const a = this.pick(sc.arrs.filter((x) => !x.view));
    const { inner, names: [acc], head } = this.lambda(sc, this.chance(0.5) ? ["acc", "num", { idx: a.len }] : ["acc", "num"]);
    const body = `${acc} * ${this.lit(0.3, 0.9)} + ${this.lit(0.2, 1)} * Math.tanh(${this.num(inner, Math.max(0, d - 1))})`;
    return `${a.name}.${this.pick(["reduce", "reduceRight"])}(${head} => ${body}, ${this.leaf(sc)})`;
  }

  /** The arrays `f` may be passed: writable ones if it writes them, typed ones if it needs them. */
  argArrays(sc: Scope, f: FnRef, k?: number): ArrRef[] {
    return sc.arrs.filter((a) =>
      (!f.effects || a.writable) && (!f.typedOnly || !a.plain) && (!f.derivative || !a.view) &&
      // `const h = g(a)` with g returning a: a second name for a, refused when a is reassigned later
      !(f.returnsParam && k === f.returnsArr && a.reassignable));
  }

  /** An object to pass to a helper: p, a helper's parameter, or often an object literal (one without function fields to a derivative). */
  object(sc: Scope, toDerivative = false): string {
    const objs = toDerivative ? sc.objs.filter((o) => !this.withFunctions.has(o)) : sc.objs;
    const literals = objs.filter((o) => /^ob\d+$/.test(o));
    return this.pick(literals.length && this.chance(0.7) ? literals : objs);
  }

  /** A call of a helper; array parameters get arrays in scope (writable ones if it writes them). */
  call(sc: Scope, f: FnRef, d: number): string {
    const callee = f.list ? `${f.name}[${this.runtimeIndex(sc, `${f.name}.length`)}]` : f.name;
    return `${callee}(${this.args(sc, f, d).args.join(", ")})`;
  }

  /** The arguments of a call of `f`, and the array passed where it returns one as long. */
  args(sc: Scope, f: FnRef, d: number): { args: string[]; returned?: ArrRef } {
    const omit = f.optional && this.chance(f.options ? 0.3 : 0.5);
    let returned: ArrRef | undefined;
    const args = f.params.map((k, i) => {
      if (k === "num") return this.num(sc, d);
      if (k === "obj") return this.object(sc, f.derivative);
      if (k === "fn") return callbackArg(this, sc, f.arity![i]);
      if (k === "opts") return optionsArg(this, sc, f.options!, d);
      const a = this.pick(this.argArrays(sc, f, i));
      if (i === f.returnsArr) returned = a;
      return a.name;
    });
    if (omit) args.pop();
    // a rest parameter gets one to three more
    if (f.rest) for (let k = this.rng.int(1, 3); k > 0; k--) args.push(f.rest === "num" ? this.num(sc, d) : this.pick(sc.arrs).name);
    return { args, returned };
  }

  cond(sc: Scope, d: number): string {
    const e = () => this.num(sc, Math.min(d, 2));
    return this.choose<string>([
      [6, () => { const a = e(); const op = this.pick([">", "<", ">=", "<="]); return cmp(a, op, e()); }],
      [3, () => { const a = e(); const op = this.pick([">", "<"]); return cmp(a, op, this.signedLit()); }],
      [this.w("stopGradient", 0.4), () => cmp(`stopGradient(${e()})`, this.pick([">", "<"]), this.signedLit())],
      [sc.arrs.some((a) => !a.view) && d > 0 ? this.w("callbacks", 0.4) : 0, () => {
        const a = this.pick(sc.arrs.filter((x) => !x.view));
        const { inner, head } = this.lambda(sc, ["num"]);
        return `${a.name}.${this.pick(["some", "every"])}(${head} => ${this.cond(inner, d - 1)})`;
      }],
      [sc.idxs.length ? 1 : 0, () => `${this.pick(sc.idxs).name} % 2 === 0`],
      [sc.idxs.length ? 1 : 0, () => { const i = this.pick(sc.idxs).name; const op = this.pick([">", "<", "!==", "==="]); return cmp(i, op, String(this.rng.int(0, 2))); }],
      [sc.idxs.length >= 2 ? 0.5 : 0, () => { const i = this.pick(sc.idxs).name; const op = this.pick(["<", "!==", "<="]); return cmp(i, op, this.pick(sc.idxs).name); }],
      [d > 0 ? 1 : 0, () => `${this.cond(sc, d - 1)} ${this.pick(["&&", "||"])} ${this.rightOfLogical(sc, d - 1)}`],
      [d > 0 ? 0.5 : 0, () => `!(${this.cond(sc, d - 1)})`],
      [sc.bools.length ? 2 : 0, () => `${this.chance(0.3) ? "!" : ""}${this.pick(sc.bools).name}`],
      [sc.bools.length >= 2 ? 0.3 : 0, () => `${this.pick(sc.bools).name} ${this.pick(["===", "!=="])} ${this.pick(sc.bools).name}`],
      [sc.ints.length ? 1.5 : 0, () => {
        const l = this.pick(sc.ints);
        const at = `${l.name}[${this.intIndex(sc, l)}]`;
        return l.values ? cmp(at, this.pick([">", "<", "===", "!=="]), String(this.rng.int(0, 2))) : this.pick([`${at} === 1`, `${at} !== 0`, `!${at}`, `!!${at}`]);
      }],
    ]);
  }

  rightOfLogical(sc: Scope, d: number): string {
    const calls = this.avoids("call-in-logical");
    const ternaries = this.avoids("ternary-in-logical");
    if (calls) this.noCalls++;
    if (ternaries) this.noTernary++;
    try {
      return this.cond(sc, d);
    } finally {
      if (calls) this.noCalls--;
      if (ternaries) this.noTernary--;
    }
  }

  // --- statements ---------------------------------------------------------------------

  /** A block of up to n statements (at least one). */
  block(sc: Scope, ind: string, n: number): string[] {
    const outer = [...sc.nums];
    const out: string[] = [];
    const count = Math.max(1, n);
    for (let k = 0; k < count && (k === 0 || this.fuel > 0); k++) {
      sc.atStart = k === 0;
      out.push(...this.stmt(sc, ind));
      sc.atStart = false;
    }
    out.push(...this.sink(sc, outer, ind));
    return out;
  }

  /**
   * Folds scalars declared in a block into a mutable scalar declared before it, so
   * that block-local values usually reach the result.
   */
  sink(sc: Scope, outer: NumRef[], ind: string): string[] {
    const locals = sc.nums.filter((v) => !outer.includes(v));
    // outer scalars still visible (not shadowed in this block)
    const targets = outer.filter((v) => v.mutable && sc.nums.includes(v));
    if (!locals.length || !targets.length || !this.chance(0.8)) return [];
    const squash = this.compounding();
    const terms = locals.filter(() => this.chance(0.7)).map((v) => `${this.lit(0.1, 0.6)} * ${squash ? `Math.tanh(${v.name})` : v.name}`);
    if (!terms.length) return [];
    return [`${ind}${this.pick(targets).name} += ${terms.join(" + ")};`];
  }

  stmt(sc: Scope, ind: string): string[] {
    this.fuel--;
    const mutable = sc.nums.filter((v) => v.mutable);
    const writable = sc.arrs.filter((a) => a.writable);
    const fillable = this.avoids("fill-param") ? writable.filter((a) => !a.param) : writable;
    const inLoop = this.fn.loops.length > 0;
    const loopDepth = this.fn.loops.length;
    const deep = this.blockDepth >= 4;
    const effects = sc.fns.filter((f) => f.effects && f.returnsArr === undefined && this.canCall(sc, f));
    const vectors = sc.fns.filter((f) => f.returnsArr !== undefined && this.canCall(sc, f));
    const settable = fillable.filter((a) => !a.plain);
    const reassignable = sc.arrs.filter((a) => a.reassignable);
    const targets = this.derivativeTargets(sc);
    return this.choose<string[]>([
      [settable.length ? this.w("set", 1) : 0, () => this.setStmt(sc, ind, this.pick(settable))],
      [sc.arrs.length ? this.w("destructure", 0.4) : 0, () => this.destructure(sc, ind)],
      [sc.arrs.some((a) => !a.reassignable) && sc.lists.length < 2 ? this.w("list", 0.5) : 0, () => this.listLiteral(sc, ind)],
      [sc.lists.length && !deep && loopDepth < 3 ? this.w("list", 3) : 0, () => this.listUse(sc, ind, this.pick(sc.lists))],
      [this.w("objectLiteral", 0.4), () => this.objectLiteral(sc, ind)],
      [reassignable.length ? this.w("reassignArray", 5) : 0, () => this.reassignArray(sc, ind, this.pick(reassignable))],
      [targets.length ? this.w("nestedDerivative", 0.6) : 0, () => this.derivativeStmt(sc, ind, this.pick(targets))],
      [this.w("nullish", 0.3), () => this.nullish(sc, ind)],
      [this.w("logicalAssign", 0.4), () => logicalAssign(this, sc, ind)],
      [sc.growing.length ? this.w("growArray", 3) : 0, () => pushStmt(this, sc, ind)],
      [!deep && loopDepth < 3 ? this.w("growArray", 0.4) : 0, () => growArray(this, sc, ind)],
      [writable.length ? this.w("sort", 0.3) : 0, () => sortStmt(this, sc, ind, this.pick(writable))],
      [!deep && loopDepth < 3 && sc.arrs.some((a) => !a.reassignable) ? this.w("pairs", 0.3) : 0, () => pairsLoop(this, sc, ind)],
      [rowLists(sc, true).length ? this.w("runtimeIndex", 3) : 0, () => rowWrite(this, sc, ind, this.pick(rowLists(sc, true)))],
      [this.w("runtimeIndex", 0.25), () => functionList(this, sc, ind)],
      [this.w("returnsFunction", 0.25), () => makerStmt(this, sc, ind)],
      [sc.arrs.some((a) => !a.view) && !deep && loopDepth < 3 ? this.w("callbacks", 0.4) : 0, () => this.forEach(sc, ind)],
      [this.w("throwGuard", 0.2), () => this.throwGuard(sc, ind)],
      [mutable.length ? this.w("objectKeys", 0.3) : 0, () => this.objectKeys(sc, ind, this.pick(mutable).name)],
      [sc.arrs.length && !deep && loopDepth < 3 ? this.w("runningExtreme", 0.6) : 0, () => this.runningExtreme(sc, ind, this.pick(sc.arrs))],
      [3, () => this.declNum(sc, ind)],
      [mutable.length ? 6 : 0, () => this.assignNum(sc, ind, this.pick(mutable).name)],
      [writable.length ? 3 : 0, () => this.writeElem(sc, ind, this.pick(writable))],
      [deep ? 0 : 2, () => this.ifElse(sc, ind)],
      [deep ? 0 : 0.8, () => this.switchStmt(sc, ind)],
      [mutable.length >= 2 ? 0.6 : 0, () => this.chainedAssign(sc, ind, mutable)],
      [deep || loopDepth >= 3 ? 0 : 3, () => this.forLoop(sc, ind)],
      [deep || loopDepth >= 3 || !mutable.length || !sc.arrs.length ? 0 : 0.6, () => this.linearExitLoop(sc, ind, this.pick(mutable).name)],
      [deep || loopDepth >= 3 ? 0 : 0.8, () => this.whileLoop(sc, ind)],
      [deep || loopDepth >= 3 ? 0 : 0.8, () => this.doWhile(sc, ind)],
      [deep || loopDepth >= 3 || !sc.arrs.length ? 0 : 1, () => this.forOf(sc, ind)],
      [sc.arrs.length < 6 ? 1.8 : 0, () => this.localArray(sc, ind)],
      [fillable.length ? 0.4 : 0, () => [`${ind}${this.pick(fillable).name}.fill(${this.rhs(sc, 2)});`]],
      [inLoop ? 2 : 0, () => this.exit(sc, ind)],
      [!inLoop && this.blockDepth > 0 ? 0.3 : 0, () => [`${ind}if (${this.cond(sc, 1)}) return ${this.fn.retArr ?? this.retExpr(sc)};`]],
      [effects.length && writable.length ? 1.5 : 0, () => this.effectCall(sc, ind, this.pick(effects))],
      [vectors.length ? 1.5 : 0, () => this.vectorCall(sc, ind, this.pick(vectors))],
      [0.6, () => this.declFlag(sc, ind)],
      [sc.bools.some((b) => b.mutable) ? 0.8 : 0, () => this.assignFlag(sc, ind)],
      [sc.arrs.length ? 0.6 : 0, () => this.declInt(sc, ind)],
      [sc.idxs.some((i) => i.cycles && sc.arrs.includes(i.cycles)) ? 1 : 0, () => this.stepInt(sc, ind)],
    ]);
  }

  /**
   * A running maximum or minimum of an expression of `arr`'s elements, by Math.max/min
   * (either argument order) or by a branch (strict or not), then a scalar of the scope.
   */
  runningExtreme(sc: Scope, ind: string, arr: ArrRef): string[] {
    const m = this.fresh("m"), i = this.fresh("i");
    const at = (k: string) => `${arr.name}[${k}]`;
    const e = this.pick([
      (k: string) => at(k),
      (k: string) => `${this.signedLit()} * ${at(k)}`,
      (k: string) => `Math.sin(${at(k)} + ${this.lit()})`,
      (k: string) => (sc.nums.length ? `${at(k)} * ${this.pick(sc.nums).name}` : `${at(k)} * ${at(k)}`),
    ])(i);
    const [fn, cmp] = this.pick([["max", this.pick([">", ">="])], ["min", this.pick(["<", "<="])]]);
    const update = this.choose<string>([
      [1, () => `${m} = Math.${fn}(${m}, ${e});`],
      [1, () => `${m} = Math.${fn}(${e}, ${m});`],
      [1, () => `if (${e} ${cmp} ${m}) ${m} = ${e};`],
    ]);
    const first = this.pick(["0", `${arr.name}.length - 1`]);
    sc.nums.push({ name: m, mutable: true });
    return [
      `${ind}let ${m} = ${arr.name}.length > 0 ? ${e.split(`[${i}]`).join(`[${first}]`)} : 0;`,
      `${ind}for (let ${i} = 0; ${i} < ${arr.name}.length; ${i}++) ${update}`,
    ];
  }

  /** `let t;` given a value on one branch, read as `t ?? e`. */
  nullish(sc: Scope, ind: string): string[] {
    const t = this.fresh("t");
    const set = `if (${this.cond(sc, 1)}) ${t} = ${this.num(sc, 2)};`;
    const init = `${t} ?? ${this.num(sc, 2)}`;
    sc.declared.add(t);
    const name = this.declName(sc, "s", set + init);
    sc.nums.push({ name, mutable: true });
    return [`${ind}let ${t};`, ind + set, `${ind}let ${name} = ${init};`];
  }

  /** `h.forEach((v, i) => { … })` writing an array of h's length, or a scalar. */
  forEach(sc: Scope, ind: string): string[] {
    const a = this.pick(sc.arrs.filter((x) => !x.view));
    const { inner, names: [, i], head } = this.lambda(sc, ["num", { idx: a.len }]);
    const dsts = sc.arrs.filter((b) => b.writable && b.len === a.len);
    const mutable = sc.nums.filter((x) => x.mutable);
    const body = this.inLoop({ contPrefix: "" }, () =>
      dsts.length && (!mutable.length || this.chance(0.5))
        ? `${this.pick(dsts).name}[${i}] = ${this.rhs(inner, 2)};`
        : mutable.length
        ? `${this.pick(mutable).name} += ${this.lit(0.1, 0.5)} * ${this.rhs(inner, 2)};`
        : `${a.name}.length;`);
    return [`${ind}${a.name}.forEach(${head} => { ${body} });`];
  }

  /** Input validation that never fails here: every derivative throws where the loss does. */
  throwGuard(sc: Scope, ind: string): string[] {
    const a = sc.arrs.length ? this.pick(sc.arrs).name : "x";
    return [ind + this.pick([
      `if (${a}.length > 1000) throw new RangeError("${a} is too long");`,
      `if (!(${this.num(sc, 1)} < 1e9)) throw Error("out of range");`,
      `if (${a}.length === 0) throw new TypeError();`,
    ])];
  }

  /** An object of numbers, its fields summed over its sorted keys (unrolled). */
  objectKeys(sc: Scope, ind: string, target: string): string[] {
    const o = this.fresh("nk");
    const k = this.fresh("k");
    sc.declared.add(o);
    const keys = ["c", "b", "k k"].slice(0, this.rng.int(2, 3));
    const fields = keys.map((key) => `${/^\w+$/.test(key) ? key : JSON.stringify(key)}: ${this.num(sc, 1)}`);
    const squash = this.compounding() ? (e: string) => `Math.tanh(${e})` : (e: string) => e;
    const loop = this.chance(0.5)
      ? `for (const ${k} of Object.keys(${o}).sort()) ${target} += ${this.lit(0.1, 0.5)} * ${squash(`${o}[${k}]`)};`
      : `for (const [${this.fresh("i")}, ${k}] of Object.keys(${o}).sort().entries()) ${target} += ${this.lit(0.1, 0.5)} * ${squash(`${o}[${k}]`)};`;
    return [`${ind}const ${o} = { ${fields.join(", ")} };`, ind + loop];
  }

  /** `h.set(a)` (as long as h), or one element at an index of h. */
  setStmt(sc: Scope, ind: string, dst: ArrRef): string[] {
    const same = sc.arrs.filter((a) => a.len === dst.len);
    const ones = sc.arrs.filter((a) => a.len === "c1");
    const viewable = sc.arrs.filter((a) => !a.plain && !a.reassignable);
    return [ind + this.choose<string>([
      [2, () => `${dst.name}.set(${this.pick(same).name});`],
      [ones.length ? 1 : 0, () => `${dst.name}.set(${this.pick(ones).name}, ${this.index(sc, dst)});`],
      [viewable.length ? 1 : 0, () => `${dst.name}.set(${this.pick(viewable).name}.subarray(0, 1), ${this.index(sc, dst)});`],
      [1.6, () => `${dst.name}.set([${this.num(sc, 2)}], ${this.index(sc, dst)});`],
    ])];
  }

  /** `const [d0, , d2] = h`, never past h's end (every array has an element; a class cN has N). */
  destructure(sc: Scope, ind: string): string[] {
    const sized = sc.arrs.filter((a) => /^c[2-9]$/.test(a.len));
    // an array in scope, or a literal made here
    const literal = this.chance(0.3) ? Array.from({ length: this.rng.int(2, 3) }, () => this.num(sc, 2)) : undefined;
    const arr = this.pick(sized.length && this.chance(0.7) ? sized : sc.arrs);
    const known = literal ? [, String(literal.length)] : /^c(\d)$/.exec(arr.len);
    const n = this.rng.int(literal ? 2 : 1, Math.min(3, known ? Number(known[1]) : 1));
    const mutable = this.chance(0.4);
    const slots: string[] = [];
    for (let k = 0; k < n; k++) {
      if (k < n - 1 && this.chance(0.25)) {
        slots.push("");
        continue;
      }
      const name = this.fresh("d");
      sc.declared.add(name);
      sc.nums.push({ name, mutable });
      slots.push(name);
    }
    return [`${ind}${mutable ? "let" : "const"} [${slots.join(", ")}] = ${literal ? `[${literal.join(", ")}]` : arr.name};`];
  }

  /** A list of arrays (not reassigned ones), sometimes with a number: `const ls = [h, x, e]`. */
  listLiteral(sc: Scope, ind: string): string[] {
    const arrays = sc.arrs.filter((a) => !a.reassignable);
    // sometimes of copies, rows that `ls[k][j] = e` may write
    const copies = this.chance(this.w("runtimeIndex", 0.5));
    const name = this.fresh("ls");
    const elems: (ArrRef | "num")[] = [];
    const texts: string[] = [];
    for (let k = 0, n = this.rng.int(2, 3); k < n; k++) {
      if (k > 0 && this.chance(0.25)) {
        elems.push("num");
        texts.push(this.num(sc, 2));
      } else {
        const a = this.pick(arrays);
        elems.push(copies ? { name: a.name, len: a.len, writable: true, plain: a.plain, jsArray: a.jsArray } : a);
        texts.push(copies ? `${a.name}.slice()` : a.name);
      }
    }
    sc.declared.add(name);
    const list = { name, elems };
    sc.lists.push(list);
    elems.forEach((e, k) => {
      if (e === "num") sc.nums.push({ name: `${name}[${k}]`, mutable: false });
      else sc.arrs.push({ ...e, name: `${name}[${k}]`, reassignable: false });
    });
    const out = [`${ind}const ${name} = [${texts.join(", ")}];`];
    if (this.blockDepth < 4 && this.fn.loops.length < 3 && this.chance(0.5)) out.push(...this.listUse(sc, ind, list));
    return out;
  }

  /** A list's elements in a loop (unrolled: for…of, or a counted for indexing it), or destructured. */
  listUse(sc: Scope, ind: string, l: ListRef): string[] {
    const arrays = l.elems.filter((e): e is ArrRef => e !== "num");
    const allArrays = arrays.length === l.elems.length;
    // an element of any of them: writable if all are
    const element = (name: string): ArrRef => ({ name, len: this.fresh("L"), writable: arrays.every((a) => a.writable), plain: arrays.some((a) => a.plain), view: arrays.some((a) => a.view) });
    return this.choose<string[]>([
      [allArrays ? 2 : 0, () => {
        const r = this.fresh("r");
        const inner = child(sc);
        inner.arrs.push(element(r));
        return [`${ind}for (const ${r} of ${l.name}) {`, ...this.loopBody(inner, ind, { contPrefix: "" }), `${ind}}`];
      }],
      [allArrays ? 1.5 : 0, () => {
        const i = this.fresh("i");
        const inner = child(sc);
        inner.idxs.push({ name: i, len: undefined, ge1: false });
        inner.arrs.push(element(`${l.name}[${i}]`));
        return [`${ind}for (let ${i} = 0; ${i} < ${l.name}.length; ${i}++) {`, ...this.loopBody(inner, ind, { contPrefix: "" }), `${ind}}`];
      }],
      [1.5, () => {
        const n = this.rng.int(1, l.elems.length);
        const slots = l.elems.slice(0, n).map((e, k) => {
          if (k < n - 1 && this.chance(0.3)) return "";
          const name = this.fresh("e");
          sc.declared.add(name);
          if (e === "num") sc.nums.push({ name, mutable: false });
          else sc.arrs.push({ ...e, name });
          return name;
        });
        return [`${ind}const [${slots.join(", ")}] = ${l.name};`];
      }],
    ]);
  }

  /**
   * `const ob = { ...o, a: h, b: e, "k k": e, n: { c: e, v: h }, s, f: (z) => e }`, its
   * fields read later; with an `a` of class "m" it is passed to helpers as p is.
   */
  objectLiteral(sc: Scope, ind: string): string[] {
    const name = this.fresh("ob");
    const arrays = sc.arrs.filter((a) => !a.reassignable);
    const ms = arrays.filter((a) => a.len === "m");
    const fields: string[] = [];
    const spread = sc.objs.length && this.chance(0.3) ? this.pick(sc.objs) : undefined;
    if (spread) fields.push(`...${spread}`);
    let hasA = !!spread;
    if (ms.length && (!spread || this.chance(0.3))) {
      const a = this.pick(ms);
      fields.push(a.name === "a" ? "a" : `a: ${a.name}`);
      hasA = true;
    }
    const nums: string[] = [];
    const arrs: ArrRef[] = [];
    fields.push(`b: ${this.num(sc, 2)}`);
    nums.push(`${name}.b`);
    if (this.chance(0.3)) {
      fields.push(`"k k": ${this.num(sc, 1)}`);
      nums.push(`${name}["k k"]`);
    }
    const named = sc.nums.filter((v) => /^[A-Za-z_$][\w$]*$/.test(v.name) && !["a", "b", "n", "f", "v"].includes(v.name));
    if (named.length && this.chance(0.3)) {
      // shorthand: the number is copied into the field
      const v = this.pick(named).name;
      fields.push(v);
      nums.push(`${name}.${v}`);
    }
    if (arrays.length && this.chance(0.4)) {
      const v = this.pick(arrays);
      fields.push(`v: ${v.name}`);
      arrs.push({ ...v, name: `${name}.v`, writable: false });
    }
    if (arrays.length && this.chance(0.3)) {
      const v = this.pick(arrays);
      fields.push(`n: { c: ${this.num(sc, 1)}, v: ${v.name} }`);
      nums.push(`${name}.n.c`);
      arrs.push({ ...v, name: `${name}.n.v`, writable: false });
    }
    let method: FnRef | undefined;
    if (this.chance(0.3)) {
      const inner = emptyScope();
      inner.nums.push({ name: "z", mutable: false });
      fields.push(`f: (${this.signature(["z"], ["number"])}) => ${this.num(inner, 2)}`);
      method = { name: `${name}.f`, params: ["num"], effects: false };
      sc.fns.push(method);
      this.withFunctions.add(name);
    }
    if (hasA) {
      arrs.push({ name: `${name}.a`, len: "m", writable: false });
      sc.objs.push(name);
    }
    sc.declared.add(name);
    sc.nums.push(...nums.map((n) => ({ name: n, mutable: false })));
    sc.arrs.push(...arrs);
    const out = [`${ind}const ${name} = { ${fields.join(", ")} };`];
    if (method && this.chance(0.5)) out.push(...this.effectCall(sc, ind, method));
    // passed to a helper taking an object, often at once
    const takers = sc.fns.filter((f) => f.params.includes("obj") && f.returnsArr === undefined && this.canCall(sc, f));
    if (hasA && takers.length && this.chance(0.8)) out.push(...this.effectCall(sc, ind, this.pick(takers)));
    return out;
  }

  /**
   * Gives a `let` array another one of its length: the next state of a recurrence made
   * from it, a partner's (swapped buffers), or a copy.
   */
  reassignArray(sc: Scope, ind: string, r: ArrRef): string[] {
    const T = r.type!;
    const partners = sc.arrs.filter((a) => a !== r && a.reassignable && a.len === r.len && a.type === T);
    const copies = sc.arrs.filter((a) => a !== r && a.len === r.len);
    return this.choose<string[]>([
      [3, () => {
        const next = this.fresh("nx");
        const j = this.fresh("j");
        sc.declared.add(next);
        const inner = child(sc);
        inner.idxs.push({ name: j, len: r.len, ge1: false });
        return [
          `${ind}const ${next} = new ${T}(${r.name}.length);`,
          `${ind}for (let ${j} = 0; ${j} < ${next}.length; ${j}++) ${next}[${j}] = ${this.rhs(inner, 2)};`,
          `${ind}${r.name} = ${next};`,
        ];
      }],
      [partners.length ? 4 : 0, () => {
        const b = this.pick(partners).name;
        const t = this.fresh("t");
        sc.declared.add(t);
        return [`${ind}const ${t} = ${r.name};`, `${ind}${r.name} = ${b};`, `${ind}${b} = ${t};`];
      }],
      [copies.length ? 2 : 0, () => [`${ind}${r.name} = ${T}.from(${this.pick(copies).name});`]],
    ]);
  }

  // --- derivatives inside the loss ------------------------------------------------------

  /**
   * Helpers a derivative may be taken of inside the loss: reading nothing around them
   * (the loss is also run as plain JavaScript, where gradc sees only their text), not
   * writing their arguments, returning a number, allocating nothing (reverse mode over
   * an inner derivative whose function allocates in a loop is refused), with a number
   * or an array first (the wrt).
   */
  derivativeTargets(sc: Scope): FnRef[] {
    if (this.noCalls) return [];
    return sc.fns.filter((f) =>
      f.closed && !f.effects && f.returnsArr === undefined && !f.allocates && f.params[0] !== "obj" && !f.rest &&
      f.params.every((k) => k !== "fn" && k !== "opts") && this.canCall(sc, { ...f, derivative: true }));
  }

  /** The arguments of a call of derivative target `f`, and for an array first parameter, the array passed. */
  derivativeArgs(sc: Scope, f: FnRef, d: number): { args: string; first?: ArrRef } {
    // a view passed to a derivative is refused; every argument is given (a tangent may follow)
    const rest = this.args(sc, { ...f, derivative: true, optional: false }, d).args;
    if (f.params[0] !== "arr") return { args: rest.join(", ") };
    const first = this.pick(sc.arrs.filter((a) => !a.plain && !a.view));
    return { args: [first.name, ...rest.slice(1)].join(", "), first };
  }

  /** A number computed by a derivative of `f` (which takes a number first). */
  derivativeExpr(sc: Scope, f: FnRef, d: number): string {
    const { args } = this.derivativeArgs(sc, f, d);
    return this.choose<string>([
      [3, () => `grad(${f.name})(${args})`],
      [1, () => `valueAndGrad(${f.name})(${args})[${this.rng.int(0, 1)}]`],
      [2, () => `jvp(${f.name})(${args}, ${this.signedLit()})[${this.rng.int(0, 1)}]`],
      [1.5, () => `hvp(${f.name})(${args}, ${this.signedLit()})`],
      [1, () => `hessian(${f.name})(${args})[0]`],
      [f.loops ? this.w("gradOfGradLoop") : 2, () => `grad(grad(${f.name}))(${args})`],
    ]);
  }

  /** A derivative bound to a local, an array-valued one, or a vjp and its pullback. */
  derivativeStmt(sc: Scope, ind: string, f: FnRef): string[] {
    const onArray = f.params[0] === "arr" && sc.arrs.some((a) => !a.plain && !a.view);
    return this.choose<string[]>([
      [1.5, () => {
        const dg = this.fresh("dg");
        sc.declared.add(dg);
        const ref: FnRef = { name: dg, params: f.params, effects: false, returnsArr: f.params[0] === "arr" ? 0 : undefined, typedOnly: true, allocates: true, derivative: true, value: true };
        sc.fns.push(ref);
        // called at once, and maybe later
        const use = ref.returnsArr === undefined ? this.effectCall(sc, ind, ref) : this.vectorCall(sc, ind, ref);
        return [`${ind}const ${dg} = grad(${f.name});`, ...use];
      }],
      [onArray ? 2 : 0, () => {
        const { args, first } = this.derivativeArgs(sc, f, 1);
        const h = this.fresh("h");
        sc.declared.add(h);
        const [call, len] = this.choose<[string, string]>([
          [2, () => [`grad(${f.name})(${args})`, first!.len]],
          [f.params.filter((k) => k === "arr").length > 1 ? this.w("hvpTwoArrays") : 1, () => [`hvp(${f.name})(${args}, ${this.pick(sc.arrs.filter((a) => a.len === first!.len && !a.plain && !a.view)).name})`, first!.len]],
          [0.5, () => [`hessian(${f.name})(${args})`, this.fresh("L")]],
        ]);
        sc.arrs.push({ name: h, len, writable: true });
        return [`${ind}const ${h} = ${call};`];
      }],
      // vjp inside differentiated code takes numbers and typed arrays
      [f.params[0] === "num" && !f.params.includes("obj") ? 1 : 0, () => {
        const { args } = this.derivativeArgs(sc, f, 1);
        const [y, pb] = [this.fresh("vy"), this.fresh("pb")];
        sc.declared.add(y).add(pb);
        sc.nums.push({ name: y, mutable: false });
        const ref: FnRef = { name: pb, params: ["num"], effects: false, allocates: true, value: true };
        sc.fns.push(ref);
        return [`${ind}const [${y}, ${pb}] = vjp(${f.name})(${args});`, ...this.effectCall(sc, ind, ref)];
      }],
    ]);
  }

  /**
   * A loop whose body is linear in what it reads and leaves on a condition of its
   * index alone: the backward sweep needs nothing of the forward loop but its trip
   * count (value-free modes once dropped that loop and returned zeros).
   */
  linearExitLoop(sc: Scope, ind: string, target: string): string[] {
    const arr = this.pick(sc.arrs);
    const i = this.fresh("i");
    const k = this.rng.int(0, 3);
    const exit = this.pick([`if (${i} == ${k}) break;`, `if (${i} >= ${k}) break;`, `if (${i} == ${k}) continue;`]);
    const op = this.pick(["+=", "-="]);
    return [`${ind}for (let ${i} = 0; ${i} < ${arr.name}.length; ${i}++) { ${target} ${op} ${this.lit()} * ${arr.name}[${i}]; ${exit} }`];
  }

  /** A boolean local: `const c = cond;` or a `let` flag updated later. */
  declFlag(sc: Scope, ind: string): string[] {
    const mutable = this.chance(0.5);
    const init = this.cond(sc, 1);
    const name = this.declName(sc, "c", init);
    sc.bools.push({ name, mutable });
    return [`${ind}${mutable ? "let" : "const"} ${name} = ${init};`];
  }

  assignFlag(sc: Scope, ind: string): string[] {
    const c = this.pick(sc.bools.filter((b) => b.mutable)).name;
    return [ind + this.choose<string>([
      [2, () => `${c} = ${c} ${this.pick(["||", "&&"])} ${this.rightOfLogical(sc, 1)};`],
      [1, () => `${c} = !${c};`],
      [this.w("logicalAssign", 0.7), () => `${c} ${this.pick(["||=", "&&="])} ${this.cond(sc, 1)};`],
      [1, () => `${c} = ${this.cond(sc, 1)};`],
    ])];
  }

  /** An integer local that indexes an array: a constant one, or a cursor stepped later. */
  declInt(sc: Scope, ind: string): string[] {
    const arr = this.pick(sc.arrs);
    const len = `${arr.name}.length`;
    const [init, cycles] = this.choose<[string, boolean]>([
      [1, () => [`${len} - 1`, false]],
      [1, () => [`Math.floor(${len} / 2)`, false]],
      [1, () => [`${len} > 1 ? 1 : 0`, false]],
      [2, () => ["0", true]],
    ]);
    const name = this.declName(sc, "m", init);
    sc.idxs.push({ name, len: arr.len, ge1: false, cycles: cycles ? arr : undefined });
    return [`${ind}${cycles ? "let" : "const"} ${name} = ${init};`];
  }

  stepInt(sc: Scope, ind: string): string[] {
    const m = this.pick(sc.idxs.filter((i) => i.cycles && sc.arrs.includes(i.cycles)));
    const len = `${m.cycles!.name}.length`;
    return [ind + this.choose<string>([
      [1, () => `${m.name} = (${m.name} + 1) % ${len};`],
      [1, () => `${m.name} = ${len} > ${m.name} + 1 ? ${m.name} + 1 : 0;`],
      [1, () => `${m.name} = ${m.name} > 0 ? ${m.name} - 1 : ${len} - 1;`],
    ])];
  }

  declNum(sc: Scope, ind: string): string[] {
    const isConst = this.chance(0.3);
    const n = this.chance(0.1) ? 2 : 1;
    const decls: string[] = [];
    const refs: NumRef[] = [];
    for (let k = 0; k < n; k++) {
      const init = this.num(sc, 3);
      // only a lone declarator may shadow: another's initialiser could read the name
      if (n > 1) sc.atStart = false;
      const name = this.declName(sc, "s", init);
      decls.push(`${name} = ${init}`);
      refs.push({ name, mutable: !isConst });
    }
    sc.nums.push(...refs);
    return [`${ind}${isConst ? "const" : "let"} ${decls.join(", ")};`];
  }

  /**
   * Whether an assignment here can feed on its own result: in a loop, or in a helper
   * (which may be called in a loop). There every right-hand side is squashed or
   * contractive, so values grow at most linearly with the number of iterations.
   */
  compounding(): boolean {
    return this.fn.loops.length > 0 || !this.fn.isMain;
  }

  /** A right-hand side: any expression, or in a compounding position a bounded one. */
  rhs(sc: Scope, d: number): string {
    const e = this.num(sc, d);
    if (!this.compounding()) return e;
    return this.choose<string>([
      [3, () => `Math.tanh(${e})`],
      [1, () => `Math.sin(${e})`],
      [1, () => `Math.atan(${e})`],
      [1, () => `${this.lit(0.2, 0.9)} * Math.cos(${e})`],
      [1, () => `(${e}) / (1 + (${e}) * (${e}))`],
    ]);
  }

  assignNum(sc: Scope, ind: string, t: string): string[] {
    const e = (d = 2) => this.rhs(sc, d);
    const leaf = () => this.leaf(sc);
    return [ind + this.choose<string>([
      [3, () => `${t} = ${e(3)};`],
      [2, () => `${t} = ${t} * Math.sin(${t}) + ${leaf()};`],
      [2, () => `${t} = Math.tanh(${t} * ${leaf()} + ${this.num(sc, 2)});`],
      [2, () => `${t} = ${this.lit(0.3, 0.8)} * ${t} + ${e()};`],
      [3, () => `${t} += ${e()};`],
      [1, () => `${t} -= ${this.lit(0.1, 0.6)} * ${e()};`],
      [1, () => `${t} *= ${this.lit(0.7, 0.9)} + ${this.lit(0.05, 0.2)} * Math.tanh(${this.num(sc, 2)});`],
      [1, () => `${t} /= ${this.lit(1.1, 1.5)} + ${this.lit(0.01, 0.1)} * Math.cos(${this.num(sc, 2)});`],
      [1, () => `${t} = Math.tanh(${t} * ${t} * ${this.lit(0.1, 0.3)} + ${t} * ${this.num(sc, 1)});`],
      [1, () => `${t} = Math.sqrt(${this.lit(0.2, 1)} + ${t} * ${t});`],
      [1, () => `${t}${this.pick(["++", "--"])};`],
      [1.5, () => `${t} = ${this.cond(sc, 1)} ? ${e()} : ${e()};`],
      [this.compounding() ? 0 : 0.5, () => `${t} **= 2;`],
    ])];
  }

  writeElem(sc: Scope, ind: string, arr: ArrRef): string[] {
    const same = sc.idxs.filter((i) => i.len === arr.len);
    const e = (d = 2) => this.rhs(sc, d);
    if (same.length && this.chance(0.25)) {
      // neighbour coupling, guarded
      const i = this.pick(same).name;
      const h = arr.name;
      return this.choose<string[]>([
        [1, () => [`${ind}if (${i} > 0) ${h}[${i}] = ${this.lit(0.3, 0.8)} * ${h}[${i}] + ${this.lit(0.2, 0.6)} * Math.tanh(${h}[${i} - 1] * ${this.leaf(sc)});`]],
        [1, () => [`${ind}${h}[${i}] = Math.tanh(${h}[${i}] * ${this.leaf(sc)} + (${i} > 0 ? ${h}[${i} - 1] : ${this.num(sc, 1)}));`]],
        [1, () => [`${ind}if (${h}.length > ${i} + 1) ${h}[${i}] += ${this.lit(0.1, 0.5)} * ${h}[${i} + 1];`]],
      ]);
    }
    const target = `${arr.name}[${this.targetIndex(sc, arr)}]`;
    return [ind + this.choose<string>([
      [3, () => `${target} = ${e(3)};`],
      [3, () => `${target} = Math.tanh(${target} * ${this.leaf(sc)} + ${this.num(sc, 2)});`],
      [2, () => `${target} += ${e()};`],
      [1, () => `${target} -= ${this.lit(0.1, 0.6)} * ${e()};`],
      [1, () => `${target} *= ${this.lit(0.7, 0.9)} + ${this.lit(0.05, 0.2)} * Math.sin(${this.num(sc, 2)});`],
      [0.5, () => `${target} /= ${this.lit(1.1, 1.5)} + ${this.lit(0.01, 0.1)} * Math.cos(${this.num(sc, 2)});`],
      [0.7, () => `${target}${this.pick(["++", "--"])};`],
    ])];
  }

  ifElse(sc: Scope, ind: string): string[] {
    this.blockDepth++;
    const c = this.cond(sc, 2);
    const thenB = this.block(child(sc), ind + "  ", this.rng.int(1, 3));
    const out = [`${ind}if (${c}) {`, ...thenB];
    const r = this.rng.next();
    if (r < 0.4) {
      out.push(`${ind}} else {`, ...this.block(child(sc), ind + "  ", this.rng.int(1, 3)));
    } else if (r < 0.55) {
      out.push(`${ind}} else if (${this.cond(sc, 1)}) {`, ...this.block(child(sc), ind + "  ", this.rng.int(1, 2)));
      if (this.chance(0.5)) out.push(`${ind}} else {`, ...this.block(child(sc), ind + "  ", 1));
    }
    out.push(`${ind}}`);
    this.blockDepth--;
    return out;
  }

  /**
   * `switch` on an index modulo 3 (labels sharing a clause, fallthrough, default) or
   * `switch (true)` on conditions; each clause's statements in a block of their own.
   */
  switchStmt(sc: Scope, ind: string): string[] {
    this.blockDepth++;
    const onIndex = sc.idxs.length > 0 && this.chance(0.7);
    const out = [`${ind}switch (${onIndex ? `${this.pick(sc.idxs).name} % 3` : "true"}) {`];
    const clause = (label: string, fallthrough: boolean) => {
      out.push(`${ind}  ${label}: {`, ...this.block(child(sc), ind + "    ", this.rng.int(1, 2)), `${ind}  }`);
      if (!fallthrough) out.push(`${ind}    break;`);
    };
    if (onIndex) {
      const [a, b] = this.chance(0.5) ? [0, 2] : [2, 0];
      if (this.chance(0.4)) out.push(`${ind}  case 1:`);
      clause(`case ${a}`, this.chance(0.4));
      clause(`case ${b}`, this.chance(0.3));
    } else {
      clause(`case ${this.cond(sc, 1)}`, this.chance(0.3));
      clause(`case ${this.cond(sc, 1)}`, false);
    }
    if (this.chance(0.6)) clause("default", true);
    out.push(`${ind}}`);
    this.blockDepth--;
    return out;
  }

  /** C-style: `a = b = e;` or an assignment inside an expression, `a += (b = e) * c;`. */
  chainedAssign(sc: Scope, ind: string, mutable: NumRef[]): string[] {
    const a = this.pick(mutable).name;
    const others = mutable.filter((v) => v.name !== a);
    if (!others.length) return this.assignNum(sc, ind, a);
    const b = this.pick(others).name;
    const e = this.rhs(sc, 2);
    return [this.chance(0.5) ? `${ind}${a} = ${b} = ${e};` : `${ind}${a} += (${b} = ${e}) * ${this.lit(0.1, 0.6)};`];
  }

  /** Runs `body` with a loop pushed and the block depth raised. */
  inLoop<T>(loop: Loop, body: () => T): T {
    this.fn.loops.push(loop);
    this.blockDepth++;
    try {
      return body();
    } finally {
      this.blockDepth--;
      this.fn.loops.pop();
    }
  }

  loopBody(sc: Scope, ind: string, loop: Loop): string[] {
    return this.inLoop(loop, () => this.block(sc, ind + "  ", this.rng.int(1, 4)));
  }

  forLoop(sc: Scope, ind: string): string[] {
    const i = this.fresh("i");
    const inner = child(sc);
    const arrs = sc.arrs;
    const outerIdx = sc.idxs.filter((x) => x.len !== undefined && arrs.some((a) => a.len === x.len));
    const arr = arrs.length ? this.pick(arrs) : undefined;
    let head: string;
    let idx: IdxRef;
    const plain = (a: ArrRef) => {
      head = `for (let ${i} = 0; ${i} < ${a.name}.length; ${i}++)`;
      idx = { name: i, len: a.len, ge1: false };
    };
    this.choose<void>([
      [arr ? 6 : 0, () => plain(arr!)],
      [arr ? this.w("commaFor", 0.6) : 0, () => {
        // a second index running backwards
        const j = this.fresh("j");
        head = `for (let ${i} = 0, ${j} = ${arr!.name}.length - 1; ${i} < ${arr!.name}.length; ${i}++, ${j}--)`;
        idx = { name: i, len: arr!.len, ge1: false };
        inner.idxs.push({ name: j, len: arr!.len, ge1: false, pinned: true });
      }],
      [arr ? 1.5 : 0, () => {
        head = `for (let ${i} = ${arr!.name}.length - 1; ${i} >= 0; ${i}--)`;
        idx = { name: i, len: arr!.len, ge1: false };
      }],
      [arr ? 1 : 0, () => {
        head = `for (let ${i} = 1; ${i} < ${arr!.name}.length; ${i}++)`;
        idx = { name: i, len: arr!.len, ge1: true };
      }],
      [arr ? 1 : 0, () => {
        head = `for (let ${i} = ${this.rng.int(0, 1)}; ${i} < ${arr!.name}.length; ${i} += 2)`;
        idx = { name: i, len: arr!.len, ge1: false };
      }],
      [outerIdx.length ? 1.5 : 0, () => {
        const o = this.pick(outerIdx);
        const a = arrs.find((x) => x.len === o.len)!;
        head = `for (let ${i} = ${o.name}; ${i} < ${a.name}.length; ${i}++)`;
        idx = { name: i, len: o.len, ge1: o.ge1 };
      }],
      [outerIdx.length ? 1.5 : 0, () => {
        const o = this.pick(outerIdx);
        head = `for (let ${i} = 0; ${i} < ${o.name}; ${i}++)`;
        idx = { name: i, len: o.len, ge1: false };
      }],
      [1, () => {
        head = `for (let ${i} = 0; ${i} < ${this.rng.int(1, 4)}; ${i}++)`;
        idx = { name: i, len: undefined, ge1: false };
      }],
      [arr ? 0.5 : 0, () => {
        head = `for (let ${i} = 0; ${i} < Math.min(${arr!.name}.length, ${this.rng.int(1, 3)}); ${i}++)`;
        idx = { name: i, len: arr!.len, ge1: false };
      }],
    ]);
    inner.idxs.push(idx!);
    const body = this.loopBody(inner, ind, { contPrefix: "" });
    return [`${ind}${head!} {`, ...body, `${ind}}`];
  }

  whileLoop(sc: Scope, ind: string): string[] {
    const k = this.fresh("k");
    const inner = child(sc);
    const arr = sc.arrs.length ? this.pick(sc.arrs) : undefined;
    if (arr && this.chance(0.35)) {
      // count down: the decrement comes first, so `continue` needs no prefix
      inner.idxs.push({ name: k, len: arr.len, ge1: false, pinned: true });
      const body = this.loopBody(inner, ind, { contPrefix: "" });
      return [`${ind}let ${k} = ${arr.name}.length;`, `${ind}while (${k} > 0) {`, `${ind}  ${k}--;`, ...body, `${ind}}`];
    }
    const bound = arr ? `${arr.name}.length` : String(this.rng.int(1, 4));
    inner.idxs.push({ name: k, len: arr?.len, ge1: false, pinned: true });
    if (this.chance(0.25)) {
      // an endless loop left with break: the counter steps, and is tested, last
      // (against a bound read before the loop: the body may shadow the array's name)
      const n = this.fresh("n");
      const step = `${k}++; if (${k} >= ${n}) break; `;
      const body = this.loopBody(inner, ind, { contPrefix: step });
      const head = this.chance(0.5) ? "while (true)" : "for (;;)";
      return [`${ind}const ${n} = ${bound};`, `${ind}let ${k} = 0;`, `${ind}${head} {`, ...body, `${ind}  ${step.trim()}`, `${ind}}`];
    }
    const mutable = sc.nums.filter((v) => v.mutable);
    // a data-dependent condition on top of the counter
    const extra = mutable.length && this.chance(0.4) ? ` && ${cmp(this.pick(mutable).name, "<", this.lit(0.5, 3))}` : "";
    const body = this.loopBody(inner, ind, { contPrefix: `${k}++; ` });
    return [`${ind}let ${k} = 0;`, `${ind}while (${k} < ${bound}${extra}) {`, ...body, `${ind}  ${k}++;`, `${ind}}`];
  }

  doWhile(sc: Scope, ind: string): string[] {
    const k = this.fresh("k");
    const inner = child(sc);
    const arr = sc.arrs.length ? this.pick(sc.arrs) : undefined;
    const bound = arr ? `${arr.name}.length` : String(this.rng.int(1, 4));
    inner.idxs.push({ name: k, len: arr?.len, ge1: false, pinned: true });
    const mutable = sc.nums.filter((v) => v.mutable);
    const extra = mutable.length && this.chance(0.3) ? ` && ${this.pick(mutable).name} > ${this.signedLit()}` : "";
    const body = this.loopBody(inner, ind, { contPrefix: `${k}++; ` });
    return [`${ind}let ${k} = 0;`, `${ind}do {`, ...body, `${ind}  ${k}++;`, `${ind}} while (${k} < ${bound}${extra});`];
  }

  forOf(sc: Scope, ind: string): string[] {
    const v = this.fresh("v");
    const arr = this.pick(sc.arrs);
    const inner = child(sc);
    inner.nums.push({ name: v, mutable: false });
    const body = this.loopBody(inner, ind, { contPrefix: "" });
    return [`${ind}for (const ${v} of ${arr.name}) {`, ...body, `${ind}}`];
  }

  localArray(sc: Scope, ind: string): string[] {
    let init: string;
    let cls: string;
    let view: ArrRef | undefined;
    let plain = false;
    let jsArray = false;
    const src = sc.arrs.length ? this.pick(sc.arrs) : undefined;
    // a view of an array variable that is reassigned is refused
    const base = src && !src.plain && !src.reassignable ? src : undefined;
    // callbacks are taken on whole arrays, not views
    const whole = src && !src.view ? src : undefined;
    const fromMap = this.opts.f32 ? this.w("arrayFromF32Map", this.w("arrayFrom", 0.8)) : this.w("arrayFrom", 0.8);
    const T = this.opts.f32 && this.chance(0.5) ? "Float32Array" : "Float64Array";
    const n = this.rng.int(1, 4);
    this.choose<void>([
      [src ? 5 : 0, () => { init = `new ${T}(${src!.name}.length)`; cls = src!.len; }],
      [2, () => { init = `new ${T}(${n})`; cls = `c${n}`; }],
      [src ? 1 : 0, () => { init = `new ${T}(${src!.name}.length + ${this.rng.int(1, 2)})`; cls = this.fresh("L"); }],
      // copies
      [src ? 0.7 : 0, () => { init = `${src!.name}.slice()`; cls = src!.len; plain = !!src!.plain; jsArray = !!src!.jsArray; }],
      [src ? 0.5 : 0, () => { init = `new ${T}(${src!.name})`; cls = src!.len; }],
      [src ? 0.5 : 0, () => { init = `${T}.from(${src!.name})`; cls = src!.len; }],
      [src ? this.w("partialCopy", 0.3) : 0, () => { init = `${src!.name}.slice(-1)`; cls = "c1"; plain = !!src!.plain; jsArray = !!src!.jsArray; }],
      [src ? this.w("partialCopy", 0.3) : 0, () => { init = `${src!.name}.slice(0, 1)`; cls = "c1"; plain = !!src!.plain; jsArray = !!src!.jsArray; }],
      // as long as the half from its middle on: at least one element
      [src ? this.w("partialCopy", 0.3) : 0, () => { init = `${src!.name}.slice(${src!.name}.length >> 1)`; cls = this.fresh("L"); plain = !!src!.plain; jsArray = !!src!.jsArray; }],
      // a view of all of src: writes through either name are seen through the other
      [base ? 0.7 : 0, () => { init = `${base!.name}.subarray(0, ${base!.name}.length)`; cls = base!.len; view = base; }],
      [base ? this.w("partialView", 0.5) : 0, () => { init = `${base!.name}.subarray(${base!.name}.length >> 1)`; cls = this.fresh("L"); view = base; }],
      [base ? this.w("partialView", 0.4) : 0, () => { init = `${base!.name}.subarray(0, 1)`; cls = "c1"; view = base; }],
      // plain arrays
      [this.w("arrayLiteral", 1.5), () => { init = `[${Array.from({ length: n }, () => this.num(sc, 2)).join(", ")}]`; cls = `c${n}`; plain = jsArray = true; }],
      [this.w("arrayFrom", 0.4), () => { init = `new Array(${n}).fill(${this.num(sc, 1)})`; cls = `c${n}`; plain = jsArray = true; }],
      [src ? this.w("arrayFrom", 0.8) : 0, () => { init = `Array.from(${src!.name})`; cls = src!.len; plain = jsArray = true; }],
      [whole ? fromMap : 0, () => { init = `Array.from(${whole!.name}, ${this.callback(sc, whole!.len, false)})`; cls = whole!.len; plain = jsArray = true; }],
      [this.w("arrayFrom", 0.4), () => { init = `Array.from({ length: ${n} }, ${this.callback(sc, `c${n}`, true)})`; cls = `c${n}`; plain = jsArray = true; }],
      // a typed array's map is a typed array
      [whole ? this.w("arrayFrom", 0.6) : 0, () => { init = `${whole!.name}.map(${this.callback(sc, whole!.len, false)})`; cls = whole!.len; plain = !!whole!.plain; jsArray = !!whole!.jsArray; }],
      // concatenations and sorted copies
      ...concatInits(this, sc, this.w("concat", 2)).map(([w, made]): [number, () => void] => [w, () => { init = made(); cls = this.fresh("L"); plain = jsArray = true; }]),
      [src ? this.w("sort", 2) : 0, () => { ({ init, plain, jsArray } = sortedCopy(this, sc, src!)); cls = src!.len; }],
    ]);
    // a `let` (not a view, of one type) that statements may reassign
    const reassignable = !view && /^new Float/.test(init!) && this.chance(this.w("letArray", 0.4));
    const h = this.declName(sc, "h", init!);
    const out = [`${ind}${reassignable ? "let" : "const"} ${h} = ${init!};`];
    const arr: ArrRef = { name: h, len: cls!, writable: view ? view.writable : true, plain, view: !!view, reassignable, type: reassignable ? T : undefined, jsArray };
    if (reassignable && this.chance(0.6)) {
      // a second buffer to swap with
      const h2 = this.fresh("h");
      sc.declared.add(h2);
      out.push(`${ind}let ${h2} = new ${T}(${h}.length);`);
      sc.arrs.push({ ...arr, name: h2 });
    }
    if (this.chance(0.4)) out.push(`${ind}${h}.fill(${this.chance(0.5) ? this.signedLit() : this.num(sc, 2)});`);
    if (this.chance(0.2)) {
      // only the first element: the others stay 0 with zero derivatives (singular points)
      out.push(`${ind}${h}[0] = ${this.num(sc, 2)};`);
    } else if (this.chance(0.5)) {
      const j = this.fresh("j");
      const inner = child(sc);
      inner.idxs.push({ name: j, len: cls!, ge1: false });
      out.push(`${ind}for (let ${j} = 0; ${j} < ${h}.length; ${j}++) ${h}[${j}] = ${this.num(inner, 2)};`);
    }
    sc.arrs.push(arr);
    if (reassignable && this.blockDepth < 4 && this.fn.loops.length < 3 && this.chance(this.w("reassignArray", 0.4))) {
      // a recurrence: the state replaced in each step
      const t = this.fresh("t");
      const inner = child(sc);
      inner.idxs.push({ name: t, len: undefined, ge1: false });
      const step = this.inLoop({ contPrefix: "" }, () => this.reassignArray(inner, ind + "  ", arr));
      out.push(`${ind}for (let ${t} = 0; ${t} < ${this.rng.int(1, 3)}; ${t}++) {`, ...step, `${ind}}`);
    }
    return out;
  }

  /**
   * `(v, i) => e` for map and Array.from over an array of class `len`, or with
   * `fromLength`, `(_, i) => e` for Array.from({ length }).
   */
  callback(sc: Scope, len: string, fromLength: boolean): string {
    const params: LambdaParam[] = fromLength ? ["_", { idx: len }] : this.chance(0.4) ? ["num", { idx: len }] : ["num"];
    const { inner, head } = this.lambda(sc, params);
    return `${head} => ${this.num(inner, 2)}`;
  }

  exit(sc: Scope, ind: string): string[] {
    const loop = this.fn.loops[this.fn.loops.length - 1];
    return this.choose<string[]>([
      [3, () => [`${ind}if (${this.cond(sc, 1)}) break;`]],
      [3, () => [`${ind}if (${this.cond(sc, 1)}) { ${loop.contPrefix}continue; }`]],
      [2, () => [`${ind}if (${this.cond(sc, 1)}) return ${this.fn.retArr ?? this.retExpr(sc)};`]],
      [0.5, () => [`${ind}if (${this.cond(sc, 1)}) {`, ...this.block(child(sc), ind + "  ", 1), `${ind}  break;`, `${ind}}`]],
    ]);
  }

  /** `const h = g(...)` for a helper returning an array. */
  vectorCall(sc: Scope, ind: string, f: FnRef): string[] {
    const { args, returned } = this.args(sc, f, 1);
    const call = `${f.name}(${args.join(", ")})`;
    const h = this.declName(sc, "h", call);
    // a helper may return its parameter: a plain array passed in comes back
    sc.arrs.push({ name: h, len: returned!.len, writable: true, plain: true, view: !!returned!.view });
    return [`${ind}const ${h} = ${call};`];
  }

  effectCall(sc: Scope, ind: string, f: FnRef): string[] {
    const mutable = sc.nums.filter((v) => v.mutable);
    const call = this.call(sc, f, 1);
    if (mutable.length && this.chance(0.6)) {
      return [`${ind}${this.pick(mutable).name} += ${this.lit(0.1, 0.6)} * ${this.compounding() ? `Math.tanh(${call})` : call};`];
    }
    if (this.chance(0.5)) return [`${ind}${call};`];
    const name = this.declName(sc, "s", call);
    sc.nums.push({ name, mutable: true });
    return [`${ind}let ${name} = ${call};`];
  }

  /** A return value: a bounded combination of what is in scope. */
  retExpr(sc: Scope): string {
    const terms: string[] = [];
    for (const v of sc.nums) if (this.chance(0.6)) terms.push(`${this.lit(0.2, 1)} * ${v.name}`);
    if (sc.arrs.length && this.chance(0.7)) terms.push(this.read(sc));
    if (!terms.length || this.chance(0.3)) terms.push(this.num(sc, 2));
    return terms.slice(0, 8).join(" + ");
  }

  // --- functions ------------------------------------------------------------------------

  /** The body of a helper with parameters `params`; returns its lines (without braces). */
  helperBody(sc: Scope, ind: string, size: number, retArr?: ArrRef, prologue: string[] = []): string[] {
    const saved = this.fn;
    const savedDepth = this.blockDepth;
    const savedFuel = this.fuel;
    this.fn = { loops: [], isMain: false };
    this.blockDepth = 0;
    this.fuel = size;
    this.helperDepth++;
    try {
      const out = prologue.map((line) => ind + line);
      // a helper nested in this one, reading its parameters
      if (this.helperDepth < 2 && this.chance(0.2)) {
        const name = this.fresh("g");
        sc.declared.add(name);
        const { ref, lines } = this.helper(name, this.captures(sc), ind, this.chance(0.5) ? "decl" : "arrow");
        out.push(...lines);
        sc.fns.push(ref);
      }
      if (retArr) {
        // the result: a new array filled from the argument, or the argument itself
        const r = this.chance(0.75) ? this.fresh("r") : retArr.name;
        if (r !== retArr.name) {
          sc.declared.add(r);
          const init = this.chance(0.5) ? `new Float64Array(${retArr.name}.length)` : `${retArr.name}.slice()`;
          out.push(`${ind}const ${r} = ${init};`);
          const j = this.fresh("j");
          const inner = child(sc);
          inner.idxs.push({ name: j, len: retArr.len, ge1: false });
          const e = this.num(inner, 2);
          out.push(`${ind}for (let ${j} = 0; ${j} < ${r}.length; ${j}++) ${r}[${j}] = ${e};`);
          sc.arrs.push({ name: r, len: retArr.len, writable: true });
        }
        this.fn.retArr = r;
      }
      while (this.fuel > 0) out.push(...this.stmt(sc, ind));
      out.push(`${ind}return ${this.fn.retArr ?? this.retExpr(sc)};`);
      return out;
    } finally {
      this.helperDepth--;
      this.fn = saved;
      this.blockDepth = savedDepth;
      this.fuel = savedFuel;
    }
  }

  /** What a nested helper may read of the function around it: its parameters, never its mutable state. */
  captures(sc: Scope): Scope {
    const c = emptyScope();
    c.fns = [...sc.fns];
    if (this.chance(0.4)) return c;
    c.nums = sc.nums.filter((v) => !v.mutable);
    c.arrs = sc.arrs.filter((a) => a.param || /^(p\.a|a|p\.o\.v|o\.v)$/.test(a.name)).map((a) => ({ ...a, writable: false }));
    c.objs = [...sc.objs];
    c.ints = [...sc.ints];
    c.bools = sc.bools.filter((b) => b.name === "on");
    return c;
  }

  /**
   * A helper: its parameters, whether it writes its array arguments, and source.
   * `captures` is what it may read from the enclosing function (parameters only).
   */
  helper(name: string, captures: Scope, ind: string, style: "decl" | "arrow"): { ref: FnRef; lines: string[] } {
    const sc = child(captures);
    const kinds: ParamKind[] = [];
    const names: string[] = [];
    const types: string[] = [];
    const np = this.rng.int(1, 3);
    let effects = false;
    let optional = false;
    const arity: Record<number, number> = {};
    // a one-expression arrow
    const expression = style === "arrow" && this.chance(0.4);
    for (let k = 0; k < np; k++) {
      if (k > 0 && this.chance(this.w("callbackParam", 0.1))) {
        // a callback, called with one or two numbers
        const f = this.fresh("f");
        arity[k] = this.rng.int(1, 2);
        kinds.push("fn");
        names.push(f);
        types.push(`(${["z: number", "t: number"].slice(0, arity[k]).join(", ")}) => number`);
        sc.declared.add(f);
        sc.fns.push({ name: f, params: Array.from({ length: arity[k] }, (): ParamKind => "num"), effects: false });
        continue;
      }
      const r = this.rng.next();
      const kind: ParamKind = r < (k === 0 ? 0.45 : 0.25) ? "arr" : r < (k === 0 ? 0.58 : 0.38) ? "obj" : "num";
      kinds.push(kind);
      if (kind === "obj") {
        // { a, b } passed whole, or destructured in the parameter list
        if (this.chance(0.5)) {
          const q = this.fresh("q");
          names.push(q);
          types.push(OBJ_TYPE);
          sc.declared.add(q);
          sc.objs.push(q);
          sc.arrs.push({ name: `${q}.a`, len: "m", writable: false });
          sc.nums.push({ name: `${q}.b`, mutable: false });
        } else {
          const qa = this.fresh("qa");
          const qb = this.fresh("qb");
          names.push(`{ a: ${qa}, b: ${qb} }`);
          types.push(OBJ_TYPE);
          sc.declared.add(qa).add(qb);
          sc.arrs.push({ name: qa, len: "m", writable: false });
          sc.nums.push({ name: qb, mutable: this.chance(0.3) });
        }
        continue;
      }
      const pn = this.fresh(kind === "arr" ? "a" : "u");
      if (kind === "num" && k === np - 1 && this.chance(this.w("defaultParam", 0.25))) {
        // a default value: calls may leave the argument out
        names.push(`${pn} = ${this.signedLit()}`);
        optional = true;
      } else names.push(pn);
      types.push(kind === "arr" ? this.arrType() : "number");
      sc.declared.add(pn);
      if (kind === "arr") {
        const writable = k === 0 && this.chance(0.4);
        if (writable) effects = true;
        // it may be passed a view
        sc.arrs.push({ name: pn, len: this.fresh("P"), writable, param: true, view: true });
      } else {
        sc.nums.push({ name: pn, mutable: this.chance(0.5) });
      }
    }
    let rest: FnRef["rest"];
    let options: string[] | undefined;
    let prologue: string[] = [];
    if (!optional && this.chance(this.w("restParam", 0.1))) {
      rest = this.chance(0.5) ? "num" : "arr";
      const zs = this.fresh("zs");
      names.push(`...${zs}`);
      types.push(rest === "num" ? "number[]" : `(${this.arrType()} | number[])[]`);
      sc.declared.add(zs);
      if (rest === "num") sc.arrs.push({ name: zs, len: this.fresh("R"), writable: false, plain: true });
      else {
        // a list of at least one array, each maybe a view or a plain array
        const first: ArrRef = { name: `${zs}[0]`, len: this.fresh("P"), writable: false, param: true, view: true, plain: true };
        sc.lists.push({ name: zs, elems: [first], rest: true });
        sc.arrs.push(first);
      }
    } else if (!optional && this.chance(this.w("optionsParam", 0.12))) {
      const o = optionsParam(this, sc, !expression);
      kinds.push("opts");
      names.push(o.text);
      types.push(o.type);
      options = o.fields;
      prologue = o.prologue;
      optional = true;
    }
    const closed = !captures.nums.length && !captures.arrs.length && !captures.objs.length && !captures.ints.length && !captures.bools.length;
    const ref: FnRef = { name, params: kinds, effects, closed, optional, rest, arity, options };
    const params = this.signature(names, types);
    const done = (lines: string[]) => {
      const text = lines.join("\n");
      ref.allocates = ALLOCATES.test(text) || API_CALL.test(text) || captures.fns.some((f) => f.allocates && text.includes(`${f.name}(`));
      ref.typedOnly = /\.(subarray|set)\(/.test(text);
      ref.loops = /\b(for|while) \(|\bdo \{|\.(map|forEach|reduce|reduceRight|some|every|filter)\(|\bArray\.from\(/.test(text) || captures.fns.some((f) => f.loops && text.includes(`${f.name}(`));
      ref.returnsParam = ref.returnsArr !== undefined && text.includes(`return ${names[0]};`);
      // run as plain JavaScript, grad(name) sees only its text: no calls of other functions
      ref.closed = closed && !captures.fns.some((f) => text.includes(`${f.name}(`));
      return { ref, lines };
    };
    // each callback parameter called at least once
    const callbacks = sc.fns.filter((f) => kinds.includes("fn") && names.includes(f.name));
    if (expression) {
      const e = [...callbacks.map((f) => `${this.lit(0.2, 0.8)} * ${this.call(sc, f, 1)}`), this.num(sc, 3)].join(" + ");
      return done([`${ind}const ${name} = (${params}) => ${e};`]);
    }
    for (const f of callbacks) {
      const v = this.fresh("s");
      prologue.push(`let ${v} = ${this.call(sc, f, 1)};`);
      sc.declared.add(v);
      sc.nums.push({ name: v, mutable: true });
    }
    // returning an array as long as its first parameter
    let retArr: ArrRef | undefined;
    if (kinds[0] === "arr" && !this.avoids("array-helpers") && this.chance(0.3)) {
      retArr = sc.arrs.find((a) => a.name === names[0]);
      ref.returnsArr = 0;
    }
    const body = this.helperBody(sc, ind + "  ", this.rng.int(2, 6), retArr, prologue);
    const open = style === "arrow" ? `${ind}const ${name} = (${params}) => {` : `${ind}function ${name}(${params}) {`;
    return done([open, ...body, `${ind}}${style === "arrow" ? ";" : ""}`]);
  }

  /** `const name = customJvp(f, rule)` or customVjp, the rule f's derivative (RULES). */
  customRule(name: string, ind: string): { ref: FnRef; line: string } {
    const rule = this.pick(RULES);
    const zs = rule.arity === 1 ? ["z"] : ["z1", "z2"];
    const sig = (names: string[]) => this.signature(names, names.map(() => "number"));
    const f = `(${sig(zs)}) => ${rule.f}`;
    let made: string;
    if (this.chance(0.5)) {
      made = `customJvp(${f}, (${sig([...zs, ...zs.map((z) => `d${z}`)])}) => ${rule.jvp})`;
    } else {
      const vjp = typeof rule.vjp === "string" ? rule.vjp : `{ const cv = new Float64Array(2); cv[0] = ${rule.vjp[0]}; cv[1] = ${rule.vjp[1]}; return cv; }`;
      made = `customVjp(${f}, (${sig([...zs, "ct"])}) => ${vjp})`;
    }
    const ref: FnRef = { name, params: zs.map(() => "num"), effects: false, closed: true, allocates: false, value: true };
    return { ref, line: `${ind}const ${name} = ${made};` };
  }

  program(size: number): FuzzProgram["source"] {
    // helpers passed through opts.functions: no captures
    const top = emptyScope();
    const nExternal = this.chance(0.3) ? this.rng.int(1, 2) : 0;
    for (let k = 0; k < nExternal; k++) {
      const name = this.fresh("ext");
      const { ref, lines } = this.helper(name, top, "", "decl");
      this.helpers.push({ name, source: lines.join("\n") });
      top.fns.push(ref);
    }

    if (this.chance(this.w("customRule", 0.12))) {
      const name = this.fresh("ext");
      const { ref, line } = this.customRule(name, "");
      this.helpers.push({ name, source: line });
      top.fns.push(ref);
    }

    const sc = emptyScope();
    sc.fns = [...top.fns];
    const lines: string[] = [];
    const ind = "  ";
    // parameters: p as an object, or destructured in the signature or the body
    const style = this.rng.next();
    let sig: string;
    sc.arrs.push({ name: "x", len: "n", writable: this.chance(0.15), param: true });
    // w is sometimes reassigned (a parameter is a local variable too)
    sc.nums.push({ name: "w", mutable: this.chance(0.15) });
    sc.declared.add("x").add("w");
    // q's integer arrays: destructured in the signature, or read as q.lab, q.mask
    const qStyle = this.chance(0.2);
    const [lab, mask] = qStyle ? ["lab", "mask"] : ["q.lab", "q.mask"];
    const data = [qStyle ? "{ lab, mask }" : "q", "on"];
    const dataTypes = [DATA_TYPE, "boolean"];
    sc.ints.push({ name: lab, len: "n", values: "m" }, { name: mask, len: "n" });
    sc.bools.push({ name: "on", mutable: false });
    sc.declared.add(qStyle ? "lab" : "q").add("on");
    if (qStyle) sc.declared.add("mask");
    if (style < 0.15) {
      sig = this.signature(["x", "w", "{ a, b }", ...data], [this.arrType(true), "number", LOSS_OBJ_TYPE, ...dataTypes]);
      sc.arrs.push({ name: "a", len: "m", writable: false });
      sc.nums.push({ name: "b", mutable: false });
      sc.declared.add("a").add("b");
    } else {
      sig = this.signature(["x", "w", "p", ...data], [this.arrType(true), "number", LOSS_OBJ_TYPE, ...dataTypes]);
      sc.arrs.push({ name: "p.a", len: "m", writable: false }, { name: "p.o.v", len: "m", writable: false });
      sc.nums.push({ name: "p.b", mutable: false }, { name: 'p["s k"]', mutable: false }, { name: "p.o.c", mutable: false });
      sc.objs.push("p");
      sc.declared.add("p");
      if (style < 0.3) {
        lines.push(`${ind}const { a, b: pb } = p;`);
        sc.arrs.push({ name: "a", len: "m", writable: false });
        sc.nums.push({ name: "pb", mutable: false });
        sc.declared.add("a").add("pb");
      }
      if (this.chance(0.3)) {
        // a nested object, destructured
        lines.push(`${ind}const { o } = p;`);
        sc.arrs.push({ name: "o.v", len: "m", writable: false });
        sc.nums.push({ name: "o.c", mutable: false });
        sc.declared.add("o");
      }
    }
    // functions with custom rules, declared in the loss
    if (this.chance(this.w("customRule", 0.15))) {
      const name = this.fresh("cr");
      sc.declared.add(name);
      const { ref, line } = this.customRule(name, ind);
      lines.push(line);
      sc.fns.push(ref);
    }
    // nested helpers, which may read the parameters
    const nNested = this.chance(0.5) ? this.rng.int(1, 2) : 0;
    for (let k = 0; k < nNested; k++) {
      const name = this.fresh("g");
      sc.declared.add(name);
      const { ref, lines: hl } = this.helper(name, this.captures(sc), ind, this.chance(0.5) ? "decl" : "arrow");
      lines.push(...hl);
      sc.fns.push(ref);
    }

    this.fuel = size;
    lines.push(`${ind}let s = ${this.num(sc, 2)};`);
    sc.nums.push({ name: "s", mutable: true });
    sc.declared.add("s");
    while (this.fuel > 0) lines.push(...this.stmt(sc, ind));
    // a final reduction over a local array, sometimes
    const locals = sc.arrs.filter((a) => a.writable && a.name !== "x");
    if (locals.length && this.chance(0.5)) {
      const h = this.pick(locals).name;
      const i = this.fresh("i");
      lines.push(`${ind}for (let ${i} = 0; ${i} < ${h}.length; ${i}++) s += ${this.lit(0.1, 0.5)} * ${h}[${i}];`);
    }
    lines.push(`${ind}return ${this.retExpr(sc)};`);
    const arrow = this.chance(0.2);
    this.lossIsArrow = arrow;
    const head = arrow ? `(${sig}) => {` : `function loss(${sig}) {`;
    return [head, ...lines, "}"].join("\n");
  }
}

/** Functions with custom rules: f and its exact derivative (a JVP, and a VJP: cotangents of 2 parameters as a pair). */
const RULES: { arity: 1 | 2; f: string; jvp: string; vjp: string | [string, string] }[] = [
  { arity: 1, f: "Math.log1p(Math.exp(z))", jvp: "dz / (1 + Math.exp(-z))", vjp: "ct / (1 + Math.exp(-z))" },
  { arity: 1, f: "Math.log(1 + z * z)", jvp: "(2 * z * dz) / (1 + z * z)", vjp: "(2 * z * ct) / (1 + z * z)" },
  { arity: 1, f: "z * Math.tanh(z)", jvp: "dz * (Math.tanh(z) + z * (1 - Math.tanh(z) ** 2))", vjp: "ct * (Math.tanh(z) + z * (1 - Math.tanh(z) ** 2))" },
  { arity: 2, f: "z1 * Math.sin(z2)", jvp: "dz1 * Math.sin(z2) + z1 * Math.cos(z2) * dz2", vjp: ["ct * Math.sin(z2)", "ct * z1 * Math.cos(z2)"] },
  {
    arity: 2,
    f: "Math.sqrt(1 + z1 * z1 + z2 * z2)",
    jvp: "(z1 * dz1 + z2 * dz2) / Math.sqrt(1 + z1 * z1 + z2 * z2)",
    vjp: ["(ct * z1) / Math.sqrt(1 + z1 * z1 + z2 * z2)", "(ct * z2) / Math.sqrt(1 + z1 * z1 + z2 * z2)"],
  },
];

/** Text that allocates an array (conservatively). */
const ALLOCATES = /new |\.slice\(|\.from\(|\.map\(|\.filter\(|= \[/;

/** The type of helpers' object parameters (p is passed to them). */
const OBJ_TYPE = "{ a: Float64Array; b: number }";
const LOSS_OBJ_TYPE = '{ a: Float64Array; b: number; "s k": number; o: { c: number; v: Float64Array } }';
const DATA_TYPE = "{ lab: Int32Array; mask: Uint8Array }";


/** First line of the text of an f32 program. */
export const F32_MARK = "// f32: x is a Float32Array";

/** The program for one seed. */
export function generateProgram(seed: number, opts: GenOptions = {}): FuzzProgram {
  const rng = makeRng(seed);
  const g = new Gen(rng, opts);
  const raw = g.program(opts.size ?? rng.int(6, 18));
  const fill = (t: string, lang: "js" | "ts") => t.replace(/\/\*@sig(\d+)\*\//g, (_, id: string) => g.sigs[Number(id)][lang]);
  const source = fill(raw, "js");
  const helpers = g.helpers.map((h) => ({ name: h.name, source: fill(h.source, "js") }));
  const f32 = opts.f32 ?? false;
  const text = [...(f32 ? [F32_MARK] : []), ...helpers.map((h) => h.source), `const loss = ${source};`].join("\n\n");
  // the same program as a TypeScript module, for the build-time front-end
  const tsLoss = g.lossIsArrow ? `export const loss = ${fill(raw, "ts")};` : `export ${fill(raw, "ts")}`;
  const used = API_NAMES.filter((n) => new RegExp(`\\b${n}\\(`).test(text));
  const imports = used.length ? [`import { ${used.join(", ")} } from "gradc";`] : [];
  const tsText = [...imports, ...g.helpers.map((h) => fill(h.source, "ts")), tsLoss].join("\n\n") + "\n";
  return { seed, f32, source, helpers, text, tsText };
}
