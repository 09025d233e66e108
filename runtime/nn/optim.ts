// Optimisers over lists of parameter arrays and matching gradient arrays.
// `step(params, grads)` updates params in place and leaves grads untouched. State
// (velocity, moments) is allocated once, on the first step, as Float64Arrays
// shaped like the parameters; later steps allocate nothing and throw if the
// list changes shape.

type Arr = Float64Array | Float32Array;

export interface WeightDecayOptions {
  /** λ: L2 weight decay (default 0). */
  weightDecay?: number;
  /**
   * false (default): coupled — λ·w is added to the gradient before the update.
   * true: decoupled (SGDW/AdamW) — w ← w − lr·λ·w, apart from the gradient.
   */
  decoupledWeightDecay?: boolean;
}

export interface SGDOptions extends WeightDecayOptions {
  lr: number;
  /** μ (default 0: plain SGD). */
  momentum?: number;
  /** Nesterov momentum (default false; needs momentum > 0). */
  nesterov?: boolean;
}

/**
 * Stochastic gradient descent with momentum, as in PyTorch (no dampening):
 *   g ← g + λw (coupled decay);  v ← μ·v + g;  d = nesterov ? g + μ·v : v;  w ← w − lr·d
 * With momentum 0, d = g.
 */
export class SGD {
  lr: number;
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  readonly decoupled: boolean;
  private velocity: Float64Array[] | null = null;

  constructor(opts: SGDOptions) {
    this.lr = opts.lr;
    this.momentum = opts.momentum ?? 0;
    this.nesterov = opts.nesterov ?? false;
    this.weightDecay = opts.weightDecay ?? 0;
    this.decoupled = opts.decoupledWeightDecay ?? false;
    if (this.nesterov && this.momentum <= 0) throw new RangeError("SGD: nesterov needs momentum > 0");
  }

  step(params: readonly Arr[], grads: readonly Arr[]): void {
    checkLists("SGD", params, grads);
    const mu = this.momentum, lr = this.lr;
    const lambda = this.decoupled ? 0 : this.weightDecay;
    const shrink = this.decoupled ? 1 - lr * this.weightDecay : 1;
    if (mu !== 0) this.velocity = stateFor("SGD", this.velocity, params);
    for (let t = 0; t < params.length; t++) {
      const w = params[t], g = grads[t];
      const v = mu !== 0 ? this.velocity![t] : null;
      for (let i = 0; i < w.length; i++) {
        const wi = w[i] * shrink;
        const gi = g[i] + lambda * w[i];
        let d = gi;
        if (v !== null) {
          const vi = mu * v[i] + gi;
          v[i] = vi;
          d = this.nesterov ? gi + mu * vi : vi;
        }
        w[i] = wi - lr * d;
      }
    }
  }

  /** Forgets the velocity (the next step starts from rest). */
  reset(): void {
    this.velocity = null;
  }
}

export interface AdamOptions extends WeightDecayOptions {
  /** Step size (default 1e-3). */
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

/**
 * Adam (Kingma & Ba) with bias correction; AdamW with decoupledWeightDecay:
 *   g ← g + λw (coupled);  m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;
 *   m̂ = m/(1−β₁ᵗ);  v̂ = v/(1−β₂ᵗ);  w ← w − lr·m̂/(√v̂ + eps)
 * (decoupled: w ← w − lr·λ·w first, as PyTorch's AdamW).
 */
export class Adam {
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly decoupled: boolean;
  /** Steps taken (t in the bias correction). */
  t = 0;
  private m: Float64Array[] | null = null;
  private v: Float64Array[] | null = null;

  constructor(opts: AdamOptions = {}) {
    this.lr = opts.lr ?? 1e-3;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0;
    this.decoupled = opts.decoupledWeightDecay ?? false;
  }

  step(params: readonly Arr[], grads: readonly Arr[]): void {
    checkLists("Adam", params, grads);
    this.m = stateFor("Adam", this.m, params);
    this.v = stateFor("Adam", this.v, params);
    this.t++;
    const b1 = this.beta1, b2 = this.beta2, eps = this.eps, lr = this.lr;
    const c1 = 1 / (1 - b1 ** this.t);
    const c2 = 1 / (1 - b2 ** this.t);
    const lambda = this.decoupled ? 0 : this.weightDecay;
    const shrink = this.decoupled ? 1 - lr * this.weightDecay : 1;
    for (let p = 0; p < params.length; p++) {
      const w = params[p], g = grads[p], m = this.m[p], v = this.v[p];
      for (let i = 0; i < w.length; i++) {
        const gi = g[i] + lambda * w[i];
        const mi = b1 * m[i] + (1 - b1) * gi;
        const vi = b2 * v[i] + (1 - b2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        w[i] = w[i] * shrink - (lr * mi * c1) / (Math.sqrt(vi * c2) + eps);
      }
    }
  }

  /** Forgets the moments and the step count. */
  reset(): void {
    this.m = null;
    this.v = null;
    this.t = 0;
  }
}

function checkLists(who: string, params: readonly Arr[], grads: readonly Arr[]): void {
  if (params.length !== grads.length) {
    throw new RangeError(`${who}.step: ${params.length} parameters but ${grads.length} gradients`);
  }
  for (let t = 0; t < params.length; t++) {
    if (params[t].length !== grads[t].length) {
      throw new RangeError(`${who}.step: parameter ${t} has ${params[t].length} entries, its gradient ${grads[t].length}`);
    }
  }
}

// The optimiser's state buffers, created on first use and checked afterwards.
function stateFor(who: string, state: Float64Array[] | null, params: readonly Arr[]): Float64Array[] {
  if (state === null) return params.map((w) => new Float64Array(w.length));
  if (state.length !== params.length) {
    throw new RangeError(`${who}.step: called with ${params.length} parameters, earlier with ${state.length} (reset() to start over)`);
  }
  for (let t = 0; t < params.length; t++) {
    if (state[t].length !== params[t].length) {
      throw new RangeError(`${who}.step: parameter ${t} has ${params[t].length} entries, earlier ${state[t].length} (reset() to start over)`);
    }
  }
  return state;
}
