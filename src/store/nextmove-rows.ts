import type { Conversation, NextMoveFile, NextMoveMessage } from "./generated/client.js";
import { queryRows, type SqlClient } from "./raw-sql.js";

/**
 * Reading NextMove's own rows (NextMoveMessage, NextMoveFile) for conversation rows already read, by their keys,
 * one query per table however many conversations: the direct SQL's form of Prisma's `include: { nextMove }`.
 */

type Key = Pick<Conversation, "direction" | "messageId">;

/** A condition matching the rows with any of these (direction, messageId) keys, its values appended to `params`. */
export function keysWhere(keys: readonly Key[], params: unknown[]): string {
  const byDirection = new Map<string, string[]>();
  for (const k of keys) byDirection.set(k.direction, [...(byDirection.get(k.direction) ?? []), k.messageId]);
  return [...byDirection]
    .map(([direction, ids]) => `("direction" = $${params.push(direction)} AND "messageId" IN (${ids.map((id) => `$${params.push(id)}`).join(", ")}))`)
    .join(" OR ");
}

const keyOf = (k: Key) => `${k.direction} ${k.messageId}`;

/** The NextMoveMessage rows of `keys`, by key; a conversation without one is absent. */
export async function nextMoveRowsOf(client: SqlClient, keys: readonly Key[]): Promise<Map<string, NextMoveMessage>> {
  if (keys.length === 0) return new Map();
  const params: unknown[] = [];
  const rows = await queryRows<NextMoveMessage>(client, `SELECT * FROM "NextMoveMessage" WHERE ${keysWhere(keys, params)}`, ...params);
  return new Map(rows.map((r) => [keyOf(r), r]));
}

/** The files of `keys`' messages, each message's in the order they were added. */
export async function nextMoveFilesOf(client: SqlClient, keys: readonly Key[]): Promise<Map<string, NextMoveFile[]>> {
  const files = new Map<string, NextMoveFile[]>();
  if (keys.length === 0) return files;
  const params: unknown[] = [];
  const rows = await queryRows<NextMoveFile>(client, `SELECT * FROM "NextMoveFile" WHERE ${keysWhere(keys, params)} ORDER BY "id"`, ...params);
  for (const f of rows) files.set(keyOf(f), [...(files.get(keyOf(f)) ?? []), f]);
  return files;
}

/** The conversations that have a NextMoveMessage row, in their order, each with it as `nextMove`. */
export async function withNextMove(client: SqlClient, rows: readonly Conversation[]): Promise<(Conversation & { nextMove: NextMoveMessage })[]> {
  const nextMove = await nextMoveRowsOf(client, rows);
  return rows.flatMap((r) => {
    const n = nextMove.get(keyOf(r));
    return n ? [{ ...r, nextMove: n }] : [];
  });
}

/** As withNextMove, each NextMoveMessage with its files. */
export async function withNextMoveAndFiles(
  client: SqlClient,
  rows: readonly Conversation[],
): Promise<(Conversation & { nextMove: NextMoveMessage & { files: NextMoveFile[] } })[]> {
  const found = await withNextMove(client, rows);
  const files = await nextMoveFilesOf(client, found);
  return found.map((r) => ({ ...r, nextMove: { ...r.nextMove, files: files.get(keyOf(r)) ?? [] } }));
}
