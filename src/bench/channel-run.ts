import os from "node:os";
import { NextMoveClient } from "../client/nextmove-client.js";
import { aggregateCorners } from "./aggregate.js";
import { ARCHIVE_USER, CHANNEL_POLL_MS, channelPlan, isSettled, messageProgress, SENDER_ORG, STATUS_POLL_MS, webhookFilter, type ChannelPlan, type EformidlingBenchChannel } from "./channels.js";
import { submitAll, submitAtRate, type PostOutcome } from "./driver.js";
import { farSideCount } from "./far-side.js";
import { InboxTaker } from "./inbox-taker.js";
import { documentBytes } from "./letters.js";
import { startChannelNetwork, type ChannelNetwork, type Corner } from "./network.js";
import { channelFiles, channelMessages, filesBytes, type ChannelMessage } from "./nextmove-messages.js";
import { nextMoveSubmit, SUBMITTED } from "./nextmove-submit.js";
import type { BenchOptions } from "./options.js";
import { PgServerCpu } from "./pg-databases.js";
import { resetPeakRss, sampleProcess } from "./proc-stats.js";
import type { ProgressSnapshot } from "./progress.js";
import { benchReport, type BenchReport, type ChannelPhaseFigures, type PhaseReport } from "./report.js";
import { BenchInterruptedError, figures, now, optional, openLoopFigures, seconds, watchPhase, withServer, type Load, type Measured, type RunIo } from "./run-common.js";
import { distribution, ratePerSecond, span } from "./stats.js";
import { startStatusHook, type StatusHook } from "./status-hook.js";

/**
 * A channel run (`--channel dpo|dpf|dpv|dpe`): the network of that channel (src/bench/network.ts), the sending
 * archive system subscribed to corner 2's webhooks for the statuses that settle a message, for DPO and DPE the
 * receiving archive system taking every message from corner 3, one warm-up message end to end, then the
 * messages at the given concurrency (or open loop), each followed until its final status. Measures intake
 * latency (create → send), messages per second to delivered and to final, each access point's CPU per message
 * and peak RSS, and checks that every message arrived once.
 */

interface ChannelContext {
  plan: ChannelPlan;
  net: ChannelNetwork;
  sender: NextMoveClient;
  hook: StatusHook;
  taker: InboxTaker | undefined;
  io: RunIo;
  serverCpu?: PgServerCpu;
  quiet?: boolean;
}

export async function runChannelBench(o: BenchOptions, io: RunIo): Promise<{ report: BenchReport; complete: boolean }> {
  const plan = channelPlan(o.channel as EformidlingBenchChannel);
  const startedAt = new Date();
  const t0 = now();
  const note = (line: string) => io.progress.note(line);

  const net = await startChannelNetwork(
    {
      cleanup: io.cleanup,
      logLevel: o.logLevel,
      outboxConcurrency: o.outboxConcurrency,
      blobStore: o.blobStore,
      uploadConcurrency: o.concurrency,
      tokenLifetimeSeconds: 3600,
      instances: o.instances,
      ...(o.store === "sqlite" ? [`payloads: ${o.blobStore === "database" ? "rows in each access point's SQLite file (DPI_AP_BLOB_STORE=database)" : "files in each access point's data folder (DPI_AP_BLOB_STORE=folder)"}`] : []),
    ...(o.store === "postgresql" ? { postgresUrl: o.postgresUrl } : {}),
      keep: o.keep,
      onStep: note,
    },
    plan,
  );
  if (o.keep) note(`temp folder (kept): ${net.dir}`);
  const corners = [net.c2, ...(net.c3 ? [net.c3] : [])];
  const databases = corners.flatMap((c) => (c.store.kind === "postgresql" ? [c.store.database] : []));
  if (o.keep && databases.length) note(`PostgreSQL databases (kept): ${databases.join(", ")}`);
  const serverCpu = databases.length ? new PgServerCpu(o.postgresUrl, databases) : undefined;
  if (serverCpu) io.cleanup.add("close the PostgreSQL CPU meter", () => serverCpu.close());

  note(`subscribing the sending archive system to corner 2's statuses (webhook, filter ${webhookFilter(plan)})`);
  const hook = await startStatusHook();
  io.cleanup.add("close the webhook endpoint", () => hook.close());
  const sender = new NextMoveClient(net.c2.url, ARCHIVE_USER);
  const sub = await sender.postJson("/api/subscriptions", { name: "bench", pushEndpoint: hook.url, resource: "messages", event: "status", filter: webhookFilter(plan) });
  if (sub.status < 200 || sub.status > 299) throw new Error(`corner 2 refused the webhook subscription: ${sub.status} ${JSON.stringify(sub.body)}`);

  let taker: InboxTaker | undefined;
  if (net.c3) {
    taker = new InboxTaker({ baseUrl: net.c3.url, credentials: ARCHIVE_USER });
    taker.start(now() + (o.timeLimitSeconds * 2 + 600) * 1000);
    io.cleanup.add("stop the receiving archive system", () => taker!.stop());
  }

  const tPrepare = now();
  const files = channelFiles(plan, documentBytes(o.documentBytes));
  const warmup = channelMessages(plan, 1, files);
  const messages = channelMessages(plan, o.letters, files);
  const prepareSeconds = seconds(now() - tPrepare);

  if (io.cancelled()) throw new BenchInterruptedError();
  note(`warm-up: one ${plan.serviceIdentifier} message end to end (fills token, Service Registry and keystore caches)`);
  const ctx: ChannelContext = { plan, net, sender, hook, taker, io, ...(serverCpu ? { serverCpu } : {}) };
  const warm = await runChannelPhase("warm-up", warmup, { kind: "closed", concurrency: 1 }, Math.min(120, o.timeLimitSeconds), { ...ctx, quiet: true });
  if (io.cancelled()) throw new BenchInterruptedError();
  if (warm.channel?.final !== 1) throw new Error(`the warm-up message did not reach ${plan.rule.final.join(" or ")}: ${describeFailure(warm, corners)}`);
  const setupSeconds = seconds(now() - t0) - prepareSeconds;

  const load: Load = o.rate !== undefined ? { kind: "open", ratePerSecond: o.rate } : { kind: "closed", concurrency: o.concurrency };
  const phase = await runChannelPhase(o.rate !== undefined ? "open loop" : "messages", messages, load, o.timeLimitSeconds, ctx);

  const notes = [
    `${plan.serviceIdentifier}: organisation ${SENDER_ORG}'s archive system creates each message over corner 2's NextMove API (POST /api/messages/out with the SBD), uploads ${files.map((f) => f.filename).join(" and ")} (PUT, one request each) and sends it (POST); intake latency is those ${files.length + 2} requests together`,
    `far side: ${plan.farSide}`,
    `exactly once: "taken" counts messages corner 3 offered its archive system again after they were deleted, "far side" messages the simulator holds more than once (${plan.channel === "dpe" ? "the Service Bus keeps no record of completed messages: n/a" : farSideWhat(plan)}), "pushed" a status corner 2 pushed to corner 1 twice`,
    `delivered: ${plan.deliveredMeaning}; final: ${plan.rule.final.join(" or ")}, after which neither side does anything more for the message`,
    "statuses reach corner 1 as webhook pushes from corner 2 (a subscription filtered to the statuses above); a status's time is when its push arrived",
    `every message carries the same files; corner 2 signs and encrypts each message on its own`,
    `the access points poll the DPO broker and the DPE queues every ${CHANNEL_POLL_MS} ms; DPV and DPF status polling looks every ${STATUS_POLL_MS} ms for messages due (a sent one at once, then every ${CHANNEL_POLL_MS} ms); production waits seconds to minutes, so these figures are of the work, not of the waiting`,
    "one warm-up message went end to end before timing",
    ...(o.rate !== undefined ? [`open loop: message i was due i/${o.rate} s after the start, whatever the answers; intake latency counts from that due time`] : []),
    ...(o.store === "postgresql"
      ? [
          `each corner ran ${o.instances} process${o.instances > 1 ? "es" : ""} on a fresh PostgreSQL database of its own (payloads in it), behind a round-robin balancer in the bench process`,
          "postgresql: CPU of the server's backend processes connected to the corners' databases (from /proc)",
        ]
      : []),
    "CPU per message = CPU seconds of the process from the first submission until the last message was settled, divided by submitted messages",
    `peak RSS is ${phase.peakRssScope === "phase" ? "per phase (VmHWM reset at its start)" : "since each process started"}`,
    `every process shares this machine's ${os.cpus().length} CPUs`,
  ];
  const d = phase.duplicates;
  const complete =
    !phase.stoppedBy &&
    phase.accepted === phase.letters &&
    phase.levert === phase.letters &&
    phase.channel?.final === phase.letters &&
    d.levertTwice === 0 &&
    (d.takenTwice ?? 0) === 0 &&
    (d.farSideTwice ?? 0) === 0 &&
    (phase.channel.takenByReceiver === undefined || phase.channel.takenByReceiver === phase.letters) &&
    (phase.channel.farSide === undefined || phase.channel.farSide.held === phase.letters);
  return {
    complete,
    report: benchReport(o, { startedAt, durationSeconds: seconds(now() - t0), setupSeconds, prepareSeconds, large: 0 }, [phase], notes),
  };
}

function farSideWhat(plan: ChannelPlan): string {
  return plan.channel === "dpo" ? "the broker's file transfers, by the message id in each zip's sbd.json" : plan.channel === "dpv" ? "Altinn's correspondences, by sendersReference" : "SvarUt's forsendelser, by eksternReferanse";
}

function roles(plan: ChannelPlan): Record<string, string> {
  const c = plan.serviceIdentifier;
  return {
    "corner 2": `access point of the sender ${SENDER_ORG}: NextMove API intake, ${c} out${plan.receivingCorner ? ", status messages in" : ", status polling"}, webhooks to corner 1`,
    "corner 3": `access point of the receiver ${plan.receiver}: ${c} in, NextMove inbox, status messages out`,
  };
}

function measuredProcesses(ctx: ChannelContext): Measured[] {
  const roleOf = roles(ctx.plan);
  const corner = (c: Corner): Measured[] =>
    c.instances.map((ap) => ({
      name: ap.name,
      role: c.instances.length > 1 ? `one of ${c.instances.length} processes of ${c.name}` : roleOf[c.name]!,
      pid: ap.pid,
      process: ap,
      ...(c.instances.length > 1 ? { instanceOf: c.name } : {}),
    }));
  return [
    ...corner(ctx.net.c2),
    ...(ctx.net.c3 ? corner(ctx.net.c3) : []),
    {
      name: "bench",
      role: `corner 1 (the sending archive system and its webhook endpoint)${ctx.taker ? ", the receiving archive system" : ""}, and the simulators (Maskinporten, Service Registry, ${ctx.plan.serviceIdentifier}'s far side)${ctx.net.c2.balancer ? ", and the balancers" : ""}`,
      pid: "self",
    },
  ];
}

async function runChannelPhase(name: string, messages: readonly ChannelMessage[], load: Load, timeLimitSeconds: number, ctx: ChannelContext): Promise<PhaseReport> {
  const { plan, hook, taker, io, net } = ctx;
  const book = hook.book;
  const processes = measuredProcesses(ctx);
  const ids = messages.map((m) => m.messageId);
  const repeatsBefore = book.repeats;
  const takenTwiceBefore = taker?.takenTwice ?? 0;
  const balancers = [net.c2, ...(net.c3 ? [net.c3] : [])].flatMap((c) => (c.balancer ? [{ corner: c.name, balancer: c.balancer, before: c.balancer.counts() }] : []));

  const peakReset = processes.map((p) => resetPeakRss(p.pid)).every(Boolean);
  const before = new Map(processes.map((p) => [p.name, sampleProcess(p.pid)]));
  const serverCpuReadable = ctx.serverCpu ? await ctx.serverCpu.start().catch(() => false) : false;

  const start = now();
  const deadline = start + timeLimitSeconds * 1000;
  let accepted = 0;
  let refused = 0;
  let posting = true;
  let lastAnswerAt = start;
  let maxInFlight = 0;
  const empty = new Map<string, number>();
  const progressOf = (id: string) => messageProgress(plan.rule, book.seen.get(id) ?? empty);
  const counts = () => {
    let delivered = 0;
    let final = 0;
    let failed = 0;
    let settled = 0;
    let taken = 0;
    for (const id of ids) {
      const p = progressOf(id);
      if (p.failed) failed++;
      else {
        if (p.deliveredAt !== undefined) delivered++;
        if (p.finalAt !== undefined) final++;
      }
      if (isSettled(p)) settled++;
      if (taker?.takenAt.has(id)) taken++;
    }
    return { delivered, final, failed, settled, taken };
  };
  const snapshot = (): ProgressSnapshot => {
    const c = counts();
    return {
      phase: name,
      total: messages.length,
      accepted,
      refused,
      ...(taker ? { delivered: c.taken, deliveredLabel: "taken by corner 3" } : {}),
      levert: c.delivered,
      levertLabel: plan.rule.delivered[0]!,
      final: { label: plan.rule.final[0]!, n: c.final },
      failed: c.failed,
      elapsedMs: now() - start,
      ...(posting ? {} : { postingEndedMs: lastAnswerAt - start }),
    };
  };
  if (!ctx.quiet) io.progress.start(snapshot);

  let outcomes: PostOutcome[] = [];
  let stoppedBy: PhaseReport["stoppedBy"];
  let serverCpuSeconds: number | undefined;
  try {
    const submit = nextMoveSubmit(ctx.sender);
    const common = {
      deadline,
      cancelled: io.cancelled,
      onDone: (r: PostOutcome) => {
        if (r.status === SUBMITTED) accepted++;
        else refused++;
        lastAnswerAt = r.endedAt;
      },
    };
    const posted = (
      load.kind === "open"
        ? submitAtRate(messages, submit, { ...common, ratePerSecond: load.ratePerSecond, start, onStart: (n) => (maxInFlight = Math.max(maxInFlight, n)) })
        : submitAll(messages, submit, { ...common, concurrency: load.concurrency })
    ).finally(() => (posting = false));

    stoppedBy = await watchPhase({
      name,
      start,
      deadline,
      io,
      processes,
      settled: () => !posting && counts().settled >= accepted,
      progressKey: () => `${accepted}/${refused}/${book.changes}/${counts().taken}`,
    });
    outcomes = await posted;
  } finally {
    if (!ctx.quiet) io.progress.stop();
    if (ctx.serverCpu) serverCpuSeconds = await ctx.serverCpu.stop().catch(() => undefined);
  }
  const after = new Map(processes.map((p) => [p.name, sampleProcess(p.pid)]));

  const c = counts();
  const acceptedOutcomes = outcomes.filter((r) => r.status === SUBMITTED);
  const dueAt = (r: PostOutcome) => r.scheduledAt ?? r.startedAt;
  const startOf = new Map(outcomes.map((r) => [r.messageId, dueAt(r)]));
  const postStart = span(outcomes.map(dueAt));
  const lastAccepted = span(acceptedOutcomes.map((r) => r.endedAt));
  const progress = ids.map((id) => ({ id, p: progressOf(id), start: startOf.get(id) }));
  const ok = progress.filter((x) => !x.p.failed);
  const deliveredTimes = ok.flatMap((x) => (x.p.deliveredAt !== undefined ? [x.p.deliveredAt] : []));
  const finalTimes = ok.flatMap((x) => (x.p.finalAt !== undefined ? [x.p.finalAt] : []));
  const lastDelivered = span(deliveredTimes);
  const lastFinal = span(finalTimes);
  const since = (pick: (p: (typeof ok)[number]["p"]) => number | undefined) =>
    distribution(ok.flatMap((x) => {
      const t = pick(x.p);
      return t !== undefined && x.start !== undefined ? [t - x.start] : [];
    }));
  const farSide = farSideCount(plan, net.sandbox, ids);
  const takenTwice = taker ? taker.takenTwice - takenTwiceBefore : undefined;
  const pushedTwice = book.repeats - repeatsBefore;
  const problems = [
    ...outcomes.filter((r) => r.status !== SUBMITTED).slice(0, 5).map((r) => `refused ${r.messageId}: HTTP ${r.status} ${r.problem ?? ""}`),
    ...progress.filter((x) => x.p.failed).slice(0, 5).map((x) => `${x.p.failed!.status} for message ${x.id}: ${book.descriptions.get(x.id) ?? ""}`),
    ...(taker?.lastError ? [`receiving archive system error (${taker.errors}×): ${taker.lastError}`] : []),
    ...(book.unreadable > 0 ? [`${book.unreadable} webhook bodies could not be read`] : []),
    ...(pushedTwice > 0 ? [`corner 2 pushed a status twice for ${pushedTwice} messages`] : []),
    ...(takenTwice ? [`corner 3 offered ${takenTwice} messages to its archive system again after they were deleted`] : []),
    ...(farSide && farSide.heldTwice > 0 ? [`${farSide.heldTwice} messages are more than once among the ${farSide.what}`] : []),
    ...(farSide && farSide.held < c.delivered ? [`only ${farSide.held} of ${c.delivered} delivered messages are among the ${farSide.what}`] : []),
    ...balancers.flatMap((b) => (b.balancer.errors() > 0 ? [`${b.corner}'s balancer: ${b.balancer.errors()} requests failed to reach an instance`] : [])),
  ];
  const perMessageOf = stoppedBy ? 0 : acceptedOutcomes.length;
  const openLoop = openLoopFigures(load, outcomes, maxInFlight);
  const channel: ChannelPhaseFigures = {
    serviceIdentifier: plan.serviceIdentifier,
    deliveredStatuses: [...plan.rule.delivered],
    finalStatuses: [...plan.rule.final],
    final: c.final,
    ...optional("finalPerSecond", postStart && lastFinal ? ratePerSecond(finalTimes.length, postStart.first, lastFinal.last) : undefined),
    ...optional("postToFinalMs", since((p) => p.finalAt)),
    ...(taker ? { takenByReceiver: c.taken } : {}),
    ...(farSide ? { farSide } : {}),
  };
  return {
    name,
    letters: messages.length,
    documentBytes: messages[0] ? (messages[0].files.at(-1)?.bytes.byteLength ?? 0) : 0,
    dokumentpakkeBytes: messages[0] ? filesBytes(messages[0].files) : 0,
    concurrency: load.kind === "closed" ? load.concurrency : maxInFlight,
    posted: outcomes.length,
    accepted: acceptedOutcomes.length,
    refused: outcomes.length - acceptedOutcomes.length,
    levert: c.delivered,
    failed: c.failed,
    unsettled: acceptedOutcomes.length - c.settled,
    ...(stoppedBy ? { stoppedBy } : {}),
    ...(openLoop ? { openLoop } : {}),
    ...optional("intakeLatencyMs", distribution(acceptedOutcomes.map((r) => r.endedAt - dueAt(r)))),
    ...optional("postToLevertMs", since((p) => p.deliveredAt)),
    ...optional("acceptedPerSecond", postStart && lastAccepted ? ratePerSecond(acceptedOutcomes.length, postStart.first, lastAccepted.last) : undefined),
    ...optional("levertPerSecond", postStart && lastDelivered ? ratePerSecond(deliveredTimes.length, postStart.first, lastDelivered.last) : undefined),
    ...optional("intakeSeconds", postStart && lastAccepted ? seconds(lastAccepted.last - postStart.first) : undefined),
    ...optional("deliverySeconds", postStart && lastDelivered ? seconds(lastDelivered.last - postStart.first) : undefined),
    duplicates: { levertTwice: pushedTwice, ...optional("takenTwice", takenTwice), ...optional("farSideTwice", farSide?.heldTwice) },
    ...(balancers.length ? { balanced: balancers.map((b) => ({ corner: b.corner, perInstance: b.balancer.counts().map((n, i) => n - (b.before[i] ?? 0)) })) } : {}),
    processes: withServer(
      aggregateCorners(processes.map((p) => figures(p, before.get(p.name), after.get(p.name), perMessageOf)), perMessageOf, (name) => roles(plan)[name] ?? name),
      ctx.serverCpu && serverCpuReadable ? serverCpuSeconds : undefined,
      ctx.serverCpu !== undefined,
      perMessageOf,
    ),
    peakRssScope: peakReset ? "phase" : "process lifetime",
    problems,
    channel,
  };
}

function describeFailure(phase: PhaseReport, corners: readonly Corner[]): string {
  const lines = [
    `submitted ${phase.accepted}, refused ${phase.refused}, delivered ${phase.levert}, final ${phase.channel?.final ?? 0}, failed ${phase.failed}${phase.stoppedBy ? `, stopped by ${phase.stoppedBy}` : ""}`,
    ...phase.problems,
  ];
  for (const ap of corners.flatMap((c) => c.instances)) {
    const tail = ap.logTail(8);
    if (tail) lines.push(`--- ${ap.name} log (${ap.logFile}):`, tail);
  }
  return lines.join("\n");
}
