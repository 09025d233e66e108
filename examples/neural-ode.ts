// A neural ODE fitted through a checkpointed RK4 loop.
//
// The model is dz/dt = W2 tanh(W1 z + b1) + b2 (z in R², 32 hidden units), integrated
// from z0 by `steps` classical Runge-Kutta steps in a loop marked `// @checkpoint`. The
// data is a damped spiral, z(t) = 2 e^(-t/10) (cos 2t, -sin 2t) (the solution of a linear
// ODE), observed at `observations` evenly spaced times; the loss is the mean squared
// distance of the model's trajectory to it at those times (accumulated inside the loop).
//
// Recorded as usual, the gradient keeps every step's intermediate values on the tape
// (four evaluations of the net per step). With `checkpoint: "sqrt"` the forward sweep
// keeps only the loop state (z and the running loss) every ⌈√steps⌉ steps and the backward
// sweep recomputes one segment at a time; "binomial" (Revolve) keeps ⌈√steps⌉ state slots
// and recomputes more. The example checks that every schedule gives the recorded gradient
// (to 1e-12; and the recorded one against central differences), prints the peak tape bytes
// (Tape.peakBytes) and time of each, then fits the model with Adam twice, with the recorded
// and with the checkpointed gradient, and checks the two runs agree step for step.
//
// Run: npm run examples:checkpoint   (or, after tsc -p tsconfig.examples.json,
// node build/examples/neural-ode.js)
import { valueAndGrad } from "gradc";
import { Adam, Rng, xavierNormal } from "gradc/runtime";
import { printTable } from "./check.js";
import { formatBytes, maxRelDiff, measureGradient } from "./checkpoint-compare.js";
import { isMain } from "./out.js";
import { type GradientCheck, sampledGradientCheck } from "./sampled-check.js";

export interface OdeParams {
  W1: Float64Array; // hidden x n
  b1: Float64Array; // hidden
  W2: Float64Array; // n x hidden
  b2: Float64Array; // n
}

/** The vector field: out = W2 tanh(W1 z + b1) + b2; u (hidden) is scratch space. */
export function field(out: Float64Array, z: Float64Array, p: OdeParams, u: Float64Array): void {
  const n = z.length;
  const hidden = p.b1.length;
  for (let j = 0; j < hidden; j++) {
    let a = p.b1[j];
    for (let i = 0; i < n; i++) a += p.W1[j * n + i] * z[i];
    u[j] = Math.tanh(a);
  }
  for (let i = 0; i < n; i++) {
    let a = p.b2[i];
    for (let j = 0; j < hidden; j++) a += p.W2[i * hidden + j] * u[j];
    out[i] = a;
  }
}

/**
 * Mean squared distance between the model's trajectory from z0 (RK4, `steps` steps of dt)
 * and the targets, observed after every `every` steps: targets holds one state per
 * observation, row-major.
 */
export function odeLoss(p: OdeParams, z0: Float64Array, targets: Float64Array, steps: number, dt: number, every: number): number {
  const n = z0.length;
  const z = new Float64Array(z0);
  // Work buffers, allocated once (allocating them in every step would cost more than the
  // arithmetic). They are written before they are read in every step, but gradc's snapshot
  // of the loop state includes every array the body writes: 30 numbers here, not just z.
  const k1 = new Float64Array(n);
  const k2 = new Float64Array(n);
  const k3 = new Float64Array(n);
  const k4 = new Float64Array(n);
  const y = new Float64Array(n);
  const u = new Float64Array(p.b1.length);
  let loss = 0;
  // @checkpoint
  for (let s = 0; s < steps; s++) {
    field(k1, z, p, u);
    for (let i = 0; i < n; i++) y[i] = z[i] + 0.5 * dt * k1[i];
    field(k2, y, p, u);
    for (let i = 0; i < n; i++) y[i] = z[i] + 0.5 * dt * k2[i];
    field(k3, y, p, u);
    for (let i = 0; i < n; i++) y[i] = z[i] + dt * k3[i];
    field(k4, y, p, u);
    for (let i = 0; i < n; i++) z[i] += (dt / 6) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
    if ((s + 1) % every === 0) {
      const m = (s + 1) / every - 1;
      for (let i = 0; i < n; i++) {
        const e = z[i] - targets[m * n + i];
        loss += e * e;
      }
    }
  }
  return loss / (targets.length / n);
}

// The gradients, compiled by gradc at run time on their first call (`gradc build` also
// compiles these request sites, with the same options). `field` is a helper the loss
// calls: at run time gradc sees only odeLoss's own source, so it is passed in `functions`.
export const odeStep = valueAndGrad(odeLoss, { wrt: "p", functions: { field } });
export const odeStepSqrt = valueAndGrad(odeLoss, { wrt: "p", functions: { field }, checkpoint: "sqrt" });
export const odeStepBinomial = valueAndGrad(odeLoss, { wrt: "p", functions: { field }, checkpoint: "binomial" });
export const odeStepFour = valueAndGrad(odeLoss, { wrt: "p", functions: { field }, checkpoint: { snapshots: 4 } });

type Step = (p: OdeParams, z0: Float64Array, targets: Float64Array, steps: number, dt: number, every: number) => [number, OdeParams];

/** The schedules compared; `snapshots` is Revolve's k for a loop of T steps (binomial ones). */
export const SCHEDULES: { name: string; step: Step; snapshots?: (T: number) => number }[] = [
  { name: "recorded (no checkpointing)", step: odeStep as Step },
  { name: "sqrt", step: odeStepSqrt as Step },
  { name: "binomial (k = ⌈√T⌉)", step: odeStepBinomial as Step, snapshots: (T) => Math.ceil(Math.sqrt(T)) },
  { name: "{ snapshots: 4 }", step: odeStepFour as Step, snapshots: () => 4 },
];

export interface OdeOptions {
  /** RK4 steps over [0, tEnd]. */
  steps: number;
  tEnd: number;
  /** Observations of the trajectory, evenly spaced (steps must be a multiple). */
  observations: number;
  hidden: number;
  /** Adam iterations and step size. */
  iterations: number;
  lr: number;
  seed: number;
}

export const ODE_DEFAULTS: OdeOptions = { steps: 400, tEnd: 6, observations: 20, hidden: 32, iterations: 300, lr: 0.03, seed: 1 };

/** The spiral z(t) = 2 e^(-t/10) (cos 2t, -sin 2t) at the observation times; z0 = (2, 0). */
export function spiral(o: OdeOptions): { z0: Float64Array; targets: Float64Array } {
  const targets = new Float64Array(2 * o.observations);
  for (let m = 0; m < o.observations; m++) {
    const t = ((m + 1) * o.tEnd) / o.observations;
    targets[2 * m] = 2 * Math.exp(-t / 10) * Math.cos(2 * t);
    targets[2 * m + 1] = -2 * Math.exp(-t / 10) * Math.sin(2 * t);
  }
  return { z0: Float64Array.of(2, 0), targets };
}

export function initOde(o: OdeOptions): OdeParams {
  const rng = new Rng(o.seed);
  const n = 2;
  return {
    W1: xavierNormal(new Float64Array(o.hidden * n), n, o.hidden, rng),
    b1: new Float64Array(o.hidden),
    W2: xavierNormal(new Float64Array(n * o.hidden), o.hidden, n, rng),
    b2: new Float64Array(n),
  };
}

export interface ScheduleResult {
  name: string;
  /** max |a - b| / max(|a|, |b|, 1) of value and gradient against the recorded gradient's. */
  maxDiff: number;
  /** Tape.peakBytes over one gradient: snapshots, binomial's slots and schedule included. */
  peakBytes: number;
  ms: number;
}

export interface TrainingRun {
  name: string;
  /** Loss before each Adam step (iteration 0 = at initialisation), and after the last. */
  losses: number[];
  ms: number;
}

export interface OdeResults {
  options: OdeOptions;
  schedules: ScheduleResult[];
  /** The recorded gradient against central differences, at initialisation. */
  check: GradientCheck;
  recorded: TrainingRun;
  checkpointed: TrainingRun;
  /** Largest |loss difference| between the two training runs, over every iteration. */
  trainingDiff: number;
  /** The fitted model's state at tEnd and the target's. */
  endpoint: { model: number[]; target: number[] };
  ms: number;
}

const KEYS = ["W1", "b1", "W2", "b2"] as const;
const asList = (p: OdeParams): Float64Array[] => KEYS.map((k) => p[k]);

function train(name: string, step: Step, o: OdeOptions, z0: Float64Array, targets: Float64Array): TrainingRun & { p: OdeParams } {
  const t0 = performance.now();
  const p = initOde(o);
  const opt = new Adam({ lr: o.lr });
  const every = o.steps / o.observations;
  const losses: number[] = [];
  for (let it = 0; it < o.iterations; it++) {
    const [value, g] = step(p, z0, targets, o.steps, o.tEnd / o.steps, every);
    losses.push(value);
    opt.step(asList(p), asList(g));
  }
  losses.push(odeLoss(p, z0, targets, o.steps, o.tEnd / o.steps, every));
  return { name, losses, ms: performance.now() - t0, p };
}

/** The model's state after all steps (the loss's loop without the loss). */
function endpoint(p: OdeParams, o: OdeOptions, z0: Float64Array): number[] {
  const z = Float64Array.from(z0);
  const n = z.length, dt = o.tEnd / o.steps;
  const k = [0, 1, 2, 3].map(() => new Float64Array(n));
  const y = new Float64Array(n);
  const u = new Float64Array(p.b1.length);
  for (let s = 0; s < o.steps; s++) {
    field(k[0], z, p, u);
    for (let i = 0; i < n; i++) y[i] = z[i] + 0.5 * dt * k[0][i];
    field(k[1], y, p, u);
    for (let i = 0; i < n; i++) y[i] = z[i] + 0.5 * dt * k[1][i];
    field(k[2], y, p, u);
    for (let i = 0; i < n; i++) y[i] = z[i] + dt * k[2][i];
    field(k[3], y, p, u);
    for (let i = 0; i < n; i++) z[i] += (dt / 6) * (k[0][i] + 2 * k[1][i] + 2 * k[2][i] + k[3][i]);
  }
  return [...z];
}

/** Compares the schedules at initialisation, then trains twice; `size` overrides the defaults (the tests use a small size). */
export function runNeuralOde(size: Partial<OdeOptions> = {}): OdeResults {
  const t0 = performance.now();
  const o = { ...ODE_DEFAULTS, ...size };
  if (o.steps % o.observations !== 0) throw new RangeError(`steps (${o.steps}) must be a multiple of observations (${o.observations})`);
  const { z0, targets } = spiral(o);
  const every = o.steps / o.observations;
  const dt = o.tEnd / o.steps;
  const p = initOde(o);
  const args = [p, z0, targets, o.steps, dt, every] as const;
  const measured = SCHEDULES.map((s) => ({ s, m: measureGradient(() => s.step(...args)) }));
  const ref = measured[0].m.result;
  const schedules: ScheduleResult[] = measured.map(({ s, m }) => ({
    name: s.name, maxDiff: maxRelDiff(m.result, ref), peakBytes: m.peakBytes, ms: m.ms,
  }));
  const check = sampledGradientCheck(odeLoss, p, [z0, targets, o.steps, dt, every], ref[0], ref[1], 16, o.seed + 1);
  const recorded = train(SCHEDULES[0].name, SCHEDULES[0].step, o, z0, targets);
  const checkpointed = train(SCHEDULES[1].name, SCHEDULES[1].step, o, z0, targets);
  let trainingDiff = 0;
  recorded.losses.forEach((l, i) => (trainingDiff = Math.max(trainingDiff, Math.abs(l - checkpointed.losses[i]))));
  const { p: fitted, ...recordedRun } = recorded;
  const { p: _, ...checkpointedRun } = checkpointed;
  return {
    options: o, schedules, check, recorded: recordedRun, checkpointed: checkpointedRun, trainingDiff,
    endpoint: { model: endpoint(fitted, o, z0), target: [...targets.subarray(targets.length - 2)] },
    ms: performance.now() - t0,
  };
}

export function printNeuralOde(r: OdeResults): void {
  const o = r.options;
  console.log(`Neural ODE dz/dt = W2 tanh(W1 z + b1) + b2 (z in R², ${o.hidden} hidden), ${o.steps} RK4 steps over [0, ${o.tEnd}] in a // @checkpoint loop,`);
  console.log(`fitted to a damped spiral observed at ${o.observations} times; gradients with respect to {W1, b1, W2, b2} by gradc (valueAndGrad)\n`);
  const rows = [["schedule", "max rel. diff vs recorded", "peak tape bytes", "vs recorded", "time / gradient"]];
  const base = r.schedules[0];
  for (const s of r.schedules) {
    rows.push([
      s.name, s === base ? "—" : s.maxDiff.toExponential(1), formatBytes(s.peakBytes), `${(s.peakBytes / base.peakBytes).toFixed(3)}x`,
      `${s.ms.toFixed(2)} ms`,
    ]);
  }
  printTable(rows);
  console.log("\n  peak tape bytes: Tape.peakBytes over one gradient (snapshots, and the binomial schedules' k + 1 state slots");
  console.log("  and Revolve schedule, are all on the tape).");
  console.log(`  recorded gradient vs central differences on ${r.check.coordinates} sampled coordinates: ${r.check.maxError.toExponential(1)}`);
  console.log(`  every checkpointed gradient equals the recorded one to ${Math.max(...r.schedules.map((s) => s.maxDiff)).toExponential(1)} (< 1e-12 required)\n`);
  console.log(`Adam (lr ${o.lr}), ${o.iterations} iterations, with the recorded and with the sqrt-checkpointed gradient:`);
  const marks = [0, 1, 2, 3, 4].map((q) => Math.round((q * o.iterations) / 4));
  const trows = [["iteration", ...marks.map(String)]];
  for (const run of [r.recorded, r.checkpointed]) trows.push([`${run.name} (${(run.ms / 1000).toFixed(1)} s)`, ...marks.map((i) => run.losses[i].toExponential(3))]);
  printTable(trows);
  console.log(`\n  largest |loss difference| between the two runs: ${r.trainingDiff.toExponential(1)}`);
  const fmt = (v: number[]) => `(${v.map((x) => x.toFixed(3)).join(", ")})`;
  console.log(`  z(${o.tEnd}): model ${fmt(r.endpoint.model)}, target ${fmt(r.endpoint.target)}`);
}

if (isMain(import.meta.url)) {
  const r = runNeuralOde();
  printNeuralOde(r);
  console.log(`\n  ${(r.ms / 1000).toFixed(1)} s in all`);
}
