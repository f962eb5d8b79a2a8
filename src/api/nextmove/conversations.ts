import { Router } from "express";
import { storedDirection } from "../../core/eformidling-view.js";
import { CONVERSATION_SORT_FIELDS, type ConversationQuery, type ConversationSortField, type NextMoveStatusRepo } from "../../store/nextmove-status-repo.js";
import { nextMoveCallerOf } from "./caller.js";
import { booleanParam, enumParam, longValue, osloDayParam, single } from "./query-params.js";
import { pageableOf, springPage } from "./spring-page.js";
import { ConversationNotFoundError } from "./status-errors.js";
import { conversationJson } from "./status-json.js";

/**
 * /api/conversations as the integrasjonspunkt's ConversationController answers it (spec/eformidling.md §7.1,
 * domain/…/status/ConversationQueryInput.java, ConversationRepository.createQuery): conversations with their
 * status history, newest update first. As there, a single conversation is read only in the outgoing direction,
 * and a delete of one that is not there succeeds. Only conversations the caller may see are found or deleted.
 * Mount under /api.
 */

export interface ConversationsDeps {
  repo: NextMoveStatusRepo;
}

/** The integrasjonspunkt's ServiceIdentifier values: those this access point has no channel for match nothing. */
const SERVICE_IDENTIFIERS = ["DPO", "DPV", "DPI", "DPF", "DPE", "DPH", "UNKNOWN"] as const;
const DIRECTIONS = ["OUTGOING", "INCOMING"] as const;

const NEWEST_FIRST = { sort: [{ field: "lastUpdate" as ConversationSortField, direction: "desc" as const }] };

function conversationQuery(q: Parameters<typeof single>[0]): ConversationQuery {
  const sender = [single(q, "sender"), single(q, "senderIdentifier")].filter((v): v is string => v !== undefined);
  const receiver = [single(q, "receiver"), single(q, "receiverIdentifier")].filter((v): v is string => v !== undefined);
  const direction = enumParam(q, "direction", DIRECTIONS);
  return {
    conversationId: single(q, "conversationId"),
    messageId: single(q, "messageId"),
    // The integrasjonspunkt's `sender` is the identifier with an organisation part, `senderIdentifier` the part
    // or the organisation; the store keeps one identifier, which both name.
    senderIdentifiers: sender,
    receiverIdentifiers: receiver,
    serviceIdentifier: enumParam(q, "serviceIdentifier", SERVICE_IDENTIFIERS),
    messageReference: single(q, "messageReference"),
    messageTitle: single(q, "messageTitle"),
    pollable: booleanParam(q, "pollable"),
    finished: booleanParam(q, "finished"),
    direction: direction !== undefined ? storedDirection(direction) : undefined,
    updatedFrom: osloDayParam(q, "lastUpdateFrom")?.start,
    updatedBefore: osloDayParam(q, "lastUpdateTo")?.end,
  };
}

export function conversationsRouter(deps: ConversationsDeps): Router {
  const r = Router();

  r.get("/conversations", async (req, res) => {
    const query = conversationQuery(req.query);
    const p = pageableOf(req.query, NEWEST_FIRST, CONVERSATION_SORT_FIELDS);
    const page = await deps.repo.findConversations(query, nextMoveCallerOf(res).orgs, p, p.sort);
    res.json(springPage(page.rows.map(conversationJson), page.total, { ...p, sorted: true }));
  });

  // The literal paths first, as Spring prefers them to /conversations/{id}.
  r.get("/conversations/queue", async (req, res) => {
    const p = pageableOf(req.query, NEWEST_FIRST, CONVERSATION_SORT_FIELDS);
    const page = await deps.repo.findConversations({ pollable: true }, nextMoveCallerOf(res).orgs, p, p.sort);
    res.json(springPage(page.rows.map(conversationJson), page.total, { ...p, sorted: true }));
  });

  r.get("/conversations/messageId/:messageId", async (req, res) => {
    const c = await deps.repo.conversationByMessageId(req.params.messageId, "OUT", nextMoveCallerOf(res).orgs);
    if (!c) throw new ConversationNotFoundError(`messageId ${req.params.messageId}`);
    res.json(conversationJson(c));
  });

  r.delete("/conversations/messageId/:messageId", async (req, res) => {
    await deps.repo.deleteConversationsByMessageId(req.params.messageId, nextMoveCallerOf(res).orgs);
    res.status(200).end();
  });

  r.get("/conversations/:id", async (req, res) => {
    const id = longValue("id", req.params.id);
    const c = await deps.repo.conversationByNumber(id, nextMoveCallerOf(res).orgs, "OUT");
    if (!c) throw new ConversationNotFoundError(`id ${id}`);
    res.json(conversationJson(c));
  });

  r.delete("/conversations/:id", async (req, res) => {
    await deps.repo.deleteConversationByNumber(longValue("id", req.params.id), nextMoveCallerOf(res).orgs);
    res.status(200).end();
  });

  return r;
}
