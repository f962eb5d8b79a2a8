/**
 * The writable half of the simulated SMP, shaped like phoss-SMP's REST management API (Peppol SMP 1.x mode):
 *   PUT    {base}/{pct(participant)}                         body ServiceGroup       → create or update the group
 *   DELETE {base}/{pct(participant)}                                                 → delete it and all its metadata
 *   PUT    {base}/{pct(participant)}/services/{pct(doctype)} body ServiceMetadata    → set that document type's endpoints
 *   DELETE {base}/{pct(participant)}/services/{pct(doctype)}                         → remove that document type
 * Every call needs HTTP Basic credentials of an SMP user; a service group belongs to the user who created it.
 * Creating a group registers the participant in the SML (unless `?create-in-sml=false`), deleting it removes
 * it there (unless `?delete-in-sml=false`), as phoss does; when the SML refuses, the group is not created.
 *
 * The answers follow phoss (SMPRestExceptionMapper): a missing or malformed Authorization header, an unknown
 * user, a wrong password and another user's group are all 403 (phoss answers no 401); a path identifier that
 * does not parse, a body that is not the expected XML, or a body whose identifiers differ from the path are
 * 400; a group (or document type) that does not exist is 404; an SML failure is 500. Success is 200 with no body.
 */
import { timingSafeEqual } from "node:crypto";
import { formatIdentifier, parseDocumentTypeId, parseParticipantId, participantId, documentTypeId } from "../../peppol/identifiers.js";
import type { DocumentTypeId, ParticipantId } from "../../peppol/identifiers.js";
import { parseServiceGroup, parseServiceMetadata } from "../../peppol/smp-xml.js";
import type { SmpIdentifier } from "../../peppol/smp-xml.js";
import { checkRegistrations } from "./registrations.js";
import type { SmpSimEntry, SmpSimService } from "./registrations.js";

/** The SML the SMP keeps its participants in (phoss calls the SML's ManageParticipantIdentifier service). */
export interface SmpSimSml {
  registerParticipant(participant: ParticipantId): void | Promise<void>;
  unregisterParticipant(participant: ParticipantId): void | Promise<void>;
}

/** What a management call may touch: the SMP's registry, owned by users. */
export interface ManagedRegistry {
  get(participant: SmpIdentifier): { participant: ParticipantId; owner: string | undefined; entries: SmpSimEntry[] } | undefined;
  create(participant: ParticipantId, owner: string): void;
  delete(participant: SmpIdentifier): void;
  setDocumentType(participant: SmpIdentifier, documentType: DocumentTypeId, entries: SmpSimEntry[]): void;
  deleteDocumentType(participant: SmpIdentifier, documentType: DocumentTypeId): boolean;
}

export interface ManagementRequest {
  method: "PUT" | "DELETE";
  /** Percent-decoded path segments after the base path: [participant] or [participant, "services", doctype]. */
  segments: string[];
  query: URLSearchParams;
  authorization: string | undefined;
  body: Buffer;
}

export interface ManagementAnswer {
  status: number;
  /** phoss writes the exception's message as plain text. */
  text: string;
}

export interface ManagementDeps {
  users: Readonly<Record<string, string>>;
  registry: ManagedRegistry;
  sml: SmpSimSml | undefined;
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function handleManagement(req: ManagementRequest, deps: ManagementDeps): Promise<ManagementAnswer> {
  try {
    const participant = pathParticipant(req.segments[0]!);
    if (req.segments.length === 1) {
      if (req.method === "PUT") await putServiceGroup(participant, req, deps);
      else await deleteServiceGroup(participant, req, deps);
    } else {
      const documentType = pathDocumentType(req.segments[2]!);
      if (req.method === "PUT") putServiceMetadata(participant, documentType, req, deps);
      else deleteServiceMetadata(participant, documentType, req, deps);
    }
    return { status: 200, text: "" };
  } catch (e) {
    if (e instanceof Refusal) return { status: e.status, text: e.message };
    throw e;
  }
}

async function putServiceGroup(participant: ParticipantId, req: ManagementRequest, deps: ManagementDeps): Promise<void> {
  let body: SmpIdentifier;
  try {
    body = parseServiceGroupBody(req.body);
  } catch (e) {
    throw new Refusal(400, `Failed to parse provided payload as ServiceGroup: ${(e as Error).message}`);
  }
  if (!sameParticipant(participant, body)) {
    throw new Refusal(400, `Service Group Inconsistency. The URL points to '${formatIdentifier(participant)}' whereas the Service Group contains '${body.scheme}::${body.value}'`);
  }
  const user = authenticate(req.authorization, deps.users);
  const existing = deps.registry.get(participant);
  if (existing) {
    ownedBy(existing.owner, user, participant);
    return;
  }
  if (req.query.get("create-in-sml")?.toLowerCase() !== "false" && deps.sml) {
    try {
      await deps.sml.registerParticipant(participant);
    } catch (e) {
      throw new Refusal(500, `Error in SML: ${(e as Error).message}`);
    }
  }
  deps.registry.create(participant, user);
}

async function deleteServiceGroup(participant: ParticipantId, req: ManagementRequest, deps: ManagementDeps): Promise<void> {
  const user = authenticate(req.authorization, deps.users);
  const existing = deps.registry.get(participant);
  if (!existing) throw new Refusal(404, `No such Service Group '${formatIdentifier(participant)}'`);
  ownedBy(existing.owner, user, participant);
  if (req.query.get("delete-in-sml")?.toLowerCase() !== "false" && deps.sml) {
    try {
      await deps.sml.unregisterParticipant(existing.participant);
    } catch (e) {
      throw new Refusal(500, `Error in SML: ${(e as Error).message}`);
    }
  }
  deps.registry.delete(participant);
}

function putServiceMetadata(participant: ParticipantId, documentType: DocumentTypeId, req: ManagementRequest, deps: ManagementDeps): void {
  let entries: SmpSimEntry[];
  try {
    entries = entriesOf(req.body, participant, documentType);
    checkRegistrations({ [formatIdentifier(participant)]: entries });
  } catch (e) {
    if (e instanceof Refusal) throw e;
    throw new Refusal(400, `Failed to parse provided payload as ServiceMetadata: ${(e as Error).message}`);
  }
  const user = authenticate(req.authorization, deps.users);
  const existing = deps.registry.get(participant);
  if (!existing) throw new Refusal(404, `Service Group '${formatIdentifier(participant)}' is not on this SMP`);
  ownedBy(existing.owner, user, participant);
  deps.registry.setDocumentType(participant, documentType, entries);
}

function deleteServiceMetadata(participant: ParticipantId, documentType: DocumentTypeId, req: ManagementRequest, deps: ManagementDeps): void {
  const user = authenticate(req.authorization, deps.users);
  const existing = deps.registry.get(participant);
  if (!existing) throw new Refusal(404, `Service Group '${formatIdentifier(participant)}' is not on this SMP`);
  ownedBy(existing.owner, user, participant);
  if (!deps.registry.deleteDocumentType(participant, documentType)) {
    throw new Refusal(404, `service(${formatIdentifier(participant)},${formatIdentifier(documentType)})`);
  }
}

/** The body's ServiceMetadata as the simulator's entries: one per process and endpoint, or one redirect. */
function entriesOf(body: Buffer, participant: ParticipantId, documentType: DocumentTypeId): SmpSimEntry[] {
  const metadata = parseServiceMetadata(body);
  const docText = formatIdentifier(documentType);
  if (metadata.kind === "redirect") return [{ documentType: docText, redirect: { ...metadata.redirect } }];
  const info = metadata.serviceInformation;
  if (!sameParticipant(participant, info.participant)) {
    throw new Refusal(400, `Save Service Metadata was called with inconsistent values: participant '${info.participant.scheme}::${info.participant.value}', URL '${formatIdentifier(participant)}'`);
  }
  if (!sameDocumentType(documentType, info.documentType)) {
    throw new Refusal(400, `Save Service Metadata was called with inconsistent values: document type '${info.documentType.scheme}::${info.documentType.value}', URL '${docText}'`);
  }
  return info.processes.flatMap((p) =>
    p.endpoints.map(
      (e): SmpSimService => ({
        documentType: docText,
        process: `${p.process.scheme}::${p.process.value}`,
        endpointUrl: e.address,
        certificatePem: e.certificate.toString(),
        transportProfile: e.transportProfile,
        requireBusinessLevelSignature: e.requireBusinessLevelSignature,
        ...(e.minimumAuthenticationLevel !== undefined ? { minimumAuthenticationLevel: e.minimumAuthenticationLevel } : {}),
        ...(e.serviceActivationDate ? { activation: e.serviceActivationDate } : {}),
        ...(e.serviceExpirationDate ? { expiration: e.serviceExpirationDate } : {}),
        ...(e.serviceDescription !== undefined ? { serviceDescription: e.serviceDescription } : {}),
        ...(e.technicalContactUrl !== undefined ? { technicalContactUrl: e.technicalContactUrl } : {}),
        ...(e.technicalInformationUrl !== undefined ? { technicalInformationUrl: e.technicalInformationUrl } : {}),
      }),
    ),
  );
}

function parseServiceGroupBody(body: Buffer): SmpIdentifier {
  // A ServiceGroup PUT carries no references worth reading (phoss ignores them); only the identifier counts.
  // The read parser wants a ServiceMetadataReferenceCollection, which phoss's clients always send, empty.
  return parseServiceGroup(body).participant;
}

/** The user named by HTTP Basic credentials that match; phoss answers every failure here with 403. */
function authenticate(header: string | undefined, users: Readonly<Record<string, string>>): string {
  if (!header) throw new Refusal(403, "Missing required HTTP header 'Authorization' for user authentication");
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  const decoded = m ? Buffer.from(m[1]!, "base64").toString("utf8") : "";
  const colon = decoded.indexOf(":");
  if (!m || colon < 0) throw new Refusal(403, "The HTTP header 'Authorization' is malformed. Contains neither a Bearer Token nor Basic Auth");
  const name = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  const expected = Object.hasOwn(users, name) ? users[name]! : undefined;
  if (expected === undefined) throw new Refusal(403, `No such user '${name}'`);
  const a = Buffer.from(password);
  const b = Buffer.from(expected);
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw new Refusal(403, `Illegal password for user '${name}'`);
  return name;
}

function ownedBy(owner: string | undefined, user: string, participant: ParticipantId): void {
  if (owner !== user) throw new Refusal(403, `User '${user}' does not own Service Group '${formatIdentifier(participant)}'`);
}

function pathParticipant(segment: string): ParticipantId {
  try {
    return parseParticipantId(segment);
  } catch {
    throw new Refusal(400, `Failed to parse serviceGroup '${segment}'`);
  }
}

function pathDocumentType(segment: string): DocumentTypeId {
  try {
    return parseDocumentTypeId(segment);
  } catch {
    throw new Refusal(400, `Failed to parse document type '${segment}'`);
  }
}

/** Participant identifiers compare case-insensitively (Peppol policy for iso6523-actorid-upis). */
function sameParticipant(a: ParticipantId, b: SmpIdentifier): boolean {
  try {
    const other = participantId(b.value, b.scheme);
    return a.scheme.toLowerCase() === other.scheme.toLowerCase() && a.value.toLowerCase() === other.value.toLowerCase();
  } catch {
    return false;
  }
}

/** Document type schemes case-insensitively, values exactly (as the read side matches them). */
function sameDocumentType(a: DocumentTypeId, b: SmpIdentifier): boolean {
  try {
    const other = documentTypeId(b.value, b.scheme);
    return a.scheme.toLowerCase() === other.scheme.toLowerCase() && a.value === other.value;
  } catch {
    return false;
  }
}
