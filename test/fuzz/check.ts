// Checks one generated program: for each parameter as wrt, at random points, the
// compiled value must equal the function's and the gradient must match central
// differences. Shared by test/fuzz.test.ts and the long-run script test/fuzz/run.ts.
import { grad, GradcError, hessian, hvp, jvp, valueAndGrad } from "../../index.js";
import { maxRelError, numericGradient, relError } from "../../runtime/numeric.js";
import { makeRng, seedOf, type Rng } from "../corpus/rng.js";
import { buildProgram, generateProgram, makeArgs, PARAMS, type FuzzArgs, type FuzzProgram, type GenOptions } from "./generate.js";

/** The seed's standard for float64 gradients. */
export const GRAD_TOL = 1e-5;
/**
 * f32 programs: x holds single-precision values and intermediates may be stored in
 * Float32Arrays, each store rounding by up to ~6e-8 relative; central differences
 * then need a step of 1e-3 (for every parameter), and 1e-3 is the tolerance the
 * corpus uses for float32 cases.
 */
export const GRAD_TOL_32 = 1e-3;
const STABLE_TOL_32 = 1e-4;
const H_32 = 1e-3;
/** Compiled value vs. calling the function. */
export const VALUE_TOL = 1e-12;
/**
 * A point is skipped when central differences with steps h and h/2 disagree by more
 * than this (relative error as everywhere): the loss switches branch (or jumps)
 * within a step of the point, so the finite difference is not a derivative there.
 * It is a tenth of GRAD_TOL, so a checked point's reference is good to ~1e-6.
 */
export const STABLE_TOL = 1e-6;
const H = 1e-6;

export type FailureKind = "refused" | "crash" | "value" | "gradient" | "wrote-arguments" | "invalid-program";

export interface Failure {
  kind: FailureKind;
  wrt: string;
  message: string;
  args?: FuzzArgs;
}

export interface CheckResult {
  prog: FuzzProgram;
  failures: Failure[];
  /** (wrt, point) pairs whose gradient was compared. */
  checked: number;
  /** Points skipped because the central difference was unstable there. */
  skipped: number;
  /** wrt choices for which no stable point was found in the attempts allowed. */
  untested: number;
}

export interface CheckOptions {
  /** Stable points to check per wrt (default 2). */
  points?: number;
  /** Points to try per wrt before giving up on finding stable ones (default 6). */
  attempts?: number;
  /** Also compile with wrt = [0, 1, 2] and compare to the single-wrt gradients. */
  listWrt?: boolean;
  /** Only these wrt indices (default: all three). */
  wrts?: number[];
  /**
   * Other derivative modes to check at one point per wrt, each against valueAndGrad:
   * "grad" (the value-free gradient must equal valueAndGrad's), "jvp" (forward mode
   * must give the reverse-mode gradient dotted with the tangent), "hvp" (forward over
   * reverse must match central differences of valueAndGrad's gradient along the
   * vector) and "hessian" (its product with the vector must equal the HVP).
   */
  modes?: Mode[];
  /** Check only at this point (no other attempts): for reducing a failure. */
  at?: FuzzArgs;
  /** Generator options, for checkSeed. */
  gen?: GenOptions;
}

export type Mode = "grad" | "jvp" | "hvp" | "hessian";
export const ALL_MODES: Mode[] = ["grad", "jvp", "hvp", "hessian"];

export function copyArgs(args: FuzzArgs): FuzzArgs {
  return args.map((a) => mapShape(a, (x) => x)) as FuzzArgs;
}

function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}${e instanceof GradcError ? "" : `\n${e.stack ?? ""}`}`;
  return String(e);
}

export function checkSeed(seed: number, opts: CheckOptions = {}): CheckResult {
  return checkProgram(generateProgram(seed, opts.gen), opts);
}

export function checkProgram(prog: FuzzProgram, opts: CheckOptions = {}): CheckResult {
  const points = opts.points ?? 2;
  const [gradTol, stableTol, h] = prog.f32 ? [GRAD_TOL_32, STABLE_TOL_32, H_32] : [GRAD_TOL, STABLE_TOL, H];
  const attempts = opts.attempts ?? 6;
  const res: CheckResult = { prog, failures: [], checked: 0, skipped: 0, untested: 0 };
  let built;
  try {
    built = buildProgram(prog);
  } catch (e) {
    res.failures.push({ kind: "invalid-program", wrt: "-", message: `cannot build: ${describeError(e)}` });
    return res;
  }
  const { f, functions } = built;

  for (let wi = 0; wi < PARAMS.length; wi++) {
    if (opts.wrts && !opts.wrts.includes(wi)) continue;
    const wrt = PARAMS[wi];
    const rng = makeRng(seedOf(`fuzz:${prog.seed}:${wrt}`));
    let vg: (...args: unknown[]) => [number, unknown];
    try {
      vg = valueAndGrad(f, { wrt: wi, functions }) as (...args: unknown[]) => [number, unknown];
    } catch (e) {
      res.failures.push({ kind: e instanceof GradcError ? "refused" : "crash", wrt, message: describeError(e) });
      continue;
    }
    let good = 0;
    for (let k = 0; k < (opts.at ? 1 : attempts) && good < points; k++) {
      const args = opts.at ? copyArgs(opts.at) : makeArgs(rng, prog.f32);
      let want: unknown;
      try {
        want = f(...copyArgs(args));
      } catch (e) {
        res.failures.push({ kind: "invalid-program", wrt, message: `loss throws: ${describeError(e)}`, args });
        return res;
      }
      if (typeof want !== "number" || !Number.isFinite(want)) {
        res.failures.push({ kind: "invalid-program", wrt, message: `loss returned ${want}`, args });
        return res;
      }
      const callArgs = copyArgs(args);
      let value: number, g: unknown;
      try {
        [value, g] = vg(...callArgs);
      } catch (e) {
        res.failures.push({ kind: e instanceof GradcError ? "refused" : "crash", wrt, message: describeError(e), args });
        break;
      }
      if (maxRelError(callArgs, args) !== 0) {
        res.failures.push({ kind: "wrote-arguments", wrt, message: "valueAndGrad changed its arguments", args });
      }
      if (!(value === want || relError(value, want) <= VALUE_TOL)) {
        res.failures.push({ kind: "value", wrt, message: `value ${value}, loss returns ${want}`, args });
      }
      const n1 = numericGradient(f, args, wi, { h });
      const n2 = numericGradient(f, args, wi, { h: h / 2 });
      const spread = maxRelError(n1, n2);
      if (!(spread <= stableTol)) {
        res.skipped++;
        continue;
      }
      good++;
      res.checked++;
      const err = maxRelError(g, n1);
      if (!(err < gradTol)) {
        res.failures.push({
          kind: "gradient",
          wrt,
          message: `relative error ${err.toExponential(2)}\n  gradc:   ${show(g)}\n  numeric: ${show(n1)}`,
          args,
        });
        break;
      }
    }
    if (good === 0 && !res.failures.some((x) => x.wrt === wrt)) res.untested++;
  }

  if (opts.listWrt && res.failures.length === 0) checkListWrt(f, functions, prog, res);
  if (opts.modes?.length && res.failures.length === 0) checkModes(f, functions, prog, res, opts);
  return res;
}

/** A number, a typed array, or an object of those (nested); booleans pass through mapShape unchanged. */
type Shape = number | boolean | Float64Array | Float32Array | Int32Array | Uint8Array | { [key: string]: Shape };

/**
 * A new value shaped like `v`, each number (and each typed-array entry) mapped by
 * `f(entry, path)`, `path` naming its place in the flat order gradc uses (object
 * keys in order, depth first); booleans and integer arrays (data) are copied.
 */
function mapShape(v: unknown, f: (x: number, path: string) => number, path = ""): any {
  if (typeof v === "number") return f(v, path);
  if (v instanceof Float64Array || v instanceof Float32Array) return v.map((x, i) => f(x, `${path}[${i}]`));
  if (ArrayBuffer.isView(v)) return (v as Int32Array).slice();
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) out[k] = mapShape((v as Record<string, unknown>)[k], f, `${path}.${k}`);
    return out;
  }
  return v;
}

/** The numbers of a value shaped like a wrt argument, in gradc's flat order. */
function flatten(v: unknown): number[] {
  const out: number[] = [];
  mapShape(v, (x) => (out.push(x), x));
  return out;
}

/** A random value shaped like `v`, entries in [-1, 1]. */
function randomLike(v: Shape, rng: Rng): Shape {
  return mapShape(v, () => rng.uniform(-1, 1));
}

/** v + e·d, shaped like v (a new value). */
function axpy(v: Shape, e: number, d: Shape): Shape {
  const ds = flatten(d);
  let k = 0;
  return mapShape(v, (x) => x + e * ds[k++]);
}

function dot(g: unknown, t: Shape): number {
  const gs = flatten(g);
  return flatten(t).reduce((s, x, i) => s + x * gs[i], 0);
}

/** Central difference of `g` along `d` at `args[wi]`, step e (relative to the size of the argument). */
function gradDifference(g: (...a: unknown[]) => unknown, args: FuzzArgs, wi: number, d: Shape, e: number): unknown {
  const at = (sign: number) => {
    const a = copyArgs(args) as unknown as Shape[];
    a[wi] = axpy(a[wi], sign * e, d);
    return g(...a);
  };
  const up = at(1);
  const down = at(-1);
  const ds = flatten(down);
  let k = 0;
  return mapShape(up, (x) => (x - ds[k++]) / (2 * e));
}

function checkModes(f: (...a: any[]) => number, functions: Record<string, Function>, prog: FuzzProgram, res: CheckResult, opts: CheckOptions): void {
  const tol = prog.f32 ? 1e-6 : 1e-9;
  const modes = opts.modes!;
  for (let wi = 0; wi < PARAMS.length; wi++) {
    if (opts.wrts && !opts.wrts.includes(wi)) continue;
    const rng = makeRng(seedOf(`fuzz:${prog.seed}:modes:${wi}`));
    const args = opts.at ? copyArgs(opts.at) : makeArgs(rng, prog.f32);
    const want = f(...copyArgs(args));
    const g = valueAndGrad(f, { wrt: wi, functions })(...copyArgs(args))[1];
    const t = randomLike(args[wi] as Shape, rng);
    const fail = (mode: string, kind: FailureKind, message: string) => res.failures.push({ kind, wrt: `${PARAMS[wi]} (${mode})`, message, args });
    const attempt = (mode: Mode, check: () => void) => {
      if (!modes.includes(mode)) return;
      try {
        check();
      } catch (e) {
        fail(mode, e instanceof GradcError ? "refused" : "crash", describeError(e));
      }
    };
    attempt("grad", () => {
      const err = maxRelError(grad(f, { wrt: wi, functions })(...copyArgs(args)), g);
      if (!(err <= 1e-12)) fail("grad", "gradient", `grad differs from valueAndGrad by ${err.toExponential(2)}`);
    });
    attempt("jvp", () => {
      const [v, jt] = jvp(f, { wrt: wi, functions })(...copyArgs(args), t) as [number, number];
      if (!(v === want || relError(v, want) <= VALUE_TOL)) fail("jvp", "value", `value ${v}, loss returns ${want}`);
      const ref = dot(g, t);
      const err = relError(jt, ref);
      if (!(err <= tol)) fail("jvp", "gradient", `J·t = ${jt}, reverse gradient · t = ${ref} (error ${err.toExponential(2)})`);
    });
    let hv: unknown;
    attempt("hvp", () => {
      hv = hvp(f, { wrt: wi, functions })(...copyArgs(args), t);
      const gw = (...a: unknown[]) => valueAndGrad(f, { wrt: wi, functions })(...a)[1];
      const e = prog.f32 ? 1e-3 : 1e-5;
      const d1 = gradDifference(gw, args, wi, t, e);
      const d2 = gradDifference(gw, args, wi, t, e / 2);
      if (!(maxRelError(d1, d2) <= (prog.f32 ? 1e-4 : 1e-6))) {
        res.skipped++;
        return;
      }
      const err = maxRelError(hv, d1);
      if (!(err < (prog.f32 ? GRAD_TOL_32 : GRAD_TOL))) fail("hvp", "gradient", `relative error ${err.toExponential(2)}\n  hvp:        ${show(hv)}\n  difference: ${show(d1)}`);
    });
    attempt("hessian", () => {
      const H = hessian(f, { wrt: wi, functions })(...copyArgs(args)) as Float64Array;
      const ts = flatten(t);
      const Ht = ts.map((_, i) => ts.reduce((s, tj, j) => s + H[i * ts.length + j] * tj, 0));
      const ref = hv ?? hvp(f, { wrt: wi, functions })(...copyArgs(args), t);
      const err = maxRelError(Float64Array.from(Ht), Float64Array.from(flatten(ref)));
      if (!(err <= tol)) fail("hessian", "gradient", `H·t differs from the HVP by ${err.toExponential(2)}\n  H·t: ${show(Float64Array.from(Ht))}\n  hvp: ${show(ref)}`);
    });
  }
}

/**
 * wrt as a list must give the same gradients as one wrt at a time; grad must give
 * valueAndGrad's gradient; opts.out buffers (with stale contents) must be filled
 * with it and returned; a second call must repeat the first.
 */
function checkListWrt(f: (...a: any[]) => number, functions: Record<string, Function>, prog: FuzzProgram, res: CheckResult): void {
  const rng = makeRng(seedOf(`fuzz:${prog.seed}:list`));
  const args = makeArgs(rng, prog.f32);
  try {
    const [v, gs] = valueAndGrad(f, { wrt: [0, 1, 2], functions })(...copyArgs(args)) as [number, unknown[]];
    const single = PARAMS.map((_, i) => valueAndGrad(f, { wrt: i, functions })(...copyArgs(args))[1]);
    const want = f(...copyArgs(args));
    if (!(v === want || relError(v, want) <= VALUE_TOL)) {
      res.failures.push({ kind: "value", wrt: "[x,w,p]", message: `value ${v}, loss returns ${want}`, args });
    }
    const err = maxRelError(gs, single);
    if (!(err <= 1e-12)) {
      res.failures.push({ kind: "gradient", wrt: "[x,w,p]", message: `list wrt differs from single wrt by ${err}`, args });
    }
    for (let i = 0; i < PARAMS.length; i++) {
      const g = grad(f, { wrt: i, functions })(...copyArgs(args));
      const e1 = maxRelError(g, single[i]);
      if (!(e1 <= 1e-12)) res.failures.push({ kind: "gradient", wrt: PARAMS[i], message: `grad differs from valueAndGrad by ${e1}`, args });
      if (i === 1) continue; // a number: no buffer
      const out = mapShape(args[i], () => 123);
      const withOut = valueAndGrad(f, { wrt: i, functions, out });
      for (let call = 0; call < 2; call++) {
        const [v2, g2] = withOut(...copyArgs(args)) as [number, unknown];
        const e2 = maxRelError(g2, single[i]);
        if (g2 !== out || !(e2 <= 1e-12) || !(v2 === want || relError(v2, want) <= VALUE_TOL)) {
          res.failures.push({ kind: "gradient", wrt: PARAMS[i], message: `opts.out call ${call + 1}: ${g2 === out ? `differs by ${e2}, value ${v2}` : "not the out buffer"}`, args });
          break;
        }
      }
    }
  } catch (e) {
    res.failures.push({ kind: e instanceof GradcError ? "refused" : "crash", wrt: "[x,w,p]", message: describeError(e), args });
  }
}

function show(v: unknown): string {
  if (typeof v === "number") return String(v);
  if (ArrayBuffer.isView(v)) return `[${Array.from(v as Float64Array).join(", ")}]`;
  if (v && typeof v === "object") return `{ ${Object.entries(v).map(([k, x]) => `${k}: ${show(x)}`).join(", ")} }`;
  return String(v);
}

/** The arguments as JavaScript source. */
export function showArgs(args: FuzzArgs): string {
  const js = (v: unknown): string => {
    if (ArrayBuffer.isView(v)) return `new ${v.constructor.name}([${Array.from(v as Float64Array).join(", ")}])`;
    if (v !== null && typeof v === "object") return `{ ${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${js(x)}`).join(", ")} }`;
    return String(v);
  };
  return `[${args.map(js).join(", ")}]`;
}

/** A failure report with everything needed to reproduce it. */
export function formatFailures(res: CheckResult): string {
  const lines = [`seed ${res.prog.seed}:`];
  for (const fl of res.failures) {
    lines.push(`  [${fl.kind}] wrt ${fl.wrt}: ${fl.message}`);
    if (fl.args) lines.push(`  args: ${showArgs(fl.args)}`);
  }
  lines.push("  program:", ...res.prog.text.split("\n").map((l) => `    ${l}`));
  return lines.join("\n");
}
