// Training toolkit: PRNG, initialisation, clipping, weight decay, optimisers,
// gradient-norm report.
import { describe, expect, test } from "vitest";
import {
  Adam, Rng, SGD, addWeightDecay, clipByGlobalNorm, clipByValue, decoupledWeightDecay, formatGradientNorms,
  globalNorm, gradientNorms, heNormal, heUniform, l2Penalty, xavierNormal, xavierUniform,
} from "../runtime/nn/index.js";

function moments(x: ArrayLike<number>): { mean: number; variance: number } {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  const mean = s / x.length;
  let v = 0;
  for (let i = 0; i < x.length; i++) v += (x[i] - mean) ** 2;
  return { mean, variance: v / x.length };
}

describe("Rng (xoshiro128**)", () => {
  test("matches the reference output for the state {1, 2, 3, 4}", () => {
    const r = new Rng(0) as any;
    [r.s0, r.s1, r.s2, r.s3] = [1, 2, 3, 4];
    const got = Array.from({ length: 6 }, () => r.nextUint32());
    expect(got).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  test("same seed, same sequence; seed() restarts; different seeds differ", () => {
    const a = new Rng(42), b = new Rng(42), c = new Rng(43);
    const sa = Array.from({ length: 100 }, () => a.next());
    const sb = Array.from({ length: 100 }, () => b.next());
    const sc = Array.from({ length: 100 }, () => c.next());
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
    a.seed(42);
    expect(a.next()).toBe(sa[0]);
    // seed() also drops the spare normal value of Box–Muller
    a.seed(42);
    const z0 = a.normal();
    a.seed(42);
    expect(a.normal()).toBe(z0);
    // seeds beyond 32 bits are used, and seed 0 is a valid seed
    expect(new Rng(2 ** 32).next()).not.toBe(new Rng(0).next());
    expect(Number.isFinite(new Rng(0).next())).toBe(true);
  });

  test("uniform, normal and int have the right statistics", () => {
    const r = new Rng(7);
    const n = 200_000;
    const u = r.fillUniform(new Float64Array(n));
    expect(u.every((v) => v >= 0 && v < 1)).toBe(true);
    const mu = moments(u);
    expect(Math.abs(mu.mean - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(mu.variance - 1 / 12)).toBeLessThan(0.002);
    const z = moments(r.fillNormal(new Float64Array(n), 2, 3));
    expect(Math.abs(z.mean - 2)).toBeLessThan(4 * 3 / Math.sqrt(n));
    expect(Math.abs(z.variance / 9 - 1)).toBeLessThan(0.02);
    const counts = new Array(7).fill(0);
    for (let i = 0; i < 70_000; i++) counts[r.int(7)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
    const p = r.shuffle(Float64Array.from({ length: 50 }, (_, i) => i));
    expect(Array.from(p).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(() => r.int(0)).toThrow(RangeError);
  });
});

describe("initialisation", () => {
  const fanIn = 1000, fanOut = 500, n = 200_000;
  const cases: [string, (out: Float64Array | Float32Array, r: Rng) => unknown, number, number][] = [
    // name, init, expected variance, bound (Infinity for normal)
    ["xavierUniform", (o, r) => xavierUniform(o, fanIn, fanOut, r), 2 / (fanIn + fanOut), Math.sqrt(6 / (fanIn + fanOut))],
    ["xavierUniform gain 2", (o, r) => xavierUniform(o, fanIn, fanOut, r, 2), 8 / (fanIn + fanOut), 2 * Math.sqrt(6 / (fanIn + fanOut))],
    ["xavierNormal", (o, r) => xavierNormal(o, fanIn, fanOut, r), 2 / (fanIn + fanOut), Infinity],
    ["heUniform", (o, r) => heUniform(o, fanIn, r), 2 / fanIn, Math.sqrt(6 / fanIn)],
    ["heNormal", (o, r) => heNormal(o, fanIn, r), 2 / fanIn, Infinity],
  ];
  for (const [name, init, variance, bound] of cases) {
    test(`${name}: mean 0, variance and bounds`, () => {
      for (const T of [Float64Array, Float32Array]) {
        const w = new T(n);
        init(w, new Rng(3));
        const m = moments(w);
        expect(Math.abs(m.mean)).toBeLessThan(4 * Math.sqrt(variance / n));
        expect(Math.abs(m.variance / variance - 1)).toBeLessThan(0.02);
        let big = 0;
        for (let i = 0; i < n; i++) big = Math.max(big, Math.abs(w[i]));
        expect(big).toBeLessThanOrEqual(bound);
      }
    });
  }

  test("same seed, same weights", () => {
    const a = heNormal(new Float64Array(100), 10, new Rng(5));
    const b = heNormal(new Float64Array(100), 10, new Rng(5));
    expect(a).toEqual(b);
  });
});

describe("clipping and weight decay", () => {
  test("clipByGlobalNorm rescales all arrays together and returns the norm before", () => {
    const g = [Float64Array.of(3, 4), Float32Array.of(12)];
    expect(globalNorm(g)).toBe(13);
    expect(clipByGlobalNorm(g, 6.5)).toBe(13);
    expect(Array.from(g[0])).toEqual([1.5, 2]);
    expect(Array.from(g[1])).toEqual([6]);
    expect(globalNorm(g)).toBeCloseTo(6.5, 6);
    // below the threshold: unchanged
    expect(clipByGlobalNorm(g, 100)).toBeCloseTo(6.5, 6);
    expect(Array.from(g[0])).toEqual([1.5, 2]);
    // a single array
    const one = Float64Array.of(0, 10);
    expect(clipByGlobalNorm(one, 1)).toBe(10);
    expect(Array.from(one)).toEqual([0, 1]);
  });

  test("huge gradients still clip; non-finite ones are left alone", () => {
    const huge = [Float64Array.of(3e200, 4e200)];
    expect(clipByGlobalNorm(huge, 1)).toBeCloseTo(5e200, -190);
    expect(huge[0][0]).toBeCloseTo(0.6, 12);
    expect(huge[0][1]).toBeCloseTo(0.8, 12);
    const bad = [Float64Array.of(1, NaN)];
    expect(clipByGlobalNorm(bad, 1)).toBeNaN();
    expect(bad[0][0]).toBe(1);
    const inf = [Float64Array.of(1, -Infinity)];
    expect(clipByGlobalNorm(inf, 1)).toBe(Infinity);
    expect(inf[0][0]).toBe(1);
  });

  test("clipByValue clamps and counts", () => {
    const g = [Float64Array.of(-3, 0.5, 2), Float32Array.of(-0.5, 7)];
    expect(clipByValue(g, -1, 1)).toBe(3);
    expect(Array.from(g[0])).toEqual([-1, 0.5, 1]);
    expect(Array.from(g[1])).toEqual([-0.5, 1]);
    expect(() => clipByValue(g, 1, -1)).toThrow(RangeError);
  });

  test("L2 weight decay: penalty, gradient term, decoupled", () => {
    const w = [Float64Array.of(1, -2), Float64Array.of(3)];
    const g = [Float64Array.of(0.5, 0.5), Float64Array.of(0)];
    expect(l2Penalty(w, 0.1)).toBeCloseTo(0.05 * 14, 15);
    addWeightDecay(g, w, 0.1);
    expect(Array.from(g[0])).toEqual([0.6, 0.3]);
    expect(g[1][0]).toBeCloseTo(0.3, 15);
    decoupledWeightDecay(w, 0.5, 0.1);
    expect(Array.from(w[0])).toEqual([0.95, -1.9]);
    expect(() => addWeightDecay(g, [w[0]], 0.1)).toThrow(RangeError);
  });
});

describe("optimisers", () => {
  // w = (1, −2); gradients g1 = (0.5, 1) then g2 = (−0.25, 2); values worked by hand.
  const g1 = Float64Array.of(0.5, 1), g2 = Float64Array.of(-0.25, 2);

  test("SGD: plain, momentum, Nesterov", () => {
    const plain = Float64Array.of(1, -2);
    new SGD({ lr: 0.1 }).step([plain], [g1]);
    expect(plain[0]).toBeCloseTo(0.95, 15);
    expect(plain[1]).toBeCloseTo(-2.1, 15);
    // v1 = g1; v2 = 0.9·g1 + g2 = (0.2, 2.9); w = w − 0.1·(v1 + v2)
    const w = Float64Array.of(1, -2);
    const sgd = new SGD({ lr: 0.1, momentum: 0.9 });
    sgd.step([w], [g1]);
    sgd.step([w], [g2]);
    expect(w[0]).toBeCloseTo(0.93, 14);
    expect(w[1]).toBeCloseTo(-2.39, 14);
    // Nesterov: d = g + 0.9·v: d1 = (0.95, 1.9), d2 = (−0.07, 4.61)
    const wn = Float64Array.of(1, -2);
    const nes = new SGD({ lr: 0.1, momentum: 0.9, nesterov: true });
    nes.step([wn], [g1]);
    nes.step([wn], [g2]);
    expect(wn[0]).toBeCloseTo(0.912, 14);
    expect(wn[1]).toBeCloseTo(-2.651, 14);
    expect(Array.from(g1)).toEqual([0.5, 1]); // gradients untouched
    expect(() => new SGD({ lr: 0.1, nesterov: true })).toThrow(RangeError);
  });

  test("SGD weight decay, coupled and decoupled", () => {
    const w = Float64Array.of(1, -2);
    new SGD({ lr: 0.1, weightDecay: 0.5 }).step([w], [g1]); // g + 0.5w = (1, 0)
    expect(Array.from(w)).toEqual([0.9, -2]);
    const wd = Float64Array.of(1, -2);
    new SGD({ lr: 0.1, weightDecay: 0.5, decoupledWeightDecay: true }).step([wd], [g1]); // 0.95·w − 0.1·g
    expect(wd[0]).toBeCloseTo(0.9, 15);
    expect(wd[1]).toBeCloseTo(-2, 15);
  });

  test("Adam: bias-corrected first steps", () => {
    const w = Float64Array.of(1, -2);
    const adam = new Adam({ lr: 0.01 });
    adam.step([w], [g1]);
    // m̂ = g, v̂ = g²: the first step is lr·g/(|g| + eps)
    expect(w[0]).toBeCloseTo(1 - 0.01 * 0.5 / (0.5 + 1e-8), 15);
    expect(w[1]).toBeCloseTo(-2 - 0.01 / (1 + 1e-8), 15);
    adam.step([w], [g2]);
    // m = (0.02, 0.29), v = (0.00031225, 0.004999), corrected by 1/0.19 and 1/0.001999
    const expected = [
      1 - 0.01 * 0.5 / (0.5 + 1e-8) - (0.01 * 0.02 / 0.19) / (Math.sqrt(0.00031225 / 0.001999) + 1e-8),
      -2 - 0.01 / (1 + 1e-8) - (0.01 * 0.29 / 0.19) / (Math.sqrt(0.004999 / 0.001999) + 1e-8),
    ];
    expect(w[0]).toBeCloseTo(expected[0], 14);
    expect(w[1]).toBeCloseTo(expected[1], 14);
    expect(w[0]).toBeCloseTo(0.9873366298707846, 14);
    expect(w[1]).toBeCloseTo(-2.0196518200971836, 14);
    expect(adam.t).toBe(2);
  });

  test("AdamW decays the weights apart from the gradient", () => {
    const w = Float64Array.of(1, -2);
    new Adam({ lr: 0.01, weightDecay: 0.1, decoupledWeightDecay: true }).step([w], [g1]);
    expect(w[0]).toBeCloseTo(1 * (1 - 0.001) - 0.01 * 0.5 / (0.5 + 1e-8), 15);
    expect(w[1]).toBeCloseTo(-2 * (1 - 0.001) - 0.01 / (1 + 1e-8), 15);
  });

  test("state is allocated once; a change of shape throws", () => {
    const w = new Float32Array(3), g = Float32Array.of(1, 2, 3);
    const adam = new Adam();
    adam.step([w], [g]);
    const m = (adam as any).m;
    adam.step([w], [g]);
    expect((adam as any).m).toBe(m);
    expect((adam as any).m[0]).toBe(m[0]);
    expect(() => adam.step([w, w], [g, g])).toThrow(/earlier with 1/);
    expect(() => adam.step([w], [new Float32Array(2)])).toThrow(RangeError);
    adam.reset();
    adam.step([w, w], [g, g]);
    expect(adam.t).toBe(1);
  });

  // f(w) = ½ Σ a_i (w_i − c_i)², gradient a ⊙ (w − c), curvatures 0.5 … 5.
  function quadratic(seed: number) {
    const r = new Rng(seed);
    const n = 20;
    const a = r.fillUniform(new Float64Array(n), 0.5, 5);
    const c = r.fillUniform(new Float64Array(n), -3, 3);
    const w = new Float64Array(n);
    const g = new Float64Array(n);
    const grad = () => { for (let i = 0; i < n; i++) g[i] = a[i] * (w[i] - c[i]); };
    const dist = () => Math.sqrt(c.reduce((s, ci, i) => s + (w[i] - ci) ** 2, 0));
    return { w, g, grad, dist };
  }

  test("SGD, momentum, Nesterov and Adam converge on a quadratic", () => {
    const runs: [string, { step(p: Float64Array[], g: Float64Array[]): void }, number, number][] = [
      ["sgd", new SGD({ lr: 0.3 }), 200, 1e-8],
      ["momentum", new SGD({ lr: 0.1, momentum: 0.9 }), 400, 1e-8],
      ["nesterov", new SGD({ lr: 0.1, momentum: 0.9, nesterov: true }), 400, 1e-8],
      ["adam", new Adam({ lr: 0.05 }), 3000, 1e-4],
    ];
    for (const [name, opt, steps, tol] of runs) {
      const q = quadratic(11);
      const start = q.dist();
      for (let t = 0; t < steps; t++) {
        q.grad();
        opt.step([q.w], [q.g]);
      }
      expect(q.dist(), name).toBeLessThan(tol * start);
    }
  });
});

describe("gradient-norm report", () => {
  test("one entry per parameter, in order, with its L2 norm", () => {
    const report = gradientNorms({ "layer1.W": Float64Array.of(3, 4), "layer1.b": Float32Array.of(0), "layer2.W": Float64Array.of(1e-7) });
    expect(report).toEqual([
      { name: "layer1.W", norm: 5 },
      { name: "layer1.b", norm: 0 },
      { name: "layer2.W", norm: 1e-7 },
    ]);
    const text = formatGradientNorms(report);
    expect(text.split("\n")).toHaveLength(3);
    expect(text).toContain("layer1.W");
    expect(text).toContain("5.000e+0");
  });
});
