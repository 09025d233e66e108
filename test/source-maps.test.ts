// Source maps from the three paths map derivative code back to the lines of the loss it
// came from: the CLI's `.map` files, the plugin's maps through a bundle's map, and the
// run-time path's inline map. Positions are resolved with @jridgewell/trace-mapping.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { originalPositionFor, TraceMap } from "@jridgewell/trace-mapping";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../compiler/cli.js";
import { derivativeBody } from "../compiler/emit/module.js";
import { parseFunctionSource } from "../compiler/parse/acorn.js";
import { bundlers } from "./plugin/bundlers.js";

const work = mkdtempSync(path.join(tmpdir(), "gradc-maps-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const LOSS = `import { grad } from "gradc";

export function loss(w: Float64Array): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) {
    s += Math.sin(w[i]) * w[i];
  }
  return s * s;
}

export const lossGrad = grad(loss);
`;

/** Where each generated line containing `needle` maps to, as source:line. */
function resolve(code: string, map: TraceMap, needle: string): string[] {
  return code.split("\n").flatMap((text, i) => {
    if (!text.includes(needle)) return [];
    const column = text.length - text.trimStart().length;
    const pos = originalPositionFor(map, { line: i + 1, column });
    return [`${pos.source ? path.basename(pos.source) : "?"}:${pos.line}`];
  });
}

const io = { out: () => {}, err: (t: string) => void process.stderr.write(t) };

describe("source maps", () => {
  it("gradc build writes a .map beside each module, mapping its code to the loss's lines", async () => {
    writeFileSync(path.join(work, "loss.ts"), LOSS);
    expect(await main(["build", path.join(work, "loss.ts")], io)).toBe(0);
    const code = readFileSync(path.join(work, "loss.grad.ts"), "utf8");
    expect(code.trimEnd().split("\n").pop()).toBe("//# sourceMappingURL=loss.grad.ts.map");
    const map = new TraceMap(readFileSync(path.join(work, "loss.grad.ts.map"), "utf8"));
    expect(map.sources).toEqual(["loss.ts"]);
    // The primal statement (and its comment) and its adjoint map to line 6 of loss.ts.
    expect(new Set(resolve(code, map, "s += Math.sin(w[i]) * w[i]"))).toEqual(new Set(["loss.ts:6"]));
    expect(new Set(resolve(code, map, "Math.cos("))).toEqual(new Set(["loss.ts:6"]));
    const lines = code.split("\n");
    const afterReturn = lines[lines.findIndex((l) => l.includes("// adjoint of line 8:")) + 1].trim();
    expect(resolve(code, map, afterReturn)).toEqual(["loss.ts:8"]);
  });

  it("the plugin's maps reach the bundle's map (esbuild, Vite, Rollup, webpack)", async () => {
    for (const bundler of bundlers) {
      const out = path.join(work, `bundle-${bundler.name}`);
      const file = await bundler.build(path.join(import.meta.dirname, "plugin", "app"), out);
      const code = readFileSync(file, "utf8");
      const map = new TraceMap(readFileSync(`${file}.map`, "utf8"));
      // softplus, inlined from helpers.ts into the derivative: its log maps to helpers.ts:3.
      const logs = resolve(code, map, "Math.log(1 + ");
      expect(logs.length, bundler.name).toBeGreaterThan(0);
      expect(logs, bundler.name).toContain("helpers.ts:3");
      // The kernel call of the loss maps to model.ts:15.
      expect(resolve(code, map, "matvec(h").concat(resolve(code, map, "matvec(")), bundler.name).toContain("model.ts:15");
    }
  }, 240_000);

  it("run-time compiles carry //# sourceURL and an inline map (offset for new Function's two lines)", () => {
    function f(x: number): number {
      const y = Math.exp(x);
      return y * Math.sin(x);
    }
    const fn = parseFunctionSource(f);
    const body = derivativeBody({ fn, resolve: () => undefined, kinds: [{ k: "num" }], wrt: [0], wrtIsList: false, mode: "grad" });
    expect(body).toContain("//# sourceURL=gradc:///f_grad.js");
    const data = /sourceMappingURL=data:application\/json;base64,(\S+)/.exec(body)![1];
    const map = new TraceMap(Buffer.from(data, "base64").toString("utf8"));
    expect(map.sources).toEqual(["gradc:///f.js"]);
    // As V8 numbers the lines of `new Function(params, body)`: two lines before the body.
    const script = `(function anonymous(Tape\n) {\n${body}\n})`;
    const lineOfExp = fn.source.text.split("\n").findIndex((l) => l.includes("Math.exp(x)")) + 1;
    expect(resolve(script, map, "Math.exp(x)").every((at) => at === `f.js:${lineOfExp}`)).toBe(true);
    expect(resolve(script, map, "Math.exp(x)").length).toBeGreaterThan(0);
  });
});
