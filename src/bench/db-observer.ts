import Database from "better-sqlite3";
import { LETTER_TYPES } from "../dpi/document-types.js";

/**
 * Counts corner 2's letters by status for the progress display, reading its SQLite database read-only
 * (WAL mode lets a reader in without blocking the writer). Asking the REST API instead would add thousands
 * of requests to the very process whose CPU time is being measured.
 */
export interface StatusObserver {
  /** Outgoing letters by status (OPPRETTET, SENDT, FEILET); undefined when the database cannot be read. */
  outgoingLetters(): Record<string, number> | undefined;
  close(): void;
}

export function observeStatuses(file: string): StatusObserver {
  let db: Database.Database | undefined;
  let statement: Database.Statement | undefined;
  const placeholders = LETTER_TYPES.map(() => "?").join(",");
  return {
    outgoingLetters() {
      try {
        db ??= new Database(file, { readonly: true, fileMustExist: true, timeout: 1000 });
        statement ??= db.prepare(
          `SELECT status, COUNT(*) AS n FROM "Conversation" WHERE direction = 'OUT' AND channel = 'DPI' AND documentType IN (${placeholders}) GROUP BY status`,
        );
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
