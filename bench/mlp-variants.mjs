// The MLP 784-128-10 of the MNIST demo (tanh hidden layer, mean softmax cross-entropy),
// as the benchmark's contestants see it:
// - mlpLoss: the loss as written in examples/mnist.ts (one sample at a time, dot products);
// - mlpLossBlocked: the same loss with its first layer written as 4 samples x 2 hidden units
//   per block (register blocking), still plain loops that gradc differentiates;
// - hand-written value-and-gradient functions: the best we could write (batched and
//   register-blocked, fused, no allocation per call), and one per sample with the loss's loops;
// - the same model in @tensorflow/tfjs.
// Parameters are { W1: hidden x inputs, b1, W2: classes x hidden, b2 }, row-major.

/**
 * The loss written with runtime kernels, batched: H = tanh(X·W1ᵀ + b1), Z = H·W2ᵀ + b2,
 * mean cross-entropy from log-softmax and the one-hot Y (its intermediates Float64Array;
 * mlpLossKernels32 is the float32 copy). `k` is the kernel module.
 */
export function makeMlpLossKernels(k) {
  const { matmul, biasAdd, tanh, logSoftmax, dot } = k;
  const functions = { matmul, biasAdd, tanh, logSoftmax, dot };
  function mlpLossKernels(p, X, Y) {
    const hidden = p.b1.length;
    const classes = p.b2.length;
    const inputs = p.W1.length / hidden;
    const n = Y.length / classes;
    const H = new Float64Array(n * hidden);
    matmul(H, X, p.W1, n, inputs, hidden, false, true);
    biasAdd(H, H, p.b1, n, hidden);
    tanh(H, H, n * hidden);
    const Z = new Float64Array(n * classes);
    matmul(Z, H, p.W2, n, hidden, classes, false, true);
    biasAdd(Z, Z, p.b2, n, classes);
    logSoftmax(Z, Z, n, classes);
    return -dot(Y, Z, n * classes) / n;
  }
  /** The same in float32: its intermediates are Float32Array, so every matmul has one element type. */
  function mlpLossKernels32(p, X, Y) {
    const hidden = p.b1.length;
    const classes = p.b2.length;
    const inputs = p.W1.length / hidden;
    const n = Y.length / classes;
    const H = new Float32Array(n * hidden);
    matmul(H, X, p.W1, n, inputs, hidden, false, true);
    biasAdd(H, H, p.b1, n, hidden);
    tanh(H, H, n * hidden);
    const Z = new Float32Array(n * classes);
    matmul(Z, H, p.W2, n, hidden, classes, false, true);
    biasAdd(Z, Z, p.b2, n, classes);
    logSoftmax(Z, Z, n, classes);
    return -dot(Y, Z, n * classes) / n;
  }
  return { mlpLossKernels, mlpLossKernels32, functions };
}

/** The loss as per-sample loops (how examples/mnist.ts wrote it before it called the runtime kernels). */
export function mlpLoss(p, X, Y) {
  const hidden = p.b1.length;
  const classes = p.b2.length;
  const inputs = p.W1.length / hidden;
  const n = Y.length / classes;
  const h = new Float64Array(hidden);
  const z = new Float64Array(classes);
  let total = 0;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < hidden; k++) {
      let a = p.b1[k];
      for (let j = 0; j < inputs; j++) a += p.W1[k * inputs + j] * X[i * inputs + j];
      h[k] = Math.tanh(a);
    }
    let m = -Infinity;
    for (let c = 0; c < classes; c++) {
      let s = p.b2[c];
      for (let k = 0; k < hidden; k++) s += p.W2[c * hidden + k] * h[k];
      z[c] = s;
      m = Math.max(m, s);
    }
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(z[c] - m);
    const lse = m + Math.log(sum);
    for (let c = 0; c < classes; c++) total += Y[i * classes + c] * (lse - z[c]);
  }
  return total / n;
}

/** mlpLoss with the first layer in 4 x 2 register blocks; the batch size must be a multiple of 4, hidden even. */
export function mlpLossBlocked(p, X, Y) {
  const hidden = p.b1.length;
  const classes = p.b2.length;
  const inputs = p.W1.length / hidden;
  const n = Y.length / classes;
  const hs = new Float64Array(n * hidden);
  for (let i = 0; i < n; i += 4) {
    for (let k = 0; k < hidden; k += 2) {
      let s00 = p.b1[k];
      let s01 = p.b1[k + 1];
      let s10 = s00;
      let s11 = s01;
      let s20 = s00;
      let s21 = s01;
      let s30 = s00;
      let s31 = s01;
      for (let j = 0; j < inputs; j++) {
        const a = p.W1[k * inputs + j];
        const b = p.W1[(k + 1) * inputs + j];
        const u0 = X[i * inputs + j];
        const u1 = X[(i + 1) * inputs + j];
        const u2 = X[(i + 2) * inputs + j];
        const u3 = X[(i + 3) * inputs + j];
        s00 += u0 * a;
        s01 += u0 * b;
        s10 += u1 * a;
        s11 += u1 * b;
        s20 += u2 * a;
        s21 += u2 * b;
        s30 += u3 * a;
        s31 += u3 * b;
      }
      hs[i * hidden + k] = Math.tanh(s00);
      hs[i * hidden + k + 1] = Math.tanh(s01);
      hs[(i + 1) * hidden + k] = Math.tanh(s10);
      hs[(i + 1) * hidden + k + 1] = Math.tanh(s11);
      hs[(i + 2) * hidden + k] = Math.tanh(s20);
      hs[(i + 2) * hidden + k + 1] = Math.tanh(s21);
      hs[(i + 3) * hidden + k] = Math.tanh(s30);
      hs[(i + 3) * hidden + k + 1] = Math.tanh(s31);
    }
  }
  const z = new Float64Array(classes);
  let total = 0;
  for (let i = 0; i < n; i++) {
    let m = -Infinity;
    for (let c = 0; c < classes; c++) {
      let s = p.b2[c];
      for (let k = 0; k < hidden; k++) s += p.W2[c * hidden + k] * hs[i * hidden + k];
      z[c] = s;
      m = Math.max(m, s);
    }
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(z[c] - m);
    const lse = m + Math.log(sum);
    for (let c = 0; c < classes; c++) total += Y[i * classes + c] * (lse - z[c]);
  }
  return total / n;
}

/**
 * Rows i of Z (n x classes, logits) become (softmax(Z_i) sum(Y_i) - Y_i) * scale, the
 * gradient of the cross-entropy; returns the summed cross-entropy.
 */
function softmaxCrossEntropy(Z, Y, n, classes, scale) {
  let total = 0;
  for (let i = 0; i < n; i++) {
    const o = i * classes;
    let m = -Infinity;
    for (let c = 0; c < classes; c++) if (Z[o + c] > m) m = Z[o + c];
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(Z[o + c] - m);
    const lse = m + Math.log(sum);
    let ySum = 0;
    for (let c = 0; c < classes; c++) {
      ySum += Y[o + c];
      total += Y[o + c] * (lse - Z[o + c]);
    }
    for (let c = 0; c < classes; c++) Z[o + c] = (ySum * Math.exp(Z[o + c] - lse) - Y[o + c]) * scale;
  }
  return total;
}

/**
 * The best hand-written value-and-gradient: batched, with the two big products (the first
 * layer forward, and W1's gradient dA^T X) in 4-sample x 2-unit register blocks; the first
 * block of samples stores W1's gradient instead of zeroing it first. Scratch is allocated
 * once, for batches up to maxBatch; `Arr` is its element type. Batch a multiple of 4, hidden even.
 */
export function makeHandBlocked(dims, maxBatch, Arr = Float64Array) {
  const { inputs: D, hidden: H, classes: C } = dims;
  const scratch = { Hs: new Arr(maxBatch * H), Z: new Arr(maxBatch * C), dA: new Arr(maxBatch * H) };
  return function handBlocked(p, X, Y, g) {
    const { Hs, Z, dA } = scratch;
    const { W1, b1, W2, b2 } = p;
    const { W1: gW1, b1: gb1, W2: gW2, b2: gb2 } = g;
    const n = (Y.length / C) | 0;
    // Hs = tanh(X W1^T + b1)
    for (let i = 0; i < n; i += 4) {
      const x0 = i * D, x1 = x0 + D, x2 = x1 + D, x3 = x2 + D;
      for (let k = 0; k < H; k += 2) {
        const w0 = k * D, w1 = w0 + D;
        let s00 = b1[k], s01 = b1[k + 1];
        let s10 = s00, s11 = s01, s20 = s00, s21 = s01, s30 = s00, s31 = s01;
        for (let j = 0; j < D; j++) {
          const a = W1[w0 + j], b = W1[w1 + j];
          const u0 = X[x0 + j], u1 = X[x1 + j], u2 = X[x2 + j], u3 = X[x3 + j];
          s00 += u0 * a; s01 += u0 * b;
          s10 += u1 * a; s11 += u1 * b;
          s20 += u2 * a; s21 += u2 * b;
          s30 += u3 * a; s31 += u3 * b;
        }
        const o = i * H + k;
        Hs[o] = Math.tanh(s00); Hs[o + 1] = Math.tanh(s01);
        Hs[o + H] = Math.tanh(s10); Hs[o + H + 1] = Math.tanh(s11);
        Hs[o + 2 * H] = Math.tanh(s20); Hs[o + 2 * H + 1] = Math.tanh(s21);
        Hs[o + 3 * H] = Math.tanh(s30); Hs[o + 3 * H + 1] = Math.tanh(s31);
      }
    }
    // Z = Hs W2^T + b2, the loss, and Z <- dLoss/dZ
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < C; c++) {
        let s = b2[c];
        const wo = c * H, ho = r * H;
        for (let k = 0; k < H; k++) s += W2[wo + k] * Hs[ho + k];
        Z[r * C + c] = s;
      }
    }
    const total = softmaxCrossEntropy(Z, Y, n, C, 1 / n);
    // gW2 = dZ^T Hs, gb2 = sum of dZ rows, dA = (dZ W2) * (1 - Hs^2), gb1 = sum of dA rows
    gW2.fill(0);
    gb2.fill(0);
    gb1.fill(0);
    for (let r = 0; r < n; r++) {
      const ho = r * H, zo = r * C;
      for (let c = 0; c < C; c++) {
        const d = Z[zo + c];
        gb2[c] += d;
        const wo = c * H;
        for (let k = 0; k < H; k++) gW2[wo + k] += d * Hs[ho + k];
      }
      for (let k = 0; k < H; k++) {
        let s = 0;
        for (let c = 0; c < C; c++) s += Z[zo + c] * W2[c * H + k];
        const hk = Hs[ho + k];
        const da = s * (1 - hk * hk);
        dA[ho + k] = da;
        gb1[k] += da;
      }
    }
    // gW1 = dA^T X, 2 units x 4 samples per block
    for (let k = 0; k < H; k += 2) {
      const w0 = k * D, w1 = w0 + D;
      if (n === 0) gW1.fill(0, w0, w1 + D);
      for (let r = 0; r < n; r += 4) {
        const o = r * H + k;
        const a0 = dA[o], b0 = dA[o + 1], a1 = dA[o + H], b1_ = dA[o + H + 1];
        const a2 = dA[o + 2 * H], b2_ = dA[o + 2 * H + 1], a3 = dA[o + 3 * H], b3 = dA[o + 3 * H + 1];
        const x0 = r * D, x1 = x0 + D, x2 = x1 + D, x3 = x2 + D;
        if (r === 0) {
          for (let j = 0; j < D; j++) {
            const u0 = X[x0 + j], u1 = X[x1 + j], u2 = X[x2 + j], u3 = X[x3 + j];
            gW1[w0 + j] = a0 * u0 + a1 * u1 + a2 * u2 + a3 * u3;
            gW1[w1 + j] = b0 * u0 + b1_ * u1 + b2_ * u2 + b3 * u3;
          }
        } else {
          for (let j = 0; j < D; j++) {
            const u0 = X[x0 + j], u1 = X[x1 + j], u2 = X[x2 + j], u3 = X[x3 + j];
            gW1[w0 + j] += a0 * u0 + a1 * u1 + a2 * u2 + a3 * u3;
            gW1[w1 + j] += b0 * u0 + b1_ * u1 + b2_ * u2 + b3 * u3;
          }
        }
      }
    }
    return total / n;
  };
}

/** Hand-written with the loss's own loops (one sample at a time), fused forward and backward per sample. */
export function makeHandPerSample(dims, Arr = Float64Array) {
  const { inputs: D, hidden: H, classes: C } = dims;
  const scratch = { h: new Arr(H), z: new Arr(C), dh: new Arr(H) };
  return function handPerSample(p, X, Y, g) {
    const { h, z, dh } = scratch;
    const { W1, b1, W2, b2 } = p;
    const { W1: gW1, b1: gb1, W2: gW2, b2: gb2 } = g;
    gW1.fill(0);
    gb1.fill(0);
    gW2.fill(0);
    gb2.fill(0);
    const n = (Y.length / C) | 0;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const xo = i * D;
      for (let k = 0; k < H; k++) {
        let a = b1[k];
        const wo = k * D;
        for (let j = 0; j < D; j++) a += W1[wo + j] * X[xo + j];
        h[k] = Math.tanh(a);
      }
      for (let c = 0; c < C; c++) {
        let s = b2[c];
        const wo = c * H;
        for (let k = 0; k < H; k++) s += W2[wo + k] * h[k];
        z[c] = s;
      }
      // softmax cross-entropy of one row, inlined: z <- dLoss/dz
      let m = -Infinity;
      for (let c = 0; c < C; c++) if (z[c] > m) m = z[c];
      let sum = 0;
      for (let c = 0; c < C; c++) sum += Math.exp(z[c] - m);
      const lse = m + Math.log(sum);
      let ySum = 0;
      for (let c = 0; c < C; c++) {
        ySum += Y[i * C + c];
        total += Y[i * C + c] * (lse - z[c]);
      }
      for (let c = 0; c < C; c++) z[c] = (ySum * Math.exp(z[c] - lse) - Y[i * C + c]) / n;
      dh.fill(0);
      for (let c = 0; c < C; c++) {
        const d = z[c];
        gb2[c] += d;
        const wo = c * H;
        for (let k = 0; k < H; k++) {
          gW2[wo + k] += d * h[k];
          dh[k] += d * W2[wo + k];
        }
      }
      for (let k = 0; k < H; k++) {
        const da = dh[k] * (1 - h[k] * h[k]);
        gb1[k] += da;
        const wo = k * D;
        for (let j = 0; j < D; j++) gW1[wo + j] += da * X[xo + j];
      }
    }
    return total / n;
  };
}

/** Row-major m x n -> n x m. */
function transposed(a, m, n) {
  const t = new a.constructor(a.length);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) t[j * m + i] = a[i * n + j];
  return t;
}

/**
 * The model in tfjs (float32 tensors; weights stored inputs x outputs, as tfjs layers do),
 * differentiated by tf.valueAndGrads; the loss is tf.losses.softmaxCrossEntropy (mean over
 * the batch, with its fused p - y gradient). step() returns the value and frees every tensor;
 * gradient() returns the gradient in this file's layout, as Float64Arrays, for the checks.
 */
export function makeTfjs(tf, dims, p, X, Y) {
  const { inputs: D, hidden: H, classes: C } = dims;
  const n = Y.length / C;
  const f32 = (a) => Float32Array.from(a);
  const params = [
    tf.tensor2d(f32(transposed(p.W1, H, D)), [D, H]),
    tf.tensor1d(f32(p.b1)),
    tf.tensor2d(f32(transposed(p.W2, C, H)), [H, C]),
    tf.tensor1d(f32(p.b2)),
  ];
  const x = tf.tensor2d(f32(X), [n, D]);
  const y = tf.tensor2d(f32(Y), [n, C]);
  const loss = (W1, b1, W2, b2) => {
    const hidden = tf.tanh(tf.add(tf.matMul(x, W1), b1));
    return tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(hidden, W2), b2));
  };
  const valueAndGrads = tf.valueAndGrads(loss);
  return {
    step() {
      const { value, grads } = valueAndGrads(params);
      const v = value.dataSync()[0];
      value.dispose();
      for (const g of grads) g.dispose();
      return v;
    },
    gradient() {
      const { value, grads } = valueAndGrads(params);
      const [gW1, gb1, gW2, gb2] = grads.map((g) => Float64Array.from(g.dataSync()));
      const result = [value.dataSync()[0], { W1: transposed(gW1, D, H), b1: gb1, W2: transposed(gW2, H, C), b2: gb2 }];
      value.dispose();
      for (const g of grads) g.dispose();
      return result;
    },
  };
}
