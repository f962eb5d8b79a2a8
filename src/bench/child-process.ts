import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

/** The project root: the benchmark's processes run from here, compiled (`npm run build`: `node dist/main.js`). */
export const PROJECT_ROOT = path.resolve(import.meta.dirname, "../..");
/** The compiled build, as production runs it: no tsx in the measured processes. */
export const COMPILED = path.join(PROJECT_ROOT, "dist");

const GUARD = pathToFileURL(path.join(COMPILED, "bench", "child-guard.js")).href;

/** A process of the compiled build the benchmark started, its output going to a log file. */
export interface ChildHandle {
  readonly name: string;
  readonly pid: number;
  readonly process: ChildProcess;
  readonly logFile: string;
  /** Resolves with the exit code (or signal) when the process ends. */
  readonly exited: Promise<string>;
  /** Whether the process has ended. */
  hasExited(): boolean;
  /** The last lines of its log, for error messages. */
  logTail(lines?: number): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has ended. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnOptions {
  name: string;
  /** The entry module in the compiled build, relative to dist/ and without extension (e.g. `main`). */
  entry: string;
  env: Record<string, string>;
  logFile: string;
  /** Open an IPC channel (the postbox child reports over it). */
  ipc?: boolean;
  /** Extra node options placed before the entry, e.g. `--cpu-prof`. */
  nodeArgs?: readonly string[];
}

/**
 * The variables of our environment without any DPI_AP_* setting, so a developer's shell cannot change the
 * configuration the benchmark gives its access points.
 */
export function baseEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && !k.startsWith("DPI_AP_")) out[k] = v;
  return out;
}

export function spawnChild(o: SpawnOptions): ChildHandle {
  const fd = openSync(o.logFile, "a");
  let proc: ChildProcess;
  try {
    // stdin stays a pipe: child-guard.ts stops the child when it closes, i.e. when we are gone.
    proc = spawn(process.execPath, [...(o.nodeArgs ?? []), "--import", GUARD, path.join(COMPILED, `${o.entry}.js`)], {
      cwd: PROJECT_ROOT,
      env: o.env,
      stdio: o.ipc ? ["pipe", fd, fd, "ipc"] : ["pipe", fd, fd],
      // Its own process group: Ctrl-C reaches only the bench, which then stops its children in order.
      detached: true,
    });
  } finally {
    closeSync(fd);
  }
  if (proc.pid === undefined) throw new Error(`could not start ${o.name}`);
  let ended = false;
  const exited = new Promise<string>((resolve) => {
    proc.once("exit", (code, signal) => {
      ended = true;
      resolve(signal ?? `exit code ${code}`);
    });
    proc.once("error", (err) => {
      ended = true;
      resolve(`error: ${err.message}`);
    });
  });
  return {
    name: o.name,
    pid: proc.pid,
    process: proc,
    logFile: o.logFile,
    exited,
    hasExited: () => ended,
    logTail(lines = 20) {
      try {
        return readFileSync(o.logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
      } catch {
        return "";
      }
    },
    async stop(graceMs = 10_000) {
      if (ended) return;
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
