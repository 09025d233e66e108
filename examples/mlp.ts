// A two-layer perceptron with tanh hidden units, fitted by mean squared error:
//   prediction(x) = W2 . tanh(W1 x + b1) + b2
import { valueAndGrad } from "gradc";
import { type Demo, fill, gaussian, random } from "./demo.js";

export interface Net {
  W1: Float64Array; // hidden x inputs, row-major
  b1: Float64Array; // hidden
  W2: Float64Array; // hidden
  b2: number;
}

/** X holds n rows of d inputs; y holds n targets. */
export function mlpLoss(net: Net, X: Float64Array, y: Float64Array): number {
  const hidden = net.b1.length;
  const n = y.length;
  const d = X.length / n;
  let sse = 0;
  for (let i = 0; i < n; i++) {
    let out = net.b2;
    for (let k = 0; k < hidden; k++) {
      let a = net.b1[k];
      for (let j = 0; j < d; j++) a += net.W1[k * d + j] * X[i * d + j];
      out += net.W2[k] * Math.tanh(a);
    }
    const e = out - y[i];
    sse += e * e;
  }
  return sse / n;
}

export const mlpGrad = valueAndGrad(mlpLoss, { wrt: "net" });

/** Targets from a smooth nonlinear function of the first three inputs (d >= 3). */
function dataset(n: number, d: number) {
  const normal = gaussian(random(4));
  const X = fill(n * d, normal);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) y[i] = Math.sin(X[i * d]) + X[i * d + 1] * X[i * d + 2];
  return { X, y };
}

export const demo: Demo = {
  title: "MLP 4-16-1 (tanh), 256 examples, parameters {W1, b1, W2, b2}",
  loss: mlpLoss,
  request: "mlpGrad",
  wrt: [0],
  args: () => {
    const [n, d, hidden] = [256, 4, 16];
    const { X, y } = dataset(n, d);
    const normal = gaussian(random(5));
    const net: Net = {
      W1: fill(hidden * d, () => normal() / Math.sqrt(d)),
      b1: fill(hidden, () => 0.1 * normal()),
      W2: fill(hidden, () => normal() / Math.sqrt(hidden)),
      b2: 0,
    };
    return [net, X, y];
  },
};
