// A deep residual stack whose blocks are checkpointed functions.
//
// 32 residual blocks of width 16, each h ← h + W2 tanh(W1 h + b1) with an inner width of
// 32, applied to a whole batch in place, then a linear readout to 4 outputs; mean squared
// error against a random teacher's outputs. The block is an ordinary function; the
// checkpointed loss calls `checkpointedBlock = checkpoint(residualBlock)` instead. A call
// of a checkpointed function keeps only the state it enters with (here the batch's h) and
// recomputes the block in the backward sweep, so the tape holds 32 copies of h plus one
// block's record at a time, instead of every block's inner activations.
//
// The example checks that the two gradients are equal (to 1e-12; and the plain one against
// central differences), prints the peak tape bytes (Tape.peakBytes) and time of each, then
// trains both nets with Adam for a few steps and checks the runs agree step for step.
//
// Run: npm run examples:checkpoint   (or, after tsc -p tsconfig.examples.json,
// node build/examples/residual-checkpoint.js)
import { checkpoint, valueAndGrad } from "gradc";
import { Adam, Rng, xavierNormal } from "gradc/runtime";
import { printTable } from "./check.js";
import { formatBytes, maxRelDiff, measureGradient } from "./checkpoint-compare.js";
import { isMain } from "./out.js";
import { type GradientCheck, sampledGradientCheck } from "./sampled-check.js";

export interface ResNet {
  W1: Float64Array; // blocks x inner x width
  b1: Float64Array; // blocks x inner
  W2: Float64Array; // blocks x width x inner
  Wout: Float64Array; // outputs x width
  bout: Float64Array; // outputs
}

/** Block l, in place on every row of H (rows x width): h ← h + W2 tanh(W1 h + b1). */
export function residualBlock(H: Float64Array, p: ResNet, l: number, width: number, inner: number): number {
  const rows = H.length / width;
  const u = new Float64Array(inner);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < inner; j++) {
      let a = p.b1[l * inner + j];
      for (let k = 0; k < width; k++) a += p.W1[(l * inner + j) * width + k] * H[r * width + k];
      u[j] = Math.tanh(a);
    }
    for (let k = 0; k < width; k++) {
      let a = 0;
      for (let j = 0; j < inner; j++) a += p.W2[(l * width + k) * inner + j] * u[j];
      H[r * width + k] += a;
    }
  }
  return 0;
}

/** The same block, checkpointed: a differentiated call keeps its entry state and recomputes the block. */
export const checkpointedBlock = checkpoint(residualBlock);

/** Mean over rows of the squared error of the linear readout of H (rows x width) against Y. */
export function readoutLoss(p: ResNet, H: Float64Array, Y: Float64Array, width: number): number {
  const outs = p.bout.length;
  const rows = H.length / width;
  let loss = 0;
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outs; o++) {
      let y = p.bout[o];
      for (let k = 0; k < width; k++) y += p.Wout[o * width + k] * H[r * width + k];
      const e = y - Y[r * outs + o];
      loss += e * e;
    }
  }
  return loss / rows;
}

/** The readout's loss after all blocks; X is rows x width, Y rows x outputs. */
export function resLoss(p: ResNet, X: Float64Array, Y: Float64Array, width: number, inner: number): number {
  const H = new Float64Array(X);
  for (let l = 0; l < p.b1.length / inner; l++) residualBlock(H, p, l, width, inner);
  return readoutLoss(p, H, Y, width);
}

/** resLoss with every block call checkpointed. */
export function resLossCheckpointed(p: ResNet, X: Float64Array, Y: Float64Array, width: number, inner: number): number {
  const H = new Float64Array(X);
  for (let l = 0; l < p.b1.length / inner; l++) checkpointedBlock(H, p, l, width, inner);
  return readoutLoss(p, H, Y, width);
}

// The gradients, compiled by gradc at run time on their first call (also request sites
// for `gradc build`). At run time gradc sees only the loss's source: the block is passed
// in `functions`, and checkpointedBlock is recognised as checkpointed by identity.
export const resStep = valueAndGrad(resLoss, { wrt: "p", functions: { residualBlock, readoutLoss } });
export const resStepCheckpointed = valueAndGrad(resLossCheckpointed, { wrt: "p", functions: { checkpointedBlock, readoutLoss } });

type Step = (p: ResNet, X: Float64Array, Y: Float64Array, width: number, inner: number) => [number, ResNet];

export interface ResOptions {
  blocks: number;
  width: number;
  inner: number;
  outputs: number;
  /** Rows of the (single, full) batch. */
  rows: number;
  /** Adam steps and step size. */
  iterations: number;
  lr: number;
  seed: number;
}

export const RES_DEFAULTS: ResOptions = { blocks: 32, width: 16, inner: 32, outputs: 4, rows: 64, iterations: 30, lr: 0.003, seed: 1 };

/** Inputs ~ N(0, 1); targets from a random 2-layer tanh teacher. */
export function makeResData(o: ResOptions): { X: Float64Array; Y: Float64Array } {
  const rng = new Rng(o.seed);
  const hidden = 16;
  const A = rng.fillNormal(new Float64Array(hidden * o.width), 0, 1 / Math.sqrt(o.width));
  const B = rng.fillNormal(new Float64Array(o.outputs * hidden), 0, 1 / Math.sqrt(hidden));
  const X = rng.fillNormal(new Float64Array(o.rows * o.width));
  const Y = new Float64Array(o.rows * o.outputs);
  const t = new Float64Array(hidden);
  for (let r = 0; r < o.rows; r++) {
    for (let j = 0; j < hidden; j++) {
      let s = 0;
      for (let k = 0; k < o.width; k++) s += A[j * o.width + k] * X[r * o.width + k];
      t[j] = Math.tanh(2 * s);
    }
    for (let c = 0; c < o.outputs; c++) {
      let s = 0;
      for (let j = 0; j < hidden; j++) s += B[c * hidden + j] * t[j];
      Y[r * o.outputs + c] = s;
    }
  }
  return { X, Y };
}

/** Xavier init; the blocks' output layers scaled by 1/√blocks so that h stays of order 1 through the stack. */
export function initResNet(o: ResOptions): ResNet {
  const rng = new Rng(o.seed + 100);
  const W1 = new Float64Array(o.blocks * o.inner * o.width);
  const W2 = new Float64Array(o.blocks * o.width * o.inner);
  for (let l = 0; l < o.blocks; l++) {
    xavierNormal(W1.subarray(l * o.inner * o.width, (l + 1) * o.inner * o.width), o.width, o.inner, rng);
    xavierNormal(W2.subarray(l * o.width * o.inner, (l + 1) * o.width * o.inner), o.inner, o.width, rng, 1 / Math.sqrt(o.blocks));
  }
  return {
    W1, b1: new Float64Array(o.blocks * o.inner), W2,
    Wout: xavierNormal(new Float64Array(o.outputs * o.width), o.width, o.outputs, rng),
    bout: new Float64Array(o.outputs),
  };
}

export interface ResVariant {
  name: string;
  /** max |a - b| / max(|a|, |b|, 1) of value and gradient against the plain gradient's. */
  maxDiff: number;
  peakBytes: number;
  ms: number;
  /** Loss before each Adam step, and after the last. */
  losses: number[];
  trainMs: number;
}

export interface ResResults {
  options: ResOptions;
  plain: ResVariant;
  checkpointed: ResVariant;
  /** The plain gradient against central differences, at initialisation. */
  check: GradientCheck;
  /** Largest |loss difference| between the two training runs. */
  trainingDiff: number;
  ms: number;
}

const KEYS = ["W1", "b1", "W2", "Wout", "bout"] as const;
const asList = (p: ResNet): Float64Array[] => KEYS.map((k) => p[k]);

function train(step: Step, o: ResOptions, X: Float64Array, Y: Float64Array): { losses: number[]; trainMs: number } {
  const t0 = performance.now();
  const p = initResNet(o);
  const opt = new Adam({ lr: o.lr });
  const losses: number[] = [];
  for (let it = 0; it < o.iterations; it++) {
    const [value, g] = step(p, X, Y, o.width, o.inner);
    losses.push(value);
    opt.step(asList(p), asList(g));
  }
  losses.push(resLoss(p, X, Y, o.width, o.inner));
  return { losses, trainMs: performance.now() - t0 };
}

/** Compares the two gradients at initialisation, then trains both; `size` overrides the defaults (the tests use a small size). */
export function runResidualCheckpoint(size: Partial<ResOptions> = {}): ResResults {
  const t0 = performance.now();
  const o = { ...RES_DEFAULTS, ...size };
  const { X, Y } = makeResData(o);
  const p = initResNet(o);
  const plainM = measureGradient(() => (resStep as Step)(p, X, Y, o.width, o.inner));
  const ckM = measureGradient(() => (resStepCheckpointed as Step)(p, X, Y, o.width, o.inner));
  const check = sampledGradientCheck(resLoss, p, [X, Y, o.width, o.inner], plainM.result[0], plainM.result[1], 20, o.seed + 1);
  const plainRun = train(resStep as Step, o, X, Y);
  const ckRun = train(resStepCheckpointed as Step, o, X, Y);
  let trainingDiff = 0;
  plainRun.losses.forEach((l, i) => (trainingDiff = Math.max(trainingDiff, Math.abs(l - ckRun.losses[i]))));
  return {
    options: o,
    plain: { name: "plain blocks (recorded)", maxDiff: 0, peakBytes: plainM.peakBytes, ms: plainM.ms, ...plainRun },
    checkpointed: { name: "checkpoint(residualBlock)", maxDiff: maxRelDiff(ckM.result, plainM.result), peakBytes: ckM.peakBytes, ms: ckM.ms, ...ckRun },
    check, trainingDiff, ms: performance.now() - t0,
  };
}

export function printResidualCheckpoint(r: ResResults): void {
  const o = r.options;
  console.log(`Residual stack: ${o.blocks} blocks h ← h + W2 tanh(W1 h + b1) (width ${o.width}, inner ${o.inner}), linear readout to ${o.outputs},`);
  console.log(`batch of ${o.rows} rows, mean squared error; gradients with respect to {W1, b1, W2, Wout, bout} by gradc (valueAndGrad)\n`);
  const rows = [["blocks", "max rel. diff vs plain", "peak tape bytes", "vs plain", "time / gradient", "loss start", "loss end", "training"]];
  for (const v of [r.plain, r.checkpointed]) {
    rows.push([
      v.name, v === r.plain ? "—" : v.maxDiff.toExponential(1), formatBytes(v.peakBytes), `${(v.peakBytes / r.plain.peakBytes).toFixed(3)}x`,
      `${v.ms.toFixed(2)} ms`, v.losses[0].toFixed(4), v.losses[v.losses.length - 1].toFixed(4), `${(v.trainMs / 1000).toFixed(1)} s`,
    ]);
  }
  printTable(rows);
  const hBytes = o.rows * o.width * 8;
  console.log(`\n  plain gradient vs central differences on ${r.check.coordinates} sampled coordinates: ${r.check.maxError.toExponential(1)}`);
  console.log(`  checkpointed: ${o.blocks} entry states of ${formatBytes(hBytes)} (h, ${o.rows} x ${o.width}) = ${formatBytes(o.blocks * hBytes)}, plus one block's record at a time`);
  console.log(`  Adam (lr ${o.lr}), ${o.iterations} steps on the full batch, both nets from the same init: largest |loss difference| ${r.trainingDiff.toExponential(1)}`);
}

if (isMain(import.meta.url)) {
  const r = runResidualCheckpoint();
  printResidualCheckpoint(r);
  console.log(`\n  ${(r.ms / 1000).toFixed(1)} s in all`);
}
