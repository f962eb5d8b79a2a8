import { isDateTime, isFullDate, isUuid } from "./bodies.js";
import type { Violation } from "./errors.js";
import {
  NextMoveFieldInvalidError,
  NextMoveFieldMissingError,
  NextMoveHoveddokumentMissingError,
  NextMoveNotDpiError,
} from "./from-nextmove-errors.js";
import { hasText, isNorwegian, type PostAddress } from "./print-address.js";

/**
 * Reads a NextMove `digital` or `print` message (the integrasjonspunkt's DpiDigitalMessage and DpiPrintMessage,
 * with DigitalPostInfo, DpiNotification, PostAddress and MailReturn) and the parts of its SBD header a DPI letter
 * takes. Required means what the integrasjonspunkt requires: its @NotNull fields, and for print addresses its own
 * check (address line 1 always, postnummer and poststed for Norway). JSON null counts as absent, and values are
 * read as leniently as Jackson reads them there ("3" for 3, "false" for false); unknown fields are ignored.
 */

export type Sikkerhetsnivaa = 3 | 4;
export type Utskriftsfarge = "SORT_HVIT" | "FARGE";
export type PostalCategory = "A_PRIORITERT" | "B_OEKONOMI";
export type Returhaandtering = "DIREKTE_RETUR" | "MAKULERING_MED_MELDING";

export interface NextMoveDigital {
  readonly type: "digital";
  readonly hoveddokument: string;
  readonly avsenderId?: string;
  readonly fakturaReferanse?: string;
  readonly sikkerhetsnivaa: Sikkerhetsnivaa;
  readonly tittel: string;
  readonly spraak: string;
  /** YYYY-MM-DD. */
  readonly virkningsdato: string;
  readonly aapningskvittering: boolean;
  readonly epostTekst?: string;
  readonly smsTekst?: string;
  /** Document file name → the file name of its metadata ("utvidelse") document. */
  readonly metadataFiler: ReadonlyMap<string, string>;
}

export interface NextMovePrint {
  readonly type: "print";
  readonly hoveddokument: string;
  readonly avsenderId?: string;
  readonly fakturaReferanse?: string;
  readonly mottaker: PostAddress;
  readonly utskriftsfarge?: Utskriftsfarge;
  readonly posttype?: PostalCategory;
  readonly retur: { readonly mottaker: PostAddress; readonly returhaandtering: Returhaandtering };
}

export interface NextMoveDpiMessage {
  readonly messageId: string;
  readonly conversationId: string;
  readonly expectedResponseDateTime?: string;
  /** "0192:<orgno>" of the sending organisation (the SBDH sender without an on-behalf-of part). */
  readonly sender: string;
  /** "0192:<orgno>" of the organisation sent on behalf of (`0192:<sender>:<on-behalf-of>`), if any. */
  readonly onBehalfOf?: string;
  readonly message: NextMoveDigital | NextMovePrint;
}

const SENDER = /^0192:([0-9]{9})(?::([0-9]{9}))?$/;
const LANGUAGE = /^[A-Za-z]{2}$/;

type Json = Readonly<Record<string, unknown>>;

/**
 * Throws NextMoveNotDpiError, NextMoveHoveddokumentMissingError, NextMoveFieldMissingError (every missing field
 * at once) or NextMoveFieldInvalidError (every unreadable one at once).
 */
export function readNextMoveDpiMessage(sbd: unknown): NextMoveDpiMessage {
  const f = new Fields();
  const root = f.object(sbd, "$");
  if (!root) throw new NextMoveNotDpiError("the standard business document is not a JSON object");
  const header = f.requiredObject(root, "standardBusinessDocumentHeader", "standardBusinessDocumentHeader");
  const identification = header && f.requiredObject(header, "documentIdentification", "standardBusinessDocumentHeader.documentIdentification");
  const type = identification && f.requiredString(identification, "type", "standardBusinessDocumentHeader.documentIdentification.type");
  if (type === undefined) f.throwIfAny();
  if (type !== "digital" && type !== "print") {
    throw new NextMoveNotDpiError(`documentIdentification.type is ${JSON.stringify(type ?? null)}, not "digital" or "print"`);
  }
  const body = f.object(root[type], type);
  if (!body) throw new NextMoveNotDpiError(`the message has no ${JSON.stringify(type)} business message`);
  const hoveddokument = f.optionalString(body, "hoveddokument", `${type}.hoveddokument`);
  if (!hasText(hoveddokument)) throw new NextMoveHoveddokumentMissingError(undefined);

  const messageId = identification && f.requiredString(identification, "instanceIdentifier", "standardBusinessDocumentHeader.documentIdentification.instanceIdentifier", uuid);
  const scope = header && conversationScope(f, header);
  const conversationId = scope && f.requiredString(scope, "instanceIdentifier", "standardBusinessDocumentHeader.businessScope.scope[ConversationId].instanceIdentifier", uuid);
  const expectedResponseDateTime = scope && expectedResponse(f, scope);
  const sender = header && senderOf(f, header);
  const message = type === "digital" ? digital(f, body, hoveddokument) : print(f, body, hoveddokument);
  f.throwIfAny();
  return {
    messageId: messageId!,
    conversationId: conversationId!,
    ...(expectedResponseDateTime !== undefined ? { expectedResponseDateTime } : {}),
    sender: `0192:${sender!.orgnr}`,
    ...(sender!.onBehalfOf !== undefined ? { onBehalfOf: `0192:${sender!.onBehalfOf}` } : {}),
    message: message!,
  };
}

function digital(f: Fields, body: Json, hoveddokument: string): NextMoveDigital | undefined {
  const at = (key: string) => `digital.${key}`;
  const sikkerhetsnivaa = f.required(body, "sikkerhetsnivaa", at("sikkerhetsnivaa"), securityLevel);
  const tittel = f.requiredString(body, "tittel", at("tittel"));
  const spraak = f.requiredString(body, "spraak", at("spraak"), (v) => (LANGUAGE.test(v) ? ok(v) : fail("must be a two-letter ISO 639-1 code")));
  const info = f.requiredObject(body, "digitalPostInfo", at("digitalPostInfo"));
  const virkningsdato = info && f.requiredString(info, "virkningsdato", at("digitalPostInfo.virkningsdato"), (v) => (isFullDate(v) ? ok(v) : fail("must be a date (YYYY-MM-DD)")));
  const aapningskvittering = info && f.required(info, "aapningskvittering", at("digitalPostInfo.aapningskvittering"), bool);
  const varsler = f.optionalObject(body, "varsler", at("varsler"));
  const epostTekst = varsler && f.optionalString(varsler, "epostTekst", at("varsler.epostTekst"));
  const smsTekst = varsler && f.optionalString(varsler, "smsTekst", at("varsler.smsTekst"));
  const metadataFiler = stringMap(f, body, "metadataFiler", at("metadataFiler"));
  const sender = senderFields(f, body, "digital");
  if (sikkerhetsnivaa === undefined || tittel === undefined || spraak === undefined || virkningsdato === undefined || aapningskvittering === undefined) return undefined;
  return {
    type: "digital",
    hoveddokument,
    ...sender,
    sikkerhetsnivaa,
    tittel,
    spraak,
    virkningsdato,
    aapningskvittering,
    ...(epostTekst !== undefined ? { epostTekst } : {}),
    ...(smsTekst !== undefined ? { smsTekst } : {}),
    metadataFiler,
  };
}

function print(f: Fields, body: Json, hoveddokument: string): NextMovePrint | undefined {
  const mottaker = postAddress(f, f.requiredObject(body, "mottaker", "print.mottaker"), "print.mottaker");
  const utskriftsfarge = f.optional(body, "utskriftsfarge", "print.utskriftsfarge", oneOf<Utskriftsfarge>(["SORT_HVIT", "FARGE"]));
  const posttype = f.optional(body, "posttype", "print.posttype", oneOf<PostalCategory>(["A_PRIORITERT", "B_OEKONOMI"]));
  const retur = f.requiredObject(body, "retur", "print.retur");
  const returMottaker = retur && postAddress(f, f.requiredObject(retur, "mottaker", "print.retur.mottaker"), "print.retur.mottaker");
  const returhaandtering = retur && f.required(retur, "returhaandtering", "print.retur.returhaandtering", oneOf<Returhaandtering>(["DIREKTE_RETUR", "MAKULERING_MED_MELDING"]));
  const sender = senderFields(f, body, "print");
  if (mottaker === undefined || returMottaker === undefined || returhaandtering === undefined) return undefined;
  return {
    type: "print",
    hoveddokument,
    ...sender,
    mottaker,
    ...(utskriftsfarge !== undefined ? { utskriftsfarge } : {}),
    ...(posttype !== undefined ? { posttype } : {}),
    retur: { mottaker: returMottaker, returhaandtering },
  };
}

function senderFields(f: Fields, body: Json, type: string): { avsenderId?: string; fakturaReferanse?: string } {
  const avsenderId = f.optionalString(body, "avsenderId", `${type}.avsenderId`);
  const fakturaReferanse = f.optionalString(body, "fakturaReferanse", `${type}.fakturaReferanse`);
  return { ...(avsenderId !== undefined ? { avsenderId } : {}), ...(fakturaReferanse !== undefined ? { fakturaReferanse } : {}) };
}

function postAddress(f: Fields, address: Json | undefined, path: string): PostAddress | undefined {
  if (!address) return undefined;
  const navn = f.requiredString(address, "navn", `${path}.navn`);
  const adresselinje1 = f.requiredString(address, "adresselinje1", `${path}.adresselinje1`);
  const adresselinje2 = f.optionalString(address, "adresselinje2", `${path}.adresselinje2`);
  const adresselinje3 = f.optionalString(address, "adresselinje3", `${path}.adresselinje3`);
  const adresselinje4 = f.optionalString(address, "adresselinje4", `${path}.adresselinje4`);
  const postnummer = f.requiredString(address, "postnummer", `${path}.postnummer`);
  const poststed = f.requiredString(address, "poststed", `${path}.poststed`);
  const land = f.requiredString(address, "land", `${path}.land`);
  // Present is not enough where the letter is posted: the first line always, postnummer and poststed in Norway.
  const norwegian = isNorwegian({ land: land ?? "" });
  const blank = [
    ...(adresselinje1 !== undefined && !hasText(adresselinje1) ? ["adresselinje1"] : []),
    ...(norwegian && postnummer !== undefined && !hasText(postnummer) ? ["postnummer"] : []),
    ...(norwegian && poststed !== undefined && !hasText(poststed) ? ["poststed"] : []),
  ];
  for (const key of blank) f.missing.push(`${path}.${key}`);
  if (blank.length > 0) return undefined;
  if (navn === undefined || adresselinje1 === undefined || postnummer === undefined || poststed === undefined || land === undefined) return undefined;
  return {
    navn,
    adresselinje1,
    ...(adresselinje2 !== undefined ? { adresselinje2 } : {}),
    ...(adresselinje3 !== undefined ? { adresselinje3 } : {}),
    ...(adresselinje4 !== undefined ? { adresselinje4 } : {}),
    postnummer,
    poststed,
    land,
  };
}

function conversationScope(f: Fields, header: Json): Json | undefined {
  const path = "standardBusinessDocumentHeader.businessScope.scope[ConversationId]";
  const businessScope = f.object(header["businessScope"], "standardBusinessDocumentHeader.businessScope");
  const scopes = businessScope?.["scope"];
  const scope = Array.isArray(scopes) ? scopes.map((s) => f.object(s, path)).find((s) => s?.["type"] === "ConversationId") : undefined;
  if (!scope) f.missing.push(path);
  return scope;
}

function expectedResponse(f: Fields, scope: Json): string | undefined {
  const information = scope["scopeInformation"];
  const first = Array.isArray(information) ? f.object(information[0], "scopeInformation[0]") : undefined;
  const path = "standardBusinessDocumentHeader.businessScope.scope[ConversationId].scopeInformation[0].expectedResponseDateTime";
  return first && f.optional(first, "expectedResponseDateTime", path, (v) => (typeof v === "string" && isDateTime(v) ? ok(v) : fail("must be an RFC 3339 date-time with offset")));
}

function senderOf(f: Fields, header: Json): { orgnr: string; onBehalfOf?: string } | undefined {
  const path = "standardBusinessDocumentHeader.sender[0].identifier.value";
  const senders = header["sender"];
  const first = Array.isArray(senders) ? f.object(senders[0], "standardBusinessDocumentHeader.sender[0]") : undefined;
  const identifier = first && f.object(first["identifier"], "standardBusinessDocumentHeader.sender[0].identifier");
  if (!identifier) {
    f.missing.push(path);
    return undefined;
  }
  const value = f.requiredString(identifier, "value", path, (v) => (SENDER.test(v) ? ok(v) : fail("must be 0192:<orgno> or 0192:<orgno>:<on-behalf-of orgno>")));
  const m = value === undefined ? null : SENDER.exec(value);
  if (!m) return undefined;
  return { orgnr: m[1]!, ...(m[2] !== undefined ? { onBehalfOf: m[2] } : {}) };
}

function stringMap(f: Fields, body: Json, key: string, path: string): ReadonlyMap<string, string> {
  const map = f.optionalObject(body, key, path);
  const entries: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(map ?? {})) {
    if (typeof value === "string") entries.push([name, value]);
    else f.invalid.push({ path: `${path}.${name}`, message: "must be a file name" });
  }
  return new Map(entries);
}

// ---- readers --------------------------------------------------------------------------------------------

type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };
/** Reads one JSON value as a T, or says why it is not one. */
type Read<T> = (value: unknown) => Result<T>;

const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const fail = (message: string): Result<never> => ({ ok: false, message });

const uuid = (v: string): Result<string> => (isUuid(v) ? ok(v) : fail("must be a UUID"));

function securityLevel(v: unknown): Result<Sikkerhetsnivaa> {
  const n = typeof v === "string" && /^[0-9]+$/.test(v) ? Number(v) : v;
  return n === 3 || n === 4 ? ok(n) : fail("must be 3 or 4");
}

function bool(v: unknown): Result<boolean> {
  if (typeof v === "boolean") return ok(v);
  if (v === "true" || v === "false") return ok(v === "true");
  return fail("must be true or false");
}

function oneOf<T extends string>(values: readonly T[]): Read<T> {
  return (v) => (typeof v === "string" && (values as readonly string[]).includes(v) ? ok(v as T) : fail(`must be one of ${values.join(", ")}`));
}

/** Collects every missing and unreadable field of a message, so the sender learns them all at once. */
class Fields {
  readonly missing: string[] = [];
  readonly invalid: Violation[] = [];

  /** `value` as a JSON object, or undefined (an invalid-field note when it is something else). */
  object(value: unknown, path: string): Json | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === "object" && !Array.isArray(value)) return value as Json;
    this.invalid.push({ path, message: "must be an object" });
    return undefined;
  }

  required<T>(obj: Json, key: string, path: string, read: Read<T>): T | undefined {
    const value = obj[key];
    if (value === undefined || value === null) {
      this.missing.push(path);
      return undefined;
    }
    return this.accept(value, path, read);
  }

  optional<T>(obj: Json, key: string, path: string, read: Read<T>): T | undefined {
    const value = obj[key];
    return value === undefined || value === null ? undefined : this.accept(value, path, read);
  }

  requiredString(obj: Json, key: string, path: string, check: (v: string) => Result<string> = ok): string | undefined {
    return this.required(obj, key, path, (v) => (typeof v === "string" ? check(v) : fail("must be a string")));
  }

  optionalString(obj: Json, key: string, path: string): string | undefined {
    return this.optional(obj, key, path, (v) => (typeof v === "string" ? ok(v) : fail("must be a string")));
  }

  requiredObject(obj: Json, key: string, path: string): Json | undefined {
    const value = obj[key];
    if (value === undefined || value === null) this.missing.push(path);
    return this.object(value, path);
  }

  optionalObject(obj: Json, key: string, path: string): Json | undefined {
    return this.object(obj[key], path);
  }

  throwIfAny(): void {
    if (this.missing.length > 0) throw new NextMoveFieldMissingError(this.missing);
    if (this.invalid.length > 0) throw new NextMoveFieldInvalidError(this.invalid);
  }

  private accept<T>(value: unknown, path: string, read: Read<T>): T | undefined {
    const result = read(value);
    if (result.ok) return result.value;
    this.invalid.push({ path, message: result.message });
    return undefined;
  }
}
