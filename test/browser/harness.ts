// Browser harness: bundle a page with Vite, serve it over HTTP with a Content-Security-Policy,
// open it in headless Chromium and report what it published and what went wrong.
//
//   const out = await bundlePage({ root: pageDir, outDir });       // vite build, aliases gradc
//   const server = await serveDir(out);                              // CSP by default; csp: null for none
//   const report = await openPage(browser, server.url);             // window.__result + violations
//
// A page publishes its outcome by setting `window.__result` (any JSON-serialisable value);
// the harness waits for it, then collects the `securitypolicyviolation` events, console
// errors, uncaught page errors and failed requests seen since the page started loading.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { build as viteBuild, type Alias, type PluginOption } from "vite";

/** The repository root (gradc's package directory). */
export const REPO = fileURLToPath(new URL("../..", import.meta.url));

/** Debian's Chromium (.ci/run installs it); GRADC_CHROMIUM names another executable. */
export const CHROMIUM = process.env.GRADC_CHROMIUM || "/usr/bin/chromium";

/** No 'unsafe-eval', no 'unsafe-inline': only scripts loaded from the page's own origin run. */
export const CSP = "default-src 'self'; script-src 'self'";

/**
 * `new Function`, `Function(…)` (what minifiers make of `new Function(…)`) and `eval(…)`:
 * string evaluation a CSP without 'unsafe-eval' refuses. Not methods named so (`op.eval(…)`).
 */
export const STRING_EVAL = /\bnew\s+Function\b|(?<![.\w$])(?:Function|eval)\s*\(/;

export function chromiumInstalled(): boolean {
  return existsSync(CHROMIUM);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
}

/** A fresh temporary directory; `remove()` deletes it. */
export function tempDir(prefix = "gradc-browser-"): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Copies the fixture folder `test/browser/pages/<name>` to `<into>/<name>` and returns that path. */
export function copyPage(name: string, into: string): string {
  const to = path.join(into, name);
  cpSync(fileURLToPath(new URL(`pages/${name}`, import.meta.url)), to, { recursive: true });
  return to;
}

/** `gradc` → the package entry (index.ts), `gradc/runtime` → runtime/index.ts, both as sources. */
export function gradcAliases(): Alias[] {
  return [
    { find: /^gradc\/runtime$/, replacement: path.join(REPO, "runtime/index.ts") },
    { find: /^gradc$/, replacement: path.join(REPO, "index.ts") },
  ];
}

export interface BundleOptions {
  /** Directory holding the page's index.html. */
  root: string;
  /** Where the bundle goes (emptied first). */
  outDir: string;
  /** Module aliases (default: gradcAliases()). */
  alias?: Alias[];
  plugins?: PluginOption[];
  /** Minify the bundle (Vite's default, true). */
  minify?: boolean;
}

/** Bundles the page at `root` with Vite's build API (no config file, silent); returns `outDir`. */
export async function bundlePage(opts: BundleOptions): Promise<string> {
  await viteBuild({
    root: opts.root,
    configFile: false,
    logLevel: "silent",
    resolve: { alias: opts.alias ?? gradcAliases() },
    plugins: opts.plugins,
    build: { outDir: opts.outDir, emptyOutDir: true, minify: opts.minify ?? true },
  });
  return opts.outDir;
}

/** Lines of the `.js` files under `dir` that evaluate strings, as `file:line: text`. */
export function stringEvalSites(dir: string): string[] {
  return jsFiles(dir).flatMap((file) =>
    readFileSync(file, "utf8").split("\n").flatMap((line, i) => {
      const m = STRING_EVAL.exec(line);
      if (!m) return [];
      const around = line.slice(Math.max(0, m.index - 40), m.index + 60);
      return [`${path.relative(dir, file)}:${i + 1}: …${around}…`];
    }));
}

export function jsFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".js") && statSync(path.join(dir, f)).isFile())
    .map((f) => path.join(dir, f));
}

export interface Server {
  /** `http://127.0.0.1:PORT/` */
  url: string;
  close(): Promise<void>;
}

export interface ServeOptions {
  /** The Content-Security-Policy header (default CSP); null sends none. */
  csp?: string | null;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".svg": "image/svg+xml",
  ".wasm": "application/wasm",
};

/** Serves the files under `dir` on 127.0.0.1 at an ephemeral port; `/` is index.html, a missing favicon 204. */
export function serveDir(dir: string, opts: ServeOptions = {}): Promise<Server> {
  const root = path.resolve(dir);
  const csp = opts.csp === undefined ? CSP : opts.csp;
  const server = createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname);
    const file = path.join(root, pathname.endsWith("/") ? `${pathname}index.html` : pathname);
    const headers: Record<string, string> = csp === null ? {} : { "Content-Security-Policy": csp };
    const found = file.startsWith(root + path.sep) && existsSync(file) && statSync(file).isFile();
    if (!found && pathname === "/favicon.ico") {
      res.writeHead(204, headers).end(); // Chromium asks for one; a page need not have it
      return;
    }
    if (!found) {
      res.writeHead(404, { ...headers, "Content-Type": "text/plain" }).end(`not found: ${pathname}`);
      return;
    }
    headers["Content-Type"] = TYPES[path.extname(file)] ?? "application/octet-stream";
    res.writeHead(200, headers).end(readFileSync(file));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}/`,
        close: () => new Promise<void>((done) => { server.closeAllConnections(); server.close(() => done()); }),
      });
    });
  });
}

export interface Violation {
  directive: string;
  blockedURI: string;
  sample: string;
  source: string;
}

export interface PageReport<T = unknown> {
  /** `window.__result`, or undefined when the page did not set it in time. */
  result: T | undefined;
  /** `securitypolicyviolation` events. */
  violations: Violation[];
  /** Text of `console.error` messages (Chromium may log a CSP refusal here too). */
  consoleErrors: string[];
  /** Uncaught exceptions and unhandled rejections. */
  pageErrors: string[];
  /** Requests that failed or answered 4xx/5xx, as `STATUS URL`. */
  failedRequests: string[];
}

export interface OpenOptions {
  /** How long to wait for `window.__result` (default 15 s). */
  timeoutMs?: number;
}

declare global {
  interface Window {
    __result?: unknown;
    __violations?: Violation[];
  }
}

/** Opens `url` in a new context of `browser`, waits for `window.__result`, and reports. */
export async function openPage<T = unknown>(browser: Browser, url: string, opts: OpenOptions = {}): Promise<PageReport<T>> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const report: PageReport<T> = { result: undefined, violations: [], consoleErrors: [], pageErrors: [], failedRequests: [] };
    page.on("console", (m) => { if (m.type() === "error") report.consoleErrors.push(m.text()); });
    page.on("pageerror", (e) => report.pageErrors.push(`${e.name}: ${e.message}`));
    page.on("requestfailed", (r) => report.failedRequests.push(`${r.failure()?.errorText ?? "failed"} ${r.url()}`));
    page.on("response", (r) => { if (r.status() >= 400) report.failedRequests.push(`${r.status()} ${r.url()}`); });
    // Init scripts run before the page's own and are not subject to its CSP.
    await page.addInitScript(() => {
      window.__violations = [];
      document.addEventListener("securitypolicyviolation", (e) => {
        window.__violations!.push({ directive: e.violatedDirective, blockedURI: e.blockedURI, sample: e.sample, source: `${e.sourceFile}:${e.lineNumber}` });
      }, true);
    });
    await page.goto(url, { waitUntil: "load" });
    try {
      await page.waitForFunction(() => window.__result !== undefined, null, { timeout: opts.timeoutMs ?? 15_000 });
      report.result = (await page.evaluate(() => window.__result)) as T;
    } catch (e) {
      if (!(e instanceof Error && e.name === "TimeoutError")) throw e;
    }
    // Violation events are queued as tasks: let them arrive.
    await page.evaluate(() => new Promise((r) => setTimeout(r, 50)));
    report.violations = await page.evaluate(() => window.__violations ?? []);
    return report;
  } finally {
    await context.close();
  }
}
