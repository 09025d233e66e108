// What examples/main.mjs needs to run a worked example (maml, hutchinson, natural-gradient,
// newton): a title, and a run() that prints its results and says whether its checks passed.
// Also the small vector helpers and finite differences those examples check themselves with.

export interface Example {
  /** One line shown above the example's output. */
  title: string;
  /** Prints the results (lines indented by two spaces); true when every check passed. */
  run: () => boolean | Promise<boolean>;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function norm(a: ArrayLike<number>): number {
  return Math.sqrt(dot(a, a));
}

/** |a - b| / max(1, |a|, |b|): relative for large values, absolute near zero. */
export function relError(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(1, Math.abs(a), Math.abs(b));
}

export function maxRelError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let e = a.length === b.length ? 0 : Infinity;
  for (let i = 0; i < a.length; i++) e = Math.max(e, relError(a[i], b[i]));
  return e;
}

/** Central-difference gradient of f at x; x is restored afterwards. */
export function centralGradient(f: (x: Float64Array) => number, x: Float64Array, h = 1e-6): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    const s = h * Math.max(1, Math.abs(xi));
    x[i] = xi + s;
    const up = f(x);
    x[i] = xi - s;
    const down = f(x);
    x[i] = xi;
    g[i] = (up - down) / (2 * s);
  }
  return g;
}

/** "1.2e-9 ok" when err <= tol, "... TOO LARGE" otherwise. */
export function verdict(err: number, tol: number): string {
  return `${err.toExponential(1)} ${err <= tol ? "ok" : `TOO LARGE (tolerance ${tol.toExponential(0)})`}`;
}

/** Prints rows of cells as right-aligned columns (the first left-aligned), indented by two spaces. */
export function printTable(rows: string[][]): void {
  const width = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  for (const r of rows) console.log(`  ${r.map((s, j) => (j === 0 ? s.padEnd(width[j]) : s.padStart(width[j]))).join("  ")}`);
}
