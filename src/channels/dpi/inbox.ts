import type { Clock } from "../../clock.js";
import { Inbox, type InboxFilter } from "../../core/inbox.js";
import type { ReadScope, ScopeColumns } from "../../dpi/read-scope.js";
import type { ConversationsRepo } from "../../store/conversations-repo.js";
import { dpiListWhere, dpiScopeColumnsWhere, type DpiInboxEntry, type DpiMessagesRepo } from "../../store/dpi-messages-repo.js";

/**
 * DPI's view of the core inbox (src/core/inbox.ts): the incoming DPI conversations (letters at corner 3, receipts
 * at corner 2) a reader's DPI read scope (src/dpi/read-scope.ts) lets it see, with DPI's own row joined for the
 * REST API's projection (the forretningsmelding, the dokumentpakke). Reading is what it always was: a list of the
 * unread, one message by id, and a read confirmation; DPI's REST API does not peek.
 */
export class DpiInbox {
  readonly inbox: Inbox<ScopeColumns>;

  constructor(private readonly deps: { conversations: ConversationsRepo; repo: DpiMessagesRepo; clock: Clock }) {
    this.inbox = new Inbox<ScopeColumns>({ conversations: deps.conversations, clock: deps.clock, channel: "DPI", columns: dpiScopeColumnsWhere });
  }

  /** Unread messages in the scope, narrowed by GET /messages/in's kanal and avsenderidentifikator, oldest first. */
  async unread(q: { scope: ReadScope; kanal?: string | undefined; avsenderidentifikator?: string | undefined; pageSize: number; page: number }): Promise<DpiInboxEntry[]> {
    const filter: InboxFilter<ScopeColumns> = { scope: q.scope, where: dpiListWhere(q) };
    return this.deps.repo.inboxEntries(this.inbox.query(filter), { skip: q.page * q.pageSize, take: q.pageSize });
  }

  /** One incoming message in the scope, read or not; null: none, or not the reader's. */
  async get(scope: ReadScope, messageId: string): Promise<DpiInboxEntry | null> {
    return this.deps.repo.inboxEntry(this.inbox.query({ scope }), messageId);
  }

  /**
   * Confirms a message in the scope (a repeated confirm is answered as the first): its stored id; null when the
   * reader has no such message.
   */
  async markRead(scope: ReadScope, messageId: string): Promise<string | null> {
    return (await this.inbox.confirm({ scope }, messageId))?.messageId ?? null;
  }
}
