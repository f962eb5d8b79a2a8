import type { ChildHandle } from "./child-process.js";
import type { Cleanup } from "./cleanup.js";
import type { ProcessSample } from "./proc-stats.js";
import type { ProgressDisplay } from "./progress.js";
import type { PostOutcome } from "./driver.js";
import type { OpenLoopFigures, PhaseReport, ProcessFigures } from "./report.js";
import { distribution, perLetter, ratePerSecond, span } from "./stats.js";

/** What a DPI run and a channel run share: the run's I/O, how a phase offers its load, and per-process figures. */

export interface RunIo {
  progress: ProgressDisplay;
  cleanup: Cleanup;
  /** True once the user asked to stop (Ctrl-C). */
  cancelled: () => boolean;
}

/** A phase with no new receipt, SENDT or delivery for this long is stuck, not slow. */
export const STALL_MS = 120_000;
export const now = () => performance.now();
export const seconds = (ms: number) => ms / 1000;

export interface Measured {
  name: string;
  role: string;
  pid: number | "self";
  process?: ChildHandle;
  /** The corner this process is one of several instances of. */
  instanceOf?: string;
}

/** How a phase offers its letters: closed loop (the next when one is answered) or open loop on a schedule. */
export type Load = { kind: "closed"; concurrency: number } | { kind: "open"; ratePerSecond: number };

/** The user stopped the run before any phase had figures to report. */
export class BenchInterruptedError extends Error {
  readonly code = "bench-interrupted";
  constructor() {
    super("interrupted before the measurement started");
    this.name = "BenchInterruptedError";
  }
}

export function figures(p: Measured, before: ProcessSample | undefined, after: ProcessSample | undefined, letters: number): ProcessFigures {
  const cpu = before && after ? after.cpuSeconds - before.cpuSeconds : undefined;
  return {
    name: p.name,
    role: p.role,
    pid: p.pid === "self" ? process.pid : p.pid,
    ...(p.instanceOf !== undefined ? { instanceOf: p.instanceOf } : {}),
    ...optional("cpuSeconds", cpu),
    ...optional("cpuSecondsPerLetter", perLetter(cpu, letters)),
    ...optional("peakRssBytes", after?.peakRssBytes),
  };
}

/** The PostgreSQL server's line, before the bench's, when the corners were on PostgreSQL. */
export function withServer(list: ProcessFigures[], cpu: number | undefined, onPostgres: boolean, letters: number): ProcessFigures[] {
  if (!onPostgres) return list;
  const server: ProcessFigures = {
    name: "postgresql",
    role: "the PostgreSQL server's backends serving corner 2's and corner 3's databases",
    ...optional("cpuSeconds", cpu),
    ...optional("cpuSecondsPerLetter", perLetter(cpu, letters)),
  };
  const bench = list.findIndex((x) => x.name === "bench");
  return bench < 0 ? [...list, server] : [...list.slice(0, bench), server, ...list.slice(bench)];
}

export function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}


/**
 * Waits until `settled()` says every accepted item is settled, the time is up, the user stops the run, or nothing
 * moves (`progressKey()` unchanged) for STALL_MS; a measured process that ends is an error. Returns why it stopped
 * early, if it did.
 */
export async function watchPhase(w: {
  name: string;
  start: number;
  deadline: number;
  io: RunIo;
  processes: readonly Measured[];
  settled: () => boolean;
  progressKey: () => string;
}): Promise<PhaseReport["stoppedBy"]> {
  let lastProgress = { key: "", at: w.start };
  for (;;) {
    if (w.settled()) return undefined;
    if (w.io.cancelled()) return "interrupted";
    if (now() > w.deadline) return "time-limit";
    for (const p of w.processes) {
      if (p.process?.hasExited()) throw new Error(`${p.name} ended during the ${w.name} phase (${await p.process.exited}):\n${p.process.logTail()}`);
    }
    const key = w.progressKey();
    if (key !== lastProgress.key) lastProgress = { key, at: now() };
    else if (now() - lastProgress.at > STALL_MS) return "stalled";
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** An open-loop phase's own figures: the rate offered and started, the bench's start lag, the most in flight. */
export function openLoopFigures(load: Load, outcomes: readonly PostOutcome[], maxInFlight: number): OpenLoopFigures | undefined {
  if (load.kind !== "open") return undefined;
  const started = span(outcomes.map((r) => r.startedAt));
  const lags = outcomes.flatMap((r) => (r.scheduledAt === undefined ? [] : [r.startedAt - r.scheduledAt]));
  return {
    offeredPerSecond: load.ratePerSecond,
    maxInFlight,
    ...optional("startedPerSecond", started && outcomes.length > 1 ? ratePerSecond(outcomes.length - 1, started.first, started.last) : undefined),
    ...optional("startLagMs", distribution(lags)),
  };
}
