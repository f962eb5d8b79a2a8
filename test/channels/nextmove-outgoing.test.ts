import { expect } from "chai";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { readOutgoing } from "../../src/channels/nextmove/documents.js";
import { sealedAsic } from "../../src/channels/nextmove/sealed-asic.js";
import { fixedClock } from "../../src/clock.js";
import { decryptCms, openEformidlingAsic } from "../../src/packaging/index.js";
import { orgKeyStoresOf } from "../../src/pki/org-keystores.js";
import { serialiseSbd } from "../../src/sbd/index.js";
import { FolderBlobStore } from "../../src/store/blob-store.js";
import { NextMoveRepo } from "../../src/store/nextmove-repo.js";
import { businessSigner, certificate } from "../helpers/certs.js";
import { openTempStore, type TempStore } from "../helpers/temp-store.js";
import { arkivmeldingJson, parsed } from "../sbd/fixtures.js";

/** What the eFormidling channels read of an outgoing NextMove message, and the sealed asic.zip of DPO and DPE. */

const SENDER = "991825827";
const RECEIVER = "910076787";
const ID = "ff88849c-e281-4809-8555-7cd54952b916";
const AT = new Date("2030-01-01T09:00:00Z");

describe("channels/nextmove: the outgoing message and its sealed asic.zip", () => {
  let store: TempStore;
  let dir: string;
  let blobs: FolderBlobStore;
  let repo: NextMoveRepo;

  beforeEach(async () => {
    store = await openTempStore("nm-outgoing-");
    dir = await mkdtemp(path.join(os.tmpdir(), "nm-outgoing-blobs-"));
    blobs = new FolderBlobStore(dir);
    await blobs.init();
    repo = new NextMoveRepo(store.db);
    const sbd = parsed(
      arkivmeldingJson((j) => {
        j.standardBusinessDocumentHeader.sender[0].identifier.value = `0192:${SENDER}`;
        j.standardBusinessDocumentHeader.receiver[0].identifier.value = `0192:${RECEIVER}`;
      }),
    );
    await repo.create(
      {
        direction: "OUT",
        messageId: ID,
        conversationId: "37efbd4c-413d-4e2c-bbc5-257ef4a65a56",
        channel: "DPO",
        process: "urn:no:difi:profile:arkivmelding:administrasjon:ver1.0",
        documentType: "arkivmelding",
        standard: "urn:no:difi:arkivmelding:xsd::arkivmelding",
        senderIdentifier: `0192:${SENDER}`,
        receiverIdentifier: `0192:${RECEIVER}`,
      },
      serialiseSbd(sbd),
      "OPPRETTET",
      AT,
    );
    // Uploaded in this order; arkivmelding.xml is the hoveddokument.
    for (const [filename, mimeType, text, title] of [
      ["vedlegg.pdf", "application/pdf", "%PDF vedlegg", "Vedlegg"],
      ["arkivmelding.xml", "text/xml", "<arkivmelding/>", undefined],
      ["brev.pdf", "application/pdf", "%PDF brev", "Brev"],
    ] as const) {
      const b = await blobs.write(Readable.from([Buffer.from(text)]));
      await repo.addFile(ID, { filename, title, mimeType, size: b.size, sha256Hex: b.sha256.toString("hex"), blobKey: b.key }, AT);
    }
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("loads a claimed batch in its order, skipping conversations that are not NextMove messages", async () => {
    const found = await repo.ofConversations([
      { direction: "OUT", messageId: "not-there" },
      { direction: "OUT", messageId: ID },
    ]);
    expect(found.map((c) => [c.messageId, c.nextMove.files.length])).to.deep.equal([[ID, 3]]);
  });

  it("reads the documents with the hoveddokument first and the others in upload order", async () => {
    const [c] = await repo.ofConversations([{ direction: "OUT", messageId: ID }]);
    const out = await readOutgoing(c!, blobs);
    expect(out.sbd.type).to.equal("arkivmelding");
    expect(out.documents.map((d) => [d.filename, d.primary, d.title, Buffer.from(d.bytes).toString()])).to.deep.equal([
      ["arkivmelding.xml", true, undefined, "<arkivmelding/>"],
      ["vedlegg.pdf", false, "Vedlegg", "%PDF vedlegg"],
      ["brev.pdf", false, "Brev", "%PDF brev"],
    ]);
  });

  it("seals an ASiC-E signed by the sender, readable only with the receiver's key, holding the documents in that order", async () => {
    const [c] = await repo.ofConversations([{ direction: "OUT", messageId: ID }]);
    const out = await readOutgoing(c!, blobs);
    const sender = { ...businessSigner(SENDER), chain: [certificate("business/intermediate-ca.pem")] };
    const receiver = businessSigner(RECEIVER);
    const cms = await sealedAsic(out, {
      keystores: orgKeyStoresOf(new Map([[SENDER, sender]])),
      receiverCertificate: receiver.certificate,
      scheme: "rsaes-oaep",
      clock: fixedClock(AT.toISOString()),
    });
    const asic = decryptCms(cms, receiver.privateKey, receiver.certificate).content;
    const opened = openEformidlingAsic(asic, { anchors: [certificate("business/root-ca.pem"), certificate("business/intermediate-ca.pem")], clock: fixedClock(AT.toISOString()) });
    expect(opened.signer.signerCertificate.fingerprint256).to.equal(sender.certificate.fingerprint256);
    expect(opened.documents.map((d) => [d.name, Buffer.from(d.bytes).toString()])).to.deep.equal([
      ["arkivmelding.xml", "<arkivmelding/>"],
      ["vedlegg.pdf", "%PDF vedlegg"],
      ["brev.pdf", "%PDF brev"],
    ]);
    const other = businessSigner(SENDER);
    expect(() => decryptCms(cms, other.privateKey, other.certificate)).to.throw();
  });
});
