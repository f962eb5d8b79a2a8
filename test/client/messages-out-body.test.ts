import { expect } from "chai";
import { messagesOutBody, messagesOutForm } from "../../src/client/messages-out-client.js";

/** The parts of a multipart/form-data body as a web-platform reader sees them. */
async function partsOf(bytes: Uint8Array, contentType: string) {
  const form = await new Response(new Uint8Array(bytes), { headers: { "content-type": contentType } }).formData();
  return Promise.all(
    [...form.entries()].map(async ([name, value]) => {
      const file = value as File;
      return { name, filename: file.name, type: file.type, content: Buffer.from(await file.arrayBuffer()).toString("hex") };
    }),
  );
}

describe("client/messages-out-client messagesOutBody", () => {
  const jws = "eyJhbGciOiJSUzI1NiJ9.eyJ4IjoxfQ.c2ln";
  // Bytes a multipart reader would trip over if the encoding were wrong: CRLFs, dashes, a fake boundary line.
  const cms = new Uint8Array(Buffer.concat([Buffer.from("\r\n--\r\n--boundary\r\n\r\n", "latin1"), Buffer.from([0, 255, 13, 10, 45, 45])]));

  it("encodes the same parts, names, file names, types and bytes as messagesOutForm", async () => {
    const body = messagesOutBody(jws, cms);
    const expected = new Response(messagesOutForm(jws, cms));
    const viaForm = await partsOf(new Uint8Array(await expected.arrayBuffer()), expected.headers.get("content-type")!);
    expect(await partsOf(body.bytes, body.contentType)).to.deep.equal(viaForm);
    expect(viaForm.map((p) => [p.name, p.filename, p.type])).to.deep.equal([
      ["forretningsmelding", "sbd.jwt", "application/jwt"],
      ["dokumentpakke", "asic.cms", "application/cms"],
    ]);
    expect(viaForm[1]!.content).to.equal(Buffer.from(cms).toString("hex"));
  });

  it("without a dokumentpakke has only the forretningsmelding part", async () => {
    const body = messagesOutBody(jws);
    expect(body.contentType).to.match(/^multipart\/form-data; boundary=----dpi-ap-[0-9a-f]{32}$/);
    expect(await partsOf(body.bytes, body.contentType)).to.deep.equal([
      { name: "forretningsmelding", filename: "sbd.jwt", type: "application/jwt", content: Buffer.from(jws).toString("hex") },
    ]);
  });

  it("takes a dokumentpakke that is a view into a larger buffer by its own bytes only", async () => {
    const backing = Buffer.from("XXXXpayloadYYYY");
    const view = new Uint8Array(backing.buffer, backing.byteOffset + 4, 7);
    const body = messagesOutBody(jws, view);
    const parts = await partsOf(body.bytes, body.contentType);
    expect(Buffer.from(parts[1]!.content, "hex").toString()).to.equal("payload");
  });
});
