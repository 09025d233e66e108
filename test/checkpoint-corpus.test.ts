// Checkpointing across the corpus: every counted for loop of every corpus function,
// marked `// @checkpoint` (each alone, then all together), gives the same gradient as
// the recorded one under every schedule (relative difference < 1e-12), and so do HVPs
// and JVPs. Loops gradc refuses to checkpoint (early exits) are listed, not hidden.
import { describe, expect, it } from "vitest";
import * as gradc from "../index.js";
import { GradcError } from "../compiler/errors.js";
import { cases, type CorpusCase } from "./corpus/index.js";
import { paramIndex, wrtKeys } from "./corpus/params.js";
import { makeRng, seedOf } from "./corpus/rng.js";

type Fn = (...args: any[]) => any;
const api = gradc as unknown as Record<"grad" | "hvp" | "jvp", (f: Fn, o?: object) => Fn>;
const SCHEDULES = ["sqrt", "binomial", { snapshots: 1 }, { snapshots: 2 }] as const;
const TOL = 1e-12;

/** Positions of the `for (` statements in a function's source. */
function loopStarts(src: string): number[] {
  return [...src.matchAll(/(^|\n)([ \t]*)for \(/g)].map((m) => m.index! + m[1].length);
}

/** The source with `// @checkpoint` on the line before each loop at `starts`. */
function marked(src: string, starts: number[]): string {
  let out = src;
  for (const at of [...starts].sort((a, b) => b - a)) out = `${out.slice(0, at)}// @checkpoint\n${out.slice(at)}`;
  return out;
}

function compile(c: CorpusCase, src: string): Fn {
  return new Function(...Object.keys(c.functions ?? {}), `return (${src});`)(...Object.values(c.functions ?? {})) as Fn;
}

/** |a − b| / max(|a|, |b|, tiny), elementwise max, over numbers, arrays and objects of them. */
function relDiff(a: unknown, b: unknown): number {
  if (typeof a === "number") return a === b ? 0 : Math.abs(a - (b as number)) / Math.max(Math.abs(a), Math.abs(b as number), 1e-300);
  if (ArrayBuffer.isView(a)) return Math.max(0, ...Array.from(a as Float64Array, (x, i) => relDiff(x, (b as Float64Array)[i])));
  if (Array.isArray(a)) return Math.max(0, ...a.map((x, i) => relDiff(x, (b as unknown[])[i])));
  return Math.max(0, ...Object.keys(a as object).map((k) => relDiff((a as any)[k], (b as any)[k])));
}

const looping = cases.filter((c) => loopStarts(c.fn.toString()).length > 0);

describe.each(looping.map((c) => [c.name, c] as const))("%s", (_name, c) => {
  const src = c.fn.toString();
  const starts = loopStarts(src);
  const functions = c.functions;
  const variants = [...starts.map((s) => [s]), ...(starts.length > 1 ? [starts] : [])];

  it("every schedule gives the recorded gradient, HVP and JVP", () => {
    const rng = makeRng(seedOf(`checkpoint:${c.name}`));
    const args = c.makeArgs(rng);
    const keys = wrtKeys(c);
    let checked = 0;
    const refused: string[] = [];
    for (const v of variants) {
      const f = compile(c, marked(src, v));
      for (const key of keys) {
        const ref = api.grad(c.fn, { wrt: key, functions })(...args);
        for (const schedule of SCHEDULES) {
          let g: unknown;
          try {
            g = api.grad(f, { wrt: key, functions, checkpoint: schedule })(...args);
          } catch (e) {
            if (!(e instanceof GradcError) || !/checkpoint/.test(e.message)) throw e;
            refused.push(e.message.split("\n")[0]);
            break;
          }
          expect(relDiff(g, ref), `${JSON.stringify(schedule)}, loops at ${v}, wrt ${key}`).toBeLessThan(TOL);
          checked++;
        }
      }
    }
    // Second order and forward mode, all acceptable loops marked, wrt the first key.
    const key = keys[0];
    const x = args[paramIndex(c.fn, key)];
    if (checked > 0 && !c.float32) {
      const f = compile(c, marked(src, variants[variants.length - 1]));
      const dir = typeof x === "number" ? 0.7 : ArrayBuffer.isView(x) ? (x as Float64Array).map((_, i) => Math.sin(i + 1)) : undefined;
      if (dir !== undefined) {
        for (const schedule of SCHEDULES) {
          let hv: unknown;
          try {
            hv = api.hvp(f, { wrt: key, functions, checkpoint: schedule })(...args, dir);
          } catch (e) {
            if (e instanceof GradcError) break;
            throw e;
          }
          expect(relDiff(hv, api.hvp(c.fn, { wrt: key, functions })(...args, dir)), `hvp ${JSON.stringify(schedule)}`).toBeLessThan(TOL);
          const [, t] = api.jvp(f, { wrt: key, functions, checkpoint: schedule })(...args, dir);
          expect(relDiff(t, api.jvp(c.fn, { wrt: key, functions })(...args, dir)[1]), `jvp ${JSON.stringify(schedule)}`).toBeLessThan(TOL);
        }
      }
    }
    if (process.env.GRADC_CHECKPOINT_REPORT) console.log(`${c.name}: ${checked} gradients checked, refused: ${refused.join("; ") || "none"}`);
    expect(checked + refused.length, `${c.name}: nothing checked`).toBeGreaterThan(0);
  });
});
