import { z } from "zod";
import { sameParticipant } from "../peppol/identifiers.js";
import {
  BODY_SCHEMAS,
  PARTICIPANT_AUTHORITY,
  PARTICIPANT_VALUE,
  dateTimeString,
  uuidString,
  type BodyByType,
  type Dokumentpakkefingeravtrykk,
} from "./bodies.js";
import {
  DPI_MESSAGE_TYPES,
  isDpiMessageType,
  isDpiProcessId,
  isLetterType,
  messageKind,
  processForLetter,
  standardSpelling,
  type DpiMessageType,
  type DpiProcessId,
  type MessageKind,
  type StandardSpelling,
} from "./document-types.js";
import {
  BodyKeyMismatchError,
  ConversationIdMissingError,
  MultipleBodiesError,
  ProcessMismatchError,
  SbdInvalidError,
  StandardTypeMismatchError,
  UnknownDocumentTypeError,
  type Violation,
} from "./errors.js";

/**
 * Parses the JSON payload of a forretningsmelding (`{"standardBusinessDocument": {...}}`, the decoded JWS
 * payload) into a typed document, then checks what the JSON Schemas cannot: that `standard`, `type`, the
 * body key and the conversation's process agree. Signature checks happen elsewhere, before this.
 */

// ---- standardBusinessDocumentHeader (schemas/common/sbdh.schema.json) ---------------------------------

/*
 * The SBDH schema leaves identifier authority and value free. DPI routes on them as PEPPOL participants,
 * so we require the same form as the bodies' virksomhetsidentifikator.
 */
const identifierSchema = z.strictObject({
  authority: z.literal(PARTICIPANT_AUTHORITY),
  value: z.string().regex(PARTICIPANT_VALUE, { message: `must match ${PARTICIPANT_VALUE.source}` }),
});

const actorSchema = z.strictObject({ identifier: identifierSchema });

const scopeSchema = z.strictObject({
  type: z.string(),
  instanceIdentifier: uuidString.optional(),
  identifier: z.string().optional(),
  scopeInformation: z.array(z.strictObject({ expectedResponseDateTime: z.string().optional() })).optional(),
});

const documentIdentificationSchema = z.strictObject({
  standard: z.string(),
  typeVersion: z.string(),
  instanceIdentifier: uuidString,
  type: z.string(),
  creationDateAndTime: dateTimeString,
});

export const sbdhSchema = z.strictObject({
  headerVersion: z.string(),
  sender: z.tuple([actorSchema]),
  receiver: z.tuple([actorSchema]),
  documentIdentification: documentIdentificationSchema,
  businessScope: z.strictObject({ scope: z.array(scopeSchema) }),
});

export type StandardBusinessDocumentHeader = z.output<typeof sbdhSchema>;
export type Scope = z.output<typeof scopeSchema>;

/** A parsed SBD of one message type: the header and its one body. */
export interface SbdOf<K extends DpiMessageType> {
  readonly type: K;
  readonly header: StandardBusinessDocumentHeader;
  readonly body: BodyByType[K];
}

/** A parsed SBD, discriminated by the message type. */
export type StandardBusinessDocument = { [K in DpiMessageType]: SbdOf<K> }[DpiMessageType];

/** The JSON form of a forretningsmelding payload, as signed. */
export interface StandardBusinessDocumentJson {
  standardBusinessDocument: { standardBusinessDocumentHeader: StandardBusinessDocumentHeader } & {
    [body: string]: unknown;
  };
}

const HEADER_KEY = "standardBusinessDocumentHeader";
export const CONVERSATION_SCOPE_TYPE = "ConversationId";

const rootShapeSchema = z.strictObject({
  standardBusinessDocument: z.looseObject({}),
});

const headerOnlySchema = z.strictObject({
  standardBusinessDocument: z.looseObject({ [HEADER_KEY]: sbdhSchema }),
});

function documentSchema(type: DpiMessageType): z.ZodType {
  return z.strictObject({
    standardBusinessDocument: z.strictObject({ [HEADER_KEY]: sbdhSchema, [type]: BODY_SCHEMAS[type] }),
  });
}

const DOCUMENT_SCHEMAS = Object.fromEntries(DPI_MESSAGE_TYPES.map((type) => [type, documentSchema(type)])) as Record<
  DpiMessageType,
  z.ZodType
>;

// ---- parsing ------------------------------------------------------------------------------------------

/**
 * Turns an untrusted JSON value into a StandardBusinessDocument, or throws a ProblemError subclass:
 * SbdInvalidError, UnknownDocumentTypeError, MultipleBodiesError, BodyKeyMismatchError,
 * StandardTypeMismatchError, ConversationIdMissingError or ProcessMismatchError.
 */
export function parseStandardBusinessDocument(payload: unknown): StandardBusinessDocument {
  validate(rootShapeSchema, payload);
  // Read the untouched input, not zod's copy: a "__proto__" key must stay a key here.
  const sbd = (payload as { standardBusinessDocument: Record<string, unknown> }).standardBusinessDocument;

  const declaredType = declaredDocumentType(sbd);
  if (declaredType === undefined) {
    validate(headerOnlySchema, payload); // reports why the header has no usable type
    throw new SbdInvalidError([{ path: "$.standardBusinessDocument", message: "invalid header" }]);
  }
  if (!isDpiMessageType(declaredType)) throw new UnknownDocumentTypeError(declaredType);

  const bodyKeys = Object.keys(sbd).filter((key) => key !== HEADER_KEY);
  if (bodyKeys.length > 1) throw new MultipleBodiesError(bodyKeys);
  if (bodyKeys[0] !== declaredType) throw new BodyKeyMismatchError(declaredType, bodyKeys);

  const parsed = validate(DOCUMENT_SCHEMAS[declaredType], payload) as {
    standardBusinessDocument: Record<string, unknown> & { [HEADER_KEY]: StandardBusinessDocumentHeader };
  };
  const header = parsed.standardBusinessDocument[HEADER_KEY];
  const document = {
    type: declaredType,
    header,
    body: parsed.standardBusinessDocument[declaredType],
  } as StandardBusinessDocument;

  checkStandard(header, declaredType);
  checkProcess(declaredType, conversationScope(header));
  return document;
}

function declaredDocumentType(sbd: Record<string, unknown>): string | undefined {
  const header = ownProperty(sbd, HEADER_KEY);
  if (!isRecord(header)) return undefined;
  const identification = ownProperty(header, "documentIdentification");
  if (!isRecord(identification)) return undefined;
  const type = ownProperty(identification, "type");
  return typeof type === "string" ? type : undefined;
}

function ownProperty(record: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function validate<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value, { error: missingPropertyMessage });
  if (!result.success) throw new SbdInvalidError(toViolations(result.error.issues));
  return result.data;
}

function missingPropertyMessage(issue: { code?: string; input?: unknown }): string | undefined {
  return issue.code === "invalid_type" && issue.input === undefined ? "required property is missing" : undefined;
}

function toViolations(issues: readonly z.core.$ZodIssue[]): Violation[] {
  return issues.flatMap((issue) =>
    issue.code === "unrecognized_keys"
      ? issue.keys.map((key) => ({ path: jsonPath([...issue.path, key]), message: "property is not allowed" }))
      : [{ path: jsonPath(issue.path), message: issue.message }],
  );
}

function jsonPath(path: readonly PropertyKey[]): string {
  return (
    "$" +
    path
      .map((segment) =>
        typeof segment === "number"
          ? `[${segment}]`
          : typeof segment === "string" && /^[A-Za-z_$][\w$]*$/.test(segment)
            ? `.${segment}`
            : `[${JSON.stringify(String(segment))}]`,
      )
      .join("")
  );
}

function checkStandard(header: StandardBusinessDocumentHeader, type: DpiMessageType): StandardSpelling {
  const { standard } = header.documentIdentification;
  const spelling = standardSpelling(standard, type);
  if (spelling === undefined) throw new StandardTypeMismatchError(standard, type);
  return spelling;
}

function conversationScope(header: StandardBusinessDocumentHeader): Scope & { instanceIdentifier: string } {
  const scopes = header.businessScope.scope.filter((s) => s.type === CONVERSATION_SCOPE_TYPE);
  const [scope, ...others] = scopes;
  if (scope === undefined) throw new ConversationIdMissingError("businessScope has no ConversationId scope");
  if (others.length > 0) throw new ConversationIdMissingError("businessScope has more than one ConversationId scope");
  const { instanceIdentifier } = scope;
  if (instanceIdentifier === undefined) {
    throw new ConversationIdMissingError("the ConversationId scope has no instanceIdentifier");
  }
  return { ...scope, instanceIdentifier };
}

/*
 * A letter must travel on its own process. A receipt copies the conversation scope of the letter it answers,
 * so its identifier is the letter's process; we only require that to be a DPI process, because Digipost's
 * test receipts carry the digital process on mottaks- and returpostkvittering too.
 */
function checkProcess(type: DpiMessageType, scope: Scope): DpiProcessId {
  const processId = scope.identifier;
  if (isLetterType(type)) {
    const expected = processForLetter(type);
    if (processId !== expected) {
      throw new ProcessMismatchError(
        processId,
        type,
        `a ${type} letter must have ConversationId scope identifier ${expected}, not ${JSON.stringify(processId ?? null)}`,
      );
    }
    return expected;
  }
  if (processId === undefined || !isDpiProcessId(processId)) {
    throw new ProcessMismatchError(
      processId,
      type,
      `the ConversationId scope identifier ${JSON.stringify(processId ?? null)} is not a DPI process`,
    );
  }
  return processId;
}

// ---- what the rest of the access point needs to know --------------------------------------------------

/** A PEPPOL participant given as `iso6523-actorid-upis` value, e.g. `0192:991825827`. */
export interface PartyId {
  /** `0192:991825827` */
  readonly value: string;
  /** `0192` */
  readonly icd: string;
  /** `991825827` (the part after the ICD; an organisation number for ICD 0192) */
  readonly orgnr: string;
}

export interface Forretningsmelding {
  readonly document: StandardBusinessDocument;
  readonly type: DpiMessageType;
  readonly kind: MessageKind;
  /** documentIdentification.instanceIdentifier */
  readonly messageId: string;
  /** instanceIdentifier of the ConversationId scope */
  readonly conversationId: string;
  /** identifier of the ConversationId scope */
  readonly processId: DpiProcessId;
  readonly standardSpelling: StandardSpelling;
  /** documentIdentification.creationDateAndTime, as written */
  readonly createdAt: string;
  /** expectedResponseDateTime of the ConversationId scope, when given */
  readonly expectedResponseDateTime?: string;
  /** SBDH sender: the technical sender (avsender or databehandler for letters, the provider for receipts) */
  readonly sender: PartyId;
  /** SBDH receiver */
  readonly receiver: PartyId;
  /** body avsender.virksomhetsidentifikator */
  readonly avsender: PartyId;
  readonly avsenderidentifikator?: string;
  /** the SBDH sender, when it differs from the body's avsender */
  readonly databehandler?: PartyId;
  /** receipts only: body mottaker.virksomhetsidentifikator (the behandlingsansvarlig) */
  readonly mottaker?: PartyId;
  /** receipts only: body mottaker.motakeridentifikator (sic), carrying the letter's avsenderidentifikator */
  readonly motakeridentifikator?: string;
  /** letters only */
  readonly maskinportentoken?: string;
  /** letters only */
  readonly dokumentpakkefingeravtrykk?: Dokumentpakkefingeravtrykk;
}

/** parseStandardBusinessDocument followed by describeStandardBusinessDocument. */
export function parseForretningsmelding(payload: unknown): Forretningsmelding {
  return describeStandardBusinessDocument(parseStandardBusinessDocument(payload));
}

/**
 * The identifiers and parties of a document. Repeats the cross-field checks, so a document built in code
 * gets the same guarantees as a parsed one.
 */
export function describeStandardBusinessDocument(document: StandardBusinessDocument): Forretningsmelding {
  const { header, type } = document;
  const spelling = checkStandard(header, type);
  const scope = conversationScope(header);
  const processId = checkProcess(type, scope);
  const sender = partyId(header.sender[0].identifier.value);
  const avsender = partyId(document.body.avsender.virksomhetsidentifikator.value);
  const expectedResponseDateTime = scope.scopeInformation?.find(
    (info) => info.expectedResponseDateTime !== undefined,
  )?.expectedResponseDateTime;
  const body = document.body as Partial<{
    avsender: { avsenderidentifikator?: string };
    mottaker: { virksomhetsidentifikator?: { value: string }; motakeridentifikator?: string };
    maskinportentoken: string;
    dokumentpakkefingeravtrykk: Dokumentpakkefingeravtrykk;
  }>;
  const receiptMottaker = isLetterType(type) ? undefined : body.mottaker;

  return {
    document,
    type,
    kind: messageKind(type),
    messageId: header.documentIdentification.instanceIdentifier,
    conversationId: scope.instanceIdentifier,
    processId,
    standardSpelling: spelling,
    createdAt: header.documentIdentification.creationDateAndTime,
    ...(expectedResponseDateTime !== undefined ? { expectedResponseDateTime } : {}),
    sender,
    receiver: partyId(header.receiver[0].identifier.value),
    avsender,
    ...optional("avsenderidentifikator", body.avsender?.avsenderidentifikator),
    ...(sameParticipant(sender.value, avsender.value) ? {} : { databehandler: sender }),
    ...(receiptMottaker?.virksomhetsidentifikator
      ? { mottaker: partyId(receiptMottaker.virksomhetsidentifikator.value) }
      : {}),
    ...optional("motakeridentifikator", receiptMottaker?.motakeridentifikator),
    ...optional("maskinportentoken", body.maskinportentoken),
    ...optional("dokumentpakkefingeravtrykk", body.dokumentpakkefingeravtrykk),
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** Splits an `iso6523-actorid-upis` value (already checked against PARTICIPANT_VALUE). */
export function partyId(value: string): PartyId {
  const colon = value.indexOf(":");
  return { value, icd: value.slice(0, colon), orgnr: value.slice(colon + 1) };
}

/** The JSON payload form of a document, e.g. to sign it as a forretningsmelding. */
export function toStandardBusinessDocumentJson(document: StandardBusinessDocument): StandardBusinessDocumentJson {
  return {
    standardBusinessDocument: { [HEADER_KEY]: document.header, [document.type]: document.body } as {
      standardBusinessDocumentHeader: StandardBusinessDocumentHeader;
    },
  };
}
