// lse's gradient written by hand in plain JavaScript: the softmax of x, with the running
// maximum taken first as the primal does (x − max keeps exp from overflowing).
export const functions = {
  gradient: {
    prepare: (input) => ({ x: Float64Array.from(input.x), g: new Float64Array(input.x.length) }),
    run({ x, g }) {
      let a = -Infinity;
      for (let i = 0; i < x.length; i++) if (x[i] > a) a = x[i];
      let s = 0;
      for (let i = 0; i < x.length; i++) s += (g[i] = Math.exp(x[i] - a));
      const inv = 1 / s;
      for (let i = 0; i < x.length; i++) g[i] *= inv;
      return g;
    },
    output: (g) => Array.from(g),
  },
};
