import os from "node:os";
import type { BenchChannel } from "./channels.js";
import type { BenchOptions } from "./options.js";
import type { Distribution } from "./stats.js";

/** The benchmark's result as one JSON document, and as a table a person reads. Formatting is pure. */

export interface ProcessFigures {
  /** "corner 2", "corner 3", "postbox", "postgresql", "bench"; a corner's processes "corner 2 #1", … when it has several. */
  name: string;
  /** What runs in it. */
  role: string;
  /** Absent for a figure over several processes (a corner's instances, the PostgreSQL server). */
  pid?: number;
  /** A corner's figure over this many processes: CPU summed, peak RSS the largest (and peakRssTotalBytes the sum). */
  instances?: number;
  /** The corner a process is one instance of. */
  instanceOf?: string;
  /** CPU seconds (user + system) spent during the phase. */
  cpuSeconds?: number;
  cpuSecondsPerLetter?: number;
  /** Peak resident set size during the phase (or since start when the kernel cannot reset the peak). */
  peakRssBytes?: number;
  /** A corner of several processes: the sum of their peaks. */
  peakRssTotalBytes?: number;
}

/** What an open-loop phase (`--rate`) offered and how closely the bench kept to its schedule. */
export interface OpenLoopFigures {
  /** Letters per second the schedule offered. */
  offeredPerSecond: number;
  /** Letters per second the bench actually started (first to last start). */
  startedPerSecond?: number;
  /** How late the bench started requests against their schedule (its own event loop being busy). */
  startLagMs?: Distribution;
  /** The most POST /messages/out requests unanswered at once. */
  maxInFlight: number;
}

/**
 * What a phase of an eFormidling channel run (`--channel dpo|dpf|dpv|dpe`) adds. In such a phase the
 * PhaseReport's letter fields count messages: `accepted` = created, filled and sent over the NextMove API,
 * `levert` = reached the channel's delivered status (`deliveredStatuses`, the first seen), `levertPerSecond`
 * and `postToLevertMs` = to that status, `failed` = a failure status, `dokumentpakkeBytes` = one message's files.
 */
export interface ChannelPhaseFigures {
  /** DPO, DPF, DPV or DPE. */
  serviceIdentifier: string;
  /** The statuses (as the NextMove API names them) that count as delivered and as final, in the sender's order. */
  deliveredStatuses: string[];
  finalStatuses: string[];
  /** Messages that reached a final status: nothing more happens for them on either side. */
  final: number;
  /** final / (last final status seen − first submission start). */
  finalPerSecond?: number;
  /** From the start of the submission to the final status. */
  postToFinalMs?: Distribution;
  /** Messages the receiving archive system took from corner 3's inbox (DPO, DPE). */
  takenByReceiver?: number;
  /** What the channel's simulator holds of the phase's messages (undefined: it keeps no record, DPE). */
  farSide?: { what: string; held: number; heldTwice: number };
}

export interface PhaseReport {
  /** "letters" (the main phase) or "large"; "messages" in a channel run. */
  name: string;
  /** Letters the phase was to send. */
  letters: number;
  documentBytes: number;
  dokumentpakkeBytes: number;
  concurrency: number;
  /** POSTs that got an answer or failed (less than `letters` when stopped early). */
  posted: number;
  /** Answered 201. */
  accepted: number;
  /** Refused or unanswered POSTs. */
  refused: number;
  /** Leveringskvittering seen by corner 1. */
  levert: number;
  /** feil receipts. */
  failed: number;
  /** Accepted letters with neither LEVERT nor feil when the phase ended. */
  unsettled: number;
  /** Why the phase ended before every accepted letter was settled. */
  stoppedBy?: "time-limit" | "stalled" | "interrupted";
  /** Set for an open-loop phase: intakeLatencyMs then counts from each letter's scheduled start. */
  openLoop?: OpenLoopFigures;
  /** POST /messages/out round trip as corner 1 sees it (open loop: from the scheduled start to the answer). */
  intakeLatencyMs?: Distribution;
  /** From the start of the POST to corner 1 seeing the leveringskvittering (includes its poll interval). */
  postToLevertMs?: Distribution;
  /** accepted / (last 201 answer − first POST start). */
  acceptedPerSecond?: number;
  /** levert / (last LEVERT seen − first POST start). */
  levertPerSecond?: number;
  intakeSeconds?: number;
  deliverySeconds?: number;
  processes: ProcessFigures[];
  /** Letters the postbox provider delivered in the phase (each once: it recognises a letter offered again). */
  delivered?: number;
  /** Exactly-once checks: all must be 0. */
  duplicates: {
    /** Letters corner 3 offered the postbox provider again after it had handled them (its redeliveries counter). */
    offeredAgainToPostbox?: number;
    /** Conversations for which corner 1 read a second leveringskvittering; in a channel run, a status pushed to corner 1 twice. */
    levertTwice: number;
    /** Channel run: messages corner 3 offered its archive system again after it had deleted them. */
    takenTwice?: number;
    /** Channel run: messages the channel's simulator holds more than once. */
    farSideTwice?: number;
  };
  /** Set in a channel run. */
  channel?: ChannelPhaseFigures;
  /** Requests each balancer passed to each of its instances during the phase. */
  balanced?: { corner: string; perInstance: number[] }[];
  /** Whether peak RSS covers only this phase or each process's whole life (when the kernel cannot reset it). */
  peakRssScope: "phase" | "process lifetime";
  /** A few refusals and feil details, for diagnosis. */
  problems: string[];
}

export interface BenchReport {
  tool: "dpi-ap bench";
  startedAt: string;
  durationSeconds: number;
  /** Starting simulators and processes, warm-up. */
  setupSeconds: number;
  /** Building and signing the letters (not timed into any figure). */
  prepareSeconds: number;
  machine: { cpus: number; cpuModel: string; memoryBytes: number; node: string; platform: string };
  options: {
    letters: number;
    documentBytes: number;
    concurrency: number;
    large: number;
    largeDocumentBytes: number;
    logLevel: string;
    outboxConcurrency?: number;
    /** Letters the postbox provider handled at once (DPI runs). */
    postboxConcurrency?: number;
    /** Open loop: letters offered per second, for durationSeconds. */
    rate?: number;
    durationSeconds?: number;
    /** Processes per corner, and the store they share. */
    instances: number;
    store: "sqlite" | "postgresql";
    /** Where the access points kept payloads (DPI_AP_BLOB_STORE); absent in reports made before the option. */
    blobStore?: "folder" | "database";
    /** What travelled (absent in reports from before --channel: DPI). */
    channel?: BenchChannel;
  };
  phases: PhaseReport[];
  notes: string[];
}

// ---- formatting ------------------------------------------------------------------------------------

/** Decimal units, as the options take them: 20 kB, 25.0 MB. */
export function formatBytes(n: number | undefined): string {
  if (n === undefined) return "n/a";
  if (n < 1000) return `${n} B`;
  if (n < 1_000_000) return `${(n / 1000).toFixed(1)} kB`;
  if (n < 1_000_000_000) return `${(n / 1_000_000).toFixed(1)} MB`;
  return `${(n / 1_000_000_000).toFixed(2)} GB`;
}

export function formatMiB(n: number | undefined): string {
  return n === undefined ? "n/a" : `${Math.round(n / (1024 * 1024))} MiB`;
}

export function formatMs(ms: number | undefined): string {
  if (ms === undefined) return "n/a";
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

export function formatSeconds(s: number | undefined): string {
  return s === undefined ? "n/a" : `${s.toFixed(s < 10 ? 2 : 1)} s`;
}

export function formatRate(r: number | undefined): string {
  return r === undefined ? "n/a" : `${r.toFixed(r < 10 ? 2 : 1)}/s`;
}

/** CPU seconds with three significant digits: 0.0123 s, 2.46 s. */
export function formatCpu(s: number | undefined): string {
  if (s === undefined) return "n/a";
  if (s === 0) return "0 s";
  return `${Number(s.toPrecision(3))} s`;
}

/** A table: first column left-aligned labels, the others right-aligned values. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  const line = (r: readonly string[]) =>
    r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("   ").trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("   ");
  return [line(header), rule, ...rows.map(line)].join("\n");
}

const PROCESS_ORDER = ["corner 2", "corner 3", "postbox", "postgresql", "bench"];

/** The access points first, each followed by its instances in order, then the rest; unknown names last. */
function processNames(phases: readonly PhaseReport[]): string[] {
  const names = [...new Set(phases.flatMap((p) => p.processes.map((x) => x.name)))];
  const key = (name: string): [number, number] => {
    const m = / #(\d+)$/.exec(name);
    const base = m ? name.slice(0, m.index) : name;
    const at = PROCESS_ORDER.indexOf(base);
    return [at < 0 ? PROCESS_ORDER.length : at, m ? Number(m[1]) : 0];
  };
  return names
    .map((name, i) => ({ name, i, k: key(name) }))
    .sort((a, b) => a.k[0] - b.k[0] || a.k[1] - b.k[1] || a.i - b.i)
    .map((x) => x.name);
}

function formatPeak(x: ProcessFigures | undefined): string {
  if (x?.peakRssTotalBytes === undefined) return formatMiB(x?.peakRssBytes);
  return `${formatMiB(x.peakRssBytes)} (Σ ${formatMiB(x.peakRssTotalBytes)})`;
}

/** The rows of a DPI run's phases. */
function letterRows(phases: readonly PhaseReport[]): string[][] {
  const col = (f: (p: PhaseReport) => string) => phases.map(f);
  const rows: string[][] = [
    ["letters sent", ...col((p) => `${p.posted}`)],
    ["document / dokumentpakke size", ...col((p) => `${formatBytes(p.documentBytes)} / ${formatBytes(p.dokumentpakkeBytes)}`)],
    ["concurrency", ...concurrencyCells(phases)],
    ["accepted (201)", ...col((p) => `${p.accepted}`)],
    ["LEVERT at corner 1", ...col((p) => `${p.levert}`)],
    ["feil / refused / unsettled", ...col((p) => `${p.failed} / ${p.refused} / ${p.unsettled}`)],
    ...latencyRows(phases),
    ["accepted per second", ...col((p) => formatRate(p.acceptedPerSecond))],
    ["LEVERT per second", ...col((p) => formatRate(p.levertPerSecond))],
    ["first POST → last 201", ...col((p) => formatSeconds(p.intakeSeconds))],
    ["first POST → last LEVERT", ...col((p) => formatSeconds(p.deliverySeconds))],
    ["POST → LEVERT p50 / p95", ...col((p) => `${formatMs(p.postToLevertMs?.p50)} / ${formatMs(p.postToLevertMs?.p95)}`)],
  ];
  withOpenLoopRows(rows, phases);
  rows.push(["delivered by the postbox", ...col((p) => (p.delivered === undefined ? "n/a" : `${p.delivered}`))]);
  rows.push(["duplicates: offered again / LEVERT twice", ...col((p) => `${p.duplicates.offeredAgainToPostbox ?? "n/a"} / ${p.duplicates.levertTwice}`)]);
  return rows;
}

/** The rows of an eFormidling channel run's phases (every phase has `channel`). */
function messageRows(phases: readonly PhaseReport[]): string[][] {
  const col = (f: (p: PhaseReport, c: ChannelPhaseFigures) => string) => phases.map((p) => f(p, p.channel!));
  const first = phases[0]!.channel!;
  const delivered = first.deliveredStatuses[0] ?? "delivered";
  const final = first.finalStatuses.join("/");
  const rows: string[][] = [
    ["messages sent", ...col((p) => `${p.posted}`)],
    ["document / files per message", ...col((p) => `${formatBytes(p.documentBytes)} / ${formatBytes(p.dokumentpakkeBytes)}`)],
    ["concurrency", ...concurrencyCells(phases)],
    ["submitted (create, upload, send)", ...col((p) => `${p.accepted}`)],
    [`delivered (${delivered}) at corner 1`, ...col((p) => `${p.levert}`)],
    [`final (${final}) at corner 1`, ...col((_, c) => `${c.final}`)],
    ["failed / refused / unsettled", ...col((p) => `${p.failed} / ${p.refused} / ${p.unsettled}`)],
    ...latencyRows(phases),
    ["submitted per second", ...col((p) => formatRate(p.acceptedPerSecond))],
    ["delivered per second", ...col((p) => formatRate(p.levertPerSecond))],
    ["final status per second", ...col((_, c) => formatRate(c.finalPerSecond))],
    ["first submission → last delivered", ...col((p) => formatSeconds(p.deliverySeconds))],
    ["submission → delivered p50 / p95", ...col((p) => `${formatMs(p.postToLevertMs?.p50)} / ${formatMs(p.postToLevertMs?.p95)}`)],
    ["submission → final p50 / p95", ...col((_, c) => `${formatMs(c.postToFinalMs?.p50)} / ${formatMs(c.postToFinalMs?.p95)}`)],
  ];
  withOpenLoopRows(rows, phases);
  if (phases.some((p) => p.channel?.takenByReceiver !== undefined)) rows.push(["taken by corner 3's archive system", ...col((_, c) => `${c.takenByReceiver ?? "n/a"}`)]);
  if (phases.some((p) => p.channel?.farSide)) rows.push(["held by the far side", ...col((_, c) => `${c.farSide?.held ?? "n/a"}`)]);
  rows.push(["duplicates: taken / far side / pushed", ...col((p) => `${p.duplicates.takenTwice ?? "n/a"} / ${p.duplicates.farSideTwice ?? "n/a"} / ${p.duplicates.levertTwice}`)]);
  return rows;
}

function concurrencyCells(phases: readonly PhaseReport[]): string[] {
  return phases.map((p) => (p.openLoop ? `open loop (≤ ${p.openLoop.maxInFlight} in flight)` : `${p.concurrency}`));
}

function latencyRows(phases: readonly PhaseReport[]): string[][] {
  const label = phases.some((p) => p.channel) ? "intake latency (create → send)" : "intake latency";
  return (["p50", "p95", "p99", "max"] as const).map((k) => [`${label} ${k}`, ...phases.map((p) => formatMs(p.intakeLatencyMs?.[k]))]);
}

/** The open-loop rows, after the concurrency row, when any phase was open loop. */
function withOpenLoopRows(rows: string[][], phases: readonly PhaseReport[]): void {
  if (!phases.some((p) => p.openLoop)) return;
  const col = (f: (p: PhaseReport) => string) => phases.map(f);
  rows.splice(
    3,
    0,
    ["offered per second (schedule)", ...col((p) => (p.openLoop ? formatRate(p.openLoop.offeredPerSecond) : "-"))],
    ["started per second (bench)", ...col((p) => (p.openLoop ? formatRate(p.openLoop.startedPerSecond) : "-"))],
    ["start lag p99 / max", ...col((p) => (p.openLoop ? `${formatMs(p.openLoop.startLagMs?.p99)} / ${formatMs(p.openLoop.startLagMs?.max)}` : "-"))],
  );
}

export function formatReport(r: BenchReport): string {
  const phases = r.phases;
  const col = (f: (p: PhaseReport) => string) => phases.map(f);
  const proc = (p: PhaseReport, name: string) => p.processes.find((x) => x.name === name);
  const channelRun = phases.length > 0 && phases.every((p) => p.channel);
  const rows = channelRun ? messageRows(phases) : letterRows(phases);
  const balanced = [...new Set(phases.flatMap((p) => (p.balanced ?? []).map((b) => b.corner)))];
  for (const corner of balanced) {
    rows.push([`requests per instance, ${corner}`, ...col((p) => p.balanced?.find((b) => b.corner === corner)?.perInstance.join(" / ") ?? "n/a")]);
  }
  const names = processNames(phases);
  const unit = channelRun ? "message" : "letter";
  for (const name of names) rows.push([`CPU per ${unit}, ${name}`, ...col((p) => formatCpu(proc(p, name)?.cpuSecondsPerLetter))]);
  // A figure over the server's processes has no peak RSS of its own (their memory is mostly shared).
  const withRss = names.filter((name) => phases.some((p) => proc(p, name)?.pid !== undefined || proc(p, name)?.peakRssBytes !== undefined));
  for (const name of withRss) rows.push([`peak RSS, ${name}`, ...col((p) => formatPeak(proc(p, name)))]);

  const roles = processNames(phases)
    .map((name) => phases.flatMap((p) => p.processes).find((x) => x.name === name))
    .filter((x): x is ProcessFigures => x !== undefined && x.instanceOf === undefined)
    .map((x) => `  ${x.name}: ${x.role}`);
  const m = r.machine;
  const what = channelRun ? `${phases[0]!.channel!.serviceIdentifier} messages` : "letters";
  const lines = [
    `dpi-ap bench, ${r.startedAt}${channelRun ? `, channel ${phases[0]!.channel!.serviceIdentifier}` : ""}`,
    `machine: ${m.cpus} × ${m.cpuModel}, ${formatBytes(m.memoryBytes)} RAM, Node ${m.node} on ${m.platform}`,
    "",
    formatTable(["", ...phases.map((p) => (p.stoppedBy ? `${p.name} (${p.stoppedBy})` : p.name))], rows),
    "",
    "processes:",
    ...roles,
    "",
    `setup ${formatSeconds(r.setupSeconds)}, ${what} built${channelRun ? "" : " and signed"} in ${formatSeconds(r.prepareSeconds)}, whole run ${formatSeconds(r.durationSeconds)}`,
    ...r.notes.map((n) => `note: ${n}`),
  ];
  const problems = phases.flatMap((p) => p.problems.map((x) => `  ${p.name}: ${x}`));
  if (problems.length) lines.push("problems:", ...problems);
  return lines.join("\n");
}

/** The report of a run: what it ran on and with which options, its phases and notes. */
export function benchReport(
  o: BenchOptions,
  run: { startedAt: Date; durationSeconds: number; setupSeconds: number; prepareSeconds: number; large: number },
  phases: PhaseReport[],
  notes: string[],
): BenchReport {
  const cpus = os.cpus();
  return {
    tool: "dpi-ap bench",
    startedAt: run.startedAt.toISOString(),
    durationSeconds: run.durationSeconds,
    setupSeconds: run.setupSeconds,
    prepareSeconds: run.prepareSeconds,
    machine: { cpus: cpus.length, cpuModel: cpus[0]?.model.trim() ?? "unknown", memoryBytes: os.totalmem(), node: process.versions.node, platform: `${os.platform()} ${os.release()}` },
    options: {
      letters: o.letters,
      documentBytes: o.documentBytes,
      concurrency: o.concurrency,
      large: run.large,
      largeDocumentBytes: o.largeDocumentBytes,
      logLevel: o.logLevel,
      ...(o.outboxConcurrency !== undefined ? { outboxConcurrency: o.outboxConcurrency } : {}),
      ...(o.channel === "dpi" ? { postboxConcurrency: o.postboxConcurrency } : {}),
      ...(o.rate !== undefined ? { rate: o.rate, durationSeconds: o.letters / o.rate } : {}),
      instances: o.instances,
      store: o.store,
      blobStore: o.store === "sqlite" ? o.blobStore : "database",
      channel: o.channel,
    },
    phases,
    notes,
  };
}
