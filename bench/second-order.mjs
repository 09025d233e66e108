// Forward mode and second order (issue 3), measured in the same run as the main table:
// HVP / primal and JVP / primal, and Jacobians of both shapes by forward, reverse and
// `auto` mode. Every gradc result is checked before it is timed: JVPs against central
// differences (and the hand-written gradient), HVPs against central differences of a
// checked gradient, Jacobians against central differences column by column.

import { rng, rosenbrock, rosenbrockVG } from "./cases.mjs";
import { formatTime, measure } from "./timing.mjs";

const HVP_PER_PRIMAL = 4;
const JVP_PER_PRIMAL = 1.5;
const CHECK_TOL = 1e-6; // against central differences

// ------------------------------------------------------------------ functions

/**
 * A loop-heavy loss: a tanh RNN with a d-vector state, h_t = tanh(W h_(t-1) + x_t), read
 * out as the mean of h_t and fitted to ys[t]; W is d x d. Its state is overwritten at
 * every step, and every step is a d x d matrix-vector product.
 */
export function rnnLoss(W, xs, ys, d) {
  const h = new Float64Array(d);
  const next = new Float64Array(d);
  let loss = 0;
  for (let t = 0; t < ys.length; t++) {
    for (let i = 0; i < d; i++) {
      let z = xs[t * d + i];
      for (let j = 0; j < d; j++) z += W[i * d + j] * h[j];
      next[i] = Math.tanh(z);
    }
    let out = 0;
    for (let i = 0; i < d; i++) {
      h[i] = next[i];
      out += h[i];
    }
    const e = out / d - ys[t];
    loss += e * e;
  }
  return loss / ys.length;
}

/** y = tanh(A x) for an m x n matrix A (m = A.length / x.length): every output depends on every input. */
export function tanhLayer(x, A) {
  const n = x.length;
  const m = A.length / n;
  const y = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let z = 0;
    for (let j = 0; j < n; j++) z += A[i * n + j] * x[j];
    y[i] = Math.tanh(z);
  }
  return y;
}

// ------------------------------------------------------------------ checks

function uniform(n, lo, hi, seed) {
  const r = rng(seed);
  return Float64Array.from({ length: n }, () => lo + (hi - lo) * r());
}

/** max |a - b| / max(1, |a|, |b|); numbers or arrays. */
function maxRelError(a, b) {
  if (typeof a === "number") return Math.abs(a - b) / Math.max(1, Math.abs(a), Math.abs(b));
  let e = a.length === b.length ? 0 : Infinity;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(a[i]), Math.abs(b[i])));
  return e;
}

/** x + s v, as a new array. */
function along(x, v, s) {
  return Float64Array.from(x, (xi, i) => xi + s * v[i]);
}

/** Central difference of F (number- or array-valued) at x in the direction v. */
function directional(F, x, v, h = 1e-5) {
  const up = F(along(x, v, h));
  const down = F(along(x, v, -h));
  if (typeof up === "number") return (up - down) / (2 * h);
  return Float64Array.from(up, (u, i) => (u - down[i]) / (2 * h));
}

function firstLine(e) {
  return String(e?.message ?? e).split("\n")[0];
}

/** Runs check() -> error: { err } when within tol, else { problem } saying why not. */
function checked(check, tol = CHECK_TOL) {
  try {
    const err = check();
    return err <= tol ? { err } : { problem: `wrong result (max rel. error ${err.toExponential(1)} vs central differences)` };
  } catch (e) {
    return { problem: `failed: ${firstLine(e)}` };
  }
}

// ------------------------------------------------------------------ cases

/** HVP and JVP rows: { name, target, primal, make() -> { op, out?, args, outBuffer? }, check(op) -> error }. */
function ratioCases(api) {
  const n = 100_000;
  const x = uniform(n, -2, 2, 1000 + n);
  const v = uniform(n, -1, 1, 77);
  const handGrad = (y) => {
    const g = new Float64Array(y.length);
    rosenbrockVG(y, g);
    return g;
  };

  const d = 32;
  const T = 100;
  const W = uniform(d * d, -0.3, 0.3, 5);
  const xs = uniform(T * d, -1, 1, 6);
  const ys = uniform(T, -0.5, 0.5, 8);
  const V = uniform(d * d, -1, 1, 9);
  let rnnVG;
  const rnnGrad = (w) => (rnnVG ??= api.valueAndGrad(rnnLoss))(w, xs, ys, d)[1];

  const hvpOut = new Float64Array(n);
  const rnnOut = new Float64Array(d * d);
  return [
    {
      name: `hvp rosenbrock n=${n.toLocaleString("en")}`,
      target: HVP_PER_PRIMAL,
      primal: { fn: rosenbrock, args: [x] },
      make: () => ({ op: api.hvp(rosenbrock), out: api.hvp(rosenbrock, { out: hvpOut }), args: [x, v], outBuffer: hvpOut }),
      // Hv against central differences of the hand-written gradient along v.
      check: (op) => maxRelError(op(x, v), directional(handGrad, x, v)),
    },
    {
      name: `hvp tanh RNN d=${d}, T=${T} (wrt W, ${d * d})`,
      target: HVP_PER_PRIMAL,
      primal: { fn: rnnLoss, args: [W, xs, ys, d] },
      make: () => ({
        op: api.hvp(rnnLoss),
        out: api.hvp(rnnLoss, { out: rnnOut }),
        args: [W, xs, ys, d, V],
        outBuffer: rnnOut,
      }),
      // The gradient first (JVP identity <g, V> vs central differences of the loss), then Hv
      // against central differences of that gradient along V.
      check: (op) =>
        Math.max(
          maxRelError(directional((w) => rnnLoss(w, xs, ys, d), W, V), dotOf(rnnGrad(W), V)),
          maxRelError(op(W, xs, ys, d, V), directional(rnnGrad, W, V)),
        ),
    },
    {
      name: `jvp rosenbrock n=${n.toLocaleString("en")}`,
      target: JVP_PER_PRIMAL,
      primal: { fn: rosenbrock, args: [x] },
      make: () => ({ op: api.jvp(rosenbrock), args: [x, v] }),
      // [f(x), J v] against f(x), central differences along v, and <hand-written gradient, v>.
      check: (op) => {
        const [value, tangent] = op(x, v);
        return Math.max(
          maxRelError(value, rosenbrock(x)),
          maxRelError(tangent, directional(rosenbrock, x, v)),
          maxRelError(tangent, dotOf(handGrad(x), v)),
        );
      },
    },
  ];
}

function dotOf(a, b) {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** The Jacobian of tanhLayer(., A) at x by central differences, one column per input. */
function jacobianByDifferences(x, A, m) {
  const n = x.length;
  const J = new Float64Array(m * n);
  const e = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    e[j] = 1;
    const col = directional((y) => tanhLayer(y, A), x, e);
    e[j] = 0;
    for (let i = 0; i < m; i++) J[i * n + j] = col[i];
  }
  return J;
}

// ------------------------------------------------------------------ tables

function ratio(num, den, target) {
  if (num === undefined || den === undefined) return "—";
  const r = num / den;
  const shown = r > target && r.toFixed(2) === target.toFixed(2) ? r.toFixed(3) : r.toFixed(2);
  return `${shown} ${r <= target ? "ok" : "MISS"}`;
}

function print(head, body) {
  const width = head.map((h, j) => Math.max(h.length, ...body.map((r) => r[j].length)));
  const line = (r) => r.map((s, j) => (j === 0 ? s.padEnd(width[j]) : s.padStart(width[j]))).join("  ");
  console.log(line(head));
  console.log(width.map((w) => "-".repeat(w)).join("  "));
  for (const r of body) console.log(line(r));
}

function ratioTable(api, timing) {
  let failed = false;
  const body = [];
  for (const c of ratioCases(api)) {
    let made;
    let result;
    try {
      made = c.make();
      result = checked(() => c.check(made.op));
      if (result.problem === undefined && made.out) {
        const withOut = checked(() => c.check(made.out));
        result = withOut.problem ? withOut : { err: Math.max(result.err, withOut.err) };
        if (made.out(...made.args) !== made.outBuffer) console.log(`${c.name}: note: opts.out is not the buffer returned`);
      }
    } catch (e) {
      result = { problem: `failed: ${firstLine(e)}` };
    }
    if (result.problem) {
      console.log(`${c.name}: not timed: ${result.problem}`);
      failed = true;
      body.push([c.name, "—", formatTime(measure({ primal: c.primal }, timing).primal), "—", "—", "—", "—"]);
      continue;
    }
    const variants = { primal: c.primal, op: { fn: made.op, args: made.args } };
    if (made.out) variants.out = { fn: made.out, args: made.args };
    const t = measure(variants, timing);
    body.push([
      c.name,
      result.err.toExponential(1),
      formatTime(t.primal),
      formatTime(t.op),
      formatTime(t.out),
      ratio(t.op, t.primal, c.target),
      t.out === undefined ? "—" : ratio(t.out, t.primal, c.target),
    ]);
  }
  print(["case", "check", "primal", "op", "op+out", "op/primal", "out/primal"], body);
  return failed;
}

function jacobianTable(api, timing) {
  let failed = false;
  const body = [];
  for (const [n, m] of [
    [10, 1000],
    [1000, 10],
  ]) {
    const name = `tanh(A x), n=${n.toLocaleString("en")} -> m=${m.toLocaleString("en")}`;
    const x = uniform(n, -1, 1, 40 + n);
    const A = uniform(m * n, -1, 1, 41 + m).map((a) => a / Math.sqrt(n));
    const outs = {};
    const ops = {};
    let problem = null;
    let worst = 0;
    try {
      const expected = jacobianByDifferences(x, A, m);
      for (const mode of ["forward", "reverse", "auto"]) {
        outs[mode] = new Float64Array(m * n);
        ops[mode] = api.jacobian(tanhLayer, { mode, out: outs[mode] });
        const J = ops[mode](x, A);
        if (J !== outs[mode]) console.log(`${name}: note: ${mode} does not return its opts.out buffer`);
        const e = maxRelError(J, expected);
        worst = Math.max(worst, e);
        if (!(e <= CHECK_TOL)) problem ??= `${mode}: wrong result (max rel. error ${e.toExponential(1)} vs central differences)`;
      }
      const plain = maxRelError(api.jacobian(tanhLayer)(x, A), expected); // default mode, no out
      if (!(plain <= CHECK_TOL)) problem ??= `default mode: wrong result (max rel. error ${plain.toExponential(1)})`;
    } catch (e) {
      problem = `failed: ${firstLine(e)}`;
    }
    if (problem) {
      console.log(`${name}: not timed: ${problem}`);
      failed = true;
      continue;
    }
    const t = measure(
      {
        primal: { fn: tanhLayer, args: [x, A] },
        forward: { fn: ops.forward, args: [x, A] },
        reverse: { fn: ops.reverse, args: [x, A] },
        auto: { fn: ops.auto, args: [x, A] },
      },
      timing,
    );
    // Which mode auto ran: its result is bit for bit that of only one mode, or else (the two
    // modes often round alike) the mode whose time is nearer its time, by ratio.
    const same = (a, b) => a.every((ai, i) => Object.is(ai, b[i]));
    const [sameF, sameR] = [same(outs.auto, outs.forward), same(outs.auto, outs.reverse)];
    const nearer = Math.abs(Math.log(t.auto / t.forward)) <= Math.abs(Math.log(t.auto / t.reverse)) ? "forward" : "reverse";
    const picked = sameF !== sameR ? (sameF ? "forward" : "reverse") : nearer;
    const how = sameF !== sameR ? "by result" : "by time";
    const faster = t.forward <= t.reverse ? "forward" : "reverse";
    const ok = picked === faster;
    if (!ok) failed = true;
    body.push([
      name,
      worst.toExponential(1),
      formatTime(t.primal),
      formatTime(t.forward),
      formatTime(t.reverse),
      formatTime(t.auto),
      (t.forward / t.primal).toFixed(1),
      (t.reverse / t.primal).toFixed(1),
      `${picked} (${how})`,
      `${faster} (${(Math.max(t.forward, t.reverse) / Math.min(t.forward, t.reverse)).toFixed(1)}x)`,
      ok ? "ok" : "MISS",
    ]);
  }
  print(["jacobian (m x n)", "check", "primal", "forward", "reverse", "auto", "fwd/primal", "rev/primal", "auto ran", "faster", "auto = faster"], body);
  return failed;
}

// ------------------------------------------------------------------ main

/** Prints the issue-3 tables; true when something failed (a wrong result, or auto not the faster). */
export function secondOrderBench(api, timing) {
  console.log("\nforward mode and second order (issue 3)\n");
  const missing = ["jvp", "vjp", "jacobian", "hvp", "hessian"].filter((k) => typeof api?.[k] !== "function");
  if (missing.length > 0) {
    console.log(`skipped: dist/index.js does not export ${missing.join(", ")} yet`);
    return false;
  }
  const failedRatios = ratioTable(api, timing);
  console.log(`targets: hvp/primal <= ${HVP_PER_PRIMAL}, jvp/primal <= ${JVP_PER_PRIMAL}; each op matches central differences (<= ${CHECK_TOL.toExponential()}) before it is timed\n`);
  const failedJacobians = jacobianTable(api, timing);
  console.log("each mode matches central differences before it is timed; auto must run the faster mode");
  return failedRatios || failedJacobians;
}
