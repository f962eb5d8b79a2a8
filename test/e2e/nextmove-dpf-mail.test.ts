import { expect } from "chai";
import { FORSENDELSE_ID_HEADER } from "../../src/channels/dpf/mail-message.js";
import type { RunningAccessPoint } from "../../src/server.js";
import { SR_SANDBOX } from "../../src/sim/service-registry/index.js";
import type { SmtpSim } from "../../src/sim/smtp/index.js";
import type { SvarUtSim } from "../../src/sim/svarut/index.js";
import { DpiNetwork, eventually, SENDERS } from "../helpers/dpi-network.js";

/**
 * DPF's mail delivery through a whole access point (DPI_AP_DPF_MAIL_ON_ERROR=true): SvarInn's poller takes in a
 * forsendelse that cannot be converted, the mail worker sends it through the sandbox's SMTP simulator, and a level-4
 * mail's link is served under the access point's own /api with the NextMove API's authentication.
 */

const ORG = "991825827";
const TO = "arkiv@a.example";
const PDF = Buffer.from("%PDF-1.4 gradert\n");

describe("e2e: DPF mail delivery through the access point and the sandbox's SMTP server", function () {
  this.timeout(90_000);
  let net: DpiNetwork;
  let ap: RunningAccessPoint;
  let svarUt: SvarUtSim;
  let smtp: SmtpSim;

  before(async () => {
    net = await DpiNetwork.start();
    svarUt = net.sandbox.svarUt;
    smtp = net.sandbox.smtp;
    ap = await net.corner({
      name: "mail",
      seat: "POP000001",
      served: SENDERS,
      receives: "receipts",
      env: {
        DPI_AP_NEXTMOVE_USERS: `arkiv:hemmelig:${ORG},annen:hemmelig:810969342`,
        DPI_AP_NEXTMOVE_CHANNELS: "DPI,DPF",
        DPI_AP_DPF_SVARINN_POLL_MS: "200",
        DPI_AP_DPF_MAIL_ON_ERROR: "true",
        DPI_AP_DPF_MAIL_TO: `${ORG}=${TO}`,
        DPI_AP_DPF_MAIL_POLL_MS: "200",
        DPI_AP_SMTP_HOST: smtp.host,
        DPI_AP_SMTP_PORT: String(smtp.port),
        DPI_AP_MAIL_FROM: "dpi-ap@ap.example",
      },
    });
  });
  after(() => net?.close());

  it("level 4, unconvertible: mailed with a link under /api that needs the organisation's NextMove credentials; the timeline says so", async () => {
    const id = svarUt.putInSvarInn({
      mottaker: ORG,
      tittel: "Gradert svar",
      niva: 4,
      svarSendesTil: { navn: "Bergen kommune", orgnr: SR_SANDBOX.dpf },
      metadataFraAvleverendeSystem: { journalaar: "i fjor" },
      documents: [{ filnavn: "svar.pdf", mimeType: "application/pdf", bytes: PDF }],
    });
    const mail = await smtp.waitFor((m) => m.headers.get(FORSENDELSE_ID_HEADER.toLowerCase()) === id, 20_000);
    expect([mail.envelope.to, mail.attachments.length]).to.deep.equal([[TO], 0]);
    const link = /- svar\.pdf: (http\S+)/.exec(mail.text)![1]!;
    expect(link.startsWith(`${ap.url}/api/dpf/mail/`)).to.equal(true);
    expect(svarUt.forsendelse(id)!.svarInn.kvittert).to.equal(true);

    expect((await fetch(link)).status).to.equal(401);
    const basic = (user: string) => ({ authorization: `Basic ${Buffer.from(`${user}:hemmelig`).toString("base64")}` });
    expect((await fetch(link, { headers: basic("annen") })).status).to.equal(403);
    const ok = await fetch(link, { headers: basic("arkiv") });
    expect(ok.status).to.equal(200);
    expect(Buffer.from(await ok.arrayBuffer()).equals(PDF)).to.equal(true);

    const statuses = await eventually("INNKOMMENDE_LEVERT", async () => {
      const s = await ap.repo.conversations.statuses("IN", id);
      return s.some((x) => x.status === "INNKOMMENDE_LEVERT") ? s : undefined;
    });
    expect(statuses.map((s) => s.status)).to.deep.equal(["OPPRETTET", "INNKOMMENDE_MOTTATT", "INNKOMMENDE_LEVERT"]);
    expect(statuses[2]!.description).to.match(new RegExp(`^delivered by e-mail to ${TO} \\(the forsendelse cannot be converted: `));
  });
});
