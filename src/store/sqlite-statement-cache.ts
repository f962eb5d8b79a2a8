/**
 * Prisma's better-sqlite3 adapter prepares every statement anew for every query (`client.prepare(sql)`), which
 * costs as much CPU as running it on our hot paths. This factory wraps the adapter's and gives its connection a
 * bounded cache of prepared statements keyed by SQL text. better-sqlite3 allows `bind()` only once per statement,
 * so the cached statement is handed out as a view that runs it with the arguments instead of binding them.
 *
 * The view covers exactly what the adapter (v7) calls: `prepare(sql).run()`, and `prepare(sql).bind(args)` followed
 * by `reader`, `run()`, `columns()` and `raw().all()`; anything else fails loudly (every repository test runs
 * through it), so an adapter upgrade that uses more cannot go wrong silently.
 */
import type BetterSqlite3 from "better-sqlite3";
import type { SqlDriverAdapter, SqlDriverAdapterFactory } from "@prisma/driver-adapter-utils";

type Statement = BetterSqlite3.Statement<unknown[]>;

const COLUMNS = new WeakMap<Statement, BetterSqlite3.ColumnDefinition[]>();

/** A statement with its arguments, as the adapter uses the result of `bind()`. */
class BoundStatement {
  constructor(
    private readonly statement: Statement,
    private readonly args: unknown[],
  ) {}
  get reader(): boolean {
    return this.statement.reader;
  }
  run(): BetterSqlite3.RunResult {
    return this.statement.run(...this.args);
  }
  columns(): BetterSqlite3.ColumnDefinition[] {
    // A statement's result columns stay as they are while the client is open (migrations run before it opens,
    // src/store/prisma.ts); reading them anew costs a native call per query.
    let columns = COLUMNS.get(this.statement);
    if (!columns) {
      columns = this.statement.columns();
      COLUMNS.set(this.statement, columns);
    }
    return columns;
  }
  raw(): { all(): unknown[] } {
    const s = this.statement.raw(true);
    return { all: () => s.all(...this.args) };
  }
}

/** What `prepare()` hands the adapter: the cached statement, bound per call. */
class CachedStatement {
  constructor(private readonly statement: Statement) {}
  get reader(): boolean {
    return this.statement.reader;
  }
  bind(args: unknown[]): BoundStatement {
    return new BoundStatement(this.statement, args);
  }
  run(): BetterSqlite3.RunResult {
    return this.statement.run();
  }
}

/** Replaces `db.prepare` with a least-recently-used cache of `max` statements. */
export function cacheStatements(db: BetterSqlite3.Database, max = 500): void {
  const prepare = db.prepare.bind(db) as (sql: string) => Statement;
  const cache = new Map<string, Statement>();
  (db as unknown as { prepare: (sql: string) => CachedStatement }).prepare = (sql: string) => {
    let statement = cache.get(sql);
    if (statement) {
      cache.delete(sql);
    } else {
      statement = prepare(sql);
      if (cache.size >= max) cache.delete(cache.keys().next().value!);
    }
    cache.set(sql, statement);
    return new CachedStatement(statement);
  };
}

/**
 * The adapter factory `inner` with each connection's statements cached; `onConnection` gets the connection
 * (the store's direct SQL runs on it, sqlite-sql.ts).
 */
export function withStatementCache(inner: SqlDriverAdapterFactory, onConnection?: (db: BetterSqlite3.Database) => void, max?: number): SqlDriverAdapterFactory {
  return {
    provider: inner.provider,
    adapterName: inner.adapterName,
    async connect(): Promise<SqlDriverAdapter> {
      const adapter = await inner.connect();
      const client = (adapter as unknown as { client?: BetterSqlite3.Database }).client;
      if (!client || typeof client.prepare !== "function") throw new Error("the better-sqlite3 adapter exposes no client to cache statements on");
      onConnection?.(client);
      cacheStatements(client, max);
      return adapter;
    },
  };
}
