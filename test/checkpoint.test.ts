// Checkpointed recompute: loops marked `// @checkpoint` and `checkpoint(fn)` calls give
// the same derivatives as recording, in every mode, under every schedule.
import { describe, expect, it } from "vitest";
import * as gradc from "../index.js";
import { maxRelError, numericGradient } from "../runtime/numeric.js";
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
  for (const schedule of ["sqrt", "binomial", { snapshots: 1 }, { snapshots: 3 }, { snapshots: 40 }]) {
    it(`${JSON.stringify(schedule)}: gradient equals the recorded one`, () => {
      const ref = grad(rnn, { wrt: [0, 1, 2] })(...args) as Float64Array[];
      const ck = grad(rnn, { wrt: [0, 1, 2], checkpoint: schedule })(...args) as Float64Array[];
      ref.forEach((g, k) => expect(maxRelError(ck[k], g), `wrt ${k}`).toBeLessThan(1e-12));
    });
    it(`${JSON.stringify(schedule)}: HVP equals the recorded one`, () => {
      const v = rand(9);
      const ref = hvp(rnn, { wrt: 0 })(...args, v) as Float64Array;
      const ck = hvp(rnn, { wrt: 0, checkpoint: schedule })(...args, v) as Float64Array;
      expect(maxRelError(ck, ref)).toBeLessThan(1e-12);
    });
  }
});

describe("function checkpointing", () => {
  // A residual block updating h in place: h ← h + tanh(W h + b).
  function block(h: Float64Array, w: Float64Array, b: Float64Array, layer: number): number {
    const n = h.length;
    const t = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let a = b[layer * n + i];
      for (let j = 0; j < n; j++) a += w[layer * n * n + i * n + j] * h[j];
      t[i] = Math.tanh(a);
    }
    for (let i = 0; i < n; i++) h[i] += t[i];
    return t[0];
  }
  const blockC = gradc.checkpoint(block);

  function stack(w: Float64Array, b: Float64Array, x: Float64Array): number {
    const h = new Float64Array(x);
    let s = 0;
    for (let l = 0; l < 4; l++) s += blockC(h, w, b, l);
    let out = 0;
    for (let i = 0; i < h.length; i++) out += h[i] * h[i];
    return out + s;
  }
  const plain = (w: Float64Array, b: Float64Array, x: Float64Array) => {
    const h = new Float64Array(x);
    let s = 0;
    for (let l = 0; l < 4; l++) s += block(h, w, b, l);
    let out = 0;
    for (let i = 0; i < h.length; i++) out += h[i] * h[i];
    return out + s;
  };
  const args = [rand(36, 0.5), rand(12), rand(3)];

  it("checkpoint(fn) computes the same value as fn", () => {
    expect(stack(...(args as [Float64Array, Float64Array, Float64Array]))).toBe(plain(...(args as [Float64Array, Float64Array, Float64Array])));
  });

  it("gradient and HVP through checkpointed calls equal the recorded ones", () => {
    const ref = grad(plain, { wrt: [0, 1, 2], functions: { block } })(...args) as Float64Array[];
    const ck = grad(stack, { wrt: [0, 1, 2], functions: { blockC } })(...args) as Float64Array[];
    ref.forEach((g, k) => expect(maxRelError(ck[k], g), `wrt ${k}`).toBeLessThan(1e-12));
    const v = rand(36);
    const hr = hvp(plain, { wrt: 0, functions: { block } })(...args, v) as Float64Array;
    const hc = hvp(stack, { wrt: 0, functions: { blockC } })(...args, v) as Float64Array;
    expect(maxRelError(hc, hr)).toBeLessThan(1e-12);
  });
});

describe("checkpointing: refusals", () => {
  // A checkpoint(fn) function returning an array it creates: test/messages.test.ts.

  it("refuses // @checkpoint on a loop that is not counted", () => {
    function f(x: Float64Array): number {
      let s = 0;
      let i = 0;
      // @checkpoint
      while (i < x.length) {
        s += x[i] * x[i];
        i++;
      }
      return s;
    }
    expect(() => grad(f, { checkpoint: "sqrt" })(rand(3))).toThrow(/Only counted for loops[\s\S]*without break or return can be checkpointed/);
  });

  it("refuses an unknown schedule", () => {
    const f = (x: Float64Array) => x[0] * x[0];
    expect(() => grad(f, { checkpoint: "everything" })).toThrow(/checkpoint must be "sqrt", "binomial" or \{ snapshots: k \}/);
  });
});

describe("checkpointing on the build path", () => {
  it("gradc build honours checkpoint(fn), // @checkpoint and the checkpoint option", async () => {
    const { mkdtempSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const path = await import("node:path");
    const { build } = await import("../compiler/build.js");
    const dir = mkdtempSync(path.join(tmpdir(), "gradc-checkpoint-"));
    const file = path.join(dir, "model.ts");
    const source = `import { checkpoint, valueAndGrad } from "gradc";
const block = checkpoint(function block(h: Float64Array, w: Float64Array): number {
  for (let i = 0; i < h.length; i++) h[i] = Math.tanh(w[i] * h[i] + 0.1);
  return h[0];
});
export function loss(w: Float64Array, x: Float64Array): number {
  const h = new Float64Array(x);
  let s = 0;
  // @checkpoint
  for (let t = 0; t < 10; t++) s += block(h, w);
  return s;
}
export const plain = valueAndGrad(loss, { wrt: "w" });
export const sqrt = valueAndGrad(loss, { wrt: "w", checkpoint: "sqrt" });
export const revolve = valueAndGrad(loss, { wrt: "w", checkpoint: { snapshots: 3 } });
`;
    writeFileSync(file, source);
    const result = await build([file], { runtimeImport: path.resolve("runtime/index.ts") });
    expect(result.failures).toEqual([]);
    const mod = (await import(result.built[0].output)) as Record<string, (w: Float64Array, x: Float64Array) => [number, Float64Array]>;
    const w = rand(4), x = rand(4);
    const [v0, g0] = mod.plain(w, x);
    for (const name of ["sqrt", "revolve"]) {
      const [v, g] = mod[name](w, x);
      expect(v).toBe(v0);
      expect(maxRelError(g, g0), name).toBeLessThan(1e-12);
    }
    const text = (await import("node:fs")).readFileSync(result.built[0].output, "utf8");
    expect(text).toContain("kernels.revolveFill(");
    expect(text).toMatch(/tape\.pushRef\(h_snapshot/);
  });
});

describe("checkpointing: nested loops", () => {
  function scalarNested(w: number, n: number): number {
    let s = w;
    for (let a = 0; a < n; a++) {
      // @checkpoint
      for (let b = 0; b < 3; b++) s = Math.sin(s * w + a);
    }
    return s;
  }
  function arrayNested(w: Float64Array, n: number): number {
    const h = new Float64Array(w);
    // @checkpoint
    for (let a = 0; a < n; a++) {
      // @checkpoint
      for (let b = 0; b < 3; b++) for (let i = 0; i < h.length; i++) h[i] = Math.sin(w[i] * h[i] + b + a);
    }
    let s = 0;
    for (let i = 0; i < h.length; i++) s += h[i];
    return s;
  }
  for (const schedule of ["sqrt", "binomial", { snapshots: 1 }, { snapshots: 2 }]) {
    it(`${JSON.stringify(schedule)}: an inner checkpointed loop reading the outer index`, () => {
      const ref = grad(scalarNested)(0.8, 4) as number;
      expect(Math.abs((grad(scalarNested, { checkpoint: schedule })(0.8, 4) as number) - ref)).toBeLessThan(1e-12 * Math.abs(ref));
      const w = rand(3);
      const refA = grad(arrayNested)(w, 5) as Float64Array;
      expect(maxRelError(grad(arrayNested, { checkpoint: schedule })(w, 5) as Float64Array, refA)).toBeLessThan(1e-12);
    });
  }
});

describe("checkpointing: overwritten values the backward sweep needs", () => {
  function lastWrite(x: number, n: number): number {
    let a = x * x;
    const y = a * x;
    // @checkpoint
    for (let t = 0; t < n; t++) a = t;
    return y + a;
  }
  function conditional(w: Float64Array, n: number): number {
    let last = w[0];
    const y = last * w[1];
    let s = 0;
    // @checkpoint
    for (let t = 0; t < n; t++) {
      if (w[t % 3] > 0) last = w[t % 3] * w[1];
      s += last * last;
    }
    return y * s;
  }
  const blk = gradc.checkpoint(function blk(h: Float64Array, w: Float64Array): number {
    for (let i = 0; i < h.length; i++) h[i] = Math.sin(h[i] * w[i] + 0.2);
    return h[0] + h[1];
  });
  function product(w: Float64Array, x: Float64Array): number {
    const h = new Float64Array(x);
    let s = 1;
    for (let t = 0; t < 3; t++) s = s * blk(h, w);
    return s;
  }
  const plainBlk = (h: Float64Array, w: Float64Array) => {
    for (let i = 0; i < h.length; i++) h[i] = Math.sin(h[i] * w[i] + 0.2);
    return h[0] + h[1];
  };
  const plainProduct = (w: Float64Array, x: Float64Array) => {
    const h = new Float64Array(x);
    let s = 1;
    for (let t = 0; t < 3; t++) s = s * plainBlk(h, w);
    return s;
  };

  for (const schedule of ["sqrt", "binomial", { snapshots: 1 }, { snapshots: 2 }]) {
    it(`${JSON.stringify(schedule)}: a scalar the loop only writes`, () => {
      expect(grad(lastWrite, { checkpoint: schedule })(3, 5)).toBe(grad(lastWrite)(3, 5));
      const w = Float64Array.from([0.7, -0.4, 0.9]);
      expect(maxRelError(grad(conditional, { checkpoint: schedule })(w, 7) as Float64Array, grad(conditional)(w, 7) as Float64Array)).toBeLessThan(1e-12);
    });
  }

  it("checkpoint(fn) whose result is used non-linearly", () => {
    const w = Float64Array.from([0.5, -0.3, 0.8]), x = Float64Array.from([0.2, 0.7, -0.4]);
    const g = grad(product, { functions: { blk } })(w, x) as Float64Array;
    expect(maxRelError(g, numericGradient(plainProduct, [w, x], 0))).toBeLessThan(1e-7);
    const v = Float64Array.from([0.3, 0.1, -0.2]);
    const hv = hvp(product, { functions: { blk } })(w, x, v) as Float64Array;
    const gp = grad(plainProduct, { functions: { plainBlk } });
    const e = 1e-5;
    const up = gp(w.map((a, i) => a + e * v[i]), x) as Float64Array, down = gp(w.map((a, i) => a - e * v[i]), x) as Float64Array;
    expect(maxRelError(hv, up.map((a, i) => (a - down[i]) / (2 * e)))).toBeLessThan(1e-6);
  });
});

describe("checkpoint markers on the build path", () => {
  it("are gradc's checkpoint under any local name, and only that", async () => {
    const { createProject, parseTsModule } = await import("../compiler/parse/typescript.js");
    const files: Record<string, string> = {
      "/m/aliased.ts": 'import { checkpoint as cp } from "gradc";\nconst block = cp(function block(x: number) { return x * x; });\n',
      "/m/own.ts": "function checkpoint<F>(f: F): F { return f; }\nconst block = checkpoint(function block(x: number) { return x * x; });\n",
    };
    const project = createProject({ readFile: (file) => files[file] });
    expect(parseTsModule(project, "/m/aliased.ts").checkpointed).toEqual(new Set(["block"]));
    expect(parseTsModule(project, "/m/own.ts").checkpointed).toEqual(new Set());
  });
});
