// Vanishing gradients in a 20-layer fully connected network, and two fixes.
//
// One small synthetic classification task (seeded inputs, labels from a random teacher
// network), one 20-layer net of width 32, trained three ways with gradients from gradc:
//   (a) sigmoid activations, Xavier init: the backward signal shrinks at every layer
//       (sigmoid' <= 1/4), so the first layers' gradients are orders of magnitude
//       smaller than the last layer's, and the net barely learns;
//   (b) ReLU activations, He init: gradient norms stay within an order of magnitude;
//   (c) ReLU with residual connections and batch normalisation (h <- relu(h + BN(W h)),
//       batch statistics computed in the loss itself), He init.
// For each it records the L2 norm of every weight matrix's gradient at the first, the
// middle and the last step, prints the first/last-layer ratio and the final loss, and
// writes examples/out/deep-network-gradient-norms.svg (norm per layer, log scale).
// The losses are plain loops over Float64Arrays, differentiated by gradc's run-time
// path (valueAndGrad) and checked against central differences at the first step.
//
// Run: npm run examples:gradients   (or, after tsc -p tsconfig.examples.json,
// node build/examples/deep-network.js)
import { valueAndGrad } from "gradc";
import { globalNorm, gradientNorms, heNormal, Rng, SGD, xavierNormal } from "gradc/runtime";
import { printTable } from "./check.js";
import { isMain, writeOutput } from "./out.js";
import { type GradientCheck, sampledGradientCheck } from "./sampled-check.js";
import { logPlot } from "./svg-plot.js";

/** Parameters of the whole net. Layer 1 is Win, layers 2..L-1 the blocks of W, layer L is Wout. */
export interface Net {
  Win: Float64Array; // width x inputs, row-major
  bin: Float64Array; // width
  W: Float64Array; // blocks x width x width: hidden layer l's matrix at offset l*width*width
  b: Float64Array; // blocks x width (unused by the batch-norm net, whose beta is the bias)
  gamma: Float64Array; // blocks x width: batch-norm scale (batch-norm net only)
  beta: Float64Array; // blocks x width: batch-norm shift (batch-norm net only)
  Wout: Float64Array; // classes x width
  bout: Float64Array; // classes
}

// ---------------------------------------------------------------------------------------
// The three losses: mean softmax cross-entropy over the rows of X (one-hot rows of Y).

/** Cross-entropy of softmax(Wout h + bout) against one-hot row `row` of Y; h = hs[at .. at+width). */
export function crossEntropy(p: Net, hs: Float64Array, at: number, Y: Float64Array, row: number): number {
  const width = p.bin.length;
  const classes = p.bout.length;
  const z = new Float64Array(classes);
  let m = -Infinity;
  for (let c = 0; c < classes; c++) {
    let s = p.bout[c];
    for (let k = 0; k < width; k++) s += p.Wout[c * width + k] * hs[at + k];
    z[c] = s;
    m = Math.max(m, s);
  }
  let sum = 0;
  for (let c = 0; c < classes; c++) sum += Math.exp(z[c] - m);
  const lse = m + Math.log(sum);
  let loss = 0;
  for (let c = 0; c < classes; c++) loss += Y[row * classes + c] * (lse - z[c]);
  return loss;
}

/** (a) sigmoid in every hidden layer, one sample at a time. */
export function sigmoidNetLoss(p: Net, X: Float64Array, Y: Float64Array): number {
  const width = p.bin.length;
  const inputs = p.Win.length / width;
  const blocks = p.b.length / width;
  const n = Y.length / p.bout.length;
  const h = new Float64Array(width);
  const next = new Float64Array(width);
  let total = 0;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < width; k++) {
      let a = p.bin[k];
      for (let j = 0; j < inputs; j++) a += p.Win[k * inputs + j] * X[i * inputs + j];
      h[k] = 1 / (1 + Math.exp(-a));
    }
    for (let l = 0; l < blocks; l++) {
      for (let k = 0; k < width; k++) {
        let a = p.b[l * width + k];
        for (let j = 0; j < width; j++) a += p.W[(l * width + k) * width + j] * h[j];
        next[k] = 1 / (1 + Math.exp(-a));
      }
      for (let k = 0; k < width; k++) h[k] = next[k];
    }
    total += crossEntropy(p, h, 0, Y, i);
  }
  return total / n;
}

/** (b) ReLU in every hidden layer, one sample at a time. */
export function reluNetLoss(p: Net, X: Float64Array, Y: Float64Array): number {
  const width = p.bin.length;
  const inputs = p.Win.length / width;
  const blocks = p.b.length / width;
  const n = Y.length / p.bout.length;
  const h = new Float64Array(width);
  const next = new Float64Array(width);
  let total = 0;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < width; k++) {
      let a = p.bin[k];
      for (let j = 0; j < inputs; j++) a += p.Win[k * inputs + j] * X[i * inputs + j];
      h[k] = a > 0 ? a : 0;
    }
    for (let l = 0; l < blocks; l++) {
      for (let k = 0; k < width; k++) {
        let a = p.b[l * width + k];
        for (let j = 0; j < width; j++) a += p.W[(l * width + k) * width + j] * h[j];
        next[k] = a > 0 ? a : 0;
      }
      for (let k = 0; k < width; k++) h[k] = next[k];
    }
    total += crossEntropy(p, h, 0, Y, i);
  }
  return total / n;
}

/**
 * (c) Residual blocks h <- relu(h + BN(W h)) (the form of He et al. 2016: batch norm before
 * the addition, ReLU after it), batch normalisation over the whole batch: per feature, the
 * mean and (biased) variance of a = W h over the rows of X, then
 * BN(a) = gamma * (a - mean) / sqrt(var + 1e-5) + beta. The batch goes through layer by layer.
 */
export function residualBatchNormLoss(p: Net, X: Float64Array, Y: Float64Array): number {
  const width = p.bin.length;
  const inputs = p.Win.length / width;
  const blocks = p.b.length / width;
  const n = Y.length / p.bout.length;
  const h = new Float64Array(n * width); // activations, row i at i*width
  const a = new Float64Array(n * width); // W h, before normalisation
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < width; k++) {
      let s = p.bin[k];
      for (let j = 0; j < inputs; j++) s += p.Win[k * inputs + j] * X[i * inputs + j];
      h[i * width + k] = s > 0 ? s : 0;
    }
  }
  for (let l = 0; l < blocks; l++) {
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < width; k++) {
        let s = 0;
        for (let j = 0; j < width; j++) s += p.W[(l * width + k) * width + j] * h[i * width + j];
        a[i * width + k] = s;
      }
    }
    for (let k = 0; k < width; k++) {
      let mean = 0;
      for (let i = 0; i < n; i++) mean += a[i * width + k];
      mean /= n;
      let variance = 0;
      for (let i = 0; i < n; i++) {
        const d = a[i * width + k] - mean;
        variance += d * d;
      }
      variance /= n;
      const scale = p.gamma[l * width + k] / Math.sqrt(variance + 1e-5);
      for (let i = 0; i < n; i++) {
        const v = h[i * width + k] + scale * (a[i * width + k] - mean) + p.beta[l * width + k];
        h[i * width + k] = v > 0 ? v : 0;
      }
    }
  }
  let total = 0;
  for (let i = 0; i < n; i++) total += crossEntropy(p, h, i * width, Y, i);
  return total / n;
}

// The gradients, compiled by gradc at run time on their first call. crossEntropy is a
// helper the losses call: at run time gradc sees only each loss's own source, so it is
// passed in `functions`.
export const sigmoidNetStep = valueAndGrad(sigmoidNetLoss, { wrt: "p", functions: { crossEntropy } });
export const reluNetStep = valueAndGrad(reluNetLoss, { wrt: "p", functions: { crossEntropy } });
export const residualBatchNormStep = valueAndGrad(residualBatchNormLoss, { wrt: "p", functions: { crossEntropy } });

// ---------------------------------------------------------------------------------------
// Data, initialisation, training.

export interface DeepOptions {
  /** Weight matrices in the net (default 20). */
  layers: number;
  width: number;
  inputs: number;
  classes: number;
  /** Training set size. */
  samples: number;
  batch: number;
  steps: number;
  /** SGD step size and momentum (the same for the three nets). */
  lr: number;
  momentum: number;
  /** Initial batch-norm scale gamma. */
  gammaInit: number;
  seed: number;
}

export const DEEP_DEFAULTS: DeepOptions = {
  layers: 20, width: 32, inputs: 8, classes: 4, samples: 512, batch: 64, steps: 300, lr: 0.02, momentum: 0.9, gammaInit: 1, seed: 1,
};

type Loss = (p: Net, X: Float64Array, Y: Float64Array) => number;
type Step = (p: Net, X: Float64Array, Y: Float64Array) => [number, Net];

export interface Variant {
  name: string;
  loss: Loss;
  step: Step;
  init: "xavier" | "he";
}

export const VARIANTS: Variant[] = [
  { name: "sigmoid, Xavier", loss: sigmoidNetLoss, step: sigmoidNetStep as Step, init: "xavier" },
  { name: "ReLU, He", loss: reluNetLoss, step: reluNetStep as Step, init: "he" },
  { name: "ReLU + residual + BN, He", loss: residualBatchNormLoss, step: residualBatchNormStep as Step, init: "he" },
];

/** Inputs ~ N(0, 1); the label of x is the argmax of a random 2-layer tanh teacher network. */
export function makeData(o: DeepOptions): { X: Float64Array; Y: Float64Array } {
  const rng = new Rng(o.seed);
  const hidden = 16;
  const T1 = rng.fillNormal(new Float64Array(hidden * o.inputs), 0, 1 / Math.sqrt(o.inputs));
  const T2 = rng.fillNormal(new Float64Array(o.classes * hidden), 0, 1);
  const X = rng.fillNormal(new Float64Array(o.samples * o.inputs));
  const Y = new Float64Array(o.samples * o.classes);
  const t = new Float64Array(hidden);
  for (let i = 0; i < o.samples; i++) {
    for (let k = 0; k < hidden; k++) {
      let s = 0;
      for (let j = 0; j < o.inputs; j++) s += T1[k * o.inputs + j] * X[i * o.inputs + j];
      t[k] = Math.tanh(2 * s);
    }
    let best = 0, bestScore = -Infinity;
    for (let c = 0; c < o.classes; c++) {
      let s = 0;
      for (let k = 0; k < hidden; k++) s += T2[c * hidden + k] * t[k];
      if (s > bestScore) [best, bestScore] = [c, s];
    }
    Y[i * o.classes + best] = 1;
  }
  return { X, Y };
}

export function initNet(o: DeepOptions, init: "xavier" | "he", seed: number): Net {
  const rng = new Rng(seed);
  const blocks = o.layers - 2;
  const w = o.width;
  const dense = (out: Float64Array, fanIn: number, fanOut: number) =>
    init === "xavier" ? xavierNormal(out, fanIn, fanOut, rng) : heNormal(out, fanIn, rng);
  const W = new Float64Array(blocks * w * w);
  for (let l = 0; l < blocks; l++) dense(W.subarray(l * w * w, (l + 1) * w * w), w, w);
  return {
    Win: dense(new Float64Array(w * o.inputs), o.inputs, w),
    bin: new Float64Array(w),
    W,
    b: new Float64Array(blocks * w),
    gamma: new Float64Array(blocks * w).fill(o.gammaInit),
    beta: new Float64Array(blocks * w),
    // The output layer is linear (softmax): Xavier for every variant.
    Wout: xavierNormal(new Float64Array(o.classes * w), w, o.classes, rng),
    bout: new Float64Array(o.classes),
  };
}

const KEYS = ["Win", "bin", "W", "b", "gamma", "beta", "Wout", "bout"] as const;
const asList = (p: Net): Float64Array[] => KEYS.map((k) => p[k]);

/** L2 norm of each weight matrix's gradient, layer 1 (input) to layer L (output). */
export function layerNorms(g: Net, o: DeepOptions): number[] {
  const w = o.width;
  const named: Record<string, Float64Array> = { "layer 1": g.Win };
  for (let l = 0; l < o.layers - 2; l++) named[`layer ${l + 2}`] = g.W.subarray(l * w * w, (l + 1) * w * w);
  named[`layer ${o.layers}`] = g.Wout;
  return gradientNorms(named).map((r) => r.norm);
}

/**
 * An independent look at the layer-1 gradient, whose entries can be far too small for
 * per-coordinate central differences: the derivative of the loss along the unit vector
 * u = g1 / |g1| equals |g1|. It is measured by a central difference whose step makes the
 * change in the loss about 1e-6 (so that it stands out of rounding), at most 0.1.
 */
export function firstLayerDirectional(loss: Loss, p: Net, X: Float64Array, Y: Float64Array, g: Net) {
  const norm = globalNorm(g.Win);
  const step = Math.min(0.1, Math.max(1e-6, 1e-6 / norm));
  const along = (e: number) => loss({ ...p, Win: p.Win.map((w, i) => w + (e * g.Win[i]) / norm) }, X, Y);
  const fd = (along(step) - along(-step)) / (2 * step);
  return { norm, fd, step, relative: Math.abs(fd - norm) / norm };
}

export interface VariantResult {
  name: string;
  /** Steps at which `norms` were recorded (1-based). */
  recordedAt: number[];
  /** Per recorded step, the gradient norm of each layer (index 0 = layer 1). */
  norms: number[][];
  /** layer-1 norm / layer-L norm at the first step. */
  ratioFirst: number;
  /** The same at the last step. */
  ratioLast: number;
  /** Loss on the whole training set before and after training. */
  initialLoss: number;
  finalLoss: number;
  check: GradientCheck;
  /** |g1| (gradc) and the loss's slope along g1 / |g1| by central differences, at the first step. */
  directional: { norm: number; fd: number; step: number; relative: number };
  ms: number;
}

export function trainVariant(v: Variant, o: DeepOptions, data: { X: Float64Array; Y: Float64Array }): VariantResult {
  const t0 = performance.now();
  const p = initNet(o, v.init, o.seed + 100);
  const { X, Y } = data;
  const opt = new SGD({ lr: o.lr, momentum: o.momentum });
  const order = Uint32Array.from({ length: o.samples }, (_, i) => i);
  const shuffler = new Rng(o.seed + 200);
  const Xb = new Float64Array(o.batch * o.inputs);
  const Yb = new Float64Array(o.batch * o.classes);
  const perEpoch = Math.floor(o.samples / o.batch);
  const record = new Set([1, Math.max(1, Math.round(o.steps / 2)), o.steps]);
  const recordedAt: number[] = [];
  const norms: number[][] = [];
  const initialLoss = v.loss(p, X, Y);
  let check: GradientCheck | null = null;
  let directional: VariantResult["directional"] | null = null;
  for (let s = 1; s <= o.steps; s++) {
    const b = (s - 1) % perEpoch;
    if (b === 0) shuffler.shuffle(order);
    for (let r = 0; r < o.batch; r++) {
      const i = order[b * o.batch + r];
      Xb.set(X.subarray(i * o.inputs, (i + 1) * o.inputs), r * o.inputs);
      Yb.set(Y.subarray(i * o.classes, (i + 1) * o.classes), r * o.classes);
    }
    const [value, g] = v.step(p, Xb, Yb);
    if (s === 1) {
      check = sampledGradientCheck(v.loss, p, [Xb, Yb], value, g, 24, o.seed + 300);
      directional = firstLayerDirectional(v.loss, p, Xb, Yb, g);
    }
    if (record.has(s)) {
      recordedAt.push(s);
      norms.push(layerNorms(g, o));
    }
    opt.step(asList(p), asList(g));
  }
  const finalLoss = v.loss(p, X, Y);
  const first = norms[0], last = norms[norms.length - 1];
  return {
    name: v.name, recordedAt, norms,
    ratioFirst: first[0] / first[o.layers - 1],
    ratioLast: last[0] / last[o.layers - 1],
    initialLoss, finalLoss, check: check!, directional: directional!, ms: performance.now() - t0,
  };
}

export interface DeepResults {
  options: DeepOptions;
  /** Cross-entropy of predicting the class frequencies of the training set (what a net that learns nothing reaches). */
  priorLoss: number;
  variants: VariantResult[];
  ms: number;
}

/** Trains the three nets on the same data; `size` overrides the defaults (the tests use a small size). */
export function runDeepNetwork(size: Partial<DeepOptions> = {}): DeepResults {
  const t0 = performance.now();
  const options = { ...DEEP_DEFAULTS, ...size };
  const data = makeData(options);
  const variants = VARIANTS.map((v) => trainVariant(v, options, data));
  let priorLoss = 0;
  for (let c = 0; c < options.classes; c++) {
    let count = 0;
    for (let i = 0; i < options.samples; i++) count += data.Y[i * options.classes + c];
    if (count > 0) priorLoss -= (count / options.samples) * Math.log(count / options.samples);
  }
  return { options, priorLoss, variants, ms: performance.now() - t0 };
}

const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"];

/** One panel per net: gradient norm per layer at each recorded step, on one shared log scale. */
export function deepNetworkSvg(r: DeepResults): string {
  const o = r.options;
  return logPlot({
    title: `Gradient L2 norm per weight matrix, ${o.layers}-layer net (width ${o.width}), SGD lr ${o.lr} momentum ${o.momentum}`,
    xLabel: "layer (1 = input, " + o.layers + " = output)",
    yLabel: "‖∂loss/∂W‖₂",
    panels: r.variants.map((v) => ({
      title: v.name,
      subtitle: `|g1| / |g${o.layers}|: ${v.ratioFirst.toExponential(1)} at step 1, ${v.ratioLast.toExponential(1)} at step ${o.steps}`,
      series: v.norms.map((norms, i) => ({
        label: `step ${v.recordedAt[i]}${i === 0 ? " (first)" : i === v.norms.length - 1 ? " (last)" : ""}`,
        color: COLORS[i % COLORS.length],
        points: norms.map((n, l) => [l + 1, n] as [number, number]),
      })),
    })),
  });
}

export function printDeepNetwork(r: DeepResults): void {
  const o = r.options;
  console.log(`${o.layers}-layer fully connected net, width ${o.width}, ${o.inputs} inputs, ${o.classes} classes (random teacher), ${o.samples} samples`);
  console.log(`SGD lr ${o.lr}, momentum ${o.momentum}, batch ${o.batch}, ${o.steps} steps; gradients by gradc (valueAndGrad, run-time path)\n`);
  const L = o.layers;
  const rows = [["net", `|g1| first`, `|g${L}| first`, "ratio first", `|g1| last`, `|g${L}| last`, "ratio last", "loss start", "loss end", "grad-check", "time"]];
  for (const v of r.variants) {
    const f = v.norms[0], l = v.norms[v.norms.length - 1];
    rows.push([
      v.name, f[0].toExponential(2), f[L - 1].toExponential(2), v.ratioFirst.toExponential(1),
      l[0].toExponential(2), l[L - 1].toExponential(2), v.ratioLast.toExponential(1),
      v.initialLoss.toFixed(4), v.finalLoss.toFixed(4), v.check.maxError.toExponential(1), `${(v.ms / 1000).toFixed(1)} s`,
    ]);
  }
  printTable(rows);
  console.log(`\n  |gK|: L2 norm of layer K's weight-matrix gradient (layer 1 = input, ${L} = output); ratio = |g1| / |g${L}|.`);
  console.log(`  loss: mean cross-entropy on the whole training set; predicting the class frequencies gives ${r.priorLoss.toFixed(4)} (log ${o.classes} = ${Math.log(o.classes).toFixed(4)}).`);
  console.log(`  grad-check: gradc's gradient at the first step vs central differences (numericGradient) on ${r.variants[0].check.coordinates} sampled`);
  console.log(`  coordinates, max |a - b| / max(|a|, |b|, 1); relative to the difference alone where it exceeds 1e-6: ${r.variants.map((v) => v.check.fdRelative.toExponential(1)).join(", ")}.`);
  console.log(`  Layer 1's gradient is too small in the sigmoid net for per-coordinate differences to resolve; the loss's slope`);
  console.log(`  along g1 / |g1| is |g1| itself; a central difference along it (step: see below) measures it independently of gradc:`);
  for (const v of r.variants) {
    const d = v.directional;
    console.log(`    ${v.name.padEnd(26)} |g1| = ${d.norm.toExponential(3)}, slope = ${d.fd.toExponential(3)} (step ${d.step.toExponential(0)}; relative difference ${d.relative.toExponential(1)})`);
  }
}

if (isMain(import.meta.url)) {
  const r = runDeepNetwork();
  printDeepNetwork(r);
  console.log(`\n  wrote ${writeOutput("deep-network-gradient-norms.svg", deepNetworkSvg(r))}; ${(r.ms / 1000).toFixed(1)} s in all`);
}
