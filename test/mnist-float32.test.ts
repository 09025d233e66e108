// examples/mnist.ts's float32 loss, which the MNIST demo trains with: at the demo's layer
// sizes (batch 8), its gradient agrees with the float64 loss's at the same parameters on
// both backends, and on the wasm backend it is not the js backend's bit for bit — its
// matmuls have one element type, so they run in f32x4 (a Float64Array intermediate would
// send them back to the JavaScript loops, and the two gradients would be equal).
// The example imports "gradc" and "gradc/runtime" (dist/), so the backend is set there.
import { afterAll, describe, expect, test } from "vitest";
import { backendName, setBackend } from "gradc/runtime";
import { mlpStep, mlpStep32 } from "../examples/mnist.js";
import { Rng } from "../runtime/nn/rng.js";

const [INPUTS, HIDDEN, CLASSES, N] = [784, 128, 10, 8];
const KEYS = ["W1", "b1", "W2", "b2"] as const;
type P32 = Record<(typeof KEYS)[number], Float32Array>;
type P64 = Record<(typeof KEYS)[number], Float64Array>;

const rng = new Rng(2024);
const uniform = (length: number, scale: number) => Float32Array.from({ length }, () => scale * (2 * rng.uniform() - 1));
const p32: P32 = { W1: uniform(HIDDEN * INPUTS, 0.08), b1: uniform(HIDDEN, 0.1), W2: uniform(CLASSES * HIDDEN, 0.2), b2: uniform(CLASSES, 0.1) };
const X32 = Float32Array.from({ length: N * INPUTS }, () => rng.uniform());
const Y32 = new Float32Array(N * CLASSES);
for (let i = 0; i < N; i++) Y32[i * CLASSES + (i % CLASSES)] = 1;
const p64 = Object.fromEntries(KEYS.map((k) => [k, Float64Array.from(p32[k])])) as P64;
const [X64, Y64] = [Float64Array.from(X32), Float64Array.from(Y32)];

/** max |g - ref| / max |ref| over all parameters. */
function normwise(g: P32 | P64, ref: P32 | P64): number {
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

describe("examples/mnist.ts: the float32 loss the demo trains with", () => {
  const before = backendName();
  afterAll(() => void setBackend(before));
  const on = (name: "js" | "wasm") => {
    expect(setBackend(name), "WebAssembly SIMD is available here").toBe(name);
    const [value64, g64] = mlpStep(p64, X64, Y64) as [number, P64];
    const [value32, g32] = mlpStep32(p32, X32, Y32) as [number, P32];
    for (const k of KEYS) expect(g32[k], k).toBeInstanceOf(Float32Array);
    return { value64, g64, value32, g32 };
  };

  test("its gradient agrees with the float64 loss's to 1e-4 (max |a - b| / max |b|) on both backends", () => {
    for (const name of ["js", "wasm"] as const) {
      const r = on(name);
      // Measured: 9e-8 (js, which sums float32 products in double) and 7e-7 (wasm, in single).
      expect(normwise(r.g32, r.g64), name).toBeLessThan(1e-4);
      expect(Math.abs(r.value32 - r.value64) / r.value64, name).toBeLessThan(1e-5);
    }
  });

  test("on wasm its products run in f32x4: the gradient is not the js backend's bit for bit", () => {
    const js = on("js").g32;
    const wasm = on("wasm").g32;
    expect(normwise(wasm, js)).toBeGreaterThan(0); // measured 8e-7
    expect(normwise(wasm, js)).toBeLessThan(1e-5);
  });
});
