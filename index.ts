// gradc: exact derivative code for TypeScript loss functions.
export { grad, valueAndGrad, jvp, vjp, jacobian, batchJacobian, hvp, gradAndHvp, hessian, gradCheck, checkpoint } from "./compiler/api.js";
export { customJvp, customVjp, stopGradient } from "./runtime/custom.js";
export type { GradOptions, JacobianOptions, GradCheckOptions, GradCheckReport, WrtSpec, WrtOf, Shaped } from "./compiler/api-types.js";
export type { CheckpointSpec } from "./compiler/request.js";
export { GradcError } from "./compiler/errors.js";
