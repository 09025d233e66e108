// Batch norm (per column of a rows×cols batch, statistics over rows) and layer
// norm (per row, statistics over columns):
//
//   y = γ ⊙ x̂ + β,   x̂ = (x − μ) / √(σ² + eps),   σ² the biased variance (divide by N)
//
// gamma and beta may be null: γ = 1 and β = 0 (no affine part).
//
// Derivatives, with N the number of entries in a statistic and istd = 1/√(σ² + eps):
//   x̄ = γ·istd·(ḡ − mean(ḡ) − x̂·mean(ḡ ⊙ x̂))          (training batch norm, layer norm)
//   dy = γ·istd·(dx − mean(dx) − x̂·mean(dx ⊙ x̂)) + dγ ⊙ x̂ + dβ
//   γ̄ = Σ ḡ ⊙ x̂,  β̄ = Σ ḡ
// Inference batch norm uses fixed running statistics, so it is affine in x:
// x̄ = γ·istd·ḡ. The batch statistics `batchNorm` writes to `mean`/`variance` are
// side outputs for running averages, not differentiated.
import { meanAxis0 } from "./reduce.js";
import type { Arr } from "./types.js";

// ---- batch norm ----

/**
 * Training batch norm of x (rows×cols): writes the per-column batch mean and
 * biased variance into `mean` and `variance` (cols entries each, the caller's
 * buffers) and y into `out`. `out` may be `x`.
 */
export function batchNorm<T extends Arr>(
  out: T, x: Arr, gamma: Arr | null, beta: Arr | null, mean: Arr, variance: Arr,
  rows: number, cols: number, eps = 1e-5,
): T {
  meanAxis0(mean, x, rows, cols);
  varianceAxis0(variance, x, mean, rows, cols);
  return batchNormInference(out, x, gamma, beta, mean, variance, rows, cols, eps);
}

/** out[j] = (1/rows)·Σ_i (x[i,j] − mean[j])², the biased variance of each column given its mean. */
export function varianceAxis0<T extends Arr>(out: T, x: Arr, mean: Arr, rows: number, cols: number): T {
  out.fill(0, 0, cols);
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    for (let j = 0; j < cols; j++) {
      const d = x[r + j] - mean[j];
      out[j] += d * d;
    }
  }
  for (let j = 0; j < cols; j++) out[j] /= rows;
  return out;
}

/** Inference batch norm: y = γ·(x − runningMean)/√(runningVar + eps) + β per column. `out` may be `x`. */
export function batchNormInference<T extends Arr>(
  out: T, x: Arr, gamma: Arr | null, beta: Arr | null, runningMean: Arr, runningVar: Arr,
  rows: number, cols: number, eps = 1e-5,
): T {
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    for (let j = 0; j < cols; j++) {
      const xhat = (x[r + j] - runningMean[j]) / Math.sqrt(runningVar[j] + eps);
      out[r + j] = (gamma === null ? xhat : gamma[j] * xhat) + (beta === null ? 0 : beta[j]);
    }
  }
  return out;
}

/**
 * running ← (1 − momentum)·running + momentum·batch, with the batch variance
 * made unbiased (× rows/(rows − 1)), as PyTorch does.
 */
export function batchNormUpdateRunning(
  runningMean: Arr, runningVar: Arr, mean: Arr, variance: Arr, rows: number, cols: number, momentum = 0.1,
): void {
  const unbias = rows > 1 ? rows / (rows - 1) : 1;
  for (let j = 0; j < cols; j++) {
    runningMean[j] = (1 - momentum) * runningMean[j] + momentum * mean[j];
    runningVar[j] = (1 - momentum) * runningVar[j] + momentum * variance[j] * unbias;
  }
}

/**
 * x̄ for training batchNorm, from x and the mean/variance it wrote. Works column
 * by column (strided reads), so it needs no scratch buffer.
 */
export function batchNormVjpX<T extends Arr>(
  outX: T, x: Arr, gamma: Arr | null, mean: Arr, variance: Arr, gy: Arr,
  rows: number, cols: number, eps = 1e-5, accumulate = false,
): T {
  for (let j = 0; j < cols; j++) {
    const mu = mean[j];
    const istd = 1 / Math.sqrt(variance[j] + eps);
    let sg = 0, sgx = 0;
    for (let i = 0, q = j; i < rows; i++, q += cols) {
      const g = gy[q];
      sg += g;
      sgx += g * (x[q] - mu) * istd;
    }
    const mg = sg / rows, mgx = sgx / rows;
    const s = (gamma === null ? 1 : gamma[j]) * istd;
    for (let i = 0, q = j; i < rows; i++, q += cols) {
      const d = s * (gy[q] - mg - (x[q] - mu) * istd * mgx);
      outX[q] = accumulate ? outX[q] + d : d;
    }
  }
  return outX;
}

/**
 * γ̄ = Σ_rows ḡ ⊙ x̂ and β̄ = Σ_rows ḡ for batchNorm (pass the batch mean/variance)
 * or batchNormInference (pass the running statistics). A null output is skipped.
 */
export function batchNormVjpParams(
  outGamma: Arr | null, outBeta: Arr | null, x: Arr, mean: Arr, variance: Arr, gy: Arr,
  rows: number, cols: number, eps = 1e-5, accumulate = false,
): void {
  if (!accumulate) {
    if (outGamma !== null) outGamma.fill(0, 0, cols);
    if (outBeta !== null) outBeta.fill(0, 0, cols);
  }
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    for (let j = 0; j < cols; j++) {
      const g = gy[r + j];
      if (outGamma !== null) outGamma[j] += (g * (x[r + j] - mean[j])) / Math.sqrt(variance[j] + eps);
      if (outBeta !== null) outBeta[j] += g;
    }
  }
}

/** x̄ for batchNormInference: γ·ḡ/√(runningVar + eps). */
export function batchNormInferenceVjpX<T extends Arr>(
  outX: T, gamma: Arr | null, runningVar: Arr, gy: Arr, rows: number, cols: number, eps = 1e-5, accumulate = false,
): T {
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    for (let j = 0; j < cols; j++) {
      const d = ((gamma === null ? 1 : gamma[j]) * gy[r + j]) / Math.sqrt(runningVar[j] + eps);
      outX[r + j] = accumulate ? outX[r + j] + d : d;
    }
  }
  return outX;
}

/**
 * Tangent of training batchNorm's y (from x and the mean/variance it wrote);
 * a null tangent is zero. Column by column, like batchNormVjpX.
 */
export function batchNormJvp<T extends Arr>(
  out: T, x: Arr, dx: Arr | null, gamma: Arr | null, dgamma: Arr | null, dbeta: Arr | null,
  mean: Arr, variance: Arr, rows: number, cols: number, eps = 1e-5,
): T {
  for (let j = 0; j < cols; j++) {
    const mu = mean[j];
    const istd = 1 / Math.sqrt(variance[j] + eps);
    let md = 0, mdx = 0;
    if (dx !== null) {
      for (let i = 0, q = j; i < rows; i++, q += cols) {
        md += dx[q];
        mdx += dx[q] * (x[q] - mu) * istd;
      }
      md /= rows;
      mdx /= rows;
    }
    const s = (gamma === null ? 1 : gamma[j]) * istd;
    const dg = dgamma === null ? 0 : dgamma[j];
    const db = dbeta === null ? 0 : dbeta[j];
    for (let i = 0, q = j; i < rows; i++, q += cols) {
      const xhat = (x[q] - mu) * istd;
      out[q] = (dx === null ? 0 : s * (dx[q] - md - xhat * mdx)) + dg * xhat + db;
    }
  }
  return out;
}

/** Tangent of batchNormInference: γ·istd·dx + dγ ⊙ x̂ + dβ; a null tangent is zero. */
export function batchNormInferenceJvp<T extends Arr>(
  out: T, x: Arr, dx: Arr | null, gamma: Arr | null, dgamma: Arr | null, dbeta: Arr | null,
  runningMean: Arr, runningVar: Arr, rows: number, cols: number, eps = 1e-5,
): T {
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    for (let j = 0; j < cols; j++) {
      const istd = 1 / Math.sqrt(runningVar[j] + eps);
      const xhat = (x[r + j] - runningMean[j]) * istd;
      let d = dx === null ? 0 : (gamma === null ? 1 : gamma[j]) * istd * dx[r + j];
      if (dgamma !== null) d += dgamma[j] * xhat;
      if (dbeta !== null) d += dbeta[j];
      out[r + j] = d;
    }
  }
  return out;
}

// ---- layer norm ----

function rowMean(x: Arr, r: number, cols: number): number {
  let s = 0;
  for (let j = 0; j < cols; j++) s += x[r + j];
  return s / cols;
}

// 1/√(var + eps) of one row with mean mu (two-pass variance)
function rowInvStd(x: Arr, r: number, cols: number, mu: number, eps: number): number {
  let v = 0;
  for (let j = 0; j < cols; j++) {
    const d = x[r + j] - mu;
    v += d * d;
  }
  return 1 / Math.sqrt(v / cols + eps);
}

/** Layer norm of each row of x (rows×cols), with per-column γ and β (cols entries). `out` may be `x`. */
export function layerNorm<T extends Arr>(
  out: T, x: Arr, gamma: Arr | null, beta: Arr | null, rows: number, cols: number, eps = 1e-5,
): T {
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    const mu = rowMean(x, r, cols);
    const istd = rowInvStd(x, r, cols, mu, eps);
    for (let j = 0; j < cols; j++) {
      const xhat = (x[r + j] - mu) * istd;
      out[r + j] = (gamma === null ? xhat : gamma[j] * xhat) + (beta === null ? 0 : beta[j]);
    }
  }
  return out;
}

/** x̄ for layerNorm (row statistics recomputed from x). */
export function layerNormVjpX<T extends Arr>(
  outX: T, x: Arr, gamma: Arr | null, gy: Arr, rows: number, cols: number, eps = 1e-5, accumulate = false,
): T {
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    const mu = rowMean(x, r, cols);
    const istd = rowInvStd(x, r, cols, mu, eps);
    let sg = 0, sgx = 0;
    for (let j = 0; j < cols; j++) {
      const g = gamma === null ? gy[r + j] : gy[r + j] * gamma[j];
      sg += g;
      sgx += g * (x[r + j] - mu) * istd;
    }
    const mg = sg / cols, mgx = sgx / cols;
    for (let j = 0; j < cols; j++) {
      const g = gamma === null ? gy[r + j] : gy[r + j] * gamma[j];
      const d = istd * (g - mg - (x[r + j] - mu) * istd * mgx);
      outX[r + j] = accumulate ? outX[r + j] + d : d;
    }
  }
  return outX;
}

/** γ̄ = Σ_rows ḡ ⊙ x̂ and β̄ = Σ_rows ḡ for layerNorm. A null output is skipped. */
export function layerNormVjpParams(
  outGamma: Arr | null, outBeta: Arr | null, x: Arr, gy: Arr, rows: number, cols: number,
  eps = 1e-5, accumulate = false,
): void {
  if (!accumulate) {
    if (outGamma !== null) outGamma.fill(0, 0, cols);
    if (outBeta !== null) outBeta.fill(0, 0, cols);
  }
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    const mu = rowMean(x, r, cols);
    const istd = rowInvStd(x, r, cols, mu, eps);
    for (let j = 0; j < cols; j++) {
      const g = gy[r + j];
      if (outGamma !== null) outGamma[j] += g * (x[r + j] - mu) * istd;
      if (outBeta !== null) outBeta[j] += g;
    }
  }
}

/** Tangent of layerNorm; a null tangent is zero. */
export function layerNormJvp<T extends Arr>(
  out: T, x: Arr, dx: Arr | null, gamma: Arr | null, dgamma: Arr | null, dbeta: Arr | null,
  rows: number, cols: number, eps = 1e-5,
): T {
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    const mu = rowMean(x, r, cols);
    const istd = rowInvStd(x, r, cols, mu, eps);
    let md = 0, mdx = 0;
    if (dx !== null) {
      for (let j = 0; j < cols; j++) {
        md += dx[r + j];
        mdx += dx[r + j] * (x[r + j] - mu) * istd;
      }
      md /= cols;
      mdx /= cols;
    }
    for (let j = 0; j < cols; j++) {
      const xhat = (x[r + j] - mu) * istd;
      let d = dx === null ? 0 : (gamma === null ? 1 : gamma[j]) * istd * (dx[r + j] - md - xhat * mdx);
      if (dgamma !== null) d += dgamma[j] * xhat;
      if (dbeta !== null) d += dbeta[j];
      out[r + j] = d;
    }
  }
  return out;
}
