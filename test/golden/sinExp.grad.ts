import { outError, type EntrySpec } from "gradc/runtime";

// Gradient of sinExp (losses.ts) with respect to x, y.
const sinExp_grad_scalars = new Float64Array(2);
const sinExpGrad_spec: EntrySpec = {
  call: "grad(sinExp)",
  mode: "grad",
  params: ["x", "y"],
  wrt: [0, 1],
  shapes: ["number", "number"],
  list: true,
};

function sinExp_grad(x: number, y: number, scalars: Float64Array): void {
  // adjoint of line 31: return Math.sin(x) * Math.exp(y) + x * y;
  const t1 = Math.exp(y);
  const y_bar = x + Math.sin(x) * t1;
  const x_bar = y + t1 * Math.cos(x);
  scalars[0] = x_bar;
  scalars[1] = y_bar;
}

export function sinExpGrad(
  x: number,
  y: number,
  out?: [number, number],
): [number, number] {
  if (
    out !== undefined &&
    !(
      Array.isArray(out) &&
      out.length === 2 &&
      typeof out[0] === "number" &&
      typeof out[1] === "number"
    )
  )
    outError(sinExpGrad_spec, [x, y], out);
  sinExp_grad(x, y, sinExp_grad_scalars);
  if (out === undefined)
    return [sinExp_grad_scalars[0], sinExp_grad_scalars[1]];
  out[0] = sinExp_grad_scalars[0];
  out[1] = sinExp_grad_scalars[1];
  return out;
}
