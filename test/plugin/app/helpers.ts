// A helper in a file of its own: the plugin inlines it into the derivative.
export function softplus(z: number): number {
  return Math.log(1 + Math.exp(z));
}
