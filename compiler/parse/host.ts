// Where the TypeScript front-end reads modules from: a host the caller gives (the disk
// for the CLI, the bundler's view of it for the plugin), with in-memory texts on top.
import { existsSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { InMemoryFileSystemHost } from "ts-morph";

export interface ModuleHost {
  /** The text of the file at an absolute path, or undefined when there is none. */
  readFile(file: string): string | undefined;
  /** Whether a directory exists (module resolution asks); default: yes. */
  directoryExists?(dir: string): boolean;
}

/** Reads from the disk. */
export const diskHost: ModuleHost = {
  readFile: (file) => (existsSync(file) && statSync(file).isFile() ? readFileSync(file, "utf8") : undefined),
  directoryExists: (dir) => existsSync(dir) && statSync(dir).isDirectory(),
};

/**
 * ts-morph's file system over a ModuleHost: texts set with `overlay` win over the host,
 * reads are cached until `refresh`, and every file read is recorded (a compile's inputs).
 */
export class HostFileSystem extends InMemoryFileSystemHost {
  private readonly overlays = new Map<string, string>();
  private readonly cache = new Map<string, string | undefined>();
  private readonly seen = new Set<string>();

  constructor(private readonly host: ModuleHost) {
    super();
  }

  /** Serves `text` for `file` (an unsaved editor buffer, a bundler's transform input). */
  overlay(file: string, text: string): void {
    this.overlays.set(path.resolve(file), text);
  }

  /** Forgets cached reads (the files may have changed since). */
  refresh(): void {
    this.cache.clear();
  }

  /** Files read since the last call, and starts a new record. */
  takeReads(): string[] {
    const files = [...this.seen];
    this.seen.clear();
    return files;
  }

  text(file: string): string | undefined {
    const abs = path.resolve(file);
    this.seen.add(abs);
    const own = this.overlays.get(abs);
    if (own !== undefined) return own;
    if (!this.cache.has(abs)) this.cache.set(abs, this.host.readFile(abs));
    return this.cache.get(abs);
  }

  override fileExistsSync(file: string): boolean {
    return this.text(file) !== undefined;
  }

  override fileExists(file: string): Promise<boolean> {
    return Promise.resolve(this.fileExistsSync(file));
  }

  override readFileSync(file: string): string {
    const text = this.text(file);
    if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file, '${file}'`), { code: "ENOENT" });
    return text;
  }

  override readFile(file: string): Promise<string> {
    try {
      return Promise.resolve(this.readFileSync(file));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  override directoryExistsSync(dir: string): boolean {
    return super.directoryExistsSync(dir) || (this.host.directoryExists?.(dir) ?? true);
  }

  override directoryExists(dir: string): Promise<boolean> {
    return Promise.resolve(this.directoryExistsSync(dir));
  }

  override realpathSync(file: string): string {
    return file;
  }

  override getCurrentDirectory(): string {
    return process.cwd();
  }
}
