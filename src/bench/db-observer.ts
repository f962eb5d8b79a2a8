import Database from "better-sqlite3";
import { LETTER_TYPES } from "../dpi/document-types.js";

/**
 * Counts corner 2's letters by status for the progress display, reading its SQLite database read-only
 * (WAL mode lets a reader in without blocking the writer). Asking the REST API instead would add thousands
 * of requests to the very process whose CPU time is being measured.
 */
export interface StatusObserver {
  /**
   * Outgoing letters by each status they reached (OPPRETTET, SENDT, LEVERT, ...): a letter counts under SENDT
   * also once a receipt made it LEVERT. Undefined when the database cannot be read.
   */
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
          // A status is registered once per conversation, so each history row is one letter.
          `SELECT s.status AS status, COUNT(*) AS n FROM "ConversationStatus" s JOIN "Conversation" c ON c.direction = s.direction AND c.messageId = s.messageId
           WHERE c.direction = 'OUT' AND c.channel = 'DPI' AND c.documentType IN (${placeholders}) GROUP BY s.status`,
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
