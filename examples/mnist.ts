// The main demo: a 784-128-10 perceptron (tanh hidden layer, softmax cross-entropy)
// trained on the MNIST digits of the `mnist` package by minibatch SGD with momentum,
// with the gradient that `gradc build` generates from `mlpLoss32` below (mnist.grad.ts).
// It trains in float32 (parameters, batches, intermediates, gradients), so every matmul
// runs on the runtime's float32 kernels (WebAssembly SIMD on the wasm backend);
// GRADC_MNIST_FLOAT=64 trains the float64 loss `mlpLoss` instead, for comparison.
// The loss calls the runtime's matrix kernels; gradc differentiates it by the kernels'
// rules (the generated code calls matmul with transposes, never the kernels' loops).
// `npm start` runs it last; GRADC_QUICK=1 skips it.
import { valueAndGrad } from "gradc";
import { argmaxAxis1, backendName, biasAdd, dot, logSoftmax, matmul, tanh } from "gradc/runtime";
import { type Example, relError, verdict } from "./check.js";
import { gaussian, random } from "./demo.js";
import { CLASSES, type DigitSet, fillBatch, loadDigits, PIXELS, ProgressBar, shuffle } from "./digits.js";

export interface Params {
  W1: Float64Array; // hidden x inputs, row-major
  b1: Float64Array; // hidden
  W2: Float64Array; // classes x hidden, row-major
  b2: Float64Array; // classes
}

/** The same parameters in float32. */
export interface Params32 {
  W1: Float32Array;
  b1: Float32Array;
  W2: Float32Array;
  b2: Float32Array;
}

/** Mean cross-entropy of softmax(W2 tanh(W1 x + b1) + b2) against one-hot rows of Y, over the rows of X. */
export function mlpLoss(p: Params, X: Float64Array, Y: Float64Array): number {
  const hidden = p.b1.length;
  const classes = p.b2.length;
  const inputs = p.W1.length / hidden;
  const n = Y.length / classes;
  // H = tanh(X W1ᵀ + b1), one row per digit
  const H = new Float64Array(n * hidden);
  matmul(H, X, p.W1, n, inputs, hidden, false, true);
  biasAdd(H, H, p.b1, n, hidden);
  tanh(H, H, n * hidden);
  // log-probabilities log softmax(H W2ᵀ + b2)
  const Z = new Float64Array(n * classes);
  matmul(Z, H, p.W2, n, hidden, classes, false, true);
  biasAdd(Z, Z, p.b2, n, classes);
  logSoftmax(Z, Z, n, classes);
  return -dot(Y, Z, n * classes) / n;
}

/**
 * mlpLoss in float32: the same lines with Float32Array intermediates. The parameter types
 * fix the element types gradc builds for, and `new p.W1.constructor(n)` does not
 * type-check in TypeScript, so intermediates that follow the parameters' type take a loss
 * of their own per type.
 */
export function mlpLoss32(p: Params32, X: Float32Array, Y: Float32Array): number {
  const hidden = p.b1.length;
  const classes = p.b2.length;
  const inputs = p.W1.length / hidden;
  const n = Y.length / classes;
  const H = new Float32Array(n * hidden);
  matmul(H, X, p.W1, n, inputs, hidden, false, true);
  biasAdd(H, H, p.b1, n, hidden);
  tanh(H, H, n * hidden);
  const Z = new Float32Array(n * classes);
  matmul(Z, H, p.W2, n, hidden, classes, false, true);
  biasAdd(Z, Z, p.b2, n, classes);
  logSoftmax(Z, Z, n, classes);
  return -dot(Y, Z, n * classes) / n;
}

// The request sites: `gradc build` writes mnist.grad.ts exporting `mlpStep(p, X, Y, out?)`
// and `mlpStep32`; called from this module, they compile at run time instead (used below
// as a cross-check). At run time gradc sees only the function's text: `functions` tells it
// which kernels it calls.
export const mlpStep = valueAndGrad(mlpLoss, { wrt: "p", functions: { matmul, biasAdd, tanh, logSoftmax, dot } });
export const mlpStep32 = valueAndGrad(mlpLoss32, { wrt: "p", functions: { matmul, biasAdd, tanh, logSoftmax, dot } });

type Floats = Float32Array | Float64Array;
type FloatArray = typeof Float32Array | typeof Float64Array;
interface AnyParams {
  W1: Floats;
  b1: Floats;
  W2: Floats;
  b2: Floats;
}
type Step = (p: AnyParams, X: Floats, Y: Floats, out?: AnyParams) => [number, AnyParams];
/** A digit set in the training's element type. */
interface Digits {
  n: number;
  X: Floats;
  Y: Floats;
  labels: Uint8Array;
}

const HIDDEN = 128;
const BATCH = 64;
const EPOCHS = 8;
const LEARNING_RATE = 0.05;
const MOMENTUM = 0.9;
/**
 * Float32 gradient against the float64 one at the same parameters, max |a - b| / max |b|:
 * above the worst-case rounding of a float32 sum of 784 products (784 x 6e-8, about 5e-5),
 * far below an error in a rule (the measured difference is about 1e-7).
 */
const F32_TOL = 1e-4;

/** Xavier/Glorot normal initialisation (for tanh): weights ~ N(0, 2 / (fan_in + fan_out)), biases 0. */
function initParams(seed: number): Params {
  const normal = gaussian(random(seed));
  const layer = (fanOut: number, fanIn: number) => {
    const sd = Math.sqrt(2 / (fanIn + fanOut));
    return Float64Array.from({ length: fanOut * fanIn }, () => sd * normal());
  };
  return { W1: layer(HIDDEN, PIXELS), b1: new Float64Array(HIDDEN), W2: layer(CLASSES, HIDDEN), b2: new Float64Array(CLASSES) };
}

const KEYS = ["W1", "b1", "W2", "b2"] as const;
const convert = (p: AnyParams, Arr: FloatArray): AnyParams => ({ W1: Arr.from(p.W1), b1: Arr.from(p.b1), W2: Arr.from(p.W2), b2: Arr.from(p.b2) });
const arrayTypeOf = (p: AnyParams): FloatArray => (p.W1 instanceof Float32Array ? Float32Array : Float64Array);
const zerosLike = (p: AnyParams): AnyParams => {
  const Arr = arrayTypeOf(p);
  return { W1: new Arr(p.W1.length), b1: new Arr(p.b1.length), W2: new Arr(p.W2.length), b2: new Arr(p.b2.length) };
};
const digitsAs = (set: DigitSet, Arr: FloatArray): Digits => ({ n: set.n, X: Arr.from(set.X), Y: Arr.from(set.Y), labels: set.labels });

/** Fraction of `set` whose largest logit is its label (the loss's forward pass on the whole set, without the loss). */
function accuracy(p: AnyParams, set: Digits): number {
  const Arr = arrayTypeOf(p);
  const H = new Arr(set.n * HIDDEN);
  matmul(H, set.X, p.W1, set.n, PIXELS, HIDDEN, false, true);
  biasAdd(H, H, p.b1, set.n, HIDDEN);
  tanh(H, H, set.n * HIDDEN);
  const Z = new Arr(set.n * CLASSES);
  matmul(Z, H, p.W2, set.n, HIDDEN, CLASSES, false, true);
  biasAdd(Z, Z, p.b2, set.n, CLASSES);
  const predicted = argmaxAxis1(new Arr(set.n), Z, set.n, CLASSES);
  let correct = 0;
  for (let i = 0; i < set.n; i++) if (predicted[i] === set.labels[i]) correct++;
  return correct / set.n;
}

/** max |g - ref| / max |ref| over all parameters (and the values' relative error). */
function normwiseError(value: number, g: AnyParams, refValue: number, ref: AnyParams): number {
  let diff = 0;
  let size = 0;
  for (const key of KEYS) {
    for (let i = 0; i < ref[key].length; i++) {
      diff = Math.max(diff, Math.abs(g[key][i] - ref[key][i]));
      size = Math.max(size, Math.abs(ref[key][i]));
    }
  }
  return Math.max(diff / size, relError(value, refValue));
}

/**
 * On a batch of 4 training digits, in float64: the generated gradient at a few sampled
 * parameters against central differences of mlpLoss, and the whole generated gradient
 * against the run-time path's. In float32 (step32, at the same parameters and digits,
 * which are float32 numbers): the whole generated gradient against the float64 one, and
 * against the run-time path's. Central differences of the float32 loss would be too
 * coarse to check anything (its rounding, about 1e-7 of a loss near 2, over a step of
 * 1e-3 is an error near 1e-4, as large as many gradient entries), so the float32 gradient
 * is held to the checked float64 gradient instead. Returns the errors.
 */
function gradientCheck(step: Step, step32: Step, p32: AnyParams, set32: Digits) {
  const n = 4;
  const X32 = set32.X.slice(0, n * PIXELS);
  const Y32 = set32.Y.slice(0, n * CLASSES);
  const [p, X, Y] = [convert(p32, Float64Array) as Params, Float64Array.from(X32), Float64Array.from(Y32)];
  const [value, g] = step(p, X, Y);
  const [runtimeValue, runtimeGrad] = mlpStep(p, X, Y) as [number, Params];
  let runtimeErr = relError(value, runtimeValue);
  for (const key of KEYS) for (let i = 0; i < g[key].length; i++) runtimeErr = Math.max(runtimeErr, relError(g[key][i], runtimeGrad[key][i]));

  // W1 entries are sampled among pixels lit in the batch: the others have gradient exactly 0.
  const lit: number[] = [];
  for (let j = 0; j < PIXELS; j++) if (X[j] + X[PIXELS + j] + X[2 * PIXELS + j] + X[3 * PIXELS + j] > 0) lit.push(j);
  const u = random(99);
  const pick = (length: number) => Math.floor(u() * length);
  const samples: [keyof Params, number][] = [];
  for (let s = 0; s < 12; s++) {
    samples.push(["W1", pick(HIDDEN) * PIXELS + lit[pick(lit.length)]], ["b1", pick(HIDDEN)]);
    samples.push(["W2", pick(CLASSES * HIDDEN)], ["b2", pick(CLASSES)]);
  }
  let fdErr = relError(value, mlpLoss(p, X, Y));
  let fdRel = 0; // |a - b| / |b|, without the floor of 1 (the gradients here are far below 1)
  for (const [key, i] of samples) {
    const theta = p[key][i];
    const h = 1e-5;
    p[key][i] = theta + h;
    const up = mlpLoss(p, X, Y);
    p[key][i] = theta - h;
    const down = mlpLoss(p, X, Y);
    p[key][i] = theta;
    const fd = (up - down) / (2 * h);
    fdErr = Math.max(fdErr, relError(g[key][i], fd));
    if (Math.abs(fd) > 1e-6) fdRel = Math.max(fdRel, Math.abs(g[key][i] - fd) / Math.abs(fd));
  }

  const [value32, g32] = step32(p32, X32, Y32);
  const [runtimeValue32, runtimeGrad32] = mlpStep32(p32 as Params32, X32 as Float32Array, Y32 as Float32Array) as [number, AnyParams];
  const f32Err = normwiseError(value32, g32, value, g);
  const runtimeErr32 = normwiseError(value32, g32, runtimeValue32, runtimeGrad32);
  return { count: samples.length, fdErr, fdRel, runtimeErr, f32Err, runtimeErr32 };
}

/** Minibatch SGD with momentum: v <- mu v - lr g, theta <- theta + v. */
function sgdMomentum(p: AnyParams, g: AnyParams, v: AnyParams) {
  for (const key of KEYS) {
    const theta = p[key];
    const grad = g[key];
    const velocity = v[key];
    for (let i = 0; i < theta.length; i++) {
      velocity[i] = MOMENTUM * velocity[i] - LEARNING_RATE * grad[i];
      theta[i] += velocity[i];
    }
  }
}

async function run(): Promise<boolean> {
  const t0 = performance.now();
  let generated: { mlpStep: Step; mlpStep32: Step };
  try {
    generated = await import(new URL("./mnist.grad.js", import.meta.url).href);
  } catch (e) {
    console.log(`  the build path's mnist.grad.ts is not loaded (${String(e).split("\n")[0]}): not trained`);
    return false;
  }
  const float64 = process.env.GRADC_MNIST_FLOAT === "64";
  const Arr = float64 ? Float64Array : Float32Array;
  const { train: train64, test: test64 } = loadDigits(0.8);
  const [train, test] = [digitsAs(train64, Arr), digitsAs(test64, Arr)];
  const train32 = float64 ? digitsAs(train64, Float32Array) : train;
  console.log(`  digits from the mnist package: ${train.n} for training, ${test.n} for testing (loaded in ${(performance.now() - t0).toFixed(0)} ms)`);

  const p = convert(initParams(2024), Arr);
  const check = gradientCheck(generated.mlpStep, generated.mlpStep32, convert(p, Float32Array), train32);
  console.log(`  float64 gradient (mnist.grad.ts) at ${check.count} sampled parameters vs central differences, 4 digits: ${verdict(check.fdErr, 1e-6)}`);
  console.log(`    (relative to the central difference alone, |a - b| / |b|: ${check.fdRel.toExponential(1)})`);
  console.log(`  whole float64 gradient, build path vs run-time path: ${verdict(check.runtimeErr, 1e-12)}`);
  console.log(`  whole float32 gradient vs float64 at the same parameters, max |a - b| / max |b|: ${verdict(check.f32Err, F32_TOL)}`);
  console.log(`  whole float32 gradient, build path vs run-time path: ${verdict(check.runtimeErr32, 1e-12)}`);

  const step = float64 ? generated.mlpStep : generated.mlpStep32;
  const grads = zerosLike(p);
  const velocity = zerosLike(p);
  const Xb = new Arr(BATCH * PIXELS);
  const Yb = new Arr(BATCH * CLASSES);
  const order = Uint32Array.from({ length: train.n }, (_, i) => i);
  const uniform = random(7);
  const batches = Math.ceil(train.n / BATCH);
  console.log(`  784-${HIDDEN}-10 tanh MLP, ${p.W1.length + p.b1.length + p.W2.length + p.b2.length} parameters, Xavier init; batch ${BATCH}, SGD lr ${LEARNING_RATE}, momentum ${MOMENTUM}, ${EPOCHS} epochs`);
  console.log(`  in ${float64 ? "float64 (mlpStep)" : "float32 (mlpStep32)"}: ${Arr.name} parameters, batches, intermediates and gradients; runtime backend ${backendName()}`);
  const tTrain = performance.now();
  let lastAccuracy = 0;
  for (let epoch = 1; epoch <= EPOCHS; epoch++) {
    const tEpoch = performance.now();
    shuffle(order, uniform);
    const bar = new ProgressBar(`epoch ${epoch}/${EPOCHS}`, batches);
    let lossSum = 0;
    for (let b = 0; b < batches; b++) {
      const count = Math.min(BATCH, train.n - b * BATCH);
      fillBatch(train, order, b * BATCH, count, Xb, Yb);
      const full = count === BATCH;
      const [loss] = step(p, full ? Xb : Xb.subarray(0, count * PIXELS), full ? Yb : Yb.subarray(0, count * CLASSES), grads);
      lossSum += loss * count;
      sgdMomentum(p, grads, velocity);
      bar.update(b + 1, `loss ${(lossSum / Math.min(train.n, (b + 1) * BATCH)).toFixed(4)}`);
    }
    const seconds = (performance.now() - tEpoch) / 1000;
    lastAccuracy = accuracy(p, test);
    bar.finish(`loss ${(lossSum / train.n).toFixed(4)}, test accuracy ${(100 * lastAccuracy).toFixed(2)}%, ${seconds.toFixed(1)} s`);
  }
  const trainSeconds = (performance.now() - tTrain) / 1000;
  const checksOk = check.fdErr <= 1e-6 && check.fdRel <= 1e-5 && check.runtimeErr <= 1e-12 && check.f32Err <= F32_TOL && check.runtimeErr32 <= 1e-12;
  const ok = checksOk && lastAccuracy > 0.9;
  console.log(`  test accuracy ${(100 * lastAccuracy).toFixed(2)}% on ${test.n} digits ${lastAccuracy > 0.9 ? "(> 90%: ok)" : "(NOT above 90%)"}; trained in ${trainSeconds.toFixed(1)} s (${((1000 * trainSeconds) / (EPOCHS * batches)).toFixed(1)} ms per batch, evaluation included), ${float64 ? "float64" : "float32"} on the ${backendName()} backend`);
  return ok;
}

export const mainDemo: Example = {
  title: "MNIST: 784-128-10 tanh MLP, softmax cross-entropy, trained in float32 (GRADC_MNIST_FLOAT=64: float64) with the generated gradient (mnist.grad.ts)",
  run,
};
