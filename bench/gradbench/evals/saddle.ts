// GradBench's saddle eval (evals/saddle/README.md): min over p1 of max over p2 of
// f(p1, p2) = (p1₀² + p1₁²) − (p2₀² + p2₁²), both by gradient descent from the start
// point. The inner argmax runs inside the function the outer descent differentiates,
// so its gradient is an inner derivative (forward: two jvp calls, reverse: grad) and
// the outer derivative (forward: two jvp calls, reverse: grad) goes through it: all
// from gradc. The descent is GradBench's solver (cpp/gradbench/gd.hpp): step η from
// 1e-5, doubled after 10 accepted steps, halved on a step that does not decrease,
// stopping when |∇| ≤ 1e-5 or a step moves by ≤ 1e-5.
import { grad, jvp } from "gradc";
import { evalFunction } from "../eval.js";
import { withOut } from "./common/out.js";

export function saddleF(p1x: number, p1y: number, p2x: number, p2y: number): number {
  return p1x * p1x + p1y * p1y - (p2x * p2x + p2y * p2y);
}

/** max over p2 of f(p1, p2) by descent on −f from (s0, s1), its gradient in p2 by reverse mode. */
export function maxR(p1x: number, p1y: number, s0: number, s1: number): number {
  let x = s0;
  let y = s1;
  let fx = -saddleF(p1x, p1y, x, y);
  const [g0, g1] = grad(saddleF, { wrt: ["p2x", "p2y"] })(p1x, p1y, x, y);
  let gx = -g0;
  let gy = -g1;
  let i = 0;
  let eta = 1e-5;
  while (true) {
    if (Math.sqrt(gx * gx + gy * gy) <= 1e-5) break;
    if (i === 10) {
      eta *= 2;
      i = 0;
    } else {
      const nx = x - eta * gx;
      const ny = y - eta * gy;
      if (Math.sqrt((x - nx) * (x - nx) + (y - ny) * (y - ny)) <= 1e-5) break;
      const fn = -saddleF(p1x, p1y, nx, ny);
      if (fn < fx) {
        x = nx;
        y = ny;
        fx = fn;
        const [h0, h1] = grad(saddleF, { wrt: ["p2x", "p2y"] })(p1x, p1y, x, y);
        gx = -h0;
        gy = -h1;
        i++;
      } else {
        eta /= 2;
        i = 0;
      }
    }
  }
  return saddleF(p1x, p1y, x, y);
}

/** The same maximum with its gradient in p2 by forward mode: one jvp per coordinate. */
export function maxF(p1x: number, p1y: number, s0: number, s1: number): number {
  let x = s0;
  let y = s1;
  let fx = -saddleF(p1x, p1y, x, y);
  let gx = -jvp(saddleF, { wrt: "p2x" })(p1x, p1y, x, y, 1)[1];
  let gy = -jvp(saddleF, { wrt: "p2y" })(p1x, p1y, x, y, 1)[1];
  let i = 0;
  let eta = 1e-5;
  while (true) {
    if (Math.sqrt(gx * gx + gy * gy) <= 1e-5) break;
    if (i === 10) {
      eta *= 2;
      i = 0;
    } else {
      const nx = x - eta * gx;
      const ny = y - eta * gy;
      if (Math.sqrt((x - nx) * (x - nx) + (y - ny) * (y - ny)) <= 1e-5) break;
      const fn = -saddleF(p1x, p1y, nx, ny);
      if (fn < fx) {
        x = nx;
        y = ny;
        fx = fn;
        gx = -jvp(saddleF, { wrt: "p2x" })(p1x, p1y, x, y, 1)[1];
        gy = -jvp(saddleF, { wrt: "p2y" })(p1x, p1y, x, y, 1)[1];
        i++;
      } else {
        eta /= 2;
        i = 0;
      }
    }
  }
  return saddleF(p1x, p1y, x, y);
}

// Outer gradients of the inner maximum in p1, and the gradients in p2 for step 2.
const maxRGradR = withOut<[number, number]>()(grad(maxR, { wrt: ["p1x", "p1y"] }));
const maxFGradR = withOut<[number, number]>()(grad(maxF, { wrt: ["p1x", "p1y"] }));
const maxRJvpX = jvp(maxR, { wrt: "p1x" });
const maxRJvpY = jvp(maxR, { wrt: "p1y" });
const maxFJvpX = jvp(maxF, { wrt: "p1x" });
const maxFJvpY = jvp(maxF, { wrt: "p1y" });
const fGradR = withOut<[number, number]>()(grad(saddleF, { wrt: ["p2x", "p2y"] }));
const fJvpX = jvp(saddleF, { wrt: "p2x" });
const fJvpY = jvp(saddleF, { wrt: "p2y" });

/** A 2-D problem for the (underived) descent driver: value, and gradient into `g`. */
interface Problem {
  value(x: number, y: number): number;
  gradient(x: number, y: number, g: Float64Array): void;
}

/** GradBench's multivariate_argmin from (x0, y0), the result in at[k], at[k + 1]; g is scratch. */
function argmin(f: Problem, x0: number, y0: number, at: Float64Array, k: number, g: Float64Array): void {
  let x = x0;
  let y = y0;
  let fx = f.value(x, y);
  f.gradient(x, y, g);
  let i = 0;
  let eta = 1e-5;
  while (Math.hypot(g[0], g[1]) > 1e-5) {
    if (i === 10) {
      eta *= 2;
      i = 0;
      continue;
    }
    const nx = x - eta * g[0];
    const ny = y - eta * g[1];
    if (Math.hypot(x - nx, y - ny) <= 1e-5) break;
    const fn = f.value(nx, ny);
    if (fn < fx) {
      x = nx;
      y = ny;
      fx = fn;
      f.gradient(x, y, g);
      i++;
    } else {
      eta /= 2;
      i = 0;
    }
  }
  at[k] = x;
  at[k + 1] = y;
}

type Variant = "rr" | "ff" | "fr" | "rf";

/** Step 1's objective p1 ↦ max_p2 f(p1, p2), its gradient in the outer mode through the inner one. */
function first(variant: Variant, s0: number, s1: number): Problem {
  const inner = variant[1] === "r" ? maxR : maxF;
  const value = (x: number, y: number) => inner(x, y, s0, s1);
  if (variant[0] === "r") {
    const d = variant[1] === "r" ? maxRGradR : maxFGradR;
    const pair: [number, number] = [0, 0];
    return { value, gradient: (x, y, g) => { d(x, y, s0, s1, pair); g[0] = pair[0]; g[1] = pair[1]; } };
  }
  const [dx, dy] = variant[1] === "r" ? [maxRJvpX, maxRJvpY] : [maxFJvpX, maxFJvpY];
  return { value, gradient: (x, y, g) => { g[0] = dx(x, y, s0, s1, 1)[1]; g[1] = dy(x, y, s0, s1, 1)[1]; } };
}

/** Step 2's objective p2 ↦ −f(p1, p2) (the argmax as an argmin), its gradient in the outer mode. */
function second(variant: Variant, p1: Float64Array): Problem {
  const value = (x: number, y: number) => -saddleF(p1[0], p1[1], x, y);
  if (variant[0] === "r") {
    const pair: [number, number] = [0, 0];
    return { value, gradient: (x, y, g) => { fGradR(p1[0], p1[1], x, y, pair); g[0] = -pair[0]; g[1] = -pair[1]; } };
  }
  return { value, gradient: (x, y, g) => { g[0] = -fJvpX(p1[0], p1[1], x, y, 1)[1]; g[1] = -fJvpY(p1[0], p1[1], x, y, 1)[1]; } };
}

interface Input {
  start: number[];
}

interface Args {
  s0: number;
  s1: number;
  first: Problem;
  second: Problem;
  /** p1 then p2; second reads p1 from here. */
  out: Float64Array;
  g: Float64Array;
}

function prepare(v: Variant, input: Input): Args {
  const out = new Float64Array(4);
  const [s0, s1] = input.start;
  return { s0, s1, first: first(v, s0, s1), second: second(v, out), out, g: new Float64Array(2) };
}

function saddle(a: Args): Float64Array {
  argmin(a.first, a.s0, a.s1, a.out, 0, a.g);
  argmin(a.second, a.s0, a.s1, a.out, 2, a.g);
  return a.out;
}

function variant(v: Variant) {
  return evalFunction({ prepare: (input: Input) => prepare(v, input), run: saddle, output: (r: Float64Array) => Array.from(r) });
}

export const functions = { rr: variant("rr"), ff: variant("ff"), fr: variant("fr"), rf: variant("rf") };
