// Reductions and losses: full (returning a number) and per axis. Rules are loops:
// sum fans the adjoint out, the product sends each entry the product of the others
// (computed from prefix and suffix products, so zeros are exact), max/min send it
// to the first extreme entry (documented tie convention).
import type { Builder } from "../../ir/builder.js";
import type { Temp, Var } from "../../ir/types.js";
import { accumulator, addAt, addTo, emitKernel, hold, kernel, loop, loopDown, rowsLoop, type RuleCtx } from "./record.js";

const N = (r: RuleCtx) => r.num("n");
const VEC = { sizes: { x: 6 }, nums: { n: 6 } };
const MAT = { sizes: { out: 3, x: 6 }, nums: { rows: 2, cols: 3 } };

/** Adds `scale(b)·gs` to every entry of x̄ (sum and mean). */
function fanOut(r: RuleCtx, scale: (b: Builder, n: Temp) => Temp): void {
  const g = hold(r.b, r.b.op("mul", r.gs!, scale(r.b, N(r))), "g");
  const xbar = r.bar("x")!;
  loop(r.b, N(r), (b, i) => addAt(b, xbar, i, b.get(g)));
}

kernel({
  name: "sum", sig: "x: arr, n", out: false, returnsNumber: true, diff: ["x"], sample: VEC,
  vjp: (r) => fanOut(r, (b) => b.num(1)),
  jvp: (r) => emitKernel(r.b, "sum", [r.dot("x")!, N(r)]),
});
kernel({
  name: "mean", sig: "x: arr, n", out: false, returnsNumber: true, diff: ["x"], sample: VEC,
  vjp: (r) => fanOut(r, (b, n) => b.op("div", b.num(1), n)),
  jvp: (r) => emitKernel(r.b, "mean", [r.dot("x")!, N(r)]),
});

/** For each i: `each(b, i, others)` with others = Π_{j≠i} x[j], from prefix and suffix products. */
function productsOfOthers(r: RuleCtx, each: (b: Builder, i: Temp, others: Temp) => void): void {
  const x = r.arr("x");
  const prefix = r.b.newVar("prefix", x.type === "f32[]" ? "f64[]" : x.type);
  r.b.emit({ k: "alloc", v: prefix, n: N(r) });
  const p = accumulator(r.b, 1, "p");
  loop(r.b, N(r), (b, i) => {
    b.store(prefix, i, b.get(p));
    b.set(p, b.op("mul", b.get(p), b.load(x, i)));
  });
  const s = accumulator(r.b, 1, "suffix");
  loopDown(r.b, r.b.op("sub", N(r), r.b.num(1)), (b, i) => {
    each(b, i, b.op("mul", b.load(prefix, i), b.get(s)));
    b.set(s, b.op("mul", b.get(s), b.load(x, i)));
  });
}

kernel({
  name: "prod", sig: "x: arr, n", out: false, returnsNumber: true, diff: ["x"],
  sample: { ...VEC, ranges: { x: [0.5, 1.5] } },
  vjp: (r) => {
    const g = hold(r.b, r.gs!, "g");
    const xbar = r.bar("x")!;
    productsOfOthers(r, (b, i, others) => addAt(b, xbar, i, b.op("mul", b.get(g), others)));
  },
  jvp: (r) => {
    const t = accumulator(r.b, 0, "t");
    const dx = r.dot("x")!;
    productsOfOthers(r, (b, i, others) => addTo(b, t, b.op("mul", others, b.load(dx, i))));
    return r.b.get(t);
  },
});

/** Index of the first largest (sign 1) or smallest (sign -1) entry, in a var. */
function extremeAt(r: RuleCtx, sign: 1 | -1): Var {
  const x = r.arr("x");
  const at = accumulator(r.b, 0, "at");
  const best = hold(r.b, r.b.load(x, r.b.num(0)), "best");
  loop(r.b, N(r), (b, i, index) => {
    const better = b.op(sign > 0 ? "gt" : "lt", b.load(x, i), b.get(best));
    const then = b.nested((tb) => {
      const k = tb.get(index);
      tb.set(best, tb.load(x, k));
      tb.set(at, tb.get(index));
    });
    b.emit({ k: "if", cond: better, then, else: [] });
  });
  return at;
}

for (const [name, sign] of [["max", 1], ["min", -1]] as const) {
  kernel({
    name, sig: "x: arr, n", out: false, returnsNumber: true, diff: ["x"], sample: VEC,
    vjp: (r) => {
      const at = extremeAt(r, sign);
      const xbar = r.bar("x")!;
      const k = r.b.get(at);
      addAt(r.b, xbar, k, r.gs!);
    },
    jvp: (r) => r.b.load(r.dot("x")!, r.b.get(extremeAt(r, sign))),
  });
}

// mean_i (a[i] − b[i])².
kernel({
  name: "mse", sig: "a: arr, b: arr, n", out: false, returnsNumber: true, diff: ["a", "b"],
  sample: { sizes: { a: 5, b: 5 }, nums: { n: 5 } },
  vjp: (r) => {
    const s = hold(r.b, r.b.op("div", r.b.op("mul", r.b.num(2), r.gs!), N(r)), "s");
    const abar = r.bar("a"), bbar = r.bar("b");
    loop(r.b, N(r), (b, i) => {
      const d = b.op("mul", b.get(s), b.op("sub", b.load(r.arr("a"), i), b.load(r.arr("b"), i)));
      if (abar) addAt(b, abar, i, d);
      if (bbar) addAt(b, bbar, i, b.op("neg", d));
    });
  },
  jvp: (r) => {
    const t = accumulator(r.b, 0, "t");
    const da = r.dot("a"), db = r.dot("b");
    loop(r.b, N(r), (b, i) => {
      const diff = b.op("sub", b.load(r.arr("a"), i), b.load(r.arr("b"), i));
      const dd = da && db ? b.op("sub", b.load(da, i), b.load(db, i)) : da ? b.load(da, i) : b.op("neg", b.load(db!, i));
      addTo(b, t, b.op("mul", diff, dd));
    });
    return r.b.op("div", r.b.op("mul", r.b.num(2), r.b.get(t)), N(r));
  },
});

// Row sums (out: rows entries) and means; column means (out: cols entries).
function axisReduction(name: string, axis: 0 | 1, mean: boolean): void {
  const size = (r: RuleCtx) => r.num(axis === 0 ? "cols" : "rows");
  const factor = (b: Builder, r: RuleCtx) => (mean ? b.op("div", b.num(1), r.num(axis === 0 ? "rows" : "cols")) : b.num(1));
  kernel({
    name, sig: "x: arr, rows, cols", diff: ["x"], size, sample: { ...MAT, sizes: { out: axis === 0 ? 3 : 2, x: 6 } },
    vjp: (r) => {
      const f = hold(r.b, factor(r.b, r), "f");
      const xbar = r.bar("x")!;
      rowsLoop(r.b, r.num("rows"), r.num("cols"), (_rb, _i, cells) => cells((b, i, j, at) => {
        addAt(b, xbar, at, b.op("mul", b.get(f), b.load(r.g!, axis === 0 ? j : i)));
      }));
    },
    jvp: (r) => {
      const f = hold(r.b, factor(r.b, r), "f");
      const dx = r.dot("x")!;
      loop(r.b, size(r), (b, k) => b.store(r.outDot!, k, b.num(0)));
      rowsLoop(r.b, r.num("rows"), r.num("cols"), (_rb, _i, cells) => cells((b, i, j, at) => {
        addAt(b, r.outDot!, axis === 0 ? j : i, b.op("mul", b.get(f), b.load(dx, at)));
      }));
    },
  });
}
axisReduction("sumAxis1", 1, false);
axisReduction("meanAxis0", 0, true);
axisReduction("meanAxis1", 1, true);

// Per-axis max/min: out[run] = extreme of the run (a column for axis 0, a row for axis 1);
// the adjoint goes to the run's first extreme entry, as for the full max/min.
function axisExtreme(name: string, axis: 0 | 1, sign: 1 | -1): void {
  /** Runs, their length, and the index in x of entry t of run k. */
  const shape = (r: RuleCtx) => (axis === 0 ? [r.num("cols"), r.num("rows")] : [r.num("rows"), r.num("cols")]);
  const withExtreme = (r: RuleCtx, done: (b: Builder, run: Temp, at: Temp) => void) => {
    const x = r.arr("x");
    const cols = hold(r.b, r.num("cols"), "stride");
    const index = (b: Builder, k: Temp, t: Temp) => (axis === 0 ? b.op("add", b.op("mul", t, b.get(cols)), k) : b.op("add", b.op("mul", k, b.get(cols)), t));
    const [runs, len] = shape(r);
    rowsLoop(r.b, runs, len, (rb, kV, cells) => {
      const first = index(rb, rb.get(kV), rb.num(0));
      const at = hold(rb, first, "at");
      const best = hold(rb, rb.load(x, first), "best");
      cells((b, k, t) => {
        const q = hold(b, index(b, k, t), "q");
        const better = b.op(sign > 0 ? "gt" : "lt", b.load(x, b.get(q)), b.get(best));
        b.emit({ k: "if", cond: better, then: b.nested((tb) => { tb.set(best, tb.load(x, tb.get(q))); tb.set(at, tb.get(q)); }), else: [] });
      });
      done(rb, rb.get(kV), rb.get(at));
    });
  };
  kernel({
    name, sig: "x: arr, rows, cols", diff: ["x"], size: (r) => shape(r)[0],
    sample: { sizes: { out: axis === 0 ? 3 : 2, x: 6 }, nums: { rows: 2, cols: 3 } },
    vjp: (r) => withExtreme(r, (b, run, at) => addAt(b, r.bar("x")!, at, b.load(r.g!, run))),
    jvp: (r) => withExtreme(r, (b, run, at) => b.store(r.outDot!, run, b.load(r.dot("x")!, at))),
  });
}
axisExtreme("maxAxis0", 0, 1);
axisExtreme("maxAxis1", 1, 1);
axisExtreme("minAxis0", 0, -1);
axisExtreme("minAxis1", 1, -1);

// Per-axis products: out[run] = Π of the run; each entry's adjoint is the product of the
// run's other entries, from prefix and suffix products (exact at zeros).
function axisProduct(name: string, axis: 0 | 1): void {
  const shape = (r: RuleCtx) => (axis === 0 ? [r.num("cols"), r.num("rows")] : [r.num("rows"), r.num("cols")]);
  /** For each run and each entry q of it: `each(b, run, q, product of the run's other entries)`. */
  const eachOthers = (r: RuleCtx, each: (b: Builder, run: Temp, q: Temp, others: Temp) => void) => {
    const x = r.arr("x");
    const cols = hold(r.b, r.num("cols"), "stride");
    const [runs, len] = shape(r);
    const n = hold(r.b, len, "length");
    const prefix = r.b.newVar("prefix", "f64[]");
    r.b.emit({ k: "alloc", v: prefix, n: r.b.get(n) });
    const index = (b: Builder, k: Temp, t: Temp) => (axis === 0 ? b.op("add", b.op("mul", t, b.get(cols)), k) : b.op("add", b.op("mul", k, b.get(cols)), t));
    rowsLoop(r.b, runs, r.b.get(n), (rb, kV, cells) => {
      const p = accumulator(rb, 1, "p");
      cells((b, k, t) => {
        b.store(prefix, t, b.get(p));
        b.set(p, b.op("mul", b.get(p), b.load(x, index(b, k, t))));
      });
      const s = accumulator(rb, 1, "suffix");
      loopDown(rb, rb.op("sub", rb.get(n), rb.num(1)), (b, t) => {
        const q = index(b, b.get(kV), t);
        each(b, b.get(kV), q, b.op("mul", b.load(prefix, t), b.get(s)));
        b.set(s, b.op("mul", b.get(s), b.load(x, q)));
      });
    });
  };
  kernel({
    name, sig: "x: arr, rows, cols", diff: ["x"], size: (r) => shape(r)[0],
    sample: { sizes: { out: axis === 0 ? 3 : 2, x: 6 }, nums: { rows: 2, cols: 3 }, ranges: { x: [0.5, 1.5] } },
    vjp: (r) => eachOthers(r, (b, run, q, others) => addAt(b, r.bar("x")!, q, b.op("mul", b.load(r.g!, run), others))),
    jvp: (r) => {
      loop(r.b, shape(r)[0], (b, k) => b.store(r.outDot!, k, b.num(0)));
      eachOthers(r, (b, run, q, others) => addAt(b, r.outDot!, run, b.op("mul", others, b.load(r.dot("x")!, q))));
    },
  });
}
axisProduct("prodAxis0", 0);
axisProduct("prodAxis1", 1);
