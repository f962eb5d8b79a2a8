import type { IncomingMessage, ServerResponse } from "node:http";
import { Router } from "express";
import { ProblemError } from "../problem.js";
import { contractStatuses, isReceiptStatus, statusOfReceipt } from "../dpi/status-model.js";
import { inReadScope, readScopeOf, scopedMessage } from "../dpi/read-scope.js";
import type { DpiMessagesRepo } from "../store/dpi-messages-repo.js";
import { sendJson } from "./answer.js";
import { callerOf, type Caller } from "./auth.js";
import { MessageNotFoundError } from "./messages-in.js";

export class ConversationNotFoundError extends ProblemError {
  constructor(id: string) {
    super(404, "conversation-not-found", "Conversation not found", `no conversation ${id} for this caller`);
  }
}

export interface TimelineEvent {
  timestamp: string;
  messageId: string;
  documentType: string;
  direction: "OUT" | "IN";
  /** "status": a status this access point set; "receipt": a kvittering that arrived in the conversation. */
  kind: "status" | "receipt";
  status: string;
  beskrivelse?: string;
}

/** Status history of sent messages and the whole timeline of a conversation. */
export function statusRouter(deps: { repo: DpiMessagesRepo }, statuses: StatusesHandler = statusesHandler(deps)): Router {
  const r = Router();

  r.get("/messages/out/:id/statuses", (req, res) => statuses(req, res, req.params.id, callerOf(res)));

  r.get("/status/:conversationId", async (req, res) => {
    const scope = readScopeOf(callerOf(res));
    const messages = (await deps.repo.conversation(req.params.conversationId)).filter((m) => inReadScope(scope, scopedMessage(m)));
    if (messages.length === 0) throw new ConversationNotFoundError(req.params.conversationId);
    const events: TimelineEvent[] = [];
    for (const m of messages) {
      const receiptStatus = m.direction === "IN" ? statusOfReceipt(m.documentType) : undefined;
      if (receiptStatus) {
        events.push({ timestamp: m.createdAt.toISOString(), messageId: m.messageId, documentType: m.documentType, direction: "IN", kind: "receipt", status: receiptStatus });
        continue;
      }
      for (const s of m.statuses) {
        // The receipt that brought a letter its LEVERT, LEST or FEIL is on the timeline already, as itself.
        if (m.direction === "OUT" && isReceiptStatus(s.status)) continue;
        events.push({
          timestamp: s.createdAt.toISOString(),
          messageId: m.messageId,
          documentType: m.documentType,
          direction: m.direction as "OUT" | "IN",
          kind: "status",
          status: s.status,
          ...(s.description ? { beskrivelse: s.description } : {}),
        });
      }
    }
    events.sort((a, b) => a.timestamp.localeCompare(b.timestamp));
    sendJson(req, res, 200, { conversationId: req.params.conversationId, events });
  });

  return r;
}

/** GET /messages/out/:id/statuses over node's own request and response, given the decoded `:id` and the verified caller. */
export type StatusesHandler = (req: IncomingMessage, res: ServerResponse, id: string, caller: Caller) => Promise<void>;

/** The status poll: what statusRouter's route calls, and the front dispatcher (front-dispatch.ts) too. */
export function statusesHandler(deps: { repo: DpiMessagesRepo }): StatusesHandler {
  return async (req, res, id, caller) => {
    const m = await deps.repo.get("OUT", id);
    if (!m || !inReadScope(readScopeOf(caller), scopedMessage(m))) throw new MessageNotFoundError(id);
    sendJson(req, res, 200, contractStatuses(await deps.repo.statuses("OUT", id)));
  };
}
