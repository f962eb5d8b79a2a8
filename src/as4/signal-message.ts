import { asReceiverWillParse, attr, childElements, isNamed, newDocument, serialize, trimmedText } from "../xml/dom.js";
import { readDsReference, sameDsReference, DsReferenceFormatError, type DsReference } from "../xml/dsig-reference.js";
import { importNodeDeep } from "../xml/import-node.js";
import { EbmsError, PEPPOL_NOT_SERVICED } from "./ebms-errors.js";
import { buildEnvelopeTree, newEnvelopeIds, type EnvelopeIds, type EnvelopeTree } from "./envelope.js";
import { fromDomElement, serializeXml, toDomElement, xmlAttr, xmlElement, xmlns, type XmlAttr, type XmlElement } from "../xml/xml-text.js";
import { NS } from "./namespaces.js";
import { parseXsDateTime } from "./user-message.js";

/**
 * ebMS 3 signal messages: the non-repudiation Receipt an AP returns for a UserMessage it accepted, and the
 * Error signal it returns otherwise. Builders produce what we send; parsers read what other APs send
 * (Governikus, phase4, Oxalis shapes) into typed values.
 */

export interface SignalInfo {
  messageId: string;
  timestamp: Date;
  refToMessageId?: string;
}

export interface ReceiptSignal {
  kind: "receipt";
  info: SignalInfo & { refToMessageId: string };
  /** False for a plain ebMS receipt without ebbp:NonRepudiationInformation (not acceptable in Peppol). */
  nonRepudiation: boolean;
  /** One per ebbp:MessagePartNRInformation: the references of the signed UserMessage, as the receiver saw them. */
  references: DsReference[];
}

/** One eb:Error, every attribute and child as sent (codes from other MSHs need not be in our table). */
export interface ErrorEntry {
  errorCode: string;
  severity: string;
  category?: string;
  origin?: string;
  refToMessageInError?: string;
  shortDescription?: string;
  description?: { lang: string; text: string };
  errorDetail?: string;
}

export interface ErrorSignal {
  kind: "error";
  info: SignalInfo;
  errors: ErrorEntry[];
}

export type SignalMessage = ReceiptSignal | ErrorSignal;

// ---------------------------------------------------------------------------------------------- building

export interface ReceiptInput {
  messageId: string;
  timestamp: Date;
  /** MessageId of the UserMessage being acknowledged. */
  refToMessageId: string;
  /** The ds:Reference elements of the verified UserMessage's SignedInfo (VerifiedEnvelope.signedInfoReferenceNodes). */
  references: readonly Element[];
}

export interface ErrorSignalInput {
  messageId: string;
  timestamp: Date;
  /** MessageId of the message in error, when it could be read. */
  refToMessageId?: string;
  errors: readonly ErrorEntry[];
}

/** The eb:Error entry for one of our EbmsErrors. */
export function errorEntryOf(error: EbmsError): ErrorEntry {
  return {
    errorCode: error.code,
    severity: error.severity,
    category: error.category,
    origin: error.origin,
    ...(error.refToMessageId !== undefined ? { refToMessageInError: error.refToMessageId } : {}),
    shortDescription: error.shortDescription,
    description: { lang: "en", text: error.description },
    errorDetail: error.detail,
  };
}

/**
 * The unsigned envelope of a receipt as a plain tree (src/xml/xml-text.ts), to sign without a DOM (wss-sign.ts
 * signEnvelopeTree); each reference is copied verbatim. Undefined when a reference holds nodes the tree does not
 * model (comments, CDATA, processing instructions) or nests too deep for it: the caller then takes
 * {@link buildReceiptDocument}.
 */
export function buildReceiptTree(receipt: ReceiptInput, ids: EnvelopeIds = newEnvelopeIds()): EnvelopeTree | undefined {
  let copiable = true;
  const tree = receiptTree(receipt, ids, (ref) => {
    const copy = fromDomElement(ref);
    if (copy === undefined) copiable = false;
    return copy === undefined ? [] : [copy];
  });
  return copiable ? tree : undefined;
}

/**
 * The receipt as a document, for references {@link buildReceiptTree} cannot copy: the same tree, made DOM nodes,
 * with each reference deep-copied into it as a node (so comments and CDATA stay as they were written), then
 * signed by wss-sign.ts signEnvelopeDocument. Made to read as the receiver's parse of its serialisation will
 * (see {@link asReceiverWillParse}), so what is signed is what arrives.
 */
export function buildReceiptDocument(receipt: ReceiptInput, ids: EnvelopeIds = newEnvelopeIds()): Document {
  const tree = receiptTree(receipt, ids, () => []);
  const doc = newDocument();
  doc.appendChild(toDomElement(doc, tree.envelope));
  // Taken before the copies go in: the list is live, and a copied reference may hold elements of that name.
  const parts = Array.from(doc.getElementsByTagNameNS(NS.ebbp, "MessagePartNRInformation"));
  receipt.references.forEach((ref, i) => {
    // Our copy of importNode (src/xml/import-node.ts): the same nodes, without xmldom's walk of every prototype.
    parts[i]!.appendChild(importNodeDeep(doc, ref));
  });
  asReceiverWillParse(doc.documentElement!);
  return doc;
}

/** The unsigned envelope of a receipt as text (no XML declaration); sign it with wss-sign.ts before sending. */
export function buildReceiptEnvelope(receipt: ReceiptInput, ids: EnvelopeIds = newEnvelopeIds()): string {
  const tree = buildReceiptTree(receipt, ids);
  return tree !== undefined ? serializeXml(tree.envelope) : serialize(buildReceiptDocument(receipt, ids));
}

/** `eb:SignalMessage` with a non-repudiation Receipt, each ebbp:MessagePartNRInformation holding `copy(reference)`. */
function receiptTree(receipt: ReceiptInput, ids: EnvelopeIds, copy: (ref: Element) => XmlElement[]): EnvelopeTree {
  return buildEnvelopeTree(ids, () => {
    if (receipt.references.length === 0) throw new Error("a non-repudiation receipt needs the signed references");
    const parts: XmlElement[] = [];
    for (const ref of receipt.references) {
      if (!isNamed(ref, NS.ds, "Reference")) throw new Error(`expected ds:Reference, got ${ref.nodeName}`);
      parts.push(xmlElement("ebbp:MessagePartNRInformation", NS.ebbp, [], copy(ref)));
    }
    const nri = xmlElement("ebbp:NonRepudiationInformation", NS.ebbp, [xmlns("ebbp", NS.ebbp)], parts);
    return xmlElement("eb:SignalMessage", NS.eb, [], [signalInfoElement(receipt), xmlElement("eb:Receipt", NS.eb, [], [nri])]);
  });
}

/** The unsigned envelope of an error signal with one eb:Error per entry, as a plain tree. */
export function buildErrorTree(input: ErrorSignalInput, ids: EnvelopeIds = newEnvelopeIds()): EnvelopeTree {
  return buildEnvelopeTree(ids, () => {
    if (input.errors.length === 0) throw new Error("an error signal needs at least one error");
    const children: XmlElement[] = [signalInfoElement(input)];
    for (const e of input.errors) {
      // Attributes in schema order; absent optional ones are left out rather than written empty.
      const attrs: XmlAttr[] = [];
      for (const [name, value] of [
        ["category", e.category],
        ["errorCode", e.errorCode],
        ["origin", e.origin],
        ["refToMessageInError", e.refToMessageInError],
        ["severity", e.severity],
        ["shortDescription", e.shortDescription],
      ] as const) {
        if (value !== undefined) attrs.push(xmlAttr(name, value));
      }
      const content: XmlElement[] = [];
      if (e.description !== undefined) {
        content.push(xmlElement("eb:Description", NS.eb, [xmlAttr("xml:lang", e.description.lang, NS.xml)], [e.description.text]));
      }
      if (e.errorDetail !== undefined) content.push(xmlElement("eb:ErrorDetail", NS.eb, [], [e.errorDetail]));
      children.push(xmlElement("eb:Error", NS.eb, attrs, content));
    }
    return xmlElement("eb:SignalMessage", NS.eb, [], children);
  });
}

/** {@link buildErrorTree} as text (no XML declaration). */
export function buildErrorEnvelope(input: ErrorSignalInput, ids: EnvelopeIds = newEnvelopeIds()): string {
  return serializeXml(buildErrorTree(input, ids).envelope);
}

function signalInfoElement(info: { messageId: string; timestamp: Date; refToMessageId?: string }): XmlElement {
  const children = [
    xmlElement("eb:Timestamp", NS.eb, [], [info.timestamp.toISOString()]),
    xmlElement("eb:MessageId", NS.eb, [], [info.messageId]),
  ];
  if (info.refToMessageId !== undefined) children.push(xmlElement("eb:RefToMessageId", NS.eb, [], [info.refToMessageId]));
  return xmlElement("eb:MessageInfo", NS.eb, [], children);
}

// ----------------------------------------------------------------------------------------------- reading

/** Read every eb:SignalMessage of an eb:Messaging element, or throw EBMS:0009. */
export function parseSignalMessages(messaging: Element): SignalMessage[] {
  const signals = childElements(messaging, NS.eb, "SignalMessage");
  if (signals.length === 0) throw new EbmsError("EBMS:0009", "eb:Messaging contains no SignalMessage");
  return signals.map(parseSignal);
}

function parseSignal(signal: Element): SignalMessage {
  const info = readSignalInfo(signal);
  try {
    const receipts = childElements(signal, NS.eb, "Receipt");
    const errors = childElements(signal, NS.eb, "Error");
    const pulls = childElements(signal, NS.eb, "PullRequest");
    if (receipts.length + (errors.length > 0 ? 1 : 0) + pulls.length !== 1) {
      throw new EbmsError("EBMS:0009", "a SignalMessage must carry exactly one of Receipt, Error(s) or PullRequest");
    }
    if (pulls.length > 0) throw new EbmsError("EBMS:0002", "PullRequest is not supported (Peppol is push only)");
    if (receipts.length === 1) {
      if (info.refToMessageId === undefined) throw new EbmsError("EBMS:0009", "a Receipt must carry RefToMessageId");
      return readReceipt(receipts[0]!, { ...info, refToMessageId: info.refToMessageId });
    }
    return { kind: "error", info, errors: errors.map(readError) };
  } catch (e) {
    throw e instanceof EbmsError ? e.withRefToMessageId(info.messageId) : e;
  }
}

function readSignalInfo(signal: Element): SignalInfo {
  const infos = childElements(signal, NS.eb, "MessageInfo");
  if (infos.length !== 1) throw new EbmsError("EBMS:0009", "SignalMessage must have exactly one MessageInfo");
  const info = infos[0]!;
  const text = (name: string, required: boolean): string | undefined => {
    const els = childElements(info, NS.eb, name);
    if (els.length > 1 || (required && els.length === 0)) {
      throw new EbmsError("EBMS:0009", `SignalMessage/MessageInfo must have ${required ? "exactly" : "at most"} one ${name}`);
    }
    const value = els[0] ? trimmedText(els[0]) : undefined;
    if (required && !value) throw new EbmsError("EBMS:0009", `SignalMessage/MessageInfo/${name} is empty`);
    return value;
  };
  const messageId = text("MessageId", true)!;
  try {
    const timestamp = parseXsDateTime(text("Timestamp", true)!);
    const refTo = text("RefToMessageId", false);
    return { messageId, timestamp, ...(refTo ? { refToMessageId: refTo } : {}) };
  } catch (e) {
    throw e instanceof EbmsError ? e.withRefToMessageId(messageId) : e;
  }
}

function readReceipt(receipt: Element, info: SignalInfo & { refToMessageId: string }): ReceiptSignal {
  const nris = childElements(receipt, NS.ebbp, "NonRepudiationInformation");
  if (nris.length > 1) throw new EbmsError("EBMS:0009", "Receipt has several NonRepudiationInformation elements");
  if (nris.length === 0) return { kind: "receipt", info, nonRepudiation: false, references: [] };
  const references = childElements(nris[0]!, NS.ebbp, "MessagePartNRInformation").map((part, i) => {
    const refs = childElements(part, NS.ds, "Reference");
    if (refs.length !== 1) {
      throw new EbmsError("EBMS:0009", `MessagePartNRInformation[${i + 1}] must hold exactly one ds:Reference`);
    }
    try {
      return readDsReference(refs[0]!);
    } catch (e) {
      if (e instanceof DsReferenceFormatError) throw new EbmsError("EBMS:0009", `MessagePartNRInformation[${i + 1}]: ${e.message}`);
      throw e;
    }
  });
  if (references.length === 0) throw new EbmsError("EBMS:0009", "NonRepudiationInformation lists no message parts");
  return { kind: "receipt", info, nonRepudiation: true, references };
}

function readError(el: Element): ErrorEntry {
  const errorCode = attr(el, "errorCode")?.trim();
  const severity = attr(el, "severity")?.trim();
  if (!errorCode || !severity) throw new EbmsError("EBMS:0009", "eb:Error must have errorCode and severity");
  const optional = (name: string) => {
    const v = attr(el, name);
    return v !== undefined ? { [name]: v } : {};
  };
  const descriptions = childElements(el, NS.eb, "Description");
  const details = childElements(el, NS.eb, "ErrorDetail");
  if (descriptions.length > 1 || details.length > 1) {
    throw new EbmsError("EBMS:0009", "eb:Error has more than one Description or ErrorDetail");
  }
  const d = descriptions[0];
  return {
    errorCode,
    severity,
    ...optional("category"),
    ...optional("origin"),
    ...optional("refToMessageInError"),
    ...optional("shortDescription"),
    ...(d ? { description: { lang: attr(d, "lang", NS.xml) ?? "", text: trimmedText(d) } } : {}),
    ...(details[0] ? { errorDetail: trimmedText(details[0]) } : {}),
  };
}

// ---------------------------------------------------------------------------------- receipt acceptance

/**
 * A sender's check of the synchronous receipt for a UserMessage it sent: it must acknowledge that message
 * and carry exactly the references we signed (same URI, transforms, digest method and digest). Throws
 * EbmsError EBMS:0302 (InvalidReceipt) otherwise.
 */
export function checkReceipt(receipt: ReceiptSignal, sent: { messageId: string; references: readonly DsReference[] }): void {
  const fail = (detail: string): never => {
    throw new EbmsError("EBMS:0302", detail, { refToMessageId: receipt.info.messageId });
  };
  if (receipt.info.refToMessageId !== sent.messageId) {
    fail(`receipt acknowledges ${receipt.info.refToMessageId}, expected ${sent.messageId}`);
  }
  if (!receipt.nonRepudiation) fail("receipt has no NonRepudiationInformation");
  const unmatched = [...receipt.references];
  for (const ref of sent.references) {
    const i = unmatched.findIndex((r) => sameDsReference(r, ref));
    if (i < 0) fail(`receipt does not confirm reference ${ref.uri} as signed`);
    unmatched.splice(i, 1);
  }
  if (unmatched.length > 0) fail(`receipt lists references we did not sign: ${unmatched.map((r) => r.uri).join(", ")}`);
}

/** True when an eb:Error entry is Peppol's "not serviced" answer. */
export function isNotServiced(entry: ErrorEntry): boolean {
  return entry.errorCode === "EBMS:0004" && entry.errorDetail === PEPPOL_NOT_SERVICED;
}
