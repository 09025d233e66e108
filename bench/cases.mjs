// Benchmark cases. Each case has the loss as a user writes it (the primal, which is
// also what gradc differentiates), the best hand-written value-and-gradient we could
// write in JS, and a way to read any gradient as a flat Float64Array for checks.

/** Small seeded PRNG (mulberry32), so every run times the same inputs. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uniform(n, lo, hi, seed) {
  const r = rng(seed);
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * r();
  return a;
}

/** Adapts a hand-written vg(x, g) to x => [value, fresh gradient] for the checks. */
function arrayVG(vg) {
  return (x) => {
    const g = new Float64Array(x.length);
    return [vg(x, g), g];
  };
}

// ---------------------------------------------------------------- Rosenbrock

export function rosenbrock(x) {
  let s = 0;
  for (let i = 0; i < x.length - 1; i++) {
    const a = x[i + 1] - x[i] * x[i];
    const b = 1 - x[i];
    s += 100 * a * a + b * b;
  }
  return s;
}

/** One fused loop; the adjoint x[i] gets from term i-1 is carried in `carry`. */
export function rosenbrockVG(x, g) {
  const n = x.length;
  let s = 0;
  let carry = 0;
  let xi = x[0];
  for (let i = 0; i < n - 1; i++) {
    const xj = x[i + 1];
    const a = xj - xi * xi;
    const b = 1 - xi;
    s += 100 * a * a + b * b;
    g[i] = carry - 400 * a * xi - 2 * b;
    carry = 200 * a;
    xi = xj;
  }
  if (n > 0) g[n - 1] = carry;
  return s;
}

function rosenbrockCase(n) {
  const x = uniform(n, -2, 2, 1000 + n);
  const g = new Float64Array(n);
  return {
    name: `rosenbrock n=${n.toLocaleString("en")}`,
    primal: rosenbrock,
    gradcOpts: {},
    makeOut: () => new Float64Array(n),
    callArgs: [x],
    // Central differences cost O(n^2): they check the hand-written code on a small input.
    fd: { theta: uniform(Math.min(n, 50), -2, 2, 7), f: rosenbrock, hand: arrayVG(rosenbrockVG) },
    compare: (vg) => ({ hand: arrayVG(rosenbrockVG)(x), gradc: vg(x) }),
    variants: (vg, vgOut) => ({
      primal: { fn: rosenbrock, args: [x] },
      hand: { fn: rosenbrockVG, args: [x, g] },
      ...(vg && { gradc: { fn: vg, args: [x] } }),
      ...(vgOut && { gradcOut: { fn: vgOut, args: [x] } }),
    }),
  };
}

// ------------------------------------------- sin(x)*exp(y) + x*y, one call per point

export function sinExp(x, y) {
  return Math.sin(x) * Math.exp(y) + x * y;
}

export function sinExpVG(x, y, g) {
  const s = Math.sin(x);
  const e = Math.exp(y);
  g[0] = Math.cos(x) * e + y;
  g[1] = s * e + x;
  return s * e + x * y;
}

function sinExpCase(points) {
  const xs = uniform(points, -1, 1, 11);
  const ys = uniform(points, -1, 1, 12);
  const g = new Float64Array(2);
  // Every gradient variant also reads its gradient, so none of it is dead code.
  const loops = {
    primal: (xs, ys) => {
      let s = 0;
      for (let i = 0; i < xs.length; i++) s += sinExp(xs[i], ys[i]);
      return s;
    },
    hand: (xs, ys) => {
      let s = 0;
      for (let i = 0; i < xs.length; i++) s += sinExpVG(xs[i], ys[i], g) + g[0] + g[1];
      return s;
    },
    gradc: (vg) => (xs, ys) => {
      let s = 0;
      for (let i = 0; i < xs.length; i++) {
        const r = vg(xs[i], ys[i]);
        s += r[0] + r[1][0] + r[1][1];
      }
      return s;
    },
    // Same text as above, but its own function: its call site stays monomorphic.
    gradcOut: (vg) => (xs, ys) => {
      let s = 0;
      for (let i = 0; i < xs.length; i++) {
        const r = vg(xs[i], ys[i]);
        s += r[0] + r[1][0] + r[1][1];
      }
      return s;
    },
  };
  const checkAt = Array.from({ length: 200 }, (_, k) => (k * 499) % points);
  return {
    name: `sin(x)*exp(y)+x*y, ${points.toLocaleString("en")} calls`,
    perOp: points,
    primal: sinExp,
    gradcOpts: { wrt: ["x", "y"] },
    // Gradients w.r.t. two numbers: the caller's buffer is a two-slot array.
    makeOut: () => [0, 0],
    callArgs: [xs[0], ys[0]],
    fd: { theta: Float64Array.of(xs[3], ys[3]), f: (t) => sinExp(t[0], t[1]), hand: pairVG },
    // Compared at 200 of the points, concatenated.
    compare: (vg) => ({
      hand: concat(checkAt.map((i) => pairVG(Float64Array.of(xs[i], ys[i])))),
      gradc: concat(checkAt.map((i) => flatPair(vg(xs[i], ys[i])))),
    }),
    variants: (vg, vgOut) => ({
      primal: { fn: loops.primal, args: [xs, ys] },
      hand: { fn: loops.hand, args: [xs, ys] },
      ...(vg && { gradc: { fn: loops.gradc(vg), args: [xs, ys] } }),
      ...(vgOut && { gradcOut: { fn: loops.gradcOut(vgOut), args: [xs, ys] } }),
    }),
  };
}

function pairVG(t) {
  const g = new Float64Array(2);
  return [sinExpVG(t[0], t[1], g), g];
}

function flatPair(r) {
  return [r[0], Float64Array.of(r[1][0], r[1][1])];
}

function concat(pairs) {
  const vals = pairs.map((p) => p[0]);
  const g = new Float64Array(pairs.reduce((n, p) => n + p[1].length, 0));
  let o = 0;
  for (const [, gi] of pairs) g.set(gi, o), (o += gi.length);
  return [vals.reduce((a, b) => a + b, 0), g];
}

// ---------------------------------------------------------------- log-sum-exp

export function logSumExp(x) {
  let m = -Infinity;
  for (let i = 0; i < x.length; i++) m = Math.max(m, x[i]);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.exp(x[i] - m);
  return m + Math.log(s);
}

/** Max pass, exp pass storing e_i and summing, then one scaling pass: g = softmax(x). */
export function logSumExpVG(x, g) {
  const n = x.length;
  let m = -Infinity;
  for (let i = 0; i < n; i++) if (x[i] > m) m = x[i];
  let s = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.exp(x[i] - m);
    g[i] = e;
    s += e;
  }
  const r = 1 / s;
  for (let i = 0; i < n; i++) g[i] *= r;
  return m + Math.log(s);
}

function logSumExpCase(n) {
  const x = uniform(n, -5, 5, 21);
  const g = new Float64Array(n);
  return {
    name: `log-sum-exp n=${n.toLocaleString("en")}`,
    primal: logSumExp,
    gradcOpts: {},
    makeOut: () => new Float64Array(n),
    callArgs: [x],
    fd: { theta: uniform(200, -5, 5, 22), f: logSumExp, hand: arrayVG(logSumExpVG) },
    compare: (vg) => ({ hand: arrayVG(logSumExpVG)(x), gradc: vg(x) }),
    variants: (vg, vgOut) => ({
      primal: { fn: logSumExp, args: [x] },
      hand: { fn: logSumExpVG, args: [x, g] },
      ...(vg && { gradc: { fn: vg, args: [x] } }),
      ...(vgOut && { gradcOut: { fn: vgOut, args: [x] } }),
    }),
  };
}

// ---------------------------------------------------------------- tanh RNN

/** A scalar tanh RNN fitted to a sequence: p = [w, u, c], h_t = tanh(w h_(t-1) + u x_t + c). */
export function tanhRnn(p, x, y) {
  const w = p[0], u = p[1], c = p[2];
  let h = 0;
  let loss = 0;
  for (let t = 0; t < x.length; t++) {
    h = Math.tanh(w * h + u * x[t] + c);
    const e = h - y[t];
    loss += e * e;
  }
  return loss;
}

/** Forward pass storing each h_t, then the backward pass over them. */
export function tanhRnnVG(p, x, y, g, hs) {
  const w = p[0], u = p[1], c = p[2];
  const n = x.length;
  let h = 0;
  let loss = 0;
  for (let t = 0; t < n; t++) {
    h = Math.tanh(w * h + u * x[t] + c);
    hs[t] = h;
    const e = h - y[t];
    loss += e * e;
  }
  let gw = 0, gu = 0, gc = 0, hBar = 0;
  for (let t = n - 1; t >= 0; t--) {
    const ht = hs[t];
    const zBar = (hBar + 2 * (ht - y[t])) * (1 - ht * ht);
    const prev = t > 0 ? hs[t - 1] : 0;
    gw += zBar * prev;
    gu += zBar * x[t];
    gc += zBar;
    hBar = zBar * w;
  }
  g[0] = gw;
  g[1] = gu;
  g[2] = gc;
  return loss;
}

function tanhRnnCase(steps) {
  const x = uniform(steps, -1, 1, 31);
  const y = uniform(steps, -0.5, 0.5, 32);
  const p = Float64Array.of(0.6, 0.8, -0.1);
  const hs = new Float64Array(steps);
  const hand = (q) => {
    const g = new Float64Array(3);
    return [tanhRnnVG(q, x, y, g, hs), g];
  };
  const g = new Float64Array(3);
  return {
    name: `tanh RNN, ${steps.toLocaleString("en")} steps`,
    handTarget: 1.2,
    primal: tanhRnn,
    gradcOpts: { wrt: "p" },
    makeOut: () => new Float64Array(3),
    callArgs: [p, x, y],
    fd: { theta: p, f: (q) => tanhRnn(q, x, y), hand },
    compare: (vg) => ({ hand: hand(p), gradc: vg(p, x, y) }),
    variants: (vg, vgOut) => ({
      primal: { fn: tanhRnn, args: [p, x, y] },
      hand: { fn: tanhRnnVG, args: [p, x, y, g, hs] },
      ...(vg && { gradc: { fn: vg, args: [p, x, y] } }),
      ...(vgOut && { gradcOut: { fn: vgOut, args: [p, x, y] } }),
    }),
  };
}

export function cases() {
  return [
    rosenbrockCase(10),
    rosenbrockCase(1000),
    rosenbrockCase(100000),
    sinExpCase(100000),
    logSumExpCase(1000000),
    tanhRnnCase(100000),
  ];
}
