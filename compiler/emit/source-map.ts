// Source maps for generated modules, line by line: each line of derivative code maps to
// the source line its comment names (`// line 12: …`, `// adjoint of line 12: …`). The
// emitter records those comments in order; formatting keeps them, so the map is made
// from the final text.
import * as path from "node:path";
import { addMapping, GenMapping, setSourceContent, toEncodedMap, type EncodedSourceMap } from "@jridgewell/gen-mapping";
import type { SourceText } from "../parse/source.js";

export type SourceMap = EncodedSourceMap;

/** A comment the emitter printed, and the source line it stands for. */
export interface Origin {
  /** The comment as printed, `// …`. */
  comment: string;
  source?: SourceText;
  /** 1-based line in `source`. */
  line: number;
}

/** The map of `code` (written to `file`) whose comments, in order, are `origins`. */
export function moduleMap(code: string, origins: Origin[], file: string): SourceMap {
  const map = new GenMapping({ file: path.basename(file) });
  let next = 0;
  let current: Origin | undefined;
  code.split("\n").forEach((text, i) => {
    const trimmed = text.trim();
    if (next < origins.length && trimmed === origins[next].comment) current = origins[next++];
    if (!current?.source || trimmed === "" || trimmed === "}") return;
    const source = sourceName(current.source, file);
    addMapping(map, { generated: { line: i + 1, column: text.length - text.trimStart().length }, source, original: { line: current.line, column: 0 } });
    setSourceContent(map, source, current.source.text);
  });
  return toEncodedMap(map);
}

/** A source as the map names it: relative to the generated file, or the run-time compile's own name. */
function sourceName(source: SourceText, file: string): string {
  if (source.runtime) return source.file;
  return path.relative(path.dirname(file), path.resolve(source.file)).split(path.sep).join("/");
}

/** 1-based line of `offset` in `text`. */
export function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
