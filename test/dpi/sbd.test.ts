import { expect } from "chai";
import { DPI_MESSAGE_TYPES, DPI_PROCESS_IDS, documentTypeId, type DpiMessageType } from "../../src/dpi/document-types.js";
import {
  BodyKeyMismatchError,
  ConversationIdMissingError,
  MultipleBodiesError,
  ProcessMismatchError,
  SbdInvalidError,
  StandardTypeMismatchError,
  UnknownDocumentTypeError,
} from "../../src/dpi/errors.js";
import {
  describeStandardBusinessDocument,
  parseForretningsmelding,
  parseStandardBusinessDocument,
  toStandardBusinessDocumentJson,
  type StandardBusinessDocument,
} from "../../src/dpi/sbd.js";
import { DomainError } from "../../src/errors.js";
import { ORGS, SAMPLE_IDS, SAMPLE_TOKEN, mutated, sampleDocument, samplePayload } from "./samples.js";
import { jwsPayload, readJsonVector, readVector } from "./vectors.js";

function failure<E extends DomainError>(payload: unknown, kind: new (...args: never[]) => E): E {
  try {
    parseStandardBusinessDocument(payload);
  } catch (err) {
    expect(err).to.be.instanceOf(kind);
    expect((err as DomainError).kind).to.equal("invalid");
    return err as E;
  }
  expect.fail(`expected ${kind.name}`);
}

function violationsOf(payload: unknown): string[] {
  return failure(payload, SbdInvalidError).violations.map((v) => v.path);
}

const DIGITAL = "$.standardBusinessDocument.digital";
const UTSKRIFT = "$.standardBusinessDocument.utskrift";
const HEADER = "$.standardBusinessDocument.standardBusinessDocumentHeader";

describe("dpi/sbd: Digdir's real forretningsmeldinger", () => {
  it("parses digital-forretningsmelding.json (avsender sends itself)", function () {
    const m = parseForretningsmelding(readJsonVector(this, "digital-forretningsmelding.json"));
    expect(m.type).to.equal("digital");
    expect(m.kind).to.equal("letter");
    expect(m.messageId).to.equal("4c96fb25-54b0-4560-a954-afdeed10077b");
    expect(m.conversationId).to.equal("b63b72a3-ec7a-4d70-94f1-699ef899864f");
    expect(m.processId).to.equal(DPI_PROCESS_IDS.digital);
    expect(m.standardSpelling).to.equal("innbyggerpost");
    expect(m.createdAt).to.equal("2022-03-16T14:16:08.903+01:00");
    expect(m.expectedResponseDateTime).to.equal("2022-03-17T14:16:08.729+01:00");
    expect(m.sender).to.deep.equal({ value: "0192:991825827", icd: "0192", orgnr: "991825827" });
    expect(m.receiver.orgnr).to.equal("922020175");
    expect(m.avsender.orgnr).to.equal("991825827");
    expect(m.databehandler).to.equal(undefined);
    expect(m.avsenderidentifikator).to.equal(undefined);
    expect(m.maskinportentoken).to.match(/^eyJ/);
    expect(m.dokumentpakkefingeravtrykk).to.deep.equal({
      digestMethod: "http://www.w3.org/2001/04/xmlenc#sha256",
      digestValue: "BDjOg00Iiv5eQGm5adwGnW8ktSfvQ/0jYvgkYCRnryw=",
    });
    expect(m.mottaker).to.equal(undefined);
  });

  it("parses digital-pa-vegne-av-forretningsmelding.json (databehandler sends for avsender)", function () {
    const m = parseForretningsmelding(readJsonVector(this, "digital-pa-vegne-av-forretningsmelding.json"));
    expect(m.sender.value).to.equal("0192:810969342");
    expect(m.avsender.value).to.equal("0192:910076787");
    expect(m.databehandler?.value).to.equal("0192:810969342");
    expect(m.receiver.value).to.equal("0192:984661185");
    expect(m.conversationId).to.equal("e65c8044-4fe9-49bb-b52f-697674d695d8");
  });

  it("reads the same document from the signed JWTs as from the decoded JSON files", function () {
    for (const name of ["digital-forretningsmelding", "digital-pa-vegne-av-forretningsmelding"]) {
      const fromJwt = parseStandardBusinessDocument(jwsPayload(readVector(this, `${name}.jwt`).toString("ascii")));
      const fromJson = parseStandardBusinessDocument(readJsonVector(this, `${name}.json`));
      expect(fromJwt, name).to.deep.equal(fromJson);
    }
  });

  it("parses Digipost's leveringskvittering (capitalised standard)", function () {
    const payload = jwsPayload(readVector(this, "digipost-leveringskvittering.jwt").toString("ascii"));
    const m = parseForretningsmelding(payload);
    expect(m.type).to.equal("leveringskvittering");
    expect(m.kind).to.equal("receipt");
    expect(m.standardSpelling).to.equal("Innbyggerpost");
    expect(m.messageId).to.equal("ff88849c-e281-4809-8555-7cd54952b916");
    expect(m.conversationId).to.equal("a70ddd29-7449-4903-bcbd-7ca946d9deed");
    expect(m.processId).to.equal(DPI_PROCESS_IDS.digital);
    expect(m.sender.value).to.equal("0192:984661185");
    expect(m.receiver.value).to.equal("0192:739789397");
    expect(m.avsender.value).to.equal("0192:984661185");
    expect(m.mottaker?.value).to.equal("0192:739789397");
    expect(m.databehandler).to.equal(undefined);
    expect(m.maskinportentoken).to.equal(undefined);
    expect(m.dokumentpakkefingeravtrykk).to.equal(undefined);
    expect(m.expectedResponseDateTime).to.equal(undefined);
  });
});

describe("dpi/sbd: valid samples of every type", () => {
  for (const type of DPI_MESSAGE_TYPES) {
    it(`parses a ${type} and writes it back unchanged`, () => {
      const payload = samplePayload(type);
      const document = parseStandardBusinessDocument(payload);
      expect(document.type).to.equal(type);
      expect(document).to.deep.equal(sampleDocument(type));
      expect(toStandardBusinessDocumentJson(document)).to.deep.equal(payload);
    });
  }

  it("describes a letter sent by a databehandler", () => {
    const m = parseForretningsmelding(samplePayload("digital", { sender: ORGS.databehandler }));
    expect(m.databehandler?.value).to.equal(ORGS.databehandler);
    expect(m.avsender.value).to.equal(ORGS.avsender);
    expect(m.avsenderidentifikator).to.equal("skatt-innkreving");
    expect(m.maskinportentoken).to.equal(SAMPLE_TOKEN);
    expect(m.messageId).to.equal(SAMPLE_IDS.messageId);
  });

  it("describes a receipt's mottaker and motakeridentifikator", () => {
    const m = parseForretningsmelding(samplePayload("aapningskvittering"));
    expect(m.kind).to.equal("receipt");
    expect(m.mottaker?.value).to.equal(ORGS.avsender);
    expect(m.motakeridentifikator).to.equal("skatt-innkreving");
    expect(m.sender.value).to.equal(ORGS.digipost);
    expect(m.receiver.value).to.equal(ORGS.avsender);
  });

  it("accepts a receipt on another DPI process than its type's (Digipost sends mottakskvittering on digital)", () => {
    const m = parseForretningsmelding(samplePayload("mottakskvittering", { processId: DPI_PROCESS_IDS.digital }));
    expect(m.processId).to.equal(DPI_PROCESS_IDS.digital);
  });

  it("accepts the capitalised standard on letters too and reports it", () => {
    expect(parseForretningsmelding(samplePayload("utskrift", { spelling: "Innbyggerpost" })).standardSpelling).to.equal(
      "Innbyggerpost",
    );
  });

  it("accepts the minimal forms the schema allows", () => {
    const payload = mutated(samplePayload("digital"), (p) => {
      const d = p.standardBusinessDocument.digital;
      for (const k of ["virkningsdato", "virkningstidspunkt", "aapningskvittering", "varsler"]) delete d[k];
      d.avsender = { virksomhetsidentifikator: d.avsender.virksomhetsidentifikator };
      delete p.standardBusinessDocument.standardBusinessDocumentHeader.businessScope.scope[0].scopeInformation;
    });
    expect(parseStandardBusinessDocument(payload).type).to.equal("digital");
  });

  it("keeps unknown properties where the schema leaves objects open (virksomhetmottaker, varsler)", () => {
    const receipt = mutated(samplePayload("leveringskvittering"), (p) => {
      p.standardBusinessDocument.leveringskvittering.mottaker.extra = "x";
    });
    const doc = parseStandardBusinessDocument(receipt);
    expect((doc.body as { mottaker: Record<string, unknown> }).mottaker["extra"]).to.equal("x");
    const letter = mutated(samplePayload("digital"), (p) => {
      p.standardBusinessDocument.digital.varsler.future = true;
    });
    expect(parseStandardBusinessDocument(letter).type).to.equal("digital");
  });

  it("accepts date-times with Z, fractions of any length and no fraction", () => {
    for (const t of ["2021-01-14T10:13:19Z", "2021-05-21T13:19:57.12+02:00", "2021-05-21T13:19:57.123456789-05:30"]) {
      const payload = mutated(samplePayload("feil"), (p) => {
        p.standardBusinessDocument.standardBusinessDocumentHeader.documentIdentification.creationDateAndTime = t;
        p.standardBusinessDocument.feil.tidspunkt = t;
      });
      expect(parseStandardBusinessDocument(payload).type, t).to.equal("feil");
    }
  });

  it("counts string lengths in characters, not UTF-16 units", () => {
    const payload = mutated(samplePayload("digital"), (p) => {
      p.standardBusinessDocument.digital.ikkesensitivtittel = "📬".repeat(255);
    });
    expect(parseStandardBusinessDocument(payload).type).to.equal("digital");
    expect(violationsOf(mutated(payload, (p) => (p.standardBusinessDocument.digital.ikkesensitivtittel += "📬")))).to.deep.equal([
      `${DIGITAL}.ikkesensitivtittel`,
    ]);
  });

  it("describes a document built in code the same way", () => {
    const document = sampleDocument("utskrift") as StandardBusinessDocument;
    const m = describeStandardBusinessDocument(document);
    expect(m.processId).to.equal(DPI_PROCESS_IDS.utskrift);
    expect(m.receiver.value).to.equal(ORGS.print);
  });
});

describe("dpi/sbd: rejections", () => {
  describe("shape", () => {
    for (const [label, payload] of [
      ["null", null],
      ["an array", [samplePayload("digital")]],
      ["a string", "{}"],
      ["an empty object", {}],
      ["the bare SBD without the wrapper", samplePayload("digital").standardBusinessDocument],
    ] as const) {
      it(`rejects ${label}`, () => {
        failure(payload, SbdInvalidError);
      });
    }

    it("rejects an extra top-level property", () => {
      const payload = mutated(samplePayload("digital"), (p) => (p.signature = "x"));
      expect(violationsOf(payload)).to.deep.equal(["$.signature"]);
    });

    it("rejects a missing header", () => {
      const payload = mutated(samplePayload("digital"), (p) => delete p.standardBusinessDocument.standardBusinessDocumentHeader);
      expect(violationsOf(payload)).to.deep.equal([HEADER]);
    });

    it("rejects a __proto__ key instead of ignoring it", () => {
      const json = JSON.stringify(samplePayload("leveringskvittering")).replace(
        '"leveringskvittering":{',
        '"leveringskvittering":{"__proto__":{"x":1},',
      );
      const paths = violationsOf(JSON.parse(json));
      expect(paths).to.deep.equal(["$.standardBusinessDocument.leveringskvittering.__proto__"]);
    });
    it("counts a __proto__ key beside the header as a second body", () => {
      const json = JSON.stringify(samplePayload("digital")).replace(
        '"standardBusinessDocument":{',
        '"standardBusinessDocument":{"__proto__":{"standardBusinessDocumentHeader":{}},',
      );
      expect(failure(JSON.parse(json), MultipleBodiesError).bodyKeys).to.have.members(["__proto__", "digital"]);
    });
  });

  describe("document type, body and standard", () => {
    it("rejects an unknown document type", () => {
      const payload = mutated(samplePayload("leveringskvittering"), (p) => {
        p.standardBusinessDocument.standardBusinessDocumentHeader.documentIdentification.type = "levertkvittering";
        p.standardBusinessDocument.levertkvittering = p.standardBusinessDocument.leveringskvittering;
        delete p.standardBusinessDocument.leveringskvittering;
      });
      const err = failure(payload, UnknownDocumentTypeError);
      expect(err.code).to.equal("unknown-document-type");
      expect(err.documentType).to.equal("levertkvittering");
    });

    it("rejects a body key that is not the document type", () => {
      const payload = mutated(samplePayload("digital"), (p) => {
        p.standardBusinessDocument.utskrift = p.standardBusinessDocument.digital;
        delete p.standardBusinessDocument.digital;
      });
      const err = failure(payload, BodyKeyMismatchError);
      expect(err.code).to.equal("body-key-mismatch");
      expect(err.bodyKeys).to.deep.equal(["utskrift"]);
    });

    it("rejects a missing body", () => {
      const payload = mutated(samplePayload("feil"), (p) => delete p.standardBusinessDocument.feil);
      expect(failure(payload, BodyKeyMismatchError).bodyKeys).to.deep.equal([]);
    });

    it("rejects two bodies", () => {
      const payload = mutated(samplePayload("digital"), (p) => {
        p.standardBusinessDocument.utskrift = samplePayload("utskrift").standardBusinessDocument["utskrift"];
      });
      const err = failure(payload, MultipleBodiesError);
      expect(err.code).to.equal("multiple-bodies");
      expect(err.bodyKeys).to.have.members(["digital", "utskrift"]);
    });

    it("rejects a standard of another type", () => {
      const payload = mutated(samplePayload("digital"), (p) => {
        p.standardBusinessDocument.standardBusinessDocumentHeader.documentIdentification.standard = documentTypeId("utskrift");
      });
      const err = failure(payload, StandardTypeMismatchError);
      expect(err.code).to.equal("standard-type-mismatch");
      expect(err.documentType).to.equal("digital");
    });

    for (const standard of [
      "urn:fdc:digdir.no:2020:innbyggerpost:xsd::INNBYGGERPOST##urn:fdc:digdir.no:2020:innbyggerpost:schema:feil::1.0",
      "urn:fdc:digdir.no:2020:innbyggerpost:xsd:feil::feil##urn:fdc:digdir.no:2020:innbyggerpost:schema:feil::1.0",
      "urn:fdc:digdir.no:2020:innbyggerpost:xsd::Innbyggerpost",
    ]) {
      it(`rejects the standard ${standard.slice(38, 70)}…`, () => {
        const payload = mutated(samplePayload("feil"), (p) => {
          p.standardBusinessDocument.standardBusinessDocumentHeader.documentIdentification.standard = standard;
        });
        failure(payload, StandardTypeMismatchError);
      });
    }
  });

  describe("conversation and process", () => {
    it("rejects a document without a ConversationId scope", () => {
      const payload = mutated(samplePayload("digital"), (p) => {
        p.standardBusinessDocument.standardBusinessDocumentHeader.businessScope.scope[0].type = "DOCUMENTID";
      });
      expect(failure(payload, ConversationIdMissingError).code).to.equal("conversation-id-missing");
    });

    it("rejects two ConversationId scopes", () => {
      const payload = mutated(samplePayload("leveringskvittering"), (p) => {
        const scopes = p.standardBusinessDocument.standardBusinessDocumentHeader.businessScope.scope;
        scopes.push({ ...scopes[0], instanceIdentifier: "00000000-0000-0000-0000-000000000000" });
      });
      failure(payload, ConversationIdMissingError);
    });

    it("rejects a ConversationId scope without instanceIdentifier", () => {
      const payload = mutated(samplePayload("digital"), (p) => {
        delete p.standardBusinessDocument.standardBusinessDocumentHeader.businessScope.scope[0].instanceIdentifier;
      });
      failure(payload, ConversationIdMissingError);
    });

    it("ignores other scopes", () => {
      const payload = mutated(samplePayload("digital"), (p) => {
        p.standardBusinessDocument.standardBusinessDocumentHeader.businessScope.scope.unshift({ type: "DOCUMENTID" });
      });
      expect(parseForretningsmelding(payload).conversationId).to.equal(SAMPLE_IDS.conversationId);
    });

    it("rejects a letter on another letter's process", () => {
      const err = failure(samplePayload("digital", { processId: DPI_PROCESS_IDS.utskrift }), ProcessMismatchError);
      expect(err.code).to.equal("process-mismatch");
      expect(err.processId).to.equal(DPI_PROCESS_IDS.utskrift);
    });

    it("rejects a letter without process", () => {
      const payload = mutated(samplePayload("flyttet"), (p) => {
        delete p.standardBusinessDocument.standardBusinessDocumentHeader.businessScope.scope[0].identifier;
      });
      failure(payload, ProcessMismatchError);
    });

    it("rejects a receipt whose process is not a DPI process", () => {
      failure(
        samplePayload("feil", { processId: "urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:feil:ver1.0" }),
        ProcessMismatchError,
      );
    });
  });

  describe("header rules", () => {
    const cases: [string, DpiMessageType, (p: any) => void, string[]][] = [
      ["two senders", "digital", (h) => h.sender.push(h.sender[0]), [`${HEADER}.sender`]],
      ["no receiver", "digital", (h) => (h.receiver = []), [`${HEADER}.receiver`]],
      ["a person identifier as sender", "digital", (h) => (h.sender[0].identifier = { authority: "iso3166-1", value: "NO:01017012345" }), [
        `${HEADER}.sender[0].identifier.authority`,
        `${HEADER}.sender[0].identifier.value`,
      ]],
      ["an org number without ICD", "feil", (h) => (h.receiver[0].identifier.value = "991825827"), [`${HEADER}.receiver[0].identifier.value`]],
      ["an extra actor property", "digital", (h) => (h.sender[0].contactInformation = []), [`${HEADER}.sender[0].contactInformation`]],
      ["a message id that is no UUID", "digital", (h) => (h.documentIdentification.instanceIdentifier = "PNO000001-5-20200120T090717"), [
        `${HEADER}.documentIdentification.instanceIdentifier`,
      ]],
      ["a conversation id that is no UUID", "digital", (h) => (h.businessScope.scope[0].instanceIdentifier = "conv-1"), [
        `${HEADER}.businessScope.scope[0].instanceIdentifier`,
      ]],
      ["a creation time without offset", "digital", (h) => (h.documentIdentification.creationDateAndTime = "2022-03-16T14:16:08.903"), [
        `${HEADER}.documentIdentification.creationDateAndTime`,
      ]],
      ["a creation time without seconds", "digital", (h) => (h.documentIdentification.creationDateAndTime = "2022-03-16T14:16+01:00"), [
        `${HEADER}.documentIdentification.creationDateAndTime`,
      ]],
      ["an impossible creation date", "digital", (h) => (h.documentIdentification.creationDateAndTime = "2022-02-29T14:16:08Z"), [
        `${HEADER}.documentIdentification.creationDateAndTime`,
      ]],
      ["a missing typeVersion", "digital", (h) => delete h.documentIdentification.typeVersion, [`${HEADER}.documentIdentification.typeVersion`]],
      ["a missing headerVersion", "digital", (h) => delete h.headerVersion, [`${HEADER}.headerVersion`]],
      ["an extra header property", "digital", (h) => (h.manifest = {}), [`${HEADER}.manifest`]],
      ["an extra scope property", "digital", (h) => (h.businessScope.scope[0].extra = 1), [`${HEADER}.businessScope.scope[0].extra`]],
      ["an extra scopeInformation property", "digital", (h) => (h.businessScope.scope[0].scopeInformation[0].x = 1), [
        `${HEADER}.businessScope.scope[0].scopeInformation[0].x`,
      ]],
    ];
    for (const [label, type, change, paths] of cases) {
      it(`rejects ${label}`, () => {
        const payload = mutated(samplePayload(type), (p) => change(p.standardBusinessDocument.standardBusinessDocumentHeader));
        expect(violationsOf(payload)).to.deep.equal(paths);
      });
    }
  });

  describe("body rules", () => {
    const cases: [string, DpiMessageType, (b: any) => void, string[]][] = [
      ["a missing required field", "digital", (b) => delete b.spraak, [`${DIGITAL}.spraak`]],
      ["a missing maskinportentoken", "utskrift", (b) => delete b.maskinportentoken, [`${UTSKRIFT}.maskinportentoken`]],
      ["an extra body property", "digital", (b) => (b.personidentifikator = "01017012345"), [`${DIGITAL}.personidentifikator`]],
      ["an extra avsender property", "digital", (b) => (b.avsender.navn = "x"), [`${DIGITAL}.avsender.navn`]],
      ["an extra personmottaker property", "digital", (b) => (b.mottaker.navn = "x"), [`${DIGITAL}.mottaker.navn`]],
      ["an extra fingerprint property", "digital", (b) => (b.dokumentpakkefingeravtrykk.x = "x"), [`${DIGITAL}.dokumentpakkefingeravtrykk.x`]],
      ["a maskinportentoken on a receipt", "leveringskvittering", (b) => (b.maskinportentoken = "x"), [
        "$.standardBusinessDocument.leveringskvittering.maskinportentoken",
      ]],
      ["a virksomhetsidentifikator without ICD", "digital", (b) => (b.avsender.virksomhetsidentifikator.value = "991825827"), [
        `${DIGITAL}.avsender.virksomhetsidentifikator.value`,
      ]],
      ["a virksomhetsidentifikator with text around it", "digital", (b) => (b.avsender.virksomhetsidentifikator.value = "x0192:991825827"), [
        `${DIGITAL}.avsender.virksomhetsidentifikator.value`,
      ]],
      ["another authority", "feil", (b) => (b.mottaker.virksomhetsidentifikator.authority = "iso6523"), [
        "$.standardBusinessDocument.feil.mottaker.virksomhetsidentifikator.authority",
      ]],
      ["sikkerhetsnivaa 2", "digital", (b) => (b.sikkerhetsnivaa = 2), [`${DIGITAL}.sikkerhetsnivaa`]],
      ["sikkerhetsnivaa as a string", "digital", (b) => (b.sikkerhetsnivaa = "4"), [`${DIGITAL}.sikkerhetsnivaa`]],
      ["a three-letter spraak", "digital", (b) => (b.spraak = "nob"), [`${DIGITAL}.spraak`]],
      ["an empty ikkesensitivtittel", "digital", (b) => (b.ikkesensitivtittel = ""), [`${DIGITAL}.ikkesensitivtittel`]],
      ["an object ikkesensitivtittel", "digital", (b) => (b.ikkesensitivtittel = { tittel: "x" }), [`${DIGITAL}.ikkesensitivtittel`]],
      ["a long avsenderidentifikator", "digital", (b) => (b.avsender.avsenderidentifikator = "a".repeat(101)), [
        `${DIGITAL}.avsender.avsenderidentifikator`,
      ]],
      ["a long fakturaReferanse", "digital", (b) => (b.avsender.fakturaReferanse = "a".repeat(41)), [`${DIGITAL}.avsender.fakturaReferanse`]],
      ["an impossible virkningsdato", "digital", (b) => (b.virkningsdato = "2022-02-30"), [`${DIGITAL}.virkningsdato`]],
      ["a date-time as virkningsdato", "digital", (b) => (b.virkningsdato = "2022-02-03T00:00:00Z"), [`${DIGITAL}.virkningsdato`]],
      ["a string aapningskvittering", "digital", (b) => (b.aapningskvittering = "true"), [`${DIGITAL}.aapningskvittering`]],
      ["an e-mail address without @", "digital", (b) => (b.varsler.epostvarsel.epostadresse = "ola.example.no"), [
        `${DIGITAL}.varsler.epostvarsel.epostadresse`,
      ]],
      ["a long e-mail text", "digital", (b) => (b.varsler.epostvarsel.varslingstekst = "a".repeat(501)), [
        `${DIGITAL}.varsler.epostvarsel.varslingstekst`,
      ]],
      ["letters in a phone number", "digital", (b) => (b.varsler.smsvarsel.mobiltelefonnummer = "+47 9000000a"), [
        `${DIGITAL}.varsler.smsvarsel.mobiltelefonnummer`,
      ]],
      ["a short phone number", "digital", (b) => (b.varsler.smsvarsel.mobiltelefonnummer = "9000000"), [
        `${DIGITAL}.varsler.smsvarsel.mobiltelefonnummer`,
      ]],
      ["a long SMS text", "digital", (b) => (b.varsler.smsvarsel.varslingstekst = "a".repeat(161)), [`${DIGITAL}.varsler.smsvarsel.varslingstekst`]],
      ["no repetitions", "digital", (b) => (b.varsler.smsvarsel.repetisjoner = []), [`${DIGITAL}.varsler.smsvarsel.repetisjoner`]],
      ["eleven repetitions", "digital", (b) => (b.varsler.smsvarsel.repetisjoner = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), [
        `${DIGITAL}.varsler.smsvarsel.repetisjoner`,
      ]],
      ["a repetition after 25 days", "digital", (b) => (b.varsler.epostvarsel.repetisjoner = [26]), [`${DIGITAL}.varsler.epostvarsel.repetisjoner[0]`]],
      ["a fractional repetition", "digital", (b) => (b.varsler.epostvarsel.repetisjoner = [1.5]), [`${DIGITAL}.varsler.epostvarsel.repetisjoner[0]`]],
      ["an extra epostvarsel property", "digital", (b) => (b.varsler.epostvarsel.x = 1), [`${DIGITAL}.varsler.epostvarsel.x`]],
      ["varsler that is not an object", "digital", (b) => (b.varsler = []), [`${DIGITAL}.varsler`]],
      ["utskriftstype SORT_HVITT", "utskrift", (b) => (b.utskriftstype = "SORT_HVITT"), [`${UTSKRIFT}.utskriftstype`]],
      ["posttype C", "utskrift", (b) => (b.posttype = "C"), [`${UTSKRIFT}.posttype`]],
      ["an unknown returposthaandtering", "utskrift", (b) => (b.retur.returposthaandtering = "RETUR"), [`${UTSKRIFT}.retur.returposthaandtering`]],
      ["a three-digit postnummer", "utskrift", (b) => (b.mottaker.postnummer = "155"), [`${UTSKRIFT}.mottaker.postnummer`]],
      ["a three-letter landkode", "utskrift", (b) => (b.retur.mottaker.landkode = "NOR"), [`${UTSKRIFT}.retur.mottaker.landkode`]],
      ["a long adresselinje", "utskrift", (b) => (b.mottaker.adresselinje2 = "a".repeat(101)), [`${UTSKRIFT}.mottaker.adresselinje2`]],
      ["an extra address property", "utskrift", (b) => (b.mottaker.gate = "x"), [`${UTSKRIFT}.mottaker.gate`]],
      ["an extra retur property", "utskrift", (b) => (b.retur.x = "x"), [`${UTSKRIFT}.retur.x`]],
      ["a missing mottakstidspunkt", "flyttet", (b) => delete b.mottakstidspunkt, ["$.standardBusinessDocument.flyttet.mottakstidspunkt"]],
      ["feiltype CLIENT", "feil", (b) => (b.feiltype = "CLIENT"), ["$.standardBusinessDocument.feil.feiltype"]],
      ["varslingskanal post", "varslingfeiletkvittering", (b) => (b.varslingskanal = "post"), [
        "$.standardBusinessDocument.varslingfeiletkvittering.varslingskanal",
      ]],
      ["a missing varslingskanal", "varslingfeiletkvittering", (b) => delete b.varslingskanal, [
        "$.standardBusinessDocument.varslingfeiletkvittering.varslingskanal",
      ]],
      ["a receipt time without offset", "returpostkvittering", (b) => (b.tidspunkt = "2022-03-16T14:20:00"), [
        "$.standardBusinessDocument.returpostkvittering.tidspunkt",
      ]],
      ["a long motakeridentifikator", "aapningskvittering", (b) => (b.mottaker.motakeridentifikator = "a".repeat(101)), [
        "$.standardBusinessDocument.aapningskvittering.mottaker.motakeridentifikator",
      ]],
      ["a beskrivelse on a plain kvittering", "mottakskvittering", (b) => (b.beskrivelse = "x"), [
        "$.standardBusinessDocument.mottakskvittering.beskrivelse",
      ]],
    ];
    for (const [label, type, change, paths] of cases) {
      it(`rejects ${label} (${type})`, () => {
        const payload = mutated(samplePayload(type), (p) => change(p.standardBusinessDocument[type]));
        expect(violationsOf(payload)).to.deep.equal(paths);
      });
    }

    it("lists every violation, and names them in the problem detail", () => {
      const payload = mutated(samplePayload("digital"), (p) => {
        const b = p.standardBusinessDocument.digital;
        delete b.spraak;
        b.sikkerhetsnivaa = 5;
        b.extra = 1;
      });
      const err = failure(payload, SbdInvalidError);
      expect(err.code).to.equal("sbd-invalid");
      expect(err.violations.map((v) => v.path)).to.have.members([`${DIGITAL}.spraak`, `${DIGITAL}.sikkerhetsnivaa`, `${DIGITAL}.extra`]);
      expect(err.message).to.contain(`${DIGITAL}.spraak: required property is missing`);
      expect(err.message).to.contain(`${DIGITAL}.extra: property is not allowed`);
    });

    it("caps the detail but keeps every violation", () => {
      const payload = mutated(samplePayload("digital"), (p) => {
        for (let i = 0; i < 30; i++) p.standardBusinessDocument.digital[`x${i}`] = i;
      });
      const err = failure(payload, SbdInvalidError);
      expect(err.violations).to.have.length(30);
      expect(err.message).to.match(/and 10 more$/);
    });
  });

  describe("the oneOf of adresseInformasjon", () => {
    const accepted: [string, Record<string, string>][] = [
      ["a Norwegian address", { navn: "A", adresselinje1: "B", postnummer: "0155", poststed: "Oslo" }],
      ["a foreign address with land", { navn: "A", adresselinje1: "B", land: "Sverige" }],
      ["a foreign address with landkode", { navn: "A", adresselinje1: "B", landkode: "se" }],
      // Both land and landkode make the inner oneOf fail, so only the Norwegian alternative matches.
      ["a Norwegian address that also has land and landkode", {
        navn: "A", adresselinje1: "B", postnummer: "0155", poststed: "Oslo", land: "Norge", landkode: "NO",
      }],
    ];
    const rejected: [string, Record<string, string>][] = [
      ["a name and street only", { navn: "A", adresselinje1: "B" }],
      ["no name", { adresselinje1: "B", postnummer: "0155", poststed: "Oslo" }],
      ["a postnummer without poststed", { navn: "A", adresselinje1: "B", postnummer: "0155" }],
      ["a Norwegian address with land", { navn: "A", adresselinje1: "B", postnummer: "0155", poststed: "Oslo", land: "Norge" }],
      ["a foreign address with both land and landkode", { navn: "A", adresselinje1: "B", land: "Sverige", landkode: "SE" }],
    ];
    for (const [label, address] of accepted) {
      it(`accepts ${label}`, () => {
        const payload = mutated(samplePayload("utskrift"), (p) => (p.standardBusinessDocument.utskrift.mottaker = address));
        expect(parseStandardBusinessDocument(payload).type).to.equal("utskrift");
      });
    }
    for (const [label, address] of rejected) {
      it(`rejects ${label}`, () => {
        const payload = mutated(samplePayload("utskrift"), (p) => (p.standardBusinessDocument.utskrift.retur.mottaker = address));
        expect(violationsOf(payload)).to.deep.equal([`${UTSKRIFT}.retur.mottaker`]);
      });
    }
  });
});
