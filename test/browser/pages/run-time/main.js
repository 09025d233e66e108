// The run-time path in a page: grad(f) compiles f's gradient with new Function. Under a CSP
// without 'unsafe-eval' that must fail with gradc's GradcError pointing at the build path;
// served without the CSP the same bundle computes the gradient.
import { grad, GradcError } from "gradc";
import { f } from "./f.ts";

function publish(result) {
  window.__result = result;
  document.getElementById("status").textContent = JSON.stringify(result);
}

const w = Float64Array.from([0.3, -1.2, 2]);
const x = Float64Array.from([1.5, 0.5, -0.25]);

try {
  // wrt by index: the bundle is minified, so parameter names do not survive.
  const g = grad(f, { wrt: 0 })(w, x);
  publish({ ok: true, point: { w: [...w], x: [...x] }, grad: [...g] });
} catch (e) {
  publish({ ok: false, name: e?.name, isGradcError: e instanceof GradcError, message: String(e?.message ?? e) });
}
