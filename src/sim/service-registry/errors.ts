/**
 * The error answers of the Service Registry, one factory per failure kind, each with the status and body the
 * real one gives ([SR] `controller/GlobalControllerExceptionHandler.java`, `common/.../ErrorResponse.java`,
 * the exception classes in `common/.../exceptions/`, and Spring's defaults where no handler applies).
 */

export type SrErrorBody =
  /** `{"error_code":"","error_description":"..."}` from the exception handler. */
  | { kind: "error-response"; errorCode: string; errorDescription: string }
  /** Spring Boot's default error document (no handler for the exception). */
  | { kind: "spring"; error: string }
  /** A body the controller writes itself. */
  | { kind: "raw"; text: string }
  | { kind: "empty" };

export class SrError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly body: SrErrorBody,
    readonly headers: Record<string, string> = {},
  ) {
    super(body.kind === "error-response" ? body.errorDescription : body.kind === "raw" ? body.text : code);
    this.name = "SrError";
  }
}

const handled = (status: number, code: string, description: string) =>
  new SrError(status, code, { kind: "error-response", errorCode: "", errorDescription: description });

/** EntityNotFoundException → 404. */
export const entityNotFound = (identifier: string) => handled(404, "entity_not_found", `Entity with identifier '${identifier}' not found.`);

/** ReceiverProcessNotFoundException → 404 (unknown process, or no record for the receiver). */
export const receiverProcessNotFound = (identifier: string, process: string) =>
  handled(404, "receiver_process_not_found", `Process ${process} not found for receiver ${identifier}`);

/**
 * SecurityLevelNotFoundException → 400. The real message embeds Lombok's toString of the OrganizationInfo
 * (`ServiceRecordService.createArkivmeldingServiceRecord`); `entity` is that text.
 */
export const securityLevelNotFound = (entity: string, securityLevel: number) =>
  handled(400, "security_level_not_found", `Organization '${entity}' can not receive messages with security level '${securityLevel}'`);

/** CertificateNotFoundException (VirkSert has no certificate) → 404. */
export const certificateNotFound = (service: "DPO" | "DPE", orgnr: string) =>
  handled(404, "certificate_not_found", `Unable to find ${service} certificate for: ${orgnr}`);

/** NonMatchingCertificatesException → 400. */
export const nonMatchingCertificates = (identifier: string) =>
  handled(400, "non_matching_certificates", `DPO and DPE certificates from Virksert do not match for identifier ${identifier}`);

/** BrregNotFoundException (the print record's sender is not in Enhetsregisteret) → 404. */
export const senderNotInBrreg = (sender: string) => handled(404, "brreg_not_found", `Sender with identifier=${sender} not found in BRREG`);

/**
 * AccessDeniedException → 401 (the handler maps it to UNAUTHORIZED, not 403). Method security
 * (`@PreAuthorize` scope checks) throws it with Spring Security's message "Access Denied".
 */
export const accessDenied = (message = "Access Denied") => handled(401, "access_denied", message);

/** `getAuthorizedClientIdentifier`: the token's consumer.ID is not an ISO 6523 identifier → AccessDeniedException. */
export const consumerNotIso6523 = (remoteAddress: string) =>
  accessDenied(`Unauthorized lookup from ${remoteAddress} - consumer.ID claim in token not present, or does not match ISO6523`);

/** `/identifier/{fnr}`: KRR or FREG failed for a citizen; the controller writes this body itself. */
export const noRecordForCitizen = (fnr: string) =>
  new SrError(404, "no_record_for_citizen", { kind: "raw", text: `{"message": "No service record found for citizen: ${fnr}"}` });

/** `/info/{id}` for an unknown organisation: `ResponseEntity.notFound()`, no body. */
export const infoNotFound = () => new SrError(404, "entity_not_found", { kind: "empty" });

/** `/sastoken` without a configured key: `ResponseEntity.notFound()`. */
export const sasTokenNotConfigured = () => new SrError(404, "sas_token_not_configured", { kind: "empty" });

/** An exception no handler covers → Spring Boot's error document. */
export const springError = (status: 400 | 404 | 500, code: string) =>
  new SrError(status, code, { kind: "spring", error: REASONS[status] });

/** No representation the client accepts (HttpMediaTypeNotAcceptableException). */
export const notAcceptable = () => new SrError(406, "not_acceptable", { kind: "empty" });

/** No token (Spring Security's entry point; `httpBasic` is configured before the resource server). */
export const unauthenticated = () => new SrError(401, "unauthenticated", { kind: "empty" }, { "www-authenticate": 'Basic realm="Realm"' });

/** A bearer token the resource server rejects (BearerTokenAuthenticationEntryPoint). */
export const invalidToken = (description: string) =>
  new SrError(401, "invalid_token", { kind: "empty" }, {
    "www-authenticate": `Bearer error="invalid_token", error_description="${description.replace(/["\\]/g, "")}", error_uri="https://tools.ietf.org/html/rfc6750#section-3.1"`,
  });

const REASONS = { 400: "Bad Request", 404: "Not Found", 500: "Internal Server Error" } as const;
