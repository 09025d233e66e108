// Small seeded PRNG for reproducible test points (xorshift32 state update).

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number;
  /** Magnitude uniform in [lo, hi), random sign: keeps values away from zero. */
  signed(lo: number, hi: number): number;
  f64(n: number, lo: number, hi: number): Float64Array;
  f32(n: number, lo: number, hi: number): Float32Array;
}

export function makeRng(seed: number): Rng {
  let state = seed >>> 0 || 0x9e3779b9;
  const next = (): number => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4294967296;
  };
  // Discard a few outputs so close seeds diverge.
  for (let i = 0; i < 8; i++) next();
  const uniform = (lo: number, hi: number) => lo + (hi - lo) * next();
  return {
    next,
    uniform,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    signed: (lo, hi) => (next() < 0.5 ? -1 : 1) * uniform(lo, hi),
    f64: (n, lo, hi) => Float64Array.from({ length: n }, () => uniform(lo, hi)),
    f32: (n, lo, hi) => Float32Array.from({ length: n }, () => uniform(lo, hi)),
  };
}

/** A seed derived from a name and a counter (FNV-1a style hash). */
export function seedOf(name: string, k = 0): number {
  let h = 0x811c9dc5 ^ k;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h || 1;
}
