import { PARTICIPANT_SCHEME, participantId, sameParticipant, type ParticipantId } from "../peppol/identifiers.js";
import { PartnerIdentifierInvalidError } from "./errors.js";

/**
 * Sender and receiver identifiers as the integrasjonspunkt reads them (efm-common PartnerIdentifier): under
 * authority `iso6523-actorid-upis` an ISO 6523 identifier `<icd>:<org>[:<part>[:<source>]]` (a bare nine-digit
 * number means `0192:<it>`), else a Norwegian national identity number (11 digits, both check digits), else a
 * FIKS IO account UUID; under `nhn-actorid` a `her-id:<n>` or `fastlege-for:<fnr>`. The part identifier of
 * `0192:<orgnr>:<onbehalfof>` is the organisation a sender sends on behalf of.
 */

export const ISO6523_AUTHORITY = PARTICIPANT_SCHEME;
export const NHN_AUTHORITY = "nhn-actorid";
/** ICD 0192: Enhetsregisteret (Norwegian organisation numbers). */
export const NORWEGIAN_ICD = "0192";

export interface Iso6523Identifier {
  readonly kind: "iso6523";
  readonly icd: string;
  readonly organizationIdentifier: string;
  readonly organizationPartIdentifier?: string;
  readonly sourceIndicator?: string;
}
export interface PersonIdentifier {
  readonly kind: "person";
  readonly identifier: string;
}
export interface FiksIoIdentifier {
  readonly kind: "fiks-io";
  /** The account UUID as Java's UUID.toString writes it (lower case, canonical groups). */
  readonly identifier: string;
}
export interface NhnIdentifier {
  readonly kind: "nhn";
  readonly type: "her-id" | "fastlege-for";
  readonly id: string;
}
export type PartnerIdentifier = Iso6523Identifier | PersonIdentifier | FiksIoIdentifier | NhnIdentifier;

// The ICD codes efm-common knows (its ICD enum); Iso6523.parse refuses others.
const KNOWN_ICDS: ReadonlySet<string> = new Set(
  (
    "9922 9923 9916 9915 9919 9914 9924 9956 9925 9926 9927 9928 9929 9958 9930 9901 9902 0184 0096 9904 9905 0060 " +
    "0191 9931 9920 9913 9912 0037 0002 0009 9957 9932 0088 9933 9934 9910 9918 9935 9917 0028 9907 0097 9921 0142 " +
    "0135 9906 9936 9937 9938 9939 9940 9941 9942 9943 0106 9954 9944 0192 9909 9945 9946 9947 9948 0007 9955 0195 " +
    "9949 9950 9951 9952 9953"
  ).split(" "),
);

// Java's \s is ASCII whitespace only.
const ISO6523 = /^(\d{4}):([^:]{1,35})(?::([^ \t\n\x0B\f\r:]{1,35}))?(?::(\d))?$/;
const ORGANIZATION_IDENTIFIER = /^[^ \t\n\x0B\f\r:][^:]{1,33}[^ \t\n\x0B\f\r:]$/;
const BARE_ORGNR = /^\d{9}$/;
const NHN = /^(her-id|fastlege-for):([^:]{1,11})$/;
const PERSON = /^[0-9]{11}$/;
const WEIGHTS1 = [3, 7, 6, 1, 8, 9, 4, 5, 2];
const WEIGHTS2 = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];

/**
 * PartnerIdentifier.of(value, authority): the identifier a header's `identifier.value` and `authority` name,
 * or a {@link PartnerIdentifierInvalidError}.
 */
export function parsePartnerIdentifier(value: string, authority: string = ISO6523_AUTHORITY): PartnerIdentifier {
  const parsed =
    authority === NHN_AUTHORITY ? parseNhn(value) : authority === ISO6523_AUTHORITY ? (parseIso6523(value) ?? parsePerson(value) ?? parseFiksIo(value)) : undefined;
  if (!parsed) throw new PartnerIdentifierInvalidError(value, authority);
  return parsed;
}

/** PartnerIdentifier.isValid: whether any parser (all authorities) takes the value; the check of @SenderValue. */
export function isValidPartnerIdentifier(value: string): boolean {
  return (parseIso6523(value) ?? parsePerson(value) ?? parseFiksIo(value) ?? parseNhn(value)) !== undefined;
}

/** Iso6523.parse, or undefined. */
export function parseIso6523(value: string): Iso6523Identifier | undefined {
  const m = ISO6523.exec(value);
  if (m) {
    const [, icd, org, part, source] = m as unknown as [string, string, string, string | undefined, string | undefined];
    if (`${part ?? "null"}:${source ?? "null"}` === "0:0") return undefined; // an NHN form, not ISO 6523
    if (!KNOWN_ICDS.has(icd)) return undefined;
    return iso6523(icd, org, part, source);
  }
  if (BARE_ORGNR.test(value)) return iso6523(NORWEGIAN_ICD, value);
  return undefined;
}

/** PersonIdentifier.parse: eleven digits with both modulus-11 check digits right, or undefined. */
export function parsePerson(value: string): PersonIdentifier | undefined {
  if (!PERSON.test(value)) return undefined;
  if (modulo11(value, WEIGHTS1) !== digit(value, 9) || modulo11(value, WEIGHTS2) !== digit(value, 10)) return undefined;
  return { kind: "person", identifier: value };
}

/** Whether a string is a national identity number (fødselsnummer or d-nummer) by its check digits. */
export function isPersonNumber(value: string): boolean {
  return parsePerson(value) !== undefined;
}

/** FiksIoIdentifier.parse: whatever Java's UUID.fromString takes, written back canonically. */
export function parseFiksIo(value: string): FiksIoIdentifier | undefined {
  const canonical = canonicalJavaUuid(value);
  return canonical === undefined ? undefined : { kind: "fiks-io", identifier: canonical };
}

export function parseNhn(value: string): NhnIdentifier | undefined {
  const m = NHN.exec(value);
  if (!m) return undefined;
  const type = m[1] as "her-id" | "fastlege-for";
  const id = m[2]!;
  if (type === "fastlege-for") return parsePerson(id) ? { kind: "nhn", type, id } : undefined;
  const herId = /^[+-]?\d+$/.test(id) ? Number(id) : NaN;
  return Number.isSafeInteger(herId) && herId > 0 && herId <= 2 ** 31 - 1 ? { kind: "nhn", type, id: String(herId) } : undefined;
}

/** PartnerIdentifier.getIdentifier: the value as the IP writes it back. */
export function formatPartnerIdentifier(id: PartnerIdentifier): string {
  switch (id.kind) {
    case "iso6523": {
      let s = `${id.icd}:${id.organizationIdentifier}`;
      if (id.organizationPartIdentifier !== undefined) {
        s += `:${id.organizationPartIdentifier}`;
        if (id.sourceIndicator !== undefined) s += `:${id.sourceIndicator}`;
      }
      return s;
    }
    case "nhn":
      return `${id.type}:${id.id}`;
    default:
      return id.identifier;
  }
}

export function authorityOf(id: PartnerIdentifier): string {
  return id.kind === "nhn" ? NHN_AUTHORITY : ISO6523_AUTHORITY;
}

/** getPrimaryIdentifier: the organisation number of an ISO 6523 identifier, else the identifier itself. */
export function primaryIdentifier(id: PartnerIdentifier): string {
  return id.kind === "iso6523" ? id.organizationIdentifier : formatPartnerIdentifier(id);
}

/** The organisation sent on behalf of (`0192:<orgnr>:<onbehalfof>`), if any. */
export function onBehalfOf(id: PartnerIdentifier): string | undefined {
  return id.kind === "iso6523" ? id.organizationPartIdentifier : undefined;
}

/** PartnerUtil.getPartOrPrimaryIdentifier: the on-behalf-of organisation if given, else the primary identifier. */
export function partOrPrimaryIdentifier(id: PartnerIdentifier): string {
  return onBehalfOf(id) ?? primaryIdentifier(id);
}

/**
 * The Peppol participant of an ISO 6523 identifier without its part (`0192:<orgnr>`), as Altinn and the SMP
 * know the organisation; undefined for persons, FIKS IO accounts, NHN ids and values Peppol does not allow.
 */
export function participantOf(id: PartnerIdentifier): ParticipantId | undefined {
  if (id.kind !== "iso6523") return undefined;
  try {
    return participantId(`${id.icd}:${id.organizationIdentifier}`);
  } catch {
    return undefined;
  }
}

/** Whether an organisation number names the same organisation as `0192:<orgnr>`, by the project's one participant rule. */
export function sameNorwegianOrganisation(a: string, b: string): boolean {
  return sameParticipant(`${NORWEGIAN_ICD}:${a}`, `${NORWEGIAN_ICD}:${b}`);
}

/**
 * Iso6523.of(icd, org, part): the sender the IP makes of `own` sending on behalf of `part`. Undefined when
 * the parts break Iso6523's patterns (the IP would fail there).
 */
export function iso6523OnBehalfOf(icd: string, own: string, part: string): Iso6523Identifier | undefined {
  if (!ORGANIZATION_IDENTIFIER.test(own) || !ORGANIZATION_IDENTIFIER.test(part)) return undefined;
  return iso6523(icd, own, part);
}

function iso6523(icd: string, org: string, part?: string, source?: string): Iso6523Identifier {
  return {
    kind: "iso6523",
    icd,
    organizationIdentifier: org,
    ...(part !== undefined ? { organizationPartIdentifier: part } : {}),
    ...(source !== undefined ? { sourceIndicator: source } : {}),
  };
}

function modulo11(s: string, weights: readonly number[]): number {
  const sum = weights.reduce((acc, w, i) => acc + w * digit(s, i), 0);
  const k = 11 - (sum % 11);
  return k === 11 ? 0 : k;
}

function digit(s: string, index: number): number {
  return s.charCodeAt(index) - 48;
}

const UUID_GROUP_WIDTHS = [8, 4, 4, 4, 12];

/**
 * Java's UUID.fromString is lenient: five dash-separated hex groups of 1-16 digits, 36 characters at most;
 * each group keeps only the bits its canonical width holds. Undefined when Java would refuse the text.
 */
export function canonicalJavaUuid(value: string): string | undefined {
  if (value.length > 36) return undefined;
  const groups = value.split("-");
  if (groups.length !== 5 || !groups.every((g) => /^[0-9a-fA-F]{1,16}$/.test(g))) return undefined;
  return groups
    .map((g, i) => {
      const width = UUID_GROUP_WIDTHS[i]!;
      return g.toLowerCase().padStart(width, "0").slice(-width);
    })
    .join("-");
}
