// The losses of the checkpointing table (bench/checkpoint.mjs), shared with the child
// process that measures peak RSS per schedule (bench/checkpoint-child.mjs).
//
// Each loss has one time loop marked `// @checkpoint`, and that loop carries only its
// state (h, or z): every per-step buffer is allocated inside the loop body, so it is not
// part of a snapshot. Without the checkpoint option the loop is recorded as usual.

import { rng } from "./cases.mjs";

/**
 * Tanh RNN, plain loops: h_t = tanh(W h_(t-1) + U x_t), x_t a scalar input, h of size H;
 * loss = |h_T|².
 */
export function rnnLoops(W, U, x, H) {
  const h = new Float64Array(H);
  // @checkpoint
  for (let t = 0; t < x.length; t++) {
    const next = new Float64Array(H);
    for (let i = 0; i < H; i++) {
      let a = U[i] * x[t];
      for (let j = 0; j < H; j++) a += W[i * H + j] * h[j];
      next[i] = Math.tanh(a);
    }
    for (let i = 0; i < H; i++) h[i] = next[i];
  }
  let loss = 0;
  for (let i = 0; i < H; i++) loss += h[i] * h[i];
  return loss;
}

// The runtime's kernels, set by makeCase (the bench loads dist/ only at run time). gradc
// reads rnnKernels' source and finds matvec and tanh in `functions`, by identity.
let matvec;
let tanh;

/** The same RNN with the runtime's kernels (passed in `functions`): matvec, then tanh. */
export function rnnKernels(W, U, x, H) {
  const h = new Float64Array(H);
  // @checkpoint
  for (let t = 0; t < x.length; t++) {
    const z = new Float64Array(H);
    matvec(z, W, h, H, H);
    for (let i = 0; i < H; i++) z[i] += U[i] * x[t];
    tanh(h, z, H);
  }
  let loss = 0;
  for (let i = 0; i < H; i++) loss += h[i] * h[i];
  return loss;
}

/** The neural ODE's vector field: out = tanh(W z + b), W n×n. */
export function field(out, z, W, b) {
  const n = z.length;
  for (let i = 0; i < n; i++) {
    let a = b[i];
    for (let j = 0; j < n; j++) a += W[i * n + j] * z[j];
    out[i] = Math.tanh(a);
  }
}

/** Neural ODE dz/dt = tanh(W z + b) from z0, `steps` classical RK4 steps of size dt; loss = |z(T) - target|². */
export function odeLoss(W, b, z0, target, steps, dt) {
  const n = z0.length;
  const z = new Float64Array(z0);
  // @checkpoint
  for (let s = 0; s < steps; s++) {
    const k1 = new Float64Array(n);
    const k2 = new Float64Array(n);
    const k3 = new Float64Array(n);
    const k4 = new Float64Array(n);
    const y = new Float64Array(n);
    field(k1, z, W, b);
    for (let i = 0; i < n; i++) y[i] = z[i] + 0.5 * dt * k1[i];
    field(k2, y, W, b);
    for (let i = 0; i < n; i++) y[i] = z[i] + 0.5 * dt * k2[i];
    field(k3, y, W, b);
    for (let i = 0; i < n; i++) y[i] = z[i] + dt * k3[i];
    field(k4, y, W, b);
    for (let i = 0; i < n; i++) z[i] += (dt / 6) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
  }
  let loss = 0;
  for (let i = 0; i < n; i++) loss += (z[i] - target[i]) ** 2;
  return loss;
}

/** Schedules of the table, by the name the child process takes on its command line. */
export const SCHEDULES = ["none", "sqrt", "binomial", "snapshots=10"];

/** The checkpoint option for a schedule name (undefined: recorded, no checkpointing). */
export function checkpointOption(schedule) {
  if (schedule === "none") return undefined;
  if (schedule.startsWith("snapshots=")) return { snapshots: Number(schedule.slice("snapshots=".length)) };
  return schedule;
}

/** Snapshot slots a schedule uses: Revolve's k for binomial, ⌈√T⌉ for binomial's default. */
export function snapshotBudget(schedule, T) {
  if (schedule === "binomial") return Math.ceil(Math.sqrt(T));
  if (schedule.startsWith("snapshots=")) return Number(schedule.slice("snapshots=".length));
  return undefined;
}

const H = 64; // RNN hidden size
const N = 16; // neural ODE state size

/** Case names: the table's rows, in order. */
export const CASES = ["rnn-loops-1k", "rnn-kernels-1k", "rnn-loops-10k", "rnn-kernels-10k", "node-rk4-10k"];

/**
 * One case: the loss, its arguments (T steps), and the same with a short sequence (to
 * compile and warm up the gradient at the same argument kinds without a long run).
 * `kernels` is the runtime (dist/runtime/index.js) for the kernel RNN's matvec and tanh.
 */
export function makeCase(name, kernels) {
  const r = rng(7);
  const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  if (name.startsWith("rnn-")) {
    ({ matvec, tanh } = kernels);
    const T = name.endsWith("10k") ? 10_000 : 1_000;
    // W ~ N(0, 1/H): spectral radius about 1, so h neither dies out nor saturates over T steps.
    const W = Float64Array.from({ length: H * H }, () => normal() / Math.sqrt(H));
    const U = Float64Array.from({ length: H }, () => normal());
    const seq = (len) => Float64Array.from({ length: len }, (_, t) => Math.sin(0.05 * t) + 0.3 * Math.sin(0.31 * t + 1));
    const loops = name.startsWith("rnn-loops");
    return {
      name,
      label: `tanh RNN, H = ${H}, ${loops ? "plain loops" : "kernels matvec + tanh"}`,
      T,
      f: loops ? rnnLoops : rnnKernels,
      wrt: [0, 1],
      functions: loops ? undefined : { matvec, tanh },
      args: [W, U, seq(T), H],
      warmArgs: [W, U, seq(8), H],
    };
  }
  if (name === "node-rk4-10k") {
    const T = 10_000;
    const W = Float64Array.from({ length: N * N }, () => (0.8 * normal()) / Math.sqrt(N));
    const b = Float64Array.from({ length: N }, () => 0.1 * normal());
    const z0 = Float64Array.from({ length: N }, () => normal());
    const target = Float64Array.from({ length: N }, () => normal());
    const dt = 2 / T; // integrate to t = 2
    return {
      name,
      label: `neural ODE dz/dt = tanh(Wz + b), z of size ${N}, RK4`,
      T,
      f: odeLoss,
      wrt: [0, 1],
      functions: { field },
      args: [W, b, z0, target, T, dt],
      warmArgs: [W, b, z0, target, 8, dt],
    };
  }
  throw new Error(`unknown case ${name} (cases: ${CASES.join(", ")})`);
}
