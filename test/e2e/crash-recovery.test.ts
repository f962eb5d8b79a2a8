import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { messagesOutForm, postMessage } from "../../src/client/messages-out-client.js";
import type { RunningAccessPoint } from "../../src/server.js";
import { certificate, CERTS } from "../helpers/certs.js";
import { ChildAccessPoint, freePort } from "../helpers/child-access-point.js";
import { DpiNetwork, eventually, PROVIDERS, SENDERS } from "../helpers/dpi-network.js";
import { buildMessage } from "../helpers/letters.js";

const AVSENDER = "910076787";
const DIGIPOST = "984661185";
const LETTERS = 24;

/**
 * Corner 3 runs as its own process (production mode, configured only by environment variables) and is
 * killed with SIGKILL while letters are arriving. After a restart on the same database every letter must be
 * there exactly once, and corner 2 must have every letter SENDT.
 */
describe("e2e: corner 3 killed mid-run loses and duplicates nothing", function () {
  this.timeout(120_000);
  let net: DpiNetwork;
  let c2: RunningAccessPoint;
  let dir: string;
  let port: number;
  let child: ChildAccessPoint | undefined;

  function startC3(): ChildAccessPoint {
    const c = (rel: string) => path.join(CERTS, rel);
    const env = {
      DPI_AP_SANDBOX: "false",
      DPI_AP_HOST: "127.0.0.1",
      DPI_AP_PORT: String(port),
      DPI_AP_DATABASE_URL: `file:${path.join(dir, "c3.db")}`,
      DPI_AP_DATA_DIR: dir,
      DPI_AP_LOG_LEVEL: "warn",
      DPI_AP_MASKINPORTEN_ISSUER: net.sandbox.maskinporten.issuer,
      DPI_AP_MASKINPORTEN_JWKS_URL: net.sandbox.maskinporten.jwksUrl,
      DPI_AP_BUSINESS_TRUST_ANCHORS: [c("business/root-ca.pem"), c("business/intermediate-ca.pem")].join(","),
      DPI_AP_SERVED_PARTICIPANTS: PROVIDERS.join(","),
      DPI_AP_AS4_KEYSTORE: c("ap/POP000002.p12"),
      DPI_AP_AS4_KEYSTORE_PASSWORD: "changeit",
      DPI_AP_PEPPOL_AP_TRUST_ANCHORS: [c("ap/root-ca.pem"), c("ap/intermediate-ca.pem")].join(","),
      DPI_AP_SMP_TRUST_ANCHORS: [c("smp/root-ca.pem"), c("smp/intermediate-ca.pem")].join(","),
      DPI_AP_STATIC_CRLS: [c("smp/intermediate-ca.crl.pem"), c("business/intermediate-ca.crl.pem")].join(","),
      DPI_AP_REVOCATION_URL_MAP: `http://127.0.0.1:8899=${net.sandbox.pki.url}`,
      DPI_AP_SML_MODE: "naptr",
      DPI_AP_SML_ZONE: net.sandbox.zone,
      DPI_AP_DNS_SERVERS: net.sandbox.dnsServer,
      DPI_AP_SMP_ALLOW_HTTP: "true",
    };
    return new ChildAccessPoint(env, port);
  }


  before(async () => {
    net = await DpiNetwork.start();
    c2 = await net.corner({ name: "c2", seat: "POP000001", served: SENDERS, receives: "receipts" });
    dir = await mkdtemp(path.join(os.tmpdir(), "dpi-ap-c3-"));
    port = await freePort();
    await net.sandbox.registerAccessPoint({ endpointUrl: `http://127.0.0.1:${port}/as4`, certificate: certificate("ap/POP000002.pem"), participants: PROVIDERS, receives: "letters" });
  });
  after(async () => {
    await child?.kill();
    await net?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("every letter reaches corner 3 exactly once", async () => {
    child = startC3();
    await child.ready();
    const token = await net.token(AVSENDER);
    const ids: string[] = [];
    for (let i = 0; i < LETTERS; i++) {
      const m = await buildMessage({ token });
      const r = await postMessage(c2.url, token, messagesOutForm(m.jws, m.cms));
      expect(r.status).to.equal(201);
      ids.push(m.messageId);
      if (i === 8) {
        await eventually("a few letters SENDT", async () => ((await sentCount(ids, token)) >= 3 ? true : undefined));
        await child.kill();
      }
    }
    child = startC3();
    await child.ready();
    await eventually(`all ${LETTERS} SENDT`, async () => ((await sentCount(ids, token)) === LETTERS ? true : undefined), 60_000);

    const providerToken = await net.token(DIGIPOST);
    const res = await fetch(`http://127.0.0.1:${port}/messages/in?page_size=1000`, { headers: { authorization: `Bearer ${providerToken}` } });
    expect(res.status, child.log).to.equal(200);
    const list = (await res.json()) as { forretningsmelding: string }[];
    const received = list.map((m) => JSON.parse(Buffer.from(m.forretningsmelding.split(".")[1]!, "base64url").toString()).standardBusinessDocument.standardBusinessDocumentHeader.documentIdentification.instanceIdentifier as string);
    expect(received.length, "no duplicates").to.equal(new Set(received).size);
    expect([...received].sort()).to.deep.equal([...ids].sort());
    const attempts = await Promise.all(ids.map(async (id) => (await c2.repo.get("OUT", id))!.attempts));
    expect(Math.max(...attempts), "some letters met the dead corner 3 and were sent again").to.be.greaterThan(1);
  });

  async function sentCount(ids: string[], token: string): Promise<number> {
    let n = 0;
    for (const id of ids) {
      const r = await fetch(`${c2.url}/messages/out/${id}/statuses`, { headers: { authorization: `Bearer ${token}` } });
      const s = (await r.json()) as { status: string }[];
      if (s.some((x) => x.status === "FEILET")) throw new Error(`${id} FEILET: ${JSON.stringify(s)}`);
      if (s.some((x) => x.status === "SENDT")) n++;
    }
    return n;
  }
});
