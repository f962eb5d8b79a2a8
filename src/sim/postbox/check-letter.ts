import type { KeyObject, X509Certificate } from "node:crypto";
import { base64url, decodeJwt } from "jose";
import type { Clock } from "../../clock.js";
import type { AdresseInformasjon, DigitalBody, FlyttetBody, UtskriftBody } from "../../dpi/bodies.js";
import { expectManifestParties, verifyAsicE, AsicError, MAX_PACKAGE_SIZE, type VerifiedAsicE } from "../../dpi/asic-verify.js";
import { isLetterType, type LetterType } from "../../dpi/document-types.js";
import { checkFingerprint, decryptDokumentpakke } from "../../dpi/dokumentpakke.js";
import { parseForretningsmelding, type Forretningsmelding } from "../../dpi/sbd.js";
import { createForretningsmeldingVerifier, type VerifiedForretningsmelding } from "../../dpi/signed-forretningsmelding.js";
import { ZipError } from "../../dpi/zip.js";
import { parseActor } from "../../maskinporten/token.js";
import { DomainError } from "../../errors.js";

/**
 * Everything corner 4 checks before it accepts a letter (dpi.md §2 "C4", §4): the forretningsmelding's
 * signature and signer, that the letter is addressed to us and signed by its SBDH sender, that the sender
 * was authorised (the embedded Maskinporten token names avsender and databehandler), the dokumentpakke's
 * fingerprint, that we can decrypt it, the ASiC-E signature, that the package is signed by the SBDH sender,
 * and that its manifest names the same avsender and postbox address as the forretningsmelding.
 *
 * A failed check is an answer, not an exception: the letter gets a `feil` receipt. Only a failure to
 * download (the access point's or the network's fault) is thrown, so the letter is fetched again later.
 */

export type CheckStage = "forretningsmelding" | "authorisation" | "dokumentpakke" | "decryption" | "asic" | "manifest";

/** A check corner 4 makes on top of the domain library's; `stage` says which step refused the letter. */
export abstract class LetterCheckError extends Error {
  abstract readonly code: string;
  abstract readonly stage: CheckStage;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotALetterError extends LetterCheckError {
  readonly code = "not-a-letter";
  readonly stage = "forretningsmelding";
}

export class NotAddressedToProviderError extends LetterCheckError {
  readonly code = "not-addressed-to-provider";
  readonly stage = "forretningsmelding";
}

export class SignerNotSenderError extends LetterCheckError {
  readonly code = "signer-not-sender";
  readonly stage = "forretningsmelding";
}

/** The embedded maskinportentoken is unreadable or names other parties than the letter. */
export class SenderNotAuthorisedError extends LetterCheckError {
  readonly code = "sender-not-authorised";
  readonly stage = "authorisation";
}

export class DokumentpakkeMissingError extends LetterCheckError {
  readonly code = "dokumentpakke-missing";
  readonly stage = "dokumentpakke";
}

export class DokumentpakkeTooLargeError extends LetterCheckError {
  readonly code = "dokumentpakke-too-large";
  readonly stage = "dokumentpakke";
}

export class AsicSignerNotSenderError extends LetterCheckError {
  readonly code = "asic-signer-not-sender";
  readonly stage = "asic";
}

export interface LetterRejection {
  readonly stage: CheckStage;
  /** Stable code of the failed check (the domain library's code where it made the check). */
  readonly code: string;
  readonly detail: string;
}

/** A letter that passed every check, with what delivery needs. */
export interface CheckedLetter {
  readonly jws: string;
  readonly message: Forretningsmelding;
  readonly type: LetterType;
  /** "0192:<orgno>" of the forretningsmelding's signer (= the SBDH sender). */
  readonly signerOrg: string;
  readonly asic: VerifiedAsicE;
  /** digital and flyttet */
  readonly postkasseadresse?: string;
  /** utskrift */
  readonly printAddress?: AdresseInformasjon;
}

export type LetterCheck =
  | { readonly ok: true; readonly letter: CheckedLetter }
  | {
      readonly ok: false;
      readonly rejection: LetterRejection;
      /**
       * What the forretningsmelding says, to address the `feil` receipt; absent when its payload is not
       * even a DPI document. `trusted` is false when it was read without a valid signature.
       */
      readonly message?: Forretningsmelding;
      readonly trusted: boolean;
    };

export interface LetterCheckContext {
  /** "0192:<orgno>" of this provider. */
  readonly provider: string;
  /** The provider's business certificate and key: the CMS is encrypted to it. */
  readonly recipient: { readonly privateKey: KeyObject; readonly certificate: X509Certificate };
  /** CAs trusted to issue business certificates (for the forretningsmelding and the ASiC-E signature). */
  readonly businessAnchors: readonly X509Certificate[];
  readonly clock: Clock;
  /** Check the embedded maskinportentoken's consumer/supplier against the letter (default true). */
  readonly checkMaskinportentoken?: boolean;
  /** Largest dokumentpakke accepted (default 30 MiB). */
  readonly maxDokumentpakkeBytes?: number;
}

/** Fetches the encrypted dokumentpakke; may throw a LetterCheckError for a package that cannot be a valid one. */
export type DokumentpakkeSource = () => Promise<Uint8Array>;

/**
 * Runs every check on one letter. `download` is called only after the forretningsmelding passed; `undefined`
 * means the access point offered no dokumentpakke. Errors other than failed checks (a failed download) are thrown.
 */
export async function checkLetter(jws: string, download: DokumentpakkeSource | undefined, ctx: LetterCheckContext): Promise<LetterCheck> {
  let verified: VerifiedForretningsmelding;
  try {
    verified = await createForretningsmeldingVerifier({ anchors: [...ctx.businessAnchors], clock: ctx.clock })(jws);
  } catch (err) {
    const rejection = rejectionOf(err, "forretningsmelding");
    const message = readForretningsmeldingUnverified(jws);
    return { ok: false, rejection, ...(message ? { message } : {}), trusted: false };
  }
  const message = verified.message;
  const refuse = (err: unknown, stage: CheckStage): LetterCheck => ({ ok: false, rejection: rejectionOf(err, stage), message, trusted: true });

  try {
    checkEnvelope(verified, ctx);
    if (ctx.checkMaskinportentoken !== false) checkAuthorisation(verified);
  } catch (err) {
    return refuse(err, "forretningsmelding");
  }
  const type = message.type as LetterType;

  let cms: Uint8Array;
  try {
    if (!download) throw new DokumentpakkeMissingError("the access point offers no dokumentpakke for this letter");
    cms = await download();
    const max = ctx.maxDokumentpakkeBytes ?? MAX_PACKAGE_SIZE;
    if (cms.byteLength > max) throw new DokumentpakkeTooLargeError(`the dokumentpakke is ${cms.byteLength} bytes, more than ${max}`);
    checkFingerprint(cms, message.dokumentpakkefingeravtrykk!);
  } catch (err) {
    if (err instanceof LetterCheckError || err instanceof DomainError) return refuse(err, "dokumentpakke");
    throw err;
  }

  let asic: VerifiedAsicE;
  try {
    const container = await decryptDokumentpakke(cms, ctx.recipient.privateKey, ctx.recipient.certificate);
    try {
      asic = verifyAsicE(container, { anchors: ctx.businessAnchors, clock: ctx.clock });
    } catch (err) {
      return refuse(err, "asic");
    }
  } catch (err) {
    return refuse(err, "decryption");
  }

  try {
    if (asic.signerOrg !== message.sender.orgnr) {
      throw new AsicSignerNotSenderError(`the dokumentpakke is signed by ${asic.signerOrg}, not by the letter's sender ${message.sender.orgnr}`);
    }
  } catch (err) {
    return refuse(err, "asic");
  }

  const body = message.document.body as DigitalBody | UtskriftBody | FlyttetBody;
  const postkasseadresse = type === "utskrift" ? undefined : (body as DigitalBody | FlyttetBody).mottaker.postkasseadresse;
  try {
    expectManifestParties(asic.manifest, {
      avsenderOrgnr: message.avsender.orgnr,
      // A flyttet letter carries the package of the original delivery, addressed to the old postbox.
      ...(type === "digital" ? { postkasseadresse } : type === "utskrift" ? { postkasseadresse: null } : {}),
    });
  } catch (err) {
    return refuse(err, "manifest");
  }

  return {
    ok: true,
    letter: {
      jws,
      message,
      type,
      signerOrg: verified.signerOrg,
      asic,
      ...(postkasseadresse !== undefined ? { postkasseadresse } : {}),
      ...(type === "utskrift" ? { printAddress: (body as UtskriftBody).mottaker } : {}),
    },
  };
}

function checkEnvelope(verified: VerifiedForretningsmelding, ctx: LetterCheckContext): void {
  const m = verified.message;
  if (!isLetterType(m.type)) throw new NotALetterError(`a ${m.type} is not a letter`);
  if (m.receiver.value !== ctx.provider) throw new NotAddressedToProviderError(`the letter is addressed to ${m.receiver.value}, not to ${ctx.provider}`);
  if (verified.signerOrg !== m.sender.value) {
    throw new SignerNotSenderError(`the forretningsmelding is signed by ${verified.signerOrg}, not by its SBDH sender ${m.sender.value}`);
  }
}

/**
 * The letter's embedded token says who was allowed to send it: consumer = avsender, and when a databehandler
 * sends, supplier = that databehandler (dpi.md §2). The signer is already known to be the SBDH sender. The
 * token's own signature was checked by corner 2 and it has long expired by now, so only its claims are read.
 */
function checkAuthorisation(verified: VerifiedForretningsmelding): void {
  const m = verified.message;
  let consumer: string;
  let supplier: string | undefined;
  try {
    const claims = decodeJwt(m.maskinportentoken ?? "");
    consumer = parseActor(claims.consumer, "consumer").id;
    supplier = claims.supplier === undefined ? undefined : parseActor(claims.supplier, "supplier").id;
  } catch (err) {
    throw new SenderNotAuthorisedError(`the maskinportentoken cannot be read: ${(err as Error).message}`);
  }
  if (consumer !== m.avsender.value) {
    throw new SenderNotAuthorisedError(`the maskinportentoken was issued for ${consumer}, not for the avsender ${m.avsender.value}`);
  }
  const expectedSupplier = m.databehandler?.value;
  if (supplier !== expectedSupplier) {
    throw new SenderNotAuthorisedError(
      expectedSupplier
        ? `the letter is sent by ${expectedSupplier} for ${m.avsender.value}, but the maskinportentoken's supplier is ${supplier ?? "absent"}`
        : `the maskinportentoken names supplier ${supplier}, but the avsender sent the letter itself`,
    );
  }
}

function rejectionOf(err: unknown, stage: CheckStage): LetterRejection {
  if (err instanceof LetterCheckError) return { stage: err.stage, code: err.code, detail: err.message };
  if (err instanceof DomainError || err instanceof AsicError || err instanceof ZipError) return { stage, code: err.code, detail: err.message };
  // The bytes came from the sender; whatever in them trips a parser is the sender's to fix.
  return { stage, code: `${stage}-unreadable`, detail: err instanceof Error ? err.message : String(err) };
}

/** The forretningsmelding's claims without trusting them (whom a `feil` goes to, which id a letter has). */
export function readForretningsmeldingUnverified(jws: string): Forretningsmelding | undefined {
  try {
    const payload = jws.split(".")[1];
    if (payload === undefined) return undefined;
    return parseForretningsmelding(JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(base64url.decode(payload))));
  } catch {
    return undefined;
  }
}
