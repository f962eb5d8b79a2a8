import { hashPassword } from "../../src/console/password.js";
import { messagesOutForm, postMessage } from "../../src/client/messages-out-client.js";
import { silentLogger } from "../../src/log.js";
import { startAccessPoint, type RunningAccessPoint } from "../../src/server.js";
import { OIDC_SANDBOX } from "../../src/sim/oidc/index.js";
import type { Db } from "../../src/store/prisma.js";
import { DpiNetwork, eventually, PROVIDERS, SENDERS } from "./dpi-network.js";
import { buildMessage } from "./letters.js";

/**
 * A DPI network for the console's tests: corner 2 with the console switched on (an operator and a viewer; with
 * `oidc`, login at the sandbox's OIDC simulator too, its users in OIDC_SANDBOX), and
 * corner 3 that can be stopped and started again, so letters can be delivered, left failing in back-off, retried
 * and cancelled. The back-off is a minute: nothing in a test is retried unless the console says so.
 */

export const OPERATOR = { user: "ola.operator", password: "operator password 1" };
export const VIEWER = { user: "vera.viewer", password: "viewer password 12" };
/** A cheap scrypt cost: the tests log in often, and the cost is not what they check. */
const TEST_COST = { N: 1024, r: 8, p: 1 };

export class ConsoleNetwork {
  private constructor(
    readonly net: DpiNetwork,
    readonly c2: RunningAccessPoint,
    public c3: RunningAccessPoint | undefined,
  ) {}

  static async start(o: { oidc?: boolean } = {}): Promise<ConsoleNetwork> {
    const net = await DpiNetwork.start();
    try {
      const users = [`${OPERATOR.user}:operator:${await hashPassword(OPERATOR.password, TEST_COST)}`, `${VIEWER.user}:viewer:${await hashPassword(VIEWER.password, TEST_COST)}`];
      const config = net.config({
        name: "c2",
        seat: "POP000001",
        served: SENDERS,
        env: { DPI_AP_CONSOLE_USERS: users.join(","), DPI_AP_RETRY_BASE_MS: "60000", DPI_AP_RETRY_MAX_MS: "60000", DPI_AP_CONSOLE_REFRESH_SECONDS: "2", ...(o.oidc ? oidcEnv(net.sandbox.oidc.issuer) : {}) },
      });
      // As DpiNetwork.corner does, but with the retry jitter pinned to its ceiling: a failed letter waits the full
      // minute, so only the console makes it due sooner.
      const c2 = await startAccessPoint(config, { log: silentLogger, revocationUrlRewrite: (u) => net.sandbox.revocationUrlRewrite(u), random: () => 1 });
      net.corners.set("c2", c2);
      if (o.oidc) net.sandbox.oidc.state.addRedirectUri(OIDC_SANDBOX.client.clientId, `${c2.url}/console/oidc/callback`);
      await net.sandbox.registerAccessPoint({ endpointUrl: `${c2.url}/as4`, certificate: c2.as4Certificate, participants: SENDERS, receives: "receipts" });
      const c = new ConsoleNetwork(net, c2, undefined);
      await c.startC3();
      return c;
    } catch (err) {
      await net.close();
      throw err;
    }
  }

  private c3Port: number | undefined;

  /**
   * Corner 3 (again, on its own database and its first port: corner 2 keeps the SMP's answer for a while, so
   * a corner 3 back at another address would not be found).
   */
  async startC3(): Promise<RunningAccessPoint> {
    // Without the sandbox's console users: corner 3 shows an access point with no console.
    this.c3 = await this.net.corner({ name: "c3", seat: "POP000002", served: PROVIDERS, receives: "letters", env: { DPI_AP_CONSOLE_USERS: "", ...(this.c3Port ? { DPI_AP_PORT: String(this.c3Port) } : {}) } });
    this.c3Port = this.c3.port;
    return this.c3;
  }

  async stopC3(): Promise<void> {
    await this.c3?.close();
    this.c3 = undefined;
  }

  get db(): Db {
    return this.c2.repo.db;
  }

  /** Posts a letter to corner 2; returns its message id. */
  async sendLetter(): Promise<string> {
    const token = await this.net.token("910076787");
    const m = await buildMessage({ token });
    const r = await postMessage(this.c2.url, token, messagesOutForm(m.jws, m.cms));
    if (r.status !== 201) throw new Error(`letter refused: ${r.status}`);
    return m.messageId.toLowerCase();
  }

  async statusOf(messageId: string): Promise<string | undefined> {
    return (await this.c2.repo.get("OUT", messageId))?.status;
  }

  /** Waits until the letter has `status`. */
  async waitFor(messageId: string, status: string): Promise<void> {
    await eventually(`${messageId} ${status}`, async () => ((await this.statusOf(messageId)) === status ? true : undefined));
  }

  /** Waits until a send of the letter failed and it waits in back-off. */
  async waitFailing(messageId: string): Promise<void> {
    await eventually(`${messageId} failing`, async () => {
      const c = await this.c2.repo.get("OUT", messageId);
      return c && c.attempts >= 1 && c.lastError && c.nextAttemptAt ? true : undefined;
    });
  }

  /**
   * The console tests' scenario: one letter delivered (SENDT), then corner 3 stopped and two more letters whose
   * sends failed and wait in back-off.
   */
  async deliveredAndTwoFailing(): Promise<{ delivered: string; failingA: string; failingB: string }> {
    const delivered = await this.sendLetter();
    await this.waitFor(delivered, "SENDT");
    await this.stopC3();
    const failingA = await this.sendLetter();
    const failingB = await this.sendLetter();
    await this.waitFailing(failingA);
    await this.waitFailing(failingB);
    return { delivered, failingA, failingB };
  }

  async close(): Promise<void> {
    await this.net.close();
  }
}

/** The console's OIDC settings for the sandbox's simulator at `issuer`. */
export function oidcEnv(issuer: string): Record<string, string> {
  return {
    DPI_AP_CONSOLE_OIDC_ISSUER: issuer,
    DPI_AP_CONSOLE_OIDC_CLIENT_ID: OIDC_SANDBOX.client.clientId,
    DPI_AP_CONSOLE_OIDC_CLIENT_SECRET: OIDC_SANDBOX.client.clientSecret,
    DPI_AP_CONSOLE_OIDC_NAME: OIDC_SANDBOX.providerName,
    DPI_AP_CONSOLE_OIDC_OPERATOR_VALUES: OIDC_SANDBOX.operatorGroup,
    DPI_AP_CONSOLE_OIDC_VIEWER_VALUES: OIDC_SANDBOX.viewerGroup,
  };
}
