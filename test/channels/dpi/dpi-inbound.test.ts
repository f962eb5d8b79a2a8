import { expect } from "chai";
import { createHash, randomBytes } from "node:crypto";
import { watch } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { pipeline } from "node:stream/promises";
import { openStores, type Stores } from "../../../src/app.js";
import { RevocationUnknownError, type RevocationChecker } from "../../../src/pki/revocation.js";
import { EbmsError, PEPPOL_NOT_SERVICED, type EbmsErrorCode } from "../../../src/as4/ebms-errors.js";
import type { ReceivedUserMessage } from "../../../src/as4/inbound.js";
import { createTempDir, type SpooledContent, type TempDir } from "../../../src/as4/temp-files.js";
import type { UserMessage } from "../../../src/as4/user-message.js";
import { fixedClock } from "../../../src/clock.js";
import { loadConfig } from "../../../src/config.js";
import { DPI_PROCESS_IDS, LETTER_TYPES, type DpiMessageType, type DpiProcessId } from "../../../src/dpi/document-types.js";
import { messageRecord } from "../../../src/dpi/message-record.js";
import { parseForretningsmelding } from "../../../src/dpi/sbd.js";
import { createForretningsmeldingVerifier } from "../../../src/dpi/signed-forretningsmelding.js";
import { silentLogger } from "../../../src/log.js";
import { dpiDocumentTypeId, dpiProcessId, formatIdentifier, ParticipantSet, toParticipantId } from "../../../src/peppol/identifiers.js";
import { buildDpiSbd } from "../../../src/peppol/dpi-sbd.js";
import { createDpiInboundHandler, type DpiInboundDeps } from "../../../src/channels/dpi/dpi-inbound.js";
import { storeIncoming } from "../../../src/dpi/incoming.js";
import { OutboxRepo } from "../../../src/store/outbox-repo.js";
import { startStubApp } from "../../api/app-fixture.js";
import { businessSigner, certificate } from "../../helpers/certs.js";
import { buildMessage, type BuildOptions, type BuiltMessage } from "../../helpers/letters.js";
import { ORGS } from "../../dpi/samples.js";
import { testSigner } from "../../as4/sign-fixtures.js";

/**
 * The DPI side of an inbound AS4 message, with a real SQLite store and blob store. Inputs are shaped like
 * what receiveUserMessage hands on (a verified UserMessage and one decrypted payload file), built directly:
 * the AS4 layer itself is tested elsewhere.
 */

const NOW = new Date("2026-03-01T12:00:00Z");
const BUSINESS_ANCHORS = [certificate("business/root-ca.pem"), certificate("business/intermediate-ca.pem")];
const AVSENDER = ORGS.avsender; // a corner-2 participant: takes receipts only
const DIGIPOST = ORGS.digipost; // a provider: takes letters
const EBOKS = ORGS.eboks;
const PRINT = ORGS.print;
const AP = testSigner("POP000001");

let seq = 0;

interface Envelope {
  type: DpiMessageType;
  process: DpiProcessId;
  sbdSender: string;
  sbdReceiver: string;
  /** AS4 header values; default: what the SBD says. */
  action?: DpiMessageType;
  service?: DpiProcessId;
  originalSender?: string;
  finalRecipient?: string;
  dokumentpakke?: Uint8Array;
}

describe("channels/dpi/dpi-inbound: createDpiInboundHandler", function () {
  this.timeout(30_000);
  let dir: string;
  let stores: Stores;
  let stored: number;
  let deps: DpiInboundDeps;
  let spools: TempDir;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "relay-dpi-inbound-"));
    stores = await openStores(loadConfig({ DPI_AP_DATABASE_URL: `file:${path.join(dir, "db.sqlite")}`, DPI_AP_DATA_DIR: dir }));
  });
  after(async () => {
    await stores?.db.$disconnect();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await spools.dispose();
  });
  beforeEach(() => {
    stored = 0;
    spools = createTempDir({ parent: dir });
    deps = {
      servedParticipants: new ParticipantSet([AVSENDER, DIGIPOST, EBOKS, PRINT]),
      letterRecipients: new ParticipantSet([DIGIPOST, EBOKS, PRINT]),
      verifyForretningsmelding: createForretningsmeldingVerifier({ anchors: BUSINESS_ANCHORS, clock: fixedClock(NOW) }),
      repo: stores.repo,
      blobs: stores.blobs,
      maxDokumentpakkeBytes: 10 * 1024 * 1024,
      clock: fixedClock(NOW),
      log: silentLogger,
      onStored: () => void (stored += 1),
    };
  });

  const blobFiles = async () => (await readdir(path.join(dir, "blobs"))).filter((f) => f !== ".tmp").sort();

  /** A payload spooled as the AS4 layer spools it. */
  async function spooled(bytes: Buffer): Promise<SpooledContent> {
    const spool = spools.spool("payload");
    await pipeline(Readable.from([bytes]), spool.sink);
    return spool;
  }

  /** What receiveUserMessage would hand on for an AS4 message carrying `sbd` as its one payload. */
  async function received(env: Envelope, sbd: Buffer, over: Partial<ReceivedUserMessage> = {}): Promise<ReceivedUserMessage> {
    seq += 1;
    const contentId = `sbd-${seq}@pop000001`;
    const userMessage: UserMessage = {
      messageId: `${seq.toString(16).padStart(8, "0")}-aaaa-4bbb-8ccc-dddddddddddd@pop000001`,
      timestamp: NOW,
      fromPartyId: "POP000001",
      toPartyId: "POP000002",
      service: { value: dpiProcessId(env.service ?? env.process).value, type: "cenbii-procid-ubl" },
      action: formatIdentifier(dpiDocumentTypeId(env.action ?? env.type)),
      conversationId: `conv-${seq}`,
      originalSender: { type: "iso6523-actorid-upis", value: env.originalSender ?? env.sbdSender },
      finalRecipient: { type: "iso6523-actorid-upis", value: env.finalRecipient ?? env.sbdReceiver },
      parts: [{ href: `cid:${contentId}`, mimeType: "application/xml", characterSet: "UTF-8" }],
    };
    return {
      userMessage,
      payloads: [{ contentId, mimeType: "application/xml", characterSet: "UTF-8", wasCompressed: true, content: await spooled(sbd) }],
      signerCertificate: AP.certificate,
      signedReferences: [],
      signedInfoReferenceNodes: [],
      soapXml: "",
      dispose: async () => {},
      ...over,
    };
  }

  async function sbdOf(built: BuiltMessage, env: Envelope): Promise<Buffer> {
    return buildDpiSbd({
      sender: toParticipantId(env.sbdSender),
      receiver: toParticipantId(env.sbdReceiver),
      messageType: env.type,
      process: env.process,
      instanceIdentifier: built.messageId,
      createdAt: NOW,
      forretningsmelding: built.jws,
      ...(env.dokumentpakke ? { dokumentpakke: env.dokumentpakke } : {}),
    });
  }

  /** A digital letter from AVSENDER to `provider` (default Digipost), with the envelope changed by `env`. */
  async function letter(opts: BuildOptions = {}, env: Partial<Envelope> = {}) {
    const built = await buildMessage({ type: "digital", ...opts });
    const e: Envelope = { type: "digital", process: DPI_PROCESS_IDS.digital, sbdSender: AVSENDER, sbdReceiver: opts.receiver ?? DIGIPOST, dokumentpakke: built.cms!, ...env };
    return { built, input: await received(e, await sbdOf(built, e)) };
  }

  /** A receipt from `provider` to AVSENDER in `conversationId`; `tidspunkt`: its body's time. */
  async function receipt(type: DpiMessageType, conversationId: string, provider: string = DIGIPOST, process: DpiProcessId = DPI_PROCESS_IDS.digital, tidspunkt?: string) {
    const change = tidspunkt ? (p: any) => void (p.standardBusinessDocument[type].tidspunkt = tidspunkt) : undefined;
    const built = await buildMessage({ type, conversationId, sender: provider, avsender: provider, processId: process, ...(change ? { change } : {}) });
    const e: Envelope = { type, process, sbdSender: provider, sbdReceiver: AVSENDER };
    return { built, input: await received(e, await sbdOf(built, e)) };
  }

  /** Files an OUT letter as if corner 1 had sent it through us. */
  async function ourLetter(to: string, kanal?: string): Promise<BuiltMessage> {
    const built = await buildMessage({ type: "digital", receiver: to });
    const m = parseForretningsmelding(built.payload);
    await stores.repo.insert(messageRecord(m, { direction: "OUT", jws: built.jws, ...(kanal ? { kanal } : {}) }), "SENDT", NOW);
    return built;
  }

  /** Refuses `input` with an EbmsError of exactly `code`, naming the message, leaving nothing behind. */
  async function refusal(input: ReceivedUserMessage, code: EbmsErrorCode): Promise<EbmsError> {
    const before = await blobFiles();
    const err = await createDpiInboundHandler(deps)
      .accept(input, { seatId: "POP000001" })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err, "expected the message to be refused").to.be.instanceOf(EbmsError);
    // A refused message leaves neither a row nor a blob behind.
    expect(await blobFiles()).to.deep.equal(before);
    expect(stored).to.equal(0);
    const e = err as EbmsError;
    expect(e.code).to.equal(code);
    expect(e.refToMessageId).to.equal(input.userMessage.messageId);
    return e;
  }

  const accept = (input: ReceivedUserMessage) => createDpiInboundHandler(deps).accept(input, { seatId: "POP000001" });

  describe("letters", () => {
    it("a correct letter is stored with its dokumentpakke as a blob", async () => {
      const { built, input } = await letter();
      const before = await blobFiles();
      expect(await accept(input)).to.equal(built.messageId);
      const row = await stores.repo.get("IN", built.messageId);
      expect(row).to.include({ channel: "DPI", documentType: "digital", senderIdentifier: AVSENDER, receiverIdentifier: DIGIPOST, conversationId: built.conversationId });
      expect(row!.dpi).to.include({ forretningsmelding: built.jws });
      expect(row!.dpi.payloadKey).to.be.a("string");
      expect(row!.dpi.payloadSha256).to.equal(createHash("sha256").update(built.cms!).digest("hex"));
      expect((await buffer(stores.blobs.open(row!.dpi.payloadKey!))).equals(Buffer.from(built.cms!))).to.equal(true);
      expect(await blobFiles()).to.deep.equal([...before, row!.dpi.payloadKey!].sort());
      expect(stored).to.equal(1);
    });

    it("a letter whose payload is held in memory or in a file: the same blob, and the payload itself unchanged", async () => {
      // Read from a file, the dokumentpakke is decoded into the chunks read; held in memory, never into the payload.
      for (const memoryBytes of [1024 * 1024, 0]) {
        const { built, input } = await letter();
        const sbd = await input.payloads[0]!.content.readAll();
        const t = createTempDir({ parent: dir, memoryBytes });
        try {
          const content = t.spool("payload");
          await content.put(Buffer.from(sbd));
          expect(content.path === undefined, `memory ${memoryBytes}`).to.equal(memoryBytes > 0);
          expect(await accept({ ...input, payloads: [{ ...input.payloads[0]!, content }] })).to.equal(built.messageId);
          const row = await stores.repo.get("IN", built.messageId);
          expect((await buffer(stores.blobs.open(row!.dpi.payloadKey!))).equals(Buffer.from(built.cms!)), `memory ${memoryBytes}`).to.equal(true);
          expect((await content.readAll()).equals(sbd), `memory ${memoryBytes}`).to.equal(true);
        } finally {
          await t.dispose();
        }
      }
    });

    it("another letter under a DPI message id already stored: EBMS:0004, the first letter kept, no second blob", async () => {
      const first = await letter();
      expect(await accept(first.input)).to.equal(first.built.messageId);
      const before = await blobFiles();
      const second = await letter({ messageId: first.built.messageId, receiver: EBOKS });
      const err = await accept(second.input).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(EbmsError);
      expect([(err as EbmsError).code, (err as EbmsError).detail]).to.deep.equal([
        "EBMS:0004",
        `message id ${first.built.messageId} is already used here by another message; send it under a new message id`,
      ]);
      expect(await blobFiles()).to.deep.equal(before);
      expect((await stores.repo.get("IN", first.built.messageId))!.dpi.forretningsmelding).to.equal(first.built.jws);
      expect(stored).to.equal(1);
    });

    it("the same letter delivered again is not stored twice and leaves no second blob", async () => {
      const { built, input } = await letter();
      await accept(input);
      const afterFirst = await blobFiles();
      const e: Envelope = { type: "digital", process: DPI_PROCESS_IDS.digital, sbdSender: AVSENDER, sbdReceiver: DIGIPOST, dokumentpakke: built.cms! };
      const again = await received(e, await sbdOf(built, e));
      expect(await accept(again)).to.equal(built.messageId);
      expect(await blobFiles()).to.deep.equal(afterFirst);
      expect(stored).to.equal(1);
    });

    it("the receiver's answer runs once, in the transaction that stores the letter, with its message id", async () => {
      const { built, input } = await letter();
      const calls: { messageId: string | undefined; letterVisible: boolean }[] = [];
      const id = await createDpiInboundHandler(deps).accept(input, { seatId: "POP000001" }, async (tx, messageId) => {
        // Inside the storing transaction the letter's row is already there.
        const rows = await tx.query(`SELECT "messageId" FROM "Conversation" WHERE "direction" = 'IN' AND "messageId" = $1`, built.messageId);
        calls.push({ messageId, letterVisible: rows.length === 1 });
      });
      expect(id).to.equal(built.messageId);
      expect(calls).to.deep.equal([{ messageId: built.messageId, letterVisible: true }]);
    });

    it("an answer that fails rolls the letter back with it", async () => {
      const { built, input } = await letter();
      const err = await createDpiInboundHandler(deps)
        .accept(input, { seatId: "POP000001" }, async () => {
          throw new Error("disk I/O error");
        })
        .catch((e: unknown) => e);
      expect((err as Error).message).to.equal("disk I/O error");
      expect(await stores.repo.get("IN", built.messageId)).to.equal(null);
      expect(stored).to.equal(0);
    });

    it("a letter delivered again runs no answer: the receiver stores it itself", async () => {
      const { built, input } = await letter();
      await accept(input);
      const e: Envelope = { type: "digital", process: DPI_PROCESS_IDS.digital, sbdSender: AVSENDER, sbdReceiver: DIGIPOST, dokumentpakke: built.cms! };
      const again = await received(e, await sbdOf(built, e));
      let answered = 0;
      expect(await createDpiInboundHandler(deps).accept(again, { seatId: "POP000001" }, async () => void answered++)).to.equal(built.messageId);
      expect(answered).to.equal(0);
    });

    it("a receiver not served here: PEPPOL:NOT_SERVICED", async () => {
      const { input } = await letter({ receiver: "0192:987654325" });
      const e = await refusal(input, "EBMS:0004");
      expect([e.detail, e.description]).to.deep.equal([PEPPOL_NOT_SERVICED, "0192:987654325 is not served here"]);
    });

    it("a malformed finalRecipient is no participant served here: PEPPOL:NOT_SERVICED, never another error", async () => {
      for (const bad of ["991825827", "0192:98466 1185", "iso6523-actorid-upis::", "::0192:984661185", "0192:984661185\u00e6"]) {
        const { input } = await letter({}, { finalRecipient: bad });
        const e = await refusal(input, "EBMS:0004");
        expect([e.detail, e.description], bad).to.deep.equal([PEPPOL_NOT_SERVICED, `${bad} is not served here`]);
      }
    });

    it("a finalRecipient in the URI form with another letter case is the served participant", async () => {
      const { built, input } = await letter({}, { finalRecipient: `ISO6523-ACTORID-UPIS::${DIGIPOST}` });
      expect(await accept(input)).to.equal(built.messageId);
    });

    it("a letter to a served participant that takes no letters: PEPPOL:NOT_SERVICED", async () => {
      const { input } = await letter({ receiver: AVSENDER });
      const e = await refusal(input, "EBMS:0004");
      expect([e.detail, e.description]).to.deep.equal([PEPPOL_NOT_SERVICED, `${AVSENDER} takes no letters here`]);
    });

    it("a document type that is not DPI: PEPPOL:NOT_SERVICED naming the type and the participant", async () => {
      const { input } = await letter();
      const invoice = "busdox-docid-qns::urn:oasis:names:specification:ubl:schema:xsd:Invoice-2::Invoice##urn:cen.eu:en16931:2017::2.1";
      const e = await refusal({ ...input, userMessage: { ...input.userMessage, action: invoice } }, "EBMS:0004");
      expect([e.detail, e.description]).to.deep.equal([PEPPOL_NOT_SERVICED, `${DIGIPOST} is not served here for document type ${invoice}: not a DPI document type`]);
    });

    it("the same letter is taken once the participant is a letter recipient", async () => {
      const { input } = await letter({ receiver: AVSENDER });
      deps.letterRecipients = new ParticipantSet([DIGIPOST, EBOKS, PRINT, AVSENDER]);
      expect(await accept(input)).to.be.a("string");
    });

    it("originalSender other than the SBDH sender: EBMS:0004", async () => {
      const { input } = await letter({}, { originalSender: "0192:991825827" });
      const e = await refusal(input, "EBMS:0004");
      expect(e.code).to.equal("EBMS:0004");
      expect(e.detail).to.equal(`originalSender 0192:991825827 is not the SBDH sender ${AVSENDER}`);
    });

    it("finalRecipient other than the SBDH receiver: EBMS:0004", async () => {
      const { input } = await letter({}, { finalRecipient: EBOKS });
      expect((await refusal(input, "EBMS:0004")).detail).to.equal(`finalRecipient 0192:922020175 is not the SBDH receiver ${DIGIPOST}`);
    });

    it("an Action naming another type than the SBDH: EBMS:0004", async () => {
      const { input } = await letter({}, { action: "utskrift" });
      const e = await refusal(input, "EBMS:0004");
      expect(e.code).to.equal("EBMS:0004");
      expect(e.detail).to.equal("Action names utskrift but the SBDH carries digital");
    });

    it("a Service other than the SBDH process: EBMS:0004", async () => {
      const { input } = await letter({}, { service: DPI_PROCESS_IDS.utskrift });
      const e = await refusal(input, "EBMS:0004");
      expect(e.code).to.equal("EBMS:0004");
      expect(e.detail).to.equal(`Service ${dpiProcessId(DPI_PROCESS_IDS.utskrift).value} is not the SBDH process ${dpiProcessId(DPI_PROCESS_IDS.digital).value}`);
    });

    it("a forretningsmelding signed by another organisation than its sender: EBMS:0004", async () => {
      const { input } = await letter({ signer: businessSigner("991825827") });
      expect((await refusal(input, "EBMS:0004")).detail).to.equal(`the forretningsmelding is signed by 0192:991825827, not its sender ${AVSENDER}`);
    });

    it("a forretningsmelding whose signer is not trusted: EBMS:0004 naming the problem", async () => {
      const { input } = await letter();
      deps.verifyForretningsmelding = createForretningsmeldingVerifier({ anchors: [certificate("ap/root-ca.pem")], clock: fixedClock(NOW) });
      // The example letter's x5c holds its leaf only, and the AP root knows nothing of the leaf's issuer.
      const issuer = businessSigner(AVSENDER.split(":")[1]!).certificate.issuer.replace(/\n/g, ", ");
      expect((await refusal(input, "EBMS:0004")).detail).to.equal(
        `forretningsmelding: signer-certificate-invalid: x5c certificate: untrusted certificate: its issuer is not a trust anchor nor issued by one (issuer ${issuer})`,
      );
    });

    it("a forretningsmelding whose certificate's revocation status cannot be established now (hard-fail): EBMS:0202, to be retried", async () => {
      const { input } = await letter();
      const outage: RevocationChecker = {
        mode: "hard-fail",
        check: async (path) => {
          throw new RevocationUnknownError("no OCSP responder or CRL answered", path[0]!, ["ocsp: connection refused", "crl: connection refused"]);
        },
      };
      deps.verifyForretningsmelding = createForretningsmeldingVerifier({ anchors: BUSINESS_ANCHORS, clock: fixedClock(NOW), revocation: outage });
      expect((await refusal(input, "EBMS:0202")).detail).to.equal(
        "forretningsmelding: signer-certificate-revocation-unavailable: x5c certificate: no OCSP responder or CRL answered; try again later",
      );
    });

    it("a forretningsmelding whose sender is not the SBDH sender: EBMS:0004", async () => {
      // The databehandler signs and sends a letter whose own SBDH names the avsender as sender.
      const built = await buildMessage({ type: "digital" });
      const e: Envelope = { type: "digital", process: DPI_PROCESS_IDS.digital, sbdSender: ORGS.databehandler, sbdReceiver: DIGIPOST, dokumentpakke: built.cms! };
      const input = await received(e, await sbdOf(built, e));
      expect((await refusal(input, "EBMS:0004")).detail).to.equal("the forretningsmelding's sender and receiver are not those of the Peppol SBDH");
    });

    it("a dokumentpakke that does not match dokumentpakkefingeravtrykk: EBMS:0004", async () => {
      const { input } = await letter({ fingerprintOf: randomBytes(64) });
      expect((await refusal(input, "EBMS:0004")).detail).to.equal("the dokumentpakke does not match dokumentpakkefingeravtrykk");
    });

    it("a dokumentpakke over the size limit is refused and leaves no blob", async () => {
      const { input } = await letter();
      deps.maxDokumentpakkeBytes = 1024;
      expect((await refusal(input, "EBMS:0004")).detail).to.equal("SBDH: the dokumentpakke exceeds 1024 bytes");
    });

    it("a payload that is not XML, or more than one payload: EBMS:0004", async () => {
      const { input } = await letter();
      const textPlain = { ...input, payloads: [{ ...input.payloads[0]!, mimeType: "text/plain" }] };
      expect((await refusal(textPlain, "EBMS:0004")).detail).to.equal("the SBD payload must be application/xml, got text/plain");
      const two = { ...input, payloads: [input.payloads[0]!, input.payloads[0]!] };
      expect((await refusal(two, "EBMS:0004")).detail).to.equal("a DPI message carries exactly one payload (the SBD), got 2");
    });

    it("a payload that is no SBD at all: EBMS:0004", async () => {
      const { input } = await letter();
      const notAnSbd = Buffer.from("<notAnSbd/>");
      const other = { ...input, payloads: [{ ...input.payloads[0]!, content: await spooled(notAnSbd), size: notAnSbd.length }] };
      expect((await refusal(other, "EBMS:0004")).detail).to.equal(
        "SBDH: the root element must be {http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader}StandardBusinessDocument, not notAnSbd",
      );
    });
  });

  // Malformed identifiers in the AS4 header are the sender's fault for good: refused with EBMS:0004, not the
  // transient EBMS:0202 that would make the sender retry until it gives up.
  describe("malformed AS4 header values", () => {
    it("an Action that is not <scheme>::<value>: EBMS:0004 naming the identifier problem", async () => {
      const { input } = await letter();
      const malformed = { ...input, userMessage: { ...input.userMessage, action: "not-a-document-type" } };
      expect((await refusal(malformed, "EBMS:0004")).detail).to.equal('peppol-identifier-invalid: document-type identifier "not-a-document-type": expected <scheme>::<value>');
    });

    it("an originalSender that is not a participant identifier: EBMS:0004 naming the identifier problem", async () => {
      const { input } = await letter();
      const malformed = { ...input, userMessage: { ...input.userMessage, originalSender: { type: "iso6523-actorid-upis", value: "not a participant" } } };
      expect((await refusal(malformed, "EBMS:0004")).detail).to.equal(
        'peppol-identifier-invalid: participant identifier "not a participant": value must be printable US-ASCII without whitespace',
      );
    });
  });

  describe("receipts", () => {
    it("a receipt for a conversation in which we sent no letter is refused", async () => {
      const conversationId = "0b5f3c2a-1d4e-4f6a-9b8c-7d6e5f4a3b2c";
      const { input } = await receipt("leveringskvittering", conversationId);
      const e = await refusal(input, "EBMS:0004");
      expect(e.code).to.equal("EBMS:0004");
      expect(e.detail).to.equal(`no letter in conversation ${conversationId} was sent from here`);
    });

    it("a receipt from another provider than the one the letter went to is refused", async () => {
      const ours = await ourLetter(EBOKS);
      const { input } = await receipt("leveringskvittering", ours.conversationId, DIGIPOST);
      expect((await refusal(input, "EBMS:0004")).detail).to.equal(`a receipt in conversation ${ours.conversationId} must come from ${EBOKS} to ${AVSENDER}`);
    });

    it("a receipt type the letter's process does not have is refused", async () => {
      const ours = await ourLetter(PRINT);
      const { input } = await receipt("mottakskvittering", ours.conversationId, PRINT, DPI_PROCESS_IDS.utskrift);
      expect((await refusal(input, "EBMS:0004")).detail).to.equal("a mottakskvittering does not answer a digital letter");
    });

    it("a receipt naming another organisation than the letter's avsender as mottaker is refused", async () => {
      const ours = await ourLetter(DIGIPOST);
      const built = await buildMessage({
        type: "leveringskvittering",
        conversationId: ours.conversationId,
        sender: DIGIPOST,
        avsender: DIGIPOST,
        processId: DPI_PROCESS_IDS.digital,
        change: (p) => void (p.standardBusinessDocument.leveringskvittering.mottaker.virksomhetsidentifikator.value = EBOKS),
      });
      const e: Envelope = { type: "leveringskvittering", process: DPI_PROCESS_IDS.digital, sbdSender: DIGIPOST, sbdReceiver: AVSENDER };
      const input = await received(e, await sbdOf(built, e));
      expect((await refusal(input, "EBMS:0004")).detail).to.equal(`a receipt in conversation ${ours.conversationId} must name the letter's avsender ${AVSENDER} as mottaker`);
    });

    it("a valid receipt for our letter is stored, filed under the letter's kanal, without a blob", async () => {
      const ours = await ourLetter(DIGIPOST, "kanal-a");
      const { built, input } = await receipt("leveringskvittering", ours.conversationId, DIGIPOST);
      const before = await blobFiles();
      expect(await accept(input)).to.equal(built.messageId);
      const row = await stores.repo.get("IN", built.messageId);
      expect(row).to.include({ documentType: "leveringskvittering", senderIdentifier: DIGIPOST, receiverIdentifier: AVSENDER, conversationId: ours.conversationId });
      expect(row!.dpi).to.include({ kanal: "kanal-a", payloadKey: null });
      expect(await blobFiles()).to.deep.equal(before);
      expect(stored).to.equal(1);
    });

    it("a receipt creates no payload file on the way, not even a temporary one", async () => {
      const ours = await ourLetter(DIGIPOST);
      const { built, input } = await receipt("leveringskvittering", ours.conversationId, DIGIPOST);
      const events: string[] = [];
      const watchers = [path.join(dir, "blobs"), path.join(dir, "blobs", ".tmp")].map((d) => watch(d, (type, name) => events.push(`${type} ${name}`)));
      try {
        expect(await accept(input)).to.equal(built.messageId);
        await new Promise((r) => setTimeout(r, 100));
      } finally {
        for (const w of watchers) w.close();
      }
      expect(events).to.deep.equal([]);
    });

    it("the same receipt addressed to a participant that is not served here: PEPPOL:NOT_SERVICED", async () => {
      const ours = await ourLetter(DIGIPOST);
      const { input } = await receipt("leveringskvittering", ours.conversationId, DIGIPOST);
      deps.servedParticipants = new ParticipantSet([DIGIPOST, EBOKS, PRINT]);
      const e = await refusal(input, "EBMS:0004");
      expect([e.detail, e.description]).to.deep.equal([PEPPOL_NOT_SERVICED, `${AVSENDER} is not served here`]);
    });
  });

  // A receipt registers the status it stands for on our letter's own history, in the transaction that stores it.
  describe("receipts register their status on our letter", () => {
    const T1 = "2026-03-01T13:00:00.250+01:00";
    const T2 = "2026-03-02T09:30:00+01:00";
    const history = async (id: string) => (await stores.repo.statuses("OUT", id)).map((s) => [s.status, s.description, s.rawReceipt, s.timestamp.toISOString()]);

    it("a leveringskvittering makes the letter LEVERT, an aapningskvittering then LEST, each dated by the receipt and carrying it", async () => {
      const ours = await ourLetter(DIGIPOST);
      const levert = await receipt("leveringskvittering", ours.conversationId, DIGIPOST, DPI_PROCESS_IDS.digital, T1);
      expect(await accept(levert.input)).to.equal(levert.built.messageId);
      expect(await stores.repo.get("OUT", ours.messageId)).to.include({ status: "LEVERT", finished: true, pollable: false });
      const lest = await receipt("aapningskvittering", ours.conversationId, DIGIPOST, DPI_PROCESS_IDS.digital, T2);
      expect(await accept(lest.input)).to.equal(lest.built.messageId);
      expect(await history(ours.messageId)).to.deep.equal([
        ["SENDT", null, null, NOW.toISOString()],
        ["LEVERT", `leveringskvittering ${levert.built.messageId}`, levert.built.jws, "2026-03-01T12:00:00.250Z"],
        ["LEST", `aapningskvittering ${lest.built.messageId}`, lest.built.jws, "2026-03-02T08:30:00.000Z"],
      ]);
      expect(await stores.repo.get("OUT", ours.messageId)).to.include({ status: "LEST", finished: true, pollable: false });
      // The receipts themselves are stored as ever, each with its own MOTTATT.
      for (const r of [levert, lest]) expect((await stores.repo.statuses("IN", r.built.messageId)).map((s) => [s.status, s.timestamp.toISOString()])).to.deep.equal([["MOTTATT", NOW.toISOString()]]);
      expect(stored).to.equal(2);
    });

    it("the receiver's answer to a receipt commits with the receipt and the letter's new status, or neither does", async () => {
      const ours = await ourLetter(DIGIPOST);
      const levert = await receipt("leveringskvittering", ours.conversationId, DIGIPOST, DPI_PROCESS_IDS.digital, T1);
      const failing = await createDpiInboundHandler(deps)
        .accept(levert.input, { seatId: "POP000001" }, async () => {
          throw new Error("disk I/O error");
        })
        .catch((e: unknown) => e);
      expect((failing as Error).message).to.equal("disk I/O error");
      expect(await stores.repo.get("OUT", ours.messageId)).to.include({ status: "SENDT" });
      expect(await stores.repo.get("IN", levert.built.messageId)).to.equal(null);
      const seen: (string | undefined)[] = [];
      await createDpiInboundHandler(deps).accept(levert.input, { seatId: "POP000001" }, async (tx, messageId) => {
        const [row] = await tx.query<{ status: string }>(`SELECT "status" FROM "Conversation" WHERE "direction" = 'OUT' AND "messageId" = $1`, ours.messageId);
        seen.push(messageId, row!.status);
      });
      expect(seen).to.deep.equal([levert.built.messageId, "LEVERT"]);
    });

    it("a feil receipt makes the letter FEIL, saying what the provider said", async () => {
      const ours = await ourLetter(DIGIPOST);
      const feil = await receipt("feil", ours.conversationId, DIGIPOST, DPI_PROCESS_IDS.digital, T1);
      await accept(feil.input);
      expect(await history(ours.messageId)).to.deep.equal([
        ["SENDT", null, null, NOW.toISOString()],
        ["FEIL", `feil ${feil.built.messageId}: KLIENT: Kunne ikke dekryptere dokumentpakken`, feil.built.jws, "2026-03-01T12:00:00.250Z"],
      ]);
      expect(await stores.repo.get("OUT", ours.messageId)).to.include({ status: "FEIL", finished: true });
    });

    it("a print letter's mottakskvittering makes it LEVERT, its returpostkvittering then FEIL", async () => {
      const built = await buildMessage({ type: "utskrift", receiver: PRINT });
      const m = parseForretningsmelding(built.payload);
      await stores.repo.insert(messageRecord(m, { direction: "OUT", jws: built.jws }), "SENDT", NOW);
      const mottak = await receipt("mottakskvittering", built.conversationId, PRINT, DPI_PROCESS_IDS.utskrift, T1);
      const retur = await receipt("returpostkvittering", built.conversationId, PRINT, DPI_PROCESS_IDS.utskrift, T2);
      await accept(mottak.input);
      await accept(retur.input);
      expect((await history(built.messageId)).map(([status, description]) => [status, description])).to.deep.equal([
        ["SENDT", null],
        ["LEVERT", `mottakskvittering ${mottak.built.messageId}`],
        ["FEIL", `returpostkvittering ${retur.built.messageId}`],
      ]);
    });

    it("a receipt delivered again, or another receipt standing for a status the letter has, stores no second status", async () => {
      const ours = await ourLetter(DIGIPOST);
      const first = await receipt("leveringskvittering", ours.conversationId, DIGIPOST, DPI_PROCESS_IDS.digital, T1);
      await accept(first.input);
      const e: Envelope = { type: "leveringskvittering", process: DPI_PROCESS_IDS.digital, sbdSender: DIGIPOST, sbdReceiver: AVSENDER };
      expect(await accept(await received(e, await sbdOf(first.built, e)))).to.equal(first.built.messageId);
      expect(stored).to.equal(1);
      // Another leveringskvittering is a message of its own: stored, but the letter is LEVERT already.
      const second = await receipt("leveringskvittering", ours.conversationId, DIGIPOST, DPI_PROCESS_IDS.digital, T2);
      expect(await accept(second.input)).to.equal(second.built.messageId);
      expect(await stores.repo.get("IN", second.built.messageId)).to.include({ documentType: "leveringskvittering", conversationId: ours.conversationId });
      expect(stored).to.equal(2);
      expect(await history(ours.messageId)).to.deep.equal([
        ["SENDT", null, null, NOW.toISOString()],
        ["LEVERT", `leveringskvittering ${first.built.messageId}`, first.built.jws, "2026-03-01T12:00:00.250Z"],
      ]);
    });

    it("a receipt the letter's rules refuse is stored all the same: LEVERT cannot follow FEILET", async () => {
      const ours = await ourLetter(DIGIPOST);
      await stores.repo.conversations.registerStatus("OUT", ours.messageId, "FEILET", NOW, { description: "gave up" });
      const late = await receipt("leveringskvittering", ours.conversationId, DIGIPOST, DPI_PROCESS_IDS.digital, T1);
      expect(await accept(late.input)).to.equal(late.built.messageId);
      expect(await stores.repo.get("IN", late.built.messageId)).to.include({ documentType: "leveringskvittering" });
      expect((await history(ours.messageId)).map(([status]) => status)).to.deep.equal(["SENDT", "FEILET"]);
    });

    it("a LEVERT letter is not expired by the expiry sweep; an unanswered one of the same age is", async () => {
      const answered = await ourLetter(DIGIPOST);
      const unanswered = await ourLetter(DIGIPOST);
      await accept((await receipt("leveringskvittering", answered.conversationId, DIGIPOST, DPI_PROCESS_IDS.digital, T1)).input);
      const expiry = (await stores.repo.get("OUT", answered.messageId))!.expiry!;
      const after = new Date(Math.max(expiry.getTime(), (await stores.repo.get("OUT", unanswered.messageId))!.expiry!.getTime()) + 1);
      const expired = await new OutboxRepo(stores.db).expireOverdue(after, LETTER_TYPES, 1000);
      expect(expired.map((m) => m.messageId)).to.include(unanswered.messageId).and.not.include(answered.messageId);
      expect((await history(answered.messageId)).map(([status]) => status)).to.deep.equal(["SENDT", "LEVERT"]);
      expect((await history(unanswered.messageId)).map(([status]) => status)).to.deep.equal(["SENDT", "LEVETID_UTLOPT"]);
    });

    it("GET /status/{conversationId} shows each receipt once, as the receipt, and the letter's own statuses", async () => {
      const ours = await ourLetter(DIGIPOST);
      const levert = await receipt("leveringskvittering", ours.conversationId, DIGIPOST, DPI_PROCESS_IDS.digital, T1);
      const lest = await receipt("aapningskvittering", ours.conversationId, DIGIPOST, DPI_PROCESS_IDS.digital, T2);
      const later = (ms: number) => new Date(NOW.getTime() + ms);
      deps.clock = fixedClock(later(1000));
      await accept(levert.input);
      deps.clock = fixedClock(later(2000));
      await accept(lest.input);
      const app = await startStubApp({}, { db: stores.db, repo: stores.repo, callers: { verify: async () => ({ token: "t", consumer: AVSENDER }) } });
      try {
        const res = await fetch(`${app.url}/status/${ours.conversationId}`, { headers: { authorization: "Bearer t" } });
        expect(res.status).to.equal(200);
        expect(await res.json()).to.deep.equal({
          conversationId: ours.conversationId,
          events: [
            { timestamp: NOW.toISOString(), messageId: ours.messageId, documentType: "digital", direction: "OUT", kind: "status", status: "SENDT" },
            { timestamp: later(1000).toISOString(), messageId: levert.built.messageId, documentType: "leveringskvittering", direction: "IN", kind: "receipt", status: "LEVERT" },
            { timestamp: later(2000).toISOString(), messageId: lest.built.messageId, documentType: "aapningskvittering", direction: "IN", kind: "receipt", status: "LEST" },
          ],
        });
      } finally {
        await app.close();
      }
    });
  });

  describe("storeIncoming: a receipt no letter here answers", () => {
    it("is stored, and no conversation but its own changes", async () => {
      const ours = await ourLetter(DIGIPOST);
      const before = await stores.db.conversationStatus.findMany({ orderBy: { id: "asc" } });
      const built = await buildMessage({ type: "leveringskvittering", sender: DIGIPOST, avsender: DIGIPOST, processId: DPI_PROCESS_IDS.digital });
      const m = parseForretningsmelding(built.payload);
      expect(await storeIncoming({ jws: built.jws, message: m }, { repo: stores.repo, clock: fixedClock(NOW), log: silentLogger })).to.equal(true);
      expect(await stores.repo.get("IN", built.messageId)).to.include({ documentType: "leveringskvittering", conversationId: built.conversationId, status: "MOTTATT" });
      const afterwards = await stores.db.conversationStatus.findMany({ orderBy: { id: "asc" } });
      expect(afterwards.slice(0, before.length)).to.deep.equal(before);
      expect(afterwards.slice(before.length).map((s) => [s.direction, s.messageId, s.status])).to.deep.equal([["IN", built.messageId, "MOTTATT"]]);
      expect((await stores.repo.statuses("OUT", ours.messageId)).map((s) => s.status)).to.deep.equal(["SENDT"]);
    });

    it("in our letter's conversation but from a provider the letter did not go to: stored, the letter unchanged", async () => {
      const ours = await ourLetter(DIGIPOST);
      const built = await buildMessage({ type: "leveringskvittering", conversationId: ours.conversationId, sender: EBOKS, avsender: EBOKS, processId: DPI_PROCESS_IDS.digital });
      const m = parseForretningsmelding(built.payload);
      expect(await storeIncoming({ jws: built.jws, message: m }, { repo: stores.repo, clock: fixedClock(NOW), log: silentLogger })).to.equal(true);
      expect(await stores.repo.get("IN", built.messageId)).to.include({ conversationId: ours.conversationId });
      expect((await stores.repo.statuses("OUT", ours.messageId)).map((s) => s.status)).to.deep.equal(["SENDT"]);
    });
  });
});
