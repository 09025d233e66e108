// HIPS/autograd: losses from its examples/ and tests/, written as a JavaScript user would
// write them (numpy becomes plain arrays, map/reduce and small helpers; autograd's
// `grad` becomes gradc's).
import { grad } from "../../index.js";
import { matrix, numbers, oneHot, type RealWorldCase } from "./case.js";
import type { Rng } from "../corpus/rng.js";

// --- shared helpers, as each example defines them ---------------------------------------

function logsumexp(x: number[]): number {
  const m = Math.max(...x);
  return m + Math.log(x.reduce((s, v) => s + Math.exp(v - m), 0));
}

function sigmoid(x: number): number {
  return 0.5 * (Math.tanh(x) + 1.0); // Output ranges from 0 to 1.
}

// --- examples/rosenbrock.py -------------------------------------------------------------

export function rosenbrock(x: number[]): number {
  return 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2;
}

// --- examples/logistic_regression.py ----------------------------------------------------

// A toy dataset, at module level as in the example.
const inputs = [
  [0.52, 1.12, 0.77],
  [0.88, -1.08, 0.15],
  [0.52, 0.06, -1.3],
  [0.74, -2.49, 1.39],
];
const targets = [true, true, false, true];

function logisticPredictions(weights: number[], inputs: number[][]): number[] {
  // Outputs probability of a label being true according to logistic model.
  return inputs.map((row) => sigmoid(row.reduce((s, v, j) => s + v * weights[j], 0)));
}

export function trainingLoss(weights: number[]): number {
  // Training loss is the negative log-likelihood of the training labels.
  const preds = logisticPredictions(weights, inputs);
  const labelProbabilities = preds.map((p, i) => (targets[i] ? p : 1 - p));
  return -labelProbabilities.reduce((s, p) => s + Math.log(p), 0);
}

// --- examples/neural_net.py -------------------------------------------------------------

/** A layer: (weights, biases), weights in × out. */
type Layer = [number[][], number[]];

function neuralNetPredict(params: Layer[], inputs: number[][]): number[][] {
  // inputs is an (N x D) matrix; returns normalized class log-probabilities.
  let outputs: number[][] = [];
  for (const [W, b] of params) {
    outputs = inputs.map((row) => b.map((bj, j) => row.reduce((s, v, i) => s + v * W[i][j], bj)));
    inputs = outputs.map((row) => row.map(Math.tanh));
  }
  return outputs.map((row) => {
    const lse = logsumexp(row);
    return row.map((v) => v - lse);
  });
}

function l2Norm(params: Layer[]): number {
  // Computes l2 norm of params by flattening them into a vector.
  const flattened = params.flatMap(([W, b]) => [...W.flat(), ...b]);
  return flattened.reduce((s, v) => s + v * v, 0);
}

export function logPosterior(params: Layer[], inputs: number[][], targets: number[][], L2Reg: number): number {
  const logPrior = -L2Reg * l2Norm(params);
  const logLik = neuralNetPredict(params, inputs).reduce((s, row, n) => s + row.reduce((t, v, k) => t + v * targets[n][k], 0), 0);
  return logPrior + logLik;
}

function layers(r: Rng, sizes: number[], scale: number): Layer[] {
  return sizes.slice(1).map((n, k) => [matrix(r, sizes[k], n, -scale, scale), numbers(r, n, -scale, scale)] as Layer);
}

// --- examples/rnn.py and examples/lstm.py (one sequence; the examples batch several) -----

function concatAndMultiply(weights: number[][], ...args: number[][]): number[] {
  const catState = [...args.flat(), 1];
  return weights[0].map((_, j) => catState.reduce((s, v, i) => s + v * weights[i][j], 0));
}

interface RnnParams {
  "init hiddens": number[];
  change: number[][];
  predict: number[][];
}

function rnnPredict(params: RnnParams, inputs: number[][]): number[][] {
  const updateRnn = (input: number[], hiddens: number[]) => concatAndMultiply(params.change, input, hiddens).map(Math.tanh);
  const hiddensToOutputProbs = (hiddens: number[]) => {
    const output = concatAndMultiply(params.predict, hiddens);
    const lse = logsumexp(output);
    return output.map((o) => o - lse); // Normalize log-probs.
  };
  let hiddens = params["init hiddens"];
  const output = [hiddensToOutputProbs(hiddens)];
  for (const input of inputs) {
    // Iterate over time steps.
    hiddens = updateRnn(input, hiddens);
    output.push(hiddensToOutputProbs(hiddens));
  }
  return output;
}

export function rnnLogLikelihood(params: RnnParams, inputs: number[][], targets: number[][]): number {
  const logprobs = rnnPredict(params, inputs);
  let loglik = 0.0;
  const numTimeSteps = inputs.length;
  for (let t = 0; t < numTimeSteps; t++) {
    loglik += logprobs[t].reduce((s, v, k) => s + v * targets[t][k], 0);
  }
  return loglik / numTimeSteps;
}

interface LstmParams {
  "init cells": number[];
  "init hiddens": number[];
  change: number[][];
  forget: number[][];
  ingate: number[][];
  outgate: number[][];
  predict: number[][];
}

function lstmPredict(params: LstmParams, inputs: number[][]): number[][] {
  function updateLstm(input: number[], hiddens: number[], cells: number[]): [number[], number[]] {
    const change = concatAndMultiply(params.change, input, hiddens).map(Math.tanh);
    const forget = concatAndMultiply(params.forget, input, hiddens).map(sigmoid);
    const ingate = concatAndMultiply(params.ingate, input, hiddens).map(sigmoid);
    const outgate = concatAndMultiply(params.outgate, input, hiddens).map(sigmoid);
    cells = cells.map((c, j) => c * forget[j] + ingate[j] * change[j]);
    hiddens = outgate.map((o, j) => o * Math.tanh(cells[j]));
    return [hiddens, cells];
  }
  function hiddensToOutputProbs(hiddens: number[]): number[] {
    const output = concatAndMultiply(params.predict, hiddens);
    const lse = logsumexp(output);
    return output.map((o) => o - lse);
  }
  let hiddens = params["init hiddens"];
  let cells = params["init cells"];
  const output = [hiddensToOutputProbs(hiddens)];
  for (const input of inputs) {
    [hiddens, cells] = updateLstm(input, hiddens, cells);
    output.push(hiddensToOutputProbs(hiddens));
  }
  return output;
}

export function lstmLogLikelihood(params: LstmParams, inputs: number[][], targets: number[][]): number {
  const logprobs = lstmPredict(params, inputs);
  let loglik = 0.0;
  for (let t = 0; t < inputs.length; t++) {
    loglik += logprobs[t].reduce((s, v, k) => s + v * targets[t][k], 0);
  }
  return loglik / inputs.length;
}

// --- examples/gaussian_process.py -------------------------------------------------------

function rbfCovariance(kernelParams: number[], x: number[][], xp: number[][]): number[][] {
  const outputScale = Math.exp(kernelParams[0]);
  const lengthscales = kernelParams.slice(1).map(Math.exp);
  return x.map((xi) =>
    xp.map((xj) => {
      const sq = xi.reduce((s, v, d) => s + ((v - xj[d]) / lengthscales[d]) ** 2, 0);
      return outputScale * Math.exp(-0.5 * sq);
    }),
  );
}

function cholesky(A: number[][]): number[][] {
  const n = A.length;
  const L = A.map(() => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i][j];
      for (let k = 0; k < j; k++) s -= L[i][k] * L[j][k];
      L[i][j] = i === j ? Math.sqrt(s) : s / L[j][j];
    }
  }
  return L;
}

/** Log density of a multivariate normal (scipy.stats.multivariate_normal.logpdf). */
function mvnLogpdf(y: number[], mean: number[], cov: number[][]): number {
  const L = cholesky(cov);
  const z: number[] = [];
  for (let i = 0; i < y.length; i++) {
    let s = y[i] - mean[i];
    for (let k = 0; k < i; k++) s -= L[i][k] * z[k];
    z.push(s / L[i][i]);
  }
  const logDet = 2 * L.reduce((s, row, i) => s + Math.log(row[i]), 0);
  return -0.5 * (z.reduce((s, v) => s + v * v, 0) + logDet + y.length * Math.log(2 * Math.PI));
}

export function gpLogMarginalLikelihood(params: number[], x: number[][], y: number[]): number {
  const mean = params[0];
  const covParams = params.slice(2);
  const noiseScale = Math.exp(params[1]) + 0.0001;
  const covYY = rbfCovariance(covParams, x, x).map((row, i) => row.map((v, j) => (i === j ? v + noiseScale : v)));
  const priorMean = new Array<number>(y.length).fill(mean);
  return mvnLogpdf(y, priorMean, covYY);
}

// --- examples/ode_net.py (odeint replaced by fixed-step RK4, as a JS user would) -------

type DenseLayer = [number[][], number[]];

function nnPredict(inputs: number[], _t: number, params: DenseLayer[]): number[] {
  let outputs: number[] = [];
  for (const [W, b] of params) {
    outputs = b.map((bj, j) => inputs.reduce((s, v, i) => s + v * W[i][j], bj));
    inputs = outputs.map((o) => Math.max(0, o));
  }
  return outputs;
}

function odePred(params: DenseLayer[], y0: number[], t: number[]): number[][] {
  const ys = [y0];
  let y = y0;
  for (let i = 1; i < t.length; i++) {
    const h = t[i] - t[i - 1];
    const k1 = nnPredict(y, t[i - 1], params);
    const k2 = nnPredict(y.map((v, d) => v + (h / 2) * k1[d]), t[i - 1] + h / 2, params);
    const k3 = nnPredict(y.map((v, d) => v + (h / 2) * k2[d]), t[i - 1] + h / 2, params);
    const k4 = nnPredict(y.map((v, d) => v + h * k3[d]), t[i], params);
    y = y.map((v, d) => v + (h / 6) * (k1[d] + 2 * k2[d] + 2 * k3[d] + k4[d]));
    ys.push(y);
  }
  return ys;
}

function L1Loss(pred: number[][], targets: number[][]): number {
  const diffs = pred.flatMap((row, i) => row.map((v, d) => Math.abs(v - targets[i][d])));
  return diffs.reduce((s, v) => s + v, 0) / diffs.length;
}

export function odeTrainLoss(params: DenseLayer[], trueY0: number[], t: number[], trueY: number[][]): number {
  const pred = odePred(params, trueY0, t);
  return L1Loss(pred, trueY);
}

// --- examples/tanh.py, examples/sinusoid.py, examples/fixed_points.py ------------------

function tanh(x: number): number {
  return (1.0 - Math.exp(-2 * x)) / (1.0 + Math.exp(-(2 * x)));
}

/** The example plots up to the 4th derivative, egrad(egrad(egrad(egrad(tanh)))). */
export function tanhFourthDerivative(x: number): number {
  return grad(grad(grad(grad(tanh))))(x);
}

/** Taylor approximation to the sin function. */
export function taylorSin(x: number): number {
  let currterm = x;
  let ans = currterm;
  for (let i = 0; i < 1000; i++) {
    currterm = (-currterm * x ** 2) / ((2 * i + 3) * (2 * i + 2));
    ans = ans + currterm;
    if (Math.abs(currterm) < 0.2) break; // (Very generous tolerance!)
  }
  return ans;
}

const gradDescentSqrtIter = (a: number) => (x: number) => x - 0.05 * (x ** 2 - a);

function distance(x: number, y: number): number {
  return Math.abs(x - y);
}

function fixedPoint(f: (a: number) => (x: number) => number, a: number, x0: number, distance: (x: number, y: number) => number, tol: number): number {
  const step = f(a);
  let x = x0;
  let next = step(x);
  while (distance(x, next) > tol) {
    x = next;
    next = step(x);
  }
  return next;
}

export function fixedPointSqrt(a: number, guess = 10.0): number {
  return fixedPoint(gradDescentSqrtIter, a, guess, distance, 1e-4);
}

// --- tests/test_graphs.py, tests/test_core.py ------------------------------------------

/** test_core.py test_mod: check_binary_func(lambda x, y: x % y) */
export const mod = (x: number, y: number) => x % y;

const fanout = (x: number) => Math.sin(Math.sin(x) + Math.sin(x));

/** test_grad_fanout: check_grads(grad(fun)). */
export function gradFanout(x: number): number {
  return grad(fanout)(x);
}

// A fixed random vector the test closes over.
const randv = Float64Array.from({ length: 10 }, (_, i) => Math.sin(3 * i + 1));

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function sinOfDot(x: Float64Array): number {
  return Math.sin(dot(x, randv));
}

/** test_hess_vector_prod */
export function vectorProduct(x: Float64Array, v: Float64Array): number {
  const df = grad(sinOfDot);
  return Math.sin(dot(v, df(x)));
}

/** test_enclosing_scope_ref */
export function enclosingScopeRef(x: number): number {
  const innerFun = (y: number) => x * y;
  return x * grad(innerFun)(2.0);
}

// --- tests/test_list.py, tests/test_dict.py --------------------------------------------

function sumSinCos(inputList: Float64Array[]): number {
  const A = inputList[0].reduce((s, v) => s + Math.sin(v), 0);
  const B = inputList[1].reduce((s, v) => s + Math.cos(v), 0);
  return A + B;
}

/** test_list.py test_grads: d_fun */
export function listGrads(inputList: Float64Array[]): number {
  const g = grad(sumSinCos)(inputList);
  const A = g[0].reduce((s, v) => s + v, 0);
  const B = g[0].reduce((s, v) => s + Math.sin(v), 0);
  const C = g[1].reduce((s, v) => s + Math.sin(v), 0);
  return A + B + C;
}

/** test_dict.py test_iter */
export function dictIter(inputDict: Record<string, Float64Array>): number {
  let A = 0.0;
  let B = 0.0;
  for (const [i, k] of Object.keys(inputDict).sort().entries()) {
    A = A + inputDict[k].reduce((s, v) => s + Math.sin(v), 0) * (i + 1.0);
    B = B + inputDict[k].reduce((s, v) => s + Math.cos(v), 0);
  }
  return A + B;
}

// --- tests/test_numpy.py ----------------------------------------------------------------

/** test_prod_4 */
export function prod(x: Float64Array): number {
  return x.reduce((p, v) => p * v, 1);
}

function variance(x: number[], ddof = 0): number {
  const mean = x.reduce((s, v) => s + v, 0) / x.length;
  return x.reduce((s, v) => s + (v - mean) ** 2, 0) / (x.length - ddof);
}

/** test_var_ddof (ddof = 1) */
export function varDdof(x: number[]): number {
  return variance(x, 1);
}

/** test_where: np.where(C, x, y); check_grads takes v · f(x, y) for a random cotangent v. */
export function where(x: Float64Array, y: Float64Array, v: Float64Array, C: boolean[]): number {
  const b = x.map((xi, i) => (C[i] ? xi : y[i]));
  return b.reduce((s, bi, i) => s + bi * v[i], 0);
}

// --- examples/gmm.py --------------------------------------------------------------------

interface GmmParams {
  "log proportions": number[];
  means: number[][];
  "lower triangles": number[][][];
}

function logNormalize(x: number[]): number[] {
  const lse = logsumexp(x);
  return x.map((v) => v - lse);
}

function matmulTransposed(A: number[][]): number[][] {
  // A^T A
  return A[0].map((_, i) => A[0].map((_, j) => A.reduce((s, row) => s + row[i] * row[j], 0)));
}

export function gmmLogLikelihood(params: GmmParams, data: number[][]): number {
  const logProportions = logNormalize(params["log proportions"]);
  const clusterLls = logProportions.map((logProportion, k) => {
    const cov = matmulTransposed(params["lower triangles"][k]);
    return data.map((x) => logProportion + mvnLogpdf(x, params.means[k], cov));
  });
  return data.reduce((s, _, n) => s + logsumexp(clusterLls.map((lls) => lls[n])), 0);
}

// --- examples/black_box_svi.py (the noise rs.randn draws is passed in) ------------------

function normLogpdf(x: number, loc: number, scale: number): number {
  return -0.5 * ((x - loc) / scale) ** 2 - Math.log(scale) - 0.5 * Math.log(2 * Math.PI);
}

function logDensity(x: number[]): number {
  const [mu, logSigma] = x;
  const sigmaDensity = normLogpdf(logSigma, 0, 1.35);
  const muDensity = normLogpdf(mu, 0, Math.exp(logSigma));
  return sigmaDensity + muDensity;
}

function blackBoxVariationalInference(logprob: (x: number[]) => number, D: number) {
  function unpackParams(params: number[]): [number[], number[]] {
    // Variational dist is a diagonal Gaussian.
    return [params.slice(0, D), params.slice(D)];
  }
  function gaussianEntropy(logStd: number[]): number {
    return 0.5 * D * (1.0 + Math.log(2 * Math.PI)) + logStd.reduce((s, v) => s + v, 0);
  }
  return function variationalObjective(params: number[], noise: number[][]): number {
    const [mean, logStd] = unpackParams(params);
    const samples = noise.map((z) => z.map((zi, d) => zi * Math.exp(logStd[d]) + mean[d]));
    const lowerBound = gaussianEntropy(logStd) + samples.map(logprob).reduce((s, v) => s + v, 0) / samples.length;
    return -lowerBound;
  };
}

export const variationalObjective = blackBoxVariationalInference(logDensity, 2);

// --- examples/define_gradient.py --------------------------------------------------------

export function exampleFunc(y: Float64Array): number {
  const z = Array.from(y, (v) => v ** 2);
  return logsumexp(z);
}

// --- examples/hmm_em.py -----------------------------------------------------------------

export function logPartitionFunction(naturalParams: [number[], number[][], number[][]], data: number[]): number {
  const [logPi, logA, logB] = naturalParams;
  let logAlpha = logPi;
  for (const y of data) {
    logAlpha = logA[0].map((_, j) => logsumexp(logAlpha.map((a, i) => a + logA[i][j])) + logB[j][y]);
  }
  return logsumexp(logAlpha);
}

// --- cases ------------------------------------------------------------------------------

const L = "HIPS/autograd" as const;

export const cases: RealWorldCase[] = [
  { name: "rosenbrock", library: L, source: "examples/rosenbrock.py rosenbrock", fn: rosenbrock, makeArgs: (r) => [numbers(r, 2, -1.5, 1.5)] },
  {
    name: "trainingLoss",
    library: L,
    source: "examples/logistic_regression.py training_loss",
    fn: trainingLoss,
    functions: { sigmoid, logisticPredictions },
    closure: { inputs, targets },
    makeArgs: (r) => [numbers(r, 3, -1, 1)],
  },
  {
    name: "logPosterior",
    library: L,
    source: "examples/neural_net.py log_posterior",
    fn: logPosterior,
    functions: { neuralNetPredict, l2Norm, logsumexp },
    makeArgs: (r) => {
      const n = r.int(1, 3);
      return [layers(r, [3, 4, 2], 0.5), matrix(r, n, 3, -1, 1), oneHot(r, n, 2), r.uniform(0.05, 1)];
    },
  },
  {
    name: "rnnLogLikelihood",
    library: L,
    source: "examples/rnn.py rnn_log_likelihood",
    fn: rnnLogLikelihood,
    functions: { rnnPredict, concatAndMultiply, logsumexp },
    makeArgs: (r) => {
      const [input, state, output, T] = [3, 2, 3, r.int(1, 3)];
      const params: RnnParams = {
        "init hiddens": numbers(r, state, -0.5, 0.5),
        change: matrix(r, input + state + 1, state, -0.5, 0.5),
        predict: matrix(r, state + 1, output, -0.5, 0.5),
      };
      return [params, oneHot(r, T, input), oneHot(r, T, output)];
    },
  },
  {
    name: "lstmLogLikelihood",
    library: L,
    source: "examples/lstm.py lstm_log_likelihood",
    fn: lstmLogLikelihood,
    functions: { lstmPredict, concatAndMultiply, logsumexp, sigmoid },
    makeArgs: (r) => {
      const [input, state, T] = [3, 2, r.int(1, 3)];
      const gate = () => matrix(r, input + state + 1, state, -0.5, 0.5);
      const params: LstmParams = {
        "init cells": numbers(r, state, -0.5, 0.5),
        "init hiddens": numbers(r, state, -0.5, 0.5),
        change: gate(),
        forget: gate(),
        ingate: gate(),
        outgate: gate(),
        predict: matrix(r, state + 1, input, -0.5, 0.5),
      };
      return [params, oneHot(r, T, input), oneHot(r, T, input)];
    },
  },
  {
    name: "gpLogMarginalLikelihood",
    library: L,
    source: "examples/gaussian_process.py log_marginal_likelihood",
    fn: gpLogMarginalLikelihood,
    functions: { rbfCovariance, mvnLogpdf, cholesky },
    makeArgs: (r) => {
      const n = r.int(2, 5);
      return [numbers(r, 4, -0.5, 0.5), matrix(r, n, 1, -2, 2), numbers(r, n, -1, 1)];
    },
  },
  {
    name: "odeTrainLoss",
    library: L,
    source: "examples/ode_net.py train_loss",
    fn: odeTrainLoss,
    functions: { odePred, nnPredict, L1Loss },
    makeArgs: (r) => {
      const steps = r.int(2, 4);
      const t = Array.from({ length: steps + 1 }, (_, i) => (1.5 * i) / steps);
      return [layers(r, [2, 6, 2], 0.8), [2.0, 0.0], t, matrix(r, steps + 1, 2, -2, 2)];
    },
  },
  {
    name: "tanhFourthDerivative",
    library: L,
    source: "examples/tanh.py egrad(egrad(egrad(egrad(tanh))))",
    fn: tanhFourthDerivative,
    functions: { tanh },
    reference: (x: number) => {
      const t = Math.tanh(x);
      return 8 * t * (1 - t * t) * (2 - 3 * t * t);
    },
    makeArgs: (r) => [r.uniform(-2, 2)],
  },
  { name: "taylorSin", library: L, source: "examples/sinusoid.py fun (Taylor approximation)", fn: taylorSin, makeArgs: (r) => [r.uniform(-6, 6)] },
  { name: "fixedPointSqrt", library: L, source: "examples/fixed_points.py sqrt", fn: fixedPointSqrt, functions: { fixedPoint, gradDescentSqrtIter, distance }, makeArgs: (r) => [r.uniform(1, 4)] },
  // JavaScript's % truncates (the sign of x): smooth away from x/y integer
  { name: "mod", library: L, source: "tests/test_core.py test_mod", fn: mod, makeArgs: (r) => [r.uniform(-3, 3), r.signed(0.5, 2)] },
  {
    name: "gradFanout",
    library: L,
    source: "tests/test_graphs.py test_grad_fanout",
    fn: gradFanout,
    functions: { fanout },
    reference: (x: number) => 2 * Math.cos(x) * Math.cos(2 * Math.sin(x)),
    makeArgs: (r) => [r.uniform(-2, 2)],
  },
  {
    name: "vectorProduct",
    library: L,
    source: "tests/test_graphs.py test_hess_vector_prod",
    fn: vectorProduct,
    functions: { sinOfDot, dot },
    closure: { randv },
    reference: (x: Float64Array, v: Float64Array) => Math.sin(Math.cos(dot(x, randv)) * dot(v, randv)),
    makeArgs: (r) => [r.f64(10, -0.5, 0.5), r.f64(10, -0.5, 0.5)],
  },
  {
    name: "enclosingScopeRef",
    library: L,
    source: "tests/test_graphs.py test_enclosing_scope_ref",
    fn: enclosingScopeRef,
    reference: (x: number) => x * x,
    makeArgs: (r) => [r.uniform(-2, 2)],
  },
  {
    name: "listGrads",
    library: L,
    source: "tests/test_list.py test_grads",
    fn: listGrads,
    functions: { sumSinCos },
    reference: (l: Float64Array[]) => l[0].reduce((s, v) => s + Math.cos(v) + Math.sin(Math.cos(v)), 0) + l[1].reduce((s, v) => s + Math.sin(-Math.sin(v)), 0),
    makeArgs: (r) => [[r.f64(r.int(1, 4), -2, 2), r.f64(r.int(1, 4), -2, 2), r.f64(r.int(1, 4), -2, 2)]],
  },
  {
    name: "dictIter",
    library: L,
    source: "tests/test_dict.py test_iter",
    fn: dictIter,
    makeArgs: (r) => [{ item_1: r.f64(r.int(1, 4), -2, 2), item_2: r.f64(r.int(1, 4), -2, 2), item_X: r.f64(r.int(1, 4), -2, 2) }],
  },
  { name: "prod", library: L, source: "tests/test_numpy.py test_prod_4", fn: prod, makeArgs: (r) => [Float64Array.from(r.f64(7, -1.5, 1.5), (v) => v * v + 0.1)] },
  { name: "varDdof", library: L, source: "tests/test_numpy.py test_var_ddof", fn: varDdof, functions: { variance }, makeArgs: (r) => [numbers(r, r.int(2, 6), -2, 2)] },
  {
    name: "where",
    library: L,
    source: "tests/test_numpy.py test_where",
    fn: where,
    makeArgs: (r) => {
      const n = r.int(1, 6);
      return [r.f64(n, -2, 2), r.f64(n, -2, 2), r.f64(n, -1, 1), Array.from({ length: n }, () => r.next() < 0.5)];
    },
  },
  {
    name: "gmmLogLikelihood",
    library: L,
    source: "examples/gmm.py gmm_log_likelihood",
    fn: gmmLogLikelihood,
    functions: { logNormalize, logsumexp, matmulTransposed, mvnLogpdf, cholesky },
    makeArgs: (r) => {
      const k = r.int(1, 3);
      const nearIdentity = () => [
        [r.uniform(0.8, 1.4), r.uniform(-0.3, 0.3)],
        [r.uniform(-0.3, 0.3), r.uniform(0.8, 1.4)],
      ];
      const params: GmmParams = {
        "log proportions": numbers(r, k, -0.5, 0.5),
        means: matrix(r, k, 2, -1, 1),
        "lower triangles": Array.from({ length: k }, nearIdentity),
      };
      return [params, matrix(r, r.int(1, 4), 2, -2, 2)];
    },
  },
  {
    name: "variationalObjective",
    library: L,
    source: "examples/black_box_svi.py variational_objective",
    fn: variationalObjective,
    makeArgs: (r) => [[...numbers(r, 2, -1, 1), ...numbers(r, 2, -2, 0)], matrix(r, r.int(1, 5), 2, -2, 2)],
  },
  { name: "exampleFunc", library: L, source: "examples/define_gradient.py example_func", fn: exampleFunc, functions: { logsumexp }, makeArgs: (r) => [r.f64(r.int(1, 10), -1.5, 1.5)] },
  {
    name: "logPartitionFunction",
    library: L,
    source: "examples/hmm_em.py log_partition_function",
    fn: logPartitionFunction,
    functions: { logsumexp },
    data: [1],
    makeArgs: (r) => {
      const [states, outputs] = [r.int(2, 3), r.int(2, 4)];
      const params = [numbers(r, states, -1.5, 0), matrix(r, states, states, -1.5, 0), matrix(r, states, outputs, -1.5, 0)];
      return [params, Array.from({ length: r.int(1, 5) }, () => r.int(0, outputs - 1))];
    },
  },
];
