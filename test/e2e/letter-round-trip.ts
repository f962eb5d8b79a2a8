import { expect } from "chai";
import { messagesOutForm, postMessage } from "../../src/client/messages-out-client.js";
import type { RunningAccessPoint } from "../../src/server.js";
import { buildMessage } from "../helpers/letters.js";
import { DpiNetwork, eventually, getJson } from "../helpers/dpi-network.js";

export const AVSENDER = "910076787";
export const DIGIPOST = "984661185";

/**
 * One letter from corner 1 through corner 2 and corner 3 to the postbox, which downloads it (checked byte for byte)
 * and sends its leveringskvittering back, until corner 2 shows LEVERT: the journey the payload-store tests follow
 * before they look at where the payloads were kept.
 */
export async function letterAndReceipt(
  net: DpiNetwork,
  c2: RunningAccessPoint,
  c3: RunningAccessPoint,
  label: string,
): Promise<{ messageId: string; cms: Buffer }> {
  const token = await net.token(AVSENDER);
  const letter = await buildMessage({ token });
  const cms = Buffer.from(letter.cms!);
  const posted = await postMessage(c2.url, token, messagesOutForm(letter.jws, letter.cms), label);
  expect(posted.status, JSON.stringify(posted.body)).to.equal(201);
  await eventually("SENDT at corner 2", async () => {
    const r = await getJson(c2, `/messages/out/${letter.messageId}/statuses`, token);
    return r.body.some((s: { status: string }) => s.status === "SENDT") ? r.body : undefined;
  });

  // Corner 3 took the dokumentpakke from AS4 into its store and serves it from there.
  const providerToken = await net.token(DIGIPOST);
  const inbox = await eventually("the letter at corner 3", async () => {
    const r = await getJson(c3, "/messages/in", providerToken);
    return r.status === 200 && r.body.length ? (r.body as { forretningsmelding: string; downloadurl: string }[]) : undefined;
  });
  const item = inbox.find((i) => i.forretningsmelding === letter.jws);
  expect(item).to.not.equal(undefined);
  const dl = await fetch(item!.downloadurl, { headers: { authorization: `Bearer ${providerToken}` } });
  expect(dl.status).to.equal(200);
  expect(dl.headers.get("content-length")).to.equal(String(cms.length));
  expect(Buffer.from(await dl.arrayBuffer()).equals(cms)).to.equal(true);

  const receipt = await buildMessage({ type: "leveringskvittering", conversationId: letter.conversationId, receiver: `0192:${AVSENDER}` });
  const r = await postMessage(c3.url, providerToken, messagesOutForm(receipt.jws));
  expect(r.status, JSON.stringify(r.body)).to.equal(201);
  await eventually("LEVERT at corner 2", async () => {
    const t = await getJson(c2, `/status/${letter.conversationId}`, token);
    const events = t.body?.events?.map((e: { status: string }) => e.status);
    return events?.includes("LEVERT") ? events : undefined;
  });
  return { messageId: letter.messageId, cms };
}
