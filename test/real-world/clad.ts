// vgvassilev/clad: functions from test/Gradient/Loops.C and demos/, written as a
// JavaScript user would write them (C arrays become typed or plain arrays, `int` counters
// plain numbers).
import { grad } from "../../index.js";
import { numbers, type RealWorldCase } from "./case.js";

// --- test/Gradient/Loops.C ----------------------------------------------------------------

/** f3: == x^2 */
export function f3(x: number): number {
  let t = 1;
  for (let i = 0; i < 3; i++) {
    t *= x;
    if (i === 1) return t;
  }
  return t;
}

/** f4: == x^3 */
export function f4(x: number): number {
  let t = 1;
  for (let i = 0; i < 3; t *= x) i++;
  return t;
}

/** f5: == x + 10 */
export function f5(x: number): number {
  for (let i = 0; i < 10; i++) x++;
  return x;
}

function sq(x: number): number {
  return x * x;
}

/** f_const: C's `int` locals, written with JavaScript's integer coercion `| 0` */
export function fConst(a: number, b: number): number {
  let r = 0;
  for (let i = 0; i < a; i++) {
    const sq = (b * b) | 0;
    r += sq;
  }
  return r;
}

/** f_sum_squares */
export function fSumSquares(p: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += sq(p[i]);
  return s;
}

/** f_log_gaus */
export function fLogGaus(x: Float64Array, p: Float64Array /* means */, n: number, sigma: number): number {
  let power = 0;
  for (let i = 0; i < n; i++) power += sq(x[i] - p[i]);
  power = -power / (2 * sq(sigma));
  const gaus = (1 / Math.sqrt(Math.pow(2 * Math.PI, n) * sigma)) * Math.exp(power);
  return Math.log(gaus);
}

/** fn7 */
export function fn7(i: number, j: number): number {
  let a = 0;
  let counter = 3;
  while (counter--) a += i * i + j;
  return a;
}

/** fn8 */
export function fn8(i: number, j: number): number {
  let a = 0;
  let counter = 3;
  while (counter > 0)
    do {
      a += i * i + j;
    } while (--counter);
  return a;
}

/** fn14 */
export function fn14(i: number, j: number): number {
  let choice = 5;
  let res = 0;
  while (choice--) {
    if (choice > 3) {
      res += i;
      continue;
    }
    if (choice > 1) {
      res += j;
      continue;
    }
    if (choice > 0) {
      res += i * j;
      continue;
    }
  }
  return res;
}

/** fn17 */
export function fn17(i: number, j: number): number {
  const counter = 5;
  let res = 0;
  for (let ii = 0; ii < counter; ++ii) {
    let jj = ii;
    if (ii < 2) continue;
    while (jj--) {
      if (jj < 3) {
        res += i * j;
        break;
      } else {
        continue;
      }
      res += i * i * j * j;
    }
  }
  return res;
}

/** fn20 */
export function fn20(arr: Float64Array, n: number): number {
  let res = 0;
  for (let i = 0; i < n; ++i) {
    res += arr[i] *= 5;
  }
  return res;
}

/** fn21 */
export function fn21(x: number): number {
  let res = 0;
  for (let i = 0; i < 5; ++i) {
    const arr = [1, x, 2];
    res += arr[0] + arr[1];
  }
  return res;
}

/** fn24 */
export function fn24(i: number, j: number): number {
  let res = 0;
  for (let c = 0; (res += i * j), c < 3; ++c) {}
  return res;
}

/** fn34 */
export function fn34(x: number, y: number): number {
  let r = 0;
  const a = [y, x * y, x * x + y];
  for (const i of a) {
    r += i * i;
  }
  return r;
}

/** fn35 */
export function fn35(x: number, y: number): number {
  let r = 0;
  const a = [x, x * y, 0];
  for (const i of a) {
    for (const j of a) {
      if (r <= x * x) {
        r += i * j;
      } else if (r > x * x) {
        break;
      }
    }
  }
  return r;
}

/** fn37 */
export function fn37(x: number, y: number): number {
  const range = [x, 4, y];
  let sum = 0;
  for (const elem of range) sum += elem;
  return sum;
}

/** fn43: == -1/x[0] - 1/x[1] - 1/x[2] */
export function fn43(x: Float64Array, y: number): number {
  let out = 0.0;
  for (let i = 0; i < 3; i++) {
    const t4 = x[i];
    out += 1 / t4;
  }
  return out;
}

/** fn45 (clad checkpoints this loop with a pragma) */
export function fn45(x: number, y: number): number {
  let sum = 0;
  for (let i = 0; i < 100; ++i) {
    const t1 = x;
    const t2 = y / t1;
    sum += Math.pow(t2, 2);
  }
  return sum;
}

// --- test/Gradient/Assignments.C, CommaOperator.C, EarlyReturns.C, Switch.C, UnaryMinus.C --

/** Assignments.C f7: == x */
export function assignmentsF7(x: number, y: number): number {
  const t = [1, x, x * x];
  t[0]++;
  t[0]--;
  ++t[0];
  --t[0];
  t[0] = x;
  x = y;
  t[0] += t[1];
  t[0] *= t[1];
  t[0] /= t[1];
  t[0] -= t[1];
  x = ++t[0];
  return t[0];
}

/** Assignments.C f13: == x * x * x */
export function assignmentsF13(x: number, y: number): number {
  const t = x * (y = x);
  return t * y;
}

/** Assignments.C f21 */
export function assignmentsF21(x: number, y: number): number {
  y = (y++, x);
  return y;
}

/** CommaOperator.C comma_side_effect */
export function commaSideEffect(a: number, b: number, c: number): number {
  return (a += 1.0, b) * c;
}

/** EarlyReturns.C loopEarly */
export function loopEarly(x: number, y: number): number {
  let s = 0;
  for (let i = 0; i < 5; ++i) {
    s += x * y;
    if (s > 20) return s;
  }
  return s;
}

/** EarlyReturns.C recEarly */
export function recEarly(x: number, y: number): number {
  if (x > y) return recEarly(x - 1, y);
  return x * y;
}

/** Switch.C fn7 */
export function switchInLoop(u: number, v: number): number {
  let res = 0;
  for (let i = 0; i < 5; ++i) {
    switch (i) {
      case 0:
      case 1:
      case 2:
        res += u;
        break;
      case 3:
      default:
        res += v;
        break;
    }
  }
  return res;
}

/** Switch.C switchReturn */
export function switchReturn(x: number, y: number, k: number): number {
  switch (k) {
    case 0:
      return x * x;
    case 1:
      return x * y;
    default:
      return y * y;
  }
}

/** UnaryMinus.C f2 */
export function unaryMinus(x: number, y: number): number {
  return -2 * -(-(-x)) * -y - 1 * -y * -(-x);
}

// --- demos/ --------------------------------------------------------------------------------

/** demos/Arrays.cpp weighted_avg */
export function weightedAvg(arr: number[], weights: number[]): number {
  return (arr[0] * weights[0] + arr[1] * weights[1] + arr[2] * weights[2]) / 3;
}

function rosenbrockFunc(x: number, y: number): number {
  return (x - 1) * (x - 1) + 100 * (y - x * x) * (y - x * x);
}

/** demos/RosenbrockFunction.cpp rosenbrock: sums both partial derivatives of rosenbrock_func */
export function rosenbrock(x: Float64Array, size: number): number {
  let sum = 0;
  const rosenbrockX = grad(rosenbrockFunc, { wrt: 0 });
  const rosenbrockY = grad(rosenbrockFunc, { wrt: 1 });
  for (let i = 0; i < size - 1; i++) {
    const one = rosenbrockX(x[i], x[i + 1]);
    const two = rosenbrockY(x[i], x[i + 1]);
    sum = sum + one + two;
  }
  return sum;
}

function odeRhs(x: number, y: number, a: number, b: number, c: number): number {
  return -b * x + c * (a - y);
}

function rungeKutta(x0: number, y0: number, x: number, h: number, a: number, b: number, c: number): number {
  const n = Math.trunc((x - x0) / h);
  let k1, k2, k3, k4;
  let y = y0;
  for (let i = 1; i <= n; i++) {
    k1 = h * odeRhs(x0, y, a, b, c);
    k2 = h * odeRhs(x0 + 0.5 * h, y + 0.5 * k1, a, b, c);
    k3 = h * odeRhs(x0 + 0.5 * h, y + 0.5 * k2, a, b, c);
    k4 = h * odeRhs(x0 + h, y + k3, a, b, c);
    y = y + (1.0 / 6.0) * (k1 + 2 * k2 + 2 * k3 + k4);
    x0 = x0 + h;
  }
  return y;
}

/** demos/ODESolverSensitivity.cpp solution */
export function solution(a: number, b: number, c: number, x: number): number {
  return rungeKutta(0, 0, x, 0.001, a, b, c);
}

// --- cases ----------------------------------------------------------------------------------

const L = "vgvassilev/clad" as const;
const loops = (name: string) => `test/Gradient/Loops.C ${name}`;
const two = (lo: number, hi: number) => (r: { uniform(lo: number, hi: number): number }) => [r.uniform(lo, hi), r.uniform(lo, hi)];

export const cases: RealWorldCase[] = [
  { name: "f3", library: L, source: loops("f3"), fn: f3, makeArgs: (r) => [r.uniform(-2, 2)] },
  { name: "f4", library: L, source: loops("f4"), fn: f4, makeArgs: (r) => [r.uniform(-2, 2)] },
  { name: "f5", library: L, source: loops("f5"), fn: f5, makeArgs: (r) => [r.uniform(-2, 2)] },
  // b * b truncated to an integer: piecewise constant (derivative 0 away from the steps)
  { name: "fConst", library: L, source: loops("f_const"), fn: fConst, makeArgs: (r) => [r.int(0, 3) + r.uniform(0.1, 0.9), Math.sqrt(r.int(1, 8) + r.uniform(0.1, 0.9))] },
  { name: "fSumSquares", library: L, source: loops("f_sum_squares"), fn: fSumSquares, functions: { sq }, data: [1], makeArgs: (r) => [r.f64(5, -2, 2), r.int(0, 5)] },
  {
    name: "fLogGaus",
    library: L,
    source: loops("f_log_gaus"),
    fn: fLogGaus,
    functions: { sq },
    data: [2],
    makeArgs: (r) => {
      const n = r.int(1, 5);
      return [r.f64(n, -1, 1), r.f64(n, -1, 1), n, r.uniform(0.5, 2)];
    },
  },
  { name: "fn7", library: L, source: loops("fn7"), fn: fn7, makeArgs: two(-2, 2) },
  { name: "fn8", library: L, source: loops("fn8"), fn: fn8, makeArgs: two(-2, 2) },
  { name: "fn14", library: L, source: loops("fn14"), fn: fn14, makeArgs: two(-2, 2) },
  { name: "fn17", library: L, source: loops("fn17"), fn: fn17, makeArgs: two(-2, 2) },
  { name: "fn20", library: L, source: loops("fn20"), fn: fn20, data: [1], makeArgs: (r) => [r.f64(5, -2, 2), r.int(1, 5)] },
  { name: "fn21", library: L, source: loops("fn21"), fn: fn21, makeArgs: (r) => [r.uniform(-2, 2)] },
  { name: "fn24", library: L, source: loops("fn24"), fn: fn24, makeArgs: two(-2, 2) },
  { name: "fn34", library: L, source: loops("fn34"), fn: fn34, makeArgs: two(-2, 2) },
  { name: "fn35", library: L, source: loops("fn35"), fn: fn35, makeArgs: two(-2, 2) },
  { name: "fn37", library: L, source: loops("fn37"), fn: fn37, makeArgs: two(-2, 2) },
  { name: "fn43", library: L, source: loops("fn43"), fn: fn43, makeArgs: (r) => [Float64Array.from(numbers(r, 3, 0.5, 2), (v, i) => (i % 2 ? -v : v)), r.uniform(-1, 1)] },
  { name: "fn45", library: L, source: loops("fn45"), fn: fn45, makeArgs: (r) => [r.signed(0.5, 2), r.uniform(-2, 2)] },
  { name: "assignmentsF7", library: L, source: "test/Gradient/Assignments.C f7", fn: assignmentsF7, makeArgs: (r) => [r.signed(0.5, 2), r.uniform(-2, 2)] },
  { name: "assignmentsF13", library: L, source: "test/Gradient/Assignments.C f13", fn: assignmentsF13, makeArgs: two(-2, 2) },
  { name: "assignmentsF21", library: L, source: "test/Gradient/Assignments.C f21", fn: assignmentsF21, makeArgs: two(-2, 2) },
  { name: "commaSideEffect", library: L, source: "test/Gradient/CommaOperator.C comma_side_effect", fn: commaSideEffect, makeArgs: (r) => [r.uniform(-2, 2), r.uniform(-2, 2), r.uniform(-2, 2)] },
  // returns early once x·y·k > 20 (k = 1..5): keep away from those switch points
  { name: "loopEarly", library: L, source: "test/Gradient/EarlyReturns.C loopEarly", fn: loopEarly, makeArgs: (r) => (r.next() < 0.5 ? [r.uniform(-1.9, 1.9), r.uniform(-1.9, 1.9)] : [r.uniform(4.6, 6), r.uniform(4.6, 6)]) },
  // recursion: x steps down by 1 until x ≤ y (smooth away from x - y integer)
  { name: "recEarly", library: L, source: "test/Gradient/EarlyReturns.C recEarly", fn: recEarly, makeArgs: (r) => [r.uniform(-2, 2), r.uniform(-2, 2)] },
  { name: "switchInLoop", library: L, source: "test/Gradient/Switch.C fn7", fn: switchInLoop, makeArgs: two(-2, 2) },
  { name: "switchReturn", library: L, source: "test/Gradient/Switch.C switchReturn", fn: switchReturn, data: [2], makeArgs: (r) => [r.uniform(-2, 2), r.uniform(-2, 2), r.int(0, 2)] },
  { name: "unaryMinus", library: L, source: "test/Gradient/UnaryMinus.C f2", fn: unaryMinus, makeArgs: two(-2, 2) },
  { name: "weightedAvg", library: L, source: "demos/Arrays.cpp weighted_avg", fn: weightedAvg, makeArgs: (r) => [numbers(r, 3, -3, 3), numbers(r, 3, 0, 1)] },
  {
    name: "rosenbrockDemo",
    library: L,
    source: "demos/RosenbrockFunction.cpp rosenbrock",
    fn: rosenbrock,
    functions: { rosenbrockFunc },
    data: [1],
    reference: (x: Float64Array, size: number) => {
      let sum = 0;
      for (let i = 0; i < size - 1; i++) {
        const [a, b] = [x[i], x[i + 1]];
        sum += 2 * (a - 1) - 400 * a * (b - a * a) + 200 * (b - a * a);
      }
      return sum;
    },
    makeArgs: (r) => {
      const n = r.int(2, 5);
      return [r.f64(n, -1.5, 1.5), n];
    },
  },
  // x only sets the step count (piecewise constant): keep away from multiples of h
  {
    name: "solution",
    library: L,
    source: "demos/ODESolverSensitivity.cpp solution",
    fn: solution,
    functions: { rungeKutta, odeRhs },
    makeArgs: (r) => [r.uniform(0.5, 1.5), r.uniform(2, 4), r.uniform(2, 4), (r.int(20, 200) + r.uniform(0.2, 0.8)) * 0.001],
  },
];
