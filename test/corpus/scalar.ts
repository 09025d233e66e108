// Losses over plain numbers: math library, branches, loops with scalar state.

export function rosenbrock2(x: number, y: number): number {
  return (1 - x) ** 2 + 100 * (y - x * x) ** 2;
}

export function trigMix(x: number, y: number): number {
  const r = Math.hypot(x, y);
  const angle = Math.atan2(y, x);
  return Math.sin(x) * Math.cos(y) + Math.tan(x / 2) + r * angle + Math.cos(Math.PI * x) / 4;
}

export function inverseTrig(x: number): number {
  return Math.asin(x) * Math.acos(x / 2) + Math.atan(3 * x);
}

export function hyperbolic(x: number, y: number): number {
  const a = Math.sinh(x) + Math.cosh(y) * Math.tanh(x * y);
  return a + Math.expm1(x / 3) - Math.log1p(y * y) + Math.exp(-x * x);
}

export function logsAndRoots(x: number): number {
  const l = Math.log(x) + Math.log2(x + 1) - Math.log10(2 * x);
  return l + Math.sqrt(x) * Math.cbrt(x + Math.E) + Math.pow(x, 2.5);
}

export function powers(x: number, y: number): number {
  // x > 0: both base and exponent are differentiable
  return Math.pow(x, y) + x ** y + y ** 3 + x ** -0.5;
}

export function absSignMinMax(x: number, y: number): number {
  const big = Math.max(x, y);
  const small = Math.min(x * 2, y, 1.5);
  return Math.abs(x) * Math.sign(y) + big * big - small + Math.abs(x - y);
}

export function rounding(x: number): number {
  // floor/ceil/round/trunc have zero slope between integers
  return x * Math.floor(x) + Math.ceil(x) * Math.sin(x) + Math.round(x) * x * x - Math.trunc(x) * x;
}

export function huberPiecewise(r: number, delta: number): number {
  let loss: number;
  if (r > delta) {
    loss = delta * (r - delta / 2);
  } else if (r < -delta) {
    loss = -delta * (r + delta / 2);
  } else {
    loss = 0.5 * r * r;
  }
  return loss;
}

export function ternaryLogic(x: number, y: number): number {
  const both = x > 0 && y > 0 ? x * y : x + y;
  const either = x < -1 || y < -1 ? Math.exp(x) : Math.exp(-y);
  return !(x > y) ? both * either : both - either;
}

export function newtonSqrtWhile(a: number): number {
  // Ten Newton steps for sqrt(a): the derivative flows through every step.
  let y = 1;
  let k = 0;
  while (k < 10) {
    y = 0.5 * (y + a / y);
    k++;
  }
  return y;
}

export function decayDoWhile(x: number, n: number): number {
  let s = 0;
  let k = 0;
  do {
    s = s * 0.9 + Math.sin(x * k);
    k += 1;
  } while (k < n);
  return s;
}

export function compoundOps(x: number, y: number): number {
  let a = x;
  a += y;
  a *= x;
  a -= 2 * y;
  a /= 1 + y * y;
  let b = -a;
  b++;
  b--;
  ++b;
  const m = x % 1.5; // x in (2, 2.9): m = x - 1.5
  return a * b + m ** 2 - -y;
}

export function earlyReturn(x: number): number {
  if (x > 2) {
    return Math.log(x);
  }
  const t = x * x;
  if (t < 0.25) return t;
  return t * Math.sin(x);
}

export function innerFunctions(x: number, y: number): number {
  const sq = (t: number): number => t * t;
  function cube(t: number): number {
    return t * sq(t);
  }
  const shifted = (t: number) => {
    const u = t - 1;
    return u * u * u;
  };
  return sq(x) + cube(y) + shifted(x * y);
}

function softplus(z: number): number {
  return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
}

function binaryCrossEntropy(z: number, label: number): number {
  // -[label*log(sigmoid(z)) + (1-label)*log(1-sigmoid(z))], stable form
  return softplus(z) - label * z;
}

export function moduleHelpers(w: number, b: number): number {
  let total = 0;
  for (let i = 0; i < 4; i++) {
    const z = w * (i - 1.5) + b;
    total += binaryCrossEntropy(z, i % 2);
  }
  return total / 4;
}

export const scalarHelpers = { softplus, binaryCrossEntropy };
