// `wrt` means the same on every path: the run-time API, a build-time site compiled by
// compileModule from an in-memory source, and a derivative called inside differentiated
// code. One resolver answers all three; so does one schedule check for `checkpoint`.
import { describe, expect, it } from "vitest";
import { compileModule } from "../compiler/compile-module.js";
import { GradcError } from "../compiler/errors.js";
import { grad } from "../index.js";

const noFiles = { readFile: () => undefined };

/** What the build path says about `grad(f, { wrt })` in a module it reads from memory. */
async function built(wrt: string): Promise<string> {
  const text = `import { grad } from "gradc";\nexport function f(x: number, y: number) { return x * x * y; }\nexport const g = grad(f, { wrt: ${wrt} });\n`;
  const out = await compileModule(text, "/virtual/m.ts", { host: noFiles, format: false });
  return out.diagnostics.length ? out.diagnostics[0].detail : `ok ${out.sites[0].request.wrt.join(",")}`;
}

/** What the run-time API says about `grad(f, { wrt })`. */
function runtime(wrt: unknown): string {
  function f(x: number, y: number) {
    return x * x * y;
  }
  try {
    grad(f, { wrt } as never)(2, 3);
    return "ok";
  } catch (e) {
    return e instanceof GradcError ? e.detail : String(e);
  }
}

/** What lowering says about a derivative with that wrt called inside differentiated code. */
function nested(wrt: string): string {
  const text = `function outer(x, y) { return grad(f, { wrt: ${wrt} })(x, y); }`;
  function f(x: number, y: number) {
    return x * x * y;
  }
  const outer = new Function("grad", "f", `return ${text}`)(grad, f) as (x: number, y: number) => number;
  try {
    grad(outer, { functions: { f } })(2, 3);
    return "ok";
  } catch (e) {
    return e instanceof GradcError ? e.detail : String(e);
  }
}

const BAD: [string, unknown, string][] = [
  ['"zz"', "zz", 'wrt "zz" is not a parameter of f (its parameters: x, y; give a name or an index from 0).'],
  ["5", 5, "wrt 5 is not a parameter of f (its parameters: x, y; give a name or an index from 0)."],
  ['["x", 0]', ["x", 0], "wrt lists 'x' twice (\"x\" and 0); list each parameter once."],
  ["[]", [], "wrt is an empty list."],
];

describe("one wrt resolver for every path", () => {
  it.each(BAD)("wrt: %s is refused with the same words everywhere", async (text, value, message) => {
    expect(await built(text)).toContain(message);
    expect(runtime(value)).toContain(message);
    expect(nested(text)).toContain(message);
  });

  it("names and indices resolve alike", async () => {
    expect(await built('"y"')).toBe("ok 1");
    expect(await built('[1, "x"]')).toBe("ok 1,0");
    expect(runtime("y")).toBe("ok");
    expect(nested('"y"')).toBe("ok");
  });

  it("the checkpoint option is checked by the same rule on both paths", async () => {
    const text = 'import { grad } from "gradc";\nexport function f(x: number) { return x * x; }\nexport const g = grad(f, { checkpoint: { snapshots: 0 } });\n';
    const out = await compileModule(text, "/virtual/c.ts", { host: noFiles, format: false });
    const message = 'checkpoint must be "sqrt", "binomial" or { snapshots: k } with an integer k >= 1, not {"snapshots":0}.';
    expect(out.diagnostics[0]?.detail).toContain(message);
    expect(() => grad((x: number) => x * x, { checkpoint: { snapshots: 0 } })).toThrow(message);
  });
});
