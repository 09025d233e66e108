import { outError, type EntrySpec } from "gradc/runtime";

// Value and gradient of huber (losses.ts) with respect to p.
const huber_grad_scalars = new Float64Array(1);
const huberValueAndGrad_spec: EntrySpec = {
  call: "valueAndGrad(huber)",
  mode: "valueAndGrad",
  params: ["p", "x", "y"],
  wrt: [0],
  shapes: [
    [
      ["w", "Float64Array"],
      ["b", "number"],
    ],
  ],
  list: false,
};

function huber_grad(
  p_w: Float64Array,
  p_b: number,
  x: Float64Array,
  y: Float64Array,
  p_w_bar: Float64Array,
  scalars: Float64Array,
): number {
  let r = 0;
  let r_bar = 0;
  let p_b_bar = 0;
  // line 17: let loss = 0;
  let loss = 0;
  // line 18: for (let i = 0; i < y.length; i++) {
  for (let i = 0; i < y.length; i++) {
    // line 19: const r = p.w[i] * x[i] + p.b - y[i];
    r = p_w[i] * x[i] + p_b - y[i];
    // line 20: if (Math.abs(r) > 1) {
    if (Math.abs(r) > 1) {
      // line 21: loss += Math.abs(r) - 0.5;
      loss += Math.abs(r) - 0.5;
    } else {
      // line 23: loss += 0.5 * r * r;
      loss += 0.5 * r * r;
    }
  }
  // line 26: return loss / y.length;
  const result = loss / y.length;
  // adjoint of line 26: return loss / y.length;
  const loss_bar = y.length === 0 ? 0 : 1 / y.length;
  // p_w_bar: zero the elements the next loop does not write
  for (let j = Math.min(p_w.length, y.length); j < p_w.length; j++) {
    p_w_bar[j] = 0;
  }
  // adjoint of line 18: for (let i = 0; i < y.length; i++) {
  for (let i_1 = y.length - 1; i_1 >= 0; i_1--) {
    const t1 = x[i_1];
    r = p_w[i_1] * t1 + p_b - y[i_1];
    // adjoint of line 20: if (Math.abs(r) > 1) {
    if (Math.abs(r) > 1) {
      // adjoint of line 21: loss += Math.abs(r) - 0.5;
      r_bar = loss_bar * Math.sign(r);
    } else {
      // adjoint of line 23: loss += 0.5 * r * r;
      r_bar = loss_bar * r;
    }
    // adjoint of line 19: const r = p.w[i] * x[i] + p.b - y[i];
    p_b_bar += r_bar;
    p_w_bar[i_1] = r_bar * t1;
  }
  scalars[0] = p_b_bar;
  return result;
}

export function huberValueAndGrad(
  p: { w: Float64Array; b: number },
  x: Float64Array,
  y: Float64Array,
  out?: { w: Float64Array; b: number },
): [number, { w: Float64Array; b: number }] {
  if (
    out !== undefined &&
    !(
      typeof out === "object" &&
      out !== null &&
      out.w instanceof Float64Array &&
      out.w.length === p.w.length &&
      typeof out.b === "number"
    )
  )
    outError(huberValueAndGrad_spec, [p, x, y], out);
  const p_grad = out ?? { w: new Float64Array(p.w.length), b: 0 };
  const value = huber_grad(p.w, p.b, x, y, p_grad.w, huber_grad_scalars);
  p_grad.b = huber_grad_scalars[0];
  return [value, p_grad];
}
