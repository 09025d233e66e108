// The pipeline: front-end -> IR -> transforms -> (emit). Each pass is Func -> Func and
// the IR is verified after the last (after each one with GRADC_VERIFY=1, as in the tests).
import { Builder, idsAfter, type Ids } from "./ir/builder.js";
import { printFunc } from "./ir/print.js";
import { varsOf, walk, type Func, type Var } from "./ir/types.js";
import { verify, verifyPass } from "./ir/verify.js";
import { lowerFunction } from "./lower/index.js";
import { hoistCommonPrefixes } from "./transforms/hoist.js";
import { refuse, type GradcError } from "./errors.js";
import type { GradRequest } from "./request.js";
import { carryAcrossIterations } from "./transforms/carry.js";
import { cse } from "./transforms/cse.js";
import { zeroOnFirstTouch } from "./transforms/first-touch.js";
import { forward } from "./transforms/forward.js";
import { normalize } from "./transforms/normalize.js";
import { reverse } from "./transforms/reverse/index.js";
import { simplify } from "./transforms/simplify.js";

export { idsAfter };

/** The function of the request as IR, ready for transforms. */
export function primalIR(req: GradRequest): Func {
  const lowered = verifyPass(lowerFunction(req.fn, req.kinds, req.resolve, req.closure, req.moduleValue));
  const normal = verifyPass(normalize(lowered, idsAfter(lowered)), { fresh: true });
  const primal = verifyPass(cse(normal), { fresh: true });
  return req.output === undefined ? primal : verifyPass(selectOutput(req, primal, idsAfter(primal)));
}

/**
 * `f` returning entry `req.output` of its typed-array result (negative: from the end):
 * a scalar function, whose reverse sweep seeds that entry only.
 */
function selectOutput(req: GradRequest, f: Func, ids: Ids): Func {
  if (f.result.type === "num") {
    throw refuse(req.fn.source, req.fn.node, "output of a number-valued function",
      `output: ${req.output} selects an entry of '${req.fn.name}'s result, but it returns a number.`, "Leave out output: the gradient is that of the number.");
  }
  const b = new Builder(ids);
  b.loc = { line: 0, note: `entry ${req.output} of the result` };
  const k = req.output!;
  const index = k >= 0 ? b.num(k) : b.op("add", b.len(f.result), b.num(k));
  const selected = b.newVar(`${f.result.name}_entry`, "num");
  b.set(selected, b.load(f.result, index));
  return { ...f, body: [...f.body, ...b.block], result: selected };
}

/** Flat IR params that stand for the wrt parameters, in wrt order. */
export function wrtVars(f: Func, wrt: number[]): Var[] {
  return wrt.flatMap((index) => f.params.filter((p) => p.param === index));
}

/**
 * Simplifies derivative code and verifies it. `scratch` params are buffers whose final
 * contents nobody reads: their writes are dead unless something live reads them back,
 * and a scratch param nothing refers to any more is left out.
 */
function finish(f: Func, keepResult: boolean, scratch: ReadonlySet<number> = new Set()): Func {
  const clean = (g: Func) => verifyPass(simplify(verifyPass(g), { keepResult, scratch }));
  const simple = verifyPass(cse(verifyPass(hoistCommonPrefixes(clean(f)))));
  const carried = clean(carryAcrossIterations(simple, idsAfter(simple)));
  const done = verify(clean(zeroOnFirstTouch(carried, idsAfter(carried))));
  if (scratch.size === 0) return done;
  const used = new Set<number>();
  walk(done.body, (i) => { for (const v of varsOf(i)) used.add(v.id); });
  return { ...done, params: done.params.filter((p) => !scratch.has(p.id) || used.has(p.id)) };
}

/** Value-and-gradient IR of the request (scalar functions). */
export function gradientIR(req: GradRequest): Func {
  const primal = primalIR(req);
  if (primal.result.type !== "num") throw scalarOnly(req);
  return finish(reverse(primal, wrtVars(primal, req.wrt), idsAfter(primal), { checkpoint: req.checkpoint }), req.mode === "valueAndGrad" || req.output !== undefined);
}

/** Vector-Jacobian-product IR: gradients weighted by a cotangent parameter. */
export function vjpIR(req: GradRequest, keepResult = false): Func {
  const primal = primalIR(req);
  return finish(reverse(primal, wrtVars(primal, req.wrt), idsAfter(primal), { cotangent: true, checkpoint: req.checkpoint }), keepResult);
}

/**
 * Rows of the Jacobian by reverse mode, `width` per sweep: forward mode, in the
 * cotangent, over the vector-Jacobian product (linear in it), so the forward sweep and
 * what the backward sweep recomputes run once for all `width` rows, and each adjoint
 * carries `width` lanes. The product's own adjoints (for the cotangent's value) and the
 * value's tangent are left out; the value is returned.
 */
export function vjpRowsIR(req: GradRequest, width: number): Func {
  const p = vjpIR(req, true);
  const t = forward(p, p.params.filter((q) => q.cotangentOf), idsAfter(p), { width });
  const wanted = (o: Var) => o.tangentOf !== undefined && o.tangentOf !== p.result;
  const scratch = t.params.filter((q) => q.adjointOf || q.cotangentOf);
  return finish({ ...t, outputs: t.outputs?.filter(wanted) }, true, new Set(scratch.map((q) => q.id)));
}

/** Jacobian-vector-product IR: value and `width` tangents of the request's function. */
export function jvpIR(req: GradRequest, width = 1): Func {
  const primal = primalIR(req);
  return finish(forward(primal, wrtVars(primal, req.wrt), idsAfter(primal), { width }), true);
}

/**
 * Hessian-vector-product IR: forward mode over the gradient code. Only the gradient's
 * tangents are wanted, not the value's, and the gradient itself only for gradAndHvp:
 * otherwise what computes it is left out where the tangents do not need it.
 */
export function hvpIR(req: GradRequest): Func {
  const g = gradientIR({ ...req, mode: "valueAndGrad" });
  const t = forward(g, wrtVars(g, req.wrt), idsAfter(g));
  const wanted = (o: Var) => o.tangentOf !== g.result && (req.mode === "gradAndHvp" || !o.adjointOf);
  const scratch = req.mode === "gradAndHvp" ? [] : t.params.filter((p) => p.adjointOf);
  return finish({ ...t, outputs: t.outputs?.filter(wanted) }, false, new Set(scratch.map((p) => p.id)));
}

function scalarOnly(req: GradRequest): GradcError {
  return refuse(req.fn.source, req.fn.node, "vector-valued function",
    `${req.mode} needs '${req.fn.name}' to return a number, but it returns a typed array.`,
    "Use vjp, jvp or jacobian for vector-valued functions, or reduce the result to a number.");
}

/** Text of the IR for `req` (`gradc show --ir`): the primal, then its derivative. */
export function showIR(req: GradRequest): string {
  const derivative = (): Func => {
    switch (req.mode) {
      case "grad": case "valueAndGrad": return gradientIR(req);
      case "jvp": return jvpIR(req);
      case "vjp": return vjpIR(req);
      case "hvp": case "gradAndHvp": case "hessian": return hvpIR(req);
      case "jacobian": case "batchJacobian": return req.jacobianMode === "reverse" ? vjpIR(req) : jvpIR(req);
    }
  };
  return `${printFunc(primalIR(req))}\n${printFunc(derivative())}`;
}
