// Shape kernels that copy: concatenation and column slices. Their rules only move
// entries (reshape, a view of the same array, needs no record: lowering keeps the array).
import type { Builder } from "../../ir/builder.js";
import type { Temp } from "../../ir/types.js";
import { addAt, hold, kernel, loop, rowsLoop, type RuleCtx } from "./record.js";

/** Moves one entry: `from` its index in the part, `to` its index in the whole. */
type Move = (b: Builder, from: Temp, to: Temp) => void;

/** The entries of `part` (offset `start` in out, `n` of them): adjoint back, or tangent in. */
function rowsPart(r: RuleCtx, n: Temp, start: Temp, move: Move): void {
  const s = hold(r.b, start, "start");
  loop(r.b, n, (b, i) => move(b, i, b.op("add", i, b.get(s))));
}

// out = [a; b] (rowsA + rowsB rows of cols).
kernel({
  name: "concatRows", sig: "a: arr, b: arr, rowsA, rowsB, cols", diff: ["a", "b"],
  size: (r) => r.b.op("mul", r.b.op("add", r.num("rowsA"), r.num("rowsB")), r.num("cols")),
  sample: { sizes: { out: 9, a: 6, b: 3 }, nums: { rowsA: 2, rowsB: 1, cols: 3 } },
  vjp: (r) => {
    const na = r.b.op("mul", r.num("rowsA"), r.num("cols")), nb = r.b.op("mul", r.num("rowsB"), r.num("cols"));
    for (const [name, n, start] of [["a", na, r.b.num(0)], ["b", nb, na]] as const) {
      const bar = r.bar(name);
      if (bar) rowsPart(r, n, start, (b, k, at) => addAt(b, bar, k, b.load(r.g!, at)));
    }
  },
  jvp: (r) => {
    const na = r.b.op("mul", r.num("rowsA"), r.num("cols")), nb = r.b.op("mul", r.num("rowsB"), r.num("cols"));
    for (const [name, n, start] of [["a", na, r.b.num(0)], ["b", nb, na]] as const) {
      const d = r.dot(name);
      rowsPart(r, n, start, (b, k, at) => b.store(r.outDot!, at, d ? b.load(d, k) : b.num(0)));
    }
  },
});

/** Each entry (i, j) of a rows×cols block placed at column offset `offset` of rows of width `width`. */
function columnsPart(r: RuleCtx, rows: Temp, cols: Temp, offset: Temp, width: Temp, move: Move): void {
  const off = hold(r.b, offset, "offset"), w = hold(r.b, width, "width");
  rowsLoop(r.b, rows, cols, (_rb, _i, cells) => cells((b, i, j, at) => {
    move(b, at, b.op("add", b.op("mul", i, b.get(w)), b.op("add", j, b.get(off))));
  }));
}

// out (rows×(colsA+colsB)) = [a b].
kernel({
  name: "concatCols", sig: "a: arr, b: arr, rows, colsA, colsB", diff: ["a", "b"],
  size: (r) => r.b.op("mul", r.num("rows"), r.b.op("add", r.num("colsA"), r.num("colsB"))),
  sample: { sizes: { out: 10, a: 4, b: 6 }, nums: { rows: 2, colsA: 2, colsB: 3 } },
  vjp: (r) => eachSide(r, (name, cols, offset, width) => {
    const bar = r.bar(name);
    if (bar) columnsPart(r, r.num("rows"), cols, offset, width, (b, k, at) => addAt(b, bar, k, b.load(r.g!, at)));
  }),
  jvp: (r) => eachSide(r, (name, cols, offset, width) => {
    const d = r.dot(name);
    columnsPart(r, r.num("rows"), cols, offset, width, (b, k, at) => b.store(r.outDot!, at, d ? b.load(d, k) : b.num(0)));
  }),
});

function eachSide(r: RuleCtx, fn: (name: string, cols: Temp, offset: Temp, width: Temp) => void): void {
  const width = r.b.op("add", r.num("colsA"), r.num("colsB"));
  fn("a", r.num("colsA"), r.b.num(0), width);
  fn("b", r.num("colsB"), r.num("colsA"), width);
}

// out (rows×(end−start)) = columns start … end−1 of x (rows×cols).
kernel({
  name: "sliceCols", sig: "x: arr, rows, cols, start, end", diff: ["x"],
  size: (r) => r.b.op("mul", r.num("rows"), r.b.op("sub", r.num("end"), r.num("start"))),
  sample: { sizes: { out: 4, x: 8 }, nums: { rows: 2, cols: 4, start: 1, end: 3 } },
  vjp: (r) => slicePart(r, (b, k, at) => addAt(b, r.bar("x")!, at, b.load(r.g!, k))),
  jvp: (r) => slicePart(r, (b, k, at) => b.store(r.outDot!, k, b.load(r.dot("x")!, at))),
});

/** Each entry k of the slice and its position `at` in x. */
function slicePart(r: RuleCtx, move: Move): void {
  const w = r.b.op("sub", r.num("end"), r.num("start"));
  columnsPart(r, r.num("rows"), w, r.num("start"), r.num("cols"), move);
}


