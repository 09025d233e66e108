// GradBench's lstm eval (evals/lstm/README.md; ADBench's LSTM, cpp/gradbench/evals/lstm.hpp):
// l layers of an LSTM with diagonal weights over hidden size b, run over a sequence of
// c characters; the loss is minus the mean log-likelihood (log-softmax with an extra
// +2 in the normaliser) of each next character. Its gradient in main_params (per layer:
// weights of the forget, input, output and change gates, then their biases) and
// extra_params (input weight, output weight, output bias), from gradc.
import { grad } from "gradc";
import { evalFunction } from "../eval.js";
import { withOut } from "./common/out.js";

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * The objective: main (l·8b), extra (3b), state (l·2b: per layer hidden then cell, copied
 * so the argument is not changed), sequence (c·b).
 */
export function lstmObjective(main: Float64Array, extra: Float64Array, state: Float64Array, sequence: Float64Array, l: number, c: number, b: number): number {
  const s = new Float64Array(2 * l * b);
  for (let k = 0; k < 2 * l * b; k++) s[k] = state[k];
  const ypred = new Float64Array(b);
  let total = 0;
  for (let t = 0; t < c - 1; t++) {
    // lstm_predict: the input scaled, then each layer fed the hidden state of the one below
    for (let i = 0; i < b; i++) ypred[i] = sequence[t * b + i] * extra[i];
    for (let j = 0; j < l; j++) {
      const w = 8 * b * j;
      const h = 2 * b * j;
      for (let i = 0; i < b; i++) {
        const input = j === 0 ? ypred[i] : s[h - 2 * b + i];
        const hidden = s[h + i];
        const forget = sigmoid(input * main[w + i] + main[w + 4 * b + i]);
        const ingate = sigmoid(hidden * main[w + b + i] + main[w + 5 * b + i]);
        const outgate = sigmoid(input * main[w + 2 * b + i] + main[w + 6 * b + i]);
        const change = Math.tanh(hidden * main[w + 3 * b + i] + main[w + 7 * b + i]);
        const cell = s[h + b + i] * forget + ingate * change;
        s[h + b + i] = cell;
        s[h + i] = outgate * Math.tanh(cell);
      }
    }
    const top = 2 * b * (l - 1);
    let sum = 0;
    for (let i = 0; i < b; i++) {
      ypred[i] = s[top + i] * extra[b + i] + extra[2 * b + i];
      sum += Math.exp(ypred[i]);
    }
    const lse = Math.log(sum + 2);
    for (let i = 0; i < b; i++) total += sequence[(t + 1) * b + i] * (ypred[i] - lse);
  }
  return -total / ((c - 1) * b);
}

const lstmGrad = withOut<[Float64Array, Float64Array]>()(grad(lstmObjective, { wrt: ["main", "extra"] }));

interface Input {
  main_params: number[][];
  extra_params: number[][];
  state: number[][];
  sequence: number[][];
}

interface Args {
  main: Float64Array;
  extra: Float64Array;
  state: Float64Array;
  sequence: Float64Array;
  l: number;
  c: number;
  b: number;
  out: [Float64Array, Float64Array];
}

function prepare(input: Input): Args {
  const main = Float64Array.from(input.main_params.flat());
  const extra = Float64Array.from(input.extra_params.flat());
  return {
    main,
    extra,
    state: Float64Array.from(input.state.flat()),
    sequence: Float64Array.from(input.sequence.flat()),
    l: input.main_params.length / 2,
    c: input.sequence.length,
    b: input.main_params[0].length / 4,
    out: [new Float64Array(main.length), new Float64Array(extra.length)],
  };
}

export const functions = {
  objective: evalFunction({
    prepare,
    run: (a: Args) => lstmObjective(a.main, a.extra, a.state, a.sequence, a.l, a.c, a.b),
    output: (loss: number) => loss,
  }),
  jacobian: evalFunction({
    prepare,
    run: (a: Args) => lstmGrad(a.main, a.extra, a.state, a.sequence, a.l, a.c, a.b, a.out),
    output: ([main, extra]: [Float64Array, Float64Array]) => [...main, ...extra],
  }),
};
