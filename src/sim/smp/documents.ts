/**
 * The busdox SMP 1.x XML the simulated SMP serves, built from registrations. Text is escaped here; the
 * signature is added by signing.ts.
 */
import { encodeIdentifierForUrl } from "../../peppol/identifiers.js";
import type { DocumentTypeId, ParticipantId } from "../../peppol/identifiers.js";
import { SMP_NS } from "../../peppol/smp-xml.js";
import type { SmpIdentifier } from "../../peppol/smp-xml.js";
import { certificateOf, identifierOf, isRedirectEntry, transportProfileOf } from "./registrations.js";
import type { SmpSimEntry, SmpSimService } from "./registrations.js";

const ROOT_NS = `xmlns="${SMP_NS.smp}" xmlns:ids="${SMP_NS.ids}" xmlns:wsa="${SMP_NS.wsa}"`;

/** ServiceGroup with one reference per registered document type, hrefs under `baseUrl`. */
export function serviceGroupXml(participant: ParticipantId, documentTypes: readonly DocumentTypeId[], baseUrl: string): string {
  const refs = documentTypes
    .map((d) => `<ServiceMetadataReference href="${esc(`${baseUrl}/${encodeIdentifierForUrl(participant)}/services/${encodeIdentifierForUrl(d)}`)}"/>`)
    .join("");
  return (
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
    `<ServiceGroup ${ROOT_NS}>${identifierXml("ParticipantIdentifier", participant)}` +
    `<ServiceMetadataReferenceCollection>${refs}</ServiceMetadataReferenceCollection></ServiceGroup>`
  );
}

/**
 * Unsigned SignedServiceMetadata for the entries of one participant and document type (all entries must
 * share that document type). A redirect entry wins over service entries.
 */
export function serviceMetadataXml(participant: SmpIdentifier, entries: readonly SmpSimEntry[]): string {
  const first = entries[0];
  if (!first) throw new Error("no entries to publish");
  const redirect = entries.find(isRedirectEntry);
  let body: string;
  if (redirect) {
    body =
      `<Redirect href="${esc(redirect.redirect.href)}">` +
      `<CertificateUID>${esc(redirect.redirect.certificateUid)}</CertificateUID></Redirect>`;
  } else {
    const services = entries as readonly SmpSimService[];
    const lie = services.find((s) => s.respondAs)?.respondAs;
    const shownParticipant = lie?.participant ? identifierOf(lie.participant, "respondAs.participant") : participant;
    const shownDocumentType = identifierOf(lie?.documentType ?? first.documentType, "documentType");
    const byProcess = new Map<string, SmpSimService[]>();
    for (const s of services) byProcess.set(s.process, [...(byProcess.get(s.process) ?? []), s]);
    const processes = [...byProcess].map(
      ([process, endpoints]) =>
        `<Process>${identifierXml("ProcessIdentifier", identifierOf(process, "process"))}` +
        `<ServiceEndpointList>${endpoints.map(endpointXml).join("")}</ServiceEndpointList></Process>`,
    );
    body =
      `<ServiceInformation>${identifierXml("ParticipantIdentifier", shownParticipant)}` +
      `${identifierXml("DocumentIdentifier", shownDocumentType)}<ProcessList>${processes.join("")}</ProcessList></ServiceInformation>`;
  }
  return (
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
    `<SignedServiceMetadata ${ROOT_NS}><ServiceMetadata>${body}</ServiceMetadata></SignedServiceMetadata>`
  );
}

function endpointXml(s: SmpSimService): string {
  const optional = (name: string, value: string | undefined) => (value === undefined ? "" : `<${name}>${esc(value)}</${name}>`);
  const date = (d: Date | string | undefined) => (d === undefined ? undefined : new Date(d).toISOString());
  return (
    `<Endpoint transportProfile="${esc(transportProfileOf(s))}">` +
    `<wsa:EndpointReference><wsa:Address>${esc(s.endpointUrl)}</wsa:Address></wsa:EndpointReference>` +
    `<RequireBusinessLevelSignature>${s.requireBusinessLevelSignature ? "true" : "false"}</RequireBusinessLevelSignature>` +
    optional("MinimumAuthenticationLevel", s.minimumAuthenticationLevel) +
    optional("ServiceActivationDate", date(s.activation)) +
    optional("ServiceExpirationDate", date(s.expiration)) +
    `<Certificate>${certificateOf(s).raw.toString("base64")}</Certificate>` +
    `<ServiceDescription>${esc(s.serviceDescription ?? "")}</ServiceDescription>` +
    `<TechnicalContactUrl>${esc(s.technicalContactUrl ?? "")}</TechnicalContactUrl>` +
    optional("TechnicalInformationUrl", s.technicalInformationUrl) +
    `</Endpoint>`
  );
}

function identifierXml(name: string, id: SmpIdentifier): string {
  return `<ids:${name} scheme="${esc(id.scheme)}">${esc(id.value)}</ids:${name}>`;
}

function esc(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/\r/g, "&#xD;");
}
