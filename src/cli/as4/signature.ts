import { constants, createHash, verify as verifySignature, X509Certificate } from "node:crypto";
import { ALG, NS, WSS } from "../../as4/namespaces.js";
import type { SoapEnvelope } from "../../as4/soap-parse.js";
import { attr, childElements, elementChildren, isElement, trimmedText } from "../../xml/dom.js";
import { selectElements } from "../../xml/xpath.js";
import { C14N, canonicalize, isSupportedC14n, type C14nVariant } from "./canonical.js";
import type { CheckResult, Finding, KeyInfoReport, ReferenceCheck, SignatureReport } from "./report-types.js";

/**
 * An independent, exhaustive check of the WS-Security signature for diagnosis. Unlike the receiver's
 * verifyEnvelope (which stops at the first problem), every reference is digested and reported on its own,
 * the SignatureValue is checked even when a digest failed, and the Peppol scope rules (wrapping defence)
 * are listed one by one. Known interop traps are recognised where a recomputation can confirm them.
 */

/** What is known about the bytes of one attachment (the content the signature covers). */
export type AttachmentBytes =
  | {
      status: "available";
      sha256: Buffer;
      /** Other forms of the same attachment; a digest matching one of them explains a mismatch. */
      alternatives: { label: string; sha256: Buffer }[];
    }
  | { status: "needs-key" }
  | { status: "unavailable"; detail: string }
  | { status: "missing" };

export interface SignatureAnalysis {
  report: SignatureReport;
  /** The certificate the SignatureValue was checked with, when KeyInfo could be resolved. */
  certificate?: X509Certificate;
  findings: Finding[];
}

const ID_ATTRIBUTES = ["Id", "ID", "id"];

const DIGESTS: Record<string, string> = {
  "http://www.w3.org/2000/09/xmldsig#sha1": "sha1",
  "http://www.w3.org/2001/04/xmlenc#sha256": "sha256",
  "http://www.w3.org/2001/04/xmldsig-more#sha384": "sha384",
  "http://www.w3.org/2001/04/xmlenc#sha512": "sha512",
};

const SIGNATURES: Record<string, { hash: string; pss?: boolean; ecdsa?: boolean }> = {
  "http://www.w3.org/2000/09/xmldsig#rsa-sha1": { hash: "sha1" },
  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256": { hash: "sha256" },
  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384": { hash: "sha384" },
  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": { hash: "sha512" },
  "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1": { hash: "sha256", pss: true },
  "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256": { hash: "sha256", ecdsa: true },
  "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384": { hash: "sha384", ecdsa: true },
  "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512": { hash: "sha512", ecdsa: true },
};

const ENVELOPED_SIGNATURE = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

/** Analyse the signature of `envelope`; undefined report when the message carries no ds:Signature. */
export function analyseSignature(
  envelope: SoapEnvelope,
  attachments: (contentId: string) => AttachmentBytes,
): SignatureAnalysis | { report?: undefined; findings: Finding[] } {
  const { document, security } = envelope;
  const signatures = selectElements("//ds:Signature", document);
  if (signatures.length === 0) {
    return { findings: [{ severity: "error", code: "NOT_SIGNED", message: "the message has no ds:Signature (the receiver answers EBMS:0101)" }] };
  }
  const findings: Finding[] = [];
  const policy = (message: string) => findings.push({ severity: "error", code: "SIGNATURE_POLICY", message });

  const signature = signatures.find((s) => s.parentNode === security) ?? signatures[0]!;
  const inSecurityHeader = security !== undefined && signature.parentNode === security;
  if (signatures.length > 1) policy(`${signatures.length} ds:Signature elements; the profile allows exactly one`);
  if (!inSecurityHeader) policy("ds:Signature is not a child of wsse:Security");

  const signedInfo = childElements(signature, NS.ds, "SignedInfo")[0];
  const c14nEl = signedInfo ? childElements(signedInfo, NS.ds, "CanonicalizationMethod")[0] : undefined;
  const c14nAlg = (c14nEl && attr(c14nEl, "Algorithm")) ?? "";
  const c14nPrefixes = c14nEl ? prefixListOf(c14nEl) : undefined;
  const sigMethodEl = signedInfo ? childElements(signedInfo, NS.ds, "SignatureMethod")[0] : undefined;
  const sigAlg = (sigMethodEl && attr(sigMethodEl, "Algorithm")) ?? "";
  if (!signedInfo) policy("ds:Signature has no SignedInfo");
  if (signedInfo && c14nAlg !== ALG.excC14n) policy(`SignedInfo canonicalisation is ${c14nAlg || "missing"}; the profile requires exc-c14n`);
  if (signedInfo && sigAlg !== ALG.rsaSha256) policy(`signature algorithm is ${sigAlg || "missing"}; the profile requires rsa-sha256`);

  const key = resolveKey(signature, security);
  if (key.report.form !== "bst-reference") {
    policy(`KeyInfo ${key.report.detail ?? `uses ${key.report.form}`}; Peppol requires a direct wsse:Reference to a BinarySecurityToken (phase4 answers EBMS:0103)`);
  } else if (key.report.valueType !== WSS.x509v3ValueType) {
    policy(`the BinarySecurityToken ValueType is ${key.report.valueType ?? "missing"}; Peppol requires X509v3`);
  }

  const referenceEls = signedInfo ? childElements(signedInfo, NS.ds, "Reference") : [];
  const references = referenceEls.map((el) => checkReference(el, envelope, attachments));
  for (const r of references) {
    const hint = r.hints.find((h) => h.startsWith("matches with namespace declarations sorted by localeCompare"));
    if (hint) {
      findings.push({
        severity: "error",
        code: "LOCALE_NAMESPACE_ORDER",
        message: `${r.uri}: the signer sorted namespace declarations with locale collation instead of code-point order (xml-crypto without a c14n fix); other receivers cannot verify this digest`,
      });
    }
    const wrongBytes = r.hints.find((h) => h.startsWith("matches the SHA-256 of"));
    if (wrongBytes) findings.push({ severity: "error", code: "DIGEST_OF_WRONG_BYTES", message: `${r.uri}: ${wrongBytes}` });
  }
  findings.push(...prefixRewriteFindings(references, envelope));

  const signatureValue = signedInfo
    ? checkSignatureValue(signature, signedInfo, c14nAlg, c14nPrefixes, sigAlg, key.certificate, key.report)
    : { status: "skipped" as const, detail: "no SignedInfo" };

  const coverage = checkCoverage(references, envelope);
  for (const p of coverage.problems) {
    findings.push({ severity: "error", code: p.startsWith("PartInfo") ? "PARTINFO_NOT_SIGNED" : "REFERENCE_SCOPE", message: p });
  }

  return {
    report: {
      signatureCount: signatures.length,
      inSecurityHeader,
      canonicalization: { algorithm: c14nAlg, ...(c14nPrefixes ? { prefixList: c14nPrefixes } : {}) },
      signatureMethod: sigAlg,
      keyInfo: key.report,
      references,
      signatureValue,
      coverage: { status: coverage.problems.length === 0 ? "ok" : "failed", problems: coverage.problems },
    },
    ...(key.certificate ? { certificate: key.certificate } : {}),
    findings,
  };
}

// ------------------------------------------------------------------------------------------ references

interface LooseReference {
  uri: string;
  transforms: { algorithm: string; prefixList?: string[] }[];
  digestMethod: string;
  digestValue: string;
}

/** Reads a ds:Reference without refusing anything, so a malformed one is still reported. */
function readReference(el: Element): LooseReference {
  const transformsEl = childElements(el, NS.ds, "Transforms")[0];
  const transforms = transformsEl
    ? childElements(transformsEl, NS.ds, "Transform").map((t) => {
        const prefixList = prefixListOf(t);
        return { algorithm: attr(t, "Algorithm") ?? "", ...(prefixList ? { prefixList } : {}) };
      })
    : [];
  const dm = childElements(el, NS.ds, "DigestMethod")[0];
  const dv = childElements(el, NS.ds, "DigestValue")[0];
  return {
    uri: attr(el, "URI") ?? "",
    transforms,
    digestMethod: (dm && attr(dm, "Algorithm")) ?? "",
    digestValue: (dv?.textContent ?? "").replace(/\s+/g, ""),
  };
}

function checkReference(el: Element, envelope: SoapEnvelope, attachments: (contentId: string) => AttachmentBytes): ReferenceCheck {
  const ref = readReference(el);
  const base = { uri: ref.uri, transforms: ref.transforms, digestMethod: ref.digestMethod, expected: ref.digestValue, hints: [] as string[] };
  if (ref.uri.startsWith("cid:")) return checkAttachmentReference(ref, base, attachments);
  if (!ref.uri.startsWith("#") || ref.uri.length < 2) {
    return { ...base, target: "?", status: "unsupported", detail: `reference URI ${JSON.stringify(ref.uri)} is neither #id nor cid:` };
  }
  const found = elementsWithId(envelope.document, ref.uri.slice(1));
  if (found.length !== 1) {
    return {
      ...base,
      target: "?",
      status: "missing",
      detail: found.length === 0 ? `no element has Id ${ref.uri.slice(1)}` : `${found.length} elements have Id ${ref.uri.slice(1)} (signature wrapping?)`,
    };
  }
  const target = found[0]!;
  const where = describeTarget(target, envelope);
  const hash = DIGESTS[ref.digestMethod];
  if (!hash) return { ...base, target: where, status: "unsupported", detail: `digest method ${ref.digestMethod || "missing"}` };

  let canonical: (variant: C14nVariant) => string;
  try {
    canonical = canonicalFormOf(target, ref.transforms);
  } catch (e) {
    return { ...base, target: where, status: "unsupported", detail: message(e) };
  }
  const digest = (variant: C14nVariant) => createHash(hash).update(canonical(variant), "utf8").digest("base64");
  const computed = digest("standard");
  if (sameDigest(computed, ref.digestValue)) return { ...base, target: where, computed, status: "ok" };

  const hints: string[] = [];
  if (ref.transforms.some((t) => t.algorithm === C14N.exclusive || t.algorithm === C14N.exclusiveWithComments)) {
    if (sameDigest(digest("locale-order"), ref.digestValue)) {
      hints.push("matches with namespace declarations sorted by localeCompare (the signer's canonicaliser is not code-point ordered)");
    }
  }
  return { ...base, target: where, computed, status: "mismatch", hints };
}

function checkAttachmentReference(
  ref: LooseReference,
  base: Omit<ReferenceCheck, "target" | "status">,
  attachments: (contentId: string) => AttachmentBytes,
): ReferenceCheck {
  const target = "attachment";
  const algorithms = ref.transforms.map((t) => t.algorithm);
  if (algorithms.length !== 1 || algorithms[0] !== ALG.attachmentContentSignatureTransform) {
    return { ...base, target, status: "unsupported", detail: `transforms [${algorithms.join(", ")}]; only the Attachment-Content-Signature-Transform is computed` };
  }
  if (ref.digestMethod !== ALG.sha256) return { ...base, target, status: "unsupported", detail: `digest method ${ref.digestMethod || "missing"}; attachments are digested with sha256` };
  const bytes = attachments(ref.uri.slice(4));
  switch (bytes.status) {
    case "missing":
      return { ...base, target, status: "missing", detail: "the message has no MIME part with this Content-ID" };
    case "needs-key":
      return { ...base, target, status: "needs-key", detail: "encrypted, needs --key" };
    case "unavailable":
      return { ...base, target, status: "unavailable", detail: bytes.detail };
  }
  const computed = bytes.sha256.toString("base64");
  if (sameDigest(computed, ref.digestValue)) return { ...base, target, computed, status: "ok" };
  const hints = bytes.alternatives
    .filter((a) => sameDigest(a.sha256.toString("base64"), ref.digestValue))
    .map((a) => `matches the SHA-256 of ${a.label}`);
  return { ...base, target, computed, status: "mismatch", hints };
}

/** Applies the reference's transforms to a copy of `target`; returns the canonical text for a variant. */
function canonicalFormOf(target: Element, transforms: LooseReference["transforms"]): (variant: C14nVariant) => string {
  let algorithm: string = C14N.inclusive; // XMLDSig: a node-set left at the end is serialised with C14N 1.0
  let prefixList: string[] = [];
  let enveloped = false;
  for (const [i, t] of transforms.entries()) {
    if (t.algorithm === ENVELOPED_SIGNATURE) {
      enveloped = true;
    } else if (isSupportedC14n(t.algorithm)) {
      if (i !== transforms.length - 1) throw new Error(`canonicalisation ${t.algorithm} is not the last transform`);
      algorithm = t.algorithm;
      prefixList = t.prefixList ?? [];
    } else {
      throw new Error(`transform ${t.algorithm || "(no Algorithm)"} is not supported by this tool`);
    }
  }
  // A same-document reference (#id) is dereferenced without comments (XMLDSig §4.4.3.3).
  if (algorithm === C14N.exclusiveWithComments) algorithm = C14N.exclusive;
  if (algorithm === C14N.inclusiveWithComments) algorithm = C14N.inclusive;
  const removeSignatures = (copy: Element) => {
    for (const s of selectElements(".//ds:Signature", copy)) s.parentNode?.removeChild(s);
  };
  return (variant) => canonicalize(target, algorithm, prefixList, variant, enveloped ? removeSignatures : undefined);
}

function describeTarget(el: Element, envelope: SoapEnvelope): string {
  if (el === envelope.messaging && el.parentNode === envelope.header) return "eb:Messaging";
  if (el === envelope.body) return "S12:Body";
  const path: string[] = [];
  for (let n: Node | null = el; n && isElement(n); n = n.parentNode) path.unshift(n.localName ?? n.nodeName);
  return `/${path.join("/")}`;
}

// ------------------------------------------------------------------------------------------- key info

function resolveKey(signature: Element, security: Element | undefined): { report: KeyInfoReport; certificate?: X509Certificate } {
  const keyInfo = childElements(signature, NS.ds, "KeyInfo")[0];
  if (!keyInfo) return { report: { form: "none", detail: "is missing" } };
  const str = childElements(keyInfo, NS.wsse, "SecurityTokenReference")[0];
  const x509Data = childElements(keyInfo, NS.ds, "X509Data")[0];
  if (str) {
    const ref = childElements(str, NS.wsse, "Reference")[0];
    if (ref) {
      const uri = attr(ref, "URI") ?? "";
      const tokenId = uri.startsWith("#") ? uri.slice(1) : uri;
      const tokens = security ? childElements(security, NS.wsse, "BinarySecurityToken").filter((t) => idOf(t) === tokenId) : [];
      const token = tokens[0];
      if (!uri.startsWith("#") || !token) {
        return { report: { form: "other", tokenId, detail: `references ${uri || "nothing"}, which is not a BinarySecurityToken in wsse:Security` } };
      }
      const valueType = attr(token, "ValueType");
      const certificate = certificateOf(trimmedText(token));
      return {
        report: {
          form: "bst-reference",
          tokenId,
          ...(valueType !== undefined ? { valueType } : {}),
          ...(certificate ? { certificateSubject: oneLine(certificate.subject) } : { detail: "the BinarySecurityToken does not hold a readable X.509 certificate" }),
        },
        ...(certificate ? { certificate } : {}),
      };
    }
    const keyIdentifier = childElements(str, NS.wsse, "KeyIdentifier")[0];
    if (keyIdentifier) {
      return { report: { form: "key-identifier", detail: `uses a wsse:KeyIdentifier (${attr(keyIdentifier, "ValueType") ?? "no ValueType"})` } };
    }
    const issuerSerial = selectElements("ds:X509Data/ds:X509IssuerSerial", str)[0];
    if (issuerSerial) {
      const serial = selectElements("ds:X509SerialNumber", issuerSerial)[0];
      const certificate = serial ? bstBySerial(security, trimmedText(serial)) : undefined;
      return {
        report: {
          form: "issuer-serial",
          detail: "uses ds:X509IssuerSerial",
          ...(certificate ? { certificateSubject: oneLine(certificate.subject) } : {}),
        },
        ...(certificate ? { certificate } : {}),
      };
    }
    return { report: { form: "other", detail: "has a SecurityTokenReference of an unknown form" } };
  }
  if (x509Data) {
    const certEl = childElements(x509Data, NS.ds, "X509Certificate")[0];
    const certificate = certEl ? certificateOf(trimmedText(certEl)) : undefined;
    return {
      report: { form: "x509-data", detail: "carries the certificate in ds:X509Data", ...(certificate ? { certificateSubject: oneLine(certificate.subject) } : {}) },
      ...(certificate ? { certificate } : {}),
    };
  }
  return { report: { form: "other", detail: `holds ${elementChildren(keyInfo).map((e) => e.nodeName).join(", ") || "nothing"}` } };
}

function bstBySerial(security: Element | undefined, decimal: string): X509Certificate | undefined {
  if (!security || !/^\d+$/.test(decimal)) return undefined;
  const wanted = BigInt(decimal);
  for (const t of childElements(security, NS.wsse, "BinarySecurityToken")) {
    const c = certificateOf(trimmedText(t));
    if (c && BigInt(`0x${c.serialNumber}`) === wanted) return c;
  }
  return undefined;
}

function certificateOf(b64: string): X509Certificate | undefined {
  const clean = b64.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(clean)) return undefined;
  try {
    return new X509Certificate(Buffer.from(clean, "base64"));
  } catch {
    return undefined;
  }
}

// ------------------------------------------------------------------------------------ signature value

function checkSignatureValue(
  signature: Element,
  signedInfo: Element,
  c14nAlg: string,
  prefixList: string[] | undefined,
  sigAlg: string,
  certificate: X509Certificate | undefined,
  keyInfo: KeyInfoReport,
): CheckResult {
  if (!certificate) return { status: "skipped", detail: `no certificate to check it with (KeyInfo ${keyInfo.detail ?? keyInfo.form})` };
  const alg = SIGNATURES[sigAlg];
  if (!alg) return { status: "skipped", detail: `signature algorithm ${sigAlg || "(missing)"} is not supported by this tool` };
  if (!isSupportedC14n(c14nAlg)) return { status: "skipped", detail: `canonicalisation ${c14nAlg || "(missing)"} is not supported by this tool` };
  const valueEl = childElements(signature, NS.ds, "SignatureValue")[0];
  const value = Buffer.from((valueEl?.textContent ?? "").replace(/\s+/g, ""), "base64");
  if (value.length === 0) return { status: "failed", detail: "SignatureValue is empty" };

  const check = (variant: C14nVariant): boolean => {
    const data = Buffer.from(canonicalize(signedInfo, c14nAlg, prefixList ?? [], variant), "utf8");
    const key = alg.pss
      ? { key: certificate.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
      : alg.ecdsa
        ? { key: certificate.publicKey, dsaEncoding: "ieee-p1363" as const }
        : certificate.publicKey;
    try {
      return verifySignature(alg.hash, data, key, value);
    } catch {
      return false;
    }
  };
  if (check("standard")) return { status: "ok", detail: `verifies with ${oneLine(certificate.subject)}` };
  const localeHint =
    (c14nAlg === C14N.exclusive || c14nAlg === C14N.exclusiveWithComments) && check("locale-order")
      ? "; it verifies over SignedInfo canonicalised with localeCompare namespace order (the signer's canonicaliser is not code-point ordered)"
      : "";
  return { status: "failed", detail: `does not verify with ${oneLine(certificate.subject)}${localeHint}` };
}

// ------------------------------------------------------------------------------- scope and interop

/** The Peppol scope rules: exactly eb:Messaging and S12:Body by exc-c14n, every PartInfo by cid. */
function checkCoverage(references: ReferenceCheck[], envelope: SoapEnvelope): { problems: string[] } {
  const problems: string[] = [];
  const xmlRefs = references.filter((r) => r.uri.startsWith("#"));
  const targets = xmlRefs.map((r) => r.target);
  for (const want of ["eb:Messaging", "S12:Body"]) {
    const n = targets.filter((t) => t === want).length;
    if (n === 0) problems.push(`${want} is not signed`);
    if (n > 1) problems.push(`${want} is referenced ${n} times`);
  }
  for (const r of xmlRefs) {
    if (r.target !== "eb:Messaging" && r.target !== "S12:Body") {
      problems.push(`reference ${r.uri} points at ${r.target}, not at /Envelope/Header/eb:Messaging or /Envelope/Body (signature wrapping?)`);
    }
    if (r.transforms.length !== 1 || r.transforms[0]!.algorithm !== ALG.excC14n) problems.push(`reference ${r.uri} must use exactly the exc-c14n transform`);
  }
  for (const r of references) {
    if (!r.uri.startsWith("#") && !r.uri.startsWith("cid:")) problems.push(`reference ${JSON.stringify(r.uri)} is neither #id nor cid:`);
    if (r.digestMethod !== ALG.sha256) problems.push(`reference ${r.uri} uses digest ${r.digestMethod || "(none)"}; the profile requires sha256`);
  }
  const cids = references.filter((r) => r.uri.startsWith("cid:")).map((r) => r.uri);
  const hrefs = selectElements("eb:UserMessage/eb:PayloadInfo/eb:PartInfo", envelope.messaging)
    .map((p) => attr(p, "href")?.trim() ?? "")
    .filter((h) => h.startsWith("cid:"));
  for (const h of hrefs) if (!cids.includes(h)) problems.push(`PartInfo ${h} is not covered by the signature`);
  for (const c of new Set(cids)) {
    if (!hrefs.includes(c)) problems.push(`signed attachment ${c} has no PartInfo`);
    if (cids.filter((x) => x === c).length > 1) problems.push(`attachment ${c} is referenced more than once`);
  }
  return { problems };
}

/**
 * A digest that fails for eb:Messaging alone, while the Body verifies, is the signature of a header changed
 * after signing. The known case is a SOAP stack rewriting namespace prefixes: Holodeck B2B 4.1 (Dataport)
 * turned `mustUnderstand:mustUnderstand` (with its own declaration) into `soapenv:mustUnderstand`. The digest
 * is recomputed with the SOAP-namespace attributes written under other likely prefixes; a match confirms it.
 */
function prefixRewriteFindings(references: ReferenceCheck[], envelope: SoapEnvelope): Finding[] {
  const messaging = references.find((r) => r.target === "eb:Messaging");
  const others = references.filter((r) => r !== messaging && r.uri.startsWith("#"));
  if (!messaging || messaging.status !== "mismatch" || messaging.hints.length > 0) return [];
  if (others.length === 0 || others.some((r) => r.status !== "ok")) return [];
  const transform = messaging.transforms[messaging.transforms.length - 1];
  const hash = DIGESTS[messaging.digestMethod];
  if (!transform || !hash || !isSupportedC14n(transform.algorithm)) return [];

  const soapAttributes = (root: Element): Attr[] =>
    [root, ...selectElements(".//*", root)].flatMap((el) => {
      const out: Attr[] = [];
      for (let i = 0; i < el.attributes.length; i++) {
        const a = el.attributes.item(i)!;
        if (a.namespaceURI === NS.S12) out.push(a);
      }
      return out;
    });
  const current = soapAttributes(envelope.messaging);
  const written = [...new Set(current.map((a) => a.name))];
  const candidates = [...new Set([envelope.envelope.prefix ?? "", "S12", "soap", "soapenv", "env", "s", ...current.map((a) => a.localName ?? "")])].filter(
    (p) => p !== "" && !current.every((a) => a.prefix === p),
  );
  const confirmed = candidates.find((prefix) => {
    const rewrite = (copy: Element) => {
      for (const a of soapAttributes(copy)) {
        const owner = a.ownerElement!;
        owner.removeAttributeNode(a);
        owner.setAttributeNS(NS.S12, `${prefix}:${a.localName}`, a.value);
      }
    };
    const digest = createHash(hash).update(canonicalize(envelope.messaging, transform.algorithm, transform.prefixList ?? [], "standard", rewrite), "utf8").digest("base64");
    return sameDigest(digest, messaging.expected);
  });
  if (confirmed !== undefined) {
    messaging.hints.push(`matches when the SOAP attribute(s) ${written.join(", ")} are written with prefix "${confirmed}"`);
    return [
      {
        severity: "error",
        code: "PREFIX_REWRITTEN_AFTER_SIGNING",
        message:
          `eb:Messaging was signed with ${written.map((w) => `${confirmed}:${w.split(":")[1] ?? w}`).join(", ")} and the prefix was rewritten to ${written.join(", ")} afterwards ` +
          "(confirmed by recomputing the digest); the sender's SOAP stack changes the header after signing, as Holodeck B2B 4.1 did",
      },
    ];
  }
  return [
    {
      severity: "warning",
      code: "PREFIX_REWRITTEN_AFTER_SIGNING",
      message:
        "only the eb:Messaging digest fails while the Body verifies: eb:Messaging was changed after signing. A known cause is a SOAP stack " +
        "rewriting namespace prefixes (Holodeck B2B 4.1 rewrote the mustUnderstand prefix); no prefix rewrite this tool tried explains it, so the content may have changed" +
        (written.length > 0 ? ` (SOAP attributes on it now: ${written.join(", ")}; the Envelope uses prefix "${envelope.envelope.prefix ?? ""}")` : ""),
    },
  ];
}

function prefixListOf(el: Element): string[] | undefined {
  const inc = childElements(el, NS.ec, "InclusiveNamespaces")[0];
  const list = inc ? attr(inc, "PrefixList") : undefined;
  return list === undefined ? undefined : list.split(/\s+/).filter((p) => p !== "");
}

function elementsWithId(doc: Document, id: string): Element[] {
  return selectElements("//*", doc).filter((el) => {
    for (let i = 0; i < el.attributes.length; i++) {
      const a = el.attributes.item(i)!;
      if (ID_ATTRIBUTES.includes(a.localName ?? a.name) && a.value === id) return true;
    }
    return false;
  });
}

function idOf(el: Element): string | undefined {
  return attr(el, "Id", NS.wsu) ?? attr(el, "Id");
}

function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, "base64");
  const y = Buffer.from(b, "base64");
  return x.length > 0 && x.equals(y);
}

function message(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0] ?? "";
}

export function oneLine(name: string): string {
  return name.replace(/\n/g, ", ");
}

