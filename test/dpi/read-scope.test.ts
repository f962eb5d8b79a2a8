import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { inReadScope, readScopeOf, scopedMessage, type Reader, type ScopedMessage } from "../../src/dpi/read-scope.js";
import { DpiMessagesRepo } from "../../src/store/dpi-messages-repo.js";
import { openDatabase, type Db } from "../../src/store/prisma.js";

const A = "0192:910076787"; // avsender
const D = "0192:810969342"; // databehandler
const D2 = "0192:991825827"; // another databehandler
const P = "0192:984661185"; // postbox provider

type Row = ScopedMessage & { id: string };

/** Every kind of row the access point stores, named by what it is. */
const rows: Row[] = [
  { id: "out-letter-direct-a", direction: "OUT", documentType: "digital", avsenderOrg: A, databehandlerOrg: null, receiverOrg: P, mottakerOrg: null },
  { id: "out-letter-d-for-a", direction: "OUT", documentType: "digital", avsenderOrg: A, databehandlerOrg: D, receiverOrg: P, mottakerOrg: null },
  { id: "out-letter-d2-for-a", direction: "OUT", documentType: "utskrift", avsenderOrg: A, databehandlerOrg: D2, receiverOrg: P, mottakerOrg: null },
  { id: "out-letter-direct-d", direction: "OUT", documentType: "digital", avsenderOrg: D, databehandlerOrg: null, receiverOrg: P, mottakerOrg: null },
  { id: "in-receipt-direct-a", direction: "IN", documentType: "leveringskvittering", avsenderOrg: P, databehandlerOrg: null, receiverOrg: A, mottakerOrg: A },
  { id: "in-receipt-d-for-a", direction: "IN", documentType: "aapningskvittering", avsenderOrg: P, databehandlerOrg: null, receiverOrg: D, mottakerOrg: A },
  { id: "in-receipt-d2-for-a", direction: "IN", documentType: "feil", avsenderOrg: P, databehandlerOrg: null, receiverOrg: D2, mottakerOrg: A },
  { id: "in-receipt-direct-d", direction: "IN", documentType: "leveringskvittering", avsenderOrg: P, databehandlerOrg: null, receiverOrg: D, mottakerOrg: D },
  { id: "in-letter-to-p", direction: "IN", documentType: "digital", avsenderOrg: A, databehandlerOrg: null, receiverOrg: P, mottakerOrg: null },
  { id: "out-receipt-by-p", direction: "OUT", documentType: "leveringskvittering", avsenderOrg: P, databehandlerOrg: null, receiverOrg: A, mottakerOrg: A },
];

const readers: Record<string, Reader> = {
  "A direct": { consumer: A },
  "A via D": { consumer: A, supplier: D },
  // Intake takes a token whose supplier is its consumer as a direct send, so it reads as one.
  "A as its own supplier": { consumer: A, supplier: A },
  "A via D2": { consumer: A, supplier: D2 },
  "D itself": { consumer: D },
  "D2 itself": { consumer: D2 },
  "P (corner 3)": { consumer: P },
  "P via D": { consumer: P, supplier: D },
};

const expected: Record<string, string[]> = {
  "A direct": ["out-letter-direct-a", "in-receipt-direct-a"],
  "A via D": ["out-letter-d-for-a", "in-receipt-d-for-a"],
  "A as its own supplier": ["out-letter-direct-a", "in-receipt-direct-a"],
  "A via D2": ["out-letter-d2-for-a", "in-receipt-d2-for-a"],
  // Digdir's integrasjonspunkt reads with the databehandler's own token: what D sent, for A or for itself.
  "D itself": ["out-letter-d-for-a", "out-letter-direct-d", "in-receipt-d-for-a", "in-receipt-direct-d"],
  "D2 itself": ["out-letter-d2-for-a", "in-receipt-d2-for-a"],
  "P (corner 3)": ["in-letter-to-p", "out-receipt-by-p"],
  "P via D": ["in-letter-to-p"],
};

describe("dpi/read-scope", () => {
  for (const [name, reader] of Object.entries(readers)) {
    it(`${name} reads exactly its own conversations`, () => {
      const scope = readScopeOf(reader);
      expect(rows.filter((r) => inReadScope(scope, r)).map((r) => r.id)).to.deep.equal(expected[name]);
    });
  }

  it("a receipt of a letter D sent for A is readable by D for A, not by D for another avsender", () => {
    const receipt = rows.find((r) => r.id === "in-receipt-d-for-a")!;
    expect(inReadScope(readScopeOf({ consumer: "0192:987654325", supplier: D }), receipt)).to.equal(false);
  });

  describe("the repository's query admits exactly what inReadScope admits (SQLite)", function () {
    let dir: string;
    let db: Db;
    let repo: DpiMessagesRepo;
    before(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), "dpi-ap-scope-"));
      ({ db } = await openDatabase(`file:${path.join(dir, "db.sqlite")}`));
      repo = new DpiMessagesRepo(db);
      let t = Date.parse("2030-01-01T00:00:00Z");
      for (const r of rows) {
        await repo.insert(
          {
            messageId: r.id,
            direction: r.direction as "IN" | "OUT",
            conversationId: `conv-${r.id}`,
            documentType: r.documentType,
            process: "p",
            standard: "s",
            senderIdentifier: r.databehandlerOrg ?? r.avsenderOrg,
            receiverIdentifier: r.receiverOrg,
            avsenderOrg: r.avsenderOrg,
            databehandlerOrg: r.databehandlerOrg ?? undefined,
            mottakerOrg: r.mottakerOrg ?? undefined,
            forretningsmelding: "jws",
          },
          r.direction === "OUT" ? "OPPRETTET" : "MOTTATT",
          new Date(t++),
        );
      }
    });
    after(async () => {
      await db?.$disconnect();
      await rm(dir, { recursive: true, force: true });
    });

    for (const [name, reader] of Object.entries(readers)) {
      it(`unread() for ${name}`, async () => {
        const scope = readScopeOf(reader);
        const listed = await repo.unread({ scope, pageSize: 100, page: 0 });
        expect(listed.map((m) => m.messageId)).to.deep.equal(rows.filter((r) => r.direction === "IN" && inReadScope(scope, r)).map((r) => r.id));
        expect(listed.map((m) => m.messageId)).to.deep.equal(expected[name]!.filter((id) => id.startsWith("in-")));
        // What the routers judge a stored message by is what the query judged it by.
        for (const m of listed) expect(inReadScope(scope, scopedMessage(m)), m.messageId).to.equal(true);
      });
    }
  });
});
