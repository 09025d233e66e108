// Losses for the reverse plan's store-or-recompute decisions (test/store-recompute.test.ts).

/** A scalar tanh RNN: the backward sweep reads tanh's value from h before restoring it. */
export function rnn(p: Float64Array, x: Float64Array, y: Float64Array): number {
  const w = p[0], u = p[1], c = p[2];
  let h = 0;
  let loss = 0;
  for (let t = 0; t < x.length; t++) {
    h = Math.tanh(w * h + u * x[t] + c);
    const e = h - y[t];
    loss += e * e;
  }
  return loss;
}

/** h is overwritten after the loop without a save: the loop's backward sweep cannot read tanh's value from it. */
export function rnnThenScaled(p: Float64Array, x: Float64Array): number {
  let h = 0;
  for (let t = 0; t < x.length; t++) h = Math.tanh(p[0] * h + x[t]);
  const last = h;
  h = 3 * p[1];
  return last * last + h;
}

/** An exp whose value a branch overwrites in some iterations only. */
export function expBranches(x: Float64Array): number {
  let s = 0;
  let v = 1;
  for (let i = 0; i < x.length; i++) {
    v = Math.exp(x[i] * v * 0.5);
    if (x[i] > 0) v = v * x[i];
    s += v;
  }
  return s;
}

/** Log-sum-exp with a running max: exp's value is saved in the sum's loop. */
export function logSumExp(x: Float64Array): number {
  let m = -Infinity;
  for (let i = 0; i < x.length; i++) m = Math.max(m, x[i]);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.exp(x[i] - m);
  return m + Math.log(s);
}

/** A running maximum of an expression of the index and a parameter. */
export function maxScaled(x: Float64Array, w: Float64Array): number {
  let m = -Infinity;
  for (let i = 0; i < x.length; i++) m = Math.max(m, w[0] * x[i] * x[i]);
  return m * m + w[1] * m;
}

/** A running minimum, the candidate as the first argument: a tie goes to the later element. */
export function minCandidateFirst(x: Float64Array): number {
  let m = Infinity;
  for (let i = 0; i < x.length; i++) m = Math.min(x[i], m);
  return m;
}

/** A running maximum, the candidate second: a tie goes to the earlier element. */
export function maxCandidateSecond(x: Float64Array): number {
  let m = -Infinity;
  for (let i = 0; i < x.length; i++) m = Math.max(m, x[i]);
  return m;
}

/** The running value is read inside the loop too: not a selection, reversed as any loop. */
export function maxAlsoRead(x: Float64Array): number {
  let m = -Infinity;
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    s += m > 0 ? m * x[i] : 0;
    m = Math.max(m, x[i]);
  }
  return s + m;
}

/** A running maximum kept by a branch (strict: a tie stays with the earlier element). */
export function maxByBranch(x: Float64Array, w: Float64Array): number {
  let m = -Infinity;
  for (let i = 0; i < x.length; i++) if (x[i] * w[0] > m) m = x[i] * w[0];
  return m * w[1];
}

/** A running minimum kept by a branch, `<=`: a tie goes to the later element. */
export function minByBranchLast(x: Float64Array): number {
  let m = Infinity;
  for (let i = 0; i < x.length; i++) {
    if (x[i] <= m) m = x[i];
  }
  return 2 * m;
}

/** The branch writes m from m itself: not a selection. */
export function branchReadsM(x: Float64Array): number {
  let m = 1;
  for (let i = 0; i < x.length; i++) if (x[i] > 0) m = m * x[i];
  return m;
}

/** Per iteration, consts read by the branch after them and by an inner loop: taped after their last reader, not saved where they are set. */
export function branchOnLocal(x: Float64Array, c: Float64Array): number {
  let out = 0;
  for (let i = 0; i < x.length; i++) {
    const u = Math.sin(out * c[0] + x[i]);
    if (u > 0) out += u * 2;
    else out -= u * 3;
    const v = Math.cos(out * c[1]);
    for (let j = 0; j < c.length; j++) out += v * c[j] * u;
  }
  return out;
}
