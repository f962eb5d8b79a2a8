import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * One private directory per AS4 message. Every spooled attachment of the message lives in it, so a single
 * `dispose()` removes plaintext, ciphertext and partial files alike, whichever step failed.
 */
export interface TempDir {
  readonly path: string;
  /** A fresh file path inside the directory; the file is not created. */
  file(label: string): string;
  /** Removes the directory and everything in it. Safe to call more than once. */
  dispose(): Promise<void>;
}

export interface TempDirOptions {
  /** Parent directory; defaults to the OS temp directory. */
  parent?: string;
  prefix?: string;
}

export async function createTempDir(options: TempDirOptions = {}): Promise<TempDir> {
  const path = await mkdtemp(join(options.parent ?? tmpdir(), options.prefix ?? "as4-"));
  let counter = 0;
  let disposed = false;
  return {
    path,
    file(label: string): string {
      if (disposed) throw new Error(`temp dir ${path} already disposed`);
      counter += 1;
      // The label only helps a human reading the directory; the counter guarantees uniqueness.
      const safe = label.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 60);
      return join(path, `${String(counter).padStart(3, "0")}-${safe}`);
    },
    async dispose(): Promise<void> {
      disposed = true;
      await rm(path, { recursive: true, force: true });
    },
  };
}
