// Training toolkit: seeded PRNG, initialisation, clipping, weight decay,
// optimisers and a gradient-norm report. Dependency-free, like all of runtime/.
export { Rng } from "./rng.js";
export { xavierUniform, xavierNormal, heUniform, heNormal } from "./init.js";
export {
  globalNorm, clipByGlobalNorm, clipByValue, l2Penalty, addWeightDecay, decoupledWeightDecay,
} from "./clip.js";
export { SGD, Adam } from "./optim.js";
export type { SGDOptions, AdamOptions, WeightDecayOptions } from "./optim.js";
export { gradientNorms, formatGradientNorms } from "./report.js";
export type { GradientNorm } from "./report.js";
