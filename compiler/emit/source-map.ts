// Source maps for generated modules, line by line: each line of derivative code maps to
// the source line its comment names (`// line 12: …`, `// adjoint of line 12: …`). The
// emitter records those comments in order; formatting keeps them, so the map is made
// from the final text.
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

/**
 * The map of `code` (written to `file`, after `offset` lines of someone else's) whose
 * comments, in order, are `origins`; `sourceName` says how the map names a source.
 */
export function moduleMap(code: string, origins: Origin[], file: string, sourceName: (source: SourceText) => string, offset = 0): SourceMap {
  const map = new GenMapping({ file: file.split(/[\\/]/).pop() });
  let next = 0;
  let current: Origin | undefined;
  // The source of the lines being mapped, its name in the map, and whether its content is in.
  let named: SourceText | undefined;
  let source = "";
  let contentSet = false;
  code.split("\n").forEach((text, i) => {
    const trimmed = text.trim();
    if (next < origins.length && trimmed === origins[next].comment) current = origins[next++];
    if (!current?.source || trimmed === "" || trimmed === "}") return;
    if (current.source !== named) {
      named = current.source;
      source = sourceName(named);
      contentSet = false;
    }
    addMapping(map, { generated: { line: offset + i + 1, column: text.length - text.trimStart().length }, source, original: { line: current.line, column: 0 } });
    if (!contentSet) setSourceContent(map, source, named.text);
    contentSet = true;
  });
  return toEncodedMap(map);
}

/** How a run-time compile's map names the function it came from: `gradc:///<name>.js`. */
export function runtimeSourceName(source: SourceText): string {
  return `gradc:///${source.file.replace(/^<function (.*)>$/, "$1")}.js`;
}

/** `//# sourceMappingURL=` with the map inline (base64 of its UTF-8 JSON). */
export function inlineMapComment(map: SourceMap): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(JSON.stringify(map))) binary += String.fromCharCode(byte);
  return `//# sourceMappingURL=data:application/json;base64,${btoa(binary)}`;
}

