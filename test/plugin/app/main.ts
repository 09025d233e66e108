// The example app's entry: evaluates the derivatives at one point and exports them.
import { loss, lossGradX, lossHvp, lossValueAndGrad, type Layer } from "./model";

export const p: Layer = { W: Float64Array.from([0.3, -0.2, 0.5, 0.1, 0.4, -0.6]), b: Float64Array.from([0.05, -0.1]) };
export const x = Float64Array.from([1, -0.5, 2]);
export const y = Float64Array.from([0.7, 1.3]);
export const v: Layer = { W: Float64Array.from([1, 0, -1, 0.5, 0.5, 2]), b: Float64Array.from([-1, 1]) };

const [value, gradP] = lossValueAndGrad(p, x, y);
export const results = { value, gradP, gradX: lossGradX(p, x, y), hvpP: lossHvp(p, x, y, v) };
export { loss, lossValueAndGrad };
