// ‖a − b‖ / max(‖a‖, ‖b‖): the norm-wise relative error the backend tests hold results to.
export function relErr(a: ArrayLike<number> | number, b: ArrayLike<number> | number): number {
  const av = typeof a === "number" ? [a] : a, bv = typeof b === "number" ? [b] : b;
  let d = 0, na = 0, nb = 0;
  for (let i = 0; i < av.length; i++) {
    d += (av[i] - bv[i]) ** 2;
    na += av[i] ** 2;
    nb += bv[i] ** 2;
  }
  return Math.sqrt(d) / Math.max(Math.sqrt(na), Math.sqrt(nb), 1e-300);
}
