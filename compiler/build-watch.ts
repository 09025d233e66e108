// `gradc build --watch`: build, then rebuild when a module under the inputs changes.
import { watch, type FSWatcher } from "node:fs";
import * as path from "node:path";
import { build, isSourceModule, type BuildOptions, type BuildResult } from "./build.js";
import { createProject } from "./parse/typescript.js";

/**
 * Builds `inputs`, then again after each change to a source module under them (a
 * fresh project each time, so edits on disk are read); calls `done` after each build.
 * Returns a function that stops watching.
 */
export function watchBuild(inputs: string[], options: BuildOptions, done: (result: BuildResult) => void, delayMs = 100): () => void {
  let timer: NodeJS.Timeout | undefined;
  let running = Promise.resolve();
  const rebuild = () => {
    running = running.then(async () => done(await build(inputs, { ...options, project: createProject() })));
  };
  const changed = (file: string | null) => {
    if (file && !isSourceModule(path.basename(file))) return;
    clearTimeout(timer);
    timer = setTimeout(rebuild, delayMs);
  };
  const watchers: FSWatcher[] = inputs.map((input) => watch(path.resolve(input), { recursive: true }, (_event, file) => changed(file)));
  rebuild();
  return () => {
    clearTimeout(timer);
    for (const w of watchers) w.close();
  };
}
