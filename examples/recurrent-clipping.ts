// Exploding gradients in recurrent nets, and gradient clipping.
//
// The adding problem (Hochreiter & Schmidhuber 1997): a sequence of T = 30 steps of pairs
// (value ~ U(0, 1), marker in {0, 1}) with two markers, one in each half; the target is
// the sum of the two marked values, read from the last hidden state by a linear layer
// (squared error; predicting the mean scores 1/6). An LSTM and a GRU (hidden 16) are each
// trained twice by SGD with momentum, with the same large step size and recurrent weights
// initialised at twice the usual scale: once as is, once with the gradient rescaled to a
// global L2 norm of at most 0.25 (clipByGlobalNorm; about the median norm seen).
// Unclipped, the global gradient norm grows by orders of magnitude within a few steps,
// and the steps it takes throw the parameters off until the loss is no longer finite;
// clipped, the same steps stay bounded and both nets learn the task. Gradients come from
// gradc (the losses are plain loops), checked against central differences at the first step.
// Writes examples/out/recurrent-clipping-gradient-norms.svg (norm per step, log scale).
//
// Run: npm run examples:gradients   (or, after tsc -p tsconfig.examples.json,
// node build/examples/recurrent-clipping.js; add --seeds=1,2,3 for the same comparison
// over several seeds, a table of one line per model and seed).
import { valueAndGrad } from "gradc";
import { clipByGlobalNorm, globalNorm, Rng, SGD } from "gradc/runtime";
import { printTable } from "./check.js";
import { type GradientCheck, sampledGradientCheck } from "./sampled-check.js";
import { isMain, writeOutput } from "./out.js";
import { logPlot } from "./svg-plot.js";

/** LSTM parameters; gates stacked in the order input, forget, cell, output (4 x hidden rows). */
export interface LSTM {
  Wx: Float64Array; // 4H x I
  Wh: Float64Array; // 4H x H
  b: Float64Array; // 4H
  Wy: Float64Array; // H: the readout
  by: Float64Array; // 1
}

/** GRU parameters; gates stacked in the order reset, update, candidate (3 x hidden rows). */
export interface GRU {
  Wx: Float64Array; // 3H x I
  Wh: Float64Array; // 3H x H
  bx: Float64Array; // 3H
  bh: Float64Array; // 3H (the candidate's recurrent bias sits inside the reset gate's product)
  Wy: Float64Array; // H
  by: Float64Array; // 1
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/**
 * Mean squared error of the LSTM's readout after the last step, over the sequences of X
 * (row-major: sequence s, step t, input j at (s*T + t)*I + j) against targets y.
 */
export function lstmLoss(p: LSTM, X: Float64Array, y: Float64Array, steps: number): number {
  const H = p.Wy.length;
  const I = p.Wx.length / (4 * H);
  const n = y.length;
  const h = new Float64Array(H);
  const c = new Float64Array(H);
  const z = new Float64Array(4 * H);
  let total = 0;
  for (let s = 0; s < n; s++) {
    h.fill(0);
    c.fill(0);
    for (let t = 0; t < steps; t++) {
      const at = (s * steps + t) * I;
      for (let r = 0; r < 4 * H; r++) {
        let a = p.b[r];
        for (let j = 0; j < I; j++) a += p.Wx[r * I + j] * X[at + j];
        for (let j = 0; j < H; j++) a += p.Wh[r * H + j] * h[j];
        z[r] = a;
      }
      for (let k = 0; k < H; k++) {
        const i = sigmoid(z[k]);
        const f = sigmoid(z[H + k]);
        const g = Math.tanh(z[2 * H + k]);
        const o = sigmoid(z[3 * H + k]);
        c[k] = f * c[k] + i * g;
        h[k] = o * Math.tanh(c[k]);
      }
    }
    let out = p.by[0];
    for (let k = 0; k < H; k++) out += p.Wy[k] * h[k];
    const e = out - y[s];
    total += e * e;
  }
  return total / n;
}

/** The same for the GRU: r, u gates; candidate tanh(Wx x + bx + r * (Wh h + bh)); h = (1 - u) n + u h. */
export function gruLoss(p: GRU, X: Float64Array, y: Float64Array, steps: number): number {
  const H = p.Wy.length;
  const I = p.Wx.length / (3 * H);
  const n = y.length;
  const h = new Float64Array(H);
  const zx = new Float64Array(3 * H);
  const zh = new Float64Array(3 * H);
  let total = 0;
  for (let s = 0; s < n; s++) {
    h.fill(0);
    for (let t = 0; t < steps; t++) {
      const at = (s * steps + t) * I;
      for (let r = 0; r < 3 * H; r++) {
        let a = p.bx[r];
        for (let j = 0; j < I; j++) a += p.Wx[r * I + j] * X[at + j];
        zx[r] = a;
        let b = p.bh[r];
        for (let j = 0; j < H; j++) b += p.Wh[r * H + j] * h[j];
        zh[r] = b;
      }
      for (let k = 0; k < H; k++) {
        const reset = sigmoid(zx[k] + zh[k]);
        const update = sigmoid(zx[H + k] + zh[H + k]);
        const candidate = Math.tanh(zx[2 * H + k] + reset * zh[2 * H + k]);
        h[k] = (1 - update) * candidate + update * h[k];
      }
    }
    let out = p.by[0];
    for (let k = 0; k < H; k++) out += p.Wy[k] * h[k];
    const e = out - y[s];
    total += e * e;
  }
  return total / n;
}

// gradc compiles these on their first call; `sigmoid` is a helper the losses call.
export const lstmStep = valueAndGrad(lstmLoss, { wrt: "p", functions: { sigmoid } });
export const gruStep = valueAndGrad(gruLoss, { wrt: "p", functions: { sigmoid } });

// ---------------------------------------------------------------------------------------

export interface RecurrentOptions {
  hidden: number;
  /** Sequence length T. */
  steps: number;
  /** Sequences per minibatch (fresh ones every training step) and in the evaluation set. */
  batch: number;
  evalSize: number;
  /** Training steps. */
  iterations: number;
  /** SGD step size and momentum (the same with and without clipping). */
  lr: number;
  momentum: number;
  /** Recurrent weights ~ N(0, scale² / hidden). */
  recurrentScale: number;
  /** clipByGlobalNorm's threshold. */
  maxNorm: number;
  seed: number;
}

export const RECURRENT_DEFAULTS: RecurrentOptions = {
  hidden: 16, steps: 30, batch: 32, evalSize: 256, iterations: 300, lr: 0.8, momentum: 0.9, recurrentScale: 2, maxNorm: 0.25, seed: 1,
};

/** `n` sequences of the adding problem: inputs (value, marker) per step, targets. */
export function addingProblem(n: number, steps: number, rng: Rng): { X: Float64Array; y: Float64Array } {
  const X = new Float64Array(n * steps * 2);
  const y = new Float64Array(n);
  const half = Math.floor(steps / 2);
  for (let s = 0; s < n; s++) {
    for (let t = 0; t < steps; t++) X[(s * steps + t) * 2] = rng.next();
    const first = rng.int(half);
    const second = half + rng.int(steps - half);
    for (const t of [first, second]) {
      X[(s * steps + t) * 2 + 1] = 1;
      y[s] += X[(s * steps + t) * 2];
    }
  }
  return { X, y };
}

type Params = Record<string, Float64Array>;

interface Model {
  name: string;
  loss: (p: any, X: Float64Array, y: Float64Array, steps: number) => number;
  step: (p: any, X: Float64Array, y: Float64Array, steps: number) => [number, any];
  init: (o: RecurrentOptions, rng: Rng) => Params;
}

const INPUTS = 2;

function initLSTM(o: RecurrentOptions, rng: Rng): Params {
  const H = o.hidden;
  const b = new Float64Array(4 * H);
  b.fill(1, H, 2 * H); // forget-gate bias 1
  return {
    Wx: rng.fillNormal(new Float64Array(4 * H * INPUTS), 0, 1 / Math.sqrt(INPUTS)),
    Wh: rng.fillNormal(new Float64Array(4 * H * H), 0, o.recurrentScale / Math.sqrt(H)),
    b,
    Wy: rng.fillNormal(new Float64Array(H), 0, 1 / H),
    by: new Float64Array([1]), // the targets' mean
  };
}

function initGRU(o: RecurrentOptions, rng: Rng): Params {
  const H = o.hidden;
  return {
    Wx: rng.fillNormal(new Float64Array(3 * H * INPUTS), 0, 1 / Math.sqrt(INPUTS)),
    Wh: rng.fillNormal(new Float64Array(3 * H * H), 0, o.recurrentScale / Math.sqrt(H)),
    bx: new Float64Array(3 * H),
    bh: new Float64Array(3 * H),
    Wy: rng.fillNormal(new Float64Array(H), 0, 1 / H),
    by: new Float64Array([1]), // the targets' mean
  };
}

export const MODELS: Model[] = [
  { name: "LSTM", loss: lstmLoss, step: lstmStep, init: initLSTM },
  { name: "GRU", loss: gruLoss, step: gruStep, init: initGRU },
];

export interface RunResult {
  model: string;
  clipped: boolean;
  /** Global gradient norm before clipping, per step (NaN once the loss is not finite). */
  norms: number[];
  /** Largest global norm of the gradient the optimiser was given (after clipping, when clipping). */
  maxAppliedNorm: number;
  maxNorm: number;
  /** Steps whose gradient norm exceeded the clipping threshold, and 10 times it. */
  aboveThreshold: number;
  spikes: number;
  /** Evaluation loss before training, at every quarter, and at the end. */
  evalLosses: number[];
  /** Training (minibatch) loss per step. */
  trainLosses: number[];
  initialLoss: number;
  finalLoss: number;
  bestLoss: number;
  /** First step at which the loss or the gradient was not finite, or the loss above 1e6 (training stops there), or 0. */
  divergedAt: number;
  check: GradientCheck;
  ms: number;
}

/** A squared error above this (the targets lie in [0, 2]) counts as divergence, like NaN or Infinity. */
const DIVERGED = 1e6;

export function trainRecurrent(m: Model, clipped: boolean, o: RecurrentOptions): RunResult {
  const t0 = performance.now();
  const p = m.init(o, new Rng(o.seed));
  const keys = Object.keys(p);
  const params = keys.map((k) => p[k]);
  const data = new Rng(o.seed + 1); // the same minibatches with and without clipping
  const evalSet = addingProblem(o.evalSize, o.steps, new Rng(o.seed + 2));
  const evaluate = () => m.loss(p, evalSet.X, evalSet.y, o.steps);
  const opt = new SGD({ lr: o.lr, momentum: o.momentum });
  const norms: number[] = [];
  const trainLosses: number[] = [];
  const initialLoss = evaluate();
  const evalLosses = [initialLoss];
  const quarter = Math.max(1, Math.round(o.iterations / 4));
  let maxAppliedNorm = 0, divergedAt = 0, bestLoss = initialLoss;
  let check: GradientCheck | null = null;
  for (let it = 1; it <= o.iterations; it++) {
    const { X, y } = addingProblem(o.batch, o.steps, data);
    const [value, g] = m.step(p, X, y, o.steps);
    if (it === 1) check = sampledGradientCheck(m.loss, p, [X, y, o.steps], value, g, 20, o.seed + 3);
    const grads = keys.map((k) => g[k] as Float64Array);
    const norm = clipped ? clipByGlobalNorm(grads, o.maxNorm) : globalNorm(grads);
    trainLosses.push(value);
    norms.push(norm);
    if (!Number.isFinite(value) || !Number.isFinite(norm) || value > DIVERGED) {
      divergedAt = it;
      break;
    }
    maxAppliedNorm = Math.max(maxAppliedNorm, clipped ? globalNorm(grads) : norm);
    opt.step(params, grads);
    if (it % quarter === 0 || it === o.iterations) {
      const l = evaluate();
      evalLosses.push(l);
      if (!Number.isFinite(l) || l > DIVERGED) {
        divergedAt = it;
        break;
      }
      bestLoss = Math.min(bestLoss, l);
    }
  }
  const finalLoss = divergedAt ? NaN : evalLosses[evalLosses.length - 1];
  return {
    model: m.name, clipped, norms, maxAppliedNorm, maxNorm: o.maxNorm,
    aboveThreshold: norms.filter((n) => n > o.maxNorm).length,
    spikes: norms.filter((n) => n > 10 * o.maxNorm).length,
    evalLosses, trainLosses, initialLoss, finalLoss, bestLoss, divergedAt, check: check!, ms: performance.now() - t0,
  };
}

export interface RecurrentResults {
  options: RecurrentOptions;
  runs: RunResult[];
  ms: number;
}

/** Trains each model without and with clipping; `size` overrides the defaults (the tests use a small size). */
export function runRecurrentClipping(size: Partial<RecurrentOptions> = {}): RecurrentResults {
  const t0 = performance.now();
  const options = { ...RECURRENT_DEFAULTS, ...size };
  const runs: RunResult[] = [];
  for (const m of MODELS) for (const clipped of [false, true]) runs.push(trainRecurrent(m, clipped, options));
  return { options, runs, ms: performance.now() - t0 };
}

export function recurrentSvg(r: RecurrentResults): string {
  const o = r.options;
  return logPlot({
    title: `Global gradient norm per step, SGD lr ${o.lr} momentum ${o.momentum}; adding problem, T = ${o.steps}, hidden ${o.hidden}`,
    xLabel: "training step",
    yLabel: "global ‖gradient‖₂ (before clipping)",
    panels: MODELS.map((m) => ({
      title: m.name,
      series: r.runs
        .filter((run) => run.model === m.name)
        .map((run) => ({
          label: run.clipped ? `clipped at ${o.maxNorm} (norm before clipping)` : `unclipped${run.divergedAt ? ` (×: diverged at step ${run.divergedAt})` : ""}`,
          color: run.clipped ? "#2ca02c" : "#d62728",
          markers: false,
          endCross: run.divergedAt > 0,
          points: run.norms.map((n, i) => [i + 1, n] as [number, number]),
        })),
      rules: [{ y: o.maxNorm, label: `clipping threshold ${o.maxNorm}`, color: "#555" }],
    })),
    panelWidth: 460,
  });
}

const fmtLoss = (l: number) => (Number.isFinite(l) ? l.toFixed(4) : String(l));

export function printRecurrentClipping(r: RecurrentResults): void {
  const o = r.options;
  console.log(`Adding problem, T = ${o.steps} steps, hidden ${o.hidden}, ${o.batch} fresh sequences per step, ${o.iterations} steps of SGD (lr ${o.lr}, momentum ${o.momentum});`);
  console.log(`recurrent weights ~ N(0, ${o.recurrentScale}²/${o.hidden}); clipping: clipByGlobalNorm(grads, ${o.maxNorm}). Gradients by gradc (valueAndGrad).`);
  console.log(`Loss: mean squared error on ${o.evalSize} held-out sequences (predicting the mean gives 1/6 = 0.1667).\n`);
  const rows = [["run", "steps", "max |g|", "max |g| applied", `steps |g|>${o.maxNorm}`, `|g|>${10 * o.maxNorm}`, "loss: start", "25%", "50%", "75%", "end", "best", "grad-check", "time"]];
  for (const run of r.runs) {
    const q = run.evalLosses;
    rows.push([
      `${run.model} ${run.clipped ? "clipped" : "unclipped"}`,
      String(run.norms.length),
      Math.max(...run.norms.filter(Number.isFinite), 0).toExponential(2),
      run.maxAppliedNorm.toExponential(2),
      String(run.aboveThreshold),
      String(run.spikes),
      ...[0, 1, 2, 3, 4].map((i) => (i < q.length ? fmtLoss(q[i]) : "-")),
      fmtLoss(run.bestLoss),
      run.check.maxError.toExponential(1),
      `${(run.ms / 1000).toFixed(1)} s`,
    ]);
  }
  printTable(rows);
  console.log();
  for (const run of r.runs) {
    if (!run.divergedAt) continue;
    const trail = run.norms.map((n) => (Number.isFinite(n) ? n.toExponential(1) : String(n))).join(" ");
    console.log(`  ${run.model} ${run.clipped ? "clipped" : "unclipped"}: diverged (loss or gradient not finite, or loss > 1e6) at step ${run.divergedAt}, training stopped; |g| per step: ${trail}`);
  }
  console.log(`  max |g|: largest global gradient norm computed (before clipping); applied: largest norm SGD was given;`);
  console.log(`  loss columns: held-out loss before training, after each quarter of the steps, and the best of those.`);
  console.log(`  grad-check: gradc's gradient at the first step vs central differences (numericGradient) on ${r.runs[0].check.coordinates} sampled`);
  console.log(`  coordinates, max |a - b| / max(|a|, |b|, 1); relative to the difference alone where it exceeds 1e-6: ${r.runs.filter((x) => !x.clipped).map((x) => `${x.model} ${x.check.fdRelative.toExponential(1)}`).join(", ")}.`);
}

/**
 * The same comparison over several seeds (initialisation and data), one line per model and
 * seed: `node build/examples/recurrent-clipping.js --seeds=1,2,3,4,5`.
 */
export function printSeedSweep(seeds: number[], size: Partial<RecurrentOptions> = {}): void {
  const o = { ...RECURRENT_DEFAULTS, ...size };
  const rows = [["model", "seed", "unclipped: max |g|", "end loss", "clipped: max |g|", "end loss"]];
  for (const m of MODELS) {
    for (const seed of seeds) {
      const [u, c] = [false, true].map((clipped) => trainRecurrent(m, clipped, { ...o, seed }));
      const max = (run: RunResult) => Math.max(...run.norms.filter(Number.isFinite), 0).toExponential(1);
      const end = (run: RunResult) => (run.divergedAt ? `diverged @${run.divergedAt}` : fmtLoss(run.finalLoss));
      rows.push([m.name, String(seed), max(u), end(u), max(c), end(c)]);
    }
  }
  printTable(rows);
}

if (isMain(import.meta.url)) {
  const seeds = process.argv.find((a) => a.startsWith("--seeds="));
  if (seeds) {
    printSeedSweep(seeds.slice("--seeds=".length).split(",").map(Number));
    process.exit(0);
  }
  const r = runRecurrentClipping();
  printRecurrentClipping(r);
  console.log(`\n  wrote ${writeOutput("recurrent-clipping-gradient-norms.svg", recurrentSvg(r))}; ${(r.ms / 1000).toFixed(1)} s in all`);
}
