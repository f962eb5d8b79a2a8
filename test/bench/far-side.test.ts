import { expect } from "chai";
import { countHeld, dpoZipMessageId } from "../../src/bench/far-side.js";
import { writeZip } from "../../src/dpi/zip.js";

describe("bench: what the far side holds of a phase's messages", () => {
  it("counts the phase's messages held at least once and more than once, ignoring others and case", () => {
    expect(countHeld(["a1", "B2", "c3"], ["a1", "b2", "x9", undefined, "b2", "A1", "a1"])).to.deep.equal({ held: 2, heldTwice: 2 });
    expect(countHeld(["a1", "b2"], ["a1", "b2"])).to.deep.equal({ held: 2, heldTwice: 0 });
    expect(countHeld(["a1"], [])).to.deep.equal({ held: 0, heldTwice: 0 });
  });

  it("reads the message id from a DPO zip's sbd.json, and nothing from what is not one", () => {
    const sbd = { standardBusinessDocumentHeader: { documentIdentification: { instanceIdentifier: "9c0a3f43-6c34-4a4c-9e4b-3c1a0b7d2e11" } }, arkivmelding: {} };
    const zip = writeZip([{ name: "sbd.json", data: Buffer.from(JSON.stringify(sbd)) }, { name: "asic.zip", data: Buffer.from("cms") }]);
    expect(dpoZipMessageId(zip)).to.equal("9c0a3f43-6c34-4a4c-9e4b-3c1a0b7d2e11");
    expect(dpoZipMessageId(writeZip([{ name: "asic.zip", data: Buffer.from("cms") }]))).to.equal(undefined);
    expect(dpoZipMessageId(writeZip([{ name: "sbd.json", data: Buffer.from("{") }]))).to.equal(undefined);
    expect(dpoZipMessageId(Buffer.from("not a zip"))).to.equal(undefined);
  });
});
