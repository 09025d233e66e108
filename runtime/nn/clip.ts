// Gradient clipping and L2 weight decay over lists of typed arrays, in place.
// A single array may be passed where a list is expected (that wraps it in a
// one-entry list; pass a list to allocate nothing).

type Arr = Float64Array | Float32Array;
type Arrays = Arr | readonly Arr[];

function list(a: Arrays): readonly Arr[] {
  return Array.isArray(a) ? a : [a as Arr];
}

/**
 * √(Σ g²) over every entry of every array. Falls back to a scaled sum when the
 * plain sum of squares overflows, so a huge (exploding) gradient still has a
 * finite norm; NaN or infinite entries give NaN or Infinity.
 */
export function globalNorm(grads: Arrays): number {
  const gs = list(grads);
  let s = 0;
  for (let t = 0; t < gs.length; t++) {
    const g = gs[t];
    for (let i = 0; i < g.length; i++) s += g[i] * g[i];
  }
  if (Number.isFinite(s)) return Math.sqrt(s);
  let big = 0;
  for (let t = 0; t < gs.length; t++) {
    const g = gs[t];
    for (let i = 0; i < g.length; i++) big = Math.max(big, Math.abs(g[i]));
  }
  if (!Number.isFinite(big)) return big; // NaN or Infinity
  s = 0;
  for (let t = 0; t < gs.length; t++) {
    const g = gs[t];
    for (let i = 0; i < g.length; i++) {
      const v = g[i] / big;
      s += v * v;
    }
  }
  return big * Math.sqrt(s);
}

/**
 * Rescales all gradients together by maxNorm / norm when their global norm
 * exceeds maxNorm (the direction is kept). Returns the norm BEFORE clipping.
 * A non-finite norm (NaN or infinite entries) leaves the gradients untouched:
 * check the returned norm and skip the step.
 */
export function clipByGlobalNorm(grads: Arrays, maxNorm: number): number {
  const norm = globalNorm(grads);
  if (norm > maxNorm && Number.isFinite(norm)) {
    const s = maxNorm / norm;
    const gs = list(grads);
    for (let t = 0; t < gs.length; t++) {
      const g = gs[t];
      for (let i = 0; i < g.length; i++) g[i] *= s;
    }
  }
  return norm;
}

/** Clamps every entry into [min, max]. Returns how many entries were changed. */
export function clipByValue(grads: Arrays, min: number, max: number): number {
  if (!(min <= max)) throw new RangeError(`clipByValue: min (${min}) must not exceed max (${max})`);
  let changed = 0;
  const gs = list(grads);
  for (let t = 0; t < gs.length; t++) {
    const g = gs[t];
    for (let i = 0; i < g.length; i++) {
      const v = g[i];
      if (v > max) {
        g[i] = max;
        changed++;
      } else if (v < min) {
        g[i] = min;
        changed++;
      }
    }
  }
  return changed;
}

/** The L2 penalty (λ/2)·Σ w² over all parameters (to report alongside the loss). */
export function l2Penalty(params: Arrays, lambda: number): number {
  let s = 0;
  const ws = list(params);
  for (let t = 0; t < ws.length; t++) {
    const w = ws[t];
    for (let i = 0; i < w.length; i++) s += w[i] * w[i];
  }
  return 0.5 * lambda * s;
}

/** L2 weight decay as a gradient term: g += λ·w (the gradient of l2Penalty). */
export function addWeightDecay(grads: Arrays, params: Arrays, lambda: number): void {
  const gs = list(grads);
  const ws = list(params);
  if (gs.length !== ws.length) throw new RangeError(`addWeightDecay: ${gs.length} gradients for ${ws.length} parameters`);
  for (let t = 0; t < gs.length; t++) {
    const g = gs[t], w = ws[t];
    if (g.length !== w.length) throw new RangeError(`addWeightDecay: gradient ${t} has ${g.length} entries, parameter ${w.length}`);
    for (let i = 0; i < g.length; i++) g[i] += lambda * w[i];
  }
}

/** Decoupled weight decay (Loshchilov & Hutter): w ← w − lr·λ·w, independent of the gradient. */
export function decoupledWeightDecay(params: Arrays, lr: number, lambda: number): void {
  const f = 1 - lr * lambda;
  const ws = list(params);
  for (let t = 0; t < ws.length; t++) {
    const w = ws[t];
    for (let i = 0; i < w.length; i++) w[i] *= f;
  }
}
