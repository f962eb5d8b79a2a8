import Database from "better-sqlite3";
import pg from "pg";
import { LETTER_TYPES } from "../dpi/document-types.js";
import { BENCH_APPLICATION_NAME } from "./pg-databases.js";

/**
 * Counts corner 2's letters by status for the progress display, reading its database directly: SQLite
 * read-only (WAL mode lets a reader in without blocking the writer), or PostgreSQL over one connection of its
 * own. Asking the REST API instead would add thousands of requests to the very processes being measured.
 */
export interface StatusObserver {
  /**
   * Outgoing letters by each status they reached (OPPRETTET, SENDT, LEVERT, ...): a letter counts under SENDT
   * also once a receipt made it LEVERT. Undefined when the database cannot be read.
   */
  outgoingLetters(): Record<string, number> | undefined;
  close(): void | Promise<void>;
}

/** A status is registered once per conversation, so each history row is one letter. `$n` placeholders. */
const COUNT_SQL = `SELECT s."status" AS status, COUNT(*) AS n FROM "ConversationStatus" s
  JOIN "Conversation" c ON c."direction" = s."direction" AND c."messageId" = s."messageId"
  WHERE c."direction" = 'OUT' AND c."channel" = 'DPI' AND c."documentType" IN (${LETTER_TYPES.map((_, i) => `$${i + 1}`).join(",")})
  GROUP BY s."status"`;

export function observeStatuses(file: string): StatusObserver {
  let db: Database.Database | undefined;
  let statement: Database.Statement | undefined;
  return {
    outgoingLetters() {
      try {
        db ??= new Database(file, { readonly: true, fileMustExist: true, timeout: 1000 });
        // SQLite reads $1 as a named parameter; plain ? keeps the binding positional.
        statement ??= db.prepare(COUNT_SQL.replace(/\$\d+/g, "?"));
        const rows = statement.all(...LETTER_TYPES) as { status: string; n: number }[];
        return Object.fromEntries(rows.map((r) => [r.status, r.n]));
      } catch {
        return undefined;
      }
    },
    close() {
      db?.close();
      db = undefined;
    },
  };
}

/**
 * The same counts from a PostgreSQL store. A query is asynchronous, so the counts are refreshed in the
 * background every `refreshMs` and outgoingLetters() returns the latest (undefined until the first arrives).
 */
export class PgStatusObserver implements StatusObserver {
  private client: pg.Client | undefined;
  private latest: Record<string, number> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly url: string,
    refreshMs = 500,
  ) {
    this.timer = setInterval(() => void this.refresh(), refreshMs);
    this.timer.unref();
    void this.refresh();
  }

  outgoingLetters(): Record<string, number> | undefined {
    return this.latest;
  }

  /** One query now (a refresh already running is awaited instead). */
  refresh(): Promise<void> {
    this.running ??= (async () => {
      try {
        this.client ??= await (async () => {
          const c = new pg.Client({ connectionString: this.url, application_name: BENCH_APPLICATION_NAME });
          c.on("error", () => {});
          await c.connect();
          return c;
        })();
        const r = await this.client.query<{ status: string; n: string }>(COUNT_SQL, [...LETTER_TYPES]);
        this.latest = Object.fromEntries(r.rows.map((row) => [row.status, Number(row.n)]));
      } catch {
        this.latest = undefined;
        await this.client?.end().catch(() => {});
        this.client = undefined;
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    await this.client?.end().catch(() => {});
    this.client = undefined;
  }
}
