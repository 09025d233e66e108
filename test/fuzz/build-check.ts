// The build-time path for generated programs: the program's TypeScript text is
// written to a module, read with the TypeScript front-end (ts-morph, parameter kinds
// from the annotations) as `gradc build`/`show` do, and the derivative it emits must
// agree with the run-time path (acorn, kinds from the values) and with the loss.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { ts, type Project } from "ts-morph";
import * as gradc from "../../index.js";
import { instantiate } from "../../compiler/api.js";
import { functionRequest } from "../../compiler/build-sites.js";
import { derivativeBody } from "../../compiler/emit/module.js";
import { createProject } from "../../compiler/parse/typescript.js";
import { maxRelError, relError } from "../../runtime/numeric.js";
import { makeRng, seedOf } from "../corpus/rng.js";
import { copyArgs, VALUE_TOL, type CheckResult } from "./check.js";
import { buildProgram, makeArgs, PARAMS, type FuzzProgram } from "./generate.js";

let project: Project | undefined;
let uses = 0;
let dir: string | undefined;
let counter = 0;

/** One ts-morph project for many programs (it caches every module it read: renew it now and then). */
function theProject(): Project {
  if (!project || uses++ > 200) {
    project = createProject();
    uses = 0;
  }
  return project;
}

function moduleDir(): string {
  if (!dir) {
    dir = path.join(tmpdir(), `gradc-fuzz-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    process.on("exit", () => rmSync(dir!, { recursive: true, force: true }));
  }
  return dir;
}

/** Adds to `res` a failure for every wrt where the build-time derivative disagrees. */
export function checkBuild(prog: FuzzProgram, res: CheckResult): void {
  if (!prog.tsText) return;
  const file = path.join(moduleDir(), `seed${prog.seed}_${counter++}.ts`);
  writeFileSync(file, prog.tsText);
  const { f, functions } = buildProgram(prog);
  const args = makeArgs(makeRng(seedOf(`fuzz:${prog.seed}:build`)), prog.f32);
  const want = f(...copyArgs(args));
  // The TypeScript text must mean what the JavaScript text means (TypeScript parses
  // some JavaScript differently: `a < (b) > (c)` is a call with type arguments).
  const js = ts.transpileModule(prog.tsText, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS }, reportDiagnostics: true });
  if (js.diagnostics?.length) {
    res.failures.push({ kind: "invalid-program", wrt: "build", message: `TypeScript text: ${ts.flattenDiagnosticMessageText(js.diagnostics[0].messageText, "\n")}` });
    return;
  }
  const exports: { loss?: (...a: unknown[]) => number } = {};
  new Function("exports", "require", js.outputText)(exports, (m: string) => (m === "gradc" ? gradc : undefined));
  const tsValue = exports.loss!(...copyArgs(args));
  if (!(tsValue === want || (Number.isNaN(tsValue) && Number.isNaN(want)))) {
    res.failures.push({ kind: "invalid-program", wrt: "build", message: `TypeScript text computes ${tsValue}, JavaScript text ${want}`, args });
    return;
  }
  for (let wi = 0; wi < PARAMS.length; wi++) {
    const wrt = `${PARAMS[wi]} (build)`;
    let entry: (...a: unknown[]) => [number, unknown];
    try {
      const req = functionRequest(theProject(), file, "loss", wi, "valueAndGrad");
      entry = instantiate(derivativeBody(req)) as typeof entry;
    } catch (e) {
      const message = e instanceof Error ? `${e.name}: ${e.message}${e instanceof gradc.GradcError ? "" : `\n${e.stack}`}` : String(e);
      res.failures.push({ kind: e instanceof gradc.GradcError ? "refused" : "crash", wrt, message, args });
      continue;
    }
    let runtime: [number, unknown];
    try {
      runtime = gradc.valueAndGrad(f, { wrt: wi, functions })(...copyArgs(args)) as [number, unknown];
    } catch {
      continue; // the run-time path's own failure is reported by checkProgram
    }
    try {
      const [value, g] = entry(...copyArgs(args));
      if (!(value === want || relError(value, want) <= VALUE_TOL)) {
        res.failures.push({ kind: "value", wrt, message: `value ${value}, loss returns ${want}`, args });
      }
      const err = maxRelError(g, runtime[1]);
      if (!(err <= 1e-12)) {
        res.failures.push({ kind: "gradient", wrt, message: `build-time gradient differs from the run-time one by ${err}`, args });
      }
    } catch (e) {
      res.failures.push({ kind: "crash", wrt, message: e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e), args });
    }
  }
}
