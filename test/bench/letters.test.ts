import { expect } from "chai";
import { base64url, decodeProtectedHeader } from "jose";
import { digitalLetterPayload, documentBytes, prepareLetters, type LetterParties } from "../../src/bench/letters.js";
import { parseForretningsmelding } from "../../src/dpi/sbd.js";
import { businessSigner } from "../helpers/certs.js";

const PARTIES: LetterParties = { avsender: "0192:910076787", provider: "0192:984661185", postkasseadresse: "benk.mottaker#BNCH", avsenderidentifikator: "bench" };
const FINGERPRINT = { digestMethod: "http://www.w3.org/2001/04/xmlenc#sha256", digestValue: "ZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmY=" };
const AT = new Date("2026-01-02T03:04:05.000Z");

describe("bench: letters", () => {
  it("builds a digital letter that passes the intake's schema checks", () => {
    const payload = digitalLetterPayload(PARTIES, {
      messageId: "0b6b5c55-53c5-4b5e-9a4b-1d6d0d3f0001",
      conversationId: "0b6b5c55-53c5-4b5e-9a4b-1d6d0d3f0002",
      createdAt: AT,
      expectedResponse: new Date(AT.getTime() + 3600_000),
      token: "header.claims.signature",
      fingerprint: FINGERPRINT,
      title: "Brev",
    });
    const m = parseForretningsmelding(payload);
    expect(m.type).to.equal("digital");
    expect(m.messageId).to.equal("0b6b5c55-53c5-4b5e-9a4b-1d6d0d3f0001");
    expect(m.conversationId).to.equal("0b6b5c55-53c5-4b5e-9a4b-1d6d0d3f0002");
    expect(m.sender.value).to.equal("0192:910076787");
    expect(m.receiver.value).to.equal("0192:984661185");
    expect(m.avsender.value).to.equal("0192:910076787");
    expect(m.databehandler).to.equal(undefined);
    expect(m.maskinportentoken).to.equal("header.claims.signature");
    expect(m.dokumentpakkefingeravtrykk).to.deep.equal(FINGERPRINT);
    expect(m.expectedResponseDateTime).to.equal("2026-01-02T04:04:05.000Z");
    const body = m.document.body as { aapningskvittering?: boolean; varsler?: unknown; mottaker: { postkasseadresse: string } };
    // Only a leveringskvittering comes back: no opening receipt, no notifications that could fail.
    expect(body.aapningskvittering).to.equal(false);
    expect(body.varsler).to.equal(undefined);
    expect(body.mottaker.postkasseadresse).to.equal("benk.mottaker#BNCH");
  });

  it("makes documents of exactly the size asked for, shaped like a PDF", () => {
    const fill = (n: number) => new Uint8Array(n).fill(0x41);
    const doc = documentBytes(1000, fill);
    expect(doc.byteLength).to.equal(1000);
    const text = Buffer.from(doc).toString("latin1");
    expect(text.startsWith("%PDF-1.7\n")).to.equal(true);
    expect(text.endsWith("\n%%EOF\n")).to.equal(true);
    expect(documentBytes(5, fill).byteLength).to.equal(5);
  });

  it("signs each letter with the avsender's key, with fresh ids and the shared dokumentpakke", async () => {
    const key = businessSigner("910076787");
    const cms = new Uint8Array([1, 2, 3]);
    let n = 0;
    const letters = await prepareLetters({
      count: 3,
      parties: PARTIES,
      signer: { privateKey: key.privateKey, certificate: key.certificate, chain: [] },
      token: "the.bearer.token",
      dokumentpakke: { documentBytes: 3, cms, fingerprint: FINGERPRINT },
      now: AT,
      newId: () => `0b6b5c55-53c5-4b5e-9a4b-${String(++n).padStart(12, "0")}`,
    });
    expect(letters.map((l) => [l.messageId, l.conversationId])).to.deep.equal([
      ["0b6b5c55-53c5-4b5e-9a4b-000000000001", "0b6b5c55-53c5-4b5e-9a4b-000000000002"],
      ["0b6b5c55-53c5-4b5e-9a4b-000000000003", "0b6b5c55-53c5-4b5e-9a4b-000000000004"],
      ["0b6b5c55-53c5-4b5e-9a4b-000000000005", "0b6b5c55-53c5-4b5e-9a4b-000000000006"],
    ]);
    for (const l of letters) {
      expect(l.cms).to.equal(cms);
      expect(decodeProtectedHeader(l.jws).x5c?.[0]).to.equal(key.certificate.raw.toString("base64"));
      const m = parseForretningsmelding(JSON.parse(Buffer.from(base64url.decode(l.jws.split(".")[1]!)).toString()));
      expect(m.messageId).to.equal(l.messageId);
      expect(m.maskinportentoken).to.equal("the.bearer.token");
    }
  });
});
