import { expect } from "chai";
import { ConfigError, loadConfig } from "../../../src/config.js";
import { withSandboxDefaults } from "../../../src/sim/sandbox-config.js";

describe("DPO configuration", () => {
  it("defaults: the integrasjonspunkt's resource, a 15 s poll, no message channel, broker URLs from the sandbox", () => {
    const c = loadConfig(withSandboxDefaults({}));
    expect(c.dpo).to.deep.equal({ brokerUrl: undefined, resource: "eformidling-dpo-meldingsutveksling", pollMs: 15_000, messageChannel: undefined });
  });

  it("reads the variables", () => {
    const c = loadConfig(
      withSandboxDefaults({
        DPI_AP_DPO_BROKER_URL: "https://platform.tt02.altinn.no/broker/api/v1/",
        DPI_AP_ALTINN_TOKEN_EXCHANGE_URL: "https://platform.tt02.altinn.no/authentication/api/v1/exchange/maskinporten",
        DPI_AP_DPO_RESOURCE: "min-ressurs",
        DPI_AP_DPO_POLL_MS: "5000",
        DPI_AP_DPO_MESSAGE_CHANNEL: "kanal-1",
      }),
    );
    expect(c.altinn.tokenExchangeUrl).to.equal("https://platform.tt02.altinn.no/authentication/api/v1/exchange/maskinporten");
    expect(c.dpo).to.deep.equal({
      brokerUrl: "https://platform.tt02.altinn.no/broker/api/v1",
      resource: "min-ressurs",
      pollMs: 5000,
      messageChannel: "kanal-1",
    });
  });

  it("refuses a message channel the integrasjonspunkt could not tell from a UUID reference", () => {
    expect(() => loadConfig(withSandboxDefaults({ DPI_AP_DPO_MESSAGE_CHANNEL: "a-channel-name-longer-than-25" }))).to.throw(ConfigError, /DPI_AP_DPO_MESSAGE_CHANNEL/);
  });
});
