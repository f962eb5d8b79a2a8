import { expect } from "chai";
import { fixedClock } from "../../src/clock.js";
import {
  DuplicateFilenameError,
  FileNotFoundError,
  ForsendelseTypeNotFoundError,
  MessageAlreadyExistsError,
  MessageChannelInvalidError,
  MessageTypeDoesNotFitDocumentTypeError,
  MissingAddressInformationError,
  MissingArkivmeldingError,
  MissingArkivmeldingFileError,
  MissingFileError,
  MissingFileTitleError,
  MissingPrimaryDocumentError,
  MissingSvarUtCredentialsError,
  MultiplePrimaryDocumentsError,
  ReceiverDoesNotAcceptProcessError,
  SbdConstraintViolationError,
  ServiceNotEnabledError,
  TimeToLiveExpiredError,
  UnknownMessageTypeError,
  type NextMoveError,
} from "../../src/sbd/errors.js";
import type { StandardBusinessDocument } from "../../src/sbd/model.js";
import {
  duplicateCheckIncludesConversations,
  forsendelseTypeToCheck,
  validateOutgoing,
  validateRequest,
  validateSend,
  validateUpload,
  type DpfContext,
  type OutgoingContext,
} from "../../src/sbd/validate.js";
import { arkivmeldingJson, IP_TEST_CLOCK, parsed, readVector, sbdJsonOf, thrown, vectorsPresent } from "./fixtures.js";

const ALL: OutgoingContext["enabledChannels"] = ["DPO", "DPF", "DPV", "DPI", "DPE"];
const outgoing = (over: Partial<OutgoingContext> = {}): OutgoingContext => ({ channel: "DPO", enabledChannels: ALL, clock: IP_TEST_CLOCK, ...over });

type Edit = Parameters<typeof arkivmeldingJson>[0];
const arkivmelding = (edit?: Edit) => parsed(arkivmeldingJson(edit));

/** Asserts the error's stable code, its IP exception and status, and its exact message. */
function expectIpError(e: NextMoveError, code: string, exception: string, detail: string, status = 400): void {
  expect({ code: e.code, exception: e.ipException, status: e.ipStatus, detail: e.detail }).to.deep.equal({
    code,
    exception: `no.difi.meldingsutveksling.exceptions.${exception}`,
    status,
    detail,
  });
}

function violations(fn: () => void): Array<{ path: string; message: string }> {
  const e = thrown(SbdConstraintViolationError, fn);
  expect([e.code, e.ipException, e.kind]).to.deep.equal(["nextmove-constraint-violation", "jakarta.validation.ConstraintViolationException", "invalid"]);
  return e.violations.map((v) => ({ ...v }));
}

const print = (message: Record<string, unknown>) =>
  parsed(
    sbdJsonOf("print", "urn:no:difi:digitalpost:xsd:fysisk::print", "urn:no:difi:profile:digitalpost:info:ver1.0", message, (j) => {
      j.standardBusinessDocumentHeader.receiver[0].identifier.value = "09118532322";
    }),
  );
const ADDRESS = { navn: "Ola Nordmann", adresselinje1: "Fjellveien 1", postnummer: "3400", poststed: "FJELLET", land: "Norway" };
const RETUR = { mottaker: { navn: "Digdir", adresselinje1: "Postboks 1382", postnummer: "0114", poststed: "Oslo", land: "Norge" }, returhaandtering: "DIREKTE_RETUR" };

describe("sbd: validateRequest (the request body's Bean Validation)", () => {
  const validate = (sbd: StandardBusinessDocument) => validateRequest(sbd, { clock: IP_TEST_CLOCK });

  it("accepts the spec's example", () => {
    expect(() => validate(arkivmelding())).to.not.throw();
  });

  const cases: Array<[string, Edit, Array<{ path: string; message: string }>]> = [
    [
      "headerVersion, standard and typeVersion are required",
      (j) => {
        delete j.standardBusinessDocumentHeader.headerVersion;
        delete j.standardBusinessDocumentHeader.documentIdentification.standard;
        j.standardBusinessDocumentHeader.documentIdentification.typeVersion = null;
      },
      [
        { path: "standardBusinessDocumentHeader.headerVersion", message: "must not be null" },
        { path: "standardBusinessDocumentHeader.documentIdentification.standard", message: "must not be null" },
        { path: "standardBusinessDocumentHeader.documentIdentification.typeVersion", message: "must not be null" },
      ],
    ],
    [
      "at most one sender and one receiver, each with value and authority",
      (j) => {
        const h = j.standardBusinessDocumentHeader;
        h.receiver.push({ identifier: { authority: "iso6523-actorid-upis", value: "0192:910075924" } });
        h.sender[0].identifier = { value: "0192:910077473" };
      },
      [
        { path: "standardBusinessDocumentHeader.sender[].identifier.authority", message: "must not be null" },
        { path: "standardBusinessDocumentHeader.receiver", message: "size must be between 0 and 1" },
      ],
    ],
    [
      "a sender the IP cannot read (@SenderValue, whose message key the IP lacks)",
      (j) => (j.standardBusinessDocumentHeader.sender[0].identifier.value = "Digdir"),
      [{ path: "standardBusinessDocumentHeader.sender[].identifier.value", message: "{no.difi.meldingsutveksling.validation.IntegrasjonspunktOrganization}" }],
    ],
    [
      "instanceIdentifier must be a UUID",
      (j) => (j.standardBusinessDocumentHeader.documentIdentification.instanceIdentifier = "message-1"),
      [{ path: "standardBusinessDocumentHeader.documentIdentification.instanceIdentifier", message: "'message-1' is not a UUID." }],
    ],
    [
      "the ConversationId scope's instanceIdentifier must be a UUID (the message shows the scope)",
      (j) => (j.standardBusinessDocumentHeader.businessScope.scope[0].instanceIdentifier = "conversation-1"),
      [
        {
          path: "standardBusinessDocumentHeader.businessScope.scope[]",
          message:
            "'Scope(type=ConversationId, instanceIdentifier=conversation-1, identifier=urn:no:difi:profile:arkivmelding:administrasjon:ver1.0, " +
            "scopeInformation=[CorrelationInformation(requestingDocumentCreationDateTime=null, requestingDocumentInstanceIdentifier=null, " +
            "expectedResponseDateTime=2019-05-10T00:31:52+01:00)])' is not a UUID.",
        },
      ],
    ],
    [
      "scope types are the six ScopeType names",
      (j) => j.standardBusinessDocumentHeader.businessScope.scope.push({ type: "Conversation", instanceIdentifier: "x" }),
      [
        {
          path: "standardBusinessDocumentHeader.businessScope.scope[].type",
          message: "'Conversation' is not expected. Allowed values are: [JournalpostId, ConversationId, ParentId, SenderRef, ReceiverRef, MessageChannel]",
        },
      ],
    ],
    [
      "at least one scope",
      (j) => (j.standardBusinessDocumentHeader.businessScope.scope = []),
      [{ path: "standardBusinessDocumentHeader.businessScope.scope", message: "size must be between 1 and 2147483647" }],
    ],
    [
      "a businessScope",
      (j) => delete j.standardBusinessDocumentHeader.businessScope,
      [{ path: "standardBusinessDocumentHeader.businessScope", message: "must not be null" }],
    ],
    [
      "expectedResponseDateTime in the future (@Future, by the IP's clock)",
      (j) => (j.standardBusinessDocumentHeader.businessScope.scope[0].scopeInformation[0].expectedResponseDateTime = "2019-03-25T12:38:23+01:00"),
      [{ path: "standardBusinessDocumentHeader.businessScope.scope[].scopeInformation[].expectedResponseDateTime", message: "must be a future date" }],
    ],
  ];
  for (const [name, edit, expected] of cases) {
    it(`refuses: ${name}`, () => {
      expect(violations(() => validate(arkivmelding(edit)))).to.deep.equal(expected);
    });
  }

  it("accepts a date-time one second after the clock", () => {
    const sbd = arkivmelding((j) => (j.standardBusinessDocumentHeader.businessScope.scope[0].scopeInformation[0].expectedResponseDateTime = "2019-03-25T12:38:24+01:00"));
    expect(() => validate(sbd)).to.not.throw();
  });
});

describe("sbd: validateOutgoing (NextMoveValidator.validate(sbd))", () => {
  it("accepts the spec's example on every channel that takes it", () => {
    for (const channel of ["DPO", "DPF", "DPV"] as const) expect(() => validateOutgoing(arkivmelding(), outgoing({ channel }))).to.not.throw();
  });

  it("refuses a type it does not know (UnknownMessageTypeException)", () => {
    const sbd = arkivmelding();
    const changed = { ...sbd, header: { ...sbd.header, documentIdentification: { ...sbd.header.documentIdentification, type: "brev" } } };
    expectIpError(
      thrown(UnknownMessageTypeError, () => validateOutgoing(changed, outgoing())),
      "nextmove-unknown-message-type",
      "UnknownMessageTypeException",
      "Unknown NextMove document type brev. Expected one of the following values: status, feil, arkivmelding, avtalt, digital, digital_dpv, print, dialogmelding, innsynskrav, publisering",
    );
  });

  it("checks the header's constraints again, after the defaults, without the sender value check", () => {
    expect(violations(() => validateOutgoing(arkivmelding((j) => (j.standardBusinessDocumentHeader.documentIdentification.instanceIdentifier = "")), outgoing()))).to.deep.equal([
      { path: "standardBusinessDocumentHeader.documentIdentification.instanceIdentifier", message: "'' is not a UUID." },
    ]);
    expect(() => validateOutgoing(arkivmelding((j) => (j.standardBusinessDocumentHeader.sender[0].identifier.value = "Digdir")), outgoing())).to.not.throw();
  });

  it("refuses a channel that is not enabled (ServiceNotEnabledException)", () => {
    expectIpError(
      thrown(ServiceNotEnabledError, () => validateOutgoing(arkivmelding(), outgoing({ channel: "DPF", enabledChannels: ["DPO", "DPV"] }))),
      "nextmove-service-not-enabled",
      "ServiceNotEnabledException",
      "Service DPF is not enabled",
    );
  });

  it("refuses a standard that does not end with ::<type> (MessageTypeDoesNotFitDocumentTypeException)", () => {
    const sbd = arkivmelding((j) => (j.standardBusinessDocumentHeader.documentIdentification.standard = "urn:no:difi:arkivmelding:xsd::arkivmelding_kvittering"));
    expectIpError(
      thrown(MessageTypeDoesNotFitDocumentTypeError, () => validateOutgoing(sbd, outgoing())),
      "nextmove-message-type-mismatch",
      "MessageTypeDoesNotFitDocumentTypeException",
      "Message type arkivmelding does not match the document type urn:no:difi:arkivmelding:xsd::arkivmelding_kvittering",
    );
  });

  it("accepts a variant standard that ends with ::<type>", () => {
    const sbd = parsed(
      sbdJsonOf("innsynskrav", "urn:no:difi:einnsyn:xsd:innsyn::innsynskrav", "urn:no:difi:profile:einnsyn-innsynskrav:ver1.0", { orgnr: "98765432", epost: "a@b.no" }),
    );
    expect(() => validateOutgoing(sbd, outgoing({ channel: "DPE" }))).to.not.throw();
  });

  describe("DPO message channel (MessageChannelInvalidException)", () => {
    const withChannel = (id: string) => arkivmelding((j) => j.standardBusinessDocumentHeader.businessScope.scope.push({ type: "MessageChannel", instanceIdentifier: "mc", identifier: id }));

    it("accepts the configured channel, or none", () => {
      expect(() => validateOutgoing(withChannel("channel-7"), outgoing({ dpoMessageChannel: "channel-7" }))).to.not.throw();
      expect(() => validateOutgoing(arkivmelding(), outgoing({ dpoMessageChannel: "channel-7" }))).to.not.throw();
      expect(() => validateOutgoing(withChannel("other"), outgoing({ channel: "DPV", dpoMessageChannel: "channel-7" }))).to.not.throw();
    });

    it("refuses another channel", () => {
      expectIpError(
        thrown(MessageChannelInvalidError, () => validateOutgoing(withChannel("other"), outgoing({ dpoMessageChannel: "channel-7" }))),
        "nextmove-message-channel-invalid",
        "MessageChannelInvalidException",
        "Valid channels: channel-7, but found other in SBDH",
      );
    });
  });

  describe("DPF: SvarUt forsendelseType and credentials", () => {
    const dpf = (over: Partial<DpfContext> = {}): DpfContext => ({ ownOrgNumber: "910077473", hasOwnCredentials: true, onBehalfOf: [], ...over });
    const withType = (edit?: Edit) =>
      arkivmelding((j) => {
        j.arkivmelding.dpf = { forsendelseType: "forsendelsetype-1" };
        edit?.(j);
      });

    it("names the sender whose forsendelsestyper must be fetched", () => {
      expect(forsendelseTypeToCheck(withType(), "DPF")).to.equal("910077473");
      expect(forsendelseTypeToCheck(withType((j) => (j.standardBusinessDocumentHeader.sender[0].identifier.value = "0192:910077473:987464291")), "DPF")).to.equal("987464291");
      expect(forsendelseTypeToCheck(withType(), "DPO")).to.equal(undefined);
      expect(forsendelseTypeToCheck(arkivmelding(), "DPF")).to.equal(undefined);
    });

    it("accepts a forsendelseType SvarUt knows", () => {
      expect(() => validateOutgoing(withType(), outgoing({ channel: "DPF", dpf: dpf({ forsendelseTyper: ["forsendelsetype-1", "x"] }) }))).to.not.throw();
    });

    it("refuses one it does not know (ForsendelseTypeNotFoundException)", () => {
      expectIpError(
        thrown(ForsendelseTypeNotFoundError, () => validateOutgoing(withType(), outgoing({ channel: "DPF", dpf: dpf({ forsendelseTyper: ["a", "b"] }) }))),
        "nextmove-forsendelse-type-not-found",
        "ForsendelseTypeNotFoundException",
        "Found forsendelseType forsendelsetype-1, but valid types are a,b",
      );
    });

    it("needs the list when a forsendelseType is given", () => {
      expect(thrown(TypeError, () => validateOutgoing(withType(), outgoing({ channel: "DPF", dpf: dpf() }))).message).to.equal(
        "validateOutgoing: SvarUt's forsendelsestyper for 910077473 are needed",
      );
    });

    it("needs SvarUt credentials for the sender (MissingSvarUtCredentialsException)", () => {
      expectIpError(
        thrown(MissingSvarUtCredentialsError, () => validateOutgoing(arkivmelding(), outgoing({ channel: "DPF", dpf: dpf({ hasOwnCredentials: false }) }))),
        "nextmove-missing-svarut-credentials",
        "MissingSvarUtCredentialsException",
        "SvarUt credentials not configured for orgnr 910077473",
      );
      const onBehalf = arkivmelding((j) => (j.standardBusinessDocumentHeader.sender[0].identifier.value = "0192:910077473:987464291"));
      expect(thrown(MissingSvarUtCredentialsError, () => validateOutgoing(onBehalf, outgoing({ channel: "DPF", dpf: dpf() }))).detail).to.equal(
        "SvarUt credentials not configured for orgnr 987464291",
      );
      expect(() => validateOutgoing(onBehalf, outgoing({ channel: "DPF", dpf: dpf({ hasOwnCredentials: false, onBehalfOf: ["987464291"] }) }))).to.not.throw();
    });
  });

  describe("DPI print addresses (MissingAddressInformationException)", () => {
    const refuse = (message: Record<string, unknown>, field: string) =>
      expectIpError(
        thrown(MissingAddressInformationError, () => validateOutgoing(print(message), outgoing({ channel: "DPI" }))),
        "nextmove-missing-address-information",
        "MissingAddressInformationException",
        `--no.difi.meldingsutveksling.exceptions.MissingAddressInformationException-- [${field}]`,
      );

    it("accepts complete addresses, and a foreign one without postnummer", () => {
      expect(() => validateOutgoing(print({ hoveddokument: "a.pdf", mottaker: ADDRESS, retur: RETUR }), outgoing({ channel: "DPI" }))).to.not.throw();
      const foreign = { ...ADDRESS, land: "Sverige", postnummer: "", poststed: "" };
      expect(() => validateOutgoing(print({ hoveddokument: "a.pdf", mottaker: foreign, retur: RETUR }), outgoing({ channel: "DPI" }))).to.not.throw();
    });

    it("refuses a missing mottaker, a Norwegian one without postnummer, a missing retur and a retur without poststed", () => {
      refuse({ retur: RETUR }, "mottaker");
      refuse({ mottaker: { ...ADDRESS, postnummer: "" }, retur: RETUR }, "mottaker.postnummer/poststed/adresselinje1");
      refuse({ mottaker: { ...ADDRESS, adresselinje1: "", land: "Sverige" }, retur: RETUR }, "mottaker.postnummer/poststed/adresselinje1");
      refuse({ mottaker: ADDRESS }, "retur");
      refuse({ mottaker: ADDRESS, retur: { ...RETUR, mottaker: { ...RETUR.mottaker, poststed: "" } } }, "retur.postnummer/poststed/adresselinje1");
    });

    it("treats an address without land as Norwegian, and an empty land as foreign (the IP's precedence)", () => {
      const { land: _, ...noLand } = ADDRESS;
      refuse({ mottaker: { ...noLand, postnummer: "" }, retur: RETUR }, "mottaker.postnummer/poststed/adresselinje1");
      expect(() => validateOutgoing(print({ hoveddokument: "a.pdf", mottaker: { ...ADDRESS, land: "", postnummer: "" }, retur: RETUR }), outgoing({ channel: "DPI" }))).to.not.throw();
    });
  });

  describe("the business message's own constraints", () => {
    it("requires sikkerhetsnivaa for DPF only", () => {
      const none = arkivmelding((j) => delete j.arkivmelding.sikkerhetsnivaa);
      expect(() => validateOutgoing(none, outgoing({ channel: "DPO" }))).to.not.throw();
      expect(violations(() => validateOutgoing(none, outgoing({ channel: "DPF" })))).to.deep.equal([{ path: "arkivmelding.sikkerhetsnivaa", message: "must not be null" }]);
    });

    it("can be switched off, as the IP never cascades into the business message", () => {
      const none = arkivmelding((j) => delete j.arkivmelding.sikkerhetsnivaa);
      expect(() => validateOutgoing(none, outgoing({ channel: "DPF", businessMessageConstraints: false }))).to.not.throw();
    });

    it("requires what the digital, digital_dpv and eInnsyn classes mark @NotNull", () => {
      const digital = parsed(
        sbdJsonOf("digital", "urn:no:difi:digitalpost:xsd:digital::digital", "urn:no:difi:profile:digitalpost:info:ver1.0", {
          hoveddokument: "a.pdf",
          sikkerhetsnivaa: 3,
          tittel: "t",
          digitalPostInfo: { aapningskvittering: false },
        }),
      );
      expect(violations(() => validateOutgoing(digital, outgoing({ channel: "DPI" })))).to.deep.equal([
        { path: "digital.spraak", message: "must not be null" },
        { path: "digital.digitalPostInfo.virkningsdato", message: "must not be null" },
      ]);
      const dpv = parsed(sbdJsonOf("digital_dpv", "urn:no:difi:digitalpost:xsd:digital::digital_dpv", "urn:no:difi:profile:digitalpost:info:ver1.0", { tittel: "t", innhold: "i" }));
      expect(violations(() => validateOutgoing(dpv, outgoing({ channel: "DPV" })))).to.deep.equal([{ path: "digital_dpv.sammendrag", message: "must not be null" }]);
      const kvittering = parsed(
        sbdJsonOf("einnsyn_kvittering", "urn:no:difi:einnsyn:xsd::einnsyn_kvittering", "urn:no:difi:profile:einnsyn:response:ver1.0", { dokumentId: "d", status: "publisert" }),
      );
      expect(violations(() => validateOutgoing(kvittering, outgoing({ channel: "DPE" })))).to.deep.equal([{ path: "einnsyn_kvittering.referanseType", message: "must not be null" }]);
    });
  });

  describe("Digdir's vectors", function () {
    before(function () {
      if (!vectorsPresent()) this.skip();
    });

    const cases: Array<[string, OutgoingContext["channel"], Partial<OutgoingContext>]> = [
      ["nextmove-arkivmelding-dpo.json", "DPO", {}],
      ["nextmove-arkivmelding-dpf.json", "DPF", { dpf: { ownOrgNumber: "910077473", hasOwnCredentials: true, onBehalfOf: [], forsendelseTyper: ["forsendelsetype-1"] } }],
      ["nextmove-arkivmelding-dpv.json", "DPV", {}],
      ["nextmove-avtalt.json", "DPO", {}],
      ["nextmove-digital_dpv.json", "DPV", {}],
      ["nextmove-dpi-digital.json", "DPI", {}],
      ["nextmove-dpi-print.json", "DPI", {}],
      ["nextmove-einnsyn_kvittering.json", "DPE", {}],
      ["nextmove-innsynskrav.json", "DPE", {}],
      ["incoming-status-levert.json", "DPO", {}],
    ];
    for (const [file, channel, over] of cases) {
      it(`${file} passes on ${channel}`, () => {
        const sbd = parsed(JSON.parse(readVector(`sbd/${file}`)));
        expect(() => validateRequest(sbd, { clock: IP_TEST_CLOCK })).to.not.throw();
        expect(() => validateOutgoing(sbd, outgoing({ channel, ...over }))).to.not.throw();
      });
    }
  });
});

describe("sbd: checks the caller makes with I/O", () => {
  it("tells whether the duplicate check looks among conversations (not for status messages)", () => {
    expect(duplicateCheckIncludesConversations(arkivmelding())).to.equal(true);
    const status = parsed(sbdJsonOf("status", "urn:no:difi:eformidling:xsd::status", "urn:no:difi:profile:arkivmelding:response:ver1.0", { status: "MOTTATT" }));
    expect(duplicateCheckIncludesConversations(status)).to.equal(false);
  });

  it("has the IP's errors for a used messageId and a receiver without the process", () => {
    expectIpError(
      new MessageAlreadyExistsError("ff88849c-e281-4809-8555-7cd54952b916"),
      "nextmove-message-already-exists",
      "MessageAlreadyExistsException",
      "Message with messageId = ff88849c-e281-4809-8555-7cd54952b916 already exists",
    );
    const e = new ReceiverDoesNotAcceptProcessError("urn:no:difi:profile:arkivmelding:administrasjon:ver1.0", "no record for 910075918");
    expectIpError(e, "nextmove-receiver-does-not-accept-process", "ReceiverDoesNotAcceptProcessException", "Receiver do not accept the document process urn:no:difi:profile:arkivmelding:administrasjon:ver1.0");
    expect(e.description).to.equal("no record for 910075918");
    expect(e.kind).to.equal("invalid");
  });
});

describe("sbd: validateSend (NextMoveValidator.validate(message))", () => {
  const files = (...names: string[]) => names.map((filename) => ({ filename }));

  it("accepts an arkivmelding whose files are all there", () => {
    expect(() => validateSend(arkivmelding(), { channel: "DPO", files: files("arkivmelding.xml", "test.txt"), arkivmeldingFilenames: ["test.txt"], clock: IP_TEST_CLOCK })).to.not.throw();
  });

  it("needs at least one file, except for status messages, receipts and avtalt (MissingFileException)", () => {
    expectIpError(
      thrown(MissingFileError, () => validateSend(arkivmelding(), { channel: "DPO", files: [], clock: IP_TEST_CLOCK })),
      "nextmove-missing-file",
      "MissingFileException",
      "There must always be at least one attachment",
    );
    const avtalt = parsed(sbdJsonOf("avtalt", "urn:no:difi:avtalt:xsd::avtalt", "urn:no:difi:profile:avtalt:avtalt:ver1.0", { identifier: "x" }));
    expect(() => validateSend(avtalt, { channel: "DPO", files: [], clock: IP_TEST_CLOCK })).to.not.throw();
  });

  it("refuses to send after expectedResponseDateTime (TimeToLiveException)", () => {
    const late = fixedClock("2019-05-12T20:00:00Z");
    const e = thrown(TimeToLiveExpiredError, () => validateSend(arkivmelding(), { channel: "DPO", files: files("arkivmelding.xml"), arkivmeldingFilenames: [], clock: late }));
    expectIpError(e, "nextmove-time-to-live-expired", "TimeToLiveException", "ExpectedResponseDateTime 2019-05-10T00:31:52+01:00 has been exceeded. Please resend the message");
    if (vectorsPresent()) expect(e.detail).to.equal(JSON.parse(readVector("api/error-ttl-expired.json")).message);
  });

  it("needs arkivmelding.xml and every file it names (MissingArkivmeldingException, MissingArkivmeldingFileException)", () => {
    expectIpError(
      thrown(MissingArkivmeldingError, () => validateSend(arkivmelding(), { channel: "DPO", files: files("test.txt"), clock: IP_TEST_CLOCK })),
      "nextmove-missing-arkivmelding",
      "MissingArkivmeldingException",
      "DPO message type requires arkivmelding.xml attachment",
    );
    expectIpError(
      thrown(MissingArkivmeldingFileError, () =>
        validateSend(arkivmelding(), { channel: "DPO", files: files("arkivmelding.xml", "b.pdf"), arkivmeldingFilenames: ["a.pdf", "b.pdf", "c.pdf"], clock: IP_TEST_CLOCK }),
      ),
      "nextmove-missing-arkivmelding-file",
      "MissingArkivmeldingFileException",
      "File(s) defined in arkivmelding, but not found in message: a.pdf,c.pdf",
    );
  });

  const digital = () =>
    parsed(
      sbdJsonOf("digital", "urn:no:difi:digitalpost:xsd:digital::digital", "urn:no:difi:profile:digitalpost:info:ver1.0", {
        hoveddokument: "brev.pdf",
        metadataFiler: { "brev.pdf": "brev-metadata.xml" },
      }),
    );

  it("needs the files a digital letter's metadataFiler names (FileNotFoundException, 404)", () => {
    expect(() => validateSend(digital(), { channel: "DPI", files: files("brev.pdf", "brev-metadata.xml"), clock: IP_TEST_CLOCK })).to.not.throw();
    const e = thrown(FileNotFoundError, () => validateSend(digital(), { channel: "DPI", files: files("brev.pdf"), clock: IP_TEST_CLOCK }));
    expectIpError(e, "nextmove-file-not-found", "FileNotFoundException", "File(s) named brev-metadata.xml was not found", 404);
    expect(e.kind).to.equal("not-found");
  });

  it("needs the primary document for DPI (MissingPrimaryDocumentException)", () => {
    const sbd = print({ hoveddokument: "brev.pdf", mottaker: ADDRESS, retur: RETUR });
    expect(() => validateSend(sbd, { channel: "DPI", files: files("brev.pdf"), clock: IP_TEST_CLOCK })).to.not.throw();
    expectIpError(
      thrown(MissingPrimaryDocumentError, () => validateSend(sbd, { channel: "DPI", files: files("vedlegg.pdf"), clock: IP_TEST_CLOCK })),
      "nextmove-missing-primary-document",
      "MissingPrimaryDocumentException",
      "Missing a primary document. Please specify the hoveddokument property in the business message and verify that is equal to one of the filenames.",
    );
  });
});

describe("sbd: validateUpload (NextMoveValidator.validateFile)", () => {
  it("refuses a file name used before (DuplicateFilenameException)", () => {
    expect(() => validateUpload(arkivmelding(), "DPO", [{ filename: "a.txt" }], { filename: "b.txt" })).to.not.throw();
    expectIpError(
      thrown(DuplicateFilenameError, () => validateUpload(arkivmelding(), "DPO", [{ filename: "a.txt" }], { filename: "a.txt" })),
      "nextmove-duplicate-filename",
      "DuplicateFilenameException",
      "Filename already exists in message: a.txt.",
    );
  });

  it("refuses a second primary document (MultiplePrimaryDocumentsNotAllowedException)", () => {
    expect(() => validateUpload(arkivmelding(), "DPO", [{ filename: "old.xml", primaryDocument: false }], { filename: "arkivmelding.xml" })).to.not.throw();
    expectIpError(
      thrown(MultiplePrimaryDocumentsError, () => validateUpload(arkivmelding(), "DPO", [{ filename: "old.xml", primaryDocument: true }], { filename: "arkivmelding.xml" })),
      "nextmove-multiple-primary-documents",
      "MultiplePrimaryDocumentsNotAllowedException",
      "Messages can only contain one primary document",
    );
  });

  it("needs a title for DPV files (MissingFileTitleException)", () => {
    expect(() => validateUpload(arkivmelding(), "DPV", [], { filename: "a.txt", title: "A" })).to.not.throw();
    expectIpError(
      thrown(MissingFileTitleError, () => validateUpload(arkivmelding(), "DPV", [], { filename: "a.txt", title: " " })),
      "nextmove-missing-file-title",
      "MissingFileTitleException",
      "Title is required for the following capabilities: DPV",
    );
  });

  it("needs a title for DPI files other than the primary document and a digital letter's metadata files", () => {
    const sbd = parsed(
      sbdJsonOf("digital", "urn:no:difi:digitalpost:xsd:digital::digital", "urn:no:difi:profile:digitalpost:info:ver1.0", {
        hoveddokument: "brev.pdf",
        metadataFiler: { "brev.pdf": "brev-metadata.xml" },
      }),
    );
    expect(() => validateUpload(sbd, "DPI", [], { filename: "brev.pdf" })).to.not.throw();
    expect(() => validateUpload(sbd, "DPI", [], { filename: "brev-metadata.xml" })).to.not.throw();
    expect(thrown(MissingFileTitleError, () => validateUpload(sbd, "DPI", [], { filename: "vedlegg.pdf" })).detail).to.equal(
      "Title is required for the following capabilities: DPI",
    );
  });
});
