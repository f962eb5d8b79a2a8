import { randomBytes } from "node:crypto";
import { readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { messagesOutForm, postMessage } from "../../src/client/messages-out-client.js";
import { encryptDokumentpakke } from "../../src/dpi/dokumentpakke.js";
import { certificate } from "../helpers/certs.js";
import { DpiNetwork, eventually, PROVIDERS, SENDERS } from "../helpers/dpi-network.js";
import { buildMessage } from "../helpers/letters.js";

/** Corner 3 derives its AS4 size limits from its dokumentpakke limit and refuses bigger messages while they stream in. */
describe("e2e: AS4 size limits at corner 3", function () {
  this.timeout(60_000);
  let net: DpiNetwork;
  const c3dir = path.join(tmpdir(), `dpi-ap-limit-${process.pid}-${Date.now()}`);
  after(async () => {
    await net?.close();
    await rm(c3dir, { recursive: true, force: true });
  });

  it("refuses a letter beyond its limit with an EBMS error and keeps nothing of it", async () => {
    net = await DpiNetwork.start();
    const c2 = await net.corner({ name: "c2", seat: "POP000001", served: SENDERS, receives: "receipts" });
    await net.corner({ name: "c3", seat: "POP000002", served: PROVIDERS, receives: "letters", dir: c3dir, env: { DPI_AP_MAX_DOKUMENTPAKKE_BYTES: "20000" } });
    const token = await net.token("910076787");
    const cms = await encryptDokumentpakke(randomBytes(3 * 1024 * 1024), certificate("business/984661185.pem"));
    const letter = await buildMessage({ token, cms });
    expect((await postMessage(c2.url, token, messagesOutForm(letter.jws, letter.cms))).status).to.equal(201);
    const statuses = await eventually("FEILET", async () => {
      const r = await fetch(`${c2.url}/messages/out/${letter.messageId}/statuses`, { headers: { authorization: `Bearer ${token}` } });
      const s = (await r.json()) as { status: string; beskrivelse?: string }[];
      return s.some((x) => x.status === "FEILET") ? s : undefined;
    });
    expect(statuses.at(-1)!.beskrivelse).to.match(/EBMS:\d{4}/);
    expect(statuses.at(-1)!.beskrivelse).to.match(/exceed|limit|larger/i);
    expect(await readdir(path.join(c3dir, "as4-tmp"))).to.deep.equal([]);
    expect((await readdir(path.join(c3dir, "blobs"))).filter((f) => f !== ".tmp")).to.deep.equal([]);
  });
});
