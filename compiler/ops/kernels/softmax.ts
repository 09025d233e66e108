// Row-wise softmax, log-softmax, logsumexp and the fused softmax-cross-entropy over a
// rows×cols matrix. Rules read the result y (in-place calls save nothing): softmax
// x̄ = y ⊙ (ḡ − Σ ḡy), log-softmax x̄ = ḡ − exp(y)·Σ ḡ, cross-entropy z̄ = (p − onehot)/rows.
import type { Builder } from "../../ir/builder.js";
import type { Temp, Var } from "../../ir/types.js";
import { accumulator, addAt, addTo, hold, kernel, rowsLoop, type RuleCtx } from "./record.js";

const MAT = { sizes: { out: 6, x: 6 }, nums: { rows: 2, cols: 3 } };
const size = (r: RuleCtx) => r.b.op("mul", r.num("rows"), r.num("cols"));
const rows = (r: RuleCtx, each: Parameters<typeof rowsLoop>[3]) => rowsLoop(r.b, r.num("rows"), r.num("cols"), each);

/** Softmax's Jacobian (symmetric) applied to `v` per row, written or added to `into`. */
function softmaxTimes(r: RuleCtx, y: Var, v: Var, into: Var, add: boolean): void {
  rows(r, (rb, _i, cells) => {
    const d = accumulator(rb, 0, "d");
    cells((b, _r, _c, at) => addTo(b, d, b.op("mul", b.load(v, at), b.load(y, at))));
    cells((b, _r, _c, at) => {
      const t = b.op("mul", b.load(y, at), b.op("sub", b.load(v, at), b.get(d)));
      addAt(b, into, at, t, add);
    });
  });
}

kernel({
  name: "softmax", sig: "x: arr, rows, cols", diff: ["x"], size, sample: MAT, inPlace: "x",
  vjp: (r) => softmaxTimes(r, r.out(), r.g!, r.bar("x")!, !r.overwrite),
  jvp: (r) => softmaxTimes(r, r.out(), r.dot("x")!, r.outDot!, false),
});

kernel({
  name: "logSoftmax", sig: "x: arr, rows, cols", diff: ["x"], size, sample: MAT, inPlace: "x",
  vjp: (r) => rows(r, (rb, _i, cells) => {
    const s = accumulator(rb, 0, "s");
    cells((b, _r, _c, at) => addTo(b, s, b.load(r.g!, at)));
    cells((b, _r, _c, at) => addAt(b, r.bar("x")!, at, b.op("sub", b.load(r.g!, at), b.op("mul", b.op("exp", b.load(r.out(), at)), b.get(s))), !r.overwrite));
  }),
  jvp: (r) => rows(r, (rb, _i, cells) => {
    const s = accumulator(rb, 0, "s");
    const dx = r.dot("x")!;
    cells((b, _r, _c, at) => addTo(b, s, b.op("mul", b.op("exp", b.load(r.out(), at)), b.load(dx, at))));
    cells((b, _r, _c, at) => b.store(r.outDot!, at, b.op("sub", b.load(dx, at), b.get(s))));
  }),
});

/** exp(x[i,j] − y[i]): the softmax entry, from x and the row's logsumexp y. */
const weight = (b: Builder, r: RuleCtx, i: Temp, at: Temp) => b.op("exp", b.op("sub", b.load(r.arr("x"), at), b.load(r.out(), i)));

kernel({
  name: "logsumexp", sig: "x: arr, rows, cols", diff: ["x"], size: (r) => r.num("rows"),
  sample: { ...MAT, sizes: { out: 2, x: 6 } },
  vjp: (r) => rows(r, (_rb, _i, cells) => cells((b, i, _c, at) => {
    addAt(b, r.bar("x")!, at, b.op("mul", b.load(r.g!, i), weight(b, r, i, at)));
  })),
  jvp: (r) => rows(r, (rb, iV, cells) => {
    const s = accumulator(rb, 0, "s");
    cells((b, i, _c, at) => addTo(b, s, b.op("mul", weight(b, r, i, at), b.load(r.dot("x")!, at))));
    rb.store(r.outDot!, rb.get(iV), rb.get(s));
  }),
});

/** 1 where column j is row i's label, else 0. */
const onehot = (b: Builder, labels: Var, i: Temp, j: Temp) => b.op("select", b.op("eq", b.load(labels, i), j), b.num(1), b.num(0));

// Mean over rows of −log softmax(logits)[label]; `out` receives the probabilities.
kernel({
  name: "softmaxCrossEntropy", sig: "logits: arr, labels: arr, rows, cols", returnsNumber: true, diff: ["logits"], size, aliases: ["logits"],
  sample: { sizes: { out: 6, logits: 6, labels: 2 }, nums: { rows: 2, cols: 3 }, labels: { labels: 3 } },
  vjp: (r) => {
    const p = r.out(), zbar = r.bar("logits")!;
    if (r.g) softmaxTimes(r, p, r.g, zbar, true);
    const s = hold(r.b, r.b.op("div", r.gs!, r.num("rows")), "s");
    rows(r, (_rb, _i, cells) => cells((b, i, j, at) => {
      addAt(b, zbar, at, b.op("mul", b.get(s), b.op("sub", b.load(p, at), onehot(b, r.arr("labels"), i, j))));
    }));
  },
  jvp: (r) => {
    const p = r.out(), dz = r.dot("logits")!;
    if (r.outDot) softmaxTimes(r, p, dz, r.outDot, false);
    const t = accumulator(r.b, 0, "t");
    rows(r, (_rb, _i, cells) => cells((b, i, j, at) => {
      addTo(b, t, b.op("mul", b.op("sub", b.load(p, at), onehot(b, r.arr("labels"), i, j)), b.load(dz, at)));
    }));
    return r.b.op("div", r.b.get(t), r.num("rows"));
  },
});
