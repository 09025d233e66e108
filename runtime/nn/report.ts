// Gradient-norm report per parameter (per layer), for watching vanishing or
// exploding gradients during training.
import { globalNorm } from "./clip.js";

type Arr = Float64Array | Float32Array;

export interface GradientNorm {
  name: string;
  /** L2 norm of that parameter's gradient. */
  norm: number;
}

/** {name, norm} for each entry, in the object's key order. */
export function gradientNorms(named: Record<string, Arr>): GradientNorm[] {
  return Object.keys(named).map((name) => ({ name, norm: globalNorm(named[name]) }));
}

/** One line per parameter: name, norm, and a bar on a log scale (for a console log). */
export function formatGradientNorms(report: readonly GradientNorm[]): string {
  const width = Math.max(0, ...report.map((r) => r.name.length));
  return report
    .map((r) => {
      const lg = Math.log10(r.norm);
      const bar = Number.isFinite(lg) ? "#".repeat(Math.max(0, Math.min(40, Math.round(2 * (lg + 10))))) : "";
      return `${r.name.padEnd(width)}  ${r.norm.toExponential(3).padStart(10)}  ${bar}`;
    })
    .join("\n");
}
