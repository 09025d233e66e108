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

/** Returns a function (curried, as autograd's fixed_points example writes its step). */
export function makeStep(a: number): (x: number) => number {
  return (x) => x - 0.05 * (x * x - a);
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
  const step = makeStep(y);
  // a callback calling the helper it is passed to, with a callback of its own: no recursion (found by the fuzzer)
  const e = fixedLoop(2, (i, s) => s + fixedLoop(i + 1, (j, t) => t * y + j, x), 0);
  return a + b + c + d + e + scaled(x, y, true) + scaled(x, y, on) + step(step(x));
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

// ---- typed-array methods with callbacks, lowered to loops ----

export function methods(x: Float64Array, y: number): number {
  const sq = x.map((v) => v * v * y);
  const sines = x.map(Math.sin);
  let s = 0;
  sq.forEach((v, i) => {
    s += v * sines[i];
  });
  const p = x.reduce((acc, v) => acc * (1 + v * v), 1);
  const r = x.reduceRight((acc, v, i) => acc * y + v * i, 0.5);
  const big = x.some((v) => v > 0.9);
  const small = x.every((v) => Math.abs(v) < 0.9);
  const evens = x.filter((_, i) => i % 2 === 0);
  const positive = x.filter((v) => v > 0);
  const e = evens.reduce((acc, v) => acc + v * y, 0) + positive.length * y + positive.reduce((acc, v) => acc + Math.exp(v), 0);
  return s + p + r + e + (big ? y : 0) + (small ? 2 * y * y : 0) + x.map(Math.pow).reduce((a, v) => a + v, 0);
}

/** A running product, the callback writing a variable of the caller (vector-valued). */
export function cumulative(x: Float64Array, y: number): Float64Array {
  let p = 1;
  return x.map((v) => (p *= v + y));
}

/** The array written after it is mapped (tangent's test_subscript3). */
export function mappedThenWritten(x: Float64Array): number {
  const y = x.map((v) => v ** 2.0);
  x[0] = y[1] * y[2];
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * y[i];
  return s;
}

// ---- switch ----

/** Clad's Switch.C fn7: labels sharing statements, a default sharing a clause. */
export function switchInLoop(u: number, v: number): number {
  let res = 0;
  for (let i = 0; i < 5; ++i) {
    switch (i) {
      case 0:
      case 1:
      case 2:
        res += u * v;
        break;
      case 3:
      default:
        res += v * v;
        break;
    }
  }
  return res;
}

/** A return in every clause (an if / else-if chain in tail position), the default first. */
export function switchReturn(x: number, y: number, k: number): number {
  switch (k) {
    default:
      return y * y;
    case 0:
      return x * x;
    case 1:
      return x * y;
  }
}

/** Fallthrough into statements, a break inside an if, continue and return inside, switch (true). */
export function switchFallthrough(x: number, w: Float64Array): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) {
    switch (i % 4) {
      case 0:
        s += w[i] * x;
      case 1:
        s += Math.sin(w[i]);
        if (w[i] > 0) break;
        s *= 1.5;
      case 2:
        if (i === 6) continue;
        s += w[i] * w[i];
        break;
      default:
        if (i > 6) return s * x;
        s -= x;
    }
    switch (true) {
      case w[i] > 0.5:
        s += x;
        break;
      case w[i] < -0.5:
        s -= x * x;
    }
  }
  return s;
}

// ---- throw: input validation ----

export function validated(x: number, w: Float64Array, n: number): number {
  if (n < 0) throw new RangeError("n must be at least 0");
  if (w.length === 0) throw new Error("w is empty");
  let s = 0;
  for (let i = 0; i < w.length; i++) {
    if (!(w[i] < 10)) throw TypeError("entries must be below 10");
    s += w[i] * w[i] * x + n * w[i];
  }
  return s + x * x;
}

// ---- C-style expressions, rest parameters ----

export function sumAll(scale: number, ...xs: number[]): number {
  let s = 0;
  for (const v of xs) s += v * v;
  return scale * s + xs.length;
}

export function cstyle(x: number, w: Float64Array): number {
  let n = w.length;
  let s = 0;
  while (n--) s += w[n] * x;
  const a = new Float64Array(w.length + 2);
  let i = 0;
  for (let k = 0; k < w.length; k++) a[i++] = w[k] * w[k];
  let b, c;
  b = c = 3 * x;
  s += a[0] *= 5;
  let j = 0,
    t = 0;
  while ((t = j * x) < 2 && j < 5) {
    s += t;
    j++;
  }
  const z = ((s += 1), s * 2);
  for (let p = 0, q = w.length - 1; p < q; p++, q--) s += w[p] * w[q];
  return s + b + c + z + a[1] + (i > 1 ? a[i - 1] : 0) + sumAll(x, w[0], x * w[0], 2) + sumAll(2);
}

// ---- Object.keys over an object parameter, sorted: unrolled ----

export function keyed(p: { b: number; a: number; c: number }, w: { y: Float64Array; x: Float64Array }): number {
  let s = 0;
  for (const [i, k] of Object.keys(p).sort().entries()) {
    if (i === 2) continue;
    s += p[k as keyof typeof p] * (i + 1) * p[k as keyof typeof p];
  }
  for (const k of Object.keys(w).sort()) s += w[k as keyof typeof w].reduce((acc, v) => acc + Math.sin(v), 0) * s;
  return s;
}

/** Math.max(...x), Math.min(...x): folded over the array (softmax, logsumexp). */
export function spreadMax(x: Float64Array, y: number): number {
  const m = Math.max(...x);
  const lo = Math.min(...x);
  return m + Math.log(x.reduce((s, v) => s + Math.exp(v - m), 0)) + lo * y + (Math.max(...new Float64Array(0)) < 0 ? 2 * y : 0) + (Math.min(...new Float64Array(0)) > 0 ? y : 0);
}

// ---- object literals: passed to helpers, spread, holding a callback ----

export function saxpyOf(val: { a: number; b: number; c: number; w: Float64Array; f: (v: number) => number }): number {
  return val.a * val.b + val.f(val.c) + val["w"][0] * val.a;
}

export function objects(x: number, y: number, w: Float64Array): number {
  const base = { a: x, b: y * y, c: x + y, w, f: (v: number) => Math.sin(v) * y };
  const s = saxpyOf(base);
  let t = 0;
  for (let i = 0; i < w.length; i++) t += saxpyOf({ ...base, a: w[i], c: i * x });
  const { a, b } = { a: x * 3, b: w[0] };
  return s + t + a * b;
}

// ---- options objects: absent fields, defaults, ??= ||= &&=, a truthy array as a condition ----

export function centred(x: Float64Array, { mean, scale = 2, weights }: { mean?: number; scale?: number; weights?: Float64Array } = {}): number {
  mean ??= x.reduce((s, v) => s + v, 0) / x.length;
  const w = weights ? weights : x;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += w[i] * (x[i] - mean) ** 2;
  return s * scale;
}

export function options(x: Float64Array, y: number): number {
  let a = 0;
  a ||= y * y;
  let b = y;
  b &&= Math.sin(b);
  let c;
  c ??= 3 * y;
  c ??= 100;
  return centred(x, { weights: x }) + centred(x, { mean: y, scale: a }) + centred(x) * b + c;
}
