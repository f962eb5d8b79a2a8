import type { RevocationAnswer } from "./generated/client.js";
import type { Db } from "./prisma.js";
import { isDriverUniqueViolation, sqlOf, type SqlStore } from "./sql.js";

/**
 * The OCSP responses and CRLs that certificates were found not revoked by (RevocationAnswer), each stored once by
 * the SHA-256 of its bytes, and the record of which message relied on which. That record is a JSON column of a row
 * the message writes anyway (DpiMessage.revocation, As4Exchange.revocation), so relying on answers costs a message
 * no statement of its own; an answer is stored when it is first relied on, before any message names it.
 */

/** What is stored of an answer (src/pki/revocation-evidence.ts's RevocationEvidence has this shape). */
export interface AnswerToKeep {
  kind: "ocsp" | "crl";
  der: Uint8Array;
  sha256: string;
  url: string;
  fetchedAt: Date;
  thisUpdate: Date;
  nextUpdate: Date | undefined;
  issuer: { raw: Uint8Array; subject: string };
  serial?: string;
  crlNumber?: string;
}

/**
 * Whose certificate an answer was relied on for: the signer of the forretningsmelding (its x5c path), or the other
 * access point (the receiver's certificate from the SMP for OUT, the sender's for IN).
 */
export type RevocationRole = "forretningsmelding" | "as4-peer";

/** One reliance on an answer, as stored with the message. */
export interface RevocationUseRecord {
  sha256: string;
  role: RevocationRole;
  /** The certificate: serial number (hex), subject (one line), whether it is a CA. */
  serial: string;
  subject: string;
  ca: boolean;
  /** ISO time the certificate was checked at. */
  checkedAt: string;
}

/** The records of `uses` (src/pki/revocation-evidence.ts's RevocationEvidenceUse has this shape) for `role`. */
export function revocationRecords(
  uses: readonly { answer: { sha256: string }; serial: string; subject: string; ca: boolean; checkedAt: Date }[] | undefined,
  role: RevocationRole,
): RevocationUseRecord[] {
  return (uses ?? []).map((u) => ({ sha256: u.answer.sha256, role, serial: u.serial, subject: u.subject, ca: u.ca, checkedAt: u.checkedAt.toISOString() }));
}

/** The column's value: null when nothing was relied on. */
export function encodeRevocation(records: readonly RevocationUseRecord[] | undefined): string | null {
  return records && records.length > 0 ? JSON.stringify(records) : null;
}

/** The records in a column (none for null, or for a value this version cannot read). */
export function decodeRevocation(column: string | null | undefined): RevocationUseRecord[] {
  if (!column) return [];
  try {
    const v = JSON.parse(column) as unknown;
    return Array.isArray(v) ? v.filter(isRecord) : [];
  } catch {
    return [];
  }
}

function isRecord(v: unknown): v is RevocationUseRecord {
  const r = v as Partial<RevocationUseRecord> | null;
  return (
    typeof r === "object" &&
    r !== null &&
    typeof r.sha256 === "string" &&
    (r.role === "forretningsmelding" || r.role === "as4-peer") &&
    typeof r.serial === "string" &&
    typeof r.subject === "string" &&
    typeof r.ca === "boolean" &&
    typeof r.checkedAt === "string"
  );
}

/** Answers are stored and read as certificates are checked, per message: SQL of our own (sql.ts). */
export class RevocationAnswersRepo {
  private readonly sql: SqlStore;

  constructor(db: Db) {
    this.sql = sqlOf(db);
  }

  /** Stores the answer unless it is stored already (by this process or another sharing the database). */
  async keep(a: AnswerToKeep): Promise<void> {
    try {
      await this.sql.execute(
        `INSERT INTO "RevocationAnswer" ("sha256", "kind", "der", "url", "fetchedAt", "thisUpdate", "nextUpdate", "issuerCertificate", "issuerName", "serial", "crlNumber")
          VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        a.sha256,
        a.kind,
        a.der,
        a.url,
        a.fetchedAt,
        a.thisUpdate,
        a.nextUpdate ?? null,
        a.issuer.raw,
        a.issuer.subject.replace(/\n/g, ", "),
        a.serial ?? null,
        a.crlNumber ?? null,
      );
    } catch (err) {
      if (!isDriverUniqueViolation(err)) throw err;
    }
  }

  /** The stored answers among `sha256s`, in the order asked (missing ones left out). */
  async find(sha256s: readonly string[]): Promise<RevocationAnswer[]> {
    const wanted = [...new Set(sha256s)];
    if (wanted.length === 0) return [];
    const params: unknown[] = [];
    const rows = await this.sql.query<RevocationAnswer>(`SELECT * FROM "RevocationAnswer" WHERE "sha256" IN (${wanted.map((s) => `$${params.push(s)}`).join(", ")})`, ...params);
    const bySha = new Map(rows.map((r) => [r.sha256, r]));
    return wanted.flatMap((s) => bySha.get(s) ?? []);
  }
}
