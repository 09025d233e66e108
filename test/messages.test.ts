// Messages for bad input (issue 9): syntax errors are reported as syntax errors, with
// the parser's own text, file:line:col and a code frame, on the run-time path and on the
// CLI (exit 1); refusals raised after lowering (in the reverse transform) are GradcErrors
// pointing at the statement; a missing argument and a property of a number say what is wrong.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../compiler/cli.js";
import { parseFunctionText } from "../compiler/parse/acorn.js";
import * as gradc from "../index.js";
import { maxRelError, numericGradient } from "../runtime/numeric.js";
import { gradRefusal, thrownGradcError } from "./thrown.js";

type Fn = (...args: any[]) => any;
const grad = gradc.grad as unknown as (f: Fn, o?: object) => Fn;

const created: string[] = [];
afterAll(() => created.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** Writes the files into a fresh directory; returns its path. */
function writeFiles(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "gradc-messages-"));
  created.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = { stdout: "", stderr: "", out: (t: string) => void (io.stdout += t), err: (t: string) => void (io.stderr += t) };
  const code = await main(argv, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

/** Line/column (1-based) of the `nth` occurrence of `needle` in `text`. */
function at(text: string, needle: string, nth = 0): { line: number; column: number } {
  let offset = -1;
  for (let k = 0; k <= nth; k++) offset = text.indexOf(needle, offset + 1);
  if (offset < 0) throw new Error(`test bug: ${needle} not in ${text}`);
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

const thrown = thrownGradcError;

/** The caret line under `column` in a code frame. */
const caret = (column: number) => new RegExp(`\\n\\s+\\| ${" ".repeat(column - 1)}\\^`);

describe("syntax errors: run-time front-end (acorn)", () => {
  const cases: [string, string, string][] = [
    ["x * * 2 in an arrow", "(x) => {\n  const y = x * * 2;\n  return y;\n}", "* 2"],
    ["x +; in a function", "function loss(x) {\n  let s = x;\n  return x +;\n}", ";\n}"],
    ["x +; in a method", "loss(x) {\n  return x +;\n}", ";\n}"],
    ["an expression body", "(x) => x * * 2", "* 2"],
  ];
  it.each(cases)("%s", (_, text, needle) => {
    const err = thrown(() => parseFunctionText(text, "loss"));
    const pos = at(text, needle);
    expect(err.construct).toBe("syntax error");
    expect(err.detail).toBe("Syntax error: Unexpected token.");
    expect(err.position).toEqual(pos);
    expect(err.file).toBe("<function loss>");
    expect(err.message).toContain(`<function loss>:${pos.line}:${pos.column}: Syntax error: Unexpected token.`);
    const line = text.split("\n")[pos.line - 1];
    expect(err.frame).toContain(`> ${pos.line} | ${line}`);
    expect(err.frame).toMatch(caret(pos.column));
    expect(err.message).not.toMatch(/defined outside/);
  });
});

describe("syntax errors: CLI (TypeScript front-end)", () => {
  const MUL = `import { grad } from "gradc";

export function loss(x: number): number {
  const y = x * * 2;
  return y;
}

export const lossGrad = grad(loss);
`;
  const PLUS = `import { grad } from "gradc";

export function loss(x: number): number {
  return x +;
}

export const lossGrad = grad(loss);
`;
  const dir = writeFiles({ "mul.ts": MUL, "plus.ts": PLUS });

  it.each([
    ["mul.ts", MUL, "* 2"],
    ["plus.ts", PLUS, ";\n}"],
  ])("%s: show and build exit 1 with the parser's message, position and frame", async (name, text, needle) => {
    const file = path.join(dir, name);
    const pos = at(text, needle);
    const line = text.split("\n")[pos.line - 1];
    for (const argv of [["show", file, "loss"], ["build", file]]) {
      const { code, stdout, stderr } = await cli(argv);
      expect(code, argv.join(" ")).toBe(1);
      expect(stdout).toBe("");
      expect(stderr).toContain(`${name}:${pos.line}:${pos.column}: Syntax error: Expression expected.`);
      expect(stderr).toContain(`> ${pos.line} | ${line}`);
      expect(stderr).toMatch(caret(pos.column));
      expect(stderr).not.toMatch(/defined outside/);
    }
  });
});

describe("refusals from the reverse transform carry file:line:col and a frame", () => {
  it("run-time: a checkpoint(fn) function returning an array it creates", () => {
    const makes = gradc.checkpoint(function makes(x: Float64Array): Float64Array {
      const y = new Float64Array(x.length);
      for (let i = 0; i < x.length; i++) y[i] = Math.sin(x[i]);
      return y;
    });
    function f(x: Float64Array): number {
      const y = makes(x);
      return y[0] + y[1];
    }
    const err = thrown(() => grad(f, { functions: { makes } })(new Float64Array([0.1, 0.2, 0.3])));
    const text = f.toString();
    const pos = at(text, "makes(x)");
    expect(err.detail).toMatch(/^A checkpoint\(fn\) function creates the array 'y' that is used after it; checkpointing cannot recompute it\. Allocate the array before/);
    expect(err.file).toBe("<function f>");
    expect(err.position).toEqual(pos);
    expect(err.frame).toContain(`> ${pos.line} | ${text.split("\n")[pos.line - 1]}`);
    expect(err.frame).toMatch(caret(pos.column));
  });

  it("CLI: the same refusal from show and build, exit 1", async () => {
    const text = `import { grad, checkpoint } from "gradc";

const makes = checkpoint(function makes(x: Float64Array): Float64Array {
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = Math.sin(x[i]);
  return y;
});

export function f(x: Float64Array): number {
  const y = makes(x);
  return y[0] + y[1];
}

export const g = grad(f);
`;
    const dir = writeFiles({ "escape.ts": text });
    const file = path.join(dir, "escape.ts");
    const pos = at(text, "makes(x)");
    for (const argv of [["show", file, "f"], ["build", file]]) {
      const { code, stderr } = await cli(argv);
      expect(code, argv.join(" ")).toBe(1);
      expect(stderr).toContain(`escape.ts:${pos.line}:${pos.column}: A checkpoint(fn) function creates the array 'y'`);
      expect(stderr).toContain(`> ${pos.line} |   const y = makes(x);`);
      expect(stderr).toMatch(caret(pos.column));
      expect(stderr).not.toMatch(/^gradc: /m);
    }
  });
});

describe("misleading messages", () => {
  it("a property of a number names the variable and says it is a number", () => {
    const fn = (w: any) => w.length * w[0];
    const err = thrown(() => grad(fn)(3));
    expect(err.detail).toBe("'w' is a number here, and a number has no property .length. If 'w' should be an array, pass a Float64Array or Float32Array.");
    expect(err.position).toEqual(at(fn.toString(), "w.length"));
  });

  it("a derivative's target reading a growing Array of the loss says so (not that it is defined outside)", () => {
    const fn = (x: Float64Array) => {
      const z: number[] = [];
      for (let i = 0; i < x.length; i++) z.push(x[i] * 2);
      const h = (t: number) => t * z[0];
      return gradc.grad(h)(x[0]);
    };
    const err = thrown(() => grad(fn)(new Float64Array([1, 2])));
    expect(err.detail).toBe("'h' is differentiated here and reads 'z', an Array that grows by push, of the code around it: the derivative code of 'h' takes what it reads as whole arrays, and gradc keeps such an Array as a range of a larger buffer, with room to grow, not whole arrays. Copy it where 'h' is declared (const zCopy = z.slice(), after the last push) and read the copy, or pass it to 'h' as an argument.");
    expect(err.position).toEqual(at(fn.toString(), "z[0]"));
  });

  it("a derivative's target reading a view of the loss says so", () => {
    const fn = (x: Float64Array) => {
      const v = x.subarray(1, 2);
      const h = (t: number) => t * v[0];
      return gradc.grad(h)(x[0]);
    };
    const err = thrown(() => grad(fn)(new Float64Array([1, 2])));
    expect(err.detail).toMatch(/^'h' is differentiated here and reads 'v', a view \(made by \.subarray\(\)\), of the code around it: [^]*gradc resolves views as ranges of the array they view[^]*Copy it where 'h' is declared \(const vCopy = v\.slice\(\)\) and read the copy, or pass it to 'h' as an argument\.$/);
    expect(err.position).toEqual(at(fn.toString(), "v[0]"));
  });

  it("reading past the pushes of a list grown in a loop gradc does not unroll says why it has so few elements", () => {
    const fn = (x: Float64Array) => {
      const h: Float64Array[] = [];
      for (let i = 0; i < x.length; i++) h.push(new Float64Array([x[i], 2 * x[i]]));
      return h[2][1];
    };
    const err = thrown(() => grad(fn)(new Float64Array([1, 2, 3])));
    expect(err.detail).toMatch(/^h\[2\] reads past the end of 'h', an Array of arrays or objects that has 1 element when gradc compiles: gradc counts its pushes \(line 3\) as it compiles, each once, and a push inside a loop it does not unroll \(one that runs a number of times known only at run time\) or in a branch adds one element however often it runs\. Loop a constant number of times/);
    expect(err.position).toEqual(at(fn.toString(), "2][1]"));
  });
});

describe("missing arguments (lowering)", () => {
  it("names the missing parameter, the parameters and the count", async () => {
    const { lowerFunction } = await import("../compiler/lower/index.js");
    const text = "(x, y) => x * y";
    const fn = parseFunctionText(text, "f");
    const err = thrown(() => lowerFunction(fn, [{ k: "num" }], () => undefined));
    expect(err.detail).toBe("Argument 'y' of f is missing (f takes x, y; got 1 argument). Pass every parameter.");
    expect(err.position).toEqual(at(text, "y"));
  });
});

describe("new of an array's own constructor", () => {
  // Written as a user of the run-time path writes it (JavaScript: TypeScript types x.constructor as Function).
  const doubled = new Function("return function doubled(x) { const y = new x.constructor(x.length); let s = 0; for (let i = 0; i < x.length; i++) { y[i] = x[i] * x[i]; s += y[i]; } return s; }")() as Fn;
  const boxed = new Function("return function boxed(x) { const o = new x.foo.Thing(2); return x[0]; }")() as Fn;

  it("allocates an array of x's element type, and differentiates through it", () => {
    for (const x of [Float64Array.of(0.5, -1.5, 2), Float32Array.of(0.5, -1.5, 2)]) {
      const g = grad(doubled)(x) as Float64Array | Float32Array;
      expect(g.constructor).toBe(x.constructor);
      expect([...g]).toEqual([...x].map((v) => 2 * v));
    }
    const x = Float64Array.of(0.3, -0.7, 1.1);
    expect(maxRelError(grad(doubled)(x), numericGradient(doubled, [x], 0))).toBeLessThan(1e-8);
  });

  it("names what it cannot construct, as written", () => {
    const err = gradRefusal(boxed, [Float64Array.of(1, 2)]);
    expect(err.message).toContain("Creating objects with new x.foo.Thing is not supported.");
    expect(err.message).toContain("new x.constructor(n)");
  });
});
