/**
 * The typed result of `dpi-ap as4 verify`: everything the analysis found, as plain JSON-safe values (strings,
 * numbers, booleans; times as ISO strings; digests as base64), so `--json` is `JSON.stringify(report)` and
 * the text form (as4-report.ts) is a rendering of the same data.
 */

/** A problem or observation worth an operator's attention; `code` is stable for scripts. */
export interface Finding {
  /** `error`: the receiver rejects the message; `warning`: an interop risk; `info`: context. */
  severity: "error" | "warning" | "info";
  code: FindingCode;
  message: string;
}

export type FindingCode =
  | "INPUT_UNREADABLE"
  | "HTTP_BODY_STILL_CHUNKED"
  | "HTTP_CHUNKED_HEADER_BUT_DECODED_BODY"
  | "MIME_UNREADABLE"
  | "MIME_BARE_LF"
  | "ROOT_WITHOUT_CONTENT_ID"
  | "SOAP_CONTENT_TYPE"
  | "DOCTYPE_PRESENT"
  | "PROCESSING_INSTRUCTION_PRESENT"
  | "SOAP_UNREADABLE"
  | "MESSAGE_UNREADABLE"
  | "PEPPOL_PROFILE"
  | "PART_WITHOUT_PARTINFO"
  | "PARTINFO_WITHOUT_PART"
  | "ATTACHMENT_NOT_ENCRYPTED"
  | "NOT_SIGNED"
  | "SIGNATURE_POLICY"
  | "REFERENCE_SCOPE"
  | "PARTINFO_NOT_SIGNED"
  | "PREFIX_REWRITTEN_AFTER_SIGNING"
  | "LOCALE_NAMESPACE_ORDER"
  | "DIGEST_OF_WRONG_BYTES"
  | "RECEIVER_DISAGREES"
  | "ENCRYPTION_POLICY"
  | "KEY_NOT_RECIPIENT"
  | "CERTIFICATE_NOT_VALID_AT_MESSAGE_TIME"
  | "NO_PEPPOL_SEAT_ID";

export type InputFraming = "http-request" | "http-response" | "http-headers" | "mime" | "soap";

export interface InputReport {
  framing: InputFraming;
  /** `HTTP/1.1 200 OK` or `POST /as4 HTTP/1.1`, when the dump has one. */
  startLine?: string;
  /** The HTTP headers of a dump, in order. */
  headers: { name: string; value: string }[];
  /** The Content-Type the body was read with, and where it came from. */
  contentType?: string;
  contentTypeSource?: "option" | "http-header" | "detected";
  /** Multipart only: the root part's Content-ID, and the Content-Type `start` parameter. */
  rootContentId?: string;
  start?: string;
  /** The MIME attachments as received (before decryption). */
  attachments: { contentId: string; contentType: string; bytes: number }[];
  /** SOAP part length in characters. */
  soapLength?: number;
}

export interface TypedValue {
  value: string;
  type?: string;
}

export interface PartInfoReport {
  href?: string;
  mimeType?: string;
  compressionType?: string;
  characterSet?: string;
  /** Every PartProperty, including the three above. */
  properties: { name: string; value: string; type?: string }[];
}

export interface UserMessageReport {
  kind: "UserMessage";
  messageId: string;
  timestamp?: string;
  refToMessageId?: string;
  mpc?: string;
  from?: { partyIds: TypedValue[]; role: string };
  to?: { partyIds: TypedValue[]; role: string };
  agreementRef?: string;
  service?: TypedValue;
  action?: string;
  conversationId?: string;
  originalSender?: TypedValue;
  finalRecipient?: TypedValue;
  properties: { name: string; value: string; type?: string }[];
  parts: PartInfoReport[];
  /** readUserMessage failed: what could be read is above, this says why the rest is missing. */
  readError?: { code: string; detail: string };
  /** The Peppol AS4 profile check (parseUserMessage), as the receiver applies it. */
  profile: { status: "ok" } | { status: "failed"; code: string; detail: string };
}

export interface DsReferenceReport {
  uri: string;
  transforms: { algorithm: string; prefixList?: string[] }[];
  digestMethod: string;
  digestValue: string;
}

export interface ReceiptReport {
  kind: "Receipt";
  messageId: string;
  timestamp: string;
  refToMessageId: string;
  nonRepudiation: boolean;
  references: DsReferenceReport[];
}

export interface ErrorSignalReport {
  kind: "Error";
  messageId: string;
  timestamp: string;
  refToMessageId?: string;
  errors: {
    errorCode: string;
    severity: string;
    category?: string;
    origin?: string;
    refToMessageInError?: string;
    shortDescription?: string;
    description?: string;
    errorDetail?: string;
  }[];
}

export type MessageReport =
  | UserMessageReport
  | { kind: "SignalMessage"; signals: (ReceiptReport | ErrorSignalReport)[] }
  | { kind: "unreadable"; messageId?: string; code: string; detail: string };

export type ReferenceStatus =
  /** The digest matches. */
  | "ok"
  /** The digest was computed and differs. */
  | "mismatch"
  /** A cid reference to an encrypted attachment, and no --key was given. */
  | "needs-key"
  /** The referenced element or attachment does not exist (or the id is ambiguous). */
  | "missing"
  /** The attachment could not be decrypted, so there are no bytes to digest. */
  | "unavailable"
  /** A transform or digest algorithm this tool cannot compute. */
  | "unsupported";

export interface ReferenceCheck {
  uri: string;
  /** What the reference points at: `eb:Messaging`, `S12:Body`, `attachment`, or the element's path. */
  target: string;
  transforms: { algorithm: string; prefixList?: string[] }[];
  digestMethod: string;
  /** DigestValue as written in SignedInfo. */
  expected: string;
  /** What this tool computed, when it could. */
  computed?: string;
  status: ReferenceStatus;
  detail?: string;
  /** Likely causes of a mismatch this tool could confirm (e.g. "matches with the namespace order of ..."). */
  hints: string[];
}

export interface KeyInfoReport {
  /** How KeyInfo names the signing key. Peppol requires `bst-reference`. */
  form: "bst-reference" | "x509-data" | "key-identifier" | "issuer-serial" | "other" | "none";
  tokenId?: string;
  valueType?: string;
  /** Subject of the certificate used to check the SignatureValue. */
  certificateSubject?: string;
  detail?: string;
}

export interface CheckResult {
  status: "ok" | "failed" | "skipped";
  detail?: string;
}

export interface SignatureReport {
  /** ds:Signature elements anywhere in the envelope. */
  signatureCount: number;
  /** Whether the analysed signature is a child of wsse:Security. */
  inSecurityHeader: boolean;
  canonicalization: { algorithm: string; prefixList?: string[] };
  signatureMethod: string;
  keyInfo: KeyInfoReport;
  references: ReferenceCheck[];
  signatureValue: CheckResult;
  /** Wrapping defence and Peppol policy: references exactly Messaging + Body + every PartInfo. */
  coverage: { status: "ok" | "failed"; problems: string[] };
}

/** What src/as4/wss-verify.ts `verifyEnvelope` (the receiver's own check) said. */
export interface ReceiverVerdict {
  status: "ok" | "failed";
  code?: string;
  detail?: string;
  /**
   * Attachments whose digest the receiver check took as given because their bytes were not available
   * (encrypted and no --key, or decryption failed); the rest of the signature was checked for real.
   */
  assumedAttachments: string[];
}

export interface EncryptedKeyReport {
  id?: string;
  algorithm?: string;
  digestMethod?: string;
  mgf?: string;
  /** The BinarySecurityToken KeyInfo points to: the certificate the key was wrapped for. */
  recipient?: { tokenId?: string; subject?: string; serialNumber?: string; matchesKey?: boolean };
  dataReferences: string[];
  unwrap: CheckResult | { status: "needs-key" };
}

export interface EncryptedDataReport {
  id?: string;
  type?: string;
  /** Type of the plaintext, e.g. application/gzip. */
  mimeType?: string;
  algorithm?: string;
  cipherReference?: string;
  keyReference?: string;
}

export type DecryptionResult =
  | { status: "not-encrypted" }
  | { status: "needs-key" }
  | { status: "ok"; plaintextBytes: number }
  | { status: "failed"; detail: string }
  | { status: "skipped"; detail: string };

export type DecompressionResult =
  | { status: "not-compressed" }
  | { status: "ok"; bytes: number }
  | { status: "failed"; detail: string }
  | { status: "skipped"; detail: string };

export interface PayloadReport {
  contentId: string;
  /** Content-Type of the MIME part as sent. */
  contentType: string;
  wireBytes: number;
  hasPartInfo: boolean;
  compressionType?: string;
  /** AES-GCM: `ok` means the authentication tag checked out. */
  decryption: DecryptionResult;
  decompression: DecompressionResult;
  /** SHA-256 (base64) of the bytes the signature covers (the plaintext, still compressed), when known. */
  signedBytesSha256?: string;
}

export interface EncryptionReport {
  /** Any xenc:EncryptedKey or xenc:EncryptedData in wsse:Security. */
  encrypted: boolean;
  /** src/as4/decrypt.ts `readEncryptionHeader`: the receiver's policy check of the structure. */
  header: CheckResult & { code?: string };
  encryptedKeys: EncryptedKeyReport[];
  encryptedData: EncryptedDataReport[];
  /** Subject of the --key certificate, when given. */
  keySubject?: string;
}

export interface CertificateReport {
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  fingerprintSha256: string;
  isCa: boolean;
  /** Within notBefore..notAfter at the analysis time (`at`). */
  validAt: boolean;
  /** Peppol seat id from the CN (leaf only), or why there is none. */
  seatId?: string;
  seatIdError?: string;
  /** Whether this certificate is one of the --trust anchors. */
  anchor: boolean;
}

export interface SignerReport {
  /** Leaf first; with a validated path, up to the anchor. */
  certificates: CertificateReport[];
  at: string;
  trust:
    | { status: "ok"; anchor: string }
    | { status: "failed"; code: string; message: string; certificate?: string; hint?: string }
    | { status: "skipped"; reason: string };
  /** Whether the leaf was within its validity at the message's own timestamp. */
  validAtMessageTime?: boolean;
  revocation: "not checked";
}

export type VerdictStatus = "verified" | "failed" | "incomplete";

export interface Verdict {
  status: VerdictStatus;
  /** Why it failed (one line each). */
  failures: string[];
  /** What could not be checked and what would allow it (e.g. "--key"). */
  unchecked: string[];
}

export interface As4Report {
  input?: InputReport;
  message?: MessageReport;
  signature?: SignatureReport;
  receiver?: ReceiverVerdict;
  encryption?: EncryptionReport;
  payloads: PayloadReport[];
  signer?: SignerReport;
  findings: Finding[];
  verdict: Verdict;
}
