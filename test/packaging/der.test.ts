import { expect } from "chai";
import { integer, oid } from "../../src/packaging/der.js";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

describe("packaging/der: OBJECT IDENTIFIER and INTEGER", () => {
  it("writes OIDs with the first two arcs joined and large arcs in base 128", () => {
    expect(hex(oid("1.2.840.113549.1.7.3"))).to.equal("06092a864886f70d010703");
    expect(hex(oid("2.16.840.1.101.3.4.1.42"))).to.equal("060960864801650304012a");
    expect(hex(oid("2.5.4.3"))).to.equal("0603550403");
    expect(hex(oid("2.999.1"))).to.equal("0603883701");
    // a UUID arc (X.667), far past 2^53; the encoding is openssl asn1parse -genstr's
    expect(hex(oid("2.25.329800735698586629295641978511506172918"))).to.equal("06146983f09da7ebcfdee0c7a1a7b2c0948cc8f9d776");
  });

  it("refuses what is no OID", () => {
    for (const bad of ["1", "3.1", "1.40", "0.40.1"]) expect(() => oid(bad), bad).to.throw(RangeError);
  });

  it("writes INTEGERs in their shortest two's complement form", () => {
    const cases: Array<[number, string]> = [
      [0, "020100"],
      [1, "020101"],
      [127, "02017f"],
      [128, "02020080"],
      [256, "02020100"],
      [-1, "0201ff"],
      [-128, "020180"],
      [-129, "0202ff7f"],
      [2 ** 40 + 5, "0206010000000005"],
    ];
    for (const [value, encoding] of cases) expect(hex(integer(value)), String(value)).to.equal(encoding);
  });
});
