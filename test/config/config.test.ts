import { readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { ConfigError, loadConfig } from "../../src/config.js";

const ROOT = path.resolve(import.meta.dirname, "../..");

describe("config", () => {
  it("documents every environment variable it reads in the README's configuration table", () => {
    const read = new Set(readFileSync(path.join(ROOT, "src/config.ts"), "utf8").match(/DPI_AP_[A-Z0-9_]+/g));
    const documented = new Set(readFileSync(path.join(ROOT, "README.md"), "utf8").match(/`DPI_AP_[A-Z0-9_]+`/g)!.map((v) => v.slice(1, -1)));
    expect([...read].filter((v) => !documented.has(v))).to.deep.equal([]);
  });

  it("defaults to a complete sandbox", () => {
    const c = loadConfig({});
    expect(c.sandbox.enabled).to.equal(true);
    expect(c.as4.keystore).to.match(/POP000001\.p12$/);
    expect(c.servedParticipants).to.include("0192:991825827");
  });

  it("outside the sandbox, names every missing setting at once", () => {
    const err = (() => {
      try {
        loadConfig({ DPI_AP_SANDBOX: "false" });
      } catch (e) {
        return e;
      }
    })() as ConfigError;
    expect(err).to.be.instanceOf(ConfigError);
    const names = err.problems.map((p) => p.split(":")[0]);
    expect(names).to.include.members([
      "DPI_AP_MASKINPORTEN_ISSUER",
      "DPI_AP_MASKINPORTEN_JWKS_URL",
      "DPI_AP_BUSINESS_TRUST_ANCHORS",
      "DPI_AP_SERVED_PARTICIPANTS",
      "DPI_AP_AS4_KEYSTORE",
      "DPI_AP_PEPPOL_AP_TRUST_ANCHORS",
      "DPI_AP_SMP_TRUST_ANCHORS",
      "DPI_AP_SML_MODE",
    ]);
  });

  it("rejects malformed values", () => {
    expect(() => loadConfig({ DPI_AP_PORT: "http" })).to.throw(ConfigError, /DPI_AP_PORT/);
    expect(() => loadConfig({ DPI_AP_SERVED_PARTICIPANTS: "12345" })).to.throw(ConfigError, /not an organisation number/);
    expect(() => loadConfig({ DPI_AP_REVOCATION_URL_MAP: "nonsense" })).to.throw(ConfigError, /prefix=replacement/);
    expect(() => loadConfig({ DPI_AP_SML_MODE: "static" })).to.throw(ConfigError, /DPI_AP_SMP_URL/);
  });
});

describe("config: sandbox safety", () => {
  it("refuses the implicit sandbox on a non-loopback interface, but honours an explicit choice", () => {
    expect(() => loadConfig({ DPI_AP_HOST: "0.0.0.0" })).to.throw(ConfigError, /sandbox mode is the default only on loopback/);
    expect(loadConfig({ DPI_AP_HOST: "0.0.0.0", DPI_AP_SANDBOX: "true" }).sandbox.enabled).to.equal(true);
  });
});
