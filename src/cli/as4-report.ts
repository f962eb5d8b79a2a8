import type {
  As4Report,
  CertificateReport,
  ErrorSignalReport,
  MessageReport,
  PayloadReport,
  ReceiptReport,
  ReferenceCheck,
  SignerReport,
  TypedValue,
  UserMessageReport,
} from "./as4/report-types.js";

/**
 * Renders an As4Report for a terminal: one section per concern, one line per fact, status words an operator
 * can grep for (`ok`, `FAILED`, `MISMATCH`, `needs --key`). The JSON form is the report itself.
 */

export function formatAs4ReportJson(report: As4Report, file?: string): string {
  return `${JSON.stringify(file === undefined ? report : { file, ...report }, null, 2)}\n`;
}

export function formatAs4Report(report: As4Report, file?: string): string {
  const out: string[] = [];
  const section = (title: string) => out.push("", title);
  const line = (label: string, value: string, indent = 2) => out.push(`${" ".repeat(indent)}${label.padEnd(16)} ${value}`);

  out.push(`AS4 message check${file !== undefined ? `: ${file}` : ""}`);

  if (report.input) {
    const i = report.input;
    section("Input");
    const framing = {
      "http-request": `HTTP request dump (${i.startLine ?? ""})`,
      "http-response": `HTTP response dump (${i.startLine ?? ""})`,
      "http-headers": "HTTP dump (headers and body, no start line)",
      mime: "MIME multipart body",
      soap: "SOAP XML",
    }[i.framing];
    line("Form", framing);
    if (i.contentType !== undefined) line("Content-Type", `${i.contentType}  [${i.contentTypeSource === "http-header" ? "from the HTTP header" : i.contentTypeSource === "option" ? "from --content-type" : "detected"}]`);
    if (i.contentType?.toLowerCase().startsWith("multipart/")) {
      line("Root part", `${i.rootContentId !== undefined ? `Content-ID <${i.rootContentId}>` : "no Content-ID"}${i.start !== undefined ? `, start=${i.start}` : ""}`);
    }
    if (i.soapLength !== undefined) line("SOAP part", `${i.soapLength} characters`);
    for (const a of i.attachments) line("Attachment", `<${a.contentId}> ${a.contentType}, ${a.bytes} bytes`);
  }

  if (report.message) formatMessage(report.message, section, line);

  if (report.signature) {
    const s = report.signature;
    section("Signature");
    line("SignedInfo", `${short(s.canonicalization.algorithm)}${prefixes(s.canonicalization.prefixList)}, ${short(s.signatureMethod)}`);
    if (s.signatureCount !== 1 || !s.inSecurityHeader) line("Placement", `${s.signatureCount} ds:Signature element(s); ${s.inSecurityHeader ? "in" : "NOT in"} wsse:Security`);
    const k = s.keyInfo;
    line(
      "KeyInfo",
      k.form === "bst-reference"
        ? `direct reference to BinarySecurityToken #${k.tokenId} (${short(k.valueType ?? "no ValueType")})${k.certificateSubject ? `: ${k.certificateSubject}` : `: ${k.detail ?? ""}`}`
        : `${k.form}: ${k.detail ?? ""}${k.certificateSubject ? ` (${k.certificateSubject})` : ""}`,
    );
    s.references.forEach((r, n) => formatReference(r, n + 1, out));
    line("SignatureValue", `${statusWord(s.signatureValue.status)}${s.signatureValue.detail ? `, ${s.signatureValue.detail}` : ""}`);
    if (s.coverage.status === "ok") line("Coverage", "ok: exactly eb:Messaging and S12:Body, and every PartInfo");
    else {
      line("Coverage", "FAILED");
      for (const p of s.coverage.problems) out.push(`${" ".repeat(19)}- ${p}`);
    }
  }
  if (report.receiver) {
    const r = report.receiver;
    const assumed = r.assumedAttachments.length > 0 ? ` (digests of ${r.assumedAttachments.map((c) => `cid:${c}`).join(", ")} taken as claimed: the bytes are not available)` : "";
    line("Receiver check", r.status === "ok" ? `ok: verifyEnvelope accepts the signature${assumed}` : `FAILED: verifyEnvelope says ${r.code} ${r.detail}${assumed}`);
  }

  if (report.encryption?.encrypted) {
    const e = report.encryption;
    section("Encryption");
    if (e.keySubject !== undefined) line("--key", e.keySubject);
    for (const k of e.encryptedKeys) {
      const recipient = k.recipient?.subject ?? (k.recipient?.tokenId !== undefined ? `#${k.recipient.tokenId} (unreadable)` : "(no recipient token)");
      const match = k.recipient?.matchesKey === undefined ? "" : k.recipient.matchesKey ? " [matches --key]" : " [NOT the --key certificate]";
      line(`EncryptedKey`, `${k.id ?? "(no Id)"}: ${short(k.algorithm ?? "(no algorithm)")} (${short(k.digestMethod ?? "sha1 default")}, ${short(k.mgf ?? "mgf1sha1 default")}) for ${recipient}${match}`);
      line("", `unwrap: ${k.unwrap.status === "needs-key" ? "needs --key" : `${statusWord(k.unwrap.status)}${k.unwrap.detail ? `, ${k.unwrap.detail}` : ""}`}`);
    }
    for (const d of e.encryptedData) {
      line("EncryptedData", `${d.id ?? "(no Id)"}: ${short(d.algorithm ?? "(no algorithm)")}, ${d.cipherReference ?? "(no CipherReference)"}, plaintext type ${d.mimeType ?? "(not given)"}, key ${d.keyReference ?? "(none)"}`);
    }
    line("Header policy", e.header.status === "ok" ? "ok" : `FAILED: ${e.header.code} ${e.header.detail}`);
  }

  if (report.payloads.length > 0) {
    section("Payloads");
    for (const p of report.payloads) formatPayload(p, line);
  }

  if (report.signer) formatSigner(report.signer, section, line, out);

  const notes = report.findings.filter((f) => f.severity !== "error");
  if (notes.length > 0) {
    section("Notes");
    for (const f of notes) out.push(`  ${f.severity} ${f.code}: ${f.message}`);
  }

  const v = report.verdict;
  section(`Verdict: ${v.status.toUpperCase()}`);
  for (const f of v.failures) out.push(`  - ${f}`);
  for (const u of v.unchecked) out.push(`  - not checked: ${u}`);
  return `${out.join("\n")}\n`;
}

type Line = (label: string, value: string, indent?: number) => void;

function formatMessage(m: MessageReport, section: (t: string) => void, line: Line): void {
  if (m.kind === "unreadable") {
    section("Message: unreadable");
    if (m.messageId !== undefined) line("MessageId", m.messageId);
    line("Problem", `${m.code} ${m.detail}`);
    return;
  }
  if (m.kind === "UserMessage") return formatUserMessage(m, section, line);
  for (const s of m.signals) (s.kind === "Receipt" ? formatReceipt : formatError)(s as never, section, line);
}

function formatUserMessage(m: UserMessageReport, section: (t: string) => void, line: Line): void {
  section("Message: UserMessage");
  line("MessageId", m.messageId || "(missing)");
  if (m.timestamp !== undefined) line("Timestamp", m.timestamp);
  if (m.refToMessageId !== undefined) line("RefToMessageId", m.refToMessageId);
  if (m.mpc !== undefined) line("MPC", m.mpc);
  for (const [label, p] of [["From", m.from], ["To", m.to]] as const) {
    if (p) line(label, `${p.partyIds.map(typed).join(", ") || "(no PartyId)"}  role ${short(p.role)}`);
  }
  if (m.agreementRef !== undefined) line("AgreementRef", m.agreementRef);
  if (m.service) line("Service", typed(m.service));
  if (m.action !== undefined) line("Action", m.action);
  if (m.conversationId !== undefined) line("ConversationId", m.conversationId);
  if (m.originalSender) line("originalSender", typed(m.originalSender));
  if (m.finalRecipient) line("finalRecipient", typed(m.finalRecipient));
  for (const p of m.properties.filter((x) => x.name !== "originalSender" && x.name !== "finalRecipient")) line(`Property`, `${p.name}=${p.value}${p.type ? ` (${p.type})` : ""}`);
  m.parts.forEach((p, i) => {
    const attrs = [p.mimeType ?? "no MimeType", p.compressionType ? `compressed ${p.compressionType}` : "not compressed", p.characterSet].filter(Boolean);
    line(`PartInfo ${i + 1}`, `${p.href ?? "(no href)"}  ${attrs.join(", ")}`);
  });
  line("Peppol profile", m.profile.status === "ok" ? "ok" : `FAILED: ${m.profile.code} ${m.profile.detail}`);
}

function formatReceipt(r: ReceiptReport, section: (t: string) => void, line: Line): void {
  section("Message: Receipt (signal)");
  line("MessageId", r.messageId);
  line("RefToMessageId", r.refToMessageId);
  line("Timestamp", r.timestamp);
  line("Non-repudiation", r.nonRepudiation ? `${r.references.length} reference(s) of the acknowledged message` : "NONE (plain receipt, not acceptable in Peppol)");
  for (const ref of r.references) line("", `${ref.uri}  ${short(ref.digestMethod)} ${ref.digestValue}  [${ref.transforms.map((t) => short(t.algorithm)).join(", ")}]`, 4);
}

function formatError(e: ErrorSignalReport, section: (t: string) => void, line: Line): void {
  section("Message: Error (signal)");
  line("MessageId", e.messageId);
  if (e.refToMessageId !== undefined) line("RefToMessageId", e.refToMessageId);
  line("Timestamp", e.timestamp);
  e.errors.forEach((x, i) => {
    line(`Error ${i + 1}`, `${x.errorCode} ${x.severity}${x.shortDescription ? ` ${x.shortDescription}` : ""}${x.category ? ` [${x.category}${x.origin ? `, ${x.origin}` : ""}]` : ""}`);
    if (x.refToMessageInError !== undefined) line("", `refToMessageInError ${x.refToMessageInError}`, 4);
    if (x.description !== undefined) line("", `description ${x.description}`, 4);
    if (x.errorDetail !== undefined) line("", `detail ${x.errorDetail}`, 4);
  });
}

function formatReference(r: ReferenceCheck, n: number, out: string[]): void {
  const status = { ok: "ok", mismatch: "MISMATCH", "needs-key": "needs --key", missing: "MISSING", unavailable: "UNAVAILABLE", unsupported: "UNSUPPORTED" }[r.status];
  const transforms = r.transforms.map((t) => `${short(t.algorithm)}${prefixes(t.prefixList)}`).join(", ") || "no transforms";
  out.push(`  ${`Reference ${n}`.padEnd(17)}${status.padEnd(12)} ${r.uri} -> ${r.target}  [${transforms}; ${short(r.digestMethod)}]`);
  const pad = " ".repeat(19);
  if (r.detail !== undefined) out.push(`${pad}${r.detail}`);
  if (r.status === "mismatch") {
    out.push(`${pad}expected ${r.expected}`);
    out.push(`${pad}computed ${r.computed ?? "?"}`);
  }
  for (const h of r.hints) out.push(`${pad}hint: ${h}`);
}

function formatPayload(p: PayloadReport, line: Line): void {
  line(`<${p.contentId}>`, `${p.contentType}, ${p.wireBytes} bytes as sent${p.hasPartInfo ? "" : ", NO PartInfo"}`);
  const d = p.decryption;
  const decryption =
    d.status === "ok"
      ? `ok, GCM tag verified, ${d.plaintextBytes} bytes`
      : d.status === "needs-key"
        ? "encrypted, needs --key"
        : d.status === "not-encrypted"
          ? "not encrypted"
          : `${d.status === "failed" ? "FAILED" : "skipped"}: ${d.detail}`;
  line("", `decryption     ${decryption}`, 4);
  const z = p.decompression;
  const decompression =
    z.status === "ok" ? `ok, ${z.bytes} bytes after gunzip` : z.status === "not-compressed" ? "not compressed" : `${z.status === "failed" ? "FAILED" : "skipped"}: ${z.detail}`;
  line("", `decompression  ${decompression}`, 4);
  if (p.signedBytesSha256 !== undefined) line("", `sha256         ${p.signedBytesSha256} (the signed bytes)`, 4);
}

function formatSigner(s: SignerReport, section: (t: string) => void, line: Line, out: string[]): void {
  section("Signer certificate");
  s.certificates.forEach((c: CertificateReport, i) => {
    out.push(`  [${i + 1}] ${c.subject}${c.anchor ? "  (trust anchor)" : ""}`);
    line("issuer", c.issuer, 6);
    line("serial", c.serialNumber, 6);
    line("valid", `${c.notBefore} to ${c.notAfter} (${c.validAt ? "valid" : "NOT valid"} at ${s.at})`, 6);
    if (c.seatId !== undefined) line("Peppol seat id", c.seatId, 6);
    if (c.seatIdError !== undefined) line("Peppol seat id", `none: ${c.seatIdError}`, 6);
    line("sha256", c.fingerprintSha256, 6);
  });
  const t = s.trust;
  line(
    "Chain",
    t.status === "ok"
      ? `ok at ${s.at}, trusted through ${t.anchor}`
      : t.status === "skipped"
        ? `not validated (${t.reason})`
        : `FAILED at ${s.at}: ${t.code} ${t.message}${t.certificate ? ` [${t.certificate}]` : ""}${t.hint ? `; ${t.hint}` : ""}`,
  );
  if (s.validAtMessageTime !== undefined) line("At message time", s.validAtMessageTime ? "the signer certificate was valid" : "the signer certificate was NOT valid");
  line("Revocation", "not checked (offline tool)");
}

function statusWord(status: "ok" | "failed" | "skipped"): string {
  return status === "ok" ? "ok" : status === "failed" ? "FAILED" : "skipped";
}

function typed(v: TypedValue): string {
  return v.type !== undefined ? `${v.value} (${v.type})` : v.value;
}

function prefixes(list: string[] | undefined): string {
  return list && list.length > 0 ? ` PrefixList="${list.join(" ")}"` : "";
}

const SHORT: Record<string, string> = {
  "http://www.w3.org/2001/10/xml-exc-c14n#": "exc-c14n",
  "http://www.w3.org/2001/10/xml-exc-c14n#WithComments": "exc-c14n-with-comments",
  "http://www.w3.org/TR/2001/REC-xml-c14n-20010315": "c14n",
  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256": "rsa-sha256",
  "http://www.w3.org/2001/04/xmlenc#sha256": "sha256",
  "http://www.w3.org/2000/09/xmldsig#sha1": "sha1",
  "http://docs.oasis-open.org/wss/oasis-wss-SwAProfile-1.1#Attachment-Content-Signature-Transform": "Attachment-Content-Signature-Transform",
  "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3": "X509v3",
  "http://www.w3.org/2009/xmlenc11#rsa-oaep": "rsa-oaep",
  "http://www.w3.org/2009/xmlenc11#mgf1sha256": "mgf1sha256",
  "http://www.w3.org/2009/xmlenc11#aes128-gcm": "aes128-gcm",
  "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/initiator": "initiator",
  "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/responder": "responder",
};

function short(uri: string): string {
  return SHORT[uri] ?? uri;
}
