// Linear algebra kernels (row-major, explicit shapes). Their rules are again calls
// of these kernels with transposes, accumulating: the seed's linear-layer rules
// W̄ = ȳxᵀ, x̄ = Wᵀȳ, b̄ = Σ ȳ.
import { emitKernel, kernel, type RuleCtx } from "./record.js";

const flag = (r: RuleCtx, name: string) => r.constant(name) === true;

// out (m×n) = op(a) · op(b), op(a) m×k, op(b) k×n.
kernel({
  name: "matmul", sig: "a: arr, b: arr, m, k, n, transA: bool = false, transB: bool = false", accumulate: true,
  diff: ["a", "b"], size: (r) => r.b.op("mul", r.num("m"), r.num("n")),
  sample: { sizes: { out: 6, a: 12, b: 8 }, nums: { m: 3, k: 4, n: 2, transA: false, transB: true } },
  vjp: (r) => {
    const [a, b, m, k, n] = [r.arr("a"), r.arr("b"), r.num("m"), r.num("k"), r.num("n")];
    const ta = flag(r, "transA"), tb = flag(r, "transB");
    const abar = r.bar("a"), bbar = r.bar("b");
    if (abar) {
      if (!ta) emitKernel(r.b, "matmul", [abar, r.g!, b, m, n, k, false, !tb], true);
      else emitKernel(r.b, "matmul", [abar, b, r.g!, k, n, m, tb, true], true);
    }
    if (bbar) {
      if (!tb) emitKernel(r.b, "matmul", [bbar, a, r.g!, k, m, n, !ta, false], true);
      else emitKernel(r.b, "matmul", [bbar, r.g!, a, n, m, k, true, ta], true);
    }
  },
  jvp: (r) => {
    const rest = [r.num("m"), r.num("k"), r.num("n"), r.num("transA"), r.num("transB")];
    const da = r.dot("a"), db = r.dot("b");
    if (da) emitKernel(r.b, "matmul", [r.outDot!, da, r.arr("b"), ...rest], r.call.accumulate);
    if (db) emitKernel(r.b, "matmul", [r.outDot!, r.arr("a"), db, ...rest], r.call.accumulate || !!da);
  },
});

// out = A·x (A m×n, x n entries, out m), or Aᵀ·x (x m entries, out n) when transA.
kernel({
  name: "matvec", sig: "a: arr, x: arr, m, n, transA: bool = false", accumulate: true, diff: ["a", "x"],
  size: (r) => (flag(r, "transA") ? r.num("n") : r.num("m")),
  sample: { sizes: { out: 3, a: 12, x: 4 }, nums: { m: 3, n: 4, transA: false } },
  vjp: (r) => {
    const [a, x, m, n] = [r.arr("a"), r.arr("x"), r.num("m"), r.num("n")];
    const ta = flag(r, "transA");
    const abar = r.bar("a"), xbar = r.bar("x");
    if (abar) emitKernel(r.b, "outer", ta ? [abar, x, r.g!, m, n] : [abar, r.g!, x, m, n], true);
    if (xbar) emitKernel(r.b, "matvec", [xbar, a, r.g!, m, n, !ta], true);
  },
  jvp: (r) => {
    const rest = [r.num("m"), r.num("n"), r.num("transA")];
    const da = r.dot("a"), dx = r.dot("x");
    if (da) emitKernel(r.b, "matvec", [r.outDot!, da, r.arr("x"), ...rest], r.call.accumulate);
    if (dx) emitKernel(r.b, "matvec", [r.outDot!, r.arr("a"), dx, ...rest], r.call.accumulate || !!da);
  },
});

// out (m×n) = x·yᵀ.
kernel({
  name: "outer", sig: "x: arr, y: arr, m, n", accumulate: true, diff: ["x", "y"],
  size: (r) => r.b.op("mul", r.num("m"), r.num("n")),
  sample: { sizes: { out: 12, x: 3, y: 4 }, nums: { m: 3, n: 4 } },
  vjp: (r) => {
    const [x, y, m, n] = [r.arr("x"), r.arr("y"), r.num("m"), r.num("n")];
    const xbar = r.bar("x"), ybar = r.bar("y");
    if (xbar) emitKernel(r.b, "matvec", [xbar, r.g!, y, m, n, false], true);
    if (ybar) emitKernel(r.b, "matvec", [ybar, r.g!, x, m, n, true], true);
  },
  jvp: (r) => {
    const dx = r.dot("x"), dy = r.dot("y");
    if (dx) emitKernel(r.b, "outer", [r.outDot!, dx, r.arr("y"), r.num("m"), r.num("n")], r.call.accumulate);
    if (dy) emitKernel(r.b, "outer", [r.outDot!, r.arr("x"), dy, r.num("m"), r.num("n")], r.call.accumulate || !!dx);
  },
});

// Σ a[i]·b[i].
kernel({
  name: "dot", sig: "a: arr, b: arr, n", out: false, returnsNumber: true, diff: ["a", "b"],
  sample: { sizes: { a: 5, b: 5 }, nums: { n: 5 } },
  vjp: (r) => {
    const abar = r.bar("a"), bbar = r.bar("b");
    if (abar) emitKernel(r.b, "scale", [abar, r.arr("b"), r.gs!, r.num("n")], true);
    if (bbar) emitKernel(r.b, "scale", [bbar, r.arr("a"), r.gs!, r.num("n")], true);
  },
  jvp: (r) => {
    const da = r.dot("a"), db = r.dot("b");
    const ta = da && emitKernel(r.b, "dot", [da, r.arr("b"), r.num("n")]);
    const tb = db && emitKernel(r.b, "dot", [r.arr("a"), db, r.num("n")]);
    return r.b.sum(ta, tb);
  },
});

// out (rows×cols) = x + bias broadcast over the rows.
kernel({
  name: "biasAdd", sig: "x: arr, bias: arr, rows, cols", diff: ["x", "bias"], inPlace: "x",
  size: (r) => r.b.op("mul", r.num("rows"), r.num("cols")),
  sample: { sizes: { out: 6, x: 6, bias: 3 }, nums: { rows: 2, cols: 3 } },
  vjp: (r) => {
    const xbar = r.bar("x"), bbar = r.bar("bias");
    const [rows, cols] = [r.num("rows"), r.num("cols")];
    if (bbar) emitKernel(r.b, "biasAddVjpBias", [bbar, r.g!, rows, cols], true);
    if (xbar && !r.overwrite) emitKernel(r.b, "copy", [xbar, r.g!, r.b.op("mul", rows, cols)], true);
  },
  jvp: (r) => {
    const dx = r.dot("x"), db = r.dot("bias");
    const [rows, cols] = [r.num("rows"), r.num("cols")];
    if (dx) emitKernel(r.b, "copy", [r.outDot!, dx, r.b.op("mul", rows, cols)]);
    if (db) emitKernel(r.b, "sumAxis0Vjp", [r.outDot!, db, rows, cols], !!dx);
  },
});

// Column sums (a bias's adjoint) and broadcasting a row over the rows: adjoints of each other.
kernel({
  name: "biasAddVjpBias", sig: "gy: arr, rows, cols", accumulate: true, diff: ["gy"], size: (r) => r.num("cols"),
  sample: { sizes: { out: 3, gy: 6 }, nums: { rows: 2, cols: 3 } },
  vjp: (r) => { emitKernel(r.b, "sumAxis0Vjp", [r.bar("gy")!, r.g!, r.num("rows"), r.num("cols")], true); },
  jvp: (r) => { emitKernel(r.b, "biasAddVjpBias", [r.outDot!, r.dot("gy")!, r.num("rows"), r.num("cols")], r.call.accumulate); },
});
kernel({
  name: "sumAxis0Vjp", sig: "gy: arr, rows, cols", accumulate: true, diff: ["gy"],
  size: (r) => r.b.op("mul", r.num("rows"), r.num("cols")),
  sample: { sizes: { out: 6, gy: 3 }, nums: { rows: 2, cols: 3 } },
  vjp: (r) => { emitKernel(r.b, "biasAddVjpBias", [r.bar("gy")!, r.g!, r.num("rows"), r.num("cols")], true); },
  jvp: (r) => { emitKernel(r.b, "sumAxis0Vjp", [r.outDot!, r.dot("gy")!, r.num("rows"), r.num("cols")], r.call.accumulate); },
});
kernel({
  name: "sumAxis0", sig: "x: arr, rows, cols", diff: ["x"], size: (r) => r.num("cols"),
  sample: { sizes: { out: 3, x: 6 }, nums: { rows: 2, cols: 3 } },
  vjp: (r) => { emitKernel(r.b, "sumAxis0Vjp", [r.bar("x")!, r.g!, r.num("rows"), r.num("cols")], true); },
  jvp: (r) => { emitKernel(r.b, "biasAddVjpBias", [r.outDot!, r.dot("x")!, r.num("rows"), r.num("cols")]); },
});

// out (cols×rows) = xᵀ (x rows×cols); its adjoint transposes back.
kernel({
  name: "transpose", sig: "x: arr, rows, cols", diff: ["x"], size: (r) => r.b.op("mul", r.num("rows"), r.num("cols")),
  sample: { sizes: { out: 6, x: 6 }, nums: { rows: 2, cols: 3 } },
  vjp: (r) => { emitKernel(r.b, "transposeVjp", [r.bar("x")!, r.g!, r.num("rows"), r.num("cols")], true); },
  jvp: (r) => { emitKernel(r.b, "transpose", [r.outDot!, r.dot("x")!, r.num("rows"), r.num("cols")]); },
});
// x̄ (rows×cols) += ḡᵀ (ḡ cols×rows).
kernel({
  name: "transposeVjp", sig: "gy: arr, rows, cols", accumulate: true, diff: ["gy"],
  size: (r) => r.b.op("mul", r.num("rows"), r.num("cols")),
  sample: { sizes: { out: 6, gy: 6 }, nums: { rows: 2, cols: 3 } },
  vjp: (r) => { emitKernel(r.b, "transposeVjp", [r.bar("gy")!, r.g!, r.num("cols"), r.num("rows")], true); },
  jvp: (r) => { emitKernel(r.b, "transposeVjp", [r.outDot!, r.dot("gy")!, r.num("rows"), r.num("cols")], r.call.accumulate); },
});
