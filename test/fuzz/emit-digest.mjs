#!/usr/bin/env node
// One hash of the module text gradc emits for fuzz programs in every mode, to check
// that a change to the compiler leaves its output byte-identical.
//
//   node test/fuzz/emit-digest.mjs [--from N] [--count N] [--verbose]
//
// Each derivative is compiled through the public API (as the fuzzer does); the text
// is taken where compiler/api.ts instantiates it (`new Function(..., body)`).
// Refusals and crashes are hashed too (their messages).
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { runnerImport } from "vite";

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const from = Number(opt("from", 1));
const count = Number(opt("count", 300));
const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const { module: gen } = await runnerImport(here("./generate.ts"));
const { module: api } = await runnerImport(here("../../index.ts"));
const { makeRng, seedOf } = (await runnerImport(here("../corpus/rng.ts"))).module;

let captured = [];
const RealFunction = Function;
globalThis.Function = new Proxy(RealFunction, {
  construct(target, args) {
    const body = args[args.length - 1];
    // The code before `return entry;` (its sourceURL and inline map after it follow from the code).
    const end = typeof body === "string" ? body.indexOf("return entry;\n") : -1;
    if (end >= 0) captured.push(`${body.slice(0, end)}\nreturn entry;`);
    return Reflect.construct(target, args);
  },
});

const copy = (a) => (a instanceof Float64Array || a instanceof Float32Array ? a.slice()
  : Array.isArray(a) ? a.map(copy) : a && typeof a === "object" ? Object.fromEntries(Object.entries(a).map(([k, v]) => [k, copy(v)])) : a);
const modes = {
  valueAndGrad: (f, o, args) => api.valueAndGrad(f, o)(...args),
  grad: (f, o, args) => api.grad(f, o)(...args),
  jvp: (f, o, args, wi) => api.jvp(f, o)(...args, copy(args[wi])),
  hvp: (f, o, args, wi) => api.hvp(f, o)(...args, copy(args[wi])),
  hessian: (f, o, args) => api.hessian(f, o)(...args),
};

const all = createHash("sha256");
const started = performance.now();
const cpu = process.cpuUsage();
for (let seed = from; seed < from + count; seed++) {
  const prog = gen.generateProgram(seed);
  const { f, functions } = gen.buildProgram(prog);
  for (let wi = 0; wi < 3; wi++) {
    const args = gen.makeArgs(makeRng(seedOf(`fuzz:${seed}:modes:${wi}`)), prog.f32);
    for (const [mode, run] of Object.entries(modes)) {
      captured = [];
      let outcome = "ok";
      try {
        run(f, { wrt: wi, functions }, copy(args), wi);
      } catch (e) {
        outcome = `error: ${e?.message ?? e}`;
      }
      const text = `== ${seed} ${wi} ${mode} ${outcome} ${captured.length}\n${captured.join("\n--\n")}`;
      if (argv.includes("--verbose")) console.log(`${seed} ${wi} ${mode} ${outcome.slice(0, 60)} ${captured.length} ${createHash("sha256").update(text).digest("hex").slice(0, 12)}`);
      all.update(text);
    }
  }
}
console.log(`${all.digest("hex")}  (seeds ${from}..${from + count - 1}, ${((performance.now() - started) / 1000).toFixed(1)} s, ${(process.cpuUsage(cpu).user / 1e6).toFixed(1)} s CPU)`);
