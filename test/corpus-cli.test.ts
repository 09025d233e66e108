// Every corpus loss through the build-time path: request-site modules importing the corpus
// functions are written to a temporary directory, `build` (what `gradc build` runs) turns them
// into `.grad.ts` modules, and those are imported and checked against the functions, central
// differences and the run-time path.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { build, type BuildResult } from "../compiler/build.js";
import { valueAndGrad } from "../index.js";
import { maxRelError, numericGradient, relError } from "../runtime/numeric.js";
import { paramIndex, wrtKeys } from "./corpus/params.js";
import { cases, type CorpusCase, type WrtKey } from "./corpus/index.js";
import { makeRng, seedOf } from "./corpus/rng.js";

const POINTS = 3;
/** As in test/corpus.test.ts: float64 gradients vs. central differences. */
const TOL64 = 1e-5;
/** As in test/corpus.test.ts: single-precision data (see the reasoning there). */
const TOL32 = 1e-3;
/** Generated value vs. calling the function (float32 cases: as in test/corpus.test.ts). */
const VALUE_TOL64 = 1e-12;
const VALUE_TOL32 = 1e-6;
/** Generated gradient vs. the run-time path's gradient. */
const SAME_TOL = 1e-12;

type Fn = (...args: any[]) => unknown;
type VgFn = (...args: unknown[]) => [number, unknown];
const runtimeValueAndGrad = valueAndGrad as unknown as (f: Fn, opts?: { wrt?: WrtKey | WrtKey[]; functions?: Record<string, Function> }) => VgFn;

const root = path.resolve(".");
const runtime = path.resolve("runtime/index.ts");
const dir = mkdtempSync(path.join(tmpdir(), "gradc-corpus-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const exportName = (c: CorpusCase) => `${c.name}_vg`;

/** Corpus cases grouped by their source file (relative to the repository root). */
function byFile(): Map<string, CorpusCase[]> {
  const groups = new Map<string, CorpusCase[]>();
  for (const c of cases) groups.set(c.file, [...(groups.get(c.file) ?? []), c]);
  return groups;
}

/** A module of request sites for the cases of one corpus file; `opts.functions` is left out on purpose. */
function sitesModule(file: string, group: CorpusCase[], sitesPath: string): string {
  let spec = path.relative(path.dirname(sitesPath), path.join(root, file)).split(path.sep).join("/").replace(/\.ts$/, ".js");
  if (!spec.startsWith(".")) spec = `./${spec}`;
  const lines = [
    `// Request sites for ${file}, written by test/corpus-cli.test.ts.`,
    `import { valueAndGrad } from "gradc";`,
    `import { ${group.map((c) => c.name).join(", ")} } from ${JSON.stringify(spec)};`,
    "",
    ...group.map((c) => {
      const opts = c.wrt === undefined ? "" : `, { wrt: ${JSON.stringify(c.wrt)} }`;
      return `export const ${exportName(c)} = valueAndGrad(${c.name}${opts});`;
    }),
  ];
  return lines.join("\n") + "\n";
}

let result: BuildResult;
const generated = new Map<string, VgFn>();

beforeAll(async () => {
  const inputs: string[] = [];
  for (const [file, group] of byFile()) {
    const sitesPath = path.join(dir, `${path.basename(file, ".ts")}.sites.ts`);
    writeFileSync(sitesPath, sitesModule(file, group, sitesPath));
    inputs.push(sitesPath);
  }
  result = await build(inputs, { runtimeImport: runtime });
  for (const m of result.built) {
    const mod = (await import(m.output)) as Record<string, VgFn>;
    for (const name of m.exports) generated.set(name, mod[name]);
  }
}, 60_000);




/** Deep copy of an argument list (numbers, typed arrays, objects of them). */
function copyArgs(args: unknown[]): unknown[] {
  const copy = (v: unknown): unknown => {
    if (ArrayBuffer.isView(v)) return (v as Float64Array).slice();
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copy(x)]));
    return v;
  };
  return args.map(copy);
}

describe("gradc build over the corpus", () => {
  test("builds one module per corpus file with a site for every case", () => {
    expect(result.failures.map((f) => `${f.file}: ${(f.error as Error).message ?? f.error}`)).toEqual([]);
    expect(result.built).toHaveLength(byFile().size);
    expect([...generated.keys()].sort()).toEqual(cases.map(exportName).sort());
  });
});

describe.each(cases)("corpus via gradc build: $name", (c) => {
  test("value equals fn(...args); gradient matches central differences and the run-time path", () => {
    const gen = generated.get(exportName(c));
    expect(gen, `${exportName(c)} was not generated`).toBeTypeOf("function");
    const keys = wrtKeys(c);
    const list = Array.isArray(c.wrt);
    const atRuntime = runtimeValueAndGrad(c.fn, { wrt: c.wrt ?? 0, functions: c.functions });
    for (let k = 0; k < POINTS; k++) {
      const args = c.makeArgs(makeRng(seedOf(c.name, k)));
      const before = copyArgs(args);
      const [value, g] = gen!(...args);

      const want = c.fn(...copyArgs(args));
      expect(typeof value).toBe("number");
      expect(relError(value, want), `${c.name}: value ${value} vs ${want}`).toBeLessThanOrEqual(c.float32 ? VALUE_TOL32 : VALUE_TOL64);

      const grads = list ? (g as unknown[]) : [g];
      if (list) expect(Array.isArray(g) && grads.length === keys.length, `${c.name}: a list of ${keys.length} gradients`).toBe(true);
      keys.forEach((key, j) => {
        const err = maxRelError(grads[j], numericGradient(c.fn, args, paramIndex(c.fn, key)));
        expect(err, `${c.name} wrt ${key}: relative error ${err.toExponential(2)}`).toBeLessThan(c.float32 ? TOL32 : TOL64);
      });

      const [rtValue, rtGrad] = atRuntime(...args);
      expect(relError(value, rtValue), `${c.name}: value vs run-time path`).toBeLessThanOrEqual(SAME_TOL);
      const same = maxRelError(g, rtGrad);
      expect(same, `${c.name}: gradient vs run-time path ${same.toExponential(2)}`).toBeLessThanOrEqual(SAME_TOL);

      // the generated derivative must not write its arguments
      expect(maxRelError(args, before)).toBe(0);
    }
  });
});
