// The runtime's kernels besides matmul, js vs wasm backend, at the sizes of the MNIST demo's
// MLP (examples/mnist.ts: 784-128-10, batch 64): µs per call (median of interleaved samples,
// bench/timing.mjs), the wasm/js speed-up, and what the copies into and out of WebAssembly
// memory alone cost (TypedArray.set of the same entries). Each element type runs in a
// process of its own, as a program that trains in one type does: the kernels are generic
// over Float32Array | Float64Array, and V8 slows a loop that has seen both.
// Every wasm result is checked against the js one first.
// Alone: node bench/kernels.mjs [--quick] (imports dist/: npx tsc -p tsconfig.build.json first).
import { spawnSync } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { rng } from "./cases.mjs";
import { formatTime, measure } from "./timing.mjs";

const B = 64, H = 128, I = 784, C = 10;

/**
 * [kernel, shape, entries copied in + out, call, the array an accumulating call adds into]
 * rows; arrays come from `make(n)`.
 */
function cases(K, make) {
  const h = () => make(B * H), z = () => make(B * C);
  const [x, y, g, bias, zb] = [h(), h(), h(), make(H), make(C)];
  const [Z, Y, bz] = [z(), z(), z()];
  const [W, v, u, out, w] = [make(H * I), make(I), make(H), h(), make(H * I)];
  const [o128, o784, oC, o64] = [make(H), make(I), make(C), make(B)];
  const labels = Float64Array.from({ length: B }, (_, i) => i % C);
  return [
    ["biasAdd", "64×128", 2 * B * H + H, () => K.biasAdd(out, x, bias, B, H)],
    ["biasAdd", "64×10", 2 * B * C + C, () => K.biasAdd(bz, Z, zb, B, C)],
    ["biasAddVjpBias", "64×128", B * H + H, () => K.biasAddVjpBias(o128, g, B, H)],
    ["biasAddVjpBias", "64×10", B * C + C, () => K.biasAddVjpBias(oC, Z, B, C)],
    ["relu", "8192", 2 * B * H, () => K.relu(out, x, B * H)],
    ["reluVjp", "8192", 3 * B * H, () => K.reluVjp(out, x, g, B * H)],
    ["leakyRelu", "8192", 2 * B * H, () => K.leakyRelu(out, x, B * H)],
    ["tanhVjpFromOutput", "8192", 3 * B * H, () => K.tanhVjpFromOutput(out, x, g, B * H)],
    ["sigmoidVjpFromOutput", "8192", 3 * B * H, () => K.sigmoidVjpFromOutput(out, x, g, B * H)],
    ["add", "8192", 3 * B * H, () => K.add(out, x, y, B * H)],
    ["add", "640", 3 * B * C, () => K.add(bz, Z, Y, B * C)],
    ["mul", "8192", 3 * B * H, () => K.mul(out, x, y, B * H)],
    ["div", "8192", 3 * B * H, () => K.div(out, x, y, B * H)],
    ["scale", "8192", 2 * B * H, () => K.scale(out, x, 0.5, B * H)],
    ["scale, accumulate", "100352", 3 * H * I, () => K.scale(w, W, -1e-9, H * I, true), w],
    ["copy, accumulate", "8192", 3 * B * H, () => K.copy(out, x, B * H, true), out],
    ["dot", "640", 2 * B * C, () => K.dot(Y, Z, B * C)],
    ["dot", "8192", 2 * B * H, () => K.dot(x, y, B * H)],
    ["sum", "8192", B * H, () => K.sum(x, B * H)],
    ["sumAxis0", "64×128", B * H + H, () => K.sumAxis0(o128, x, B, H)],
    ["sumAxis1", "64×128", B * H + B, () => K.sumAxis1(o64, x, B, H)],
    ["sumAxis0Vjp", "64×128", B * H + H, () => K.sumAxis0Vjp(out, bias, B, H)],
    ["matvec", "128×784", H * I + I + H, () => K.matvec(o128, W, v, H, I)],
    ["matvec, transA", "128×784", H * I + I + H, () => K.matvec(o784, W, u, H, I, true)],
    ["outer", "128×784", H * I + I + H, () => K.outer(w, u, v, H, I)],
    ["tanh", "8192", 2 * B * H, () => K.tanh(out, x, B * H)],
    ["tanhVjp", "8192", 3 * B * H, () => K.tanhVjp(out, x, g, B * H)],
    ["exp", "8192", 2 * B * H, () => K.exp(out, x, B * H)],
    ["sigmoid", "8192", 2 * B * H, () => K.sigmoid(out, x, B * H)],
    ["gelu", "8192", 2 * B * H, () => K.gelu(out, x, B * H)],
    ["geluVjp", "8192", 3 * B * H, () => K.geluVjp(out, x, g, B * H)],
    ["logVjp", "8192", 3 * B * H, () => K.logVjp(out, y, g, B * H)],
    ["logSoftmax", "64×10", 2 * B * C, () => K.logSoftmax(bz, Z, B, C)],
    ["softmax", "64×10", 2 * B * C, () => K.softmax(bz, Z, B, C)],
    ["logsumexp", "64×10", B * C + B, () => K.logsumexp(o64, Z, B, C)],
    ["softmaxCrossEntropy", "64×10", 2 * B * C, () => K.softmaxCrossEntropy(bz, Z, labels, B, C)],
    ["softmaxCrossEntropyVjp", "64×10", 2 * B * C, () => K.softmaxCrossEntropyVjp(bz, Y, labels, B, C)],
  ];
}

/** The sizes around the cutoff (calls.ts MIN_ENTRIES), timed with the cutoff off. */
function cutoffCases(K, make) {
  return [64, 128, 256, 512, 1024].flatMap((n) => {
    const [a, b, out] = [make(n), make(n), make(n)];
    return [["add", String(n), 3 * n, () => K.add(out, a, b, n)], ["dot", String(n), 2 * n, () => K.dot(a, b, n)]];
  });
}

/** Runs `call` once, counting the calls it makes to the WebAssembly exports. */
function wasmCalls(kernels, call) {
  const saved = Object.entries(kernels).filter(([, f]) => typeof f === "function");
  let calls = 0;
  for (const [name, f] of saved) kernels[name] = (...args) => (calls++, f(...args));
  try {
    call();
  } finally {
    for (const [name, f] of saved) kernels[name] = f;
  }
  return calls;
}

function relError(a, b) {
  if (typeof a === "number") return Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
  let d = 0, n = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    n = Math.max(n, Math.abs(b[i]));
  }
  return d / Math.max(n, 1e-300);
}

/** One element type's rows, in this process. */
async function child(type, quick) {
  const K = await import(new URL("../dist/runtime/index.js", import.meta.url).href);
  const { wasmKernels } = await import(new URL("../dist/runtime/kernels/wasm/backend.js", import.meta.url).href);
  const { setMinEntries, MIN_ENTRIES } = await import(new URL("../dist/runtime/kernels/wasm/calls.js", import.meta.url).href);
  const Arr = type === "f32" ? Float32Array : Float64Array;
  const r = rng(7);
  const make = (n) => Arr.from({ length: n }, () => 2 * r() - 1);
  const timing = quick ? { samples: 7, sampleMs: 5, warmupMs: 50 } : { samples: 15, sampleMs: 10, warmupMs: 150 };
  const scratch = new Arr(new WebAssembly.Memory({ initial: 64 }).buffer);
  const rows = [];
  const timeAll = (list, table) => { for (const [kernel, shape, moved, call, accumulates] of list) {
    const on = (name) => () => (K.setBackend(name), call());
    const copy = make(moved);
    const copies = () => (scratch.set(copy), scratch[0]);
    const start = accumulates?.slice();
    const result = (name) => {
      accumulates?.set(start);
      const v = on(name)();
      return typeof v === "number" ? v : v.slice();
    };
    const err = relError(result("wasm"), result("js"));
    K.setBackend("wasm");
    const ran = wasmCalls(wasmKernels(), call) > 0 ? "wasm" : "js";
    const t = measure({ js: { fn: on("js"), args: [] }, wasm: { fn: on("wasm"), args: [] }, copies: { fn: copies, args: [] } }, timing);
    rows.push({ table, kernel, shape, type, ran, err, ...t });
  } };
  timeAll(cases(K, make), "mnist");
  setMinEntries(0);
  timeAll(cutoffCases(K, make), "cutoff");
  setMinEntries(MIN_ENTRIES);
  console.log(JSON.stringify(rows));
}

/** Prints the table; returns true when a wasm result disagrees with the js one. */
export function kernelsBench(quick) {
  const script = fileURLToPath(import.meta.url);
  const rows = [];
  for (const type of ["f32", "f64"]) {
    const r = spawnSync(process.execPath, [script, "--child", type, ...(quick ? ["--quick"] : [])], { encoding: "utf8" });
    if (r.status !== 0) {
      console.log(`kernels bench (${type}) failed: ${r.stderr.split("\n")[0]}`);
      return true;
    }
    rows.push(...JSON.parse(r.stdout.trim().split("\n").pop()));
  }
  const tol = { f32: 1e-5, f64: 1e-12 };
  console.log("\nruntime kernels besides matmul at the MNIST demo's sizes, js vs wasm backend: µs per call (median), one process per type");
  printTable(rows.filter((r) => r.table === "mnist"));
  console.log("ran: where the call ran with the wasm backend (js: the kernel has no WebAssembly version for that type)");
  console.log("copies: TypedArray.set of the entries a wasm call moves in and out, alone (share of the wasm time)");
  console.log("\naround the cutoff (wasm/calls.ts MIN_ENTRIES; here with the cutoff off)");
  printTable(rows.filter((r) => r.table === "cutoff"));
  const bad = rows.filter((r) => !(r.err <= tol[r.type]));
  for (const r of bad) console.log(`${r.kernel} ${r.shape} ${r.type}: wasm and js disagree (max rel. error ${r.err.toExponential(1)})`);
  return bad.length > 0;
}

function printTable(rows) {
  const head = ["kernel", "shape", "type", "js", "wasm", "js/wasm", "copies", "ran"];
  const body = rows.map((r) => [r.kernel, r.shape, r.type, formatTime(r.js), formatTime(r.wasm), `${(r.js / r.wasm).toFixed(2)}x`,
    `${formatTime(r.copies)} (${Math.round((100 * r.copies) / r.wasm)}%)`, r.ran]);
  const width = head.map((h, j) => Math.max(h.length, ...body.map((b) => b[j].length)));
  const line = (cells) => cells.map((s, j) => (j < 3 ? s.padEnd(width[j]) : s.padStart(width[j]))).join("  ");
  console.log(line(head));
  console.log(width.map((w) => "-".repeat(w)).join("  "));
  for (const b of body) console.log(line(b));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const at = process.argv.indexOf("--child");
  if (at >= 0) await child(process.argv[at + 1], process.argv.includes("--quick"));
  else if (kernelsBench(process.argv.includes("--quick"))) process.exitCode = 1;
}
