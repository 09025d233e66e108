// Logistic regression: mean binary cross-entropy over a small synthetic data set,
// plus L2 regularisation, as a function of the weights {w, b}.
import { valueAndGrad } from "gradc";
import { type Demo, fill, gaussian, random } from "./demo.js";

export interface Weights {
  w: Float64Array;
  b: number;
}

/** log(1 + e^z), without overflow for large |z|. */
function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

/** X holds one example per row (n rows of d = p.w.length features); y holds 0/1 labels. */
export function logisticLoss(p: Weights, X: Float64Array, y: Float64Array, lambda: number): number {
  const d = p.w.length;
  const n = y.length;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    let z = p.b;
    for (let j = 0; j < d; j++) z += p.w[j] * X[i * d + j];
    // -log sigmoid(z) when y = 1, -log(1 - sigmoid(z)) when y = 0.
    loss += softplus(z) - y[i] * z;
  }
  let reg = 0;
  for (const wj of p.w) reg += wj * wj;
  return loss / n + 0.5 * lambda * reg;
}

// At run time gradc needs the helpers the loss calls; a build finds them in this file.
export const logisticGrad = valueAndGrad(logisticLoss, { wrt: "p", functions: { softplus } });

/** n examples whose labels come from a known linear rule plus noise. */
function dataset(n: number, d: number) {
  const normal = gaussian(random(2));
  const truth = fill(d, normal);
  const X = fill(n * d, normal);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let z = 0.5;
    for (let j = 0; j < d; j++) z += truth[j] * X[i * d + j];
    y[i] = z + 0.5 * normal() > 0 ? 1 : 0;
  }
  return { X, y };
}

export const demo: Demo = {
  title: "logistic regression, 500 examples x 8 features, weights {w, b}",
  loss: logisticLoss,
  request: "logisticGrad",
  wrt: [0],
  args: () => {
    const { X, y } = dataset(500, 8);
    const normal = gaussian(random(3));
    return [{ w: fill(8, () => 0.1 * normal()), b: 0.05 }, X, y, 1e-3];
  },
};
