// jax-ml/jax: functions from tests/api_test.py, tests/lax_control_flow_test.py,
// tests/lax_autodiff_test.py, the README, docs/notebooks/autodiff_cookbook.md,
// docs/notebooks/Custom_derivative_rules_for_Python_code.md (custom_jvp/custom_vjp as
// gradc's customJvp/customVjp) and examples/, written as a JavaScript user would write them (jnp becomes plain arrays and
// loops; lax.cond/switch/scan/fori_loop become the small helpers a JS user writes).
import { customJvp, customVjp, grad } from "../../index.js";
import { matrix, numbers, oneHot, type RealWorldCase } from "./case.js";
import type { Rng } from "../corpus/rng.js";

const sum = (xs: number[]) => xs.reduce((s, v) => s + v, 0);

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

// --- tests/api_test.py ------------------------------------------------------------------

/** test_grad_argnums */
export function gradArgnums(x: number, y: number, z: number, flag = false): number {
  if (!flag) throw new Error("flag must be set");
  return 1.0 * x + 2.0 * y + 3.0 * z;
}

/** test_namedtuple_transparency */
export function pointNorm(pt: { x: number; y: number }): number {
  return Math.sqrt(pt.x ** 2 + pt.y ** 2);
}

// test_hessian: A is a random 4×4 matrix of the test, closed over by f.
const A = [
  [0.3, -1.2, 0.8, 0.1],
  [1.1, 0.4, -0.6, 0.9],
  [-0.7, 0.2, 1.5, -0.3],
  [0.5, -0.9, 0.0, 0.6],
];

/** test_hessian: f = lambda x: jnp.dot(x, jnp.dot(A, x)) */
export const quadraticForm = (x: number[]) => dot(x, A.map((row) => dot(row, x)));

function quad(x: Float64Array): number {
  return dot(x, x);
}

/** test_issue1372 */
export function issue1372(x: Float64Array, u: Float64Array): number {
  return quad(x) + quad(u);
}

// --- tests/lax_control_flow_test.py -----------------------------------------------------

function cond<T>(pred: boolean, trueFun: (x: T) => number, falseFun: (x: T) => number, operand: T): number {
  return pred ? trueFun(operand) : falseFun(operand);
}

/** testCondGrad */
export function condGrad(x: number): number {
  return cond(x < 2, (x) => 3 * x, (x) => Math.sin(x), x);
}

/** testCondGrad4 */
export function condGrad4(x: number, y: number): number {
  return cond(x < 3, () => 2 * Math.sin(y), (x) => 2 * x, x);
}

/** testSwitchGrad: lax.switch clamps the index into range */
export function switchGrad(x: number): number {
  const branches = [(x: number) => 3 * x, (x: number) => Math.sin(x), (x: number) => -x];
  const idx = Math.floor(x);
  return branches[Math.min(Math.max(idx, 0), branches.length - 1)](x);
}

function scan<C, X, Y>(f: (carry: C, x: X) => [C, Y], init: C, xs: X[]): [C, Y[]] {
  let carry = init;
  const ys: Y[] = [];
  for (const x of xs) {
    const [c, y] = f(carry, x);
    carry = c;
    ys.push(y);
  }
  return [carry, ys];
}

/** testScanGrad: the gradient of scan(f, c, as_)[0].sum() */
export function scanGrad(c: number[], as: number[][], d: number[]): number {
  const f = (c: number[], a: number[]): [number[], number] => {
    const b = sum(a.map(Math.sin)) + sum(c.map(Math.sin)) + sum(d.map(Math.sin));
    c = c.map((ci) => Math.sin(ci * b));
    return [c, b];
  };
  return sum(scan(f, c, as)[0]);
}

function foriLoop<T>(lower: number, upper: number, bodyFun: (i: number, val: T) => T, initVal: T): T {
  let val = initVal;
  for (let i = lower; i < upper; i++) val = bodyFun(i, val);
  return val;
}

/** testForiLoopTupleState */
export function sumFirstNTuple(arr: Float64Array, num: number): number {
  const bodyFun = (i: number, [arr, total]: [Float64Array, number]): [Float64Array, number] => [arr, total + arr[i]];
  const [, total] = foriLoop(0, Math.min(arr.length, num), bodyFun, [arr, 0]);
  return total;
}

/** testForiLoopDictState */
export function sumFirstNDict(arr: Float64Array, num: number): number {
  const bodyFun = (i: number, state: { arr: Float64Array; total: number }) => ({ arr: state.arr, total: state.total + state.arr[i] });
  const outVal = foriLoop(0, Math.min(arr.length, num), bodyFun, { arr, total: 0 });
  return outVal.total;
}

// --- tests/lax_autodiff_test.py (check_grads of a vector-valued op: v · op(x)) -------

/** testSortGrad */
export function sortGrad(x: Float64Array, v: Float64Array): number {
  const sorted = Array.from(x).sort((a, b) => a - b);
  return dot(v, sorted);
}

/** testCumulativeReduceGrad (cumprod) */
export function cumprodGrad(x: Float64Array, v: Float64Array): number {
  let p = 1;
  const out = x.map((xi) => (p *= xi));
  return dot(v, out);
}

/** testDynamicSliceGrad */
export function dynamicSliceGrad(x: Float64Array, v: Float64Array, start: number): number {
  return dot(v, x.subarray(start, start + v.length));
}

/** testHigherOrderGradientOfReciprocal: grad applied six times to 1 / x (here five, the sixth is the test's) */
function inv(x: number): number {
  // N.B.: intentionally written as 1/x, not x ** -1 or reciprocal(x)
  return 1 / x;
}

export function fifthDerivativeOfReciprocal(x: number): number {
  return grad(grad(grad(grad(grad(inv)))))(x);
}

// --- tests/nn_test.py (jax.nn activations as a JS user writes them) ---------------------

/** jax.nn.softplus: jnp.logaddexp(x, 0) */
function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/** testSoftplusGrad */
export function softplusGrad(x: number): number {
  return softplus(x);
}

/** testSquareplusGrad: jax.nn.squareplus(x, b=4) */
export function squareplus(x: number, b = 4): number {
  return (x + Math.sqrt(x ** 2 + b)) / 2;
}

/** testMishGrad: jax.nn.mish */
export function mish(x: number): number {
  return x * Math.tanh(softplus(x));
}

/** testEluGrad: jax.nn.elu(x, alpha=1.0) */
export function elu(x: number, alpha = 1.0): number {
  return x > 0 ? x : alpha * Math.expm1(x);
}

function softmax(x: number[]): number[] {
  const m = Math.max(...x);
  const unnormalized = x.map((v) => Math.exp(v - m));
  const total = sum(unnormalized);
  return unnormalized.map((u) => u / total);
}

/** testSoftmaxGrad: check_grads(nn.softmax) as v · softmax(x) */
export function softmaxGrad(x: number[], v: number[]): number {
  return dot(v, softmax(x));
}

interface StandardizeOptions {
  mean?: number;
  variance?: number;
  epsilon?: number;
  where?: boolean[];
}

/** jax.nn.standardize over a vector */
function standardize(x: number[], { mean, variance, epsilon = 1e-5, where }: StandardizeOptions = {}): number[] {
  const kept = where ? x.filter((_, i) => where[i]) : x;
  mean ??= sum(kept) / kept.length;
  const m = mean;
  variance ??= sum(kept.map((v) => (v - m) ** 2)) / kept.length;
  const scale = 1 / Math.sqrt(variance + epsilon);
  return x.map((v) => (v - m) * scale);
}

/** testStandardizeWhereMask: the masked entries of standardize(x, where=m), as v · … */
export function standardizeWhereMask(x: number[], v: number[], m: boolean[]): number {
  const out = standardize(x, { where: m });
  return out.reduce((s, o, i) => (m[i] ? s + v[i] * o : s), 0);
}

// --- README.md, docs/notebooks/autodiff_cookbook.md, examples/ --------------------------

/** README: grad(grad(grad(jnp.tanh))) */
export function tanhThirdDerivative(x: number): number {
  return grad(grad(grad(Math.tanh)))(x);
}

interface Dense {
  W: Float64Array; // out × in, row-major
  b: Float64Array;
}

function predict(params: Dense[], inputs: Float64Array): Float64Array {
  let outputs = inputs;
  for (const { W, b } of params) {
    outputs = b.map((bj, j) => {
      let s = bj;
      for (let i = 0; i < inputs.length; i++) s += W[j * inputs.length + i] * inputs[i];
      return s;
    });
    inputs = outputs.map(Math.tanh); // inputs to the next layer
  }
  return outputs; // no activation on last layer
}

/** README: loss(params, inputs, targets) = sum((predict(params, inputs) - targets) ** 2) */
export function readmeLoss(params: Dense[], inputs: Float64Array, targets: Float64Array): number {
  const preds = predict(params, inputs);
  let s = 0;
  for (let i = 0; i < preds.length; i++) s += (preds[i] - targets[i]) ** 2;
  return s;
}

// autodiff_cookbook: a toy dataset at module level, as in the notebook.
const cookbookInputs = [
  [0.52, 1.12, 0.77],
  [0.88, -1.08, 0.15],
  [0.52, 0.06, -1.3],
  [0.74, -2.49, 1.39],
];
const cookbookTargets = [true, true, false, true];

function cookbookSigmoid(x: number): number {
  return 0.5 * (Math.tanh(x / 2) + 1);
}

// Outputs probability of a label being true.
function cookbookPredict(W: number[], b: number, inputs: number[][]): number[] {
  return inputs.map((row) => cookbookSigmoid(dot(row, W) + b));
}

/** autodiff_cookbook: loss2(params_dict) */
export function loss2(paramsDict: { W: number[]; b: number }): number {
  const preds = cookbookPredict(paramsDict["W"], paramsDict["b"], cookbookInputs);
  const labelProbs = preds.map((p, i) => (cookbookTargets[i] ? p : 1 - p));
  return -sum(labelProbs.map(Math.log));
}

function sumTanhSquared(X: Float64Array): number {
  let s = 0;
  for (const x of X) s += Math.tanh(x) ** 2;
  return s;
}

/** autodiff_cookbook: hvp(f, x, v) = grad(lambda x: jnp.vdot(grad(f)(x), v))(x), the inner lambda */
export function gradDotV(x: Float64Array, v: Float64Array): number {
  return dot(grad(sumTanhSquared)(x), v);
}

type Affine = [number[][], number[]];

function logsumexp(x: number[]): number {
  const m = Math.max(...x);
  return m + Math.log(sum(x.map((v) => Math.exp(v - m))));
}

function mnistPredict(params: Affine[], inputs: number[][]): number[][] {
  const affine = ([w, b]: Affine, x: number[]) => b.map((bj, j) => x.reduce((s, xi, i) => s + xi * w[i][j], bj));
  let activations = inputs;
  for (const layer of params.slice(0, -1)) {
    activations = activations.map((x) => affine(layer, x).map(Math.tanh));
  }
  const logits = activations.map((x) => affine(params[params.length - 1], x));
  return logits.map((row) => {
    const lse = logsumexp(row);
    return row.map((v) => v - lse);
  });
}

/** examples/mnist_classifier_fromscratch.py loss */
export function mnistLoss(params: Affine[], batch: [number[][], number[][]]): number {
  const [inputs, targets] = batch;
  const preds = mnistPredict(params, inputs);
  return -sum(preds.map((row, n) => dot(row, targets[n]))) / preds.length;
}

function affineLayers(r: Rng, sizes: number[]): Affine[] {
  return sizes.slice(1).map((n, k) => [matrix(r, sizes[k], n, -0.7, 0.7), numbers(r, n, -0.3, 0.3)] as Affine);
}

// --- docs/notebooks/Custom_derivative_rules_for_Python_code.md (custom_jvp, custom_vjp) ---

/** log1pexp with its JVP written stably (the notebook's first example). */
const log1pexp = customJvp(
  (x: number) => Math.log(1 + Math.exp(x)),
  (x: number, xDot: number) => (1 - 1 / (1 + Math.exp(x))) * xDot,
);

/** The notebook evaluates grad(log1pexp) at 0, 10 and 100 (where the plain rule gives NaN). */
export function log1pexpGrad(x: number): number {
  return log1pexp(x);
}

/** f(x, y) = sin(x)·y with a custom_jvp over both arguments. */
const sinTimesJvp = customJvp(
  (x: number, y: number) => Math.sin(x) * y,
  (x: number, y: number, xDot: number, yDot: number) => Math.cos(x) * xDot * y + Math.sin(x) * yDot,
);

export function customJvpTwoArgs(x: number, y: number): number {
  return sinTimesJvp(x, y) * x;
}

/** The same f with a custom_vjp: f_bwd returns (cos x · g · y, sin x · g). */
const sinTimesVjp = customVjp(
  (x: number, y: number) => Math.sin(x) * y,
  (x: number, y: number, g: number) => {
    const ct = new Float64Array(2);
    ct[0] = Math.cos(x) * g * y;
    ct[1] = Math.sin(x) * g;
    return ct;
  },
);

export function customVjpTwoArgs(x: number, y: number): number {
  return sinTimesVjp(x, y) + sinTimesVjp(y, x * x);
}

// --- cases ------------------------------------------------------------------------------

const L = "jax-ml/jax" as const;

export const cases: RealWorldCase[] = [
  { name: "gradArgnums", library: L, source: "tests/api_test.py test_grad_argnums", fn: gradArgnums, makeArgs: (r) => [r.uniform(-2, 2), r.uniform(-2, 2), r.uniform(-2, 2), true] },
  { name: "pointNorm", library: L, source: "tests/api_test.py test_namedtuple_transparency", fn: pointNorm, makeArgs: (r) => [{ x: r.signed(0.3, 2), y: r.signed(0.3, 2) }] },
  { name: "quadraticForm", library: L, source: "tests/api_test.py test_hessian", fn: quadraticForm, functions: { dot }, closure: { A }, makeArgs: (r) => [numbers(r, 4, -1, 1)] },
  { name: "issue1372", library: L, source: "tests/api_test.py test_issue1372", fn: issue1372, functions: { quad, dot }, makeArgs: (r) => [r.f64(5, -1, 1), r.f64(2, -1, 1)] },
  // switches at x = 2
  { name: "condGrad", library: L, source: "tests/lax_control_flow_test.py testCondGrad", fn: condGrad, functions: { cond }, makeArgs: (r) => [r.next() < 0.5 ? r.uniform(0, 1.9) : r.uniform(2.1, 4)] },
  {
    name: "condGrad4",
    library: L,
    source: "tests/lax_control_flow_test.py testCondGrad4",
    fn: condGrad4,
    functions: { cond },
    makeArgs: (r) => [r.next() < 0.5 ? r.uniform(1, 2.9) : r.uniform(3.1, 5), r.uniform(-3, 6)],
  },
  // the index switches at the integers
  { name: "switchGrad", library: L, source: "tests/lax_control_flow_test.py testSwitchGrad", fn: switchGrad, makeArgs: (r) => [r.int(-1, 3) + r.uniform(0.1, 0.9)] },
  {
    name: "scanGrad",
    library: L,
    source: "tests/lax_control_flow_test.py testScanGrad",
    fn: scanGrad,
    functions: { scan, sum },
    makeArgs: (r) => [numbers(r, 4, -1, 1), matrix(r, r.int(1, 5), 3, -1, 1), numbers(r, 2, -1, 1)],
  },
  {
    name: "sumFirstNTuple",
    library: L,
    source: "tests/lax_control_flow_test.py testForiLoopTupleState",
    fn: sumFirstNTuple,
    functions: { foriLoop },
    data: [1],
    makeArgs: (r) => [r.f64(r.int(1, 8), -2, 2), r.int(0, 10)],
  },
  {
    name: "sumFirstNDict",
    library: L,
    source: "tests/lax_control_flow_test.py testForiLoopDictState",
    fn: sumFirstNDict,
    functions: { foriLoop },
    data: [1],
    makeArgs: (r) => [r.f64(r.int(1, 8), -2, 2), r.int(0, 10)],
  },
  // distinct entries (rand_unique_int): sorting is smooth there
  {
    name: "sortGrad",
    library: L,
    source: "tests/lax_autodiff_test.py testSortGrad",
    fn: sortGrad,
    functions: { dot },
    makeArgs: (r) => {
      const n = r.int(1, 6);
      return [Float64Array.from({ length: n }, (_, i) => i + r.uniform(0.1, 0.9)).sort(() => r.next() - 0.5), r.f64(n, -1, 1)];
    },
  },
  {
    name: "cumprodGrad",
    library: L,
    source: "tests/lax_autodiff_test.py testCumulativeReduceGrad (cumprod)",
    fn: cumprodGrad,
    functions: { dot },
    makeArgs: (r) => {
      const n = r.int(1, 6);
      return [r.f64(n, -1.5, 1.5), r.f64(n, -1, 1)];
    },
  },
  {
    name: "dynamicSliceGrad",
    library: L,
    source: "tests/lax_autodiff_test.py testDynamicSliceGrad",
    fn: dynamicSliceGrad,
    functions: { dot },
    data: [2],
    makeArgs: (r) => {
      const n = r.int(2, 7);
      const size = r.int(1, n);
      return [r.f64(n, -2, 2), r.f64(size, -1, 1), r.int(0, n - size)];
    },
  },
  {
    name: "fifthDerivativeOfReciprocal",
    library: L,
    source: "tests/lax_autodiff_test.py testHigherOrderGradientOfReciprocal",
    fn: fifthDerivativeOfReciprocal,
    functions: { inv },
    reference: (x: number) => -120 / x ** 6,
    makeArgs: (r) => [r.uniform(1.5, 4)],
  },
  {
    name: "log1pexpGrad",
    library: L,
    source: "docs/notebooks/Custom_derivative_rules_for_Python_code.md log1pexp",
    fn: log1pexpGrad,
    functions: { log1pexp },
    makeArgs: (r) => [r.uniform(-10, 100)],
  },
  { name: "customJvpTwoArgs", library: L, source: "docs/notebooks/Custom_derivative_rules_for_Python_code.md f_jvp", fn: customJvpTwoArgs, functions: { sinTimesJvp }, makeArgs: (r) => [r.uniform(-2, 2), r.uniform(-2, 2)] },
  { name: "customVjpTwoArgs", library: L, source: "docs/notebooks/Custom_derivative_rules_for_Python_code.md f_bwd", fn: customVjpTwoArgs, functions: { sinTimesVjp }, makeArgs: (r) => [r.uniform(-2, 2), r.uniform(-2, 2)] },
  { name: "softplusGrad", library: L, source: "tests/nn_test.py testSoftplusGrad", fn: softplusGrad, functions: { softplus }, makeArgs: (r) => [r.signed(0.1, 4)] },
  { name: "squareplus", library: L, source: "tests/nn_test.py testSquareplusGrad", fn: squareplus, makeArgs: (r) => [r.uniform(-4, 4)] },
  { name: "mish", library: L, source: "tests/nn_test.py testMishGrad", fn: mish, functions: { softplus }, makeArgs: (r) => [r.signed(0.1, 4)] },
  { name: "elu", library: L, source: "tests/nn_test.py testEluGrad", fn: elu, makeArgs: (r) => [r.signed(0.1, 4)] },
  {
    name: "softmaxGrad",
    library: L,
    source: "tests/nn_test.py testSoftmaxGrad",
    fn: softmaxGrad,
    functions: { softmax, dot, sum },
    makeArgs: (r) => {
      const n = r.int(1, 5);
      return [numbers(r, n, -5, 5), numbers(r, n, -1, 1)];
    },
  },
  {
    name: "standardizeWhereMask",
    library: L,
    source: "tests/nn_test.py testStandardizeWhereMask",
    fn: standardizeWhereMask,
    functions: { standardize, sum },
    makeArgs: (r) => {
      const n = r.int(2, 6);
      const m = Array.from({ length: n }, (_, i) => i < 2 || r.next() < 0.6);
      return [numbers(r, n, -5, 5), numbers(r, n, -1, 1), m];
    },
  },
  {
    name: "tanhThirdDerivative",
    library: L,
    source: "README.md grad(grad(grad(jnp.tanh)))",
    fn: tanhThirdDerivative,
    reference: (x: number) => {
      const t = Math.tanh(x);
      return -2 * (1 - t * t) * (1 - 3 * t * t);
    },
    makeArgs: (r) => [r.uniform(-2, 2)],
  },
  {
    name: "readmeLoss",
    library: L,
    source: "README.md predict / loss",
    fn: readmeLoss,
    functions: { predict },
    makeArgs: (r) => {
      const sizes = [r.int(1, 3), r.int(1, 4), r.int(1, 3)];
      const params = sizes.slice(1).map((n, k) => ({ W: r.f64(n * sizes[k], -1, 1), b: r.f64(n, -0.5, 0.5) }));
      return [params, r.f64(sizes[0], -1, 1), r.f64(sizes[2], -1, 1)];
    },
  },
  {
    name: "loss2",
    library: L,
    source: "docs/notebooks/autodiff_cookbook.md loss2",
    fn: loss2,
    functions: { cookbookPredict, cookbookSigmoid, dot, sum },
    closure: { cookbookInputs, cookbookTargets },
    makeArgs: (r) => [{ W: numbers(r, 3, -1, 1), b: r.uniform(-1, 1) }],
  },
  {
    name: "gradDotV",
    library: L,
    source: "docs/notebooks/autodiff_cookbook.md hvp (its inner lambda)",
    fn: gradDotV,
    functions: { sumTanhSquared, dot },
    reference: (x: Float64Array, v: Float64Array) => {
      let s = 0;
      for (let i = 0; i < x.length; i++) s += 2 * Math.tanh(x[i]) * (1 - Math.tanh(x[i]) ** 2) * v[i];
      return s;
    },
    makeArgs: (r) => {
      const n = r.int(1, 6);
      return [r.f64(n, -1.5, 1.5), r.f64(n, -1, 1)];
    },
  },
  {
    name: "mnistLoss",
    library: L,
    source: "examples/mnist_classifier_fromscratch.py loss",
    fn: mnistLoss,
    functions: { mnistPredict, logsumexp, dot, sum },
    makeArgs: (r) => {
      const n = r.int(1, 3);
      return [affineLayers(r, [3, 4, 3, 2]), [matrix(r, n, 3, -1, 1), oneHot(r, n, 2)]];
    },
  },
];
