import path from "node:path";
import { mkdir, realpath } from "node:fs/promises";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import Database from "better-sqlite3";
import type BetterSqlite3 from "better-sqlite3";
import type { SqlDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import { CommitDurability, walSync } from "./sqlite-durability.js";
import { Gate, withSerialisedAccess } from "./sqlite-serial-access.js";
import { attachSql } from "./sql.js";
import { sqliteSql } from "./sqlite-sql.js";
import { withStatementCache } from "./sqlite-statement-cache.js";
import { PrismaClient } from "./generated/client.js";
import type * as Sqlite from "./generated/client.js";
import type * as Pg from "./generated-pg/client.js";
import { loadMigrations, migrate } from "./migrate.js";
import { loadModule } from "../lazy-module.js";
import { pgExecutor, sqliteExecutor, type SqlExecutor } from "./sql-executor.js";

/**
 * The store's client. Typed as the SQLite client; a PostgreSQL client is handed out under the same type (see
 * openDatabase), which is sound because both are generated from the same models.
 */
export type Db = InstanceType<typeof PrismaClient>;

export type DatabaseProvider = "sqlite" | "postgresql";

const MIGRATIONS_DIR: Record<DatabaseProvider, string> = {
  sqlite: path.resolve(import.meta.dirname, "../../prisma/migrations"),
  postgresql: path.resolve(import.meta.dirname, "../../prisma/migrations-postgresql"),
};

export class UnsupportedDatabaseError extends Error {
  readonly code = "unsupported-database";
  constructor(url: string) {
    super(`unsupported database URL "${redact(url)}": use file:<path> (SQLite) or postgresql://… (PostgreSQL)`);
    this.name = "UnsupportedDatabaseError";
  }
}

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, "//***@");
}

export type DatabaseLocation = { provider: "sqlite"; file: string } | { provider: "postgresql"; url: string };

/** Which store a DPI_AP_DATABASE_URL names. */
export function parseDatabaseUrl(databaseUrl: string): DatabaseLocation {
  if (databaseUrl.startsWith("file:")) return { provider: "sqlite", file: databaseUrl.slice("file:".length) };
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) return { provider: "postgresql", url: databaseUrl };
  throw new UnsupportedDatabaseError(databaseUrl);
}

export function sqliteFile(databaseUrl: string): string {
  const loc = parseDatabaseUrl(databaseUrl);
  if (loc.provider !== "sqlite") throw new UnsupportedDatabaseError(databaseUrl);
  return loc.file;
}

export interface OpenedDatabase {
  db: Db;
  provider: DatabaseProvider;
  /** Migrations this call applied. */
  applied: string[];
  /**
   * True when only this process uses the store (SQLite): what it finds at start-up, such as outbox leases,
   * was left by its own previous life. A PostgreSQL store may be shared by several access point processes.
   */
  singleProcess: boolean;
  /** SQLite with durable commits: commits counted and log syncs run (several commits share a sync under load). */
  commitSyncs?: () => { commits: number; syncs: number };
}

async function runMigrations(executor: SqlExecutor, provider: DatabaseProvider): Promise<string[]> {
  try {
    return (await migrate(executor, await loadMigrations(MIGRATIONS_DIR[provider]))).applied;
  } finally {
    await executor.close();
  }
}

/** Applies pending migrations of the store the URL names, then opens the Prisma client. */
export interface OpenOptions {
  /** PostgreSQL: the most connections each of the client's two pools (Prisma's, the direct SQL's) opens; default 10. */
  poolSize?: number;
  /** PostgreSQL: the direct SQL prepares its statements by name on each connection (default true; pg-sql.ts). */
  namedStatements?: boolean;
  /**
   * SQLite: "full" (the default): every commit is on disk (the write-ahead log synced) before its caller, or
   * anyone who read what it wrote, goes on, so a receipt or a 201 is only given for what survives a power loss;
   * "normal" leaves the sync to checkpoints, and a power loss can undo the last commits.
   */
  sqliteSynchronous?: "full" | "normal";
  /**
   * SQLite with "full": told once, synchronously, when syncing the log failed and commits may not be on disk;
   * from then on every use of the store fails (sqlite-durability.ts). The access point stops here (app.ts).
   */
  onCommitSyncFailure?: (err: Error) => void;
}

/**
 * The store's SQLite page cache, in SQLite's notation (negative: KiB): SQLite's own default of 2 MB. better-sqlite3
 * is built with 16 MB per connection, which the store's database fills within a thousand letters (31–35 MB after
 * the benchmark's 1 000) and then holds for the process's life (issue #17).
 * The pages every statement goes through (the B-trees' upper levels, the ends the inserts append to) stay within
 * 2 MB; the others are read from the operating system's page cache. Measured over 1 000 benchmark letters: 2.5 to
 * 5 more read calls per letter at each access point (some 10–20 µs of 30 ms) for 15–20 MiB less peak RSS.
 */
export const SQLITE_CACHE_SIZE = -2000;

export async function openDatabase(databaseUrl: string, options: OpenOptions = {}): Promise<OpenedDatabase> {
  const loc = parseDatabaseUrl(databaseUrl);
  if (loc.provider === "postgresql") {
    // node-postgres, Prisma's pg adapter and the PostgreSQL client are loaded only for a PostgreSQL store, so a
    // SQLite access point never holds them (some 3 MB of heap).
    const [{ PrismaPg }, { PrismaClient: PgPrismaClient }, { pgSql }] = await Promise.all([
      loadModule(() => import("@prisma/adapter-pg"), "@prisma/adapter-pg"),
      loadModule(() => import("./generated-pg/client.js"), new URL("./generated-pg/client.js", import.meta.url)),
      loadModule(() => import("./pg-sql.js"), new URL("./pg-sql.js", import.meta.url)),
    ]);
    const applied = await runMigrations(pgExecutor(loc.url), "postgresql");
    // The direct SQL's pool (sql.ts) is closed with the client's adapter.
    const poolSize = options.poolSize ?? 10;
    const direct = pgSql(loc.url, poolSize, { namedStatements: options.namedStatements ?? true });
    const adapter = await openAdapter(onDispose(new PrismaPg({ connectionString: loc.url, max: poolSize }), () => direct.close()));
    const client = new PgPrismaClient({ adapter: adapter.factory });
    closesAdapter(client as unknown as Db, adapter);
    attachSql(client as unknown as Db, direct);
    // The PostgreSQL client's types are a superset of the SQLite client's for the same models, but TypeScript
    // cannot relate two generated clients structurally. Both are generated from identical models
    // (test/store/schema-parity.test.ts) and the row types are checked equal below, so the repositories, typed
    // against the SQLite client, run unchanged on it (test/store/repositories.test.ts).
    return { db: client as unknown as Db, provider: "postgresql", applied, singleProcess: false };
  }
  const file = loc.file;
  if (file !== ":memory:") await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const applied = await runMigrations(sqliteExecutor(file), "sqlite");
  // Prisma and the direct SQL (sql.ts) share the one connection and take turns on it through one gate.
  const gate = new Gate();
  let connection: BetterSqlite3.Database | undefined;
  let closeLog: (() => Promise<void>) | undefined;
  const adapter = await openAdapter(
    onDispose(
      withSerialisedAccess(withStatementCache(new PrismaBetterSqlite3({ url: `file:${file}` }), (c) => (connection = c)), gate),
      async () => await closeLog?.(),
    ),
  );
  if (!connection) throw new Error("the SQLite adapter did not open its connection");
  const db = new PrismaClient({ adapter: adapter.factory });
  closesAdapter(db, adapter);
  // SQLite syncs the log only at checkpoints; with "full" the gate makes each commit durable before anyone is
  // answered on the strength of it, sharing one sync among the commits made meanwhile (sqlite-durability.ts).
  connection.pragma("synchronous = NORMAL");
  connection.pragma(`cache_size = ${SQLITE_CACHE_SIZE}`);
  let durability: CommitDurability | undefined;
  if (options.sqliteSynchronous !== "normal" && file !== ":memory:") {
    // The connection's own prepare, not the adapter's statement cache that replaced it (sqlite-statement-cache.ts).
    const totalChanges = Database.prototype.prepare.call(connection, "SELECT total_changes()").pluck().safeIntegers(false);
    // SQLite puts the log beside the file a symbolic link points to.
    const log = walSync(await realpath(path.resolve(file)));
    durability = new CommitDurability(() => totalChanges.get() as number, log.sync, options.onCommitSyncFailure);
    closeLog = log.close;
    gate.syncCommits(durability);
  }
  attachSql(db, sqliteSql(connection, gate));
  return { db, provider: "sqlite", applied, singleProcess: true, ...(durability ? { commitSyncs: () => durability.stats() } : {}) };
}

/**
 * Prisma's client is never connected here: it connects on its first query. Connecting compiles and instantiates
 * its WebAssembly query compiler (about 70 MB of resident memory), which only Prisma's model API needs, and
 * every statement an access point runs after start-up is the direct SQL's (sql.ts).
 * So the adapter is connected here, for the direct SQL (on SQLite, its one connection), and is the connection
 * Prisma gets when it does connect.
 */
interface OpenedAdapter {
  /** For Prisma's client: hands out the adapter opened here, then (after a disconnect) new ones of `inner`. */
  factory: SqlDriverAdapterFactory;
  /** Disposes the adapter opened here, once (Prisma's own dispose of it included). */
  close(): Promise<void>;
}

async function openAdapter(inner: SqlDriverAdapterFactory): Promise<OpenedAdapter> {
  const adapter = await inner.connect();
  const dispose = adapter.dispose.bind(adapter);
  let disposed: Promise<void> | undefined;
  adapter.dispose = () => (disposed ??= dispose());
  let handedOut = false;
  return {
    factory: {
      provider: inner.provider,
      adapterName: inner.adapterName,
      async connect() {
        if (handedOut || disposed) return inner.connect();
        handedOut = true;
        return adapter;
      },
    },
    close: () => adapter.dispose(),
  };
}

/** `db.$disconnect()` closes the adapter opened for it as well, whether or not Prisma ever connected. */
function closesAdapter(db: Db, adapter: OpenedAdapter): void {
  const disconnect = db.$disconnect.bind(db);
  db.$disconnect = async () => {
    try {
      await disconnect();
    } finally {
      await adapter.close();
    }
  };
}

/** The adapter factory `inner`, with `close` run after each connection it opened is disposed. */
function onDispose(inner: SqlDriverAdapterFactory, close: () => Promise<void>): SqlDriverAdapterFactory {
  return {
    provider: inner.provider,
    adapterName: inner.adapterName,
    async connect() {
      const adapter = await inner.connect();
      const dispose = adapter.dispose.bind(adapter);
      adapter.dispose = async () => {
        try {
          await dispose();
        } finally {
          await close();
        }
      };
      return adapter;
    },
  };
}

// Compile-time guard: the rows both clients return are the same types.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const rowTypesAgree: [
  Same<Sqlite.Conversation, Pg.Conversation>,
  Same<Sqlite.ConversationStatus, Pg.ConversationStatus>,
  Same<Sqlite.DpiMessage, Pg.DpiMessage>,
  Same<Sqlite.As4Exchange, Pg.As4Exchange>,
] = [true, true, true, true];
void rowTypesAgree;
