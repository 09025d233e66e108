#!/usr/bin/env node
// The GradBench report: for every eval of gradc's tool, on the fixtures' workloads and
// on generated ones of GradBench's default sizes, the median time of the primal and of
// the derivative, their ratio (geometric mean over the workloads) beside the published
// ratios and the targets; where bench/gradbench/manual/ has one, gradc's derivative
// against a hand-written JavaScript one (checked equal to gradc's on every workload);
// where a peer (peers/: tensorflow.js, jax-js) computes the same derivative, gradc's
// time against the peer's and the peer's error against gradc's output; all measured in
// this run. The fixtures are read from GRADBENCH_SHARED (default ../shared/gradbench).
//
//   npm run bench:gradbench [-- --full] [-- --evals llsq,lse]
//
// --full runs every default size (tens of minutes); without it the larger sizes of each
// eval only. Needs gradc's dist/ (npm install builds it).
import { existsSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { hasEval, loadEval } from "./load.mjs";
import { FUNCTIONS, fixtureWorkloads, generatedWorkloads } from "./workloads.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const full = args.includes("--full");
const only = args.includes("--evals") ? args[args.indexOf("--evals") + 1].split(",") : undefined;

/**
 * Published ratios from ../shared/gradbench/anchors.md (GradBench's nightly statistics of
 * 2026-03-14): the best tool's, manual C++'s, and the target of Performance II (issue 14):
 * at or below the best published, or for ba, ht and det below manual C++.
 */
const PUBLISHED = {
  llsq: { best: "1.13 (jax)", manual: "2.05", target: 1.13 },
  lse: { best: "1.07 (mooncake-jl)", manual: "1.12", target: 1.07 },
  gmm: { best: "2.00 (tensorflow)", manual: "2.41", target: 2.0 },
  kmeans: { best: "1.45 (manual, futhark)", manual: "1.45", target: 1.45 },
  lstm: { best: "2.13 (codipack)", manual: "8.45", target: 2.13 },
  ode: { best: "1.03 (haskell)", manual: "closed form", target: 1.03 },
  ba: { best: "2.18 (tensorflow, incomplete)", manual: "7.68", target: 7.68, below: true },
  ht: { best: "7.68 (manual)", manual: "7.68", target: 7.68, below: true },
  det: { best: "1.12 (futhark)", manual: "7.74", target: 7.74, below: true },
};

/** Median seconds of `run` over at least `minRuns` runs and `minSeconds` in all. */
function median(run, minSeconds = full ? 1 : 0.25, minRuns = 3) {
  const times = [];
  let total = 0;
  while (times.length < minRuns || total < minSeconds) {
    const t = process.hrtime.bigint();
    run();
    const s = Number(process.hrtime.bigint() - t) / 1e9;
    times.push(s);
    total += s;
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

function timeFunction(fn, input) {
  const args = fn.prepare(input);
  return median(() => fn.run(args));
}

const geomean = (xs) => (xs.length ? Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length) : NaN);
const fmt = (x, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : "–");

async function manualFor(module) {
  const file = path.join(here, "manual", `${module}.mjs`);
  return existsSync(file) ? (await import(pathToFileURL(file).href)).functions : undefined;
}

/** Peers (peers/<name>.mjs: `{ name, note, evals: { <eval>: { <function>: EvalFunction } } }`), loaded when their package is installed. */
const peers = [];
for (const name of ["tfjs", "jax-js"]) {
  const file = path.join(here, "peers", `${name}.mjs`);
  if (!existsSync(file)) continue;
  try {
    const peer = await (await import(pathToFileURL(file).href)).load();
    peers.push(peer);
    console.log(`peer ${peer.name}: ${peer.note}`);
  } catch (e) {
    console.log(`peer ${name}: not run (${e.message})`);
  }
}

/** Largest |a − b| / max(1, |a| + |b|) over two outputs of the same shape (GradBench's metric). */
function outputError(a, b) {
  if (typeof a === "number" && typeof b === "number") return Math.abs(a - b) / Math.max(1, Math.abs(a) + Math.abs(b));
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) return a.reduce((m, x, i) => Math.max(m, outputError(x, b[i])), 0);
  if (a && b && typeof a === "object" && typeof b === "object") return Object.keys(a).reduce((m, k) => Math.max(m, outputError(a[k], b[k])), 0);
  return Infinity;
}

const rows = [];
for (const module of Object.keys(FUNCTIONS)) {
  if ((only && !only.includes(module)) || !hasEval(module)) continue;
  const [primal, derivative, ...more] = FUNCTIONS[module];
  const { functions, nanoseconds } = await loadEval(module);
  const manual = await manualFor(module);
  const workloads = [...fixtureWorkloads(module, derivative), ...generatedWorkloads(module, !full)];
  const ratios = [];
  const vsManual = [];
  const vsPeer = new Map(peers.map((peer) => [peer.name, { ratios: [], error: 0 }]));
  for (const w of workloads) {
    const mine = functions[derivative];
    const d = timeFunction(mine, w.input);
    const p = primal ? timeFunction(functions[primal], w.input) : NaN;
    const hand = manual?.[derivative];
    const m = hand ? timeFunction(hand, w.input) : NaN;
    // The hand-written derivative is checked against gradc's on every workload.
    const handError = hand ? outputError(mine.output(mine.run(mine.prepare(w.input))), hand.output(hand.run(hand.prepare(w.input)))) : 0;
    if (handError > 1e-8) throw new Error(`${module} ${w.description}: the hand-written ${derivative} differs from gradc's by ${handError.toExponential(1)}`);
    if (primal) ratios.push(d / p);
    if (hand) vsManual.push(d / m);
    const peerLines = [];
    for (const peer of peers) {
      const fn = peer.evals[module]?.[derivative];
      if (!fn) continue;
      const t = timeFunction(fn, w.input);
      const error = outputError(mine.output(mine.run(mine.prepare(w.input))), fn.output(fn.run(fn.prepare(w.input))));
      const seen = vsPeer.get(peer.name);
      seen.ratios.push(d / t);
      seen.error = Math.max(seen.error, error);
      peerLines.push(`  ${peer.name} ${derivative} ${fmt(t * 1e3, 3)} ms (gradc/${peer.name} ${fmt(d / t)}, its error ${error.toExponential(1)})`);
    }
    const extra = more.map((f) => `${f} ${fmt(timeFunction(functions[f], w.input) * 1e3, 3)} ms`).join(", ");
    console.log(`${module} ${w.description}: ${primal ? `${primal} ${fmt(p * 1e3, 3)} ms, ` : ""}${derivative} ${fmt(d * 1e3, 3)} ms` +
      `${primal ? `, ratio ${fmt(d / p)}` : ""}${hand ? `, hand-written ${fmt(m * 1e3, 3)} ms (gradc/hand ${fmt(d / m)}, its difference ${handError.toExponential(1)})` : ""}${extra ? `, ${extra}` : ""}`);
    for (const line of peerLines) console.log(line);
  }
  const peerText = [...vsPeer].filter(([, v]) => v.ratios.length).map(([name, v]) => `${name} ${fmt(geomean(v.ratios))} (error ${v.error.toExponential(1)})`).join("; ") || "–";
  rows.push({ module, n: workloads.length, define: nanoseconds / 1e6, ratio: geomean(ratios), published: PUBLISHED[module], manual: geomean(vsManual), peers: peerText });
}

/** "met" / "not met" against the target (at or below it; strictly below for ba, ht, det), or "–". */
function met(ratio, published) {
  if (!published || !Number.isFinite(ratio)) return "–";
  const ok = published.below ? ratio < published.target : ratio <= published.target;
  return `${ok ? "met" : "not met"} (${published.below ? "<" : "≤"} ${fmt(published.target)})`;
}

console.log("\n| eval | workloads | define (compile) ms | derivative/primal (geo mean) | best published | manual C++ (published) | target | gradc/hand-written JS | gradc/peer |");
console.log("|---|---|---|---|---|---|---|---|---|");
for (const r of rows) {
  const p = r.published;
  console.log(`| ${r.module} | ${r.n} | ${fmt(r.define, 0)} | ${fmt(r.ratio)} | ${p?.best ?? "–"} | ${p?.manual ?? "–"} | ${met(r.ratio, p)} | ${fmt(r.manual)} | ${r.peers} |`);
}
