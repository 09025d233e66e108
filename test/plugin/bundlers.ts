// The four bundlers in their usual TypeScript set-ups, each with gradc's plugin, building
// an app's main.ts into one ES module (with its source map) for Node to import.
// "gradc/runtime" is aliased to the repository's runtime sources, as a user's bundler
// resolves it to the installed package.
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import gradcEsbuild from "../../compiler/plugin/esbuild.js";
import gradcRollup from "../../compiler/plugin/rollup.js";
import gradcVite from "../../compiler/plugin/vite.js";
import gradcWebpack from "../../compiler/plugin/webpack.js";

const RUNTIME = fileURLToPath(new URL("../../runtime/index.ts", import.meta.url));

export interface Bundler {
  name: string;
  /** Bundles `<app>/main.ts` into `outDir`; the bundle's path. */
  build(app: string, outDir: string): Promise<string>;
}

export const bundlers: Bundler[] = [
  {
    name: "vite",
    async build(app, outDir) {
      const { build } = await import("vite");
      await build({
        root: app, configFile: false, logLevel: "silent", plugins: [gradcVite()],
        resolve: { alias: [{ find: /^gradc\/runtime$/, replacement: RUNTIME }] },
        build: { outDir, emptyOutDir: true, minify: false, sourcemap: true, lib: { entry: path.join(app, "main.ts"), formats: ["es"], fileName: "main" } },
      });
      return path.join(outDir, "main.js");
    },
  },
  {
    name: "rollup",
    async build(app, outDir) {
      const { rollup } = await import("rollup");
      const { nodeResolve } = await import("@rollup/plugin-node-resolve");
      const { default: esbuild } = await import("rollup-plugin-esbuild");
      const runtime = { name: "runtime-alias", resolveId: (id: string) => (id === "gradc/runtime" ? RUNTIME : null) };
      const bundle = await rollup({ input: path.join(app, "main.ts"), plugins: [runtime, gradcRollup(), nodeResolve({ extensions: [".ts", ".js"] }), esbuild({ target: "es2022" })] });
      const file = path.join(outDir, "main.mjs");
      await bundle.write({ file, format: "es", sourcemap: true });
      await bundle.close();
      return file;
    },
  },
  {
    name: "esbuild",
    async build(app, outDir) {
      const { build } = await import("esbuild");
      const file = path.join(outDir, "main.mjs");
      await build({
        entryPoints: [path.join(app, "main.ts")], bundle: true, format: "esm", outfile: file, sourcemap: true, logLevel: "silent",
        plugins: [gradcEsbuild()], alias: { "gradc/runtime": RUNTIME },
      });
      return file;
    },
  },
  {
    name: "webpack",
    async build(app, outDir) {
      const { default: webpack } = await import("webpack");
      const compiler = webpack({
        mode: "production", context: app, entry: path.join(app, "main.ts"), devtool: "source-map",
        output: { path: outDir, filename: "main.mjs", module: true, library: { type: "module" } },
        experiments: { outputModule: true },
        optimization: { minimize: false },
        resolve: { extensions: [".ts", ".js"], extensionAlias: { ".js": [".ts", ".js"] }, alias: { "gradc/runtime$": RUNTIME } },
        module: { rules: [{ test: /\.ts$/, loader: "esbuild-loader", options: { target: "es2022" } }] },
        plugins: [gradcWebpack()],
      });
      await new Promise<void>((resolve, reject) =>
        compiler.run((error, stats) => {
          compiler.close(() => {});
          if (error) return reject(error);
          if (stats?.hasErrors()) return reject(new Error(stats.toString({ all: false, errors: true })));
          resolve();
        }),
      );
      return path.join(outDir, "main.mjs");
    },
  },
];
