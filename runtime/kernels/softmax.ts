// Row-wise softmax, log-softmax and logsumexp of a rows×cols matrix, all
// stabilised by subtracting the row maximum (no overflow for large logits).
// `out` may be `x` (in place) for softmax and logSoftmax.
//
// Jacobians per row, p = softmax(x):
//   softmax     J = diag(p) − p·pᵀ (symmetric: the JVP is the VJP formula)
//   logSoftmax  J = I − 1·pᵀ
//   logsumexp   J = pᵀ
import type { Arr } from "./types.js";
import { wasmLogSoftmax, wasmLogsumexp, wasmMap, wasmSoftmax, wasmSoftmaxLse } from "./wasm/calls.js";

// max_j x[r + j] over one row
function rowMax(x: Arr, r: number, cols: number): number {
  let m = -Infinity;
  for (let j = 0; j < cols; j++) {
    const v = x[r + j];
    if (v > m) m = v;
  }
  return m;
}

// log Σ_j exp(x[r + j]) over one row, stabilised. −Infinity for an empty row
// or a row of −Infinity.
function rowLogSumExp(x: Arr, r: number, cols: number): number {
  const m = rowMax(x, r, cols);
  if (m === -Infinity) return -Infinity;
  let s = 0;
  for (let j = 0; j < cols; j++) s += Math.exp(x[r + j] - m);
  return m + Math.log(s);
}

/** out[i,:] = softmax(x[i,:]) = exp(x − max) / Σ exp(x − max). */
export function softmax<T extends Arr>(out: T, x: Arr, rows: number, cols: number): T {
  if (wasmSoftmax(out, x, rows, cols)) return out;
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    const m = rowMax(x, r, cols);
    let s = 0;
    for (let j = 0; j < cols; j++) {
      const e = Math.exp(x[r + j] - m);
      out[r + j] = e;
      s += e;
    }
    const inv = 1 / s;
    for (let j = 0; j < cols; j++) out[r + j] *= inv;
  }
  return out;
}

/**
 * x̄ for softmax from its output y = softmax(x): x̄ = y ⊙ (ḡ − Σ_j ḡ_j y_j) per row.
 * The Jacobian is symmetric, so `softmaxJvp(out, y, dx, …)` is the same formula.
 */
export function softmaxVjp<T extends Arr>(out: T, y: Arr, gy: Arr, rows: number, cols: number, accumulate = false): T {
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    let d = 0;
    for (let j = 0; j < cols; j++) d += gy[r + j] * y[r + j];
    for (let j = 0; j < cols; j++) {
      const g = y[r + j] * (gy[r + j] - d);
      out[r + j] = accumulate ? out[r + j] + g : g;
    }
  }
  return out;
}
export const softmaxJvp = softmaxVjp;

/** out[i,:] = x[i,:] − logsumexp(x[i,:]). */
export function logSoftmax<T extends Arr>(out: T, x: Arr, rows: number, cols: number): T {
  if (wasmLogSoftmax(out, x, rows, cols)) return out;
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    const l = rowLogSumExp(x, r, cols);
    for (let j = 0; j < cols; j++) out[r + j] = x[r + j] - l;
  }
  return out;
}

/** x̄ for logSoftmax from its output y: x̄ = ḡ − exp(y)·Σ_j ḡ_j per row. */
export function logSoftmaxVjp<T extends Arr>(out: T, y: Arr, gy: Arr, rows: number, cols: number, accumulate = false): T {
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    let s = 0;
    for (let j = 0; j < cols; j++) s += gy[r + j];
    for (let j = 0; j < cols; j++) {
      const g = gy[r + j] - Math.exp(y[r + j]) * s;
      out[r + j] = accumulate ? out[r + j] + g : g;
    }
  }
  return out;
}

/** Tangent of logSoftmax from its output y: out = dx − Σ_j exp(y_j)·dx_j per row. */
export function logSoftmaxJvp<T extends Arr>(out: T, y: Arr, dx: Arr, rows: number, cols: number): T {
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    let s = 0;
    for (let j = 0; j < cols; j++) s += Math.exp(y[r + j]) * dx[r + j];
    for (let j = 0; j < cols; j++) out[r + j] = dx[r + j] - s;
  }
  return out;
}

/** out[i] = log Σ_j exp(x[i,j]) (rows entries), stabilised by the row max. */
export function logsumexp<T extends Arr>(out: T, x: Arr, rows: number, cols: number): T {
  if (wasmLogsumexp(out, x, rows, cols)) return out;
  for (let i = 0; i < rows; i++) out[i] = rowLogSumExp(x, i * cols, cols);
  return out;
}

/** x̄[i,j] = ḡ[i]·exp(x[i,j] − y[i]) = ḡ[i]·softmax(x)[i,j], from x and y = logsumexp(x). */
export function logsumexpVjp<T extends Arr>(out: T, x: Arr, y: Arr, gy: Arr, rows: number, cols: number, accumulate = false): T {
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    const l = y[i];
    const gi = gy[i];
    for (let j = 0; j < cols; j++) {
      const g = gi * Math.exp(x[r + j] - l);
      out[r + j] = accumulate ? out[r + j] + g : g;
    }
  }
  return out;
}

/** Tangent of logsumexp: out[i] = Σ_j softmax(x)[i,j]·dx[i,j], from x and y = logsumexp(x). */
export function logsumexpJvp<T extends Arr>(out: T, x: Arr, y: Arr, dx: Arr, rows: number, cols: number): T {
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    const l = y[i];
    let s = 0;
    for (let j = 0; j < cols; j++) s += Math.exp(x[r + j] - l) * dx[r + j];
    out[i] = s;
  }
  return out;
}

/**
 * Fused softmax + cross-entropy with integer labels: writes the probabilities
 * p = softmax(logits) into `out` (rows×cols) and returns the mean over rows of
 * −log p[i, labels[i]], computed as logsumexp(row) − logit[label] (no log(0)).
 * `labels` holds class indices 0 … cols−1 as numbers; anything else throws a
 * RangeError. `out` may be `logits` (in place). The labels are not differentiable.
 */
export function softmaxCrossEntropy(out: Arr, logits: Arr, labels: Arr, rows: number, cols: number): number {
  const inWasm = softmaxCrossEntropyWasm(out, logits, labels, rows, cols);
  if (inWasm !== null) return inWasm;
  let loss = 0;
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    const c = checkLabel(labels[i], cols, i);
    const l = rowLogSumExp(logits, r, cols);
    loss += l - logits[r + c]; // read before `out` may overwrite it
    for (let j = 0; j < cols; j++) out[r + j] = Math.exp(logits[r + j] - l);
  }
  return loss / rows;
}

/**
 * Logits adjoint of softmaxCrossEntropy: out = gy·(p − onehot(labels)) / rows,
 * from the probabilities p it wrote. `gy` is the adjoint of the loss (1 when the
 * loss is the objective).
 */
export function softmaxCrossEntropyVjp<T extends Arr>(
  out: T, probs: Arr, labels: Arr, rows: number, cols: number, gy = 1, accumulate = false,
): T {
  const s = gy / rows;
  if (labelsValid(labels, rows, cols) && wasmMap("scale", out, probs, null, rows * cols, s, accumulate)) {
    for (let i = 0; i < rows; i++) out[i * cols + labels[i]] -= s; // s·p − s where the JS loop has s·(p − 1)
    return out;
  }
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    const c = checkLabel(labels[i], cols, i);
    for (let j = 0; j < cols; j++) {
      const g = s * (probs[r + j] - (j === c ? 1 : 0));
      out[r + j] = accumulate ? out[r + j] + g : g;
    }
  }
  return out;
}

/** Tangent of softmaxCrossEntropy's loss: Σ_ij (p − onehot)[i,j]·dlogits[i,j] / rows. */
export function softmaxCrossEntropyJvp(probs: Arr, labels: Arr, dlogits: Arr, rows: number, cols: number): number {
  let s = 0;
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    const c = checkLabel(labels[i], cols, i);
    for (let j = 0; j < cols; j++) s += probs[r + j] * dlogits[r + j];
    s -= dlogits[r + c];
  }
  return s / rows;
}

/** Whether every label is a class index (else the JS loop runs, and throws at the same row). */
function labelsValid(labels: Arr, rows: number, cols: number): boolean {
  if (labels.length < rows) return false;
  for (let i = 0; i < rows; i++) {
    const c = labels[i];
    if (!(c >= 0 && c < cols && Math.floor(c) === c)) return false;
  }
  return true;
}

/** softmaxCrossEntropy with the softmax in WebAssembly (float32), labels checked first; null when not run. */
function softmaxCrossEntropyWasm(out: Arr, logits: Arr, labels: Arr, rows: number, cols: number): number | null {
  if (!(logits instanceof Float32Array) || !labelsValid(labels, rows, cols)) return null;
  let picked = 0; // Σ_i logits[i, labels[i]], read before `out` may overwrite the logits
  for (let i = 0; i < rows; i++) picked += logits[i * cols + labels[i]];
  const lse = wasmSoftmaxLse(out, logits, rows, cols);
  return lse === null ? null : (lse - picked) / rows;
}

function checkLabel(c: number, cols: number, row: number): number {
  if (!(c >= 0 && c < cols && Math.floor(c) === c)) {
    throw new RangeError(`softmaxCrossEntropy: label ${c} of row ${row} is not a class index in 0..${cols - 1}`);
  }
  return c;
}
