import { expect } from "chai";
import { messagesOutForm, postMessage } from "../../src/client/messages-out-client.js";
import { encodeIdentifierForUrl, norwegianParticipantId } from "../../src/peppol/identifiers.js";
import { parseServiceGroup } from "../../src/peppol/smp-xml.js";
import type { RunningAccessPoint } from "../../src/server.js";
import { buildMessage } from "../helpers/letters.js";
import { DpiNetwork, eventually, getJson, PROVIDERS } from "../helpers/dpi-network.js";

/** Issue #19, "Oppsett": corner 2 signs up a new sender, registers it in the SMP, and its receipts find corner 2. */
const NEW_SENDER = "910076787";
const DIGIPOST = "984661185";
const ADMIN = { user: "operator", password: "operator-secret-1" };
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}`;

describe("e2e: onboarding a sender through the admin API; its receipt travels by SML (DNS) and SMP to corner 2", function () {
  this.timeout(90_000);
  let net: DpiNetwork;
  let c2: RunningAccessPoint;
  let c3: RunningAccessPoint;
  const admin = (path: string, init: RequestInit = {}, auth = basic(ADMIN.user, ADMIN.password)) =>
    fetch(`${c2.url}/admin${path}`, { ...init, headers: { authorization: auth, "content-type": "application/json", ...(init.headers ?? {}) } });
  const smpGroup = (orgno: string) => fetch(`${net.sandbox.smp.url}/${encodeIdentifierForUrl(norwegianParticipantId(orgno))}`);

  before(async () => {
    net = await DpiNetwork.start();
    const m = net.sandbox.smpManagement;
    c2 = await net.corner({
      name: "c2",
      seat: "POP000001",
      served: ["0192:991825827"],
      receives: "receipts",
      env: {
        DPI_AP_LETTER_RECIPIENTS: "",
        DPI_AP_SMP_MANAGEMENT_URL: m.url,
        DPI_AP_SMP_MANAGEMENT_USER: m.user,
        DPI_AP_SMP_MANAGEMENT_PASSWORD: m.password,
        DPI_AP_ADMIN_USER: ADMIN.user,
        DPI_AP_ADMIN_PASSWORD: ADMIN.password,
      },
    });
    c3 = await net.corner({ name: "c3", seat: "POP000002", served: PROVIDERS, receives: "letters" });
  });
  after(async () => {
    await net?.close();
  });

  it("refuses the admin API without the admin credential: 401 admin-unauthenticated", async () => {
    for (const auth of ["", basic(ADMIN.user, "wrong-password-x"), "Bearer abc"]) {
      const r = await admin("/participants", {}, auth);
      expect(r.status).to.equal(401);
      expect(r.headers.get("content-type")).to.match(/^application\/problem\+json/);
      expect(r.headers.get("www-authenticate")).to.match(/^Basic /);
      expect(((await r.json()) as { type: string }).type).to.equal("urn:dpi-ap:problem:admin-unauthenticated");
    }
  });

  it("answers invalid input with its problem type", async () => {
    const bad = await admin("/participants", { method: "POST", body: JSON.stringify({ participant: NEW_SENDER, role: "archive" }) });
    expect(bad.status).to.equal(400);
    expect(((await bad.json()) as { type: string }).type).to.equal("urn:dpi-ap:problem:participant-invalid");
    const notJson = await admin("/participants", { method: "POST", body: "{" });
    expect(notJson.status).to.equal(400);
    expect(((await notJson.json()) as { type: string }).type).to.equal("urn:dpi-ap:problem:admin-body-invalid");
    const unknown = await admin("/participants/0192:974761076", { method: "DELETE" });
    expect(unknown.status).to.equal(404);
    expect(((await unknown.json()) as { type: string }).type).to.equal("urn:dpi-ap:problem:participant-not-found");
  });

  it("a new sender is refused before onboarding, and after it its letter goes out and its receipt comes back", async () => {
    const token = await net.token(NEW_SENDER);
    const early = await buildMessage({ token });
    const refused = await postMessage(c2.url, token, messagesOutForm(early.jws, early.cms));
    expect((refused.body as { type: string }).type).to.equal("urn:dpi-ap:problem:sender-not-served");
    expect((await smpGroup(NEW_SENDER)).status).to.equal(404);

    const added = await admin("/participants", { method: "POST", body: JSON.stringify({ participant: NEW_SENDER, role: "sender" }) });
    expect(added.status).to.equal(201);
    expect(await added.json()).to.include({ participant: `0192:${NEW_SENDER}`, role: "sender", state: "registered", smpManaged: true });
    const again = await admin("/participants", { method: "POST", body: JSON.stringify({ participant: `0192:${NEW_SENDER}`, role: "sender" }) });
    expect(again.status).to.equal(200);
    const group = parseServiceGroup(await (await smpGroup(NEW_SENDER)).text());
    expect(group.references.map((r) => r.documentType!.value.replace(/.*schema:/, "")).sort()).to.deep.equal(
      ["aapningskvittering::1.0", "feil::1.0", "leveringskvittering::1.0", "mottakskvittering::1.0", "returpostkvittering::1.0", "varslingfeiletkvittering::1.0"],
    );
    const list = (await (await admin("/participants")).json()) as { participant: string; role: string; state: string }[];
    expect(list.map((p) => [p.participant, p.role, p.state])).to.deep.equal([
      ["0192:910076787", "sender", "registered"],
      ["0192:991825827", "sender", "registered"],
    ]);

    const letter = await buildMessage({ token });
    const posted = await postMessage(c2.url, token, messagesOutForm(letter.jws, letter.cms), "onboarding");
    expect(posted.status, JSON.stringify(posted.body)).to.equal(201);
    const providerToken = await net.token(DIGIPOST);
    await eventually("the letter at corner 3", async () => {
      const r = await getJson(c3, "/messages/in", providerToken);
      return r.status === 200 ? (r.body as { forretningsmelding: string }[]).find((i) => i.forretningsmelding === letter.jws) : undefined;
    });
    // Corner 3 finds corner 2 for the new sender only through SML (DNS) and the SMP registration made above.
    const receipt = await buildMessage({ type: "leveringskvittering", conversationId: letter.conversationId, receiver: `0192:${NEW_SENDER}` });
    expect((await postMessage(c3.url, providerToken, messagesOutForm(receipt.jws))).status).to.equal(201);
    const received = await eventually("the receipt at corner 2", async () => {
      const res = await getJson(c2, "/messages/in?kanal=onboarding", token);
      return res.status === 200 && res.body.length > 0 ? (res.body as { forretningsmelding: string }[]) : undefined;
    });
    expect(received.map((m) => m.forretningsmelding)).to.deep.equal([receipt.jws]);
  });

  it("removing the sender takes it out of the SMP and stops serving it", async () => {
    const removed = await admin(`/participants/${NEW_SENDER}`, { method: "DELETE" });
    expect(removed.status).to.equal(204);
    expect((await smpGroup(NEW_SENDER)).status).to.equal(404);
    const token = await net.token(NEW_SENDER);
    const late = await buildMessage({ token });
    expect(((await postMessage(c2.url, token, messagesOutForm(late.jws, late.cms))).body as { type: string }).type).to.equal("urn:dpi-ap:problem:sender-not-served");
  });
});
