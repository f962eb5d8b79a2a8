import { readFileSync, writeFileSync } from "node:fs";

/**
 * CPU time and memory of a process from Linux's /proc, so the benchmark can measure child processes
 * without their cooperation. Elsewhere every reading is undefined and the report says "n/a".
 */

/** /proc reports CPU times in USER_HZ, which the kernel fixes at 100 for user space on every architecture. */
const USER_HZ = 100;

export interface ProcessSample {
  /** User + system CPU seconds since the process started. */
  cpuSeconds: number;
  /** Peak resident set size since start or since the last resetPeakRss (VmHWM). */
  peakRssBytes: number | undefined;
  /** Resident set size now (VmRSS). */
  rssBytes: number | undefined;
}

/** utime + stime in seconds from the text of /proc/<pid>/stat. */
export function parseProcStatCpuSeconds(text: string): number {
  // The command name (field 2) is in parentheses and may itself contain spaces and parentheses.
  const close = text.lastIndexOf(")");
  if (close < 0) throw new Error("not a /proc/<pid>/stat line");
  const fields = text.slice(close + 1).trim().split(/\s+/);
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error("no utime/stime in /proc/<pid>/stat");
  return (utime + stime) / USER_HZ;
}

/** A "Name:   1234 kB" line of /proc/<pid>/status, in bytes; undefined when absent. */
export function parseProcStatusBytes(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name}:\\s+(\\d+)\\s*kB\\s*$`, "m").exec(text);
  return m ? Number(m[1]) * 1024 : undefined;
}

export function sampleProcess(pid: number | "self"): ProcessSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return {
      cpuSeconds: parseProcStatCpuSeconds(stat),
      peakRssBytes: parseProcStatusBytes(status, "VmHWM"),
      rssBytes: parseProcStatusBytes(status, "VmRSS"),
    };
  } catch {
    return undefined;
  }
}

/** Starts a new peak-RSS window (writing 5 to clear_refs resets VmHWM). False when the kernel refused. */
export function resetPeakRss(pid: number | "self"): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}
