// The plugin path in a page: build-path/requests.ts calls valueAndGrad from "gradc";
// gradc's Vite plugin compiles that call while bundling, so the page imports the source
// module as it is. Publishes what build-path/main.js publishes.
import { lossValueAndGrad } from "../build-path/requests.ts";

function publish(result) {
  window.__result = result;
  document.getElementById("status").textContent = JSON.stringify(result);
}

try {
  const p = { w: Float64Array.from([0.4, -0.7, 0.25]), b: 0.1 };
  const x = Float64Array.from({ length: 24 }, (_, k) => Math.sin(1.3 * k + 0.2));
  const y = Float64Array.from({ length: 8 }, (_, i) => (i % 3 === 0 ? 1 : 0));
  const [value, g] = lossValueAndGrad(p, x, y);
  publish({ ok: true, point: { w: [...p.w], b: p.b, x: [...x], y: [...y] }, value, grad: { w: [...g.w], b: g.b } });
} catch (e) {
  publish({ ok: false, name: e?.name, message: String(e?.message ?? e) });
}
