// npm run bench [-- --quick]
// Value-and-gradient vs value alone, and gradc vs the best hand-written JS gradient,
// measured in one run (warm-up, interleaved samples, medians), printed as a table;
// then forward mode and second order (bench/second-order.mjs) in tables of their own;
// then a recurrence written `h = next` against in-place copies (bench/aliasing.mjs);
// then an MLP against hand-written code and tfjs, and matmul GFLOP/s (bench/mlp.mjs);
// then the runtime's other kernels, js vs wasm backend, at the MNIST demo's sizes (bench/kernels.mjs);
// then checkpointed loops by schedule: time, tape bytes, recomputation (bench/checkpoint.mjs);
// then gradient/primal of a 24- and a 400-statement loop body (bench/size.mjs);
// then compile speed: a derivative's first call, small and long functions (bench/compile.mjs);
// last the build path's output size and build time on the same long functions (bench/output-size.mjs).

import os from "node:os";
import { aliasingBench } from "./aliasing.mjs";
import { cases } from "./cases.mjs";
import { checkpointBench } from "./checkpoint.mjs";
import { compileBench } from "./compile.mjs";
import { outputSizeBench } from "./output-size.mjs";
import { kernelsBench } from "./kernels.mjs";
import { mlpBench } from "./mlp.mjs";
import { secondOrderBench } from "./second-order.mjs";
import { sizeBench } from "./size.mjs";
import { checksum, formatTime, measure } from "./timing.mjs";

const GRAD_PER_PRIMAL = 1.5; // target: value-and-gradient costs at most 1.5x the value
const GRADC_PER_HAND = 1.1; // target: gradc costs at most 1.1x the hand-written gradient
const FD_TOL = 1e-5; // hand-written vs central differences
const AGREE_TOL = 1e-9; // gradc vs hand-written, same inputs

const quick = process.argv.includes("--quick");
const timing = quick ? { samples: 5, sampleMs: 5, warmupMs: 50 } : { samples: 21, sampleMs: 10, warmupMs: 150 };

// ------------------------------------------------------------------ checks

/** |a - b| / max(1, |a|, |b|): relative for large entries, absolute near zero. */
function maxRelError(a, b) {
  let e = a.length === b.length ? 0 : Infinity;
  for (let i = 0; i < a.length; i++) {
    e = Math.max(e, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(a[i]), Math.abs(b[i])));
  }
  return e;
}

function centralDiff(f, theta) {
  const t = Float64Array.from(theta);
  const g = new Float64Array(t.length);
  for (let i = 0; i < t.length; i++) {
    const h = 1e-5 * Math.max(1, Math.abs(t[i]));
    const t0 = t[i];
    t[i] = t0 + h;
    const up = f(t);
    t[i] = t0 - h;
    const down = f(t);
    t[i] = t0;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

/** Compares gradc with the hand-written gradient; returns an error text or null. */
function disagreement(c, vg) {
  try {
    const { hand, gradc } = c.compare(vg);
    const err = Math.max(maxRelError([hand[0]], [gradc[0]]), maxRelError(hand[1], Float64Array.from(gradc[1])));
    return err <= AGREE_TOL ? null : `wrong result (max rel. error ${err.toExponential(1)} vs hand-written)`;
  } catch (e) {
    return `failed: ${firstLine(e)}`;
  }
}

function firstLine(e) {
  return String(e?.message ?? e).split("\n")[0];
}

// ------------------------------------------------------------------ gradc

async function loadGradc() {
  try {
    const api = await import("../dist/index.js");
    if (typeof api.valueAndGrad === "function") return { api };
    return { reason: "dist/index.js does not export valueAndGrad yet" };
  } catch (e) {
    return { reason: `cannot import dist/index.js (${firstLine(e)}); run npm install to build it` };
  }
}

/** The two gradc variants of a case, each a function or a reason it is missing. */
function gradcVariants(api, c) {
  const make = (opts) => {
    try {
      const vg = api.valueAndGrad(c.primal, opts);
      return disagreement(c, vg) ?? vg;
    } catch (e) {
      return `failed: ${firstLine(e)}`;
    }
  };
  const out = c.makeOut();
  const gradcOut = make({ ...c.gradcOpts, out });
  if (typeof gradcOut === "function" && gradcOut(...c.callArgs)[1] !== out) {
    console.log(`${c.name}: note: gradc+out returns a new gradient instead of the opts.out buffer`);
  }
  return { gradc: make(c.gradcOpts), gradcOut };
}

// ------------------------------------------------------------------ table

function fmtRatio(num, den, target) {
  if (num === undefined || den === undefined) return "—";
  const r = num / den;
  // One more digit when two would round a miss onto the target.
  const shown = r > target && r.toFixed(2) === target.toFixed(2) ? r.toFixed(3) : r.toFixed(2);
  return `${shown} ${r <= target ? "ok" : "MISS"}`;
}

function printTable(rows) {
  const head = ["case", "primal", "hand", "gradc", "gradc+out", "hand/primal", "gradc/primal", "out/primal", "gradc/hand", "out/hand"];
  const body = rows.map(({ c, t }) => {
    const per = (ms) => (ms === undefined ? undefined : ms / (c.perOp ?? 1));
    return [
      c.name + (c.perOp ? " (per call)" : ""),
      formatTime(per(t.primal)),
      formatTime(per(t.hand)),
      formatTime(per(t.gradc)),
      formatTime(per(t.gradcOut)),
      fmtRatio(t.hand, t.primal, GRAD_PER_PRIMAL),
      fmtRatio(t.gradc, t.primal, GRAD_PER_PRIMAL),
      fmtRatio(t.gradcOut, t.primal, GRAD_PER_PRIMAL),
      fmtRatio(t.gradc, t.hand, c.handTarget ?? GRADC_PER_HAND),
      fmtRatio(t.gradcOut, t.hand, c.handTarget ?? GRADC_PER_HAND),
    ];
  });
  const width = head.map((h, j) => Math.max(h.length, ...body.map((r) => r[j].length)));
  const line = (r) => r.map((s, j) => (j === 0 ? s.padEnd(width[j]) : s.padStart(width[j]))).join("  ");
  console.log(line(head));
  console.log(width.map((w) => "-".repeat(w)).join("  "));
  for (const r of body) console.log(line(r));
}

function summary(rows, key, label) {
  const timed = rows.filter((r) => r.t[key] !== undefined);
  if (timed.length === 0) return;
  const perPrimal = timed.filter((r) => r.t[key] / r.t.primal <= GRAD_PER_PRIMAL).length;
  const perHand = timed.filter((r) => r.t[key] / r.t.hand <= (r.c.handTarget ?? GRADC_PER_HAND)).length;
  const vsHand = key === "hand" ? "" : `; gradc/hand within target met on ${perHand}/${timed.length}`;
  console.log(`${label}: gradient/primal <= ${GRAD_PER_PRIMAL} met on ${perPrimal}/${timed.length} cases${vsHand}`);
}

// ------------------------------------------------------------------ main

const { api, reason } = await loadGradc();
const load = () => os.loadavg()[0].toFixed(1);
console.log(`gradc bench — node ${process.version}, ${os.cpus().length} x ${os.cpus()[0]?.model ?? "unknown cpu"}, load ${load()}`);
console.log(`medians of ${timing.samples} interleaved samples per variant${quick ? " (--quick)" : ""}`);
if (!api) console.log(`gradc columns skipped: ${reason}`);

let failed = false;
const rows = [];
for (const c of cases()) {
  const fdErr = maxRelError(c.fd.hand(c.fd.theta)[1], centralDiff(c.fd.f, c.fd.theta));
  const valErr = maxRelError([c.fd.hand(c.fd.theta)[0]], [c.fd.f(c.fd.theta)]);
  if (fdErr > FD_TOL || valErr > AGREE_TOL) {
    console.log(`${c.name}: hand-written gradient fails its check (grad ${fdErr.toExponential(1)}, value ${valErr.toExponential(1)})`);
    failed = true;
    continue;
  }
  const g = api ? gradcVariants(api, c) : {};
  for (const [k, v] of Object.entries(g)) {
    if (typeof v === "string") console.log(`${c.name}: ${k === "gradc" ? "gradc" : "gradc+out"} not timed: ${v}`);
  }
  const fn = (v) => (typeof v === "function" ? v : undefined);
  const t = measure(c.variants(fn(g.gradc), fn(g.gradcOut)), timing);
  rows.push({ c, t, fdErr });
}

console.log();
printTable(rows);
console.log(`\ntargets: gradient/primal <= ${GRAD_PER_PRIMAL}, gradc/hand-written <= ${GRADC_PER_HAND} (the tanh RNN: <= 1.2)`);
console.log(`hand-written gradients match central differences (max rel. error <= ${FD_TOL.toExponential()}); gradc columns are timed only when they match hand-written (<= ${AGREE_TOL.toExponential()})`);
summary(rows, "hand", "hand-written");
summary(rows, "gradc", "gradc");
summary(rows, "gradcOut", "gradc+out");
if (secondOrderBench(api, timing)) failed = true;
if (aliasingBench(api, timing)) failed = true;
if (await mlpBench(api, quick, api && (await import("../dist/runtime/index.js")))) failed = true;
if (api && kernelsBench(quick)) failed = true;
if (await checkpointBench(api, api && (await import("../dist/runtime/index.js")), quick)) failed = true;
if (sizeBench(api, timing, quick)) failed = true;
if (compileBench(api, quick)) failed = true;
if (await outputSizeBench(api && (await import("../dist/compiler/compile-module.js")).compileModule, quick)) failed = true;
console.log(`\n(load ${load()} at the end; checksum ${checksum().toPrecision(6)})`);
if (failed) process.exitCode = 1;
