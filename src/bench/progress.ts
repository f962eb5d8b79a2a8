import { ratePerSecond } from "./stats.js";

/**
 * The progress display of a long run: on a terminal one line on stderr, rewritten in place a few times a
 * second; in a log (stderr not a terminal) a line every few seconds; nothing with --quiet.
 */

export interface ProgressSnapshot {
  phase: string;
  total: number;
  /** Answered 201 by corner 2. */
  accepted: number;
  /** Refused by corner 2 or unanswered. */
  refused: number;
  /** SENDT at corner 2 (the AS4 receipt from corner 3 came back); undefined when unknown. */
  sendt?: number;
  /** Delivered by the postbox provider; undefined when unknown. */
  delivered?: number;
  /** Leveringskvittering seen by corner 1. */
  levert: number;
  /** feil receipts. */
  failed: number;
  elapsedMs: number;
  /** When the last letter was accepted, once all were answered: the accepted rate stops decaying then. */
  postingEndedMs?: number;
  /** A channel run's names for the counts: `levert` is its delivered status, `delivered` what corner 3's archive system took. */
  levertLabel?: string;
  deliveredLabel?: string;
  /** A channel run: messages at their final status, and its name. */
  final?: { label: string; n: number };
}

/** "0:07", "12:34", "1:02:03". Pure. */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

function rate(count: number, elapsedMs: number): string {
  const r = ratePerSecond(count, 0, elapsedMs);
  return r === undefined ? "-" : r >= 100 ? r.toFixed(0) : r.toFixed(1);
}

/** One line describing the run so far. Pure. */
export function formatProgress(s: ProgressSnapshot): string {
  const parts = [
    `${s.phase}`,
    `accepted ${s.accepted}/${s.total} (${rate(s.accepted, s.postingEndedMs ?? s.elapsedMs)}/s)`,
    ...(s.sendt !== undefined ? [`SENDT ${s.sendt}`] : []),
    ...(s.delivered !== undefined ? [`${s.deliveredLabel ?? "delivered"} ${s.delivered}`] : []),
    `${s.levertLabel ?? "LEVERT"} ${s.levert} (${rate(s.levert, s.elapsedMs)}/s)`,
    ...(s.final !== undefined ? [`${s.final.label} ${s.final.n}`] : []),
    ...(s.refused > 0 ? [`refused ${s.refused}`] : []),
    ...(s.failed > 0 ? [`feil ${s.failed}`] : []),
    formatElapsed(s.elapsedMs),
  ];
  return parts.join("  ");
}

export type ProgressMode = "tty" | "lines" | "off";

export function progressMode(quiet: boolean, isTty: boolean): ProgressMode {
  return quiet ? "off" : isTty ? "tty" : "lines";
}

export interface ProgressStream {
  write(text: string): unknown;
  columns?: number;
}

export class ProgressDisplay {
  private timer: NodeJS.Timeout | undefined;
  private sample: (() => ProgressSnapshot) | undefined;
  private shown = false;

  constructor(
    private readonly stream: ProgressStream,
    readonly mode: ProgressMode,
    private readonly intervalMs = mode === "tty" ? 250 : 5000,
  ) {}

  start(sample: () => ProgressSnapshot): void {
    this.stop();
    if (this.mode === "off") return;
    this.sample = sample;
    this.timer = setInterval(() => this.draw(), this.intervalMs);
    this.timer.unref();
    if (this.mode === "tty") this.draw();
  }

  /** Draws the final state and ends the line. */
  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.draw();
    if (this.mode === "tty") this.stream.write("\n");
    this.shown = false;
    this.sample = undefined;
  }

  /** A message of its own, above the progress line. */
  note(line: string): void {
    if (this.mode === "off") return;
    if (this.mode === "tty" && this.shown) this.stream.write("\r\x1b[2K");
    this.stream.write(`${line}\n`);
    this.shown = false;
    if (this.mode === "tty" && this.timer) this.draw();
  }

  private draw(): void {
    if (!this.sample) return;
    let line = formatProgress(this.sample());
    if (this.mode === "tty") {
      // A line longer than the terminal would wrap, and \r would then rewrite only its last part.
      const width = this.stream.columns;
      if (width && line.length >= width) line = line.slice(0, width - 1);
      this.stream.write(`\r\x1b[2K${line}`);
      this.shown = true;
    } else {
      this.stream.write(`${line}\n`);
    }
  }
}
