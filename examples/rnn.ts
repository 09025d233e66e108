// A scalar recurrent model fitted to a sequence:
//   h_t = tanh(w h_{t-1} + u x_t + c),  loss = mean over t of (h_t - y_t)^2
// Its state h is overwritten at every step, so the gradient has to run the
// recurrence backwards.
import { valueAndGrad } from "gradc";
import { type Demo, fill, gaussian, random } from "./demo.js";

export function rnnLoss(w: number, u: number, c: number, xs: Float64Array, ys: Float64Array): number {
  let h = 0;
  let loss = 0;
  for (let t = 0; t < xs.length; t++) {
    h = Math.tanh(w * h + u * xs[t] + c);
    const e = h - ys[t];
    loss += e * e;
  }
  return loss / xs.length;
}

// Several parameters at once: the gradient is [dw, du, dc].
export const rnnGrad = valueAndGrad(rnnLoss, { wrt: ["w", "u", "c"] });

/** A sequence produced by the same recurrence with w = 0.6, u = 0.9, c = 0.1, plus noise. */
function sequence(steps: number) {
  const normal = gaussian(random(6));
  const xs = fill(steps, normal);
  const ys = new Float64Array(steps);
  let h = 0;
  for (let t = 0; t < steps; t++) {
    h = Math.tanh(0.6 * h + 0.9 * xs[t] + 0.1);
    ys[t] = h + 0.05 * normal();
  }
  return { xs, ys };
}

export const demo: Demo = {
  title: "scalar RNN over 1,000 steps, parameters w, u, c",
  loss: rnnLoss,
  request: "rnnGrad",
  wrt: [0, 1, 2],
  args: () => {
    const { xs, ys } = sequence(1000);
    return [0.3, 0.5, 0, xs, ys];
  },
};
