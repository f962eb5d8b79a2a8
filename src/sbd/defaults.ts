import { randomUUID } from "node:crypto";
import { systemClock, type Clock } from "../clock.js";
import { findScope, processOf, receiverIdentifier, senderIdentifier } from "./accessors.js";
import { DEFAULT_ZONE, formatOffsetDateTime, offsetDateTimeAt, plusHours } from "./date-time.js";
import { MissingConversationIdScopeError, PartnerIdentifierInvalidError } from "./errors.js";
import type { ServiceIdentifier } from "./message-types.js";
import type { StandardBusinessDocument } from "./model.js";
import { normaliseSbd } from "./normalise.js";
import { formatPartnerIdentifier, iso6523OnBehalfOf, ISO6523_AUTHORITY, NORWEGIAN_ICD, sameNorwegianOrganisation } from "./partner-identifier.js";
import { hasText, javaSplit } from "./java-text.js";
import type { DpiPrintMessage, PostAddress, StandardBusinessDocumentHeader } from "./schema.js";

/**
 * The defaults the IP fills into an outgoing SBD before it stores it and answers the client: the controller's
 * OnBehalfOfNormalizer, then NextMoveOutMessageFactory.setDefaults, in their order. Pure: the clock, the UUID
 * source, the channel the receiver is reached on (the Service Registry's answer) and the receiver's postal
 * addresses for DPI print letters come from the caller.
 */

/** A postal address as the Service Registry gives it (externalmodel.PostAddress): `street` lines joined by `;`. */
export interface ServiceRegistryPostAddress {
  readonly name?: string;
  readonly street?: string;
  readonly postalCode?: string;
  readonly postalArea?: string;
  readonly country?: string;
}

export interface DefaultsContext {
  /** difi.move.org.number: the organisation this integrasjonspunkt sends for. */
  readonly ownOrgNumber: string;
  /** The channel the Service Registry routes the message to. */
  readonly channel: ServiceIdentifier;
  /** difi.move.nextmove.default-ttl-hours (24), used for channels without their own. */
  readonly defaultTtlHours: number;
  /** difi.move.{dpo,dpi,dpv,dph,fiks.ut,nextmove.serviceBus}.default-ttl-hours by channel. */
  readonly ttlHoursByChannel?: Partial<Record<ServiceIdentifier, number>>;
  /** difi.move.dpo.message-channel: stamped on DPO messages as a MessageChannel scope. */
  readonly dpoMessageChannel?: string;
  /** The receiver's addresses from its Service Registry record; needed to fill in a DPI print letter. */
  readonly printAddresses?: { readonly postAddress?: ServiceRegistryPostAddress; readonly returnAddress?: ServiceRegistryPostAddress };
  readonly clock?: Clock;
  readonly uuid?: () => string;
  /** The zone of the IP's clock (Clock.system(Europe/Oslo)): the offset of the date-times it writes. */
  readonly zone?: string;
}

/**
 * The SBD with the IP's defaults filled in. Throws {@link MissingConversationIdScopeError} when there is no
 * ConversationId scope with a process, and {@link PartnerIdentifierInvalidError} for a sender the IP cannot read.
 */
export function fillDefaults<S extends StandardBusinessDocument>(sbd: S, ctx: DefaultsContext): S {
  const clock = ctx.clock ?? systemClock;
  const uuid = ctx.uuid ?? randomUUID;
  const zone = ctx.zone ?? DEFAULT_ZONE;
  // The IP asks the Service Registry for the process before it fills anything in, and fails without one.
  if (processOf(sbd) === undefined) throw new MissingConversationIdScopeError();

  const header = structuredClone(sbd.header);
  const businessMessage = structuredClone(sbd.businessMessage);
  const doc = { type: sbd.type, header, businessMessage } as S;
  const now = offsetDateTimeAt(clock(), zone);

  normaliseOnBehalfOf(doc, header, ctx.ownOrgNumber);

  if (senderIdentifier(doc) === undefined) {
    // Appended, as addSender does: a sender entry without a value stays (and fails validation later).
    header.sender = [...(header.sender ?? []), partner(`${NORWEGIAN_ICD}:${ctx.ownOrgNumber}`)];
  }

  const identification = (header.documentIdentification ??= {});
  // Only a missing id is replaced; an empty one stays and fails the UUID check.
  if (identification.instanceIdentifier === undefined) identification.instanceIdentifier = uuid();
  if (identification.creationDateAndTime === undefined) identification.creationDateAndTime = formatOffsetDateTime(now);

  // processOf found it above.
  const conversation = findScope(doc, "CONVERSATION_ID")!;
  const firstInformation = conversation.scopeInformation?.[0];
  if (firstInformation?.expectedResponseDateTime === undefined) {
    const hours = ctx.ttlHoursByChannel?.[ctx.channel] ?? ctx.defaultTtlHours;
    const expectedResponseDateTime = formatOffsetDateTime(plusHours(now, hours));
    if (firstInformation === undefined) conversation.scopeInformation = [{ expectedResponseDateTime }];
    else firstInformation.expectedResponseDateTime = expectedResponseDateTime;
  }

  for (const scope of header.businessScope?.scope ?? []) {
    if (!hasText(scope.instanceIdentifier)) scope.instanceIdentifier = uuid();
  }

  if (ctx.channel === "DPO" && ctx.dpoMessageChannel) {
    const channelScope = findScope(doc, "MESSAGE_CHANNEL");
    if (channelScope === undefined) {
      const businessScope = header.businessScope;
      if (businessScope) businessScope.scope = [...businessScope.scope, { type: "MessageChannel", instanceIdentifier: uuid(), identifier: ctx.dpoMessageChannel }];
    } else if (!channelScope.identifier) {
      channelScope.identifier = ctx.dpoMessageChannel;
    }
  }

  if (ctx.channel === "DPI" && doc.type === "print") fillPrintDefaults(doc, businessMessage as DpiPrintMessage, ctx.printAddresses);

  return normaliseSbd(doc, clock, zone);
}

/**
 * OnBehalfOfNormalizer: an ISO 6523 sender that is not this integrasjonspunkt's organisation and names no part
 * becomes `<icd>:<own orgnr>:<that organisation>`, i.e. sent by us on its behalf.
 */
function normaliseOnBehalfOf(doc: StandardBusinessDocument, header: StandardBusinessDocumentHeader, own: string): void {
  const sender = senderIdentifier(doc);
  if (sender?.kind !== "iso6523" || sender.organizationPartIdentifier !== undefined) return;
  if (sameNorwegianOrganisation(sender.organizationIdentifier, own)) return;
  const onBehalf = iso6523OnBehalfOf(sender.icd, own, sender.organizationIdentifier);
  if (!onBehalf) throw new PartnerIdentifierInvalidError(formatPartnerIdentifier(sender), ISO6523_AUTHORITY);
  // setSenderIdentifier replaces the whole list with one new partner.
  header.sender = [partner(formatPartnerIdentifier(onBehalf))];
}

/** setDpiDefaults for print letters: colour and postage, and the receiver's addresses from the Service Registry. */
function fillPrintDefaults(
  doc: StandardBusinessDocument,
  message: DpiPrintMessage,
  addresses: DefaultsContext["printAddresses"],
): void {
  message.utskriftsfarge ??= "SORT_HVIT";
  message.posttype ??= "B_OEKONOMI";
  if (receiverIdentifier(doc) === undefined) return;
  message.mottaker ??= {};
  message.retur ??= { mottaker: {}, returhaandtering: "DIREKTE_RETUR" };
  if (!addresses) throw new TypeError("fillDefaults: a DPI print letter needs the receiver's printAddresses from the Service Registry");
  if (addresses.postAddress) fillAddress(message.mottaker, addresses.postAddress);
  // A retur without mottaker makes the IP fail (NullPointerException); validation reports it here instead.
  const returnReceiver = message.retur.mottaker;
  if (returnReceiver && addresses.returnAddress) fillAddress(returnReceiver, addresses.returnAddress);
}

/** setReceiverDefaults: the Service Registry's values where the letter has none. */
function fillAddress(address: PostAddress, sr: ServiceRegistryPostAddress): void {
  if (!hasText(address.navn)) address.navn = sr.name;
  if (!address.adresselinje1 && sr.street !== undefined) {
    // All four lines are taken from the register, overwriting any the letter had.
    javaSplit(sr.street, ";")
      .slice(0, 4)
      .forEach((line, i) => {
        address[`adresselinje${i + 1}` as "adresselinje1"] = line;
      });
  }
  if (!hasText(address.postnummer)) address.postnummer = sr.postalCode;
  if (!hasText(address.poststed)) address.poststed = sr.postalArea;
  if (!hasText(address.land)) address.land = sr.country;
}

function partner(value: string) {
  return { identifier: { value, authority: ISO6523_AUTHORITY } };
}

