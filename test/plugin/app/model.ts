// The example app's model: a parameter object typed by an interface, a helper from
// another file, a runtime kernel, and three request sites.
import { grad, hvp, valueAndGrad } from "gradc";
import { matvec } from "gradc/runtime";
import { softplus } from "./helpers";

export interface Layer {
  W: Float64Array;
  b: Float64Array;
}

/** Weighted softplus of a 2×3 linear layer. */
export function loss(p: Layer, x: Float64Array, y: Float64Array): number {
  const h = new Float64Array(2);
  matvec(h, p.W, x, 2, 3);
  let s = 0;
  for (let i = 0; i < 2; i++) s += softplus(h[i] + p.b[i]) * y[i];
  return s + 0.5 * (p.b[0] * p.b[0] + p.b[1] * p.b[1]);
}

export const lossValueAndGrad = valueAndGrad(loss, { wrt: "p" });
export const lossGradX = grad(loss, { wrt: 1 });
export const lossHvp = hvp(loss, { wrt: "p" });
