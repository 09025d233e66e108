// The MLP of bench/mlp.mjs in jax-js (@jax-js/jax, a devDependency): the same loss written
// with its numpy ops, jit(valueAndGrad(loss)) on its WebAssembly backend, float32. The
// parameters and the batch stay jax-js arrays between calls (passed as `.ref`, as jax-js
// arrays are consumed by every operation they are passed to); each call reads the value
// and the four gradients back into typed arrays with dataSync, as a training loop in
// JavaScript would (and as jax-js computes lazily, reading is what makes it compute).

/** `{ jax }`, or `{ reason }` when jax-js cannot be loaded or its wasm backend does not start. */
export async function loadJax() {
  // jax-js tests `instanceof Float16Array`, which Node 20 lacks; nothing here makes float16 arrays.
  globalThis.Float16Array ??= class Float16Array {
    constructor() {
      throw new Error("Float16Array is not available in this JavaScript runtime");
    }
  };
  try {
    const jax = await import("@jax-js/jax");
    const devices = await jax.init("wasm");
    if (!devices.includes("wasm")) return { reason: `its wasm backend did not start (devices: ${devices.join(", ") || "none"})` };
    jax.defaultDevice("wasm");
    return { jax };
  } catch (e) {
    return { reason: String(e?.message ?? e).split("\n")[0] };
  }
}

/**
 * `{ step, gradient }` for the MLP at parameters p (row-major W1: hidden × inputs, W2:
 * classes × hidden, as in bench/mlp.mjs), batch X and one-hot Y, in float32: step() returns
 * the value (the gradients read and dropped), gradient() returns [value, gradients] as
 * Float64Arrays in p's layout.
 */
export function makeJaxMlp({ numpy: np, nn, jit, valueAndGrad }, dims, p, X, Y) {
  const { inputs: D, hidden: H, classes: C } = dims;
  const n = Y.length / C;
  const array = (values, shape) => np.array(Float32Array.from(values), { dtype: np.float32, shape });
  const params = { W1: array(p.W1, [H, D]), b1: array(p.b1, [H]), W2: array(p.W2, [C, H]), b2: array(p.b2, [C]) };
  const x = array(X, [n, D]);
  const y = array(Y, [n, C]);
  const loss = (q, x, y) => {
    const hidden = np.tanh(np.matmul(x, q.W1.transpose()).add(q.b1));
    const logProbabilities = nn.logSoftmax(np.matmul(hidden, q.W2.transpose()).add(q.b2), -1);
    return logProbabilities.mul(y).sum().mul(-1 / n);
  };
  const valueAndGradient = jit(valueAndGrad(loss));
  const call = () => {
    const [value, g] = valueAndGradient({ W1: params.W1.ref, b1: params.b1.ref, W2: params.W2.ref, b2: params.b2.ref }, x.ref, y.ref);
    return [value.dataSync()[0], { W1: g.W1.dataSync(), b1: g.b1.dataSync(), W2: g.W2.dataSync(), b2: g.b2.dataSync() }];
  };
  return {
    step: () => call()[0],
    gradient() {
      const [value, g] = call();
      return [value, Object.fromEntries(Object.entries(g).map(([k, a]) => [k, Float64Array.from(a)]))];
    },
  };
}
