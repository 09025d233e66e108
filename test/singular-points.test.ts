// Singular points, one rule for all modes: at every point where an op's partials formula
// gives 0/0 or ±∞ (and at its documented kinks), the op record lists the partials used
// (`singular`), and every mode gives exactly those values: reverse (grad, valueAndGrad,
// vjp) and forward (jvp) agree, a zero tangent or a zero adjoint on the singular
// arguments contributes exactly 0 (never NaN), and second order (hvp, hessian) stays finite.
import { describe, expect, test } from "vitest";
import * as gradc from "../index.js";
import { allOps, type OpDef } from "../compiler/ops/table.js";

// Bound to local names (see test/modes.test.ts on vitest's rewriting of named imports).
const { grad, valueAndGrad, jvp, vjp, hvp, hessian } = gradc;

const differentiable = allOps().filter((op) => op.result === "num" && op.partials);

/** The op applied to argument expressions (a bool argument is `arg > 0`, as in test/ops.test.ts). */
function apply(op: OpDef, args: string[]): string {
  return op.js(args.map((a, i) => (op.args[i] === "bool" ? `(${a} > 0)` : a)));
}

/** A JavaScript arrow function from its source (the run-time API reads its text). */
function arrow(source: string): (...args: any[]) => any {
  return new Function(`return ${source};`)() as (...args: any[]) => any;
}

/** -0 and 0 are the same value here. */
const plain = (xs: ArrayLike<number>) => Array.from(xs, (x) => x + 0);

const unit = (n: number, k: number) => Float64Array.from({ length: n }, (_, i) => (i === k ? 1 : 0));

test("every op with partials lists its singular points (possibly none), each with one partial per argument", () => {
  for (const op of differentiable) {
    expect(op.singular, `op '${op.name}' has no 'singular' list`).toBeDefined();
    for (const s of op.singular!) {
      expect(s.at.length, `${op.name} at ${s.at}`).toBe(op.args.length);
      expect(s.partials.length, `${op.name} at ${s.at}`).toBe(op.args.length);
      for (const p of s.partials) expect(Number.isFinite(p), `${op.name} at ${s.at}: partials must be finite`).toBe(true);
    }
  }
});

const points = differentiable.flatMap((op) => op.singular!.map((s) => [`${op.name}(${s.at.join(", ")})`, op, s] as const));

describe.each(points)("%s", (_name, op, s) => {
  const n = op.args.length;
  // The op's arguments are a[0..n-1], a[n] is one more input the result is linear in.
  const f = arrow(`(a) => ${apply(op, s.at.map((_, k) => `a[${k}]`))} + a[${n}]`);
  const at = () => Float64Array.from([...s.at, 0.5]);
  const want = [...s.partials, 1];
  const numeric = op.args.map((t) => t === "num");

  test("reverse mode gives the documented partials; a zero adjoint gives exactly 0", () => {
    const g = grad(f)(at());
    want.forEach((w, k) => { if (numeric[k] || k === n) expect(g[k] + 0, `d/da${k}`).toBe(w + 0); });
    const [value, g2] = valueAndGrad(f)(at());
    expect(Object.is(value, f(at()))).toBe(true);
    expect(plain(g2)).toEqual(plain(g));
    const [, pullback] = vjp(f)(at());
    expect(plain(pullback(1))).toEqual(plain(g));
    expect(plain(pullback(0))).toEqual(new Array(n + 1).fill(0));
  });

  test("forward mode agrees with reverse along every argument; zero tangents on the op's arguments give exactly 0", () => {
    const g = grad(f)(at());
    const fj = jvp(f);
    for (let k = 0; k <= n; k++) {
      const [value, t] = fj(at(), unit(n + 1, k));
      expect(Object.is(value, f(at()))).toBe(true);
      expect(t + 0, `jvp along e_${k}`).toBe(g[k] + 0);
    }
    // Only the extra input moves: every partial of the op is multiplied by a zero tangent.
    expect(fj(at(), unit(n + 1, n))[1]).toBe(1);
    expect(fj(at(), new Float64Array(n + 1))[1] + 0).toBe(0);
  });

  test("second order (forward over reverse) is finite there, and 0 along the extra input", () => {
    const fh = hvp(f);
    expect(plain(fh(at(), unit(n + 1, n)))).toEqual(new Array(n + 1).fill(0));
    expect(plain(fh(at(), new Float64Array(n + 1)))).toEqual(new Array(n + 1).fill(0));
    for (let k = 0; k < n; k++) {
      const hv = fh(at(), unit(n + 1, k));
      for (const e of hv) expect(Number.isFinite(e), `hvp along e_${k}: ${plain(hv)}`).toBe(true);
    }
    const h = hessian(f)(at());
    for (const e of h) expect(Number.isFinite(e), `hessian ${plain(h)}`).toBe(true);
  });

  // The shape of issue 9: the op's arguments are elements of a local array read before the
  // array is written from the input, so they are active with zero tangents (and adjoints
  // that go nowhere); the op's partials there multiply those zeros.
  test("arguments read from a local array before it is written: every mode gives exactly 1", () => {
    const lines = [
      `const a = new Float64Array(${n});`,
      ...s.at.map((p, k) => `a[${k}] = ${p};`),
      ...s.at.map((_, k) => `const t${k} = a[${k}];`),
      ...s.at.map((_, k) => `a[${k}] = x;`),
      `return ${apply(op, s.at.map((_, k) => `t${k}`))} + a[0];`,
    ];
    const h = arrow(`(x) => {\n${lines.join("\n")}\n}`);
    expect(grad(h)(0.5)).toBe(1);
    expect(valueAndGrad(h)(0.5)[1]).toBe(1);
    expect(jvp(h)(0.5, 1)[1]).toBe(1);
    expect(jvp(h)(0.5, 0)[1] + 0).toBe(0);
    expect(vjp(h)(0.5)[1](0) + 0).toBe(0);
    expect(hvp(h)(0.5, 1) + 0).toBe(0);
  });
});

test("issue 9: Math.atan2(t, t) with t = 0 not depending on x: jvp and grad agree", () => {
  const f = (x: number) => {
    const a = new Float64Array(2);
    const t = a[0];
    a[0] = x;
    return Math.atan2(t, t) * x + Math.hypot(t, t) + Math.sqrt(t * t) * x + a[0];
  };
  expect(grad(f)(0.5)).toBe(1);
  expect(jvp(f)(0.5, 1)[1]).toBe(1);
  expect(hvp(f)(0.5, 1) + 0).toBe(0);
});
