import pg from "pg";
import { TransactionClosedError, type Sql, type SqlStore } from "./sql.js";

/**
 * The store's direct SQL on PostgreSQL (sql.ts): a pool of its own beside Prisma's, on the same database.
 * Transactions are the database's own (READ COMMITTED, as Prisma's), so the two pools' work is isolated as any
 * two clients' is.
 */

const TIMESTAMP = 1114;
const INT8 = 20;

/** Values as Prisma decodes them: a timestamp (stored in UTC, without zone) as a Date, int8 as bigint. */
function typeParser(oid: number, format?: string): (value: string) => unknown {
  if (oid === TIMESTAMP) return (s) => new Date(`${s.replace(" ", "T")}Z`);
  if (oid === INT8) return (s) => BigInt(s);
  return pg.types.getTypeParser(oid, (format ?? "text") as "text");
}

/** A parameter as Prisma binds it: a date as UTC wall time (the columns are timestamp without zone). */
function bindable(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString().slice(0, -1);
  if (v === undefined) return null;
  if (v instanceof Uint8Array && !Buffer.isBuffer(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return v;
}

export type Queryable = Pick<pg.Pool | pg.PoolClient, "query">;

/**
 * How many distinct statements are prepared by name on each connection. A named statement is parsed and
 * planned once per connection instead of at every call (PostgreSQL may settle on a generic plan after five
 * runs, its own rule); the backends' CPU per benchmark letter fell from 22 to 17 ms. The store's statements are
 * a few hundred texts; texts built with a varying number of parameters (IN lists) add some per size. Past the
 * cap a text goes unnamed, so statement texts can never fill the server's memory with plans.
 */
export const MAX_NAMED_STATEMENTS = 512;

/** Times the naming starts afresh after a table changed under prepared statements; then it names nothing. */
const MAX_GENERATIONS = 8;

/**
 * Names the distinct texts it is asked about ("s1", "s2", ...; "g2s1" ... after a fresh start), up to a cap.
 * A fresh start (`forget`) is for a table that changed under prepared statements (another instance migrated
 * the schema in a rolling upgrade): the old names stay prepared on the connections that have them, and every
 * text is prepared again under a new name.
 */
export class StatementNames {
  private names = new Map<string, string>();
  private generation = 1;
  constructor(
    private readonly enabled = true,
    private readonly max = MAX_NAMED_STATEMENTS,
  ) {}

  nameOf(sql: string): string | undefined {
    const known = this.names.get(sql);
    if (known !== undefined || !this.enabled || this.generation > MAX_GENERATIONS || this.names.size >= this.max) return known;
    const name = `${this.generation === 1 ? "" : `g${this.generation}`}s${this.names.size + 1}`;
    this.names.set(sql, name);
    return name;
  }

  forget(): void {
    this.generation++;
    this.names = new Map();
  }
}

/** PostgreSQL refusing a prepared statement whose table's columns changed since it was prepared. */
function isStalePlan(err: unknown): boolean {
  return (err as { code?: unknown })?.code === "0A000" && /cached plan must not change result type/.test((err as Error).message ?? "");
}

/**
 * One statement, by its name when `names` gives it one; `values` as node-postgres takes them. Outside a
 * transaction, a statement refused for a stale plan failed before it touched a row, so it runs once more under a
 * fresh name; inside one, the transaction is aborted and the refusal goes to its caller.
 */
export async function queryNamed<R extends pg.QueryResultRow = pg.QueryResultRow>(
  on: Queryable,
  names: StatementNames,
  text: string,
  values: unknown[],
  inTransaction = false,
): Promise<pg.QueryResult<R>> {
  const config = (): pg.QueryConfig => {
    const name = names.nameOf(text);
    return name === undefined ? { text, values } : { name, text, values };
  };
  try {
    return await on.query<R>(config());
  } catch (err) {
    if (!isStalePlan(err)) throw err;
    names.forget();
    if (inTransaction) throw err;
    return await on.query<R>(config());
  }
}

function run(on: Queryable, names: StatementNames, sql: string, params: unknown[], inTransaction: boolean): Promise<pg.QueryResult> {
  return queryNamed(on, names, sql, params.map(bindable), inTransaction);
}

export interface PgSqlStore extends SqlStore {
  close(): Promise<void>;
}

/**
 * `namedStatements: false` sends every statement unnamed (parsed and planned at each call), for a connection
 * pooler in transaction mode that cannot keep a connection's prepared statements (PgBouncer before 1.21).
 */
export function pgSql(connectionString: string, max = 10, o: { namedStatements?: boolean } = {}): PgSqlStore {
  const pool = new pg.Pool({ connectionString, max, application_name: "dpi-ap direct sql", types: { getTypeParser: typeParser as typeof pg.types.getTypeParser } });
  // An idle client's error (the server restarted, a connection cut) must not end the process; the next query reconnects.
  pool.on("error", () => undefined);
  // One naming for the pool: a name always stands for the same text, on whichever connection it is prepared.
  const names = new StatementNames(o.namedStatements ?? true);
  return {
    provider: "postgresql",
    query: async <T>(sql: string, ...params: unknown[]) => (await run(pool, names, sql, params, false)).rows as T[],
    execute: async (sql: string, ...params: unknown[]) => (await run(pool, names, sql, params, false)).rowCount ?? 0,
    async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      let open = true;
      const guard = () => {
        if (!open) throw new TransactionClosedError();
      };
      const tx: Sql = {
        provider: "postgresql",
        query: async <R>(sql: string, ...params: unknown[]) => (guard(), (await run(client, names, sql, params, true)).rows as R[]),
        execute: async (sql: string, ...params: unknown[]) => (guard(), (await run(client, names, sql, params, true)).rowCount ?? 0),
      };
      let broken: Error | undefined;
      try {
        await client.query("BEGIN");
        try {
          const out = await fn(tx);
          await client.query("COMMIT");
          return out;
        } catch (err) {
          await client.query("ROLLBACK").catch((e: Error) => (broken = e));
          throw err;
        }
      } finally {
        open = false;
        // A connection whose ROLLBACK failed is not handed out again.
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
}
