// Refusals: each unsupported construct throws a GradcError that names it and points
// at it. Positions are 1-based line/column within the text of the function that
// contains the construct (its `toString()`, which is what the runtime path parses),
// computed here from that text so they survive the test runner's reformatting.
import { describe, expect, test } from "vitest";
import { GradcError } from "../compiler/errors.js";
import { grad } from "../index.js";

type Fn = (...args: any[]) => unknown;
const gradOf = grad as unknown as (f: Fn, opts?: { functions?: Record<string, Function> }) => Fn;

/** Position of the `nth` match of `needle` in `fn`'s source text; a string needle must be unique unless `nth` is given. */
function at(fn: Function, needle: string | RegExp, nth?: number): { line: number; column: number } {
  const text = fn.toString();
  const offsets: number[] = [];
  if (typeof needle === "string") {
    for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) offsets.push(i);
  } else {
    for (const m of text.matchAll(new RegExp(needle.source, needle.flags.includes("g") ? needle.flags : needle.flags + "g"))) {
      offsets.push(m.index);
    }
  }
  if (offsets.length === 0) throw new Error(`test bug: ${needle} not found in\n${text}`);
  if (nth === undefined && offsets.length > 1) throw new Error(`test bug: ${needle} is ambiguous in\n${text}`);
  const offset = offsets[nth ?? 0];
  if (offset === undefined) throw new Error(`test bug: no match #${nth} of ${needle}`);
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

/** Calls grad(fn, opts)(...args) and returns the GradcError it must throw. */
function refusal(fn: Fn, args: unknown[], opts?: { functions?: Record<string, Function> }): GradcError {
  let thrown: unknown;
  try {
    gradOf(fn, opts)(...args);
  } catch (e) {
    thrown = e;
  }
  if (thrown === undefined) throw new Error(`expected a GradcError, but grad(${fn.name || "fn"}) succeeded`);
  expect(thrown).toBeInstanceOf(GradcError);
  return thrown as GradcError;
}

function expectRefused(
  err: GradcError,
  names: RegExp,
  position: { line: number; column: number },
): void {
  // `detail` is the message without the code frame (which quotes the source anyway).
  expect(err.detail, `message: ${err.message}`).toMatch(names);
  expect(err.message).toContain(err.detail);
  expect(err.position, `message: ${err.message}`).toEqual(position);
}

const v3 = () => new Float64Array([0.5, -1, 2]);

// Module-level state and helpers that the runtime path cannot see.
let scale = 2;
function softclip(t: number): number {
  return t / (1 + Math.abs(t));
}
function ping(x: number, n: number): number {
  return n <= 0 ? x : pong(x * 0.5, n - 1);
}
function pong(x: number, n: number): number {
  return n <= 0 ? x : ping(x + 1, n - 1);
}

describe("refused constructs", () => {
  test("Math.random", () => {
    const noisy = (x: number) => x * Math.random();
    expectRefused(refusal(noisy, [1]), /Math\.random/, at(noisy, "Math.random"));
  });

  test("string literal", () => {
    function label(x: number) {
      const s = "loss" + x;
      return s.length * x;
    }
    expectRefused(refusal(label, [1]), /string/i, at(label, '"loss"'));
  });

  test("template string", () => {
    function templ(x: number) {
      const s = `${x}`;
      return s.length * x;
    }
    expectRefused(refusal(templ, [1]), /template|string/i, at(templ, "`", 0));
  });

  test("call of an unknown function points at opts.functions", () => {
    const loss = (x: number) => softclip(x) * 2;
    const err = refusal(loss, [1]);
    expectRefused(err, /softclip/, at(loss, "softclip"));
    expect(err.detail).toMatch(/opts\.functions/);
  });

  test("direct recursion of the differentiated function", () => {
    function power(x: number, n: number): number {
      return n <= 0 ? 1 : x * power(x, n - 1);
    }
    expectRefused(refusal(power, [1.5, 3]), /recursion|recursive|calls itself/i, at(power, "power(", 1));
  });

  test("direct recursion of a nested function", () => {
    function halve(x: number) {
      function down(t: number, n: number): number {
        return n <= 0 ? t : down(t * 0.5, n - 1);
      }
      return down(x, 3);
    }
    expectRefused(refusal(halve, [1]), /recursion|recursive|calls itself/i, at(halve, "down(", 1));
  });

  test("mutual recursion through opts.functions", () => {
    const loss = (x: number) => ping(x, 4);
    const err = refusal(loss, [1], { functions: { ping, pong } });
    // loss -> ping -> pong -> ping: the cycle closes at pong's call of ping
    expect(err.file).toContain("pong");
    expectRefused(err, /recursion|recursive|calls itself/i, at(pong, "ping("));
  });

  test("closure over module state", () => {
    const scaled = (x: number) => x * scale;
    scale = 3;
    expectRefused(refusal(scaled, [1]), /scale/, at(scaled, "scale"));
  });

  test("closure over an enclosing function's variable", () => {
    function makeLoss() {
      let k = 3;
      k += 1;
      return (x: number) => x * x * k;
    }
    const loss = makeLoss();
    expectRefused(refusal(loss, [1]), /\bk\b/, at(loss, /\bk\b/));
  });

  test("object literal with a getter", () => {
    function obj(x: number) {
      const o = { get a() { return x; } };
      return o.a * 2;
    }
    expectRefused(refusal(obj, [1]), /object literal's properties are read here as/, at(obj, "get a"));
  });

  test("spread element making an Array of run-time length mixing numbers and arrays", () => {
    function arr(x: Float64Array) {
      const v = [[1], ...x];
      return v.length;
    }
    expectRefused(refusal(arr, [Float64Array.of(1, 2)]), /spread element/i, at(arr, "..."));
  });

  test.each([
    ["Array", (n: number) => new Array(3, 4).length * n],
    ["Map", (n: number) => new Map().size * n],
    ["Int32Array", (n: number) => new Int32Array(3).length * n],
  ])("new %s", (ctor, fn) => {
    expectRefused(refusal(fn, [1]), new RegExp(`new ${ctor}\\b`), at(fn, "new"));
  });

  test("assignment to a parameter object's field", () => {
    function setField(p: { b: number; w: Float64Array }) {
      p.b = 2 * p.w[0];
      return p.b * p.w[1];
    }
    const err = refusal(setField, [{ b: 1, w: v3() }]);
    expectRefused(err, /field/i, at(setField, /p\.b\s*=[^=]/));
  });

  test("plain Array parameter with a string element", () => {
    function total(values: number[]) {
      let s = 0;
      for (let i = 0; i < values.length; i++) s += values[i] * values[i];
      return s;
    }
    expectRefused(refusal(total, [[1, "2", 3]]), /an Array whose element \[1\] is a string/, at(total, "values", 0));
  });

  test("labeled break", () => {
    function pairs(x: Float64Array) {
      let s = 0;
      outer: for (let i = 0; i < x.length; i++) {
        for (let j = 0; j < x.length; j++) {
          if (x[i] * x[j] > 1) break outer;
          s += x[i] * x[j];
        }
      }
      return s;
    }
    expectRefused(refusal(pairs, [v3()]), /label/i, at(pairs, "outer:"));
  });

  test("try/catch", () => {
    function guarded(x: number) {
      let s = 0;
      try {
        s = Math.log(x);
      } catch {
        s = 0;
      }
      return s;
    }
    expectRefused(refusal(guarded, [2]), /try/, at(guarded, "try"));
  });

  test("class", () => {
    function withClass(x: number) {
      class Box {}
      return x * 2 + (Box ? 0 : 1);
    }
    expectRefused(refusal(withClass, [1]), /class/i, at(withClass, "class"));
  });

  test("async function", () => {
    async function later(x: number) {
      return x * (await x);
    }
    expectRefused(refusal(later, [1]), /async/i, { line: 1, column: 1 });
  });

  test("async arrow", () => {
    const later = async (x: number) => x * 2;
    expectRefused(refusal(later, [1]), /async/i, { line: 1, column: 1 });
  });

  test("generator", () => {
    function* steps(x: number) {
      yield x;
      return x * 2;
    }
    expectRefused(refusal(steps, [1]), /generator/i, { line: 1, column: 1 });
  });

  test("arguments", () => {
    function first(x: number) {
      return arguments[0] * x;
    }
    expectRefused(refusal(first, [1]), /arguments/, at(first, "arguments"));
  });

  test("this", () => {
    const fn = function (this: { k: number } | undefined, x: number) {
      return this ? this.k * x : x;
    };
    expectRefused(refusal(fn, [1]), /\bthis\b/i, at(fn, "this", 0));
  });

  test("optional chaining", () => {
    function opt(p: { w: Float64Array }) {
      return p?.w[0] * 2;
    }
    expectRefused(refusal(opt, [{ w: v3() }]), /optional/i, at(opt, "p?.w"));
  });

  test("typed-array method other than .length / .fill", () => {
    function idx(x: Float64Array) {
      return x.indexOf(2) * x[0];
    }
    expectRefused(refusal(idx, [v3()]), /indexOf/, at(idx, "x.indexOf"));
  });

  test("typed-array method taking a callback, other than map, forEach, reduce, reduceRight, some, every, filter", () => {
    function found(x: Float64Array) {
      return x.findIndex((v) => v > 1) * x[0];
    }
    expectRefused(refusal(found, [v3()]), /findIndex.*Supported:.*\.map, \.forEach, \.reduce/, at(found, "x.findIndex"));
  });

  test("reduce without an initial value (it throws on an empty array)", () => {
    function product(x: Float64Array) {
      return x.reduce((p, v) => p * v);
    }
    expectRefused(refusal(product, [v3()]), /without an initial value throws on an empty array.*Give the initial value/, at(product, "x.reduce"));
  });

  test("method call on a number", () => {
    function digits(w: number) {
      return w.toFixed(2).length * w;
    }
    expectRefused(refusal(digits, [1.5]), /toFixed/, at(digits, "w.toFixed"));
  });

  test("delete", () => {
    function drop(p: any) {
      delete p.tmp;
      return p.b * 2;
    }
    expectRefused(refusal(drop, [{ b: 1, tmp: 2 }]), /delete/, at(drop, "delete"));
  });

  test("typeof", () => {
    function check(x: number) {
      return typeof x === "number" ? x * x : 0;
    }
    expectRefused(refusal(check, [1]), /typeof/, at(check, "typeof"));
  });

  test("in", () => {
    function has(x: Float64Array) {
      return 0 in x ? x[0] : 1;
    }
    expectRefused(refusal(has, [v3()]), /'in'|\bin\b/, at(has, "0 in x"));
  });

  test("instanceof", () => {
    function isF64(x: Float64Array) {
      return x instanceof Float64Array ? x[0] : 1;
    }
    expectRefused(refusal(isF64, [v3()]), /instanceof/, at(isF64, "x instanceof"));
  });
});
