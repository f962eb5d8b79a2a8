import { randomUUID } from "node:crypto";
import { attr, childElements, trimmedText } from "../xml/dom.js";
import { serializeXml, xmlAttr, xmlElement, type XmlElement, type XmlNode } from "../xml/xml-text.js";
import { EbmsError, type EbmsErrorCode } from "./ebms-errors.js";
import { buildEnvelopeTree, newEnvelopeIds, type EnvelopeIds, type EnvelopeTree } from "./envelope.js";
import { NS, PEPPOL } from "./namespaces.js";

/**
 * The ebMS 3 UserMessage as the Peppol AS4 profile shapes it: building the `eb:Messaging` header we send,
 * and reading one we receive. Reading is two steps: {@link readUserMessage} accepts anything the ebMS 3
 * schema allows (tolerant of whitespace, prefixes and timestamp forms), {@link toPeppolUserMessage} applies
 * the Peppol profile. {@link parseUserMessage} does both.
 *
 * Error codes: a missing, repeated or malformed element is EBMS:0009 (InvalidHeader); a well-formed value
 * that differs from the Peppol P-Mode (party id type, roles, agreement, MPC, compression) is EBMS:0010
 * (ProcessingModeMismatch).
 */

/** A payload part: one MIME attachment, referenced as `cid:` + its Content-ID without angle brackets. */
export interface PartInfo {
  href: string;
  /** MIME type of the payload before compression (REQUIRED by the profile). */
  mimeType: string;
  /** `application/gzip` when compressed (the only compression AS4 defines). */
  compressionType?: string;
  /** RECOMMENDED for XML payloads. */
  characterSet?: string;
}

/** A participant identifier with its scheme, e.g. `{ type: "iso6523-actorid-upis", value: "0192:987654321" }`. */
export interface TypedIdentifier {
  value: string;
  type: string;
}

/** A UserMessage valid under the Peppol AS4 profile. Fixed profile values (party id type, roles, agreement) are implied. */
export interface UserMessage {
  /** RFC 2822 `left@right` form, e.g. `uuid@host`. */
  messageId: string;
  timestamp: Date;
  /** From/PartyId: the sending AP's certificate CN (e.g. `PNO000001`). */
  fromPartyId: string;
  /** To/PartyId: the receiving AP's certificate CN. */
  toPartyId: string;
  /** Process identifier; `type` is the process scheme (absent only for the AS4 test service). */
  service: { value: string; type?: string };
  /** `«document type scheme»::«document type value»`. */
  action: string;
  conversationId: string;
  originalSender: TypedIdentifier;
  finalRecipient: TypedIdentifier;
  parts: PartInfo[];
}

/** ebMS 3 property (MessageProperties or PartProperties). */
export interface Ebms3Property {
  name: string;
  value: string;
  type?: string;
}

export interface Ebms3PartyId {
  value: string;
  type?: string;
}

export interface Ebms3Party {
  partyIds: Ebms3PartyId[];
  role: string;
}

/** A UserMessage as the ebMS 3 schema allows it, before Peppol's rules are applied. */
export interface Ebms3UserMessage {
  mpc?: string;
  messageId: string;
  timestamp: Date;
  refToMessageId?: string;
  from: Ebms3Party;
  to: Ebms3Party;
  agreementRef?: { value: string; type?: string; pmode?: string };
  service: { value: string; type?: string };
  action: string;
  conversationId: string;
  messageProperties: Ebms3Property[];
  parts: { href?: string; properties: Ebms3Property[] }[];
}

/** `uuid@host`; the `@` is what Oxalis and RFC 2822 require. */
export function generateMessageId(host: string, uuid: () => string = randomUUID): string {
  return `${uuid()}@${host}`;
}

/** The Content-ID (without angle brackets) a `cid:` href points to. */
export function contentIdOf(part: Pick<PartInfo, "href">): string {
  if (!part.href.startsWith("cid:")) throw new Error(`not a cid: href: ${part.href}`);
  return part.href.slice(4);
}

// ---------------------------------------------------------------------------------------------- building

/**
 * `eb:UserMessage` for `um` as a plain element tree (src/xml/xml-text.ts), to go into the envelope
 * (envelope.ts) a sender signs without a DOM (outbound.ts). Refuses what we would reject inbound.
 */
export function userMessageElement(um: UserMessage): XmlElement {
  toPeppolUserMessage(fromPeppol(um)); // our own output must pass our own inbound rules

  const eb = (name: string, children: XmlNode[] = [], attrs: [string, string][] = []): XmlElement =>
    xmlElement(
      name,
      NS.eb,
      attrs.map(([n, v]) => xmlAttr(n, v)),
      children,
    );
  const party = (tag: string, partyId: string, role: string): XmlElement =>
    eb(tag, [eb("eb:PartyId", [partyId], [["type", PEPPOL.partyIdType]]), eb("eb:Role", [role])]);

  const children: XmlElement[] = [
    eb("eb:MessageInfo", [eb("eb:Timestamp", [um.timestamp.toISOString()]), eb("eb:MessageId", [um.messageId])]),
    eb("eb:PartyInfo", [party("eb:From", um.fromPartyId, PEPPOL.initiatorRole), party("eb:To", um.toPartyId, PEPPOL.responderRole)]),
    eb("eb:CollaborationInfo", [
      eb("eb:AgreementRef", [PEPPOL.agreementRef]),
      eb("eb:Service", [um.service.value], um.service.type !== undefined ? [["type", um.service.type]] : []),
      eb("eb:Action", [um.action]),
      eb("eb:ConversationId", [um.conversationId]),
    ]),
    eb("eb:MessageProperties", [
      eb("eb:Property", [um.originalSender.value], [["name", "originalSender"], ["type", um.originalSender.type]]),
      eb("eb:Property", [um.finalRecipient.value], [["name", "finalRecipient"], ["type", um.finalRecipient.type]]),
    ]),
  ];
  if (um.parts.length > 0) {
    const partInfo = (part: PartInfo): XmlElement =>
      eb("eb:PartInfo", [eb("eb:PartProperties", partPropertiesOf(part).map((p) => eb("eb:Property", [p.value], [["name", p.name]])))], [["href", part.href]]);
    children.push(eb("eb:PayloadInfo", um.parts.map(partInfo)));
  }
  return eb("eb:UserMessage", children);
}

/** The unsigned SOAP envelope of a UserMessage, to sign with wss-sign.ts signEnvelopeTree (outbound.ts). */
export function buildUserMessageTree(um: UserMessage, ids: EnvelopeIds = newEnvelopeIds()): EnvelopeTree {
  return buildEnvelopeTree(ids, () => userMessageElement(um));
}

/** {@link buildUserMessageTree} as text (no XML declaration). */
export function buildUserMessageEnvelope(um: UserMessage, ids: EnvelopeIds = newEnvelopeIds()): string {
  return serializeXml(buildUserMessageTree(um, ids).envelope);
}

function partPropertiesOf(part: PartInfo): Ebms3Property[] {
  const out: Ebms3Property[] = [{ name: "MimeType", value: part.mimeType }];
  if (part.characterSet !== undefined) out.push({ name: "CharacterSet", value: part.characterSet });
  if (part.compressionType !== undefined) out.push({ name: "CompressionType", value: part.compressionType });
  return out;
}

function fromPeppol(um: UserMessage): Ebms3UserMessage {
  return {
    messageId: um.messageId,
    timestamp: um.timestamp,
    from: { partyIds: [{ value: um.fromPartyId, type: PEPPOL.partyIdType }], role: PEPPOL.initiatorRole },
    to: { partyIds: [{ value: um.toPartyId, type: PEPPOL.partyIdType }], role: PEPPOL.responderRole },
    agreementRef: { value: PEPPOL.agreementRef },
    service: um.service,
    action: um.action,
    conversationId: um.conversationId,
    messageProperties: [
      { name: "originalSender", ...um.originalSender },
      { name: "finalRecipient", ...um.finalRecipient },
    ],
    parts: um.parts.map((p) => ({ href: p.href, properties: partPropertiesOf(p) })),
  };
}

// ----------------------------------------------------------------------------------------------- reading

/** eb:UserMessage/eb:PayloadInfo/eb:PartInfo under eb:Messaging, in document order, by walking the children (as XPath would find them). */
export function partInfosOf(messaging: Element): Element[] {
  return childElements(messaging, NS.eb, "UserMessage")
    .flatMap((u) => childElements(u, NS.eb, "PayloadInfo"))
    .flatMap((p) => childElements(p, NS.eb, "PartInfo"));
}

/** Read the single eb:UserMessage of an eb:Messaging element as the ebMS 3 schema allows it, or throw EBMS:0009. */
export function readUserMessage(messaging: Element): Ebms3UserMessage {
  const users = childElements(messaging, NS.eb, "UserMessage");
  if (users.length !== 1) throw new EbmsError("EBMS:0009", `expected exactly one eb:UserMessage, found ${users.length}`);
  const user = users[0]!;

  const info = one(user, "MessageInfo", "UserMessage");
  const messageId = requiredText(one(info, "MessageId", "MessageInfo"), "MessageId");
  try {
    const timestamp = parseXsDateTime(requiredText(one(info, "Timestamp", "MessageInfo"), "Timestamp"));
    const refTo = optionalOne(info, "RefToMessageId", "MessageInfo");

    const partyInfo = one(user, "PartyInfo", "UserMessage");
    const collab = one(user, "CollaborationInfo", "UserMessage");
    const agreement = optionalOne(collab, "AgreementRef", "CollaborationInfo");
    const serviceEl = one(collab, "Service", "CollaborationInfo");
    const messageProperties = optionalOne(user, "MessageProperties", "UserMessage");
    const payloadInfo = optionalOne(user, "PayloadInfo", "UserMessage");
    const mpc = attr(user, "mpc");
    const serviceType = attr(serviceEl, "type");

    return {
      ...(mpc !== undefined ? { mpc: mpc.trim() } : {}),
      messageId,
      timestamp,
      ...(refTo ? { refToMessageId: trimmedText(refTo) } : {}),
      from: readParty(one(partyInfo, "From", "PartyInfo"), "From"),
      to: readParty(one(partyInfo, "To", "PartyInfo"), "To"),
      ...(agreement ? { agreementRef: readAgreementRef(agreement) } : {}),
      service: { value: requiredText(serviceEl, "Service"), ...(serviceType !== undefined ? { type: serviceType.trim() } : {}) },
      action: requiredText(one(collab, "Action", "CollaborationInfo"), "Action"),
      conversationId: requiredText(one(collab, "ConversationId", "CollaborationInfo"), "ConversationId"),
      messageProperties: messageProperties ? readProperties(messageProperties) : [],
      parts: payloadInfo ? childElements(payloadInfo, NS.eb, "PartInfo").map(readPartInfo) : [],
    };
  } catch (e) {
    throw e instanceof EbmsError ? e.withRefToMessageId(messageId) : e;
  }
}

/** Apply the Peppol AS4 profile to a schema-valid UserMessage, or throw EbmsError (0009 / 0010). */
export function toPeppolUserMessage(raw: Ebms3UserMessage): UserMessage {
  const fail = (code: EbmsErrorCode, detail: string): never => {
    throw new EbmsError(code, detail, { refToMessageId: raw.messageId });
  };

  if (!/^[^\s<>@]+@[^\s<>@]+$/.test(raw.messageId)) fail("EBMS:0009", `MessageId must have the form left@right: ${raw.messageId}`);
  if (raw.refToMessageId !== undefined) fail("EBMS:0009", "a Peppol UserMessage must not carry RefToMessageId (one-way push only)");
  if (raw.mpc !== undefined && raw.mpc !== PEPPOL.defaultMpc) fail("EBMS:0010", `unsupported MPC ${raw.mpc}`);

  const partyId = (party: Ebms3Party, side: "From" | "To", role: string): string => {
    if (party.partyIds.length !== 1) fail("EBMS:0009", `${side} must have exactly one PartyId, found ${party.partyIds.length}`);
    const id = party.partyIds[0]!;
    if (id.type !== PEPPOL.partyIdType) fail("EBMS:0010", `${side}/PartyId/@type must be ${PEPPOL.partyIdType}`);
    if (party.role !== role) fail("EBMS:0010", `${side}/Role must be ${role}`);
    return id.value;
  };
  const fromPartyId = partyId(raw.from, "From", PEPPOL.initiatorRole);
  const toPartyId = partyId(raw.to, "To", PEPPOL.responderRole);

  if (!raw.agreementRef) fail("EBMS:0009", "AgreementRef is missing");
  const agreement = raw.agreementRef!;
  if (agreement.type !== undefined) fail("EBMS:0010", "AgreementRef must not have a type attribute");
  if (agreement.pmode !== undefined) fail("EBMS:0010", "AgreementRef must not have a pmode attribute");
  if (agreement.value !== PEPPOL.agreementRef) fail("EBMS:0010", `AgreementRef must be ${PEPPOL.agreementRef}`);

  const isTestService = raw.service.value === PEPPOL.testService;
  if (raw.service.type === undefined && !isTestService) fail("EBMS:0009", "Service must have a type (the process scheme)");

  const identifier = (name: string): TypedIdentifier => {
    const found = raw.messageProperties.filter((p) => p.name === name);
    if (found.length !== 1) fail("EBMS:0009", `MessageProperties must contain exactly one ${name}, found ${found.length}`);
    const p = found[0]!;
    if (p.value === "") fail("EBMS:0009", `${name} is empty`);
    if (p.type === undefined || p.type === "") fail("EBMS:0009", `${name} must have a type (the participant scheme)`);
    return { value: p.value, type: p.type! };
  };
  const originalSender = identifier("originalSender");
  const finalRecipient = identifier("finalRecipient");

  const seenHrefs = new Set<string>();
  const parts = raw.parts.map((part, i): PartInfo => {
    const where = `PartInfo[${i + 1}]`;
    if (part.href === undefined || !/^cid:\S+$/.test(part.href)) {
      fail("EBMS:0009", `${where} must reference a MIME part with a cid: href, found ${part.href ?? "none"}`);
    }
    const href = part.href!;
    if (seenHrefs.has(href)) fail("EBMS:0009", `${where} repeats href ${href}`);
    seenHrefs.add(href);
    const names = part.properties.map((p) => p.name);
    const repeated = names.find((n, j) => names.indexOf(n) !== j);
    if (repeated !== undefined) fail("EBMS:0009", `${where} repeats property ${repeated}`);
    const prop = (name: string) => part.properties.find((p) => p.name === name)?.value;

    const mimeType = prop("MimeType");
    if (mimeType === undefined || mimeType === "") fail("EBMS:0009", `${where} has no MimeType property`);
    const characterSet = prop("CharacterSet");
    if (characterSet !== undefined && !/^[A-Za-z0-9][A-Za-z0-9!#$%&'+^_`{}~.-]*$/.test(characterSet)) {
      fail("EBMS:0009", `${where} has an invalid CharacterSet ${characterSet}`);
    }
    const compressionType = prop("CompressionType");
    if (compressionType !== undefined && compressionType !== PEPPOL.gzip) {
      fail("EBMS:0010", `${where} has unsupported CompressionType ${compressionType}`);
    }
    return {
      href,
      mimeType: mimeType!,
      ...(compressionType !== undefined ? { compressionType } : {}),
      ...(characterSet !== undefined ? { characterSet } : {}),
    };
  });

  return {
    messageId: raw.messageId,
    timestamp: raw.timestamp,
    fromPartyId,
    toPartyId,
    service: raw.service,
    action: raw.action,
    conversationId: raw.conversationId,
    originalSender,
    finalRecipient,
    parts,
  };
}

/** Read and profile-check the UserMessage in an eb:Messaging element. */
export function parseUserMessage(messaging: Element): UserMessage {
  return toPeppolUserMessage(readUserMessage(messaging));
}

function readParty(party: Element, side: string): Ebms3Party {
  const ids = childElements(party, NS.eb, "PartyId");
  if (ids.length === 0) throw new EbmsError("EBMS:0009", `${side} has no PartyId`);
  return {
    partyIds: ids.map((el) => {
      const type = attr(el, "type");
      return { value: requiredText(el, `${side}/PartyId`), ...(type !== undefined ? { type: type.trim() } : {}) };
    }),
    role: requiredText(one(party, "Role", side), `${side}/Role`),
  };
}

function readAgreementRef(el: Element): { value: string; type?: string; pmode?: string } {
  const type = attr(el, "type");
  const pmode = attr(el, "pmode");
  return {
    value: requiredText(el, "AgreementRef"),
    ...(type !== undefined ? { type } : {}),
    ...(pmode !== undefined ? { pmode } : {}),
  };
}

function readProperties(container: Element): Ebms3Property[] {
  return childElements(container, NS.eb, "Property").map((el) => {
    const name = attr(el, "name");
    if (name === undefined || name.trim() === "") throw new EbmsError("EBMS:0009", "Property without a name");
    const type = attr(el, "type");
    return { name: name.trim(), value: trimmedText(el), ...(type !== undefined ? { type: type.trim() } : {}) };
  });
}

function readPartInfo(el: Element): { href?: string; properties: Ebms3Property[] } {
  const href = attr(el, "href");
  const props = optionalOne(el, "PartProperties", "PartInfo");
  return { ...(href !== undefined ? { href: href.trim() } : {}), properties: props ? readProperties(props) : [] };
}

function one(parent: Element, localName: string, where: string): Element {
  const found = childElements(parent, NS.eb, localName);
  if (found.length !== 1) {
    throw new EbmsError("EBMS:0009", found.length === 0 ? `${where} has no ${localName}` : `${where} has ${found.length} ${localName} elements`);
  }
  return found[0]!;
}

function optionalOne(parent: Element, localName: string, where: string): Element | undefined {
  const found = childElements(parent, NS.eb, localName);
  if (found.length > 1) throw new EbmsError("EBMS:0009", `${where} has ${found.length} ${localName} elements`);
  return found[0];
}

function requiredText(el: Element, what: string): string {
  const text = trimmedText(el);
  if (text === "") throw new EbmsError("EBMS:0009", `${what} is empty`);
  return text;
}

// ------------------------------------------------------------------------------------------- timestamps

const XS_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?$/;

/**
 * Parse an xs:dateTime as senders write it: any number of fractional digits (kept to the millisecond),
 * `Z`, a numeric offset, or no zone (ebMS 3 says timestamps are UTC). Throws EBMS:0009 otherwise.
 */
export function parseXsDateTime(text: string): Date {
  const m = XS_DATE_TIME.exec(text.trim());
  if (!m) throw new EbmsError("EBMS:0009", `not an xs:dateTime: ${text}`);
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y), month = Number(mo), day = Number(d), hour = Number(h), minute = Number(mi), second = Number(s);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (year < 1900 || month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) {
    throw new EbmsError("EBMS:0009", `not a valid date and time: ${text}`);
  }
  const millis = frac ? Number(frac.slice(0, 3).padEnd(3, "0")) : 0;
  let offsetMinutes = 0;
  if (zone && zone !== "Z") {
    const sign = zone.startsWith("-") ? -1 : 1;
    const oh = Number(zone.slice(1, 3)), om = Number(zone.slice(4, 6));
    if (oh > 14 || om > 59) throw new EbmsError("EBMS:0009", `not a valid time zone offset: ${text}`);
    offsetMinutes = sign * (oh * 60 + om);
  }
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000);
}
