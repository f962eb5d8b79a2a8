import { expect } from "chai";
import { adresseInformasjon, isNorwegian, type PostAddress } from "../../src/dpi/print-address.js";

const base: PostAddress = { navn: "Kari", adresselinje1: "Gate 1", postnummer: "0155", poststed: "Oslo", land: "" };

describe("dpi/print-address: a NextMove PostAddress as DPI adresseInformasjon", () => {
  it("counts no country, Norge and Norway (in any case) as Norwegian", () => {
    expect(["", "  ", "Norge", "NORWAY", "norway", "Sverige", "NO"].map((land) => isNorwegian({ land }))).to.deep.equal([true, true, true, true, true, false, false]);
  });

  it("keeps postnummer and poststed of a Norwegian address and leaves the country out", () => {
    expect(adresseInformasjon({ ...base, adresselinje2: "c/o Ola", land: "Norge" })).to.deep.equal({
      navn: "Kari",
      adresselinje1: "Gate 1",
      adresselinje2: "c/o Ola",
      postnummer: "0155",
      poststed: "Oslo",
    });
  });

  it("puts a foreign postal line into the first line without text, or appends it to the fourth", () => {
    const abroad = { ...base, postnummer: "111 22", poststed: "Stockholm", land: "Sverige" };
    expect(adresseInformasjon(abroad)).to.deep.equal({ navn: "Kari", adresselinje1: "Gate 1", adresselinje2: "111 22 Stockholm", land: "Sverige" });
    expect(adresseInformasjon({ ...abroad, adresselinje2: "a", adresselinje3: " " })).to.deep.equal({
      navn: "Kari",
      adresselinje1: "Gate 1",
      adresselinje2: "a",
      adresselinje3: "111 22 Stockholm",
      land: "Sverige",
    });
    expect(adresseInformasjon({ ...abroad, adresselinje2: "a", adresselinje3: "b", adresselinje4: "c" })).to.deep.equal({
      navn: "Kari",
      adresselinje1: "Gate 1",
      adresselinje2: "a",
      adresselinje3: "b",
      adresselinje4: "c 111 22 Stockholm",
      land: "Sverige",
    });
  });

  it("writes only what a foreign address has of postnummer and poststed", () => {
    const abroad = { ...base, land: "Danmark" };
    expect(adresseInformasjon({ ...abroad, poststed: "" }).adresselinje2).to.equal("0155");
    expect(adresseInformasjon({ ...abroad, postnummer: " " }).adresselinje2).to.equal("Oslo");
    expect(adresseInformasjon({ ...abroad, postnummer: "", poststed: "" })).to.deep.equal({ navn: "Kari", adresselinje1: "Gate 1", land: "Danmark" });
  });
});
