// Per-call cost of a derivative's entry, for comparing builds of gradc:
//
//   node bench/per-call.mjs [DIST ...] [--rounds N]
//
// For each dist/ directory (default: ./dist), valueAndGrad of sin(x)·exp(y) + x·y with
// wrt [x, y], without and with opts.out, 100,000 calls, against the hand-written
// value-and-gradient, each variant in its own process (fresh JIT), rounds alternated;
// prints the median gradc/hand ratio per build and variant (ratios measured in the same
// process, since machines are shared and noisy).
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { pathToFileURL } from "node:url";

const argv = process.argv.slice(2);
if (argv[0] === "--child") {
  await child(argv[1], argv[2]);
} else {
  const r = argv.indexOf("--rounds");
  const rounds = r >= 0 ? Number(argv[r + 1]) : 3;
  const dists = argv.filter((a, i) => !a.startsWith("--") && (r < 0 || i !== r + 1));
  if (dists.length === 0) dists.push("dist");
  const ratios = new Map();
  for (let k = 0; k < rounds; k++) {
    for (const dist of dists) {
      for (const variant of ["plain", "out"]) {
        const out = execFileSync(process.execPath, [process.argv[1], "--child", path.resolve(dist), variant], { encoding: "utf8" });
        const key = `${dist} ${variant}`;
        ratios.set(key, [...(ratios.get(key) ?? []), Number(out.trim())]);
      }
    }
  }
  const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
  for (const [key, rs] of ratios) console.log(`${key.padEnd(40)} gradc/hand ${median(rs).toFixed(2)}  (rounds: ${rs.map((x) => x.toFixed(2)).join(", ")})`);
}

async function child(dist, variant) {
  const lib = await import(pathToFileURL(path.join(dist, "index.js")).href);
  const n = 100_000;
  const xs = Float64Array.from({ length: n }, (_, i) => Math.sin(i * 0.37));
  const ys = Float64Array.from({ length: n }, (_, i) => Math.cos(i * 0.11));
  const g = new Float64Array(2);
  const handVG = (x, y) => { const s = Math.sin(x), e = Math.exp(y); g[0] = Math.cos(x) * e + y; g[1] = s * e + x; return s * e + x * y; };
  const hand = () => { let s = 0; for (let i = 0; i < n; i++) s += handVG(xs[i], ys[i]) + g[0] + g[1]; return s; };
  const f = (x, y) => Math.sin(x) * Math.exp(y) + x * y;
  const vg = lib.valueAndGrad(f, variant === "out" ? { wrt: ["x", "y"], out: [0, 0] } : { wrt: ["x", "y"] });
  const gradc = () => { let s = 0; for (let i = 0; i < n; i++) { const r = vg(xs[i], ys[i]); s += r[0] + r[1][0] + r[1][1]; } return s; };
  const th = [], tg = [];
  let sink = 0;
  for (let k = 0; k < 5; k++) sink += hand() + gradc();
  for (let k = 0; k < 31; k++) {
    let t0 = performance.now(); sink += hand(); th.push(performance.now() - t0);
    t0 = performance.now(); sink += gradc(); tg.push(performance.now() - t0);
  }
  const median = (a) => a.sort((x, y) => x - y)[a.length >> 1];
  if (!Number.isFinite(sink)) throw new Error("non-finite result");
  console.log(median(tg) / median(th));
}
