import { createHash, X509Certificate } from "node:crypto";
import { decodeProtectedHeader } from "jose";
import { writeZip } from "../dpi/zip.js";
import type { Direction } from "../store/conversations-repo.js";
import type { As4Exchange, Conversation, ConversationStatus, DpiMessage, RoutingRecord } from "../store/generated/client.js";
import { normaliseMessageId } from "../store/message-id.js";
import type { Db } from "../store/prisma.js";
import { decodeRevocation, RevocationAnswersRepo, type RevocationRole } from "../store/revocation-answers-repo.js";
import { keysWhere } from "../store/nextmove-rows.js";
import { sqlOf, type Sql } from "../store/sql.js";

/**
 * The evidence bundle of one conversation: a zip that `dpi-ap evidence verify` checks offline. It holds what this
 * access point kept that someone else signed or that proves what was signed:
 *
 *   manifest.json                 what the bundle is, each file with its SHA-256, and what is not in it
 *   forretningsmelding.jws        the signed forretningsmelding (DPI)
 *   receipts/<messageId>.jws      the signed DPI receipts of the conversation (leverings-, åpnings-, feil-, …)
 *   as4/<as4MessageId>.receipt.xml the signed AS4 receipt we got for the UserMessage we sent (or gave, incoming)
 *   as4/signed-references.json    the digests we signed in each attempt to send it (what the receipt must confirm)
 *   certificates/*.pem            the signers' certificates as the signed documents carry them
 *   revocation/<sha256>.ocsp.der  the OCSP responses and CRLs (.crl.der) the certificates were found not revoked by,
 *                                 as received, with the certificates of the CAs they are from (certificates/ca-*.pem)
 *   routing/<sha256>.xml|.jws|.json the SMP or Service Registry record the send attempts were routed by, as fetched
 *
 * The UserMessage envelopes themselves are not stored (only the references signed in them): the manifest says
 * so, and the verifier's report repeats it.
 */

export const EVIDENCE_FORMAT = "dpi-ap-evidence/1";

export type EvidenceFileKind = "forretningsmelding" | "receipt-message" | "as4-receipt" | "signed-references" | "certificate" | RevocationFileKind | "routing-record";

export interface EvidenceFile {
  path: string;
  kind: EvidenceFileKind;
  sha256: string;
  size: number;
  /** When it was made or recorded here (status or exchange time). */
  at: string;
  /** as4-receipt: the AS4 MessageId of the UserMessage it answers, and whether we got it (OUT) or gave it (IN). */
  answers?: { as4MessageId: string; direction: "OUT" | "IN" };
  /** receipt-message: the receipt's own message id and document type. */
  messageId?: string;
  documentType?: string;
  /** ocsp-response, crl: where it came from and which certificates it was relied on for. */
  revocation?: RevocationFileMeta;
  /** routing-record: what kind of record, where it was fetched and its media type (`at` is when). */
  routing?: { kind: string; sourceUrl: string; mediaType: string };
}

export interface EvidenceManifest {
  format: typeof EVIDENCE_FORMAT;
  createdAt: string;
  createdBy: string;
  conversation: {
    direction: Direction;
    messageId: string;
    conversationId: string;
    channel: string;
    documentType: string;
    sender: string;
    receiver: string;
    createdAt: string;
    status: string;
    statuses: { status: string; at: string; description: string | null }[];
  };
  files: EvidenceFile[];
  notIncluded: string[];
}

export interface EvidenceBundle {
  fileName: string;
  bytes: Uint8Array;
  manifest: EvidenceManifest;
}

const NOT_INCLUDED = ["the AS4 UserMessage envelopes themselves: only the references (digests) signed in each attempt are stored"];

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const utf8 = (s: string) => new Uint8Array(Buffer.from(s, "utf8"));
/** A file name made of an id: anything but letters, digits, '.', '_', '-' and '@' becomes '_'. */
const safe = (id: string) => id.replace(/[^A-Za-z0-9._@-]/g, "_").slice(0, 120);

/** The bundle of one conversation; null when there is no such conversation. */
export async function buildEvidenceBundle(db: Db, direction: Direction, messageId: string, by: { user: string; now: Date }): Promise<EvidenceBundle | null> {
  const id = normaliseMessageId(messageId);
  const sql = sqlOf(db);
  const [conversation] = await sql.query<Conversation>(`SELECT * FROM "Conversation" WHERE "direction" = $1 AND "messageId" = $2`, direction, id);
  if (!conversation) return null;
  const [statuses, [withDpi], exchanges, receipts] = await Promise.all([
    sql.query<ConversationStatus>(`SELECT * FROM "ConversationStatus" WHERE "direction" = $1 AND "messageId" = $2 ORDER BY "id"`, direction, id),
    withDpiRows(sql, [conversation]),
    sql.query<As4Exchange>(`SELECT * FROM "As4Exchange" WHERE "messageId" = $1 AND "receipt" IS NOT NULL ORDER BY "createdAt", "as4MessageId"`, id),
    // The DPI receipts of an outgoing letter are incoming messages of its conversation.
    conversation.channel === "DPI" && direction === "OUT"
      ? sql
          .query<Conversation>(`SELECT * FROM "Conversation" WHERE "conversationId" = $1 AND "direction" = 'IN' AND "channel" = 'DPI' ORDER BY "createdAt", "messageId"`, conversation.conversationId)
          .then((rows) => withDpiRows(sql, rows))
      : Promise.resolve([]),
  ]);
  const c = { ...withDpi!, statuses };

  const entries: { name: string; data: Uint8Array }[] = [];
  const files: EvidenceFile[] = [];
  const certificates = new Map<string, { cert: X509Certificate; name: string; at: Date }>();
  const add = (path: string, data: Uint8Array, meta: Omit<EvidenceFile, "path" | "sha256" | "size" | "at">, at: Date) => {
    entries.push({ name: path, data });
    files.push({ path, sha256: sha256(data), size: data.length, at: at.toISOString(), ...meta });
  };
  const keepCertificate = (cert: X509Certificate | undefined, name: string, at: Date) => {
    if (cert && !certificates.has(cert.fingerprint256)) certificates.set(cert.fingerprint256, { cert, name, at });
  };

  if (c.dpi) {
    add("forretningsmelding.jws", utf8(c.dpi.forretningsmelding), { kind: "forretningsmelding" }, c.createdAt);
    keepCertificate(jwsSigner(c.dpi.forretningsmelding), "forretningsmelding-signer", c.createdAt);
  }
  for (const r of receipts) {
    if (!r.dpi) continue;
    add(`receipts/${safe(r.messageId)}.jws`, utf8(r.dpi.forretningsmelding), { kind: "receipt-message", messageId: r.messageId, documentType: r.documentType }, r.createdAt);
    keepCertificate(jwsSigner(r.dpi.forretningsmelding), `receipt-signer-${safe(r.messageId)}`, r.createdAt);
  }
  for (const x of exchanges) {
    const receipt = new Uint8Array(x.receipt!);
    add(`as4/${safe(x.as4MessageId)}.receipt.xml`, receipt, { kind: "as4-receipt", answers: { as4MessageId: x.as4MessageId, direction: x.direction === "IN" ? "IN" : "OUT" } }, x.createdAt);
    keepCertificate(binarySecurityToken(receipt), `as4-receipt-signer-${safe(x.peerPartyId)}`, x.createdAt);
  }
  if (c.dpi?.signedReferences) add("as4/signed-references.json", utf8(c.dpi.signedReferences), { kind: "signed-references" }, c.updatedAt);
  for (const r of await routingRecordsOf(db, direction, id)) add(r.path, r.data, { kind: "routing-record", routing: r.routing }, r.fetchedAt);
  for (const { cert, name, at } of certificates.values()) add(`certificates/${name}.pem`, utf8(cert.toString()), { kind: "certificate" }, at);
  const revocation = await revocationEvidence(db, c, receipts, exchanges);
  for (const f of revocation.files) add(f.path, f.data, f.meta, f.at);

  const manifest: EvidenceManifest = {
    format: EVIDENCE_FORMAT,
    createdAt: by.now.toISOString(),
    createdBy: by.user,
    conversation: {
      direction,
      messageId: c.messageId,
      conversationId: c.conversationId,
      channel: c.channel,
      documentType: c.documentType,
      sender: c.senderIdentifier,
      receiver: c.receiverIdentifier,
      createdAt: c.createdAt.toISOString(),
      status: c.status,
      statuses: c.statuses.map((s) => ({ status: s.status, at: s.createdAt.toISOString(), description: s.description })),
    },
    files,
    notIncluded: [...NOT_INCLUDED, ...revocation.notIncluded],
  };
  const bytes = writeZip([{ name: "manifest.json", data: utf8(`${JSON.stringify(manifest, null, 2)}\n`) }, ...entries], { modified: by.now });
  return { fileName: `evidence-${safe(c.messageId)}.zip`, bytes, manifest };
}

/** The routing records the conversation's send attempts were routed by, each named by its SHA-256. */
async function routingRecordsOf(db: Db, direction: Direction, messageId: string) {
  const records = await sqlOf(db).query<RoutingRecord>(
    `SELECT * FROM "RoutingRecord" r WHERE EXISTS (SELECT 1 FROM "SendAttempt" a WHERE a."routingSha256" = r."sha256" AND a."direction" = $1 AND a."messageId" = $2)
      ORDER BY r."fetchedAt", r."sha256"`,
    direction,
    messageId,
  );
  const extension = (mediaType: string) => (mediaType === "application/xml" ? "xml" : mediaType === "application/jose" ? "jws" : "json");
  return records.map((r) => ({
    path: `routing/${r.sha256}.${extension(r.mediaType)}`,
    data: new Uint8Array(r.body),
    routing: { kind: r.kind, sourceUrl: r.sourceUrl, mediaType: r.mediaType },
    fetchedAt: r.fetchedAt,
  }));
}

/** The leaf of a compact JWS's x5c header; undefined when it has none that parses. */
function jwsSigner(jws: string): X509Certificate | undefined {
  try {
    const x5c = decodeProtectedHeader(jws).x5c;
    return Array.isArray(x5c) && typeof x5c[0] === "string" ? new X509Certificate(Buffer.from(x5c[0], "base64")) : undefined;
  } catch {
    return undefined;
  }
}

/** The certificate in an AS4 message's wsse:BinarySecurityToken (the signer's, in Peppol AS4); undefined without one. */
export function binarySecurityToken(xml: Uint8Array): X509Certificate | undefined {
  const m = /<(?:[A-Za-z0-9_-]+:)?BinarySecurityToken\b[^>]*>([A-Za-z0-9+/=\s]+)</.exec(Buffer.from(xml).toString("utf8"));
  if (!m) return undefined;
  try {
    return new X509Certificate(Buffer.from(m[1]!.replace(/\s+/g, ""), "base64"));
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Revocation answers: the OCSP responses and CRLs the conversation's certificates were found not revoked by.

export type RevocationFileKind = "ocsp-response" | "crl" | "issuer-certificate";

/** One certificate an answer was relied on for. */
export interface RevocationAnswerUse {
  /** The certificate's serial number (hex), subject (one line), and whether it is a CA. */
  serial: string;
  subject: string;
  ca: boolean;
  /** forretningsmelding: the signer's x5c path; as4-peer: the other access point's certificate. */
  role: RevocationRole;
  /** When the certificate was checked. */
  checkedAt: string;
  /** The bundle's file it was relied on for (the answer must cover that file's time), when it is in the bundle. */
  document?: string;
}

export interface RevocationFileMeta {
  url: string;
  fetchedAt: string;
  thisUpdate: string;
  nextUpdate: string | null;
  /** The CA the answer is from, and the bundle's file holding its certificate. */
  issuer: string;
  issuerCertificate: string;
  crlNumber?: string;
  answersFor: RevocationAnswerUse[];
}

interface RevocationFile {
  path: string;
  data: Uint8Array;
  meta: Omit<EvidenceFile, "path" | "sha256" | "size" | "at">;
  at: Date;
}

type WithDpi = Conversation & { dpi: DpiMessage | null };

/**
 * The stored answers the conversation's messages relied on (the letter or incoming message itself, the DPI
 * receipts of its conversation, and the receiving access point's certificate for each delivered attempt), each once,
 * with the certificate of the CA it is from; and a line for each document for which none is recorded.
 */
async function revocationEvidence(db: Db, c: WithDpi, receipts: readonly WithDpi[], exchanges: readonly As4Exchange[]): Promise<{ files: RevocationFile[]; notIncluded: string[] }> {
  const uses = new Map<string, RevocationAnswerUse[]>();
  const notIncluded: string[] = [];
  const relied = (column: string | null | undefined, documentOf: (role: RevocationRole) => string | undefined, roles: readonly RevocationRole[], what: string) => {
    const records = decodeRevocation(column);
    for (const role of roles) {
      if (!records.some((r) => r.role === role)) notIncluded.push(`revocation answers for ${what}${role === "as4-peer" ? " (the other access point's certificate)" : ""}: none recorded (a message stored before answers were kept, one this access point made itself, or one accepted in soft-fail mode without an answer)`);
    }
    for (const r of records) {
      const document = documentOf(r.role);
      const use: RevocationAnswerUse = { serial: r.serial, subject: r.subject, ca: r.ca, role: r.role, checkedAt: r.checkedAt, ...(document ? { document } : {}) };
      uses.set(r.sha256, [...(uses.get(r.sha256) ?? []), use]);
    }
  };
  const ourReceipt = exchanges.find((x) => x.direction === "IN");
  if (c.dpi) {
    // An incoming message: the sending access point's certificate was checked for the AS4 message we gave our receipt for.
    const roles: RevocationRole[] = c.direction === "IN" && ourReceipt ? ["forretningsmelding", "as4-peer"] : ["forretningsmelding"];
    relied(c.dpi.revocation, (role) => (role === "forretningsmelding" ? "forretningsmelding.jws" : ourReceipt && `as4/${safe(ourReceipt.as4MessageId)}.receipt.xml`), roles, "the forretningsmelding");
  }
  for (const r of receipts) {
    if (r.dpi) relied(r.dpi.revocation, () => `receipts/${safe(r.messageId)}.jws`, ["forretningsmelding"], `the receipt ${r.messageId}`);
  }
  for (const x of exchanges.filter((e) => e.direction === "OUT")) {
    relied(x.revocation, () => `as4/${safe(x.as4MessageId)}.receipt.xml`, ["as4-peer"], `the AS4 message ${x.as4MessageId}`);
  }

  const answers = await new RevocationAnswersRepo(db).find([...uses.keys()]);
  const found = new Set(answers.map((a) => a.sha256));
  for (const [sha256, u] of uses) {
    if (!found.has(sha256)) notIncluded.push(`the revocation answer ${sha256} relied on for ${u.map((x) => `"${x.subject}"`).join(", ")}: it is not in the store`);
  }
  const files: RevocationFile[] = [];
  const issuers = new Map<string, string>();
  for (const a of answers) {
    const issuer = new X509Certificate(Buffer.from(a.issuerCertificate));
    let issuerPath = issuers.get(issuer.fingerprint256);
    if (!issuerPath) {
      issuerPath = `certificates/ca-${issuer.fingerprint256.replace(/:/g, "").slice(0, 16).toLowerCase()}.pem`;
      issuers.set(issuer.fingerprint256, issuerPath);
      files.push({ path: issuerPath, data: utf8(issuer.toString()), meta: { kind: "issuer-certificate" }, at: a.fetchedAt });
    }
    const kind = a.kind === "ocsp" ? "ocsp-response" : "crl";
    files.push({
      path: `revocation/${a.sha256}.${a.kind === "ocsp" ? "ocsp" : "crl"}.der`,
      data: new Uint8Array(a.der),
      meta: {
        kind,
        revocation: {
          url: a.url,
          fetchedAt: a.fetchedAt.toISOString(),
          thisUpdate: a.thisUpdate.toISOString(),
          nextUpdate: a.nextUpdate?.toISOString() ?? null,
          issuer: a.issuerName,
          issuerCertificate: issuerPath,
          ...(a.crlNumber ? { crlNumber: a.crlNumber } : {}),
          answersFor: uses.get(a.sha256)!,
        },
      },
      at: a.fetchedAt,
    });
  }
  return { files, notIncluded };
}

/** The conversations, each with its DPI row or null (Prisma's `include: { dpi: true }`), in their order. */
async function withDpiRows(sql: Sql, rows: readonly Conversation[]): Promise<(Conversation & { dpi: DpiMessage | null })[]> {
  if (rows.length === 0) return [];
  const params: unknown[] = [];
  const dpi = await sql.query<DpiMessage>(`SELECT * FROM "DpiMessage" WHERE ${keysWhere(rows, params)}`, ...params);
  const byKey = new Map(dpi.map((d) => [`${d.direction} ${d.messageId}`, d]));
  return rows.map((r) => ({ ...r, dpi: byKey.get(`${r.direction} ${r.messageId}`) ?? null }));
}
