// Gradient of sinExp (test/golden/losses.ts), with respect to x, y.
const sinExp_scalars = new Float64Array(2);

function sinExp_grad(x: number, y: number, scalars: Float64Array): void {
  let y_bar = 0;
  let x_bar = 0;
  y_bar = 0;
  x_bar = 0;
  // adjoint of line 31: return Math.sin(x) * Math.exp(y) + x * y;
  const t1 = Math.exp(y);
  y_bar = x + Math.sin(x) * t1;
  x_bar = y + t1 * Math.cos(x);
  scalars[0] = x_bar;
  scalars[1] = y_bar;
}

export function sinExpGrad(
  x_1: number,
  y_1: number,
  out?: [number, number],
): [number, number] {
  sinExp_grad(x_1, y_1, sinExp_scalars);
  return [sinExp_scalars[0], sinExp_scalars[1]];
}
