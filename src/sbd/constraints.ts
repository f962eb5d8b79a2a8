import { isAfter, parseOffsetDateTime, type OffsetDateTime } from "./date-time.js";
import type { Violation } from "./errors.js";
import { messageTypeOf, type ServiceIdentifier } from "./message-types.js";
import type { StandardBusinessDocument } from "./model.js";
import { canonicalJavaUuid, isPersonNumber, isValidPartnerIdentifier } from "./partner-identifier.js";
import type { Partner, PostAddress, Scope } from "./schema.js";

/**
 * The IP's Bean Validation constraints on an SBD (jakarta annotations on efm-common's sbdh classes and on the
 * business message classes), as violations with Hibernate's property paths (`[]` for set elements) and its
 * default messages. The order of the violations is the document's (Hibernate's is unspecified).
 */

const NOT_NULL = "must not be null";
const NOT_EMPTY = "must not be empty";
const HEADER = "standardBusinessDocumentHeader";
const SCOPE_TYPE_NAMES = ["JournalpostId", "ConversationId", "ParentId", "SenderRef", "ReceiverRef", "MessageChannel"];

export interface HeaderConstraintOptions {
  /** The instant @Future compares expectedResponseDateTime with (the IP's clock). */
  readonly now: Date;
  /**
   * Whether the sender's value must be an identifier the IP can read (@SenderValue). The IP checks this only
   * on the request body (@Valid converts the Default group to Partner.Sender), not in NextMoveValidator.
   */
  readonly checkSenderValue: boolean;
}

/** The header constraints (Default group). */
export function headerViolations(sbd: StandardBusinessDocument, options: HeaderConstraintOptions): Violation[] {
  const out: Violation[] = [];
  const h = sbd.header;
  const now: OffsetDateTime = { epochMs: options.now.getTime(), fraction: "", offsetSeconds: 0 };

  if (h.headerVersion === undefined) out.push({ path: `${HEADER}.headerVersion`, message: NOT_NULL });
  partners(out, "sender", h.sender, options.checkSenderValue);
  partners(out, "receiver", h.receiver, false);

  const di = h.documentIdentification;
  const diPath = `${HEADER}.documentIdentification`;
  if (di === undefined) out.push({ path: diPath, message: NOT_NULL });
  else {
    if (di.standard === undefined) out.push({ path: `${diPath}.standard`, message: NOT_NULL });
    if (di.typeVersion === undefined) out.push({ path: `${diPath}.typeVersion`, message: NOT_NULL });
    if (di.instanceIdentifier !== undefined && canonicalJavaUuid(di.instanceIdentifier) === undefined) {
      out.push({ path: `${diPath}.instanceIdentifier`, message: notUuid(di.instanceIdentifier) });
    }
    if (di.type === undefined) out.push({ path: `${diPath}.type`, message: NOT_NULL });
    if (messageTypeOf(di.type) === undefined) out.push({ path: `${diPath}.type`, message: "Must be a NextMove message type" });
  }

  const bs = h.businessScope;
  const scopePath = `${HEADER}.businessScope.scope`;
  if (bs === undefined) out.push({ path: `${HEADER}.businessScope`, message: NOT_NULL });
  else {
    if (bs.scope.length < 1) out.push({ path: scopePath, message: "size must be between 1 and 2147483647" });
    for (const scope of bs.scope) {
      if (scope.type === undefined) out.push({ path: `${scopePath}[].type`, message: NOT_NULL });
      else if (!SCOPE_TYPE_NAMES.includes(scope.type)) {
        out.push({ path: `${scopePath}[].type`, message: `'${scope.type}' is not expected. Allowed values are: [${SCOPE_TYPE_NAMES.join(", ")}]` });
      }
      // @SbdScopeConditionalInstanceIdentifierUuid: only the exact name, and its message shows the whole scope.
      if (scope.type === "ConversationId" && scope.instanceIdentifier !== undefined && canonicalJavaUuid(scope.instanceIdentifier) === undefined) {
        out.push({ path: `${scopePath}[]`, message: notUuid(javaScopeToString(scope)) });
      }
      for (const info of scope.scopeInformation ?? []) {
        const erdt = info.expectedResponseDateTime;
        const parsed = erdt === undefined ? undefined : parseOffsetDateTime(erdt, options.now);
        if (parsed && !isAfter(parsed, now)) {
          out.push({ path: `${scopePath}[].scopeInformation[].expectedResponseDateTime`, message: "must be a future date" });
        }
      }
    }
  }
  return out;
}

function partners(out: Violation[], side: "sender" | "receiver", list: readonly Partner[], checkValue: boolean): void {
  const path = `${HEADER}.${side}`;
  if (list.length > 1) out.push({ path, message: "size must be between 0 and 1" });
  for (const p of list) {
    if (p.identifier === undefined) {
      out.push({ path: `${path}[].identifier`, message: NOT_NULL });
      continue;
    }
    if (p.identifier.value === undefined) out.push({ path: `${path}[].identifier.value`, message: NOT_NULL });
    else if (checkValue && !isValidPartnerIdentifier(p.identifier.value)) {
      // SenderValue's message key is missing from the IP's ValidationMessages, so Hibernate shows the key.
      out.push({ path: `${path}[].identifier.value`, message: "{no.difi.meldingsutveksling.validation.IntegrasjonspunktOrganization}" });
    }
    if (p.identifier.authority === undefined) out.push({ path: `${path}[].identifier.authority`, message: NOT_NULL });
    for (const c of p.contactInformation ?? []) {
      if (c.contact === undefined) out.push({ path: `${path}[].contactInformation[].contact`, message: NOT_NULL });
    }
  }
}

/**
 * The constraints the business message classes declare, for the groups the IP validates with: the channel's
 * (DPF requires arkivmelding.sikkerhetsnivaa) and the message type's (Digital, Print, Dialogmelding require
 * hoveddokument), both including Default.
 */
export function businessMessageViolations(sbd: StandardBusinessDocument, channel: ServiceIdentifier): Violation[] {
  const out: Violation[] = [];
  const root = sbd.type;
  const need = (value: unknown, field: string) => {
    if (value === undefined) out.push({ path: `${root}.${field}`, message: NOT_NULL });
  };
  switch (sbd.type) {
    case "arkivmelding":
      if (channel === "DPF") need(sbd.businessMessage.sikkerhetsnivaa, "sikkerhetsnivaa");
      break;
    case "digital": {
      const m = sbd.businessMessage;
      need(m.hoveddokument, "hoveddokument");
      need(m.sikkerhetsnivaa, "sikkerhetsnivaa");
      need(m.tittel, "tittel");
      need(m.spraak, "spraak");
      need(m.digitalPostInfo, "digitalPostInfo");
      if (m.digitalPostInfo) {
        need(m.digitalPostInfo.virkningsdato, "digitalPostInfo.virkningsdato");
        need(m.digitalPostInfo.aapningskvittering, "digitalPostInfo.aapningskvittering");
      }
      break;
    }
    case "print": {
      const m = sbd.businessMessage;
      need(m.hoveddokument, "hoveddokument");
      need(m.mottaker, "mottaker");
      if (m.mottaker) postAddress(out, `${root}.mottaker`, m.mottaker);
      need(m.retur, "retur");
      if (m.retur) {
        need(m.retur.mottaker, "retur.mottaker");
        if (m.retur.mottaker) postAddress(out, `${root}.retur.mottaker`, m.retur.mottaker);
        need(m.retur.returhaandtering, "retur.returhaandtering");
      }
      break;
    }
    case "digital_dpv": {
      const m = sbd.businessMessage;
      need(m.tittel, "tittel");
      need(m.sammendrag, "sammendrag");
      need(m.innhold, "innhold");
      break;
    }
    case "dialogmelding": {
      const m = sbd.businessMessage;
      need(m.hoveddokument, "hoveddokument");
      need(m.pasient, "pasient");
      if (m.pasient) {
        need(m.pasient.fnr, "pasient.fnr");
        if (m.pasient.fnr !== undefined && !isPersonNumber(m.pasient.fnr)) {
          out.push({ path: `${root}.pasient.fnr`, message: "must be a national identity number" });
        }
        for (const field of ["fornavn", "etternavn"] as const) {
          need(m.pasient[field], `pasient.${field}`);
          if (m.pasient[field] === "") out.push({ path: `${root}.pasient.${field}`, message: NOT_EMPTY });
        }
      }
      for (const [name, meta] of Object.entries(m.metadataFiler)) {
        if (meta === undefined) out.push({ path: `${root}.metadataFiler[${name}].<map value>`, message: NOT_NULL });
      }
      break;
    }
    case "innsynskrav":
      need(sbd.businessMessage.orgnr, "orgnr");
      need(sbd.businessMessage.epost, "epost");
      break;
    case "publisering":
      need(sbd.businessMessage.orgnr, "orgnr");
      break;
    case "einnsyn_kvittering":
      need(sbd.businessMessage.dokumentId, "dokumentId");
      need(sbd.businessMessage.status, "status");
      need(sbd.businessMessage.referanseType, "referanseType");
      break;
    default:
      break;
  }
  return out;
}

function postAddress(out: Violation[], path: string, a: PostAddress): void {
  for (const field of ["navn", "adresselinje1", "postnummer", "poststed", "land"] as const) {
    if (a[field] === undefined) out.push({ path: `${path}.${field}`, message: NOT_NULL });
  }
}

function notUuid(value: string): string {
  return `'${value}' is not a UUID.`;
}

/** Lombok's toString of a Scope, as Hibernate interpolates ${validatedValue} for the class-level constraint. */
function javaScopeToString(s: Scope): string {
  const infos = (s.scopeInformation ?? []).map(
    (i) =>
      `CorrelationInformation(requestingDocumentCreationDateTime=${javaDateTime(i.requestingDocumentCreationDateTime)}, ` +
      `requestingDocumentInstanceIdentifier=${i.requestingDocumentInstanceIdentifier ?? "null"}, ` +
      `expectedResponseDateTime=${javaDateTime(i.expectedResponseDateTime)})`,
  );
  return `Scope(type=${s.type ?? "null"}, instanceIdentifier=${s.instanceIdentifier ?? "null"}, identifier=${s.identifier ?? "null"}, scopeInformation=[${infos.join(", ")}])`;
}

/** OffsetDateTime.toString: seconds only when not both they and the fraction are zero; fraction in groups of three digits. */
function javaDateTime(text: string | undefined): string {
  if (text === undefined) return "null";
  const m = /^(.*T\d{2}:\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-].*)$/.exec(text);
  if (!m) return text;
  const [, hhmm, ss, fraction, offset] = m as unknown as [string, string, string, string | undefined, string];
  if (ss === "00" && fraction === undefined) return `${hhmm}${offset}`;
  const digits = fraction === undefined ? "" : fraction.padEnd(fraction.length <= 3 ? 3 : fraction.length <= 6 ? 6 : 9, "0");
  return `${hhmm}:${ss}${digits ? `.${digits}` : ""}${offset}`;
}
