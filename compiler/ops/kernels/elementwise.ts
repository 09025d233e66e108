// Elementwise kernels: y[i] = f(x[i]) (or f(a[i], b[i])) for i < n. Their rules are
// loops over the op table's scalar ops, so derivative code stays differentiable.
import type { Builder } from "../../ir/builder.js";
import type { Temp } from "../../ir/types.js";
import { addAt, emitKernel, hold, kernel, loop, type RuleCtx } from "./record.js";

const N = (r: RuleCtx) => r.num("n");
const SAMPLE = { sizes: { out: 7, x: 7 }, nums: { n: 7 } };

/**
 * A unary kernel `(out, x, n, ...options)` with derivative `d(b, x[i], y[i], options)`.
 * `from` says which of x[i] and y[i] the derivative reads ("y" lets in-place calls
 * avoid saving x).
 */
function unary(name: string, from: "x" | "y", d: (b: Builder, x: Temp, y: Temp, opts: Temp[]) => Temp, extra: string[] = [], range?: [number, number]): void {
  /** For each i < n: `body(b, i, σ′ at entry i)`. */
  const eachDerivative = (r: RuleCtx, body: (b: Builder, i: Temp, derivative: Temp) => void) => {
    const opts = extra.map((e) => hold(r.b, r.num(e.split(/[:=\s]/)[0]), "opt"));
    loop(r.b, N(r), (b, i) => {
      const x = from === "x" ? b.load(r.arr("x"), i) : b.num(NaN);
      const y = from === "y" ? b.load(r.out(), i) : b.num(NaN);
      body(b, i, d(b, x, y, opts.map((o) => b.get(o))));
    });
  };
  kernel({
    name, sig: ["x: arr", "n", ...extra].join(", "), diff: ["x"], size: N, inPlace: "x",
    sample: { ...SAMPLE, nums: { n: 7 }, ranges: range ? { x: range } : undefined },
    vjp: (r) => eachDerivative(r, (b, i, dy) => addAt(b, r.bar("x")!, i, b.op("mul", b.load(r.g!, i), dy), !r.overwrite)),
    jvp: (r) => eachDerivative(r, (b, i, dy) => b.store(r.outDot!, i, b.op("mul", dy, b.load(r.dot("x")!, i)))),
  });
}

const one = (b: Builder) => b.num(1);
const step = (b: Builder, cond: Temp) => b.op("select", cond, b.num(1), b.num(0));

unary("exp", "y", (_b, _x, y) => y);
unary("log", "x", (b, x) => b.op("div", one(b), x), [], [0.2, 3]);
// relu'(0) = 0 (documented convention).
unary("relu", "y", (b, _x, y) => step(b, b.op("gt", y, b.num(0))));
unary("leakyRelu", "x", (b, x, _y, [alpha]) => b.op("select", b.op("gt", x, b.num(0)), b.num(1), alpha), ["alpha = 0.01"]);
unary("sigmoid", "y", (b, _x, y) => b.op("mul", y, b.op("sub", one(b), y)));
unary("tanh", "y", (b, _x, y) => b.op("sub", one(b), b.op("mul", y, y)));
// softplus' = sigmoid(x) = 1 / (1 + exp(-x)).
unary("softplus", "x", (b, x) => b.op("div", one(b), b.op("add", one(b), b.op("exp", b.op("neg", x)))));
const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;
// The derivative of the tanh approximation the runtime computes.
unary("gelu", "x", (b, x) => {
  const x2 = b.op("mul", x, x);
  const t = b.op("tanh", b.op("mul", b.num(GELU_C), b.op("add", x, b.op("mul", b.num(GELU_A), b.op("mul", x2, x)))));
  const half = b.op("mul", b.num(0.5), b.op("add", one(b), t));
  const sech2 = b.op("sub", one(b), b.op("mul", t, t));
  const inner = b.op("add", one(b), b.op("mul", b.num(3 * GELU_A), x2));
  return b.op("add", half, b.op("mul", b.op("mul", b.op("mul", b.num(0.5 * GELU_C), x), sech2), inner));
});

/** A binary kernel `(out, a, b, n)` with partials `pa`, `pb` at a[i], b[i]. */
function binary(name: string, pa: (b: Builder, x: Temp, y: Temp) => Temp, pb: (b: Builder, x: Temp, y: Temp) => Temp, range?: [number, number]): void {
  kernel({
    name, sig: "a: arr, b: arr, n", diff: ["a", "b"], size: N, inPlace: "a", aliases: ["a", "b"],
    sample: { sizes: { out: 6, a: 6, b: 6 }, nums: { n: 6 }, ranges: range ? { b: range } : undefined },
    vjp: (r) => {
      const abar = r.bar("a"), bbar = r.bar("b");
      loop(r.b, N(r), (b, i) => {
        const x = b.load(r.arr("a"), i), y = b.load(r.arr("b"), i), g = b.load(r.g!, i);
        if (abar) addAt(b, abar, i, b.op("mul", g, pa(b, x, y)), !r.overwrite);
        if (bbar) addAt(b, bbar, i, b.op("mul", g, pb(b, x, y)));
      });
    },
    jvp: (r) => {
      const da = r.dot("a"), db = r.dot("b");
      loop(r.b, N(r), (b, i) => {
        const x = b.load(r.arr("a"), i), y = b.load(r.arr("b"), i);
        const ta = da && b.op("mul", pa(b, x, y), b.load(da, i));
        const tb = db && b.op("mul", pb(b, x, y), b.load(db, i));
        b.store(r.outDot!, i, b.sum(ta, tb)!);
      });
    },
  });
}

binary("add", (b) => b.num(1), (b) => b.num(1));
binary("sub", (b) => b.num(1), (b) => b.num(-1));
binary("mul", (_b, _x, y) => y, (_b, x) => x);
binary("div", (b, _x, y) => b.op("div", b.num(1), y), (b, x, y) => b.op("neg", b.op("div", x, b.op("mul", y, y))), [0.5, 2]);

// out = s·x (+ out when accumulating): linear in x, and in s.
kernel({
  name: "scale", sig: "x: arr, s, n", accumulate: true, diff: ["x", "s"], size: N, inPlace: "x",
  sample: { sizes: { out: 5, x: 5 }, nums: { s: 1.5, n: 5 } },
  vjp: (r) => {
    if (r.activeNum("s")) r.addNum("s", emitKernel(r.b, "dot", [r.g!, r.arr("x"), N(r)])!);
    const xbar = r.bar("x");
    if (xbar) emitKernel(r.b, "scale", [xbar, r.g!, r.num("s"), N(r)], !r.overwrite);
  },
  jvp: (r) => {
    const dx = r.dot("x"), ds = r.dotNum("s");
    if (dx) emitKernel(r.b, "scale", [r.outDot!, dx, r.num("s"), N(r)], r.call.accumulate);
    if (ds) emitKernel(r.b, "scale", [r.outDot!, r.arr("x"), ds, N(r)], r.call.accumulate || !!dx);
  },
});

// out = x (+ out when accumulating).
kernel({
  name: "copy", sig: "x: arr, n", accumulate: true, diff: ["x"], size: N, inPlace: "x",
  sample: { sizes: { out: 5, x: 5 }, nums: { n: 5 } },
  vjp: (r) => { if (!r.overwrite) emitKernel(r.b, "copy", [r.bar("x")!, r.g!, N(r)], true); },
  jvp: (r) => { emitKernel(r.b, "copy", [r.outDot!, r.dot("x")!, N(r)], r.call.accumulate); },
});
