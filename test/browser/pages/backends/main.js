// The runtime's backends in a page: by default the kernels run in JavaScript (no
// WebAssembly is compiled, so a strict CSP sees nothing); with ?wasm the page opts in
// with setBackend("wasm"), which a CSP without 'wasm-unsafe-eval' refuses (the backend
// stays "js") and one with it allows. Either way a 20×20×20 matmul (above the size
// cutoff) must equal the naive product.
import { backendName, matmul, setBackend } from "gradc/runtime";

function publish(result) {
  window.__result = result;
  document.getElementById("status").textContent = JSON.stringify(result);
}

try {
  const defaultBackend = backendName();
  const backend = location.search === "?wasm" ? setBackend("wasm") : defaultBackend;
  const n = 20;
  const a = Float64Array.from({ length: n * n }, (_, i) => ((i * 7) % 11) - 5);
  const b = Float64Array.from({ length: n * n }, (_, i) => ((i * 5) % 13) - 6);
  const c = matmul(new Float64Array(n * n), a, b, n, n, n);
  let worst = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < n; p++) s += a[i * n + p] * b[p * n + j];
    worst = Math.max(worst, Math.abs(s - c[i * n + j]));
  }
  publish({ ok: true, defaultBackend, backend, worst });
} catch (e) {
  publish({ ok: false, name: e?.name, message: String(e?.message ?? e) });
}
