// Layer normalisation per row: x̂ = (x − μ)/√(σ² + eps), y = γ ⊙ x̂ + β (γ, β per column).
// The rules recompute the row statistics from x:
//   x̄ = istd·(ĝ − mean(ĝ) − x̂·mean(ĝ ⊙ x̂)) with ĝ = γ ⊙ ḡ,  γ̄ += Σ_rows ḡ ⊙ x̂,  β̄ += Σ_rows ḡ;
//   ẋ̂ = istd·(ẋ − mean(ẋ) − x̂·mean(x̂ ⊙ ẋ)),  ẏ = γ̇ ⊙ x̂ + β̇ + γ ⊙ ẋ̂.
import type { Builder } from "../../ir/builder.js";
import type { Temp, Var } from "../../ir/types.js";
import { accumulator, addAt, addTo, hold, kernel, loop, rowsLoop, type RuleCtx } from "./record.js";

type Cells = (cell: (b: Builder, i: Temp, j: Temp, at: Temp) => void) => void;

/** One row's statistics, and x̂ at an entry of the row. */
interface Row {
  rb: Builder;
  cells: Cells;
  n: Var;
  istd: Var;
  xhat: (b: Builder, at: Temp) => Temp;
}

/** Runs `pass` for each row, after computing the row's mean and 1/√(σ² + eps) (two passes, as the kernel). */
function perRow(r: RuleCtx, pass: (row: Row) => void): void {
  const x = r.arr("x");
  const n = hold(r.b, r.num("cols"), "n");
  const eps = hold(r.b, r.num("eps"), "eps");
  rowsLoop(r.b, r.num("rows"), r.num("cols"), (rb, _i, cells) => {
    const s = accumulator(rb, 0, "s");
    cells((b, _r, _c, at) => addTo(b, s, b.load(x, at)));
    const mu = hold(rb, rb.op("div", rb.get(s), rb.get(n)), "mu");
    const v = accumulator(rb, 0, "v");
    cells((b, _r, _c, at) => {
      const d = b.op("sub", b.load(x, at), b.get(mu));
      addTo(b, v, b.op("mul", d, d));
    });
    const istd = hold(rb, rb.op("div", rb.num(1), rb.op("sqrt", rb.op("add", rb.op("div", rb.get(v), rb.get(n)), rb.get(eps)))), "istd");
    pass({ rb, cells, n, istd, xhat: (b, at) => b.op("mul", b.op("sub", b.load(x, at), b.get(mu)), b.get(istd)) });
  });
}

/** istd·(v − mean(v) − x̂·mean(x̂ ⊙ v)) at each entry of the row, handed to `put`. */
function normalized(row: Row, value: (b: Builder, j: Temp, at: Temp) => Temp, put: (b: Builder, j: Temp, at: Temp, t: Temp) => void): void {
  const { rb, cells, n, istd, xhat } = row;
  const sv = accumulator(rb, 0, "sv"), sxv = accumulator(rb, 0, "sxv");
  cells((b, _i, j, at) => {
    const v = value(b, j, at);
    addTo(b, sv, v);
    addTo(b, sxv, b.op("mul", xhat(b, at), v));
  });
  cells((b, _i, j, at) => {
    const meanV = b.op("div", b.get(sv), b.get(n));
    const meanXV = b.op("div", b.get(sxv), b.get(n));
    const t = b.op("sub", b.op("sub", value(b, j, at), meanV), b.op("mul", xhat(b, at), meanXV));
    put(b, j, at, b.op("mul", b.get(istd), t));
  });
}

kernel({
  name: "layerNorm", sig: "x: arr, gamma: arr, beta: arr, rows, cols, eps = 1e-5", diff: ["x", "gamma", "beta"], aliases: ["x"],
  size: (r) => r.b.op("mul", r.num("rows"), r.num("cols")),
  sample: { sizes: { out: 8, x: 8, gamma: 4, beta: 4 }, nums: { rows: 2, cols: 4 } },
  vjp: (r) => {
    const [gamma, xbar, gbar, bbar] = [r.arr("gamma"), r.bar("x"), r.bar("gamma"), r.bar("beta")];
    perRow(r, (row) => {
      if (gbar || bbar) {
        row.cells((b, _i, j, at) => {
          const g = b.load(r.g!, at);
          if (gbar) addAt(b, gbar, j, b.op("mul", g, row.xhat(b, at)));
          if (bbar) addAt(b, bbar, j, g);
        });
      }
      if (xbar) normalized(row, (b, j, at) => b.op("mul", b.load(gamma, j), b.load(r.g!, at)), (b, _j, at, t) => addAt(b, xbar, at, t));
    });
  },
  jvp: (r) => {
    const [gamma, dx, dg, db] = [r.arr("gamma"), r.dot("x"), r.dot("gamma"), r.dot("beta")];
    perRow(r, (row) => {
      row.cells((b, _i, j, at) => {
        let t: Temp | undefined;
        if (dg) t = b.op("mul", b.load(dg, j), row.xhat(b, at));
        if (db) t = b.sum(t, b.load(db, j));
        b.store(r.outDot!, at, t ?? b.num(0));
      });
      if (dx) normalized(row, (b, _j, at) => b.load(dx, at), (b, j, at, t) => addAt(b, r.outDot!, at, b.op("mul", b.load(gamma, j), t)));
    });
  },
});

// Training batch norm is lowered to three calls (compiler/lower/kernel.ts): the column
// means (meanAxis0), the column variances given the means (varianceAxis0), and the
// normalisation with those statistics (batchNormInference) — so the gradient flows
// through the batch statistics by the chain rule.

const COLS = { sizes: { out: 3, x: 6, mean: 3 }, nums: { rows: 2, cols: 3 } };

/** x[at] − mean[j]. */
const centered = (b: Builder, r: RuleCtx, j: Temp, at: Temp) => b.op("sub", b.load(r.arr("x"), at), b.load(r.arr("mean"), j));

kernel({
  name: "varianceAxis0", sig: "x: arr, mean: arr, rows, cols", diff: ["x", "mean"], size: (r) => r.num("cols"), sample: COLS,
  vjp: (r) => {
    const s = hold(r.b, r.b.op("div", r.b.num(2), r.num("rows")), "s");
    const [xbar, mbar] = [r.bar("x"), r.bar("mean")];
    rowsLoop(r.b, r.num("rows"), r.num("cols"), (_rb, _i, cells) => cells((b, _r, j, at) => {
      const t = b.op("mul", b.op("mul", b.get(s), b.load(r.g!, j)), centered(b, r, j, at));
      if (xbar) addAt(b, xbar, at, t);
      if (mbar) addAt(b, mbar, j, b.op("neg", t));
    }));
  },
  jvp: (r) => {
    const s = hold(r.b, r.b.op("div", r.b.num(2), r.num("rows")), "s");
    const [dx, dm] = [r.dot("x"), r.dot("mean")];
    loop(r.b, r.num("cols"), (b, j) => b.store(r.outDot!, j, b.num(0)));
    rowsLoop(r.b, r.num("rows"), r.num("cols"), (_rb, _i, cells) => cells((b, _r, j, at) => {
      const dd = dx && dm ? b.op("sub", b.load(dx, at), b.load(dm, j)) : dx ? b.load(dx, at) : b.op("neg", b.load(dm!, j));
      addAt(b, r.outDot!, j, b.op("mul", b.op("mul", b.get(s), centered(b, r, j, at)), dd));
    }));
  },
});

/** 1/√(variance[j] + eps). */
const invStd = (b: Builder, r: RuleCtx, j: Temp, eps: Var) =>
  b.op("div", b.num(1), b.op("sqrt", b.op("add", b.load(r.arr("variance"), j), b.get(eps))));

// y = γ·(x − mean)/√(variance + eps) + β per column, with given statistics.
kernel({
  name: "batchNormInference", sig: "x: arr, gamma: arr, beta: arr, mean: arr, variance: arr, rows, cols, eps = 1e-5",
  diff: ["x", "gamma", "beta", "mean", "variance"], inPlace: "x",
  size: (r) => r.b.op("mul", r.num("rows"), r.num("cols")),
  sample: { sizes: { out: 6, x: 6, gamma: 3, beta: 3, mean: 3, variance: 3 }, nums: { rows: 2, cols: 3 }, ranges: { variance: [0.5, 2] } },
  vjp: (r) => {
    const eps = hold(r.b, r.num("eps"), "eps");
    const [xbar, gbar, bbar, mbar, vbar] = ["x", "gamma", "beta", "mean", "variance"].map((n) => r.bar(n));
    rowsLoop(r.b, r.num("rows"), r.num("cols"), (_rb, _i, cells) => cells((b, _r, j, at) => {
      const g = b.load(r.g!, at);
      const istd = invStd(b, r, j, eps);
      const d = centered(b, r, j, at);
      const gg = b.op("mul", g, b.load(r.arr("gamma"), j));
      if (gbar) addAt(b, gbar, j, b.op("mul", g, b.op("mul", d, istd)));
      if (bbar) addAt(b, bbar, j, g);
      if (mbar) addAt(b, mbar, j, b.op("neg", b.op("mul", gg, istd)));
      if (vbar) addAt(b, vbar, j, b.op("mul", b.op("mul", gg, d), b.op("mul", b.num(-0.5), b.op("mul", istd, b.op("mul", istd, istd)))));
      if (xbar) addAt(b, xbar, at, b.op("mul", gg, istd), !r.overwrite);
    }));
  },
  jvp: (r) => {
    const eps = hold(r.b, r.num("eps"), "eps");
    const [dx, dg, db, dm, dv] = ["x", "gamma", "beta", "mean", "variance"].map((n) => r.dot(n));
    rowsLoop(r.b, r.num("rows"), r.num("cols"), (_rb, _i, cells) => cells((b, _r, j, at) => {
      const istd = invStd(b, r, j, eps);
      const d = centered(b, r, j, at);
      let t: Temp | undefined;
      if (dg) t = b.op("mul", b.load(dg, j), b.op("mul", d, istd));
      if (db) t = b.sum(t, b.load(db, j));
      // γ·(istd·(ẋ − ṁ) − ½·d·istd³·v̇)
      let inner: Temp | undefined;
      if (dx) inner = b.op("mul", istd, b.load(dx, at));
      if (dm) inner = b.sum(inner, b.op("neg", b.op("mul", istd, b.load(dm, j))));
      if (dv) inner = b.sum(inner, b.op("mul", b.op("mul", b.num(-0.5), d), b.op("mul", b.op("mul", istd, b.op("mul", istd, istd)), b.load(dv, j))));
      if (inner) t = b.sum(t, b.op("mul", b.load(r.arr("gamma"), j), inner));
      b.store(r.outDot!, at, t ?? b.num(0));
    }));
  },
});
