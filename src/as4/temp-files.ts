import { createReadStream } from "node:fs";
import { mkdtemp, open, readFile, rm, type FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";

/**
 * The transient content of one AS4 message (received MIME parts, plaintext, payloads, outbound ciphertext) in
 * spools: each keeps its content in memory while the message's spools together hold at most `memoryBytes`, and
 * moves to a file of the message's private directory once a write would pass that (as commons-io's
 * DeferredFileOutputStream, which phase4 uses). A small message so does no file-system work at all; a large one
 * streams through files, and memory stays bounded whatever its size. The directory is made when the first spool
 * spills, and one `dispose()` removes whatever spilled and drops what stayed in memory, whichever step failed.
 */

/**
 * Bytes per read of a spilled spool. Node's default (64 KiB) reads a 25 MB part in some 400 system calls, each a
 * trip to the thread pool and a chunk through every stream after it. In the benchmark's 25 MB phase 256 KiB took as
 * little CPU as 1 MiB, while 1 MiB pieces left the access points 15–40 MiB more resident memory (glibc keeps
 * freed blocks of that size in its arenas).
 */
const READ_CHUNK_BYTES = 256 * 1024;

/**
 * Bytes a spilled spool gathers before it writes them with one call. Its content arrives in the pieces of whoever
 * writes it (the socket's 32–64 KiB, a 16-byte piece before each the decipher hands out): a write call per piece
 * cost some 50 µs of CPU each, about 900 calls per 25 MB message. Bytes gathered are not counted against the
 * memory budget: at most this much per spool, for the time between two writes.
 */
const WRITE_BATCH_BYTES = 256 * 1024;

/** Bytes of one message's transient content kept in memory by default (DPI_AP_AS4_MEMORY_SPOOL_BYTES). */
export const DEFAULT_MEMORY_SPOOL_BYTES = 1024 * 1024;

/**
 * Memory the spools of all messages together may hold (DPI_AP_AS4_MEMORY_SPOOL_TOTAL_BYTES): without it, many
 * connections at once (received messages are spooled before their sender is known) could each hold a message's
 * share. A spool that would pass it goes to a file like one that would pass its message's share.
 */
export class MemoryBudget {
  #used = 0;
  constructor(readonly limit: number) {
    if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`memory budget must be a whole number ≥ 0, got ${limit}`);
  }
  get used(): number {
    return this.#used;
  }
  take(n: number): boolean {
    if (this.#used + n > this.limit) return false;
    this.#used += n;
    return true;
  }
  give(n: number): void {
    this.#used -= n;
  }
}

export interface TempDirOptions {
  /** Parent directory; defaults to the OS temp directory. */
  parent?: string;
  prefix?: string;
  /**
   * How many bytes the message's spools together may keep in memory; a write that would pass it moves its spool
   * to a file. 0 puts every spool in a file, an empty one too. Default DEFAULT_MEMORY_SPOOL_BYTES.
   */
  memoryBytes?: number;
  /** The process's budget, shared with every other message's spools; none: only the message's share limits. */
  shared?: MemoryBudget | undefined;
}

/** Content written once, then read as often as needed, from memory or from its file. */
export interface SpooledContent {
  /** Bytes written (the whole content once the sink finished). */
  readonly size: number;
  /** The file holding the content when it spilled; undefined while it is in memory. */
  readonly path: string | undefined;
  /** A fresh stream of the whole content; only once the sink finished. */
  createReadStream(): Readable;
  /** The whole content in one buffer: only for content known to be small. */
  readAll(): Promise<Buffer>;
  /**
   * The whole content piece by piece, read from its file into `buffer` over and over: each piece is a view of
   * `buffer`, valid until the next one is asked for, so a reader that is done with a piece when it asks for the
   * next (one that copies it, hashes it, deciphers it) makes no garbage of its own. Content in memory is handed
   * out as it is held, uncopied. Stopping early closes the file.
   */
  readInto(buffer: Buffer): AsyncIterable<Buffer>;
  /**
   * The whole content when it is held in memory, without a copy (the caller must not change it), so small
   * content can be worked on by one-shot calls instead of a stream; undefined when it is in a file.
   */
  inMemory(): Buffer | undefined;
  /** Drops the content now (memory or file), before the directory is disposed. Safe to call more than once. */
  release(): Promise<void>;
}

export interface Spool extends SpooledContent {
  /**
   * Where the content is written, once (pipe into it). The content is readable when the sink finished; a sink
   * that fails or is destroyed before it finished releases what it held.
   */
  readonly sink: Writable;
  /**
   * Instead of the sink: the whole content at once, kept in memory or written to a file by the same rule as the
   * sink's writes, and readable when the promise resolved. The spool keeps `content`: the caller must not change
   * it. A failure releases the spool.
   */
  put(content: Buffer): Promise<void>;
}

export interface TempDir {
  /** The directory once it exists: nothing creates it before a spool spills. */
  readonly path: string | undefined;
  /** Bytes the spools hold in memory now. */
  readonly memoryBytes: number;
  /** Bytes the message's spools may still take in memory: its own share, or what the process's budget has left if less. */
  readonly memoryFree: number;
  /** A new, empty spool; the label names its file if it spills (for a human reading the directory). */
  spool(label: string): Spool;
  /** A fresh file path in the directory, which is made now if need be; the file itself is not created. For tools that need a real file. */
  file(label: string): Promise<string>;
  /** Releases every spool and removes the directory with whatever is in it. Safe to call more than once. */
  dispose(): Promise<void>;
}

export function createTempDir(options: TempDirOptions = {}): TempDir {
  return new MessageTempDir(options);
}

class MessageTempDir implements TempDir {
  readonly #parent: string;
  readonly #prefix: string;
  readonly #limit: number;
  readonly #shared: MemoryBudget | undefined;
  readonly #spools = new Set<DeferredSpool>();
  #dir: Promise<string> | undefined;
  #path: string | undefined;
  #memory = 0;
  #counter = 0;
  #closed = false;
  #disposed: Promise<void> | undefined;

  constructor(options: TempDirOptions) {
    this.#parent = options.parent ?? tmpdir();
    this.#prefix = options.prefix ?? "as4-";
    const limit = options.memoryBytes ?? DEFAULT_MEMORY_SPOOL_BYTES;
    if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`memoryBytes must be a whole number ≥ 0, got ${limit}`);
    this.#limit = limit;
    this.#shared = options.shared;
  }

  get path(): string | undefined {
    return this.#path;
  }

  get memoryBytes(): number {
    return this.#memory;
  }

  get memoryFree(): number {
    const own = this.#limit - this.#memory;
    return this.#shared ? Math.min(own, this.#shared.limit - this.#shared.used) : own;
  }

  get alwaysFiles(): boolean {
    return this.#limit === 0;
  }

  spool(label: string): Spool {
    const s = new DeferredSpool(this, this.#name(label));
    this.#spools.add(s);
    return s;
  }

  file(label: string): Promise<string> {
    return this.fileFor(this.#name(label));
  }

  #name(label: string): string {
    if (this.#closed) throw new Error("temp dir already disposed");
    this.#counter += 1;
    // The label only helps a human reading the directory; the counter guarantees uniqueness.
    return `${String(this.#counter).padStart(3, "0")}-${label.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 60)}`;
  }

  /** Takes `n` bytes of the memory budget, or answers false when they would pass it. */
  take(n: number): boolean {
    if (this.#memory + n > this.#limit) return false;
    if (this.#shared && !this.#shared.take(n)) return false;
    this.#memory += n;
    return true;
  }

  give(n: number): void {
    this.#memory -= n;
    this.#shared?.give(n);
  }

  forget(s: DeferredSpool): void {
    this.#spools.delete(s);
  }

  /** A path for a spilling spool; the directory is made by the first. */
  async fileFor(name: string): Promise<string> {
    if (this.#closed) throw new Error("temp dir already disposed");
    this.#dir ??= mkdtemp(join(this.#parent, this.#prefix)).then((p) => (this.#path = p));
    return join(await this.#dir, name);
  }

  dispose(): Promise<void> {
    this.#closed = true;
    this.#disposed ??= (async () => {
      // Every spool first: one still opening or writing its file must be done with it before the directory goes.
      await Promise.all([...this.#spools].map((s) => s.release(false)));
      const dir = await this.#dir?.catch(() => undefined);
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    })();
    return this.#disposed;
  }
}

type State = "writing" | "written" | "released";

class DeferredSpool implements Spool {
  #sink: Writable | undefined;
  readonly #dir: MessageTempDir;
  readonly #name: string;
  #state: State = "writing";
  #chunks: Buffer[] = [];
  /** Bytes of #chunks, taken from the directory's budget. */
  #held = 0;
  #size = 0;
  #file: FileHandle | undefined;
  #path: string | undefined;
  /** Written to the spilled spool's sink, not yet to its file. */
  #batch: Buffer[] = [];
  #batchBytes = 0;
  /** The file operation in progress (spilling, writing, closing); release waits for it. */
  #busy: Promise<void> = Promise.resolve();
  #putting = false;

  constructor(dir: MessageTempDir, name: string) {
    this.#dir = dir;
    this.#name = name;
  }

  /** Made on first use: content written with put() never needs a stream. */
  get sink(): Writable {
    this.#sink ??= new Writable({
      write: (chunk: Buffer, _enc, cb) => this.#write([chunk], cb),
      writev: (items, cb) => this.#write(items.map((i) => i.chunk as Buffer), cb),
      final: (cb) => this.#run(() => this.#finish(), cb),
      destroy: (err, cb) => {
        // Destroyed before it finished (a failed pipeline, an abort): what was written is worth nothing.
        if (this.#state !== "writing") return cb(err);
        this.release().then(
          () => cb(err),
          (e: unknown) => cb(err ?? (e as Error)),
        );
      },
    });
    return this.#sink;
  }

  async put(content: Buffer): Promise<void> {
    if (this.#sink !== undefined || this.#putting) throw new Error(`spool ${this.#name} is already being written`);
    this.#putting = true;
    const step = (run: (cb: (err?: Error | null) => void) => void): Promise<void> =>
      new Promise<void>((resolve, reject) => run((err) => (err ? reject(err) : resolve())));
    try {
      await step((cb) => this.#write([content], cb));
      await step((cb) => this.#run(() => this.#finish(), cb));
    } catch (err) {
      await this.release();
      throw err;
    }
  }

  get size(): number {
    return this.#size;
  }

  get path(): string | undefined {
    return this.#path;
  }

  createReadStream(): Readable {
    this.#readable();
    if (this.#path !== undefined) return createReadStream(this.#path, { highWaterMark: READ_CHUNK_BYTES });
    return fromChunks(this.#chunks);
  }

  async readAll(): Promise<Buffer> {
    this.#readable();
    if (this.#path !== undefined) return readFile(this.#path);
    return Buffer.concat(this.#chunks); // a copy: the caller may change it
  }

  readInto(buffer: Buffer): AsyncIterable<Buffer> {
    this.#readable();
    if (buffer.length === 0) throw new RangeError("readInto needs a buffer of at least one byte");
    return this.#path !== undefined ? readFileInto(this.#path, buffer) : eachOf(this.#chunks);
  }

  release(unlink = true): Promise<void> {
    if (this.#state === "released") return this.#busy;
    this.#state = "released";
    this.#dropMemory();
    this.#dir.forget(this);
    this.#busy = this.#busy.then(async () => {
      const file = this.#file;
      this.#file = undefined;
      await file?.close().catch(() => undefined);
      if (unlink && this.#path !== undefined) await rm(this.#path, { force: true });
    });
    if (this.#sink !== undefined && !this.#sink.destroyed) this.#sink.destroy();
    return this.#busy;
  }

  inMemory(): Buffer | undefined {
    this.#readable();
    if (this.#path !== undefined) return undefined;
    if (this.#chunks.length !== 1) this.#chunks = [Buffer.concat(this.#chunks)];
    return this.#chunks[0];
  }

  #readable(): void {
    if (this.#state === "writing") throw new Error(`spool ${this.#name} is still being written`);
    if (this.#state === "released") throw new Error(`spool ${this.#name} was released`);
  }

  #write(chunks: Buffer[], cb: (err?: Error | null) => void): void {
    if (this.#state !== "writing") return cb(new Error(`spool ${this.#name} was released`));
    const n = chunks.reduce((sum, c) => sum + c.length, 0);
    this.#size += n;
    if (this.#path === undefined && this.#dir.take(n)) {
      for (const c of chunks) this.#chunks.push(c);
      this.#held += n;
      return cb();
    }
    if (this.#path !== undefined) {
      for (const c of chunks) this.#batch.push(c);
      this.#batchBytes += n;
      if (this.#batchBytes < WRITE_BATCH_BYTES) return cb();
    }
    // Either the batch is full, or these chunks make the spool spill (its memory goes first, then they do).
    const spilling = this.#path === undefined;
    this.#run(async () => {
      if (spilling) await this.#spill();
      await this.#writeBatch(spilling ? chunks : undefined);
    }, cb);
  }

  /** Writes what the batch holds (after `first`, the chunks that made the spool spill). */
  async #writeBatch(first?: Buffer[]): Promise<void> {
    const batch = first === undefined ? this.#batch : [...first, ...this.#batch];
    this.#batch = [];
    this.#batchBytes = 0;
    await writeFully(this.#file!, batch);
  }

  async #finish(): Promise<void> {
    // "Always files" means always: an empty content gets its (empty) file too.
    if (this.#file === undefined && this.#path === undefined && this.#dir.alwaysFiles) await this.#spill();
    if (this.#batchBytes > 0) await this.#writeBatch();
    const file = this.#file;
    this.#file = undefined;
    await file?.close();
    if (this.#state !== "writing") throw new Error(`spool ${this.#name} was released`);
    this.#state = "written";
  }

  /** Moves what is in memory to a new file, which takes every later write. */
  async #spill(): Promise<void> {
    const path = await this.#dir.fileFor(this.#name);
    if (this.#state !== "writing") throw new Error(`spool ${this.#name} was released`);
    this.#path = path;
    this.#file = await open(path, "wx", 0o600);
    await writeFully(this.#file, this.#chunks);
    this.#dropMemory();
  }

  #dropMemory(): void {
    this.#chunks = [];
    this.#batch = [];
    this.#batchBytes = 0;
    this.#dir.give(this.#held);
    this.#held = 0;
  }

  /** Runs a file operation as #busy, so release() can wait for it, and reports its outcome to `cb`. */
  #run(op: () => Promise<void>, cb: (err?: Error | null) => void): void {
    const p = this.#busy.then(op);
    this.#busy = p.catch(() => undefined);
    p.then(
      () => cb(),
      (err: unknown) => cb(err as Error),
    );
  }
}

/** A stream of buffers already in memory; a later release() of the spool does not cut it short. */
function fromChunks(chunks: readonly Buffer[]): Readable {
  let i = 0;
  return new Readable({
    read() {
      while (i < chunks.length) if (!this.push(chunks[i++])) return;
      this.push(null);
    },
  });
}

/** The chunks held in memory, those of the moment readInto was called (a later release does not cut them short). */
async function* eachOf(chunks: readonly Buffer[]): AsyncGenerator<Buffer> {
  for (const c of chunks) if (c.length > 0) yield c;
}

/** The file's bytes read into `buffer` piece by piece, each piece a view of it (SpooledContent.readInto). */
async function* readFileInto(path: string, buffer: Buffer): AsyncGenerator<Buffer> {
  const file = await open(path, "r");
  try {
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) return;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await file.close();
  }
}

/** Writes every buffer, continuing after short writes. */
async function writeFully(file: FileHandle, chunks: Buffer[]): Promise<void> {
  let pending = chunks.filter((c) => c.length > 0);
  while (pending.length > 0) {
    let { bytesWritten } = await file.writev(pending);
    const rest: Buffer[] = [];
    for (const c of pending) {
      if (bytesWritten >= c.length) bytesWritten -= c.length;
      else {
        rest.push(bytesWritten > 0 ? c.subarray(bytesWritten) : c);
        bytesWritten = 0;
      }
    }
    pending = rest;
  }
}
