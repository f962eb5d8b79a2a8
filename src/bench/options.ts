import { BENCH_CHANNELS, type BenchChannel } from "./channels.js";

/**
 * Command-line options of `npm run bench`, parsed into a typed value or a BenchUsageError naming the bad
 * argument. Pure: the caller passes argv.
 */

export interface BenchOptions {
  /** Letters of the main phase. */
  letters: number;
  /** Bytes of the document inside each letter's ASiC-E (the CMS is a few kB larger). */
  documentBytes: number;
  /** POST /messages/out requests in flight at once. */
  concurrency: number;
  /** Large letters sent after the main phase (0 = none). */
  large: number;
  /** Bytes of the document inside each large letter. */
  largeDocumentBytes: number;
  /** Print one JSON document on stdout instead of the table. */
  json: boolean;
  /** No progress display. */
  quiet: boolean;
  /** Each phase stops after this many seconds, delivered or not. */
  timeLimitSeconds: number;
  /** DPI_AP_LOG_LEVEL of the two access points (their logs go to files in the run's temp folder). */
  logLevel: string;
  /** DPI_AP_OUTBOX_CONCURRENCY of the access points; absent = their default. */
  outboxConcurrency: number | undefined;
  /**
   * Letters the postbox provider (corner 4) works on at once. A provider's service handles many letters at a
   * time; one at a time, its round trips to corner 3 (download, receipt, read) left the machine partly idle.
   */
  postboxConcurrency: number;
  /** Keep the temp folder (databases, payloads, logs) after the run and print where it is. */
  keep: boolean;
  /**
   * Open loop: letters offered per second on a fixed schedule, whatever the answers (issue #17); undefined =
   * closed loop at `concurrency`. The letters of the phase are `rate × durationSeconds` unless --letters was given.
   */
  rate: number | undefined;
  /** Seconds of offering in the open-loop mode. */
  durationSeconds: number;
  /** Processes per access point (corner 2 and corner 3 each), behind a round-robin balancer when on PostgreSQL. */
  instances: number;
  /** Where the access points keep their data: SQLite (one process each) or one PostgreSQL database per corner. */
  store: "sqlite" | "postgresql";
  /** DPI_AP_BLOB_STORE of SQLite access points: payload files (the default) or payload rows in the SQLite file. */
  blobStore: "folder" | "database";
  /** The PostgreSQL server the bench creates (and drops) its databases on. */
  postgresUrl: string;
  /**
   * What travels: DPI letters from corner 1's REST API (the default), or an eFormidling channel's messages from
   * an archive system over the NextMove API through the channel's simulator (src/bench/channels.ts). `letters`
   * then counts messages and `documentBytes` is each message's document.
   */
  channel: BenchChannel;
  help: boolean;
}

export const DEFAULT_OPTIONS: BenchOptions = {
  letters: 2000,
  documentBytes: 20_000,
  concurrency: 16,
  large: 3,
  largeDocumentBytes: 25_000_000,
  json: false,
  quiet: false,
  timeLimitSeconds: 1800,
  logLevel: "info",
  outboxConcurrency: undefined,
  postboxConcurrency: 8,
  keep: false,
  rate: undefined,
  durationSeconds: 30,
  instances: 1,
  store: "sqlite",
  blobStore: "folder",
  postgresUrl: "postgresql://postgres@127.0.0.1:5432/postgres",
  channel: "dpi",
  help: false,
};

/** The largest document that still fits the 30 MiB dokumentpakke limit with room for the ASiC-E and CMS around it. */
export const MAX_DOCUMENT_BYTES = 30 * 1024 * 1024 - 64 * 1024;
/** DPE takes 2 MiB of files per message (the NextMove API's limit); the journal entry's own file needs a little of it. */
export const MAX_DPE_DOCUMENT_BYTES = 2 * 1024 * 1024 - 4 * 1024;

export class BenchUsageError extends Error {
  readonly code = "bench-usage";
  constructor(message: string) {
    super(message);
    this.name = "BenchUsageError";
  }
}

export const USAGE = `usage: npm run bench -- [options]

  --letters N          letters in the main phase (default 2000)
  --size BYTES         document size per letter, e.g. 20000, 20KB, 64KiB (default 20KB)
  --concurrency C      POST /messages/out requests in flight (default 16)
  --large N            large letters after the main phase, 0 for none (default 3)
  --large-size BYTES   document size of a large letter (default 25MB)
  --time-limit SEC     each phase stops after this long (default 1800)
  --log-level LEVEL    access point log level; logs go to files (default info)
  --outbox-concurrency N  DPI_AP_OUTBOX_CONCURRENCY of both access points (default: theirs)
  --postbox-concurrency N  letters the postbox provider handles at once (default 8)
  --rate N             open loop: offer N letters per second on a fixed schedule, not waiting for
                       answers; latency counts from each letter's scheduled start (no large phase)
  --duration SEC       seconds of offering with --rate (default 30; letters = N × SEC unless --letters)
  --instances N        processes each for corner 2 and corner 3 (default 1); above 1 needs PostgreSQL
  --store KIND         sqlite (default with 1 instance) or postgresql: one fresh database per corner,
                       payloads in it, and each corner behind a round-robin balancer in the bench
  --blob-store KIND    folder (default) or database: where SQLite access points keep payloads
                       (DPI_AP_BLOB_STORE); PostgreSQL runs keep them in the database always
  --postgres-url URL   server to create and drop those databases on
                       (default postgresql://postgres@127.0.0.1:5432/postgres)
  --channel CH         dpi (default): DPI letters over AS4 to a postbox provider; dpo, dpf, dpv, dpe:
                       --letters messages from an archive system over the NextMove API (create, upload,
                       send) through that channel's simulator, each followed to its final status
                       (DPO, DPE: to corner 3, whose archive system the bench plays too; no large phase)
  --json               print one JSON document instead of the table
  --quiet              no progress display
  --keep               keep the temp folder (databases, logs) and any PostgreSQL databases
  --help               this text

Sizes: plain bytes, or with kB/KB/MB (powers of 1000) or KiB/MiB (powers of 1024).`;

const UNITS: Record<string, number> = { "": 1, b: 1, k: 1000, kb: 1000, kib: 1024, m: 1_000_000, mb: 1_000_000, mib: 1024 * 1024 };

/** "20000", "20KB", "20 kB", "25MB", "1.5MiB" → bytes (rounded down). */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new BenchUsageError(`${JSON.stringify(text)} is not a size (e.g. 20000, 20KB, 25MB, 64KiB)`);
  const bytes = Math.floor(Number(m[1]) * unit);
  if (!(bytes >= 1)) throw new BenchUsageError(`size ${JSON.stringify(text)} must be at least one byte`);
  return bytes;
}

function integer(flag: string, text: string | undefined, min: number, max: number): number {
  if (text === undefined || !/^\d+$/.test(text)) throw new BenchUsageError(`${flag} needs a whole number, got ${JSON.stringify(text ?? "")}`);
  const n = Number(text);
  if (n < min || n > max) throw new BenchUsageError(`${flag} must be between ${min} and ${max}, got ${n}`);
  return n;
}

const LOG_LEVELS = new Set(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const o: BenchOptions = { ...DEFAULT_OPTIONS };
  // Flags seen, for the rules between them checked at the end.
  const given = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    // --flag=value and --flag value are both accepted.
    const eq = arg.indexOf("=");
    const flag = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith("--") && eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string | undefined => inline ?? argv[++i];
    const size = (): number => {
      const v = value();
      if (v === undefined) throw new BenchUsageError(`${flag} needs a size`);
      const bytes = parseSize(v);
      if (bytes > MAX_DOCUMENT_BYTES) throw new BenchUsageError(`${flag} ${v} is more than the 30 MiB a dokumentpakke may be`);
      return bytes;
    };
    given.add(flag);
    switch (flag) {
      case "--letters":
        o.letters = integer(flag, value(), 1, 1_000_000);
        break;
      case "--size":
        o.documentBytes = size();
        break;
      case "--concurrency":
        o.concurrency = integer(flag, value(), 1, 256);
        break;
      case "--large":
        o.large = integer(flag, value(), 0, 100);
        break;
      case "--large-size":
        o.largeDocumentBytes = size();
        break;
      case "--time-limit":
        o.timeLimitSeconds = integer(flag, value(), 10, 86_400);
        break;
      case "--log-level": {
        const v = value();
        if (v === undefined || !LOG_LEVELS.has(v)) throw new BenchUsageError(`--log-level must be one of ${[...LOG_LEVELS].join(", ")}`);
        o.logLevel = v;
        break;
      }
      case "--postbox-concurrency":
        o.postboxConcurrency = integer(flag, value(), 1, 64);
        break;
      case "--outbox-concurrency":
        o.outboxConcurrency = integer(flag, value(), 1, 64);
        break;
      case "--rate":
        o.rate = integer(flag, value(), 1, 10_000);
        break;
      case "--duration":
        o.durationSeconds = integer(flag, value(), 1, 86_400);
        break;
      case "--instances":
        o.instances = integer(flag, value(), 1, 8);
        break;
      case "--store": {
        const v = value();
        if (v !== "sqlite" && v !== "postgresql") throw new BenchUsageError(`--store must be sqlite or postgresql, got ${JSON.stringify(v ?? "")}`);
        o.store = v;
        break;
      }
      case "--blob-store": {
        const v = value();
        if (v !== "folder" && v !== "database") throw new BenchUsageError(`--blob-store must be folder or database, got ${JSON.stringify(v ?? "")}`);
        o.blobStore = v;
        break;
      }
      case "--postgres-url": {
        const v = value();
        if (v === undefined || !/^postgres(ql)?:\/\/\S+$/.test(v)) throw new BenchUsageError(`--postgres-url needs a postgresql:// URL, got ${JSON.stringify(v ?? "")}`);
        o.postgresUrl = v;
        break;
      }
      case "--channel": {
        const v = value()?.toLowerCase();
        if (v === undefined || !(BENCH_CHANNELS as readonly string[]).includes(v)) throw new BenchUsageError(`--channel must be one of ${BENCH_CHANNELS.join(", ")}, got ${JSON.stringify(v ?? "")}`);
        o.channel = v as BenchChannel;
        break;
      }
      case "--json":
        o.json = true;
        break;
      case "--quiet":
        o.quiet = true;
        break;
      case "--keep":
        o.keep = true;
        break;
      case "--help":
      case "-h":
        o.help = true;
        break;
      default:
        throw new BenchUsageError(`unknown argument ${JSON.stringify(arg)}`);
    }
    if (inline !== undefined && ["--json", "--quiet", "--keep", "--help"].includes(flag)) throw new BenchUsageError(`${flag} takes no value`);
  }
  return checkCombinations(o, given);
}

/** The rules between flags, once all are read. */
function checkCombinations(o: BenchOptions, given: ReadonlySet<string>): BenchOptions {
  if (o.rate === undefined) {
    if (given.has("--duration")) throw new BenchUsageError("--duration goes with --rate");
  } else {
    if (given.has("--concurrency")) throw new BenchUsageError("--rate is open loop: it takes no --concurrency");
    if (given.has("--large") || given.has("--large-size")) throw new BenchUsageError("--rate runs no large phase: leave out --large and --large-size");
    if (given.has("--letters") && given.has("--duration")) throw new BenchUsageError("give --letters or --duration with --rate, not both");
    o.large = 0;
    if (!given.has("--letters")) {
      const letters = o.rate * o.durationSeconds;
      if (letters > 1_000_000) throw new BenchUsageError(`--rate ${o.rate} for ${o.durationSeconds} s is ${letters} letters, more than 1000000`);
      o.letters = letters;
    }
  }
  if (o.instances > 1) {
    // Several processes on one SQLite file is what the README says not to do.
    if (given.has("--store") && o.store === "sqlite") throw new BenchUsageError("--instances above 1 needs --store postgresql (SQLite is for one process)");
    o.store = "postgresql";
  }
  if (given.has("--postgres-url") && o.store !== "postgresql") throw new BenchUsageError("--postgres-url goes with --store postgresql or --instances above 1");
  if (o.channel !== "dpi") {
    if (given.has("--large") || given.has("--large-size")) throw new BenchUsageError(`--channel ${o.channel} runs no large phase: leave out --large and --large-size`);
    o.large = 0;
    if (o.channel === "dpe" && o.documentBytes > MAX_DPE_DOCUMENT_BYTES) throw new BenchUsageError(`--size for dpe must be at most ${MAX_DPE_DOCUMENT_BYTES} bytes (a DPE message's files may not exceed 2 MiB)`);
  }
  return o;
}
