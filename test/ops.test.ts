// Every op of the op table against central differences over its test domain, through
// the whole pipeline of each mode (reverse or forward -> simplify -> verify -> emit -> run),
// and its second order (HVP, forward over reverse) through the run-time API. Singular
// points are checked in test/singular-points.test.ts.
import { describe, expect, test } from "vitest";
import * as gradc from "../index.js";
import { Builder } from "../compiler/ir/builder.js";
import type { Func, Temp, Var } from "../compiler/ir/types.js";
import { verify } from "../compiler/ir/verify.js";
import { emitFunction } from "../compiler/emit/js.js";
import { Names } from "../compiler/emit/names.js";
import { allOps, type OpDef } from "../compiler/ops/table.js";
import { forward } from "../compiler/transforms/forward.js";
import { reverse } from "../compiler/transforms/reverse/index.js";
import { simplify } from "../compiler/transforms/simplify.js";
import { idsAfter } from "../compiler/pipeline.js";
import { relError } from "../runtime/numeric.js";
import { Tape } from "../runtime/tape.js";

const numericOps = allOps().filter((op) => op.result === "num");
const { hvp } = gradc;

/** f(a0, a1, ...) = op(args); a bool argument is passed as a number and tested `> 0`. */
function opFunc(op: OpDef): Func {
  const b = new Builder({ next: 1 });
  const params: Var[] = op.args.map((_, i) => b.newVar(`a${i}`, "num", i));
  const args: Temp[] = op.args.map((type, i) => (type === "bool" ? b.op("gt", b.get(params[i]), b.num(0)) : b.get(params[i])));
  const result = b.newVar("result", "num");
  b.set(result, b.op(op.name, ...args));
  return verify({ name: op.name, params, body: b.block, result }, { fresh: true });
}

/** Compiles the gradient of `opFunc(op)`; returns (args) => [value, partials]. */
function compileGradient(op: OpDef): (args: number[]) => [number, number[]] {
  const f = opFunc(op);
  const g = verify(simplify(verify(reverse(f, f.params, idsAfter(f))), { keepResult: true }));
  const text = emitFunction(g, { ts: false, names: new Names(), name: "g", returnValue: true });
  const run = new Function("Tape", `const tape = new Tape();\n${text}\nreturn g;`)(Tape);
  return (args) => {
    const scalars = new Float64Array(args.length);
    const value = run(...args, scalars);
    return [value, [...scalars]];
  };
}

/** The op on numbers, with bool arguments given as numbers tested `> 0` (as opFunc does). */
function evalOp(op: OpDef, args: number[]): number {
  return Number(op.eval(...args.map((a, i) => (op.args[i] === "bool" ? Number(a > 0) : a))));
}

/** Compiles the JVP of `opFunc(op)` with one direction per argument; returns (args) => partials. */
function compileTangents(op: OpDef): (args: number[]) => number[] {
  const f = opFunc(op);
  const t = verify(simplify(verify(forward(f, f.params, idsAfter(f), { width: op.args.length })), { keepResult: true }));
  const text = emitFunction(t, { ts: false, names: new Names(), name: "t", returnValue: true });
  const run = new Function("Tape", `const tape = new Tape();\n${text}\nreturn t;`)(Tape);
  const n = op.args.length;
  return (args) => {
    // Direction k is the unit vector along argument k.
    const seeds = args.flatMap((_, i) => Array.from({ length: n }, (_, k) => (i === k ? 1 : 0)));
    const scalars = new Float64Array(n);
    run(...args, ...seeds, scalars);
    return [...scalars];
  };
}

function central(op: OpDef, args: number[], k: number): number {
  const h = 1e-6 * Math.max(1, Math.abs(args[k]));
  const at = (d: number) => evalOp(op, args.map((a, i) => (i === k ? a + d : a)));
  return (at(h) - at(-h)) / (2 * h);
}

/** `(a) => op(a[0], a[1], …)` for the run-time API, bool arguments tested `> 0`. */
function opArrow(op: OpDef): (a: Float64Array) => number {
  const args = op.args.map((type, i) => (type === "bool" ? `(a[${i}] > 0)` : `a[${i}]`));
  return new Function(`return (a) => ${op.js(args)};`)() as (a: Float64Array) => number;
}

/** Points of the op's test domain, the same sequence for every mode. */
function domainPoints(op: OpDef, count: number): number[][] {
  let seed = 12345 + op.name.length;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return Array.from({ length: count }, () => op.domain!.map(([lo, hi]) => lo + (hi - lo) * rand()));
}

describe.each(numericOps.map((op) => [op.name, op] as const))("op %s", (_name, op) => {
  test("has a test domain for every argument", () => {
    expect(op.domain, `op '${op.name}' has no test domain`).toBeDefined();
    expect(op.domain!.length).toBe(op.args.length);
  });

  test("its rules match central differences at random points of its domain, in both modes", () => {
    const gradient = compileGradient(op);
    const tangents = compileTangents(op);
    for (const args of domainPoints(op, 8)) {
      const [value, partials] = gradient(args);
      expect(value).toBe(evalOp(op, args));
      op.args.forEach((type, k) => {
        if (type !== "num") return;
        const expected = central(op, args, k);
        expect(relError(partials[k], expected), `${op.name} reverse d/da${k} at ${args}`).toBeLessThan(1e-6);
        expect(relError(tangents(args)[k], expected), `${op.name} forward d/da${k} at ${args}`).toBeLessThan(1e-6);
      });
    }
  });

  // Second order differentiates the partials themselves: H·e_k against central
  // differences of the (compiled) gradient along argument k.
  test.skipIf(!op.partials)("its second order (hvp, forward over reverse) matches differences of its gradient", () => {
    const gradient = compileGradient(op);
    const fh = hvp(opArrow(op));
    const numeric = op.args.map((t) => t === "num");
    for (const args of domainPoints(op, 4)) {
      op.args.forEach((type, k) => {
        if (type !== "num") return;
        const direction = Float64Array.from(args, (_, i) => (i === k ? 1 : 0));
        const hv = fh(Float64Array.from(args), direction);
        const h = 1e-5 * Math.max(1, Math.abs(args[k]));
        const at = (d: number) => gradient(args.map((a, i) => (i === k ? a + d : a)))[1];
        const [plus, minus] = [at(h), at(-h)];
        numeric.forEach((num, j) => {
          if (!num) return;
          const expected = (plus[j] - minus[j]) / (2 * h);
          expect(Math.abs(hv[j] - expected), `${op.name} d2/da${j}da${k} at ${args}: ${hv[j]} vs ${expected}`)
            .toBeLessThan(1e-5 * Math.max(1, Math.abs(expected)));
        });
      });
    }
  });
});

test("boolean ops (comparisons, logic) have no derivative and no test domain", () => {
  for (const op of allOps().filter((o) => o.result === "bool")) expect(op.partials).toBeUndefined();
});
