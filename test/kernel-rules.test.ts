// The kernel table test: every kernel record (compiler/ops/kernels) has a VJP rule,
// a JVP rule and a sample, and each rule is checked against central differences
// through a loss that calls the kernel: reverse mode (grad), forward mode (jvp in a
// random direction) and second order (hvp against differences of the gradient). Kernels
// that accumulate are also checked accumulating, elementwise ones also in place.
import { describe, expect, it } from "vitest";
import * as gradc from "../index.js";
import { allKernels, type KernelDef } from "../compiler/ops/kernels/index.js";
import * as K from "../runtime/index.js";
import { maxRelError, numericGradient, relError } from "../runtime/numeric.js";
import { makeRng, type Rng } from "./corpus/rng.js";
import { BACKENDS, onBackend } from "./backends.js";

type Fn = (...args: any[]) => any;
const api = gradc as unknown as Record<"grad" | "jvp" | "hvp", (f: Fn, o?: object) => Fn>;
const TOL = 1e-5;

interface Variant {
  label: string;
  accumulate?: boolean;
  inPlace?: boolean;
}

/** Source of a loss calling the kernel: Σ w·out (+ 1.3·result), parameters named in_<param>. */
function lossSource(def: KernelDef, v: Variant): { src: string; params: string[]; wrt: number[] } {
  const s = def.sample!;
  const params: string[] = [];
  const wrt: number[] = [];
  const operands = def.params.map((p) => {
    const isParam = p.kind === "arr" || def.diff.includes(p.name);
    if (!isParam) return String(s.nums?.[p.name] ?? p.default);
    if (def.diff.includes(p.name)) wrt.push(params.length);
    params.push(`in_${p.name}`);
    return `in_${p.name}`;
  });
  const size = s.sizes.out ?? 0;
  const lines: string[] = [];
  if (def.out) {
    if (v.accumulate) {
      wrt.push(params.length);
      params.push("in_out");
      lines.push("const out = new Float64Array(in_out);");
    } else if (v.inPlace) {
      lines.push(`const out = new Float64Array(${operands[0]});`);
      operands[0] = "out";
    } else {
      lines.push(`const out = new Float64Array(${size});`);
    }
  }
  params.push("w");
  const call = `${def.name}(${[...(def.out ? ["out"] : []), ...operands, ...(v.accumulate ? ["true"] : [])].join(", ")})`;
  lines.push(def.returnsNumber ? `const r = ${call};` : `${call};`);
  lines.push("let s = 0;");
  if (def.out) lines.push(`for (let i = 0; i < ${size}; i++) s += out[i] * w[i];`);
  if (def.returnsNumber) lines.push("s += 1.3 * r;");
  lines.push("return s;");
  return { src: `function loss_${def.name}(${params.join(", ")}) {\n  ${lines.join("\n  ")}\n}`, params, wrt };
}

function argsFor(def: KernelDef, params: string[], rng: Rng): unknown[] {
  const s = def.sample!;
  return params.map((p) => {
    const name = p.slice(3);
    if (p === "w") return Float64Array.from({ length: s.sizes.out ?? 0 }, () => rng.uniform(-1, 1));
    if (p === "in_out") return Float64Array.from({ length: s.sizes.out }, () => rng.uniform(-1, 1));
    const labels = s.labels?.[name];
    if (labels !== undefined) return Float64Array.from({ length: s.sizes[name] }, () => Math.floor(rng.uniform(0, labels)));
    if (s.sizes[name] === undefined) return rng.uniform(0.5, 1.5);
    const [lo, hi] = s.ranges?.[name] ?? [-2, 2];
    return Float64Array.from({ length: s.sizes[name] }, () => rng.uniform(lo, hi));
  });
}

const shifted = (args: unknown[], k: number, dir: unknown, e: number) =>
  args.map((a, i) => {
    if (i !== k) return a instanceof Float64Array ? a.slice() : a;
    if (typeof a === "number") return a + e * (dir as number);
    return (a as Float64Array).map((x, j) => x + e * (dir as Float64Array)[j]);
  });

function direction(a: unknown, rng: Rng): unknown {
  return typeof a === "number" ? rng.uniform(-1, 1) : (a as Float64Array).map(() => rng.uniform(-1, 1));
}

function variants(def: KernelDef): Variant[] {
  const out: Variant[] = [{ label: "writing out" }];
  if (def.accumulate) out.push({ label: "accumulating", accumulate: true });
  const first = def.params[0];
  if (def.out && first?.kind === "arr" && def.sample?.sizes[first.name] === def.sample?.sizes.out && !["matmul", "matvec", "outer", "transpose", "transposeVjp"].includes(def.name)) {
    out.push({ label: "in place", inPlace: true });
  }
  return out;
}

// Kernels with no differentiable operand (the checkpointing schedule) need no rules.
const differentiable = allKernels().filter((d) => d.diff.length > 0);

it("kernels without differentiable operands have no rules to check", () => {
  for (const d of allKernels().filter((k) => k.diff.length === 0)) expect(d.vjp ?? d.jvp, d.name).toBeUndefined();
});

// Each rule on both backends (matmul in WebAssembly or JavaScript; test/backends.ts).
describe.each(BACKENDS)("%s backend", (backend) => {
  onBackend(backend);

  describe.each(differentiable.map((d) => [d.name, d] as const))("kernel %s", (name, def) => {
    it("has a VJP rule, a JVP rule and a sample", () => {
      expect(def.vjp, `${name}: VJP rule`).toBeTypeOf("function");
      expect(def.jvp, `${name}: JVP rule`).toBeTypeOf("function");
      expect(def.sample, `${name}: sample`).toBeDefined();
      expect(typeof (K as Record<string, unknown>)[name], `${name}: runtime kernel`).toBe("function");
    });

    describe.each(variants(def).map((v) => [v.label, v] as const))("%s", (_label, v) => {
      const { src, params, wrt } = lossSource(def, v);
      const kernelFn = (K as Record<string, Function>)[name];
      const f = new Function(name, `return ${src}`)(kernelFn) as Fn;
      const functions = { [name]: kernelFn };

      it("grad = central differences", () => {
        const rng = makeRng(11);
        for (let trial = 0; trial < 3; trial++) {
          const args = argsFor(def, params, rng);
          const g = api.grad(f, { wrt, functions })(...args) as unknown[];
          wrt.forEach((k, j) => expect(maxRelError(g[j] as any, numericGradient(f, args, k)), `${src}\nwrt ${params[k]}`).toBeLessThan(TOL));
        }
      });

      it("jvp = central differences along a random direction", () => {
        const rng = makeRng(12);
        for (let trial = 0; trial < 3; trial++) {
          const args = argsFor(def, params, rng);
          for (const k of wrt) {
            const dir = direction(args[k], rng);
            const [value, t] = api.jvp(f, { wrt: k, functions })(...args, dir) as [number, number];
            const h = 1e-6;
            const numeric = (f(...shifted(args, k, dir, h)) - f(...shifted(args, k, dir, -h))) / (2 * h);
            expect(relError(value, f(...shifted(args, k, dir, 0))), src).toBeLessThan(1e-12);
            expect(relError(t, numeric), `${src}\nwrt ${params[k]}`).toBeLessThan(TOL);
          }
        }
      });

      it("hvp = differences of the gradient", () => {
        const rng = makeRng(13);
        const args = argsFor(def, params, rng);
        for (const k of wrt) {
          const dir = direction(args[k], rng);
          const hv = api.hvp(f, { wrt: k, functions })(...args, dir);
          const g = api.grad(f, { wrt: k, functions });
          const e = 1e-5;
          const gp = g(...shifted(args, k, dir, e)), gm = g(...shifted(args, k, dir, -e));
          const numeric = typeof gp === "number" ? (gp - gm) / (2 * e) : (gp as Float64Array).map((x, j) => (x - (gm as Float64Array)[j]) / (2 * e));
          expect(maxRelError(hv, numeric as any), `${src}\nwrt ${params[k]}`).toBeLessThan(TOL);
        }
      });
    });
  });
});
