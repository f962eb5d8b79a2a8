import { expect } from "chai";
import { messagesOutForm, postMessage } from "../../src/client/messages-out-client.js";
import type { RunningAccessPoint } from "../../src/server.js";
import { sqlOf } from "../../src/store/sql.js";
import { createScratchDatabase, postgresReachable, type ScratchDatabase } from "../../scripts/lib/pg-scratch.js";
import { buildMessage } from "../helpers/letters.js";
import { DpiNetwork, getJson, PROVIDERS, SENDERS } from "../helpers/dpi-network.js";
import { countSql, type SqlCount, type SqlCounter } from "../helpers/sql-counter.js";

const AVSENDER = "910076787";
const DIGIPOST = "984661185";

/**
 * What one DPI letter costs each access point's database, counted on the real code paths: corner 1 posts a
 * letter to corner 2 (REST intake), corner 2's outbox sends it over AS4 to corner 3, the postbox provider lists,
 * downloads and confirms it at corner 3 and posts a leveringskvittering there, corner 3's outbox sends that back
 * over AS4, and corner 1 lists and confirms it at corner 2. The outboxes are driven by hand (no timers), so every
 * statement counted belongs to the letter. A change that adds a statement or a commit to this path fails here:
 * if it is worth its cost, change the figures (and the README's), saying why.
 */
interface Cost {
  statements: number;
  transactions: number;
  autocommittedWrites: number;
}

const EXPECTED: Record<"c2" | "c3", Cost> = {
  c2: { statements: 24, transactions: 3, autocommittedWrites: 4 },
  c3: { statements: 23, transactions: 3, autocommittedWrites: 4 },
};

const snapshot = (c: SqlCount): SqlCount => ({ ...c, statements: [...c.statements] });

for (const provider of ["sqlite", "postgresql"] as const) {
  describe(`e2e: the statements and commits a DPI letter costs each access point (${provider})`, function () {
    this.timeout(60_000);
    const scratch: ScratchDatabase[] = [];
    let net: DpiNetwork | undefined;
    let c2: RunningAccessPoint;
    let c3: RunningAccessPoint;
    let counters: { c2: SqlCounter; c3: SqlCounter };

    before(async function () {
      const env = async (name: string): Promise<Record<string, string>> => {
        if (provider === "sqlite") return {};
        const db = await createScratchDatabase(`dpi_ap_cost_${name}`);
        scratch.push(db);
        return { DPI_AP_DATABASE_URL: db.url };
      };
      if (provider === "postgresql" && !(await postgresReachable())) this.skip();
      net = await DpiNetwork.start();
      c2 = await net.corner({ name: "c2", seat: "POP000001", served: SENDERS, receives: "receipts", workers: false, env: await env("c2") });
      c3 = await net.corner({ name: "c3", seat: "POP000002", served: PROVIDERS, receives: "letters", workers: false, env: await env("c3") });
      counters = { c2: countSql(sqlOf(c2.repo.db)), c3: countSql(sqlOf(c3.repo.db)) };
    });
    after(async () => {
      await net?.close();
      for (const db of scratch) await db.drop();
    });

    /** One letter all the way to corner 1 and back; returns what each corner ran for it. */
    async function oneLetter(): Promise<{ c2: SqlCount; c3: SqlCount }> {
      counters.c2.reset();
      counters.c3.reset();
      const token = await net!.token(AVSENDER);
      const providerToken = await net!.token(DIGIPOST);
      const letter = await buildMessage({ token });
      const posted = await postMessage(c2.url, token, messagesOutForm(letter.jws, letter.cms), "cost");
      expect(posted.status, JSON.stringify(posted.body)).to.equal(201);
      expect(await c2.outbox.runOnce(), "corner 2 sends the letter").to.equal(1);

      const listed = await getJson(c3, "/messages/in", providerToken);
      const items = listed.body as { forretningsmelding: string; downloadurl: string }[];
      expect(items.map((i) => i.forretningsmelding)).to.deep.equal([letter.jws]);
      const dl = await fetch(items[0]!.downloadurl, { headers: { authorization: `Bearer ${providerToken}` } });
      expect(Buffer.from(await dl.arrayBuffer()).equals(Buffer.from(letter.cms!))).to.equal(true);
      expect((await fetch(`${c3.url}/messages/in/${letter.messageId}/read`, { method: "POST", headers: { authorization: `Bearer ${providerToken}` } })).status).to.equal(200);

      const receipt = await buildMessage({ type: "leveringskvittering", conversationId: letter.conversationId, receiver: `0192:${AVSENDER}` });
      const r = await postMessage(c3.url, providerToken, messagesOutForm(receipt.jws));
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      expect(await c3.outbox.runOnce(), "corner 3 sends the receipt").to.equal(1);

      const received = await getJson(c2, "/messages/in?kanal=cost", token);
      expect((received.body as { forretningsmelding: string }[]).map((m) => m.forretningsmelding)).to.deep.equal([receipt.jws]);
      expect((await fetch(`${c2.url}/messages/in/${receipt.messageId}/read`, { method: "POST", headers: { authorization: `Bearer ${token}` } })).status).to.equal(200);

      const counts = { c2: snapshot(counters.c2.count), c3: snapshot(counters.c3.count) };
      const timeline = await getJson(c2, `/status/${letter.conversationId}`, token);
      expect(timeline.body.events.map((e: { status: string }) => e.status)).to.deep.equal(["OPPRETTET", "SENDT", "LEVERT"]);
      return counts;
    }

    it("costs each corner the statements, transactions and autocommitted writes counted here", async () => {
      // The first letter also stores what later letters share (routing records, revocation answers).
      await oneLetter();
      const counts = await oneLetter();
      const cost = (c: SqlCount): Cost => ({ statements: c.statements.length, transactions: c.transactions, autocommittedWrites: c.autocommittedWrites });
      const actual = { c2: cost(counts.c2), c3: cost(counts.c3) };
      const listing = (["c2", "c3"] as const).map((k) => `${k}:\n  ${counts[k].statements.join("\n  ")}`).join("\n");
      expect(actual, listing).to.deep.equal(EXPECTED);
    });
  });
}
