// The gradient examples (examples/deep-network.ts, examples/recurrent-clipping.ts) at a
// reduced size: their gradients (compiled by gradc at run time) agree with central
// differences, and the effects they are about are really there — vanishing gradients in
// the 20-layer sigmoid net and not with ReLU + residual + batch norm; exploding gradients
// in the unclipped LSTM/GRU, bounded by clipping, which then trains.
import { beforeAll, describe, expect, test } from "vitest";
import { type DeepResults, runDeepNetwork } from "../examples/deep-network.js";
import { type RecurrentResults, runRecurrentClipping } from "../examples/recurrent-clipping.js";

describe("deep network: vanishing gradients (20 layers, width 16, 10 steps)", () => {
  let r: DeepResults;
  beforeAll(() => {
    r = runDeepNetwork({ layers: 20, width: 16, samples: 128, batch: 32, steps: 10 });
  }, 120_000); // training runs: generous on a loaded machine
  const variant = (name: string) => r.variants.find((v) => v.name.startsWith(name))!;

  test("gradc's gradient matches central differences at the first step", () => {
    for (const v of r.variants) {
      expect(v.check.coordinates, v.name).toBe(24);
      expect(v.check.maxError, v.name).toBeLessThan(1e-5);
    }
  });

  test("sigmoid + Xavier: layer 1's gradient is orders of magnitude below layer 20's", () => {
    const v = variant("sigmoid");
    // Measured: about 4e-12 at this size (7e-13 at the example's width 32).
    expect(v.ratioFirst).toBeLessThan(1e-6);
    expect(v.ratioLast).toBeLessThan(1e-6);
    // The tiny layer-1 norm is real: the loss's slope along g1/|g1| (central difference) is |g1|.
    expect(v.directional.norm).toBeLessThan(1e-8);
    expect(v.directional.relative).toBeLessThan(1e-2);
  });

  test("ReLU + He, and ReLU + residual + batch norm: no vanishing", () => {
    for (const name of ["ReLU, He", "ReLU + residual + BN"]) {
      const v = variant(name);
      expect(v.ratioFirst, name).toBeGreaterThan(1e-2);
      expect(v.ratioFirst, name).toBeLessThan(1e2);
      expect(v.ratioLast, name).toBeGreaterThan(1e-2);
      expect(v.ratioLast, name).toBeLessThan(1e2);
      expect(v.directional.relative, name).toBeLessThan(1e-6);
      for (const norms of v.norms) for (const n of norms) expect(n, name).toBeGreaterThan(1e-3);
    }
  });

  test("norms are recorded at the first, middle and last step, for every layer", () => {
    for (const v of r.variants) {
      expect(v.recordedAt).toEqual([1, 5, 10]);
      for (const norms of v.norms) expect(norms).toHaveLength(20);
      expect(Number.isFinite(v.finalLoss)).toBe(true);
    }
  });
});

describe("recurrent nets: exploding gradients and clipping (LSTM and GRU, hidden 16, T = 30, 100 steps)", () => {
  let r: RecurrentResults;
  beforeAll(() => {
    r = runRecurrentClipping({ evalSize: 64, iterations: 100 });
  }, 120_000); // training runs: generous on a loaded machine
  const run = (model: string, clipped: boolean) => r.runs.find((x) => x.model === model && x.clipped === clipped)!;

  test("gradc's gradient matches central differences at the first step", () => {
    for (const x of r.runs) expect(x.check.maxError, `${x.model} ${x.clipped}`).toBeLessThan(1e-5);
  });

  for (const model of ["LSTM", "GRU"]) {
    test(`${model}: unclipped, the gradient norm spikes and training diverges`, () => {
      const u = run(model, false);
      const spike = Math.max(...u.norms.filter(Number.isFinite));
      expect(spike).toBeGreaterThan(100 * r.options.maxNorm);
      expect(u.spikes).toBeGreaterThan(0);
      const c = run(model, true);
      // Diverged, or (were it to survive) ended above the clipped run.
      expect(u.divergedAt > 0 || u.finalLoss > c.finalLoss).toBe(true);
    });

    test(`${model}: clipped, the applied norm never exceeds the threshold and training stays finite`, () => {
      const c = run(model, true);
      expect(c.divergedAt).toBe(0);
      expect(c.norms).toHaveLength(100);
      expect(c.maxAppliedNorm).toBeLessThanOrEqual(r.options.maxNorm * (1 + 1e-12));
      expect(c.aboveThreshold).toBeGreaterThan(0); // clipping did act
      expect(Number.isFinite(c.finalLoss)).toBe(true);
    });
  }
});
