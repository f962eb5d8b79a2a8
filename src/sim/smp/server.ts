/**
 * An honest local SMP (busdox SMP 1.x REST) on node:http:
 *   GET {base}/{pct(participant)}                         → ServiceGroup (unsigned)
 *   GET {base}/{pct(participant)}/services/{pct(doctype)} → SignedServiceMetadata (signed per request)
 * and, for its users, phoss-SMP's management API (PUT/DELETE of the same paths, management.ts).
 * Path segments are percent-decoded one by one, so an encoded `/` stays inside its identifier. Participant
 * identifiers match case-insensitively (Peppol policy for iso6523-actorid-upis); document type values match
 * exactly. Unknown participants and document types get 404.
 */
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import { parseDocumentTypeId, parseParticipantId } from "../../peppol/identifiers.js";
import type { ParticipantId } from "../../peppol/identifiers.js";
import { parseSmpIdentifier } from "../../peppol/smp-xml.js";
import type { SmpIdentifier } from "../../peppol/smp-xml.js";
import { serviceGroupXml, serviceMetadataXml } from "./documents.js";
import { checkRegistrations, identifierOf } from "./registrations.js";
import type { SmpSimEntry, SmpSimRegistrations } from "./registrations.js";
import { signServiceMetadata } from "./signing.js";
import type { SmpSigner, SmpSigningOptions } from "./signing.js";
import { listen } from "../listen.js";
import { handleManagement } from "./management.js";
import type { ManagedRegistry, SmpSimSml } from "./management.js";
import type { DocumentTypeId } from "../../peppol/identifiers.js";

export interface SmpSimOptions {
  /** 0 or absent: an ephemeral port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Key and certificate that sign every SignedServiceMetadata. */
  signer: SmpSigner;
  registrations?: SmpSimRegistrations;
  /** Path prefix of the REST API, e.g. "/smp" (default none). */
  basePath?: string;
  /** Base URL written into ServiceGroup hrefs; default the listening URL + basePath. */
  publicUrl?: string;
  signing?: SmpSigningOptions;
  /** Users of the management API (HTTP Basic): name → password. None: every management call is refused (403). */
  users?: Readonly<Record<string, string>>;
  /** The SML that creating and deleting a service group registers the participant in, and removes it from. */
  sml?: SmpSimSml;
}

export interface SmpSimStats {
  serviceGroupRequests: number;
  serviceMetadataRequests: number;
  /** Requests answered 404 (unknown participant or document type, unknown path). */
  notFound: number;
  /** PUT and DELETE calls of the management API, whatever their answer. */
  managementRequests: number;
}

/** Negative tests only: answers a management call with this status (and does nothing) when it returns one. */
export type SmpSimFault = (call: { method: "PUT" | "DELETE"; participant: string; documentType?: string }) => number | undefined;

export interface SmpSim {
  /** Base URL of the SMP REST API (listening URL + basePath, no trailing slash): what SML would return. */
  readonly url: string;
  /** Adds entries for a participant (`scheme::value`), after any it already has. */
  register(participant: string, entries: SmpSimEntry | readonly SmpSimEntry[]): void;
  /** Removes a participant, or only its entries for one document type. True when something was removed. */
  unregister(participant: string, documentType?: string): boolean;
  /** Negative tests only: refuse management calls the fault picks (undefined: none). */
  setFault(fault: SmpSimFault | undefined): void;
  stats(): SmpSimStats;
  resetStats(): void;
  close(): Promise<void>;
}

interface Registered {
  participant: ParticipantId;
  /** The SMP user who created the group through the management API; in-process registrations have none. */
  owner: string | undefined;
  entries: SmpSimEntry[];
}

const MAX_MANAGEMENT_BODY = 1024 * 1024;

export async function startSmpSim(options: SmpSimOptions): Promise<SmpSim> {
  const basePath = (options.basePath ?? "").replace(/\/+$/, "");
  if (basePath !== "" && !basePath.startsWith("/")) throw new Error("basePath must start with /");
  const registry = new Map<string, Registered>();
  const stats: SmpSimStats = { serviceGroupRequests: 0, serviceMetadataRequests: 0, notFound: 0, managementRequests: 0 };
  let fault: SmpSimFault | undefined;
  let publicUrl = "";

  const register = (participant: string, entries: SmpSimEntry | readonly SmpSimEntry[]) => {
    const list = Array.isArray(entries) ? [...(entries as readonly SmpSimEntry[])] : [entries as SmpSimEntry];
    checkRegistrations({ [participant]: list });
    const id = parseParticipantId(participant);
    const key = participantKey(id);
    const existing = registry.get(key);
    if (existing) existing.entries.push(...list);
    else registry.set(key, { participant: id, owner: undefined, entries: list });
  };
  const managed: ManagedRegistry = {
    get: (p) => registry.get(participantKey(p)),
    create: (p, owner) => void registry.set(participantKey(p), { participant: p, owner, entries: [] }),
    delete: (p) => void registry.delete(participantKey(p)),
    setDocumentType(p, documentType, entries) {
      const r = registry.get(participantKey(p))!;
      r.entries = [...r.entries.filter((e) => !sameDocumentType(e.documentType, documentType)), ...entries];
    },
    deleteDocumentType(p, documentType) {
      const r = registry.get(participantKey(p))!;
      const before = r.entries.length;
      r.entries = r.entries.filter((e) => !sameDocumentType(e.documentType, documentType));
      return r.entries.length !== before;
    },
  };
  for (const [participant, entries] of Object.entries(options.registrations ?? {})) register(participant, entries);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? "GET";
    if (!["GET", "PUT", "DELETE"].includes(method)) return send(res, 405, "text/plain", "only GET, PUT and DELETE", { allow: "GET, PUT, DELETE" });
    const [rawPath = "/", rawQuery = ""] = (req.url ?? "/").split("?");
    if (!rawPath.startsWith(`${basePath}/`)) return notFound(res, "unknown path");
    let segments: string[];
    try {
      segments = rawPath.slice(basePath.length + 1).split("/").map((s) => decodeURIComponent(s));
    } catch {
      return send(res, 400, "text/plain", "bad percent-encoding");
    }
    const participant = segments[0] ? parseSmpIdentifier(segments[0]) : undefined;
    const isGroup = segments.length === 1;
    const isMetadata = segments.length === 3 && segments[1] === "services";
    if ((method === "PUT" || method === "DELETE") && segments[0] && (isGroup || isMetadata)) {
      stats.managementRequests++;
      const body = await readBody(req, MAX_MANAGEMENT_BODY);
      if (body === undefined) return send(res, 413, "text/plain", "payload too large");
      const refused = fault?.({ method, participant: segments[0]!, ...(isMetadata ? { documentType: segments[2]! } : {}) });
      if (refused !== undefined) return send(res, refused, "text/plain", "refused by the simulator's fault");
      const answer = await handleManagement(
        { method, segments, query: new URLSearchParams(rawQuery), authorization: req.headers.authorization, body },
        { users: options.users ?? {}, registry: managed, sml: options.sml },
      );
      return send(res, answer.status, "text/plain; charset=UTF-8", answer.text);
    }
    if (!participant || !(isGroup || isMetadata)) return notFound(res, "unknown path");
    if (isGroup) stats.serviceGroupRequests++;
    else stats.serviceMetadataRequests++;

    const registered = registry.get(participantKey(participant));
    if (!registered) return notFound(res, "participant not registered");
    if (isGroup) {
      const docTypes = uniqueDocumentTypes(registered.entries).map(parseDocumentTypeId);
      return send(res, 200, "text/xml; charset=UTF-8", serviceGroupXml(registered.participant, docTypes, publicUrl));
    }
    const documentType = parseSmpIdentifier(segments[2]!);
    const entries = documentType ? registered.entries.filter((e) => sameDocumentType(e.documentType, documentType)) : [];
    if (entries.length === 0) return notFound(res, "document type not registered");
    const xml = signServiceMetadata(serviceMetadataXml(registered.participant, entries), options.signer, options.signing);
    send(res, 200, "text/xml; charset=UTF-8", xml);
  };

  const notFound = (res: ServerResponse, why: string) => {
    stats.notFound++;
    send(res, 404, "text/plain", why);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, "text/plain", String(error));
      else res.destroy();
    });
  });
  const address = await listen(server, options.port ?? 0, options.host ?? "127.0.0.1");
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}${basePath}`;
  publicUrl = (options.publicUrl ?? url).replace(/\/+$/, "");

  return {
    url,
    register,
    unregister(participant, documentType) {
      const key = participantKey(parseParticipantId(participant));
      const registered = registry.get(key);
      if (!registered) return false;
      if (documentType === undefined) return registry.delete(key);
      const wanted = identifierOf(documentType, "documentType");
      const before = registered.entries.length;
      registered.entries = registered.entries.filter((e) => !sameDocumentType(e.documentType, wanted));
      if (registered.entries.length === 0) registry.delete(key);
      return registered.entries.length !== before;
    },
    setFault(f) {
      fault = f;
    },
    stats: () => ({ ...stats }),
    resetStats() {
      stats.serviceGroupRequests = 0;
      stats.serviceMetadataRequests = 0;
      stats.notFound = 0;
      stats.managementRequests = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function participantKey(id: SmpIdentifier): string {
  return `${id.scheme.toLowerCase()}::${id.value.toLowerCase()}`;
}

/** A request body up to `max` bytes; undefined when it is longer. */
async function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Schemes compare case-insensitively, document type values exactly. */
function sameDocumentType(registered: string, requested: SmpIdentifier | DocumentTypeId): boolean {
  const id = parseSmpIdentifier(registered);
  return id !== undefined && id.scheme.toLowerCase() === requested.scheme.toLowerCase() && id.value === requested.value;
}

function uniqueDocumentTypes(entries: readonly SmpSimEntry[]): string[] {
  return [...new Set(entries.map((e) => e.documentType))];
}

function send(res: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(body), ...headers });
  res.end(body);
}

