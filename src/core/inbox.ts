import type { Clock } from "../clock.js";
import { readScopeWhere, type ConversationsRepo, type InboxQuery } from "../store/conversations-repo.js";
import type { Conversation } from "../store/generated/client.js";
import type { Condition } from "../store/sql-condition.js";
import type { ReadScope } from "./read-scope.js";
import type { Channel } from "./status/index.js";

/**
 * The inbox, channel-neutral: incoming conversations (direction IN) as a front door serves them, whatever the
 * channel that brought them (DPI's AS4 receiver, a polled broker or queue). A reader sees what its read filter
 * (src/core/read-scope.ts) lets it see, and
 * - lists the unread ones, oldest first, a page at a time (Digdir's GET /messages/in);
 * - peeks: takes the oldest unread one nobody holds and locks it for a while (the NextMove API's peek,
 *   spec/eformidling.md §1.2); a lock that runs out makes it peekable again, so a reader that died loses nothing;
 * - gets one by id, read or not (the same filter: a list and a lookup never disagree);
 * - marks one read, or deletes it from the inbox (the NextMove API's delete / pop). Both end its time in the
 *   inbox and release its lock; the conversation and its status history stay. For DPI "read" is what
 *   POST /messages/in/{id}/read has always done.
 *
 * The filter's columns `C` are the channel's: the channel says where each lives in the store (`columns`), the
 * inbox turns the filter's clauses for incoming conversations into one query.
 */

export interface InboxFilter<C extends object> {
  scope: ReadScope<C>;
  /** The channel's further conditions on the stored rows (DPI: kanal, avsenderidentifikator). */
  where?: Condition | undefined;
}

export interface InboxDeps<C extends object> {
  conversations: ConversationsRepo;
  clock: Clock;
  /** Conversations of this channel only; undefined: any channel. */
  channel?: Channel | undefined;
  /** Where a filter's column values live in the store (DPI: receiverOrg on the conversation, the body's parties on its DPI row). */
  columns(values: Partial<C>): Condition;
}

export class Inbox<C extends object> {
  constructor(private readonly deps: InboxDeps<C>) {}

  /** The filter as the store's query: the scope's clauses for incoming conversations (the others cannot match). */
  query(filter: InboxFilter<C>): InboxQuery {
    return { anyOf: readScopeWhere(filter.scope, "IN", this.deps.columns), channel: this.deps.channel, where: filter.where };
  }

  /** Unread messages, oldest first; page 0 is the first. */
  async unread(filter: InboxFilter<C>, page: { pageSize: number; page: number }): Promise<Conversation[]> {
    return this.deps.conversations.inboxUnread(this.query(filter), { skip: page.page * page.pageSize, take: page.pageSize });
  }

  /** Locks the oldest unread message nobody holds for `lockMs` and returns it; null when there is none. */
  async peek(filter: InboxFilter<C>, lockMs: number): Promise<Conversation | null> {
    if (!(lockMs > 0)) throw new RangeError(`lock time must be positive, got ${lockMs}`);
    const now = this.deps.clock();
    return this.deps.conversations.inboxPeek(this.query(filter), now, new Date(now.getTime() + lockMs));
  }

  /** One message by id, read or not; null when it does not exist or the filter does not let the reader see it. */
  async get(filter: InboxFilter<C>, messageId: string): Promise<Conversation | null> {
    return this.deps.conversations.inboxFind(this.query(filter), messageId);
  }

  /** Confirms a message the reader can see. Returns false when it was read already (an idempotent confirm). */
  async markRead(messageId: string): Promise<boolean> {
    return this.deps.conversations.markRead(messageId, this.deps.clock());
  }

  /**
   * Confirms a message the filter lets the reader see, in one statement when it was unread: the stored id and
   * whether it was unread until now; null when the reader cannot see such a message.
   */
  async confirm(filter: InboxFilter<C>, messageId: string): Promise<{ messageId: string; wasUnread: boolean } | null> {
    const query = this.query(filter);
    const marked = await this.deps.conversations.inboxMarkRead(query, messageId, this.deps.clock());
    if (marked !== null) return { messageId: marked, wasUnread: true };
    // Read already (a repeated confirm, answered as the first), or not the reader's.
    const found = await this.deps.conversations.inboxFind(query, messageId);
    return found ? { messageId: found.messageId, wasUnread: false } : null;
  }

  /** Takes a message out of the inbox (read, unlocked). Returns false when it was not in it any more. */
  async delete(messageId: string): Promise<boolean> {
    return this.deps.conversations.markRead(messageId, this.deps.clock());
  }
}
