// The kernel table: every runtime kernel differentiated code may call, with its rules.
import "./elementwise.js";
import "./linear.js";
import "./reduce.js";
import "./softmax.js";
import "./shape.js";
import "./norm.js";
import "./schedule.js";
import "./order.js";
export { allKernels, emitKernel, kernelDef, loop, operandIndex, type KernelDef, type RuleCtx } from "./record.js";
