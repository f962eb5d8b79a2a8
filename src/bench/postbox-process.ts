import path from "node:path";
import type { PostboxStats } from "../sim/postbox/index.js";
import { benchNodeArgs } from "./access-point-process.js";
import { baseEnv, spawnChild, type ChildHandle } from "./child-process.js";

/** The bench's side of the postbox provider process (postbox-child.ts). */

export const POSTBOX_CONFIG_ENV = "DPI_BENCH_POSTBOX";

export type PostboxChildMessage = { type: "ready" } | { type: "stats"; stats: PostboxStats; rejected: string[] };
export type PostboxParentMessage = { type: "stop" };

export interface PostboxProcessOptions {
  /** Base URL of corner 3's REST API. */
  accessPointUrl: string;
  /** The provider, e.g. "984661185" (Digipost). */
  orgno: string;
  tokenUrl: string;
  issuer: string;
  certsDir: string;
  /** Folder for its log. */
  dir: string;
  pollIntervalMs?: number;
  pageSize?: number;
  /** Letters it works on at the same time (default 1). */
  concurrency?: number;
  logLevel: string;
}

export interface PostboxProcess extends ChildHandle {
  /** Its latest counters (a fifth of a second old at most); undefined before the first report. */
  stats(): PostboxStats | undefined;
  /** A few letters it refused, for the error message. */
  rejected(): string[];
  /** Asks it to finish its running poll and exit; kills it after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export async function startPostboxProcess(o: PostboxProcessOptions, readyTimeoutMs = 30_000): Promise<PostboxProcess> {
  const config = {
    accessPointUrl: o.accessPointUrl,
    orgno: o.orgno,
    tokenUrl: o.tokenUrl,
    issuer: o.issuer,
    certsDir: o.certsDir,
    pollIntervalMs: o.pollIntervalMs ?? 100,
    pageSize: o.pageSize ?? 100,
    concurrency: o.concurrency ?? 1,
    logLevel: o.logLevel,
  };
  const child = spawnChild({
    name: `postbox ${o.orgno}`,
    entry: "bench/postbox-child",
    env: { ...baseEnv(), [POSTBOX_CONFIG_ENV]: JSON.stringify(config) },
    logFile: path.join(o.dir, `postbox-${o.orgno}.log`),
    ipc: true,
    nodeArgs: benchNodeArgs("postbox"),
  });
  let latest: PostboxStats | undefined;
  let rejected: string[] = [];
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${child.name} was not ready after ${readyTimeoutMs / 1000} s:\n${child.logTail()}`)), readyTimeoutMs);
    child.process.on("message", (m: PostboxChildMessage) => {
      if (m.type === "ready") {
        clearTimeout(timer);
        resolve();
      } else if (m.type === "stats") {
        latest = m.stats;
        rejected = m.rejected;
      }
    });
    void child.exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`${child.name} ended (${how}):\n${child.logTail()}`));
    });
  });
  const killStop = child.stop;
  const handle: PostboxProcess = Object.assign(child, {
    stats: () => latest,
    rejected: () => rejected,
    async stop(graceMs = 10_000) {
      if (child.hasExited()) return;
      if (child.process.connected) child.process.send({ type: "stop" } satisfies PostboxParentMessage);
      const timer = setTimeout(() => void killStop(2000), graceMs);
      await child.exited;
      clearTimeout(timer);
    },
  });
  try {
    await ready;
  } catch (err) {
    await killStop(2000);
    throw err;
  }
  return handle;
}
