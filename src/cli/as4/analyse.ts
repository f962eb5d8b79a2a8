import type { X509Certificate } from "node:crypto";
import { EbmsError } from "../../as4/ebms-errors.js";
import { DEFAULT_MIME_LIMITS, parseAs4Request, parseMediaType, type MimeLimits, type ParsedRequest } from "../../as4/mime-parse.js";
import { createTempDir, type TempDirOptions } from "../../as4/temp-files.js";
import { verifyEnvelope } from "../../as4/wss-verify.js";
import { parseEnvelopeForDiagnosis } from "./envelope.js";
import { frameInput, InputFramingError, type As4Source, type FramedInput } from "./input.js";
import { describeMessage } from "./message.js";
import { analysePayloads, type DecryptionKeyInput, type PartHint } from "./payloads.js";
import type { As4Report, Finding, ReceiverVerdict, Verdict } from "./report-types.js";
import { analyseSignature, type AttachmentBytes } from "./signature.js";
import { analyseSigner } from "./signer.js";

/**
 * `dpi-ap as4 verify` as a function: reads an AS4 message from a file or bytes and returns a typed report
 * of everything that could be checked, continuing past failures so that one run shows every problem.
 * Besides its own checks it runs the receiver's verifyEnvelope and folds that verdict in, so this tool
 * and our receiver never disagree about a message.
 *
 * Temporary files (MIME parts, plaintext) live in one temp dir that is removed before returning.
 */

export type { As4Source } from "./input.js";
export type { DecryptionKeyInput } from "./payloads.js";

export interface AnalyseOptions {
  /** Trust anchors for the signer's chain; without them the chain is shown but not validated. */
  anchors?: readonly X509Certificate[];
  /** Validation time for the chain (the CLI's `--at`, default now). */
  at: Date;
  /** Our AP key (PKCS#12 / PEM keystore) to unwrap and decrypt attachments. */
  key?: DecryptionKeyInput;
  /** Overrides the Content-Type taken from an HTTP dump or detected from the body. */
  contentType?: string;
  tempDir?: TempDirOptions;
  mimeLimits?: MimeLimits;
  /** Cap on one decompressed payload (gzip bombs); default 4 GiB. */
  maxDecompressedBytes?: number;
}

const DEFAULT_MAX_DECOMPRESSED = 4 * 1024 ** 3;

export async function analyseAs4Message(source: As4Source, options: AnalyseOptions): Promise<As4Report> {
  const findings: Finding[] = [];
  const report: As4Report = { payloads: [], findings, verdict: { status: "failed", failures: [], unchecked: [] } };

  let framed: FramedInput;
  try {
    framed = await frameInput(source, options.contentType);
  } catch (e) {
    if (!(e instanceof InputFramingError)) throw e;
    findings.push({ severity: "error", code: "INPUT_UNREADABLE", message: e.message });
    return finish(report);
  }
  findings.push(...framed.findings);
  report.input = {
    framing: framed.framing,
    ...(framed.startLine !== undefined ? { startLine: framed.startLine } : {}),
    headers: framed.headers,
    ...(framed.contentType !== undefined ? { contentType: framed.contentType, contentTypeSource: framed.contentTypeSource! } : {}),
    attachments: [],
  };
  if (framed.contentType === undefined) {
    findings.push({ severity: "error", code: "INPUT_UNREADABLE", message: "no Content-Type, and the body is neither SOAP XML nor a MIME body; give --content-type" });
    return finish(report);
  }

  let contentType = framed.contentType;
  const media = parseMediaType(contentType);
  if (media && media.type !== "multipart/related" && media.type !== "application/soap+xml") {
    findings.push({
      severity: "error",
      code: "SOAP_CONTENT_TYPE",
      message: `Content-Type ${media.type}: AS4 needs application/soap+xml (SOAP 1.2) or multipart/related; the receiver answers EBMS:0007. Read as SOAP 1.2 anyway`,
    });
    contentType = "application/soap+xml";
  }

  const tmp = createTempDir({ prefix: "dpi-ap-verify-", ...options.tempDir });
  try {
    let parsed: ParsedRequest;
    try {
      parsed = await parseAs4Request(contentType, framed.body(), tmp, options.mimeLimits ?? DEFAULT_MIME_LIMITS);
    } catch (e) {
      if (!(e instanceof EbmsError) && !(e instanceof InputFramingError)) throw e;
      findings.push({ severity: "error", code: "MIME_UNREADABLE", message: e instanceof EbmsError ? `${e.code}: ${e.detail}` : e.message });
      return finish(report);
    }
    const multipart = media?.type === "multipart/related";
    const start = multipart ? media.params["start"] : undefined;
    report.input = {
      ...report.input,
      ...(parsed.rootContentId !== undefined ? { rootContentId: parsed.rootContentId } : {}),
      ...(start !== undefined ? { start } : {}),
      attachments: parsed.attachments.map((a) => ({ contentId: a.contentId, contentType: a.contentType, bytes: a.size })),
      soapLength: parsed.soapXml.length,
    };
    if (multipart && parsed.rootContentId === undefined) {
      findings.push({
        severity: "warning",
        code: "ROOT_WITHOUT_CONTENT_ID",
        message:
          "the SOAP root part has no Content-ID (and the Content-Type no start parameter). The Peppol profile and phase4 accept this (phase4 sends it so), " +
          "but receivers that follow the CEF example to the letter may not find the root part",
      });
    }

    const soap = parseEnvelopeForDiagnosis(parsed.soapXml);
    findings.push(...soap.findings);
    const envelope = soap.envelope;
    if (!envelope) return finish(report);

    const message = describeMessage(envelope);
    report.message = message.report;
    findings.push(...message.findings);

    const parts: PartHint[] =
      message.report.kind === "UserMessage"
        ? message.report.parts
            .filter((p) => p.href?.startsWith("cid:"))
            .map((p) => ({ contentId: p.href!.slice(4), ...(p.compressionType !== undefined ? { compressionType: p.compressionType } : {}) }))
        : [];
    if (message.report.kind === "UserMessage") {
      const received = new Set(parsed.attachments.map((a) => a.contentId));
      for (const p of parts) {
        if (!received.has(p.contentId)) findings.push({ severity: "error", code: "PARTINFO_WITHOUT_PART", message: `PartInfo cid:${p.contentId} has no MIME part (EBMS:0007)` });
      }
      for (const a of parsed.attachments) {
        if (!parts.some((p) => p.contentId === a.contentId)) {
          findings.push({ severity: "error", code: "PART_WITHOUT_PARTINFO", message: `MIME part <${a.contentId}> has no PartInfo (EBMS:0007)` });
        }
      }
    }

    const payloads = await analysePayloads(envelope.security, parsed.attachments, parts, options.key, tmp, options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED);
    report.encryption = payloads.encryption;
    report.payloads = payloads.payloads;
    findings.push(...payloads.findings);
    const bytesOf = (cid: string): AttachmentBytes => payloads.bytes.get(cid) ?? { status: "missing" };

    const signature = analyseSignature(envelope, bytesOf);
    findings.push(...signature.findings);
    if (signature.report) report.signature = signature.report;

    report.receiver = receiverVerdict(parsed.soapXml, bytesOf, signature.report?.references ?? []);

    if ("certificate" in signature && signature.certificate) {
      const signer = analyseSigner(signature.certificate, options.anchors, options.at, message.time);
      report.signer = signer.report;
      findings.push(...signer.findings);
    }
    crossCheck(report);
  } finally {
    await tmp.dispose();
  }
  return finish(report);
}

/**
 * The receiver's own check. Attachments this run could not read (encrypted and no key, or not decryptable:
 * reported on their own) are given the digest the signature claims, so that everything else is still
 * checked exactly as the receiver would.
 */
function receiverVerdict(
  soapXml: string,
  bytesOf: (cid: string) => AttachmentBytes,
  references: readonly { uri: string; expected: string }[],
): ReceiverVerdict {
  const assumed: string[] = [];
  try {
    verifyEnvelope(soapXml, {
      attachmentDigest: (cid) => {
        const b = bytesOf(cid);
        if (b.status === "available") return b.sha256;
        if (b.status === "needs-key" || b.status === "unavailable") {
          const claimed = references.find((r) => r.uri === `cid:${cid}`)?.expected;
          if (claimed === undefined) return undefined;
          if (!assumed.includes(cid)) assumed.push(cid);
          return Buffer.from(claimed, "base64");
        }
        return undefined;
      },
    });
    return { status: "ok", assumedAttachments: assumed };
  } catch (e) {
    if (!(e instanceof EbmsError)) throw e;
    return { status: "failed", code: e.code, detail: e.detail, assumedAttachments: assumed };
  }
}

/** The receiver and this tool must agree; if they do not, say so loudly (it is a bug in one of them). */
function crossCheck(report: As4Report): void {
  const receiver = report.receiver;
  if (!receiver) return;
  const sig = report.signature;
  const ownSignatureFailures = [
    ...(sig?.references.filter((r) => r.status !== "ok" && r.status !== "needs-key" && r.status !== "unavailable").map((r) => r.uri) ?? []),
    ...(sig && sig.signatureValue.status !== "ok" ? ["SignatureValue"] : []),
    ...(sig && sig.coverage.status !== "ok" ? ["coverage"] : []),
  ];
  const anyOwnError = report.findings.some((f) => f.severity === "error");
  if (receiver.status === "failed" && !anyOwnError && ownSignatureFailures.length === 0) {
    report.findings.push({
      severity: "error",
      code: "RECEIVER_DISAGREES",
      message: `the receiver's verifyEnvelope rejects the message (${receiver.code}: ${receiver.detail}) but this tool's own checks found no problem; please report this`,
    });
  }
  if (receiver.status === "ok" && ownSignatureFailures.length > 0) {
    report.findings.push({
      severity: "error",
      code: "RECEIVER_DISAGREES",
      message: `the receiver's verifyEnvelope accepts the signature, but this tool finds problems with ${ownSignatureFailures.join(", ")}; please report this`,
    });
  }
}

/** The report with its verdict, keys in reading order (the JSON output keeps it). */
function finish(r: As4Report): As4Report {
  return {
    ...(r.input ? { input: r.input } : {}),
    ...(r.message ? { message: r.message } : {}),
    ...(r.signature ? { signature: r.signature } : {}),
    ...(r.receiver ? { receiver: r.receiver } : {}),
    ...(r.encryption ? { encryption: r.encryption } : {}),
    payloads: r.payloads,
    ...(r.signer ? { signer: r.signer } : {}),
    findings: r.findings,
    verdict: decideVerdict(r),
  };
}

/** verified: every check ran and passed; failed: something failed; incomplete: nothing failed, something could not run. */
export function decideVerdict(report: As4Report): Verdict {
  const failures: string[] = report.findings.filter((f) => f.severity === "error").map((f) => `${f.code}: ${f.message}`);
  const unchecked: string[] = [];
  const sig = report.signature;
  if (sig) {
    for (const r of sig.references) {
      // needs-key is a gap, not a failure; unavailable is reported with the decryption failure that caused it
      if (r.status === "needs-key" || r.status === "unavailable") continue;
      if (r.status !== "ok") failures.push(`reference ${r.uri} (${r.target}): ${r.status === "mismatch" ? "digest mismatch" : r.status}${r.detail ? `, ${r.detail}` : ""}`);
    }
    if (sig.signatureValue.status !== "ok") failures.push(`SignatureValue: ${sig.signatureValue.status}${sig.signatureValue.detail ? ` (${sig.signatureValue.detail})` : ""}`);
    const needKey = sig.references.filter((r) => r.status === "needs-key").length;
    if (needKey > 0) unchecked.push(`${needKey} attachment digest(s): the attachments are encrypted; give --key to decrypt and check them`);
  }
  if (report.receiver?.status === "failed") failures.push(`receiver (verifyEnvelope): ${report.receiver.code} ${report.receiver.detail}`);
  for (const k of report.encryption?.encryptedKeys ?? []) {
    if (k.unwrap.status === "failed") failures.push(`EncryptedKey ${k.id ?? ""}: ${k.unwrap.detail ?? "unwrap failed"}`);
  }
  for (const p of report.payloads) {
    if (p.decryption.status === "failed" || p.decryption.status === "skipped") failures.push(`decryption of cid:${p.contentId}: ${p.decryption.detail}`);
    if (p.decompression.status === "failed") failures.push(`decompression of cid:${p.contentId}: ${p.decompression.detail}`);
  }
  const trust = report.signer?.trust;
  if (trust?.status === "failed") failures.push(`signer chain: ${trust.code} ${trust.message}`);
  if (trust?.status === "skipped") unchecked.push("signer chain: not validated; give --trust with the Peppol AP CA certificates");

  const status = failures.length > 0 ? "failed" : unchecked.length > 0 ? "incomplete" : "verified";
  return { status, failures: [...new Set(failures)], unchecked };
}
