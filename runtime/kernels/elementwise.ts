// Elementwise kernels over the first n entries: arithmetic and activations.
//
// `out` may be an input (in place). An activation's Jacobian is diagonal, so its
// VJP and JVP are the same computation, ḡ ⊙ f′(x): each `fooJvp` is `fooVjp`
// under another name, called with the tangent in the ḡ slot.
//
// Non-smooth points: relu′(0) = 0 (the gradient flows only where x > 0), and
// leakyRelu′(0) = alpha.
import type { Arr } from "./types.js";
import { wasmMap } from "./wasm/calls.js";

/** out = x (copy), or out += x with `accumulate`. */
export function copy<T extends Arr>(out: T, x: Arr, n: number, accumulate = false): T {
  if (accumulate && wasmMap("scale", out, x, null, n, 1, true)) return out;
  if (accumulate) for (let i = 0; i < n; i++) out[i] += x[i];
  else for (let i = 0; i < n; i++) out[i] = x[i];
  return out;
}

/** out = a + b. Linear: ā = ḡ, b̄ = ḡ (`copy`); JVP = add(da, db). */
export function add<T extends Arr>(out: T, a: Arr, b: Arr, n: number): T {
  if (wasmMap("add", out, a, b, n)) return out;
  for (let i = 0; i < n; i++) out[i] = a[i] + b[i];
  return out;
}

/** out = a − b. Linear: ā = ḡ (`copy`), b̄ = −ḡ (`scale` by −1); JVP = sub(da, db). */
export function sub<T extends Arr>(out: T, a: Arr, b: Arr, n: number): T {
  if (wasmMap("sub", out, a, b, n)) return out;
  for (let i = 0; i < n; i++) out[i] = a[i] - b[i];
  return out;
}

/** out = s·x, or out += s·x with `accumulate`. Linear in x: x̄ = scale(ḡ, s); s̄ = dot(ḡ, x). */
export function scale<T extends Arr>(out: T, x: Arr, s: number, n: number, accumulate = false): T {
  if (wasmMap("scale", out, x, null, n, s, accumulate)) return out;
  if (accumulate) for (let i = 0; i < n; i++) out[i] += s * x[i];
  else for (let i = 0; i < n; i++) out[i] = s * x[i];
  return out;
}

/** out = a ⊙ b. ā = ḡ ⊙ b: `mulVjp(outA, b, gy, n)`; b̄ = `mulVjp(outB, a, gy, n)`. */
export function mul<T extends Arr>(out: T, a: Arr, b: Arr, n: number): T {
  if (wasmMap("mul", out, a, b, n)) return out;
  for (let i = 0; i < n; i++) out[i] = a[i] * b[i];
  return out;
}

/** Adjoint of one factor of `mul`: out = ḡ ⊙ other (the other factor). */
export function mulVjp<T extends Arr>(out: T, other: Arr, gy: Arr, n: number, accumulate = false): T {
  if (wasmMap("mul", out, gy, other, n, 0, accumulate)) return out;
  if (accumulate) for (let i = 0; i < n; i++) out[i] += gy[i] * other[i];
  else for (let i = 0; i < n; i++) out[i] = gy[i] * other[i];
  return out;
}

/** Tangent of mul: out = da ⊙ b + a ⊙ db; a null tangent is zero. */
export function mulJvp<T extends Arr>(out: T, a: Arr, da: Arr | null, b: Arr, db: Arr | null, n: number): T {
  for (let i = 0; i < n; i++) {
    out[i] = (da === null ? 0 : da[i] * b[i]) + (db === null ? 0 : a[i] * db[i]);
  }
  return out;
}

/** out = a / b. ā = `divVjpA(outA, b, gy, n)`, b̄ = `divVjpB(outB, a, b, gy, n)`. */
export function div<T extends Arr>(out: T, a: Arr, b: Arr, n: number): T {
  if (wasmMap("div", out, a, b, n)) return out;
  for (let i = 0; i < n; i++) out[i] = a[i] / b[i];
  return out;
}

/** ā for div: ḡ / b. */
export function divVjpA<T extends Arr>(outA: T, b: Arr, gy: Arr, n: number, accumulate = false): T {
  if (wasmMap("div", outA, gy, b, n, 0, accumulate)) return outA;
  for (let i = 0; i < n; i++) {
    const g = gy[i] / b[i];
    outA[i] = accumulate ? outA[i] + g : g;
  }
  return outA;
}

/** b̄ for div: −ḡ · a / b². */
export function divVjpB<T extends Arr>(outB: T, a: Arr, b: Arr, gy: Arr, n: number, accumulate = false): T {
  for (let i = 0; i < n; i++) {
    const bi = b[i];
    const g = (-gy[i] * a[i]) / (bi * bi);
    outB[i] = accumulate ? outB[i] + g : g;
  }
  return outB;
}

/** Tangent of div: out = (da − (a/b)·db) / b; a null tangent is zero. */
export function divJvp<T extends Arr>(out: T, a: Arr, da: Arr | null, b: Arr, db: Arr | null, n: number): T {
  for (let i = 0; i < n; i++) {
    const bi = b[i];
    out[i] = ((da === null ? 0 : da[i]) - (db === null ? 0 : (a[i] / bi) * db[i])) / bi;
  }
  return out;
}

/** out = exp(x). */
export function exp<T extends Arr>(out: T, x: Arr, n: number): T {
  if (wasmMap("exp", out, x, null, n)) return out;
  for (let i = 0; i < n; i++) out[i] = Math.exp(x[i]);
  return out;
}

/** x̄ = ḡ ⊙ exp(x). */
export function expVjp<T extends Arr>(out: T, x: Arr, gy: Arr, n: number, accumulate = false): T {
  if (wasmMap("expVjp", out, x, gy, n, 0, accumulate)) return out;
  for (let i = 0; i < n; i++) {
    const g = gy[i] * Math.exp(x[i]);
    out[i] = accumulate ? out[i] + g : g;
  }
  return out;
}
export const expJvp = expVjp;

/** out = log(x). */
export function log<T extends Arr>(out: T, x: Arr, n: number): T {
  for (let i = 0; i < n; i++) out[i] = Math.log(x[i]);
  return out;
}

/** x̄ = ḡ / x. */
export function logVjp<T extends Arr>(out: T, x: Arr, gy: Arr, n: number, accumulate = false): T {
  if (wasmMap("div", out, gy, x, n, 0, accumulate)) return out;
  for (let i = 0; i < n; i++) {
    const g = gy[i] / x[i];
    out[i] = accumulate ? out[i] + g : g;
  }
  return out;
}
export const logJvp = logVjp;

/** out = max(x, 0). */
export function relu<T extends Arr>(out: T, x: Arr, n: number): T {
  if (wasmMap("relu", out, x, null, n)) return out;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    out[i] = v > 0 ? v : 0;
  }
  return out;
}

/** x̄ = ḡ where x > 0, else 0 (relu′(0) = 0). */
export function reluVjp<T extends Arr>(out: T, x: Arr, gy: Arr, n: number, accumulate = false): T {
  if (wasmMap("reluVjp", out, x, gy, n, 0, accumulate)) return out;
  for (let i = 0; i < n; i++) {
    const g = x[i] > 0 ? gy[i] : 0;
    out[i] = accumulate ? out[i] + g : g;
  }
  return out;
}
export const reluJvp = reluVjp;

/** out = x for x > 0, alpha·x otherwise. */
export function leakyRelu<T extends Arr>(out: T, x: Arr, n: number, alpha = 0.01): T {
  if (wasmMap("leakyRelu", out, x, null, n, alpha)) return out;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    out[i] = v > 0 ? v : alpha * v;
  }
  return out;
}

/** x̄ = ḡ where x > 0, alpha·ḡ otherwise (so leakyRelu′(0) = alpha). */
export function leakyReluVjp<T extends Arr>(out: T, x: Arr, gy: Arr, n: number, alpha = 0.01, accumulate = false): T {
  if (wasmMap("leakyReluVjp", out, x, gy, n, alpha, accumulate)) return out;
  for (let i = 0; i < n; i++) {
    const g = x[i] > 0 ? gy[i] : alpha * gy[i];
    out[i] = accumulate ? out[i] + g : g;
  }
  return out;
}
export const leakyReluJvp = leakyReluVjp;

/** Logistic function 1 / (1 + e^−v), without overflow for large |v|. */
export function sigmoidScalar(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

/** out = 1 / (1 + e^−x), evaluated without overflow for either sign. */
export function sigmoid<T extends Arr>(out: T, x: Arr, n: number): T {
  if (wasmMap("sigmoid", out, x, null, n)) return out;
  for (let i = 0; i < n; i++) out[i] = sigmoidScalar(x[i]);
  return out;
}

/** x̄ = ḡ ⊙ s(1 − s), s = sigmoid(x) recomputed from x. */
export function sigmoidVjp<T extends Arr>(out: T, x: Arr, gy: Arr, n: number, accumulate = false): T {
  if (wasmMap("sigmoidVjp", out, x, gy, n, 0, accumulate)) return out;
  for (let i = 0; i < n; i++) {
    const s = sigmoidScalar(x[i]);
    const g = gy[i] * s * (1 - s);
    out[i] = accumulate ? out[i] + g : g;
  }
  return out;
}
export const sigmoidJvp = sigmoidVjp;

/** x̄ = ḡ ⊙ y(1 − y), from the output y = sigmoid(x) (no exp). */
export function sigmoidVjpFromOutput<T extends Arr>(out: T, y: Arr, gy: Arr, n: number, accumulate = false): T {
  if (wasmMap("sigmoidVjpFromOutput", out, y, gy, n, 0, accumulate)) return out;
  for (let i = 0; i < n; i++) {
    const s = y[i];
    const g = gy[i] * s * (1 - s);
    out[i] = accumulate ? out[i] + g : g;
  }
  return out;
}

/** out = tanh(x). */
export function tanh<T extends Arr>(out: T, x: Arr, n: number): T {
  if (wasmMap("tanh", out, x, null, n)) return out;
  for (let i = 0; i < n; i++) out[i] = Math.tanh(x[i]);
  return out;
}

/** x̄ = ḡ ⊙ (1 − tanh²(x)), recomputed from x. */
export function tanhVjp<T extends Arr>(out: T, x: Arr, gy: Arr, n: number, accumulate = false): T {
  if (wasmMap("tanhVjp", out, x, gy, n, 0, accumulate)) return out;
  for (let i = 0; i < n; i++) {
    const t = Math.tanh(x[i]);
    const g = gy[i] * (1 - t * t);
    out[i] = accumulate ? out[i] + g : g;
  }
  return out;
}
export const tanhJvp = tanhVjp;

/** x̄ = ḡ ⊙ (1 − y²), from the output y = tanh(x). */
export function tanhVjpFromOutput<T extends Arr>(out: T, y: Arr, gy: Arr, n: number, accumulate = false): T {
  if (wasmMap("tanhVjpFromOutput", out, y, gy, n, 0, accumulate)) return out;
  for (let i = 0; i < n; i++) {
    const t = y[i];
    const g = gy[i] * (1 - t * t);
    out[i] = accumulate ? out[i] + g : g;
  }
  return out;
}

/**
 * out = log(1 + e^x), evaluated as max(x, 0) + log1p(e^−|x|): no overflow for
 * large x, no loss of the tiny value e^x for very negative x.
 */
export function softplus<T extends Arr>(out: T, x: Arr, n: number): T {
  for (let i = 0; i < n; i++) {
    const v = x[i];
    out[i] = (v > 0 ? v : 0) + Math.log1p(Math.exp(-Math.abs(v)));
  }
  return out;
}

/** x̄ = ḡ ⊙ sigmoid(x) (softplus′ = sigmoid). */
export function softplusVjp<T extends Arr>(out: T, x: Arr, gy: Arr, n: number, accumulate = false): T {
  if (wasmMap("softplusVjp", out, x, gy, n, 0, accumulate)) return out;
  for (let i = 0; i < n; i++) {
    const g = gy[i] * sigmoidScalar(x[i]);
    out[i] = accumulate ? out[i] + g : g;
  }
  return out;
}
export const softplusJvp = softplusVjp;

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

/**
 * GELU, tanh approximation (Hendrycks & Gimpel; as in GPT-2 and
 * `torch.nn.GELU(approximate="tanh")`): out = ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
 */
export function gelu<T extends Arr>(out: T, x: Arr, n: number): T {
  if (wasmMap("gelu", out, x, null, n)) return out;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    out[i] = 0.5 * v * (1 + Math.tanh(GELU_C * (v + GELU_A * v * v * v)));
  }
  return out;
}

/** x̄ = ḡ ⊙ gelu′(x), the derivative of the same tanh approximation. */
export function geluVjp<T extends Arr>(out: T, x: Arr, gy: Arr, n: number, accumulate = false): T {
  if (wasmMap("geluVjp", out, x, gy, n, 0, accumulate)) return out;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    const v2 = v * v;
    const t = Math.tanh(GELU_C * (v + GELU_A * v2 * v));
    const d = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * GELU_C * (1 + 3 * GELU_A * v2);
    const g = gy[i] * d;
    out[i] = accumulate ? out[i] + g : g;
  }
  return out;
}
export const geluJvp = geluVjp;
