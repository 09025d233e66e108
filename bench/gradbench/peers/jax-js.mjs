// jax-js as a GradBench peer: the derivative of each eval written with jax-js's numpy ops
// (vectorised where the eval allows it), differentiated by its own reverse mode (grad)
// and compiled by jit, in float64 on the WebAssembly backend.
//
// Each function follows report.mjs's contract: `prepare` turns the JSON input into typed
// arrays and calls the jitted derivative once, so tracing and compiling happen before the
// timing (not timed); `run` makes the arrays from the typed arrays, calls it and reads the
// result back with dataSync (timed: uploading the input is part of calling jax-js from
// JavaScript, as in GradBench's jax tool); `output` turns the values into GradBench's JSON.
//
// jax-js arrays are reference counted and consumed by every operation they are passed to:
// a value used again is passed as `x.ref`, and dataSync consumes the array it reads, so
// nothing stays allocated between runs.

/** `{ name, note, evals }`, or an Error saying why jax-js cannot run here. */
export async function load() {
  // jax-js tests `instanceof Float16Array`, which Node 20 lacks; nothing here makes float16 arrays.
  globalThis.Float16Array ??= class Float16Array {
    constructor() {
      throw new Error("Float16Array is not available in this JavaScript runtime");
    }
  };
  let jax;
  try {
    jax = await import("@jax-js/jax");
  } catch (e) {
    throw new Error(`@jax-js/jax is not installed (${e.message})`);
  }
  try {
    const devices = await jax.init("wasm");
    if (!devices.includes("wasm")) throw new Error(`devices started: ${devices.join(", ") || "none"}`);
    jax.defaultDevice("wasm");
  } catch (e) {
    throw new Error(`jax-js's wasm backend did not start (${e.message})`);
  }
  return {
    name: "jax-js",
    note: "@jax-js/jax 0.1.x, wasm backend, float64 arrays, but its wasm exp, log, sin, cos (so sigmoid, tanh) compute in float32; " +
      "jit(grad(f)) traced, compiled and run once in prepare; ode's and lstm's loops in jitted chunks of " +
      `${ODE_CHUNK} and ${LSTM_CHUNK} steps chained by vjp (jax-js has no lax.scan, and its tracer overflows the stack on the whole loop unrolled)`,
    evals: evals(jax),
  };
}

/** Steps of ode's and lstm's loops in one jitted function (see recurrenceGradient). */
const ODE_CHUNK = 20;
const LSTM_CHUNK = 128;

function evals({ numpy: np, nn, grad, jit, vjp, tree }) {
  const float64 = np.float64;
  const array = (values, shape) => np.array(values, { dtype: float64, shape });

  /** log Σ exp along `axis`, with the max shifted out (written out, not nn.logsumexp). */
  const logsumexp = (a, axis) => {
    const top = a.ref.max(axis, { keepdims: true });
    return np.log(np.exp(a.sub(top.ref)).sum(axis)).add(np.squeeze(top, axis));
  };

  // llsq: y(x) = ½ Σ_i (s_i − Σ_j x_j t_i^j)², t_i = −1 + 2i/(n−1), s_i = sign(t_i); the
  // powers t_i^j as an n×m matrix built by doubling ([P, P·t^w], as jax-js's cumprod is
  // quadratic in m), the fit as its product with x.
  const llsq = (x, n) => {
    const m = x.shape[0];
    const t = np.arange(n, undefined, undefined, { dtype: float64 }).mul(2).div(n - 1).sub(1);
    let powers = np.ones([n, 1], { dtype: float64 });
    let tw = t.ref.reshape([n, 1]); // t^w, w the width of powers
    while (powers.shape[1] < m) {
      powers = np.concatenate([powers.ref, powers.mul(tw.ref)], 1);
      tw = tw.ref.mul(tw);
    }
    tw.dispose();
    const fit = np.matmul(powers.slice([], [0, m]), x);
    return np.square(np.sign(t).sub(fit)).sum().div(2);
  };

  // lse: LSE(x) = a + log Σ_i exp(x_i − a), a = max x.
  const lse = (x) => {
    const a = x.ref.max();
    return a.ref.add(np.log(np.exp(x.sub(a)).sum()));
  };

  // ode: y' = (x_0, x_1 y_0, x_2 y_1, ...), y(0) = 0, s steps of classical Runge-Kutta to
  // t = 2, h = 2/s. One chunk of the steps, `hs` their step sizes: [y after them, 0]
  // (see recurrenceGradient; the function differentiated is the last component of y(2)).
  const odeSteps = (x, y, hs) => {
    const n = x.shape[0];
    const field = (y) => x.ref.mul(np.concatenate([np.ones([1], { dtype: float64 }), y.slice([0, n - 1])]));
    for (let step = 0; step < hs.shape[0]; step++) {
      // h/2 and h/6 as arrays: under jit, jax-js 0.1.25 rounds a JavaScript number to
      // float32 (x.div(6) is differentiated as a product with float32(1/6))
      const h = hs.ref.slice(step);
      const half = h.ref.div(2);
      const sixth = h.ref.div(6);
      const k1 = field(y.ref);
      const k2 = field(y.ref.add(k1.ref.mul(half.ref)));
      const k3 = field(y.ref.add(k2.ref.mul(half)));
      const k4 = field(y.ref.add(k3.ref.mul(h)));
      y = y.add(k1.add(k2.mul(2)).add(k3.mul(2)).add(k4).mul(sixth));
    }
    x.dispose();
    hs.dispose();
    return [y, np.zeros([], { dtype: float64 })];
  };

  // gmm: ADBench's log-likelihood of a Gaussian mixture with a Wishart prior, less the terms
  // that do not depend on alpha, mu, q, l (they change the objective, not its gradient).
  // L_k's column i is l_k's next d−1−i entries below i + 1 zeros (under jit, jax-js 0.1.25
  // cannot differentiate a gather: its scatter is refused).
  const lowerTriangle = (l, d) => {
    const k = l.shape[0];
    const columns = [];
    for (let i = 0, start = 0; i < d; start += d - 1 - i, i++) {
      columns.push(np.pad(l.ref.slice([], [start, start + d - 1 - i]), [[0, 0], [i + 1, 0]]));
    }
    l.dispose();
    return np.stack(columns, 2).reshape([k, d, d]);
  };

  // The prior's ½γ² and m come as arrays: under jit, jax-js 0.1.25 rounds a JavaScript number
  // to float32.
  const gmm = (alpha, mu, q, l, x, halfGammaSquared, m) => {
    const [n, d] = x.shape;
    const k = alpha.shape[0];
    const qdiag = np.exp(q.ref); // k×d
    const sumQ = q.sum(1); // k
    const L = lowerTriangle(l.ref, d); // k×d×d
    const centered = x.reshape([1, n, d]).sub(mu.reshape([k, 1, d])); // k×n×d
    const qx = centered.ref.mul(qdiag.ref.reshape([k, 1, d])).add(np.matmul(centered, L.transpose([0, 2, 1]))); // Q_k (x_i − mu_k)
    const main = alpha.ref.add(sumQ.ref).reshape([k, 1]).sub(np.square(qx).sum(2).mul(0.5)); // k×n
    const prior = np.square(qdiag).sum().add(np.square(l).sum()).mul(halfGammaSquared).sub(sumQ.sum().mul(m));
    return logsumexp(main, 0).sum().sub(logsumexp(alpha, 0).mul(n)).sub(prior);
  };

  // lstm: ADBench's LSTM (diagonal weights) over the sequence, the loss −Σ_t Σ_i gold·(ŷ − lse(ŷ)) / count,
  // lse(ŷ) = log(Σ exp ŷ + 2). One chunk of the sequence (its steps' inputs and the next
  // step's gold, steps + 1 rows): [the state after it, its Σ gold·(ŷ − lse(ŷ))], the output
  // layer and the loss taken over the chunk's steps at once (see recurrenceGradient).
  const lstmChunk = ([mainParams, extraParams], state, sequence) => {
    const layers = mainParams.shape[0] / 2;
    const steps = sequence.shape[0] - 1;
    const mainRows = np.unstack(mainParams);
    const weight = Array.from({ length: layers }, (_, i) => np.split(mainRows[2 * i], 4)); // forget, ingate, outgate, change
    const bias = Array.from({ length: layers }, (_, i) => np.split(mainRows[2 * i + 1], 4));
    const [inWeight, outWeight, outBias] = np.unstack(extraParams);
    const stateRows = np.unstack(state);
    const hidden = Array.from({ length: layers }, (_, i) => stateRows[2 * i]);
    const cell = Array.from({ length: layers }, (_, i) => stateRows[2 * i + 1]);
    const inputs = np.unstack(sequence.ref);
    const tops = [];
    for (let t = 0; t < steps; t++) {
      let input = inputs[t].mul(inWeight.ref);
      for (let i = 0; i < layers; i++) {
        const [wf, wi, wo, wc] = weight[i];
        const [bf, bi, bo, bc] = bias[i];
        const forget = nn.sigmoid(input.ref.mul(wf.ref).add(bf.ref));
        const ingate = nn.sigmoid(hidden[i].ref.mul(wi.ref).add(bi.ref));
        const outgate = nn.sigmoid(input.mul(wo.ref).add(bo.ref));
        const change = np.tanh(hidden[i].mul(wc.ref).add(bc.ref));
        cell[i] = cell[i].mul(forget).add(ingate.mul(change));
        hidden[i] = outgate.mul(np.tanh(cell[i].ref));
        input = hidden[i].ref;
      }
      tops.push(input);
    }
    for (const a of [...weight.flat(), ...bias.flat(), inWeight, inputs[steps]]) a.dispose();
    const after = np.stack(hidden.flatMap((h, i) => [h, cell[i]]));
    const predicted = np.stack(tops).mul(outWeight).add(outBias); // steps×b
    const normalised = predicted.ref.sub(np.log(np.exp(predicted).sum(1, { keepdims: true }).add(2)));
    const gold = sequence.slice([1]);
    return [after, gold.mul(normalised).sum()];
  };

  /**
   * The gradient of a recurrence run in chunks, `chunk(params, state, data)` returning
   * [the state after the chunk, its gain]: d/d params of Σ_j gain_j·dGain + dLast·(the last
   * state), from the state `state` before the first chunk, `data` one array per chunk (at
   * least one). jax-js has no lax.scan, and its tracer overflows the stack on a loop of
   * some hundreds of steps unrolled (and compiles for minutes before); so each chunk is
   * jitted (once for each shape of its data), a forward sweep keeps the state before each
   * chunk, and the reverse sweep takes each chunk's vjp, carrying the state's cotangent
   * back and summing the parameters' — what the transpose of lax.scan does. Consumes its
   * arguments.
   */
  const recurrenceGradient = (chunk) => {
    const forward = jit(chunk);
    const backward = jit((params, state, data, dAfter, dGain) => {
      const [out, back] = vjp((p, s) => chunk(p, s, data), [params, state]);
      tree.dispose(out);
      const cotangents = back([dAfter, dGain]);
      back.dispose();
      return cotangents;
    });
    return (params, state, data, dLast, dGain) => {
      const before = [state];
      for (const d of data.slice(0, -1)) {
        const [after, gain] = forward(tree.ref(params), before.at(-1).ref, d.ref);
        gain.dispose();
        before.push(after);
      }
      let dState = dLast;
      let dParams;
      for (let j = data.length - 1; j >= 0; j--) {
        const [dp, ds] = backward(tree.ref(params), before[j], data[j], dState, dGain.ref);
        dParams = dParams === undefined ? dp : tree.map((a, b) => a.add(b), dParams, dp);
        dState = ds;
      }
      tree.dispose([params, dState, dGain]);
      return dParams;
    };
  };

  // grad turns every argument into an array, so llsq's n (a shape) is closed over: one
  // jitted derivative for each n met.
  const compiled = new Map();
  const once = (key, make) => compiled.get(key) ?? compiled.set(key, make()).get(key);
  const llsqGradient = (n) => once(`llsq ${n}`, () => jit(grad((x) => llsq(x, n))));
  const lseGradient = jit(grad(lse));
  const gmmGradient = jit(grad(gmm, { argnums: [0, 1, 2, 3] }));
  const odeGradient = recurrenceGradient(odeSteps);
  const lstmGradient = recurrenceGradient(lstmChunk);

  /** Chunks of `steps` steps, each of at most `size`: [start, end) pairs. */
  const chunksOf = (steps, size) => Array.from({ length: Math.ceil(steps / size) }, (_, j) => [j * size, Math.min((j + 1) * size, steps)]);

  /** An EvalFunction whose `prepare` also runs the derivative once (tracing and compiling it). */
  const warmed = ({ prepare, run, output }) => ({
    prepare(input) {
      const args = prepare(input);
      run(args);
      return args;
    },
    run,
    output,
  });
  const matrix = (rows) => ({ values: Float64Array.from(rows.flat()), shape: [rows.length, rows[0]?.length ?? 0] });
  const tensor = (a) => array(a.values, a.shape);
  const rows = (flat, width) => Array.from({ length: flat.length / width }, (_, i) => Array.from(flat.subarray(i * width, (i + 1) * width)));
  const vector = (input) => ({ x: Float64Array.from(input.x) });
  const values = (g) => Array.from(g);

  return {
    llsq: {
      gradient: warmed({ prepare: (input) => ({ ...vector(input), n: input.n }), run: ({ x, n }) => llsqGradient(n)(array(x)).dataSync(), output: values }),
    },
    lse: {
      gradient: warmed({ prepare: vector, run: ({ x }) => lseGradient(array(x)).dataSync(), output: values }),
    },
    ode: {
      gradient: warmed({
        prepare(input) {
          const last = new Float64Array(input.x.length); // e_{n−1}: the cotangent of y(2)
          last[last.length - 1] = 1;
          return { ...vector(input), s: input.s, last };
        },
        run: ({ x, s, last }) => {
          const hs = chunksOf(s, ODE_CHUNK).map(([t0, t1]) => np.full([t1 - t0], 2 / s, { dtype: float64 }));
          return odeGradient(array(x), np.zeros([x.length], { dtype: float64 }), hs, array(last), np.zeros([], { dtype: float64 })).dataSync();
        },
        output: values,
      }),
    },
    gmm: {
      jacobian: warmed({
        prepare(input) {
          const params = [{ values: Float64Array.from(input.alpha), shape: [input.k] }, matrix(input.mu), matrix(input.q), matrix(input.l)];
          return { params, x: matrix(input.x), halfGammaSquared: 0.5 * input.gamma * input.gamma, m: input.m };
        },
        run: ({ params, x, halfGammaSquared, m }) => {
          const scalar = (v) => np.full([], v, { dtype: float64 });
          return gmmGradient(...params.map(tensor), tensor(x), scalar(halfGammaSquared), scalar(m)).map((g) => g.dataSync());
        },
        output: ([alpha, mu, q, l]) => {
          const k = alpha.length;
          return { alpha: Array.from(alpha), mu: rows(mu, mu.length / k), q: rows(q, q.length / k), l: rows(l, l.length / k) };
        },
      }),
    },
    lstm: {
      jacobian: warmed({
        prepare: (input) => ({
          main: matrix(input.main_params), extra: matrix(input.extra_params), state: matrix(input.state),
          sequence: Float64Array.from(input.sequence.flat()), b: input.extra_params[0].length,
        }),
        run: ({ main, extra, state, sequence, b }) => {
          const steps = sequence.length / b - 1;
          const chunks = chunksOf(steps, LSTM_CHUNK).map(([t0, t1]) => array(sequence.subarray(t0 * b, (t1 + 1) * b), [t1 - t0 + 1, b]));
          const dLoss = np.full([], -1 / (steps * b), { dtype: float64 });
          const gradient = lstmGradient([tensor(main), tensor(extra)], tensor(state), chunks, np.zeros(state.shape, { dtype: float64 }), dLoss);
          return gradient.map((g) => g.dataSync());
        },
        output: ([main, extra]) => [...main, ...extra],
      }),
    },
  };
}
