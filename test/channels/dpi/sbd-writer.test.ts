import { expect } from "chai";
import { Readable } from "node:stream";
import { sbdWriter } from "../../../src/channels/dpi/outbound.js";
import { DPI_PROCESS_IDS } from "../../../src/dpi/document-types.js";
import { buildDpiSbd, type DpiSbdInput } from "../../../src/peppol/dpi-sbd.js";
import { SbdhPayloadError } from "../../../src/peppol/errors.js";
import { norwegianParticipantId } from "../../../src/peppol/identifiers.js";
import { rejection } from "../../helpers/rejection.js";
import { cut, seededBytes } from "../../helpers/seeded-bytes.js";

/**
 * The large letter's SBD as the DPI channel writes it into the AS4 layer (through two reused buffers) must be
 * the very bytes dpiSbdStream makes, with the same refusals.
 */

const JWS = "eyJhbGciOiJSUzI1NiJ9.eyJzdGFuZGFyZEJ1c2luZXNzRG9jdW1lbnQiOnt9fQ.c2lnbmF0dXJl";
const letter: Omit<DpiSbdInput, "dokumentpakke"> = {
  sender: norwegianParticipantId("991825827"),
  receiver: norwegianParticipantId("984661185"),
  messageType: "digital",
  instanceIdentifier: "ff88849c-e281-4809-8555-7cd54952b916",
  createdAt: new Date("2025-05-01T10:00:00.000Z"),
  forretningsmelding: JWS,
};

/**
 * What a consumer receives that reads each piece a while after it was handed over (as zlib does on its thread) and is
 * done with it when its write resolves: a piece changed meanwhile would show, and so would one reused later, since
 * each is spoilt once read.
 */
async function written(sbd: Omit<DpiSbdInput, "dokumentpakke">, pieces: Buffer[], groups: Buffer[] = []): Promise<Buffer> {
  const got: Buffer[] = [];
  const take = async (piece: Buffer, asText: (piece: Buffer) => Buffer): Promise<void> => {
    await new Promise<void>((resolve) => setImmediate(resolve));
    got.push(asText(piece));
    piece.fill(0x2a);
  };
  await sbdWriter(sbd, () => Readable.from(pieces)).writeTo(
    (piece) => take(piece, (p) => Buffer.from(p)),
    async (bytes) => {
      expect(bytes.length % 3).to.equal(0);
      groups.push(Buffer.from(bytes));
      await take(bytes, (b) => Buffer.from(b.toString("base64"), "latin1"));
    },
  );
  return Buffer.concat(got);
}

describe("channels/dpi: the SBD written through reused buffers", () => {
  const pakke = seededBytes(700_001, 3);

  for (const sizes of [[262_144], [65_536], [1, 2, 100_000], [1, 1, 1, 5, 100_000], [700_001]]) {
    it(`is dpiSbdStream's bytes (dokumentpakke read in pieces of ${sizes.join(", ")})`, async () => {
      const expected = await buildDpiSbd({ ...letter, dokumentpakke: pakke });
      const groups: Buffer[] = [];
      expect((await written(letter, cut(pakke, sizes), groups)).equals(expected)).to.equal(true);
      // What goes to writeBase64Of is the dokumentpakke's whole 3-byte groups, all of them, nothing else.
      expect(Buffer.concat(groups).equals(pakke.subarray(0, pakke.length - (pakke.length % 3)))).to.equal(true);
    });
  }

  it("refuses an empty dokumentpakke and a receipt with one, as dpiSbdStream does", async () => {
    const empty = await rejection(written(letter, []));
    expect(empty).to.be.instanceOf(SbdhPayloadError);
    expect(empty.message).to.equal((await rejection(buildDpiSbd({ ...letter, dokumentpakke: Readable.from([]) }))).message);
    const receipt = { ...letter, messageType: "leveringskvittering" as const, process: DPI_PROCESS_IDS.digital };
    const refused = await rejection(written(receipt, [pakke]));
    expect(refused).to.be.instanceOf(SbdhPayloadError);
    expect(refused.message).to.equal((await rejection(buildDpiSbd({ ...receipt, dokumentpakke: pakke }))).message);
  });

  it("passes on the store's read error", async () => {
    const failing = async function* (): AsyncGenerator<Uint8Array> {
      yield pakke.subarray(0, 1000);
      throw Object.assign(new Error("ENOENT: no such blob"), { code: "ENOENT" });
    };
    const err = await rejection(sbdWriter(letter, failing).writeTo(async () => {}, async () => {}));
    expect(err.message).to.equal("ENOENT: no such blob");
  });
});
