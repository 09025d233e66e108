// Small models with weights in objects: MLP, classifiers, regressions, recurrences.
import { dot, smoothAbs } from "./helpers.js";

export interface Mlp {
  W1: Float64Array; // hidden x input, row-major
  b1: Float64Array;
  W2: Float64Array; // output x hidden, row-major
  b2: Float64Array;
}

export function mlpLoss(p: Mlp, x: Float64Array, y: Float64Array): number {
  const { W1, b1, W2, b2 } = p;
  const nIn = x.length,
    nHid = b1.length,
    nOut = b2.length;
  const h = new Float64Array(nHid);
  for (let j = 0; j < nHid; j++) {
    let a = b1[j];
    for (let i = 0; i < nIn; i++) a += W1[j * nIn + i] * x[i];
    h[j] = Math.tanh(a);
  }
  let loss = 0;
  for (let k = 0; k < nOut; k++) {
    let o = b2[k];
    for (let j = 0; j < nHid; j++) o += W2[k * nHid + j] * h[j];
    const d = o - y[k];
    loss += d * d;
  }
  return loss / nOut;
}

export interface Linear {
  W: Float64Array; // classes x features, row-major
  b: Float64Array;
}

export function softmaxClassifier({ W, b }: Linear, x: Float64Array, label: number): number {
  const k = b.length;
  const d = x.length;
  const logits = new Float64Array(k);
  let m = 0;
  for (let c = 0; c < k; c++) {
    let z = b[c];
    for (let i = 0; i < d; i++) z += W[c * d + i] * x[i];
    logits[c] = z;
    m = c === 0 ? z : Math.max(m, z);
  }
  let sum = 0;
  for (let c = 0; c < k; c++) sum += Math.exp(logits[c] - m);
  return m + Math.log(sum) - logits[label];
}

function logOnePlusExp(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

function logLoss(z: number, t: number): number {
  return t * logOnePlusExp(-z) + (1 - t) * logOnePlusExp(z);
}

function l2(v: Float64Array): number {
  let s = 0;
  for (const e of v) s += e * e;
  return s;
}

export function logisticRegression(p: { w: Float64Array; b: number }, X: Float64Array, y: Float64Array): number {
  const d = p.w.length;
  const m = y.length;
  let total = 0;
  for (let r = 0; r < m; r++) {
    let z = p.b;
    for (let c = 0; c < d; c++) z += p.w[c] * X[r * d + c];
    total += logLoss(z, y[r]);
  }
  return total / m + 1e-3 * l2(p.w);
}

export const modelHelpers = { logOnePlusExp, logLoss, l2 };

export function rnn(w: number, x: Float64Array, h0: number): number {
  let h = h0;
  for (let t = 0; t < x.length; t++) {
    h = Math.tanh(w * h + x[t]);
  }
  return h * h;
}

export function robustRegression(w: Float64Array, x: Float64Array, y: number): number {
  // helpers imported from ./helpers.ts
  return smoothAbs(dot(w, x) - y, 0.1) + 0.01 * dot(w, w);
}

export function gaussianNll(p: { mu: number; logSigma: number }, data: Float64Array): number {
  const inv = Math.exp(-p.logSigma);
  let nll = 0;
  for (const v of data) {
    const z = (v - p.mu) * inv;
    nll += 0.5 * z * z + p.logSigma + 0.5 * Math.log(2 * Math.PI);
  }
  return nll / data.length;
}

export function mixedPrecision(p: { scale: number; shift: Float64Array; gains: Float32Array }, x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const v = p.scale * x[i] + p.shift[i];
    s += p.gains[i] * Math.sin(v);
  }
  return s;
}

export function closureReadsParams(w: Float64Array, x: Float64Array, b: number): number {
  // inner arrow reading (never writing) the loss's parameters
  const predict = (i: number): number => w[i] * x[i] + b;
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const e = predict(i) - 1;
    s += e * e;
  }
  return s;
}
