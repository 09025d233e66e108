// TensorFlow.js as a GradBench peer: the derivative of each eval written with tfjs ops as
// its documentation teaches (vectorised where the eval allows it) and differentiated by
// tfjs's own reverse mode (tf.grad, tf.grads), on the pure-JavaScript CPU backend.
//
// Each function follows report.mjs's contract: `prepare` turns the JSON input into typed
// arrays (not timed); `run` makes the tensors from them, computes the derivative, reads it
// back with dataSync and disposes every tensor it made (timed: uploading the input is
// part of calling tfjs from JavaScript, as in GradBench's own tensorflow-js tool);
// `output` turns the values into GradBench's JSON output.
//
// The CPU backend computes in float32 only, so its results differ from gradc's float64
// ones by ~1e-6..1e-3 (relative).

/** `{ name, note, evals }`, or an Error saying why tfjs cannot run here. */
export async function load() {
  let tf;
  try {
    tf = await import("@tensorflow/tfjs");
  } catch (e) {
    throw new Error(`@tensorflow/tfjs is not installed (${e.message})`);
  }
  tf.enableProdMode(); // only silences tfjs's log lines (here: that tfjs-node's native backend would be faster)
  try {
    if (!(await tf.setBackend("cpu"))) throw new Error("setBackend('cpu') returned false");
    await tf.ready();
  } catch (e) {
    throw new Error(`tfjs's CPU backend did not start (${e.message})`);
  }
  return {
    name: "tfjs",
    note: `@tensorflow/tfjs ${tf.version.tfjs}, pure-JavaScript CPU backend (not tfjs-node), float32 only: tfjs has no float64; tf.grad / tf.grads, eager; ode's and lstm's loops unrolled on the tape`,
    evals: evals(tf),
  };
}

function evals(tf) {
  /** Runs `derivative` (returning tensors) in a tidy, reads each result back, disposes them. */
  const read = (derivative) => {
    const results = [tf.tidy(derivative)].flat();
    const values = results.map((r) => r.dataSync());
    tf.dispose(results);
    return values;
  };

  /** log Σ exp along `axis`, with the max shifted out (written out, not tf.logSumExp). */
  const logsumexp = (a, axis) => {
    const top = a.max(axis, true);
    return a.sub(top).exp().sum(axis).log().add(top.squeeze([axis]));
  };

  // llsq: y(x) = ½ Σ_i (s_i − Σ_j x_j t_i^j)², t_i = −1 + 2i/(n−1), s_i = sign(t_i); the
  // powers t_i^j as an n×m matrix (a cumulative product along j), the fit as its product with x.
  const llsq = (x, n) => {
    const m = x.shape[0];
    const t = tf.range(0, n).mul(2).div(n - 1).sub(1);
    const powers = tf.concat([tf.ones([n, 1]), tf.tile(t.reshape([n, 1]), [1, m - 1])], 1).cumprod(1);
    const residual = t.sign().sub(powers.matMul(x.reshape([m, 1])).reshape([n]));
    return residual.square().sum().div(2);
  };

  // lse: LSE(x) = a + log Σ_i exp(x_i − a), a = max x.
  const lse = (x) => {
    const a = x.max();
    return a.add(x.sub(a).exp().sum().log());
  };

  // ode: y' = (x_0, x_1 y_0, x_2 y_1, ...), y(0) = 0, s steps of classical Runge-Kutta to
  // t = 2; the last component of y(2).
  const odeLast = (x, s) => {
    const n = x.shape[0];
    const h = 2 / s;
    const field = (y) => x.mul(tf.concat([tf.ones([1]), y.slice(0, n - 1)]));
    let y = tf.zeros([n]);
    for (let step = 0; step < s; step++) {
      const k1 = field(y);
      const k2 = field(y.add(k1.mul(h).div(2)));
      const k3 = field(y.add(k2.mul(h).div(2)));
      const k4 = field(y.add(k3.mul(h)));
      y = y.add(k1.add(k2.mul(2)).add(k3.mul(2)).add(k4).mul(h).div(6));
    }
    return y.slice(n - 1, 1).sum();
  };

  // gmm: ADBench's log-likelihood of a Gaussian mixture with a Wishart prior, less the terms
  // that do not depend on alpha, mu, q, l (they change the objective, not its gradient).
  // L_k's column i is l_k's next d−1−i entries below i + 1 zeros (built by slices and pads:
  // tf.gather's gradient, an unsortedSegmentSum, takes seconds at d = 64).
  const lowerTriangle = (l, d) => {
    const columns = [];
    for (let i = 0, start = 0; i < d; start += d - 1 - i, i++) {
      columns.push(l.slice([0, start], [-1, d - 1 - i]).pad([[0, 0], [i + 1, 0]]));
    }
    return tf.stack(columns, 2);
  };

  const gmm = ({ x, n, m, gamma }, alpha, mu, q, l) => {
    const d = x.shape[1];
    const qdiag = q.exp(); // k×d
    const sumQ = q.sum(1); // k
    const L = lowerTriangle(l, d); // k×d×d
    const centered = x.expandDims(0).sub(mu.expandDims(1)); // k×n×d
    const qx = centered.mul(qdiag.expandDims(1)).add(tf.matMul(centered, L, false, true)); // Q_k (x_i − mu_k)
    const main = alpha.add(sumQ).expandDims(1).sub(qx.square().sum(2).mul(0.5)); // k×n
    const prior = qdiag.square().sum().add(l.square().sum()).mul(0.5 * gamma * gamma).sub(sumQ.sum().mul(m));
    return logsumexp(main, 0).sum().sub(logsumexp(alpha, 0).mul(n)).sub(prior);
  };

  // lstm: ADBench's LSTM (diagonal weights) over the sequence, the loss −Σ_t Σ_i gold·(ŷ − lse(ŷ)) / count,
  // lse(ŷ) = log(Σ exp ŷ + 2); the output layer and the loss taken over all steps at once.
  const lstm = (mainParams, extraParams, state, sequence) => {
    const layers = mainParams.shape[0] / 2;
    const b = extraParams.shape[1];
    const c = sequence.shape[0];
    const gates = (row) => tf.split(mainParams.slice([row, 0], [1, 4 * b]).reshape([4 * b]), 4); // forget, ingate, outgate, change
    const weight = Array.from({ length: layers }, (_, i) => gates(2 * i));
    const bias = Array.from({ length: layers }, (_, i) => gates(2 * i + 1));
    const [inWeight, outWeight, outBias] = tf.unstack(extraParams);
    const hidden = Array.from({ length: layers }, (_, i) => state.slice([2 * i, 0], [1, b]).reshape([b]));
    const cell = Array.from({ length: layers }, (_, i) => state.slice([2 * i + 1, 0], [1, b]).reshape([b]));
    const inputs = tf.unstack(sequence);
    const tops = [];
    for (let t = 0; t < c - 1; t++) {
      let input = inputs[t].mul(inWeight);
      for (let i = 0; i < layers; i++) {
        const [wf, wi, wo, wc] = weight[i];
        const [bf, bi, bo, bc] = bias[i];
        const forget = input.mul(wf).add(bf).sigmoid();
        const ingate = hidden[i].mul(wi).add(bi).sigmoid();
        const outgate = input.mul(wo).add(bo).sigmoid();
        const change = hidden[i].mul(wc).add(bc).tanh();
        cell[i] = cell[i].mul(forget).add(ingate.mul(change));
        hidden[i] = outgate.mul(cell[i].tanh());
        input = hidden[i];
      }
      tops.push(input);
    }
    const predicted = tf.stack(tops).mul(outWeight).add(outBias); // (c−1)×b
    const normalised = predicted.sub(predicted.exp().sum(1, true).add(2).log());
    const gold = sequence.slice([1, 0], [c - 1, b]);
    return gold.mul(normalised).sum().neg().div((c - 1) * b);
  };

  const vector = (input) => ({ x: Float32Array.from(input.x) });
  const values = ([g]) => Array.from(g);
  const matrix = (rows) => ({ values: Float32Array.from(rows.flat()), shape: [rows.length, rows[0]?.length ?? 0] });
  const tensor = (a) => tf.tensor(a.values, a.shape);
  const rows = (flat, width) => Array.from({ length: flat.length / width }, (_, i) => Array.from(flat.subarray(i * width, (i + 1) * width)));

  return {
    llsq: {
      gradient: {
        prepare: (input) => ({ ...vector(input), n: input.n }),
        run: ({ x, n }) => read(() => tf.grad((x) => llsq(x, n))(tf.tensor1d(x))),
        output: values,
      },
    },
    lse: {
      gradient: { prepare: vector, run: ({ x }) => read(() => tf.grad(lse)(tf.tensor1d(x))), output: values },
    },
    ode: {
      gradient: {
        prepare: (input) => ({ ...vector(input), s: input.s }),
        run: ({ x, s }) => read(() => tf.grad((x) => odeLast(x, s))(tf.tensor1d(x))),
        output: values,
      },
    },
    gmm: {
      jacobian: {
        prepare(input) {
          const params = [{ values: Float32Array.from(input.alpha), shape: [input.k] }, matrix(input.mu), matrix(input.q), matrix(input.l)];
          return { n: input.n, m: input.m, gamma: input.gamma, x: matrix(input.x), params };
        },
        run: (a) => read(() => {
          const data = { ...a, x: tensor(a.x) };
          return tf.grads((...p) => gmm(data, ...p))(a.params.map(tensor));
        }),
        output: ([alpha, mu, q, l]) => {
          const k = alpha.length;
          return { alpha: Array.from(alpha), mu: rows(mu, mu.length / k), q: rows(q, q.length / k), l: rows(l, l.length / k) };
        },
      },
    },
    lstm: {
      jacobian: {
        prepare: (input) => ({ main: matrix(input.main_params), extra: matrix(input.extra_params), state: matrix(input.state), sequence: matrix(input.sequence) }),
        run: (a) => read(() => {
          const state = tensor(a.state);
          const sequence = tensor(a.sequence);
          return tf.grads((main, extra) => lstm(main, extra, state, sequence))([tensor(a.main), tensor(a.extra)]);
        }),
        output: ([main, extra]) => [...main, ...extra],
      },
    },
  };
}
