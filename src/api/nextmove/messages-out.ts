import express, { Router, type Request, type RequestHandler, type Response } from "express";
import { jacksonPrettyJson, SbdUnreadableError, serialiseSbd, type StandardBusinessDocument } from "../../sbd/index.js";
import type { BlobStore } from "../../store/blob-store.js";
import { all, equals, oneOf, type Condition } from "../../store/sql-condition.js";
import { nextMoveCallerOf } from "./caller.js";
import { ContentDispositionInvalidError, parseContentDisposition } from "./content-disposition.js";
import { readMultipartMessage, type MultipartMessageLimits } from "./multipart-message.js";
import type { NextMoveOutQueue } from "./out-queue.js";
import { single } from "./query-params.js";
import { requestIdOf } from "../request-log.js";
import { pageableOf, springPage } from "./spring-page.js";

/**
 * /api/messages/out as the integrasjonspunkt's NextMoveMessageOutController answers it (spec/eformidling.md
 * §1.1): JSON bodies are the SBD with its defaults, in the integrasjonspunkt's field order; PUT streams one file
 * to the blob store; the multipart form creates and sends in one request. Mount under /api, behind the NextMove
 * authentication middleware.
 */

export interface MessagesOutDeps {
  queue: NextMoveOutQueue;
  blobs: BlobStore;
  multipart: MultipartMessageLimits;
}

/** The integrasjonspunkt's Querydsl bindings on NextMoveOutMessage that map onto the conversation. */
function outQueueWhere(q: Request["query"]): Condition {
  const eq = (name: string) => single(q, name);
  const where: Condition[] = [];
  const messageId = eq("messageId");
  const conversationId = eq("conversationId");
  const process = eq("processIdentifier");
  const sender = eq("senderIdentifier");
  const receiver = eq("receiverIdentifier");
  const service = eq("serviceIdentifier");
  if (messageId !== undefined) where.push(equals("messageId", messageId.toLowerCase()));
  if (conversationId !== undefined) where.push(equals("conversationId", conversationId));
  if (process !== undefined) where.push(equals("process", process));
  if (sender !== undefined) where.push(oneOf("senderIdentifier", [sender, `0192:${sender}`]));
  if (receiver !== undefined) where.push(oneOf("receiverIdentifier", [receiver, `0192:${receiver}`]));
  if (service !== undefined) where.push(equals("channel", service));
  return all(...where);
}

/** The SBD body of POST /api/messages/out; JSON that cannot be read is the integrasjonspunkt's HttpMessageNotReadable. */
function sbdBody(limit: number): RequestHandler {
  const parse = express.json({ limit, type: () => true, strict: false });
  return (req, res, next) => parse(req, res, (err?: unknown) => next(err ? new SbdUnreadableError([{ path: "", message: `JSON parse error: ${(err as Error).message}` }]) : undefined));
}

function sendSbd(res: Response, sbd: StandardBusinessDocument | string): void {
  res.type("application/json").send(typeof sbd === "string" ? sbd : serialiseSbd(sbd));
}

export function messagesOutRouter(deps: MessagesOutDeps): Router {
  const r = Router();
  const { queue } = deps;

  // The literal path first, as Spring prefers it to /messages/out/{messageId}.
  r.post("/messages/out/multipart", async (req, res) => {
    const caller = nextMoveCallerOf(res);
    const form = await readMultipartMessage(req, deps.blobs, deps.multipart);
    let body: unknown;
    try {
      body = JSON.parse(form.sbd);
    } catch {
      body = form.sbd; // parseSbd refuses it with the integrasjonspunkt's unreadable-message error
    }
    const files = form.files.map((f) => ({ filename: f.filename, title: f.title, contentType: f.contentType, content: { stored: f.blob } }));
    sendSbd(res, await queue.createAndSend(caller, body, files, requestIdOf(res)));
  });

  r.post("/messages/out", sbdBody(deps.multipart.sbdBytes), async (req, res) => {
    sendSbd(res, await queue.create(nextMoveCallerOf(res), req.body, requestIdOf(res)));
  });

  r.get("/messages/out", async (req, res) => {
    const p = pageableOf(req.query, { sort: [] }, [] as const);
    const page = await queue.list(nextMoveCallerOf(res), outQueueWhere(req.query), { skip: p.page * p.size, take: p.size });
    const content = page.rows.map((c) => JSON.parse(c.nextMove.sbd) as unknown);
    res.type("application/json").send(jacksonPrettyJson(springPage(content, page.total, { ...p, sorted: false })));
  });

  r.get("/messages/out/:messageId", async (req, res) => {
    sendSbd(res, (await queue.get(nextMoveCallerOf(res), req.params.messageId)).nextMove.sbd);
  });

  r.delete("/messages/out/:messageId", async (req, res) => {
    await queue.delete(nextMoveCallerOf(res), req.params.messageId);
    res.status(200).end();
  });

  r.put("/messages/out/:messageId", async (req, res) => {
    const caller = nextMoveCallerOf(res);
    let disposition;
    try {
      disposition = parseContentDisposition(req.get("content-disposition"));
      if (disposition.filename === undefined) throw new ContentDispositionInvalidError("Content-Disposition must name the file (filename=...)");
    } catch (err) {
      req.resume();
      throw err;
    }
    const title = single(req.query, "title") ?? disposition.name;
    const length = req.get("content-length");
    const declaredSize = length !== undefined && /^\d{1,15}$/.test(length) ? Number(length) : undefined;
    await queue.addFile(caller, req.params.messageId, { filename: disposition.filename, title, contentType: req.get("content-type"), declaredSize, content: { stream: req } });
    res.status(200).end();
  });

  r.post("/messages/out/:messageId", async (req, res) => {
    await queue.send(nextMoveCallerOf(res), req.params.messageId, requestIdOf(res));
    res.status(200).end();
  });

  return r;
}
