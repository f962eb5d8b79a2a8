import type { Clock } from "../../clock.js";
import { Inbox, type InboxFilter } from "../../core/inbox.js";
import type { ReadScope, ScopeColumns } from "../../dpi/read-scope.js";
import type { ConversationsRepo } from "../../store/conversations-repo.js";
import { dpiListWhere, dpiScopeColumnsWhere, type DpiConversation, type DpiMessagesRepo } from "../../store/dpi-messages-repo.js";

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
  async unread(q: { scope: ReadScope; kanal?: string | undefined; avsenderidentifikator?: string | undefined; pageSize: number; page: number }): Promise<DpiConversation[]> {
    const filter: InboxFilter<ScopeColumns> = { scope: q.scope, where: dpiListWhere(q) };
    return this.deps.repo.joinDpi(await this.inbox.unread(filter, { pageSize: q.pageSize, page: q.page }));
  }

  /** One incoming message in the scope, read or not; null: none, or not the reader's. */
  async get(scope: ReadScope, messageId: string): Promise<DpiConversation | null> {
    const row = await this.inbox.get({ scope }, messageId);
    if (!row) return null;
    const [m] = await this.deps.repo.joinDpi([row]);
    return m ?? null;
  }

  /** Confirms a message (get it first: only the reader's). Returns false when it was read already. */
  async markRead(messageId: string): Promise<boolean> {
    return this.inbox.markRead(messageId);
  }
}
