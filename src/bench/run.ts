import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createGrantClient } from "../maskinporten/grant-client.js";
import { DPI_SEND_SCOPE } from "../maskinporten/token.js";
import { loadExampleSigner } from "../sim/maskinporten/defaults.js";
import { observeStatuses, PgStatusObserver, type StatusObserver } from "./db-observer.js";
import { postAll, postAtRate, type PostOutcome } from "./driver.js";
import { buildSharedDokumentpakke, prepareLetters, type BusinessSigner, type LetterParties, type PreparedLetter, type SharedDokumentpakke } from "./letters.js";
import { AVSENDER_ORGNO, CERTS_DIR, DIGIPOST_ORGNO, startBenchNetwork, type BenchNetwork, type Corner } from "./network.js";
import { aggregateCorners } from "./aggregate.js";
import { runChannelBench } from "./channel-run.js";
import { PgServerCpu } from "./pg-databases.js";
import type { BenchOptions } from "./options.js";
import type { ProgressSnapshot } from "./progress.js";
import { resetPeakRss, sampleProcess } from "./proc-stats.js";
import { ReceiptWatcher } from "./receipt-watcher.js";
import { benchReport, type BenchReport, type PhaseReport } from "./report.js";
import { BenchInterruptedError, figures, now, optional, openLoopFigures, seconds, watchPhase, withServer, type Load, type Measured, type RunIo } from "./run-common.js";
import { distribution, ratePerSecond, span } from "./stats.js";

export { BenchInterruptedError, type RunIo } from "./run-common.js";

/**
 * The benchmark run: start the network, build every letter, send one warm-up letter, then for each phase
 * post the letters (at the given concurrency, or open loop at the given rate) and wait until corner 1 has seen
 * a receipt for each, measuring intake latency, throughput, and each process's CPU time and peak memory over
 * the phase.
 */

const PARTIES: LetterParties = {
  avsender: `0192:${AVSENDER_ORGNO}`,
  provider: `0192:${DIGIPOST_ORGNO}`,
  postkasseadresse: "benk.mottaker#BNCH",
  avsenderidentifikator: "bench",
};

/** Longer than the postbox child's reporting interval (200 ms). */
const POSTBOX_REPORT_WAIT_MS = 300;

export async function runBench(o: BenchOptions, io: RunIo): Promise<{ report: BenchReport; complete: boolean }> {
  if (o.channel !== "dpi") return runChannelBench(o, io);
  const startedAt = new Date();
  const t0 = now();
  const note = (line: string) => io.progress.note(line);

  const net = await startBenchNetwork({
    cleanup: io.cleanup,
    logLevel: o.logLevel,
    outboxConcurrency: o.outboxConcurrency,
    postboxConcurrency: o.postboxConcurrency,
    blobStore: o.blobStore,
    uploadConcurrency: o.concurrency,
    // One token is embedded in every letter; it must outlive every phase and the set-up around them.
    tokenLifetimeSeconds: o.timeLimitSeconds * 2 + 3600,
    instances: o.instances,
    ...(o.store === "postgresql" ? { postgresUrl: o.postgresUrl } : {}),
    keep: o.keep,
    onStep: note,
  });
  if (o.keep) note(`temp folder (kept): ${net.dir}`);
  const databases = [net.c2.store, net.c3.store].flatMap((st) => (st.kind === "postgresql" ? [st.database] : []));
  if (o.keep && databases.length) note(`PostgreSQL databases (kept): ${databases.join(", ")}`);

  note("getting a Maskinporten token for the avsender (JWT grant)");
  const grant = createGrantClient({ ...(await loadExampleSigner(AVSENDER_ORGNO, CERTS_DIR)), audience: net.maskinporten.issuer, tokenEndpoint: net.maskinporten.tokenUrl });
  const token = (await grant.getToken({ scope: DPI_SEND_SCOPE })).access_token;

  const observer: StatusObserver = net.c2.store.kind === "postgresql" ? new PgStatusObserver(net.c2.store.url) : observeStatuses(net.c2.store.file);
  io.cleanup.add("close the database observer", () => observer.close());
  const serverCpu = databases.length ? new PgServerCpu(o.postgresUrl, databases) : undefined;
  if (serverCpu) io.cleanup.add("close the PostgreSQL CPU meter", () => serverCpu.close());
  const watcher = new ReceiptWatcher({ baseUrl: net.c2.url, token });
  watcher.start(now() + (o.timeLimitSeconds * 2 + 600) * 1000);
  io.cleanup.add("stop the receipt watcher", () => watcher.stop());

  note("building and signing the letters");
  const tPrepare = now();
  const signer = await businessSigner(AVSENDER_ORGNO);
  const providerCertificate = new X509Certificate(await readFile(path.join(CERTS_DIR, `business/${DIGIPOST_ORGNO}.pem`)));
  const normalPackage = await buildSharedDokumentpakke(o.documentBytes, PARTIES, signer, providerCertificate);
  const prepare = (count: number, dokumentpakke: SharedDokumentpakke) => prepareLetters({ count, parties: PARTIES, signer, token, dokumentpakke, now: new Date() });
  const warmup = await prepare(1, normalPackage);
  const letters = await prepare(o.letters, normalPackage);
  const largePackage = o.large > 0 ? await buildSharedDokumentpakke(o.largeDocumentBytes, PARTIES, signer, providerCertificate) : undefined;
  const large = largePackage ? await prepare(o.large, largePackage) : [];
  const prepareSeconds = seconds(now() - tPrepare);

  if (io.cancelled()) throw new BenchInterruptedError();
  note("warm-up: one letter end to end (fills token, SMP and revocation caches)");
  const ctx = { net, token, watcher, observer, io, ...(serverCpu ? { serverCpu } : {}) };
  const warm = await runPhase("warm-up", warmup, normalPackage, { kind: "closed", concurrency: 1 }, Math.min(120, o.timeLimitSeconds), { ...ctx, quiet: true });
  if (io.cancelled()) throw new BenchInterruptedError();
  if (warm.levert !== 1) throw new Error(`the warm-up letter did not arrive: ${describeFailure(warm, net)}`);
  const setupSeconds = seconds(now() - t0) - prepareSeconds;

  const phases: PhaseReport[] = [];
  const mainLoad: Load = o.rate !== undefined ? { kind: "open", ratePerSecond: o.rate } : { kind: "closed", concurrency: o.concurrency };
  phases.push(await runPhase(o.rate !== undefined ? "open loop" : "letters", letters, normalPackage, mainLoad, o.timeLimitSeconds, ctx));
  if (largePackage && !io.cancelled()) {
    phases.push(await runPhase("large", large, largePackage, { kind: "closed", concurrency: Math.min(o.concurrency, o.large) }, o.timeLimitSeconds, ctx));
  }

  const notes = [
    "letters of one size share one real dokumentpakke (ASiC-E signed by the avsender, CMS-encrypted to Digipost); each has its own ids and signed forretningsmelding",
    "one warm-up letter went end to end before timing",
    ...(o.rate !== undefined
      ? [
          `open loop: letter i was due i/${o.rate} s after the start, whatever the answers; intake latency counts from that due time, so a request started late (start lag: the bench's own event loop was busy) counts its lateness too`,
          "corner 2's outbox sends to corner 3 all along (the normal network): intake is measured while corner 2 also sends letters and takes in receipts",
        ]
      : []),
    ...(o.store === "postgresql"
      ? [
          `corner 2 and corner 3 each ran ${o.instances} process${o.instances > 1 ? "es" : ""} on a fresh PostgreSQL database of its own (payloads in it), behind a round-robin balancer in the bench process that corner 1, the other corner's AS4 and the postbox provider all went through`,
          ...(o.instances > 1 ? ["a corner's CPU is the sum over its processes; its peak RSS is the largest process's (Σ: the sum)"] : []),
          "postgresql: CPU of the server's backend processes connected to the two databases (from /proc); its shared background processes (WAL writer, checkpointer) are left out",
        ]
      : []),
    ...(o.store === "sqlite" ? [`payloads: ${o.blobStore === "database" ? "rows in each access point's SQLite file (DPI_AP_BLOB_STORE=database)" : "files in each access point's data folder (DPI_AP_BLOB_STORE=folder)"}`] : []),
    "LEVERT is when corner 1's poll of GET /messages/in saw the leveringskvittering (it polls again at once after a full page, else after 100 ms)",
    "CPU per letter = CPU seconds of the process from the first POST until the last letter was settled, divided by accepted letters",
    `peak RSS is ${phases.every((p) => p.peakRssScope === "phase") ? "per phase (VmHWM reset at its start)" : "since each process started"}`,
    `every process shares this machine's ${os.cpus().length} CPUs`,
  ];
  const complete =
    phases.length === (largePackage ? 2 : 1) &&
    phases.every((p) => p.levert === p.letters && p.duplicates.levertTwice === 0 && (p.duplicates.offeredAgainToPostbox ?? 0) === 0);
  return {
    complete,
    report: benchReport(o, { startedAt, durationSeconds: seconds(now() - t0), setupSeconds, prepareSeconds, large: o.large }, phases, notes),
  };
}

async function businessSigner(orgno: string): Promise<BusinessSigner> {
  const business = (f: string) => path.join(CERTS_DIR, "business", f);
  return {
    privateKey: createPrivateKey(await readFile(business(`${orgno}.key.pem`))),
    certificate: new X509Certificate(await readFile(business(`${orgno}.pem`))),
    chain: [new X509Certificate(await readFile(business("intermediate-ca.pem"))), new X509Certificate(await readFile(business("root-ca.pem")))],
  };
}

interface PhaseContext {
  net: BenchNetwork;
  token: string;
  watcher: ReceiptWatcher;
  observer: StatusObserver;
  io: RunIo;
  /** CPU of the PostgreSQL server's processes serving the corners (PostgreSQL runs only). */
  serverCpu?: PgServerCpu;
  /** No progress display (the warm-up). */
  quiet?: boolean;
}

const ROLES: Record<string, string> = {
  "corner 2": "access point of the senders (POP000001): REST intake, AS4 out, receipts in",
  "corner 3": "access point of the postbox providers (POP000002): AS4 in, REST pickup, receipts out",
};

function measuredProcesses(net: BenchNetwork): Measured[] {
  const corner = (c: Corner): Measured[] =>
    c.instances.map((ap) => ({
      name: ap.name,
      role: c.instances.length > 1 ? `one of ${c.instances.length} processes of ${c.name}` : ROLES[c.name]!,
      pid: ap.pid,
      process: ap,
      ...(c.instances.length > 1 ? { instanceOf: c.name } : {}),
    }));
  return [
    ...corner(net.c2),
    ...corner(net.c3),
    { name: "postbox", role: "Digipost simulator (corner 4): downloads, decrypts and verifies each letter, signs and posts its leveringskvittering", pid: net.postbox.pid, process: net.postbox },
    {
      name: "bench",
      role: `corner 1 (posts letters, reads receipts) and the Maskinporten, SMP, DNS and OCSP simulators${net.c2.balancer ? ", and the balancers" : ""}`,
      pid: "self",
    },
  ];
}

async function runPhase(
  name: string,
  letters: readonly PreparedLetter[],
  dokumentpakke: SharedDokumentpakke,
  load: Load,
  timeLimitSeconds: number,
  ctx: PhaseContext,
): Promise<PhaseReport> {
  const { net, watcher, observer, io } = ctx;
  const processes = measuredProcesses(net);
  const conversations = letters.map((l) => l.conversationId);
  const sendtBefore = observer.outgoingLetters()?.SENDT ?? 0;
  const postboxBefore = net.postbox.stats();
  const levertTwiceBefore = watcher.levertTwice.size;
  const listedAgainBefore = watcher.listedAgain;
  const balancers = [net.c2, net.c3].flatMap((c) => (c.balancer ? [{ corner: c.name, balancer: c.balancer, before: c.balancer.counts() }] : []));

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
  const settledCount = () => {
    let levert = 0;
    let failed = 0;
    for (const c of conversations) {
      if (watcher.levertAt.has(c)) levert++;
      else if (watcher.failed.has(c)) failed++;
    }
    return { levert, failed };
  };
  const snapshot = (): ProgressSnapshot => {
    const { levert, failed } = settledCount();
    const sendt = observer.outgoingLetters()?.SENDT;
    const delivered = net.postbox.stats()?.delivered;
    return {
      phase: name,
      total: letters.length,
      accepted,
      refused,
      ...(sendt !== undefined ? { sendt: sendt - sendtBefore } : {}),
      ...(delivered !== undefined ? { delivered: delivered - (postboxBefore?.delivered ?? 0) } : {}),
      levert,
      failed,
      elapsedMs: now() - start,
      ...(posting ? {} : { postingEndedMs: lastAnswerAt - start }),
    };
  };
  if (!ctx.quiet) io.progress.start(snapshot);

  let outcomes: PostOutcome[] = [];
  let stoppedBy: PhaseReport["stoppedBy"];
  let serverCpuSeconds: number | undefined;
  try {
    const common = {
      baseUrl: net.c2.url,
      token: ctx.token,
      deadline,
      cancelled: io.cancelled,
      onDone: (r: PostOutcome) => {
        if (r.status === 201) accepted++;
        else refused++;
        lastAnswerAt = r.endedAt;
      },
    };
    const posted = (
      load.kind === "open"
        ? postAtRate(letters, { ...common, ratePerSecond: load.ratePerSecond, start, onStart: (n) => (maxInFlight = Math.max(maxInFlight, n)) })
        : postAll(letters, { ...common, concurrency: load.concurrency })
    ).finally(() => (posting = false));

    // Wait until every accepted letter is settled, the time is up, the user stops us, or nothing moves.
    stoppedBy = await watchPhase({
      name,
      start,
      deadline,
      io,
      processes,
      settled: () => {
        const { levert, failed } = settledCount();
        return !posting && levert + failed >= accepted;
      },
      progressKey: () => {
        const { levert, failed } = settledCount();
        return `${accepted}/${refused}/${levert}/${failed}/${observer.outgoingLetters()?.SENDT}/${net.postbox.stats()?.delivered}`;
      },
    });
    // Stopped early: let the requests in flight finish (each has its own timeout) so the counts are final.
    outcomes = await posted;
  } finally {
    if (!ctx.quiet) io.progress.stop();
    if (ctx.serverCpu) serverCpuSeconds = await ctx.serverCpu.stop().catch(() => undefined);
  }
  const after = new Map(processes.map((p) => [p.name, sampleProcess(p.pid)]));
  // The postbox reports its counters every fifth of a second: wait for one report made after the last LEVERT, or
  // its last delivery (and any letter offered again) would be missing from the phase.
  await new Promise((r) => setTimeout(r, POSTBOX_REPORT_WAIT_MS));
  const postboxAfter = net.postbox.stats();

  const { levert, failed } = settledCount();
  const acceptedOutcomes = outcomes.filter((r) => r.status === 201);
  // Open loop: the clock of each letter starts when it was due, not when the bench got round to it.
  const dueAt = (r: PostOutcome) => r.scheduledAt ?? r.startedAt;
  const postStart = span(outcomes.map(dueAt));
  const lastAccepted = span(acceptedOutcomes.map((r) => r.endedAt));
  const levertTimes = conversations.map((c) => watcher.levertAt.get(c)).filter((t): t is number => t !== undefined);
  const lastLevert = span(levertTimes);
  const startedAtOf = new Map(outcomes.map((r) => [r.conversationId, dueAt(r)]));
  const levertTwice = watcher.levertTwice.size - levertTwiceBefore;
  const offeredAgain = postboxAfter && postboxBefore ? postboxAfter.redeliveries - postboxBefore.redeliveries : postboxAfter?.redeliveries;
  const listedAgain = watcher.listedAgain - listedAgainBefore;
  const problems = [
    ...outcomes.filter((r) => r.status !== 201).slice(0, 5).map((r) => `refused ${r.messageId}: HTTP ${r.status} ${r.problem ?? ""}`),
    ...conversations.filter((c) => watcher.failed.has(c)).slice(0, 5).map((c) => `feil for conversation ${c}: ${watcher.failed.get(c)}`),
    ...net.postbox.rejected().slice(0, 3).map((r) => `postbox refused ${r}`),
    ...(watcher.lastError ? [`receipt poll error (${watcher.errors}×): ${watcher.lastError}`] : []),
    ...(levertTwice > 0 ? [`${levertTwice} conversations got a second leveringskvittering`] : []),
    ...(offeredAgain ? [`corner 3 offered ${offeredAgain} letters to the postbox provider again after they were handled`] : []),
    ...(listedAgain > 0 ? [`corner 2 listed ${listedAgain} receipts again after they were confirmed read`] : []),
    ...balancers.flatMap((b) => (b.balancer.errors() > 0 ? [`${b.corner}'s balancer: ${b.balancer.errors()} requests failed to reach an instance`] : [])),
  ];
  // Per letter only when every letter was settled: a cut-short phase holds work on letters not counted.
  const perLetterOf = stoppedBy ? 0 : acceptedOutcomes.length;
  const openLoop = openLoopFigures(load, outcomes, maxInFlight);
  return {
    name,
    letters: letters.length,
    documentBytes: dokumentpakke.documentBytes,
    dokumentpakkeBytes: dokumentpakke.cms.byteLength,
    concurrency: load.kind === "closed" ? load.concurrency : maxInFlight,
    posted: outcomes.length,
    accepted: acceptedOutcomes.length,
    refused: outcomes.length - acceptedOutcomes.length,
    levert,
    failed,
    unsettled: acceptedOutcomes.length - levert - failed,
    ...(stoppedBy ? { stoppedBy } : {}),
    ...(openLoop ? { openLoop } : {}),
    ...optional("intakeLatencyMs", distribution(acceptedOutcomes.map((r) => r.endedAt - dueAt(r)))),
    ...optional("postToLevertMs", distribution(conversations.flatMap((c) => {
      const s = startedAtOf.get(c);
      const l = watcher.levertAt.get(c);
      return s !== undefined && l !== undefined ? [l - s] : [];
    }))),
    ...optional("acceptedPerSecond", postStart && lastAccepted ? ratePerSecond(acceptedOutcomes.length, postStart.first, lastAccepted.last) : undefined),
    ...optional("levertPerSecond", postStart && lastLevert ? ratePerSecond(levertTimes.length, postStart.first, lastLevert.last) : undefined),
    ...optional("intakeSeconds", postStart && lastAccepted ? seconds(lastAccepted.last - postStart.first) : undefined),
    ...optional("deliverySeconds", postStart && lastLevert ? seconds(lastLevert.last - postStart.first) : undefined),
    ...optional("delivered", postboxAfter ? postboxAfter.delivered - (postboxBefore?.delivered ?? 0) : undefined),
    duplicates: { levertTwice, ...optional("offeredAgainToPostbox", offeredAgain) },
    ...(balancers.length
      ? { balanced: balancers.map((b) => ({ corner: b.corner, perInstance: b.balancer.counts().map((n, i) => n - (b.before[i] ?? 0)) })) }
      : {}),
    processes: withServer(
      aggregateCorners(processes.map((p) => figures(p, before.get(p.name), after.get(p.name), perLetterOf)), perLetterOf, (c) => ROLES[c] ?? c),
      ctx.serverCpu && serverCpuReadable ? serverCpuSeconds : undefined,
      ctx.serverCpu !== undefined,
      perLetterOf,
    ),
    peakRssScope: peakReset ? "phase" : "process lifetime",
    problems,
  };
}

function describeFailure(phase: PhaseReport, net: BenchNetwork): string {
  const lines = [
    `accepted ${phase.accepted}, refused ${phase.refused}, LEVERT ${phase.levert}, feil ${phase.failed}${phase.stoppedBy ? `, stopped by ${phase.stoppedBy}` : ""}`,
    ...phase.problems,
  ];
  for (const c of [...net.c2.instances, ...net.c3.instances, net.postbox]) {
    const tail = c.logTail(8);
    if (tail) lines.push(`--- ${c.name} log (${c.logFile}):`, tail);
  }
  return lines.join("\n");
}
