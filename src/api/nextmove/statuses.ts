import { Router } from "express";
import { storedNamesOf } from "../../core/eformidling-view.js";
import { STATUS_SORT_FIELDS, type NextMoveStatusRepo, type StatusSortField } from "../../store/nextmove-status-repo.js";
import { nextMoveCallerOf } from "./caller.js";
import { dateTimeParam, longParam, longValue, single } from "./query-params.js";
import { pageableOf, springPage } from "./spring-page.js";
import { StatusNotQueuedError } from "./status-errors.js";
import { messageStatusJson } from "./status-json.js";

/**
 * /api/statuses as the integrasjonspunkt's MessageStatusController answers it (spec/eformidling.md §7.1): the
 * status history, paged and sorted by id; and the status queue, which holds the statuses of the channels
 * configured as queued (StatusPublisher) until the archive system acknowledges each. Only statuses of
 * conversations the caller may see are found. Mount under /api.
 */

export interface StatusesDeps {
  repo: NextMoveStatusRepo;
}

const BY_ID = { sort: [{ field: "id" as StatusSortField, direction: "asc" as const }] };

export function statusesRouter(deps: StatusesDeps): Router {
  const r = Router();

  r.get("/statuses", async (req, res) => {
    const orgs = nextMoveCallerOf(res).orgs;
    const q = req.query;
    const status = single(q, "status");
    const query = {
      id: longParam(q, "id"),
      conversationId: single(q, "conversationId"),
      messageId: single(q, "messageId"),
      statusNames: status !== undefined ? storedNamesOf(status) : undefined,
      // The integrasjonspunkt applies these only when both are given; each bound is applied alone here.
      from: dateTimeParam(q, "fromDateTime"),
      to: dateTimeParam(q, "toDateTime"),
    };
    const p = pageableOf(q, BY_ID, STATUS_SORT_FIELDS);
    const page = await deps.repo.findStatuses(query, orgs, p, p.sort);
    res.json(springPage(page.rows.map(messageStatusJson), page.total, { ...p, sorted: true }));
  });

  // Before /statuses/:messageId, as Spring prefers the literal path.
  r.get("/statuses/peek", async (_req, res) => {
    const s = await deps.repo.peekQueue(nextMoveCallerOf(res).orgs);
    if (!s) {
      res.status(204).end();
      return;
    }
    res.json(messageStatusJson(s));
  });

  r.get("/statuses/:messageId", async (req, res) => {
    const p = pageableOf(req.query, BY_ID, STATUS_SORT_FIELDS);
    const page = await deps.repo.findStatuses({ messageId: req.params.messageId }, nextMoveCallerOf(res).orgs, p, p.sort);
    res.json(springPage(page.rows.map(messageStatusJson), page.total, { ...p, sorted: true }));
  });

  r.delete("/statuses/:id", async (req, res) => {
    const id = longValue("id", req.params.id);
    if (!(await deps.repo.ackQueue(id, nextMoveCallerOf(res).orgs))) throw new StatusNotQueuedError(id);
    res.status(200).end();
  });

  return r;
}
