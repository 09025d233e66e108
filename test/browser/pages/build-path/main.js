// The build path in a page: lossValueAndGrad comes from requests.grad.ts, which the test
// writes with gradc's build() before bundling; it imports nothing but gradc/runtime.
// Publishes the point, the value and the gradient; the test checks them against central
// differences of the same loss in Node.
import { lossValueAndGrad } from "./requests.grad.ts";

function publish(result) {
  window.__result = result;
  document.getElementById("status").textContent = JSON.stringify(result);
}

try {
  const d = 3;
  const n = 8;
  const p = { w: Float64Array.from([0.4, -0.7, 0.25]), b: 0.1 };
  const x = Float64Array.from({ length: n * d }, (_, k) => Math.sin(1.3 * k + 0.2));
  const y = Float64Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0));
  const [value, g] = lossValueAndGrad(p, x, y);
  publish({
    ok: true,
    point: { w: [...p.w], b: p.b, x: [...x], y: [...y] },
    value,
    grad: { w: [...g.w], b: g.b },
  });
} catch (e) {
  publish({ ok: false, name: e?.name, message: String(e?.message ?? e) });
}
