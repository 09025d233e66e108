// llsq's gradient written by hand in plain JavaScript, as a JS user would: the reference
// the report times gradc's against. y(x) = ½ Σ_i (s_i − Σ_j x_j t_i^j)², so
// ∂y/∂x_j = −Σ_i r_i t_i^j with r_i the residual.
export const functions = {
  gradient: {
    prepare: (input) => ({ x: Float64Array.from(input.x), n: input.n, g: new Float64Array(input.x.length) }),
    run({ x, n, g }) {
      const m = x.length;
      g.fill(0);
      for (let i = 0; i < n; i++) {
        const t = -1 + (i * 2) / (n - 1);
        let fit = 0;
        let p = 1;
        for (let j = 0; j < m; j++) {
          fit += x[j] * p;
          p *= t;
        }
        const r = Math.sign(t) - fit;
        p = 1;
        for (let j = 0; j < m; j++) {
          g[j] -= r * p;
          p *= t;
        }
      }
      return g;
    },
    output: (g) => Array.from(g),
  },
};
