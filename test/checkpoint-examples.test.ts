// The checkpointing examples (examples/neural-ode.ts, examples/residual-checkpoint.ts) at a
// reduced size: checkpointed gradients equal the recorded ones, checkpointing lowers the
// peak tape bytes, and training with either gradient gives the same losses.
// The examples import "gradc" (dist/): run `npm run build` first, as for the other example tests.
import { beforeAll, describe, expect, test } from "vitest";
import { type OdeResults, runNeuralOde } from "../examples/neural-ode.js";
import { type ResResults, runResidualCheckpoint } from "../examples/residual-checkpoint.js";

describe("neural ODE: checkpointed RK4 loop (100 steps, hidden 8, 20 Adam steps)", () => {
  let r: OdeResults;
  beforeAll(() => {
    r = runNeuralOde({ steps: 100, observations: 10, hidden: 8, iterations: 20 });
  }, 120_000); // training runs: generous on a loaded machine

  test("the recorded gradient matches central differences", () => {
    expect(r.check.maxError).toBeLessThan(1e-5);
  });

  test("every schedule gives the recorded value and gradient", () => {
    expect(r.schedules.map((s) => s.name)).toEqual(["recorded (no checkpointing)", "sqrt", "binomial (k = ⌈√T⌉)", "{ snapshots: 4 }"]);
    for (const s of r.schedules) expect(s.maxDiff, s.name).toBeLessThan(1e-12);
  });

  test("checkpointing lowers the peak tape bytes", () => {
    const recorded = r.schedules[0].peakBytes;
    expect(recorded).toBeGreaterThan(0);
    // Measured: sqrt 0.33x, binomial and { snapshots: 4 } 0.03x of the recorded tape at this size
    // (binomial's state slots and schedule are not on the tape).
    for (const s of r.schedules.slice(1)) expect(s.peakBytes / recorded, s.name).toBeLessThan(0.5);
  });

  test("training with the checkpointed gradient follows the recorded run, and the loss falls", () => {
    expect(r.checkpointed.losses).toHaveLength(21);
    expect(r.trainingDiff).toBeLessThan(1e-12);
    expect(r.recorded.losses[20]).toBeLessThan(r.recorded.losses[0]);
  });
});

describe("residual stack: checkpoint(block) (32 blocks, width 8, inner 16, 16 rows, 5 Adam steps)", () => {
  let r: ResResults;
  beforeAll(() => {
    r = runResidualCheckpoint({ blocks: 32, width: 8, inner: 16, rows: 16, iterations: 5 });
  }, 120_000); // training runs: generous on a loaded machine

  test("the plain gradient matches central differences", () => {
    expect(r.check.maxError).toBeLessThan(1e-5);
  });

  test("the checkpointed gradient equals the plain one", () => {
    expect(r.checkpointed.maxDiff).toBeLessThan(1e-12);
  });

  test("checkpointed blocks lower the peak tape bytes", () => {
    // Measured: 0.42x at this size (0.62x at the example's). The margin is small because the
    // recomputed block records more than a plain block does (the running sums of its inner
    // products, value by value), so the saving comes from the number of blocks.
    expect(r.checkpointed.peakBytes / r.plain.peakBytes).toBeLessThan(0.7);
  });

  test("training with either gradient gives the same losses", () => {
    expect(r.checkpointed.losses).toHaveLength(6);
    expect(r.trainingDiff).toBeLessThan(1e-12);
    expect(r.plain.losses[5]).toBeLessThan(r.plain.losses[0]);
  });
});
