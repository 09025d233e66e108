// Losses whose loops push onto the tape in ways the reserve before a loop must count:
// branches pushing different numbers of values, a nested loop, a while loop.

/** One branch overwrites two variables, one of them with a cosine; another one variable; the third none. */
export function branchy(x: Float64Array, c: Float64Array): number {
  let out = 0;
  let aux = 1;
  for (let i = 0; i < x.length; i++) {
    const u = Math.sin(out * c[0] + x[i]);
    if (u > 0) {
      out += u * c[1];
      aux = aux * Math.cos(u);
    } else if (u < -0.5) {
      out -= u * u;
    }
  }
  return out + aux;
}

/** A loop nested in the loop body: its pushes cannot be counted before the outer loop. */
export function nested(x: Float64Array, c: Float64Array): number {
  let out = 0;
  for (let i = 0; i < x.length; i++) {
    let s = x[i];
    for (let j = 0; j <= i; j++) s = Math.sin(s * c[j % c.length] + out);
    out += s * s;
  }
  return out;
}

/** A while loop of unknown trip count. */
export function halving(x: Float64Array): number {
  let out = 0;
  let k = 0;
  while (k < x.length) {
    out = Math.tanh(out + x[k]);
    k += 2;
  }
  return out * out;
}

/** A loop nested in the body that pushes nothing (a polynomial in t, as in GradBench's llsq): the outer pushes are counted. */
export function innerReadsOnly(x: Float64Array, c: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < c.length; i++) {
    const t = c[i];
    let p = 0;
    for (let k = x.length - 1; k >= 0; k--) p = p * t + x[k];
    const r = Math.sin(p) - t;
    sum += r * r;
  }
  return sum;
}

/** The sign of u is all the backward sweep reads of it: the H·v pushes u, not its tangent. */
export function signOnly(x: Float64Array, c: Float64Array): number {
  let out = 0;
  for (let i = 0; i < x.length; i++) {
    const u = Math.sin(out * c[0] + x[i]);
    if (u > 0) out += u;
    else out -= 2 * u;
  }
  return out;
}

/** A constant made by a while loop in a loop (as GradBench gmm's log Γ): its iteration counts and b need no tape. */
export function whileConstant(x: Float64Array, n: number): number {
  let s = 0;
  for (let j = 1; j <= n; j++) {
    let b = 0.5 * j + 2;
    while (b > 1) b -= 1;
    s += b;
  }
  let t = 0;
  for (let i = 0; i < x.length; i++) t += x[i] * x[i] * s;
  return t;
}
