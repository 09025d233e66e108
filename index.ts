// gradc: exact derivative code for TypeScript loss functions.
export { grad, valueAndGrad, gradCheck } from "./compiler/api.js";
export type { GradOptions, GradCheckOptions, GradCheckReport, WrtSpec } from "./compiler/api.js";
export { GradcError } from "./compiler/errors.js";
