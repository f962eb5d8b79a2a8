import type { X509Certificate } from "node:crypto";
import * as dpiErrors from "../../src/dpi/errors.js";
import * as intake from "../../src/dpi/intake.js";
import * as fm from "../../src/dpi/signed-forretningsmelding.js";
import * as peppol from "../../src/peppol/errors.js";
import * as smp from "../../src/peppol/smp-errors.js";
import * as mp from "../../src/maskinporten/errors.js";
import * as pki from "../../src/pki/errors.js";
import { CrlError } from "../../src/pki/crl.js";
import { OcspResponseError } from "../../src/pki/ocsp.js";
import { CertificateKeyUsageError } from "../../src/pki/peppol-trust.js";
import { CertificateRevokedError, RevocationUnknownError } from "../../src/pki/revocation.js";
import { RevocationFetchError } from "../../src/pki/revocation-http.js";
import * as nmStatus from "../../src/api/nextmove/status-errors.js";
import * as nmErrors from "../../src/api/nextmove/errors.js";
import { ContentDispositionInvalidError } from "../../src/api/nextmove/content-disposition.js";
import * as sbd from "../../src/sbd/errors.js";
import * as fromNm from "../../src/dpi/from-nextmove-errors.js";
import * as packaging from "../../src/packaging/errors.js";
import * as routing from "../../src/routing/eformidling.js";
import * as sr from "../../src/routing/service-registry/errors.js";
import * as nmIn from "../../src/api/nextmove/messages-in-errors.js";
import * as participants from "../../src/participants/errors.js";
import * as dpfMail from "../../src/api/nextmove/dpf-mail-errors.js";

/**
 * One instance of every domain error, under a label (the code, and where one class answers differently by
 * instance, the variant in brackets). The edge-table tests run each through both edges.
 */

const cert = { subject: "CN=test\nO=test" } as unknown as X509Certificate;

export const SAMPLES: Record<string, () => Error> = {
  // participants/errors.ts
  "participant-invalid": () => new participants.ParticipantInvalidError("x is not an organisation number"),
  "participant-not-found": () => new participants.ParticipantNotFoundError("0192:1 is not served here"),
  "participant-smp-failed [upstream]": () => new participants.ParticipantSmpError("SMP answered 403", false),
  "participant-smp-failed [unavailable]": () => new participants.ParticipantSmpError("SMP unreachable", true),
  // dpi/errors.ts
  "sbd-invalid": () => new dpiErrors.SbdInvalidError([{ path: "$.x", message: "bad" }]),
  "unknown-document-type": () => new dpiErrors.UnknownDocumentTypeError("faktura"),
  "standard-type-mismatch": () => new dpiErrors.StandardTypeMismatchError("urn:x", "digital"),
  "body-key-mismatch": () => new dpiErrors.BodyKeyMismatchError("digital", ["print"]),
  "multiple-bodies": () => new dpiErrors.MultipleBodiesError(["digital", "print"]),
  "conversation-id-missing": () => new dpiErrors.ConversationIdMissingError("no scope"),
  "process-mismatch": () => new dpiErrors.ProcessMismatchError("urn:p", "digital", "wrong process"),
  "dokumentpakke-not-cms": () => new dpiErrors.DokumentpakkeNotCmsError("not CMS"),
  "unsupported-digest-method": () => new dpiErrors.UnsupportedDigestMethodError("sha1"),
  "fingerprint-mismatch": () => new dpiErrors.FingerprintMismatchError(),
  "unsupported-cms-algorithm": () => new dpiErrors.UnsupportedCmsAlgorithmError("not AES-CBC"),
  "dokumentpakke-decrypt-failed": () => new dpiErrors.DokumentpakkeDecryptError("no recipient"),
  // dpi/intake.ts
  "signer-not-sender": () => new intake.SignerNotSenderError("0192:1", "0192:2"),
  "sender-not-served": () => new intake.SenderNotServedError("0192:1"),
  "consumer-not-avsender": () => new intake.ConsumerNotAvsenderError("0192:1", "0192:2"),
  "supplier-not-sender": () => new intake.SupplierNotSenderError("0192:1", "0192:2"),
  "maskinportentoken-mismatch": () => new intake.MaskinportentokenMismatchError(),
  "dokumentpakke-missing": () => new intake.DokumentpakkeMissingError("digital"),
  "dokumentpakke-unexpected": () => new intake.DokumentpakkeUnexpectedError("leveringskvittering"),
  "conversation-unknown": () => new intake.ConversationUnknownError("c-1", "0192:1"),
  "receipt-mismatch": () => new intake.ReceiptMismatchError("wrong type"),
  "message-id-used": () => new intake.MessageIdUsedError("m-1"),
  // dpi/signed-forretningsmelding.ts
  "forretningsmelding-malformed": () => new fm.ForretningsmeldingMalformedError("not a JWS"),
  "forretningsmelding-algorithm": () => new fm.ForretningsmeldingAlgorithmError("HS256"),
  "forretningsmelding-signature-invalid": () => new fm.ForretningsmeldingSignatureError("does not verify"),
  "signer-certificate-invalid": () => new fm.SignerCertificateError("expired"),
  "signer-certificate-revoked": () => new fm.SignerCertificateRevokedError("revoked"),
  "signer-certificate-key-usage": () => new fm.SignerCertificateKeyUsageError("no digitalSignature"),
  "signer-certificate-revocation-unavailable": () => new fm.SignerRevocationUnavailableError("no OCSP answer"),
  // peppol/errors.ts
  "peppol-identifier-invalid": () => new peppol.IdentifierInvalidError("participant", "x y", "whitespace"),
  "dns-name-not-found": () => new peppol.DnsNameNotFoundError("b-1.sml.test", "NAPTR", "ENOTFOUND"),
  "dns-lookup-failed": () => new peppol.DnsLookupError("b-1.sml.test", "NAPTR", "ETIMEOUT"),
  "peppol-participant-not-registered": () => new peppol.ParticipantNotRegisteredError("0192:1", "b-1.sml.test"),
  "peppol-sml-no-smp-record": () => new peppol.SmlNoSmpRecordError("0192:1", "b-1.sml.test", "no U record"),
  "peppol-sml-bad-regexp": () => new peppol.SmlBadRegexpError("!x!", "no delimiter"),
  "peppol-sml-bad-smp-url": () => new peppol.SmlBadSmpUrlError("ftp://x", "not https"),
  "sbdh-malformed": () => new peppol.SbdhMalformedError("not XML"),
  "sbdh-structure": () => new peppol.SbdhStructureError("StandardBusinessDocumentHeader/Sender", "missing"),
  "sbdh-value": () => new peppol.SbdhValueError("StandardBusinessDocumentHeader/HeaderVersion", "not 1.0"),
  "sbdh-scope": () => new peppol.SbdhScopeError("DOCUMENTID", "missing"),
  "sbdh-payload": () => new peppol.SbdhPayloadError("Innbyggerpost", "missing"),
  "sbdh-too-large": () => new peppol.SbdhTooLargeError("dokumentpakke", 1024),
  // peppol/smp-errors.ts
  "peppol-smp-participant-not-registered": () => new smp.SmpParticipantNotRegisteredError("not registered"),
  "peppol-smp-document-type-not-supported": () => new smp.SmpDocumentTypeNotSupportedError("no such document"),
  "peppol-smp-process-not-supported": () => new smp.SmpProcessNotSupportedError("no such process"),
  "peppol-smp-no-as4-endpoint": () => new smp.SmpNoAs4EndpointError("no AS4"),
  "peppol-smp-endpoint-not-active": () => new smp.SmpEndpointNotActiveError("expired"),
  "peppol-smp-signature-missing": () => new smp.SmpMissingSignatureError("unsigned"),
  "peppol-smp-bad-signature": () => new smp.SmpBadSignatureError("does not verify"),
  "peppol-smp-untrusted-certificate": () => new smp.SmpUntrustedCertificateError("unknown CA"),
  "peppol-smp-untrusted-certificate [revocation outage]": () =>
    new smp.SmpUntrustedCertificateError("SMP certificate refused: no OCSP answer", { cause: new RevocationUnknownError("no OCSP answer", cert, []) }),
  "peppol-smp-identifier-mismatch": () => new smp.SmpIdentifierMismatchError("another participant"),
  "peppol-smp-redirect-refused": () => new smp.SmpRedirectLoopError("two hops"),
  "peppol-smp-redirect-certificate-mismatch": () => new smp.SmpRedirectCertificateMismatchError("other subject"),
  "peppol-smp-malformed-response": () => new smp.SmpMalformedResponseError("not XML"),
  "peppol-smp-http-failure [timeout]": () => new smp.SmpHttpError("timeout", "https://smp.test/x", "timed out", { kind: "unavailable" }),
  "peppol-smp-http-failure [network, retryable]": () => new smp.SmpHttpError("network", "https://smp.test/x", "refused", { kind: "unavailable" }),
  "peppol-smp-http-failure [network, not retryable]": () => new smp.SmpHttpError("network", "https://smp.test/x", "bad URL", { kind: "upstream" }),
  "peppol-smp-http-failure [status 503]": () => new smp.SmpHttpError("status", "https://smp.test/x", "HTTP 503", { kind: "unavailable", httpStatus: 503 }),
  "peppol-smp-http-failure [status 403]": () => new smp.SmpHttpError("status", "https://smp.test/x", "HTTP 403", { kind: "upstream", httpStatus: 403 }),
  "peppol-smp-http-failure [too-large]": () => new smp.SmpHttpError("too-large", "https://smp.test/x", "too large", { kind: "upstream" }),
  // maskinporten/errors.ts
  "token-missing": () => new mp.TokenMissingError(),
  "token-invalid": () => new mp.TokenInvalidError("not a JWT"),
  "token-expired": () => new mp.TokenExpiredError(new Date("2030-01-01T00:00:00Z")),
  "token-not-yet-valid": () => new mp.TokenNotYetValidError("iat in the future"),
  "token-signature-invalid": () => new mp.TokenSignatureInvalidError(),
  "token-algorithm-not-allowed": () => new mp.TokenAlgorithmNotAllowedError("HS256"),
  "token-key-unknown": () => new mp.TokenKeyUnknownError("k1"),
  "token-issuer-invalid": () => new mp.TokenIssuerInvalidError("https://evil.test/"),
  "token-audience-invalid": () => new mp.TokenAudienceInvalidError("https://other.test/"),
  "token-scope-missing": () => new mp.TokenScopeMissingError("digdir:dpi", []),
  "token-consumer-missing": () => new mp.TokenConsumerMissingError(),
  "token-consumer-invalid": () => new mp.TokenPartyInvalidError("consumer", "is not an object"),
  "token-supplier-invalid": () => new mp.TokenPartyInvalidError("supplier", "is not an object"),
  "token-keys-unavailable": () => new mp.TokenKeysUnavailableError(),
  // pki
  ERR_PKI_PEM_FORMAT: () => new pki.PemFormatError("no PEM block"),
  ERR_PKI_CERT_MALFORMED: () => new pki.MalformedCertificateError("not DER", cert),
  ERR_PKI_KEYSTORE_FORMAT: () => new pki.KeystoreFormatError("not PKCS#12"),
  ERR_PKI_KEYSTORE_PASSWORD: () => new pki.KeystorePasswordError("wrong password"),
  ERR_PKI_KEYSTORE_NO_KEY: () => new pki.KeystoreNoKeyError("no key"),
  ERR_PKI_KEYSTORE_NO_CERTIFICATE: () => new pki.KeystoreNoCertificateError("no certificate"),
  ERR_PKI_KEYSTORE_ALIAS: () => new pki.KeystoreAliasError("no alias x"),
  ERR_PKI_KEYSTORE_KEY_MISMATCH: () => new pki.KeyCertificateMismatchError("other key"),
  ERR_PKI_CERT_EXPIRED: () => new pki.CertificateExpiredError("expired", cert),
  ERR_PKI_CERT_NOT_YET_VALID: () => new pki.CertificateNotYetValidError("not yet valid", cert),
  ERR_PKI_CERT_UNTRUSTED: () => new pki.UntrustedCertificateError("unknown issuer", cert),
  ERR_PKI_CHAIN_BROKEN: () => new pki.BrokenChainError("bad signature", cert),
  ERR_PKI_NO_ORGANISATION_NUMBER: () => new pki.MissingOrganisationNumberError("no orgno", cert),
  ERR_PKI_AMBIGUOUS_ORGANISATION_NUMBER: () => new pki.AmbiguousOrganisationNumberError("two orgnos", cert),
  ERR_PKI_NO_PEPPOL_SEAT_ID: () => new pki.InvalidPeppolSeatIdError("no seat id", cert),
  ERR_PKI_KEY_USAGE: () => new CertificateKeyUsageError("no digitalSignature", cert),
  ERR_PKI_CERT_REVOKED: () => new CertificateRevokedError("revoked", cert, new Date("2030-01-01T00:00:00Z"), undefined, "ocsp"),
  ERR_PKI_REVOCATION_UNKNOWN: () => new RevocationUnknownError("no OCSP or CRL answer", cert, ["ocsp: refused"]),
  ERR_PKI_REVOCATION_FETCH: () => new RevocationFetchError("refused", "http://ocsp.test/"),
  ERR_PKI_CRL: () => new CrlError("expired", "CRL expired"),
  ERR_PKI_OCSP_RESPONSE: () => new OcspResponseError("bad-signature", "bad OCSP signature"),
  // api/nextmove/status-errors.ts
  "nextmove-query-invalid": () => new nmStatus.NextMoveQueryInvalidError("pollable: not a boolean"),
  "conversation-not-found": () => new nmStatus.ConversationNotFoundError("id 7"),
  "status-not-queued": () => new nmStatus.StatusNotQueuedError(7),
  "subscription-not-found": () => new nmStatus.SubscriptionNotFoundError(7),
  "subscription-invalid": () => new nmStatus.SubscriptionInvalidError("name: must not be null"),
  "subscription-exists": () => new nmStatus.SubscriptionExistsError(7),
  // api/nextmove/dpf-mail-errors.ts
  "dpf-mail-link-not-found": () => new dpfMail.DpfMailLinkNotFoundError("No mail has this download link"),
  "dpf-mail-link-expired": () => new dpfMail.DpfMailLinkExpiredError("The download link stopped working at 2026-12-05T10:00:00.000Z"),
  // api/nextmove/errors.ts, content-disposition.ts
  "nextmove-credentials-invalid": () => new nmErrors.BasicCredentialsInvalidError("Unknown user or wrong password"),
  "nextmove-organisation-forbidden": () => new nmErrors.OrganisationNotAllowedError("910076787", "arkiv"),
  "nextmove-message-not-found": () => new nmErrors.MessageNotFoundError("6a7e1f0c-3b1d-4c8e-9d2a-5f4b3c2a1e0d"),
  "nextmove-max-file-size-exceeded": () => new nmErrors.MaxFileSizeExceededError(3 * 1024 * 1024, "DPE", 2 * 1024 * 1024),
  "nextmove-sender-required": () => new nmErrors.SenderRequiredError("drift"),
  "nextmove-multipart-file-too-large": () => new nmErrors.MultipartFileTooLargeError("vedtak.pdf", 5242880),
  "content-disposition-invalid": () => new ContentDispositionInvalidError("the Content-Disposition header is required"),
  // sbd/errors.ts
  "nextmove-sbd-unreadable": () => new sbd.SbdUnreadableError([{ path: "standardBusinessDocumentHeader", message: "must be an object" }]),
  "nextmove-constraint-violation": () =>
    new sbd.SbdConstraintViolationError([{ path: "standardBusinessDocumentHeader.documentIdentification.standard", message: "must not be null" }]),
  "nextmove-partner-identifier-invalid": () => new sbd.PartnerIdentifierInvalidError("0192:12345", "iso6523-actorid-upis"),
  "nextmove-missing-conversation-scope": () => new sbd.MissingConversationIdScopeError(),
  "nextmove-unknown-message-type": () => new sbd.UnknownMessageTypeError("faktura", ["arkivmelding", "digital"]),
  "nextmove-message-type-mismatch": () => new sbd.MessageTypeDoesNotFitDocumentTypeError("arkivmelding", "urn:no:difi:digitalpost:xsd:digital::digital"),
  "nextmove-service-not-enabled": () => new sbd.ServiceNotEnabledError("DPV"),
  "nextmove-message-channel-invalid": () => new sbd.MessageChannelInvalidError("kanal-a", "kanal-b"),
  "nextmove-forsendelse-type-not-found": () => new sbd.ForsendelseTypeNotFoundError("brev", ["Standard", "Byggesak"]),
  "nextmove-missing-svarut-credentials": () => new sbd.MissingSvarUtCredentialsError("910076787"),
  "nextmove-missing-address-information": () => new sbd.MissingAddressInformationError("mottaker.adresselinje1"),
  "nextmove-message-already-exists": () => new sbd.MessageAlreadyExistsError("ff88849c-e281-4809-8555-7cd54952b916"),
  "nextmove-receiver-does-not-accept-process": () => new sbd.ReceiverDoesNotAcceptProcessError("urn:no:difi:profile:arkivmelding:administrasjon:ver1.0"),
  "nextmove-time-to-live-expired": () => new sbd.TimeToLiveExpiredError("2030-01-01T00:00:00+01:00"),
  "nextmove-missing-file": () => new sbd.MissingFileError(),
  "nextmove-missing-arkivmelding": () => new sbd.MissingArkivmeldingError(),
  "nextmove-missing-arkivmelding-file": () => new sbd.MissingArkivmeldingFileError(["vedlegg.pdf"]),
  "nextmove-file-not-found": () => new sbd.FileNotFoundError(["metadata.xml"]),
  "nextmove-missing-primary-document": () => new sbd.MissingPrimaryDocumentError(),
  "nextmove-duplicate-filename": () => new sbd.DuplicateFilenameError("brev.pdf"),
  "nextmove-multiple-primary-documents": () => new sbd.MultiplePrimaryDocumentsError(),
  "nextmove-missing-file-title": () => new sbd.MissingFileTitleError("DPV"),
  "arkivmelding-unreadable": () => new sbd.ArkivmeldingUnreadableError("not well-formed"),
  "arkivmelding-missing-saksmappe": () => new sbd.ArkivmeldingMissingSaksmappeError(),
  "arkivmelding-missing-journalpost": () => new sbd.ArkivmeldingMissingJournalpostError(),
  // dpi/from-nextmove-errors.ts
  "nextmove-not-dpi": () => new fromNm.NextMoveNotDpiError('documentIdentification.type is "arkivmelding", not "digital" or "print"'),
  "nextmove-field-missing": () => new fromNm.NextMoveFieldMissingError(["digital.sikkerhetsnivaa"]),
  "nextmove-field-invalid": () => new fromNm.NextMoveFieldInvalidError([{ path: "digital.digitalPostInfo.virkningsdato", message: "not a date" }]),
  "nextmove-hoveddokument-missing": () => new fromNm.NextMoveHoveddokumentMissingError("brev.pdf"),
  "nextmove-metadata-file-missing": () => new fromNm.NextMoveMetadataFileMissingError(["metadata.xml"]),
  "nextmove-document-rejected": () => new fromNm.NextMoveDocumentRejectedError('"a.exe": executable files cannot be sent', new Error("AsicInputError")),
  "nextmove-signer-not-sender": () => new fromNm.SigningCertificateNotSenderError("0192:910076787", "0192:987464291"),
  "dpi-recipient-no-postbox": () => new fromNm.RecipientHasNoPostboxError("the person's DPI record is for print: send a print message"),
  "dpi-recipient-no-print": () => new fromNm.RecipientHasNoPrintError("no print provider is known"),
  "dpi-recipient-record-invalid": () => new fromNm.RecipientRecordInvalidError("KRR's print details lack the print provider or its certificate"),
  // packaging/errors.ts
  "efm-asic-input-invalid": () => new packaging.EfmAsicInputError('"manifest.xml" is a name the package reserves'),
  "packaging-key-invalid": () => new packaging.PackagingKeyError("the signing key must be an RSA key, not ec"),
  "cms-malformed": () => new packaging.CmsMalformedError("not a ContentInfo"),
  "cms-unsupported-algorithm": () => new packaging.CmsUnsupportedAlgorithmError("des-ede3-cbc"),
  "cms-wrong-recipient": () => new packaging.CmsWrongRecipientError("no recipient for this certificate"),
  "cms-decrypt-failed": () => new packaging.CmsDecryptError("the content could not be decrypted"),
  "efm-asic-malformed": () => new packaging.EfmAsicMalformedError("mimetype is not the first entry"),
  "efm-asic-limit-exceeded": () => new packaging.EfmAsicLimitError("more than 1000 entries"),
  "efm-asic-signature-missing": () => new packaging.EfmAsicSignatureMissingError("no META-INF/ASiCManifest*.xml"),
  "efm-asic-signature-malformed": () => new packaging.EfmAsicSignatureMalformedError("the signature is not CMS SignedData"),
  "efm-asic-signature-invalid": () => new packaging.EfmAsicSignatureInvalidError("the signature does not verify"),
  "efm-asic-unsupported-algorithm": () => new packaging.EfmAsicUnsupportedAlgorithmError("md5"),
  "efm-asic-digest-mismatch": () => new packaging.EfmAsicDigestMismatchError("brev.pdf"),
  "efm-asic-file-not-covered": () => new packaging.EfmAsicFileNotCoveredError("extra.pdf"),
  "efm-asic-file-missing": () => new packaging.EfmAsicFileMissingError("vedlegg.pdf"),
  "efm-asic-manifest-invalid": () => new packaging.EfmAsicManifestInvalidError("manifest.xml is absent"),
  "efm-asic-signer-untrusted": () => new packaging.EfmAsicSignerUntrustedError("the signer does not chain to a trust anchor"),
  // routing/eformidling.ts
  "receiver-does-not-accept-process": () =>
    new routing.ReceiverDoesNotAcceptProcessError("urn:no:difi:profile:arkivmelding:administrasjon:ver1.0", "Service record not found for parameters: SRParameter(...)"),
  "eformidling-channel-not-supported": () => new routing.EformidlingChannelNotSupportedError("DPH", "urn:no:difi:profile:arkivmelding:helse:ver1.0"),
  // routing/service-registry/errors.ts
  "service-registry-not-found": () => new sr.NotFoundInServiceRegistryError("SRParameter(identifier=910076787)"),
  "service-registry-refused": () => new sr.ServiceRegistryRefusedError("SRParameter(identifier=910076787, securityLevel=4)", "security level 4 not supported"),
  "service-registry-response-unsigned": () => new sr.ServiceRegistryUnsignedResponseError("answered application/json, not a signed answer"),
  "service-registry-bad-signature": () => new sr.ServiceRegistryBadSignatureError("the JWS does not verify"),
  "service-registry-signing-key-unknown": () => new sr.ServiceRegistryKeyUnknownError("k9", "no key k9 in the JWK set"),
  "service-registry-malformed-response": () => new sr.ServiceRegistryMalformedResponseError("no serviceRecords"),
  "service-registry-identifier-mismatch": () => new sr.ServiceRegistryIdentifierMismatchError("a record is about 987464291"),
  "service-registry-token-unavailable": () => new sr.ServiceRegistryTokenError("No access token for the Service Registry: boom"),
  "service-registry-http-failure [timeout]": () => new sr.ServiceRegistryHttpError("timeout", "https://sr.test/x", "timed out", { kind: "unavailable" }),
  "service-registry-http-failure [network, retryable]": () => new sr.ServiceRegistryHttpError("network", "https://sr.test/x", "refused", { kind: "unavailable" }),
  "service-registry-http-failure [network, not retryable]": () => new sr.ServiceRegistryHttpError("network", "https://sr.test/x", "bad URL", { kind: "upstream" }),
  "service-registry-http-failure [status 503]": () => new sr.ServiceRegistryHttpError("status", "https://sr.test/x", "HTTP 503", { kind: "unavailable", httpStatus: 503 }),
  "service-registry-http-failure [status 403]": () => new sr.ServiceRegistryHttpError("status", "https://sr.test/x", "HTTP 403", { kind: "upstream", httpStatus: 403 }),
  "service-registry-http-failure [too-large]": () => new sr.ServiceRegistryHttpError("too-large", "https://sr.test/x", "too large", { kind: "upstream" }),
  // api/nextmove/messages-in-errors.ts
  "nextmove-message-not-locked": () => new nmIn.InMessageNotLockedError("ff88849c-e281-4809-8555-7cd54952b916"),
  "nextmove-package-unreadable": () => new nmIn.InMessagePackageUnreadableError("ff88849c-e281-4809-8555-7cd54952b916"),
};
