import { expect } from "chai";
import type { StatusPoller } from "../../src/core/channel.js";
import { MAX_POLL_INTERVAL_MS, MIN_POLL_INTERVAL_MS, pollIntervalMs, StatusPolling } from "../../src/core/status-polling.js";
import { silentLogger } from "../../src/log.js";
import { ConversationsRepo } from "../../src/store/conversations-repo.js";
import type { Db } from "../../src/store/prisma.js";
import { openTempStore, type TempStore } from "../helpers/temp-store.js";

const MIN = 60_000;
const DAY = 24 * 3_600_000;

describe("core/status-polling: pollIntervalMs (LinearInterpolationPolling)", () => {
  it("starts at 1 minute and ends at 60 minutes", () => {
    expect(MIN_POLL_INTERVAL_MS).to.equal(MIN);
    expect(MAX_POLL_INTERVAL_MS).to.equal(60 * MIN);
    expect(pollIntervalMs(0)).to.equal(60_000);
    expect(pollIntervalMs(30 * DAY)).to.equal(3_600_000);
  });

  it("grows linearly with the conversation's age", () => {
    expect(pollIntervalMs(15 * DAY)).to.equal(1_830_000); // 30.5 min
    expect(pollIntervalMs(10 * DAY)).to.equal(1_240_000); // 1 + 59/3 min
    expect(pollIntervalMs(1 * DAY)).to.equal(178_000); // 1 + 59/30 min
    expect(pollIntervalMs(3_600_000)).to.equal(64_917); // an hour old: 60 000 + 3 540 000/720, rounded
  });

  it("starts at a shorter minimum when one is configured (DPI_AP_STATUS_POLL_MIN_INTERVAL_MS), still ending at 60 minutes", () => {
    expect(pollIntervalMs(0, 200)).to.equal(200);
    expect(pollIntervalMs(15 * DAY, 200)).to.equal(1_800_100);
    expect(pollIntervalMs(30 * DAY, 200)).to.equal(3_600_000);
  });

  it("stays at 60 minutes past 30 days and at 1 minute for a clock running behind", () => {
    expect(pollIntervalMs(31 * DAY)).to.equal(3_600_000);
    expect(pollIntervalMs(365 * DAY)).to.equal(3_600_000);
    expect(pollIntervalMs(-5 * MIN)).to.equal(60_000);
  });
});

describe("core/status-polling: StatusPolling", () => {
  const T0 = new Date("2030-01-01T00:00:00Z");
  let store: TempStore;
  let db: Db;
  let conversations: ConversationsRepo;
  let now: Date;

  beforeEach(async () => {
    store = await openTempStore("status-polling-");
    db = store.db;
    conversations = new ConversationsRepo(db);
    now = T0;
  });

  afterEach(async () => {
    await store.close();
  });

  async function sent(id: string, channel: "DPF" | "DPI" | "DPV"): Promise<void> {
    await db.$transaction(
      conversations.insertOperations(
        { messageId: id, direction: "OUT", conversationId: `conv-${id}`, channel, process: channel === "DPI" ? "digitalpost_info" : "urn:no:difi:profile:arkivmelding:administrasjon:ver1.0", documentType: channel === "DPI" ? "digital" : "arkivmelding", standard: "urn:test", senderIdentifier: "0192:987654325", receiverIdentifier: "0192:123456785" },
        "OPPRETTET",
        T0,
      ),
    );
    await conversations.registerStatus("OUT", id, "SENDT", T0);
  }

  function polling(pollers: StatusPoller[]): StatusPolling {
    return new StatusPolling({ conversations, pollers, pollMs: 60_000, batch: 100, clock: () => now, log: silentLogger });
  }

  it("does nothing when no channel has a poller (DPI)", async () => {
    await sent("dpi", "DPI");
    expect(await polling([]).runOnce()).to.equal(0);
  });

  it("polls a pollable conversation, registers what the far side reports and sets the next poll by its age", async () => {
    await sent("dpf", "DPF");
    expect(await conversations.get("OUT", "dpf")).to.include({ pollable: true });
    const answers = [[], [{ status: "LEVERT", at: T0, description: "delivered to SvarInn" }], [{ status: "LEST", at: T0 }]];
    const p = polling([{ channel: "DPF", poll: async () => answers.shift()! }]);
    now = new Date(T0.getTime() + 15 * DAY);
    expect(await p.runOnce()).to.equal(1);
    expect((await conversations.get("OUT", "dpf"))!.nextPollAt!.getTime()).to.equal(now.getTime() + 1_830_000);
    expect(await p.runOnce()).to.equal(0); // not due yet
    now = new Date(now.getTime() + 1_830_000);
    expect(await p.runOnce()).to.equal(1);
    now = new Date(now.getTime() + 3_600_000);
    expect(await p.runOnce()).to.equal(1);
    expect((await conversations.statuses("OUT", "dpf")).map((s) => s.status)).to.deep.equal(["OPPRETTET", "SENDT", "LEVERT", "LEST"]);
    // LEST is terminal: no more polling.
    expect(await conversations.get("OUT", "dpf")).to.include({ pollable: false });
    now = new Date(now.getTime() + 3_600_000);
    expect(await p.runOnce()).to.equal(0);
  });

  it("stops polling when the far side says it has nothing more, though the status is not terminal (DPV: purged → ANNET)", async () => {
    await sent("dpv", "DPV");
    let polls = 0;
    const p = polling([
      {
        channel: "DPV",
        poll: async () => {
          polls++;
          return polls === 1 ? [{ status: "LEVERT", at: T0 }] : [{ status: "ANNET", at: T0, description: "PurgedByRecipient: stopper polling.", endsPolling: true }];
        },
      },
    ]);
    expect(await p.runOnce()).to.equal(1);
    expect(await conversations.get("OUT", "dpv")).to.include({ pollable: true });
    now = new Date(T0.getTime() + 2 * MIN);
    expect(await p.runOnce()).to.equal(1);
    expect(await conversations.get("OUT", "dpv")).to.include({ pollable: false, nextPollAt: null, status: "ANNET" });
    now = new Date(T0.getTime() + 10 * DAY);
    expect(await p.runOnce()).to.equal(0);
    expect(polls).to.equal(2);
    expect((await conversations.statuses("OUT", "dpv")).map((s) => [s.status, s.description])).to.deep.equal([
      ["OPPRETTET", null],
      ["SENDT", null],
      ["LEVERT", null],
      ["ANNET", "PurgedByRecipient: stopper polling."],
    ]);
  });

  it("polls a new conversation again after the configured minimum interval", async () => {
    await sent("dpv-fast", "DPV");
    const p = new StatusPolling({ conversations, pollers: [{ channel: "DPV", poll: async () => [] }], pollMs: 100, minIntervalMs: 250, batch: 100, clock: () => now, log: silentLogger });
    await p.runOnce();
    expect((await conversations.get("OUT", "dpv-fast"))!.nextPollAt!.getTime()).to.equal(T0.getTime() + 250);
  });
});
