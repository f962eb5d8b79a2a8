import type { IncomingMessage, ServerResponse } from "node:http";
import { Router } from "express";
import { z } from "zod";
import { ProblemError } from "../problem.js";
import type { DpiInbox } from "../channels/dpi/inbox.js";
import type { BlobStore } from "../store/blob-store.js";
import { readScopeOf, type ReadScope } from "../dpi/read-scope.js";
import { sendJson } from "./answer.js";
import { callerOf, type Caller } from "./auth.js";
import { sendStream } from "./send-stream.js";
import { KANAL_PATTERN } from "./kanal.js";

const listQuery = z.object({
  kanal: z.string().regex(KANAL_PATTERN, "kanal: 1-64 characters a-z A-Z 0-9 _ -").optional(),
  avsenderidentifikator: z.string().min(1).max(100).optional(),
  page_size: z.coerce.number().int().min(1).max(1000).default(100),
  page: z.coerce.number().int().min(0).default(0),
});
const LIST_PARAMETERS = Object.keys(listQuery.shape);

/**
 * The list parameters that are present: unknown parameters are ignored and empty ones count as absent, since
 * Digdir's client sends `?kanal=&avsenderidentifikator=&page=` on every poll. A value that is there and wrong
 * (or given twice) is still refused.
 */
function presentParameters(query: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(LIST_PARAMETERS.filter((k) => query[k] !== undefined && query[k] !== "").map((k) => [k, query[k]]));
}

export class InvalidQueryError extends ProblemError {
  constructor(detail: string) {
    super(400, "query-invalid", "Invalid query parameters", detail);
  }
}

export class MessageNotFoundError extends ProblemError {
  constructor(id: string) {
    // The same answer for "no such message" and "not yours", so ids of others cannot be probed.
    super(404, "message-not-found", "Message not found", `no message ${id} for this caller`);
  }
}

/** The media type Digdir's corner-2 contract gives GET /messages/in/{id} (see the handler). */
export const DOKUMENTPAKKE_MEDIA_TYPE = "application/json";

/**
 * A dokumentpakke up to this size is read whole and sent in one piece; a larger one is streamed in pieces of this
 * size: a quarter of the reads and socket writes of Node's 64 KiB pieces (25 MB: 44 → 37 ms of CPU on average,
 * served to curl on this machine), and a piece never larger than the package.
 */
export const DOWNLOAD_IN_ONE_PIECE_BYTES = 256 * 1024;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface MessagesInDeps {
  inbox: DpiInbox;
  blobs: BlobStore;
  /** The absolute URL of `path` on this access point, as the client of `req` reaches it. */
  publicUrl: (path: string, req: IncomingMessage) => string;
}

/**
 * The three routes over node's own request and response, given what express's route would have parsed: the
 * query, the decoded `:id`, and the verified caller. express's routes (messagesInRouter) and the front
 * dispatcher (front-dispatch.ts) call the same functions.
 */
export interface MessagesInHandlers {
  /** GET /messages/in */
  list(req: IncomingMessage, res: ServerResponse, query: Readonly<Record<string, unknown>>, caller: Caller): Promise<void>;
  /** GET /messages/in/:id */
  download(req: IncomingMessage, res: ServerResponse, id: string, caller: Caller): Promise<void>;
  /** POST /messages/in/:id/read */
  markRead(req: IncomingMessage, res: ServerResponse, id: string, caller: Caller): Promise<void>;
}

/** Messages that arrived for the caller (receipts at corner 2, letters at corner 3), served from the core inbox through DPI's view of it. */
export function messagesInRouter(deps: MessagesInDeps, h: MessagesInHandlers = messagesInHandlers(deps)): Router {
  const r = Router();
  r.get("/messages/in", (req, res) => h.list(req, res, req.query, callerOf(res)));
  r.get("/messages/in/:id", (req, res) => h.download(req, res, req.params.id, callerOf(res)));
  r.post("/messages/in/:id/read", (req, res) => h.markRead(req, res, req.params.id, callerOf(res)));
  return r;
}

export function messagesInHandlers(deps: MessagesInDeps): MessagesInHandlers {
  const findReadable = async (id: string, scope: ReadScope) => {
    if (!UUID.test(id)) throw new MessageNotFoundError(id);
    const m = await deps.inbox.get(scope, id);
    if (!m) throw new MessageNotFoundError(id);
    return m;
  };

  return {
    async list(req, res, query, caller) {
      const q = listQuery.safeParse(presentParameters(query));
      if (!q.success) throw new InvalidQueryError(q.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
      const rows = await deps.inbox.unread({
        scope: readScopeOf(caller),
        kanal: q.data.kanal,
        avsenderidentifikator: q.data.avsenderidentifikator,
        pageSize: q.data.page_size,
        page: q.data.page,
      });
      if (rows.length === 0) {
        res.statusCode = 204;
        res.end();
        return;
      }
      sendJson(
        req,
        res,
        200,
        rows.map((m) => ({
          forretningsmelding: m.dpi.forretningsmelding,
          ...(m.dpi.payloadKey ? { downloadurl: deps.publicUrl(`/messages/in/${m.messageId}`, req) } : {}),
        })),
      );
    },

    async download(_req, res, id, caller) {
      const m = await findReadable(id, readScopeOf(caller));
      const { payloadKey, payloadSize } = m.dpi;
      if (!payloadKey) throw new ProblemError(404, "no-dokumentpakke", "No document package", `message ${m.messageId} is a ${m.documentType} and carries no dokumentpakke`);
      // Digdir's OpenAPI declares this answer as application/json with a binary schema ("Kryptert dokumentpakke"):
      // the CMS bytes as they are, under that media type. Set without Express's charset suffix: it is not text.
      res.statusCode = 200;
      res.setHeader("Content-Type", DOKUMENTPAKKE_MEDIA_TYPE);
      res.setHeader("Content-Disposition", `attachment; filename="${m.messageId}.asic.cms"`);
      res.setHeader("Cache-Control", "no-store");
      if (payloadSize != null) res.setHeader("Content-Length", String(payloadSize));
      if (payloadSize != null && payloadSize <= DOWNLOAD_IN_ONE_PIECE_BYTES) {
        // A small package is read with one call and sent with one write: no read stream, no pipeline.
        res.end(await deps.blobs.read(payloadKey));
        return;
      }
      // sendStream closes the file when the client goes away mid-download.
      const pieces = payloadSize != null ? { chunkBytes: DOWNLOAD_IN_ONE_PIECE_BYTES } : {};
      await sendStream(deps.blobs.open(payloadKey, pieces), res).catch((err: unknown) => {
        if (!res.headersSent) throw err;
        res.destroy();
      });
    },

    async markRead(req, res, id, caller) {
      // The confirmation is the look-up: one conditional update when the message is the caller's and unread.
      const read = UUID.test(id) ? await deps.inbox.markRead(readScopeOf(caller), id) : null;
      if (read === null) throw new MessageNotFoundError(id);
      sendJson(req, res, 200, { id: read, read: true });
    },
  };
}
