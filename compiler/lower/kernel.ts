// Calls of runtime kernels ("gradc/runtime"): one `call` instruction each, whose
// derivative comes from the kernel's record (compiler/ops/kernels), never from the
// kernel's own loops.
import { refuseView } from "./views.js";
import type * as ESTree from "acorn";
import { allKernels, kernelDef, type KernelDef } from "../ops/kernels/index.js";
import type { Call, Temp, Var } from "../ir/types.js";
import type { Lowerer, Val } from "./context.js";
import { lowerExpr, lowerNum } from "./expr.js";
import type { Scope } from "./scope.js";

/** Kernels that return a view of their input: the view would alias it, which the IR does not model. */
const VIEWS = new Set(["slice", "sliceRows"]);

export function lowerKernelCall(L: Lowerer, node: ESTree.CallExpression, name: string, scope: Scope): Val {
  if (name === "reshape") return reshape(L, node, scope);
  if (name === "batchNorm") return batchNorm(L, node, scope);
  if (VIEWS.has(name)) {
    throw L.fail(node.callee, `kernel ${name}`, `'${name}' returns a view that shares its input's entries, which gradc cannot differentiate through.`,
      "Index the rows you need directly, copy them with a loop, or use sliceCols (which copies).");
  }
  const def = kernelDef(name);
  if (!def) {
    throw L.fail(node.callee, `kernel ${name}`, `The runtime kernel '${name}' has no derivative rule in gradc.`,
      `Kernels with rules: ${allKernels().filter((k) => !k.name.includes("Vjp")).map((k) => k.name).join(", ")}.`);
  }
  const args = node.arguments.map((a) => {
    if (a.type === "SpreadElement") throw L.fail(a, "spread argument", "Spread arguments are not supported.", "");
    return a;
  });
  const max = (def.out ? 1 : 0) + def.params.length + (def.accumulate ? 1 : 0);
  const min = (def.out ? 1 : 0) + def.params.filter((p) => p.default === undefined).length;
  if (args.length < min || args.length > max) {
    throw L.fail(node, `kernel ${name}`, `${name} takes ${min === max ? min : `${min} to ${max}`} arguments here, not ${args.length}.`,
      `Signature: ${signature(def)}.`);
  }
  const rest = [...args];
  const out = def.out ? array(L, rest.shift()!, scope, name, "out") : undefined;
  const ins: Var[] = [];
  const nums: Temp[] = [];
  for (const p of def.params) {
    const a = rest.shift();
    if (p.kind === "arr") ins.push(array(L, a!, scope, name, p.name));
    else if (p.kind === "bool") nums.push(L.b.bool(flag(L, a, p.default as boolean, name, p.name)));
    else nums.push(a ? lowerNum(L, a, scope) : L.b.num(p.default as number));
  }
  const accumulate = def.accumulate && flag(L, rest.shift(), false, name, "accumulate");
  refuseAliasing(L, node, def, out, ins);
  if (out && out.param !== undefined) L.writtenParams.add(out);
  const call: Call = { k: "call", kernel: name, ins, args: nums };
  if (out) call.out = out;
  if (accumulate) call.accumulate = true;
  if (!def.returnsNumber) {
    L.b.emit(call);
    return { k: "arr", v: out! };
  }
  call.dst = L.b.temp("num");
  L.b.emit(call);
  // The number goes through a var: the call is not recomputed where the value is used.
  const v = L.b.newVar(name, "num");
  L.b.set(v, call.dst);
  return { k: "temp", t: L.b.get(v) };
}

/**
 * Training batch norm writes the batch statistics too: it is lowered to the three
 * kernels it runs (meanAxis0, varianceAxis0, batchNormInference), each with rules.
 */
function batchNorm(L: Lowerer, node: ESTree.CallExpression, scope: Scope): Val {
  const args = node.arguments as ESTree.Expression[];
  if (args.length < 8 || args.length > 9) {
    throw L.fail(node, "kernel batchNorm", `batchNorm takes 8 or 9 arguments here, not ${args.length}.`,
      "batchNorm(out, x, gamma, beta, mean, variance, rows, cols, eps?).");
  }
  const [out, x, gamma, beta, mean, variance] = ["out", "x", "gamma", "beta", "mean", "variance"].map((p, k) => array(L, args[k], scope, "batchNorm", p));
  const [rows, cols] = [lowerNum(L, args[6], scope), lowerNum(L, args[7], scope)];
  const eps = args[8] ? lowerNum(L, args[8], scope) : L.b.num(1e-5);
  for (const v of [out, mean, variance]) if (v.param !== undefined) L.writtenParams.add(v);
  L.b.emit({ k: "call", kernel: "meanAxis0", out: mean, ins: [x], args: [rows, cols] });
  L.b.emit({ k: "call", kernel: "varianceAxis0", out: variance, ins: [x, mean], args: [rows, cols] });
  L.b.emit({ k: "call", kernel: "batchNormInference", out, ins: [x, gamma, beta, mean, variance], args: [rows, cols, eps] });
  return { k: "arr", v: out };
}

/** `reshape(x, rows, cols)` is `x` itself (row-major data): the same array, no instruction. */
function reshape(L: Lowerer, node: ESTree.CallExpression, scope: Scope): Val {
  if (node.arguments.length !== 3) throw L.fail(node, "kernel reshape", `reshape takes 3 arguments here, not ${node.arguments.length}.`, "reshape(x, rows, cols).");
  const [x, ...shape] = node.arguments as ESTree.Expression[];
  for (const s of shape) lowerNum(L, s, scope);
  return { k: "arr", v: array(L, x, scope, "reshape", "x") };
}

/** `out` may be an input only where the runtime kernel allows it (elementwise and row-wise kernels). */
function refuseAliasing(L: Lowerer, node: ESTree.CallExpression, def: KernelDef, out: Var | undefined, ins: Var[]): void {
  if (!out) return;
  const allowed = def.aliases ?? (def.inPlace ? [def.inPlace] : []);
  const arrays = def.params.filter((p) => p.kind === "arr");
  arrays.forEach((p, k) => {
    if (ins[k] !== out || allowed.includes(p.name)) return;
    throw L.fail(node, `kernel ${def.name}`, `The output of ${def.name} is also its input '${p.name}', which the kernel does not allow.`,
      "Write the result into another array (and copy it back if needed).");
  });
}

function array(L: Lowerer, node: ESTree.Expression, scope: Scope, kernel: string, param: string): Var {
  const v = lowerExpr(L, node, scope);
  if (v.k === "view") throw refuseView(L, node, `be passed to the kernel ${kernel}, which takes whole arrays`);
  if (v.k !== "arr") throw L.fail(node, `kernel ${kernel}`, `'${param}' of ${kernel} must be a typed array.`, "");
  return v.v;
}

/** Boolean options decide which rule applies: they must be written as `true` or `false`. */
function flag(L: Lowerer, node: ESTree.Expression | undefined, dflt: boolean, kernel: string, param: string): boolean {
  if (!node) return dflt;
  if (node.type === "Literal" && typeof node.value === "boolean") return node.value;
  throw L.fail(node, `kernel ${kernel}`, `'${param}' of ${kernel} must be the literal true or false.`,
    "The derivative rule depends on it, so gradc needs to know it when compiling.");
}

function signature(def: KernelDef): string {
  const ps = def.params.map((p) => (p.default !== undefined ? `${p.name}?` : p.name));
  return `${def.name}(${[...(def.out ? ["out"] : []), ...ps, ...(def.accumulate ? ["accumulate?"] : [])].join(", ")})`;
}
