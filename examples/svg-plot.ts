// A small, dependency-free SVG line chart with a log-scale y axis, written as text:
// used by deep-network.ts (gradient norm per layer) and recurrent-clipping.ts
// (global gradient norm per training step). Several panels side by side share one
// y range, so orders of magnitude compare across panels at a glance.

export interface Series {
  label: string;
  color: string;
  /** [x, y] points; y that is not finite or not positive is left out (the line breaks there). */
  points: [number, number][];
  /** Draw a marker at every point (default true). */
  markers?: boolean;
  dashed?: boolean;
  /** Draw a cross at the last drawable point (e.g. where training diverged). */
  endCross?: boolean;
}

/** A horizontal reference line (e.g. a clipping threshold). */
export interface Rule {
  y: number;
  label: string;
  color: string;
}

export interface Panel {
  title: string;
  /** A second, smaller line under the title. */
  subtitle?: string;
  series: Series[];
  rules?: Rule[];
}

export interface LogPlotOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  panels: Panel[];
  /** Integer x ticks only (layer numbers, steps). Default true. */
  integerX?: boolean;
  panelWidth?: number;
  panelHeight?: number;
}

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const fmt = (v: number): string => (Math.round(v * 10) / 10).toString();

/** 10^k as text: "1", "10", "0.1" near 1, "1e-12" otherwise. */
function decade(k: number): string {
  if (k >= -2 && k <= 3) return String(10 ** k);
  return `1e${k}`;
}

/** "Nice" ticks covering [lo, hi]: about `count` of them, steps of 1, 2 or 5 × 10^k. */
function linearTicks(lo: number, hi: number, count: number, integer: boolean): number[] {
  const span = hi - lo || 1;
  const raw = span / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  if (integer) step = Math.max(1, Math.round(step));
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9 * span; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/** The chart as an SVG document (a string). */
export function logPlot(opts: LogPlotOptions): string {
  const W = opts.panelWidth ?? 380;
  const H = opts.panelHeight ?? 300;
  const integerX = opts.integerX ?? true;
  const margin = { left: 62, right: 14, top: opts.panels.some((p) => p.subtitle) ? 44 : 30, bottom: 44 };
  const titleHeight = 34;
  const legendLines = Math.max(...opts.panels.map((p) => p.series.length + (p.rules?.length ?? 0)));
  const legendHeight = 16 * legendLines + 10;
  const width = opts.panels.length * W;
  const height = titleHeight + H + legendHeight;

  // Shared ranges.
  let xMin = Infinity, xMax = -Infinity, yMin = Infinity, yMax = -Infinity;
  for (const panel of opts.panels) {
    for (const s of panel.series) {
      for (const [x, y] of s.points) {
        xMin = Math.min(xMin, x);
        xMax = Math.max(xMax, x);
        if (Number.isFinite(y) && y > 0) {
          yMin = Math.min(yMin, y);
          yMax = Math.max(yMax, y);
        }
      }
    }
    for (const r of panel.rules ?? []) {
      yMin = Math.min(yMin, r.y);
      yMax = Math.max(yMax, r.y);
    }
  }
  if (!(xMin < xMax)) [xMin, xMax] = [xMin - 1, xMin + 1];
  if (!(yMin <= yMax)) [yMin, yMax] = [1, 10];
  const kLo = Math.floor(Math.log10(yMin));
  const kHi = Math.max(kLo + 1, Math.ceil(Math.log10(yMax)));
  const every = Math.max(1, Math.ceil((kHi - kLo) / 10)); // at most ~10 labelled decades

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`);
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  out.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(opts.title)}</text>`);

  opts.panels.forEach((panel, pi) => {
    const x0 = pi * W + margin.left;
    const x1 = (pi + 1) * W - margin.right;
    const y0 = titleHeight + margin.top; // top of the plot area
    const y1 = titleHeight + H - margin.bottom; // bottom
    const sx = (x: number) => x0 + ((x - xMin) / (xMax - xMin)) * (x1 - x0);
    const sy = (y: number) => y1 - ((Math.log10(y) - kLo) / (kHi - kLo)) * (y1 - y0);

    out.push(`<g>`);
    out.push(`<text x="${fmt((x0 + x1) / 2)}" y="${titleHeight + 16}" text-anchor="middle" font-size="13" font-weight="bold">${esc(panel.title)}</text>`);
    if (panel.subtitle) out.push(`<text x="${fmt((x0 + x1) / 2)}" y="${titleHeight + 32}" text-anchor="middle" font-size="11">${esc(panel.subtitle)}</text>`);
    // Grid and y ticks: a line per decade, labelled every `every` decades.
    for (let k = kLo; k <= kHi; k++) {
      const y = sy(10 ** k);
      out.push(`<line x1="${fmt(x0)}" y1="${fmt(y)}" x2="${fmt(x1)}" y2="${fmt(y)}" stroke="${(k - kLo) % every === 0 ? "#ddd" : "#f2f2f2"}"/>`);
      if ((k - kLo) % every === 0) out.push(`<text x="${fmt(x0 - 6)}" y="${fmt(y + 4)}" text-anchor="end">${decade(k)}</text>`);
    }
    for (const t of linearTicks(xMin, xMax, 8, integerX)) {
      const x = sx(t);
      out.push(`<line x1="${fmt(x)}" y1="${fmt(y1)}" x2="${fmt(x)}" y2="${fmt(y1 + 4)}" stroke="black"/>`);
      out.push(`<text x="${fmt(x)}" y="${fmt(y1 + 16)}" text-anchor="middle">${t}</text>`);
    }
    // Axes and their labels.
    out.push(`<line x1="${fmt(x0)}" y1="${fmt(y0)}" x2="${fmt(x0)}" y2="${fmt(y1)}" stroke="black"/>`);
    out.push(`<line x1="${fmt(x0)}" y1="${fmt(y1)}" x2="${fmt(x1)}" y2="${fmt(y1)}" stroke="black"/>`);
    out.push(`<text x="${fmt((x0 + x1) / 2)}" y="${fmt(y1 + 34)}" text-anchor="middle">${esc(opts.xLabel)}</text>`);
    const yc = (y0 + y1) / 2;
    out.push(`<text x="${fmt(pi * W + 14)}" y="${fmt(yc)}" text-anchor="middle" transform="rotate(-90 ${fmt(pi * W + 14)} ${fmt(yc)})">${esc(opts.yLabel)} (log scale)</text>`);

    for (const r of panel.rules ?? []) {
      const y = sy(r.y);
      out.push(`<line x1="${fmt(x0)}" y1="${fmt(y)}" x2="${fmt(x1)}" y2="${fmt(y)}" stroke="${r.color}" stroke-dasharray="6 3"/>`);
    }
    for (const s of panel.series) {
      // Consecutive drawable points form one polyline; a skipped point breaks it.
      let run: string[] = [];
      const flush = () => {
        if (run.length > 1) {
          out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.6"${s.dashed ? ' stroke-dasharray="5 3"' : ""} points="${run.join(" ")}"/>`);
        }
        run = [];
      };
      for (const [x, y] of s.points) {
        if (!(Number.isFinite(y) && y > 0)) {
          flush();
          continue;
        }
        run.push(`${fmt(sx(x))},${fmt(sy(y))}`);
        if (s.markers ?? true) out.push(`<circle cx="${fmt(sx(x))}" cy="${fmt(sy(y))}" r="2.6" fill="${s.color}"/>`);
      }
      flush();
      const last = s.points.filter(([, y]) => Number.isFinite(y) && y > 0).pop();
      if (s.endCross && last) {
        const [cx, cy] = [sx(last[0]), sy(last[1])];
        out.push(`<path d="M${fmt(cx - 5)},${fmt(cy - 5)}L${fmt(cx + 5)},${fmt(cy + 5)}M${fmt(cx - 5)},${fmt(cy + 5)}L${fmt(cx + 5)},${fmt(cy - 5)}" stroke="${s.color}" stroke-width="2"/>`);
      }
    }
    // Legend below the panel.
    const entries = [
      ...panel.series.map((s) => ({ label: s.label, color: s.color, dashed: s.dashed ?? false })),
      ...(panel.rules ?? []).map((r) => ({ label: r.label, color: r.color, dashed: true })),
    ];
    entries.forEach((e, i) => {
      const y = titleHeight + H + 4 + 16 * i;
      out.push(`<line x1="${fmt(x0)}" y1="${y}" x2="${fmt(x0 + 22)}" y2="${y}" stroke="${e.color}" stroke-width="2"${e.dashed ? ' stroke-dasharray="5 3"' : ""}/>`);
      out.push(`<text x="${fmt(x0 + 28)}" y="${y + 4}">${esc(e.label)}</text>`);
    });
    out.push(`</g>`);
  });
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}
