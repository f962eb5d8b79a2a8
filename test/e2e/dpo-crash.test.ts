import { expect } from "chai";
import { NextMoveClient } from "../../src/client/nextmove-client.js";
import type { HeldAction } from "../../src/sim/altinn-broker/index.js";
import { ChildAccessPoint, freePort } from "../helpers/child-access-point.js";
import { DpiNetwork, eventually } from "../helpers/dpi-network.js";
import { A, B, idOf, sendArkivmelding } from "../helpers/dpo-messages.js";

/**
 * B's access point runs as its own process (production mode, configured only by environment variables) and is
 * killed with SIGKILL while it takes a DPO message from the broker: once in the middle of the download, once
 * after the message is committed but before the broker heard the confirmation. After a restart on the same
 * database the message is in B's inbox exactly once, the broker has it confirmed, and A heard MOTTATT once.
 */
describe("e2e: DPO receiver killed between download and confirm delivers once", function () {
  this.timeout(120_000);
  let net: DpiNetwork;
  let arkivA: NextMoveClient;
  let arkivB: NextMoveClient;
  let port: number;
  let child: ChildAccessPoint | undefined;
  const dpo = { DPI_AP_NEXTMOVE_CHANNELS: "DPI,DPO", DPI_AP_DPO_POLL_MS: "200" };

  async function restartB(): Promise<void> {
    const env = net.processEnv({ name: "b", seat: "POP000002", served: [`0192:${B}`], env: { ...dpo, DPI_AP_NEXTMOVE_USERS: `arkiv-b:hemmelig:${B}` } }, port);
    child = new ChildAccessPoint(env, port);
    await child.ready();
  }

  async function killB(): Promise<void> {
    await child!.kill();
    child = undefined;
  }

  const recipientStatus = (transferId: string) => net.sandbox.altinnBroker.state.all().find((t) => t.fileTransferId === transferId)!.recipients[0]!.status;

  before(async () => {
    net = await DpiNetwork.start();
    const apA = await net.corner({ name: "a", seat: "POP000001", served: [`0192:${A}`], receives: "receipts", env: { ...dpo, DPI_AP_NEXTMOVE_USERS: `arkiv-a:hemmelig:${A}` } });
    arkivA = new NextMoveClient(apA.url, { user: "arkiv-a", password: "hemmelig" });
    port = await freePort();
    arkivB = new NextMoveClient(`http://127.0.0.1:${port}`, { user: "arkiv-b", password: "hemmelig" });
  });
  after(async () => {
    await child?.kill();
    await net?.close();
  });

  /** Sends A → B with the broker holding B's `action`, kills B when it arrives, restarts B; the message id and its transfer. */
  async function killedAt(action: HeldAction): Promise<{ id: string; transferId: string }> {
    const held = net.sandbox.altinnBroker.holdNext(action);
    await restartB();
    const id = await sendArkivmelding(arkivA);
    const transferId = await held;
    await killB();
    // The broker never heard B confirm: the file waits for B as downloaded but unconfirmed.
    expect(recipientStatus(transferId), child?.log).to.equal("DownloadStarted");
    await restartB();
    await eventually("the transfer confirmed", async () => (recipientStatus(transferId) === "DownloadConfirmed" ? true : undefined));
    return { id, transferId };
  }

  async function inboxIds(): Promise<string[]> {
    const ids: string[] = [];
    for (;;) {
      const peeked = await arkivB.get("/api/messages/in/peek");
      if (peeked.status === 204) return ids;
      expect(peeked.status, JSON.stringify(peeked.body)).to.equal(200);
      const id = idOf(peeked.body);
      ids.push(id);
      expect((await arkivB.delete(`/api/messages/in/${id}`)).status).to.equal(200);
    }
  }

  it("killed after committing, before the broker heard the confirmation: delivered once, MOTTATT once", async () => {
    const { id } = await killedAt("confirmdownload");
    expect(await arkivB.statuses(id)).to.deep.equal(["OPPRETTET", "INNKOMMENDE_MOTTATT"]);
    await eventually("A hears MOTTATT", async () => ((await arkivA.statuses(id)).includes("MOTTATT") ? true : undefined));
    expect(await inboxIds()).to.deep.equal([id]);
    await eventually("A hears LEVERT", async () => ((await arkivA.statuses(id)).includes("LEVERT") ? true : undefined));
    expect(await arkivA.statuses(id)).to.deep.equal(["OPPRETTET", "SENDT", "MOTTATT", "LEVERT"]);
    await killB();
  });

  it("killed in the middle of the download: delivered once after the restart", async () => {
    const { id } = await killedAt("download");
    expect(await arkivB.statuses(id)).to.deep.equal(["OPPRETTET", "INNKOMMENDE_MOTTATT"]);
    expect(await inboxIds()).to.deep.equal([id]);
    await eventually("A hears LEVERT", async () => ((await arkivA.statuses(id)).includes("LEVERT") ? true : undefined));
    expect(await arkivA.statuses(id)).to.deep.equal(["OPPRETTET", "SENDT", "MOTTATT", "LEVERT"]);
  });
});
