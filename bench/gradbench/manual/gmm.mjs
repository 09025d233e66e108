// gmm's gradient written by hand in plain JavaScript (the objective of evals/gmm.ts).
// Per point x and component c, with z = x − μ_c and r = Q_c z (Q_c = diag(exp q_c) +
// strictly lower L_c), main_c = α_c + Σ_j q_cj − ½|r|²; the point adds lse(main), whose
// gradient in main is w = softmax(main). So, weighted by w_c:
//   ∂/∂α_c = 1,  ∂/∂μ_c = Q_cᵀ r,  ∂/∂q_cj = 1 − r_j exp(q_cj) z_j,  ∂/∂L_c[j, i] = −r_j z_i;
// then −n·softmax(α) for −n·lse(α), and the Wishart prior's −γ² exp(2q) + m and −γ² l.
export const functions = {
  jacobian: {
    prepare(input) {
      const { d, k, n, gamma, m } = input;
      const lsz = (d * (d - 1)) / 2;
      return {
        d, k, n, gamma, m, lsz,
        x: Float64Array.from(input.x.flat()), alpha: Float64Array.from(input.alpha), mu: Float64Array.from(input.mu.flat()),
        q: Float64Array.from(input.q.flat()), l: Float64Array.from(input.l.flat()),
        // scratch: exp q, each component's z and r for the current point, main
        qdiag: new Float64Array(k * d), z: new Float64Array(k * d), r: new Float64Array(k * d), main: new Float64Array(k),
        g: { alpha: new Float64Array(k), mu: new Float64Array(k * d), q: new Float64Array(k * d), l: new Float64Array(k * lsz) },
      };
    },
    run(a) {
      const { d, k, n, gamma, m, lsz, x, alpha, mu, q, l, qdiag, z, r, main, g } = a;
      g.alpha.fill(0);
      g.mu.fill(0);
      g.q.fill(0);
      g.l.fill(0);
      for (let i = 0; i < k * d; i++) qdiag[i] = Math.exp(q[i]);
      const sumq = new Float64Array(k);
      for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) sumq[c] += q[c * d + j];
      for (let ix = 0; ix < n; ix++) {
        let top = -Infinity;
        for (let c = 0; c < k; c++) {
          let sq = 0;
          for (let j = 0; j < d; j++) z[c * d + j] = x[ix * d + j] - mu[c * d + j];
          for (let j = 0; j < d; j++) {
            let row = qdiag[c * d + j] * z[c * d + j];
            for (let i = 0; i < j; i++) row += l[c * lsz + (i * (2 * d - i - 1)) / 2 + j - i - 1] * z[c * d + i];
            r[c * d + j] = row;
            sq += row * row;
          }
          main[c] = alpha[c] + sumq[c] - 0.5 * sq;
          if (main[c] > top) top = main[c];
        }
        let s = 0;
        for (let c = 0; c < k; c++) s += (main[c] = Math.exp(main[c] - top));
        for (let c = 0; c < k; c++) {
          const w = main[c] / s;
          g.alpha[c] += w;
          for (let j = 0; j < d; j++) {
            const rj = w * r[c * d + j];
            g.q[c * d + j] += w - rj * qdiag[c * d + j] * z[c * d + j];
            // Q_cᵀ r: the diagonal, then L_c[j, i] r_j into column i
            g.mu[c * d + j] += rj * qdiag[c * d + j];
            for (let i = 0; i < j; i++) {
              const at = c * lsz + (i * (2 * d - i - 1)) / 2 + j - i - 1;
              g.mu[c * d + i] += l[at] * rj;
              g.l[at] -= rj * z[c * d + i];
            }
          }
        }
      }
      let top = -Infinity;
      for (let c = 0; c < k; c++) if (alpha[c] > top) top = alpha[c];
      let s = 0;
      for (let c = 0; c < k; c++) s += Math.exp(alpha[c] - top);
      for (let c = 0; c < k; c++) g.alpha[c] -= (n * Math.exp(alpha[c] - top)) / s;
      const g2 = gamma * gamma;
      for (let i = 0; i < k * d; i++) g.q[i] += m - g2 * qdiag[i] * qdiag[i];
      for (let i = 0; i < k * lsz; i++) g.l[i] -= g2 * l[i];
      return a;
    },
    output({ g, d, k }) {
      const rows = (v, width) => Array.from({ length: v.length / width }, (_, i) => Array.from(v.subarray(i * width, (i + 1) * width)));
      return { alpha: Array.from(g.alpha), mu: rows(g.mu, d), q: rows(g.q, d), l: rows(g.l, g.l.length / k) };
    },
  },
};
