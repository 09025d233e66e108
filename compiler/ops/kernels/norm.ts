// Layer normalisation per row: x̂ = (x − μ)/√(σ² + eps), y = γ ⊙ x̂ + β (γ, β per column).
// The rules recompute the row statistics from x:
//   x̄ = istd·(ĝ − mean(ĝ) − x̂·mean(ĝ ⊙ x̂)) with ĝ = γ ⊙ ḡ,  γ̄ += Σ_rows ḡ ⊙ x̂,  β̄ += Σ_rows ḡ;
//   ẋ̂ = istd·(ẋ − mean(ẋ) − x̂·mean(x̂ ⊙ ẋ)),  ẏ = γ̇ ⊙ x̂ + β̇ + γ ⊙ ẋ̂.
import type { Builder } from "../../ir/builder.js";
import type { Temp, Var } from "../../ir/types.js";
import { accumulator, addAt, addTo, hold, kernel, rowsLoop, type RuleCtx } from "./record.js";

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
  name: "layerNorm", sig: "x: arr, gamma: arr, beta: arr, rows, cols, eps = 1e-5", diff: ["x", "gamma", "beta"],
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
