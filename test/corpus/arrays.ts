// Losses over typed arrays: loops, in-place updates, early exits, single precision.

export function rosenbrock(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length - 1; i++) {
    const a = 1 - x[i];
    const b = x[i + 1] - x[i] * x[i];
    s += a * a + 100 * b * b;
  }
  return s;
}

export function sumSquaresForOf(x: Float64Array): number {
  let s = 0;
  for (const v of x) {
    s += v * v;
  }
  return Math.sqrt(s + 1);
}

export function logSumExp(x: Float64Array): number {
  let m = x[0];
  for (const v of x) if (v > m) m = v;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.exp(x[i] - m);
  return m + Math.log(s);
}

export function softmaxCrossEntropy(logits: Float64Array, target: number): number {
  const n = logits.length;
  let m = logits[0];
  for (let i = 1; i < n; i++) m = Math.max(m, logits[i]);
  let z = 0;
  for (let i = 0; i < n; i++) z += Math.exp(logits[i] - m);
  return Math.log(z) + m - logits[target];
}

export function breakContinue(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    if (i % 3 === 2) continue;
    s += x[i] * x[i] + Math.sin(x[i]);
    if (s > 6) break;
  }
  return s;
}

export function earlyReturnInLoop(x: Float64Array, limit: number): number {
  let acc = 0;
  for (let i = 0; i < x.length; i++) {
    if (x[i] > limit) {
      return acc + 2 * x[i];
    }
    acc += Math.cos(x[i]) * x[i];
  }
  return acc;
}

export function recurrentSweeps(x: Float64Array, w: number): number {
  const n = x.length;
  const h = new Float64Array(n);
  h.fill(0.1);
  for (let sweep = 0; sweep < 3; sweep++) {
    for (let j = 0; j < n; j++) {
      const left = j > 0 ? h[j - 1] : 0;
      h[j] = Math.tanh(h[j] + w * x[j] + 0.5 * left);
    }
  }
  let s = 0;
  for (let j = 0; j < n; j++) s += h[j] * h[j];
  return s;
}

export function fillAndReuse(x: Float64Array, c: number): number {
  const buf = new Float64Array(x.length);
  buf.fill(c);
  let s = 0;
  for (let i = 0; i < buf.length; i++) {
    buf[i] = buf[i] * x[i] + 1;
    s += buf[i] * buf[i];
  }
  buf.fill(0);
  for (let i = 0; i < buf.length; i++) buf[i] += x[i] * c;
  return s + buf[buf.length - 1];
}

export function whileStride(x: Float64Array): number {
  let i = 0;
  let s = 0;
  while (i < x.length - 1) {
    const sign = i % 4 === 0 ? 1 : -1;
    s += sign * x[i] * x[i + 1];
    i += 2;
  }
  return s;
}

export function productScan(x: Float64Array): number {
  let p = 1;
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    p = p * x[i] + 0.5; // overwritten every iteration
    s += p;
  }
  return s;
}

export function smoothInPlace(x: Float64Array): number {
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = x[i];
  for (let pass = 0; pass < 3; pass++) {
    for (let i = 1; i < y.length; i++) {
      y[i] = 0.5 * y[i] + y[i - 1] * Math.sin(y[i]);
    }
  }
  let s = 0;
  for (const v of y) s += v;
  return s;
}

export function reverseLoop(x: Float64Array): number {
  let s = 0;
  for (let i = x.length - 1; i >= 0; i--) {
    s = s * 0.5 + x[i];
    s -= 0.1 * x[i] * x[i];
  }
  let j = x.length;
  let t = 0;
  while (j > 0) {
    j--;
    t += x[j] / (j + 1);
  }
  return s * t;
}

export function boundFromParam(x: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    s += Math.exp(-x[i] * x[i] * (i + 1));
  }
  return s;
}

export function matVecResidual(A: Float64Array, x: Float64Array, rows: number): number {
  const cols = x.length;
  let loss = 0;
  for (let i = 0; i < rows; i++) {
    let yi = 0;
    for (let j = 0; j < cols; j++) yi += A[i * cols + j] * x[j];
    loss += (yi - 1) ** 2;
  }
  return 0.5 * loss;
}

export function float32Regression(x: Float32Array, w: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const r = x[i] * w[i] - 0.5;
    s += r * r;
  }
  return s / x.length;
}

export function float32Buffer(x: Float32Array): number {
  const n = x.length;
  const z = new Float32Array(n);
  for (let i = 0; i < n; i++) z[i] = 2 * Math.tanh(x[i]);
  let s = 0;
  for (let i = 0; i < n; i++) s += z[i] * (i + 1 < n ? z[i + 1] : z[0]);
  return s;
}
