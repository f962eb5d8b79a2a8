import { createHash, X509Certificate } from "node:crypto";
import { expect } from "chai";
import { decodeProtectedHeader } from "jose";
import { DomainError } from "../../src/errors.js";
import { CMS_OIDS, decryptDokumentpakke, parseEnvelopedData, verifyFingerprint } from "../../src/dpi/dokumentpakke.js";
import { SbdInvalidError } from "../../src/dpi/errors.js";
import { dpiLetterFromNextMove, type NextMoveDpiInput, type NextMoveDpiLetter } from "../../src/dpi/from-nextmove.js";
import {
  NextMoveDocumentRejectedError,
  NextMoveFieldInvalidError,
  NextMoveFieldMissingError,
  NextMoveHoveddokumentMissingError,
  NextMoveMetadataFileMissingError,
  NextMoveNotDpiError,
  RecipientHasNoPostboxError,
  RecipientHasNoPrintError,
  RecipientRecordInvalidError,
  SigningCertificateNotSenderError,
} from "../../src/dpi/from-nextmove-errors.js";
import { createForretningsmeldingVerifier } from "../../src/dpi/signed-forretningsmelding.js";
import { sameParticipant } from "../../src/peppol/identifiers.js";
import { checkLetter } from "../../src/sim/postbox/check-letter.js";
import {
  BUSINESS_ANCHORS,
  CLOCK,
  FILES,
  issuedBusinessSigner,
  NOW,
  personRecord,
  POSTBOX,
  POSTBOX_PROVIDER,
  PRINT_PROVIDER,
  PRINTER,
  readEformidlingVector,
  SENDER,
  SIGNER,
  TOKEN,
} from "./nextmove-fixtures.js";
import { jwsPayload } from "./vectors.js";

const SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256";
const actor = (value: string) => [{ identifier: { authority: "iso6523-actorid-upis", value } }];
const fingerprintOf = (cms: Uint8Array) => ({ digestMethod: SHA256, digestValue: createHash("sha256").update(cms).digest("base64") });

/** The payload's standardBusinessDocument, read without verifying (the intake tests below verify). */
function sbdOf(letter: NextMoveDpiLetter): any {
  return (jwsPayload(letter.forretningsmelding) as any).standardBusinessDocument;
}

async function failure<T extends DomainError>(run: Promise<unknown>, type: abstract new (...args: never[]) => T): Promise<T> {
  const err = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, "the mapping should have failed").to.be.instanceOf(type);
  return err as T;
}

/** The intake's checks (src/dpi/intake.ts) on what a letter carries, then corner 4's on the same letter. */
async function expectAccepted(letter: NextMoveDpiLetter, provider: string, recipient: typeof POSTBOX) {
  const verified = await createForretningsmeldingVerifier({ anchors: BUSINESS_ANCHORS, clock: CLOCK })(letter.forretningsmelding);
  expect(sameParticipant(verified.signerOrg, verified.message.sender.value), "signer is the SBDH sender").to.equal(true);
  expect(verified.message.maskinportentoken).to.equal(TOKEN);
  verifyFingerprint(createHash("sha256").update(letter.dokumentpakke).digest(), verified.message.dokumentpakkefingeravtrykk!);
  const cms = parseEnvelopedData(letter.dokumentpakke);
  expect({ key: cms.keyTransportAlgorithm, oaep: cms.oaepHashAlgorithm, mgf1: cms.oaepMgf1HashAlgorithm, content: cms.contentEncryptionAlgorithm }).to.deep.equal({
    key: CMS_OIDS.rsaesOaep,
    oaep: CMS_OIDS.sha256,
    mgf1: CMS_OIDS.sha256,
    content: CMS_OIDS.aes256Cbc,
  });
  const check = await checkLetter(letter.forretningsmelding, async () => letter.dokumentpakke, {
    provider: `0192:${provider}`,
    recipient: { privateKey: recipient.key, certificate: recipient.cert },
    businessAnchors: BUSINESS_ANCHORS,
    clock: CLOCK,
  });
  if (!check.ok) expect.fail(`corner 4 refused the letter: ${JSON.stringify(check.rejection)}`);
  return check.letter;
}

describe("dpi/from-nextmove: a NextMove digital message", () => {
  let input: NextMoveDpiInput;
  beforeEach(function () {
    input = {
      sbd: readEformidlingVector(this, "sbd/nextmove-dpi-digital.json"),
      files: FILES,
      record: { ...personRecord(this), pemCertificate: POSTBOX.certPem },
      signer: SIGNER,
      maskinportentoken: TOKEN,
      clock: CLOCK,
    };
  });

  it("becomes the forretningsmelding the integrasjonspunkt writes, field by field", async () => {
    const letter = await dpiLetterFromNextMove(input);
    expect(sbdOf(letter)).to.deep.equal({
      standardBusinessDocumentHeader: {
        headerVersion: "1.0",
        sender: actor("0192:910077473"),
        receiver: actor("0192:987464291"),
        documentIdentification: {
          standard: "urn:fdc:digdir.no:2020:innbyggerpost:xsd::innbyggerpost##urn:fdc:digdir.no:2020:innbyggerpost:schema:digital::1.0",
          typeVersion: "1.0",
          instanceIdentifier: "ff88849c-e281-4809-8555-7cd54952b921",
          type: "digital",
          creationDateAndTime: NOW,
        },
        businessScope: {
          scope: [
            {
              type: "ConversationId",
              instanceIdentifier: "97efbd4c-413d-4e2c-bbc5-257ef4a61212",
              identifier: "urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:digital:ver1.0",
              scopeInformation: [{ expectedResponseDateTime: "2019-05-09T23:31:52.000Z" }],
            },
          ],
        },
      },
      digital: {
        avsender: {
          virksomhetsidentifikator: { authority: "iso6523-actorid-upis", value: "0192:910077473" },
          avsenderidentifikator: "avsender910077473",
          fakturaReferanse: "faktura910077473",
        },
        mottaker: { postkasseadresse: "dummy" },
        dokumentpakkefingeravtrykk: fingerprintOf(letter.dokumentpakke),
        maskinportentoken: TOKEN,
        sikkerhetsnivaa: 3,
        // virkningsdato 2019-05-12 at midnight in Norway (summer time).
        virkningstidspunkt: "2019-05-12T00:00:00+02:00",
        aapningskvittering: false,
        ikkesensitivtittel: "Min supertittel",
        spraak: "NO",
        // The record has neither e-mail nor mobile number, so no notice goes out, though the message has texts.
        varsler: {},
      },
    });
    expect(letter).to.deep.include({
      type: "digital",
      messageId: "ff88849c-e281-4809-8555-7cd54952b921",
      conversationId: "97efbd4c-413d-4e2c-bbc5-257ef4a61212",
      sender: "0192:910077473",
      avsender: "0192:910077473",
      receiver: "0192:987464291",
    });
  });

  it("is signed as the integrasjonspunkt signs: RS256, x5c holding the sender's certificate alone", async () => {
    const letter = await dpiLetterFromNextMove(input);
    expect(decodeProtectedHeader(letter.forretningsmelding)).to.deep.equal({ alg: "RS256", x5c: [SIGNER.certificate.raw.toString("base64")] });
  });

  it("passes the intake's checks and corner 4's, with the manifest the integrasjonspunkt writes", async () => {
    const letter = await dpiLetterFromNextMove(input);
    const checked = await expectAccepted(letter, POSTBOX_PROVIDER, POSTBOX);
    expect(checked.postkasseadresse).to.equal("dummy");
    expect(checked.asic.signerOrg).to.equal(SENDER);
    expect(checked.asic.manifest).to.deep.equal({
      mottaker: { postkasseadresse: "dummy" },
      avsender: {
        organisasjon: "0192:910077473",
        orgnr: "910077473",
        avsenderidentifikator: "avsender910077473",
        fakturaReferanse: "faktura910077473",
      },
      hoveddokument: {
        href: "arkivmelding.xml",
        mime: "application/xml",
        tittel: { text: "Vedtak om tilskudd", lang: "NO" },
        data: { href: "test.txt", mime: "text/plain" },
      },
      // The metadata file travels as the hoveddokument's data, not as an attachment; a blank title is none.
      vedlegg: [{ href: "vedlegg.pdf", mime: "application/pdf", tittel: { text: "Missing title", lang: "NO" } }],
    });
    expect([...checked.asic.files.keys()]).to.deep.equal(["manifest.xml", "arkivmelding.xml", "test.txt", "vedlegg.pdf"]);
    expect(Buffer.from(checked.asic.files.get("test.txt")!).toString()).to.equal("metadata");
  });

  it("notifies by e-mail and SMS where KRR knows the address and the message has a text, repeated on days 0 and 7", async () => {
    const record = { ...input.record, epostAdresse: "ola@example.com", mobilnummer: "+4799999999" };
    expect(sbdOf(await dpiLetterFromNextMove({ ...input, record })).digital.varsler).to.deep.equal({
      epostvarsel: { epostadresse: "ola@example.com", varslingstekst: "Varseltekst", repetisjoner: [0, 7] },
      smsvarsel: { mobiltelefonnummer: "+4799999999", varslingstekst: "Varseltekst", repetisjoner: [0, 7] },
    });
    const sbd = structuredClone(input.sbd) as any;
    delete sbd.digital.varsler.smsTekst;
    expect(sbdOf(await dpiLetterFromNextMove({ ...input, sbd, record })).digital.varsler).to.deep.equal({
      epostvarsel: { epostadresse: "ola@example.com", varslingstekst: "Varseltekst", repetisjoner: [0, 7] },
    });
  });

  it("reads sikkerhetsnivaa and aapningskvittering as Jackson does, and takes midnight in the configured zone", async () => {
    const sbd = structuredClone(input.sbd) as any;
    sbd.digital.sikkerhetsnivaa = "4";
    sbd.digital.digitalPostInfo = { virkningsdato: "2019-01-12", aapningskvittering: true };
    const body = sbdOf(await dpiLetterFromNextMove({ ...input, sbd, timeZone: "UTC" })).digital;
    expect({ level: body.sikkerhetsnivaa, at: body.virkningstidspunkt, receipt: body.aapningskvittering }).to.deep.equal({
      level: 4,
      at: "2019-01-12T00:00:00Z",
      receipt: true,
    });
  });

  it("is sent on behalf of the organisation named in the sender's third part", async () => {
    const sbd = structuredClone(input.sbd) as any;
    sbd.standardBusinessDocumentHeader.sender[0].identifier.value = "0192:910077473:910076787";
    const letter = await dpiLetterFromNextMove({ ...input, sbd });
    const doc = sbdOf(letter);
    expect({ sender: doc.standardBusinessDocumentHeader.sender, avsender: doc.digital.avsender.virksomhetsidentifikator.value }).to.deep.equal({
      sender: actor("0192:910077473"),
      avsender: "0192:910076787",
    });
    const check = await checkLetter(letter.forretningsmelding, async () => letter.dokumentpakke, {
      provider: `0192:${POSTBOX_PROVIDER}`,
      recipient: { privateKey: POSTBOX.key, certificate: POSTBOX.cert },
      businessAnchors: BUSINESS_ANCHORS,
      clock: CLOCK,
      // The token of this test speaks for the sender, not for the organisation it sends on behalf of.
      checkMaskinportentoken: false,
    });
    if (!check.ok) expect.fail(JSON.stringify(check.rejection));
    expect({ databehandler: check.letter.message.databehandler?.value, manifest: check.letter.asic.manifest.avsender.orgnr }).to.deep.equal({
      databehandler: "0192:910077473",
      manifest: "910076787",
    });
  });

  it("is encrypted to the certificate in the person's record (here the vector's own)", async function () {
    const letter = await dpiLetterFromNextMove({ ...input, record: personRecord(this) });
    const recordCert = new X509Certificate(personRecord(this).pemCertificate);
    // Addressed to the record's certificate (found by issuer and serial), which our key does not open ...
    const wrongKey = await decryptDokumentpakke(letter.dokumentpakke, POSTBOX.key, recordCert).catch((e: Error) => e.message);
    expect(wrongKey).to.equal("the content encryption key or the content could not be decrypted");
    // ... and to no other.
    const otherCert = await decryptDokumentpakke(letter.dokumentpakke, POSTBOX.key, POSTBOX.cert).catch((e: Error) => e.message);
    expect(otherCert).to.equal("no KeyTransRecipientInfo is addressed to the given certificate");
  });
});

describe("dpi/from-nextmove: a NextMove print message", () => {
  let input: NextMoveDpiInput;
  beforeEach(function () {
    input = {
      sbd: readEformidlingVector(this, "sbd/nextmove-dpi-print.json"),
      files: FILES.filter((f) => f.filename !== "test.txt"),
      record: personRecord(this),
      printProvider: { postkasseleverandoerAdresse: PRINT_PROVIDER, x509Sertifikat: PRINTER.certPem },
      signer: SIGNER,
      maskinportentoken: TOKEN,
      clock: CLOCK,
    };
  });

  it("becomes an utskrift to KRR's print provider, addresses converted as the integrasjonspunkt converts them", async () => {
    const letter = await dpiLetterFromNextMove(input);
    const sbd = sbdOf(letter);
    expect({
      receiver: sbd.standardBusinessDocumentHeader.receiver,
      documentIdentification: sbd.standardBusinessDocumentHeader.documentIdentification,
      process: sbd.standardBusinessDocumentHeader.businessScope.scope[0].identifier,
    }).to.deep.equal({
      receiver: actor("0192:974761076"),
      documentIdentification: {
        standard: "urn:fdc:digdir.no:2020:innbyggerpost:xsd::innbyggerpost##urn:fdc:digdir.no:2020:innbyggerpost:schema:utskrift::1.0",
        typeVersion: "1.0",
        instanceIdentifier: "60b9da9f-c056-430a-936b-3922721086fd",
        type: "utskrift",
        creationDateAndTime: NOW,
      },
      process: "urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:utskrift:ver1.0",
    });
    expect(sbd.utskrift).to.deep.equal({
      avsender: {
        virksomhetsidentifikator: { authority: "iso6523-actorid-upis", value: "0192:910077473" },
        avsenderidentifikator: "avsender910077473",
        fakturaReferanse: "faktura910077473",
      },
      // "Norway" and "Norge" are Norwegian addresses: postnummer and poststed stay, the country goes.
      mottaker: {
        navn: "Ola Nordmann",
        adresselinje1: "Fjellveien 1",
        adresselinje2: "Langt oppi lia",
        adresselinje3: "der trollene bor",
        postnummer: "3400",
        poststed: "FJELLET",
      },
      dokumentpakkefingeravtrykk: fingerprintOf(letter.dokumentpakke),
      maskinportentoken: TOKEN,
      utskriftstype: "SORT_HVIT",
      retur: {
        mottaker: {
          navn: "Dr. Sprøyte Gal",
          adresselinje1: "Sadistveien 1",
          adresselinje2: "argh",
          adresselinje3: "uff",
          adresselinje4: "off",
          postnummer: "0195",
          poststed: "Oslo",
        },
        returposthaandtering: "DIREKTE_RETUR",
      },
      posttype: "B",
    });
    expect({ type: letter.type, receiver: letter.receiver }).to.deep.equal({ type: "utskrift", receiver: "0192:974761076" });
  });

  it("passes the intake's checks and the print provider's, with no mottaker in the manifest", async () => {
    const checked = await expectAccepted(await dpiLetterFromNextMove(input), PRINT_PROVIDER, PRINTER);
    expect(checked.asic.manifest).to.deep.equal({
      avsender: {
        organisasjon: "0192:910077473",
        orgnr: "910077473",
        avsenderidentifikator: "avsender910077473",
        fakturaReferanse: "faktura910077473",
      },
      // Print has no spraak; the record names none, so the integrasjonspunkt's default language is used.
      hoveddokument: { href: "arkivmelding.xml", mime: "application/xml", tittel: { text: "Vedtak om tilskudd", lang: "NO" } },
      vedlegg: [{ href: "vedlegg.pdf", mime: "application/pdf", tittel: { text: "Missing title", lang: "NO" } }],
    });
  });

  it("maps colour, A-post and shredding, and writes a foreign address's postal line into the first free line", async () => {
    const sbd = structuredClone(input.sbd) as any;
    sbd.print.utskriftsfarge = "FARGE";
    sbd.print.posttype = "A_PRIORITERT";
    sbd.print.retur.returhaandtering = "MAKULERING_MED_MELDING";
    sbd.print.mottaker = { navn: "Kari Svensson", adresselinje1: "Storgatan 1", postnummer: "111 22", poststed: "Stockholm", land: "Sverige" };
    const body = sbdOf(await dpiLetterFromNextMove({ ...input, sbd, record: { ...input.record, spraak: "en" } })).utskrift;
    expect({ farge: body.utskriftstype, posttype: body.posttype, retur: body.retur.returposthaandtering, mottaker: body.mottaker }).to.deep.equal({
      farge: "FARGE",
      posttype: "A",
      retur: "MAKULERING_MED_MELDING",
      mottaker: { navn: "Kari Svensson", adresselinje1: "Storgatan 1", adresselinje2: "111 22 Stockholm", land: "Sverige" },
    });
  });

  it("prints in black and white as B-post when the message does not say", async () => {
    const sbd = structuredClone(input.sbd) as any;
    delete sbd.print.utskriftsfarge;
    sbd.print.posttype = null;
    const body = sbdOf(await dpiLetterFromNextMove({ ...input, sbd })).utskrift;
    expect([body.utskriftstype, body.posttype]).to.deep.equal(["SORT_HVIT", "B"]);
  });

  it("takes the print provider from the person's print record when KRR's details are not given", async () => {
    const record = { service: { identifier: "DPI" }, fysiskPost: true, orgnrPostkasse: PRINT_PROVIDER, pemCertificate: PRINTER.certPem, spraak: "nb" };
    const letter = await dpiLetterFromNextMove({ ...input, record, printProvider: undefined });
    const checked = await expectAccepted(letter, PRINT_PROVIDER, PRINTER);
    expect(checked.asic.manifest.hoveddokument.tittel).to.deep.equal({ text: "Vedtak om tilskudd", lang: "nb" });
  });

  it("goes without a receiver in the header or a record, to KRR's print provider", async () => {
    const sbd = structuredClone(input.sbd) as any;
    delete sbd.standardBusinessDocumentHeader.receiver;
    const letter = await dpiLetterFromNextMove({ ...input, sbd, record: undefined });
    expect(letter.receiver).to.equal("0192:974761076");
    await expectAccepted(letter, PRINT_PROVIDER, PRINTER);
  });
});

describe("dpi/from-nextmove: what cannot become a DPI letter", () => {
  let digital: NextMoveDpiInput;
  let print: NextMoveDpiInput;
  beforeEach(function () {
    const common = { files: FILES, signer: SIGNER, maskinportentoken: TOKEN, clock: CLOCK };
    digital = { ...common, sbd: readEformidlingVector(this, "sbd/nextmove-dpi-digital.json"), record: { ...personRecord(this), pemCertificate: POSTBOX.certPem } };
    print = {
      ...common,
      sbd: readEformidlingVector(this, "sbd/nextmove-dpi-print.json"),
      record: personRecord(this),
      printProvider: { postkasseleverandoerAdresse: PRINT_PROVIDER, x509Sertifikat: PRINTER.certPem },
    };
  });
  const edit = (input: NextMoveDpiInput, change: (sbd: any) => void): NextMoveDpiInput => {
    const sbd = structuredClone(input.sbd) as any;
    change(sbd);
    return { ...input, sbd };
  };

  it("nextmove-hoveddokument-missing: none named, or the named one not uploaded", async () => {
    const unnamed = await failure(dpiLetterFromNextMove(edit(digital, (s) => delete s.digital.hoveddokument)), NextMoveHoveddokumentMissingError);
    expect({ code: unnamed.code, kind: unnamed.kind, detail: unnamed.detail }).to.deep.equal({
      code: "nextmove-hoveddokument-missing",
      kind: "invalid",
      detail: "the business message names no hoveddokument",
    });
    const notUploaded = await failure(dpiLetterFromNextMove({ ...print, files: FILES.filter((f) => f.filename !== "arkivmelding.xml") }), NextMoveHoveddokumentMissingError);
    expect({ code: notUploaded.code, hoveddokument: notUploaded.hoveddokument }).to.deep.equal({ code: "nextmove-hoveddokument-missing", hoveddokument: "arkivmelding.xml" });
  });

  it("dpi-recipient-no-postbox: a digital letter to a person DPI has no postbox for", async function () {
    const dpvOnly = personRecord(this, "17912099997");
    const cases = [
      ["reached through DPV", dpvOnly],
      ["no record", undefined],
      ["a print record", { ...digital.record, fysiskPost: true }],
      ["no postkasseadresse", { ...digital.record, postkasseAdresse: null }],
      ["a blank certificate", { ...digital.record, pemCertificate: " " }],
    ] as const;
    for (const [label, record] of cases) {
      const err = await failure(dpiLetterFromNextMove({ ...digital, record }), RecipientHasNoPostboxError);
      expect({ code: err.code, kind: err.kind }, label).to.deep.equal({ code: "dpi-recipient-no-postbox", kind: "unsupported" });
    }
    const dpv = await failure(dpiLetterFromNextMove({ ...digital, record: dpvOnly }), RecipientHasNoPostboxError);
    expect(dpv.detail).to.equal("the person is reached through DPV, not DPI: there is no postbox");
  });

  it("dpi-recipient-no-print: a print letter with no print provider known", async function () {
    const cases = [
      ["a digital record and no KRR details", { ...print, printProvider: undefined }],
      ["no record and no KRR details", { ...print, record: undefined, printProvider: undefined }],
      ["reached through DPV", { ...print, record: personRecord(this, "17912099997") }],
    ] as const;
    for (const [label, input] of cases) {
      const err = await failure(dpiLetterFromNextMove(input), RecipientHasNoPrintError);
      expect({ code: err.code, kind: err.kind }, label).to.deep.equal({ code: "dpi-recipient-no-print", kind: "unsupported" });
    }
  });

  it("nextmove-field-missing: every field the integrasjonspunkt requires, named at once", async () => {
    const digitalErr = await failure(
      dpiLetterFromNextMove(
        edit(digital, (s) => {
          delete s.digital.sikkerhetsnivaa;
          s.digital.tittel = null;
          delete s.digital.spraak;
          delete s.digital.digitalPostInfo.virkningsdato;
        }),
      ),
      NextMoveFieldMissingError,
    );
    expect({ code: digitalErr.code, kind: digitalErr.kind, fields: digitalErr.fields }).to.deep.equal({
      code: "nextmove-field-missing",
      kind: "invalid",
      fields: ["digital.sikkerhetsnivaa", "digital.tittel", "digital.spraak", "digital.digitalPostInfo.virkningsdato"],
    });
    const noInfo = await failure(dpiLetterFromNextMove(edit(digital, (s) => delete s.digital.digitalPostInfo)), NextMoveFieldMissingError);
    expect(noInfo.fields).to.deep.equal(["digital.digitalPostInfo"]);

    const printErr = await failure(
      dpiLetterFromNextMove(
        edit(print, (s) => {
          delete s.print.mottaker.postnummer;
          s.print.mottaker.adresselinje1 = " ";
          delete s.print.retur;
        }),
      ),
      NextMoveFieldMissingError,
    );
    expect(printErr.fields).to.deep.equal(["print.mottaker.postnummer", "print.mottaker.adresselinje1", "print.retur"]);
    const blankLine = await failure(dpiLetterFromNextMove(edit(print, (s) => (s.print.retur.mottaker.adresselinje1 = ""))), NextMoveFieldMissingError);
    expect(blankLine.fields).to.deep.equal(["print.retur.mottaker.adresselinje1"]);
    // Abroad, the postal code may be empty, but it must be there.
    const abroad = await failure(dpiLetterFromNextMove(edit(print, (s) => Object.assign(s.print.mottaker, { land: "Sverige", postnummer: "", poststed: null }))), NextMoveFieldMissingError);
    expect(abroad.fields).to.deep.equal(["print.mottaker.poststed"]);
  });

  it("nextmove-field-invalid: values that are not what the field holds", async () => {
    const err = await failure(
      dpiLetterFromNextMove(
        edit(digital, (s) => {
          s.digital.sikkerhetsnivaa = 2;
          s.digital.spraak = "norsk";
          s.digital.digitalPostInfo = { virkningsdato: "12.05.2019", aapningskvittering: "ja" };
          s.standardBusinessDocumentHeader.documentIdentification.instanceIdentifier = "not-a-uuid";
        }),
      ),
      NextMoveFieldInvalidError,
    );
    expect({ code: err.code, kind: err.kind, violations: err.violations }).to.deep.equal({
      code: "nextmove-field-invalid",
      kind: "invalid",
      violations: [
        { path: "standardBusinessDocumentHeader.documentIdentification.instanceIdentifier", message: "must be a UUID" },
        { path: "digital.sikkerhetsnivaa", message: "must be 3 or 4" },
        { path: "digital.spraak", message: "must be a two-letter ISO 639-1 code" },
        { path: "digital.digitalPostInfo.virkningsdato", message: "must be a date (YYYY-MM-DD)" },
        { path: "digital.digitalPostInfo.aapningskvittering", message: "must be true or false" },
      ],
    });
    const printErr = await failure(
      dpiLetterFromNextMove(
        edit(print, (s) => {
          s.print.utskriftsfarge = "BLUE";
          s.print.posttype = "C";
          s.standardBusinessDocumentHeader.sender[0].identifier.value = "910077473";
        }),
      ),
      NextMoveFieldInvalidError,
    );
    expect(printErr.violations).to.deep.equal([
      { path: "standardBusinessDocumentHeader.sender[0].identifier.value", message: "must be 0192:<orgno> or 0192:<orgno>:<on-behalf-of orgno>" },
      { path: "print.utskriftsfarge", message: "must be one of SORT_HVIT, FARGE" },
      { path: "print.posttype", message: "must be one of A_PRIORITERT, B_OEKONOMI" },
    ]);
  });

  it("nextmove-not-dpi: another message type, or no business message", async () => {
    const other = await failure(dpiLetterFromNextMove(edit(digital, (s) => (s.standardBusinessDocumentHeader.documentIdentification.type = "arkivmelding"))), NextMoveNotDpiError);
    expect({ code: other.code, detail: other.detail }).to.deep.equal({ code: "nextmove-not-dpi", detail: 'documentIdentification.type is "arkivmelding", not "digital" or "print"' });
    const bodiless = await failure(dpiLetterFromNextMove(edit(digital, (s) => delete s.digital)), NextMoveNotDpiError);
    expect(bodiless.detail).to.equal('the message has no "digital" business message');
  });

  it("nextmove-metadata-file-missing: metadataFiler names a file that was not uploaded", async () => {
    const err = await failure(dpiLetterFromNextMove({ ...digital, files: FILES.filter((f) => f.filename !== "test.txt") }), NextMoveMetadataFileMissingError);
    expect({ code: err.code, files: err.files }).to.deep.equal({ code: "nextmove-metadata-file-missing", files: ["test.txt"] });
  });

  it("nextmove-document-rejected: a file DPI does not carry", async () => {
    const files = [...FILES, { filename: "program.exe", mimetype: "application/octet-stream", bytes: Buffer.from("MZ") }];
    const exe = await failure(dpiLetterFromNextMove({ ...digital, files }), NextMoveDocumentRejectedError);
    expect({ code: exe.code, kind: exe.kind, detail: exe.detail }).to.deep.equal({
      code: "nextmove-document-rejected",
      kind: "invalid",
      detail: '"program.exe": executable files cannot be sent',
    });
    const video = [...FILES, { filename: "film.mp4", mimetype: "video/mp4", bytes: Buffer.from("x") }];
    const mime = await failure(dpiLetterFromNextMove({ ...digital, files: video }), NextMoveDocumentRejectedError);
    expect(mime.detail).to.equal('"film.mp4" has MIME type "video/mp4", which DPI does not allow');
  });

  it("dpi-recipient-record-invalid: a record whose certificate or provider cannot be used", async () => {
    const cert = await failure(dpiLetterFromNextMove({ ...digital, record: { ...digital.record, pemCertificate: "bm90IGEgY2VydGlmaWNhdGU=" } }), RecipientRecordInvalidError);
    expect({ code: cert.code, kind: cert.kind, detail: cert.detail }).to.deep.equal({
      code: "dpi-recipient-record-invalid",
      kind: "upstream",
      detail: "the encryption certificate in the record does not parse",
    });
    const provider = await failure(dpiLetterFromNextMove({ ...print, printProvider: { postkasseleverandoerAdresse: "0192:974761076", x509Sertifikat: PRINTER.certPem } }), RecipientRecordInvalidError);
    expect(provider.detail).to.equal('provider "0192:974761076" is not a nine-digit organisation number');
  });

  it("nextmove-signer-not-sender: the certificate given to sign with is another organisation's", async () => {
    const err = await failure(dpiLetterFromNextMove({ ...digital, signer: issuedBusinessSigner("991825827") }), SigningCertificateNotSenderError);
    expect({ code: err.code, kind: err.kind, detail: err.detail }).to.deep.equal({
      code: "nextmove-signer-not-sender",
      kind: "forbidden",
      detail: "the business certificate given to sign with is 0192:991825827's, but the message is sent by 0192:910077473",
    });
  });

  it("sbd-invalid: what Digdir's schema refuses is refused before signing, as the integrasjonspunkt does", async () => {
    const err = await failure(dpiLetterFromNextMove(edit(digital, (s) => (s.digital.tittel = "x".repeat(256)))), SbdInvalidError);
    expect({ code: err.code, violations: err.violations }).to.deep.equal({
      code: "sbd-invalid",
      violations: [{ path: "$.standardBusinessDocument.digital.ikkesensitivtittel", message: "must be 1 to 255 characters" }],
    });
  });
});
