// The corpus: loss functions as users write them, with argument generators.
// Shared by the runtime-API test (test/corpus.test.ts) and the CLI tests.
import * as arrays from "./arrays.js";
import { dot, smoothAbs } from "./helpers.js";
import * as models from "./models.js";
import type { Rng } from "./rng.js";
import * as scalar from "./scalar.js";

export type WrtKey = string | number;

export interface CorpusCase {
  /** Unique name; equal to the exported function's name. */
  name: string;
  /** Source file of `fn`, relative to the repository root. */
  file: string;
  fn: (...args: any[]) => number;
  /** Arguments at a random point where `fn` is differentiable. */
  makeArgs(rng: Rng): unknown[];
  /** As gradc's `opts.wrt`; default 0. Names refer to parameter names. */
  wrt?: WrtKey | WrtKey[];
  /** Some differentiated argument holds Float32Array data (looser tolerance). */
  float32?: boolean;
  /** Functions `fn` calls but does not contain (for the runtime path's `opts.functions`). */
  functions?: Record<string, Function>;
}

const S = "test/corpus/scalar.ts";
const A = "test/corpus/arrays.ts";
const M = "test/corpus/models.ts";

const scalarCases: CorpusCase[] = [
  { name: "rosenbrock2", file: S, fn: scalar.rosenbrock2, wrt: ["x", "y"], makeArgs: (r) => [r.uniform(-2, 2), r.uniform(-1, 3)] },
  { name: "trigMix", file: S, fn: scalar.trigMix, wrt: [0, 1], makeArgs: (r) => [r.uniform(-1.5, 1.5), r.uniform(0.2, 2)] },
  { name: "inverseTrig", file: S, fn: scalar.inverseTrig, makeArgs: (r) => [r.uniform(-0.8, 0.8)] },
  { name: "hyperbolic", file: S, fn: scalar.hyperbolic, wrt: [0, 1], makeArgs: (r) => [r.uniform(-1.5, 1.5), r.uniform(-1.5, 1.5)] },
  { name: "logsAndRoots", file: S, fn: scalar.logsAndRoots, makeArgs: (r) => [r.uniform(0.3, 4)] },
  { name: "powers", file: S, fn: scalar.powers, wrt: [0, 1], makeArgs: (r) => [r.uniform(0.3, 2.5), r.uniform(-1.5, 2)] },
  { name: "absSignMinMax", file: S, fn: scalar.absSignMinMax, wrt: [0, 1], makeArgs: (r) => [r.signed(0.2, 2), r.signed(0.2, 2)] },
  { name: "rounding", file: S, fn: scalar.rounding, makeArgs: (r) => [r.int(-3, 3) + (r.next() < 0.5 ? r.uniform(0.05, 0.45) : r.uniform(0.55, 0.95))] },
  { name: "huberPiecewise", file: S, fn: scalar.huberPiecewise, wrt: [0, 1], makeArgs: (r) => [r.signed(0.1, 3), r.uniform(0.5, 1.5)] },
  { name: "ternaryLogic", file: S, fn: scalar.ternaryLogic, wrt: [0, 1], makeArgs: (r) => [r.uniform(-2, 2), r.uniform(-2, 2)] },
  { name: "newtonSqrtWhile", file: S, fn: scalar.newtonSqrtWhile, makeArgs: (r) => [r.uniform(0.5, 9)] },
  { name: "decayDoWhile", file: S, fn: scalar.decayDoWhile, makeArgs: (r) => [r.uniform(-2, 2), r.int(1, 6)] },
  { name: "compoundOps", file: S, fn: scalar.compoundOps, wrt: [0, 1], makeArgs: (r) => [r.uniform(2, 2.9), r.uniform(-1, 1)] },
  { name: "earlyReturn", file: S, fn: scalar.earlyReturn, makeArgs: (r) => [r.uniform(-3, 4)] },
  { name: "innerFunctions", file: S, fn: scalar.innerFunctions, wrt: [0, 1], makeArgs: (r) => [r.uniform(-1.5, 1.5), r.uniform(-1.5, 1.5)] },
  {
    name: "moduleHelpers",
    file: S,
    fn: scalar.moduleHelpers,
    wrt: [0, 1],
    functions: scalar.scalarHelpers,
    makeArgs: (r) => [r.uniform(-2, 2), r.uniform(-1, 1)],
  },
];

const arrayCases: CorpusCase[] = [
  { name: "rosenbrock", file: A, fn: arrays.rosenbrock, makeArgs: (r) => [r.f64(r.int(2, 8), -1.5, 1.5)] },
  { name: "sumSquaresForOf", file: A, fn: arrays.sumSquaresForOf, makeArgs: (r) => [r.f64(r.int(1, 8), -2, 2)] },
  { name: "logSumExp", file: A, fn: arrays.logSumExp, makeArgs: (r) => [r.f64(r.int(1, 8), -3, 3)] },
  {
    name: "softmaxCrossEntropy",
    file: A,
    fn: arrays.softmaxCrossEntropy,
    makeArgs: (r) => {
      const n = r.int(2, 7);
      return [r.f64(n, -3, 3), r.int(0, n - 1)];
    },
  },
  { name: "breakContinue", file: A, fn: arrays.breakContinue, makeArgs: (r) => [r.f64(r.int(3, 10), -1.5, 1.5)] },
  {
    name: "earlyReturnInLoop",
    file: A,
    fn: arrays.earlyReturnInLoop,
    wrt: [0, 1],
    makeArgs: (r) => [r.f64(r.int(2, 8), -2, 2), r.uniform(0.5, 2.5)],
  },
  { name: "recurrentSweeps", file: A, fn: arrays.recurrentSweeps, wrt: [0, 1], makeArgs: (r) => [r.f64(r.int(1, 6), -1, 1), r.uniform(-1.5, 1.5)] },
  { name: "fillAndReuse", file: A, fn: arrays.fillAndReuse, wrt: ["x", "c"], makeArgs: (r) => [r.f64(r.int(1, 6), -1, 1), r.uniform(-2, 2)] },
  { name: "whileStride", file: A, fn: arrays.whileStride, makeArgs: (r) => [r.f64(r.int(2, 9), -2, 2)] },
  { name: "productScan", file: A, fn: arrays.productScan, makeArgs: (r) => [r.f64(r.int(1, 7), -1.5, 1.5)] },
  { name: "smoothInPlace", file: A, fn: arrays.smoothInPlace, makeArgs: (r) => [r.f64(r.int(1, 6), -1, 1)] },
  { name: "reverseLoop", file: A, fn: arrays.reverseLoop, makeArgs: (r) => [r.f64(r.int(1, 7), -1.5, 1.5)] },
  {
    name: "boundFromParam",
    file: A,
    fn: arrays.boundFromParam,
    makeArgs: (r) => {
      const n = r.int(1, 6);
      return [r.f64(n + r.int(0, 2), -1, 1), n];
    },
  },
  {
    name: "matVecResidual",
    file: A,
    fn: arrays.matVecResidual,
    wrt: ["A", "x"],
    makeArgs: (r) => {
      const rows = r.int(1, 4);
      const cols = r.int(1, 4);
      return [r.f64(rows * cols, -1, 1), r.f64(cols, -1, 1), rows];
    },
  },
  {
    name: "float32Regression",
    file: A,
    fn: arrays.float32Regression,
    wrt: [0, 1],
    float32: true,
    makeArgs: (r) => {
      const n = r.int(1, 8);
      return [r.f32(n, -1, 1), r.f32(n, -1, 1)];
    },
  },
  { name: "float32Buffer", file: A, fn: arrays.float32Buffer, float32: true, makeArgs: (r) => [r.f32(r.int(1, 6), -1.5, 1.5)] },
];

const modelCases: CorpusCase[] = [
  {
    name: "mlpLoss",
    file: M,
    fn: models.mlpLoss,
    makeArgs: (r) => {
      const nIn = r.int(1, 4);
      const nHid = r.int(1, 5);
      const nOut = r.int(1, 3);
      const p: models.Mlp = {
        W1: r.f64(nHid * nIn, -1, 1),
        b1: r.f64(nHid, -0.5, 0.5),
        W2: r.f64(nOut * nHid, -1, 1),
        b2: r.f64(nOut, -0.5, 0.5),
      };
      return [p, r.f64(nIn, -1, 1), r.f64(nOut, -1, 1)];
    },
  },
  {
    name: "softmaxClassifier",
    file: M,
    fn: models.softmaxClassifier,
    wrt: [0, 1],
    makeArgs: (r) => {
      const k = r.int(2, 4);
      const d = r.int(1, 4);
      return [{ W: r.f64(k * d, -1, 1), b: r.f64(k, -1, 1) }, r.f64(d, -2, 2), r.int(0, k - 1)];
    },
  },
  {
    name: "logisticRegression",
    file: M,
    fn: models.logisticRegression,
    functions: models.modelHelpers,
    makeArgs: (r) => {
      const d = r.int(1, 4);
      const m = r.int(1, 5);
      const y = new Float64Array(m);
      for (let i = 0; i < m; i++) y[i] = r.int(0, 1);
      return [{ w: r.f64(d, -1.5, 1.5), b: r.uniform(-1, 1) }, r.f64(m * d, -2, 2), y];
    },
  },
  { name: "rnn", file: M, fn: models.rnn, wrt: ["w", "x", "h0"], makeArgs: (r) => [r.uniform(-1.5, 1.5), r.f64(r.int(1, 8), -1, 1), r.uniform(-1, 1)] },
  {
    name: "robustRegression",
    file: M,
    fn: models.robustRegression,
    wrt: [0, 1, 2],
    functions: { dot, smoothAbs },
    makeArgs: (r) => {
      const n = r.int(1, 6);
      return [r.f64(n, -1, 1), r.f64(n, -1, 1), r.uniform(-2, 2)];
    },
  },
  { name: "gaussianNll", file: M, fn: models.gaussianNll, makeArgs: (r) => [{ mu: r.uniform(-1, 1), logSigma: r.uniform(-0.5, 0.5) }, r.f64(r.int(1, 6), -2, 2)] },
  {
    name: "mixedPrecision",
    file: M,
    fn: models.mixedPrecision,
    float32: true,
    makeArgs: (r) => {
      const n = r.int(1, 6);
      return [{ scale: r.uniform(0.5, 1.5), shift: r.f64(n, -1, 1), gains: r.f32(n, -1, 1) }, r.f64(n, -2, 2)];
    },
  },
  {
    name: "closureReadsParams",
    file: M,
    fn: models.closureReadsParams,
    wrt: [0, 2],
    makeArgs: (r) => {
      const n = r.int(1, 6);
      return [r.f64(n, -1, 1), r.f64(n, -1, 1), r.uniform(-1, 1)];
    },
  },
];

export const cases: CorpusCase[] = [...scalarCases, ...arrayCases, ...modelCases];
