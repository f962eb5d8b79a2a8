import { readFile } from "node:fs/promises";
import path from "node:path";
import { expect } from "chai";
import type { JWTPayload } from "jose";
import { parseActor, parseScopes, toMaskinportenToken } from "../../src/maskinporten/token.js";
import {
  TokenConsumerMissingError,
  TokenInvalidError,
  TokenPartyInvalidError,
  TokenScopeMissingError,
} from "../../src/maskinporten/errors.js";

const vectors = path.resolve(import.meta.dirname, "../../../shared/vectors/dpi");

async function vector(name: string): Promise<JWTPayload | undefined> {
  try {
    return JSON.parse(await readFile(path.join(vectors, name), "utf8")) as JWTPayload;
  } catch {
    return undefined;
  }
}

describe("maskinporten/token", () => {
  describe("real Maskinporten payloads (vectors)", () => {
    it("reads a direct token: consumer, no supplier", async function () {
      const claims = await vector("digital-forretningsmelding-autorisasjonsbevis.json");
      if (!claims) this.skip();
      const token = toMaskinportenToken("raw", claims, "digitalpostinnbygger:send");
      expect(token.consumer).to.equal("0192:991825827");
      expect(token.consumerOrgno).to.equal("991825827");
      expect(token.supplier).to.equal(undefined);
      expect(token.clientId).to.equal("MOVE_IP_991825827");
      expect(token.expiresAt.getTime() - token.issuedAt.getTime()).to.equal(120_000);
      expect(token.scopes).to.deep.equal(["digitalpostinnbygger:send"]);
    });

    it("reads a delegated token: consumer = behandlingsansvarlig, supplier = databehandler", async function () {
      const claims = await vector("digital-pa-vegne-av-forretningsmelding-autorisasjonsbevis.json");
      if (!claims) this.skip();
      const token = toMaskinportenToken("raw", claims, "digitalpostinnbygger:send");
      expect(token.consumerOrgno).to.equal("910076787");
      expect(token.supplier).to.equal("0192:810969342");
      expect(token.supplierOrgno).to.equal("810969342");
      expect(token.delegationSource).to.equal("https://tt02.altinn.no/");
    });

    it("refuses the real token for another scope (403)", async function () {
      const claims = await vector("digital-forretningsmelding-autorisasjonsbevis.json");
      if (!claims) this.skip();
      expect(() => toMaskinportenToken("raw", claims, "digitalpostinnbygger:les"))
        .to.throw(TokenScopeMissingError)
        .with.property("kind", "forbidden");
    });
  });

  describe("parseActor", () => {
    it("accepts the exact Maskinporten shape", () => {
      expect(parseActor({ authority: "iso6523-actorid-upis", ID: "0192:991825827" }, "consumer")).to.deep.equal({
        id: "0192:991825827",
        orgno: "991825827",
      });
    });

    it("refuses other key casing, authorities, ICDs and number lengths", () => {
      for (const value of [
        { Authority: "iso6523-actorid-upis", ID: "0192:991825827" },
        { authority: "iso6523-actorid-upis", id: "0192:991825827" },
        { authority: "other", ID: "0192:991825827" },
        { authority: "iso6523-actorid-upis", ID: "9908:991825827" },
        { authority: "iso6523-actorid-upis", ID: "0192:99182582" },
        { authority: "iso6523-actorid-upis", ID: "0192:991825827 " },
        "0192:991825827",
        null,
      ]) {
        expect(() => parseActor(value, "supplier"), JSON.stringify(value))
          .to.throw(TokenPartyInvalidError)
          .with.property("code", "token-supplier-invalid");
      }
    });
  });

  describe("toMaskinportenToken", () => {
    const base = {
      scope: "other:scope digitalpostinnbygger:send",
      iat: 1000,
      exp: 1120,
      consumer: { authority: "iso6523-actorid-upis", ID: "0192:991825827" },
    };

    it("finds the required scope among several, as a whole word", () => {
      expect(toMaskinportenToken("raw", base, "digitalpostinnbygger:send").scopes).to.deep.equal([
        "other:scope",
        "digitalpostinnbygger:send",
      ]);
      expect(() => toMaskinportenToken("raw", { ...base, scope: "digitalpostinnbygger:sendx" }, "digitalpostinnbygger:send"))
        .to.throw(TokenScopeMissingError);
      expect(() => toMaskinportenToken("raw", { ...base, scope: undefined }, "digitalpostinnbygger:send")).to.throw(
        TokenScopeMissingError,
      );
    });

    it("requires a consumer (403) and a string scope (401)", () => {
      expect(() => toMaskinportenToken("raw", { ...base, consumer: undefined }, "digitalpostinnbygger:send"))
        .to.throw(TokenConsumerMissingError)
        .with.property("kind", "forbidden");
      expect(() => toMaskinportenToken("raw", { ...base, scope: ["digitalpostinnbygger:send"] } as unknown as JWTPayload, "digitalpostinnbygger:send"))
        .to.throw(TokenInvalidError)
        .with.property("kind", "unauthenticated");
    });
  });

  it("parseScopes splits on spaces and ignores repeated ones", () => {
    expect(parseScopes("a  b")).to.deep.equal(["a", "b"]);
    expect(parseScopes(undefined)).to.deep.equal([]);
  });
});

describe("maskinporten/token: several acceptable scopes", () => {
  it("accepts a token carrying any one of them and names them all when none is there", async () => {
    const { toMaskinportenToken } = await import("../../src/maskinporten/token.js");
    const claims = { scope: "provider:read", consumer: { authority: "iso6523-actorid-upis", ID: "0192:984661185" }, iat: 1, exp: 2 };
    expect(toMaskinportenToken("t", claims, ["digitalpostinnbygger:send", "provider:read"]).consumer).to.equal("0192:984661185");
    expect(() => toMaskinportenToken("t", claims, ["digitalpostinnbygger:send", "other:scope"])).to.throw(/digitalpostinnbygger:send or other:scope/);
  });
});
