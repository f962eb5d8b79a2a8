import { createGrantClient, type GrantClient } from "../../../src/maskinporten/grant-client.js";
import { loadDefaultSimOptions, loadExampleSigner } from "../../../src/sim/maskinporten/defaults.js";
import { startMaskinportenSim, type MaskinportenSim } from "../../../src/sim/maskinporten/server.js";
import { startAltinnBrokerSim, type AltinnBrokerSim } from "../../../src/sim/altinn-broker/index.js";
import { startAltinnTokenSim, type AltinnTokenSim } from "../../../src/sim/altinn-token/index.js";
import { DPO_RESOURCE, type BrokerResource } from "../../../src/sim/altinn-broker/index.js";
import { createAltinnTokens, type AltinnTokens } from "../../../src/channels/dpo/altinn-token.js";
import { createBrokerClient, type BrokerClient } from "../../../src/channels/dpo/broker-client.js";

export const A = "991825827";
export const B = "910076787";
/** An example organisation without access to the DPO resource in these tests. */
export const C = "810969342";
export const SMALL_RESOURCE = "small-resource";

/** Maskinporten, Altinn's token exchange and the broker simulators, with each example organisation's Altinn tokens and broker client. */
export class BrokerWorld {
  private constructor(
    readonly maskinporten: MaskinportenSim,
    readonly altinnToken: AltinnTokenSim,
    readonly broker: AltinnBrokerSim,
    readonly tokens: AltinnTokens,
    readonly client: BrokerClient,
  ) {}

  static async start(): Promise<BrokerWorld> {
    const maskinporten = await startMaskinportenSim({ ...(await loadDefaultSimOptions()), port: 0 });
    const resources: BrokerResource[] = [
      { id: DPO_RESOURCE, organisations: [A, B], maxFileTransferSize: 10 * 1024 * 1024 },
      { id: SMALL_RESOURCE, organisations: [A, B], maxFileTransferSize: 100 },
    ];
    const altinnToken = await startAltinnTokenSim({ maskinporten: { issuer: maskinporten.issuer, jwksUrl: maskinporten.jwksUrl } });
    const broker = await startAltinnBrokerSim({ altinn: { issuer: altinnToken.issuer, jwksUrl: altinnToken.jwksUrl }, resources });
    const grants = new Map<string, GrantClient>();
    const grant = async (org: string) => {
      let g = grants.get(org);
      if (!g) {
        g = createGrantClient({ ...(await loadExampleSigner(org)), audience: maskinporten.issuer, tokenEndpoint: maskinporten.tokenUrl });
        grants.set(org, g);
      }
      return g;
    };
    const tokens = createAltinnTokens({ exchangeUrl: altinnToken.exchangeUrl, maskinporten: async (org, scope, authorizationDetails) => (await (await grant(org)).getToken({ scope, authorizationDetails })).access_token });
    return new BrokerWorld(maskinporten, altinnToken, broker, tokens, createBrokerClient({ baseUrl: broker.url, tokens }));
  }

  async close(): Promise<void> {
    await this.broker.close();
    await this.altinnToken.close();
    await this.maskinporten.close();
  }
}
