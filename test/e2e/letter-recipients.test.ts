import { expect } from "chai";
import { messagesOutForm, postMessage } from "../../src/client/messages-out-client.js";
import { DpiNetwork, eventually, SENDERS } from "../helpers/dpi-network.js";
import { buildMessage } from "../helpers/letters.js";

/** A served participant that is not a letter recipient (a sender) is answered NOT_SERVICED for letters. */
describe("e2e: letters only for the participants that take letters", function () {
  this.timeout(60_000);
  let net: DpiNetwork;
  after(async () => {
    await net?.close();
  });

  it("a letter to a served sender ends FEILET with PEPPOL:NOT_SERVICED", async () => {
    net = await DpiNetwork.start();
    const ap = await net.corner({ name: "c2", seat: "POP000001", served: SENDERS, receives: "receipts", env: { DPI_AP_LETTER_RECIPIENTS: "" } });
    // Someone published this sender as receiving letters at our endpoint; we must still refuse them.
    await net.sandbox.registerAccessPoint({ endpointUrl: `${ap.url}/as4`, certificate: ap.as4Certificate, participants: ["0192:991825827"], receives: "both" });
    const token = await net.token("910076787");
    const letter = await buildMessage({ token, receiver: "0192:991825827" });
    expect((await postMessage(ap.url, token, messagesOutForm(letter.jws, letter.cms))).status).to.equal(201);
    const statuses = await eventually("FEILET", async () => {
      const r = await fetch(`${ap.url}/messages/out/${letter.messageId}/statuses`, { headers: { authorization: `Bearer ${token}` } });
      const s = (await r.json()) as { status: string; beskrivelse?: string }[];
      return s.some((x) => x.status === "FEILET") ? s : undefined;
    });
    expect(statuses.at(-1)!.beskrivelse).to.match(/EBMS:0004.*PEPPOL:NOT_SERVICED/);
  });
});
