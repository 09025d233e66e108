// Losses for test/language-functions.test.ts: callbacks, array methods, switch, the bitwise
// operators, C-style expressions and throw, as JavaScript users write them. The build path
// compiles this file's text (with derivative requests appended); the run-time path
// differentiates the same functions, imported, with the helpers in opts.functions.

// ---- helpers taking a function (a callback known at the call site) or a boolean flag ----

export function cond(pred: boolean, onTrue: (x: number) => number, onFalse: (x: number) => number, x: number): number {
  return pred ? onTrue(x) : onFalse(x);
}

export function fixedLoop(n: number, body: (i: number, s: number) => number, init: number): number {
  let s = init;
  for (let i = 0; i < n; i++) s = body(i, s);
  return s;
}

export function square(v: number): number {
  return v * v;
}

export function scaled(x: number, y: number, twice: boolean): number {
  return twice ? 2 * x * y : x * y;
}

export function callbacks(x: number, y: number, w: Float64Array, on: boolean): number {
  const a = cond(x < 0.5, (v) => 3 * v * y, (v) => Math.sin(v) * y, x);
  const b = cond(y > 0, () => Math.exp(y), square, x);
  const k = 0.5;
  const c = fixedLoop(w.length, (i, s) => s + k * w[i] * w[i] * x, 0);
  function inner(v: number): number {
    return v * x;
  }
  const d = fixedLoop(3, function (i, s) { return inner(s) + i; }, y);
  return a + b + c + d + scaled(x, y, true) + scaled(x, y, on);
}

// ---- the bitwise operators: integer ops, derivative 0 ----

export function bitwise(x: number, w: Float64Array): number {
  const n = w.length;
  let s = (x | 0) * x + ~~x * w[0] + (~n & 3) * x;
  for (let i = 0; i < n; i++) s += w[(i ^ 1) % n] * w[i] * ((i & 1) + 1) + w[(i << 1) % n] * (n >> 1) + (-n >>> 28) * w[i];
  let m = 7;
  m &= n;
  m |= 8;
  m ^= 1;
  m <<= 2;
  m >>= 1;
  m >>>= 0;
  return s + m * x;
}
