// kmeans's Newton direction written by hand in plain JavaScript. The cost is
// Σ_i min_k ‖p_i − c_k‖²: its gradient with respect to c_k is 2 Σ_{i ∈ S_k} (c_k − p_i)
// and its Hessian is diagonal, 2 |S_k|, so J·H⁻¹ is c_k minus the mean of the points
// nearest to c_k.
export const functions = {
  dir: {
    prepare(input) {
      const d = input.centroids[0].length;
      return { points: Float64Array.from(input.points.flat()), centroids: Float64Array.from(input.centroids.flat()), d, sums: new Float64Array(input.centroids.length * d), counts: new Float64Array(input.centroids.length), dir: new Float64Array(input.centroids.length * d) };
    },
    run({ points, centroids, d, sums, counts, dir }) {
      const n = points.length / d;
      const k = centroids.length / d;
      sums.fill(0);
      counts.fill(0);
      for (let i = 0; i < n; i++) {
        let best = 0;
        let bestDist = Infinity;
        for (let c = 0; c < k; c++) {
          let dist = 0;
          for (let j = 0; j < d; j++) {
            const e = points[i * d + j] - centroids[c * d + j];
            dist += e * e;
          }
          if (dist < bestDist) {
            bestDist = dist;
            best = c;
          }
        }
        counts[best]++;
        for (let j = 0; j < d; j++) sums[best * d + j] += points[i * d + j];
      }
      for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) dir[c * d + j] = centroids[c * d + j] - sums[c * d + j] / counts[c];
      return { dir, d };
    },
    output: ({ dir, d }) => Array.from({ length: dir.length / d }, (_, c) => Array.from(dir.subarray(c * d, (c + 1) * d))),
  },
};
