// gradc in a real browser under a Content-Security-Policy without 'unsafe-eval'
// (default-src 'self'; script-src 'self'), in headless Chromium:
// - the build path: a loss compiled with gradc's build(), bundled by Vite, computes its
//   gradient with no CSP violation, and the bundle evaluates no strings;
// - the plugin path: a page whose module calls valueAndGrad from "gradc", bundled by Vite with
//   gradc's plugin, runs with no CSP violation and holds none of the compiler;
// - the run-time path: grad(f) throws gradc's GradcError naming the build path under the
//   CSP, and the same bundle served without the CSP computes the gradient;
// - the runtime's backends: kernels in JavaScript by default (no violation under the CSP),
//   setBackend("wasm") refused there (still "js"), and in WebAssembly under a CSP that
//   allows 'wasm-unsafe-eval'.
// Needs Chromium at /usr/bin/chromium (or GRADC_CHROMIUM; .ci/run installs it): without it the
// tests are skipped, except under CI=true, where that is a failure.
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { build } from "../compiler/build.js";
import gradcVite from "../compiler/plugin/vite.js";
import { maxRelError, numericGradient } from "../runtime/numeric.js";
import { loss } from "./browser/pages/build-path/loss.js";
import { f } from "./browser/pages/run-time/f.js";
import {
  bundlePage, CHROMIUM, chromiumInstalled, copyPage, CSP, jsFiles, launchChromium, openPage, serveDir,
  stringEvalSites, tempDir, type PageReport, type Server,
} from "./browser/harness.js";

const HOOK_TIMEOUT = 120_000;
const missing = !chromiumInstalled();

if (missing && process.env.CI === "true") {
  test("Chromium is installed (CI=true)", () => {
    throw new Error(`no Chromium at ${CHROMIUM}: the browser tests cannot run (.ci/run installs it with apt-get install chromium)`);
  });
}

const skipped = missing ? ` (skipped: no Chromium at ${CHROMIUM}; apt-get install chromium, or set GRADC_CHROMIUM)` : "";
if (missing && process.env.CI !== "true") console.warn(`test/browser.test.ts${skipped}`);

interface Failure { ok: false; name: string; isGradcError?: boolean; message: string }
type BuildPageResult =
  | { ok: true; point: { w: number[]; b: number; x: number[]; y: number[] }; value: number; grad: { w: number[]; b: number } }
  | Failure;
type RunTimePageResult = { ok: true; point: { w: number[]; x: number[] }; grad: number[] } | Failure;
type BackendsPageResult = { ok: true; defaultBackend: string; backend: string; worst: number } | Failure;

describe.skipIf(missing)(`gradc in Chromium under ${CSP}${skipped}`, () => {
  let tmp: ReturnType<typeof tempDir>;
  let browser: Browser;
  const servers: Server[] = [];

  beforeAll(async () => {
    tmp = tempDir();
    browser = await launchChromium();
  }, HOOK_TIMEOUT);

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await browser?.close();
    tmp?.remove();
  });

  async function open<T>(dir: string, csp: string | null, query = ""): Promise<PageReport<T>> {
    const server = await serveDir(dir, { csp });
    servers.push(server);
    return openPage<T>(browser, server.url + query);
  }

  describe("build path: gradc build, then Vite", () => {
    let out: string;
    let page: PageReport<BuildPageResult>;

    beforeAll(async () => {
      const root = copyPage("build-path", tmp.dir);
      const built = await build([root]);
      expect(built.failures).toEqual([]);
      expect(built.built.map((m) => path.basename(m.output))).toEqual(["requests.grad.ts"]);
      out = await bundlePage({ root, outDir: path.join(tmp.dir, "build-path-dist") });
      page = await open<BuildPageResult>(out, CSP);
    }, HOOK_TIMEOUT);

    test("the generated module imports only gradc/runtime", () => {
      const text = readFileSync(path.join(tmp.dir, "build-path/requests.grad.ts"), "utf8");
      const from = new Set([...text.matchAll(/^import\s(?:[^;"]*?from\s*)?"([^"]+)"/gm)].map((m) => m[1]));
      expect([...from]).toEqual(["gradc/runtime"]);
    });

    test("the bundle evaluates no strings (no new Function, Function(…), eval(…))", () => {
      expect(existsSync(path.join(out, "index.html"))).toBe(true);
      expect(stringEvalSites(out)).toEqual([]);
    });

    test("the page runs with no CSP violation, page error or console error", () => {
      expect(page.violations).toEqual([]);
      expect(page.pageErrors).toEqual([]);
      expect(page.consoleErrors).toEqual([]);
      expect(page.failedRequests).toEqual([]);
      expect(page.result).toMatchObject({ ok: true });
    });

    test("its value and gradient match the loss and its central differences in Node", () => checkNumbers(page.result));
  });

  /** The page's value and gradient against the loss and its central differences in Node. */
  function checkNumbers(r: BuildPageResult | undefined): void {
    if (!r?.ok) throw new Error(`page failed: ${JSON.stringify(r)}`);
    const p = { w: Float64Array.from(r.point.w), b: r.point.b };
    const args = [p, Float64Array.from(r.point.x), Float64Array.from(r.point.y)] as const;
    expect(maxRelError(r.value, loss(...args))).toBeLessThan(1e-12);
    const numeric = numericGradient(loss, args, 0) as { w: Float64Array; b: number };
    expect(maxRelError({ w: Float64Array.from(r.grad.w), b: r.grad.b }, numeric)).toBeLessThan(1e-5);
    expect(Math.abs(r.grad.b)).toBeGreaterThan(1e-3); // not a vacuous zero gradient
  }

  describe("plugin path: Vite with gradc/vite", () => {
    let out: string;
    let page: PageReport<BuildPageResult>;

    beforeAll(async () => {
      copyPage("build-path", tmp.dir);
      const root = copyPage("plugin", tmp.dir);
      out = await bundlePage({ root, outDir: path.join(tmp.dir, "plugin-dist"), plugins: [gradcVite()] });
      page = await open<BuildPageResult>(out, CSP);
    }, HOOK_TIMEOUT);

    test("the bundle evaluates no strings and holds none of the compiler", () => {
      expect(stringEvalSites(out)).toEqual([]);
      const js = jsFiles(out).map((f) => readFileSync(f, "utf8")).join("\n");
      expect(js).toContain("call:`valueAndGrad(loss)`"); // the generated entry's spec
      for (const trace of [/\bacorn\b/, /ts-morph/, /\bprettier\b/, /ecmaVersion/]) expect(js).not.toMatch(trace);
    });

    test("the page runs with no CSP violation or error, and its numbers are right", () => {
      expect(page.violations).toEqual([]);
      expect(page.pageErrors).toEqual([]);
      expect(page.consoleErrors).toEqual([]);
      expect(page.failedRequests).toEqual([]);
      checkNumbers(page.result);
    });
  });

  describe("run-time path: grad(f) from the package entry", () => {
    let out: string;
    let withCsp: PageReport<RunTimePageResult>;
    let withoutCsp: PageReport<RunTimePageResult>;

    beforeAll(async () => {
      const root = copyPage("run-time", tmp.dir);
      out = await bundlePage({ root, outDir: path.join(tmp.dir, "run-time-dist") });
      [withCsp, withoutCsp] = await Promise.all([open<RunTimePageResult>(out, CSP), open<RunTimePageResult>(out, null)]);
    }, HOOK_TIMEOUT);

    test("the string-evaluation scan finds the run-time path's new Function in this bundle (minified to Function(…))", () => {
      expect(stringEvalSites(out).join("\n")).toMatch(/\bFunction\s*\(/);
    });

    test("under the CSP it throws GradcError naming gradc build and the bundler plugin", () => {
      expect(withCsp.pageErrors).toEqual([]);
      const r = withCsp.result;
      expect(r).toMatchObject({ ok: false, name: "GradcError", isGradcError: true });
      if (r?.ok !== false) return;
      expect(r.message).toMatch(/Content-Security-Policy/);
      expect(r.message).toMatch(/gradc build/);
      expect(r.message).toMatch(/bundler plugin/);
      expect(r.message).not.toMatch(/\.\s*\.\s/); // the browser's own message ends in a period: not doubled
    });

    test("the failure is the CSP: the only violations are script-src refusing eval", () => {
      expect(withCsp.violations.length).toBeGreaterThan(0);
      for (const v of withCsp.violations) expect(v).toMatchObject({ directive: "script-src", blockedURI: "eval" });
    });

    test("without the CSP header the same bundle computes the gradient", () => {
      expect(withoutCsp.violations).toEqual([]);
      expect(withoutCsp.pageErrors).toEqual([]);
      expect(withoutCsp.consoleErrors).toEqual([]);
      const r = withoutCsp.result;
      if (!r?.ok) throw new Error(`page failed: ${JSON.stringify(r)}`);
      const args = [Float64Array.from(r.point.w), Float64Array.from(r.point.x)] as const;
      expect(maxRelError(Float64Array.from(r.grad), numericGradient(f, args, 0))).toBeLessThan(1e-5);
    });
  });

  describe("runtime backends: JavaScript by default, WebAssembly where the CSP allows it", () => {
    const WASM_CSP = `${CSP} 'wasm-unsafe-eval'`;
    let byDefault: PageReport<BackendsPageResult>;
    let refused: PageReport<BackendsPageResult>;
    let allowed: PageReport<BackendsPageResult>;

    beforeAll(async () => {
      const root = copyPage("backends", tmp.dir);
      const out = await bundlePage({ root, outDir: path.join(tmp.dir, "backends-dist") });
      [byDefault, refused, allowed] = await Promise.all([open<BackendsPageResult>(out, CSP), open<BackendsPageResult>(out, CSP, "?wasm"), open<BackendsPageResult>(out, WASM_CSP, "?wasm")]);
    }, HOOK_TIMEOUT);

    test("by default the kernels run in JavaScript, with no CSP violation", () => {
      expect(byDefault.violations).toEqual([]);
      expect(byDefault.pageErrors).toEqual([]);
      expect(byDefault.result).toEqual({ ok: true, defaultBackend: "js", backend: "js", worst: 0 });
    });

    test("setBackend(\"wasm\") under the CSP is refused (script-src, wasm-eval) and stays js", () => {
      expect(refused.pageErrors).toEqual([]);
      expect(refused.result).toEqual({ ok: true, defaultBackend: "js", backend: "js", worst: 0 });
      expect(refused.violations.length).toBeGreaterThan(0);
      for (const v of refused.violations) expect(v).toMatchObject({ directive: "script-src", blockedURI: "wasm-eval" });
    });

    test("with 'wasm-unsafe-eval' the page runs matmul in WebAssembly, with no violation", () => {
      expect(allowed.violations).toEqual([]);
      expect(allowed.pageErrors).toEqual([]);
      expect(allowed.consoleErrors).toEqual([]);
      expect(allowed.result).toEqual({ ok: true, defaultBackend: "js", backend: "wasm", worst: 0 });
    });
  });
});
