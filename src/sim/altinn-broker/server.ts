/**
 * An honest local Altinn 3 broker (formidling, API v1) on node:http, the part an integrasjonspunkt uses for DPO
 * (spec/eformidling.md §3):
 *   POST {base}/filetransfer                              initialise (JSON) → {fileTransferId}
 *   POST {base}/filetransfer/{id}/upload                  the file as application/octet-stream → overview
 *   GET  {base}/filetransfer?resourceId&status&recipientStatus&from&to   ids (the 100 newest)
 *   GET  {base}/filetransfer/{id}                         overview; {id}/details: with status histories
 *   GET  {base}/filetransfer/{id}/download                the file (recipients only)
 *   POST {base}/filetransfer/{id}/confirmdownload         the recipient's confirmation
 * with base `/broker/api/v1`, every call needing an Altinn token (altinn:broker.write to send,
 * altinn:broker.read or .write to read), refusals as problem+json. The Altinn tokens come from Altinn's
 * authentication (the Altinn token simulator, src/sim/altinn-token/), verified against its keys (caller.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { systemClock, type Clock } from "../../clock.js";
import { altinnCallerVerifier, type AltinnCaller } from "./caller.js";
import { BrokerSimError, BrokerState, type BrokerResource, type FileTransfer, type InitialiseRequest } from "./state.js";

export const BROKER_BASE_PATH = "/broker/api/v1";
export const BROKER_WRITE_SCOPE = "altinn:broker.write";
export const BROKER_READ_SCOPE = "altinn:broker.read";

export interface AltinnBrokerSimOptions {
  port?: number;
  host?: string;
  /** Altinn's authentication, whose tokens the broker accepts (the Altinn token simulator's issuer and jwksUrl). */
  altinn: { issuer: string; jwksUrl: string | URL };
  resources: readonly BrokerResource[];
  clock?: Clock;
}

export type HeldAction = "download" | "confirmdownload";

export interface AltinnBrokerSim {
  /** Base URL of the broker API, `http://host:port/broker/api/v1` (the IP's difi.move.dpo.brokerserviceUrl). */
  readonly url: string;
  readonly state: BrokerState;
  /** While false, every request answers 503 (the broker is down). */
  setAvailable(available: boolean): void;
  /**
   * Fault injection for crash tests: the next `download` or `confirmdownload` is held and never answered or
   * applied (a download sends half its bytes first), as if the caller died mid-request. Resolves with the file
   * transfer's id once that request has arrived.
   */
  holdNext(action: HeldAction): Promise<string>;
  close(): Promise<void>;
}

export async function startAltinnBrokerSim(o: AltinnBrokerSimOptions): Promise<AltinnBrokerSim> {
  const clock = o.clock ?? systemClock;
  const state = new BrokerState(clock, o.resources);
  const verify = altinnCallerVerifier(o.altinn, clock);
  let available = true;
  const holds = new Map<HeldAction, (id: string) => void>();
  /** Takes the hold set for `action`, if any, and tells its waiter that the request for `id` arrived. */
  const held = (action: HeldAction, id: string): boolean => {
    const arrived = holds.get(action);
    if (!arrived) return false;
    holds.delete(action);
    arrived(id);
    return true;
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (err instanceof BrokerSimError) problem(res, err.status, err.title, err.detail);
      else problem(res, 500, "Internal Server Error", err instanceof Error ? err.message : String(err));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!available) {
      req.resume();
      return problem(res, 503, "Service Unavailable", "the broker is down");
    }
    const url = new URL(req.url ?? "/", "http://sim");
    if (!url.pathname.startsWith(`${BROKER_BASE_PATH}/filetransfer`)) return problem(res, 404, "Not Found", `no route ${url.pathname}`);
    const parts = url.pathname.slice(BROKER_BASE_PATH.length + 1).split("/");
    const auth = await verify(req.headers.authorization);
    if (!auth.ok) {
      req.resume();
      return problem(res, 401, "Unauthorized", auth.detail);
    }
    const caller = auth.caller;
    // The broker's resources are used through the organisation's Altinn system user (spec/eformidling.md §3).
    if (caller.systemUserOrg !== caller.org) {
      req.resume();
      return problem(res, 403, "Forbidden", `the token acts as no system user of ${caller.org}`);
    }
    const [, id, action] = parts;
    if (req.method === "POST" && parts.length === 1) {
      need(caller, BROKER_WRITE_SCOPE);
      const body = await readJson(req);
      const t = state.initialise(caller.org, body as InitialiseRequest);
      return json(res, 200, { fileTransferId: t.fileTransferId });
    }
    if (req.method === "GET" && parts.length === 1) {
      needRead(caller);
      const q = url.searchParams;
      const ids = state.list(caller.org, {
        resourceId: q.get("resourceId") ?? undefined,
        status: q.get("status") ?? undefined,
        recipientStatus: q.get("recipientStatus") ?? undefined,
        from: date(q.get("from")),
        to: date(q.get("to")),
      });
      return json(res, 200, ids);
    }
    if (!id) return problem(res, 404, "Not Found", "no such route");
    if (req.method === "POST" && action === "upload" && parts.length === 3) {
      need(caller, BROKER_WRITE_SCOPE);
      const { transfer, maxBytes } = state.startUpload(caller.org, id);
      const declared = Number(req.headers["content-length"]);
      if (Number.isFinite(declared) && declared > maxBytes) {
        state.failUpload(transfer);
        req.resume();
        throw new BrokerSimError(400, "File size exceeds maximum", `the file is ${declared} bytes; the resource allows ${maxBytes}`);
      }
      let bytes: Uint8Array;
      try {
        bytes = await readBody(req, maxBytes);
      } catch (e) {
        state.failUpload(transfer);
        throw e;
      }
      if (bytes.length === 0) {
        state.failUpload(transfer);
        throw new BrokerSimError(400, "Validation error", "the file is empty");
      }
      state.finishUpload(transfer, bytes);
      return json(res, 200, overview(transfer));
    }
    if (req.method === "GET" && parts.length === 2) {
      needRead(caller);
      return json(res, 200, overview(state.visible(caller.org, id)));
    }
    if (req.method === "GET" && action === "details" && parts.length === 3) {
      needRead(caller);
      return json(res, 200, details(state.visible(caller.org, id)));
    }
    if (req.method === "GET" && action === "download" && parts.length === 3) {
      needRead(caller);
      const bytes = state.download(caller.org, id);
      if (held("download", id)) {
        res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(bytes.length) });
        res.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
        return;
      }
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(bytes.length) }).end(bytes);
      return;
    }
    if (req.method === "POST" && action === "confirmdownload" && parts.length === 3) {
      needRead(caller);
      req.resume();
      if (held("confirmdownload", id)) return;
      state.confirm(caller.org, id);
      res.writeHead(200).end();
      return;
    }
    return problem(res, 404, "Not Found", "no such route");
  }

  await new Promise<void>((resolve) => server.listen(o.port ?? 0, o.host ?? "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://${o.host ?? "127.0.0.1"}:${port}`;
  return {
    url: `${origin}${BROKER_BASE_PATH}`,
    state,
    setAvailable(a) {
      available = a;
    },
    holdNext: (action) => new Promise<string>((resolve) => holds.set(action, resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function need(caller: AltinnCaller, scope: string): void {
  if (!caller.scopes.includes(scope)) throw new BrokerSimError(403, "Forbidden", `the token lacks the scope ${scope}`);
}

function needRead(caller: AltinnCaller): void {
  if (!caller.scopes.includes(BROKER_READ_SCOPE) && !caller.scopes.includes(BROKER_WRITE_SCOPE)) throw new BrokerSimError(403, "Forbidden", `the token lacks the scope ${BROKER_READ_SCOPE}`);
}

function overview(t: FileTransfer) {
  return {
    fileTransferId: t.fileTransferId,
    resourceId: t.resourceId,
    fileName: t.fileName,
    sendersFileTransferReference: t.sendersFileTransferReference,
    checksum: t.checksum ?? null,
    useVirusScan: false,
    fileTransferSize: t.bytes?.length ?? 0,
    fileTransferStatus: t.status,
    fileTransferStatusText: t.status,
    fileTransferStatusChanged: t.statusChanged.toISOString(),
    created: t.created.toISOString(),
    expirationTime: t.expirationTime.toISOString(),
    sender: t.sender,
    recipients: t.recipients.map((r) => ({
      recipient: r.recipient,
      currentRecipientFileTransferStatusCode: r.status,
      currentRecipientFileTransferStatusText: r.status,
      currentRecipientFileTransferStatusChanged: r.changed.toISOString(),
    })),
    propertyList: t.propertyList,
  };
}

function details(t: FileTransfer) {
  return {
    ...overview(t),
    fileTransferStatusHistory: t.history.map((h) => ({ fileTransferStatusCode: h.status, fileTransferStatusText: h.status, fileTransferStatusChanged: h.at.toISOString() })),
    recipientFileTransferStatusHistory: t.recipients.flatMap((r) =>
      r.history.map((h) => ({ recipient: r.recipient, recipientFileTransferStatusCode: h.status, recipientFileTransferStatusText: h.status, recipientFileTransferStatusChanged: h.at.toISOString() })),
    ),
  };
}

function date(v: string | null): Date | undefined {
  if (v === null) return undefined;
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new BrokerSimError(400, "Validation error", `${v} is not a date-time`);
  return d;
}

async function readBody(req: IncomingMessage, maxBytes: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Past the limit the rest is read and dropped, so that the sender gets the answer rather than a reset.
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= maxBytes) chunks.push(chunk);
  }
  if (size > maxBytes) throw new BrokerSimError(400, "File size exceeds maximum", `the file exceeds the resource's maximum of ${maxBytes} bytes`);
  return Buffer.concat(chunks);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const bytes = await readBody(req, 1024 * 1024);
  try {
    const v: unknown = JSON.parse(Buffer.from(bytes).toString("utf8"));
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("not an object");
    return v;
  } catch {
    throw new BrokerSimError(400, "Validation error", "the body must be a JSON object");
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify(body));
}

function problem(res: ServerResponse, status: number, title: string, detail: string): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { "content-type": "application/problem+json; charset=utf-8", connection: "close" }).end(JSON.stringify({ type: `https://httpstatuses.io/${status}`, title, status, detail }));
}
