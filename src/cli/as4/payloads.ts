import { constants, createHash, privateDecrypt, X509Certificate, type KeyObject } from "node:crypto";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { GZIP_MIME_TYPE, gunzipLimited } from "../../as4/compression.js";
import { readEncryptionHeader } from "../../as4/decrypt.js";
import { EbmsError } from "../../as4/ebms-errors.js";
import { decryptToSpool } from "../../as4/gcm-stream.js";
import type { ReceivedAttachment } from "../../as4/mime-parse.js";
import { ALG, NS } from "../../as4/namespaces.js";
import type { SpooledContent, TempDir } from "../../as4/temp-files.js";
import { attr, childElements, trimmedText } from "../../xml/dom.js";
import type { AttachmentBytes } from "./signature.js";
import { oneLine } from "./signature.js";
import type { EncryptedDataReport, EncryptedKeyReport, EncryptionReport, Finding, PayloadReport } from "./report-types.js";

/**
 * The encryption header and the attachments: reads the EncryptedKey/EncryptedData structure tolerantly
 * (and runs the receiver's own policy check, readEncryptionHeader, for its verdict), then with a key unwraps
 * each content key and decrypts each attachment on its own into a spool of the temp dir, so one bad part does not hide
 * the others. Plaintext is accepted only after the GCM tag (gcm-stream.ts). Compressed payloads are
 * gunzipped only to count and hash them.
 */

export interface DecryptionKeyInput {
  privateKey: KeyObject;
  certificate: X509Certificate;
}

export interface PartHint {
  contentId: string;
  compressionType?: string;
}

export interface PayloadAnalysis {
  encryption: EncryptionReport;
  payloads: PayloadReport[];
  /** What the signature check digests for each cid. */
  bytes: Map<string, AttachmentBytes>;
  findings: Finding[];
}

const OAEP_DIGESTS: Record<string, string> = {
  "http://www.w3.org/2000/09/xmldsig#sha1": "sha1",
  "http://www.w3.org/2001/04/xmlenc#sha256": "sha256",
  "http://www.w3.org/2001/04/xmlenc#sha512": "sha512",
};
const MGF_DIGESTS: Record<string, string> = {
  "http://www.w3.org/2009/xmlenc11#mgf1sha1": "sha1",
  "http://www.w3.org/2009/xmlenc11#mgf1sha256": "sha256",
  "http://www.w3.org/2009/xmlenc11#mgf1sha512": "sha512",
};
const GCM_KEY_BYTES: Record<string, number> = {
  [ALG.aes128Gcm]: 16,
};

export async function analysePayloads(
  security: Element | undefined,
  attachments: readonly ReceivedAttachment[],
  parts: readonly PartHint[],
  key: DecryptionKeyInput | undefined,
  tmp: TempDir,
  maxDecompressedBytes: number,
): Promise<PayloadAnalysis> {
  const findings: Finding[] = [];
  const keyEls = security ? childElements(security, NS.xenc, "EncryptedKey") : [];
  const dataEls = security ? childElements(security, NS.xenc, "EncryptedData") : [];
  const encrypted = keyEls.length + dataEls.length > 0;

  let header: EncryptionReport["header"] = { status: "ok" };
  try {
    readEncryptionHeader(security);
  } catch (e) {
    if (!(e instanceof EbmsError)) throw e;
    header = { status: "failed", code: e.code, detail: e.detail };
    findings.push({ severity: "error", code: "ENCRYPTION_POLICY", message: `the receiver refuses the encryption header (${e.code}): ${e.detail}` });
  }

  const encryptedKeys = keyEls.map((el) => readEncryptedKey(el, security!, key));
  const encryptedData = dataEls.map(readEncryptedData);
  const received = new Set(attachments.map((a) => a.contentId));
  for (const ed of encryptedData) {
    const cid = ed.cipherReference?.startsWith("cid:") ? ed.cipherReference.slice(4) : undefined;
    if (cid !== undefined && !received.has(cid)) {
      findings.push({ severity: "error", code: "ENCRYPTION_POLICY", message: `EncryptedData ${ed.id ?? ""} references cid:${cid}, which is not a MIME part of the message (EBMS:0007)` });
    }
  }

  // Unwrap every content key once.
  const contentKeys = new Map<string, Buffer>();
  for (const [i, ek] of encryptedKeys.entries()) {
    if (!key) continue;
    if (ek.report.recipient?.matchesKey === false) {
      findings.push({
        severity: "warning",
        code: "KEY_NOT_RECIPIENT",
        message: `EncryptedKey ${ek.report.id ?? `#${i + 1}`} is for ${ek.report.recipient.subject ?? "another certificate"}, but --key is ${oneLine(key.certificate.subject)}`,
      });
    }
    try {
      const cek = unwrap(ek.cipherValue, ek.report, key.privateKey);
      ek.report.unwrap = { status: "ok", detail: `${cek.length * 8}-bit content key` };
      if (ek.report.id !== undefined) contentKeys.set(ek.report.id, cek);
    } catch (e) {
      ek.report.unwrap = { status: "failed", detail: message(e) };
    }
  }

  const payloads: PayloadReport[] = [];
  const bytes = new Map<string, AttachmentBytes>();
  for (const att of attachments) {
    const ed = encryptedData.find((d) => d.cipherReference === `cid:${att.contentId}`);
    const compressionType = parts.find((p) => p.contentId === att.contentId)?.compressionType;
    const payload: PayloadReport = {
      contentId: att.contentId,
      contentType: att.contentType,
      wireBytes: att.size,
      hasPartInfo: parts.some((p) => p.contentId === att.contentId),
      ...(compressionType !== undefined ? { compressionType } : {}),
      decryption: { status: "not-encrypted" },
      decompression: compressionType === undefined ? { status: "not-compressed" } : { status: "skipped", detail: "no plaintext" },
    };
    payloads.push(payload);
    const alternatives: { label: string; sha256: Buffer }[] = [];

    let plain: SpooledContent | undefined;
    if (!ed) {
      plain = att.content;
      if (payload.hasPartInfo) {
        findings.push({ severity: "error", code: "ATTACHMENT_NOT_ENCRYPTED", message: `attachment cid:${att.contentId} is not encrypted; the Peppol profile requires encryption (EBMS:0103)` });
      }
    } else if (!key) {
      payload.decryption = { status: "needs-key" };
      bytes.set(att.contentId, { status: "needs-key" });
    } else {
      alternatives.push({ label: "the ciphertext as sent (the signer digested after encrypting)", sha256: await sha256Of(att.content) });
      const cek = ed.keyReference !== undefined ? contentKeys.get(ed.keyReference.replace(/^#/, "")) : undefined;
      const keyBytes = ed.algorithm !== undefined ? GCM_KEY_BYTES[ed.algorithm] : undefined;
      if (cek === undefined) {
        payload.decryption = { status: "skipped", detail: `its content key (${ed.keyReference ?? "no KeyInfo reference"}) was not unwrapped` };
      } else if (keyBytes === undefined) {
        payload.decryption = { status: "skipped", detail: `data encryption ${ed.algorithm ?? "(missing)"} is not supported; Peppol uses aes128-gcm` };
      } else if (cek.length !== keyBytes) {
        payload.decryption = { status: "failed", detail: `the content key has ${cek.length} bytes, aes128-gcm needs ${keyBytes}` };
      } else {
        try {
          const spool = tmp.spool(`plain-${att.contentId}`);
          const out = await decryptToSpool(att.content.createReadStream(), cek, spool);
          payload.decryption = { status: "ok", plaintextBytes: out.size };
          plain = spool;
        } catch (e) {
          payload.decryption = {
            status: "failed",
            detail: e instanceof EbmsError ? `${e.detail} (GCM tag mismatch: ciphertext altered, truncated, or encrypted with another key)` : message(e),
          };
        }
      }
      if (plain === undefined) {
        bytes.set(att.contentId, { status: "unavailable", detail: `not decrypted: ${"detail" in payload.decryption ? payload.decryption.detail : ""}` });
      }
    }

    if (plain !== undefined) {
      const sha256 = await sha256Of(plain);
      payload.signedBytesSha256 = sha256.toString("base64");
      if (compressionType !== undefined) {
        if (compressionType !== GZIP_MIME_TYPE) {
          payload.decompression = { status: "skipped", detail: `CompressionType ${compressionType} is not gzip` };
        } else {
          try {
            const d = await gunzipCount(plain, maxDecompressedBytes);
            payload.decompression = { status: "ok", bytes: d.bytes };
            alternatives.push({ label: "the decompressed payload (the signer digested before compressing)", sha256: d.sha256 });
          } catch (e) {
            payload.decompression = { status: "failed", detail: e instanceof EbmsError ? e.detail : message(e) };
          }
        }
      }
      bytes.set(att.contentId, { status: "available", sha256, alternatives });
    }
  }

  return {
    encryption: {
      encrypted,
      header,
      encryptedKeys: encryptedKeys.map((k) => k.report),
      encryptedData,
      ...(key ? { keySubject: oneLine(key.certificate.subject) } : {}),
    },
    payloads,
    bytes,
    findings,
  };
}

function readEncryptedKey(el: Element, security: Element, key: DecryptionKeyInput | undefined): { report: EncryptedKeyReport; cipherValue: Buffer } {
  const method = childElements(el, NS.xenc, "EncryptionMethod")[0];
  const digest = method ? childElements(method, NS.ds, "DigestMethod")[0] : undefined;
  const mgf = method ? childElements(method, NS.xenc11, "MGF")[0] : undefined;
  const tokenRef = strReference(el);
  const tokenId = tokenRef?.replace(/^#/, "");
  const token =
    tokenId !== undefined
      ? childElements(security, NS.wsse, "BinarySecurityToken").find((t) => (attr(t, "Id", NS.wsu) ?? attr(t, "Id")) === tokenId)
      : undefined;
  const certificate = token ? certificateOf(trimmedText(token)) : undefined;
  const cipherValueEl = childElements(childElements(el, NS.xenc, "CipherData")[0] ?? el, NS.xenc, "CipherValue")[0];
  const id = attr(el, "Id");
  const algorithm = method ? attr(method, "Algorithm") : undefined;
  const digestMethod = digest ? attr(digest, "Algorithm") : undefined;
  const mgfAlgorithm = mgf ? attr(mgf, "Algorithm") : undefined;
  return {
    report: {
      ...(id !== undefined ? { id } : {}),
      ...(algorithm !== undefined ? { algorithm } : {}),
      ...(digestMethod !== undefined ? { digestMethod } : {}),
      ...(mgfAlgorithm !== undefined ? { mgf: mgfAlgorithm } : {}),
      ...(tokenRef !== undefined || certificate
        ? {
            recipient: {
              ...(tokenId !== undefined ? { tokenId } : {}),
              ...(certificate ? { subject: oneLine(certificate.subject), serialNumber: certificate.serialNumber } : {}),
              ...(certificate && key ? { matchesKey: certificate.raw.equals(key.certificate.raw) } : {}),
            },
          }
        : {}),
      dataReferences: selectDataReferences(el),
      unwrap: key ? { status: "skipped" } : { status: "needs-key" },
    },
    cipherValue: Buffer.from((cipherValueEl?.textContent ?? "").replace(/\s+/g, ""), "base64"),
  };
}

function readEncryptedData(el: Element): EncryptedDataReport {
  const method = childElements(el, NS.xenc, "EncryptionMethod")[0];
  const cipherRef = childElements(childElements(el, NS.xenc, "CipherData")[0] ?? el, NS.xenc, "CipherReference")[0];
  const values: [keyof EncryptedDataReport, string | undefined][] = [
    ["id", attr(el, "Id")],
    ["type", attr(el, "Type")],
    ["mimeType", attr(el, "MimeType")],
    ["algorithm", method ? attr(method, "Algorithm") : undefined],
    ["cipherReference", cipherRef ? attr(cipherRef, "URI") : undefined],
    ["keyReference", strReference(el)],
  ];
  return Object.fromEntries(values.filter(([, v]) => v !== undefined)) as EncryptedDataReport;
}

function strReference(el: Element): string | undefined {
  const keyInfo = childElements(el, NS.ds, "KeyInfo")[0];
  const str = keyInfo ? childElements(keyInfo, NS.wsse, "SecurityTokenReference")[0] : undefined;
  const ref = str ? childElements(str, NS.wsse, "Reference")[0] : undefined;
  return ref ? attr(ref, "URI") : undefined;
}

function selectDataReferences(el: Element): string[] {
  return childElements(el, NS.xenc, "ReferenceList").flatMap((rl) => childElements(rl, NS.xenc, "DataReference").map((d) => attr(d, "URI") ?? ""));
}

/** RSA-OAEP with the digest and MGF the EncryptedKey names (XML Encryption defaults: SHA-1 for both). */
function unwrap(cipherValue: Buffer, ek: EncryptedKeyReport, privateKey: KeyObject): Buffer {
  if (ek.algorithm !== ALG.rsaOaep && ek.algorithm !== "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p") {
    throw new Error(`key transport ${ek.algorithm ?? "(missing)"} is not RSA-OAEP`);
  }
  const hash = ek.digestMethod === undefined ? "sha1" : OAEP_DIGESTS[ek.digestMethod];
  if (hash === undefined) throw new Error(`OAEP digest ${ek.digestMethod} is not supported`);
  const mgfHash = ek.mgf === undefined ? "sha1" : MGF_DIGESTS[ek.mgf];
  // node:crypto (OpenSSL) uses the OAEP digest for MGF1 too, so other combinations cannot be unwrapped here.
  if (mgfHash !== hash) throw new Error(`OAEP with digest ${hash} and MGF1-${mgfHash ?? ek.mgf} cannot be unwrapped by node:crypto`);
  if (cipherValue.length === 0) throw new Error("the EncryptedKey has no CipherValue");
  try {
    return privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, cipherValue);
  } catch {
    throw new Error("RSA-OAEP decryption failed (the key was wrapped for another certificate, or the CipherValue is damaged)");
  }
}

async function sha256Of(content: SpooledContent): Promise<Buffer> {
  const hash = createHash("sha256");
  for await (const chunk of content.createReadStream()) hash.update(chunk as Buffer);
  return hash.digest();
}

async function gunzipCount(content: SpooledContent, maxBytes: number): Promise<{ bytes: number; sha256: Buffer }> {
  const hash = createHash("sha256");
  let bytes = 0;
  await pipeline(
    content.createReadStream(),
    gunzipLimited({ maxBytes }),
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        bytes += chunk.length;
        cb();
      },
    }),
  );
  return { bytes, sha256: hash.digest() };
}

function certificateOf(b64: string): X509Certificate | undefined {
  try {
    return new X509Certificate(Buffer.from(b64.replace(/\s+/g, ""), "base64"));
  } catch {
    return undefined;
  }
}

function message(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0] ?? "";
}
