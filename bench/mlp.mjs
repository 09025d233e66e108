// MLP 784-128-10 (tanh, softmax cross-entropy), batch 64, value + gradient with respect to
// all parameters: gradc (the loss with runtime kernels on the wasm and the js backend, in
// float64 and float32) vs hand-written JS vs @tensorflow/tfjs (CPU backend, float32) vs
// jax-js (jit, wasm, float32), as ratios from one interleaved run, each row with the
// backend it used; then matmul GFLOP/s (bench/matmul.mjs). Every gradient
// is checked before anything is timed: the hand-written one against central differences at
// sampled parameters, gradc and the per-sample hand-written against it over the whole
// gradient, float32 variants and tfjs against it to float32 accuracy.

import { matmulBench } from "./matmul.mjs";
import { loadJax, makeJaxMlp } from "./mlp-jax.mjs";
import { makeHandBlocked, makeHandPerSample, makeMlpLossKernels, makeTfjs, mlpLoss, mlpLossBlocked } from "./mlp-variants.mjs";
import { rng } from "./cases.mjs";
import { formatTime, measure } from "./timing.mjs";

const DIMS = { inputs: 784, hidden: 128, classes: 10 };
const BATCH = 64;
const GRADC_PER_HAND = 1.1;
const WASM_PER_JS_F64 = 0.5; // issue 15: float64 value + gradient at least 2x faster than the js backend
const FD_TOL = 1e-5; // hand-written vs central differences, |a - b| / max(1, |a|, |b|)
const AGREE_TOL = 1e-9; // float64 variants vs hand-written
const F32_TOL = 1e-4; // float32 variants vs hand-written float64, relative to the largest gradient entry
const KEYS = ["W1", "b1", "W2", "b2"];

/** Xavier-scaled weights, small biases, pixel-like inputs in [0, 1), one-hot targets; float64. */
function problem(seed) {
  const r = rng(seed);
  const { inputs: D, hidden: H, classes: C } = DIMS;
  const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const layer = (rows, cols) => Float64Array.from({ length: rows * cols }, () => normal() * Math.sqrt(2 / (rows + cols)));
  const p = { W1: layer(H, D), b1: Float64Array.from({ length: H }, () => 0.1 * normal()), W2: layer(C, H), b2: Float64Array.from({ length: C }, () => 0.1 * normal()) };
  const X = Float64Array.from({ length: BATCH * D }, () => r());
  const Y = new Float64Array(BATCH * C);
  for (let i = 0; i < BATCH; i++) Y[i * C + Math.floor(r() * C)] = 1;
  return { p, X, Y };
}

const zerosLike = (p, Arr = Float64Array) => Object.fromEntries(KEYS.map((k) => [k, new Arr(p[k].length)]));
const convert = (p, Arr) => Object.fromEntries(KEYS.map((k) => [k, Arr.from(p[k])]));

/** Largest |a - b| over all parameters, divided by the largest |b|. */
function normwiseError(g, ref) {
  let diff = 0;
  let size = 0;
  for (const k of KEYS) {
    for (let i = 0; i < ref[k].length; i++) {
      diff = Math.max(diff, Math.abs(g[k][i] - ref[k][i]));
      size = Math.max(size, Math.abs(ref[k][i]));
    }
  }
  return diff / size;
}

/** |a - b| / max(1, |a|, |b|) over all parameters. */
function maxRelError(g, ref) {
  let e = 0;
  for (const k of KEYS) {
    for (let i = 0; i < ref[k].length; i++) e = Math.max(e, Math.abs(g[k][i] - ref[k][i]) / Math.max(1, Math.abs(g[k][i]), Math.abs(ref[k][i])));
  }
  return e;
}

/** The hand-written gradient at 64 sampled parameters against central differences of mlpLoss. */
function centralDifferenceCheck(value, g, p, X, Y) {
  const r = rng(17);
  let err = Math.abs(value - mlpLoss(p, X, Y)) / Math.max(1, Math.abs(value));
  let relToFd = 0;
  for (let s = 0; s < 64; s++) {
    const key = KEYS[s % 4];
    const i = Math.floor(r() * p[key].length);
    const theta = p[key][i];
    const h = 1e-5;
    p[key][i] = theta + h;
    const up = mlpLoss(p, X, Y);
    p[key][i] = theta - h;
    const down = mlpLoss(p, X, Y);
    p[key][i] = theta;
    const fd = (up - down) / (2 * h);
    err = Math.max(err, Math.abs(g[key][i] - fd) / Math.max(1, Math.abs(fd), Math.abs(g[key][i])));
    if (Math.abs(fd) > 1e-6) relToFd = Math.max(relToFd, Math.abs(g[key][i] - fd) / Math.abs(fd));
  }
  return { err, relToFd };
}

async function loadTfjs() {
  // On its first tensor tfjs greets Node users on console.warn with advice to install
  // tfjs-node (native code); this bench measures its pure-JS CPU backend on purpose, so
  // the greeting is silenced.
  const warn = console.warn;
  console.warn = () => {};
  try {
    const tf = await import("@tensorflow/tfjs");
    await tf.setBackend("cpu");
    await tf.ready();
    tf.scalar(0).dispose();
    return { tf };
  } catch (e) {
    return { reason: String(e?.message ?? e).split("\n")[0] };
  } finally {
    console.warn = warn;
  }
}

function printTable(rows) {
  const head = ["variant", "float", "backend", "time", "x hand", "x tfjs", "x jax-js"];
  const width = head.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  const line = (cells) => cells.map((s, j) => (j <= 2 ? s.padEnd(width[j]) : s.padStart(width[j]))).join("  ");
  console.log(line(head));
  console.log(width.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) console.log(line(r));
}

/** Prints the MLP table and the matmul table; returns true when a check failed. */
export async function mlpBench(api, quick, kernels) {
  // Calls take 10-200 ms: a longer warm-up than the other tables', so that every variant
  // runs optimised code before it is timed.
  const timing = quick ? { samples: 5, sampleMs: 10, warmupMs: 500 } : { samples: 15, sampleMs: 10, warmupMs: 1500 };
  console.log(`\nMLP ${DIMS.inputs}-${DIMS.hidden}-${DIMS.classes} (tanh, softmax cross-entropy), batch ${BATCH}, value + gradient w.r.t. {W1, b1, W2, b2}`);
  const { p, X, Y } = problem(42);
  const variants = {};
  const labels = {};
  const problems = [];
  const add = (name, label, float, fn, args, backend = "js (no kernels)") => {
    variants[name] = { fn, args };
    labels[name] = [label, float, backend];
  };
  // A gradc row on one runtime backend: the call selects it first (setBackend is an
  // assignment once both are instantiated), so rows of both backends interleave in one run.
  const setBackend = kernels?.setBackend;
  const onBackend = (name, fn) => (setBackend ? (...args) => (setBackend(name), fn(...args)) : fn);

  // The reference: hand-written, blocked, float64, against central differences.
  const hand = makeHandBlocked(DIMS, BATCH);
  const handGrad = zerosLike(p);
  const handValue = hand(p, X, Y, handGrad);
  const fd = centralDifferenceCheck(handValue, handGrad, p, X, Y);
  console.log(`hand-written vs central differences at 64 sampled parameters: ${fd.err.toExponential(1)} (|a - b| / |b|: ${fd.relToFd.toExponential(1)}) ${fd.err <= FD_TOL ? "ok" : "TOO LARGE"}`);
  if (!(fd.err <= FD_TOL)) return true;
  add("hand", "hand-written, batched, register-blocked", "f64", hand, [p, X, Y, handGrad]);

  /** Times fn when its gradient (read by grad()) agrees with the hand-written one. */
  const checked = (name, label, float, fn, args, grad, tol, measureError, backend) => {
    try {
      const [value, g] = grad();
      const err = Math.max(measureError(g, handGrad), Math.abs(value - handValue) / Math.max(1, Math.abs(handValue)));
      if (!(err <= tol)) throw new Error(`disagrees with hand-written: ${err.toExponential(1)} > ${tol.toExponential(0)}`);
      add(name, label, float, fn, args, backend);
      return err;
    } catch (e) {
      problems.push(`${label} (${float}): not timed, ${String(e?.message ?? e).split("\n")[0]}`);
      return undefined;
    }
  };

  const perSample = makeHandPerSample(DIMS);
  const perSampleGrad = zerosLike(p);
  checked("handPerSample", "hand-written, one sample at a time", "f64", perSample, [p, X, Y, perSampleGrad], () => [perSample(p, X, Y, perSampleGrad), perSampleGrad], AGREE_TOL, maxRelError);

  const errors = [];
  if (api) {
    const { mlpLossKernels, mlpLossKernels32, functions } = makeMlpLossKernels(kernels);
    // The loss with runtime kernels, in float64 and (with Float32Array intermediates) in
    // float32, on each backend: every matmul of the float32 loss has one element type, so
    // it takes the wasm float32 path.
    const label = "gradc, loss with runtime kernels";
    const agreement = [];
    const initial = kernels.backendName?.();
    for (const backend of setBackend ? ["wasm", "js"] : [kernels.backendName?.() ?? "js"]) {
      const used = setBackend ? setBackend(backend) : backend;
      const vg = onBackend(backend, api.valueAndGrad(mlpLossKernels, { wrt: "p", out: zerosLike(p), functions }));
      const e64 = checked(`gradcKernels_${backend}`, label, "f64", vg, [p, X, Y], () => vg(p, X, Y), AGREE_TOL, maxRelError, used);
      const [p32, X32, Y32] = [convert(p, Float32Array), Float32Array.from(X), Float32Array.from(Y)];
      const vg32 = onBackend(backend, api.valueAndGrad(mlpLossKernels32, { wrt: "p", out: zerosLike(p, Float32Array), functions }));
      const e32 = checked(`gradcKernels32_${backend}`, label, "f32", vg32, [p32, X32, Y32], () => vg32(p32, X32, Y32), F32_TOL, normwiseError, used);
      agreement.push(`${e64?.toExponential(1) ?? "—"} (f64, ${used}), ${e32?.toExponential(1) ?? "—"} (f32, ${used})`);
    }
    if (initial) setBackend?.(initial);
    errors.push(`${label}: ${agreement.join(", ")}`);
    for (const [name, label, loss] of [
      ["gradc", "gradc, loss as per-sample loops", mlpLoss],
      ["gradcBlocked", "gradc, loss with 4x2-blocked layer 1", mlpLossBlocked],
    ]) {
      const out = zerosLike(p);
      let vg;
      try {
        vg = api.valueAndGrad(loss, { wrt: "p", out, functions });
      } catch (e) {
        problems.push(`${label}: ${String(e?.message ?? e).split("\n")[0]}`);
        continue;
      }
      const e64 = checked(name, label, "f64", vg, [p, X, Y], () => vg(p, X, Y), AGREE_TOL, maxRelError, "js (loops)");
      const [p32, X32, Y32] = [convert(p, Float32Array), Float32Array.from(X), Float32Array.from(Y)];
      const vg32 = api.valueAndGrad(loss, { wrt: "p", out: zerosLike(p, Float32Array), functions });
      const e32 = checked(`${name}32`, label, "f32", vg32, [p32, X32, Y32], () => vg32(p32, X32, Y32), F32_TOL, normwiseError, "js (loops)");
      errors.push(`${label}: ${e64?.toExponential(1) ?? "—"} (f64), ${e32?.toExponential(1) ?? "—"} (f32)`);
    }
  } else {
    problems.push("gradc rows skipped: dist/index.js is not built");
  }

  // A second instance of the module, so that the float32 hand-written code has functions of
  // its own: closures of one function literal share V8's type feedback, and one fed both
  // Float64Array and Float32Array runs slower on both.
  const { makeHandBlocked: makeHandBlocked32 } = await import("./mlp-variants.mjs?float32");
  const hand32 = makeHandBlocked32(DIMS, BATCH, Float32Array);
  const [p32, X32, Y32, g32] = [convert(p, Float32Array), Float32Array.from(X), Float32Array.from(Y), zerosLike(p, Float32Array)];
  checked("hand32", "hand-written, batched, register-blocked", "f32", hand32, [p32, X32, Y32, g32], () => [hand32(p32, X32, Y32, g32), g32], F32_TOL, normwiseError);

  const { tf, reason } = await loadTfjs();
  if (tf) {
    const model = makeTfjs(tf, DIMS, p, X, Y);
    const err = checked("tfjs", "tfjs CPU backend, tf.valueAndGrads", "f32", () => model.step(), [], () => model.gradient(), F32_TOL, normwiseError, "tfjs cpu");
    if (err !== undefined) errors.push(`tfjs: ${err.toExponential(1)}`);
  } else {
    problems.push(`tfjs not timed: cannot load @tensorflow/tfjs (${reason})`);
  }
  const jaxjs = await loadJax();
  if (jaxjs.jax) {
    const model = makeJaxMlp(jaxjs.jax, DIMS, p, X, Y);
    const err = checked("jax", "jax-js jit(valueAndGrad), gradients read back", "f32", () => model.step(), [], () => model.gradient(), F32_TOL, normwiseError, "jax-js wasm");
    if (err !== undefined) errors.push(`jax-js: ${err.toExponential(1)}`);
  } else {
    problems.push(`jax-js not timed: ${jaxjs.reason}`);
  }
  console.log(`agreement with hand-written (f64: max |a - b| / max(1, |a|, |b|); f32: max |a - b| / max |g|): ${errors.join("; ")}`);

  const t = measure(variants, timing);
  const ratio = (a, b) => (a === undefined || b === undefined ? "—" : (a / b).toFixed(2));
  printTable(Object.keys(variants).map((k) => [...labels[k], formatTime(t[k]), ratio(t[k], t.hand), ratio(t[k], t.tfjs), ratio(t[k], t.jax)]));
  for (const line of problems) console.log(line);
  const verdicts = [];
  for (const k of ["gradcKernels_wasm", "gradc", "gradcBlocked"]) {
    if (t[k] === undefined) continue;
    const perHand = t[k] / t.hand;
    const vsTf = t.tfjs === undefined ? "" : `, ${t[k] < t.tfjs ? "faster than tfjs: ok" : "not faster than tfjs: MISS"}`;
    verdicts.push(`${labels[k][0]}: ${perHand.toFixed(2)}x hand-written ${perHand <= GRADC_PER_HAND ? "ok" : "MISS"}${vsTf}`);
  }
  console.log(`targets: gradc <= ${GRADC_PER_HAND}x hand-written (blocked, f64) and faster than tfjs`);
  for (const v of verdicts) console.log(`  ${v}`);
  const [f32, jax, f64, f64js] = [t.gradcKernels32_wasm, t.jax, t.gradcKernels_wasm, t.gradcKernels_js];
  const verdict = (good, text) => `  ${text}: ${good === undefined ? "not measured" : good ? "ok" : "MISS"}`;
  console.log("targets (issue 15): gradc, loss with runtime kernels, on the wasm backend");
  console.log(verdict(f32 === undefined || jax === undefined ? undefined : f32 <= jax,
    `float32 no slower than jax-js float32 (${f32 === undefined ? "—" : formatTime(f32)} vs ${jax === undefined ? "—" : formatTime(jax)}, ${ratio(f32, jax)}x)`));
  console.log(verdict(f64 === undefined || f64js === undefined ? undefined : f64 <= WASM_PER_JS_F64 * f64js,
    `float64 at least 2x faster than the js backend (${f64 === undefined ? "—" : formatTime(f64)} vs ${f64js === undefined ? "—" : formatTime(f64js)}, ${ratio(f64js, f64)}x)`));

  const matmulFailed = await matmulBench(tf, quick);
  return problems.some((l) => l.includes("disagrees")) || matmulFailed;
}
