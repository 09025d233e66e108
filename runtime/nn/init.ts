// Weight initialisation (fills a caller's array from a seeded Rng).
//
// fanIn is the number of inputs of one unit and fanOut the number of units fed;
// for a dense layer y = W·x with W stored out×in, fanIn = in and fanOut = out.
//
//   Xavier/Glorot (Glorot & Bengio 2010), for tanh/sigmoid layers:
//     uniform  U(−a, a),  a = gain·√(6 / (fanIn + fanOut))
//     normal   N(0, σ²),  σ = gain·√(2 / (fanIn + fanOut))
//   He/Kaiming (He et al. 2015), for ReLU layers:
//     uniform  U(−a, a),  a = √(6 / fanIn)
//     normal   N(0, σ²),  σ = √(2 / fanIn)
// Both keep the variance of activations (Xavier: and of gradients) about
// constant from layer to layer, against vanishing and exploding signals.
import type { Rng } from "./rng.js";

type Arr = Float64Array | Float32Array;

export function xavierUniform<T extends Arr>(out: T, fanIn: number, fanOut: number, rng: Rng, gain = 1): T {
  const a = gain * Math.sqrt(6 / (fanIn + fanOut));
  return rng.fillUniform(out, -a, a);
}

export function xavierNormal<T extends Arr>(out: T, fanIn: number, fanOut: number, rng: Rng, gain = 1): T {
  return rng.fillNormal(out, 0, gain * Math.sqrt(2 / (fanIn + fanOut)));
}

export function heUniform<T extends Arr>(out: T, fanIn: number, rng: Rng): T {
  const a = Math.sqrt(6 / fanIn);
  return rng.fillUniform(out, -a, a);
}

export function heNormal<T extends Arr>(out: T, fanIn: number, rng: Rng): T {
  return rng.fillNormal(out, 0, Math.sqrt(2 / fanIn));
}
