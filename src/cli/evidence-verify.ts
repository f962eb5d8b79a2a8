import { createHash, X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { compactVerify, decodeProtectedHeader } from "jose";
import { binarySecurityToken, EVIDENCE_FORMAT, type EvidenceFile, type EvidenceManifest, type RevocationAnswerUse, type RevocationFileMeta } from "../console/evidence.js";
import { createForretningsmeldingVerifier } from "../dpi/signed-forretningsmelding.js";
import { validateChain } from "../pki/chain.js";
import { checkCrl, CrlError, normaliseSerial, parseCrl } from "../pki/crl.js";
import { OcspResponseError, verifyOcspResponse } from "../pki/ocsp.js";
import { readZip, ZipError } from "../dpi/zip.js";
import { sameDsReference, type DsReference } from "../xml/dsig-reference.js";
import { analyseAs4Message } from "./as4/analyse.js";
import type { ReceiptReport } from "./as4/report-types.js";
import { readAnchors } from "./as4-verify.js";
import { EXIT, UsageError, type CliIo } from "./usage.js";

/**
 * `dpi-ap evidence verify <zip>`: checks a console evidence bundle (src/console/evidence.ts) offline and says what
 * it proves. Every file must be the one the manifest lists (SHA-256); each signed forretningsmelding and receipt
 * must verify with the certificate it carries, and with --trust that certificate must lead to a trust anchor at
 * the time the message was recorded; each AS4 receipt must verify (the same analysis as `dpi-ap as4 verify`) and,
 * for one we got, confirm exactly the references we signed in one of the attempts to send the message; each OCSP
 * response and CRL must be the CA's own, say "not revoked" for the certificates it was relied on for, and have been
 * current when the file it was relied on for was recorded.
 */

export const EVIDENCE_VERIFY_HELP = `Usage: dpi-ap evidence verify <zip> [options]

Checks an evidence bundle downloaded from the operator console, offline, and says what it proves: the
forretningsmelding and the DPI receipts were signed by the certificates they carry, the receiving access
point signed an AS4 receipt confirming the very digests we signed, the OCSP responses and CRLs this
access point relied on said those certificates were not revoked when the documents were recorded, and
no file was changed since the bundle was made.

Options:
  --trust <pem>    Trust anchor certificates (PEM/DER file or folder); repeatable: the business CA for the
                   forretningsmelding and receipts, the Peppol AP CA for the AS4 receipts (and the CAs
                   the revocation answers are from). Without it the signatures are checked but not whom
                   they belong to.
  --json           Print the report as JSON.
  -h, --help       Show this help.

Exit codes: 0 everything verified; 1 something failed, or could not be checked for lack of --trust;
2 usage or operational error.
`;

export type CheckStatus = "ok" | "failed" | "unchecked";

export interface EvidenceCheck {
  file: string;
  status: CheckStatus;
  /** What the check found, in words. */
  says: string;
}

export interface EvidenceReport {
  manifest?: EvidenceManifest;
  checks: EvidenceCheck[];
  /** What the bundle proves, one statement each (only from checks that passed). */
  proves: string[];
  /** What it cannot prove (from the manifest and the checks that could not run). */
  notProven: string[];
  verdict: "verified" | "failed" | "incomplete";
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

export async function verifyEvidenceBundle(bytes: Uint8Array, opts: { anchors?: readonly X509Certificate[] } = {}): Promise<EvidenceReport> {
  const checks: EvidenceCheck[] = [];
  const proves: string[] = [];
  const notProven: string[] = [];
  const done = (manifest?: EvidenceManifest): EvidenceReport => {
    const verdict = checks.some((c) => c.status === "failed") ? "failed" : checks.some((c) => c.status === "unchecked") ? "incomplete" : "verified";
    return { ...(manifest ? { manifest } : {}), checks, proves: verdict === "failed" ? [] : proves, notProven, verdict };
  };

  let files: Map<string, Uint8Array>;
  try {
    files = new Map(readZip(bytes).entries.filter((e) => !e.isDirectory).map((e) => [e.name, e.data]));
  } catch (err) {
    if (!(err instanceof ZipError)) throw err;
    checks.push({ file: "(bundle)", status: "failed", says: `not a readable zip: ${err.message}` });
    return done();
  }
  const manifestBytes = files.get("manifest.json");
  let manifest: EvidenceManifest;
  try {
    manifest = JSON.parse(Buffer.from(manifestBytes ?? []).toString("utf8")) as EvidenceManifest;
    if (manifest.format !== EVIDENCE_FORMAT || !Array.isArray(manifest.files) || !manifest.conversation) throw new Error(`format is not ${EVIDENCE_FORMAT}`);
  } catch (err) {
    checks.push({ file: "manifest.json", status: "failed", says: manifestBytes ? `unreadable: ${(err as Error).message}` : "missing" });
    return done();
  }

  // Every file is the one listed, and nothing unlisted rides along.
  const listed = new Set(manifest.files.map((f) => f.path));
  for (const name of files.keys()) if (name !== "manifest.json" && !listed.has(name)) checks.push({ file: name, status: "failed", says: "not listed in the manifest" });
  const intact = new Map<string, { meta: EvidenceFile; data: Uint8Array }>();
  for (const f of manifest.files) {
    const data = files.get(f.path);
    if (!data) checks.push({ file: f.path, status: "failed", says: "listed in the manifest but missing" });
    else if (sha256(data) !== f.sha256 || data.length !== f.size) checks.push({ file: f.path, status: "failed", says: "changed since the bundle was made (SHA-256 differs from the manifest)" });
    else intact.set(f.path, { meta: f, data });
  }

  const signedReferences = readSignedReferences(intact.get("as4/signed-references.json")?.data);
  const anchors = opts.anchors;
  for (const { meta, data } of intact.values()) {
    const text = Buffer.from(data).toString("utf8");
    if (meta.kind === "forretningsmelding" || meta.kind === "receipt-message") {
      const what = meta.kind === "forretningsmelding" ? "the forretningsmelding" : `the ${meta.documentType ?? "receipt"} ${meta.messageId ?? ""}`.trimEnd();
      const c = await checkJws(text, anchors, new Date(meta.at));
      checks.push({ file: meta.path, status: c.status, says: c.says });
      if (c.status !== "failed") {
        const idOk = meta.kind === "receipt-message" || c.messageId?.toLowerCase() === manifest.conversation.messageId.toLowerCase();
        if (!idOk) checks.push({ file: meta.path, status: "failed", says: `its message id ${c.messageId} is not the conversation's ${manifest.conversation.messageId}` });
        else proves.push(`${what} was signed by ${c.signer}${c.status === "ok" ? ", a certificate issued under a trusted anchor" : ""}, and has not changed since`);
      }
      if (c.status === "unchecked") notProven.push(`who owns the certificate that signed ${what} (give --trust)`);
    } else if (meta.kind === "as4-receipt") {
      const c = await checkAs4Receipt(data, meta, anchors, signedReferences);
      checks.push({ file: meta.path, status: c.status, says: c.says });
      if (c.status !== "failed" && c.proves) proves.push(c.proves);
      if (c.status === "unchecked") notProven.push(`who owns the certificate that signed the AS4 receipt ${meta.path} (give --trust)`);
    } else if (meta.kind === "signed-references") {
      checks.push({ file: meta.path, status: signedReferences ? "ok" : "failed", says: signedReferences ? `the references signed in ${signedReferences.length} attempt(s)` : "not a list of attempts' references" });
    } else if (meta.kind === "routing-record") {
      checks.push(checkRoutingRecord(meta, data));
    } else if (meta.kind === "certificate") {
      let ok = true;
      try {
        new X509Certificate(text);
      } catch {
        ok = false;
      }
      checks.push({ file: meta.path, status: ok ? "ok" : "failed", says: ok ? "a certificate, as the signed documents carry it" : "not a certificate" });
    }
  }
  const revocation = await checkRevocationAnswers(intact, anchors);
  checks.push(...revocation.checks);
  proves.push(...revocation.proves);
  notProven.push(...revocation.notProven);
  if (manifest.files.some((f) => f.kind === "as4-receipt" && f.answers?.direction === "OUT") && manifest.files.some((f) => f.kind === "forretningsmelding")) {
    // The attachment was encrypted for the receiver: its digest cannot be recomputed from the forretningsmelding.
    notProven.push("that the AS4 message carried this forretningsmelding: the attachment was encrypted for the receiver, so the link is this access point's own record");
  }
  notProven.push(...(manifest.notIncluded ?? []).map((n) => `not in the bundle: ${n}`));
  return done(manifest);
}

/**
 * A routing record is named by its SHA-256, which the manifest's hash (checked above) must equal. Its signature
 * (the SMP's XML-DSig, the Service Registry's JWS) was checked when it was fetched and is not checked again here.
 */
function checkRoutingRecord(meta: EvidenceFile, data: Uint8Array): EvidenceCheck {
  const named = /^routing\/([0-9a-f]{64})\.[a-z]+$/.exec(meta.path)?.[1];
  if (named !== sha256(data)) return { file: meta.path, status: "failed", says: "its name is not the SHA-256 of its content" };
  const what = meta.routing?.kind === "smp" ? "the SMP record" : "the Service Registry record";
  return { file: meta.path, status: "ok", says: `${what} a send attempt was routed by, fetched from ${meta.routing?.sourceUrl ?? "an unnamed source"} at ${meta.at}, unchanged since (its signature is not checked here)` };
}

/** A compact JWS's signature with its x5c leaf, and with anchors its chain at `at` (the forretningsmelding rules). */
async function checkJws(jws: string, anchors: readonly X509Certificate[] | undefined, at: Date): Promise<{ status: CheckStatus; says: string; signer?: string; messageId?: string }> {
  if (anchors?.length) {
    try {
      const v = await createForretningsmeldingVerifier({ anchors: [...anchors], clock: () => at })(jws);
      return { status: "ok", says: `signature verified; signer ${describe(v.signer)} (${v.signerOrg}), chain valid at ${at.toISOString()}`, signer: `${describe(v.signer)} (${v.signerOrg})`, messageId: v.message.messageId };
    } catch (err) {
      return { status: "failed", says: `does not verify: ${(err as Error).message}` };
    }
  }
  try {
    const x5c = decodeProtectedHeader(jws).x5c;
    if (!Array.isArray(x5c) || typeof x5c[0] !== "string") return { status: "failed", says: "no x5c certificate in the JWS header" };
    const leaf = new X509Certificate(Buffer.from(x5c[0], "base64"));
    const { payload } = await compactVerify(jws, leaf.publicKey);
    const messageId = instanceIdentifier(payload);
    return { status: "unchecked", says: `signature verified with the certificate it carries (${describe(leaf)}); its chain is not checked without --trust`, signer: describe(leaf), ...(messageId ? { messageId } : {}) };
  } catch (err) {
    return { status: "failed", says: `does not verify: ${(err as Error).message}` };
  }
}

function instanceIdentifier(payload: Uint8Array): string | undefined {
  try {
    const v = (JSON.parse(Buffer.from(payload).toString("utf8")) as { standardBusinessDocument?: { standardBusinessDocumentHeader?: { documentIdentification?: { instanceIdentifier?: unknown } } } }).standardBusinessDocument
      ?.standardBusinessDocumentHeader?.documentIdentification?.instanceIdentifier;
    return typeof v === "string" ? v : undefined;
  } catch {
    return undefined;
  }
}

async function checkAs4Receipt(
  data: Uint8Array,
  meta: EvidenceFile,
  anchors: readonly X509Certificate[] | undefined,
  signedReferences: DsReference[][] | undefined,
): Promise<{ status: CheckStatus; says: string; proves?: string }> {
  const at = new Date(meta.at);
  const report = await analyseAs4Message({ bytes: data }, { at, ...(anchors?.length ? { anchors } : {}) });
  const receipt = report.message?.kind === "SignalMessage" ? report.message.signals.find((s): s is ReceiptReport => s.kind === "Receipt") : undefined;
  if (!receipt) return { status: "failed", says: "not an AS4 receipt" };
  if (report.verdict.status === "failed") return { status: "failed", says: `the receipt does not verify: ${report.verdict.failures.join("; ")}` };
  if (meta.answers && receipt.refToMessageId !== meta.answers.as4MessageId) return { status: "failed", says: `it acknowledges ${receipt.refToMessageId}, not ${meta.answers.as4MessageId}` };
  const signer = report.signer?.certificates[0]?.subject ?? "an unnamed certificate";
  const trusted = report.signer?.trust.status === "ok";
  if (meta.answers?.direction === "OUT") {
    const attempt = signedReferences?.findIndex((refs) => sameReferences(refs, receipt.references.map(toDsReference)));
    if (attempt === undefined || attempt < 0) return { status: "failed", says: "its NonRepudiationInformation does not confirm the references we signed in any attempt" };
    return {
      status: trusted ? "ok" : "unchecked",
      says: `signature verified; it confirms AS4 message ${receipt.refToMessageId} with exactly the ${receipt.references.length} references we signed in attempt ${attempt + 1}; signer ${signer}${trusted ? ", chain valid" : ", chain not checked"}`,
      proves: `the receiving access point (${signer}) received AS4 message ${receipt.refToMessageId} with exactly the digests we signed (its header, body and each attachment), and said so at ${receipt.timestamp}`,
    };
  }
  return {
    status: trusted ? "ok" : "unchecked",
    says: `signature verified; our receipt for AS4 message ${receipt.refToMessageId}; signer ${signer}${trusted ? ", chain valid" : ", chain not checked"}`,
    proves: `we (${signer}) acknowledged AS4 message ${receipt.refToMessageId} at ${receipt.timestamp}`,
  };
}

/** The report's reference back in the form the sender stored (dsReferenceReport's inverse). */
function toDsReference(r: ReceiptReport["references"][number]): DsReference {
  return { uri: r.uri, transforms: r.transforms.map((t) => ({ algorithm: t.algorithm, ...(t.prefixList ? { inclusiveNamespaces: t.prefixList } : {}) })), digestMethod: r.digestMethod, digestValue: r.digestValue };
}

/** The same references, each once, in any order. */
function sameReferences(a: readonly DsReference[], b: readonly DsReference[]): boolean {
  if (a.length !== b.length) return false;
  const left = [...b];
  for (const r of a) {
    const i = left.findIndex((x) => sameDsReference(x, r));
    if (i < 0) return false;
    left.splice(i, 1);
  }
  return true;
}

function readSignedReferences(data: Uint8Array | undefined): DsReference[][] | undefined {
  if (!data) return undefined;
  try {
    const v = JSON.parse(Buffer.from(data).toString("utf8")) as unknown;
    return Array.isArray(v) && v.every((a) => Array.isArray(a)) ? (v as DsReference[][]) : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Revocation answers: each OCSP response or CRL checked offline against the certificate of the CA it is from.

type IntactFile = { meta: EvidenceFile; data: Uint8Array };
type UseVerdict = { ok: boolean; says: string; source?: string; signedBy?: string };

/**
 * The bundle's OCSP responses and CRLs: each must be signed by the CA it is from (an OCSP response by that CA or by
 * a responder the CA certified with id-kp-OCSPSigning), say "not revoked" for the serial of every certificate it was
 * relied on for, and have been current (thisUpdate to nextUpdate, with the same clock skew as the live check) at the
 * time the file it was relied on for was recorded. With anchors, that CA must lead to one.
 */
async function checkRevocationAnswers(
  intact: ReadonlyMap<string, IntactFile>,
  anchors: readonly X509Certificate[] | undefined,
): Promise<{ checks: EvidenceCheck[]; proves: string[]; notProven: string[] }> {
  const checks: EvidenceCheck[] = [];
  const proves: string[] = [];
  const notProven: string[] = [];
  const bundleCertificates: X509Certificate[] = [];
  const issuers = new Map<string, X509Certificate>();
  for (const { meta, data } of intact.values()) {
    if (meta.kind !== "certificate" && meta.kind !== "issuer-certificate") continue;
    let cert: X509Certificate | undefined;
    try {
      cert = new X509Certificate(Buffer.from(data));
    } catch {
      cert = undefined;
    }
    if (cert) bundleCertificates.push(cert);
    if (meta.kind !== "issuer-certificate") continue;
    if (cert?.ca) issuers.set(meta.path, cert);
    checks.push({ file: meta.path, status: cert?.ca ? "ok" : "failed", says: cert?.ca ? `the certificate of ${describe(cert)}, the CA revocation answers are from` : "not a CA certificate" });
  }

  for (const { meta, data } of intact.values()) {
    if (meta.kind !== "ocsp-response" && meta.kind !== "crl") continue;
    const r = meta.revocation;
    const issuer = r ? issuers.get(r.issuerCertificate) : undefined;
    if (!r || !Array.isArray(r.answersFor) || r.answersFor.length === 0) {
      checks.push({ file: meta.path, status: "failed", says: "the manifest does not say which certificates it was relied on for" });
      continue;
    }
    if (!issuer) {
      checks.push({ file: meta.path, status: "failed", says: `the certificate of the CA it is from (${r.issuerCertificate}) is not in the bundle` });
      continue;
    }
    const says: string[] = [];
    let failed = false;
    for (const use of r.answersFor) {
      const document = use.document ? intact.get(use.document) : undefined;
      const at = new Date(document?.meta.at ?? use.checkedAt);
      const verdict = meta.kind === "ocsp-response" ? await ocspSays(data, use, issuer, at, r) : await crlSays(data, meta.path, use, issuer, at, r);
      let trust = "";
      if (verdict.ok && anchors?.length) {
        try {
          validateChain(issuer, bundleCertificates, anchors, at);
          trust = ", a CA under a trusted anchor";
        } catch (err) {
          verdict.ok = false;
          verdict.says = `its CA ${describe(issuer)} is not trusted: ${(err as Error).message}`;
        }
      }
      says.push(r.answersFor.length > 1 ? `for "${use.subject}": ${verdict.says}` : verdict.says);
      if (!verdict.ok) {
        failed = true;
        continue;
      }
      proves.push(`${certificatePhrase(use, issuer, document)} was not revoked at ${at.toISOString()}: ${verdict.source} said so in an answer signed by ${verdict.signedBy}${trust}`);
    }
    const status: CheckStatus = failed ? "failed" : anchors?.length ? "ok" : "unchecked";
    checks.push({ file: meta.path, status, says: says.join("; ") });
    if (status === "unchecked") notProven.push(`whose CA signed the revocation answer ${meta.path} (give --trust)`);
  }
  return { checks, proves, notProven };
}

/** What an OCSP response says about one certificate it was relied on for, at `at`. */
async function ocspSays(der: Uint8Array, use: RevocationAnswerUse, issuer: X509Certificate, at: Date, r: RevocationFileMeta): Promise<UseVerdict> {
  try {
    const a = await verifyOcspResponse(der, { cert: { serialNumber: use.serial }, issuer, at });
    if (a.status === "revoked") return { ok: false, says: `it says serial ${use.serial} was revoked at ${a.revokedAt?.toISOString() ?? "?"}${a.reason ? ` (${a.reason})` : ""}` };
    if (a.status !== "good") return { ok: false, says: `it says the status of serial ${use.serial} is unknown` };
    const signedBy = a.signer.fingerprint256 === issuer.fingerprint256 ? `the CA itself (${describe(issuer)})` : `${describe(a.signer)}, an OCSP responder certified by ${describe(issuer)}`;
    return {
      ok: true,
      says: `OCSP response signed by ${signedBy}: serial ${use.serial} good, thisUpdate ${a.thisUpdate.toISOString()}, nextUpdate ${a.nextUpdate?.toISOString() ?? "none"}, current at ${at.toISOString()}`,
      source: `the OCSP responder ${r.url}`,
      signedBy,
    };
  } catch (err) {
    if (err instanceof OcspResponseError) return { ok: false, says: `not a valid answer for serial ${use.serial} at ${at.toISOString()}: ${err.reason}: ${err.message}` };
    throw err;
  }
}

/** What a CRL says about one certificate it was relied on for, at `at`. */
async function crlSays(der: Uint8Array, path: string, use: RevocationAnswerUse, issuer: X509Certificate, at: Date, r: RevocationFileMeta): Promise<UseVerdict> {
  try {
    const a = await checkCrl(parseCrl(der, path), { serialNumber: use.serial, ca: use.ca }, issuer, at);
    if (a.status === "revoked") return { ok: false, says: `it lists serial ${use.serial} as revoked at ${a.revokedAt.toISOString()}${a.reason ? ` (${a.reason})` : ""}` };
    const signedBy = `the CA itself (${describe(issuer)})`;
    return {
      ok: true,
      says: `CRL signed by ${signedBy}: serial ${use.serial} not listed, thisUpdate ${a.thisUpdate.toISOString()}, nextUpdate ${a.nextUpdate?.toISOString() ?? "none"}, current at ${at.toISOString()}`,
      source: `the CRL ${r.url}${r.crlNumber ? ` (number ${r.crlNumber})` : ""}`,
      signedBy,
    };
  } catch (err) {
    if (err instanceof CrlError) return { ok: false, says: `not a valid CRL of its CA at ${at.toISOString()}: ${err.reason}: ${err.message}` };
    throw err;
  }
}

/** The certificate an answer was relied on for, named by the document that carries it when one does. */
function certificatePhrase(use: RevocationAnswerUse, issuer: X509Certificate, document: IntactFile | undefined): string {
  const named = `"${use.subject}" (serial ${use.serial})`;
  const carried = document ? carriedCertificates(document) : [];
  const own = carried.find((c) => normaliseSerial(c.serialNumber) === use.serial && c.checkIssued(issuer) && c.verify(issuer.publicKey));
  if (own && own === carried[0]) return `the certificate that signed ${use.document}, ${named},`;
  if (own) return `the certificate ${named} on the signer's path of ${use.document}`;
  if (use.role === "as4-peer") return `the other access point's certificate ${named}${use.document ? ` (for ${use.document})` : ""}`;
  return `the certificate ${named}${use.document ? ` (for ${use.document})` : ""}`;
}

/** The certificates a signed document carries, its signer's first: a JWS's x5c, an AS4 message's BinarySecurityToken. */
function carriedCertificates(document: IntactFile): X509Certificate[] {
  if (document.meta.kind === "as4-receipt") {
    const bst = binarySecurityToken(document.data);
    return bst ? [bst] : [];
  }
  if (document.meta.kind !== "forretningsmelding" && document.meta.kind !== "receipt-message") return [];
  try {
    const x5c = decodeProtectedHeader(Buffer.from(document.data).toString("utf8")).x5c;
    return Array.isArray(x5c) ? x5c.map((c) => new X509Certificate(Buffer.from(c, "base64"))) : [];
  } catch {
    return [];
  }
}

function describe(cert: X509Certificate): string {
  return cert.subject.replace(/\n/g, ", ");
}

export function formatEvidenceReport(r: EvidenceReport, file: string): string {
  const lines = [`Evidence bundle ${file}`];
  if (r.manifest) {
    const c = r.manifest.conversation;
    lines.push(`  ${c.channel} ${c.direction} ${c.documentType} ${c.messageId} (conversation ${c.conversationId}), ${c.sender} → ${c.receiver}, status ${c.status}`);
    lines.push(`  made ${r.manifest.createdAt} by ${r.manifest.createdBy}`);
  }
  lines.push("", "Checks:");
  for (const c of r.checks) lines.push(`  [${c.status === "ok" ? " ok " : c.status === "failed" ? "FAIL" : " ?? "}] ${c.file}: ${c.says}`);
  if (r.proves.length) lines.push("", "What it proves:", ...r.proves.map((p) => `  - ${p}`));
  if (r.notProven.length) lines.push("", "What it does not prove:", ...r.notProven.map((p) => `  - ${p}`));
  lines.push("", `Verdict: ${r.verdict}`);
  return `${lines.join("\n")}\n`;
}

export async function runEvidenceVerify(args: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: { trust: { type: "string", multiple: true }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(EVIDENCE_VERIFY_HELP);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new UsageError(`evidence verify needs exactly one file, got ${positionals.length}`);
  const file = positionals[0]!;
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (e) {
    throw new UsageError(`cannot read the bundle ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { cause: e });
  }
  const anchors = values.trust === undefined ? undefined : await readAnchors(values.trust);
  const report = await verifyEvidenceBundle(bytes, anchors ? { anchors } : {});
  io.stdout(values.json ? `${JSON.stringify({ file, ...report }, null, 2)}\n` : formatEvidenceReport(report, file));
  return report.verdict === "verified" ? EXIT.ok : EXIT.failed;
}
