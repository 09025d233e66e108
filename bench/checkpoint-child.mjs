// node bench/checkpoint-child.mjs <case> <schedule>
// One gradient of one case of the checkpointing table (bench/checkpoint.mjs) under one
// schedule (none, sqrt, binomial, snapshots=K), in a process of its own: the process's
// peak RSS (process.resourceUsage().maxRSS) only grows, so the parent runs every schedule
// in a fresh child and reports the growth over the gradient call. Prints one JSON line:
//   { case, schedule, rssBaseKB, rssPeakKB, rssIncreaseKB, peakBytes, ms, value }
// or { case, schedule, error } when the gradient fails.
//
// rssBaseKB is maxRSS after the data is built and the gradient is compiled and run once on
// a short sequence (same argument kinds, so the same compiled code); rssPeakKB is maxRSS
// after one gradient of the full case.
//
// On Linux a process's maxRSS starts from its parent's RSS at fork time (the high-water
// mark of the address space that exec replaces is kept), so a child of the large bench
// process would report the bench's RSS as its own peak. The process started by the bench
// therefore only starts the measuring process (GRADC_RSS_CHILD=1) and passes its output
// through: that grandchild's mark starts from this small process's.

import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { checkpointOption, makeCase } from "./checkpoint-cases.mjs";

if (!process.env.GRADC_RSS_CHILD) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: "inherit",
    env: { ...process.env, GRADC_RSS_CHILD: "1" },
  });
  process.exit(r.status ?? 1);
}

const [caseName, schedule] = process.argv.slice(2);
const out = (o) => process.stdout.write(JSON.stringify({ case: caseName, schedule, ...o }) + "\n");
const firstLine = (e) => String(e?.message ?? e).split("\n")[0];

try {
  const api = await import("../dist/index.js");
  const runtime = await import("../dist/runtime/index.js");
  const c = makeCase(caseName, runtime);
  const vg = api.valueAndGrad(c.f, { wrt: c.wrt, functions: c.functions, checkpoint: checkpointOption(schedule) });
  vg(...c.warmArgs);
  const rssBaseKB = process.resourceUsage().maxRSS;
  runtime.Tape.resetPeak();
  const t0 = performance.now();
  const [value] = vg(...c.args);
  const ms = performance.now() - t0;
  const rssPeakKB = process.resourceUsage().maxRSS;
  out({ rssBaseKB, rssPeakKB, rssIncreaseKB: rssPeakKB - rssBaseKB, peakBytes: runtime.Tape.peakBytes, ms, value });
} catch (e) {
  out({ error: firstLine(e) });
}
