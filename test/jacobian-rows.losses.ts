// Vector-valued functions for the reverse-mode Jacobian's rows (test/jacobian-rows.test.ts).

/** 11 outputs from an array and a number: rows in one sweep of 8 and one of 3. */
export function mixed(x: Float64Array, t: number): Float64Array {
  const n = x.length;
  const r = new Float64Array(11);
  for (let i = 0; i < 11; i++) {
    const a = x[i % n], b = x[(i + 1) % n];
    r[i] = Math.sin(a * t) + b * b * t + (i > 5 ? Math.exp(a - b) : a * b);
  }
  return r;
}

/** Three outputs, a length the code fixes: three rows a sweep. */
export function three(x: Float64Array): Float64Array {
  const r = new Float64Array(3);
  for (let i = 0; i < x.length; i++) {
    r[0] += Math.tanh(x[i]);
    r[1] += x[i] * x[i] * (i + 1);
    r[2] += Math.sin(x[i] * r[0]);
  }
  return r;
}

/** As many outputs as inputs: a length known only when called. */
export function shifted(x: Float64Array): Float64Array {
  return x.map((v, i) => v * x[(i + 3) % x.length] + Math.cos(v));
}

/** Three number inputs: a forward-mode Jacobian takes all three columns in one sweep. */
export function ofThree(a: number, b: number, c: number): Float64Array {
  const r = new Float64Array(4);
  r[0] = a * b;
  r[1] = Math.sin(c) * a;
  r[2] = b + Math.exp(c);
  r[3] = a * b * c;
  return r;
}
